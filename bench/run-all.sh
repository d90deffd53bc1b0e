#!/usr/bin/env bash
# The one command for INA's benchmark figures: installs the peers if missing (Debian packages), builds INA, then
#   1. the raw UDP ceiling of loopback (bench/peers/ceiling.sh),
#   2. INA on loopback: aggregator and N workers as processes (bench/bin/ina-bench run --processes), once with the
#      defaults and once with caller-runs I/O and busy polling (--caller-runs --busy-poll; 1000 calls per case at
#      4 KiB and 64 KiB); and at 4 KiB and 64 KiB also as threads of one JVM with caller-runs and busy polling
#      (the same UDP sockets on loopback; a switch between threads of one process is cheaper than between
#      processes),
#   3. the peers at the same sizes and N: Gloo (bench/peers/run-gloo.sh), Open MPI over TCP and shared memory
#      (bench/peers/run-mpi.sh),
#   4. the emulated 1 Gbit/s network, INA and Gloo (bench/emu/run-emu.sh; root only, skipped otherwise): INA
#      first with caller-runs I/O and busy polling at jumbo-frame datagrams, then with the defaults, Gloo, and the
#      fragmentation check,
# and writes bench/RESULTS.md with bench/results/make_results.py. CSVs go to bench/results/data (cleared first).
#
# Usage: bench/run-all.sh [--quick] [--workers N] [--sizes LIST] [--codecs LIST] [--emu-sizes LIST] [--no-build]
#                         [--no-install] [--skip ceiling,ina,peers,emu] [--ina-bench PATH] [--data DIR]
#                         [--repeat K] [--java-home DIR]
#   --quick        a short run (a few minutes): 4KiB,1MiB,16MiB, few iterations, no jumbo-frame emulated run
#   --repeat K     loopback runs of INA and the peers, interleaved (INA, Gloo, MPI, INA, ...); RESULTS.md takes
#                  each case's median p50 run (default 3, 1 with --quick): a shared machine's load comes and goes
#   --sizes        default 4KiB,64KiB,1MiB,16MiB,64MiB (up to 256MiB)
#   --codecs       INA codecs, default FP32,FIXED32 and INT8, INT8_NARROW when this INA has them
#   --no-build     use the bench/target/benchmarks.jar already built
#   --java-home    JDK that runs INA (default: $JAVA_HOME if set, else the newest JDK under /usr/lib/jvm, else
#                  `java`): JDK 25's C2 vectorises INA's int<->float codec loops, JDK 17's does not (README)
# Every step is bounded in time; a failed step is reported and the others still run (exit 1 at the end).
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${bench}/.." && pwd)"
quick=0 workers=4 sizes="" codecs="" emu_sizes="" build=1 install=1 skip="" ina="${bench}/bin/ina-bench"
data="${bench}/results/data" repeat="" latency_sizes="4KiB,64KiB" java_home="${JAVA_HOME:-}" build_java_home="${JAVA_HOME:-}"
args_seen="$*"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) quick=1; shift ;;
        --workers) workers="$2"; shift 2 ;;
        --sizes) sizes="$2"; shift 2 ;;
        --codecs) codecs="$2"; shift 2 ;;
        --emu-sizes) emu_sizes="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --no-install) install=0; shift ;;
        --skip) skip="$2"; shift 2 ;;
        --ina-bench) ina="$2"; shift 2 ;;
        --data) data="$2"; shift 2 ;;
        --repeat) repeat="$2"; shift 2 ;;
        --java-home) java_home="$2"; shift 2 ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "run-all.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [[ $quick -eq 1 ]]; then
    : "${sizes:=4KiB,1MiB,16MiB}" "${emu_sizes:=64KiB,1MiB,16MiB}"
    ina_iter=(--iterations 5 --warmup 2 --group-warmup-seconds 2 --first-warmup-seconds 6)
    latency_iter=(--iterations 100 --warmup 10 --group-warmup-seconds 2 --first-warmup-seconds 6)
    peer_iter=(--iterations 10 --min-iterations 3 --warmup 3 --max-seconds 5)
    emu_iter=(--iterations 5 --warmup 2)
    emu_epp=auto ceiling_seconds=2
    : "${repeat:=1}"
