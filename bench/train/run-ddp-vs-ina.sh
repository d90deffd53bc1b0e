#!/usr/bin/env bash
# Side by side on this host: the same MLP, Fashion-MNIST shards, batch per rank and number of steps, trained by
# PyTorch DDP over Gloo (CPU, TCP on loopback) and by DJL + INA with FP32, FIXED32 and INT8 + error feedback.
# The systems run one after another, interleaved round by round (the order reversed every other round), so that
# all of them see the same machine. Writes <out>/ddp-vs-ina.csv (one row per run), ddp-vs-ina.md (the table) and
# ddp-vs-ina.png (time per step split into compute and all-reduce; test accuracy per epoch).
#
#   bench/train/run-ddp-vs-ina.sh [--workers 4] [--epochs 2] [--rounds 2] [--batch 32] [--out bench/train/results]
#                                 [--data DIR] [--java-home DIR]
# --java-home: the JDK that runs DJL + INA (default: $JAVA_HOME if set, else the newest JDK under /usr/lib/jvm; JDK
# 25 runs the scaled codecs' conversions vectorised, see the main README, "Which JDK").
#
# Needs: python3-torch and python3-matplotlib (bench/peers/install.sh), dataset-fashion-mnist, and the ina-djl jar
# (built here if missing: mvn -B -q install -DskipTests -pl integrations/djl -am).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
workers=4
epochs=2
rounds=2
batch=32
out="${root}/bench/train/results"
data=/usr/share/datasets/fashion-mnist
java_home="${JAVA_HOME:-}"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --workers) workers="$2"; shift 2 ;;
        --epochs) epochs="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --batch) batch="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --data) data="$2"; shift 2 ;;
        --java-home) java_home="$2"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "$(basename "$0"): unknown option $1 (--help)" >&2; exit 2 ;;
    esac
done
if [[ -z "${java_home}" ]]; then
    best=0
    for release in /usr/lib/jvm/*/release; do
        [[ -x "$(dirname "${release}")/bin/java" ]] || continue
        major="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "${release}")"
        if [[ "${major}" =~ ^[0-9]+$ ]] && (( major > best )); then
            best="${major}" java_home="$(dirname "${release}")"
        fi
    done
fi
if [[ -n "${java_home}" ]]; then
    export JAVA_HOME="${java_home}"
fi
python=/usr/bin/python3
if ! "${python}" -c 'import torch, matplotlib' 2>/dev/null; then
    echo "$(basename "$0"): ${python} lacks torch or matplotlib: run bench/peers/install.sh (python3-torch," \
        "python3-matplotlib)" >&2
    exit 1
fi
if [[ ! -d "${data}" ]]; then
    echo "$(basename "$0"): no Fashion-MNIST in ${data}: apt-get install dataset-fashion-mnist (or --data DIR)" >&2
    exit 1
fi
if [[ ! -f "${root}/integrations/djl/target/ina-djl.jar" ]]; then
    # Built for Java 17 by whichever JDK Maven finds; it runs on the JDK chosen above.
    (cd "${root}" && unset JAVA_HOME && mvn -B -q install -DskipTests -pl integrations/djl -am)
fi
mkdir -p "${out}"
csv="${out}/ddp-vs-ina.csv"
rm -f "${csv}"
common=(--workers "${workers}" --epochs "${epochs}" --batch "${batch}" --data "${data}" --csv "${csv}")
command="bench/train/run-ddp-vs-ina.sh --workers ${workers} --epochs ${epochs} --rounds ${rounds} --batch ${batch}"
{
    echo "command: ${command}"
    echo "started: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
    echo "java: $("${JAVA_HOME:+${JAVA_HOME}/bin/}java" -version 2>&1 | head -1)"
    echo "torch: $("${python}" -c 'import torch; print(torch.__version__)')"
} > "${out}/run-info.txt"

run()
{
    echo "=== round ${round}: $1" >&2
    case "$1" in
        ddp) "${python}" "${root}/bench/train/ddp_fashion_mnist.py" "${common[@]}" --label "PyTorch DDP (Gloo)" ;;
        FP32) "${root}/integrations/djl/bin/ina-djl-train.sh" "${common[@]}" --codec FP32 --label "DJL + INA FP32" ;;
        FIXED32) "${root}/integrations/djl/bin/ina-djl-train.sh" "${common[@]}" --codec FIXED32 \
            --label "DJL + INA FIXED32" ;;
        INT8) "${root}/integrations/djl/bin/ina-djl-train.sh" "${common[@]}" --codec INT8 --label "DJL + INA INT8 + EF" ;;
    esac
}

systems=(ddp FP32 FIXED32 INT8)
for ((round = 1; round <= rounds; round++)); do
    if (( round % 2 == 0 )); then
        order=("${systems[3]}" "${systems[2]}" "${systems[1]}" "${systems[0]}")
    else
        order=("${systems[@]}")
    fi
    for system in "${order[@]}"; do
        run "${system}"
    done
done
echo "finished: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)" \
    >> "${out}/run-info.txt"
"${python}" "${root}/bench/train/make_report.py" --csv "${csv}" --info "${out}/run-info.txt" \
    --md "${out}/ddp-vs-ina.md" --png "${out}/ddp-vs-ina.png"
cat "${out}/ddp-vs-ina.md"
