//! Feeds arbitrary bytes to the EVTX reader as a whole file. The script seeds the corpus with a
//! small real log (copied from ../shared/data at run time, never committed) so that mutations
//! start from valid chunks. Every record met must be accounted for.
#![no_main]

use breachscope_ingest::evtx::{EvtxConfig, EvtxReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = EvtxReader::new(&EvtxConfig {
        threads: 1,
        share_roots: vec![("hr".into(), "D:\\Shares\\HR".into())],
    });
    let mut seen = 0u64;
    let stats = reader.read_bytes(std::path::Path::new("fuzz.evtx"), data.to_vec(), |_| seen += 1);
    assert_eq!(stats.records + stats.rejected, seen);
    assert_eq!(stats.records + stats.skipped + stats.rejected, stats.lines);
});
