//! Line-parser and NetFlow/IPFIX decoder throughput without I/O:
//! `cargo bench -p breachscope-ingest`.
//! Whole-file figures against the floor and DuckDB come from `scripts/bench-ingest.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use breachscope_ingest::firewall::FirewallConfig;
use breachscope_ingest::firewall::cisco_asa::CiscoAsaParser;
use breachscope_ingest::firewall::fortigate::FortigateParser;
use breachscope_ingest::firewall::panos::PanosParser;
use breachscope_ingest::firewall::squid::SquidParser;
use breachscope_ingest::netflow::{Collector, Pairer};
use breachscope_ingest::samba::{SambaConfig, SambaParser};
use breachscope_ingest::zeek::ZeekParser;
use breachscope_ingest::{LineOutcome, LineParser};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "../examples/common/netflow_synth.rs"]
mod netflow_synth;

const ZEEK_HEADER: &[&str] = &[
    "#separator \\x09",
    "#set_separator\t,",
    "#empty_field\t(empty)",
    "#unset_field\t-",
    "#path\tconn",
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto",
];

fn zeek_rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "{}.{:06}\tC{:017}\t10.1.{}.{}\t{}\t198.51.{}.{}\t443\ttcp\tssl\t12.{:06}\t{}\t{}\tSF\tT\tF\t0\tShADadFf\t{}\t{}\t{}\t{}\t-\t6",
                1_750_550_400 + i,
                i % 1_000_000,
                i,
                i % 256,
                1 + i % 250,
                1024 + i % 60_000,
                i % 256,
                1 + i % 200,
                i % 999_999,
                100 + i * 7 % 100_000,
                200 + i * 13 % 1_000_000,
                1 + i % 100,
                1000 + i % 100_000,
                1 + i % 80,
                2000 + i % 900_000
            )
        })
        .collect()
}

fn samba_rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "2025-06-22T02:{:02}:{:02}.{:06}+09:00 fs01 smbd_audit: k.tanaka|10.1.3.34|ws-034|sales|create_file|ok|0x120089|file|open|/srv/sales/dir{}/file{}.xlsx",
                (i / 60) % 60,
                i % 60,
                i % 1_000_000,
                i % 50,
                i
            )
        })
        .collect()
}

fn run<P: LineParser>(parser: &mut P, lines: &[String]) -> usize {
    lines
        .iter()
        .enumerate()
        .filter(|(n, l)| matches!(parser.parse_line(l, *n as u64 + 1), LineOutcome::Event(_)))
        .count()
}

fn bench(c: &mut Criterion) {
    let rows = 100_000;
    let mut group = c.benchmark_group("parse_lines");
    group.throughput(Throughput::Elements(rows as u64));
    group.sample_size(20);

    let zeek = zeek_rows(rows);
    group.bench_function("zeek_conn_tsv", |b| {
        b.iter(|| {
            let mut p = ZeekParser::new();
            for (i, h) in ZEEK_HEADER.iter().enumerate() {
                p.parse_line(h, i as u64);
            }
            run(&mut p, &zeek)
        })
    });

    let samba = samba_rows(rows);
    group.bench_function("samba_rfc3339", |b| {
        b.iter(|| {
            let mut p = SambaParser::new(SambaConfig {
                log_tz: jiff::tz::TimeZone::UTC,
                ..SambaConfig::default()
            });
            run(&mut p, &samba)
        })
    });
    group.finish();
}

fn bench_netflow(c: &mut Criterion) {
    let datagrams = 2_500;
    let mut group = c.benchmark_group("netflow_decode");
    group.throughput(Throughput::Elements(datagrams as u64 * 40));
    group.sample_size(20);
    let exporter = std::net::IpAddr::from([192, 0, 2, 1]);
    for (name, version) in [("v9", 9u16), ("ipfix", 10)] {
        let exports = netflow_synth::template_exports(version, datagrams);
        group.bench_function(format!("{name}_records"), |b| {
            b.iter(|| {
                let mut c = Collector::new();
                let mut out = Vec::with_capacity(datagrams * 40);
                for d in &exports {
                    c.decode(exporter, d, &mut out).unwrap();
                }
                out.len()
            })
        });
        group.bench_function(format!("{name}_records_paired"), |b| {
            b.iter(|| {
                let mut c = Collector::new();
                let mut pairer = Pairer::new();
                let mut records = Vec::with_capacity(64);
                let mut flows = Vec::with_capacity(datagrams * 20);
                for d in &exports {
                    c.decode(exporter, d, &mut records).unwrap();
                    for r in records.drain(..) {
                        pairer.push(r, &mut flows);
                    }
                }
                assert_eq!(flows.len(), datagrams * 20);
                flows.len()
            })
        });
    }
    group.finish();
}

