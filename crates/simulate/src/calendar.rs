//! The company calendar: weekends, Japanese public holidays, company breaks, local time.

use breachscope_model::Micros;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// Japanese national holidays (including substitute holidays) for 2024–2027, as proclaimed under
/// the Act on National Holidays. Outside these years only weekends and company breaks are off.
const JP_HOLIDAYS: &[&str] = &[
    "2024-01-01",
    "2024-01-08",
    "2024-02-11",
    "2024-02-12",
    "2024-02-23",
    "2024-03-20",
    "2024-04-29",
    "2024-05-03",
    "2024-05-04",
    "2024-05-05",
    "2024-05-06",
    "2024-07-15",
    "2024-08-11",
    "2024-08-12",
    "2024-09-16",
    "2024-09-22",
    "2024-09-23",
    "2024-10-14",
    "2024-11-03",
    "2024-11-04",
    "2024-11-23",
    "2025-01-01",
    "2025-01-13",
    "2025-02-11",
    "2025-02-23",
    "2025-02-24",
    "2025-03-20",
    "2025-04-29",
    "2025-05-03",
    "2025-05-04",
    "2025-05-05",
    "2025-05-06",
    "2025-07-21",
    "2025-08-11",
    "2025-09-15",
    "2025-09-23",
    "2025-10-13",
    "2025-11-03",
    "2025-11-23",
    "2025-11-24",
    "2026-01-01",
    "2026-01-12",
    "2026-02-11",
    "2026-02-23",
    "2026-03-20",
    "2026-04-29",
    "2026-05-03",
    "2026-05-04",
    "2026-05-05",
    "2026-05-06",
    "2026-07-20",
    "2026-08-11",
    "2026-09-21",
    "2026-09-22",
    "2026-09-23",
    "2026-10-12",
    "2026-11-03",
    "2026-11-23",
    "2027-01-01",
    "2027-01-11",
    "2027-02-11",
    "2027-02-23",
    "2027-03-21",
    "2027-03-22",
    "2027-04-29",
    "2027-05-03",
    "2027-05-04",
    "2027-05-05",
    "2027-07-19",
    "2027-08-11",
    "2027-09-20",
    "2027-09-23",
    "2027-10-11",
    "2027-11-03",
    "2027-11-23",
];

/// Whether the day is a public holiday or a company break (New Year 29 Dec – 3 Jan, summer
/// break 13–15 Aug).
pub fn is_holiday(date: Date) -> bool {
    let (m, d) = (date.month(), date.day());
    if (m == 12 && d >= 29) || (m == 1 && d <= 3) || (m == 8 && (13..=15).contains(&d)) {
        return true;
    }
    let text = date.to_string();
    JP_HOLIDAYS.binary_search(&text.as_str()).is_ok()
}

/// Whether the day is a working day (not a weekend, holiday or break).
pub fn is_workday(date: Date) -> bool {
    use jiff::civil::Weekday;
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_holiday(date)
}

/// The UTC instant of a local time on `date` plus `seconds` (may exceed a day) in `zone`.
pub fn local_micros(zone: &TimeZone, date: Date, seconds: f64) -> Micros {
    let midnight = DateTime::from(date);
    let base = zone
        .to_ambiguous_zoned(midnight)
        .compatible()
        .map(|z| z.timestamp().as_microsecond())
        .unwrap_or(0);
    base + (seconds * 1e6).round() as i64
}

/// Every day from `start` to `end` inclusive.
pub fn days(start: Date, end: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = start;
    while d <= end {
        out.push(d);
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holidays_sorted_and_applied() {
        assert!(JP_HOLIDAYS.windows(2).all(|w| w[0] < w[1]));
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert!(!is_workday(d("2025-05-05")));
        assert!(!is_workday(d("2025-05-10")));
        assert!(!is_workday(d("2025-08-14")));
        assert!(is_workday(d("2025-05-07")));
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert_eq!(
            local_micros(&tokyo, d("2025-06-22"), 9.0 * 3600.0),
            1_750_550_400_000_000
        );
        assert_eq!(days(d("2025-01-30"), d("2025-02-02")).len(), 4);
    }
}
