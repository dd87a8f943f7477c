//! Format detection on arbitrary text.
#![no_main]

use breachscope_ingest::sniff::sniff_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sniff_text(&String::from_utf8_lossy(data));
});
