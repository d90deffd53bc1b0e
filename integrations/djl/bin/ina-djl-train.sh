#!/usr/bin/env bash
# Data-parallel DJL training of an MLP on Fashion-MNIST through INA: starts an aggregator and N worker JVMs on this
# host, prints test accuracy, time per step, all-reduce time per step and bytes per step (options: --help).
#   apt-get install dataset-fashion-mnist                     # the data (or --data DIR with the four IDX files)
#   mvn -B -q install -DskipTests -pl integrations/djl -am    # the jar and its class path (target/lib)
#   integrations/djl/bin/ina-djl-train.sh --workers 4 --epochs 2 [--codec FIXED32|INT8 ...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="${here}/target/ina-djl.jar"
if [[ ! -f "${jar}" || ! -d "${here}/target/lib" ]]; then
    echo "$(basename "$0"): ${jar} or ${here}/target/lib not found; build them first:" >&2
    echo "    (cd \"$(cd "${here}/../.." && pwd)\" && mvn -B -q install -DskipTests -pl integrations/djl -am)" >&2
    exit 1
fi
java="${JAVA_HOME:+${JAVA_HOME}/bin/}java"
flags=(--add-exports java.base/jdk.internal.misc=ALL-UNNAMED)
major="$("${java}" -XshowSettings:properties -version 2>&1 | awk '$1 == "java.specification.version" { print $3 }')"
major="${major#1.}"
if [[ "${major%%.*}" =~ ^[0-9]+$ ]] && (( ${major%%.*} >= 24 )); then
    flags+=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
fi
# PyTorch: libraries unpacked from the native jar into DJL_CACHE_DIR, never downloaded; one thread per worker,
# since the workers share the host's cores.
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-${here}/target/djl-cache}"
flags+=(-Dai.djl.offline=true -Dai.djl.pytorch.num_threads="${INA_DJL_THREADS:-1}" -Dai.djl.pytorch.num_interop_threads=1)
# DJL warns that it found no usable GPU on a CPU-only host: not worth a line per worker.
flags+=(-Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error)
flags+=(-Djava.util.logging.SimpleFormatter.format='%4$s: %5$s%n')
java_opts=()
read -r -a java_opts <<< "${JAVA_OPTS:-}" || true
exec "${java}" "${flags[@]}" ${java_opts[@]+"${java_opts[@]}"} -cp "${jar}:${here}/target/lib/*" \
    dev.ina.djl.example.TrainLauncher "$@"
