#!/usr/bin/env bash
# Benchmark of interview ingestion over HTTP (issue: ≥ 2,000 acknowledged interviews/s sustained,
# p99 ≤ 100 ms at 64 concurrent clients, every one durable), on SQLite and on PostgreSQL, with the raw
# insert rate of the same rows into the same database from one process measured beside it.
#
# Usage: bench/ingest.sh [COUNT] [POSTGRES_URL]
#   COUNT interviews made by `papi simulate` (default 20000); the PostgreSQL server of POSTGRES_URL
#   (default postgres://postgres@127.0.0.1:5432/test) gets a scratch database that is dropped after.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-20000}"
pg="${2:-postgres://postgres@127.0.0.1:5432/test}"
data="${PAPI_BENCH_DIR:-target/bench}"
mkdir -p "$data"
cargo build --release --quiet
papi="$PWD/target/release/papi"
# The shipped questionnaire (152 questions) and a PAPI-sized one (550 questions).
python3 bench/papi550.py survey-defs/papi-2019.toml "$data/papi550.toml"
simulate() { # simulate DEFINITION OUT
    [ -f "$2" ] || "$papi" simulate --survey "$1" --profile binh-dinh:2018 --seed 5 --count "$count" --format jsonl -o "$2"
    # Interviews as a device sends them: the server records the enumerator from the token.
    sed -i 's/,"enumerator":"[^"]*"//' "$2"
}

run() { # run NAME DATABASE_URL DEFINITION JSONL
    local name=$1 url=$2 def=$3 jsonl=$4 port=18089
    "$papi" serve --database "$url" --survey "$def" --listen "127.0.0.1:$port" > "$data/serve.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
    local token
    token=$("$papi" token create --role enumerator --name bench --database "$url" | tail -n 1)
    # The interviews come from the shipped frame's default sample: register it, and assign its
    # villages to the benchmark's enumerator, as an administrator and a supervisor would.
    "$papi" sample register --survey "$def" --database "$url" --frame survey-defs/frames/binh-dinh.toml \
        --seed 2019 > /dev/null
    "$papi" sample assign --survey "$def" --database "$url" --enumerator bench --all > /dev/null
    echo "$name, $(basename "$def" .toml) ($(head -n 1 "$jsonl" | wc -c) bytes an interview):"
    echo "  over HTTP: $("$papi" bench ingest --url "http://127.0.0.1:$port" --token "$token" --concurrency 64 "$jsonl")"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

scratch="papi_bench_$$"
trap 'psql "$pg" -qc "DROP DATABASE IF EXISTS $scratch WITH (FORCE)"' EXIT
url="${pg%/*}/$scratch"
db="$data/ingest.db"
for def in survey-defs/papi-2019.toml "$data/papi550.toml"; do
    jsonl="$data/ingest-$(basename "$def" .toml)-$count.jsonl"
    simulate "$def" "$jsonl"
    rm -f "$db" "$db-wal" "$db-shm"
    run SQLite "sqlite:$db" "$def" "$jsonl"
    rm -f "$db" "$db-wal" "$db-shm"
    echo "  reference: $("$papi" bench insert --survey "$def" --database "sqlite:$db" "$jsonl")"
    psql "$pg" -qc "DROP DATABASE IF EXISTS $scratch WITH (FORCE)"
    psql "$pg" -qc "CREATE DATABASE $scratch"
    run PostgreSQL "$url" "$def" "$jsonl"
    psql "$pg" -qc "DROP DATABASE $scratch WITH (FORCE)"
    psql "$pg" -qc "CREATE DATABASE $scratch"
    echo "  reference: $("$papi" bench insert --survey "$def" --database "$url" "$jsonl")"
done
