//! The office's time zone, inferred from the UTC offsets the evidence itself carries.
//!
//! Some evidence states its writer's offset: rsyslog's RFC 3339 and RFC 5424 headers on a Samba
//! server (`2025-06-22T02:13:05.123456+09:00`), Samba's `auth_json_audit` timestamps
//! (`+0900`), Zeek JSON with ISO 8601 times rewritten in a local offset. Other evidence says
//! nothing: EVTX and Zeek epoch times are UTC, `Z` is UTC by convention (Zeek's ISO 8601 writer
//! always uses it, whatever the sensor's zone), `-00:00` means "offset unknown" (RFC 3339 §4.3),
//! and RFC 3164 syslog and smbd's own log header are local time without a zone.
//!
//! [`sample_files`] is the cheap pre-pass: it reads the first lines (at most [`SAMPLE_BYTES`]
//! decompressed bytes) of at most `max_files` files spread evenly over a sorted file list, so
//! months of logs are not read twice. [`infer_zone`] then picks the zone that agrees with the
//! most sampled offsets:
//!
//! * candidates are the machine's zone, a fixed offset for each offset seen and, when more than
//!   one offset is seen (daylight saving time, or servers in different zones), every
//!   geographic zone of the time-zone database;
//! * a candidate agrees with a sample when its offset at the sample's instant is the sample's;
//! * ties go to the candidate that explains a non-zero offset (servers are often kept on UTC
//!   whatever the office's zone, while a non-zero offset was set on purpose), then to the
//!   machine's zone, then to a fixed offset, then to the first named zone alphabetically.
//!
//! So `+09:00` alone gives the fixed zone `+09:00`, not `Asia/Tokyo`: the evidence cannot tell
//! Tokyo from Seoul, Palau or Jayapura, and over the evidence's period they all give the same
//! local times. A named zone is chosen only when it explains more of the evidence than any
//! single offset does (offsets that change with daylight saving time), or when it is the
//! machine's own zone and agrees as well as anything else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use breachscope_model::Micros;
use breachscope_model::zone::{format_offset, zone_name};
use jiff::tz::TimeZone;

use crate::reader::read_head;
use crate::samba::transport::{Transport, parse_envelope};
use crate::timefmt::{ZoneMark, parse_rfc3339_offset};

/// Decompressed bytes read from the start of each sampled file.
pub const SAMPLE_BYTES: usize = 16 * 1024;
/// Lines looked at per sampled file.
pub const SAMPLE_LINES: usize = 64;

/// Where a sampled offset was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OffsetSource {
    /// An RFC 3339 or RFC 5424 syslog header (rsyslog on the Samba server).
    SyslogHeader,
    /// The `timestamp` of a Samba `auth_json_audit` record.
    SambaJson,
    /// The `ts` of a Zeek JSON record written as ISO 8601 with a local offset.
    ZeekJson,
    /// A FortiGate log's `date` and `time` with its `tz`.
    FirewallLog,
}

impl OffsetSource {
    /// A short description for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            OffsetSource::SyslogHeader => "syslog headers",
            OffsetSource::SambaJson => "Samba JSON audit timestamps",
            OffsetSource::ZeekJson => "Zeek JSON times",
            OffsetSource::FirewallLog => "FortiGate log times",
        }
    }
}

/// A timestamp in the evidence that states its UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetSample {
    /// The instant.
    pub at: Micros,
    /// The offset written with it, seconds east of UTC.
    pub offset: i32,
    /// Where it was written.
    pub source: OffsetSource,
}

/// The offset a timestamp states, if it states one (see the module docs).
fn stated(text: &[u8]) -> Option<(Micros, i32)> {
    match parse_rfc3339_offset(text)? {
        (at, ZoneMark::Offset(offset), _) => Some((at, offset)),
        _ => None,
    }
}

#[derive(serde::Deserialize)]
struct JsonTimes<'a> {
    #[serde(borrow)]
    timestamp: Option<std::borrow::Cow<'a, str>>,
    ts: Option<serde_json::Value>,
}

