//! exfil_volume: bytes from an internal host to external addresses, per local day, against the
//! host's own trailing baseline (robust z of `log1p(bytes)`, same day type when there is enough
//! history), plus a CUSUM on the daily z-scores for low-and-slow shifts, plus an hourly check
//! that raises the alarm as soon as a day's threshold is crossed within the day.
//!
//! Bytes are attributed to the hour and day in which the connection's record became
//! observable (its end): the detector never revisits an hour it has closed.

use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::net::IpAddr;

use crate::clock::Position;
use crate::config::ExfilVolume;
use crate::stats::Baseline;

/// What a finished day or a burst looked like.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeFinding {
    /// The host.
    pub host: IpAddr,
    /// Bytes observed (the day's, or the day's so far for a burst).
    pub bytes: u64,
    /// The baseline's median, in bytes.
    pub baseline_bytes: f64,
    /// Robust z (for CUSUM findings, the CUSUM statistic).
    pub z: f64,
    /// The destination that received most of it, with its bytes.
    pub top_external: Option<(IpAddr, u64)>,
    /// `burst`, `day`, or `cusum`.
    pub rule: &'static str,
    /// Days in the baseline.
    pub baseline_days: usize,
    /// The fleet's traffic to the top destination that day (so far, for a burst).
    pub fleet: Option<Fleet>,
}

/// How many hosts sent to a destination on a day, and how much the median one sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fleet {
    /// Hosts with bytes to it that day.
    pub hosts: usize,
    /// Their median bytes.
    pub median_bytes: u64,
}

#[derive(Debug, Default)]
struct HostVolume {
    /// (day, weekend, log1p bytes) of finished days, oldest first.
    days: VecDeque<(i64, bool, f64)>,
    day: i64,
    bytes: u64,
    top: FxHashMap<IpAddr, u64>,
    threshold: Option<(f64, Baseline)>,
    burst_alerted: bool,
    cusum: f64,
    cusum_alerted: bool,
    first_day: i64,
}

/// Per-host daily volumes.
#[derive(Debug, Default)]
pub struct ExfilVolumeDetector {
    hosts: FxHashMap<IpAddr, HostVolume>,
}

fn baseline_for(
    h: &HostVolume,
    config: &ExfilVolume,
    baseline_days: u32,
    day: i64,
    weekend: bool,
) -> Option<Baseline> {
    let lo = day - i64::from(baseline_days) - i64::from(config.guard_days);
    let hi = day - i64::from(config.guard_days);
    let window: Vec<(bool, f64)> = h
        .days
        .iter()
        .filter(|d| d.0 >= lo && d.0 < hi)
        .map(|d| (d.1, d.2))
        .collect();
    let same: Vec<f64> = window
        .iter()
        .filter(|d| d.0 == weekend)
        .map(|d| d.1)
        .collect();
    let values: Vec<f64> = if same.len() >= 5 {
        same
    } else {
        window.iter().map(|d| d.1).collect()
    };
    (values.len() >= 5).then(|| Baseline::of(&values, 0.25))
}

impl ExfilVolumeDetector {
    fn top(h: &HostVolume) -> Option<(IpAddr, u64)> {
        h.top
            .iter()
            .max_by_key(|(ip, b)| (**b, **ip))
            .map(|(ip, b)| (*ip, *b))
    }

    /// What the hosts sent to `external` on local `day` (their running totals for the day).
    fn fleet(&self, external: IpAddr, day: i64) -> Fleet {
        let mut bytes: Vec<u64> = self
            .hosts
            .values()
            .filter(|h| h.day == day)
            .filter_map(|h| h.top.get(&external).copied())
            .collect();
        bytes.sort_unstable();
        Fleet {
            hosts: bytes.len(),
            median_bytes: bytes.get(bytes.len() / 2).copied().unwrap_or(0),
        }
    }

