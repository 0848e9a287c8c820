#!/usr/bin/env bash
# Rolling-update benchmark: wrk keeps connections of iris requests going through the gateway while a PATCH rolls
# the deployment onto a second image (examples/iris packed again as version 2, so its digest differs). Prints, for
# a steady run and for the run spanning the rollout, requests/s, p50/p99 and the failed requests (socket errors
# and non-2xx answers: there should be none), and how long the rollout took from PATCH until only the new
# revision's replicas were left. Needs root (replicas are containers); installs wrk when missing.
# MODELGATE_JAVA_OPTS reaches the gateway and the CLI, e.g. "-Dmodelgate.bridge=mgbench -Dmodelgate.subnet=..."
# to keep the benchmark's containers off the default bridge.
#
#   load-tests/rollout-bench.sh [--seconds N] [--connections N] [--replicas N]
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
ROOT="$LT_ROOT"
opt seconds DURATION 30 "seconds per measurement"
opt connections CONNECTIONS 16 "wrk connections"
opt replicas REPLICAS 1 "replicas of the deployment"
parse_opts "$@"
need_root "rollout-bench"
need wrk
need bc

WORK="$(mktemp -d /var/tmp/rollout-bench.XXXXXX)"
on_exit "rm -rf '$WORK'"
WRK_PID=""
on_exit '[[ -z "$WRK_PID" ]] || { kill "$WRK_PID" 2>/dev/null; wait "$WRK_PID" 2>/dev/null; }'
gateway_start "$WORK"   # a fresh home, iris:1 packed in it; stopped, with its replicas, at exit
cp -r "$ROOT/examples/iris" "$WORK/iris-v2"
sed -i 's/^version: "1"$/version: "2"/' "$WORK/iris-v2/model.yaml"
"$ROOT/modelgate" pack -q "$WORK/iris-v2" >/dev/null
auth=(-H "Authorization: Bearer $MODELGATE_TOKEN")
REQ="$ROOT/examples/iris/request.json"

curl -sf "${auth[@]}" -H 'Content-Type: application/json' -X POST "$GW/models" \
  -d "{\"name\": \"iris\", \"image\": \"iris:1\", \"minReplicas\": $REPLICAS, \"maxReplicas\": $REPLICAS}" >/dev/null
until [[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$GW/v2/models/iris/infer" -d @"$REQ")" == 200 ]]; do sleep 0.2; done
only_revision() { # N: true when every replica runs revision N, is ready, and there are REPLICAS of them
  curl -sf "${auth[@]}" "$GW/models/iris" | python3 -c "
import json, sys
replicas = json.load(sys.stdin).get('status', {}).get('replicas', [])
sys.exit(0 if len(replicas) == $REPLICAS and all(r['revision'] == $1 and r['state'] == 'ready' for r in replicas) else 1)"
}
until only_revision 1; do sleep 0.2; done

run_wrk() { BODY_FILE="$REQ" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -s "$ROOT/load-tests/lib/post.lua" "$GW/v2/models/iris/infer" | grep '^WRK '; }
BODY_FILE="$REQ" wrk -t1 -c"$CONNECTIONS" -d2s --timeout 5s -s "$ROOT/load-tests/lib/post.lua" "$GW/v2/models/iris/infer" >/dev/null
STEADY=$(run_wrk)
run_wrk >"$WORK/rollout.wrk" &
WRK_PID=$!
sleep 3
t0=$(date +%s.%N)
curl -sf "${auth[@]}" -H 'Content-Type: application/merge-patch+json' -X PATCH "$GW/models/iris" -d '{"image": "iris:2"}' >/dev/null
until only_revision 2; do
  kill -0 "$WRK_PID" 2>/dev/null || { echo "the rollout did not finish within the ${DURATION}s run" >&2; exit 1; }
  sleep 0.1
done
t1=$(date +%s.%N)
wait "$WRK_PID"
WRK_PID=""
ROLLOUT=$(cat "$WORK/rollout.wrk")
field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }

echo
echo "rollout benchmark: iris, $REPLICAS replica(s), $CONNECTIONS keep-alive connections, ${DURATION}s per run, $(nproc) cores shared by wrk, gateway and replicas"
printf '%-8s | %9s %9s %9s %9s %7s %7s\n' "run" "req/s" "p50 ms" "p99 ms" "requests" "errors" "non2xx"
for run in steady rollout; do
  line=$STEADY; [[ $run == rollout ]] && line=$ROLLOUT
  printf '%-8s | %9.0f %9.3f %9.3f %9s %7s %7s\n' "$run" "$(field "$line" rps)" "$(field "$line" p50_ms)" \
    "$(field "$line" p99_ms)" "$(field "$line" requests)" "$(field "$line" errors)" "$(field "$line" non2xx)"
done
printf 'PATCH to only revision 2 left: %.1f s\n' "$(echo "$t1 - $t0" | bc -l)"
