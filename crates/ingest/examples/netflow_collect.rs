//! Receives NetFlow/IPFIX exports on a UDP port with breachscope's collector until the senders
//! go quiet — decoding every datagram and pairing each connection's two records into one flow,
//! as `watch` does before storing — then prints what it received as JSON: datagrams, flow
//! records, flows, the time from the first datagram to the last, and the kernel's
//! receive-buffer drops meanwhile.
//! The collector benchmark's receiver (`scripts/bench-netflow.sh`), beside nfcapd.
//!
//!   cargo run --release -p breachscope-ingest --example netflow_collect -- 127.0.0.1:2055

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use breachscope_ingest::netflow::Pairer;
use breachscope_ingest::netflow::udp::{
    DEFAULT_RECEIVE_BUFFER, UdpCollector, udp_receive_buffer_errors,
};

fn main() {
    let addr = std::env::args()
        .nth(1)
        .expect("usage: netflow_collect HOST:PORT [idle seconds]");
    let idle = Duration::from_secs_f64(
        std::env::args()
            .nth(2)
            .map_or(2.0, |s| s.parse().expect("seconds")),
    );
    let mut c =
        UdpCollector::bind(addr.parse().expect("HOST:PORT"), DEFAULT_RECEIVE_BUFFER).expect("bind");
    eprintln!(
        "listening on {} (receive buffer {} bytes)",
        c.local_addr().unwrap(),
        c.receive_buffer().unwrap()
    );
    let errors_before = udp_receive_buffer_errors();
    let mut records = Vec::with_capacity(4096);
    let mut total = 0u64;
    let mut pairer = Pairer::new();
    let mut flows = Vec::with_capacity(4096);
    let mut flow_count = 0u64;
    // Wait as long as it takes for the first datagram, then until the senders are quiet.
    while !c.receive(None, &mut records).unwrap() {}
    let first = Instant::now();
    let mut last = first;
    loop {
        total += records.len() as u64;
        for r in records.drain(..) {
            pairer.push(r, &mut flows);
        }
        flow_count += flows.len() as u64;
        flows.clear();
        if c.receive(Some(idle), &mut records).unwrap() {
            last = Instant::now();
        } else {
            break;
        }
    }
    let seconds = last.duration_since(first).as_secs_f64().max(1e-9);
    pairer.finish(&mut flows);
    flow_count += flows.len() as u64;
    let drops = match (errors_before, udp_receive_buffer_errors()) {
        (Some(a), Some(b)) => (b - a).to_string(),
        _ => "null".into(),
    };
    let stats = c.collector.stats();
    println!(
        "{{\"datagrams\": {}, \"records\": {total}, \"flows\": {flow_count}, \"seconds\": {seconds:.3}, \"records_per_second\": {:.0}, \"rejected_datagrams\": {}, \"kernel_receive_buffer_drops\": {drops}}}",
        c.received,
        total as f64 / seconds,
        stats.rejected_datagrams
    );
}
