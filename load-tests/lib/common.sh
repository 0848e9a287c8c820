# Shared by the load-tests scripts (sourced, not run): option parsing, tool installation, clean-up on exit,
# the gateway's life cycle and API, the metrics poller, the Hyperfoil driver, plots and the report.
# shellcheck shell=bash

LT_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
LT_DIR="$LT_ROOT/load-tests"

die() { echo "$(basename "$0"): $*" >&2; exit 2; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ---- options ------------------------------------------------------------------------------------------------------
# opt NAME VARIABLE DEFAULT HELP   declares --NAME VALUE (or --NAME=VALUE), stored in VARIABLE
# parse_opts "$@"                   fills them; --help prints USAGE and the options; anything else is refused
declare -a _OPT_NAMES=()
declare -A _OPT_VAR=() _OPT_HELP=() _OPT_DEFAULT=()
opt() {
  _OPT_NAMES+=("$1"); _OPT_VAR[$1]="$2"; _OPT_DEFAULT[$1]="$3"; _OPT_HELP[$1]="$4"
  printf -v "$2" '%s' "$3"
}
usage() {
  echo "usage: ${USAGE:-$(basename "$0") [options]}"
  local n
  for n in "${_OPT_NAMES[@]}"; do
    printf '  --%-18s %s%s\n' "$n" "${_OPT_HELP[$n]}" "${_OPT_DEFAULT[$n]:+ (default: ${_OPT_DEFAULT[$n]})}"
  done
}
parse_opts() {
  local k v
  while (($#)); do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      --*=*) k="${1%%=*}"; v="${1#*=}"; shift ;;
      --*) k="$1"; (($# >= 2)) || { usage >&2; die "option $1 needs a value"; }; v="$2"; shift 2 ;;
      *) usage >&2; die "unexpected argument '$1'" ;;
    esac
    k="${k#--}"
    [[ -n "${_OPT_VAR[$k]+x}" ]] || { usage >&2; die "unknown option --$k"; }
    printf -v "${_OPT_VAR[$k]}" '%s' "$v"
  done
}

# ---- tools --------------------------------------------------------------------------------------------------------
# need COMMAND [DEBIAN-PACKAGE]: installs the package with apt-get when the command is missing (as root).
need() {
  local cmd="$1" pkg="${2:-$1}"
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "$(basename "$0"): '$cmd' is missing; install it with: sudo apt-get install $pkg" >&2
    exit 1
  fi
  log "installing $pkg..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
}
# need_py MODULE DEBIAN-PACKAGE: the same for a module of the system's python3.
need_py() {
  /usr/bin/python3 -c "import $1" 2>/dev/null && return 0
  [[ $(id -u) -eq 0 ]] || { echo "$(basename "$0"): python module '$1' is missing; install it with: sudo apt-get install $2" >&2; exit 1; }
  log "installing $2..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}
need_root() {
  [[ $(id -u) -eq 0 ]] || { echo "$(basename "$0"): $1 needs root (replicas run as containers)" >&2; exit 1; }
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

# ---- clean-up -----------------------------------------------------------------------------------------------------
# on_exit COMMAND…: runs at exit, last registered first, whatever happened before.
declare -a _ON_EXIT=()
on_exit() { _ON_EXIT+=("$*"); }
_run_on_exit() {
  local i
  for ((i = ${#_ON_EXIT[@]} - 1; i >= 0; i--)); do eval "${_ON_EXIT[i]}" || true; done
}
trap _run_on_exit EXIT
trap 'exit 130' INT TERM

# ---- the gateway --------------------------------------------------------------------------------------------------
# gateway_use URL: a gateway that is already running (MODELGATE_TOKEN must hold its management token).
# gateway_start LOGDIR: a gateway of our own ('modelgate serve' with a fresh home in a temporary directory, removed at
# exit; its log goes to LOGDIR/gateway.log), stopped at exit.
GW=""
GW_PID=""
gateway_use() { GW="${1%/}"; }
gateway_start() {
  local logdir="$1" port work
  need_root "starting a gateway"
  work="$(mktemp -d /var/tmp/modelgate-load.XXXXXX)"
  on_exit "rm -rf '$work'"
  export MODELGATE_HOME="$work/home"
  export MODELGATE_TOKEN="${MODELGATE_TOKEN:-load-$RANDOM$RANDOM}"
  mkdir -p "$MODELGATE_HOME"
  "$LT_ROOT/modelgate" pack -q "$LT_ROOT/examples/iris" >/dev/null
  port=$(free_port)
  "$LT_ROOT/modelgate" serve --port "$port" >"$logdir/gateway.log" 2>&1 &   # builds the gateway first if needed
  GW_PID=$!
  on_exit gateway_stop
  GW="http://127.0.0.1:$port"
  until curl -sf -o /dev/null "$GW/q/health/live" || curl -sf -o /dev/null "$GW/q/openapi"; do
    kill -0 "$GW_PID" 2>/dev/null || { tail -20 "$logdir/gateway.log" >&2; die "the gateway did not start"; }
    sleep 0.2
  done
  log "gateway up at $GW (home $MODELGATE_HOME)"
}
gateway_stop() {
  [[ -n "$GW_PID" ]] || return 0
  kill -TERM "$GW_PID" 2>/dev/null || true
  wait "$GW_PID" 2>/dev/null || true
  GW_PID=""
  local id
  for id in $("$LT_ROOT/modelgate" ps -a -q 2>/dev/null); do "$LT_ROOT/modelgate" rm -f "$id" >/dev/null 2>&1 || true; done
}
# api METHOD PATH [JSON]: a management call; prints the body, fails on an error status.
api() {
  local args=(-sS -f -X "$1" -H "Authorization: Bearer ${MODELGATE_TOKEN:-}" -H 'Content-Type: application/json')
  [[ -n "${3:-}" ]] && args+=(-d "$3")
  curl "${args[@]}" "$GW$2"
}
# deploy JSON: POST /models; the model is deleted at exit.
deploy() {
  local name
  name=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["name"])' "$1")
  api POST /models "$1" >/dev/null || die "POST /models $1 was refused"
  on_exit "api DELETE /models/$name >/dev/null 2>&1; wait_replicas $name 0 30 2>/dev/null"
  log "deployed $1"
}
# metric NAME MODEL: the current value of a gauge for a model (empty when absent).
metric() {
  curl -sf "$GW/q/metrics" | awk -v n="$1" -v m="model=\"$2\"" 'index($0, n "{") == 1 && index($0, m) { print $NF + 0; exit }'
}
# wait_replicas MODEL N [TIMEOUT_S]: until the model has exactly N ready replicas.
wait_replicas() {
  local deadline=$(( $(date +%s) + ${3:-120} ))
  until [[ "$(metric modelgate_replicas_ready "$1")" == "$2" || ( "$2" == 0 && -z "$(metric modelgate_replicas_ready "$1")" ) ]]; do
    (( $(date +%s) < deadline )) || { log "model $1 did not reach $2 ready replicas"; return 1; }
    sleep 0.5
  done
}
# wait_settled MODEL N [TIMEOUT_S]: until the autoscaler wants N replicas and N are ready (after a warm-up).
wait_settled() {
  local deadline=$(( $(date +%s) + ${3:-120} ))
  until [[ "$(metric modelgate_replicas_desired "$1")" == "$2" && "$(metric modelgate_replicas_ready "$1")" == "$2" ]]; do
    (( $(date +%s) < deadline )) || { log "model $1 did not settle at $2 replicas"; return 1; }
    sleep 0.5
  done
}
# wait_serving MODEL BODYFILE: until an inference call is answered 200.
wait_serving() {
  local deadline=$(( $(date +%s) + 120 ))
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$2" "$GW/v2/models/$1/infer")" == 200 ]]; do
    (( $(date +%s) < deadline )) || die "model $1 is not serving after 120 s"
    sleep 0.3
  done
}

# ---- metrics over time --------------------------------------------------------------------------------------------
# metrics_start CSV: scrapes /q/metrics every second into CSV, one row per model: replicas desired and ready,
# requests in flight and waiting, and the running request counts by outcome. Stopped at exit or by metrics_stop.
METRICS_PID=""
metrics_start() {
  local csv="$1"
  echo "epoch_ms,model,desired,ready,inflight,waiting,served,overloaded,no_replicas,unreachable,failed" > "$csv"
  (
    while :; do
      t=$(now_ms)
      curl -sf -m 2 "$GW/q/metrics" | awk -v t="$t" -F'[{}]' '
        /^modelgate_/ {
          name = $1; split($2, tags, ","); model = ""; outcome = ""
          for (i in tags) {
            split(tags[i], kv, "="); gsub(/"/, "", kv[2])
            if (kv[1] == "model") model = kv[2]; else if (kv[1] == "outcome") outcome = kv[2]
          }
          if (model == "") next
          value = $3 + 0; models[model] = 1
          if (name == "modelgate_replicas_desired") d[model] = value
          else if (name == "modelgate_replicas_ready") r[model] = value
          else if (name == "modelgate_requests_inflight") f[model] = value
          else if (name == "modelgate_requests_waiting") w[model] = value
          else if (name == "modelgate_requests_total") c[model, outcome] = value
        }
        END {
          for (m in models)
            printf "%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", t, m, d[m], r[m], f[m], w[m], c[m, "served"], c[m, "overloaded"],
              c[m, "no_replicas"], c[m, "unreachable"], c[m, "failed"]
        }' >> "$csv"
      sleep 1
    done
  ) &
  METRICS_PID=$!
  on_exit metrics_stop
}
metrics_stop() {
  [[ -n "$METRICS_PID" ]] || return 0
  kill "$METRICS_PID" 2>/dev/null || true
  wait "$METRICS_PID" 2>/dev/null || true
  METRICS_PID=""
}

# ---- the load driver (Hyperfoil) ----------------------------------------------------------------------------------
DRIVER_DIR="$LT_DIR/driver"
driver_build() {
  local jar="$DRIVER_DIR/target/load-driver.jar"
  if [[ ! -f "$jar" || -n "$(find "$DRIVER_DIR/pom.xml" "$DRIVER_DIR/src" -newer "$jar" -print -quit)" ]]; then
    log "building the load driver (Hyperfoil)..."
    "$LT_ROOT/mvnw" -q -B -ntp -f "$DRIVER_DIR/pom.xml" package >&2
    touch "$jar"
  fi
}
# bench_begin YAML CONNECTIONS: a benchmark against $GW; then bench_open / bench_closed add one second each.
bench_begin() {
  local hostport="${GW#http://}"
  cat > "$1" <<YAML
# Hyperfoil benchmark written by load-tests/run: one phase per second (sNNNN, or sNNNN-MODEL), so the driver
# reports each second's latency distribution on its own. See https://hyperfoil.io/docs/ for the format.
name: modelgate-load
threads: ${LOAD_THREADS:-1}
http:
  host: http://$hostport
  sharedConnections: $2
phases:
YAML
}
# bench_open YAML PHASE SECOND RATE MODEL BODYFILE: open model, RATE new requests per second whatever the latency;
# arrivals at exponential intervals (a Poisson process, as independent users arrive) unless POISSON=false.
# 999 ms, not 1 s: a phase that is still open at its last instant fires one more arrival there, one too many a second.
bench_open() {
  local max
  max=$(python3 -c "import math; print(max(4, math.ceil($4 * 1.5) + 2))")
  cat >> "$1" <<YAML
- $2:
    constantRate:
      startTime: $3s
      duration: 999ms
      usersPerSec: $4
      variance: ${POISSON:-true}
      maxSessions: $max
      sessionLimitPolicy: continue
YAML
  _infer_scenario "$5" "$6" >> "$1"
}
# _infer_scenario MODEL BODYFILE: the one-request scenario every phase runs: POST the body to the model's infer path.
_infer_scenario() {
  cat <<YAML
      scenario:
      - infer:
        - httpRequest:
            POST: /v2/models/$1/infer
            headers:
              content-type: application/json
            body:
              fromFile: $(basename "$2")
            timeout: ${REQUEST_TIMEOUT:-90s}
YAML
}
# bench_closed YAML PHASE SECOND USERS MODEL BODYFILE: closed loop, USERS each sending the next request when answered.
bench_closed() {
  cat >> "$1" <<YAML
- $2:
    always:
      startTime: $3s
      duration: 1s
      users: $4
YAML
  _infer_scenario "$5" "$6" >> "$1"
}
# driver_run YAML OUTDIR: runs the benchmark; writes OUTDIR/samples.csv and OUTDIR/summary.txt.
driver_run() {
  java ${LOAD_JAVA_OPTS:--Xmx512m} -cp "$DRIVER_DIR/target/load-driver.jar:$DRIVER_DIR/target/lib/*" \
    io.modelgate.loadtest.LoadDriver "$1" "$2/samples.csv" "$2/summary.txt" >/dev/null
}
# summary_get OUTDIR KEY
summary_get() { sed -n "s/^$2=//p" "$1/summary.txt"; }

# ---- plots --------------------------------------------------------------------------------------------------------
# plots OUTDIR: latency.png, throughput.png and replicas.png from samples.csv and metrics.csv (time 0 = load start).
plots() {
  local out="$1" t0
  need gnuplot gnuplot-nox
  t0=$(awk -F, 'NR > 1 && $3 != "" && (min == "" || $3 < min) { min = $3 } END { print min }' "$out/samples.csv")
  # per second (all models of the run together): offered, 2xx, errors, percentiles
  awk -F, -v t0="$t0" 'NR > 1 {
      s = $1; off[s] += $4; ok[s] += $6; err[s] += $4 - $6
      if ($16 != "" && $16 > p50[s]) p50[s] = $16; if ($17 != "" && $17 > p90[s]) p90[s] = $17
      if ($18 != "" && $18 > p99[s]) p99[s] = $18; if ($19 != "" && $19 > p999[s]) p999[s] = $19
      if (s > last) last = s
    }
    END { for (s = 0; s <= last; s++) printf "%d %d %d %d %s %s %s %s\n", s, off[s], ok[s], err[s],
          p50[s] == "" ? "NaN" : p50[s], p90[s] == "" ? "NaN" : p90[s], p99[s] == "" ? "NaN" : p99[s], p999[s] == "" ? "NaN" : p999[s] }' \
    "$out/samples.csv" > "$out/.per-second.dat"
  local m files=()
  if [[ -f "$out/metrics.csv" ]]; then
    for m in $(awk -F, 'NR > 1 { print $2 }' "$out/metrics.csv" | sort -u); do
      awk -F, -v t0="$t0" -v m="$m" 'NR > 1 && $2 == m { printf "%.1f %d %d %d\n", ($1 - t0) / 1000, $3, $4, $6 }' \
        "$out/metrics.csv" > "$out/.replicas-$m.dat"
      files+=("$out/.replicas-$m.dat")
    done
  fi
  gnuplot -e "dir='$out'; replicas='${files[*]}'; title='${PLOT_TITLE:-}'" "$LT_DIR/lib/plots.gp" 2>&1 | grep -v '^Warning: empty' >&2 || true
  rm -f "$out"/.per-second.dat "$out"/.replicas-*.dat
}
