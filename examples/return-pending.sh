#!/bin/sh
# return-pending.sh FILE — FILE has one "REFUND_ID COUPON_CODE STOCK_ID" per line (a coupon
# code with a space does not fit this format: use a batch). Tries each with return-coupon.sh
# (found beside this script); keeps in FILE only the lines still to retry (exit 4 or 5, or
# wxcoupon did not run). Lines that need a person (exit 2 or 3) are said on stderr and dropped.
set -u
[ $# -eq 1 ] || { echo "usage: $0 FILE" >&2; exit 2; }
here=$(dirname "$0")
next="$1.next"
: > "$next"
while read -r refund code stock; do
  [ -n "$refund" ] || continue
  "$here/return-coupon.sh" "$refund" "$code" "$stock" < /dev/null
  case $? in
    0|2|3) ;;                                  # done, or a person must look (see the mail)
    *) echo "$refund $code $stock" >> "$next" ;;
  esac
done < "$1"
mv "$next" "$1"
