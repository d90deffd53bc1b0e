#!/usr/bin/env bash
# All-reduce over an emulated network: N worker namespaces with 1 Gbit/s links (tc tbf, both directions) to a
# bridge, and an aggregator namespace on an unshaped link (bench/emu/netns.sh draws it). Runs
#   ina:  bench/bin/ina-bench aggregator in inabench-agg, one `ina-bench worker` per worker namespace (rank 0
#         writes the CSV), once per --epp value (auto = 64 KiB datagrams, IP-fragmented to the 9000 MTU; jumbo =
#         the most elements of each codec that fit one 9000-byte frame, e.g. 2235 for FP32, 8940 for INT8_NARROW;
#         or a number);
#   gloo: one /usr/bin/python3 gloo_allreduce.py per worker namespace, rank 0's address as the rendezvous;
#   frag: iperf3 UDP from w0 to the aggregator at 8972- and 65000-byte datagrams, paced at 95 % of the link rate
#         and offered at 2x (overload), to show what IP fragmentation does under the token bucket.
#         It runs last: after its overload the first INA case measured 10-14x slower (FP32 4 KiB 6.2 ms against
#         0.34-0.44 ms, 1 MiB 2.4x), with no loss, for minutes.
# The namespaces are removed at exit (trap), every process runs under `timeout`, and traffic stays inside the
# namespaces (10.232.0.0/24). Root only. Output files in --out: emu-ina.csv, emu-gloo.csv, emu-frag.csv.
# Usage: bench/emu/run-emu.sh [--workers N] [--sizes LIST] [--systems ina,gloo,frag] [--codecs LIST]
#            [--epp auto[,jumbo]] [--window W] [--iterations N] [--warmup N] [--max-seconds S] [--rate 1gbit]
#            [--burst 64kb] [--latency 20ms] [--mtu 9000] [--label emu-1gbit] [--out DIR] [--ina-bench PATH]
#            [--time-limit S] [--caller-runs] [--busy-poll]
#   --caller-runs, --busy-poll: passed to every INA worker (--busy-poll also to the aggregator); the label gets
#            "-callerruns" / "-busypoll" appended.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench="$(cd "${here}/.." && pwd)"
workers=4 sizes=4KiB,64KiB,1MiB,16MiB,64MiB systems=ina,gloo,frag codecs=FP32,FIXED32 epps=auto window=8
ina_opts=() agg_opts=() iterations="" warmup=3 max_seconds=10 label=emu-1gbit out="${bench}/results/data" ina="${bench}/bin/ina-bench"
time_limit=1800 port_base=47300
while [[ $# -gt 0 ]]; do
    case "$1" in
        --workers) workers="$2"; shift 2 ;;
        --sizes) sizes="$2"; shift 2 ;;
        --systems) systems="$2"; shift 2 ;;
        --codecs) codecs="$2"; shift 2 ;;
        --epp) epps="$2"; shift 2 ;;
        --window) window="$2"; shift 2 ;;
        --iterations) iterations="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --max-seconds) max_seconds="$2"; shift 2 ;;
        --rate) export EMU_RATE="$2"; shift 2 ;;
        --burst) export EMU_BURST="$2"; shift 2 ;;
        --latency) export EMU_LATENCY="$2"; shift 2 ;;
        --mtu) export EMU_MTU="$2"; shift 2 ;;
        --label) label="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --ina-bench) ina="$2"; shift 2 ;;
        --time-limit) time_limit="$2"; shift 2 ;;
        --caller-runs) ina_opts+=(--caller-runs); shift ;;
        --busy-poll) ina_opts+=(--busy-poll); agg_opts+=(--busy-poll); shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "run-emu.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [[ $(id -u) -ne 0 ]]; then
    echo "run-emu.sh: needs root (network namespaces, tc)" >&2
    exit 2
