#!/usr/bin/env bash
# A benchmark, not a test: a ledger of RECORDS records (default 1000000:
# half `sending`, half `outcome`, spread over 12 monthly files) and what
# reading it costs:
#   (a) `history --json` of everything, piped to wc
#   (b) `history --code C` (one coupon; lines without it are not parsed)
#   (c) `history --since` the last month (the other months are not opened)
#   (d) a plain `return` of a coupon the ledger has never seen (the worst
#       case of its lookup: every month read) against the emulator
#   (e) `return --request-no N` (the holder check reads every month)
# Each: wall seconds and peak memory. Prints the figures the README quotes.
# Usage: scripts/bench-ledger.sh      RECORDS=200000 scripts/bench-ledger.sh
set -euo pipefail
RECORDS=${RECORDS:-1000000}
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
BIN=$PWD/target/release/wxcoupon
work=$(mktemp -d)
emu=
cleanup() {
    if [ -n "$emu" ]; then kill "$emu" 2>/dev/null || true; wait "$emu" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
state=$work/state
mkdir -m 700 "$state"

# RECORDS/2 returns, each a sending and an outcome record, month by month.
awk -v n=$((RECORDS / 2)) -v dir="$state" 'BEGIN {
    per = int((n + 11) / 12)
    for (i = 1; i <= n; i++) {
        m = int((i - 1) / per) + 1
        file = sprintf("%s/2026-%02d.jsonl", dir, m)
        t = sprintf("2026-%02d-%02dT10:00:00+08:00", m, (i % 28) + 1)
        printf "{\"record\":\"sending\",\"line\":0,\"coupon_code\":\"L%09d\",\"stock_id\":\"9856000\",\"return_request_no\":\"N%09d\",\"time\":\"%s\",\"profile\":\"shop\",\"mchid\":\"1900000109\"}\n", i, i, t > file
        printf "{\"record\":\"outcome\",\"line\":0,\"outcome\":\"returned\",\"return_request_no\":\"N%09d\",\"code\":null,\"wechatpay_return_time\":\"%s\",\"confirmed_by_retry\":false,\"time\":\"%s\",\"profile\":\"shop\",\"mchid\":\"1900000109\",\"coupon_code\":\"L%09d\",\"stock_id\":\"9856000\",\"request_id\":\"08F0D9F7%09d\",\"message\":null}\n", i, t, t, i, i > file
    }
}'
chmod 600 "$state"/*.jsonl
size=$(du -sh "$state" | cut -f1)

echo '[{"coupon_code":"NEW-1","stock_id":"9856000","state":"USED"},{"coupon_code":"NEW-2","stock_id":"9856000","state":"USED"}]' > "$work/coupons.json"
env -u WXCOUPON_CONFIG -u WXCOUPON_PROFILE HOME="$work" TMPDIR="$work" \
    "$BIN" emulator --coupons "$work/coupons.json" > "$work/emulator.toml" 2> "$work/emulator.log" &
emu=$!
for _ in $(seq 100); do
    grep -q '^base_url' "$work/emulator.toml" 2>/dev/null && break
    kill -0 "$emu" 2>/dev/null || break
    sleep 0.1
done
grep -q '^base_url' "$work/emulator.toml" || { cat "$work/emulator.log" >&2; exit 1; }

run() { # run NAME CMD...: prints NAME, wall seconds, peak memory
    local name=$1
    shift
    /usr/bin/time -f '%e %M' -o "$work/t" env WXCOUPON_STATE_DIR="$state" HOME="$work" "$@" > "$work/out" 2> "$work/err" || {
        echo "bench: $name failed:" >&2; cat "$work/err" >&2; exit 1; }
    read -r wall rss < "$work/t"
    printf "%-40s %6.2f s  %6.1f MiB  (%s lines out)\n" "$name" "$wall" "$(echo "$rss / 1024" | bc -l)" "$(wc -l < "$work/out")"
}
cfg=(--config "$work/emulator.toml")
echo "ledger: $RECORDS records in 12 monthly files, $size; $(nproc) cores"
run "(a) history --json (everything)" "$BIN" "${cfg[@]}" history --json
run "(b) history --code L000000777" "$BIN" "${cfg[@]}" history --code L000000777
run "(c) history --since 2026-12-01" "$BIN" "${cfg[@]}" history --since 2026-12-01 --json
run "(d) return (coupon not in the ledger)" "$BIN" "${cfg[@]}" return --code NEW-1 --stock 9856000
run "(e) return --request-no (holder check)" "$BIN" "${cfg[@]}" return --code NEW-2 --stock 9856000 --request-no FRESH-1
