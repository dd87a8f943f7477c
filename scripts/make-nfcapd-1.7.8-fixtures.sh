#!/usr/bin/env bash
# Rebuilds ${BREACHSCOPE_NFCAPD_FIXTURES:-bench-out/nfcapd-fixtures}/nfcapd-1.7.8: the reference nfcapd files rewritten by nfdump
# 1.7.8 (zstd, LZ4 HC, none), and its CSV of one of them.
#
#   scripts/make-nfcapd-1.7.8-fixtures.sh NFDUMP_SOURCE_DIR
#
# NFDUMP_SOURCE_DIR: nfdump's source (commit 1c9c9682, v1.7.8-81-g1c9c9682). Needs autoconf,
# automake, libtool, flex, bison, a C compiler, libzstd-dev, liblz4-dev, libbz2-dev and
# ../shared/data/netflow.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(cd "$1" && pwd)
OUT=${BREACHSCOPE_NFCAPD_FIXTURES:-bench-out/nfcapd-fixtures}/nfcapd-1.7.8
IN=../shared/data/netflow
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$SRC" && autoreconf -fi && ./configure --prefix="$WORK/nf" --enable-static=no && make -j2 && make install) >"$WORK/build.log" 2>&1
export LD_LIBRARY_PATH="$WORK/nf/lib"
N="$WORK/nf/bin/nfdump"
"$N" -V
mkdir -p "$OUT"
for v in wikipedia_v5 wikipedia_v9 wikipedia_v10 smb2_v5 smb2_v9 smb2_v10; do
  rm -f "$OUT/$v-zstd.nfcapd"
  "$N" -r "$IN/$v.nfcapd" -z=zstd -w "$OUT/$v-zstd.nfcapd" >/dev/null
done
rm -f "$OUT"/wikipedia_v10-{zstd19,lz4hc,none}.nfcapd
"$N" -r "$IN/wikipedia_v10.nfcapd" -z=zstd:19 -w "$OUT/wikipedia_v10-zstd19.nfcapd" >/dev/null
"$N" -r "$IN/wikipedia_v10.nfcapd" -z=lz4:9 -w "$OUT/wikipedia_v10-lz4hc.nfcapd" >/dev/null
"$N" -r "$IN/wikipedia_v10.nfcapd" -w "$OUT/wikipedia_v10-none.nfcapd" >/dev/null
TZ=UTC "$N" -r "$OUT/wikipedia_v9-zstd.nfcapd" -o csv >"$OUT/wikipedia_v9-zstd.nfdump-1.7.8.csv" 2>/dev/null
chmod 644 "$OUT"/*
ls -l "$OUT"
