#!/usr/bin/env bash
# Gateway benchmark: the iris replica reached directly (its own address on the bridge), through the modelgate
# gateway's inference port (--inference-port: the data plane on its own HTTP/1.1 server; with --main yes also through
# its main port, where the data plane shares Vert.x's server with the management API), and through nginx as a
# keep-alive reverse proxy to the same replica, in one run, with wrk
# (keep-alive connections); plus the cold start (first request to a model at zero replicas until its answer).
# Prints requests/s and p50/p99 for each and the differences, and the CPU time each proxy spent per request (the
# gateway's JVM, nginx's worker: utime+stime from /proc before and after the run, over its requests): on a small
# machine shared by wrk, proxy and replica, the proxy's CPU per request decides its requests/s, and it is far less
# noisy than requests/s. Needs root (the replica is a container);
# installs wrk and nginx when missing.
#
# Each measured run follows a warm-up run of --warmup seconds (default 15) on the same path: the gateway's JIT needs
# that long on a loaded 2-core machine (with 2 s its compiler threads still took about half a core during the run).
#
#   load-tests/gateway-bench.sh [--seconds N] [--warmup N] [--connections "1 16"] [--rounds N] [--main yes]
# With --rounds N the three paths are measured N times in turn (direct, gateway, nginx, direct, ...) and each
# figure is the median over the rounds, with the gateway/nginx ratio of every round beside it: one run on a
# shared machine can be an outlier (0.70x once where the runs around it read 0.87-0.91x).
# Each proxy gets one thread for its connections: nginx one worker process, the gateway one event loop
# (QUARKUS_HTTP_IO_THREADS=N in the environment gives it N; the gateway's own default is 2 per core). On 2 cores
# shared with wrk and the replica, one loop also costs the gateway the least CPU per request: 29-31 µs against
# 34-36 µs with 4 loops and 37-38 µs with 2, in runs of the same build.
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
ROOT="$LT_ROOT"
opt seconds DURATION 10 "seconds per measurement"
opt warmup WARMUP 15 "seconds of warm-up on each path before its measurement"
opt connections CONNECTIONS "1 16" "wrk connections, one measurement each"
opt rounds ROUNDS 1 "times each path is measured, in turn; each figure is the median over them"
opt main MAIN no "yes: also measure the gateway's main port (the data plane beside the management API, on Vert.x)"
parse_opts "$@"
need_root "gateway-bench"
need wrk
need nginx
need bc

