#!/usr/bin/env bash
# Refits the default pack's scores on the development corpus (docs/rules.md "Fitted scores").
#
#   scripts/fit-default.sh [moat-binary]
#
# Extracts the corpus as scripts/corpus.sh does (spam-1, easy-ham-1 and the hard-ham
# development files only), fits every finding with the classifier's bands (each message's
# band from a classifier that never saw it), writes the rule scores to
# rules/default-scores.yaml and prints the BAYES_xx band scores, which are the defaults of
# `bayes.scores` (src/config/bayes.rs DEFAULT_BANDS and config/moat.yaml: update both).
# Then prints the 10-fold cross-validation of the same fit.
set -euo pipefail
cd "$(dirname "$0")/.."
moat=${1:-${CARGO_TARGET_DIR:-target}/release/moat}
cache=${MOAT_CORPUS_DIR:-/var/tmp/moat-corpus}
MOAT_CORPUS_ONLY=1 scripts/corpus.sh
data=(--spam "$cache/spam-1" --ham "$cache/easy-ham-1" "$cache/hard-ham-dev")
fitted=$(mktemp)
trap 'rm -f "$fitted"' EXIT
"$moat" rules fit --bayes "${data[@]}" >"$fitted"
{
    echo "# The default pack's scores, fitted from labelled mail by scripts/fit-default.sh:"
    echo "#   moat rules fit --bayes --spam spam-1 --ham easy-ham-1 hard-ham-dev"
    echo "# over the development corpus (docs/rules.md \"Fitted scores\"). Do not edit by hand:"
    echo "# change a rule's hand score (its sign is the direction the fit keeps) and refit."
    grep -v '^  BAYES_' "$fitted" | grep -v '^# Scores fitted'
} >rules/default-scores.yaml
echo "classifier bands (bayes.scores defaults):"
grep '^  BAYES_' "$fitted"
"$moat" rules fit --bayes --evaluate "${data[@]}"
