#!/usr/bin/env bash
# Copies the plots of a 'load-tests/run all' result into load-tests/figures/, where the README's performance section
# shows them from (PNG files of a few tens of kB; the rest of a result stays out of the repository).
#   load-tests/lib/publish.sh load-tests/results/all-TIME
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"
RESULT="${1:-}"
[[ -f "$RESULT/report.md" ]] || die "usage: $0 RESULT_DIR (a load-tests/run all result, with its report.md)"
mkdir -p "$LT_DIR/figures"
for part in spike from-zero; do
  for plot in latency throughput replicas; do
    [[ -f "$RESULT/$part/$plot.png" ]] && cp "$RESULT/$part/$plot.png" "$LT_DIR/figures/$part-$plot.png"
  done
done
cp "$RESULT/report.md" "$LT_DIR/figures/report.md"
# plots beside it under their new names; the CSV files stay with the result, so their links become plain names
sed -i -e "s#](\([a-z-]*\)/\(latency\|throughput\|replicas\)\.png)#](\1-\2.png)#g" \
       -e "s#\[\([^]]*\)\](\([a-z-]*\)/[a-z.-]*\.\(csv\|txt\|yaml\))#\1#g" \
       -e "s#$LT_ROOT/##g" "$LT_DIR/figures/report.md"
ls -l "$LT_DIR/figures"
