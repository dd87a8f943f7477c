//! Hand-built datagrams for what the captured exports do not show: data before its template,
//! withdrawal, sampling, enterprise and variable-length fields, uptime wrap, damage.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const EXPORTER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
/// 2025-02-24T02:37:30Z.
const EXPORT_SECS: u32 = 1_740_364_650;

fn ipfix(sets: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = sets.concat();
    let mut d = Vec::new();
    d.extend(10u16.to_be_bytes());
    d.extend(u16::try_from(16 + body.len()).unwrap().to_be_bytes());
    d.extend(EXPORT_SECS.to_be_bytes());
    d.extend(1u32.to_be_bytes()); // sequence
    d.extend(7u32.to_be_bytes()); // observation domain
    d.extend(body);
    d
}

fn set(id: u16, content: &[u8]) -> Vec<u8> {
    let mut s = id.to_be_bytes().to_vec();
    s.extend(u16::try_from(4 + content.len()).unwrap().to_be_bytes());
    s.extend(content);
    s
}

/// Template 300: src v4, dst v4, src port, dst port, protocol, octets (8), packets (4),
/// flowStartMilliseconds, flowEndMilliseconds, an enterprise field (PEN 9, 2 bytes), an
/// applicationName (variable length).
fn template_300() -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(300u16.to_be_bytes());
    t.extend(11u16.to_be_bytes());
    for (ie, len) in [
        (8u16, 4u16),
        (12, 4),
        (7, 2),
        (11, 2),
        (4, 1),
        (1, 8),
        (2, 4),
        (152, 8),
        (153, 8),
    ] {
        t.extend(ie.to_be_bytes());
        t.extend(len.to_be_bytes());
    }
    t.extend((0x8000u16 | 5).to_be_bytes());
    t.extend(2u16.to_be_bytes());
    t.extend(9u32.to_be_bytes());
    t.extend(96u16.to_be_bytes());
    t.extend(0xffffu16.to_be_bytes());
    set(2, &t)
}

fn record_300(src: [u8; 4], bytes: u64, start_ms: u64, app: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend(src);
    r.extend([203, 0, 113, 9]);
    r.extend(51_000u16.to_be_bytes());
    r.extend(443u16.to_be_bytes());
    r.push(6);
    r.extend(bytes.to_be_bytes());
    r.extend(3u32.to_be_bytes());
    r.extend(start_ms.to_be_bytes());
    r.extend((start_ms + 1_500).to_be_bytes());
    r.extend([0xab, 0xcd]);
    r.push(u8::try_from(app.len()).unwrap());
    r.extend(app);
    r
}

#[test]
fn data_before_its_template_waits_and_is_decoded_when_it_comes() {
    let mut c = Collector::new();
    let mut out = Vec::new();
    let start = u64::from(EXPORT_SECS) * 1000 - 60_000;
    let data = set(
        300,
        &[
            record_300([10, 0, 0, 5], 1234, start, b"https"),
            record_300([10, 0, 0, 6], 99, start, b""),
        ]
        .concat(),
    );
    c.decode(EXPORTER, &ipfix(&[data]), &mut out).unwrap();
    assert!(out.is_empty());
    assert_eq!(c.stats().waited_for_template, 1);
    c.decode(EXPORTER, &ipfix(&[template_300()]), &mut out)
        .unwrap();
    assert_eq!(out.len(), 2);
    let r = &out[0];
    assert_eq!(r.src_ip.to_string(), "10.0.0.5");
    assert_eq!(r.dst_ip.to_string(), "203.0.113.9");
    assert_eq!((r.src_port, r.dst_port, r.protocol), (51_000, 443, 6));
    assert_eq!((r.bytes, r.packets, r.sampling), (1234, 3, 1));
    assert_eq!(r.start, i64::try_from(start).unwrap() * 1000);
    assert_eq!(r.end - r.start, 1_500_000);
    assert_eq!(out[1].bytes, 99);
    assert_eq!(c.stats().records, 2);
    assert_eq!(c.stats().records_timed_by_export, 0);
    // Another exporter, or another domain, does not share the template.
    let other = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));
    let data = set(300, &record_300([10, 0, 0, 5], 1, start, b""));
    c.decode(other, &ipfix(&[data]), &mut out).unwrap();
    assert_eq!(out.len(), 2);
}

