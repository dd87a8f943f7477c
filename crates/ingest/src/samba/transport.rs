//! The envelopes a `vfs_full_audit` record travels in: rsyslog files in RFC 3339, RFC 3164 or
//! RFC 5424 layout, and smbd's own debug log.

use breachscope_model::Micros;

use crate::timefmt::{Civil, LocalClock, digits, fraction, parse_rfc3339};

/// Which envelope a line was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// rsyslog `RSYSLOG_FileFormat`: `2025-06-22T02:13:05.123456+09:00 host tag: msg`.
    SyslogRfc3339,
    /// rsyslog `RSYSLOG_TraditionalFileFormat`: `Nov 28 04:39:32 host tag: msg` (no year, no zone).
    SyslogRfc3164,
    /// RFC 5424: `<173>1 2026-11-28T04:39:32.923128+00:00 host app procid msgid sd msg`.
    SyslogRfc5424,
    /// smbd's debug log: `[2026/11/28 03:31:01.914405,  1, pid=3562]   msg` (local time).
    SmbdDebug,
}

/// When the envelope says the record was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderTime {
    /// An absolute instant.
    Utc(Micros),
    /// Local time in the log's zone.
    Local(Civil),
    /// Local time without a year (RFC 3164): month, day, time of day.
    LocalNoYear(Civil),
}

/// A line split into its envelope and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The envelope layout.
    pub transport: Transport,
    /// The header's time.
    pub time: HeaderTime,
    /// The host that logged it (syslog), when present.
    pub host: Option<&'a str>,
    /// The program tag / app name (syslog), when present.
    pub tag: Option<&'a str>,
    /// A process id (smbd debug header `pid=`, syslog `tag[pid]` or RFC 5424 PROCID).
    pub pid: Option<&'a str>,
    /// The message; empty when the debug header puts the message on the next line.
    pub message: &'a str,
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Recognises the envelope of a line. `None` when the line has none of the known layouts.
pub fn parse_envelope(line: &str) -> Option<Envelope<'_>> {
    let b = line.as_bytes();
    match b.first()? {
        b'[' => parse_debug(line),
        // A network syslog message: RFC 5424, or a priority before an RFC 3339 or RFC 3164
        // line (rsyslog's RSYSLOG_ForwardFormat and its traditional forward format).
        b'<' => parse_rfc5424(line).or_else(|| {
            let after = without_priority(line)?;
            match after.as_bytes().first()? {
                b'0'..=b'9' => parse_rfc3339_line(after),
                b'A'..=b'Z' => parse_rfc3164(after),
                _ => None,
            }
        }),
        b'0'..=b'9' => parse_rfc3339_line(line),
        b'A'..=b'Z' => parse_rfc3164(line),
        _ => None,
    }
}

fn split_word(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches(' ');
    let end = s.find(' ')?;
    Some((&s[..end], &s[end + 1..]))
}

/// `host tag: message` or `host tag[pid]: message`.
fn syslog_tail(rest: &str) -> Option<(&str, &str, Option<&str>, &str)> {
    let (host, rest) = split_word(rest)?;
    let rest = rest.trim_start_matches(' ');
    let colon = rest.find(':')?;
    let tag_full = &rest[..colon];
    if tag_full.is_empty() || tag_full.contains(' ') {
        return None;
    }
    let (tag, pid) = match tag_full.split_once('[') {
        Some((t, p)) => (t, Some(p.trim_end_matches(']'))),
        None => (tag_full, None),
    };
    let message = rest[colon + 1..]
        .strip_prefix(' ')
        .unwrap_or(&rest[colon + 1..]);
    Some((host, tag, pid, message))
}

fn parse_rfc3339_line(line: &str) -> Option<Envelope<'_>> {
    let (t, used) = parse_rfc3339(line.as_bytes())?;
    let rest = line.get(used..)?.strip_prefix(' ')?;
    let (host, tag, pid, message) = syslog_tail(rest)?;
    Some(Envelope {
        transport: Transport::SyslogRfc3339,
        time: HeaderTime::Utc(t),
        host: Some(host),
        tag: Some(tag),
        pid,
        message,
    })
}

