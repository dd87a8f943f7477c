#!/usr/bin/env bash
# NetFlow/IPFIX collector throughput (issue 13), side by side with nfcapd on the same replay:
# a sender on one core (crates/ingest/examples/netflow_replay.rs: synthetic v9 or IPFIX
# exports, 40 records a datagram, the template every 16 datagrams) offers RECORDS records at
# each rate to a collector on the other core, over loopback:
#   - breachscope's (examples/netflow_collect.rs: decode, and pair each connection's two
#     records into one flow; nothing stored),
#   - nfcapd (decodes and writes its nfcapd file; counted with `nfdump -I`),
# each with an 8 MiB receive buffer. Prints one line per run: records received of those sent,
# and the kernel's UDP receive-buffer errors (/proc/net/snmp RcvbufErrors) during the run.
#
# Then `breachscope watch --netflow-listen` itself, pinned to one core with its store: decoding,
# pairing and writing every flow into the lake while receiving (WATCH_RATES); records received
# from the watch's status file, flows counted in the lake.
#
#   scripts/bench-netflow.sh     # RECORDS=2000000, RATES="200000 1000000 2000000 4000000 0" (0: as fast as it can)
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${RECORDS:-2000000}
RATES=${RATES:-200000 1000000 2000000 4000000 0}
command -v nfcapd >/dev/null || { apt-get install -y nfdump >/dev/null 2>&1 || true; }
command -v nfcapd >/dev/null || { echo "SKIPPED: nfcapd (Debian nfdump) cannot be installed"; exit 0; }
cargo build --release -p breachscope-ingest --example netflow_replay --example netflow_collect
cargo build --release -p breachscope
WATCH_RATES=${WATCH_RATES:-200000 1000000 0}
target=${CARGO_TARGET_DIR:-target}
E="$target/release/examples"
W=$(mktemp -d)
trap 'pkill -TERM -f "nfcapd -b 127.0.0.1 -p 29955" 2>/dev/null || true; rm -rf "$W"' EXIT
rcvbuf_errors() { awk '/^Udp: / { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp; }
echo "collector | version | offered rate (records/s) | sent | received | lost | kernel drops | receiver's span s"
for version in 9 10; do
  for rate in $RATES; do
    before=$(rcvbuf_errors)
    taskset -c 0 "$E/netflow_collect" 127.0.0.1:29954 1 >"$W/ours.json" 2>/dev/null &
    pid=$!
    sleep 0.5
    sent=$(taskset -c 1 "$E/netflow_replay" 127.0.0.1:29954 --version "$version" --records "$RECORDS" --rate "$rate")
    wait $pid
    after=$(rcvbuf_errors)
    python3 - "$version" "$rate" "$sent" "$(cat "$W/ours.json")" "$((after - before))" <<'PY'
import json, sys
v, rate, sent, got, drops = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5]
s, r = sent["records_sent"], got["records"]
print(f"breachscope | {v} | {rate if rate != '0' else 'max (' + str(int(sent['records_per_second'])) + ')'} | {s} | {r} | {s - r} | {drops} | {got['seconds']}")
PY
    rm -rf "$W/nfcapd" && mkdir -p "$W/nfcapd"
    before=$(rcvbuf_errors)
    taskset -c 0 nfcapd -b 127.0.0.1 -p 29955 -w "$W/nfcapd" -B 8388608 -t 3600 >/dev/null 2>&1 &
    sleep 1
    sent=$(taskset -c 1 "$E/netflow_replay" 127.0.0.1:29955 --version "$version" --records "$RECORDS" --rate "$rate")
    sleep 2
    pkill -TERM -f "nfcapd -b 127.0.0.1 -p 29955" || true
    sleep 2
    after=$(rcvbuf_errors)
    got=$(nfdump -R "$W/nfcapd" -I 2>/dev/null | awk '/^Flows:/ { print $2 }')
    python3 - "$version" "$rate" "$sent" "${got:-0}" "$((after - before))" <<'PY'
import json, sys
v, rate, sent, got, drops = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
s = sent["records_sent"]
print(f"nfcapd 1.7 | {v} | {rate if rate != '0' else 'max (' + str(int(sent['records_per_second'])) + ')'} | {s} | {got} | {s - got} | {drops} | -")
PY
  done
done
echo "watch (one core, into the lake) | version | offered rate (records/s) | sent | received | lost | kernel drops | flows in the lake"
B="$target/release/breachscope"
for version in 9 10; do
  for rate in $WATCH_RATES; do
    rm -rf "$W/watch" && mkdir -p "$W/watch"
    before=$(rcvbuf_errors)
    taskset -c 0 "$B" watch --store "$W/watch/store" --netflow-listen 127.0.0.1:29957 \
      --interval 1 --status "$W/watch/status.json" 2>/dev/null &
    pid=$!
    sleep 1
    sent=$(taskset -c 1 "$E/netflow_replay" 127.0.0.1:29957 --version "$version" --records "$RECORDS" --rate "$rate")
    sleep 3
    kill -TERM $pid
    wait $pid
    after=$(rcvbuf_errors)
    python3 - "$version" "$rate" "$sent" "$W/watch/status.json" "$((after - before))" <<'PY'
import json, sys
v, rate, sent, status, drops = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.load(open(sys.argv[4])), sys.argv[5]
s = sent["records_sent"]
c = status["sources"]
col = next(v for k, v in c.items() if k.startswith("netflow"))
r = col["collector"]["records"]
print(f"breachscope watch | {v} | {rate if rate != '0' else 'max (' + str(int(sent['records_per_second'])) + ')'} | {s} | {r} | {s - r} | {drops} | {status['events_ingested']}")
PY
  done
done
