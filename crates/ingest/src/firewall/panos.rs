//! Palo Alto Networks PAN-OS TRAFFIC logs in the syslog CSV layout (PAN-OS 8.x to 11.x).
//!
//! Layout: Palo Alto Networks, "Traffic Log Fields" (PAN-OS Administrator's Guide, Use Syslog
//! for Monitoring › Syslog Field Descriptions), for 9.1
//! <https://docs.paloaltonetworks.com/pan-os/9-1/pan-os-admin/monitoring/use-syslog-for-monitoring/syslog-field-descriptions/traffic-log-fields>
//! and 10.0–11.1
//! <https://docs.paloaltonetworks.com/pan-os/10-0/pan-os-admin/monitoring/use-syslog-for-monitoring/syslog-field-descriptions/traffic-log-fields.html>.
//! The first 47 fields are the same in every release; later releases only append (10.x/11.x
//! records have about 115 fields, field 103 being the High Resolution Timestamp). Fields used
//! (1-based, as the guide numbers them):
//!
//! | field | name | flow |
//! |---|---|---|
//! | 1 | FUTURE_USE | (ignored; absent on some forwarders, then every field shifts by one) |
//! | 3 | Serial Number | part of `uid` |
//! | 4 | Type | only `TRAFFIC` becomes a flow; other types are counted skips |
//! | 5 | Threat/Content Type (subtype) | `end`, `drop`, `deny` → flow; `start` → counted skip |
//! | 8, 9 | Source / Destination Address | `src_ip`, `dst_ip` (pre-NAT) |
//! | 15 | Application | `service` |
//! | 23 | Session ID | part of `uid` (`serial:session`) |
//! | 25, 26 | Source / Destination Port | `src_port`, `dst_port` (pre-NAT) |
//! | 30 | Protocol | `transport` |
//! | 33, 34 | Bytes Sent / Bytes Received | `bytes_out` / `bytes_in` and `ip_bytes_out` / `ip_bytes_in` (client→server / server→client; session counts, headers included) |
//! | 36 | Start Time | `start` |
//! | 37 | Elapsed Time (s) | `duration` |
//! | 45, 46 | Packets Sent / Packets Received | `packets_out` / `packets_in` |
//! | 103 | High Resolution Timestamp | the device's UTC offset, when present |
//!
//! The source is the session's client (the guide: Bytes Sent is "client-to-server"), so the
//! source is the originator. NAT Source/Destination IP and ports (fields 10, 11, 27, 28) are the
//! post-NAT view and are not used.
//!
//! **Session start records.** With "Log at Session Start" the firewall writes a `start` record
//! when a session is allowed and an `end` record when it closes; only the `end` record has the
//! session's final byte and packet counts and its elapsed time, and every session has one. So
//! `start` records are skipped (counted in the notes) and each session becomes exactly one flow.
//! `drop` and `deny` records (sessions the firewall refused) become flows: they are connection
//! attempts, which beaconing to a blocked destination consists of.
//!
//! **Times.** Start Time is firewall-local time without an offset. When the record has a High
//! Resolution Timestamp (an instant with an offset; PAN-OS 10.0 and later), the device's offset
//! is the difference between the record's Generated Time (local) and that instant, rounded to a
//! quarter hour (within two minutes of one, else not trusted); otherwise the times are read in
//! [`FirewallConfig::log_tz`] and the notes say how many records were. A session that spans a
//! daylight-saving change gets the offset of its Generated Time.
//!
//! Values holding a comma are written between double quotes; the quotes are honoured when
//! splitting (none of the fields used can hold one).

use breachscope_model::{Event, Micros};

use super::{
    FieldError, FirewallConfig, bare_flow, ip_field, malformed, opt_u64, parse_ymd_hms, port_field,
    required, secs_to_micros, transport_of, u64_field, zone_label,
};
use crate::record::{LineOutcome, LineParser};
use crate::timefmt::{LocalClock, parse_rfc3339};

/// Fields a TRAFFIC record must have (through Packets Received, field 46).
pub const MIN_TRAFFIC_FIELDS: usize = 46;
/// The 1-based field that holds the High Resolution Timestamp (PAN-OS 10.0 and later).
pub const HIGH_RESOLUTION_TIMESTAMP: usize = 103;

