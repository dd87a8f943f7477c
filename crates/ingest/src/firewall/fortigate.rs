//! FortiGate traffic logs (FortiOS 6.x and 7.x) in the syslog `key=value` layout.
//!
//! Layout: Fortinet, "FortiOS Log Message Reference", e.g. 7.6.1 "13 - LOG_ID_TRAFFIC_END_FORWARD"
//! <https://docs.fortinet.com/document/fortigate/7.6.1/fortios-log-message-reference/13> (the
//! fields of a forward-traffic log and their types: `eventtime` uint64 "Event time", `tz`
//! string(5) "Time zone", `duration` uint32 "Duration of the session", `sentbyte`/`rcvdbyte`
//! uint64) and "List of log types and subtypes"; the sample in "Sample logs by log type",
//! FortiOS 7.2.13 Administration Guide
//! <https://docs.fortinet.com/document/fortigate/7.2.13/administration-guide/986892>.
//!
//! A record is space-separated `key=value` pairs; string values are double-quoted
//! (`type="traffic"`), numbers and addresses bare (`srcport=58012`). Anything before the first
//! pair (a syslog header, `<PRI>`) is ignored. Fields used:
//!
//! | key | flow |
//! |---|---|
//! | `type` | only `traffic` records become flows; other types are counted skips |
//! | `logid` | `0000000020`/`0000000021` (long-session statistics) are counted skips |
//! | `action`, `logid` | `action="start"` or `logid` 15/16 (session-start logs) are counted skips; every other action is a flow |
//! | `eventtime`, or `date` + `time` (+ `tz`) | the end of the session |
//! | `duration` (s) | `duration`; `start` = end − duration |
//! | `srcip`, `srcport` | originator (pre-NAT) |
//! | `dstip`, `dstport` | responder (pre-NAT) |
//! | `proto` (IP protocol number) | `transport` |
//! | `service` | `service` (the policy's service name, `HTTPS`, `DNS`, …) |
//! | `sentbyte` / `rcvdbyte` | `bytes_out` / `bytes_in` and `ip_bytes_out` / `ip_bytes_in` (sent = originator→responder; IP-layer counts, as NetFlow's) |
//! | `sentpkt` / `rcvdpkt` | `packets_out` / `packets_in` |
//! | `devid`, `sessionid` | `uid` (`devid:sessionid`) |
//!
//! `transip`/`transport` (source NAT) and `tranip`/`tranport` (destination NAT) are the
//! translated addresses and are not used. ICMP sessions without ports get 0/0.
//!
//! **Times.** A traffic log is written when its session ends (`action` says how: `close`,
//! `timeout`, `client-rst`, …), so the record's time is the session's end. `eventtime` is an
//! epoch count whose unit FortiOS has changed (seconds in 6.0, nanoseconds in 6.2 and 7.x;
//! microseconds and milliseconds are accepted too): the unit is chosen by magnitude. Without
//! `eventtime`, `date` and `time` are device-local time, converted with `tz` (`+0900`) when
//! present, else with [`FirewallConfig::log_tz`] (counted in the notes).

use breachscope_model::{Event, Micros, Transport};

use super::{
    FieldError, FirewallConfig, bare_flow, ip_field, malformed, missing, opt_u64, parse_u64,
    parse_ymd_hms, port_field, required, secs_to_micros, transport_of, zone_label,
};
use crate::record::{LineOutcome, LineParser};
use crate::timefmt::LocalClock;

/// The `key=value` pairs of a line, in order: a key is the non-empty text of a word before its
/// first `=` (a `<PRI>` stuck to the first key is dropped; keys are not checked further, callers
/// look for the names they know), a value is a double-quoted string (backslash escapes kept as
/// written) or runs to the next space. Words without `=` are skipped.
pub fn pairs(line: &str) -> impl Iterator<Item = (&str, &str)> {
    let b = line.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            let word = i;
            // The key: up to '=' or a space.
            while i < b.len() && b[i] != b'=' && b[i] != b' ' {
                i += 1;
            }
            if b.get(i) != Some(&b'=') {
                continue;
            }
            let mut key = line.get(word..i).unwrap_or("");
            if let Some(rest) = key.strip_prefix('<') {
                key = rest.split_once('>').map_or(rest, |(_, k)| k);
            }
            i += 1;
            let value = if b.get(i) == Some(&b'"') {
                let begin = i + 1;
                let mut j = begin;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let end = j.min(b.len());
                i = (j + 1).min(b.len());
                line.get(begin..end).unwrap_or("")
            } else {
                let begin = i;
                while i < b.len() && b[i] != b' ' {
                    i += 1;
                }
                line.get(begin..i).unwrap_or("")
            };
            if !key.is_empty() {
                return Some((key, value));
            }
        }
    })
}

