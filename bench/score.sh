#!/usr/bin/env bash
# Benchmark of `papi score` (issue: full recompute of 1,000,000 interviews, 120+ indicators, estimates
# and standard errors for every indicator, sub-dimension, dimension and the total, by province), with
# R's survey package computing the same estimates beside it as the reference.
#
# Usage: bench/score.sh [ROWS] [R_ROWS]   (defaults 1000000 and 100000)
# R is run on a slice of R_ROWS interviews (it is too slow for a million here); papi is timed on the
# same slice too, so the ratio compares equal work, and on the full ROWS.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
r_rows="${2:-100000}"
data="${PAPI_BENCH_DIR:-target/bench}"
mkdir -p "$data"
cargo build --release --quiet
papi=target/release/papi

big="$data/interviews-$rows.parquet"
[ -f "$big" ] || { echo "simulating $rows interviews..."; "$papi" simulate --seed 1 --count "$rows" --format parquet -o "$big"; }
slice="$data/interviews-$r_rows.csv"
[ -f "$slice" ] || "$papi" simulate --seed 1 --count "$r_rows" --format csv -o "$slice"
"$papi" survey indicators survey-defs/papi-2019.toml > "$data/indicators.csv"
indicators=$(tail -n +2 "$data/indicators.csv" | cut -d, -f1 | sort -u | wc -l)

# Wall-clock seconds of a command, best of N runs.
best() {
    local n=$1; shift
    local best=""
    for _ in $(seq "$n"); do
        local s e
        s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
        best=$(echo "$s $e ${best:-1e9}" | awk '{ t = $2 - $1; print (t < $3 ? t : $3) }')
    done
    echo "$best"
}

echo "papi score, $rows interviews, $indicators indicators, by province (Parquet, reading included):"
full=$(best 3 "$papi" score --responses "$big" --by province)
peak=$( { /usr/bin/time -v "$papi" score --responses "$big" --by province > /dev/null; } 2>&1 | awk -F: '/Maximum resident/ { gsub(/ /, "", $2); print $2 }')
echo "  best of 3: ${full} s, peak memory $((peak / 1024)) MiB"

echo "the same on $r_rows interviews (CSV), papi and R's survey package:"
ours=$(best 3 "$papi" score --responses "$slice" --by province)
r_out=$(Rscript bench/score.R "$slice" "$data/indicators.csv")
r_compute=$(echo "$r_out" | awk '{ for (i = 1; i < NF; i++) if ($i == "compute_seconds") print $(i + 1) }')
r_read=$(echo "$r_out" | awk '{ for (i = 1; i < NF; i++) if ($i == "read_seconds") print $(i + 1) }')
ours_compute=$(PAPI_LOG=papi=debug "$papi" score --responses "$slice" --by province 2>&1 >/dev/null \
    | sed 's/\x1b\[[0-9;]*m//g' | awk -F'seconds=' '/estimates computed/ { print $2 + 0 }')
echo "  papi: ${ours} s in all (${ours_compute} s computing)"
echo "  R:    ${r_compute} s computing + ${r_read} s reading"
echo "  ratio, reading and computing: $(echo "$r_compute $r_read $ours" | awk '{ printf "%.0f", ($1 + $2) / $3 }')x; computing alone: $(echo "$r_compute $ours_compute" | awk '{ printf "%.0f", $1 / $2 }')x"
echo "  R scaled to $rows interviews (linear in rows): about $(echo "$r_compute $rows $r_rows $full" | awk '{ printf "%.0f s, %.0fx papi", $1 * $2 / $3, $1 * $2 / $3 / $4 }')"