    /// Adds a connection's bytes out (observed on local `day`). Returns a burst finding when the
    /// day's running total crosses the day's alert threshold for the first time.
    pub fn observe(
        &mut self,
        config: &ExfilVolume,
        baseline_days: u32,
        host: IpAddr,
        external: IpAddr,
        bytes: u64,
        pos: &Position,
    ) -> Option<VolumeFinding> {
        let (day, weekend) = (pos.day, pos.weekend);
        let h = self.hosts.entry(host).or_insert_with(|| HostVolume {
            day,
            first_day: day,
            ..HostVolume::default()
        });
        if h.day != day {
            // The host's first event of a new day (days without traffic were closed by
            // `close_day` for every known host).
            h.day = day;
            h.bytes = 0;
            h.top.clear();
            h.burst_alerted = false;
            h.threshold = baseline_for(h, config, baseline_days, day, weekend)
                .map(|b| ((b.median + config.z * b.sigma).exp_m1(), b));
        }
        h.bytes += bytes;
        *h.top.entry(external).or_default() += bytes;
        if h.top.len() > 64 {
            // Keep the biggest destinations only.
            let mut v: Vec<(IpAddr, u64)> = h.top.drain().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(32);
            h.top.extend(v);
        }
        let (threshold, baseline) = h.threshold?;
        if !h.burst_alerted && h.bytes >= config.min_bytes && h.bytes as f64 > threshold {
            h.burst_alerted = true;
            let mut finding = VolumeFinding {
                host,
                bytes: h.bytes,
                baseline_bytes: baseline.median.exp_m1(),
                z: baseline.z((h.bytes as f64).ln_1p()),
                top_external: Self::top(h),
                rule: "burst",
                baseline_days: baseline.n,
                fleet: None,
            };
            finding.fleet = finding.top_external.map(|(ip, _)| self.fleet(ip, day));
            return Some(finding);
        }
        None
    }

    /// Closes local day `day` for every host: records its total (0 for hosts silent that day)
    /// and updates the CUSUM. Returns CUSUM findings (bursts were reported as they happened).
    pub fn close_day(
        &mut self,
        config: &ExfilVolume,
        baseline_days: u32,
        day: i64,
        weekend: bool,
    ) -> Vec<VolumeFinding> {
        let mut findings = Vec::new();
        let keep = i64::from(baseline_days + config.guard_days) + 1;
        let mut hosts: Vec<&IpAddr> = self.hosts.keys().collect();
        hosts.sort();
        let hosts: Vec<IpAddr> = hosts.into_iter().copied().collect();
        for host in hosts {
            let Some(h) = self.hosts.get_mut(&host) else {
                continue;
            };
            if day < h.first_day {
                continue;
            }
            let bytes = if h.day == day { h.bytes } else { 0 };
            let x = (bytes as f64).ln_1p();
            if let Some(b) = baseline_for(h, config, baseline_days, day, weekend) {
                let z = b.z(x).clamp(-4.0, 4.0);
                h.cusum = (h.cusum + z - config.cusum_k).max(0.0);
                if h.cusum > config.cusum_h && !h.cusum_alerted && bytes >= config.min_bytes / 4 {
                    h.cusum_alerted = true;
                    findings.push(VolumeFinding {
                        host,
                        bytes,
                        baseline_bytes: b.median.exp_m1(),
                        z: h.cusum,
                        top_external: if h.day == day { Self::top(h) } else { None },
                        rule: "cusum",
                        baseline_days: b.n,
                        fleet: None,
                    });
                }
                if h.cusum == 0.0 {
                    h.cusum_alerted = false;
                }
            }
            h.days.push_back((day, weekend, x));
            while h.days.front().is_some_and(|d| d.0 < day - keep) {
                h.days.pop_front();
            }
        }
        for f in &mut findings {
            f.fleet = f.top_external.map(|(ip, _)| self.fleet(ip, day));
        }
        findings
    }

