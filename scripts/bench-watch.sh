#!/usr/bin/env bash
# `breachscope watch` benchmark (issue 13): the full demo (seven months, ~100 people) replayed
# live into a running watch — its first 30 days as the archive the watch catches up on, then
# every day written to a zeekctl spool (rotated into a gzip archive daily) and a Samba audit log
# (rotated weekly) while the watch runs with a 0.25 s cycle — and what a person receives: the
# incidents pushed (high and above), the alert and incident lines, the latency from a day's
# evidence written to its lines, the watch's peak memory. Then a restart on the resulting store
# (`watch --once`: catch-up, the whole lake replayed through detection), timed.
#
#   scripts/bench-watch.sh
#
# The demo is generated once under $BENCH_DIR/demo-full (about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-bench-out}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
cargo build --release -p breachscope --example watch_replay
target=${CARGO_TARGET_DIR:-target}
B="$BENCH_DIR/bin/breachscope"
mkdir -p "$BENCH_DIR/bin"
cp "$target/release/breachscope" "$B"
D="$BENCH_DIR/demo-full"
[ -d "$D/zeek" ] || "$B" demo --scale full --dir "$D" >/dev/null
W="$BENCH_DIR/watch-replay"
echo "== live replay of $D"
"$target/release/examples/watch_replay" "$B" "$D" "$W" 30 0.25
echo "== restart on the replayed store (catch-up: ingest finds nothing new, the lake replayed)"
/usr/bin/time -f "%e s elapsed, %M KiB max resident" "$B" watch --store "$W/store" \
  --zeek-dir "$W/evidence/spool" --samba-audit "$W/evidence/samba/audit.log" \
  --log-tz Asia/Tokyo --alerts "$W/alerts.jsonl" --once 2>&1 | grep -E "caught up|elapsed|stopped"