const KEPT: usize = HIGH_RESOLUTION_TIMESTAMP;

/// Line parser for PAN-OS TRAFFIC logs (syslog CSV), with or without a syslog header.
#[derive(Debug)]
pub struct PanosParser {
    clock: LocalClock,
    start_records: u64,
    other_types: u64,
    zone_assumed: u64,
}

impl PanosParser {
    /// A parser with the given settings.
    pub fn new(config: FirewallConfig) -> Self {
        PanosParser {
            clock: LocalClock::new(config.log_tz),
            start_records: 0,
            other_types: 0,
            zone_assumed: 0,
        }
    }

    fn traffic(&mut self, f: &[&str; KEPT], n: usize) -> Result<Option<Event>, FieldError> {
        let field = |i: usize| -> Option<&str> { (i <= n).then(|| f[i - 1]) };
        let subtype = required(field(5), "Threat/Content Type (field 5)")?;
        match subtype {
            "end" | "drop" | "deny" => {}
            "start" => {
                self.start_records += 1;
                return Ok(None);
            }
            _ => {
                return Err(malformed(
                    "Threat/Content Type (field 5)",
                    "a TRAFFIC subtype (start, end, drop, deny)",
                ));
            }
        }
        if n < MIN_TRAFFIC_FIELDS {
            return Err(FieldError::TooShort {
                layout: "PAN-OS TRAFFIC",
                found: n,
                needed: MIN_TRAFFIC_FIELDS,
                field: FIELD_NAMES[n.min(MIN_TRAFFIC_FIELDS - 1)],
            });
        }
        let serial = field(3).unwrap_or_default();
        let src = ip_field(field(8), "Source Address (field 8)")?;
        let dst = ip_field(field(9), "Destination Address (field 9)")?;
        let session = u64_field(field(23), "Session ID (field 23)")?;
        let sport = port_field(field(25), "Source Port (field 25)")?;
        let dport = port_field(field(26), "Destination Port (field 26)")?;
        let proto = required(field(30), "Protocol (field 30)")?;
        let bytes_sent = u64_field(field(33), "Bytes Sent (field 33)")?;
        let bytes_received = u64_field(field(34), "Bytes Received (field 34)")?;
        let start_local =
            parse_ymd_hms(required(field(36), "Start Time (field 36)")?.as_bytes()).ok_or(
                malformed("Start Time (field 36)", "a YYYY/MM/DD HH:MM:SS time"),
            )?;
        let elapsed = u64_field(field(37), "Elapsed Time (field 37)")?;
        let packets_sent = opt_u64(field(45), "Packets Sent (field 45)")?;
        let packets_received = opt_u64(field(46), "Packets Received (field 46)")?;

        // The device's offset: its Generated Time (local, no offset) against the High
        // Resolution Timestamp (an instant) of the same record, to the nearest quarter hour.
        let stated = field(HIGH_RESOLUTION_TIMESTAMP)
            .and_then(|hrt| parse_rfc3339(hrt.as_bytes()))
            .and_then(|(at, _)| {
                let generated = parse_ymd_hms(field(7)?.as_bytes())?.as_utc_micros();
                device_offset(generated, at)
            });
        let start: Micros = match stated {
            Some(offset) => start_local.as_utc_micros() - offset,
            None => {
                self.zone_assumed += 1;
                self.clock.to_utc(&start_local).ok_or(malformed(
                    "Start Time (field 36)",
                    "a time that exists in the log zone",
                ))?
            }
        };

        let mut flow = bare_flow(start, (src, sport), (dst, dport), transport_of(proto));
        flow.duration = Some(secs_to_micros(elapsed));
        flow.uid = Some(format!("{serial}:{session}"));
        flow.service = field(15).filter(|a| !a.is_empty()).map(str::to_owned);
        // Session byte counts at the IP layer, as NetFlow's: both the flow's bytes and its IP
        // bytes, as the NetFlow reader gives them.
        flow.bytes_out = Some(bytes_sent);
        flow.bytes_in = Some(bytes_received);
        flow.ip_bytes_out = Some(bytes_sent);
        flow.ip_bytes_in = Some(bytes_received);
        flow.packets_out = packets_sent;
        flow.packets_in = packets_received;
        Ok(Some(Event::Flow(flow)))
    }
}

