#!/usr/bin/env bash
# Refits the default pack's scores on the development corpus (docs/rules.md "Fitted scores").
#
#   scripts/fit-default.sh [moat-binary]
#
# Extracts the corpus as scripts/corpus.sh does (spam-1, easy-ham-1 and the hard-ham
# development files only) and fits twice:
# - the rules alone → rules/default-scores.yaml (configurations without the classifier);
# - the rules with the classifier's bands (each message's band from a classifier that never
#   saw it) → rules/default-scores-bayes.yaml, and the band scores of both opinions
#   (BAYES_xx, BAYES_SENDER_xx) printed here, which are the defaults of `bayes.scores`
#   (src/config/bayes.rs DEFAULT_BANDS and DEFAULT_SENDER_BANDS, and config/moat.yaml:
#   update both; a unit test checks they agree).
# Then prints the 10-fold cross-validation of both fits.
set -euo pipefail
cd "$(dirname "$0")/.."
moat=${1:-${CARGO_TARGET_DIR:-target}/release/moat}
cache=${MOAT_CORPUS_DIR:-/var/tmp/moat-corpus}
MOAT_CORPUS_ONLY=1 scripts/corpus.sh
data=(--spam "$cache/spam-1" --ham "$cache/easy-ham-1" "$cache/hard-ham-dev")
fitted=$(mktemp)
trap 'rm -f "$fitted"' EXIT
# $1: output file, $2: "--bayes" or nothing
write() {
    {
        echo "# The default pack's scores, fitted from labelled mail by scripts/fit-default.sh:"
        echo "#   moat rules fit $2 --spam spam-1 --ham easy-ham-1 hard-ham-dev"
        echo "# over the development corpus (docs/rules.md \"Fitted scores\"). Do not edit by hand:"
        echo "# change a rule's hand score (its sign is the direction the fit keeps) and refit."
        grep -v '^  BAYES_' "$fitted" | grep -v '^# Scores fitted'
    } >"$1"
}
"$moat" rules fit "${data[@]}" >"$fitted"
write rules/default-scores.yaml ""
"$moat" rules fit --bayes "${data[@]}" >"$fitted"
write rules/default-scores-bayes.yaml "--bayes"
echo "classifier bands (bayes.scores defaults):"
grep '^  BAYES_' "$fitted"
echo "rules alone:"
"$moat" rules fit --evaluate "${data[@]}"
echo "rules and classifier:"
"$moat" rules fit --bayes --evaluate "${data[@]}"
