//! Line-parser and NetFlow/IPFIX decoder throughput without I/O:
//! `cargo bench -p breachscope-ingest`.
//! Whole-file figures against the floor and DuckDB come from `scripts/bench-ingest.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

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

criterion_group!(benches, bench, bench_netflow);
criterion_main!(benches);