#[test]
fn withdrawn_templates_are_forgotten() {
    let mut c = Collector::new();
    let mut out = Vec::new();
    let start = u64::from(EXPORT_SECS) * 1000;
    c.decode(EXPORTER, &ipfix(&[template_300()]), &mut out)
        .unwrap();
    let mut withdraw = 300u16.to_be_bytes().to_vec();
    withdraw.extend(0u16.to_be_bytes());
    c.decode(EXPORTER, &ipfix(&[set(2, &withdraw)]), &mut out)
        .unwrap();
    assert_eq!(c.stats().withdrawals, 1);
    let data = set(300, &record_300([10, 0, 0, 5], 1, start, b""));
    c.decode(EXPORTER, &ipfix(&[data]), &mut out).unwrap();
    assert!(out.is_empty(), "decoded with a withdrawn template");
}

#[test]
fn sampling_from_options_data_scales_the_counts() {
    let mut c = Collector::new();
    let mut out = Vec::new();
    // Options template 400: scope meteringProcessId, samplingPacketInterval 1 of
    // samplingPacketSpace 99 (1 in 100).
    let mut t = Vec::new();
    t.extend(400u16.to_be_bytes());
    t.extend(3u16.to_be_bytes());
    t.extend(1u16.to_be_bytes());
    for (ie, len) in [(143u16, 4u16), (305, 4), (306, 4)] {
        t.extend(ie.to_be_bytes());
        t.extend(len.to_be_bytes());
    }
    let options = [1u32, 1, 99]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect::<Vec<u8>>();
    let start = u64::from(EXPORT_SECS) * 1000;
    let d = ipfix(&[
        set(3, &t),
        template_300(),
        set(300, &record_300([10, 0, 0, 5], 1000, start, b"")),
        set(400, &options),
    ]);
    c.decode(EXPORTER, &d, &mut out).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].sampling, out[0].bytes, out[0].packets),
        (100, 100_000, 300)
    );
}

#[test]
fn v9_times_survive_an_uptime_wrap() {
    // The router's uptime wrapped (2^32 ms ≈ 49.7 days) between the flow's start and the
    // export: the start is 10 s before the export all the same.
    let export_us = i64::from(EXPORT_SECS) * 1_000_000;
    assert_eq!(
        v5::uptime_to_time(export_us, 5_000, u32::MAX - 4_999),
        export_us - 10_000_000
    );
    assert_eq!(
        v5::uptime_to_time(export_us, 20_000, 10_000),
        export_us - 10_000_000
    );
}

#[test]
fn damaged_datagrams_are_counted_never_fatal() {
    let mut c = Collector::new();
    let mut out = Vec::new();
    let start = u64::from(EXPORT_SECS) * 1000;
    let good = ipfix(&[
        template_300(),
        set(300, &record_300([10, 0, 0, 5], 1, start, b"x")),
    ]);
    assert!(c.decode(EXPORTER, &[], &mut out).is_err());
    assert!(c.decode(EXPORTER, &[0, 7, 0, 0], &mut out).is_err());
    // Every truncation and a spread of byte flips: no panic, errors counted.
    for cut in 0..good.len() {
        let _ = c.decode(EXPORTER, &good[..cut], &mut out);
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..5_000 {
        let mut d = good.clone();
        for _ in 0..3 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = usize::try_from(seed % d.len() as u64).unwrap();
            d[at] ^= u8::try_from(seed >> 56).unwrap() | 1;
        }
        let _ = c.decode(EXPORTER, &d, &mut out);
    }
    let s = c.stats();
    assert!(s.rejected_datagrams > 0 && s.rejected_sets > 0, "{s:?}");
    // The collector still works.
    let before = out.len();
    c.decode(EXPORTER, &good, &mut out).unwrap();
    assert_eq!(out.len(), before + 1);
}