/// The stated offset of one evidence line: a syslog header in RFC 3339 or RFC 5424 layout, a
/// Samba JSON audit record's `timestamp`, or a Zeek JSON record's ISO 8601 `ts`.
pub fn line_sample(line: &str) -> Option<OffsetSample> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('{') {
        let rec: JsonTimes<'_> = serde_json::from_str(trimmed.trim_end()).ok()?;
        if let Some(ts) = rec.timestamp {
            let (at, offset) = stated(ts.as_bytes())?;
            return Some(OffsetSample {
                at,
                offset,
                source: OffsetSource::SambaJson,
            });
        }
        let (at, offset) = stated(rec.ts?.as_str()?.as_bytes())?;
        return Some(OffsetSample {
            at,
            offset,
            source: OffsetSource::ZeekJson,
        });
    }
    if let Some(sample) = fortigate_sample(line) {
        return Some(sample);
    }
    let envelope = parse_envelope(line)?;
    let header = match envelope.transport {
        Transport::SyslogRfc3339 => line,
        // `<PRI>1 TIMESTAMP …`
        Transport::SyslogRfc5424 => line.split_once(' ')?.1,
        Transport::SyslogRfc3164 | Transport::SmbdDebug => return None,
    };
    let (at, offset) = stated(header.as_bytes())?;
    Some(OffsetSample {
        at,
        offset,
        source: OffsetSource::SyslogHeader,
    })
}

/// The local time and offset a FortiGate log line states (`date=… time=… tz="+0900"`, FortiOS
/// 6.2 and later), syslog header or not.
fn fortigate_sample(line: &str) -> Option<OffsetSample> {
    if !line.contains("tz=") || !line.contains("date=") {
        return None;
    }
    let (mut date, mut time, mut tz) = (None, None, None);
    for (key, value) in crate::firewall::fortigate::pairs(line) {
        match key {
            "date" => date = Some(value),
            "time" => time = Some(value),
            "tz" => tz = Some(value),
            _ => {}
        }
        if date.is_some() && time.is_some() && tz.is_some() {
            break;
        }
    }
    let tz = tz?.as_bytes();
    let sign = match tz.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = std::str::from_utf8(tz.get(1..5)?).ok()?;
    if tz.len() != 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    let offset = sign * (hours * 3600 + minutes * 60);
    let civil: jiff::civil::DateTime = format!("{}T{}", date?, time?).parse().ok()?;
    let zone = jiff::tz::TimeZone::fixed(jiff::tz::Offset::from_seconds(offset).ok()?);
    let at = civil.to_zoned(zone).ok()?.timestamp().as_microsecond();
    Some(OffsetSample {
        at,
        offset,
        source: OffsetSource::FirewallLog,
    })
}

/// The stated offsets among the first lines of `text`.
pub fn text_samples(text: &str) -> Vec<OffsetSample> {
    text.lines()
        .take(SAMPLE_LINES)
        .filter_map(line_sample)
        .collect()
}

/// What the pre-pass found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sampling {
    /// Every stated offset found.
    pub samples: Vec<OffsetSample>,
    /// Files looked at.
    pub files_sampled: usize,
    /// Of those, files with at least one stated offset.
    pub files_with_offsets: usize,
}

impl Sampling {
    /// Adds another sampling's findings.
    pub fn extend(&mut self, other: Sampling) {
        self.samples.extend(other.samples);
        self.files_sampled += other.files_sampled;
        self.files_with_offsets += other.files_with_offsets;
    }
}

/// At most `max_files` of `paths`, spread evenly (first and last included).
fn spread(paths: &[PathBuf], max_files: usize) -> Vec<&Path> {
    let n = paths.len();
    if n <= max_files {
        return paths.iter().map(PathBuf::as_path).collect();
    }
    if max_files == 0 {
        return Vec::new();
    }
    if max_files == 1 {
        return paths.first().map(PathBuf::as_path).into_iter().collect();
    }
    let mut picked: Vec<usize> = (0..max_files)
        .map(|i| i * (n - 1) / (max_files - 1))
        .collect();
    picked.dedup();
    picked.into_iter().map(|i| paths[i].as_path()).collect()
}

