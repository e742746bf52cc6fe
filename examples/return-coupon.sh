#!/bin/sh
# return-coupon.sh REFUND_ID COUPON_CODE STOCK_ID — return one coupon; safe to re-run, from
# cron or by hand. Exit 0 returned (now or by an earlier run), 3 a person must look,
# 4 or 5 try again later, 2 a configuration or input error. Needs only wxcoupon on PATH.
#
# The request number belongs to this return alone: it is made from the refund id AND the
# coupon. With --resume, wxcoupon takes WeChat Pay's RESOURCE_ALREADY_EXISTS for the number as
# proof that this return happened; a number once used for ANOTHER coupon would "confirm" a
# return that never happened. (A coupon code may hold spaces, a request number may not: they
# become dots, which no coupon code holds, so two coupons never share a number.)
set -u
[ $# -eq 3 ] || { echo "usage: $0 REFUND_ID COUPON_CODE STOCK_ID" >&2; exit 2; }
no="$1:$3:$(printf '%s' "$2" | tr ' ' .)"
out=$(wxcoupon return --code "$2" --stock "$3" --request-no "$no" --resume --json)
rc=$?
case $rc in
  0) echo "returned: $out" ;;                 # includes "confirmed_by_retry":true
  3) echo "rejected: $out" >&2; exit 3 ;;     # WeChat Pay said no: a person must look
  4) case $out in
       *'"code":"RULE_LIMIT"'*)
         # Not USED: returned by an earlier run, or never used. Re-running won't change it.
         echo "coupon $2 is not USED; check its state, then drop $no from the queue: $out" >&2
         exit 3 ;;
     esac
     echo "outcome unknown; the next run retries $no: $out" >&2; exit 4 ;;
  5) echo "answer not verified; check keys/clock/proxy: $out" >&2; exit 5 ;;
  2) echo "configuration or input error: $out" >&2; exit 2 ;;
  *) echo "wxcoupon did not run as expected (exit $rc; not installed, or not on PATH?)" >&2; exit "$rc" ;;
esac
