#!/usr/bin/env bash
# Gloo all-reduce (torch.distributed, backend gloo) on loopback: N processes on 127.0.0.1, rows in ina-bench's CSV
# format (system gloo). Needs python3-torch (bench/peers/install.sh); runs Debian's /usr/bin/python3.
# Usage: bench/peers/run-gloo.sh [--workers N] [--sizes LIST] [--iterations N] [--warmup N] [--max-seconds S]
#                                [--min-iterations N] [--label TEXT] [--csv FILE] [--timeout S]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "${here}/common.sh"
workers=4 sizes=4KiB,64KiB,1MiB,16MiB,64MiB iterations=100 min_iterations=5 warmup=10 max_seconds=20
label=loopback csv="" timeout_s=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --workers) workers="$2"; shift 2 ;;
        --sizes) sizes="$2"; shift 2 ;;
        --iterations) iterations="$2"; shift 2 ;;
        --min-iterations) min_iterations="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --max-seconds) max_seconds="$2"; shift 2 ;;
        --label) label="$2"; shift 2 ;;
        --csv) csv="$2"; shift 2 ;;
        --timeout) timeout_s="$2"; shift 2 ;;
        -h|--help) sed -n '2,5p' "$0"; echo "${PEER_USAGE_OPTIONS}"
                   echo "  --timeout S        kill the run after S seconds"; exit 0 ;;
        *) echo "run-gloo.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
sizes_to_bytes "$sizes" > /dev/null
n_sizes=$(tr ',' '\n' <<< "$sizes" | grep -c .)
# Bound: per size the warm-up, the budget, and slack for start-up; the caller may pass its own.
: "${timeout_s:=$(awk -v n="$n_sizes" -v m="$max_seconds" 'BEGIN { printf "%d", 60 + n * (3 * m + 30) }')}"
args=(--workers "$workers" --sizes "$sizes" --iterations "$iterations" --min-iterations "$min_iterations"
      --warmup "$warmup" --max-seconds "$max_seconds" --label "$label")
[[ -n "$csv" ]] && args+=(--csv "$csv")
exec timeout --kill-after=10 "$timeout_s" /usr/bin/python3 "${here}/gloo_allreduce.py" "${args[@]}"
