//! Time zones by name: parsing what a user or a report names (`Asia/Tokyo`, `UTC`, `+09:00`),
//! naming a zone back, and showing an instant as local time in it.
//!
//! The zone database is the one compiled into `jiff` (no file is read), so this stays free of
//! I/O; the machine's own zone (`local`) is the binary's business.

use jiff::tz::{Offset, TimeZone};

use crate::time::{MICROS_PER_SECOND, Micros};

/// A text that names no time zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a time zone (use an IANA name such as Asia/Tokyo, UTC, or an offset such as +09:00)"
)]
pub struct ZoneError(pub String);

/// Parses an IANA zone name (`Asia/Tokyo`), `UTC` (or `Z`), or a fixed UTC offset (`+09:00`,
/// `+0900`, `+09`, `-05:30`).
pub fn parse_zone(text: &str) -> Result<TimeZone, ZoneError> {
    let bad = || ZoneError(text.to_owned());
    if text.eq_ignore_ascii_case("utc") || text == "Z" {
        return Ok(TimeZone::UTC);
    }
    if let Some(sign) = text.chars().next().filter(|c| *c == '+' || *c == '-') {
        let rest = &text[1..];
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let shape_ok = rest.chars().all(|c| c.is_ascii_digit() || c == ':')
            && rest.matches(':').count() <= 1
            && (digits.len() == 2 || digits.len() == 4);
        if !shape_ok {
            return Err(bad());
        }
        let hours: i32 = digits[..2].parse().map_err(|_| bad())?;
        let minutes: i32 = if digits.len() == 4 {
            digits[2..].parse().map_err(|_| bad())?
        } else {
            0
        };
        if minutes >= 60 {
            return Err(bad());
        }
        let seconds = (hours * 3600 + minutes * 60) * if sign == '-' { -1 } else { 1 };
        let offset = Offset::from_seconds(seconds).map_err(|_| bad())?;
        return Ok(TimeZone::fixed(offset));
    }
    TimeZone::get(text).map_err(|_| bad())
}

/// `+09:00`, `-05:30`, `+00:00` for an offset in seconds east of UTC (seconds are dropped).
pub fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    format!("{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60)
}

/// The name a zone is recorded under: its IANA name (`Asia/Tokyo`, `UTC`), else its fixed offset
/// (`+09:00`), else `None` (a machine zone read from a file that carries no name).
/// [`parse_zone`] reads every name this returns back into the same zone.
pub fn zone_name(zone: &TimeZone) -> Option<String> {
    if let Some(name) = zone.iana_name() {
        return Some(name.to_owned());
    }
    zone.to_fixed_offset()
        .ok()
        .map(|offset| format_offset(offset.seconds()))
}

/// The zone's abbreviation at `t` (`JST`, `CEST`, `UTC`), or its offset (`+09:00`) where the
/// zone has no alphabetic abbreviation (fixed offsets, and zones the database names by number,
/// such as `+04`).
pub fn zone_abbreviation(zone: &TimeZone, t: Micros) -> String {
    let Ok(ts) = jiff::Timestamp::from_microsecond(t) else {
        return String::new();
    };
    let info = zone.to_offset_info(ts);
    let abbreviation = info.abbreviation();
    if !abbreviation.is_empty() && abbreviation.chars().all(|c| c.is_ascii_alphabetic()) {
        abbreviation.to_owned()
    } else {
        format_offset(info.offset().seconds())
    }
}

/// Local time in `zone` to the second, with the zone's abbreviation or offset:
/// `2025-06-24 01:13:36 JST`, `2025-06-24 01:13:36 +09:00`. Out-of-range values are printed as
/// the raw number of microseconds followed by `us`, so formatting never fails.
pub fn format_local(t: Micros, zone: &TimeZone) -> String {
    let Ok(ts) = jiff::Timestamp::from_microsecond(t) else {
        return format!("{t}us");
    };
    let dt = zone.to_datetime(ts);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        zone_abbreviation(zone, t)
    )
}

/// The local day of `t` in `zone`, as days since 1970-01-01 (day `n` is the civil date
/// 1970-01-01 + `n` days, whatever the zone).
pub fn local_day(t: Micros, zone: &TimeZone) -> i64 {
    let offset = jiff::Timestamp::from_microsecond(t)
        .map(|ts| i64::from(zone.to_offset(ts).seconds()))
        .unwrap_or(0);
    (t.div_euclid(MICROS_PER_SECOND) + offset).div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_offsets() {
        assert_eq!(parse_zone("UTC"), Ok(TimeZone::UTC));
        assert!(parse_zone("Asia/Tokyo").is_ok());
        for (text, seconds) in [
            ("+09:00", 32_400),
            ("+0900", 32_400),
            ("+09", 32_400),
            ("-05:30", -19_800),
        ] {
            let zone = parse_zone(text).unwrap();
            assert_eq!(
                zone.to_fixed_offset().ok().map(|o| o.seconds()),
                Some(seconds)
            );
        }
        for bad in [
            "Mars/Olympus",
            "+9",
            "+09:75",
            "+09:00:00",
            "+0x:00",
            "",
            "local",
        ] {
            assert!(parse_zone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_round_trip() {
        for text in ["Asia/Tokyo", "UTC", "+09:00", "-05:30", "Europe/Berlin"] {
            let zone = parse_zone(text).unwrap();
            let name = zone_name(&zone).unwrap();
            assert_eq!(name, text);
            assert_eq!(parse_zone(&name).unwrap(), zone);
        }
    }

    #[test]
    fn formats_local_time_with_the_zone() {
        // 2025-06-23T16:13:36.564941Z is 01:13:36 on the 24th in Tokyo.
        let t = 1_750_695_216_564_941;
        let tokyo = parse_zone("Asia/Tokyo").unwrap();
        assert_eq!(format_local(t, &tokyo), "2025-06-24 01:13:36 JST");
        let fixed = parse_zone("+09:00").unwrap();
        assert_eq!(format_local(t, &fixed), "2025-06-24 01:13:36 +09:00");
        assert_eq!(format_local(t, &TimeZone::UTC), "2025-06-23 16:13:36 UTC");
        let berlin = parse_zone("Europe/Berlin").unwrap();
        assert_eq!(format_local(t, &berlin), "2025-06-23 18:13:36 CEST");
        assert_eq!(local_day(t, &tokyo), 20_263);
        assert_eq!(local_day(t, &TimeZone::UTC), 20_262);
        assert_eq!(local_day(-1, &TimeZone::UTC), -1);
    }
}
