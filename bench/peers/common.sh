#!/usr/bin/env bash
# Shared by the peer runners (sourced): size parsing and the option defaults that run-gloo.sh and run-mpi.sh share.

# to_bytes 4KiB -> 4096 (K/KB/KiB = 1024, M/MB/MiB = 1024^2, G/GB/GiB = 1024^3, plain numbers are bytes).
to_bytes()
{
    local text="${1^^}" number unit
    if [[ ! "$text" =~ ^([0-9]+)([A-Z]*)$ ]]; then
        echo "bad size: $1" >&2
        return 1
    fi
    number="${BASH_REMATCH[1]}"
    unit="${BASH_REMATCH[2]}"
    case "$unit" in
        ""|B) echo "$number" ;;
        K|KB|KIB) echo $((number * 1024)) ;;
        M|MB|MIB) echo $((number * 1024 * 1024)) ;;
        G|GB|GIB) echo $((number * 1024 * 1024 * 1024)) ;;
        *) echo "bad size unit: $1" >&2; return 1 ;;
    esac
}

# sizes_to_bytes 4KiB,1MiB -> "4096 1048576"
sizes_to_bytes()
{
    local out=() part
    IFS=',' read -r -a parts <<< "$1"
    for part in "${parts[@]}"; do
        [[ -n "$part" ]] && out+=("$(to_bytes "$part")")
    done
    echo "${out[*]}"
}

CSV_HEADER="system,transport,workers,codec,mode,bytes,elements_per_packet,window,iterations,p50_ms,p99_ms,mean_ms,\
algbw_GBps,busbw_GBps,pkts_per_s,agg_cpu_s,worker_cpu_s,retransmits"

PEER_USAGE_OPTIONS="  --workers N        ranks (default 4)
  --sizes LIST       tensor sizes, e.g. 4KiB,64KiB,1MiB,16MiB,64MiB (default; up to 256MiB)
  --iterations N     timed calls per size, at most (default 100)
  --min-iterations N timed calls per size, at least (default 5)
  --warmup N         untimed calls per size (default 10)
  --max-seconds S    time budget of the timed calls per size (default 20)
  --label TEXT       transport column (default loopback)
  --csv FILE         write the rows here (default: stdout)"
