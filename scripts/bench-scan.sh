#!/usr/bin/env bash
# Classification benchmark: breachscope scan side by side with ripgrep running the same combined
# patterns and Microsoft Presidio's regex recognizers, on one generated corpus (English and
# Japanese prose with planted values and near-misses, UTF-8, ~100 MB).
#
#   scripts/bench-scan.sh                 # MB=100
#   MB=200 RUNS=3 scripts/bench-scan.sh
#
# Installs ripgrep (Debian) when missing and running as root; Presidio goes into a venv under
# $BENCH_DIR. Presidio is ~1000× slower, so it runs on the first 3 files (~3 MB) only and its
# MB/s is what is compared.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-bench-out}
MB=${MB:-100}
RUNS=${RUNS:-5}
mkdir -p "$BENCH_DIR"
cargo build --release -p breachscope
cargo build --release -p breachscope-classify --example gen_corpus
target=${CARGO_TARGET_DIR:-target}
B="$target/release/breachscope"
corpus="$BENCH_DIR/corpus-$MB"
[ -d "$corpus/files" ] || "$target/release/examples/gen_corpus" "$corpus" "$MB"
if ! command -v rg >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y ripgrep >/dev/null || { apt-get update >/dev/null && apt-get install -y ripgrep >/dev/null; }
  else echo "ripgrep is needed (apt-get install ripgrep)" >&2; exit 1; fi
fi
if ! command -v hyperfine >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y hyperfine >/dev/null; else echo "hyperfine is needed" >&2; exit 1; fi
fi
if [ ! -x "$BENCH_DIR/presidio-venv/bin/python" ]; then
  python3 -m venv "$BENCH_DIR/presidio-venv"
  "$BENCH_DIR/presidio-venv/bin/pip" install --quiet presidio-analyzer
fi
# The same patterns breachscope compiles (crates/classify/src/patterns.rs), one per line.
patterns="$BENCH_DIR/patterns.txt"
python3 - "$patterns" <<'PY'
import re, sys
src = open("crates/classify/src/patterns.rs", encoding="utf-8").read()
block = src[src.index("let patterns = ["):src.index("];", src.index("let patterns = ["))]
pats = re.findall(r'r"((?:[^"\\]|\\.)*)"', block)
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(pats) + "\n")
print(f"{len(pats)} patterns", file=sys.stderr)
PY
key="$BENCH_DIR/bench.key"
bytes=$(du -sb "$corpus/files" | cut -f1)
hyperfine --warmup 1 --runs "$RUNS" --export-json "$BENCH_DIR/scan.json" --export-markdown "$BENCH_DIR/scan.md" \
  -n "breachscope scan, 1 thread" "$B scan --no-cache --threads 1 --key $key $corpus/files" \
  -n "breachscope scan, 2 threads" "$B scan --no-cache --threads 2 --key $key $corpus/files" \
  -n "rg -o (every match), 1 thread" "rg -j1 -o -f $patterns $corpus/files" \
  -n "rg -c (matching lines), 1 thread" "rg -j1 -c -f $patterns $corpus/files" \
  -n "rg -o (every match), 2 threads" "rg -j2 -o -f $patterns $corpus/files" \
  --output=null
python3 - "$BENCH_DIR/scan.json" "$bytes" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); size = int(sys.argv[2])
print(f"\n{'command':40} {'median s':>9} {'CPU s':>7} {'MB/s wall':>10} {'MB/s per core':>14}")
for r in d["results"]:
    cpu = r["user"] + r["system"]
    print(f"{r['command']:40} {r['median']:9.3f} {cpu:7.3f} {size/r['median']/1e6:10.1f} {size/cpu/1e6:14.1f}")
PY
files=$(ls "$corpus"/files/*.txt | head -3)
"$BENCH_DIR/presidio-venv/bin/python" scripts/presidio_scan.py $files
