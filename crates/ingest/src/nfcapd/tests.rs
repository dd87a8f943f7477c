//! Synthetic nfcapd files: every block compression, and every malformation counted and
//! located, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;

/// A V3 record: generic flow, IPv4 addresses, received-from address; `extra` elements appended.
fn v3(
    src: [u8; 4],
    dst: [u8; 4],
    ports: (u16, u16),
    packets: u64,
    extra: &[(u16, &[u8])],
) -> Vec<u8> {
    let mut elements: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut g = Vec::new();
    g.extend_from_slice(&1_300_475_168_000u64.to_le_bytes());
    g.extend_from_slice(&1_300_475_169_500u64.to_le_bytes());
    g.extend_from_slice(&1_300_475_170_000u64.to_le_bytes());
    g.extend_from_slice(&packets.to_le_bytes());
    g.extend_from_slice(&(packets * 100).to_le_bytes());
    g.extend_from_slice(&ports.0.to_le_bytes());
    g.extend_from_slice(&ports.1.to_le_bytes());
    g.extend_from_slice(&[6, 0x12, 0, 0]);
    elements.push((1, g));
    let mut a = Vec::new();
    a.extend_from_slice(&u32::from_be_bytes(src).to_le_bytes());
    a.extend_from_slice(&u32::from_be_bytes(dst).to_le_bytes());
    elements.push((2, a));
    elements.push((
        12,
        u32::from_be_bytes([192, 0, 2, 1]).to_le_bytes().to_vec(),
    ));
    for (id, payload) in extra {
        elements.push((*id, payload.to_vec()));
    }
    record_of(&elements)
}

fn record_of(elements: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (id, payload) in elements {
        body.extend_from_slice(&id.to_le_bytes());
        body.extend_from_slice(&((payload.len() + 4) as u16).to_le_bytes());
        body.extend_from_slice(payload);
    }
    let mut r = Vec::new();
    r.extend_from_slice(&11u16.to_le_bytes());
    r.extend_from_slice(&((body.len() + 12) as u16).to_le_bytes());
    r.extend_from_slice(&(elements.len() as u16).to_le_bytes());
    r.extend_from_slice(&[0, 0, 1, 0, 0, 9]);
    r.extend_from_slice(&body);
    r
}

fn compress(c: u8, plain: &[u8]) -> Vec<u8> {
    match c {
        0 => plain.to_vec(),
        2 => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
            e.write_all(plain).unwrap();
            e.finish().unwrap()
        }
        3 => lz4_flex::block::compress(plain),
        4 => zstd::bulk::compress(plain, 3).unwrap(),
        _ => unreachable!(),
    }
}

/// A block of `records` (concatenated), compressed with `c`.
fn block(c: u8, records: &[Vec<u8>]) -> Vec<u8> {
    let plain: Vec<u8> = records.concat();
    let payload = compress(c, &plain);
    let mut b = Vec::new();
    b.extend_from_slice(&(records.len() as u32).to_le_bytes());
    b.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&payload);
    b
}

fn file(c: u8, blocks: &[Vec<u8>]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&header::MAGIC.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&0x0107_0100u32.to_le_bytes());
    f.extend_from_slice(&1_700_000_000i64.to_le_bytes());
    f.extend_from_slice(&[c, 0]);
    f.extend_from_slice(&0u16.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&(blocks.len() as u32).to_le_bytes());
    assert_eq!(f.len(), 40);
    for b in blocks {
        f.extend_from_slice(b);
    }
    f
}

/// Reads `bytes` as a file: the records, the rejections and the counts.
fn read(bytes: &[u8]) -> Result<(Vec<FlowRecord>, Vec<Rejected>, FileStats), NfcapdError> {
    let mut tmp = tempfile::NamedTempFile::new().unwrap();
    tmp.write_all(bytes).unwrap();
    tmp.flush().unwrap();
    let mut reader = NfcapdReader::open(tmp.path())?;
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    for item in reader.by_ref() {
        match item {
            Ok(r) => records.push(r),
            Err(e) => rejected.push(e),
        }
    }
    let stats = reader.finish();
    assert_eq!(stats.rejected, rejected.len() as u64);
    assert_eq!(stats.records, records.len() as u64);
    assert_eq!(stats.bytes, bytes.len() as u64);
    Ok((records, rejected, stats))
}

fn sample_records() -> Vec<Vec<u8>> {
    vec![
        v3([10, 0, 0, 1], [10, 0, 0, 2], (40000, 443), 5, &[]),
        v3([10, 0, 0, 2], [10, 0, 0, 1], (443, 40000), 4, &[]),
    ]
}