/// The UTC offset (µs) of a device whose local clock read `local` (as if UTC) at the instant
/// `at`: their difference rounded to a quarter hour, when it is within two minutes of one and
/// within ±14 hours.
fn device_offset(local: Micros, at: Micros) -> Option<Micros> {
    const QUARTER: Micros = 900 * 1_000_000;
    let diff = local - at;
    let offset = (diff + diff.signum() * QUARTER / 2) / QUARTER * QUARTER;
    ((diff - offset).abs() <= 120 * 1_000_000 && offset.abs() <= 14 * 3_600 * 1_000_000)
        .then_some(offset)
}

/// Names of fields 1..=46 for rejection reasons.
const FIELD_NAMES: [&str; MIN_TRAFFIC_FIELDS] = [
    "FUTURE_USE (field 1)",
    "Receive Time (field 2)",
    "Serial Number (field 3)",
    "Type (field 4)",
    "Threat/Content Type (field 5)",
    "FUTURE_USE (field 6)",
    "Generated Time (field 7)",
    "Source Address (field 8)",
    "Destination Address (field 9)",
    "NAT Source IP (field 10)",
    "NAT Destination IP (field 11)",
    "Rule Name (field 12)",
    "Source User (field 13)",
    "Destination User (field 14)",
    "Application (field 15)",
    "Virtual System (field 16)",
    "Source Zone (field 17)",
    "Destination Zone (field 18)",
    "Inbound Interface (field 19)",
    "Outbound Interface (field 20)",
    "Log Action (field 21)",
    "FUTURE_USE (field 22)",
    "Session ID (field 23)",
    "Repeat Count (field 24)",
    "Source Port (field 25)",
    "Destination Port (field 26)",
    "NAT Source Port (field 27)",
    "NAT Destination Port (field 28)",
    "Flags (field 29)",
    "Protocol (field 30)",
    "Action (field 31)",
    "Bytes (field 32)",
    "Bytes Sent (field 33)",
    "Bytes Received (field 34)",
    "Packets (field 35)",
    "Start Time (field 36)",
    "Elapsed Time (field 37)",
    "Category (field 38)",
    "FUTURE_USE (field 39)",
    "Sequence Number (field 40)",
    "Action Flags (field 41)",
    "Source Country (field 42)",
    "Destination Country (field 43)",
    "FUTURE_USE (field 44)",
    "Packets Sent (field 45)",
    "Packets Received (field 46)",
];

/// Where the CSV record starts in a line (after any syslog header), and whether the leading
/// FUTURE_USE field is present. The record is found by its Receive Time
/// (`YYYY/MM/DD HH:MM:SS,`), which no syslog header layout contains.
fn locate(line: &str) -> Option<(&str, bool)> {
    let b = line.as_bytes();
    let mut i = 0;
    while i + 20 <= b.len() {
        // Receive Time at i, preceded by the FUTURE_USE field's comma or by the header.
        if b[i + 4] == b'/'
            && b[i + 7] == b'/'
            && b[i + 19] == b','
            && b[i].is_ascii_digit()
            && parse_ymd_hms(&b[i..]).is_some()
        {
            if i > 0 && b[i - 1] == b',' {
                let begin = b[..i - 1]
                    .iter()
                    .rposition(|&c| c == b' ' || c == b'>')
                    .map_or(0, |p| p + 1);
                return Some((line.get(begin..)?, true));
            }
            if i == 0 || matches!(b[i - 1], b' ' | b'>') {
                return Some((line.get(i..)?, false));
            }
        }
        i += 1;
    }
    None
}

