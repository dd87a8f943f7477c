//! Replays a generated scenario into a running `breachscope watch` (as the watch tests do, for
//! every day of the scenario) and prints what a person would have received: the number of
//! incidents pushed (high and above), alert and incident lines, latency from a day's evidence
//! written to its alert lines, the watch's peak memory. Used by `scripts/bench-watch.sh`.
//!
//! ```text
//! cargo run --release --example watch_replay -- BINARY DEMO_DIR WORK_DIR [ARCHIVED_DAYS] [INTERVAL]
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/replay/mod.rs"]
mod replay;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use replay::{Live, load_days, status_cycle, wait_cycles};
use serde_json::Value;

fn micros(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_microsecond())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: watch_replay BINARY DEMO_DIR WORK_DIR [ARCHIVED_DAYS] [INTERVAL]");
        std::process::exit(2);
    }
    let binary = PathBuf::from(&args[1]);
    let demo = PathBuf::from(&args[2]);
    let work = PathBuf::from(&args[3]);
    let archived: usize = args.get(4).map_or(30, |a| a.parse().unwrap());
    let interval = args.get(5).cloned().unwrap_or_else(|| "0.25".into());
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let (days, headers) = load_days(&demo);
    let mut live = Live::new(&work.join("evidence"), headers);
    for (i, day) in days.iter().enumerate().take(archived) {
        live.write_day(day, i, &mut || {});
    }
    let status = work.join("status.json");
    let alerts = work.join("alerts.jsonl");
    let stderr = std::fs::File::create(work.join("watch.stderr")).unwrap();
    let started = Instant::now();
    let mut child = Command::new(&binary)
        .arg("watch")
        .args(["--store", work.join("store").to_str().unwrap()])
        .args(["--zeek-dir", live.zeek.to_str().unwrap()])
        .args(["--samba-audit", live.audit.to_str().unwrap()])
        .args(["--log-tz", "Asia/Tokyo"])
        .args(["--alerts", alerts.to_str().unwrap()])
        .args(["--status", status.to_str().unwrap()])
        .args(["--interval", &interval])
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let timeout = Duration::from_secs(600);
    wait_cycles(&status, 0, 1, timeout);
    let caught_up = started.elapsed();
    let mut written: Vec<(SystemTime, i64)> = Vec::new();
    let live_start = Instant::now();
    for (i, day) in days.iter().enumerate().skip(archived) {
        live.write_day(day, i, &mut || {
            let c = status_cycle(&status);
            wait_cycles(&status, c, 2, timeout);
        });
        written.push((SystemTime::now(), day.max_time_us));
        let c = status_cycle(&status);
        wait_cycles(&status, c, 2, timeout);
    }
    let live_time = live_start.elapsed();
    let peak_kib = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let exit = child.wait().unwrap();
    let lines: Vec<Value> = std::fs::read_to_string(&alerts)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let kind = |k: &str| lines.iter().filter(|l| l["kind"] == k).count();
    let pushed: Vec<&Value> = lines
        .iter()
        .filter(|l| l["kind"] == "incident")
        .filter(|l| l["severity"] == "high" || l["severity"] == "critical")
        .collect();
    let mut latencies: Vec<f64> = lines
        .iter()
        .filter_map(|l| {
            let t = micros(l["time"].as_str()?);
            let (w, _) = written.iter().find(|(_, max)| *max >= t)?;
            let w = w.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_micros() as i64;
            Some((micros(l["notified_at"].as_str()?) - w) as f64 / 1e6)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "days: {} ({} archived before the start, {} live)",
        days.len(),
        archived,
        days.len() - archived
    );
    println!("watch exit: {exit}");
    println!(
        "caught up (ingest of the archive and replay of the lake): {:.1} s",
        caught_up.as_secs_f64()
    );
    println!(
        "live days written and watched: {:.1} s",
        live_time.as_secs_f64()
    );
    println!(
        "alert lines: {}; incident lines: {}",
        kind("alert"),
        kind("incident")
    );
    println!("incidents pushed (high and above): {}", pushed.len());
    for p in &pushed {
        println!(
            "  {} {} {} at {} (event time): {}",
            p["key"].as_str().unwrap_or(""),
            p["change"].as_str().unwrap_or(""),
            p["severity"].as_str().unwrap_or(""),
            p["time"].as_str().unwrap_or(""),
            p["title"].as_str().unwrap_or("")
        );
    }
    println!(
        "latency from a day's evidence written to its lines (live days): median {:.2} s, max {:.2} s ({} lines)",
        at(0.5),
        at(1.0),
        latencies.len()
    );
    println!("watch peak resident memory: {} MiB", peak_kib / 1024);
}
