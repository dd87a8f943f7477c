//! Firewall and proxy logs as flows: Palo Alto Networks PAN-OS TRAFFIC logs ([`panos`]),
//! FortiGate traffic logs ([`fortigate`]), Cisco ASA / FTD connection messages ([`cisco_asa`])
//! and Squid's native `access.log` ([`squid`]).
//!
//! Each module has a [`crate::LineParser`] that turns one record into the same
//! [`breachscope_model::Event::Flow`] the Zeek and NetFlow readers produce, and a `looks_like`
//! function that recognises one line of its format (with or without a syslog header) for format
//! detection. Every parser accepts lines as the device writes them and as a syslog relay stores
//! them (rsyslog's RFC 3339 and traditional layouts, RFC 5424, a bare `<PRI>`).
//!
//! Conventions shared by the four (details, and the vendor documentation each layout was taken
//! from, in each module and in `docs/formats/firewalls-and-proxies.md`):
//!
//! * the originator is the side that opened the connection (the client);
//! * addresses and ports are the pre-NAT ("real", original) ones: a flow names the hosts that
//!   talked, not the firewall's translation;
//! * byte and packet counts go to the direction the vendor states; a count the vendor does not
//!   give per direction (ASA's single total, Squid's reply size) is never guessed into the other
//!   direction;
//! * local times without a stated offset are read in [`FirewallConfig::log_tz`], and every
//!   record converted that way is counted in the parser's notes, as are records whose year had
//!   to be inferred.

pub mod cisco_asa;
pub mod fortigate;
pub mod panos;
pub mod squid;

use std::net::IpAddr;

use breachscope_model::net::parse_ip;
use breachscope_model::{Flow, Micros, Transport};
use jiff::tz::TimeZone;

use crate::timefmt::{Civil, digits};

/// Settings shared by the firewall and proxy readers.
#[derive(Debug, Clone)]
pub struct FirewallConfig {
    /// The zone of devices that write local time without an offset (PAN-OS record times,
    /// FortiGate `date`/`time` without `tz`, ASA and relay syslog headers).
    pub log_tz: TimeZone,
    /// The year of the first line whose header has none (RFC 3164), when it should not be
    /// inferred from the file's modification time.
    pub year: Option<i32>,
}

impl Default for FirewallConfig {
    fn default() -> Self {
        FirewallConfig {
            log_tz: TimeZone::system(),
            year: None,
        }
    }
}

/// Why a record could not be read: the field and what was wrong with it. Never quotes the
/// record's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The record ends before the field, or the field is empty.
    #[error("{field} is missing")]
    Missing {
        /// The field, as the vendor names it.
        field: &'static str,
    },
    /// The field is there but is not what the format says it holds.
    #[error("{field} is not {expected}")]
    Malformed {
        /// The field, as the vendor names it.
        field: &'static str,
        /// What it should be.
        expected: &'static str,
    },
    /// The record has too few fields for its layout.
    #[error(
        "record has {found} fields; a {layout} record has at least {needed} (it ends before {field})"
    )]
    TooShort {
        /// What kind of record it is.
        layout: &'static str,
        /// How many fields it has.
        found: usize,
        /// How many it needs.
        needed: usize,
        /// The first missing required field.
        field: &'static str,
    },
}

pub(crate) fn missing(field: &'static str) -> FieldError {
    FieldError::Missing { field }
}

pub(crate) fn malformed(field: &'static str, expected: &'static str) -> FieldError {
    FieldError::Malformed { field, expected }
}

/// A non-empty field, or [`FieldError::Missing`].
pub(crate) fn required<'a>(
    value: Option<&'a str>,
    field: &'static str,
) -> Result<&'a str, FieldError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(missing(field)),
    }
}

/// An IP address field.
pub(crate) fn ip_field(value: Option<&str>, field: &'static str) -> Result<IpAddr, FieldError> {
    parse_ip(required(value, field)?).ok_or(malformed(field, "an IP address"))
}

/// A decimal unsigned field.
pub(crate) fn u64_field(value: Option<&str>, field: &'static str) -> Result<u64, FieldError> {
    let text = required(value, field)?;
    parse_u64(text).ok_or(malformed(field, "a decimal number"))
}

/// A port field (0..=65535).
pub(crate) fn port_field(value: Option<&str>, field: &'static str) -> Result<u16, FieldError> {
    let text = required(value, field)?;
    parse_u64(text)
        .and_then(|v| u16::try_from(v).ok())
        .ok_or(malformed(field, "a port number (0-65535)"))
}

/// An optional decimal field: absent or empty is `None`, anything else must be a number.
pub(crate) fn opt_u64(value: Option<&str>, field: &'static str) -> Result<Option<u64>, FieldError> {
    match value {
        None | Some("") => Ok(None),
        Some(text) => parse_u64(text)
            .map(Some)
            .ok_or(malformed(field, "a decimal number")),
    }
}

/// Parses ASCII decimal digits (no sign, no spaces) without overflow.
#[inline]
pub(crate) fn parse_u64(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for b in text.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// Seconds to microseconds, saturating.
pub(crate) fn secs_to_micros(secs: u64) -> Micros {
    i64::try_from(secs)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000_000)
}

