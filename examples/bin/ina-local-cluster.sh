#!/usr/bin/env bash
# Multi-process demo on this host, loopback only: one aggregator process and N worker processes.
#   ina-local-cluster.sh [-n|--workers N] [worker options, e.g. --mib 4 --iterations 3 --codec FIXED32]
# INA_* variables (INA_JOB, INA_CODEC, INA_WINDOW, ...) reach every worker; JAVA_OPTS every JVM.
# Waits for the workers, reports each one's exit code, and stops everything on exit (also on Ctrl-C).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

workers=3
if [[ "${1:-}" == "-n" || "${1:-}" == "--workers" ]]; then
    workers="${2:?-n needs a number of workers}"
    shift 2
fi
[[ "${workers}" =~ ^[1-9][0-9]*$ ]] || { echo "workers must be a positive number, got '${workers}'" >&2; exit 2; }
: "${INA_JAVA_MAJOR:=$(ina_java_major)}"
export INA_JAVA_MAJOR

# Loopback carries 64 KiB datagrams: default to the local demo's packet size and window unless set.
export INA_ELEMENTS_PER_PACKET="${INA_ELEMENTS_PER_PACKET:-16368}" INA_WINDOW="${INA_WINDOW:-8}"

logs="$(mktemp -d "${TMPDIR:-/tmp}/ina-local-cluster.XXXXXX")"
aggregator_pid=""
worker_pids=()
cleanup()
{
    local pid
    for pid in ${worker_pids[@]+"${worker_pids[@]}"} ${aggregator_pid}; do
        kill -TERM "${pid}" 2>/dev/null || true   # SIGTERM: the aggregator sends ABORT to its ranks
    done
    for pid in ${worker_pids[@]+"${worker_pids[@]}"} ${aggregator_pid}; do
        wait "${pid}" 2>/dev/null || true
    done
    rm -rf "${logs}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Port 0: the kernel picks a free port, read back from the aggregator's first line.
: > "${logs}/aggregator.log"
"${INA_BIN}/ina-aggregator.sh" --bind 127.0.0.1 --port 0 --stats-interval 0 \
    > >(tee "${logs}/aggregator.log" | sed -u 's/^/[aggregator] /') 2>&1 &
aggregator_pid=$!
port=""
for _ in $(seq 1 200); do
    port="$(sed -n 's/^aggregator listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "${logs}/aggregator.log")"
    [[ -n "${port}" ]] && break
    kill -0 "${aggregator_pid}" 2>/dev/null || { echo "the aggregator exited before listening" >&2; exit 1; }
    sleep 0.1
done
[[ -n "${port}" ]] || { echo "the aggregator did not start within 20 s" >&2; exit 1; }

for ((rank = 0; rank < workers; rank++)); do
    INA_AGGREGATOR="127.0.0.1:${port}" INA_RANK="${rank}" INA_WORLD_SIZE="${workers}" \
        "${INA_BIN}/ina-worker.sh" "$@" > >(sed -u "s/^/[rank ${rank}] /") 2>&1 &
    worker_pids+=($!)
done

failed=0
for ((rank = 0; rank < workers; rank++)); do
    code=0
    wait "${worker_pids[rank]}" || code=$?
    echo "worker rank ${rank} exited with code ${code}"
    (( code == 0 )) || failed=1
done
worker_pids=()
exit "${failed}"
