#!/usr/bin/env bash
# Softmax regression on Fashion-MNIST as a Spark job: INA's all-reduce in a barrier stage against Spark MLlib's
# LogisticRegression, same data, same run; prints a Markdown table (options: --help).
# Needs the data (apt-get install dataset-fashion-mnist) and a build:
#   mvn -B -q install -DskipTests -pl integrations/spark-example -am
#   integrations/spark/bin/ina-spark-lr.sh --partitions 4 --iterations 50
set -euo pipefail
bin="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${bin}/../../.." && pwd)"
target="${root}/integrations/spark-example/target"
if [[ ! -f "${target}/ina-spark-example.jar" || ! -f "${target}/classpath.txt" ]]; then
    echo "$(basename "$0"): ${target}/ina-spark-example.jar not built; build it first:" >&2
    echo "    (cd \"${root}\" && mvn -B -q install -DskipTests -pl integrations/spark-example -am)" >&2
    exit 1
fi
# INA's jars from this checkout (the local repository's copies may be another branch's).
cp="${target}/ina-spark-example.jar"
for module in integrations/spark:ina-spark aggregator-transport:aggregator-transport aggregator-core:aggregator-core; do
    jar="$(ls "${root}/${module%%:*}/target/${module##*:}"-[0-9]*.jar 2>/dev/null | grep -v -- '-tests.jar$' | head -n 1)"
    if [[ -z "${jar}" ]]; then
        echo "$(basename "$0"): no ${module##*:} jar in ${root}/${module%%:*}/target; build as above" >&2
        exit 1
    fi
    cp="${cp}:${jar}"
done
java="${JAVA_HOME:+${JAVA_HOME}/bin/}java"
flags=()
read -r -a flags < "${root}/examples/bin/jvm-flags"
major="$("${java}" -XshowSettings:properties -version 2>&1 | awk '$1 == "java.specification.version" { print $3 }')"
if [[ "${major%%.*}" =~ ^[0-9]+$ ]] && (( ${major%%.*} >= 24 )); then
    flags+=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
fi
java_opts=()
read -r -a java_opts <<< "${JAVA_OPTS:--Xmx6g}" || true
# Spark's RPC and INA's traffic stay on this host unless SPARK_LOCAL_IP says otherwise.
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
exec "${java}" "${flags[@]}" "${java_opts[@]}" \
    -cp "${cp}:$(cat "${target}/classpath.txt")" \
    dev.ina.spark.example.LrComparison "$@"
