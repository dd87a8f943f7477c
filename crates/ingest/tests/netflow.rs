//! The collector on real exports: softflowd's NetFlow v5, v9 and IPFIX datagrams of two Zeek
//! test traces, captured on the wire, decoded and compared record for record with nfdump's
//! decode of the same exports (`../shared/data/netflow`, the reference answers).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use breachscope_ingest::netflow::{Collector, FlowRecord, Pairer};
use breachscope_ingest::pcap::udp_datagrams;

fn vectors() -> Option<PathBuf> {
    common::shared_data("netflow")
}

/// A record as both sides print it: addresses, ports, protocol, packets, bytes.
type Key = (String, String, u16, u16, String, u64, u64);

/// A decoded record's key, as nfdump prints it.
fn key(r: &FlowRecord) -> Key {
    (
        r.src_ip.to_string(),
        r.dst_ip.to_string(),
        r.src_port,
        r.dst_port,
        protocol_name(r.protocol),
        r.packets,
        r.bytes,
    )
}

fn decode(pcap: &Path) -> (Vec<FlowRecord>, Collector) {
    let bytes = std::fs::read(pcap).unwrap();
    let (datagrams, stats) = udp_datagrams(&bytes).unwrap();
    assert!(!stats.truncated, "{}", pcap.display());
    let mut c = Collector::new();
    let mut out = Vec::new();
    for d in &datagrams {
        c.decode(d.src, d.payload, &mut out).unwrap();
    }
    (out, c)
}

fn protocol_name(p: u8) -> String {
    match p {
        6 => "TCP".into(),
        17 => "UDP".into(),
        1 => "ICMP".into(),
        58 => "ICMP6".into(),
        n => n.to_string(),
    }
}

/// nfdump's CSV: key → the first- and last-seen times it printed (`YYYY-MM-DD HH:MM:SS`,
/// UTC), the earlier first: nfdump 1.7.1 swaps them on some IPFIX records (its duration then
/// underflows to 18446744073709552 s; Wireshark's decode of the same datagrams has them in
/// order).
fn nfdump(csv: &Path) -> BTreeMap<Key, Vec<(String, String)>> {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut rows = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 15 || !f[0].starts_with(|c: char| c.is_ascii_digit()) {
            continue; // the summary lines at the end
        }
        let key = (
            f[3].to_owned(),
            f[4].to_owned(),
            f[5].parse().unwrap(),
            f[6].parse().unwrap(),
            f[7].trim().to_owned(),
            f[11].parse().unwrap(),
            f[12].parse().unwrap(),
        );
        let (a, b) = (f[0].to_owned(), f[1].to_owned());
        rows.entry(key)
            .or_insert_with(Vec::new)
            .push(if a <= b { (a, b) } else { (b, a) });
    }
    rows
}

