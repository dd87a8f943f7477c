#!/usr/bin/env bash
# Packet captures into connections: breachscope beside the floor and tcpdump on the same bytes,
# in one hyperfine run per capture.
#
#   scripts/bench-pcap.sh            # two captures grown to ~130 MB each
#   COPIES=10 scripts/bench-pcap.sh
#
# Two kinds of traffic, from Zeek's test captures beside the repository (../shared/data/net):
# SMB3 multichannel (bulk file transfer, large packets, few connections) and SSH (many short
# sessions, small packets), each repeated until it is large (scripts/grow_pcap.py: each copy an
# hour after the last, so its connections are new). Side by side: `cat` (the floor: reading the
# bytes), `tcpdump -r F -w /dev/null` (reading the records), `tcpdump -nn -r F` (decoding and
# printing every packet), `breachscope normalize --count-only` (hashing, connections with Zeek's
# semantics, normalising to events) and the `pcap_conns -q` example (connections only).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${BREACHSCOPE_NET_DATA:-../shared/data/net/zeek}
BENCH_DIR=${BENCH_DIR:-bench-out}
COPIES=${COPIES:-50}
RUNS=${RUNS:-5}
mkdir -p "$BENCH_DIR"
command -v tcpdump >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y tcpdump >/dev/null; }
command -v hyperfine >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y hyperfine >/dev/null; }
cargo build --release -q -p breachscope
cargo build --release -q -p breachscope-ingest --example pcap_conns
target=${CARGO_TARGET_DIR:-target}
B="$target/release/breachscope"
P="$target/release/examples/pcap_conns"
for src in "$data/smb3-multichannel/smb3_multichannel.pcap" "$data/ssh/ssh.pcap"; do
  [ -f "$src" ] || { echo "absent: $src"; continue; }
  name=$(basename "$src" .pcap)
  big="$BENCH_DIR/pcap-$name-x$COPIES.pcap"
  copies=$COPIES
  [ "$name" = ssh ] && copies=$((COPIES * 2))
  [ -f "$big" ] || python3 scripts/grow_pcap.py "$src" "$big" "$copies"
  echo "$big: $(stat -c %s "$big") bytes, $("$P" -q "$big" 2>&1 | head -1)"
  hyperfine --warmup 1 --runs "$RUNS" --export-json "$BENCH_DIR/pcap-$name.json" \
    -n "floor: cat" "cat $big" \
    -n "tcpdump -r F -w /dev/null" "tcpdump -r $big -w /dev/null" \
    -n "tcpdump -nn -r F" "tcpdump -nn -r $big" \
    -n "breachscope normalize --count-only" "$B normalize --count-only --format pcap $big" \
    -n "pcap_conns -q (connections only)" "$P -q $big" \
    --output=null 2>&1 | grep -E "^Benchmark|Time \(mean|±" || true
done