/// The fields of one record that the flow needs.
#[derive(Default)]
struct Record<'a> {
    date: Option<&'a str>,
    time: Option<&'a str>,
    tz: Option<&'a str>,
    eventtime: Option<&'a str>,
    kind: Option<&'a str>,
    logid: Option<&'a str>,
    action: Option<&'a str>,
    devid: Option<&'a str>,
    sessionid: Option<&'a str>,
    srcip: Option<&'a str>,
    srcport: Option<&'a str>,
    dstip: Option<&'a str>,
    dstport: Option<&'a str>,
    proto: Option<&'a str>,
    service: Option<&'a str>,
    duration: Option<&'a str>,
    sentbyte: Option<&'a str>,
    rcvdbyte: Option<&'a str>,
    sentpkt: Option<&'a str>,
    rcvdpkt: Option<&'a str>,
}

impl<'a> Record<'a> {
    fn read(line: &'a str) -> Self {
        let mut r = Record::default();
        for (k, v) in pairs(line) {
            let slot = match k {
                "date" => &mut r.date,
                "time" => &mut r.time,
                "tz" => &mut r.tz,
                "eventtime" => &mut r.eventtime,
                "type" => &mut r.kind,
                "logid" => &mut r.logid,
                "action" => &mut r.action,
                "devid" => &mut r.devid,
                "sessionid" => &mut r.sessionid,
                "srcip" => &mut r.srcip,
                "srcport" => &mut r.srcport,
                "dstip" => &mut r.dstip,
                "dstport" => &mut r.dstport,
                "proto" => &mut r.proto,
                "service" => &mut r.service,
                "duration" => &mut r.duration,
                "sentbyte" => &mut r.sentbyte,
                "rcvdbyte" => &mut r.rcvdbyte,
                "sentpkt" => &mut r.sentpkt,
                "rcvdpkt" => &mut r.rcvdpkt,
                _ => continue,
            };
            // The first occurrence wins (a syslog header cannot shadow the record's own keys,
            // which come later, because headers have no `key=value` words).
            if slot.is_none() {
                *slot = Some(v);
            }
        }
        r
    }
}

/// Microseconds since the epoch from an `eventtime`, whose unit is chosen by magnitude.
fn eventtime_micros(v: u64) -> Option<Micros> {
    let micros = if v >= 100_000_000_000_000_000 {
        v / 1_000 // nanoseconds (FortiOS 6.2+)
    } else if v >= 100_000_000_000_000 {
        v // microseconds
    } else if v >= 100_000_000_000 {
        v.checked_mul(1_000)? // milliseconds
    } else {
        v.checked_mul(1_000_000)? // seconds (FortiOS 6.0)
    };
    i64::try_from(micros).ok()
}

/// `+hhmm`, `-hhmm` or `+hh:mm` in seconds east of UTC.
fn tz_offset(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &b[1..];
    let (h, m) = match rest.len() {
        4 => (
            crate::timefmt::digits(rest, 2)?,
            crate::timefmt::digits(&rest[2..], 2)?,
        ),
        5 if rest[2] == b':' => (
            crate::timefmt::digits(rest, 2)?,
            crate::timefmt::digits(&rest[3..], 2)?,
        ),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * i64::from(h * 3600 + m * 60))
}

/// Line parser for FortiGate traffic logs.
#[derive(Debug)]
pub struct FortigateParser {
    clock: LocalClock,
    other_types: u64,
    start_records: u64,
    statistics: u64,
    zone_assumed: u64,
}

impl FortigateParser {
    /// A parser with the given settings.
    pub fn new(config: FirewallConfig) -> Self {
        FortigateParser {
            clock: LocalClock::new(config.log_tz),
            other_types: 0,
            start_records: 0,
            statistics: 0,
            zone_assumed: 0,
        }
    }

