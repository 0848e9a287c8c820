#!/usr/bin/env bash
# Server benchmark: the built-in model server (model-server.jar) on loopback, driven by wrk with keep-alive
# connections, beside the same model run in a plain in-process ONNX Runtime loop (InProcessBench) in the
# same run, with the same inputs. Models: examples/iris (tiny: HTTP and JSON dominate) and examples/mlp
# (2.4M parameters: the arithmetic dominates; served with dynamic batching on, and off for reference).
# Prints requests/s and p50/p99 latency for both and the ratios; writes server-bench.csv under load-tests/results/
# (or $RESULTS_DIR).
#
#   load-tests/server-bench.sh [--seconds N] [--connections "1 16"]
#
# wrk and the server share this machine's cores: on a small machine the figures are a floor for the
# server, not a ceiling. Installs wrk (and Debian's python3-onnx/numpy for the MLP) when missing and root.
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
ROOT="$LT_ROOT"
opt seconds DURATION 10 "seconds per measurement"
opt connections CONNECTIONS "1 16" "wrk connections (and in-process threads), one measurement each"
parse_opts "$@"
need wrk
need bc
# the MLP is made by a script that needs Debian's onnx and numpy
need_py onnx python3-onnx
need_py numpy python3-numpy

JAR="$ROOT/model-server/target/model-server.jar"
echo "server-bench: building model-server..." >&2
(cd "$ROOT" && ./mvnw -q -B -pl model-server -am package -DskipTests)
MLP="$ROOT/examples/mlp/model.onnx"
[[ -f "$MLP" ]] || /usr/bin/python3 "$ROOT/examples/mlp/make_model.py" >&2

WORK="$(mktemp -d /tmp/server-bench.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
on_exit cleanup

IRIS_REQUEST="$ROOT/examples/iris/request.json"
MLP_REQUEST="$WORK/mlp-request.json"
# One row of 256 seeded values, the MLP's input.
/usr/bin/python3 - "$MLP_REQUEST" <<'PY'
import json, random, sys
r = random.Random(1)
row = [round(r.uniform(-1, 1), 6) for _ in range(256)]
json.dump({"inputs": [{"name": "input", "shape": [1, 256], "datatype": "FP32", "data": [row]}]}, open(sys.argv[1], "w"))
PY


start_server() { # MODEL NAME [ENV...]
  local model="$1" name="$2"; shift 2
  env -u MAX_BATCH_SIZE -u MAX_BATCH_DELAY_MS ORT_DISABLE_TELEMETRY=1 MODEL_PATH="$model" MODEL_NAME="$name" HOST=127.0.0.1 PORT=0 "$@" \
    java -jar "$JAR" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    grep -q "ready in" "$WORK/server.log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
  done
  PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.log" | head -1)
  READY_MS=$(sed -n 's/.*ready in \([0-9]*\) ms.*/\1/p' "$WORK/server.log" | head -1)
  echo "server-bench: $name ready in ${READY_MS} ms on port $PORT ($*)" >&2
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

declare -A RESULT
run_wrk() { # KEY URL BODY CONNECTIONS
  local key="$1" url="$2" body="$3" c="$4"
  BODY_FILE="$body" wrk -t1 -c"$c" -d2s --timeout 5s -s "$ROOT/load-tests/lib/post.lua" "$url" >/dev/null   # warm-up: JIT
  local line
  line=$(BODY_FILE="$body" wrk -t1 -c"$c" -d"${DURATION}s" --timeout 5s -s "$ROOT/load-tests/lib/post.lua" "$url" | grep '^WRK ')
  if [[ "$line" != *"errors=0"* ]]; then echo "server-bench: $key had errors: $line" >&2; fi
  RESULT[$key]="$line"
  echo "server-bench: $key: $line" >&2
}
run_inprocess() { # KEYPREFIX MODEL BODY THREADS...
  local prefix="$1" model="$2" body="$3"; shift 3
  while read -r line; do
    local t; t=$(sed -n 's/.*threads=\([0-9]*\).*/\1/p' <<<"$line")
    RESULT[$prefix/$t]="$line"
    echo "server-bench: $prefix/$t: $line" >&2
  done < <(java -cp "$JAR" io.modelgate.server.bench.InProcessBench "$model" "$body" "$DURATION" "$@" | grep '^inprocess ')
}
field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"${RESULT[$1]}"; }

