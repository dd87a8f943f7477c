#!/usr/bin/env bash
# Reading nfcapd files: breachscope's native reader against nfdump on the same bytes, in one run.
#
#   scripts/bench-nfcapd.sh [DOUBLINGS]      # default 14: 57 × 2^14 = 933,888 records
#
# Needs nfdump (Debian's, 1.7.x) and ../shared/data/netflow. The large file is made by nfdump
# itself: a real nfcapd file (softflowd's IPFIX export of the Wikipedia trace) is merged with
# itself DOUBLINGS times (`nfdump -R dir -w`), then recompressed with `-J` (LZO, bzip2, LZ4).
# Each file is read once by `nfdump -r F -o csv`, `-o raw`, `-o null -q` (decode, no output), and
# by the `nfcapd_read` example (records, then paired flows). Output to /dev/null; wall-clock
# seconds, the best of 3. The example is built in the release profile; `breachscope normalize
# --count-only` (the whole path: hash, records, pairing, normalising) and `cat` (the floor) are
# timed beside.
set -euo pipefail
cd "$(dirname "$0")/.."
DOUBLINGS=${1:-14}
SRC=../shared/data/netflow/wikipedia_v10.nfcapd
command -v nfdump >/dev/null || { echo "nfdump not installed"; exit 1; }
[ -f "$SRC" ] || { echo "$SRC not found"; exit 1; }
cargo build --release --quiet -p breachscope-ingest --example nfcapd_read
cargo build --release --quiet -p breachscope
TARGET=${CARGO_TARGET_DIR:-target}
READ="$TARGET/release/examples/nfcapd_read"
B="$TARGET/release/breachscope"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cp "$SRC" "$WORK/f0"
chmod u+w "$WORK/f0"
for i in $(seq 1 "$DOUBLINGS"); do
  mkdir "$WORK/d"
  cp "$WORK/f$((i - 1))" "$WORK/d/a"
  cp "$WORK/f$((i - 1))" "$WORK/d/b"
  nfdump -R "$WORK/d" -w "$WORK/f$i" >/dev/null
  rm -rf "$WORK/d" "$WORK/f$((i - 1))"
done
BIG="$WORK/big-none"
mv "$WORK/f$DOUBLINGS" "$BIG"
for j in 1:lzo 2:bz2 3:lz4; do
  cp "$BIG" "$WORK/big-${j#*:}"
  nfdump -J "${j%%:*}" -r "$WORK/big-${j#*:}" >/dev/null
done

secs() { # command... → the best wall seconds of 3 runs
  local t0 t1 best=
  for _ in 1 2 3; do
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    best=$(awk -v a="$t0" -v b="$t1" -v m="$best" 'BEGIN { d = b - a; if (m == "" || d < m) m = d; printf "%.3f", m }')
  done
  echo "$best"
}

echo "nfdump $(nfdump -V | sed 's/.*Version: //'), $(nproc) cores"
plain=$(stat -c %s "$WORK/big-none")
# MB/s is over the uncompressed file's size (the same records), so that the compressions compare;
# the doubled file repeats its records and compresses far better than real traffic would.
printf '%-9s %12s %10s  %-28s %9s %12s %12s\n' file bytes records reader seconds records/s "plain MB/s"
for c in none lzo bz2 lz4; do
  f="$WORK/big-$c"
  bytes=$(stat -c %s "$f")
  records=$("$READ" "$f" | awk -F'\t' '{split($3, a, " "); print a[1]}')
  theirs=$(nfdump -r "$f" -o null | sed -n 's/^Total flows processed: \([0-9]*\),.*/\1/p')
  [ "$records" = "$theirs" ] || { echo "$c: breachscope read $records records, nfdump $theirs"; exit 1; }
  for r in "floor: cat" "nfdump -o csv" "nfdump -o raw" "nfdump -o null -q" "breachscope records" "breachscope paired flows" "breachscope normalize --count-only"; do
    case "$r" in
      "floor: cat") s=$(secs cat "$f") ;;
      "breachscope normalize --count-only") s=$(secs "$B" normalize --count-only --format nfcapd "$f") ;;
      "nfdump -o csv") s=$(secs nfdump -r "$f" -o csv) ;;
      "nfdump -o raw") s=$(secs nfdump -r "$f" -o raw) ;;
      "nfdump -o null -q") s=$(secs nfdump -r "$f" -o null -q) ;;
      "breachscope records") s=$(secs "$READ" "$f") ;;
      "breachscope paired flows") s=$(secs "$READ" --flows "$f") ;;
    esac
    printf '%-9s %12d %10d  %-28s %9.3f %12.0f %12.1f\n' "$c" "$bytes" "$records" "$r" "$s" \
      "$(awk -v n="$records" -v s="$s" 'BEGIN { print n / s }')" \
      "$(awk -v n="$plain" -v s="$s" 'BEGIN { print n / s / 1e6 }')"
  done
done
