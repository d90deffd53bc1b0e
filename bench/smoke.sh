#!/usr/bin/env bash
# JMH smoke run: proves every benchmark executes, and that the hot paths allocate nothing per operation
# (gc.alloc.rate.norm below 1 byte per op; JMH's own bookkeeping shows up as fractions of a byte).
# Not a measurement: one short fork per benchmark and parameter set, every codec but only the 256-element chunk
# size, about a minute on 2 cores. The smallest chunk gives the most operations per iteration, so JMH's own
# allocations per iteration (several KB, spread over the operations) stay far below 1 B/op even on a loaded
# machine; with 16368-element chunks they can approach it. Extra arguments go to JMH after these, e.g. a
# benchmark regex, or `-p elements=2235` to smoke that size as well.
# Needs the jar: `mvn -B package -DskipTests -pl bench -am` (or `mvn -B verify`) first.
set -euo pipefail
cd "$(dirname "$0")"
jar=target/benchmarks.jar
[ -f "$jar" ] || { echo "missing $jar: run 'mvn -B package -DskipTests -pl bench -am' first" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
java -jar "$jar" -f 1 -wi 1 -w 200ms -i 1 -r 200ms -foe true -prof gc -p elements=256 \
    -rf csv -rff "$out/smoke.csv" "$@" > "$out/smoke.log" 2>&1 || { cat "$out/smoke.log"; exit 1; }
# Columns: "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit",params...
awk -F',' 'NR > 1 && $1 ~ /gc.alloc.rate.norm/ {
        n++; score = $5; gsub(/"/, "", score)
        if (score + 0 >= 1.0) { bad++; print "allocates per op: " $0 }
    }
    END {
        if (n == 0) { print "no gc.alloc.rate.norm results"; exit 1 }
        printf "JMH smoke: %d benchmark runs, %d allocate >= 1 B/op\n", n, bad
        exit bad > 0
    }' "$out/smoke.csv"
