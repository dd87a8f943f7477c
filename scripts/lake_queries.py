"""The README's hunting queries on a breachscope store's lake, run with DuckDB's Python package.

    python3 scripts/lake_queries.py STORE [EXFIL_IP SHARE PATH]

Prints JSON: events per class and day, the top talkers to EXFIL_IP, and who read SHARE/PATH
(the defaults are the demo's exfiltration address and one of its customer files). The
integration test `crates/cli/tests/store.rs` runs this file.
"""
import json
import sys

import duckdb

store = sys.argv[1]
exfil = sys.argv[2] if len(sys.argv) > 2 else "203.0.113.99"
lake = f"{store}/lake"
con = duckdb.connect()


def parquet(class_uid):
    return f"read_parquet('{lake}/class_uid={class_uid}/*/*.parquet', hive_partitioning = true)"


out = {"per_class_day": [], "top_talkers": [], "readers": []}
# Events per class and day (each class has its own schema, so one query per class).
for class_uid in (1001, 1008, 3002, 4001, 4003):
    try:
        rows = con.execute(
            f"SELECT class_uid, CAST(event_day AS BIGINT) AS day, count(*) "
            f"FROM {parquet(class_uid)} GROUP BY ALL ORDER BY day"
        ).fetchall()
    except duckdb.IOException:
        continue  # no part of this class
    out["per_class_day"].extend([list(r) for r in rows])

# Top talkers to one address: who sent it the most.
out["top_talkers"] = [
    list(r)
    for r in con.execute(
        f"""SELECT src_endpoint.ip, sum(traffic.bytes_out) AS bytes_out, count(*) AS connections
            FROM {parquet(4001)}
            WHERE dst_endpoint.ip = ?
            GROUP BY 1 ORDER BY bytes_out DESC LIMIT 10""",
        [exfil],
    ).fetchall()
]

# Who read one file: the canonical read records (an open granting read access).
if len(sys.argv) > 4:
    share, path = sys.argv[3], sys.argv[4]
else:
    share, path = con.execute(
        f"""SELECT unmapped.share, file.path FROM {parquet(1001)}
            WHERE unmapped.action = 'read' AND file.path LIKE '%.csv'
            GROUP BY ALL ORDER BY count(DISTINCT actor.user.name) DESC, 1, 2 LIMIT 1"""
    ).fetchone()
out["file"] = [share, path]
out["readers"] = [
    list(r)
    for r in con.execute(
        f"""SELECT actor.user.name, src_endpoint.ip, count(*) AS reads,
                   min(to_timestamp(time / 1000)) AS first, max(to_timestamp(time / 1000)) AS last
            FROM {parquet(1001)}
            WHERE unmapped.share = ? AND file.path = ? AND unmapped.action = 'read'
            GROUP BY 1, 2 ORDER BY reads DESC""",
        [share, path],
    ).fetchall()
]
print(json.dumps(out, default=str))
