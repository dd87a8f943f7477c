//! Feeds arbitrary bytes, split into lines, to the Samba audit reader (all four envelopes and
//! auth JSON records), with a prefix and a year chosen by the first byte.
#![no_main]

use breachscope_ingest::samba::{SambaConfig, SambaParser};
use breachscope_ingest::{LineOutcome, LineParser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (first, rest) = match data.split_first() {
        Some((f, r)) => (*f, r),
        None => (0, data),
    };
    let prefix = ["%u|%I|%m|%S", "%u|%I", "%D|%U|%I|%P|%S"][usize::from(first % 3)];
    let mut parser = SambaParser::new(SambaConfig {
        prefix: prefix.parse().unwrap_or_default(),
        log_tz: jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::UTC),
        year: (first & 0x80 != 0).then_some(2026),
        ..SambaConfig::default()
    });
    parser.begin_file(Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_840_000)));
    for (i, line) in rest.split(|&b| b == b'\n').enumerate() {
        let text = String::from_utf8_lossy(line);
        if let LineOutcome::Rejected(reason) = parser.parse_line(&text, i as u64 + 1) {
            assert!(!reason.is_empty());
        }
    }
});
