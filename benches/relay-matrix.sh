#!/usr/bin/env bash
# Relay matrix: relay-load.sh over 4 KB and 100 KB messages × 1, 20 and 200 concurrent
# sessions, with SPF/DKIM/DMARC/iprev and the default rule pack on (DNS from a loopback
# dnsmasq, answers cached by Moat), each cell ROUNDS times; then one paced run at PACED
# messages/s for the added-latency goal. Prints a table of messages/s (direct, through Moat,
# ratio) and Moat's p50/p99 transaction time from its own histograms. See docs/PERFORMANCE.md.
#
#   benches/relay-matrix.sh
#   ROUNDS=1 SIZES=4096 SESSIONS_LIST="20" benches/relay-matrix.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-2}"
SIZES="${SIZES:-4096 102400}"
SESSIONS_LIST="${SESSIONS_LIST:-1 20 200}"
PACED="${PACED:-500}"
export AUTH=1 LOG_LEVEL="${LOG_LEVEL:-warn}"

out=$(mktemp -t moat-matrix-XXXXXX)
trap 'rm -f "$out"' EXIT

# Messages per cell: enough for a few seconds of load without making one session's cell long.
messages_for() {
    case "$1" in
        1) echo 1000 ;;
        *) [ "$2" -gt 10000 ] && echo 2000 || echo 5000 ;;
    esac
}

# Each cell leaves thousands of loopback connections in TIME_WAIT (a new connection per
# message, twice through Moat); once they fill much of the ephemeral port range, connect()
# slows down and the next cell, through Moat above all, measures that. Wait (at most 70 s)
# until fewer than 2,000 are left.
settle() {
    local i
    for i in $(seq 70); do
        [ "$(ss -tan state time-wait 2>/dev/null | wc -l)" -lt 2000 ] && return
        sleep 1
    done
}

printf '%-8s %-9s %-6s %10s %10s %7s %14s %14s\n' size sessions round direct/s moat/s ratio "moat p50 ms" "moat p99 ms"
for size in $SIZES; do
    for sessions in $SESSIONS_LIST; do
        for round in $(seq "$ROUNDS"); do
            settle
            SIZE=$size SESSIONS=$sessions MESSAGES=$(messages_for "$sessions" "$size") PACED= \
                benches/relay-load.sh >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
            result=$(grep '^RESULT' "$out")
            tx=$(grep -E '^  transaction ' "$out" || true)
            p50=$(sed -nE 's/.*p50 +(<?[0-9.]+) ms.*/\1/p' <<<"$tx")
            p99=$(sed -nE 's/.*p99 +(<?[0-9.]+) ms.*/\1/p' <<<"$tx")
            eval "$(sed -E 's/^RESULT //' <<<"$result")"
            # shellcheck disable=SC2154 # direct, moat, ratio come from the RESULT line
            printf '%-8s %-9s %-6s %10s %10s %7s %14s %14s\n' "$size" "$sessions" "$round" \
                "$direct" "$moat" "$ratio" "${p50:-?}" "${p99:-?}"
        done
    done
done

if [ "$PACED" != 0 ]; then
    echo
    SIZE=4096 SESSIONS=20 MESSAGES=2000 PACED="$PACED" benches/relay-load.sh >"$out" 2>&1 \
        || { cat "$out" >&2; exit 1; }
    sed -n '/^paced:/,$p' "$out"
fi
