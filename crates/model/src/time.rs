//! Time as `i64` microseconds since the Unix epoch, UTC.

/// Microseconds since 1970-01-01T00:00:00Z. Every time in breachscope has this type.
pub type Micros = i64;

/// Microseconds in one second.
pub const MICROS_PER_SECOND: i64 = 1_000_000;

/// Converts microseconds to whole epoch milliseconds (rounded towards negative infinity), as OCSF
/// `time` attributes require.
pub fn to_epoch_millis(t: Micros) -> i64 {
    t.div_euclid(1_000)
}

/// Formats a time as RFC 3339 in UTC with a `Z` suffix and microsecond precision when the value has
/// a fraction (`2025-06-22T17:13:05Z`, `2025-06-22T17:13:05.123456Z`).
///
/// Values outside the representable range (years beyond ±9999) are printed as the raw number of
/// microseconds followed by `us`, so formatting never fails.
pub fn format_rfc3339(t: Micros) -> String {
    match jiff::Timestamp::from_microsecond(t) {
        Ok(ts) => {
            if t.rem_euclid(MICROS_PER_SECOND) == 0 {
                format!("{ts:.0}")
            } else {
                format!("{ts:.6}")
            }
        }
        Err(_) => format!("{t}us"),
    }
}

/// Parses a decimal number of seconds since the epoch (`1517422326.539915`, `-1.5`, `12`) into
/// microseconds without going through floating point, so the value is exact. Digits beyond the
/// sixth decimal are truncated. Returns `None` on anything that is not such a number or overflows.
pub fn parse_epoch_seconds(s: &[u8]) -> Option<Micros> {
    let (negative, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let (int_part, frac_part) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => (&digits[..dot], &digits[dot + 1..]),
        None => (digits, &digits[digits.len()..]),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut seconds: i64 = 0;
    for &b in int_part {
        if !b.is_ascii_digit() {
            return None;
        }
        seconds = seconds.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    let mut micros: i64 = 0;
    for i in 0..6 {
        let digit = match frac_part.get(i) {
            Some(&b) if b.is_ascii_digit() => i64::from(b - b'0'),
            Some(_) => return None,
            None => 0,
        };
        micros = micros * 10 + digit;
    }
    if frac_part.iter().skip(6).any(|b| !b.is_ascii_digit()) {
        return None;
    }
    let total = seconds
        .checked_mul(MICROS_PER_SECOND)?
        .checked_add(micros)?;
    Some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_zeek_timestamps_exactly() {
        assert_eq!(
            parse_epoch_seconds(b"1517422326.539915"),
            Some(1_517_422_326_539_915)
        );
        assert_eq!(parse_epoch_seconds(b"12"), Some(12_000_000));
        assert_eq!(parse_epoch_seconds(b"0.5"), Some(500_000));
        assert_eq!(parse_epoch_seconds(b"1.1234567"), Some(1_123_456));
        assert_eq!(parse_epoch_seconds(b"-1.5"), Some(-1_500_000));
        assert_eq!(parse_epoch_seconds(b""), None);
        assert_eq!(parse_epoch_seconds(b"."), None);
        assert_eq!(parse_epoch_seconds(b"1e9"), None);
        assert_eq!(parse_epoch_seconds(b"XXXXXXXXXX.XXXXXX"), None);
        assert_eq!(parse_epoch_seconds(b"99999999999999999999"), None);
    }

    #[test]
    fn formats_rfc3339_utc() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_rfc3339(1_517_422_326_539_915),
            "2018-01-31T18:12:06.539915Z"
        );
        assert_eq!(to_epoch_millis(1_517_422_326_539_915), 1_517_422_326_539);
        assert_eq!(to_epoch_millis(-1), -1);
    }
}
