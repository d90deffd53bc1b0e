#!/usr/bin/env bash
# JMH smoke run: proves every benchmark executes, and that the hot paths allocate nothing per operation
# (gc.alloc.rate.norm below 1 byte per op; JMH's own bookkeeping shows up as fractions of a byte).
# Not a measurement: one short fork per benchmark and parameter set, every codec but only the 256-element chunk
# size, about a minute on 2 idle cores. The smallest chunk gives the most operations per iteration, so JMH's own
# allocations per iteration (several KB, spread over the operations) stay far below 1 B/op. On a heavily loaded
# machine a nanosecond benchmark can still show a byte or two once; each run that does is repeated with 1-second
# iterations, and only one that allocates again fails the smoke (a real allocation per operation does not
# shrink with longer iterations). Extra arguments go to JMH after these, e.g. a benchmark regex, or
# `-p elements=2235` to smoke that size as well.
# Needs the jar: `mvn -B package -DskipTests -pl bench -am` (or `mvn -B verify`) first.
set -euo pipefail
cd "$(dirname "$0")"
jar=target/benchmarks.jar
[ -f "$jar" ] || { echo "missing $jar: run 'mvn -B package -DskipTests -pl bench -am' first" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Prints one line per run whose gc.alloc.rate.norm is >= 1 B/op: the benchmark, then its -p arguments.
# Columns: "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit","Param: x"...
allocating() {
    awk -F',' '{ sub(/\r$/, "") } # JMH writes CSV with CRLF line ends
        NR == 1 { for (i = 8; i <= NF; i++) { name[i] = $i; gsub(/"|Param: /, "", name[i]) } next }
        $1 ~ /gc.alloc.rate.norm/ {
            score = $5; gsub(/"/, "", score)
            if (score + 0 >= 1.0) {
                bench = $1; gsub(/"|:gc.alloc.rate.norm/, "", bench); args = ""
                for (i = 8; i <= NF; i++) { if ($i != "") { args = args " -p " name[i] "=" $i } }
                print bench args
            }
        }' "$1"
}

java -jar "$jar" -f 1 -wi 1 -w 200ms -i 1 -r 200ms -foe true -prof gc -p elements=256 \
    -rf csv -rff "$out/smoke.csv" "$@" > "$out/smoke.log" 2>&1 || { cat "$out/smoke.log"; exit 1; }
runs=$(grep -c 'gc.alloc.rate.norm' "$out/smoke.csv" || true)
[ "$runs" -gt 0 ] || { echo "no gc.alloc.rate.norm results"; exit 1; }

bad=0
while read -r bench params; do
    [ -n "$bench" ] || continue
    echo "allocates per op in the short run, repeating with 1 s iterations: $bench $params"
    # shellcheck disable=SC2086 # params holds several -p arguments
    java -jar "$jar" "^${bench//./\\.}\$" $params -f 1 -wi 1 -w 1s -i 1 -r 1s -foe true -prof gc \
        -rf csv -rff "$out/retry.csv" > "$out/retry.log" 2>&1 || { cat "$out/retry.log"; exit 1; }
    if [ -n "$(allocating "$out/retry.csv")" ]; then
        bad=$((bad + 1))
        grep 'gc.alloc.rate.norm' "$out/retry.csv" | sed 's/^/allocates per op: /'
    fi
done <<< "$(allocating "$out/smoke.csv")"

printf "JMH smoke: %d benchmark runs, %d allocate >= 1 B/op\n" "$runs" "$bad"
[ "$bad" -eq 0 ]
