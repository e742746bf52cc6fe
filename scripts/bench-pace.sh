#!/usr/bin/env bash
# A benchmark, not a test: --rate R against the emulator limited to R
# requests in any sliding second (--limit R, 429 FREQUENCY_LIMITED past it),
# for R = 5, 20 and 100: how many 429s and how many rows a second over
# ROWS rows (default 200). Target: 0 answers of 429 and at least 95% of R.
# Usage: scripts/bench-pace.sh        RATES="20" ROWS=100 scripts/bench-pace.sh
set -euo pipefail
ROWS=${ROWS:-200}
RATES=${RATES:-5 20 100}
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
BIN=$PWD/target/release/wxcoupon
work=$(mktemp -d)
# The client's ledger is the run's own, removed with it: never the user's.
export WXCOUPON_STATE_DIR="$work/state"
emu=
cleanup() {
    if [ -n "$emu" ]; then kill "$emu" 2>/dev/null || true; wait "$emu" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

awk -v n="$ROWS" 'BEGIN { printf "["; for (i = 1; i <= n; i++)
    printf "%s{\"coupon_code\":\"P%08d\",\"stock_id\":\"9856000\",\"state\":\"USED\"}", (i > 1 ? "," : ""), i
    print "]" }' > "$work/coupons.json"
awk -v n="$ROWS" 'BEGIN { print "coupon_code,stock_id"; for (i = 1; i <= n; i++) printf "P%08d,9856000\n", i }' \
    > "$work/rows.csv"

printf '%-6s %-8s %-10s %-10s %s\n' rate rows "429s" "rows/s" "of rate"
for rate in $RATES; do
    rm -f "$work/rows.csv.journal" "$work/emulator.toml"
    env -u WXCOUPON_CONFIG -u WXCOUPON_PROFILE HOME="$work" TMPDIR="$work" \
        "$BIN" emulator --coupons "$work/coupons.json" --limit "$rate" \
        > "$work/emulator.toml" 2> "$work/emulator.log" &
    emu=$!
    for _ in $(seq 100); do
        grep -q '^base_url' "$work/emulator.toml" 2>/dev/null && break
        kill -0 "$emu" 2>/dev/null || break
        sleep 0.1
    done
    start=$(date +%s.%N)
    "$BIN" --config "$work/emulator.toml" return --batch "$work/rows.csv" --rate "$rate" \
        > "$work/out.txt" 2> "$work/err.txt" || { echo "bench: the batch failed:" >&2; tail -3 "$work/err.txt" >&2; exit 1; }
    end=$(date +%s.%N)
    kill "$emu"; wait "$emu" 2>/dev/null || true; emu=
    limited=$(grep -c ' 429 ' "$work/emulator.log" || true)
    awk -v rate="$rate" -v rows="$ROWS" -v limited="$limited" -v s="$start" -v e="$end" 'BEGIN {
        per = rows / (e - s); printf "%-6s %-8s %-10s %-10.1f %.1f%%\n", rate, rows, limited, per, 100 * per / rate }'
done
