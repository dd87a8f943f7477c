//! Capture files (pcap and pcapng) through the connection tracker: no panic, counts consistent.
#![no_main]

use breachscope_ingest::pcap::{ConnOptions, flows_of_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for validate_checksums in [true, false] {
        if let Ok((_, stats, _)) = flows_of_bytes(data, ConnOptions { validate_checksums }) {
            let unused: u64 = stats.unused.values().sum();
            assert_eq!(stats.used + unused, stats.packets);
        }
    }
});
