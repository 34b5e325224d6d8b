#!/usr/bin/env bash
# Input latency of the enumerator's form (issue #15: ≤ 16 ms a keystroke in Chromium) with the
# PAPI-sized definition of the other benchmarks (550 questions, bench/papi550.py), at 390×844 in
# headless Chromium, with a keystroke into a bare text field measured beside it as the reference.
# The server only serves the files and the definition: the figures are the browser's, so the debug
# build serves (set PAPI to use another binary).
#
# Usage: bench/form_latency.sh [KEYSTROKES]   (default 200; needs chromium, chromedriver, selenium)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${PAPI_BENCH_DIR:-target/bench}"
mkdir -p "$data"
if [ -z "${PAPI:-}" ]; then
    cargo build --quiet --bin papi
    PAPI="$(realpath "${CARGO_TARGET_DIR:-target}")/debug/papi"
fi
python3 bench/papi550.py survey-defs/papi-2019.toml "$data/papi550.toml"
python3 bench/form_latency.py "$PAPI" "$data/papi550.toml" "${1:-200}"
