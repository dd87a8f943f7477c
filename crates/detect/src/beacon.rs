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
//! Departures from RITA, for beacons that are slower and noisier than a fixed 24-hour dataset
//! shows (measured in `tests/beacon_grid.rs`, documented in docs/architecture.md):
//!
//! * **The window follows the beacon.** Up to an hour's interval the window is `window_hours`
//!   (24 h); a slower beacon is scored over 16 of its intervals, up to `max_window_hours`, and
//!   needs `min_connections_slow` connections instead of `min_connections`.
//! * **Bins hold a few beats.** The histogram's bins are at least three median intervals long
//!   (6 to 24 bins): an hourly beacon in 24 one-hour bins has 0, 1 or 2 connections a bin from
//!   jitter alone, which RITA's coefficient of variation reads as irregular.
//! * **A sleeping host misses beats.** The detector knows when each internal host sent anything
//!   (10-minute slots). Bins in which the host sent nothing at all are left out of HIST and DUR
//!   (a laptop asleep at night is not an irregular beacon), and an interval longer than 1.5 median
//!   intervals that spans such a silence (at least 30 minutes, or half an interval) is a missed
//!   beat, left out of TS. A host that sends nothing but the beacon has no such silences.
//!
//! A pair is scored at most once an hour, when it has new connections and enough of them in the
//! window. Jitter of ±20 % keeps TS near 0.9, ±50 % near 0.85; a Poisson process of the same rate
//! has TS near 0.5 and HIST near 0.7.

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
    /// The window scored, hours.
    pub window_hours: f64,
    /// Intervals left out as beats missed while the host slept.
    pub missed_beats: usize,
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

/// Length of an activity slot.
const SLOT: Micros = 600_000_000;

/// When a host sent anything: its 10-minute slots, increasing.
#[derive(Debug, Default)]
pub struct Awake {
    slots: VecDeque<i64>,
}

impl Awake {
    fn note(&mut self, t: Micros, keep: Micros) {
        let slot = t.div_euclid(SLOT);
        match self.slots.back() {
            // Almost every event: the slot already noted, or the next one.
            Some(&last) if last == slot => {}
            Some(&last) if last > slot => {
                // Out of order (a flow observable before an earlier one): a binary search.
                if let Err(at) = self.slots.binary_search(&slot) {
                    self.slots.insert(at, slot);
                }
            }
            _ => self.slots.push_back(slot),
        }
        let oldest = (t - keep).div_euclid(SLOT);
        while self.slots.front().is_some_and(|&s| s < oldest) {
            self.slots.pop_front();
        }
    }

    /// Whether the host sent anything in `[from, to)`.
    fn any_in(&self, from: Micros, to: Micros) -> bool {
        let (a, b) = (from.div_euclid(SLOT), (to - 1).div_euclid(SLOT));
        let i = self.slots.partition_point(|&s| s < a);
        self.slots.get(i).is_some_and(|&s| s <= b)
    }

    /// Whether the host was silent for at least `stretch` somewhere between `from` and `to`.
    fn silent_between(&self, from: Micros, to: Micros, stretch: Micros) -> bool {
        let slots = (stretch + SLOT - 1).div_euclid(SLOT).max(1);
        let (a, b) = (from.div_euclid(SLOT), to.div_euclid(SLOT));
        let i = self.slots.partition_point(|&s| s <= a);
        let mut previous = a;
        for &s in self.slots.range(i..) {
            if s >= b {
                break;
            }
            if s - previous > slots {
                return true;
            }
            previous = s;
        }
        b - previous > slots
    }
}