    fn end_time(&mut self, r: &Record<'_>) -> Result<Micros, FieldError> {
        if let Some(text) = r.eventtime.filter(|t| !t.is_empty()) {
            return parse_u64(text)
                .and_then(eventtime_micros)
                .ok_or(malformed("eventtime", "an epoch time (s, ms, µs or ns)"));
        }
        let date = required(r.date, "date")?;
        let time = required(r.time, "time")?;
        if date.len() != 10 || time.len() != 8 {
            return Err(malformed("date/time", "YYYY-MM-DD and HH:MM:SS"));
        }
        let mut buf = [b' '; 19];
        buf[..10].copy_from_slice(date.as_bytes());
        buf[11..].copy_from_slice(time.as_bytes());
        let civil = parse_ymd_hms(&buf).ok_or(malformed("date/time", "YYYY-MM-DD and HH:MM:SS"))?;
        match r.tz.filter(|t| !t.is_empty()) {
            Some(tz) => {
                let offset = tz_offset(tz).ok_or(malformed("tz", "a UTC offset (+hhmm)"))?;
                Ok(civil.as_utc_micros() - offset * 1_000_000)
            }
            None => {
                self.zone_assumed += 1;
                self.clock
                    .to_utc(&civil)
                    .ok_or(malformed("date/time", "a time that exists in the log zone"))
            }
        }
    }

    fn traffic(&mut self, r: &Record<'_>) -> Result<Option<Event>, FieldError> {
        let logid = r.logid.and_then(parse_u64);
        // 15/16: LOG_ID_TRAFFIC_START_FORWARD / _LOCAL.
        if r.action == Some("start") || matches!(logid, Some(15 | 16)) {
            self.start_records += 1;
            return Ok(None);
        }
        if matches!(logid, Some(20 | 21)) {
            self.statistics += 1;
            return Ok(None);
        }
        let end = self.end_time(r)?;
        let src = ip_field(r.srcip, "srcip")?;
        let dst = ip_field(r.dstip, "dstip")?;
        let proto = required(r.proto, "proto")?;
        let transport = match parse_u64(proto).and_then(|n| u8::try_from(n).ok()) {
            Some(_) => transport_of(proto),
            None => return Err(malformed("proto", "an IP protocol number")),
        };
        let (sport, dport) = if transport == Transport::Icmp {
            (
                port_field(r.srcport.or(Some("0")), "srcport")?,
                port_field(r.dstport.or(Some("0")), "dstport")?,
            )
        } else {
            (
                port_field(r.srcport, "srcport")?,
                port_field(r.dstport, "dstport")?,
            )
        };
        let duration = opt_u64(r.duration, "duration")?.map(secs_to_micros);
        let mut flow = bare_flow(
            end.saturating_sub(duration.unwrap_or(0)),
            (src, sport),
            (dst, dport),
            transport,
        );
        flow.duration = duration;
        flow.uid = match (r.devid, r.sessionid) {
            (_, None | Some("")) => None,
            (Some(dev), Some(s)) if !dev.is_empty() => Some(format!("{dev}:{s}")),
            (_, Some(s)) => Some(s.to_owned()),
        };
        flow.service = r.service.filter(|s| !s.is_empty()).map(str::to_owned);
        // FortiOS counts a session's bytes at the IP layer (headers included), as NetFlow does:
        // they are both the flow's bytes and its IP bytes, as the NetFlow reader gives them.
        flow.bytes_out = opt_u64(r.sentbyte, "sentbyte")?;
        flow.bytes_in = opt_u64(r.rcvdbyte, "rcvdbyte")?;
        flow.ip_bytes_out = flow.bytes_out;
        flow.ip_bytes_in = flow.bytes_in;
        flow.packets_out = opt_u64(r.sentpkt, "sentpkt")?;
        flow.packets_in = opt_u64(r.rcvdpkt, "rcvdpkt")?;
        Ok(Some(Event::Flow(flow)))
    }
}

/// Whether a line looks like a FortiGate log record (any type): it has `logid`, `type` and a
/// time (`date` or `eventtime`) as `key=value` pairs.
pub fn looks_like(line: &str) -> bool {
    let (mut logid, mut kind, mut time) = (false, false, false);
    for (k, _) in pairs(line).take(16) {
        match k {
            "logid" => logid = true,
            "type" => kind = true,
            "date" | "eventtime" => time = true,
            _ => {}
        }
    }
    logid && kind && time
}

