#!/usr/bin/env bash
# EVTX benchmark: breachscope's EVTX reader side by side with `evtx_dump` (the `evtx` crate's own
# command-line tool, the reference the samples' counts come from), in one hyperfine run, over the
# real samples in ../shared/data/evtx copied COPIES times (default 8: 1,040 files, 207 MB,
# 55,720 records).
#
#   scripts/bench-evtx.sh
#   COPIES=16 RUNS=10 scripts/bench-evtx.sh
#
# Needs: cargo (evtx_dump 0.15.1 is installed under $BENCH_DIR/evtx-dump when missing), hyperfine
# (installed with apt-get when missing and running as root). Results: $BENCH_DIR/evtx.md/.json.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-bench-out}
COPIES=${COPIES:-8}
RUNS=${RUNS:-5}
SAMPLES=${SAMPLES:-../shared/data/evtx}
mkdir -p "$BENCH_DIR"
[ -d "$SAMPLES" ] || { echo "$SAMPLES not found: the benchmark reads the real samples" >&2; exit 1; }

cargo build --release -p breachscope
target=${CARGO_TARGET_DIR:-target}
B="$target/release/breachscope"
DUMP="$BENCH_DIR/evtx-dump/bin/evtx_dump"
[ -x "$DUMP" ] || cargo install evtx --version 0.15.1 --locked --root "$BENCH_DIR/evtx-dump"
if ! command -v hyperfine >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y hyperfine >/dev/null || { apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; }
  else echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; fi
fi

data="$BENCH_DIR/evtx-x$COPIES"
if [ ! -d "$data" ]; then
  for i in $(seq 1 "$COPIES"); do
    (cd "$SAMPLES" && find . -name '*.evtx' -print0) | while IFS= read -r -d '' f; do
      mkdir -p "$data/copy$i/$(dirname "$f")"
      cp "$SAMPLES/$f" "$data/copy$i/$f"
    done
  done
fi
files=$(find "$data" -name '*.evtx' | wc -l)
bytes=$(find "$data" -name '*.evtx' -printf '%s\n' | awk '{s+=$1} END {print s}')
records=$("$B" normalize --format evtx --count-only --summary-json "$BENCH_DIR/evtx-summary.json" "$data" 2>/dev/null; python3 -c "import json,sys; print(sum(f['lines'] for f in json.load(open(sys.argv[1]))['files']))" "$BENCH_DIR/evtx-summary.json")
echo "$files files, $bytes bytes, $records records"
list="$BENCH_DIR/evtx-files.txt"
find "$data" -name '*.evtx' -print0 > "$list"

hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$BENCH_DIR/evtx.md" --export-json "$BENCH_DIR/evtx.json" \
  -n "breachscope normalize --format evtx --count-only (2 threads)" "$B normalize --format evtx --count-only $data" \
  -n "breachscope normalize --format evtx (OCSF JSON out)" "$B normalize --format evtx $data" \
  -n "evtx_dump -o jsonl -t 2, file by file" "xargs -0 -n 1 $DUMP -o jsonl -t 2 < $list" \
  -n "evtx_dump -o jsonl -t 1, 2 files at a time" "xargs -0 -n 1 -P 2 $DUMP -o jsonl -t 1 < $list" \
  --output=null

python3 - "$BENCH_DIR/evtx.json" "$records" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
print(f"\n{'command':62} {'median s':>9} {'cpu s':>7} {'records/s':>10}")
for r in d["results"]:
    med = r["median"]; cpu = r["user"] + r["system"]
    print(f"{r['command']:62} {med:9.3f} {cpu:7.3f} {n/med:10,.0f}")
PY
