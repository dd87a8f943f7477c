//! Reads nfcapd files with [`breachscope_ingest::nfcapd::NfcapdReader`] and prints what came out
//! and how fast: records (or paired flows with `--flows`), rejections, bytes, seconds, records/s
//! and MB/s of the file as stored. Used by `scripts/bench-nfcapd.sh`.
//!
//! ```text
//! cargo run -p breachscope-ingest --example nfcapd_read -- [--flows] FILE...
//! ```

use std::path::Path;
use std::time::Instant;

use breachscope_ingest::nfcapd::NfcapdReader;

fn main() -> std::process::ExitCode {
    let mut flows = false;
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--flows" {
            flows = true;
        } else {
            files.push(a);
        }
    }
    if files.is_empty() {
        eprintln!("usage: nfcapd_read [--flows] FILE...");
        return std::process::ExitCode::from(2);
    }
    for f in files {
        let started = Instant::now();
        let reader = match NfcapdReader::open(Path::new(&f)) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{f}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        let compression = reader.header().compression.name();
        let (items, rejected, stats) = if flows {
            let mut it = reader.flows();
            let (mut ok, mut bad) = (0u64, 0u64);
            for e in it.by_ref() {
                if e.is_ok() { ok += 1 } else { bad += 1 }
            }
            (ok, bad, it.finish())
        } else {
            let mut it = reader;
            let (mut ok, mut bad) = (0u64, 0u64);
            for r in it.by_ref() {
                if r.is_ok() { ok += 1 } else { bad += 1 }
            }
            (ok, bad, it.finish())
        };
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{f}\t{compression}\t{} {}\t{rejected} rejected\t{} bytes\t{secs:.3} s\t{:.0} records/s\t{:.1} MB/s",
            items,
            if flows { "flows" } else { "records" },
            stats.bytes,
            stats.records as f64 / secs,
            stats.bytes as f64 / secs / 1e6,
        );
    }
    std::process::ExitCode::SUCCESS
}