#[test]
fn every_compression_reads_the_same_records() {
    let mut first: Option<Vec<FlowRecord>> = None;
    for c in [0u8, 2, 3, 4] {
        let recs = sample_records();
        let f = file(c, &[block(c, &recs[..1]), block(c, &recs[1..])]);
        let (records, rejected, stats) = read(&f).unwrap();
        assert!(rejected.is_empty(), "{c}: {rejected:?}");
        assert_eq!(records.len(), 2, "{c}");
        assert_eq!(stats.kind, KIND);
        match &first {
            None => first = Some(records),
            Some(r) => assert_eq!(r, &records, "compression {c}"),
        }
    }
    let r = &first.unwrap()[0];
    assert_eq!(r.src_ip, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    assert_eq!(r.dst_ip, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
    assert_eq!(
        (r.src_port, r.dst_port, r.protocol, r.tcp_flags),
        (40000, 443, 6, 0x12)
    );
    assert_eq!((r.packets, r.bytes), (5, 500));
    assert_eq!(
        (r.start, r.end),
        (1_300_475_168_000_000, 1_300_475_169_500_000)
    );
    assert_eq!(r.exporter, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    assert_eq!((r.reverse_bytes, r.sampling), (None, 1));
}

#[test]
fn header_problems_are_errors() {
    let good = file(0, &[block(0, &sample_records())]);
    for len in [0, 1, 3] {
        assert!(
            matches!(read(&good[..len]), Err(NfcapdError::NotNfcapd)),
            "{len}"
        );
    }
    for len in [4, 20, 39] {
        assert!(
            matches!(read(&good[..len]), Err(NfcapdError::TruncatedHeader { .. })),
            "{len}"
        );
    }
    let mut bad = good.clone();
    bad[16] = 9;
    assert!(matches!(
        read(&bad),
        Err(NfcapdError::Compression { id: 9, offset: 16 })
    ));
    let mut bad = good.clone();
    bad[17] = 1;
    assert!(matches!(read(&bad), Err(NfcapdError::Encrypted { id: 1 })));
    let mut bad = good.clone();
    bad[2] = 7;
    assert!(matches!(read(&bad), Err(NfcapdError::Layout(7))));
    let mut bad = good.clone();
    bad.swap(0, 1);
    assert!(matches!(read(&bad), Err(NfcapdError::BigEndian)));
    assert!(matches!(read(b"hello world"), Err(NfcapdError::NotNfcapd)));
    assert!(is_nfcapd(&good));
    assert!(is_nfcapd(&good[..4]));
    assert!(!is_nfcapd(&bad));
    assert!(!is_nfcapd(b"\x0c\xa5\x03\x00"));
}

#[test]
fn bad_block_sizes_stop_with_their_offset() {
    let recs = sample_records();
    let first = block(0, &recs);
    for size in [0u32, (MAX_BLOCK + 1) as u32, 1_000_000] {
        let mut second = block(0, &recs);
        second[4..8].copy_from_slice(&size.to_le_bytes());
        let f = file(0, &[first.clone(), second]);
        let (records, rejected, stats) = read(&f).unwrap();
        assert_eq!(records.len(), 2, "{size}");
        assert_eq!(rejected.len(), 1, "{size}");
        assert_eq!(rejected[0].location.unit, Unit::Offset);
        assert_eq!(rejected[0].location.line, 40 + first.len() as u64, "{size}");
        assert!(stats.failure.is_some(), "{size}");
    }
    // A block header cut short.
    let mut f = file(0, std::slice::from_ref(&first));
    f.extend_from_slice(&[1, 0, 0, 0, 9]);
    let (records, rejected, stats) = read(&f).unwrap();
    assert_eq!((records.len(), rejected.len()), (2, 1));
    assert!(rejected[0].reason.contains("truncated block header"));
    assert!(stats.failure.is_some());
}

#[test]
fn a_corrupt_compressed_block_is_rejected_and_the_next_one_read() {
    for c in [2u8, 3, 4] {
        let recs = sample_records();
        let mut broken = block(c, &recs);
        let n = broken.len();
        for b in &mut broken[12 + 4..n] {
            *b ^= 0x5a;
        }
        let f = file(c, &[broken.clone(), block(c, &recs[..1])]);
        let (records, rejected, stats) = read(&f).unwrap();
        assert_eq!(records.len(), 1, "{c}: {rejected:?}");
        assert_eq!(rejected.len(), 1, "{c}");
        assert_eq!(rejected[0].location.line, 40, "{c}");
        assert!(rejected[0].reason.contains("does not decompress"), "{c}");
        assert!(stats.failure.is_none(), "{c}");
    }
}

#[test]
fn malformed_records_are_rejected_with_their_offset() {
    let good = v3([10, 0, 0, 1], [10, 0, 0, 2], (1, 2), 1, &[]);
    // An element longer than its record: that record only.
    let mut long = good.clone();
    long[12 + 2..12 + 4].copy_from_slice(&500u16.to_le_bytes());
    // A record of size 2: the rest of its block cannot be walked.
    let mut tiny = good.clone();
    tiny[2..4].copy_from_slice(&2u16.to_le_bytes());
    let b1 = block(0, &[good.clone(), long.clone(), good.clone()]);
    let b2 = block(0, &[tiny, good.clone()]);
    let b3 = block(0, std::slice::from_ref(&good));
    let f = file(0, &[b1.clone(), b2.clone(), b3]);
    let (records, rejected, _) = read(&f).unwrap();
    assert_eq!(records.len(), 3, "{rejected:?}");
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0].location.line, 40 + 12 + good.len() as u64);
    assert_eq!(rejected[1].location.line, 40 + b1.len() as u64 + 12);
    // A block claiming more records than it holds.
    let mut short = block(0, std::slice::from_ref(&good));
    short[0..4].copy_from_slice(&3u32.to_le_bytes());
    let (records, rejected, _) = read(&file(0, &[short])).unwrap();
    assert_eq!((records.len(), rejected.len()), (1, 1));
    assert!(rejected[0].reason.contains("2 fewer records"));
}

#[test]
fn other_records_and_elements_are_skipped_and_counted() {
    // Exporter record: sysid 1 is 198.51.100.7.
    let mut exporter = Vec::new();
    exporter.extend_from_slice(&7u16.to_le_bytes());
    exporter.extend_from_slice(&32u16.to_le_bytes());
    exporter.extend_from_slice(&9u32.to_le_bytes());
    exporter.extend_from_slice(&[0; 8]);
    exporter.extend_from_slice(&u32::from_be_bytes([198, 51, 100, 7]).to_le_bytes());
    exporter.extend_from_slice(&[0; 4]);
    exporter.extend_from_slice(&2u16.to_le_bytes());
    exporter.extend_from_slice(&1u16.to_le_bytes());
    exporter.extend_from_slice(&0u32.to_le_bytes());
    // IPv6 flow without a received-from address, an unknown element, a flow counter element.
    let mut g = v3([0; 4], [0; 4], (5353, 5353), 2, &[])[16..16 + 48].to_vec();
    g[44] = 17;
    let src: Ipv6Addr = "fe80::217:f2ff:fed7:cf65".parse().unwrap();
    let dst: Ipv6Addr = "ff02::fb".parse().unwrap();
    let mut a = Vec::new();
    for ip in [src, dst] {
        let v = u128::from(ip);
        a.extend_from_slice(&((v >> 64) as u64).to_le_bytes());
        a.extend_from_slice(&(v as u64).to_le_bytes());
    }
    let v6 = record_of(&[
        (1, g.clone()),
        (3, a),
        (200, vec![1, 2, 3]),
        (5, vec![0; 24]),
    ]);
    let no_addresses = record_of(&[(1, g)]);
    let mut padding = vec![0u8; 8];
    padding[0..2].copy_from_slice(&256u16.to_le_bytes());
    padding[2..4].copy_from_slice(&8u16.to_le_bytes());
    let mut array = block(0, &[vec![0; 8]]);
    array[8..10].copy_from_slice(&4u16.to_le_bytes());
    let f = file(
        0,
        &[block(0, &[exporter, v6, no_addresses, padding]), array],
    );
    let (records, rejected, stats) = read(&f).unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!((r.src_ip, r.dst_ip), (IpAddr::V6(src), IpAddr::V6(dst)));
    assert_eq!(r.exporter, IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)));
    assert_eq!(
        r.reverse_bytes, None,
        "out counts of a non-NSEL record are not the reverse"
    );
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].reason.contains("block type 4"), "{rejected:?}");
    assert_eq!(stats.skipped, 3);
    let notes = stats.notes.join("\n");
    assert!(notes.contains("1 elements of ids unknown"), "{notes}");
    assert!(notes.contains("without addresses"), "{notes}");
    assert!(notes.contains("type 256: 1"), "{notes}");
}