/// Splits a CSV record into `out`, stopping when it is full, and returns the number of fields
/// stored (with `skip_first`, an empty first field is stored before the record's). A quoted
/// field is given without its quotes, doubled quotes left as they are.
fn split_csv<'a>(record: &'a str, out: &mut [&'a str], skip_first: bool) -> usize {
    let b = record.as_bytes();
    let mut n = 0;
    if skip_first {
        match out.first_mut() {
            Some(slot) => *slot = "",
            None => return 0,
        }
        n = 1;
    }
    let mut i = 0;
    while n < out.len() {
        let (value, mut j) = if b.get(i) == Some(&b'"') {
            let mut j = i + 1;
            loop {
                match b.get(j) {
                    None => break (record.get(i + 1..j).unwrap_or(""), j),
                    Some(b'"') if b.get(j + 1) == Some(&b'"') => j += 2,
                    Some(b'"') => break (record.get(i + 1..j).unwrap_or(""), j + 1),
                    Some(_) => j += 1,
                }
            }
        } else {
            let mut j = i;
            while j < b.len() && b[j] != b',' {
                j += 1;
            }
            (record.get(i..j).unwrap_or(""), j)
        };
        out[n] = value;
        n += 1;
        // Past the next comma (anything between a closing quote and it is dropped).
        while j < b.len() && b[j] != b',' {
            j += 1;
        }
        if j >= b.len() {
            break;
        }
        i = j + 1;
    }
    n
}

/// Whether a line looks like a PAN-OS syslog CSV record (any log type), with or without a
/// syslog header.
pub fn looks_like(line: &str) -> bool {
    let Some((record, has_first)) = locate(line) else {
        return false;
    };
    let mut f = [""; 8];
    let n = split_csv(record, &mut f, !has_first);
    n >= 7
        && f[3].len() >= 3
        && f[3].bytes().all(|c| c.is_ascii_uppercase())
        && !f[2].is_empty()
        && parse_ymd_hms(f[6].as_bytes()).is_some()
}

impl LineParser for PanosParser {
    fn begin_file(&mut self, _mtime: Option<std::time::SystemTime>) {
        self.start_records = 0;
        self.other_types = 0;
        self.zone_assumed = 0;
    }

    fn parse_line(&mut self, line: &str, _line_no: u64) -> LineOutcome {
        if line.trim().is_empty() {
            return LineOutcome::Skipped;
        }
        let Some((record, has_first)) = locate(line) else {
            return LineOutcome::Rejected(
                "Receive Time (field 2) not found: no YYYY/MM/DD HH:MM:SS field, not a PAN-OS syslog record".into(),
            );
        };
        let mut f = [""; KEPT];
        let n = split_csv(record, &mut f, !has_first);
        let kind = if n >= 4 { f[3] } else { "" };
        if kind.is_empty() {
            return LineOutcome::Rejected(
                FieldError::Missing {
                    field: "Type (field 4)",
                }
                .to_string(),
            );
        }
        if kind != "TRAFFIC" {
            self.other_types += 1;
            return LineOutcome::Skipped;
        }
        match self.traffic(&f, n) {
            Ok(Some(event)) => LineOutcome::Event(Box::new(event)),
            Ok(None) => LineOutcome::Skipped,
            Err(e) => LineOutcome::Rejected(e.to_string()),
        }
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.start_records > 0 {
            notes.push(format!(
                "{} TRAFFIC 'start' records skipped: each session's 'end' record carries its final byte counts and becomes its flow",
                self.start_records
            ));
        }
        if self.other_types > 0 {
            notes.push(format!(
                "{} records of other PAN-OS log types (THREAT, SYSTEM, …) skipped",
                self.other_types
            ));
        }
        if self.zone_assumed > 0 {
            notes.push(format!(
                "{} records state no UTC offset (no High Resolution Timestamp): their firewall-local Start Time was read in {}",
                self.zone_assumed,
                zone_label(self.clock.zone())
            ));
        }
        notes
    }

    fn kind(&self) -> &'static str {
        "panos_traffic"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::{flow, ip, rejected};
    use breachscope_model::Transport;