WORK="$(mktemp -d /var/tmp/gateway-bench.XXXXXX)"
export MODELGATE_HOME="$WORK/home"
export MODELGATE_TOKEN="bench-$RANDOM$RANDOM"
GW_PID=""
NGINX_PID=""
cleanup() {
  if [[ -n "$NGINX_PID" ]]; then kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
  if [[ -n "$GW_PID" ]]; then kill -TERM "$GW_PID" 2>/dev/null || true; wait "$GW_PID" 2>/dev/null || true; fi
  for id in $("$ROOT/modelgate" ps -a -q 2>/dev/null); do "$ROOT/modelgate" rm -f "$id" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
on_exit cleanup

"$ROOT/modelgate" pack -q "$ROOT/examples/iris" >/dev/null
GW_PORT=$(free_port)
INFERENCE_PORT=$(free_port)
while [[ "$INFERENCE_PORT" == "$GW_PORT" ]]; do INFERENCE_PORT=$(free_port); done
QUARKUS_HTTP_IO_THREADS="${QUARKUS_HTTP_IO_THREADS:-1}" \
  "$ROOT/modelgate" serve --port "$GW_PORT" --inference-port "$INFERENCE_PORT" >"$WORK/gateway.log" 2>&1 &   # builds the gateway first if needed
GW_PID=$!
GW="http://127.0.0.1:$GW_PORT"
GW_INFERENCE="http://127.0.0.1:$INFERENCE_PORT"
until curl -sf -o /dev/null "$GW/q/openapi"; do kill -0 "$GW_PID" 2>/dev/null || { cat "$WORK/gateway.log"; exit 1; }; sleep 0.2; done
auth=(-H "Authorization: Bearer $MODELGATE_TOKEN" -H 'Content-Type: application/json')
REQ="$ROOT/examples/iris/request.json"

# Cold start: a model at zero replicas; the first request waits for one and is answered.
curl -sf "${auth[@]}" -X POST "$GW/models" -d '{"name": "cold", "image": "iris:1", "minReplicas": 0, "maxReplicas": 1}' >/dev/null
sleep 1
COLD=()
for i in 1 2 3; do
  t0=$(date +%s.%N)
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$GW/v2/models/cold/infer" -d @"$REQ")
  t1=$(date +%s.%N)
  [[ "$code" == 200 ]] || echo "cold start $i answered $code" >&2
  COLD+=("$(echo "($t1 - $t0) * 1000 / 1" | bc)")
  curl -sf "${auth[@]}" -X DELETE "$GW/models/cold" >/dev/null
  for _ in $(seq 1 100); do [[ -z "$("$ROOT/modelgate" ps -q)" ]] && break; sleep 0.1; done
  [[ $i -lt 3 ]] && curl -sf "${auth[@]}" -X POST "$GW/models" -d '{"name": "cold", "image": "iris:1", "minReplicas": 0, "maxReplicas": 1}' >/dev/null && sleep 1
done

# One replica, no concurrency limit: the same replica behind the gateway and behind nginx.
curl -sf "${auth[@]}" -X POST "$GW/models" -d '{"name": "iris", "image": "iris:1", "minReplicas": 1, "maxReplicas": 1}' >/dev/null
until [[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$GW/v2/models/iris/infer" -d @"$REQ")" == 200 ]]; do sleep 0.2; done
REPLICA=$("$ROOT/modelgate" ps | sed -n 's/.*Up at \([0-9.]*\).*/\1/p' | head -1)
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/logs"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
error_log $WORK/nginx/logs/error.log;
pid $WORK/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;
  upstream replica { server $REPLICA:8080; keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { proxy_pass http://replica; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
until curl -sf -o /dev/null -X POST "http://127.0.0.1:$NGINX_PORT/v2/models/iris/infer" -d @"$REQ"; do sleep 0.1; done

# CPU ticks of the given processes, user (utime) and system (stime), from /proc/PID/stat (fields 14 and 15, after
# the command name): "USER SYSTEM".
cpu_ticks() {
  local user=0 system=0 pid stat
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    read -r -a f <<<"${stat##*) }"
    user=$((user + f[11])); system=$((system + f[12]))
  done
  echo "$user $system"
}
proxy_pids() { # NAME: the processes doing the proxy's work (none for direct)
  case "$1" in
    gateway|main) echo "$GW_PID" ;;
    nginx) pgrep -P "$NGINX_PID" | tr '\n' ' ' ;;   # the worker(s); the master only waits
  esac
}
TICK_US=$((1000000 / $(getconf CLK_TCK)))

declare -A R CPU SYS
measure() { # NAME URL CONNECTIONS
  local pids before after requests
  BODY_FILE="$REQ" wrk -t1 -c"$3" -d"${WARMUP}s" --timeout 5s -s "$ROOT/load-tests/lib/post.lua" "$2" >/dev/null
  pids=$(proxy_pids "$1")
  before=$(cpu_ticks $pids)
  R["$1/$3"]=$(BODY_FILE="$REQ" wrk -t1 -c"$3" -d"${DURATION}s" --timeout 5s -s "$ROOT/load-tests/lib/post.lua" "$2" | grep '^WRK ')
  after=$(cpu_ticks $pids)
  CPU["$1/$3"]=""; SYS["$1/$3"]=""
  if [[ -n "$pids" ]]; then
    requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"${R["$1/$3"]}")
    read -r ub sb <<<"$before"; read -r ua sa <<<"$after"
    CPU["$1/$3"]=$(echo "($ua + $sa - $ub - $sb) * $TICK_US / $requests" | bc -l)
    SYS["$1/$3"]=$(echo "($sa - $sb) * $TICK_US / $requests" | bc -l)
  fi
  echo "gateway-bench: $1/$3 (round $round): ${R["$1/$3"]}${CPU["$1/$3"]:+ cpu_us_per_request=${CPU["$1/$3"]} system_us_per_request=${SYS["$1/$3"]}}" >&2
  ROUNDS_R["$1/$3"]+="${R["$1/$3"]} cpu=${CPU["$1/$3"]:-0} sys=${SYS["$1/$3"]:-0}"$'\n'
}
declare -A ROUNDS_R
# the gateway's JIT compiles its hot paths during the first runs through it: a longer warm-up (3x --warmup) before
# anything is measured. Under this load on 2 cores its C2 compiler thread still took 5-10% of the gateway's CPU 30 s
# in, and next to nothing after 45 s; with only the per-path warm-up, CPU per request read 62 µs in one run, 39 µs
# after a first warm-up
BODY_FILE="$REQ" wrk -t1 -c16 -d"$((WARMUP * 3))s" --timeout 5s -s "$ROOT/load-tests/lib/post.lua" "$GW_INFERENCE/v2/models/iris/infer" >/dev/null
declare -A URL=([direct]="http://$REPLICA:8080" [gateway]="$GW_INFERENCE" [main]="$GW" [nginx]="http://127.0.0.1:$NGINX_PORT")
PATHS="direct gateway nginx"
[[ "$MAIN" == yes ]] && PATHS="direct gateway main nginx"
for c in $CONNECTIONS; do
  for round in $(seq 1 "$ROUNDS"); do
    for p in $PATHS; do measure "$p" "${URL[$p]}/v2/models/iris/infer" "$c"; done
  done
