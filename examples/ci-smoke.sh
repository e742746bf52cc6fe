#!/bin/sh
# ci-smoke.sh — a CI smoke check: start the emulator with a lost answer planted (it returns
# the coupon, then drops the connection), point wxcoupon at it, and run return-coupon.sh,
# which must still report the coupon returned (confirmed by its retry, exit 0).
# Needs wxcoupon on PATH; writes only into a temporary folder, removed at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
mkfifo "$work/emulator.out"
# The sample merchant whatever config this machine has (an empty config folder), and a ledger
# of its own in the temporary folder: nothing here touches the machine's config or ledger.
mkdir "$work/no-config"
export WXCOUPON_STATE_DIR="$work/state"
env -u WXCOUPON_CONFIG XDG_CONFIG_HOME="$work/no-config" \
  wxcoupon emulator --fault drop-after > "$work/emulator.out" 2> "$work/emulator.log" &
emu=$!
trap 'kill -INT $emu 2>/dev/null; wait $emu; cat "$work/emulator.log"; rm -rf "$work"' EXIT
# The emulator prints its profile on stdout once it listens: read it up to base_url.
exec 3< "$work/emulator.out"
while IFS= read -r line <&3; do
  printf '%s\n' "$line" >> "$work/emulator.toml"
  case $line in base_url*) break ;; esac
done
grep -q '^base_url' "$work/emulator.toml" || { echo "the emulator did not start" >&2; exit 1; }
export WXCOUPON_CONFIG="$work/emulator.toml"
"$here/return-coupon.sh" REFUND-1 COUPON-USED-1 9856000   # your script, unchanged
