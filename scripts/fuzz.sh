#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time (default 60 s each).
#
#   scripts/fuzz.sh            # all targets, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh samba_lines
#
# cargo-fuzz is installed when missing. libFuzzer's sanitizer flags need a nightly compiler;
# with the stable toolchain RUSTC_BOOTSTRAP=1 unlocks them. Crashes land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(zeek_lines samba_lines sniff)
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
  echo "== fuzzing $t for ${SECONDS_EACH}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "fuzz/corpus/$t" "${seeds[@]}" -- \
    -max_total_time="$SECONDS_EACH" -max_len=4096 -print_final_stats=1
done
