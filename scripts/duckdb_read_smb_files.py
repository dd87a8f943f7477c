"""Reads a Zeek smb_files.log (TSV) with DuckDB's read_csv, as the peer in scripts/bench-ingest.sh.

Usage: python duckdb_read_smb_files.py SMB_FILES_LOG [THREADS]
Parses every column (typed) and aggregates a few so that nothing is skipped.
"""
import sys

import duckdb

path = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
con = duckdb.connect()
if threads:
    con.execute(f"SET threads = {threads}")
columns = {
    "ts": "DOUBLE", "uid": "VARCHAR", "orig_h": "VARCHAR", "orig_p": "INTEGER",
    "resp_h": "VARCHAR", "resp_p": "INTEGER", "fuid": "VARCHAR", "action": "VARCHAR",
    "path": "VARCHAR", "name": "VARCHAR", "size": "BIGINT", "prev_name": "VARCHAR",
    "modified": "DOUBLE", "accessed": "DOUBLE", "created": "DOUBLE", "changed": "DOUBLE",
}
row = con.execute(
    "SELECT count(*), sum(size), min(ts), count(DISTINCT name) FROM read_csv(?, "
    "delim='\t', header=false, comment='#', nullstr='-', quote='', escape='', auto_detect=false, columns=?)",
    [path, columns],
).fetchone()
print(row)