/// Scores connections `(start, bytes sent)` sorted by start, within the window ending at `end`;
/// `awake` is when the host sent anything (every bin counts as awake without it).
pub fn beacon_score(
    conns: &[(Micros, u64)],
    end: Micros,
    window: Micros,
    awake: Option<&Awake>,
) -> Option<BeaconScore> {
    if conns.len() < 4 {
        return None;
    }
    let raw: Vec<(Micros, Micros)> = conns
        .windows(2)
        .map(|w| (w[0].0, w[1].0))
        .filter(|(a, b)| b > a)
        .collect();
    let mut raw_seconds: Vec<f64> = raw.iter().map(|(a, b)| (b - a) as f64 / 1e6).collect();
    raw_seconds.sort_by(f64::total_cmp);
    let typical = median_sorted(&raw_seconds);
    // Missed beats: a long interval across a silence of the host.
    let stretch = ((typical / 2.0) * 1e6).max(1_800e6) as Micros;
    let mut intervals: Vec<f64> = raw
        .iter()
        .filter(|(a, b)| {
            let d = (b - a) as f64 / 1e6;
            !(d > 1.5 * typical && awake.is_some_and(|w| w.silent_between(*a, *b, stretch)))
        })
        .map(|(a, b)| (b - a) as f64 / 1e6)
        .collect();
    let missed = raw.len() - intervals.len();
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
    let n_bins = ((span as f64 / (4.0 * median_interval * 1e6)).floor() as usize).clamp(6, 24);
    let mut bins = vec![0u32; n_bins];
    for &(t, _) in conns {
        if t >= start {
            let b = (((t - start) as f64 / span as f64) * n_bins as f64).floor() as usize;
            bins[b.min(n_bins - 1)] += 1;
        }
    }
    // The bins in which the host was awake (sent anything).
    let awake_bins: Vec<u32> = bins
        .iter()
        .enumerate()
        .filter(|&(i, &count)| {
            count > 0
                || awake.is_none_or(|w| {
                    let from = start + (span as f64 * i as f64 / n_bins as f64) as Micros;
                    let to = start + (span as f64 * (i + 1) as f64 / n_bins as f64) as Micros;
                    w.any_in(from, to.max(from + 1))
                })
        })
        .map(|(_, &count)| count)
        .collect();
    let n_awake = awake_bins.len().max(1) as f64;
    let total_in_bins: u32 = awake_bins.iter().sum();
    let mean = f64::from(total_in_bins) / n_awake;
    let variance = awake_bins
        .iter()
        .map(|&b| (f64::from(b) - mean).powi(2))
        .sum::<f64>()
        / n_awake;
    let cv = if mean > 0.0 {
        variance.sqrt() / mean
    } else {
        f64::INFINITY
    };
    let cv_score = if cv > 1.0 { 0.0 } else { 1.0 - cv };
    let non_empty: Vec<u32> = awake_bins.iter().copied().filter(|&b| b > 0).collect();
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
    // Duration: the share of the awake bins with traffic, or the longest run of them.
    let mut longest = 0u32;
    let mut run = 0u32;
    for &b in &awake_bins {
        if b > 0 {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let dur = (non_empty.len() as f64 / n_awake).max(f64::from(longest) / n_awake);
    let total = (ts + ds + hist + dur) / 4.0;
    Some(BeaconScore {
        ts,
        ds,
        hist,
        dur,
        total,
        median_interval,
        connections: conns.len(),
        window_hours: window as f64 / 3.6e9,
        missed_beats: missed,
    })
}

#[derive(Debug, Default)]
struct PairWindow {
    conns: VecDeque<(Micros, u64)>,
    last_scored_hour: i64,
    dirty: bool,
    alerted_at: Option<Micros>,
    /// Whether the last scoring passed.
    passed_last: bool,
}

/// Per-pair windows, and when each host was awake.
#[derive(Debug, Default)]
pub struct BeaconDetector {
    pairs: FxHashMap<(IpAddr, IpAddr), PairWindow>,
    hosts: FxHashMap<IpAddr, Awake>,
}

const HOUR: Micros = 3_600_000_000;

impl BeaconDetector {
    /// Notes that internal `host` sent something at `t` (any flow, query or file access).
    pub fn host_seen(&mut self, config: &Beaconing, host: IpAddr, t: Micros) {
        let keep = i64::from(config.max_window_hours) * HOUR;
        self.hosts.entry(host).or_default().note(t, keep);
    }

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
        let longest = i64::from(config.max_window_hours) * HOUR;
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
        while pair.conns.front().is_some_and(|c| c.0 < now - longest)
            || pair.conns.len() > config.max_connections
        {
            pair.conns.pop_front();
        }
        pair.dirty = true;
        let hour = now.div_euclid(HOUR);
        if hour == pair.last_scored_hour
            || pair.conns.len() < config.min_connections_slow.min(config.min_connections)
        {
            return None;
        }
        // The window follows the beacon: 16 of its intervals, within [window_hours, max].
        let mut gaps: Vec<i64> = pair
            .conns
            .iter()
            .zip(pair.conns.iter().skip(1))
            .map(|(a, b)| b.0 - a.0)
            .filter(|&d| d > 0)
            .collect();
        gaps.sort_unstable();
        let typical = gaps.get(gaps.len() / 2).copied().unwrap_or(0);
        let window = (24 * typical).clamp(i64::from(config.window_hours) * HOUR, longest);
        let min_connections = if typical >= HOUR {
            config.min_connections_slow
        } else {
            config.min_connections
        };
        let conns: Vec<(Micros, u64)> = pair
            .conns
            .iter()
            .copied()
            .filter(|c| c.0 >= now - window)
            .collect();
        let span = now - conns.first().map_or(now, |c| c.0);
        if conns.len() < min_connections || span < i64::from(config.min_span_hours) * HOUR {
            return None;
        }
        pair.last_scored_hour = hour;
        pair.dirty = false;
        let score = beacon_score(&conns, now, window, self.hosts.get(&host))?;
        // Two scorings in a row (an hour apart at least) must pass: a random process crosses
        // the line now and then, a beacon stays above it.
        let passes = score.total >= config.alert_score && score.ts >= config.min_timing_score;
        let twice = passes && pair.passed_last;
        pair.passed_last = passes;
        if twice && pair.alerted_at.is_none_or(|t| now - t >= window) {
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
            let beacon = beacon_score(&series(true, seed), day, day, None).unwrap();
            let poisson = beacon_score(&series(false, seed), day, day, None).unwrap();
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
        let s = beacon_score(&conns, 86_400_000_000, 86_400_000_000, None).unwrap();
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
