#!/usr/bin/env bash
# What UDP GSO would save on the emulated network: the machine's CPU seconds (all processes, softirq included, from
# /proc/stat) to move the same bytes from worker 0 to the aggregator namespace through the shaped link, paced at
# 90 % of the link rate, as jumbo-frame datagrams (8972 bytes) sent one per sendto, or K per sendto with UDP_SEGMENT
# (the kernel splits them; the receiver sees the same datagrams). The receiver is the same in every row, so the
# difference is the sending side and the path (veth, bridge, token bucket). Root only; builds and removes the
# namespaces itself (bench/emu/netns.sh). Every transfer is bounded in bytes and time.
# Usage: bench/emu/gso-probe.sh [--segments 1,2,4,7] [--mb 300] [--repeat 2]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
segments=1,2,4,7 mb=300 repeat=2
while [[ $# -gt 0 ]]; do
    case "$1" in
        --segments) segments="$2"; shift 2 ;;
        --mb) mb="$2"; shift 2 ;;
        --repeat) repeat="$2"; shift 2 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "gso-probe.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $(id -u) -eq 0 ]] || { echo "gso-probe.sh: needs root (network namespaces)" >&2; exit 2; }
# shellcheck source=netns.sh
source "${here}/netns.sh"
tmp="$(mktemp -d)"
trap 'emu_down > /dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
emu_up 1 > /dev/null
port=5301

cat > "${tmp}/receive.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(2.0)
buf = bytearray(65536)
count = total = 0
try:
    while True:
        total += s.recv_into(buf)
        count += 1
except socket.timeout:
    pass
print("%d %d" % (count, total))
PY
cat > "${tmp}/send.py" <<'PY'
import socket, sys, time
UDP_SEGMENT = 103  # linux/udp.h
dst, port, k, mb, bits_per_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
bytes_per_s = 0.9 * bits_per_s / 8
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
if k > 1:
    s.setsockopt(socket.SOL_UDP, UDP_SEGMENT, 8972)
payload = bytes(8972 * k)
sent, start = 0, time.perf_counter()
while sent < mb * 1e6:
    ahead = start + sent / bytes_per_s - time.perf_counter()
    if ahead > 0.0005:
        time.sleep(ahead)
    s.sendto(payload, (dst, port))
    sent += len(payload)
PY
rate_bps="$(awk -v r="$EMU_RATE" 'BEGIN { n = r + 0; u = r; sub(/^[0-9.]+/, "", u)
    m = (u == "gbit") ? 1e9 : (u == "mbit") ? 1e6 : (u == "kbit") ? 1e3 : 1; printf "%.0f", n * m }')"
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

hz="$(getconf CLK_TCK)"
echo "segments_per_send,datagrams_received,mb_received,cpu_s"
for ((r = 1; r <= repeat; r++)); do
    IFS=',' read -r -a list <<< "$segments"
    for k in "${list[@]}"; do
        ip netns exec "${EMU_PREFIX}-agg" timeout 120 /usr/bin/python3 "${tmp}/receive.py" "$EMU_AGG_ADDR" "$port" \
            > "${tmp}/received" &
        receiver=$!
        sleep 0.5
        before="$(busy_ticks)"
        ip netns exec "$(emu_worker_ns 0)" timeout 120 /usr/bin/python3 "${tmp}/send.py" "$EMU_AGG_ADDR" "$port" "$k" \
            "$mb" "$rate_bps"
        after="$(busy_ticks)"
        wait "$receiver"
        read -r count total < "${tmp}/received"
        awk -v k="$k" -v c="$count" -v t="$total" -v d="$((after - before))" -v hz="$hz" \
            'BEGIN { printf "%d,%d,%.0f,%.2f\n", k, c, t / 1e6, d / hz }'
    done
done