/// Reads the first lines of at most `max_files` of `paths` (spread evenly over the list, which
/// is in time order for rotated logs) and collects their stated offsets. Unreadable files are
/// passed over: the reading pass proper reports them.
pub fn sample_files(paths: &[PathBuf], max_files: usize) -> Sampling {
    let mut sampling = Sampling::default();
    for path in spread(paths, max_files) {
        let Ok(head) = read_head(path, SAMPLE_BYTES) else {
            continue;
        };
        // Only complete lines: the last one may be cut at the limit.
        let cut = if head.len() == SAMPLE_BYTES {
            head.iter().rposition(|&b| b == b'\n').unwrap_or(0)
        } else {
            head.len()
        };
        let samples = text_samples(&String::from_utf8_lossy(&head[..cut]));
        sampling.files_sampled += 1;
        if !samples.is_empty() {
            sampling.files_with_offsets += 1;
        }
        sampling.samples.extend(samples);
    }
    sampling
}

/// How a zone was chosen from the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InferredKind {
    /// The machine's zone agreed best.
    Machine,
    /// A fixed offset.
    FixedOffset,
    /// A named zone of the database (offsets that change over the period).
    Named,
}

/// The zone the evidence points to, and why.
#[derive(Debug, Clone)]
pub struct ZoneInference {
    /// The zone.
    pub zone: TimeZone,
    /// Its name (`+09:00`, `Europe/Berlin`, or the machine's zone name).
    pub name: String,
    /// How it was chosen.
    pub kind: InferredKind,
    /// Sampled timestamps whose offset it gives.
    pub agreeing: u64,
    /// Sampled timestamps.
    pub total: u64,
    /// One sentence: which offsets were seen and why this zone.
    pub reason: String,
}

/// Samples collapsed to (hour, offset) with a count: timestamps of one file seconds apart say
/// the same thing, and this bounds the work of trying every zone.
fn collapse(samples: &[OffsetSample]) -> Vec<(Micros, i32, u64)> {
    let mut cells: BTreeMap<(Micros, i32), u64> = BTreeMap::new();
    for s in samples {
        let hour = s.at.div_euclid(3_600_000_000) * 3_600_000_000;
        *cells.entry((hour, s.offset)).or_default() += 1;
    }
    cells
        .into_iter()
        .map(|((at, offset), n)| (at, offset, n))
        .collect()
}

/// (samples agreeing, whether a non-zero offset is among them).
fn agreement(zone: &TimeZone, cells: &[(Micros, i32, u64)]) -> (u64, bool) {
    let mut agreeing = 0;
    let mut nonzero = false;
    for &(at, offset, n) in cells {
        let Ok(ts) = jiff::Timestamp::from_microsecond(at) else {
            continue;
        };
        if zone.to_offset(ts).seconds() == offset {
            agreeing += n;
            nonzero |= offset != 0;
        }
    }
    (agreeing, nonzero)
}

/// Zones of the database named by region and city (`Asia/Tokyo`), not the legacy aliases
/// (`Japan`, `US/Pacific`, `EST5EDT`) or `Etc/GMT-9`.
fn geographic_zones() -> Vec<String> {
    const AREAS: [&str; 9] = [
        "Africa/",
        "America/",
        "Antarctica/",
        "Asia/",
        "Atlantic/",
        "Australia/",
        "Europe/",
        "Indian/",
        "Pacific/",
    ];
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_owned())
        .filter(|n| AREAS.iter().any(|a| n.starts_with(a)))
        .collect();
    names.sort();
    names
}

/// A zone tried by [`infer_zone`]: (samples agreeing, explains a non-zero offset, kind rank).
struct Candidate {
    key: (u64, bool, u8),
    zone: TimeZone,
    name: String,
    kind: InferredKind,
}