/// A transport protocol given by name (`tcp`, `udp`, `icmp`, …) or by IANA number.
pub(crate) fn transport_of(text: &str) -> Transport {
    if let Some(n) = parse_u64(text) {
        return u8::try_from(n).map_or(Transport::Unknown, Transport::from_number);
    }
    match text.to_ascii_lowercase().as_str() {
        "tcp" => Transport::Tcp,
        "udp" => Transport::Udp,
        "icmp" | "icmp6" | "icmpv6" | "ipv6-icmp" => Transport::Icmp,
        "sctp" => Transport::Other(132),
        "gre" => Transport::Other(47),
        "esp" => Transport::Other(50),
        "ah" => Transport::Other(51),
        _ => Transport::Unknown,
    }
}

/// A flow with the given endpoints and nothing else known.
pub(crate) fn bare_flow(
    start: Micros,
    (src_ip, src_port): (IpAddr, u16),
    (dst_ip, dst_port): (IpAddr, u16),
    transport: Transport,
) -> Flow {
    Flow {
        start,
        duration: None,
        uid: None,
        src_ip,
        src_port,
        dst_ip,
        dst_port,
        transport,
        service: None,
        bytes_out: None,
        bytes_in: None,
        packets_out: None,
        packets_in: None,
        ip_bytes_out: None,
        ip_bytes_in: None,
        missed_bytes: None,
        conn_state: None,
        history: None,
        local_orig: None,
        local_resp: None,
    }
}

/// `YYYY/MM/DD HH:MM:SS` (PAN-OS) or `YYYY-MM-DD HH:MM:SS` at the start of `s`, exactly 19
/// bytes.
pub(crate) fn parse_ymd_hms(s: &[u8]) -> Option<Civil> {
    if s.len() < 19
        || !matches!(s[4], b'/' | b'-')
        || s[7] != s[4]
        || s[10] != b' '
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    let civil = Civil {
        year: i32::try_from(digits(s, 4)?).ok()?,
        month: u8::try_from(digits(&s[5..], 2)?).ok()?,
        day: u8::try_from(digits(&s[8..], 2)?).ok()?,
        hour: u8::try_from(digits(&s[11..], 2)?).ok()?,
        minute: u8::try_from(digits(&s[14..], 2)?).ok()?,
        second: u8::try_from(digits(&s[17..], 2)?).ok()?,
        micros: 0,
    };
    civil.is_valid().then_some(civil)
}

/// The file's modification time as civil time in `tz` (the reference for RFC 3164 years).
pub(crate) fn mtime_civil(mtime: Option<std::time::SystemTime>, tz: &TimeZone) -> Option<Civil> {
    let ts = jiff::Timestamp::try_from(mtime?).ok()?;
    let dt = tz.to_datetime(ts);
    Some(Civil {
        year: i32::from(dt.year()),
        month: u8::try_from(dt.month()).ok()?,
        day: u8::try_from(dt.day()).ok()?,
        hour: u8::try_from(dt.hour()).ok()?,
        minute: u8::try_from(dt.minute()).ok()?,
        second: u8::try_from(dt.second()).ok()?,
        micros: 0,
    })
}

/// A zone's name for notes (`Asia/Tokyo`, `+09:00`, or "the machine's zone").
pub(crate) fn zone_label(tz: &TimeZone) -> String {
    breachscope_model::zone::zone_name(tz).unwrap_or_else(|| "the machine's zone".to_owned())
}

/// What the parsers' tests share: an outcome taken apart, an address parsed.
#[cfg(test)]
pub(crate) mod test_support {
    #![allow(clippy::unwrap_used)]

    use breachscope_model::{Event, Flow};

    use crate::record::LineOutcome;

    /// The flow a line became (panics otherwise).
    pub(crate) fn flow(outcome: LineOutcome) -> Flow {
        match outcome {
            LineOutcome::Event(e) => match *e {
                Event::Flow(f) => f,
                other => panic!("not a flow: {other:?}"),
            },
            other => panic!("not an event: {other:?}"),
        }
    }

    /// Why a line was rejected (panics otherwise).
    pub(crate) fn rejected(outcome: LineOutcome) -> String {
        match outcome {
            LineOutcome::Rejected(r) => r,
            other => panic!("not rejected: {other:?}"),
        }
    }

    /// An address from its text.
    pub(crate) fn ip(s: &str) -> std::net::IpAddr {
        s.parse().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers_can_move_between_threads() {
        fn send<T: Send + 'static>() {}
        send::<panos::PanosParser>();
        send::<fortigate::FortigateParser>();
        send::<cisco_asa::CiscoAsaParser>();
        send::<squid::SquidParser>();
    }

    #[test]
    fn numbers_and_times() {
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64("18446744073709551616"), None);
        assert_eq!(parse_u64("-1"), None);
        assert_eq!(parse_u64(""), None);
        let c = parse_ymd_hms(b"2024/05/01 10:00:00").unwrap();
        assert_eq!((c.year, c.month, c.day, c.hour), (2024, 5, 1, 10));
        assert!(parse_ymd_hms(b"2024-05-01 10:00:00").is_some());
        assert!(parse_ymd_hms(b"2024/05-01 10:00:00").is_none());
        assert!(parse_ymd_hms(b"2024/02/30 10:00:00").is_none());
        assert_eq!(transport_of("tcp"), Transport::Tcp);
        assert_eq!(transport_of("17"), Transport::Udp);
        assert_eq!(transport_of("300"), Transport::Unknown);
        assert_eq!(
            FieldError::TooShort {
                layout: "TRAFFIC",
                found: 3,
                needed: 46,
                field: "Packets Received (field 46)"
            }
            .to_string(),
            "record has 3 fields; a TRAFFIC record has at least 46 (it ends before Packets Received (field 46))"
        );
    }
}