fn parse_rfc3164(line: &str) -> Option<Envelope<'_>> {
    let b = line.as_bytes();
    if b.len() < 16 || b[3] != b' ' || b[6] != b' ' || b[9] != b':' || b[12] != b':' {
        return None;
    }
    let month = MONTHS.iter().position(|m| &b[..3] == *m)? as u8 + 1;
    let day = if b[4] == b' ' {
        digits(&b[5..], 1)?
    } else {
        digits(&b[4..], 2)?
    };
    let mut civil = Civil {
        year: 2000, // leap year placeholder so that Feb 29 validates; replaced by inference
        month,
        day: u8::try_from(day).ok()?,
        hour: u8::try_from(digits(&b[7..], 2)?).ok()?,
        minute: u8::try_from(digits(&b[10..], 2)?).ok()?,
        second: u8::try_from(digits(&b[13..], 2)?).ok()?,
        micros: 0,
    };
    let mut pos = 15;
    if b.get(pos) == Some(&b'.') {
        let (micros, n) = fraction(&b[pos + 1..])?;
        civil.micros = micros;
        pos += 1 + n;
    }
    if !civil.is_valid() {
        return None;
    }
    let rest = line.get(pos..)?.strip_prefix(' ')?;
    let (host, tag, pid, message) = syslog_tail(rest)?;
    Some(Envelope {
        transport: Transport::SyslogRfc3164,
        time: HeaderTime::LocalNoYear(civil),
        host: Some(host),
        tag: Some(tag),
        pid,
        message,
    })
}

/// The line after a syslog `<PRI>` (one to three digits).
fn without_priority(line: &str) -> Option<&str> {
    let close = line.find('>')?;
    let pri = line.get(1..close)?;
    if pri.is_empty() || pri.len() > 3 || !pri.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    line.get(close + 1..)
}

fn parse_rfc5424(line: &str) -> Option<Envelope<'_>> {
    let rest = without_priority(line)?.strip_prefix("1 ")?;
    let (timestamp, rest) = split_word(rest)?;
    let time = if timestamp == "-" {
        return None;
    } else {
        let (t, used) = parse_rfc3339(timestamp.as_bytes())?;
        if used != timestamp.len() {
            return None;
        }
        t
    };
    let (host, rest) = split_word(rest)?;
    let (app, rest) = split_word(rest)?;
    let (procid, rest) = split_word(rest)?;
    let (_msgid, rest) = split_word(rest)?;
    // STRUCTURED-DATA: `-` or one or more `[...]` elements (with `\]` escapes inside).
    let rest = rest.trim_start_matches(' ');
    let message = if let Some(after) = rest.strip_prefix('-') {
        after
    } else if rest.starts_with('[') {
        // Elements follow each other; inside a quoted PARAM-VALUE, `"`, `\\` and `]` may be
        // escaped with a backslash, and an unescaped `]` is tolerated.
        let bytes = rest.as_bytes();
        let mut i = 0;
        while bytes.get(i) == Some(&b'[') {
            i += 1;
            let mut quoted = false;
            loop {
                match bytes.get(i)? {
                    b'\\' => i += 1,
                    b'"' => quoted = !quoted,
                    b']' if !quoted => break,
                    _ => {}
                }
                i += 1;
            }
            i += 1;
        }
        rest.get(i..)?
    } else {
        return None;
    };
    let message = message.strip_prefix(' ').unwrap_or(message);
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    Some(Envelope {
        transport: Transport::SyslogRfc5424,
        time: HeaderTime::Utc(time),
        host: (host != "-").then_some(host),
        tag: (app != "-").then_some(app),
        pid: (procid != "-").then_some(procid),
        message,
    })
}