fi
source "${here}/netns.sh"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
logs="$(mktemp -d "${TMPDIR:-/tmp}/ina-emu.XXXXXX")"
started=$SECONDS
bg_pids=()
cleanup()
{
    local pid
    for pid in ${bg_pids[@]+"${bg_pids[@]}"}; do
        kill "$pid" 2> /dev/null || true
    done
    for pid in ${bg_pids[@]+"${bg_pids[@]}"}; do
        wait "$pid" 2> /dev/null || true
    done
    emu_down
    rm -rf "$logs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "[emu $(date +%H:%M:%S)] $*" >&2; }
# Seconds left of --time-limit (at least 30, so that a started step can end cleanly).
left() { local l=$((time_limit - (SECONDS - started))); echo $((l > 30 ? l : 30)); }

emu_up "$workers"
say "network up: ${workers} workers at ${EMU_RATE} (tbf burst ${EMU_BURST}, latency ${EMU_LATENCY}), MTU ${EMU_MTU}"

# Link rate in bit/s from tc's notation (1gbit, 500mbit, 100kbit, ...).
rate_bps="$(awk -v r="${EMU_RATE,,}" 'BEGIN {
    n = r + 0; u = r; sub(/^[0-9.]+/, "", u)
    m = (u == "gbit") ? 1e9 : (u == "mbit") ? 1e6 : (u == "kbit") ? 1e3 : (u == "bit" || u == "") ? 1 : -1
    if (m < 0) { exit 1 } printf "%.0f", n * m }')" ||
    { echo "run-emu.sh: cannot read --rate ${EMU_RATE}" >&2; exit 2; }

frag_check()
{
    local csv="${out}/emu-frag.csv" size pace port
    echo "tool,datagram_bytes,gbit_per_s,loss_pct,latency_us" > "$csv"
    for size in 8972 65000; do
        for pace in 95 200; do
            port=$((port_base + 90))
            ip netns exec "${EMU_PREFIX}-agg" timeout 30 iperf3 -s -1 -B "$EMU_AGG_ADDR" -p "$port" \
                > /dev/null 2>&1 &
            local server=$!
            bg_pids+=("$server")
            sleep 0.7
            ip netns exec "$(emu_worker_ns 0)" timeout 30 iperf3 -c "$EMU_AGG_ADDR" -p "$port" -u \
                -b "$((rate_bps * pace / 100))" -w 8M -l "$size" -t 4 --json 2> /dev/null > "${logs}/frag.json" || true
            wait "$server" 2> /dev/null || true
            /usr/bin/python3 - "${logs}/frag.json" "$size" "$pace" >> "$csv" <<'PY' || true
import json, sys
rx = json.load(open(sys.argv[1]))["end"]["sum_received"]
tool = "iperf3-emu-paced-95pct" if sys.argv[3] == "95" else "iperf3-emu-offered-2x"
print("%s,%s,%.3f,%.2f," % (tool, sys.argv[2], rx["bits_per_second"] / 1e9, rx["lost_percent"]))
PY
            tail -1 "$csv" | sed 's/^/[emu] frag: /' >&2
        done
    done
}

# wait_ready LOG SECONDS: until the aggregator printed "ready".
wait_ready()
{
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        grep -q '^ready' "$1" 2> /dev/null && return 0
        sleep 0.1
    done
    return 1
}