    /// Hosts tracked.
    pub fn tracked_hosts(&self) -> usize {
        self.hosts.len()
    }
}

/// Convenience for tests: feeds one value per day and returns the days on which the CUSUM
/// fired.
pub fn cusum_days(config: &ExfilVolume, daily_bytes: &[u64]) -> Vec<usize> {
    let mut d = ExfilVolumeDetector::default();
    let host: IpAddr = IpAddr::from([10, 0, 0, 1]);
    let ext: IpAddr = IpAddr::from([198, 51, 100, 1]);
    let mut fired = Vec::new();
    for (i, &b) in daily_bytes.iter().enumerate() {
        let day = i as i64;
        if b > 0 {
            d.observe(config, 28, host, ext, b, &pos(day, false));
        }
        if d.close_day(config, 28, day, false)
            .iter()
            .any(|f| f.rule == "cusum")
        {
            fired.push(i);
        }
    }
    fired
}

/// The position of a day (midday) for tests and tools that work in whole days.
pub fn pos(day: i64, weekend: bool) -> Position {
    Position {
        day,
        hour_of_day: 12,
        hour_of_week: 12,
        weekend,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use breachscope_simulate::rng::Rng;

    fn noisy(rng: &mut Rng, level: f64) -> u64 {
        (level * (0.8 + 0.4 * rng.f64())) as u64
    }

    #[test]
    fn cusum_catches_a_sustained_3x_shift_within_four_days() {
        let config = ExfilVolume::default();
        let mut rng = Rng::new(1, "test");
        let mut days: Vec<u64> = (0..40).map(|_| noisy(&mut rng, 2e6)).collect();
        days.extend((0..20).map(|_| noisy(&mut rng, 6e6)));
        let fired = cusum_days(&config, &days);
        assert!(
            !fired.iter().any(|&d| d < 40),
            "no alarm before the shift: {fired:?}"
        );
        let first = fired
            .iter()
            .find(|&&d| d >= 40)
            .copied()
            .expect("the shift is caught");
        assert!(
            first - 40 <= 3,
            "caught on day {} of the shift",
            first - 40 + 1
        );
    }

    #[test]
    fn stable_nightly_backup_is_not_flagged() {
        let config = ExfilVolume::default();
        let mut rng = Rng::new(2, "test");
        let mut d = ExfilVolumeDetector::default();
        let host: IpAddr = IpAddr::from([10, 1, 0, 9]);
        let ext: IpAddr = IpAddr::from([52, 219, 68, 120]);
        let mut findings = Vec::new();
        for day in 0..120i64 {
            let bytes = 20_000_000_000 + (rng.f64() * 40e9) as u64;
            findings.extend(d.observe(&config, 28, host, ext, bytes, &pos(day, day % 7 >= 5)));
            findings.extend(d.close_day(&config, 28, day, day % 7 >= 5));
        }
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn burst_reported_within_the_day() {
        let config = ExfilVolume::default();
        let mut rng = Rng::new(3, "test");
        let mut d = ExfilVolumeDetector::default();
        let host: IpAddr = IpAddr::from([10, 1, 1, 10]);
        let web: IpAddr = IpAddr::from([142, 250, 1, 1]);
        let bad: IpAddr = IpAddr::from([203, 0, 113, 99]);
        for day in 0..30i64 {
            for _ in 0..50 {
                assert!(
                    d.observe(
                        &config,
                        28,
                        host,
                        web,
                        noisy(&mut rng, 3000.0),
                        &pos(day, false)
                    )
                    .is_none()
                );
            }
            d.close_day(&config, 28, day, false);
        }
        let f = d
            .observe(&config, 28, host, bad, 400_000_000, &pos(30, false))
            .expect("burst");
        assert_eq!(f.rule, "burst");
        assert_eq!(f.top_external.map(|t| t.0), Some(bad));
        assert!(f.z > 10.0);
    }
}