impl LineParser for FortigateParser {
    fn begin_file(&mut self, _mtime: Option<std::time::SystemTime>) {
        self.other_types = 0;
        self.start_records = 0;
        self.statistics = 0;
        self.zone_assumed = 0;
    }

    fn parse_line(&mut self, line: &str, _line_no: u64) -> LineOutcome {
        if line.trim().is_empty() {
            return LineOutcome::Skipped;
        }
        let r = Record::read(line);
        match r.kind {
            Some("traffic") => {}
            Some("") | None => return LineOutcome::Rejected(missing("type").to_string()),
            Some(_) => {
                self.other_types += 1;
                return LineOutcome::Skipped;
            }
        }
        match self.traffic(&r) {
            Ok(Some(event)) => LineOutcome::Event(Box::new(event)),
            Ok(None) => LineOutcome::Skipped,
            Err(e) => LineOutcome::Rejected(e.to_string()),
        }
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.start_records > 0 {
            notes.push(format!(
                "{} session-start records (action=\"start\") skipped: the session's closing record becomes its flow",
                self.start_records
            ));
        }
        if self.statistics > 0 {
            notes.push(format!(
                "{} long-session statistics records (logid 20/21) skipped: the session's closing record carries its totals",
                self.statistics
            ));
        }
        if self.other_types > 0 {
            notes.push(format!(
                "{} records of other FortiGate log types (event, utm, …) skipped",
                self.other_types
            ));
        }
        if self.zone_assumed > 0 {
            notes.push(format!(
                "{} records have neither eventtime nor tz: their local date/time was read in {}",
                self.zone_assumed,
                zone_label(self.clock.zone())
            ));
        }
        notes
    }

    fn kind(&self) -> &'static str {
        "fortigate_traffic"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::{flow, ip, rejected};

    /// FortiOS 6.2/7.x forward-traffic sample (7.2.13 Administration Guide, "Sample logs by
    /// log type"), eventtime in nanoseconds.
    const V7: &str = r#"date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" subtype="forward" level="notice" vd="vdom1" eventtime=1557513467369913239 srcip=10.1.100.11 srcport=58012 srcintf="port12" srcintfrole="undefined" dstip=23.59.154.35 dstport=80 dstintf="port11" dstintfrole="undefined" srcuuid="ae28f494-5735-51e9-f247-d1d2ce663f4b" dstuuid="ae28f494-5735-51e9-f247-d1d2ce663f4b" poluuid="ccb269e0-5735-51e9-a218-a397dd08b7eb" sessionid=105048 proto=6 action="close" policyid=1 policytype="policy" service="HTTP" dstcountry="Canada" srccountry="Reserved" trandisp="snat" transip=172.16.200.2 transport=58012 appid=34050 app="HTTP.BROWSER_Firefox" appcat="Web.Client" apprisk="elevated" applist="g-default" duration=116 sentbyte=1188 rcvdbyte=1224 sentpkt=17 rcvdpkt=16 utmaction="allow" countapp=1 osname="Ubuntu""#;

    /// FortiOS 6.0 layout: eventtime in seconds, devid and devname in the header (constructed
    /// from the 6.0 log reference's field list).
    const V6: &str = r#"date=2024-05-01 time=10:00:00 devname="FG100E" devid="FG100E3G16000001" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" eventtime=1714525200 srcip=192.168.1.10 srcport=51000 srcintf="internal" dstip=203.0.113.7 dstport=443 dstintf="wan1" sessionid=77 proto=6 action="client-rst" policyid=3 service="HTTPS" duration=30 sentbyte=52000 rcvdbyte=3100 sentpkt=60 rcvdpkt=40"#;

    fn parser() -> FortigateParser {
        FortigateParser::new(FirewallConfig {
            log_tz: jiff::tz::TimeZone::get("Asia/Tokyo").unwrap(),
            year: None,
        })
    }

