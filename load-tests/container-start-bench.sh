#!/usr/bin/env bash
# Container start benchmark: packs examples/iris (server type onnx), then starts it N times with
# 'modelgate run -d -p' and measures, per start, the time from the command to the first 200 of
# /v2/health/ready on the published port (the layers are unpacked by the first start, which is reported apart),
# and the server's own "ready in" figure from its log. Needs root.
#
#   load-tests/container-start-bench.sh [--runs N]
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
ROOT="$LT_ROOT"
opt runs RUNS 10 "starts measured (after the first, which unpacks the layers)"
parse_opts "$@"
need_root "container-start-bench"
need curl
need bc
HOME_DIR="$(mktemp -d /var/tmp/start-bench.XXXXXX)"
mg() { "$ROOT/modelgate" --home "$HOME_DIR" "$@"; }
cleanup() {
  for id in $(mg ps -a -q 2>/dev/null); do mg rm -f "$id" >/dev/null 2>&1 || true; done
  rm -rf "$HOME_DIR"
}
on_exit cleanup

mg pack -q "$ROOT/examples/iris" >/dev/null
PORT=18480
now() { date +%s.%N; }
declare -a RUN READY
for i in $(seq 0 "$RUNS"); do
  t0=$(now)
  mg run -d --name "iris-$i" -p "$PORT:8080" iris:1 >/dev/null
  until curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null 2>&1; do sleep 0.005; done
  t1=$(now)
  server=$(mg logs "iris-$i" 2>&1 | sed -n 's/.*ready in \([0-9]*\) ms.*/\1/p' | head -1)
  mg rm -f "iris-$i" >/dev/null
  ms=$(echo "($t1 - $t0) * 1000 / 1" | bc)
  if [[ $i -eq 0 ]]; then
    echo "first start (unpacks the image's layers): ${ms} ms to ready (server: ${server} ms)"
  else
    RUN+=("$ms"); READY+=("$server")
  fi
done
pct() { printf '%s\n' "${@:2}" | sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR-1)*p/100)+1; print a[i]}'; }
echo "iris container start, $RUNS starts, $(nproc) cores:"
echo "  run -d to ready on the published port: p50 $(pct 50 "${RUN[@]}") ms, p90 $(pct 90 "${RUN[@]}") ms, max $(pct 100 "${RUN[@]}") ms"
echo "  server process start to ready (its log): p50 $(pct 50 "${READY[@]}") ms, p90 $(pct 90 "${READY[@]}") ms"