    /// PAN-OS 10.x/11.x record (115 fields), third-party sample (Curtin, via the
    /// `redmojo7/palo_alto_random_20_logs` data set), with an RFC 3164 relay header.
    const V10: &str = "Oct 4 18:54:26 panmgt01p 1,2023/10/04 18:54:26,012501002341,TRAFFIC,end,2561,2023/10/04 18:54:24,10.130.146.205,124.146.215.44,134.7.244.205,124.146.215.44,Curtin-CS-Research-Out,student\\XXXXXXXX,,ssl,vsys1,bdr-trust,bdr-untrust,ethernet1/23,ethernet1/24,SPLUNK LOG FP,2023/10/04 18:54:24,72568134,1,49583,443,50464,443,0x40441a,tcp,allow,7312,2228,5084,22,2023/10/04 18:53:52,16,business-and-economy,,7253419119627122716,0x8000000000000000,10.0.0.0-10.255.255.255,Japan,,12,10,tcp-rst-from-client,34,0,0,0,,b309-fu-fw,from-policy,,,0,,0,,N/A,0,0,0,0,90431d13-81da-4129-8bc5-ce968fa06b76,0,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2023-10-04T18:54:25.443+08:00,,,encrypted-tunnel,networking,browser-based,4,used-by-malware able-to-transfer-file has-known-vulnerability tunnel-other-application pervasive-use,,ssl,no,no,0";

    /// A 46-field record (the first 46 fields every release has), built on Sumo Logic's FER
    /// template sample with its Start Time (field 36, `1` in the sample) written as the guide
    /// documents it.
    const V7: &str = "Jul 13 20:39:44 1,2017/07/13 20:39:44,0009C101317,TRAFFIC,end,1,2017/07/13 20:39:44,10.183.12.108,10.183.51.49,0.0.0.0,0.0.0.0,WinDomain_AUTH_TO_DC,,sumo\\mkwan,msrpc,vsys1,ENG_USER,ENG_INFRA,ivlan_712,ivlan_751,Syslog,2017/07/13 20:39:44,1070831,1,65123,135,0,0,0x0,tcp,allow,1194,644,550,12,2017/07/13 20:39:04,40,any,0,3297977305,0x0,10.0.0.0_10.255.255.255,10.0.0.0_10.255.255.255,0,7,5";

    fn parser(tz: &str) -> PanosParser {
        PanosParser::new(FirewallConfig {
            log_tz: jiff::tz::TimeZone::get(tz).unwrap(),
            year: None,
        })
    }

    fn utc(s: &str) -> Micros {
        s.parse::<jiff::Timestamp>().unwrap().as_microsecond()
    }

    #[test]
    fn pan_os_10_record_maps_field_by_field() {
        // The configured zone is wrong on purpose: the record's own offset (+08:00) wins.
        let mut p = parser("UTC");
        let f = flow(p.parse_line(V10, 1));
        assert_eq!(f.start, utc("2023-10-04T10:53:52Z"));
        assert_eq!(f.duration, Some(16_000_000));
        assert_eq!(f.uid.as_deref(), Some("012501002341:72568134"));
        assert_eq!((f.src_ip, f.src_port), (ip("10.130.146.205"), 49583));
        assert_eq!((f.dst_ip, f.dst_port), (ip("124.146.215.44"), 443));
        assert_eq!(f.transport, Transport::Tcp);
        assert_eq!(f.service.as_deref(), Some("ssl"));
        assert_eq!((f.bytes_out, f.bytes_in), (Some(2228), Some(5084)));
        assert_eq!((f.packets_out, f.packets_in), (Some(12), Some(10)));
        assert_eq!(
            (f.ip_bytes_out, f.conn_state, f.local_orig),
            (Some(2228), None, None)
        );
        assert!(p.notes().is_empty(), "{:?}", p.notes());
    }