#[test]
fn every_prefix_reads_without_panicking() {
    let recs = sample_records();
    for c in [0u8, 3, 4] {
        let blocks = [block(c, &recs), block(c, &recs[..1]), block(c, &recs[1..])];
        let f = file(c, &blocks);
        let mut boundaries = vec![40];
        for b in &blocks {
            boundaries.push(boundaries[boundaries.len() - 1] + b.len());
        }
        for len in 0..=f.len() {
            match read(&f[..len]) {
                Ok((records, rejected, stats)) => {
                    assert!(records.len() <= 4);
                    // Cut inside a block: that block is rejected, the ones before it read.
                    let whole = boundaries.iter().filter(|&&b| b <= len).count() - 1;
                    let expected = [0, 2, 3, 4][whole];
                    assert_eq!(records.len(), expected, "{c} {len}");
                    assert_eq!(
                        rejected.len(),
                        usize::from(!boundaries.contains(&len)),
                        "{c} {len}"
                    );
                    assert_eq!(stats.failure.is_some(), !boundaries.contains(&len));
                }
                Err(e) => assert!(len < 40, "{len}: {e}"),
            }
        }
    }
}

#[test]
fn flows_pairs_the_two_directions() {
    let recs = sample_records();
    let f = file(0, &[block(0, &recs)]);
    let mut tmp = tempfile::NamedTempFile::new().unwrap();
    tmp.write_all(&f).unwrap();
    let mut flows = NfcapdReader::open(tmp.path()).unwrap().flows();
    let events: Vec<Event> = flows.by_ref().map(|e| e.unwrap()).collect();
    assert_eq!(events.len(), 1);
    let Event::Flow(flow) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!((flow.src_port, flow.dst_port), (40000, 443));
    assert_eq!((flow.bytes_out, flow.bytes_in), (Some(500), Some(400)));
    let stats = flows.finish();
    assert!(
        stats.notes.iter().any(|n| n.contains("1 flows paired")),
        "{stats:?}"
    );
}