#[test]
fn the_two_directions_pair_into_one_flow() {
    let rec = |src: &str, sp: u16, dst: &str, dp: u16, start: i64, bytes: u64| FlowRecord {
        exporter: EXPORTER,
        start,
        end: start + 2_000_000,
        src_ip: src.parse().unwrap(),
        dst_ip: dst.parse().unwrap(),
        src_port: sp,
        dst_port: dp,
        protocol: 6,
        packets: 4,
        bytes,
        reverse_packets: None,
        reverse_bytes: None,
        tcp_flags: 0x1b,
        sampling: 1,
    };
    let mut p = Pairer::new();
    let mut out = Vec::new();
    // The server's direction is reported first; the client started first.
    p.push(
        rec("203.0.113.9", 443, "10.0.0.5", 51_000, 1_000_100, 9000),
        &mut out,
    );
    p.push(
        rec("10.0.0.5", 51_000, "203.0.113.9", 443, 1_000_000, 700),
        &mut out,
    );
    // A one-way flow: nothing came back.
    p.push(
        rec("10.0.0.5", 51_001, "198.51.100.1", 53, 5_000_000, 60),
        &mut out,
    );
    assert_eq!(out.len(), 1);
    let f = &out[0];
    assert_eq!(
        (f.src_ip.to_string().as_str(), f.dst_port),
        ("10.0.0.5", 443)
    );
    assert_eq!((f.bytes_out, f.bytes_in), (Some(700), Some(9000)));
    assert_eq!((f.start, f.duration), (1_000_000, Some(2_000_100)));
    assert_eq!(f.transport, breachscope_model::Transport::Tcp);
    assert_eq!(p.held(), 1);
    p.expire(7_000_001, &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!((out[1].dst_port, out[1].bytes_in), (53, None));
    assert_eq!((p.paired, p.one_way, p.held()), (1, 1, 0));
}

#[test]
fn uptime_times_wait_for_the_exporters_clock_and_say_when_they_could_not() {
    let mut c = Collector::new();
    let mut out = Vec::new();
    // Template 301: addresses, flowStartSysUpTime, flowEndSysUpTime, octets.
    let mut t = 301u16.to_be_bytes().to_vec();
    t.extend(5u16.to_be_bytes());
    for (ie, len) in [(8u16, 4u16), (12, 4), (22, 4), (21, 4), (1, 4)] {
        t.extend(ie.to_be_bytes());
        t.extend(len.to_be_bytes());
    }
    let record = [[10, 0, 0, 5], [203, 0, 113, 9]]
        .concat()
        .into_iter()
        .chain(2_000u32.to_be_bytes())
        .chain(2_500u32.to_be_bytes())
        .chain(100u32.to_be_bytes())
        .collect::<Vec<u8>>();
    // No systemInitTimeMilliseconds yet: the export time, counted.
    c.decode(EXPORTER, &ipfix(&[set(2, &t), set(301, &record)]), &mut out)
        .unwrap();
    let export_us = i64::from(EXPORT_SECS) * 1_000_000;
    assert_eq!(out[0].start, export_us);
    assert_eq!(c.stats().records_timed_by_export, 1);
    // Options template 401 (scope meteringProcessId) with the exporter's init time, one
    // minute before the export: times are placed from then on.
    let mut o = 401u16.to_be_bytes().to_vec();
    o.extend(2u16.to_be_bytes());
    o.extend(1u16.to_be_bytes());
    for (ie, len) in [(143u16, 4u16), (160, 8)] {
        o.extend(ie.to_be_bytes());
        o.extend(len.to_be_bytes());
    }
    let init_ms = u64::from(EXPORT_SECS) * 1000 - 60_000;
    let options = [1u32.to_be_bytes().to_vec(), init_ms.to_be_bytes().to_vec()].concat();
    c.decode(
        EXPORTER,
        &ipfix(&[set(3, &o), set(401, &options), set(301, &record)]),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        out[1].start,
        (i64::try_from(init_ms).unwrap() + 2_000) * 1000
    );
    assert_eq!(out[1].end - out[1].start, 500_000);
    assert_eq!(c.stats().records_timed_by_export, 1);
}
