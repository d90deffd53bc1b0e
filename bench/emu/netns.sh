#!/usr/bin/env bash
# The emulated network of bench/emu (sourced by run-emu.sh; also runnable: netns.sh up N | down | show).
#
#                       inabench-sw (bridge br0, MTU 9000)
#              /             |               |                 \
#   s-agg (no shaping)   s-w0 [tbf]      s-w1 [tbf]   ...   s-w{N-1} [tbf]
#        |                   |               |                   |
#   inabench-agg        inabench-w0     inabench-w1   ...   inabench-w{N-1}
#   eth0 10.232.0.100   eth0 [tbf]      eth0 [tbf]          eth0 [tbf]
#                       10.232.0.10     10.232.0.11         10.232.0.(10+N-1)
#
# Every worker's link is a token bucket of EMU_RATE (default 1gbit) in both directions: egress of the worker's
# eth0 (up) and egress of the bridge port toward it (down). The aggregator's link is not shaped, as a switch's
# own port would not be. Addresses are in 10.232.0.0/24 (the library's tests use 10.231.0.x) and the namespaces
# have no route anywhere else. Root only.
set -euo pipefail

EMU_PREFIX="${EMU_PREFIX:-inabench}"
EMU_SUBNET="${EMU_SUBNET:-10.232.0}"
EMU_RATE="${EMU_RATE:-1gbit}"
EMU_BURST="${EMU_BURST:-64kb}"
EMU_LATENCY="${EMU_LATENCY:-20ms}"
EMU_MTU="${EMU_MTU:-9000}"
EMU_AGG_ADDR="${EMU_SUBNET}.100"

emu_worker_ns() { echo "${EMU_PREFIX}-w$1"; }
emu_worker_addr() { echo "${EMU_SUBNET}.$((10 + $1))"; }

# All namespaces of ours that exist now.
emu_list()
{
    ip netns list 2> /dev/null | awk '{ print $1 }' | grep -E "^${EMU_PREFIX}-(sw|agg|w[0-9]+)$" || true
}

emu_down()
{
    local ns
    for ns in $(emu_list); do
        # Processes left in a namespace (a run cut short) would keep it alive: end them first (only ours: the
        # namespace holds nothing else).
        local pids
        pids="$(ip netns pids "$ns" 2> /dev/null || true)"
        if [[ -n "$pids" ]]; then
            kill $pids 2> /dev/null || true
            sleep 0.5
            kill -9 $pids 2> /dev/null || true
        fi
        ip netns del "$ns" 2> /dev/null || true
    done
}

# emu_link NS IFNAME ADDR SHAPED(0|1): a veth from the bridge (port s-<suffix>) into NS as IFNAME.
emu_link()
{
    local ns="$1" port="$2" addr="$3" shaped="$4"
    local sw="${EMU_PREFIX}-sw"
    ip netns add "$ns"
    ip -n "$sw" link add "$port" mtu "$EMU_MTU" type veth peer name eth0 mtu "$EMU_MTU" netns "$ns"
    ip -n "$sw" link set "$port" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "${addr}/24" dev eth0
    ip -n "$ns" link set eth0 up
    # Room to reassemble fragmented 64 KiB datagrams from many senders (per namespace; default 4 MiB).
    ip netns exec "$ns" sysctl -q -w net.ipv4.ipfrag_high_thresh=67108864 net.ipv4.ipfrag_low_thresh=50331648
    if [[ "$shaped" == 1 ]]; then
        tc -n "$ns" qdisc add dev eth0 root tbf rate "$EMU_RATE" burst "$EMU_BURST" latency "$EMU_LATENCY"
        tc -n "$sw" qdisc add dev "$port" root tbf rate "$EMU_RATE" burst "$EMU_BURST" latency "$EMU_LATENCY"
    fi
}

# emu_up N: the switch, the aggregator and N workers (an earlier network of ours is removed first).
emu_up()
{
    local n="$1" r
    if (( n < 1 || n > 64 )); then
        echo "netns.sh: 1 to 64 workers" >&2
        return 2
    fi
    emu_down
    local sw="${EMU_PREFIX}-sw"
    ip netns add "$sw"
    ip -n "$sw" link set lo up
    ip -n "$sw" link add br0 mtu "$EMU_MTU" type bridge
    ip -n "$sw" link set br0 up
    emu_link "${EMU_PREFIX}-agg" s-agg "$EMU_AGG_ADDR" 0
    for ((r = 0; r < n; r++)); do
        emu_link "$(emu_worker_ns "$r")" "s-w${r}" "$(emu_worker_addr "$r")" 1
    done
    # The bridge must forward at once (no STP learning delay).
    ip -n "$sw" link set br0 type bridge forward_delay 0 stp_state 0
    for ((r = 0; r < n; r++)); do
        ip netns exec "$(emu_worker_ns "$r")" ping -c 1 -W 2 "$EMU_AGG_ADDR" > /dev/null ||
            { echo "netns.sh: ${EMU_PREFIX}-w${r} cannot reach the aggregator" >&2; return 1; }
    done
}

emu_show()
{
    local ns
    for ns in $(emu_list); do
        echo "== $ns"
        ip -n "$ns" -br addr show
        tc -n "$ns" qdisc show | grep tbf || true
    done
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    case "${1:-}" in
        up) emu_up "${2:-4}" ;;
        down) emu_down ;;
        show) emu_show ;;
        *) echo "usage: netns.sh up N | down | show   (env EMU_RATE, EMU_BURST, EMU_LATENCY, EMU_MTU)" >&2; exit 2 ;;
    esac
fi