    #[test]
    fn pan_os_11_record_with_more_trailing_fields() {
        // 11.x appends fields after the 10.x ones (cluster name, flow type, …): tolerated.
        let line = format!("{V10},cluster-a,NonProxyTraffic,,,\"quoted, value\",0,0");
        let f = flow(parser("UTC").parse_line(&line, 1));
        assert_eq!(f.start, utc("2023-10-04T10:53:52Z"));
        assert_eq!((f.bytes_out, f.packets_in), (Some(2228), Some(10)));
        // The same instant written in UTC gives the same offset (+08:00 from Generated Time).
        let in_utc = V10.replace("2023-10-04T18:54:25.443+08:00", "2023-10-04T10:54:25.443Z");
        assert_eq!(
            flow(parser("UTC").parse_line(&in_utc, 1)).start,
            utc("2023-10-04T10:53:52Z")
        );
        // A High Resolution Timestamp far from any whole quarter-hour offset of Generated Time
        // is not trusted: the configured zone applies.
        let skewed = V10.replace(
            "2023-10-04T18:54:25.443+08:00",
            "2023-10-04T18:47:25.443+08:00",
        );
        let mut p = parser("Asia/Tokyo");
        assert_eq!(
            flow(p.parse_line(&skewed, 1)).start,
            utc("2023-10-04T09:53:52Z")
        );
        assert!(p.notes()[0].contains("Asia/Tokyo"));
        assert_eq!(device_offset(0, 0), Some(0));
        assert_eq!(
            device_offset(-5 * 3_600_000_000 + 1_000_000, 0),
            Some(-5 * 3_600_000_000)
        );
        assert_eq!(device_offset(20 * 3_600_000_000, 0), None);
    }

    #[test]
    fn pan_os_7_record_uses_the_configured_zone() {
        let mut p = parser("Asia/Tokyo");
        let f = flow(p.parse_line(V7, 1));
        assert_eq!(f.start, utc("2017-07-13T11:39:44Z") - 40_000_000);
        assert_eq!(f.duration, Some(40_000_000));
        assert_eq!((f.src_ip, f.src_port), (ip("10.183.12.108"), 65123));
        assert_eq!((f.dst_ip, f.dst_port), (ip("10.183.51.49"), 135));
        assert_eq!(f.service.as_deref(), Some("msrpc"));
        assert_eq!((f.bytes_out, f.bytes_in), (Some(644), Some(550)));
        assert_eq!((f.packets_out, f.packets_in), (Some(7), Some(5)));
        let notes = p.notes();
        assert!(notes[0].contains("Asia/Tokyo"), "{notes:?}");
    }

    #[test]
    fn envelopes_and_missing_future_use() {
        let body = V7.split_once("20:39:44 ").unwrap().1;
        for line in [
            body.to_owned(),
            format!("<14>{body}"),
            format!("2017-07-13T20:39:44+09:00 fw01 {body}"),
            format!("<14>1 2017-07-13T20:39:44+09:00 fw01 - - - - {body}"),
            format!("Jul 13 20:39:44 fw01 {body}"),
        ] {
            assert!(looks_like(&line), "{line}");
            let f = flow(parser("Asia/Tokyo").parse_line(&line, 1));
            assert_eq!(f.dst_port, 135);
        }
        // A forwarder that drops the FUTURE_USE field: every field shifts left by one.
        let no_first = body.strip_prefix("1,").unwrap();
        assert!(looks_like(no_first));
        let f = flow(parser("Asia/Tokyo").parse_line(&format!("Jul 13 20:39:44 fw {no_first}"), 1));
        assert_eq!(
            (f.src_port, f.dst_port, f.bytes_out),
            (65123, 135, Some(644))
        );
    }

    #[test]
    fn quoted_values_and_extra_fields() {
        let line = V7.replace("WinDomain_AUTH_TO_DC", "\"rule, with comma\"")
            + ",aged-out,,,,,vsys1,fw01,from-policy,new-field-1,\"x,y\",new-field-3";
        let f = flow(parser("UTC").parse_line(&line, 1));
        assert_eq!(
            (f.dst_port, f.bytes_in, f.packets_in),
            (135, Some(550), Some(5))
        );
    }

