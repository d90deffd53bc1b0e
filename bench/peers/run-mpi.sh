#!/usr/bin/env bash
# Open MPI all-reduce on this host: mpi_allreduce.c compiled with mpicc into a temporary directory, run with
# `mpirun --allow-run-as-root --oversubscribe -np N` over TCP on loopback (`--mca btl tcp,self`, system mpi) and/or
# over shared memory (`--mca btl vader,self` or `sm,self`, system mpi-shm), always with the ob1 PML so that the
# named BTL is what moves the data (UCX would otherwise pick its own transport). Rows in ina-bench's CSV format.
# Every rank runs with MALLOC_MMAP_MAX_=0 (glibc serves every allocation from its heap and keeps freed memory):
# Open MPI allocates a message-sized temporary buffer per call, glibc maps anything above 32 MiB afresh each time,
# and first-touch page faults cost about 3 ms per MiB on this VM, so without it a 64 MiB call measures page faults
# (0.1 GB/s instead of 0.8 GB/s over shared memory). --no-malloc-tuning runs without it.
# Needs openmpi-bin, libopenmpi-dev and gcc (bench/peers/install.sh).
# Usage: bench/peers/run-mpi.sh [--transport tcp|shm|both] [--workers N] [--sizes LIST] [--iterations N]
#                               [--warmup N] [--max-seconds S] [--min-iterations N] [--label TEXT] [--csv FILE]
#                               [--no-malloc-tuning]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "${here}/common.sh"
workers=4 sizes=4KiB,64KiB,1MiB,16MiB,64MiB iterations=100 min_iterations=5 warmup=10 max_seconds=20
label=loopback csv="" transport=both timeout_s="" malloc_tuning=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --transport) transport="$2"; shift 2 ;;
        --workers) workers="$2"; shift 2 ;;
        --sizes) sizes="$2"; shift 2 ;;
        --iterations) iterations="$2"; shift 2 ;;
        --min-iterations) min_iterations="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --max-seconds) max_seconds="$2"; shift 2 ;;
        --label) label="$2"; shift 2 ;;
        --csv) csv="$2"; shift 2 ;;
        --timeout) timeout_s="$2"; shift 2 ;;
        --no-malloc-tuning) malloc_tuning=0; shift ;;
        -h|--help) sed -n '2,12p' "$0"; echo "  --transport X      tcp, shm or both (default both)"
                   echo "${PEER_USAGE_OPTIONS}"
                   echo "  --no-malloc-tuning glibc's default allocation (see above)"
                   echo "  --timeout S        kill each mpirun after S seconds"; exit 0 ;;
        *) echo "run-mpi.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
read -r -a bytes <<< "$(sizes_to_bytes "$sizes")"
: "${timeout_s:=$(awk -v n="${#bytes[@]}" -v m="$max_seconds" 'BEGIN { printf "%d", 60 + n * (3 * m + 30) }')}"
for tool in mpicc mpirun ompi_info; do
    command -v "$tool" > /dev/null || { echo "run-mpi.sh: $tool missing; run bench/peers/install.sh" >&2; exit 2; }
done
build="$(mktemp -d "${TMPDIR:-/tmp}/ina-peers-mpi.XXXXXX")"
trap 'rm -rf "$build"' EXIT
mpicc -O2 -Wall -o "${build}/mpi_allreduce" "${here}/mpi_allreduce.c" -lm
# Shared memory BTL: vader in Open MPI 3.x/4.x, sm in 5.x.
shm_btl=sm
if ompi_info --parsable 2>/dev/null | grep -q '^mca:btl:vader:'; then
    shm_btl=vader
fi
malloc_env=()
if [[ $malloc_tuning -eq 1 ]]; then
    malloc_env=(-x MALLOC_MMAP_MAX_=0 -x MALLOC_TRIM_THRESHOLD_=17179869184)
fi
mpi_run()  # system btl
{
    local system="$1" btl="$2"
    timeout --kill-after=10 "$timeout_s" mpirun --allow-run-as-root --oversubscribe --bind-to none -np "$workers" \
        ${malloc_env[@]+"${malloc_env[@]}"} --mca pml ob1 --mca btl "$btl" \
        --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo \
        "${build}/mpi_allreduce" "$system" "$label" "$iterations" "$min_iterations" "$warmup" "$max_seconds" \
        "${bytes[@]}"
}
rows="${build}/rows.csv"
echo "$CSV_HEADER" > "$rows"
case "$transport" in
    tcp|both) mpi_run mpi "tcp,self" >> "$rows" ;;&
    shm|both) mpi_run mpi-shm "${shm_btl},self" >> "$rows" ;;
    tcp) ;;
    *) echo "run-mpi.sh: --transport must be tcp, shm or both" >&2; exit 2 ;;
esac
if [[ -n "$csv" ]]; then
    cp "$rows" "$csv"
else
    cat "$rows"
fi
