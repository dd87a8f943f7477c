//! mass_file_read: distinct files an account reads in one hour, against the largest hourly count
//! in its own trailing baseline (or, for an account without enough history, its peers').

use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;

use crate::config::MassFileRead;
use crate::stats::quantile_sorted;

/// An hour with many more reads than usual.
#[derive(Debug, Clone, PartialEq)]
pub struct MassReadFinding {
    /// Distinct files read in the hour so far.
    pub files: usize,
    /// Distinct directories.
    pub directories: usize,
    /// The baseline (largest hourly count in the window, or the peers' 95th percentile).
    pub baseline: f64,
    /// Whether the baseline is the peers'.
    pub peer_baseline: bool,
    /// The threshold crossed.
    pub threshold: f64,
}

#[derive(Debug, Default)]
struct AccountHours {
    hour: i64,
    files: FxHashSet<u64>,
    dirs: FxHashSet<u64>,
    /// (day, largest hourly count of that day), oldest first.
    daily_max: VecDeque<(i64, usize)>,
    today: i64,
    today_max: usize,
    alerted_day: Option<i64>,
}

/// Per-account hourly reads.
#[derive(Debug, Default)]
pub struct MassFileReadDetector {
    accounts: FxHashMap<String, AccountHours>,
}

fn hash(s: &str, t: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    t.hash(&mut h);
    h.finish()
}

impl MassFileReadDetector {
    /// Records a read by `account` of `share`/`path` in local `hour` (hours since the epoch) of
    /// local `day`. `established`: whether the account has enough history to be its own
    /// baseline.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &mut self,
        config: &MassFileRead,
        baseline_days: u32,
        account: &str,
        share: &str,
        path: &str,
        hour: i64,
        day: i64,
        established: bool,
    ) -> Option<MassReadFinding> {
        let peers = if established {
            None
        } else {
            Some(self.peer_p95(day, baseline_days))
        };
        let a = self.accounts.entry(account.to_owned()).or_default();
        if a.today != day {
            if a.today_max > 0 {
                a.daily_max.push_back((a.today, a.today_max));
            }
            a.today = day;
            a.today_max = 0;
            while a
                .daily_max
                .front()
                .is_some_and(|d| d.0 < day - i64::from(baseline_days))
            {
                a.daily_max.pop_front();
            }
        }
        if a.hour != hour {
            a.hour = hour;
            a.files.clear();
            a.dirs.clear();
        }
        a.files.insert(hash(share, path));
        a.dirs
            .insert(hash(share, path.rsplit_once('/').map_or("", |(d, _)| d)));
        a.today_max = a.today_max.max(a.files.len());
        let (baseline, peer) = match peers {
            Some(p) => (p, true),
            None => (
                a.daily_max.iter().map(|d| d.1).max().unwrap_or(0) as f64,
                false,
            ),
        };
        let threshold = (config.factor * baseline).max(f64::from(config.min_files));
        if a.files.len() as f64 >= threshold && a.alerted_day != Some(day) {
            a.alerted_day = Some(day);
            return Some(MassReadFinding {
                files: a.files.len(),
                directories: a.dirs.len(),
                baseline,
                peer_baseline: peer,
                threshold,
            });
        }
        None
    }

    /// The 95th percentile of all accounts' largest hourly counts in the window.
    fn peer_p95(&self, day: i64, baseline_days: u32) -> f64 {
        let mut maxima: Vec<f64> = self
            .accounts
            .values()
            .filter_map(|a| {
                a.daily_max
                    .iter()
                    .filter(|d| d.0 >= day - i64::from(baseline_days))
                    .map(|d| d.1)
                    .max()
            })
            .map(|m| m as f64)
            .collect();
        maxima.sort_by(f64::total_cmp);
        quantile_sorted(&maxima, 0.95)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_reads_in_an_hour_against_own_history() {
        let cfg = MassFileRead::default();
        let mut d = MassFileReadDetector::default();
        for day in 0..20i64 {
            for f in 0..8 {
                assert!(
                    d.observe(
                        &cfg,
                        28,
                        "k.tanaka",
                        "sales",
                        &format!("d/{f}.csv"),
                        day * 24 + 10,
                        day,
                        true
                    )
                    .is_none()
                );
            }
        }
        let mut found = None;
        for f in 0..60 {
            found = found.or(d.observe(
                &cfg,
                28,
                "k.tanaka",
                "hr",
                &format!("x{}/{f}.csv", f % 5),
                20 * 24 + 2,
                20,
                true,
            ));
        }
        let f = found.expect("found");
        assert_eq!(f.files, 24, "alerts as the threshold (3 × 8) is crossed");
        assert_eq!(f.baseline, 8.0);
    }
}
