//! Streaming detection for breachscope.
//!
//! [`Engine`] consumes [`Event`]s in the order they became observable and raises explainable
//! [`Alert`]s in event time: a detector at time *t* has seen only evidence up to *t*, so a run
//! over evidence cut at *t* raises exactly the alerts of a full run up to *t*. Each detector is
//! one module; [`correlate`] joins alerts into incidents through shared entities and looks back
//! over everything read for each incident's first evidence.
//!
//! Memory is bounded per entity: per (host, external address) pair a beacon window of at most
//! `beaconing.max_connections` timestamps plus fixed counters; per host `baseline_days +
//! guard_days` daily totals; per account 24 + 168 hour counters, its shares, and
//! `baseline_days` hourly maxima. Nothing grows with the number of events.

pub mod admin_share;
pub mod beacon;
pub mod clock;
pub mod config;
pub mod correlate;
pub mod engine;
pub mod exfil_volume;
pub mod history;
pub mod mass_file_read;
pub mod new_destination;
pub mod off_hours;
pub mod stats;
pub mod unusual_share;

use std::net::IpAddr;

use breachscope_model::Micros;

pub use config::DetectConfig;
pub use correlate::{Incident, correlate};
pub use engine::{Detection, Engine};

/// How serious an alert or incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Worth investigating.
    Medium,
    /// Act today.
    High,
    /// Act now.
    Critical,
}

impl Severity {
    /// The report-v1 name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The attack stage a detector's alerts point to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Command and control.
    CommandAndControl,
    /// Collection of data.
    Collection,
    /// Exfiltration.
    Exfiltration,
    /// Lateral movement (administrative shares, remote service control).
    LateralMovement,
    /// Defense evasion (audit logs cleared).
    DefenseEvasion,
}

/// An explainable alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// `ALR-n`, assigned in time order when detection finishes.
    pub id: String,
    /// The detector's name (`beaconing`, `exfil_volume`, …).
    pub detector: &'static str,
    /// Event time at which it fired.
    pub time: Micros,
    /// Severity.
    pub severity: Severity,
    /// 0..1.
    pub score: f64,
    /// Stage.
    pub stage: Stage,
    /// Internal hosts.
    pub hosts: Vec<IpAddr>,
    /// Accounts.
    pub accounts: Vec<String>,
    /// External addresses.
    pub external: Vec<IpAddr>,
    /// Shares.
    pub shares: Vec<String>,
    /// One sentence with the observed value, the baseline and the rule.
    pub summary: String,
}

/// Formats a byte count for summaries (`412 MB`).
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = bytes;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 || v >= 100.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