/// `[YYYY/MM/DD HH:MM:SS.ffffff,  LEVEL(, pid=N)(, effective(..))(, class=..)] (location)` then
/// the message on the same line (`debug prefix timestamp = yes`) or, when the header ends in a
/// source location, on the following indented line(s).
fn parse_debug(line: &str) -> Option<Envelope<'_>> {
    let b = line.as_bytes();
    if b.len() < 21 || b[5] != b'/' || b[8] != b'/' || b[11] != b' ' || b[14] != b':' {
        return None;
    }
    let mut civil = Civil {
        year: i32::try_from(digits(&b[1..], 4)?).ok()?,
        month: u8::try_from(digits(&b[6..], 2)?).ok()?,
        day: u8::try_from(digits(&b[9..], 2)?).ok()?,
        hour: u8::try_from(digits(&b[12..], 2)?).ok()?,
        minute: u8::try_from(digits(&b[15..], 2)?).ok()?,
        second: u8::try_from(digits(&b[18..], 2)?).ok()?,
        micros: 0,
    };
    if b[17] != b':' {
        return None;
    }
    if b.get(20) == Some(&b'.') {
        let (micros, _) = fraction(&b[21..])?;
        civil.micros = micros;
    }
    if !civil.is_valid() {
        return None;
    }
    let close = line.find(']')?;
    let inside = &line[1..close];
    let pid = inside
        .split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("pid="));
    let after = line[close + 1..].trim_start();
    // With `debug prefix timestamp = no` the header ends in `file.c:123(function)` and the
    // message follows on the next line.
    let message = if is_source_location(after) { "" } else { after };
    Some(Envelope {
        transport: Transport::SmbdDebug,
        time: HeaderTime::Local(civil),
        host: None,
        tag: None,
        pid,
        message,
    })
}

fn is_source_location(s: &str) -> bool {
    let s = s.trim_end();
    s.ends_with(')')
        && s.split_once('(').is_some_and(|(loc, _)| {
            !loc.contains(' ')
                && loc.contains(".c:")
                && loc
                    .rsplit(':')
                    .next()
                    .is_some_and(|n| n.bytes().all(|c| c.is_ascii_digit()))
        })
}

/// Resolves header times to UTC: local times through the log's zone, and RFC 3164's missing
/// year by inference.
///
/// The year inference assumes the log is in time order and ends no later than the file's
/// modification time: the first line takes the year that puts it at or before the
/// modification time, and each time the month goes backwards (December → January) the year
/// advances. An explicit year overrides the start.
#[derive(Debug, Clone)]
pub struct HeaderClock {
    clock: LocalClock,
    reference: Option<Civil>,
    explicit_year: Option<i32>,
    current_year: Option<i32>,
    last_month: u8,
}

impl HeaderClock {
    /// A clock for the zone, with the file's modification time (local civil time in that zone)
    /// and an optional explicit year for year-less lines.
    pub fn new(clock: LocalClock, reference: Option<Civil>, explicit_year: Option<i32>) -> Self {
        HeaderClock {
            clock,
            reference,
            explicit_year,
            current_year: None,
            last_month: 0,
        }
    }

    /// Sets the reference time (file modification time) for the next file and forgets the year
    /// inferred for the previous one.
    pub fn set_reference(&mut self, reference: Option<Civil>) {
        self.reference = reference;
        self.current_year = None;
        self.last_month = 0;
    }

    /// The zone's clock.
    pub fn local(&mut self) -> &mut LocalClock {
        &mut self.clock
    }