# shellcheck disable=SC2086
run_inprocess inproc-iris "$ROOT/examples/iris/model.onnx" "$IRIS_REQUEST" $CONNECTIONS
start_server "$ROOT/examples/iris/model.onnx" iris
for c in $CONNECTIONS; do run_wrk "server-iris/$c" "http://127.0.0.1:$PORT/v2/models/iris/infer" "$IRIS_REQUEST" "$c"; done
stop_server

# shellcheck disable=SC2086
run_inprocess inproc-mlp "$MLP" "$MLP_REQUEST" $CONNECTIONS
start_server "$MLP" mlp MAX_BATCH_SIZE=32 MAX_BATCH_DELAY_MS=2
for c in $CONNECTIONS; do run_wrk "server-mlp-batch/$c" "http://127.0.0.1:$PORT/v2/models/mlp/infer" "$MLP_REQUEST" "$c"; done
stop_server
start_server "$MLP" mlp
for c in $CONNECTIONS; do run_wrk "server-mlp/$c" "http://127.0.0.1:$PORT/v2/models/mlp/infer" "$MLP_REQUEST" "$c"; done
stop_server

RESULTS="${RESULTS_DIR:-$ROOT/load-tests/results}"   # load-tests/run sets it to the run's directory
mkdir -p "$RESULTS"
CSV="$RESULTS/server-bench.csv"
echo "model,server_mode,concurrency,server_rps,server_p50_ms,server_p99_ms,inprocess_rps,inprocess_p50_ms,inprocess_p99_ms" > "$CSV"
echo
echo "server benchmark: ${DURATION}s per run, wrk -t1 (keep-alive) vs in-process ORT loop, $(nproc) cores shared by wrk and the server"
echo "concurrency = wrk connections for the server, threads for the in-process loop; same request body for both"
printf '%-6s %-14s %4s | %9s %8s %8s | %9s %8s %8s | %9s %8s %8s\n' model server conc "srv rps" "p50 ms" "p99 ms" \
  "ort rps" "p50 ms" "p99 ms" "rps x" "p50 x" "p99 x"
row() { # MODEL MODE SERVERKEY INPROCKEY C
  local sr sp5 sp9 ir ip5 ip9
  sr=$(field "$3" rps); sp5=$(field "$3" p50_ms); sp9=$(field "$3" p99_ms)
  ir=$(field "$4" rps); ip5=$(field "$4" p50_ms); ip9=$(field "$4" p99_ms)
  printf '%-6s %-14s %4s | %9.0f %8.3f %8.3f | %9.0f %8.3f %8.3f | %9.3f %8.1f %8.1f\n' "$1" "$2" "$5" \
    "$sr" "$sp5" "$sp9" "$ir" "$ip5" "$ip9" \
    "$(echo "$sr / $ir" | bc -l)" "$(echo "$sp5 / $ip5" | bc -l)" "$(echo "$sp9 / $ip9" | bc -l)"
  echo "$1,$2,$5,$sr,$sp5,$sp9,$ir,$ip5,$ip9" >> "$CSV"
}
for c in $CONNECTIONS; do row iris "no batching" "server-iris/$c" "inproc-iris/$c" "$c"; done
for c in $CONNECTIONS; do row mlp "batching 32/2ms" "server-mlp-batch/$c" "inproc-mlp/$c" "$c"; done
for c in $CONNECTIONS; do row mlp "no batching" "server-mlp/$c" "inproc-mlp/$c" "$c"; done
echo "(rps x = server / in-process; p50 x, p99 x = server latency / in-process latency)"
echo "results: $CSV"
