#!/usr/bin/env bash
# './modelgate demo': starts the gateway, packs and deploys examples/iris, sends an inference request, prints
# what to try next, and runs until Ctrl-C (which stops the gateway and its replicas).
set -euo pipefail
GATEWAY_JAR="$1"
PORT="$2"
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
URL="http://127.0.0.1:$PORT"
mkdir -p "$MODELGATE_HOME"
LOG="$MODELGATE_HOME/gateway.log"

echo "==> starting the gateway on port $PORT (state in $MODELGATE_HOME, log in $LOG)"
java ${MODELGATE_JAVA_OPTS:-} -jar "$GATEWAY_JAR" >"$LOG" 2>&1 &
GW=$!
stop() {
  trap - EXIT INT TERM
  echo
  echo "==> stopping the gateway (it stops its replicas)"
  kill -TERM "$GW" 2>/dev/null || true
  wait "$GW" 2>/dev/null || true
}
trap stop EXIT INT TERM
for _ in $(seq 1 300); do
  curl -sf -o /dev/null "$URL/q/openapi" && break
  if ! kill -0 "$GW" 2>/dev/null; then
    echo "the gateway did not start; its log:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  sleep 0.2
done
TOKEN="${MODELGATE_TOKEN:-$(cat "$MODELGATE_HOME/token")}"

echo "==> packing examples/iris"
"$ROOT/modelgate" pack "$ROOT/examples/iris"

echo "==> deploying it: POST /models"
status=$(curl -s -o "$MODELGATE_HOME/deploy.json" -w '%{http_code}' -X POST "$URL/models" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"name": "iris", "image": "iris:1", "minReplicas": 1, "maxReplicas": 2}')
case "$status" in
  202) echo "accepted" ;;
  409) echo "already deployed (the gateway keeps deployments across restarts)" ;;
  *) echo "POST /models answered $status:" >&2; cat "$MODELGATE_HOME/deploy.json" >&2; exit 1 ;;
esac

echo "==> asking for predictions: POST /v2/models/iris/infer"
for _ in $(seq 1 120); do
  status=$(curl -s -o "$MODELGATE_HOME/infer.json" -w '%{http_code}' -X POST "$URL/v2/models/iris/infer" \
    -H 'Content-Type: application/json' -d @"$ROOT/examples/iris/request.json" || true)
  [[ "$status" == 200 ]] && break
  sleep 0.5
done
if [[ "$status" != 200 ]]; then
  echo "no prediction after 60 s (last answer $status); the gateway's log is $LOG" >&2
  exit 1
fi
cat "$MODELGATE_HOME/infer.json"
echo

if [[ -n "${MODELGATE_INFERENCE_PORT:-}" ]]; then
  FAST="  curl -s -X POST http://127.0.0.1:$MODELGATE_INFERENCE_PORT/v2/models/iris/infer -d @examples/iris/request.json   # the inference port"
else
  FAST="  (--inference-port 8081 serves inference on a port of its own too: the gateway's fastest path)"
fi
cat <<NEXT

The gateway serves iris from a container it started. Try:

  curl -s -X POST $URL/v2/models/iris/infer -d @examples/iris/request.json
  curl -s -H "Authorization: Bearer $TOKEN" $URL/models/iris
  curl -s $URL/q/metrics | grep '^modelgate_'
  curl -s $URL/q/openapi                # the API; Swagger UI at $URL/q/swagger-ui
  sudo ./modelgate ps                   # the replicas, as containers
$FAST

The management token is in $MODELGATE_HOME/token. Press Ctrl-C to stop.
NEXT
wait "$GW"
