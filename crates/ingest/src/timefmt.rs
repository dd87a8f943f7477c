//! Fast timestamp parsing for log headers.
//!
//! Log lines carry millions of timestamps, so the common layouts are parsed by hand into civil
//! fields and converted with integer arithmetic; time zones (for sources that write local time)
//! go through `jiff` with a one-entry cache of the last UTC offset.

use breachscope_model::Micros;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

/// A date and time of day without a zone, as written in a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i32,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of month, 1..=31.
    pub day: u8,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=60 (a leap second is folded into the next second).
    pub second: u8,
    /// Microseconds, 0..=999_999.
    pub micros: u32,
}

impl Civil {
    /// Whether the fields are in range (including the day for the month and year).
    pub fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second <= 60
            && self.micros < 1_000_000
            && (-9999..=9999).contains(&self.year)
    }

    /// Microseconds since the epoch if this civil time were UTC.
    pub fn as_utc_micros(&self) -> Micros {
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        secs * 1_000_000 + i64::from(self.micros)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` of `year`.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Converts local civil times of one zone to UTC, caching the last offset.
#[derive(Debug, Clone)]
pub struct LocalClock {
    tz: TimeZone,
    last_offset: Option<i64>,
}

impl LocalClock {
    /// A clock for the given zone.
    pub fn new(tz: TimeZone) -> Self {
        LocalClock {
            tz,
            last_offset: None,
        }
    }

    /// The zone.
    pub fn zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Converts a local civil time to UTC microseconds. Ambiguous times (the repeated hour when
    /// clocks go back) take the earlier instant; times in a gap take the later offset, as RFC 5545
    /// and `jiff`'s "compatible" rule do.
    pub fn to_utc(&mut self, civil: &Civil) -> Option<Micros> {
        let naive = civil.as_utc_micros();
        if let Some(offset_us) = self.last_offset {
            let guess = naive - offset_us;
            if self.offset_at(guess) == Some(offset_us) {
                return Some(guess);
            }
        }
        let dt = DateTime::new(
            i16::try_from(civil.year).ok()?,
            i8::try_from(civil.month).ok()?,
            i8::try_from(civil.day).ok()?,
            i8::try_from(civil.hour).ok()?,
            i8::try_from(civil.minute).ok()?,
            i8::try_from(civil.second.min(59)).ok()?,
            i32::try_from(civil.micros).ok()? * 1_000,
        )
        .ok()?;
        let zoned = self.tz.to_ambiguous_zoned(dt).compatible().ok()?;
        let ts =
            zoned.timestamp().as_microsecond() + if civil.second == 60 { 1_000_000 } else { 0 };
        self.last_offset = Some(naive - ts);
        Some(ts)
    }

    fn offset_at(&self, utc_micros: Micros) -> Option<i64> {
        let ts = jiff::Timestamp::from_microsecond(utc_micros).ok()?;
        let offset: Offset = self.tz.to_offset(ts);
        Some(i64::from(offset.seconds()) * 1_000_000)
    }
}

/// Parses exactly `n` ASCII digits at the start of `s`.
#[inline]
pub fn digits(s: &[u8], n: usize) -> Option<u32> {
    let part = s.get(..n)?;
    let mut v: u32 = 0;
    for &b in part {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(b - b'0');
    }
    Some(v)
}

/// Parses a fraction of a second (the digits after the `.`), returning microseconds and the
/// number of bytes consumed (at least one digit; digits beyond the sixth are truncated).
#[inline]
pub fn fraction(s: &[u8]) -> Option<(u32, usize)> {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let mut micros: u32 = 0;
    for i in 0..6 {
        micros = micros * 10
            + s.get(i)
                .filter(|_| i < n)
                .map_or(0, |&b| u32::from(b - b'0'));
    }
    Some((micros, n))
}

/// Parses an RFC 3339 / ISO 8601 timestamp at the start of `s`:
/// `YYYY-MM-DD[T ]HH:MM:SS[.frac](Z|±HH:MM|±HHMM)`. Returns UTC microseconds and the bytes
/// consumed. A timestamp without a zone is rejected (use [`parse_iso_local`]).
#[inline]
pub fn parse_rfc3339(s: &[u8]) -> Option<(Micros, usize)> {
    parse_rfc3339_offset(s).map(|(t, _, used)| (t, used))
}

/// What an RFC 3339 timestamp says about its writer's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneMark {
    /// `Z`: the time is in UTC (which says nothing about the writer's local zone).
    Z,
    /// A numeric offset, seconds east of UTC (`+09:00` → 32 400).
    Offset(i32),
    /// `-00:00`: UTC with the local offset unknown (RFC 3339 §4.3).
    Unknown,
}

/// As [`parse_rfc3339`], also returning what the timestamp's zone designator says.
pub fn parse_rfc3339_offset(s: &[u8]) -> Option<(Micros, ZoneMark, usize)> {
    let (civil, mut pos) = parse_iso_local(s)?;
    let (offset_secs, mark): (i64, ZoneMark) = match s.get(pos)? {
        b'Z' | b'z' => {
            pos += 1;
            (0, ZoneMark::Z)
        }
        sign @ (b'+' | b'-') => {
            let rest = &s[pos + 1..];
            let hours = digits(rest, 2)?;
            let (minutes, used) = if rest.get(2) == Some(&b':') {
                (digits(&rest[3..], 2)?, 5)
            } else {
                (digits(&rest[2..], 2)?, 4)
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            pos += 1 + used;
            let v = i32::try_from(hours * 3600 + minutes * 60).ok()?;
            let v = if *sign == b'-' { -v } else { v };
            let mark = if v == 0 && *sign == b'-' {
                ZoneMark::Unknown
            } else {
                ZoneMark::Offset(v)
            };
            (i64::from(v), mark)
        }
        _ => return None,
    };
    Some((civil.as_utc_micros() - offset_secs * 1_000_000, mark, pos))
}

/// Parses `YYYY-MM-DD[T ]HH:MM:SS[.frac]` at the start of `s` (no zone). Returns the civil time
/// and the bytes consumed.
pub fn parse_iso_local(s: &[u8]) -> Option<(Civil, usize)> {
    if s.len() < 19
        || s[4] != b'-'
        || s[7] != b'-'
        || !matches!(s[10], b'T' | b't' | b' ')
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    let mut civil = Civil {
        year: i32::try_from(digits(s, 4)?).ok()?,
        month: u8::try_from(digits(&s[5..], 2)?).ok()?,
        day: u8::try_from(digits(&s[8..], 2)?).ok()?,
        hour: u8::try_from(digits(&s[11..], 2)?).ok()?,
        minute: u8::try_from(digits(&s[14..], 2)?).ok()?,
        second: u8::try_from(digits(&s[17..], 2)?).ok()?,
        micros: 0,
    };
    let mut pos = 19;
    if s.get(pos) == Some(&b'.') || s.get(pos) == Some(&b',') {
        let (micros, n) = fraction(&s[pos + 1..])?;
        civil.micros = micros;
        pos += 1 + n;
    }
    civil.is_valid().then_some((civil, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_arithmetic_matches_known_instants() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        let c = Civil {
            year: 2026,
            month: 11,
            day: 28,
            hour: 4,
            minute: 39,
            second: 32,
            micros: 923_128,
        };
        assert_eq!(c.as_utc_micros(), 1_795_840_772_923_128);
    }

    #[test]
    fn rfc3339_with_offsets() {
        let (t, n) = parse_rfc3339(b"2025-06-22T02:13:05.123456+09:00 fs01").unwrap();
        assert_eq!(n, 32);
        let (u, _) = parse_rfc3339(b"2025-06-21T17:13:05.123456Z").unwrap();
        assert_eq!(t, u);
        let (v, n) = parse_rfc3339(b"2026-11-28T03:47:21.396110+0000").unwrap();
        assert_eq!(n, 31);
        assert_eq!(v, 1_795_837_641_396_110);
        assert!(parse_rfc3339(b"2025-02-30T00:00:00Z").is_none());
        assert!(parse_rfc3339(b"2025-06-22T02:13:05").is_none());
        assert!(parse_rfc3339(b"2025-06-22T02:13").is_none());
        let marks = [
            ("2025-06-22T02:13:05+09:00", ZoneMark::Offset(32_400)),
            ("2025-06-22T02:13:05-0530", ZoneMark::Offset(-19_800)),
            ("2025-06-22T02:13:05+00:00", ZoneMark::Offset(0)),
            ("2025-06-22T02:13:05Z", ZoneMark::Z),
            ("2025-06-22T02:13:05-00:00", ZoneMark::Unknown),
        ];
        for (text, mark) in marks {
            let (_, m, used) = parse_rfc3339_offset(text.as_bytes()).unwrap();
            assert_eq!((m, used), (mark, text.len()), "{text}");
        }
    }

    #[test]
    fn local_clock_handles_zones_and_dst() {
        let mut tokyo = LocalClock::new(TimeZone::get("Asia/Tokyo").unwrap());
        let c = Civil {
            year: 2025,
            month: 6,
            day: 22,
            hour: 2,
            minute: 13,
            second: 5,
            micros: 0,
        };
        assert_eq!(
            tokyo.to_utc(&c),
            Some(c.as_utc_micros() - 9 * 3_600_000_000)
        );
        let mut berlin = LocalClock::new(TimeZone::get("Europe/Berlin").unwrap());
        let winter = Civil {
            year: 2025,
            month: 1,
            day: 10,
            hour: 12,
            minute: 0,
            second: 0,
            micros: 0,
        };
        let summer = Civil { month: 7, ..winter };
        assert_eq!(
            berlin.to_utc(&winter),
            Some(winter.as_utc_micros() - 3_600_000_000)
        );
        assert_eq!(
            berlin.to_utc(&summer),
            Some(summer.as_utc_micros() - 7_200_000_000)
        );
        assert_eq!(
            berlin.to_utc(&winter),
            Some(winter.as_utc_micros() - 3_600_000_000)
        );
    }
}
