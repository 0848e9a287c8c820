#!/usr/bin/env bash
# Pack benchmark: a model directory with a 100 MB weights file is packed, then repacked after a one-line
# code change, by modelgate and by buildah (the same content as a Dockerfile, pushed to an OCI layout) in
# the same run. Prints both times and the ratios.
#
#   load-tests/pack-bench.sh [--weights-mb N] [--runs N]
#
# Needs root for buildah (installed with apt-get when missing).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/common.sh"
ROOT="$LT_ROOT"
opt weights-mb WEIGHTS_MB 100 "size of the weights file"
opt runs RUNS 3 "runs; the median is reported"
parse_opts "$@"
need bc
need buildah

WORK="$(mktemp -d /var/tmp/pack-bench.XXXXXX)"
cleanup() {
  buildah --root "$WORK/storage" --runroot "$WORK/run" rm --all >/dev/null 2>&1 || true
  umount -R "$WORK/storage" 2>/dev/null || true
  rm -rf "$WORK"
}
on_exit cleanup

# Build the CLI first so its compile time is not measured.
"$ROOT/modelgate" --version >/dev/null

MODEL="$WORK/model"
mkdir -p "$MODEL/server" "$MODEL/vendor" "$MODEL/weights"
cat > "$MODEL/model.yaml" <<'YAML'
name: bench
version: "1"
server:
  type: command
  command: [python3, server/serve.py]
  port: 8080
layers:
  dependencies: ["vendor/**"]
  server: ["server/**"]
YAML
printf 'import predict\nprint("serving")\n' > "$MODEL/server/serve.py"
for i in $(seq 1 50); do printf 'CONST_%d = %d\n' "$i" "$i" > "$MODEL/vendor/mod_$i.py"; done
printf 'def predict(x):\n    return x\n' > "$MODEL/predict.py"
head -c "$((WEIGHTS_MB * 1024 * 1024))" /dev/urandom > "$MODEL/weights/model.bin"
cat > "$MODEL/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY vendor/ /model/vendor/
COPY server/ /model/server/
COPY model.yaml predict.py /model/
COPY weights/model.bin /model/weights/model.bin
WORKDIR /model
ENV PORT=8080
ENTRYPOINT ["python3", "server/serve.py"]
DOCKERFILE
printf 'Dockerfile\n' > "$MODEL/.modelignore"
printf 'Dockerfile\n' > "$MODEL/.dockerignore"

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

driver=overlay
buildah_cmd() { buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver "$driver" "$@"; }
if ! buildah_cmd images >/dev/null 2>&1; then driver=vfs; fi

declare -a MG_FIRST MG_RE BU_FIRST BU_RE
for run in $(seq 1 "$RUNS"); do
  printf 'def predict(x):\n    return x\n' > "$MODEL/predict.py"
  rm -rf "$WORK/home" "$WORK/oci"
  buildah_cmd rmi --all --force >/dev/null 2>&1 || true
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true

  t0=$(now); "$ROOT/modelgate" --home "$WORK/home" pack -q "$MODEL" >/dev/null; t1=$(now)
  MG_FIRST+=("$(elapsed "$t0" "$t1")")
  sync  # each step starts with no other step's writes still in flight
  t0=$(now)
  buildah_cmd bud --quiet --layers -t bench:1 "$MODEL" >/dev/null 2>&1
  buildah_cmd push --quiet bench:1 "oci:$WORK/oci:1" >/dev/null 2>&1
  t1=$(now)
  BU_FIRST+=("$(elapsed "$t0" "$t1")")

  printf 'def predict(x):\n    return x + %d\n' "$run" > "$MODEL/predict.py"
  sync
  t0=$(now); "$ROOT/modelgate" --home "$WORK/home" pack -q "$MODEL" >/dev/null; t1=$(now)
  MG_RE+=("$(elapsed "$t0" "$t1")")
  sync
  t0=$(now)
  buildah_cmd bud --quiet --layers -t bench:1 "$MODEL" >/dev/null 2>&1
  buildah_cmd push --quiet bench:1 "oci:$WORK/oci:1" >/dev/null 2>&1
  t1=$(now)
  BU_RE+=("$(elapsed "$t0" "$t1")")
  echo "run $run: modelgate first ${MG_FIRST[-1]} s, repack ${MG_RE[-1]} s; buildah first ${BU_FIRST[-1]} s, rebuild ${BU_RE[-1]} s" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mf=$(median "${MG_FIRST[@]}"); mr=$(median "${MG_RE[@]}")
bf=$(median "${BU_FIRST[@]}"); br=$(median "${BU_RE[@]}")
echo
echo "pack benchmark: ${WEIGHTS_MB} MB weights + 52 small files, median of $RUNS runs, $(nproc) cores, buildah $(buildah --version | awk '{print $3}') ($driver)"
printf '%-34s %10s %10s\n' "" "modelgate" "buildah"
printf '%-34s %9.2fs %9.2fs\n' "first build (to an OCI layout)" "$mf" "$bf"
printf '%-34s %9.2fs %9.2fs\n' "rebuild after a one-line change" "$mr" "$br"
printf 'first build, buildah / modelgate:      %.2fx\n' "$(echo "$bf / $mf" | bc -l)"
printf 'modelgate first build / its rebuild:   %.1fx\n' "$(echo "$mf / $mr" | bc -l)"
printf 'buildah first build / its rebuild:     %.1fx\n' "$(echo "$bf / $br" | bc -l)"
