//! Beaconing: RITA's beacon score over a sliding window per (internal host, external address).
//!
//! score = ¼·(TS + DS + HIST + DUR), after RITA v5 (`analysis/beacons.go`):
//! * TS — timestamp regularity: mean of (1 − |Bowley skew|) and (median − MAD)/median of the
//!   intervals between connection starts;
//! * DS — size regularity: the same on the bytes sent per connection;
//! * HIST — the span from the pair's first connection in the window to now, split into 24
//!   bins: max of (1 − coefficient of variation of the bin counts) and the bimodal fit of the bin
//!   heights (with at least 11 non-empty bins averaging at least 3 connections);
//! * DUR — the share of those bins with traffic (or the longest run of them), out of 24.
//!
//! RITA scores a fixed dataset window; scoring the span since the pair's first connection in a
//! sliding window is the streaming equivalent, and lets a new beacon be recognised after
//! `min_span_hours` rather than after a whole window.
//!
//! A pair is scored at most once an hour, when it has new connections and at least
//! `min_connections` in the window. Jitter of ±20 % keeps TS near 0.9; a Poisson process of the
//! same rate has TS near 0.5 and HIST near 0.7.

use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::net::IpAddr;

use breachscope_model::Micros;

use crate::config::Beaconing;
use crate::stats::{bowley_skew, mad, median_sorted};

/// The four components and the total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeaconScore {
    /// Timestamp regularity.
    pub ts: f64,
    /// Size regularity.
    pub ds: f64,
    /// Histogram (spread over the window's hours).
    pub hist: f64,
    /// Duration (how long and how continuously).
    pub dur: f64,
    /// Mean of the four.
    pub total: f64,
    /// Median interval in seconds.
    pub median_interval: f64,
    /// Connections scored.
    pub connections: usize,
}

fn regularity(values: &mut [f64], default_mad_score: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let skew_score = 1.0 - bowley_skew(values).abs().min(1.0);
    let m = median_sorted(values);
    let mad_score = if m >= 1.0 {
        ((m - mad(values)) / m).clamp(0.0, 1.0)
    } else {
        default_mad_score
    };
    (skew_score + mad_score) / 2.0
}

