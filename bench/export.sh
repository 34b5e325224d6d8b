#!/usr/bin/env bash
# Benchmark of `papi export` (issue: 150,000 PAPI-sized interviews, about 550 answers each, to CSV,
# Parquet and XLSX, each ≤ 30 s, memory flat in the number of interviews), with a plain dump of the
# same rows by the sqlite3 shell (JSON answers as stored, not flattened) timed beside it as the
# reference. Peak memory is the maximum resident set size from /usr/bin/time -v; it is measured at
# SMALL and COUNT interviews to show that it does not grow with the row count.
#
# Usage: bench/export.sh [COUNT] [SMALL]   (defaults 150000 and 50000)
# The databases are made once by `papi simulate --database` under target/bench (PAPI_BENCH_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-150000}"
small="${2:-50000}"
data="${PAPI_BENCH_DIR:-target/bench}"
mkdir -p "$data"
cargo build --release --quiet
papi="${CARGO_TARGET_DIR:-$PWD/target}/release/papi"
def="$data/papi550.toml"
python3 bench/papi550.py survey-defs/papi-2019.toml "$def"

# Runs a command under /usr/bin/time -v; prints "SECONDS PEAK_MIB".
measure() {
    local log
    log=$(mktemp)
    /usr/bin/time -v "$@" > /dev/null 2> "$log" || { cat "$log" >&2; exit 1; }
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
                /Maximum resident set size/ { m = $2 }
                END { printf "%.1f %d\n", s, m / 1024 }' "$log"
    rm -f "$log"
}

for n in "$small" "$count"; do
    db="$data/export-$n.db"
    if [ ! -f "$db" ]; then
        echo "simulating $n interviews of $(grep -c '^\[\[questions\]\]' "$def") questions into $db..."
        "$papi" simulate --survey "$def" --profile binh-dinh:2018 --seed 5 --count "$n" --database "sqlite:$db" > /dev/null
    fi
    echo "$n interviews ($(du -h "$db" | cut -f1) SQLite database):"
    read -r ref_s ref_m < <(measure sqlite3 -csv "$db" \
        "SELECT id, location, weight, enumerator, started_at, finished_at, answers, review_state FROM interviews" )
    echo "  reference, sqlite3 -csv dump of the same rows: ${ref_s} s, peak ${ref_m} MiB"
    for format in csv parquet xlsx; do
        out="$data/export-$n.$format"
        read -r s m < <(measure "$papi" export --survey "$def" --database "sqlite:$db" --output "$out")
        ratio=$(awk -v a="$s" -v b="$ref_s" 'BEGIN { printf "%.2f", a / b }')
        echo "  papi export $format: ${s} s (${ratio}× the reference), peak ${m} MiB, $(du -h "$out" | cut -f1)"
    done
done
