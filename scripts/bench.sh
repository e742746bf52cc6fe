#!/usr/bin/env bash
# A benchmark, not a test: measures wxcoupon against its own emulator on
# 127.0.0.1 (no rate limit) and prints the figures docs/design.md quotes.
#   (a) one `wxcoupon return`: cpu and wall
#   (b) a batch of ROWS rows (default 10000) at --concurrency 4 --rate 0:
#       rows per second, cpu per row, peak memory
#   (c) this machine's RSA-2048 sign and verify rates (openssl speed), for scale
#   (d) pacing: scripts/bench-pace.sh (--rate R against a server limited to R)
# Usage: scripts/bench.sh            ROWS=100000 scripts/bench.sh
set -euo pipefail
ROWS=${ROWS:-10000}
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

# ROWS + 20 used coupons: 20 for (a), one process each, the rest for (b).
ONE=20
awk -v n=$((ROWS + ONE)) 'BEGIN { printf "["; for (i = 1; i <= n; i++)
    printf "%s{\"coupon_code\":\"B%08d\",\"stock_id\":\"9856000\",\"state\":\"USED\"}", (i > 1 ? "," : ""), i
    print "]" }' > "$work/coupons.json"
awk -v a=$((ONE + 1)) -v n=$((ROWS + ONE)) 'BEGIN { print "coupon_code,stock_id"; for (i = a; i <= n; i++) printf "B%08d,9856000\n", i }' \
    > "$work/batch.csv"

env -u WXCOUPON_CONFIG -u WXCOUPON_PROFILE HOME="$work" TMPDIR="$work" \
    "$BIN" emulator --coupons "$work/coupons.json" > "$work/emulator.toml" 2> "$work/emulator.log" &
emu=$!
for _ in $(seq 100); do
    grep -q '^base_url' "$work/emulator.toml" 2>/dev/null && break
    kill -0 "$emu" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q '^base_url' "$work/emulator.toml" 2>/dev/null; then
    echo "bench: the emulator did not start:" >&2
    cat "$work/emulator.log" >&2
    exit 1
fi

measure() { # measure NAME CMD... : wall user sys maxrss_kib into $work/NAME.time
    local name=$1
    shift
    /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@"
}

export BIN work
# shellcheck disable=SC2016 # the inner bash expands its own loop
measure one bash -c 'for i in $(seq -f %08g 1 '"$ONE"'); do
    "$BIN" --config "$work/emulator.toml" return --code "B$i" --stock 9856000 > /dev/null 2>&1 || exit 1
done' 
measure batch "$BIN" --config "$work/emulator.toml" return --batch "$work/batch.csv" \
    --concurrency 4 --rate 0 > "$work/batch.out" 2> "$work/batch.err" || {
    echo "bench: the batch did not end returned:" >&2
    tail -5 "$work/batch.err" >&2
    exit 1
}
returned=$(grep -c ' returned ' "$work/batch.out" || true)
speed=$(openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048/ { print $6, $7 }')
ring_speed=$(cargo run --release --locked --quiet --example rsa_speed)

read -r one_wall one_user one_sys _ < "$work/one.time"
read -r wall user sys rss < "$work/batch.time"
read -r signs verifies <<< "$speed"
read -r ring_signs ring_verifies <<< "$ring_speed"
awk -v rows="$ROWS" -v returned="$returned" -v one_wall="$one_wall" -v one_cpu="$(echo "$one_user $one_sys" | awk '{ print $1 + $2 }')" \
    -v wall="$wall" -v cpu="$(echo "$user $sys" | awk '{ print $1 + $2 }')" -v rss="$rss" \
    -v signs="$signs" -v verifies="$verifies" -v ring_signs="$ring_signs" -v ring_verifies="$ring_verifies" -v one="$ONE" -v cores="$(nproc)" -v cpu_model="$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" '
BEGIN {
    per_row_ms = cpu * 1000 / rows
    rsa_ms = 1000 / signs + 1000 / verifies
    ring_ms = 1000 / ring_signs + 1000 / ring_verifies
    printf "machine: %s, %d cores\n", cpu_model, cores
    printf "(a) one return (mean of %d): %.1f ms wall, %.1f ms cpu\n", one, one_wall * 1000 / one, one_cpu * 1000 / one
    printf "(b) batch of %d rows:   %d returned, %.1f s wall, %.0f rows/s, %.3f ms cpu per row, peak memory %.1f MiB\n", rows, returned, wall, rows / wall, per_row_ms, rss / 1024
    printf "(c) openssl RSA-2048:      %.0f signs/s, %.0f verifies/s: %.3f ms for one sign + one verify\n", signs, verifies, rsa_ms
    printf "(c) ring RSA-2048 (as wxcoupon signs): %.0f signs/s, %.0f verifies/s: %.3f ms for one sign + one verify\n", ring_signs, ring_verifies, ring_ms
    printf "cpu per row / (sign + verify): %.2fx against openssl, %.2fx against ring (target: at most 1.5x)\n", per_row_ms / rsa_ms, per_row_ms / ring_ms
}'
echo "(d) pacing, --rate R against the emulator's --limit R (200 rows):"
scripts/bench-pace.sh
