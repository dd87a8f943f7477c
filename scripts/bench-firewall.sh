#!/usr/bin/env bash
# Firewall and proxy line parsers (PAN-OS TRAFFIC, FortiGate traffic, Cisco ASA built/teardown,
# Squid native): criterion's `firewall_lines` group (100 000 generated lines per format, parsed
# into flows in memory, with an in-process newline-count floor), then the shell floor on the
# same files, written by the bench: `wc -l` and `cat >/dev/null`, best of 5 (page cache warm),
# beside the whole path on each file: `breachscope normalize --count-only` (read, hash, parse,
# normalise), best of 5.
#
#   scripts/bench-firewall.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo build --release -q -p breachscope
B=${CARGO_TARGET_DIR:-target}/release/breachscope
FIREWALL_BENCH_DIR="$dir" cargo bench -p breachscope-ingest --bench ingest -- firewall_lines \
  --warm-up-time 1 --measurement-time 3 2>&1 | grep -E '^firewall_lines/|time:|thrpt:'
best() {
  local best=999999999999 t0 t1
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    (( t1 - t0 < best )) && best=$(( t1 - t0 ))
  done
  echo "$best"
}
echo "file | bytes | lines | wc -l ms | cat ms | breachscope normalize --count-only ms"
for f in "$dir"/*.log; do
  wc_ns=$(best wc -l "$f")
  cat_ns=$(best cat "$f")
  bs_ns=$(best "$B" normalize --count-only --log-tz UTC "$f" 2>/dev/null)
  printf '%s | %s | %s | %.2f | %.2f | %.1f\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(wc -l <"$f")" \
    "$(echo "$wc_ns / 1000000" | bc -l)" "$(echo "$cat_ns / 1000000" | bc -l)" "$(echo "$bs_ns / 1000000" | bc -l)"
done