#[test]
fn a_reader_stopped_early_still_hashes_the_whole_file() {
    let recs = sample_records();
    let f = file(0, &[block(0, &recs), block(0, &recs)]);
    let mut tmp = tempfile::NamedTempFile::new().unwrap();
    tmp.write_all(&f).unwrap();
    let mut reader = NfcapdReader::open(tmp.path()).unwrap();
    assert!(reader.next().is_some());
    let stats = reader.finish();
    use sha2::Digest;
    assert_eq!(stats.sha256, hex(&Sha256::digest(&f)));
    assert_eq!(stats.bytes, f.len() as u64);
}

#[test]
fn from_read_takes_any_byte_source() {
    // The fuzz target's way in.
    let f = file(4, &[block(4, &sample_records())]);
    let source = Box::new(std::io::Cursor::new(f.clone()));
    let mut reader =
        NfcapdReader::from_read(source, f.len() as u64, std::path::Path::new("mem")).unwrap();
    assert_eq!(reader.by_ref().filter(Result::is_ok).count(), 2);
    let stats = reader.finish();
    assert_eq!(stats.bytes, f.len() as u64);
    assert_eq!(stats.path.as_os_str(), "mem");
}

fn sampler(sysid: u16, id: i64, interval: u32, space: u32) -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(&15u16.to_le_bytes());
    s.extend_from_slice(&24u16.to_le_bytes());
    s.extend_from_slice(&sysid.to_le_bytes());
    s.extend_from_slice(&0u16.to_le_bytes());
    s.extend_from_slice(&id.to_le_bytes());
    s.extend_from_slice(&interval.to_le_bytes());
    s.extend_from_slice(&space.to_le_bytes());
    s
}

#[test]
fn a_sampled_flow_takes_its_exporters_sampling_rate() {
    let mut sampled = v3([10, 0, 0, 1], [10, 0, 0, 2], (1, 2), 100, &[]);
    sampled[10] = record::V3_FLAG_SAMPLED;
    let mut other_exporter = sampled.clone();
    other_exporter[8] = 2;
    let f = file(
        0,
        &[block(
            0,
            &[
                sampler(1, -1, 1, 99),
                sampler(1, 7, 1, 9),
                sampled.clone(),
                other_exporter,
                v3([10, 0, 0, 1], [10, 0, 0, 2], (1, 2), 1, &[]),
            ],
        )],
    );
    let (records, rejected, stats) = read(&f).unwrap();
    assert!(rejected.is_empty());
    // The exporter's own sampler (id 7: 1 in 10) comes before its generic one (1 in 100).
    let rates: Vec<u32> = records.iter().map(|r| r.sampling).collect();
    assert_eq!(rates, [10, 1, 1]);
    assert_eq!(
        records[0].packets, 100,
        "counts are as stored (already scaled)"
    );
    let notes = stats.notes.join("\n");
    assert!(notes.contains("2 flows are sampled"), "{notes}");
    assert!(notes.contains("(1 of them at a rate no sampler"), "{notes}");
}