/// PAN-OS 10.x TRAFFIC records (115 fields) behind an RFC 3164 relay header.
fn panos_rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let (m, s) = ((i / 60) % 60, i % 60);
            format!(
                "Oct  4 18:{m:02}:{s:02} fw01 1,2023/10/04 18:{m:02}:{s:02},012501002341,TRAFFIC,end,2561,2023/10/04 18:{m:02}:{s:02},10.1.{}.{},198.51.{}.{},203.0.113.5,198.51.{}.{},Out,corp\\user{},,ssl,vsys1,trust,untrust,ethernet1/1,ethernet1/2,LOG FP,2023/10/04 18:{m:02}:{s:02},{},1,{},443,{},443,0x40441a,tcp,allow,{},{},{},{},2023/10/04 18:{m:02}:{s:02},{},business-and-economy,,{},0x8000000000000000,10.0.0.0-10.255.255.255,Japan,,{},{},tcp-fin,34,0,0,0,,fw01,from-policy,,,0,,0,,N/A,0,0,0,0,90431d13-81da-4129-8bc5-ce968fa06b76,0,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2023-10-04T18:{m:02}:{s:02}.443+08:00,,,encrypted-tunnel,networking,browser-based,4,used-by-malware,,ssl,no,no,0",
                i % 256,
                1 + i % 250,
                i % 256,
                1 + i % 200,
                i % 256,
                1 + i % 200,
                i % 5000,
                70_000_000 + i,
                1024 + i % 60_000,
                1024 + i % 60_000,
                300 + i * 20 % 1_000_000,
                100 + i * 7 % 100_000,
                200 + i * 13 % 900_000,
                2 + i % 200,
                i % 600,
                7_253_419_119_627_122_716u64 + i as u64,
                1 + i % 100,
                1 + i % 100,
            )
        })
        .collect()
}

/// FortiOS 7.x forward-traffic records with a `<PRI>`.
fn fortigate_rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "<189>date=2024-05-01 time=10:{:02}:{:02} devname=\"FG100E\" devid=\"FG100E3G16000001\" eventtime={} tz=\"+0900\" logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"notice\" vd=\"root\" srcip=10.1.{}.{} srcport={} srcintf=\"internal\" srcintfrole=\"lan\" dstip=198.51.{}.{} dstport=443 dstintf=\"wan1\" dstintfrole=\"wan\" srcuuid=\"ae28f494-5735-51e9-f247-d1d2ce663f4b\" sessionid={} proto=6 action=\"close\" policyid=1 policytype=\"policy\" service=\"HTTPS\" dstcountry=\"Japan\" srccountry=\"Reserved\" trandisp=\"snat\" transip=203.0.113.5 transport={} appid=40568 app=\"HTTPS.BROWSER\" appcat=\"Web.Client\" apprisk=\"medium\" duration={} sentbyte={} rcvdbyte={} sentpkt={} rcvdpkt={} utmaction=\"allow\" countapp=1",
                (i / 60) % 60,
                i % 60,
                1_714_525_200_000_000_000u64 + i as u64 * 1_000_000_000,
                i % 256,
                1 + i % 250,
                1024 + i % 60_000,
                i % 256,
                1 + i % 200,
                100_000 + i,
                1024 + i % 60_000,
                i % 600,
                100 + i * 7 % 100_000,
                200 + i * 13 % 900_000,
                1 + i % 100,
                1 + i % 100,
            )
        })
        .collect()
}

