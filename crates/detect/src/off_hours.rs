//! off_hours_access: a read far from the hours in which the account is usually active.
//!
//! The profile counts, per hour of the day, the days on which the account was active in that
//! hour. An hour is usual when it holds at least `usual_share_of_days` of the account's active
//! days (and at least two); the account's working block runs from its earliest to its latest
//! usual hour (sparse sampling of a working day leaves gaps inside it that mean nothing). A read
//! `min_gap_hours` or more (around the clock) outside that block is off hours; a late evening
//! next to the block is not.

use crate::clock::Position;
use crate::config::OffHours;
use rustc_hash::FxHashMap;

/// A read at an unusual hour.
#[derive(Debug, Clone, PartialEq)]
pub struct OffHoursFinding {
    /// Hours to the nearest usual hour.
    pub gap_hours: u32,
    /// The usual hours (local).
    pub usual: Vec<usize>,
    /// Active days in the profile.
    pub active_days: u32,
    /// Local hour of day.
    pub hour_of_day: usize,
}

#[derive(Debug)]
struct Profile {
    days_in_hour: [u32; 24],
    last_day_in_hour: [i64; 24],
    active_days: u32,
    last_day: i64,
    alerted_day: Option<i64>,
}

/// Per-account activity profiles.
#[derive(Debug, Default)]
pub struct OffHoursDetector {
    accounts: FxHashMap<String, Profile>,
}

impl OffHoursDetector {
    /// Judges a read at `pos` against the account's profile, then adds it to the profile.
    pub fn observe(
        &mut self,
        config: &OffHours,
        account: &str,
        pos: Position,
        judge: bool,
    ) -> Option<OffHoursFinding> {
        let p = self.accounts.entry(account.to_owned()).or_insert(Profile {
            days_in_hour: [0; 24],
            last_day_in_hour: [i64::MIN; 24],
            active_days: 0,
            last_day: i64::MIN,
            alerted_day: None,
        });
        let mut finding = None;
        if judge && p.active_days >= config.min_active_days && p.alerted_day != Some(pos.day) {
            let needed = (config.usual_share_of_days * f64::from(p.active_days))
                .ceil()
                .max(2.0) as u32;
            let marked: Vec<usize> = (0..24).filter(|&h| p.days_in_hour[h] >= needed).collect();
            let usual: Vec<usize> = match (marked.first(), marked.last()) {
                (Some(&a), Some(&b)) => (a..=b).collect(),
                _ => Vec::new(),
            };
            let gap = usual
                .iter()
                .map(|&h| {
                    let d = h.abs_diff(pos.hour_of_day) as u32;
                    d.min(24 - d)
                })
                .min()
                .unwrap_or(24);
            if gap >= config.min_gap_hours {
                p.alerted_day = Some(pos.day);
                finding = Some(OffHoursFinding {
                    gap_hours: gap,
                    usual,
                    active_days: p.active_days,
                    hour_of_day: pos.hour_of_day,
                });
            }
        }
        if p.last_day != pos.day {
            p.last_day = pos.day;
            p.active_days += 1;
        }
        if p.last_day_in_hour[pos.hour_of_day] != pos.day {
            p.last_day_in_hour[pos.hour_of_day] = pos.day;
            p.days_in_hour[pos.hour_of_day] += 1;
        }
        finding
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(day: i64, hour: usize) -> Position {
        let weekday = (day + 3).rem_euclid(7) as usize;
        Position {
            day,
            hour_of_day: hour,
            hour_of_week: weekday * 24 + hour,
            weekend: weekday >= 5,
        }
    }

    #[test]
    fn night_read_is_off_hours_late_evening_is_not() {
        let cfg = OffHours::default();
        let mut d = OffHoursDetector::default();
        for day in 0..30 {
            for hour in [9, 11, 14, 16] {
                assert!(d.observe(&cfg, "k.tanaka", pos(day, hour), true).is_none());
            }
            if day % 5 == 0 {
                d.observe(&cfg, "k.tanaka", pos(day, 19), true);
            }
        }
        let night = d
            .observe(&cfg, "k.tanaka", pos(31, 2), true)
            .expect("02:00 is off hours");
        assert_eq!(night.gap_hours, 7);
        assert_eq!(night.usual, (9..=19).collect::<Vec<_>>());
        assert!(
            d.observe(&cfg, "k.tanaka", pos(31, 3), true).is_none(),
            "once a day"
        );
        assert!(
            d.observe(&cfg, "k.tanaka", pos(32, 21), true).is_none(),
            "21:00 is two hours from a usual 19:00"
        );
        assert!(
            d.observe(&cfg, "k.tanaka", pos(33, 7), true).is_none(),
            "07:00 is two hours before 09:00"
        );
        assert!(
            d.observe(&cfg, "new.hire", pos(33, 3), true).is_none(),
            "no profile yet"
        );
    }
}
