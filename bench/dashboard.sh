#!/usr/bin/env bash
# Benchmark of the leadership dashboard with 1,000,000 interviews stored (issue #5: p95 ≤ 100 ms per
# page), on SQLite. The dashboard reads published score runs, never the interviews, so its pages
# should cost the same at any size: /healthz (one database round trip) is measured beside them as
# the reference, and the figures are also given as ratios to it.
#
# Usage: bench/dashboard.sh [COUNT]   (default 1000000; the database is kept in target/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-1000000}"
data="${PAPI_BENCH_DIR:-target/bench}"
mkdir -p "$data"
cargo build --release --quiet
papi="$(realpath "${CARGO_TARGET_DIR:-target}")/release/papi"
db="$data/dashboard-$count.db"
if [ ! -f "$db" ]; then
    echo "storing $count simulated interviews in $db (once; kept for later runs)"
    # The shipped frame's sample with 7 communes a district (Vân Canh has 7) and 6 villages a commune:
    # 11 × 7 × 6 = 462 villages, the interviews spread evenly over them. simulate registers the sample.
    /usr/bin/time -f "  stored in %e s, peak %M KiB" \
        "$papi" simulate --seed 2019 --count "$count" --communes-per-district 7 --villages-per-commune 6 \
        --database "sqlite:$db"
    /usr/bin/time -f "  recomputed in %e s, peak %M KiB" "$papi" recompute --database "sqlite:$db" --published-by bench
fi
port=18090
"$papi" serve --database "sqlite:$db" --listen "127.0.0.1:$port" > "$data/dashboard-serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.2; done
token=$("$papi" token create --role leader --name bench-leader --database "sqlite:$db" | tail -n 1)
base=/dashboard/papi/2019.1
pages=("$base" "$base/dimensions/participation" "$base/print" "$base/charts/dimensions.svg"
       "$base/charts/history.svg" "$base/charts/districts.svg" "$base/charts/dimensions.png" "/api/v1/dashboard/papi/2019.1")
# Warm-up, then the measured run: 8 connections, 200 requests per page.
"$papi" bench pages --url "http://127.0.0.1:$port" --token "$token" --requests 20 "${pages[@]}" > /dev/null
out=$("$papi" bench pages --url "http://127.0.0.1:$port" --token "$token" --requests 200 --concurrency 8 /healthz "${pages[@]}")
echo "$out"
ref=$(echo "$out" | awk '/^\/healthz:/ { for (i = 1; i <= NF; i++) if ($i == "p95") print $(i + 1) }')
echo "$out" | awk -v ref="$ref" '!/^\/healthz:/ { for (i = 1; i <= NF; i++) if ($i == "p95") printf "%s p95 = %.1f × /healthz\n", $1, $(i + 1) / ref }'
