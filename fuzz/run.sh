#!/usr/bin/env bash
# Runs one fuzz target (or all) for a while, starting from the committed seeds.
#
#   fuzz/run.sh [TARGET|all] [SECONDS]      e.g. fuzz/run.sh data_receiver 600
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). Moat builds with the stable toolchain only, so
# the nightly-only sanitizer flags are switched on with RUSTC_BOOTSTRAP. `-O` builds with the
# release profile in fuzz/Cargo.toml: optimised, AddressSanitizer, debug assertions and overflow
# checks on for Moat (off only for mail-parser's debug assertions; see there). Crashes land in
# fuzz/artifacts/<target>/; each becomes a fix plus a regression test named after it. libFuzzer's
# final line "Done N runs in S second(s)" gives the run count.
set -euo pipefail
cd "$(dirname "$0")"
target="${1:-all}"
seconds="${2:-60}"
targets=(command data_receiver session config backend_reply proxy_header rules pipeline suffix_list admin_request archive milter_packet scan_api_head)
[ "$target" = all ] || targets=("$target")
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true
    echo "== fuzzing $t for ${seconds}s"
    cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$seconds" -max_len=65536 -print_final_stats=1
    echo "== $t: corpus of $(find "corpus/$t" -type f | wc -l) inputs"
done
