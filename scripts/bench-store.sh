#!/usr/bin/env bash
# Evidence store benchmark (issue 12): on the full demo's evidence, side by side in one run,
#   - the parse floor (`normalize --count-only`),
#   - `ingest` into an empty store, and again with nothing new,
#   - on the conn logs alone: `ingest` against DuckDB's own COPY of the same logs to Parquet
#     (1 and 2 threads, DuckDB's Python package in a venv under $BENCH_DIR),
#   - `investigate` from the raw logs against `investigate --store`,
# and the sizes of the lake, the logs and DuckDB's Parquet.
#
#   scripts/bench-store.sh            # RUNS=3
#
# The demo is generated once under $BENCH_DIR/demo-full (about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-bench-out}
RUNS=${RUNS:-3}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
cargo build --release -p breachscope
target=${CARGO_TARGET_DIR:-target}
B="$BENCH_DIR/bin/breachscope"
mkdir -p "$BENCH_DIR/bin"
cp "$target/release/breachscope" "$B"
D="$BENCH_DIR/demo-full"
[ -d "$D/zeek" ] || "$B" demo --scale full --dir "$D" >/dev/null
# The conn archives alone, as hard links in the zeekctl layout.
C="$BENCH_DIR/conn-only"
if [ ! -d "$C" ]; then
  for d in "$D"/zeek/*/; do
    mkdir -p "$C/$(basename "$d")"
    ln "$d"conn.* "$C/$(basename "$d")/"
  done
fi
if [ ! -x "$BENCH_DIR/duckdb-venv/bin/python" ]; then
  python3 -m venv "$BENCH_DIR/duckdb-venv"
  "$BENCH_DIR/duckdb-venv/bin/pip" install --quiet duckdb
fi
PY="$BENCH_DIR/duckdb-venv/bin/python"
cat > "$BENCH_DIR/duck_copy.py" <<'PY'
import sys, duckdb
cols = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes resp_bytes "
        "conn_state local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts "
        "resp_ip_bytes tunnel_parents ip_proto").split()
types = ("DOUBLE VARCHAR VARCHAR INTEGER VARCHAR INTEGER VARCHAR VARCHAR DOUBLE BIGINT BIGINT VARCHAR "
         "VARCHAR VARCHAR BIGINT VARCHAR BIGINT BIGINT BIGINT BIGINT VARCHAR INTEGER").split()
spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in zip(cols, types)) + "}"
con = duckdb.connect()
con.execute(f"SET threads TO {sys.argv[3]}")
con.execute(f"""COPY (SELECT * FROM read_csv('{sys.argv[1]}/*/conn.*.log.gz', delim='\t',
    header=false, comment='#', columns={spec}, nullstr='-', quote='', escape='',
    auto_detect=false)) TO '{sys.argv[2]}' (FORMAT parquet, COMPRESSION zstd)""")
PY
S="$BENCH_DIR/store-full"
SZ="$BENCH_DIR/store-conn"
time_it() { # label, command...
  local label=$1
  shift
  /usr/bin/time -f "$label %e s wall %U s user %M KB" "$@" >/dev/null 2>"$BENCH_DIR/time.err" || { cat "$BENCH_DIR/time.err" >&2; exit 1; }
  tail -1 "$BENCH_DIR/time.err"
}
for run in $(seq "$RUNS"); do
  echo "== run $run"
  time_it "normalize --count-only (all)" "$B" normalize --count-only --log-tz Asia/Tokyo "$D/zeek" "$D/samba"
  rm -rf "$S"
  time_it "ingest (all, empty store)" "$B" ingest --store "$S" --zeek "$D/zeek" --samba-audit "$D/samba" --log-tz Asia/Tokyo
  time_it "ingest again (nothing new)" "$B" ingest --store "$S" --zeek "$D/zeek" --samba-audit "$D/samba" --log-tz Asia/Tokyo
  time_it "normalize --count-only (conn)" "$B" normalize --count-only "$C"
  rm -rf "$SZ"
  time_it "ingest (conn, empty store)" "$B" ingest --store "$SZ" --zeek "$C" --log-tz Asia/Tokyo
  time_it "duckdb COPY (conn, 1 thread)" "$PY" "$BENCH_DIR/duck_copy.py" "$C" "$BENCH_DIR/conn-duck.parquet" 1
  time_it "duckdb COPY (conn, 2 threads)" "$PY" "$BENCH_DIR/duck_copy.py" "$C" "$BENCH_DIR/conn-duck.parquet" 2
  time_it "investigate (raw logs)" "$B" investigate --zeek "$D/zeek" --samba-audit "$D/samba" --log-tz Asia/Tokyo --detected-at 2025-08-01T00:00:00Z --out "$BENCH_DIR/out-raw"
  time_it "investigate --store" "$B" investigate --store "$S" --detected-at 2025-08-01T00:00:00Z --out "$BENCH_DIR/out-store"
done
echo "== sizes"
du -sh "$S/lake" "$S"/lake/* "$SZ/lake" "$BENCH_DIR/conn-duck.parquet" "$D/zeek" "$D/samba" "$C"
python3 - "$BENCH_DIR/out-raw/report.json" "$BENCH_DIR/out-store/report.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    r.pop("generated_at", None); r.pop("inputs", None)
print("reports equal apart from generated_at and inputs:", a == b)
PY