/// Picks the zone that agrees with the most stated offsets (see the module docs for the
/// candidates and the ties). `None` when there are no samples: the evidence says nothing.
pub fn infer_zone(samples: &[OffsetSample], machine: &TimeZone) -> Option<ZoneInference> {
    if samples.is_empty() {
        return None;
    }
    let cells = collapse(samples);
    let total = samples.len() as u64;
    let mut by_offset: BTreeMap<i32, u64> = BTreeMap::new();
    for s in samples {
        *by_offset.entry(s.offset).or_default() += 1;
    }
    let mut offsets: Vec<(i32, u64)> = by_offset.iter().map(|(o, n)| (*o, *n)).collect();
    offsets.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let seen = offsets
        .iter()
        .map(|(o, n)| format!("{} ×{n}", format_offset(*o)))
        .collect::<Vec<_>>()
        .join(", ");

    // (agreeing, explains a non-zero offset, kind rank) decides; the first best candidate wins.
    let rank = |kind: InferredKind| match kind {
        InferredKind::Machine => 2u8,
        InferredKind::FixedOffset => 1,
        InferredKind::Named => 0,
    };
    let mut best: Option<Candidate> = None;
    let mut tied_named = 0usize;
    let mut consider = |zone: TimeZone, name: String, kind: InferredKind| {
        let (agreeing, nonzero) = agreement(&zone, &cells);
        let key = (agreeing, nonzero, rank(kind));
        match &best {
            Some(b) if key < b.key => {}
            Some(b) if key == b.key => {
                if kind == InferredKind::Named {
                    tied_named += 1;
                }
            }
            _ => {
                tied_named = 0;
                best = Some(Candidate {
                    key,
                    zone,
                    name,
                    kind,
                });
            }
        }
    };
    consider(
        machine.clone(),
        zone_name(machine).unwrap_or_else(|| "local".into()),
        InferredKind::Machine,
    );
    for (offset, _) in &offsets {
        if *offset == 0 {
            // A zero offset is UTC, and is named so.
            consider(TimeZone::UTC, "UTC".into(), InferredKind::FixedOffset);
        } else if let Ok(o) = jiff::tz::Offset::from_seconds(*offset) {
            consider(
                TimeZone::fixed(o),
                format_offset(*offset),
                InferredKind::FixedOffset,
            );
        }
    }
    if offsets.len() > 1 {
        for name in geographic_zones() {
            if let Ok(zone) = TimeZone::get(&name) {
                consider(zone, name, InferredKind::Named);
            }
        }
    }
    let Candidate {
        key: (agreeing, _, _),
        zone,
        name,
        kind,
    } = best?;
    let of = if agreeing == total {
        format!("all {total}")
    } else {
        format!("{agreeing} of {total}")
    };
    let seen = if offsets.len() > 1 {
        format!(" (offsets seen: {seen})")
    } else {
        String::new()
    };
    let reason = match kind {
        InferredKind::Machine => format!(
            "the machine's zone, {name}, gives the UTC offset of {of} timestamps sampled from the evidence{seen}"
        ),
        InferredKind::FixedOffset => format!(
            "{of} timestamps sampled from the evidence carry {name}{seen}; kept as a fixed offset, as the evidence cannot tell apart the zones that share it"
        ),
        InferredKind::Named => format!(
            "{name} gives the UTC offsets of {of} timestamps sampled from the evidence{seen}, which no single offset does{}",
            if tied_named > 0 {
                format!(
                    "; {tied_named} other zones fit as well and differ from it only in name at the sampled times (the first alphabetically is taken)"
                )
            } else {
                String::new()
            }
        ),
    };
    Some(ZoneInference {
        zone,
        name,
        kind,
        agreeing,
        total,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortigate_times_state_their_offset() {
        // Fortinet's sample with tz (FortiOS 6.4/7.x): eventtime 1585525290513555981 is
        // 2020-03-29T23:41:30Z, written as 16:41:30 at -0700.
        let line = "<189>date=2020-03-29 time=16:41:30 devname=\"FG\" devid=\"FG100\" logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" eventtime=1585525290513555981 tz=\"-0700\" srcip=10.0.0.1 dstip=8.8.8.8";
        let s = line_sample(line).unwrap();
        assert_eq!(s.offset, -7 * 3600);
        assert_eq!(s.at, 1_585_525_290_000_000);
        assert_eq!(s.source, OffsetSource::FirewallLog);
        // Behind an RFC 3164 relay header, which states no offset itself.
        let relayed = format!("Mar 29 16:41:31 fg01 {line}");
        assert_eq!(line_sample(&relayed).map(|s| s.offset), Some(-7 * 3600));
        // Without tz (FortiOS 6.0) nothing is stated; a malformed tz states nothing either.
        assert_eq!(line_sample(&line.replace(" tz=\"-0700\"", "")), None);
        assert_eq!(line_sample(&line.replace("-0700", "-07:00")), None);
    }

    const HOUR: Micros = 3_600_000_000;
    const DAY: Micros = 24 * HOUR;
    /// 2025-01-15T00:00:00Z and 2025-07-15T00:00:00Z.
    const WINTER: Micros = 1_736_899_200_000_000;
    const SUMMER: Micros = 1_752_537_600_000_000;

    fn samples(start: Micros, days: i64, offset: i32) -> Vec<OffsetSample> {
        (0..days)
            .map(|d| OffsetSample {
                at: start + d * DAY + 3 * HOUR,
                offset,
                source: OffsetSource::SyslogHeader,
            })
            .collect()
    }

    fn zone(name: &str) -> TimeZone {
        breachscope_model::zone::parse_zone(name).unwrap()
    }

    #[test]
    fn reads_stated_offsets_from_each_kind_of_line() {
        let lines = [
            (
                "2025-06-22T02:13:05.123456+09:00 fs01 smbd_audit: a|b|c",
                Some((32_400, OffsetSource::SyslogHeader)),
            ),
            (
                "<173>1 2026-11-28T04:39:32.923128-05:00 vm smbd_audit - - -  alice|x",
                Some((-18_000, OffsetSource::SyslogHeader)),
            ),
            (
                r#"{"timestamp": "2026-11-28T03:47:21.396110+0900", "type": "Authentication"}"#,
                Some((32_400, OffsetSource::SambaJson)),
            ),
            (
                r#"  {"timestamp": "2026-11-28T03:47:21.396110+0000", "type": "Authentication"}"#,
                Some((0, OffsetSource::SambaJson)),
            ),
            (
                r#"{"_path":"conn","ts":"2025-06-22T02:13:05.123456+09:00","uid":"C1"}"#,
                Some((32_400, OffsetSource::ZeekJson)),
            ),
            // UTC by convention, unknown offset, epoch time, local time: nothing stated.
            (
                r#"{"_path":"conn","ts":"2025-06-21T17:13:05.123456Z","uid":"C1"}"#,
                None,
            ),
            (
                "2025-06-22T02:13:05.123456-00:00 fs01 smbd_audit: a|b|c",
                None,
            ),
            (r#"{"_path":"conn","ts":1750525985.123456}"#, None),
            ("Jun 22 02:13:05 fs01 smbd_audit: a|b|c", None),
            ("[2025/06/22 02:13:05.123456,  1, pid=7] a|b", None),
            ("#separator \\x09", None),
        ];
        for (line, expected) in lines {
            let got = line_sample(line).map(|s| (s.offset, s.source));
            assert_eq!(got, expected, "{line}");
        }
        let s = line_sample("2025-06-22T02:13:05+09:00 fs01 smbd_audit: a").unwrap();
        assert_eq!(s.at, 1_750_525_985_000_000);
    }

    #[test]
    fn the_most_common_offset_wins_as_a_fixed_offset() {
        let got = infer_zone(&samples(SUMMER, 30, 32_400), &TimeZone::UTC).unwrap();
        assert_eq!(got.name, "+09:00");
        assert_eq!(got.kind, InferredKind::FixedOffset);
        assert_eq!((got.agreeing, got.total), (30, 30));
        assert!(got.reason.contains("all 30"), "{}", got.reason);
        assert_eq!(
            got.zone.to_fixed_offset().ok().map(|o| o.seconds()),
            Some(32_400)
        );
    }

    #[test]
    fn the_machine_zone_is_kept_when_it_agrees() {
        let got = infer_zone(&samples(SUMMER, 30, 32_400), &zone("Asia/Tokyo")).unwrap();
        assert_eq!(
            (got.name.as_str(), got.kind),
            ("Asia/Tokyo", InferredKind::Machine)
        );
        // A UTC machine and UTC servers: UTC.
        let got = infer_zone(&samples(SUMMER, 5, 0), &TimeZone::UTC).unwrap();
        assert_eq!(
            (got.name.as_str(), got.kind),
            ("UTC", InferredKind::Machine)
        );
        // UTC servers read on a Tokyo machine: UTC, by that name.
        let got = infer_zone(&samples(SUMMER, 5, 0), &zone("Asia/Tokyo")).unwrap();
        assert_eq!(
            (got.name.as_str(), got.kind),
            ("UTC", InferredKind::FixedOffset)
        );
        // A Tokyo machine reading a New York office's logs: the evidence wins.
        let got = infer_zone(&samples(SUMMER, 5, -14_400), &zone("Asia/Tokyo")).unwrap();
        assert_eq!(got.name, "-04:00");
    }

    #[test]
    fn mixed_offsets_take_the_most_common_and_say_so() {
        // Tokyo's file server and a UTC-configured box.
        let mut mixed = samples(SUMMER, 30, 32_400);
        mixed.extend(samples(SUMMER, 10, 0));
        let got = infer_zone(&mixed, &TimeZone::UTC).unwrap();
        assert_eq!(got.name, "+09:00");
        assert_eq!((got.agreeing, got.total), (30, 40));
        assert!(
            got.reason.contains("30 of 40") && got.reason.contains("+00:00 ×10"),
            "{}",
            got.reason
        );
        // Equal counts: the non-zero offset, not the UTC machine's zone.
        let mut even = samples(SUMMER, 10, 32_400);
        even.extend(samples(SUMMER, 10, 0));
        let got = infer_zone(&even, &TimeZone::UTC).unwrap();
        assert_eq!(got.name, "+09:00");
    }

    #[test]
    fn offsets_that_follow_daylight_saving_time_give_a_named_zone() {
        let mut berlin = samples(WINTER, 20, 3_600);
        berlin.extend(samples(SUMMER, 20, 7_200));
        let got = infer_zone(&berlin, &TimeZone::UTC).unwrap();
        assert_eq!(got.kind, InferredKind::Named, "{}", got.reason);
        assert_eq!((got.agreeing, got.total), (40, 40));
        let winter = jiff::Timestamp::from_microsecond(WINTER).unwrap();
        let summer = jiff::Timestamp::from_microsecond(SUMMER).unwrap();
        assert_eq!(got.zone.to_offset(winter).seconds(), 3_600);
        assert_eq!(got.zone.to_offset(summer).seconds(), 7_200);
        assert!(got.reason.contains("other zones fit"), "{}", got.reason);
        // On a Berlin machine, the machine's zone.
        let got = infer_zone(&berlin, &zone("Europe/Berlin")).unwrap();
        assert_eq!(got.name, "Europe/Berlin");
    }

    #[test]
    fn no_stated_offsets_infer_nothing() {
        assert!(infer_zone(&[], &TimeZone::UTC).is_none());
        let text = "Jun 22 02:13:05 fs01 smbd_audit: a|b|c\n#fields\tts\n";
        assert!(text_samples(text).is_empty());
    }

    #[test]
    fn sampling_is_spread_and_bounded() {
        let paths: Vec<PathBuf> = (0..100).map(|i| PathBuf::from(format!("{i:03}"))).collect();
        let picked = spread(&paths, 5);
        let names: Vec<&str> = picked.iter().filter_map(|p| p.to_str()).collect();
        assert_eq!(names, ["000", "024", "049", "074", "099"]);
        assert_eq!(spread(&paths[..3], 5).len(), 3);
        assert!(spread(&paths, 0).is_empty());
    }
}
