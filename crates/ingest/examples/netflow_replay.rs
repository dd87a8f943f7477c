//! Sends synthetic NetFlow v9 or IPFIX exports (40 records a datagram, the template first and
//! every 16 datagrams, as softflowd does) to a collector over UDP, at a given rate of flow
//! records per second or as fast as it can; prints what it sent as JSON. The collector
//! benchmark's sender (`scripts/bench-netflow.sh`).
//!
//!   cargo run --release -p breachscope-ingest --example netflow_replay -- \
//!       127.0.0.1:2055 --version 9 --records 2000000 --rate 200000

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::UdpSocket;
use std::time::{Duration, Instant};

#[path = "common/netflow_synth.rs"]
mod netflow_synth;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let to = args
        .first()
        .expect("usage: netflow_replay HOST:PORT [--version 9|10] [--records N] [--rate R]");
    let flag = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("a number"))
    };
    let version = u16::try_from(flag("--version", 9)).unwrap();
    let records = flag("--records", 1_000_000);
    let rate = flag("--rate", 0);
    // One cycle of distinct datagrams, sent over and over.
    let exports = netflow_synth::template_exports(version, 1_000);
    let (template, data) = exports.split_first().unwrap();
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
    socket.connect(to).unwrap();
    let datagrams = records.div_ceil(40);
    let started = Instant::now();
    let mut sent = 0u64;
    for n in 0..datagrams {
        if n % 16 == 0 {
            socket.send(template).unwrap();
        }
        let d = &data[usize::try_from(n).unwrap() % data.len()];
        // A full socket buffer on the sending side: wait and retry (never drop here).
        while let Err(e) = socket.send(d) {
            assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock, "{e}");
            std::thread::sleep(Duration::from_micros(50));
        }
        sent += 40;
        if rate > 0 {
            let due = Duration::from_secs_f64(sent as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed())
                && wait > Duration::from_micros(200)
            {
                std::thread::sleep(wait);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"records_sent\": {sent}, \"datagrams_sent\": {datagrams}, \"seconds\": {seconds:.3}, \"records_per_second\": {:.0}}}",
        sent as f64 / seconds
    );
}