run_ina()  # epp
{
    local epp="$1" tag csv port job r rc=0 agg_timeout agg_pid
    [[ -x "$ina" ]] || { echo "run-emu.sh: ${ina} not found" >&2; return 2; }
    tag="$label"
    [[ "$epp" == jumbo ]] && tag="${label}-jumbo"
    [[ "$epp" != auto && "$epp" != jumbo ]] && tag="${label}-epp${epp}"
    [[ " ${ina_opts[*]-} " == *" --caller-runs "* ]] && tag="${tag}-callerruns"
    [[ " ${ina_opts[*]-} " == *" --busy-poll "* ]] && tag="${tag}-busypoll"
    csv="${out}/emu-ina-${tag}.csv"
    port=$((port_base + RANDOM % 50))
    job=$((100 + RANDOM % 1000))
    local limit
    limit="$(left)"
    ip netns exec "${EMU_PREFIX}-agg" timeout --kill-after=10 "$limit" "$ina" aggregator --bind "$EMU_AGG_ADDR" \
        --port "$port" --threads 1 ${agg_opts[@]+"${agg_opts[@]}"} < /dev/null > "${logs}/agg.log" 2>&1 &
    agg_timeout=$!
    bg_pids+=("$agg_timeout")
    if ! wait_ready "${logs}/agg.log" 60; then
        say "aggregator did not start:"; cat "${logs}/agg.log" >&2
        kill "$agg_timeout" 2> /dev/null || true
        return 1
    fi
    agg_pid="$(pgrep -P "$agg_timeout" | head -1 || true)"
    local case_args=(--world "$workers" --job "$job" --sizes "$sizes" --codecs "$codecs" --epp "$epp"
                     --window "$window" --warmup "$warmup" --label "$tag" --max-seconds "$((limit - 20))"
                     ${ina_opts[@]+"${ina_opts[@]}"})
    [[ -n "$iterations" ]] && case_args+=(--iterations "$iterations")
    local pids=()
    for ((r = workers - 1; r >= 0; r--)); do
        local extra=()
        if [[ $r -eq 0 ]]; then
            extra=(--csv "$csv")
            [[ -n "$agg_pid" ]] && extra+=(--aggregator-pid "$agg_pid")
        fi
        ip netns exec "$(emu_worker_ns "$r")" timeout --kill-after=10 "$limit" "$ina" worker \
            --aggregator "${EMU_AGG_ADDR}:${port}" --rank "$r" "${case_args[@]}" ${extra[@]+"${extra[@]}"} \
            < /dev/null > "${logs}/ina-w${r}.log" 2> "${logs}/ina-w${r}.err" &
        pids+=($!)
        bg_pids+=($!)
    done
    say "ina (epp ${epp}): aggregator ${EMU_AGG_ADDR}:${port} pid ${agg_pid:-?}, ${workers} workers, job ${job}"
    for r in "${pids[@]}"; do
        wait "$r" || rc=$?
    done
    kill -TERM "$agg_timeout" 2> /dev/null || true
    wait "$agg_timeout" 2> /dev/null || true
    grep -h '^\[ina-bench\]' "${logs}/ina-w0.err" >&2 || true
    if [[ $rc -ne 0 ]]; then
        say "ina (epp ${epp}) failed (exit ${rc}); rank logs:"
        tail -n 5 "${logs}"/ina-w*.err >&2 || true
    fi
    [[ -f "$csv" ]] && say "ina rows: ${csv}"
    return "$rc"
}

run_gloo()
{
    local csv="${out}/emu-gloo-${label}.csv" port=$((port_base + 60 + RANDOM % 30)) r rc=0 limit
    limit="$(left)"
    local args=(--world "$workers" --master-addr "$(emu_worker_addr 0)" --master-port "$port" --ifname eth0
                --sizes "$sizes" --warmup "$warmup" --max-seconds "$max_seconds" --label "$label"
                --iterations "${iterations:-20}" --min-iterations 3)
    local pids=()
    for ((r = workers - 1; r >= 0; r--)); do
        local extra=()
        [[ $r -eq 0 ]] && extra=(--csv "$csv")
        ip netns exec "$(emu_worker_ns "$r")" timeout --kill-after=10 "$limit" /usr/bin/python3 \
            "${bench}/peers/gloo_allreduce.py" --rank "$r" "${args[@]}" ${extra[@]+"${extra[@]}"} \
            < /dev/null > "${logs}/gloo-w${r}.log" 2>&1 &
        pids+=($!)
        bg_pids+=($!)
    done
    say "gloo: rendezvous $(emu_worker_addr 0):${port}, ${workers} workers"
    for r in "${pids[@]}"; do
        wait "$r" || rc=$?
    done
    grep -h '^\[gloo' "${logs}/gloo-w0.log" >&2 || true
    if [[ $rc -ne 0 ]]; then
        say "gloo failed (exit ${rc}):"
        tail -n 5 "${logs}"/gloo-w*.log >&2 || true
    fi
    [[ -f "$csv" ]] && say "gloo rows: ${csv}"
    return "$rc"
}

status=0
IFS=',' read -r -a steps <<< "$systems"
for step in "${steps[@]}"; do
    case "$step" in
        frag) frag_check || status=1 ;;
        ina)
            IFS=',' read -r -a epp_list <<< "$epps"
            for epp in "${epp_list[@]}"; do
                run_ina "$epp" || status=1
            done ;;
        gloo) run_gloo || status=1 ;;
        *) echo "run-emu.sh: unknown system ${step}" >&2; status=2 ;;
    esac
done
exit "$status"
