#!/usr/bin/env bash
# Benchmark of `papi score`, whole process against whole process, with R's survey package beside it
# written as a strong R user would (bench/score_best.R: svydesign once, answers mapped to indicator
# values once, svytotal + svycontrast per domain).
#
# Usage: bench/score.sh [ROWS] [R_ROWS]   (defaults 1000000 and 100000)
#  1. R_ROWS interviews from CSV, scored overall, by district and by sex: papi's three processes against
#     R's one script doing the three, each timed from start to exit, with its peak memory
#     (/usr/bin/time -v); papi's peak is also given as a multiple of the CSV file's size.
#  2. ROWS interviews from Parquet, scored by province and by district (papi only: R would take
#     minutes): best of 3 and peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
r_rows="${2:-100000}"
data="${PAPI_BENCH_DIR:-target/bench}"
mkdir -p "$data"
cargo build --release --quiet
papi="${CARGO_TARGET_DIR:-target}/release/papi"

big="$data/interviews-$rows.parquet"
[ -f "$big" ] || { echo "simulating $rows interviews..."; "$papi" simulate --seed 1 --count "$rows" --format parquet -o "$big"; }
slice="$data/interviews-$r_rows.csv"
[ -f "$slice" ] || "$papi" simulate --seed 1 --count "$r_rows" --format csv -o "$slice"
"$papi" survey indicators survey-defs/papi-2019.toml > "$data/indicators.csv"
indicators=$(tail -n +2 "$data/indicators.csv" | cut -d, -f1 | sort -u | wc -l)

# "SECONDS PEAK_KIB" of one run of a command (its output kept in $data/stdout.out).
measure() {
    /usr/bin/time -f '%e %M' -o "$data/time.out" "$@" > "$data/stdout.out" 2> "$data/stderr.out" \
        || { cat "$data/stderr.out" >&2; exit 1; }
    tail -n 1 "$data/time.out"
}

# "SECONDS PEAK_KIB" of the fastest of N runs (its own peak memory).
best() {
    local n=$1; shift
    local out="" line
    for _ in $(seq "$n"); do
        line=$(measure "$@")
        out=$(printf '%s\n%s\n' "$out" "$line" | awk 'NF' | sort -n | head -n 1)
    done
    echo "$out"
}

mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

size_kib=$(( $(stat -c %s "$slice") / 1024 ))
echo "$r_rows interviews (CSV, $(mib "$size_kib") MiB), $indicators indicators, scored overall, by district and by sex:"
total=0
peak=0
for by in "" "--by district" "--by sex"; do
    # shellcheck disable=SC2086
    read -r s k <<< "$(best 3 "$papi" score --responses "$slice" $by)"
    echo "  papi score ${by:-(overall)}: ${s} s, peak $(mib "$k") MiB"
    total=$(awk -v a="$total" -v b="$s" 'BEGIN { print a + b }')
    peak=$(( k > peak ? k : peak ))
done
echo "  papi, the three: ${total} s, peak $(mib "$peak") MiB ($(awk -v p="$peak" -v f="$size_kib" 'BEGIN { printf "%.1f", p / f }')x the file)"
read -r r_s r_k <<< "$(measure Rscript bench/score_best.R "$slice" "$data/indicators.csv" overall district sex)"
sed 's/^/  R: /' "$data/stdout.out"
echo "  R's survey, the three in one script: ${r_s} s, peak $(mib "$r_k") MiB"
echo "  ratio, whole process: $(awk -v r="$r_s" -v p="$total" 'BEGIN { printf "%.1f", r / p }')x"

echo "$rows interviews (Parquet, $(( $(stat -c %s "$big") / 1048576 )) MiB), $indicators indicators:"
for by in province district; do
    read -r s k <<< "$(best 3 "$papi" score --responses "$big" --by "$by")"
    echo "  papi score --by $by: best of 3 ${s} s, peak $(mib "$k") MiB"
done