else
    : "${sizes:=4KiB,64KiB,1MiB,16MiB,64MiB}" "${emu_sizes:=4KiB,64KiB,1MiB,16MiB,64MiB}"
    ina_iter=()
    # Small calls are cheap: many of them make a steadier p50 (and p99) than the adaptive default's 20.
    latency_iter=(--iterations 1000 --warmup 20)
    peer_iter=(--iterations 50 --min-iterations 5 --warmup 10 --max-seconds 15)
    emu_iter=(--iterations 10 --warmup 3 --max-seconds 20)
    emu_epp=auto,jumbo ceiling_seconds=5
    : "${repeat:=3}"
fi
skipped() { [[ ",${skip}," == *",$1,"* ]]; }
say() { echo "[run-all $(date +%H:%M:%S)] $*" >&2; }
failed=()
if [[ -z "$java_home" ]]; then
    # The newest JDK installed the Debian way (/usr/lib/jvm/<name>/bin/java with a release file).
    best=0
    for release in /usr/lib/jvm/*/release; do
        [[ -x "$(dirname "$release")/bin/java" ]] || continue
        major="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")"
        if [[ "$major" =~ ^[0-9]+$ ]] && (( major > best )); then
            best="$major" java_home="$(dirname "$release")"
        fi
    done
fi
if [[ -n "$java_home" ]]; then
    [[ -x "${java_home}/bin/java" ]] || { echo "run-all.sh: no ${java_home}/bin/java" >&2; exit 2; }
    export JAVA_HOME="$java_home"
fi
java_bin="${JAVA_HOME:+${JAVA_HOME}/bin/}java"

if [[ $install -eq 1 ]]; then
    "${bench}/peers/install.sh" || failed+=(install)
fi
if [[ $build -eq 1 ]]; then
    say "building INA (mvn -B -q package -DskipTests)"
    (cd "$root" && if [[ -n "$build_java_home" ]]; then export JAVA_HOME="$build_java_home"; else unset JAVA_HOME; fi &&
        timeout 1200 mvn -B -q package -DskipTests) || failed+=(build)
fi
if [[ -z "$codecs" ]]; then
    codecs=FP32,FIXED32
    if "$ina" run --help 2> /dev/null | grep -q 'INT8_NARROW'; then
        codecs=FP32,FIXED32,INT8,INT8_NARROW
    elif "$ina" run --help 2> /dev/null | grep -q 'INT8'; then
        codecs=FP32,FIXED32,INT8
    fi
fi

mkdir -p "$data"
data="$(cd "$data" && pwd)"
rm -f "${data}"/*.csv "${data}/run-info.txt"
{
    echo "start=$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "command=bench/run-all.sh ${args_seen}"
    echo "commit=$(git -C "$root" log -1 --format='%h %s' 2> /dev/null | cut -c1-80 || true)"
    echo "java=$("$java_bin" -version 2>&1 | head -1 || true)"
    echo "torch=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)' 2> /dev/null || true)"
    echo "openmpi=$(mpirun --version 2> /dev/null | head -1 || true)"
    echo "iperf3=$(iperf3 --version 2> /dev/null | head -1 || true)"
} > "${data}/run-info.txt"

if ! skipped ceiling; then
    say "1/4 UDP ceiling"
    timeout 300 "${bench}/peers/ceiling.sh" --seconds "$ceiling_seconds" --csv "${data}/ceiling.csv" \
        > /dev/null || failed+=(ceiling)
fi
# The caller-runs run measures the small sizes with many calls (latency_iter), the others as the main run does.
large_sizes=""
IFS=',' read -r -a size_list <<< "$sizes"
for size in "${size_list[@]}"; do
    [[ ",${latency_sizes}," == *",${size},"* ]] || large_sizes="${large_sizes:+${large_sizes},}${size}"
done
for ((rep = 1; rep <= repeat; rep++)); do
    if ! skipped ina; then
        say "2/4 INA on loopback (run ${rep}/${repeat}): ${workers} workers, ${sizes}, ${codecs}"
        echo "load_ina_r${rep}=$(cut -d' ' -f1-3 /proc/loadavg)" >> "${data}/run-info.txt"
        timeout --kill-after=30 2400 "$ina" run --workers "$workers" --processes --sizes "$sizes" \
            --codecs "$codecs" --modes EXACT --epp auto --window 8 ${ina_iter[@]+"${ina_iter[@]}"} --max-seconds 2000 \
            --label loopback --csv "${data}/loopback-ina.r${rep}.csv" > /dev/null || failed+=("ina#${rep}")
        say "2/4 INA on loopback with caller-runs I/O and busy polling (run ${rep}/${repeat})"
        timeout --kill-after=30 600 "$ina" run --workers "$workers" --processes --sizes "$latency_sizes" \
            --codecs "$codecs" --modes EXACT --epp auto --window 8 --caller-runs --busy-poll \
            "${latency_iter[@]}" --max-seconds 500 --label loopback-callerruns \
            --csv "${data}/loopback-ina-callerruns.r${rep}.csv" > /dev/null || failed+=("ina-callerruns#${rep}")
        if [[ -n "$large_sizes" ]]; then
            timeout --kill-after=30 1200 "$ina" run --workers "$workers" --processes --sizes "$large_sizes" \
                --codecs "$codecs" --modes EXACT --epp auto --window 8 --caller-runs --busy-poll \
                ${ina_iter[@]+"${ina_iter[@]}"} --max-seconds 1000 --label loopback-callerruns \
                --csv "${data}/loopback-ina-callerruns-large.r${rep}.csv" > /dev/null ||
                failed+=("ina-callerruns-large#${rep}")
        fi
        say "2/4 INA on loopback as threads of one JVM, caller-runs I/O and busy polling (run ${rep}/${repeat})"
        timeout --kill-after=30 600 "$ina" run --workers "$workers" --sizes "$latency_sizes" \
            --codecs "$codecs" --modes EXACT --epp auto --window 8 --caller-runs --busy-poll \
            "${latency_iter[@]}" --max-seconds 500 --label loopback-threads-callerruns \
            --csv "${data}/loopback-ina-threads.r${rep}.csv" > /dev/null || failed+=("ina-threads#${rep}")
    fi
    if ! skipped peers; then
        say "3/4 peers on loopback (run ${rep}/${repeat}): Gloo, Open MPI (tcp, shm)"
        echo "load_peers_r${rep}=$(cut -d' ' -f1-3 /proc/loadavg)" >> "${data}/run-info.txt"
        "${bench}/peers/run-gloo.sh" --workers "$workers" --sizes "$sizes" "${peer_iter[@]}" \
            --csv "${data}/loopback-gloo.r${rep}.csv" || failed+=("gloo#${rep}")
        "${bench}/peers/run-mpi.sh" --workers "$workers" --sizes "$sizes" "${peer_iter[@]}" \
            --csv "${data}/loopback-mpi.r${rep}.csv" || failed+=("mpi#${rep}")
    fi
done
if ! skipped emu; then
    if [[ $(id -u) -eq 0 ]] && ip netns list > /dev/null 2>&1; then
        say "4/4 emulated 1 Gbit/s network: ${workers} workers, ${emu_sizes}"
        emu_fast_epp=jumbo
        [[ ",${emu_epp}," == *",jumbo,"* ]] || emu_fast_epp="${emu_epp%%,*}"
        "${bench}/emu/run-emu.sh" --workers "$workers" --sizes "$emu_sizes" --codecs "$codecs" --epp "$emu_fast_epp" \
            --systems ina --caller-runs --busy-poll ${emu_iter[@]+"${emu_iter[@]}"} --ina-bench "$ina" \
            --out "$data" --time-limit 1200 || failed+=(emu-callerruns)
        "${bench}/emu/run-emu.sh" --workers "$workers" --sizes "$emu_sizes" --codecs "$codecs" --epp "$emu_epp" \
            ${emu_iter[@]+"${emu_iter[@]}"} --ina-bench "$ina" --out "$data" --time-limit 2400 || failed+=(emu)
    else
        say "4/4 emulated network skipped (needs root and ip netns)"
    fi
fi
{
    echo "end=$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)"
    [[ ${#failed[@]} -gt 0 ]] && echo "failed=${failed[*]}"
} >> "${data}/run-info.txt"
/usr/bin/python3 "${bench}/results/make_results.py" --data "$data" --out "${bench}/RESULTS.md" \
    --charts "${bench}/results" || failed+=(results)
if [[ ${#failed[@]} -gt 0 ]]; then
    say "done with failures: ${failed[*]} (see above); bench/RESULTS.md has what ran"
    exit 1
fi
say "done: bench/RESULTS.md"