    #[test]
    fn fortios_7_record_maps_field_by_field() {
        let mut p = parser();
        let f = flow(p.parse_line(V7, 1));
        assert_eq!(f.start, 1_557_513_467_369_913 - 116_000_000);
        assert_eq!(f.duration, Some(116_000_000));
        assert_eq!(f.uid.as_deref(), Some("105048"));
        assert_eq!((f.src_ip, f.src_port), (ip("10.1.100.11"), 58012));
        assert_eq!((f.dst_ip, f.dst_port), (ip("23.59.154.35"), 80));
        assert_eq!(f.transport, Transport::Tcp);
        assert_eq!(f.service.as_deref(), Some("HTTP"));
        assert_eq!((f.bytes_out, f.bytes_in), (Some(1188), Some(1224)));
        assert_eq!((f.packets_out, f.packets_in), (Some(17), Some(16)));
        assert!(p.notes().is_empty());
        assert!(looks_like(V7));
        // The sample's date/time (11:37:47) is the same instant at the device's -0700.
        let local = V7
            .replace(" eventtime=1557513467369913239", "")
            .replace(" vd=\"vdom1\"", " vd=\"vdom1\" tz=\"-0700\"");
        let g = flow(p.parse_line(&local, 2));
        assert_eq!(g.start, 1_557_513_467_000_000 - 116_000_000);
    }

    #[test]
    fn fortios_6_record_with_seconds_and_devid() {
        let f = flow(parser().parse_line(V6, 1));
        assert_eq!(f.start, 1_714_525_200_000_000 - 30_000_000);
        assert_eq!(f.uid.as_deref(), Some("FG100E3G16000001:77"));
        assert_eq!((f.bytes_out, f.bytes_in), (Some(52000), Some(3100)));
    }

    #[test]
    fn date_time_with_tz_or_the_configured_zone() {
        let no_eventtime = V6.replace(" eventtime=1714525200", "");
        // 10:00:00 at +0200 is 08:00:00Z.
        let with_tz = no_eventtime.replace(" vd=\"root\"", " vd=\"root\" tz=\"+0200\"");
        let f = flow(parser().parse_line(&with_tz, 1));
        assert_eq!(f.start, 1_714_550_400_000_000 - 30_000_000);
        let mut p = parser();
        // Without tz the configured zone (Asia/Tokyo, +09:00) applies: 01:00:00Z.
        let f = flow(p.parse_line(&no_eventtime, 1));
        assert_eq!(f.start, 1_714_525_200_000_000 - 30_000_000);
        assert!(p.notes()[0].contains("Asia/Tokyo"), "{:?}", p.notes());
        // Microsecond and millisecond eventtimes.
        for e in ["1714525200000000", "1714525200000"] {
            let line = V6.replace("eventtime=1714525200", &format!("eventtime={e}"));
            assert_eq!(
                flow(parser().parse_line(&line, 1)).start,
                1_714_525_170_000_000
            );
        }
    }

    #[test]
    fn the_simulators_layout() {
        // As crates/simulate/src/firewall.rs writes a session (eventtime: µs end + "000").
        let line = r#"date=2026-11-28 time=13:39:30 eventtime=1795840770123456000 tz="+0900" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=10.1.3.34 srcport=51000 srcintf="internal" srcintfrole="lan" dstip=203.0.113.7 dstport=443 dstintf="wan1" dstintfrole="wan" srccountry="Reserved" dstcountry="United States" sessionid=100001 proto=6 action="close" policyid=1 policytype="policy" service="HTTPS" trandisp="snat" transip=198.51.100.10 transport=51000 duration=30 sentbyte=52000 rcvdbyte=3100 sentpkt=60 rcvdpkt=40 appcat="unscanned""#;
        let f = flow(parser().parse_line(line, 1));
        assert_eq!(f.start, 1_795_840_770_123_456 - 30_000_000);
        assert_eq!((f.src_ip, f.src_port), (ip("10.1.3.34"), 51000));
        assert_eq!((f.dst_ip, f.dst_port), (ip("203.0.113.7"), 443));
        assert_eq!((f.bytes_out, f.bytes_in), (Some(52000), Some(3100)));
        assert_eq!(f.uid.as_deref(), Some("100001"));
        assert!(looks_like(line));
    }

    #[test]
    fn envelopes_are_ignored() {
        for line in [
            format!("<189>{V6}"),
            format!("<189>1 2024-05-01T10:00:00+09:00 FG100E - - - - {V6}"),
            format!("2024-05-01T10:00:00+09:00 fw01 {V6}"),
            format!("May  1 10:00:00 10.0.0.1 {V6}"),
        ] {
            assert!(looks_like(&line), "{line}");
            let f = flow(parser().parse_line(&line, 1));
            assert_eq!(f.dst_port, 443, "{line}");
        }
        assert!(!looks_like(
            "May  1 10:00:00 host sshd[1]: Accepted key=value"
        ));
    }

