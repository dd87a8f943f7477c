#!/usr/bin/env bash
# Ingest benchmark: breachscope's Zeek (conn, smb_files) and Samba readers side by side with the
# floor (cat/zcat to /dev/null) and DuckDB's read_csv of the same TSV, in one hyperfine run.
#
#   scripts/bench-ingest.sh            # 1,000,000 rows of each
#   ROWS=200000 scripts/bench-ingest.sh
#
# Needs: cargo, python3 (a venv with duckdb is made under $BENCH_DIR), hyperfine (installed with
# apt-get when missing and running as root). Results: $BENCH_DIR/ingest.md and .json.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-bench-out}
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-5}
mkdir -p "$BENCH_DIR"

cargo build --release -p breachscope
cargo build --release -p breachscope-ingest --example gen_bench_data
target=${CARGO_TARGET_DIR:-target}
B="$target/release/breachscope"
GEN="$target/release/examples/gen_bench_data"

data="$BENCH_DIR/data-$ROWS"
if [ ! -f "$data/smb_files.log" ]; then
  "$GEN" "$data" "$ROWS"
fi

if [ ! -x "$BENCH_DIR/venv/bin/python" ]; then
  python3 -m venv "$BENCH_DIR/venv"
  "$BENCH_DIR/venv/bin/pip" install --quiet duckdb
fi
if ! command -v hyperfine >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y hyperfine >/dev/null || { apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; }
  else echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; fi
fi
PY="$BENCH_DIR/venv/bin/python"

hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$BENCH_DIR/ingest.md" --export-json "$BENCH_DIR/ingest.json" \
  -n "floor: cat conn.log" "cat $data/conn.log" \
  -n "floor: zcat conn.log.gz" "zcat $data/conn.log.gz" \
  -n "breachscope normalize --count-only conn.log" "$B normalize --count-only $data/conn.log" \
  -n "breachscope normalize --count-only conn.log.gz" "$B normalize --count-only $data/conn.log.gz" \
  -n "breachscope normalize conn.log (OCSF JSON out)" "$B normalize $data/conn.log" \
  -n "duckdb read_csv conn.log (1 thread)" "$PY scripts/duckdb_read_conn.py $data/conn.log 1" \
  -n "duckdb read_csv conn.log (2 threads)" "$PY scripts/duckdb_read_conn.py $data/conn.log 2" \
  -n "floor: cat smb_files.log" "cat $data/smb_files.log" \
  -n "breachscope normalize --count-only smb_files.log" "$B normalize --count-only $data/smb_files.log" \
  -n "duckdb read_csv smb_files.log (1 thread)" "$PY scripts/duckdb_read_smb_files.py $data/smb_files.log 1" \
  -n "floor: cat samba_audit.log" "cat $data/samba_audit.log" \
  -n "breachscope normalize --count-only samba_audit.log" "$B normalize --count-only --log-tz UTC $data/samba_audit.log" \
  -n "breachscope normalize samba_audit.log (OCSF JSON out)" "$B normalize --log-tz UTC $data/samba_audit.log" \
  --output=null

"$PY" - "$BENCH_DIR/ingest.json" "$ROWS" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); rows = int(sys.argv[2])
print(f"\n{'command':58} {'median s':>9} {'user s':>8} {'rows/s (wall)':>14} {'rows/s/core':>12}")
for r in d["results"]:
    med = r["median"]; user = r["user"] + r["system"]
    print(f"{r['command']:58} {med:9.3f} {user:8.3f} {rows/med:14,.0f} {rows/user:12,.0f}")
PY