fn utc_seconds(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .unwrap()
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[test]
fn every_export_decodes_as_nfdump_decodes_it() {
    let Some(dir) = vectors() else { return };
    let mut checked_times = 0;
    for trace in ["wikipedia", "smb2"] {
        for version in ["v5", "v9", "v10"] {
            let name = format!("{trace}_{version}");
            let (records, collector) = decode(&dir.join(format!("{name}.export.pcap")));
            let want = nfdump(&dir.join(format!("{name}.nfdump.csv")));
            let mut got: BTreeMap<Key, Vec<(String, String)>> = BTreeMap::new();
            for r in &records {
                got.entry(key(r))
                    .or_default()
                    .push((utc_seconds(r.start), utc_seconds(r.end)));
            }
            let counts = |m: &BTreeMap<Key, Vec<(String, String)>>| -> BTreeMap<Key, usize> {
                m.iter().map(|(k, v)| (k.clone(), v.len())).collect()
            };
            assert_eq!(counts(&got), counts(&want), "{name}");
            let total: usize = want.values().map(Vec::len).sum();
            assert_eq!(records.len(), total, "{name}");
            assert_eq!(collector.stats().records, total as u64, "{name}");
            assert_eq!(collector.stats().rejected_datagrams, 0, "{name}");
            // First and last seen to the second, where nfdump knew them (it prints flows that
            // start at the exporter's uptime 0 as 1970: README caveat).
            for (key, times) in &want {
                let mut mine = got[key].clone();
                let mut theirs: Vec<(String, String)> = times
                    .iter()
                    .filter(|t| !t.0.starts_with("1970"))
                    .cloned()
                    .collect();
                if theirs.len() != times.len() {
                    continue;
                }
                mine.sort();
                theirs.sort();
                assert_eq!(mine, theirs, "{name} {key:?}");
                checked_times += theirs.len();
            }
        }
    }
    assert!(checked_times > 100, "{checked_times}");
}

#[test]
fn ipfix_learns_the_exporters_clock_and_sampling_from_options_data() {
    let Some(dir) = vectors() else { return };
    let (records, collector) = decode(&dir.join("wikipedia_v10.export.pcap"));
    let s = collector.stats();
    // Four data templates and one options template, in the first message.
    assert_eq!(s.templates, 5);
    assert_eq!(s.waited_for_template, 0);
    assert_eq!(s.records_timed_by_export, 0);
    assert!(records.iter().all(|r| r.sampling == 1));
    // The flows that nfdump printed as 1970 (uptime 0) start at the exporter's system init
    // time, 2011-03-18 19:06:07.096 UTC (Wireshark's decode of the options record).
    let earliest = records.iter().map(|r| r.start).min().unwrap();
    assert_eq!(earliest, 1_300_475_167_096_000);
}

#[test]
fn a_connections_two_records_become_one_flow() {
    let Some(dir) = vectors() else { return };
    let (records, _) = decode(&dir.join("smb2_v9.export.pcap"));
    assert_eq!(records.len(), 2);
    let mut pairer = Pairer::new();
    let mut flows = Vec::new();
    for r in records.clone() {
        pairer.push(r, &mut flows);
    }
    pairer.finish(&mut flows);
    assert_eq!(flows.len(), 1, "{flows:?}");
    let f = &flows[0];
    // The client (the high port) opened the SMB2 session to port 445.
    assert_eq!(f.dst_port, 445);
    let to_server = records.iter().find(|r| r.dst_port == 445).unwrap();
    let to_client = records.iter().find(|r| r.src_port == 445).unwrap();
    assert_eq!(f.bytes_out, Some(to_server.bytes));
    assert_eq!(f.bytes_in, Some(to_client.bytes));
    assert_eq!(f.packets_out.unwrap() + f.packets_in.unwrap(), 1178);
    // Wikipedia: 57 records, of 34 connections (Zeek's conn.log): pairs and one-way flows.
    let (records, _) = decode(&dir.join("wikipedia_v9.export.pcap"));
    let mut pairer = Pairer::new();
    let mut flows = Vec::new();
    for r in records {
        pairer.push(r, &mut flows);
    }
    pairer.finish(&mut flows);
    assert_eq!(flows.len(), 34);
    assert_eq!(pairer.paired * 2 + pairer.one_way, 57);
}

/// Runs Debian's softflowd on a pcap, exporting to a collector on loopback, and returns the
/// records the collector decoded; `None` (printing why) where softflowd is not installed.
fn softflowd_export(pcap: &Path, args: &[&str]) -> Option<Vec<FlowRecord>> {
    use breachscope_ingest::netflow::udp::{DEFAULT_RECEIVE_BUFFER, UdpCollector};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    if Command::new("softflowd").arg("-h").output().is_err() {
        eprintln!(
            "SKIPPED: softflowd is not installed (scripts/test.sh installs Debian's as root)"
        );
        return None;
    }
    let mut collector =
        UdpCollector::bind("127.0.0.1:0".parse().unwrap(), DEFAULT_RECEIVE_BUFFER).unwrap();
    let to = collector.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctl = dir.path().join("ctl");
    let mut child = Command::new("softflowd")
        .args([
            "-r",
            pcap.to_str().unwrap(),
            "-n",
            &to.to_string(),
            "-d",
            "-a",
        ])
        .args([
            "-c",
            ctl.to_str().unwrap(),
            "-p",
            dir.path().join("pid").to_str().unwrap(),
        ])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut records = Vec::new();
    let started = Instant::now();
    // softflowd 1.1.0 in -r mode can wait on its control socket after the file: a
    // `softflowctl statistics` lets it go (the reference vectors' README).
    loop {
        while collector
            .receive(Some(Duration::from_millis(100)), &mut records)
            .unwrap()
        {}
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let _ = Command::new("softflowctl")
            .args(["-c", ctl.to_str().unwrap(), "statistics"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("softflowd did not finish {}", pcap.display());
        }
    }
    while collector
        .receive(Some(Duration::from_millis(300)), &mut records)
        .unwrap()
    {}
    assert_eq!(collector.collector.stats().rejected_datagrams, 0);
    Some(records)
}

/// A real exporter live: softflowd sends each trace's flows as v5, v9 and IPFIX to the UDP
/// collector; the records are nfdump's, and IPFIX's bidirectional mode (RFC 5103) gives Zeek's
/// connections directly.
#[test]
fn softflowd_exports_arrive_as_nfdump_decoded_them() {
    let Some(dir) = vectors() else { return };
    let pcaps = dir.join("../net/zeek");
    for trace in ["wikipedia", "smb2"] {
        let pcap = pcaps.join(trace).join(format!("{trace}.pcap"));
        for version in ["5", "9", "10"] {
            let Some(records) = softflowd_export(&pcap, &["-v", version]) else {
                return;
            };
            let want = nfdump(&dir.join(format!("{trace}_v{version}.nfdump.csv")));
            let mut got: BTreeMap<Key, usize> = BTreeMap::new();
            for r in &records {
                *got.entry(key(r)).or_default() += 1;
            }
            let want: BTreeMap<Key, usize> = want.into_iter().map(|(k, v)| (k, v.len())).collect();
            assert_eq!(got, want, "{trace} v{version}");
        }
    }
    // Bidirectional IPFIX: one record per connection, the reverse counts beside.
    let pcap = pcaps.join("wikipedia/wikipedia.pcap");
    let Some(records) = softflowd_export(&pcap, &["-v", "10", "-b"]) else {
        return;
    };
    let mut pairer = Pairer::new();
    let mut flows = Vec::new();
    for r in records {
        pairer.push(r, &mut flows);
    }
    pairer.finish(&mut flows);
    assert_eq!(
        flows.len(),
        34,
        "Zeek's baseline.conn.log has 34 connections"
    );
    let bytes: u64 = flows
        .iter()
        .map(|f| f.bytes_out.unwrap_or(0) + f.bytes_in.unwrap_or(0))
        .sum();
    assert_eq!(bytes, 22_896, "the trace's IP bytes (README)");
}
