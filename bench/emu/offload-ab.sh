#!/usr/bin/env bash
# UDP GSO/GRO on against off on the emulated network (bench/emu/run-emu.sh): the same INA cases run with the
# offloads on (default) and off (INA_UDP_GSO=false INA_UDP_GRO=false), interleaved, --repeat times, and one CSV
# with a leading "offload,repeat" pair per row, plus datagrams per call (pkts_per_s x mean time). Root only.
# Usage: bench/emu/offload-ab.sh [--repeat 3] [--out DIR] [run-emu.sh options, e.g. --sizes 4MiB --epp 360 --mtu 1500]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repeat=3 out="${here}/../results/data/offload-ab" pass=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --repeat) repeat="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
        *) pass+=("$1"); shift ;;
    esac
done
mkdir -p "$out"
summary="${out}/offload-ab.csv"
first=1
for ((r = 1; r <= repeat; r++)); do
    for mode in on off; do
        dir="${out}/${mode}-${r}"
        rm -rf "$dir"
        if [[ "$mode" == on ]]; then
            INA_UDP_GSO=true INA_UDP_GRO=true "${here}/run-emu.sh" --systems ina --label "offload-${mode}" \
                --out "$dir" ${pass[@]+"${pass[@]}"} >&2
        else
            INA_UDP_GSO=false INA_UDP_GRO=false "${here}/run-emu.sh" --systems ina --label "offload-${mode}" \
                --out "$dir" ${pass[@]+"${pass[@]}"} >&2
        fi
        for csv in "$dir"/emu-ina-*.csv; do
            if [[ $first -eq 1 ]]; then
                echo "offload,repeat,$(head -1 "$csv"),datagrams_per_call" > "$summary"
                first=0
            fi
            # pkts_per_s is column 15, mean_ms column 12 of the ina-bench CSV.
            tail -n +2 "$csv" | awk -F, -v m="$mode" -v r="$r" '{ printf "%s,%s,%s,%.0f\n", m, r, $0, $15 * $12 / 1000 }' \
                >> "$summary"
        done
    done
done
cat "$summary"