    #[test]
    fn skips_are_counted() {
        let mut p = parser();
        let event = V6.replace("type=\"traffic\"", "type=\"event\"");
        assert!(matches!(p.parse_line(&event, 1), LineOutcome::Skipped));
        let start = V6.replace("action=\"client-rst\"", "action=\"start\"");
        assert!(matches!(p.parse_line(&start, 2), LineOutcome::Skipped));
        let stat = V6.replace("logid=\"0000000013\"", "logid=\"0000000020\"");
        assert!(matches!(p.parse_line(&stat, 3), LineOutcome::Skipped));
        let start = V6.replace("logid=\"0000000013\"", "logid=\"0000000015\"");
        assert!(matches!(p.parse_line(&start, 3), LineOutcome::Skipped));
        let deny = V6
            .replace("action=\"client-rst\"", "action=\"deny\"")
            .replace(
                " duration=30 sentbyte=52000 rcvdbyte=3100 sentpkt=60 rcvdpkt=40",
                "",
            );
        let f = flow(p.parse_line(&deny, 4));
        assert_eq!(
            (f.duration, f.bytes_out, f.start),
            (None, None, 1_714_525_200_000_000)
        );
        let icmp = V6
            .replace("proto=6", "proto=1")
            .replace(" srcport=51000", "")
            .replace(" dstport=443", "");
        let f = flow(p.parse_line(&icmp, 5));
        assert_eq!(
            (f.transport, f.src_port, f.dst_port),
            (Transport::Icmp, 0, 0)
        );
        assert_eq!(p.notes().len(), 3, "{:?}", p.notes());
        assert_eq!(p.kind(), "fortigate_traffic");
    }

    #[test]
    fn missing_or_malformed_fields_are_rejected_by_name() {
        let cases: &[(&str, &str, &str)] = &[
            ("type=\"traffic\"", "", "type is missing"),
            ("srcip=192.168.1.10", "", "srcip is missing"),
            (
                "srcip=192.168.1.10",
                "srcip=192.168.1",
                "srcip is not an IP address",
            ),
            ("dstip=203.0.113.7", "dstip=\"\"", "dstip is missing"),
            ("srcport=51000", "srcport=x", "srcport is not a port number"),
            ("dstport=443", "", "dstport is missing"),
            ("proto=6", "proto=tcp", "proto is not an IP protocol number"),
            ("proto=6", "", "proto is missing"),
            (
                "eventtime=1714525200",
                "eventtime=soon",
                "eventtime is not an epoch time",
            ),
            (
                "duration=30",
                "duration=-1",
                "duration is not a decimal number",
            ),
            (
                "sentbyte=52000",
                "sentbyte=5e4",
                "sentbyte is not a decimal number",
            ),
            (
                "rcvdbyte=3100",
                "rcvdbyte=x",
                "rcvdbyte is not a decimal number",
            ),
        ];
        for &(from, to, reason) in cases {
            let line = V6.replace(from, to);
            let r = rejected(parser().parse_line(&line, 1));
            assert!(r.starts_with(reason), "{from} → {to}: {r}");
            assert!(!r.contains("192.168"), "{r}");
        }
        let no_time = V6
            .replace(" eventtime=1714525200", "")
            .replace("date=2024-05-01 ", "");
        assert_eq!(
            rejected(parser().parse_line(&no_time, 1)),
            "date is missing"
        );
        let bad_date = V6
            .replace(" eventtime=1714525200", "")
            .replace("date=2024-05-01", "date=2024-13-01");
        assert!(rejected(parser().parse_line(&bad_date, 1)).starts_with("date/time is not"));
        let bad_tz = V6.replace(" eventtime=1714525200", " tz=\"JST\"");
        assert!(rejected(parser().parse_line(&bad_tz, 1)).starts_with("tz is not"));
    }

    #[test]
    fn pair_tokenizer() {
        let got: Vec<_> = pairs(r#"<13>x y a=1 b="two words" c="esc\"aped" d= e="" f"#).collect();
        assert_eq!(
            got,
            [
                ("a", "1"),
                ("b", "two words"),
                ("c", "esc\\\"aped"),
                ("d", ""),
                ("e", "")
            ]
        );
        let got: Vec<_> = pairs("<189>date=2024-05-01 x=\"unterminated").collect();
        assert_eq!(got, [("date", "2024-05-01"), ("x", "unterminated")]);
    }
}
