"""Reads a Zeek conn.log (TSV) with DuckDB's read_csv, as the peer in scripts/bench-ingest.sh.

Usage: python duckdb_read_conn.py CONN_LOG [THREADS]
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
    "resp_h": "VARCHAR", "resp_p": "INTEGER", "proto": "VARCHAR", "service": "VARCHAR",
    "duration": "DOUBLE", "orig_bytes": "BIGINT", "resp_bytes": "BIGINT", "conn_state": "VARCHAR",
    "local_orig": "VARCHAR", "local_resp": "VARCHAR", "missed_bytes": "BIGINT", "history": "VARCHAR",
    "orig_pkts": "BIGINT", "orig_ip_bytes": "BIGINT", "resp_pkts": "BIGINT",
    "resp_ip_bytes": "BIGINT", "tunnel_parents": "VARCHAR", "ip_proto": "INTEGER",
}
row = con.execute(
    "SELECT count(*), sum(orig_bytes), min(ts), count(DISTINCT resp_h) FROM read_csv(?, "
    "delim='\t', header=false, comment='#', nullstr='-', quote='', escape='', auto_detect=false, columns=?)",
    [path, columns],
).fetchone()
print(row)
