#!/usr/bin/env bash
# Raw UDP ceiling of this host's loopback, the bound INA's datagrams live under.
#   iperf3 -u -b 0 -l SIZE (unpaced, 8 MiB socket buffers) at datagram sizes 1472 (1500 MTU), 8972 (9000 MTU) and
#   65000 (near the loopback maximum): received Gbit/s and loss (tool iperf3-udp), and the offered rate of the
#   sender (tool iperf3-udp-offered, loss empty); one iperf3 TCP stream for reference (tool iperf3-tcp).
#   sockperf ping-pong at 64, 1472 and 8972 bytes: one-way latency (RTT/2) p50, p99 and mean in microseconds
#   (tools sockperf-p50, sockperf-p99, sockperf-avg).
# Only 127.0.0.1 is used. Needs iperf3 and sockperf (bench/peers/install.sh).
# Usage: bench/peers/ceiling.sh [--seconds S] [--sizes 1472,8972,65000] [--csv FILE]
# CSV: tool,datagram_bytes,gbit_per_s,loss_pct,latency_us
set -euo pipefail
seconds=5 sizes=1472,8972,65000 pp_sizes=64,1472,8972 csv=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --sizes) sizes="$2"; shift 2 ;;
        --pingpong-sizes) pp_sizes="$2"; shift 2 ;;
        --csv) csv="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "ceiling.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
for tool in iperf3 sockperf; do
    command -v "$tool" > /dev/null || { echo "ceiling.sh: $tool missing; run bench/peers/install.sh" >&2; exit 2; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/ina-ceiling.XXXXXX")"
server_pid=""
cleanup()
{
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2> /dev/null || true
        wait "$server_pid" 2> /dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
# A free port on 127.0.0.1 (the kernel picks it; the server binds it right after).
free_port()
{
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
rows="${work}/rows.csv"
echo "tool,datagram_bytes,gbit_per_s,loss_pct,latency_us" > "$rows"
limit=$((seconds + 20))

iperf_case()  # datagram_bytes (empty: TCP)
{
    local size="$1" port json
    port="$(free_port)"
    timeout "$limit" iperf3 -s -1 -B 127.0.0.1 -p "$port" > /dev/null 2>&1 &
    server_pid=$!
    sleep 0.5
    json="${work}/iperf-${size:-tcp}.json"
    if [[ -n "$size" ]]; then
        timeout "$limit" iperf3 -c 127.0.0.1 -p "$port" -u -b 0 -w 8M -l "$size" -t "$seconds" --json > "$json"
    else
        timeout "$limit" iperf3 -c 127.0.0.1 -p "$port" -t "$seconds" --json > "$json"
    fi
    wait "$server_pid" 2> /dev/null || true
    server_pid=""
    /usr/bin/python3 - "$json" "$size" >> "$rows" <<'PY'
import json, sys
end = json.load(open(sys.argv[1]))["end"]
size = sys.argv[2]
if size:
    rx, tx = end["sum_received"], end["sum_sent"]
    print("iperf3-udp,%s,%.3f,%.2f," % (size, rx["bits_per_second"] / 1e9, rx["lost_percent"]))
    print("iperf3-udp-offered,%s,%.3f,," % (size, tx["bits_per_second"] / 1e9))
else:
    print("iperf3-tcp,,%.3f,0," % (end["sum_received"]["bits_per_second"] / 1e9))
PY
    tail -n "$([[ -n "$size" ]] && echo 2 || echo 1)" "$rows" | sed 's/^/[ceiling] /' >&2
}

pingpong_case()  # message bytes
{
    local size="$1" port log
    port="$(free_port)"
    timeout "$limit" sockperf server -i 127.0.0.1 -p "$port" > /dev/null 2>&1 &
    server_pid=$!
    sleep 0.5
    log="${work}/pp-${size}.log"
    timeout "$limit" sockperf ping-pong -i 127.0.0.1 -p "$port" -m "$size" -t "$seconds" > "$log" 2>&1
    kill "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
    server_pid=""
    sed 's/\x1b\[[0-9;]*m//g' "$log" | awk -v size="$size" '
        /avg-latency=/ { v = $0; sub(/.*avg-latency=/, "", v); sub(/ .*/, "", v); avg = v }
        /percentile 50.000 =/ { p50 = $NF }
        /percentile 99.000 =/ { p99 = $NF }
        END {
            if (p50 == "") { exit 1 }
            printf "sockperf-p50,%s,,,%s\nsockperf-p99,%s,,,%s\nsockperf-avg,%s,,,%s\n", size, p50, size, p99, size, avg
        }' >> "$rows"
    tail -3 "$rows" | sed 's/^/[ceiling] /' >&2
}

IFS=',' read -r -a udp_sizes <<< "$sizes"
for size in "${udp_sizes[@]}"; do
    iperf_case "$size"
done
iperf_case ""
IFS=',' read -r -a ping_sizes <<< "$pp_sizes"
for size in "${ping_sizes[@]}"; do
    pingpong_case "$size"
done
if [[ -n "$csv" ]]; then
    cp "$rows" "$csv"
else
    cat "$rows"
fi
