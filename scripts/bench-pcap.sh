#!/usr/bin/env bash
# Capture → connections throughput of breachscope's pcap reader (example `pcap_conns`, median
# of 20 reads, file in the page cache) next to tcpdump reading the same file (`-r FILE -w
# /dev/null`: records only; `-nn -r FILE >/dev/null`: decoding and printing every packet),
# when tcpdump is installed. Usage: scripts/bench-pcap.sh [FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
data="${BREACHSCOPE_NET_DATA:-/work/shared/data/net/zeek}"
files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$data/smb3-multichannel/smb3_multichannel.pcap" "$data/smb2/smb2.pcap" "$data/ssh/ssh.pcap")
cargo build --release -q -p breachscope-ingest --example pcap_conns
bin="$CARGO_TARGET_DIR/release/examples/pcap_conns"
for f in "${files[@]}"; do
    [ -f "$f" ] || { echo "absent: $f"; continue; }
    cat "$f" >/dev/null
    "$bin" -q -r20 "$f" 2>&1 | sed 's/; notes.*//'
    if command -v tcpdump >/dev/null; then
        median() { sort -n | awk '{a[NR]=$1} END {printf "%.4f", a[int((NR+1)/2)] / 1e9}'; }
        clock() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $((e - s)); }
        w=$(for _ in $(seq 20); do clock tcpdump -r "$f" -w /dev/null; done | median)
        t=$(for _ in $(seq 20); do clock tcpdump -nn -r "$f"; done | median)
        o=$(for _ in $(seq 20); do clock "$bin" -q "$f"; done | median)
        echo "  whole-process wall time, median of 20: pcap_conns -q ${o} s; tcpdump -r FILE -w /dev/null ${w} s; tcpdump -nn -r FILE >/dev/null ${t} s"
    fi
done