/// Cisco ASA built/teardown pairs (`n` lines) behind an RFC 3339 relay header.
fn asa_rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let id = 1_000_000 + i / 2;
            let (c, s) = ((i / 2) % 256, 1 + (i / 2) % 200);
            let port = 1024 + (i / 2) % 60_000;
            if i % 2 == 0 {
                format!(
                    "2026-11-28T04:{:02}:{:02}Z asa01 : %ASA-6-302013: Built outbound TCP connection {id} for outside:198.51.{c}.{s}/443 (198.51.{c}.{s}/443) to inside:10.1.{c}.{s}/{port} (203.0.113.5/{port})",
                    (i / 60) % 60,
                    i % 60
                )
            } else {
                format!(
                    "2026-11-28T04:{:02}:{:02}Z asa01 : %ASA-6-302014: Teardown TCP connection {id} for outside:198.51.{c}.{s}/443 to inside:10.1.{c}.{s}/{port} duration 0:{:02}:{:02} bytes {} TCP FINs",
                    (i / 60) % 60,
                    i % 60,
                    (i / 60) % 60,
                    i % 60,
                    300 + i * 13 % 900_000
                )
            }
        })
        .collect()
}

/// Squid native records, GET and CONNECT, with and without a user.
fn squid_rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                format!(
                    "{}.{:03} {:6} 10.1.{}.{} TCP_MISS/200 {} GET http://host{}.example.com/path/{}/index.html - HIER_DIRECT/198.51.{}.{} text/html",
                    1_717_430_400 + i,
                    i % 1000,
                    i % 100_000,
                    i % 256,
                    1 + i % 250,
                    200 + i * 13 % 900_000,
                    i % 5000,
                    i,
                    i % 256,
                    1 + i % 200
                )
            } else {
                format!(
                    "{}.{:03} {:6} 10.1.{}.{} TCP_TUNNEL/200 {} CONNECT host{}.example.org:443 user{} HIER_DIRECT/198.51.{}.{} -",
                    1_717_430_400 + i,
                    i % 1000,
                    i % 100_000,
                    i % 256,
                    1 + i % 250,
                    200 + i * 13 % 900_000,
                    i % 5000,
                    i % 300,
                    i % 256,
                    1 + i % 200
                )
            }
        })
        .collect()
}

/// Firewall and proxy line parsers, against the floor of finding the lines (a newline count
/// over the same text, what `wc -l` does). Throughput is in bytes (MB/s); lines/s is the row
/// count over the time per iteration. With `FIREWALL_BENCH_DIR` set, the generated files are
/// written there (one per format) for an external floor (`wc -l`, `cat >/dev/null`).
fn bench_firewall(c: &mut Criterion) {
    let rows = 100_000;
    let mut group = c.benchmark_group("firewall_lines");
    group.sample_size(10);
    let config = || FirewallConfig {
        log_tz: jiff::tz::TimeZone::get("Asia/Tokyo").unwrap(),
        year: Some(2026),
    };
    let sets = [
        ("panos_traffic", panos_rows(rows)),
        ("fortigate_traffic", fortigate_rows(rows)),
        ("cisco_asa", asa_rows(rows)),
        ("squid_access", squid_rows(rows)),
    ];
    for (name, lines) in &sets {
        let text = lines.join("\n") + "\n";
        if let Some(dir) = std::env::var_os("FIREWALL_BENCH_DIR") {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                std::path::Path::new(&dir).join(format!("{name}.log")),
                &text,
            )
            .unwrap();
        }
        group.throughput(Throughput::Bytes(text.len() as u64));
        let expected = match *name {
            "cisco_asa" => rows / 2,
            _ => rows,
        };
        group.bench_function(*name, |b| {
            b.iter(|| {
                let n = match *name {
                    "panos_traffic" => run(&mut PanosParser::new(config()), lines),
                    "fortigate_traffic" => run(&mut FortigateParser::new(config()), lines),
                    "cisco_asa" => run(&mut CiscoAsaParser::new(config()), lines),
                    _ => run(&mut SquidParser::new(), lines),
                };
                assert_eq!(n, expected);
                n
            })
        });
        group.bench_function(format!("{name}_floor_newlines"), |b| {
            b.iter(|| memchr::memchr_iter(b'\n', text.as_bytes()).count())
        });
    }
    group.finish();
}

criterion_group!(benches, bench, bench_netflow, bench_firewall);
criterion_main!(benches);
