#!/usr/bin/env bash
# The generalisation check of fitted scores (docs/rules.md "Fitted scores"): fit with the
# hard-ham development files left out entirely, train the classifier on the same mail, then
# scan the hard-ham files, which neither the fit nor the classifier saw, as a deployment
# would. Prints how many of them are flagged (any action but accept).
#
#   scripts/fit-generalisation.sh [moat-binary [rules fit options…]]
set -euo pipefail
cd "$(dirname "$0")/.."
moat=$(realpath "${1:-${CARGO_TARGET_DIR:-target}/release/moat}")
cache=${MOAT_CORPUS_DIR:-/var/tmp/moat-corpus}
MOAT_CORPUS_ONLY=1 scripts/corpus.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/moat.yaml" <<YAML
hostname: mx.example.test
listen: [127.0.0.1:2525]
domains: [example.test]
backend: {protocol: maildir, path: ./mail}
rules:
  files: [builtin:default]
  scores: fitted.yaml
bayes:
  model: bayes.model
YAML
printf 'scores: {}\n' >"$work/fitted.yaml"
"$moat" learn -c "$work/moat.yaml" --spam "$cache/spam-1" --ham "$cache/easy-ham-1" >/dev/null
"$moat" rules fit -c "$work/moat.yaml" "${@:2}" --spam "$cache/spam-1" --ham "$cache/easy-ham-1" \
    --out "$work/fitted.yaml" 2>/dev/null >/dev/null
echo "hard-ham-dev, never seen by the fit nor the classifier:"
"$moat" scan -c "$work/moat.yaml" "$cache/hard-ham-dev" | tail -1
"$moat" scan -c "$work/moat.yaml" "$cache/hard-ham-dev" | grep -v ": accept \|^summary" || true