    /// Converts a header time to UTC microseconds.
    pub fn resolve(&mut self, time: HeaderTime) -> Option<Micros> {
        match time {
            HeaderTime::Utc(t) => Some(t),
            HeaderTime::Local(civil) => self.clock.to_utc(&civil),
            HeaderTime::LocalNoYear(mut civil) => {
                let year = match self.current_year {
                    Some(y) => {
                        if civil.month + 6 <= self.last_month {
                            y + 1
                        } else {
                            y
                        }
                    }
                    None => match (self.explicit_year, self.reference) {
                        (Some(y), _) => y,
                        (None, Some(r)) => {
                            let later = (civil.month, civil.day) > (r.month, r.day);
                            if later { r.year - 1 } else { r.year }
                        }
                        (None, None) => return None,
                    },
                };
                self.current_year = Some(year);
                self.last_month = civil.month;
                civil.year = year;
                if !civil.is_valid() {
                    return None;
                }
                self.clock.to_utc(&civil)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    #[test]
    fn recognises_the_four_envelopes() {
        let e = parse_envelope("2025-06-22T02:13:05.123456+09:00 fs01 smbd_audit: a|b|c").unwrap();
        assert_eq!(e.transport, Transport::SyslogRfc3339);
        assert_eq!(
            (e.host, e.tag, e.message),
            (Some("fs01"), Some("smbd_audit"), "a|b|c")
        );

        let e = parse_envelope("Nov  8 04:39:32 vm smbd_audit[77]: a|b").unwrap();
        assert_eq!(e.transport, Transport::SyslogRfc3164);
        assert_eq!((e.pid, e.message), (Some("77"), "a|b"));

        let e =
            parse_envelope("<173>1 2026-11-28T04:39:32.923128+00:00 vm smbd_audit - - -  alice|x")
                .unwrap();
        assert_eq!(e.transport, Transport::SyslogRfc5424);
        assert_eq!(
            (e.host, e.tag, e.message),
            (Some("vm"), Some("smbd_audit"), " alice|x")
        );
        assert_eq!(e.time, HeaderTime::Utc(1_795_840_772_923_128));

        let e = parse_envelope("<13>1 2026-11-28T04:39:32Z vm app 12 ID [a x=\"]\\]\"][b] msg")
            .unwrap();
        assert_eq!((e.pid, e.message), (Some("12"), "msg"));

        // Received over the network: a priority before an RFC 3339 (rsyslog's
        // RSYSLOG_ForwardFormat) or RFC 3164 line.
        let e =
            parse_envelope("<174>2025-06-22T02:13:05.123456+09:00 fs01 smbd_audit: a|b|c").unwrap();
        assert_eq!(e.transport, Transport::SyslogRfc3339);
        assert_eq!((e.host, e.message), (Some("fs01"), "a|b|c"));
        let e = parse_envelope("<174>Nov  8 04:39:32 vm smbd_audit[77]: a|b").unwrap();
        assert_eq!(e.transport, Transport::SyslogRfc3164);
        assert_eq!((e.pid, e.message), (Some("77"), "a|b"));

        let e =
            parse_envelope("[2026/11/28 03:31:01.914405,  1, pid=3562]   alice|127.0.0.1").unwrap();
        assert_eq!(e.transport, Transport::SmbdDebug);
        assert_eq!((e.pid, e.message), (Some("3562"), "alice|127.0.0.1"));

        let e = parse_envelope(
            "[2026/11/28 03:31:01.914405,  1] ../../source3/modules/vfs_full_audit.c:1234(do_log)",
        )
        .unwrap();
        assert_eq!(e.message, "");

        for bad in [
            "",
            "garbage",
            "[2026/13/28 03:31:01,  1] x",
            "Foo 28 04:39:32 vm t: m",
            "2026-11-28T04:39:32 vm smbd_audit: no zone",
            "<1000>1 x",
            "<13>",
            "<13>garbage",
            "<x>Nov  8 04:39:32 vm t: m",
        ] {
            assert!(parse_envelope(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn infers_years_across_new_year() {
        let utc = LocalClock::new(TimeZone::UTC);
        let mtime = Civil {
            year: 2027,
            month: 1,
            day: 2,
            hour: 0,
            minute: 0,
            second: 0,
            micros: 0,
        };
        let mut clock = HeaderClock::new(utc, Some(mtime), None);
        let dec = Civil {
            year: 2000,
            month: 12,
            day: 30,
            hour: 23,
            minute: 0,
            second: 0,
            micros: 0,
        };
        let jan = Civil {
            year: 2000,
            month: 1,
            day: 1,
            hour: 1,
            minute: 0,
            second: 0,
            micros: 0,
        };
        let t1 = clock.resolve(HeaderTime::LocalNoYear(dec)).unwrap();
        let t2 = clock.resolve(HeaderTime::LocalNoYear(jan)).unwrap();
        assert_eq!(t1, Civil { year: 2026, ..dec }.as_utc_micros());
        assert_eq!(t2, Civil { year: 2027, ..jan }.as_utc_micros());
        let mut explicit =
            HeaderClock::new(LocalClock::new(TimeZone::UTC), Some(mtime), Some(2020));
        assert_eq!(
            explicit.resolve(HeaderTime::LocalNoYear(dec)),
            Some(Civil { year: 2020, ..dec }.as_utc_micros())
        );
    }
}
