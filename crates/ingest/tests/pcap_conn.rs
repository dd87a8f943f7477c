//! Connections read from Zeek's test captures, compared field by field with Zeek's own
//! `conn.log` baselines (`../shared/data/net/zeek` beside the repository). Rows are
//! matched by 5-tuple and protocol, in order for repeats; `ts` is masked in the baselines, so
//! it is checked against the capture's first packet time range instead; `uid` is never
//! compared. Prints per capture matched/total and every difference. Skips (passes) when the
//! data is absent.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use breachscope_ingest::pcap::{CaptureReader, ConnOptions};
use breachscope_model::{Event, Flow, Transport};

fn data_dir() -> Option<PathBuf> {
    common::shared_data("net/zeek")
}

/// One baseline row: the fields by name.
type Row = HashMap<String, String>;

fn baseline(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut fields: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(str::to_string).collect();
        } else if !line.starts_with('#') && !line.is_empty() {
            rows.push(
                fields
                    .iter()
                    .cloned()
                    .zip(line.split('\t').map(str::to_string))
                    .collect(),
            );
        }
    }
    rows
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or("-".to_string(), |x| x.to_string())
}

fn b(v: Option<bool>) -> String {
    opt(v.map(|x| if x { "T" } else { "F" }))
}

/// Our flow as the baseline's fields.
fn row_of(f: &Flow) -> Row {
    let (proto, ip_proto) = match f.transport {
        Transport::Tcp => ("tcp", 6),
        Transport::Udp => ("udp", 17),
        Transport::Icmp => ("icmp", if f.src_ip.is_ipv6() { 58 } else { 1 }),
        Transport::Other(n) => ("unknown_transport", n),
        Transport::Unknown => ("unknown_transport", 0),
    };
    let dur = f
        .duration
        .map(|d| format!("{}.{:06}", d / 1_000_000, d % 1_000_000));
    [
        ("id.orig_h", f.src_ip.to_string()),
        ("id.orig_p", f.src_port.to_string()),
        ("id.resp_h", f.dst_ip.to_string()),
        ("id.resp_p", f.dst_port.to_string()),
        ("proto", proto.to_string()),
        ("service", opt(f.service.clone())),
        ("duration", opt(dur)),
        ("orig_bytes", opt(f.bytes_out)),
        ("resp_bytes", opt(f.bytes_in)),
        ("conn_state", opt(f.conn_state.clone())),
        ("local_orig", b(f.local_orig)),
        ("local_resp", b(f.local_resp)),
        ("missed_bytes", opt(f.missed_bytes)),
        ("history", opt(f.history.clone())),
        ("orig_pkts", opt(f.packets_out)),
        ("orig_ip_bytes", opt(f.ip_bytes_out)),
        ("resp_pkts", opt(f.packets_in)),
        ("resp_ip_bytes", opt(f.ip_bytes_in)),
        ("ip_proto", ip_proto.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

const COMPARED: &[&str] = &[
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "ip_proto",
];

fn key(r: &Row) -> String {
    [
        "id.orig_h",
        "id.orig_p",
        "id.resp_h",
        "id.resp_p",
        "proto",
        "ip_proto",
    ]
    .iter()
    .map(|k| r.get(*k).map_or("?", String::as_str))
    .collect::<Vec<_>>()
    .join(" ")
}

struct Outcome {
    total: usize,
    matched: usize,
    ours: usize,
}

fn compare(dir: &Path, name: &str, pcap: &str, log: &str, opts: ConnOptions) -> Outcome {
    let expected = baseline(&dir.join(name).join(log));
    let mut reader = CaptureReader::open_with(&dir.join(name).join(pcap), opts).unwrap();
    let mut flows = Vec::new();
    let mut packets_at_first_flow = None;
    while let Some(item) = reader.next() {
        packets_at_first_flow.get_or_insert(reader.stats().packets);
        match item {
            Ok(Event::Flow(f)) => flows.push(f),
            Ok(other) => panic!("unexpected event {other:?}"),
            Err(r) => panic!("{name}: rejected {r}"),
        }
    }
    let first = reader.first_packet_time().unwrap();
    // Every packet time of the capture, to check each connection's `ts` (masked in the
    // baselines) is the time of a packet between its endpoints.
    let mut packet_times = std::collections::HashSet::new();
    // The first packet of each TCP/UDP 5-tuple (either direction), decoded independently.
    let mut first_of_tuple: HashMap<String, i64> = HashMap::new();
    {
        let bytes = std::fs::read(dir.join(name).join(pcap)).unwrap();
        let mut file = breachscope_ingest::pcap::CaptureFile::new(bytes.as_slice()).unwrap();
        while let Some(rec) = file.next_record().unwrap() {
            packet_times.insert(rec.time);
            let Ok(ip) = breachscope_ingest::pcap::link::decode(rec.link, rec.data, rec.orig_len)
            else {
                continue;
            };
            if !matches!(ip.proto, 6 | 17) || ip.payload.len() < 4 {
                continue;
            }
            let sp = u16::from_be_bytes([ip.payload[0], ip.payload[1]]);
            let dp = u16::from_be_bytes([ip.payload[2], ip.payload[3]]);
            let (a, b) = if (ip.src, sp) <= (ip.dst, dp) {
                ((ip.src, sp), (ip.dst, dp))
            } else {
                ((ip.dst, dp), (ip.src, sp))
            };
            first_of_tuple
                .entry(format!("{a:?}{b:?}{}", ip.proto))
                .or_insert(rec.time);
        }
    }
    let tuple_of = |f: &Flow| {
        let (x, y) = ((f.src_ip, f.src_port), (f.dst_ip, f.dst_port));
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        let p = match f.transport {
            Transport::Tcp => 6,
            Transport::Udp => 17,
            _ => 0,
        };
        format!("{a:?}{b:?}{p}")
    };
    let mut per_tuple: HashMap<String, usize> = HashMap::new();
    for f in &flows {
        *per_tuple.entry(tuple_of(f)).or_default() += 1;
    }
    let mut ts_checked = 0;
    for f in &flows {
        let t = tuple_of(f);
        if per_tuple[&t] == 1
            && let Some(&first) = first_of_tuple.get(&t)
        {
            assert_eq!(
                f.start, first,
                "{name}: ts of {t} is not its first packet's time"
            );
            ts_checked += 1;
        }
    }
    println!("{name}: ts equals the first packet's time for {ts_checked} single-use 5-tuples");
    let stats = reader.stats().clone();
    if name == "ssh" {
        // Streaming: connections come out as they end, and few are held at once.
        assert!(packets_at_first_flow.unwrap() < stats.packets);
        assert!(stats.peak_live <= 4, "peak {}", stats.peak_live);
    }
    let fs = reader.finish();
    assert_eq!(fs.kind, "pcap");
    assert_eq!(fs.sha256.len(), 64);
    assert_eq!(
        fs.bytes,
        std::fs::metadata(dir.join(name).join(pcap)).unwrap().len()
    );
    // Ours, grouped by 5-tuple, in start order.
    flows.sort_by_key(|f| f.start);
    let mut by_key: HashMap<String, Vec<(Row, i64)>> = HashMap::new();
    for f in &flows {
        // Every start is a packet time of this capture.
        assert!(
            f.start >= first,
            "{name}: flow starts before the first packet"
        );
        by_key
            .entry(key(&row_of(f)))
            .or_default()
            .push((row_of(f), f.start));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut matched = 0;
    let mut report = Vec::new();
    // The baseline is in removal order; repeats of a 5-tuple are matched in start order, which
    // for one 5-tuple is also their removal order.
    for exp in &expected {
        let k = key(exp);
        let i = seen.entry(k.clone()).or_insert(0);
        let ours = by_key.get(&k).and_then(|v| v.get(*i));
        *i += 1;
        let Some((ours, _)) = ours else {
            report.push(format!("  missing: {k} ({})", exp["history"]));
            continue;
        };
        let diffs: Vec<String> = COMPARED
            .iter()
            .filter(|f| exp.get(**f) != ours.get(**f))
            .map(|f| format!("{f}: zeek {} ours {}", exp[*f], ours[*f]))
            .collect();
        if diffs.is_empty() {
            matched += 1;
        } else {
            report.push(format!("  differs: {k}: {}", diffs.join("; ")));
        }
    }
    for (k, v) in &by_key {
        let used = seen.get(k).copied().unwrap_or(0);
        for (r, _) in v.iter().skip(used) {
            report.push(format!("  extra: {k} ({})", r["history"]));
        }
    }
    println!(
        "{name}: {matched}/{} baseline rows match on all compared fields ({} flows ours; {} packets, {} used, unused {:?}; first flow after {} packets, peak {} live)",
        expected.len(),
        flows.len(),
        stats.packets,
        stats.used,
        stats.unused,
        packets_at_first_flow.unwrap_or(0),
        stats.peak_live
    );
    for line in &report {
        println!("{line}");
    }
    Outcome {
        total: expected.len(),
        matched,
        ours: flows.len(),
    }
}

#[test]
fn conns_match_zeek_baselines() {
    let Some(dir) = data_dir() else {
        return;
    };
    let zeek = ConnOptions::default();
    let no_checksums = ConnOptions {
        validate_checksums: false,
    };
    // (dir, pcap, baseline, options, floor of matching rows)
    let cases: &[(&str, &str, &str, ConnOptions, usize)] = &[
        ("wikipedia", "wikipedia.pcap", "baseline.conn.log", zeek, 34),
        ("ssh", "ssh.pcap", "baseline.conn.log", zeek, 25),
        ("pop3", "pop3.pcap", "baseline.conn.log", zeek, 11),
        ("ftp-ipv4", "ipv4.pcap", "baseline.conn.log", zeek, 5),
        (
            "ftp-bigtransfer",
            "bigtransfer.pcap",
            "baseline.conn.log",
            zeek,
            3,
        ),
        (
            "cisco-fabric-path",
            "cisco-fabric-path.pcap",
            "baseline.conn.log",
            zeek,
            64,
        ),
        (
            "http-post-large",
            "http-post-large.pcap",
            "baseline.conn-speculative-service.log",
            no_checksums,
            2,
        ),
    ];
    let mut failures = Vec::new();
    let (mut all, mut ok) = (0, 0);
    for (name, pcap, log, opts, floor) in cases {
        if !dir.join(name).join(pcap).is_file() {
            println!("{name}: capture absent, skipped");
            continue;
        }
        let o = compare(&dir, name, pcap, log, *opts);
        all += o.total;
        ok += o.matched;
        if o.matched < *floor {
            failures.push(format!(
                "{name}: {} < floor {floor} (ours {})",
                o.matched, o.ours
            ));
        }
    }
    println!("total: {ok}/{all} rows match");
    assert!(failures.is_empty(), "{failures:?}");
}
