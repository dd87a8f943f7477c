#!/usr/bin/env bash
# Rebuilds ${BREACHSCOPE_NFCAPD_FIXTURES:-bench-out/nfcapd-fixtures}/nfcapd-1.6: nfcapd files of nfdump 1.6.23 (layout 1).
#
#   scripts/make-nfcapd-1.6-fixtures.sh NFDUMP_1_6_SOURCE_DIR
#
# NFDUMP_1_6_SOURCE_DIR: nfdump's source at tag v1.6.23. Needs autoconf, automake, libtool, flex,
# bison, a C compiler, python3, and ../shared/data/netflow (softflowd's captured exports).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(cd "$1" && pwd)
OUT=${BREACHSCOPE_NFCAPD_FIXTURES:-bench-out/nfcapd-fixtures}/nfcapd-1.6
EXPORTS=../shared/data/netflow
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$SRC" && autoreconf -fi && ./configure --prefix="$WORK/nf16" && make -j2 && make install) >"$WORK/build.log" 2>&1
BIN="$WORK/nf16/bin"
"$BIN/nfdump" -V

# Sends the UDP payloads of a pcap (Ethernet, Linux cooked or null link) to 127.0.0.1:PORT.
cat >"$WORK/replay.py" <<'PY'
import socket, struct, sys, time
def datagrams(path):
    b = open(path, 'rb').read()
    assert struct.unpack('<I', b[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d)
    link = struct.unpack('<I', b[20:24])[0]
    skip = {1: 14, 113: 16, 0: 4}[link]
    at = 24
    while at + 16 <= len(b):
        incl = struct.unpack('<I', b[at + 8:at + 12])[0]
        ip = b[at + 16 + skip:at + 16 + incl]
        at += 16 + incl
        if ip[0] >> 4 == 4 and ip[9] == 17:
            yield ip[(ip[0] & 15) * 4 + 8:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for d in datagrams(sys.argv[2]):
    s.sendto(d, ('127.0.0.1', int(sys.argv[1])))
    time.sleep(0.05)
PY

mkdir -p "$OUT"
port=39000
for v in wikipedia_v5 wikipedia_v9 wikipedia_v10 smb2_v5 smb2_v9 smb2_v10; do
  port=$((port + 1))
  mkdir "$WORK/$v"
  "$BIN/nfcapd" -b 127.0.0.1 -p "$port" -l "$WORK/$v" -I breachscope-test >"$WORK/$v.log" 2>&1 &
  pid=$!
  sleep 1
  python3 "$WORK/replay.py" "$port" "$EXPORTS/$v.export.pcap"
  sleep 1
  kill -TERM "$pid"
  wait "$pid" || true
  cp "$WORK/$v"/nfcapd.* "$OUT/$v.nfcapd"
done
for c in z j y; do
  rm -f "$OUT/wikipedia_v10-$c.nfcapd"
  "$BIN/nfdump" -r "$OUT/wikipedia_v10.nfcapd" "-$c" -w "$OUT/wikipedia_v10-$c.nfcapd"
done
chmod 644 "$OUT"/*.nfcapd
ls -l "$OUT"