done
# FIELD of PATH/CONN: the median over the rounds (the middle one; the upper middle of an even count)
field() {
  sed -n "s/.*[ ^]$2=\([0-9.]*\).*/\1/p" <<<"${ROUNDS_R[$1]}" | sort -g | awk '{v[NR]=$1} END {print v[int(NR/2)+1]}'
}
ratios() { # CONN: gateway/nginx requests/s of each round
  paste -d' ' <(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"${ROUNDS_R["gateway/$1"]}") \
              <(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"${ROUNDS_R["nginx/$1"]}") | awk '{printf "%s%.2fx", (NR>1?" ":""), $1/$2}'
}

echo
echo "gateway benchmark: iris, one replica, ${DURATION}s per run after ${WARMUP}s warm-up, ${ROUNDS} round(s) (medians), wrk -t1 keep-alive, $(nproc) cores shared by wrk, proxies and replica; nginx 1 worker, gateway ${QUARKUS_HTTP_IO_THREADS:-1} event loop(s)"
printf '%-8s %5s | %9s %9s %9s %7s %13s %10s\n' "path" "conn" "req/s" "p50 ms" "p99 ms" "errors" "proxy CPU us" "of it sys"
for c in $CONNECTIONS; do
  for p in $PATHS; do
    printf '%-8s %5s | %9.0f %9.3f %9.3f %7s %13s %10s\n' "$p" "$c" "$(field "$p/$c" rps)" "$(field "$p/$c" p50_ms)" \
      "$(field "$p/$c" p99_ms)" "$(field "$p/$c" errors)" "$(printf '%.1f' "$(field "$p/$c" cpu)" | sed 's/^0\.0$/-/')" \
      "$(printf '%.1f' "$(field "$p/$c" sys)" | sed 's/^0\.0$/-/')"
  done
  printf '  gateway adds %.3f ms at p50 (nginx %.3f ms); gateway/nginx throughput %.2fx\n' \
    "$(echo "$(field "gateway/$c" p50_ms) - $(field "direct/$c" p50_ms)" | bc -l)" \
    "$(echo "$(field "nginx/$c" p50_ms) - $(field "direct/$c" p50_ms)" | bc -l)" \
    "$(echo "$(field "gateway/$c" rps) / $(field "nginx/$c" rps)" | bc -l)"
  if [[ "$ROUNDS" -gt 1 ]]; then echo "  gateway/nginx throughput by round: $(ratios "$c")"; fi
done
echo "proxy CPU us: CPU time (user + system) of the proxy's processes during the run, per request (gateway: its JVM, all threads; nginx: its worker); of it sys: the system (kernel) part"
echo "cold start (first request to a model at zero replicas until its answer): ${COLD[*]} ms"
