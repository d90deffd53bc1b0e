# Sourced by the ina-*.sh launchers: finds the jar and java, and builds the JVM command line.
# JVM flags: examples/bin/jvm-flags (one line, every JDK), plus INA_JDK24_FLAGS on JDK 24+, plus JAVA_OPTS.

INA_BIN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INA_JAR="${INA_BIN}/../target/ina-examples.jar"
INA_JAVA="${JAVA_HOME:+${JAVA_HOME}/bin/}java"
# JDK 24+: keep Netty's and JCTools' sun.misc.Unsafe paths on, silence the JNI warning.
INA_JDK24_FLAGS=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)

# Prints the major version of ${INA_JAVA}, e.g. 17 or 25 (8 for 1.8).
ina_java_major()
{
    local version
    version="$("${INA_JAVA}" -XshowSettings:properties -version 2>&1 |
        awk '$1 == "java.specification.version" { print $3 }')"
    version="${version#1.}"
    echo "${version%%.*}"
}

# Runs a main class of the examples jar in this process (exec), with the JVM flags and JAVA_OPTS.
ina_run()
{
    local main_class="$1"
    shift
    if [[ ! -f "${INA_JAR}" ]]; then
        echo "$(basename "$0"): ${INA_JAR} not found; build it first:" >&2
        echo "    (cd \"$(cd "${INA_BIN}/../.." && pwd)\" && mvn -q install -DskipTests)" >&2
        exit 1
    fi
    local flags=() java_opts=()
    read -r -a flags < "${INA_BIN}/jvm-flags" || [[ ${#flags[@]} -gt 0 ]]
    # Children of ina-local-cluster.sh inherit the detected version instead of starting a JVM to ask again.
    : "${INA_JAVA_MAJOR:=$(ina_java_major)}"
    export INA_JAVA_MAJOR
    if [[ "${INA_JAVA_MAJOR}" =~ ^[0-9]+$ ]] && (( INA_JAVA_MAJOR >= 24 )); then
        flags+=("${INA_JDK24_FLAGS[@]}")
    fi
    read -r -a java_opts <<< "${JAVA_OPTS:-}" || true
    exec "${INA_JAVA}" "${flags[@]}" ${java_opts[@]+"${java_opts[@]}"} -cp "${INA_JAR}" "${main_class}" "$@"
}
