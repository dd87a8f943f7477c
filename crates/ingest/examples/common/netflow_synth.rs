//! NetFlow v9 and IPFIX exports for the decoder's benchmark and the UDP replay (shared by
//! `benches/ingest.rs` and `examples/netflow_replay.rs` through `#[path]`).

#![allow(clippy::unwrap_used, dead_code)]

/// v9 (`version` 9) or IPFIX (10) datagrams of a router's usual size: one with the template,
/// then `datagrams` of 40 IPv4 records each (addresses, times, counts, ports, protocol, flags:
/// 30 bytes a record), every connection's two directions in one datagram.
pub fn template_exports(version: u16, datagrams: usize) -> Vec<Vec<u8>> {
    let fields: [(u16, u16); 10] = [
        (8, 4),
        (12, 4),
        (22, 4),
        (21, 4),
        (1, 4),
        (2, 4),
        (7, 2),
        (11, 2),
        (4, 1),
        (6, 1),
    ];
    let header = |count: u16, body_len: usize, seq: u32| -> Vec<u8> {
        let mut h = Vec::new();
        h.extend(version.to_be_bytes());
        if version == 9 {
            h.extend(count.to_be_bytes());
            h.extend(3_600_000u32.to_be_bytes()); // uptime, ms
            h.extend(1_740_364_650u32.to_be_bytes());
            h.extend(seq.to_be_bytes());
            h.extend(0u32.to_be_bytes());
        } else {
            h.extend(u16::try_from(16 + body_len).unwrap().to_be_bytes());
            h.extend(1_740_364_650u32.to_be_bytes());
            h.extend(seq.to_be_bytes());
            h.extend(0u32.to_be_bytes());
        }
        h
    };
    let set = |id: u16, body: &[u8]| -> Vec<u8> {
        let mut s = id.to_be_bytes().to_vec();
        s.extend(u16::try_from(4 + body.len()).unwrap().to_be_bytes());
        s.extend(body);
        s
    };
    let mut template = 300u16.to_be_bytes().to_vec();
    template.extend(10u16.to_be_bytes());
    for (ie, len) in fields {
        template.extend(ie.to_be_bytes());
        template.extend(len.to_be_bytes());
    }
    let template_set = set(if version == 9 { 0 } else { 2 }, &template);
    let mut out = vec![[header(1, template_set.len(), 0), template_set].concat()];
    for d in 0..datagrams {
        let mut body = Vec::new();
        for k in 0..20u32 {
            let host = u32::try_from(d % 250).unwrap() + 1;
            let client = [10, 1, (host >> 8) as u8, host as u8];
            let server = [203, 0, 113, (k % 200) as u8 + 1];
            let port = 40_000 + u16::try_from(k).unwrap();
            for (src, dst, sp, dp, bytes) in [
                (client, server, port, 443u16, 700u32 + k),
                (server, client, 443, port, 9_000 + k),
            ] {
                body.extend(src);
                body.extend(dst);
                body.extend((3_500_000u32 + k).to_be_bytes());
                body.extend((3_550_000u32 + k).to_be_bytes());
                body.extend(bytes.to_be_bytes());
                body.extend(12u32.to_be_bytes());
                body.extend(sp.to_be_bytes());
                body.extend(dp.to_be_bytes());
                body.push(6);
                body.push(0x1b);
            }
        }
        let data = set(300, &body);
        out.push([header(40, data.len(), 1 + u32::try_from(d).unwrap()), data].concat());
    }
    out
}
