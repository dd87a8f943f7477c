//! Beacons slower and noisier than a fixed 24-hour window shows: the beacon detector over a grid
//! of intervals (1 min to 4 h) × jitter (0, ±20 %, ±50 %), on a laptop that sleeps 12 hours a
//! night (every beat then missed), misses one beat in ten while awake, sends 600 bytes ± 50 %,
//! and browses elsewhere while awake. Each cell's time from the first contact to the alert is
//! printed (`cargo test -p breachscope-detect --test beacon_grid -- --nocapture`) and bounded
//! where the scores allow it: within 24 h up to a half-hourly beacon with ±20 % jitter, 48 h
//! with ±50 %, 96 h for an hourly one; slower beacons are printed only. A Poisson process at the
//! same rates (ten seeds each) never alerts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;

use breachscope_detect::beacon::BeaconDetector;
use breachscope_detect::config::Beaconing;
use breachscope_model::Micros;
use breachscope_simulate::rng::Rng;

const S: Micros = 1_000_000;
const HOUR: Micros = 3600 * S;
const DAY: Micros = 24 * HOUR;

/// Awake from 08:00 to 20:00 every day.
fn awake(t: Micros) -> bool {
    let h = t.rem_euclid(DAY) / HOUR;
    (8..20).contains(&h)
}

/// What the host sends over `days`: (time, destination index, bytes, is the beacon).
#[derive(Clone, Copy, PartialEq)]
enum Timing {
    /// Fixed interval with uniform jitter of ± the fraction.
    Jittered(f64),
    /// Exponential gaps (a Poisson process).
    Poisson,
}

fn traffic(interval_s: f64, timing: Timing, days: i64, seed: u64) -> Vec<(Micros, u32, u64, bool)> {
    let mut rng = Rng::new(seed, "beacon-grid");
    let mut out = Vec::new();
    // The beacon, from 08:00 on day 0; beats fall while asleep or one in ten at random.
    let mut t = 8 * HOUR;
    while t < days * DAY {
        if awake(t) && rng.f64() >= 0.1 {
            let bytes = (600.0 * (1.0 + 0.5 * (2.0 * rng.f64() - 1.0))) as u64;
            out.push((t, 0, bytes, true));
        }
        let gap = match timing {
            Timing::Jittered(j) => interval_s * (1.0 + j * (2.0 * rng.f64() - 1.0)),
            Timing::Poisson => -interval_s * (1.0 - rng.f64()).ln(),
        };
        t += (gap.max(1.0) * 1e6) as Micros;
    }
    // Browsing elsewhere while awake: a Poisson process of one connection every 10 minutes.
    let mut t = 0;
    while t < days * DAY {
        t += (-600.0 * (1.0 - rng.f64()).ln() * 1e6) as Micros;
        if awake(t) {
            out.push((t, 1 + (rng.f64() * 50.0) as u32, 2_000, false));
        }
    }
    out.sort_by_key(|e| e.0);
    out
}

/// Hours from the first beat to the first alert, if any, within `days`.
fn recognised(interval_s: f64, timing: Timing, days: i64, seed: u64) -> Option<f64> {
    let config = Beaconing::default();
    let mut d = BeaconDetector::default();
    let host: IpAddr = "10.1.1.10".parse().unwrap();
    let c2: IpAddr = "198.51.100.23".parse().unwrap();
    let events = traffic(interval_s, timing, days, seed);
    let first = events.iter().find(|e| e.3).map(|e| e.0)?;
    for (t, dest, bytes, _) in events {
        let now = t + S;
        d.host_seen(&config, host, now);
        let ext: IpAddr = if dest == 0 {
            c2
        } else {
            IpAddr::from([93, 184, (dest / 250) as u8, (dest % 250) as u8])
        };
        if d.observe(&config, host, ext, t, bytes, now).is_some() && ext == c2 {
            return Some((now - first) as f64 / HOUR as f64);
        }
    }
    None
}

#[test]
fn interval_by_jitter_grid() {
    let intervals = [60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0];
    let jitters = [0.0, 0.2, 0.5];
    eprintln!(
        "interval | jitter 0 | jitter ±20 % | jitter ±50 %  (hours from the first beat to the alert)"
    );
    let mut failures = Vec::new();
    for &interval in &intervals {
        let mut row = format!("{:>6} s", interval);
        for &jitter in &jitters {
            // Where the scores allow it (docs/architecture.md, Detection): up to half-hourly
            // beacons with ±20 % jitter within a day, ±50 % within two; hourly within four days;
            // slower ones are printed, not bounded (few beats a day while the laptop is awake).
            let bound = match (interval, jitter) {
                (i, j) if i <= 1800.0 && j <= 0.2 => 24.0,
                (i, _) if i <= 1800.0 => 48.0,
                (i, _) if i <= 3600.0 => 96.0,
                _ => f64::INFINITY,
            };
            // Three seeds a cell: the slowest counts.
            let hours: Vec<Option<f64>> = (1..=3)
                .map(|seed| recognised(interval, Timing::Jittered(jitter), 7, seed))
                .collect();
            let worst = hours
                .iter()
                .map(|h| h.unwrap_or(f64::INFINITY))
                .fold(0.0, f64::max);
            row.push_str(&format!(
                " | {}",
                if worst.is_finite() {
                    format!("{worst:.1} h")
                } else {
                    "never".into()
                }
            ));
            if worst > bound || (bound.is_finite() && !worst.is_finite()) {
                failures.push(format!(
                    "{interval} s ±{:.0} %: {worst} h > {bound} h",
                    jitter * 100.0
                ));
            }
        }
        eprintln!("{row}");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn poisson_processes_are_not_beacons() {
    for interval in [300.0, 900.0, 1800.0, 3600.0] {
        for seed in 1..=10 {
            assert_eq!(
                recognised(interval, Timing::Poisson, 7, seed),
                None,
                "Poisson at {interval} s, seed {seed}"
            );
        }
    }
}
