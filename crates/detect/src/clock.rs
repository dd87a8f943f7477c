//! Local calendar positions of instants (day, hour of day, hour of week) in the office zone.

use breachscope_model::Micros;
use jiff::tz::TimeZone;

/// Where an instant falls in the local calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Days since 1970-01-01 in local time.
    pub day: i64,
    /// 0..24.
    pub hour_of_day: usize,
    /// 0..168, Monday 00:00 = 0.
    pub hour_of_week: usize,
    /// Saturday or Sunday.
    pub weekend: bool,
}

/// Converts instants to local positions.
#[derive(Debug, Clone)]
pub struct LocalCalendar {
    zone: TimeZone,
}

impl LocalCalendar {
    /// A calendar for the zone.
    pub fn new(zone: TimeZone) -> Self {
        LocalCalendar { zone }
    }

    /// The UTC offset in microseconds at `t`.
    pub fn offset(&self, t: Micros) -> i64 {
        match jiff::Timestamp::from_microsecond(t) {
            Ok(ts) => i64::from(self.zone.to_offset(ts).seconds()) * 1_000_000,
            Err(_) => 0,
        }
    }

    /// The local position of `t`.
    pub fn position(&self, t: Micros) -> Position {
        let local = t + self.offset(t);
        let day = local.div_euclid(86_400_000_000);
        let hour_of_day = (local.rem_euclid(86_400_000_000) / 3_600_000_000) as usize;
        // 1970-01-01 was a Thursday (weekday 3 when Monday is 0).
        let weekday = (day + 3).rem_euclid(7) as usize;
        Position {
            day,
            hour_of_day,
            hour_of_week: weekday * 24 + hour_of_day,
            weekend: weekday >= 5,
        }
    }

    /// The UTC instant at which local day `day` starts (offset taken at that moment).
    pub fn day_start(&self, day: i64) -> Micros {
        let naive = day * 86_400_000_000;
        let guess = naive - self.offset(naive);
        naive - self.offset(guess)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokyo_positions() {
        let cal = LocalCalendar::new(TimeZone::get("Asia/Tokyo").unwrap());
        // 2025-06-22T00:00:00Z = 09:00 Sunday in Tokyo.
        let p = cal.position(1_750_550_400_000_000);
        assert_eq!(p.hour_of_day, 9);
        assert!(p.weekend);
        assert_eq!(p.hour_of_week, 6 * 24 + 9);
        assert_eq!(
            cal.day_start(p.day),
            1_750_550_400_000_000 - 9 * 3_600_000_000
        );
    }
}