/// Scores connections `(start, bytes sent)` sorted by start, within the window ending at `end`.
pub fn beacon_score(conns: &[(Micros, u64)], end: Micros, window: Micros) -> Option<BeaconScore> {
    if conns.len() < 4 {
        return None;
    }
    let mut intervals: Vec<f64> = conns
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) as f64 / 1e6)
        .filter(|&d| d > 0.0)
        .collect();
    if intervals.len() < 3 {
        return None;
    }
    let ts = regularity(&mut intervals, 1.0);
    let median_interval = median_sorted(&intervals);
    let mut sizes: Vec<f64> = conns.iter().map(|c| c.1 as f64).collect();
    let ds = regularity(&mut sizes, 0.0);

    // RITA scores a dataset window that starts at the data's beginning; over a sliding window
    // the equivalent is the span from the pair's first connection in the window.
    let start = conns
        .first()
        .map_or(end - window, |c| c.0.max(end - window));
    let span = (end - start).max(1);
    let mut bins = [0u32; 24];
    for &(t, _) in conns {
        if t >= start {
            let b = (((t - start) as f64 / span as f64) * 24.0).floor() as usize;
            bins[b.min(23)] += 1;
        }
    }
    let total_in_bins: u32 = bins.iter().sum();
    let mean = f64::from(total_in_bins) / 24.0;
    let variance = bins
        .iter()
        .map(|&b| (f64::from(b) - mean).powi(2))
        .sum::<f64>()
        / 24.0;
    let cv = if mean > 0.0 {
        variance.sqrt() / mean
    } else {
        f64::INFINITY
    };
    let cv_score = if cv > 1.0 { 0.0 } else { 1.0 - cv };
    let non_empty: Vec<u32> = bins.iter().copied().filter(|&b| b > 0).collect();
    // The bimodal fit is meaningless on bins of one or two connections (sparse browsing would
    // fit perfectly), so it needs at least three per non-empty bin.
    let dense = !non_empty.is_empty() && f64::from(total_in_bins) / non_empty.len() as f64 >= 3.0;
    let bimodal = if non_empty.len() >= 11 && dense {
        let max = *non_empty.iter().max().unwrap_or(&1);
        let bin_size = ((f64::from(max) * 0.05).ceil() as u32).max(1);
        let mut buckets: FxHashMap<u32, u32> = FxHashMap::default();
        for h in &non_empty {
            *buckets.entry(h / bin_size * bin_size).or_default() += 1;
        }
        let mut counts: Vec<u32> = buckets.into_values().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let top = counts.first().copied().unwrap_or(0) + counts.get(1).copied().unwrap_or(0);
        (f64::from(top) / (non_empty.len() as f64 - 1.0).max(1.0)).min(1.0)
    } else {
        0.0
    };
    let hist = cv_score.max(bimodal);
    // Duration: the share of the span's bins with traffic, or the longest run of them.
    let mut longest = 0u32;
    let mut run = 0u32;
    for &b in &bins {
        if b > 0 {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let dur = (non_empty.len() as f64 / 24.0).max(f64::from(longest) / 24.0);
    let total = (ts + ds + hist + dur) / 4.0;
    Some(BeaconScore {
        ts,
        ds,
        hist,
        dur,
        total,
        median_interval,
        connections: conns.len(),
    })
}

#[derive(Debug, Default)]
struct PairWindow {
    conns: VecDeque<(Micros, u64)>,
    last_scored_hour: i64,
    dirty: bool,
    alerted_at: Option<Micros>,
}

/// Per-pair windows.
#[derive(Debug, Default)]
pub struct BeaconDetector {
    pairs: FxHashMap<(IpAddr, IpAddr), PairWindow>,
}

impl BeaconDetector {
    /// Records a connection from `host` to `external` and, at most once an hour per pair, scores
    /// the pair. Returns the score when it reaches `config.alert_score` and the pair has not
    /// alerted within the window.
    pub fn observe(
        &mut self,
        config: &Beaconing,
        host: IpAddr,
        external: IpAddr,
        start: Micros,
        bytes: u64,
        now: Micros,
    ) -> Option<BeaconScore> {
        let window = i64::from(config.window_hours) * 3_600_000_000;
        let pair = self
            .pairs
            .entry((host, external))
            .or_insert_with(|| PairWindow {
                last_scored_hour: i64::MIN,
                ..PairWindow::default()
            });
        // Keep starts ordered (flows arrive in end order).
        let pos = pair
            .conns
            .iter()
            .rposition(|c| c.0 <= start)
            .map_or(0, |p| p + 1);
        pair.conns.insert(pos, (start, bytes));
        while pair.conns.front().is_some_and(|c| c.0 < now - window)
            || pair.conns.len() > config.max_connections
        {
            pair.conns.pop_front();
        }
        pair.dirty = true;
        let hour = now.div_euclid(3_600_000_000);
        let span = now - pair.conns.front().map_or(now, |c| c.0);
        if hour == pair.last_scored_hour
            || pair.conns.len() < config.min_connections
            || span < i64::from(config.min_span_hours) * 3_600_000_000
        {
            return None;
        }
        pair.last_scored_hour = hour;
        pair.dirty = false;
        let conns: Vec<(Micros, u64)> = pair.conns.iter().copied().collect();
        let score = beacon_score(&conns, now, window)?;
        if score.total >= config.alert_score && pair.alerted_at.is_none_or(|t| now - t >= window) {
            pair.alerted_at = Some(now);
            return Some(score);
        }
        None
    }

    /// Pairs currently tracked (for memory accounting).
    pub fn tracked_pairs(&self) -> usize {
        self.pairs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use breachscope_simulate::rng::Rng;

    fn series(jittered: bool, seed: u64) -> Vec<(Micros, u64)> {
        let mut rng = Rng::new(seed, "test");
        let mut t = 0i64;
        let mut out = Vec::new();
        while t < 86_400_000_000 {
            out.push((t, 500 + (rng.f64() * 200.0) as u64));
            let gap = if jittered {
                300.0 * (1.0 + 0.2 * (2.0 * rng.f64() - 1.0))
            } else {
                -300.0 * (1.0 - rng.f64()).ln()
            };
            t += (gap * 1e6) as i64;
        }
        out
    }

    #[test]
    fn jittered_beacon_found_poisson_not() {
        let day = 86_400_000_000;
        for seed in 1..20 {
            let beacon = beacon_score(&series(true, seed), day, day).unwrap();
            let poisson = beacon_score(&series(false, seed), day, day).unwrap();
            assert!(beacon.total >= 0.9, "beacon {beacon:?}");
            assert!(poisson.total < 0.85, "poisson {poisson:?}");
            assert!((beacon.median_interval - 300.0).abs() < 20.0);
        }
    }

    #[test]
    fn office_hours_browsing_is_not_a_beacon() {
        let mut rng = Rng::new(9, "test");
        let mut conns: Vec<(Micros, u64)> = (0..120)
            .map(|_| {
                (
                    (9.0 * 3600.0 + rng.f64() * 9.0 * 3600.0) as i64 * 1_000_000,
                    (200.0 * (-8.0 * rng.f64().ln()).exp()) as u64,
                )
            })
            .collect();
        conns.sort();
        let s = beacon_score(&conns, 86_400_000_000, 86_400_000_000).unwrap();
        assert!(s.total < 0.7, "{s:?}");
    }

    #[test]
    fn detector_alerts_once_per_window_after_enough_hours() {
        let cfg = Beaconing::default();
        let mut d = BeaconDetector::default();
        let host: IpAddr = "10.0.0.1".parse().unwrap();
        let ext: IpAddr = "198.51.100.23".parse().unwrap();
        let mut alerts = Vec::new();
        for (t, b) in series(true, 3).into_iter().chain(
            series(true, 4)
                .into_iter()
                .map(|(t, b)| (t + 86_400_000_000, b)),
        ) {
            if let Some(s) = d.observe(&cfg, host, ext, t, b, t + 500_000) {
                alerts.push((t, s));
            }
        }
        assert_eq!(alerts.len(), 2, "one alert per 24 h window");
        let first = alerts[0].0 as f64 / 3.6e9;
        assert!((6.0..=12.0).contains(&first), "first alert after {first} h");
    }
}
