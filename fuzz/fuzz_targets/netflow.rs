//! Feeds arbitrary bytes to the NetFlow/IPFIX collector: a pcap capture (the script seeds the
//! corpus with softflowd's real exports, copied from ../shared/data at run time) is read for
//! its UDP datagrams; anything else is cut into datagrams by a 2-byte length prefix, so that
//! templates and the data that uses them meet in one collector. Every record decoded is
//! counted, and every record becomes part of exactly one flow when paired.
#![no_main]

use breachscope_ingest::netflow::{Collector, Pairer};
use breachscope_ingest::pcap::udp_datagrams;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let exporter = std::net::IpAddr::from([192, 0, 2, 1]);
    let mut collector = Collector::new();
    let mut records = Vec::new();
    if let Ok((datagrams, stats)) = udp_datagrams(data) {
        assert!(datagrams.len() as u64 <= stats.packets);
        for d in &datagrams {
            let _ = collector.decode(d.src, d.payload, &mut records);
        }
    } else {
        let mut rest = data;
        while rest.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
            let _ = collector.decode(exporter, &rest[2..2 + len], &mut records);
            rest = &rest[2 + len..];
        }
    }
    assert_eq!(collector.stats().records, records.len() as u64);
    let mut pairer = Pairer::new();
    let mut flows = Vec::new();
    let n = records.len() as u64;
    for r in records {
        pairer.push(r, &mut flows);
    }
    pairer.finish(&mut flows);
    assert_eq!(pairer.paired * 2 + pairer.one_way, n);
    assert_eq!(flows.len() as u64, pairer.paired + pairer.one_way);
    assert_eq!(pairer.held(), 0);
});
