#!/usr/bin/env bash
# gpu-check.sh: on a machine with an NVIDIA GPU, a JDK 17+, gcc and root, checks that a container gets working GPUs.
#   1. the host's own `nvidia-smi -L`
#   2. what modelgate's GPU discovery finds (io.modelgate.runtime.gpu.GpuReport: devices, libraries, driver)
#   3. what the gateway's GPU metrics read through NVML (io.modelgate.runtime.gpu.NvmlReport, JNA over
#      libnvidia-ml.so.1): as many GPUs as nvidia-smi lists, each with its memory
#   4. `modelgate run --rm --gpus all busybox:latest nvidia-smi -L`, which must list the host's GPUs: PASS or FAIL
# Usage: runtime-native/gpu-check.sh     (state goes to a temporary --home, removed at the end)
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
step() { printf '\n== %s\n' "$*"; }
fail() { printf '\nFAIL: %s\n' "$*"; exit 1; }

step "host: nvidia-smi -L"
SMI="$(command -v nvidia-smi || true)"
host_gpus=0
if [[ -z "$SMI" ]]; then
  echo "no nvidia-smi on the PATH (is the NVIDIA driver installed?)"
elif "$SMI" -L | tee "$WORK/host.txt"; then
  host_gpus="$(grep -c '^GPU [0-9]' "$WORK/host.txt" || true)"
else
  echo "(the host's nvidia-smi failed: is the nvidia kernel module loaded?)"
fi

step "build (./mvnw -q -B -DskipTests install)"
command -v java >/dev/null || fail "no java: install a JDK 17, e.g. apt-get install -y openjdk-17-jdk-headless"
./mvnw -q -B -DskipTests install || fail "the build failed (it needs gcc and make for runtime-native)"

step "modelgate GPU discovery (io.modelgate.runtime.gpu.GpuReport)"
report=0
java -cp "runtime-native/target/runtime-native.jar:runtime-native/target/lib/*" \
  io.modelgate.runtime.gpu.GpuReport --home "$WORK/home" || report=$?
case "$report" in
  0) ;;
  1) echo "(discovery found no GPU: the run below cannot get one)" ;;
  *) echo "(discovery failed with exit status $report: see the message above)" ;;
esac

step "GPU metrics through NVML (io.modelgate.runtime.gpu.NvmlReport)"
nvml=0
java -cp "runtime-native/target/runtime-native.jar:runtime-native/target/lib/*" \
  io.modelgate.runtime.gpu.NvmlReport | tee "$WORK/nvml.txt" || nvml=$?
nvml_gpus="$(grep -c '^GPU [0-9]' "$WORK/nvml.txt" || true)"
if [[ "$nvml" -ne 0 ]]; then
  fail "NVML read no GPU (exit status $nvml): the gateway would export no GPU metrics"
elif [[ "$host_gpus" -gt 0 && "$nvml_gpus" -ne "$host_gpus" ]]; then
  fail "NVML listed $nvml_gpus GPU(s), nvidia-smi $host_gpus"
fi

step "base image busybox:latest (static busybox + the glibc files nvidia-smi is linked against)"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
if ! "$BUSYBOX" --list >/dev/null 2>&1 && command -v apt-get >/dev/null; then
  apt-get install -y -q busybox-static >/dev/null || true
fi
mkdir -p "$WORK/rootfs"
BUSYBOX="$BUSYBOX" examples/busybox-rootfs.sh | tar -x -C "$WORK/rootfs" || fail "could not make the busybox root filesystem"
# busybox has no C library and nvidia-smi needs glibc; the NVIDIA libraries themselves come from the GPU grant.
if [[ -n "$SMI" ]]; then
  for f in $(ldd "$SMI" | grep -o '/[^ ]*' | grep -v -e libnvidia -e libcuda); do
    cp -L --parents "$f" "$WORK/rootfs/"
  done
fi
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$WORK/rootfs" -cf - . \
  | ./modelgate --home "$WORK/home" import - busybox:latest || fail "modelgate import failed"

step "modelgate run --rm --gpus all busybox:latest nvidia-smi -L"
[[ "$(id -u)" -eq 0 ]] || echo "(not root: modelgate run needs root to make containers)"
rc=0
./modelgate --home "$WORK/home" run --rm --gpus all busybox:latest nvidia-smi -L >"$WORK/run.txt" 2>&1 || rc=$?
cat "$WORK/run.txt"
container_gpus="$(grep -c '^GPU [0-9]' "$WORK/run.txt" || true)"
if grep -qiE "unknown (sub)?command|unmatched argument.*run" "$WORK/run.txt"; then
  fail "this build's CLI has no 'run' command yet (the discovery report above still applies)"
elif [[ "$rc" -ne 0 ]]; then
  fail "modelgate run exited with $rc"
elif [[ "$container_gpus" -eq 0 ]]; then
  fail "the container's nvidia-smi listed no GPU"
elif [[ "$host_gpus" -gt 0 && "$container_gpus" -ne "$host_gpus" ]]; then
  fail "the container saw $container_gpus GPU(s), the host $host_gpus"
fi
printf '\nPASS: the container saw %s GPU(s)\n' "$container_gpus"
