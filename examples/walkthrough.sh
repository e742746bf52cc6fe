#!/bin/sh
# walkthrough.sh — the README's walk-through against the emulator, as one script: the same
# commands, with the emulator (the README's second terminal) in the background. Each command
# is printed after "$ ", then its output (stdout and stderr, as a terminal shows them), then
# "exit N". Needs only wxcoupon on PATH; works in a temporary folder, removed at the end.
set -u
work=$(mktemp -d)
cd "$work" || exit 1
emu=
trap 'stop_emulator; rm -rf "$work"' EXIT
# The sample merchant whatever config this machine has (an empty config folder), and a ledger
# of its own here: the walk-through touches neither the machine's config nor its ledger.
mkdir "$work/no-config"
export WXCOUPON_STATE_DIR="$work/state"

step() { printf '\n$ %s\n' "$*"; "$@" 2>&1; echo "exit $?"; }

# Terminal 2: `wxcoupon emulator FLAGS > FILE`. It prints its profile on stdout once it
# listens (read here up to its base_url line), then logs one line per request on stderr.
start_emulator() {
  file=$1; shift
  printf '\n$ wxcoupon emulator %s > %s    # terminal 2\n' "$*" "$file"
  rm -f emulator.out; mkfifo emulator.out
  env -u WXCOUPON_CONFIG XDG_CONFIG_HOME="$work/no-config" \
    wxcoupon emulator "$@" > emulator.out 2>> emulator.log &
  emu=$!
  exec 3< emulator.out
  : > "$file"
  while IFS= read -r line <&3; do
    printf '%s\n' "$line" >> "$file"
    case $line in base_url*) break ;; esac
  done
  grep '^base_url' "$file" || { echo "the emulator did not start:" >&2; cat emulator.log >&2; exit 1; }
}
# Ctrl-C in terminal 2.
stop_emulator() {
  [ -n "$emu" ] || return 0
  printf '\n$ ^C    # terminal 2\n'
  kill -INT "$emu"; wait "$emu"; echo "exit $?"
  exec 3<&-
  emu=
}

# 1. Start the emulator, keeping its files in a folder, and save the profile it prints.
start_emulator emulator.toml --state emulator-state
export WXCOUPON_CONFIG="$work/emulator.toml"
step wxcoupon doctor

# 2. Return a coupon; the same request number again is refused, with --resume it confirms.
step wxcoupon return --code COUPON-USED-1 --stock 9856000 --request-no refund-1001
step wxcoupon return --code COUPON-USED-1 --stock 9856000 --request-no refund-1001
step wxcoupon return --code COUPON-USED-1 --stock 9856000 --request-no refund-1001 --resume

# 3. A batch: one coupon returned, one refused; the re-run sends nothing again.
printf 'coupon_code,stock_id\nCOUPON-USED-2,9856000\nCOUPON-AVAILABLE,9856000\n' > refunds.csv
step wxcoupon return --batch refunds.csv
step wxcoupon return --batch refunds.csv

# 4. Ctrl-C the emulator: a batch now gets no answer (exit 4, and the command that resumes).
#    Started again with the same --state, it has the same port, keys and coupons: the saved
#    profile still works, and the batch resumes with the request number it recorded.
stop_emulator
printf 'coupon_code,stock_id\nCOUPON-USED-3,9856000\n' > more.csv
step wxcoupon return --batch more.csv --retries 0
start_emulator emulator.toml --state emulator-state
step wxcoupon return --batch more.csv

# 5. Platform certificates: an emulator that signs with a platform certificate (a folder of
#    its own: its own coupons and port), a download, the list, and a return verified by it.
stop_emulator
start_emulator emulator-certs.toml --state emulator-certs --signer certificate
export WXCOUPON_CONFIG="$work/emulator-certs.toml"
step wxcoupon certificates download
step wxcoupon certificates list
step wxcoupon return --code COUPON-USED-1 --stock 9856000 --request-no refund-2001
stop_emulator

printf '\nWhat the emulator saw:\n'
cat emulator.log
