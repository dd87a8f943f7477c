//! Feeds arbitrary bytes, split into lines, to the four firewall and proxy readers (PAN-OS,
//! FortiGate, Cisco ASA, Squid) and their format sniffers, with a zone and an explicit year
//! chosen by the first byte.
#![no_main]

use breachscope_ingest::firewall::cisco_asa::{self, CiscoAsaParser};
use breachscope_ingest::firewall::fortigate::{self, FortigateParser};
use breachscope_ingest::firewall::panos::{self, PanosParser};
use breachscope_ingest::firewall::squid::{self, SquidParser};
use breachscope_ingest::firewall::FirewallConfig;
use breachscope_ingest::{LineOutcome, LineParser};
use libfuzzer_sys::fuzz_target;

fn feed<P: LineParser>(parser: &mut P, lines: &[String]) {
    parser.begin_file(Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_840_000)));
    for (i, line) in lines.iter().enumerate() {
        if let LineOutcome::Rejected(reason) = parser.parse_line(line, i as u64 + 1) {
            assert!(!reason.is_empty());
        }
    }
    let _ = parser.notes();
}

fuzz_target!(|data: &[u8]| {
    let (first, rest) = match data.split_first() {
        Some((f, r)) => (*f, r),
        None => (0, data),
    };
    let zone = if first & 1 == 0 { "Asia/Tokyo" } else { "America/New_York" };
    let config = FirewallConfig {
        log_tz: jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC),
        year: (first & 0x80 != 0).then_some(2026),
    };
    let lines: Vec<String> = rest
        .split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    for line in &lines {
        let _ = panos::looks_like(line)
            | fortigate::looks_like(line)
            | cisco_asa::looks_like(line)
            | squid::looks_like(line);
    }
    feed(&mut PanosParser::new(config.clone()), &lines);
    feed(&mut FortigateParser::new(config.clone()), &lines);
    feed(&mut CiscoAsaParser::new(config), &lines);
    feed(&mut SquidParser::new(), &lines);
});
