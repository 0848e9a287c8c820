#!/usr/bin/env bash
# load-tests/run all: every benchmark, then the spike and from-zero scenarios, one after the other (each starts and
# stops what it needs), into OUT/NAME/, and one report OUT/report.md holding all their figures and plots.
#   lib/all.sh OUT QUICK     QUICK=1: short settings, so that the whole run stays under 15 minutes on 2 cores
set -uo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"
OUT="$1"
QUICK="$2"
if [[ "$QUICK" == 1 ]]; then
  PARTS=("pack --runs 2" "container-start --runs 5" "server --seconds 5" "gateway --seconds 5 --rounds 1"
         "rollout --seconds 10" "spike --before 15 --spike-seconds 20 --after 35" "from-zero")
else
  PARTS=("pack" "container-start" "server" "gateway" "rollout" "spike" "from-zero")
fi
T0=$(date +%s)
declare -a DONE=()
for part in "${PARTS[@]}"; do
  name="${part%% *}"
  t=$(date +%s)
  # shellcheck disable=SC2086
  if "$LT_DIR/run" $part --out "$OUT/$name" > "$OUT/$name.log" 2>&1; then status=ok; else status="FAILED (exit $?; see $name.log)"; fi
  DONE+=("$name|$status|$(( $(date +%s) - t ))|load-tests/run $part")
  log "all: $name: $status in $(( $(date +%s) - t )) s"
done
TOTAL=$(( $(date +%s) - T0 ))
# key_lines PART REGEX: the lines of a part's output (or report) that carry its figures, prefixed with the part.
key_lines() {
  local f="$OUT/$1/output.txt"
  [[ -f "$f" ]] || f="$OUT/$1/report.md"
  [[ -f "$f" ]] || { echo "$1: no result"; return; }
  grep -E "$2" "$f" | sed -e 's/^ *//' -e "s/^/$1: /" -e 's/Cold start: .*The first/The first/' || echo "$1: no figures found"
}

{
  echo "# modelgate benchmarks"
  echo
  echo "Machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ { print $2 }') GiB memory," \
    "$(uname -sr); modelgate $(git -C "$LT_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo
  echo "Command: \`load-tests/run all$([[ "$QUICK" == 1 ]] || echo ' --quick 0')\`, ${TOTAL} s in all$([[ "$QUICK" == 1 ]] && echo \
    ' (short settings: pack 2 runs, 5 container starts, 5 s per server and gateway measurement and one gateway round, 10 s per rollout run, a shorter spike; run each part alone, as listed, for the full settings)')."
  echo
  echo "| part | result | seconds | command |"
  echo "|---|---|---:|---|"
  for d in "${DONE[@]}"; do IFS='|' read -r n s sec cmd <<<"$d"; echo "| [$n](#$n) | $s | $sec | \`$cmd\` |"; done
  echo
  echo "## Figures"
  echo
  echo "The headline lines of each part (details, tables and plots below):"
  echo
  echo '```'
  key_lines pack 'first build|rebuild after|buildah / modelgate'
  key_lines container-start 'first start|ready on the published|server process start'
  key_lines server '^(model|iris|mlp) '
  key_lines gateway 'gateway adds|by round|cold start|^(path|direct|gateway|main|nginx) '
  key_lines rollout '^(run|steady|rollout) |^PATCH to'
  key_lines spike '^- (PASS|FAIL)'
  key_lines from-zero '^- (PASS|FAIL)|^- (all requests|the requests of the first second)|first replica was ready'
  echo '```'
  echo
  for d in "${DONE[@]}"; do
    IFS='|' read -r n s sec cmd <<<"$d"
    echo "<a id=\"$n\"></a>"
    echo
    if [[ -f "$OUT/$n/report.md" ]]; then
      # one level down in headings; images and files relative to this report
      sed -e 's/^#/##/' -e "s#](\([a-z0-9-]*\.\(png\|csv\|txt\|yaml\)\))#]($n/\1)#g" "$OUT/$n/report.md"
    else
      echo "## $n: $s"
      echo
      echo '```'
      tail -20 "$OUT/$n.log"
      echo '```'
    fi
    echo
  done
} > "$OUT/report.md"
echo "report: $OUT/report.md (${TOTAL} s)"
