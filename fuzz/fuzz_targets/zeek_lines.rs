//! Feeds arbitrary bytes, split into lines, to the Zeek reader (TSV headers and data, JSON).
#![no_main]

use breachscope_ingest::zeek::ZeekParser;
use breachscope_ingest::{LineOutcome, LineParser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parser = ZeekParser::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let text = String::from_utf8_lossy(line);
        if let LineOutcome::Rejected(reason) = parser.parse_line(&text, i as u64 + 1) {
            assert!(!reason.is_empty());
        }
    }
    let _ = parser.notes();
});
