"""Makes a large classic pcap from a real one, for scripts/bench-pcap.sh: the capture's packets
repeated COPIES times, each copy shifted later by the capture's span (a week at most) plus an hour (so that its
connections are new ones, not continuations), records otherwise as they were.

Usage: python3 grow_pcap.py IN.pcap OUT.pcap COPIES
"""
import struct
import sys

src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
magic = data[:4]
order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}
if magic not in order:
    sys.exit(f"{src}: not a classic pcap")
e = order[magic]
records = []
off = 24
while off + 16 <= len(data):
    sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
    records.append((sec, frac, incl, orig, data[off + 16:off + 16 + incl]))
    off += 16 + incl
# A week at most (a capture of several captures may span years): copies of a 5-tuple a week
# apart are separate connections all the same.
span = min(records[-1][0] - records[0][0], 7 * 86400) + 3600
with open(dst, "wb") as out:
    out.write(data[:24])
    for c in range(copies):
        for sec, frac, incl, orig, body in records:
            out.write(struct.pack(e + "IIII", sec + c * span, frac, incl, orig))
            out.write(body)