    #[test]
    fn other_types_and_start_records_are_counted_skips() {
        let mut p = parser("UTC");
        let threat = V7.replace(",TRAFFIC,end,", ",THREAT,url,");
        assert!(matches!(p.parse_line(&threat, 1), LineOutcome::Skipped));
        let start = V7.replace(",TRAFFIC,end,", ",TRAFFIC,start,");
        assert!(matches!(p.parse_line(&start, 2), LineOutcome::Skipped));
        for sub in ["deny", "drop"] {
            let line = V7.replace(",TRAFFIC,end,", &format!(",TRAFFIC,{sub},"));
            flow(p.parse_line(&line, 3));
        }
        assert!(matches!(p.parse_line("", 4), LineOutcome::Skipped));
        let notes = p.notes().join("\n");
        assert!(
            notes.contains("1 TRAFFIC 'start' records skipped"),
            "{notes}"
        );
        assert!(
            notes.contains("1 records of other PAN-OS log types"),
            "{notes}"
        );
        assert_eq!(p.kind(), "panos_traffic");
    }

    fn with_field(line: &str, field: usize, value: &str) -> String {
        let (header, body) = line.split_at(line.find("1,20").unwrap());
        let mut f: Vec<String> = body.split(',').map(str::to_owned).collect();
        f[field - 1] = value.to_owned();
        format!("{header}{}", f.join(","))
    }

    #[test]
    fn missing_or_malformed_fields_are_rejected_by_name() {
        let cases: &[(usize, &str, &str)] = &[
            (5, "", "Threat/Content Type (field 5) is missing"),
            (
                5,
                "middle",
                "Threat/Content Type (field 5) is not a TRAFFIC subtype",
            ),
            (8, "", "Source Address (field 8) is missing"),
            (8, "10.1.2", "Source Address (field 8) is not an IP address"),
            (9, "x", "Destination Address (field 9) is not an IP address"),
            (23, "abc", "Session ID (field 23) is not a decimal number"),
            (25, "70000", "Source Port (field 25) is not a port number"),
            (26, "", "Destination Port (field 26) is missing"),
            (30, "", "Protocol (field 30) is missing"),
            (33, "-5", "Bytes Sent (field 33) is not a decimal number"),
            (34, "", "Bytes Received (field 34) is missing"),
            (
                36,
                "2017/13/13 20:39:44",
                "Start Time (field 36) is not a YYYY/MM/DD",
            ),
            (37, "1.5", "Elapsed Time (field 37) is not a decimal number"),
            (
                45,
                "many",
                "Packets Sent (field 45) is not a decimal number",
            ),
        ];
        for &(field, value, reason) in cases {
            let line = with_field(V7, field, value);
            let r = rejected(parser("UTC").parse_line(&line, 1));
            assert!(r.starts_with(reason), "field {field}: {r}");
            assert!(!r.contains("10.183"), "reason quotes the line: {r}");
        }
        // Truncated records name the first missing field.
        let short: String = V7.split(',').take(40).collect::<Vec<_>>().join(",");
        let r = rejected(parser("UTC").parse_line(&short, 1));
        assert_eq!(
            r,
            "record has 40 fields; a PAN-OS TRAFFIC record has at least 46 (it ends before Action Flags (field 41))"
        );
        let r = rejected(parser("UTC").parse_line("hello, world", 1));
        assert!(r.starts_with("Receive Time (field 2) not found"), "{r}");
        let r = rejected(parser("UTC").parse_line("1,2024/05/01 10:00:00,001", 1));
        assert_eq!(r, "Type (field 4) is missing");
    }

    #[test]
    fn csv_splitting() {
        let mut f = [""; 6];
        assert_eq!(split_csv("a,\"b,\"\"c\",d,,e", &mut f, false), 5);
        assert_eq!(f[..5], ["a", "b,\"\"c", "d", "", "e"]);
        assert_eq!(split_csv("\"unterminated", &mut f, false), 1);
        assert_eq!(split_csv("a,b,c,d,e,f,g,h", &mut f, true), 6);
        assert_eq!(f, ["", "a", "b", "c", "d", "e"]);
        assert_eq!(split_csv("", &mut f, false), 1);
        assert_eq!(split_csv("x", &mut [], true), 0);
        assert!(!looks_like(
            "Oct  4 18:54:26 host sshd[1]: Accepted password"
        ));
        assert!(!looks_like(
            "date=2024-05-01 time=10:00:00 type=\"traffic\""
        ));
    }
}
