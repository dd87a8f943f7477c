//! Reads captures into connections and prints them as Zeek conn.log rows (TSV, without the
//! header), with the time and throughput on stderr:
//! `cargo run --release -p breachscope-ingest --example pcap_conns -- [-C] [-q] FILE...`
//! (`-C`: do not check checksums, as `zeek -C`; `-q`: count only, print no rows; `-rN`: read
//! each file N times and report the median time, for `scripts/bench-pcap.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::time::Instant;

use breachscope_ingest::pcap::{CaptureReader, ConnOptions};
use breachscope_model::{Event, Transport};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let validate = !args.iter().any(|a| a == "-C");
    let quiet = args.iter().any(|a| a == "-q");
    let repeat: usize = args
        .iter()
        .find_map(|a| a.strip_prefix("-r"))
        .map_or(1, |n| n.parse().unwrap());
    for path in args.iter().filter(|a| !a.starts_with('-')) {
        let mut times = Vec::new();
        for _ in 1..repeat {
            let started = Instant::now();
            let mut reader = CaptureReader::open_with(
                Path::new(path),
                ConnOptions {
                    validate_checksums: validate,
                },
            )
            .unwrap();
            let n = reader.by_ref().count();
            std::hint::black_box(n);
            reader.finish();
            times.push(started.elapsed().as_secs_f64());
        }
        let started = Instant::now();
        let mut reader = CaptureReader::open_with(
            Path::new(path),
            ConnOptions {
                validate_checksums: validate,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut flows = 0u64;
        for item in reader.by_ref() {
            match item {
                Ok(Event::Flow(f)) => {
                    flows += 1;
                    if quiet {
                        continue;
                    }
                    let o = |v: Option<u64>| v.map_or("-".into(), |x| x.to_string());
                    let proto = match f.transport {
                        Transport::Tcp => "tcp",
                        Transport::Udp => "udp",
                        Transport::Icmp => "icmp",
                        _ => "unknown_transport",
                    };
                    println!(
                        "{}.{:06}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        f.start / 1_000_000,
                        f.start % 1_000_000,
                        f.uid.as_deref().unwrap_or("-"),
                        f.src_ip,
                        f.src_port,
                        f.dst_ip,
                        f.dst_port,
                        proto,
                        f.service.as_deref().unwrap_or("-"),
                        f.duration.map_or("-".into(), |d| format!(
                            "{}.{:06}",
                            d / 1_000_000,
                            d % 1_000_000
                        )),
                        o(f.bytes_out),
                        o(f.bytes_in),
                        f.conn_state.as_deref().unwrap_or("-"),
                        if f.local_orig == Some(true) { "T" } else { "F" },
                        if f.local_resp == Some(true) { "T" } else { "F" },
                        o(f.missed_bytes),
                        f.history.as_deref().unwrap_or("-"),
                        o(f.packets_out),
                        o(f.ip_bytes_out),
                        o(f.packets_in),
                        o(f.ip_bytes_in),
                    );
                }
                Ok(_) => {}
                Err(r) => eprintln!("rejected: {r}"),
            }
        }
        let packets = reader.stats().packets;
        let peak = reader.stats().peak_live;
        let st = reader.finish();
        times.push(started.elapsed().as_secs_f64());
        times.sort_by(f64::total_cmp);
        let secs = times[times.len() / 2];
        eprintln!(
            "{path}: {} bytes, {packets} packets, {flows} connections (peak {peak} live) in {:.4} s (median of {repeat}): {:.1} MB/s, {:.0} packets/s; notes {:?}",
            st.bytes,
            secs,
            st.bytes as f64 / 1e6 / secs,
            packets as f64 / secs,
            st.notes
        );
    }
}
