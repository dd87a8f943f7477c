//! The scenario file: what company, which period, which intrusion, which traps.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::SimulateError;

/// A department: its share and its staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Short name, also the share name (`sales`).
    pub name: String,
    /// Display name (`営業部`).
    pub label: String,
    /// Number of employees, each with a workstation.
    pub staff: u32,
}

/// The company's size and habits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    /// Departments; the one named `it` holds the administrators.
    pub departments: Vec<Department>,
    /// Distinct external web/SaaS addresses in normal traffic.
    pub external_sites: u32,
    /// Mean outbound web connections per working hour per workstation.
    pub web_connections_per_hour: f64,
    /// Mean files a user reads from the file server per working day.
    pub files_read_per_day: f64,
    /// Files on each department share.
    pub files_per_share: u32,
    /// Rows of a personal-data table, minimum and maximum.
    pub table_rows: [u32; 2],
    /// Share of employees who often work late.
    pub late_worker_share: f64,
}

/// The intrusion, modelled on a months-long file-server theft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intrusion {
    /// Whether there is an intrusion at all (false for the control scenario).
    pub enabled: bool,
    /// Day of the first command-and-control contact.
    pub start: String,
    /// Night of the final large exfiltration (the spike); the intrusion ends after it.
    pub end: String,
    /// Department of the compromised workstation and account.
    pub department: String,
    /// Mean seconds between beacons.
    pub beacon_interval_seconds: u32,
    /// Relative jitter of the beacon interval (0.2 = ±20 %).
    pub beacon_jitter: f64,
    /// Mean nights per week with collection and exfiltration.
    pub nights_per_week: f64,
    /// Files read per night, minimum and maximum.
    pub files_per_night: [u32; 2],
    /// Shares the attacker reads (which the account does not normally use).
    pub target_shares: Vec<String>,
    /// Files read on the final night.
    pub spike_files: u32,
    /// Command-and-control address.
    pub c2: String,
    /// Its DNS name.
    pub c2_domain: String,
    /// Exfiltration address.
    pub exfiltration: String,
    /// Its DNS name.
    pub exfiltration_domain: String,
}

/// Benign behaviours that a naive detector flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traps {
    /// A backup server uploading tens of GB to a cloud address every night.
    pub backup: bool,
    /// A SaaS rollout that makes most hosts talk to a new address.
    pub saas_rollout: bool,
    /// An administrator reading a whole share once in office hours (a migration).
    pub migration: bool,
    /// One user's single large upload in office hours.
    pub large_upload: bool,
    /// A user back from a three-week vacation.
    pub vacation: bool,
    /// A new hire with no history.
    pub new_hire: bool,
    /// File-sync services adopted by the whole company, each at its own pace (the hard preset).
    #[serde(default)]
    pub sync_rollouts: Vec<SyncRollout>,
    /// One day on which every workstation downloads a large software update.
    #[serde(default)]
    pub update_burst: bool,
    /// Halfway through, the nightly backup job moves to another server.
    #[serde(default)]
    pub backup_moved: bool,
    /// Share of the staff who work late every workday (until 22:30–23:30).
    #[serde(default)]
    pub late_every_day_share: f64,
    /// After a reorganisation one department reads another department's share every day.
    #[serde(default)]
    pub reorg: bool,
}

/// A file-sync service the company adopts: each workstation starts uploading to it on a day
/// spread over `ramp_days` from `at` (a fraction of the period), `upload_kb` a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRollout {
    /// When the rollout starts, as a fraction of the period.
    pub at: f64,
    /// Days over which the workstations adopt it.
    pub ramp_days: u32,
    /// Daily upload per workstation, kB (min, max).
    pub upload_kb: [u32; 2],
}

/// A whole scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name (`small`, `full`, `control`, or the user's).
    pub name: String,
    /// Seed of every random choice.
    pub seed: u64,
    /// First simulated day (company time zone).
    pub start: String,
    /// Last simulated day, inclusive.
    pub end: String,
    /// The company's time zone (office hours, log headers, archive folder names).
    pub time_zone: String,
    /// Domain of employees' e-mail addresses.
    pub email_domain: String,
    /// The company.
    pub company: Company,
    /// The intrusion.
    pub intrusion: Intrusion,
    /// The traps.
    pub traps: Traps,
}

/// The presets shipped with breachscope.
pub const PRESETS: &[(&str, &str)] = &[
    ("small", include_str!("../scenarios/small.toml")),
    ("full", include_str!("../scenarios/full.toml")),
    ("control", include_str!("../scenarios/control.toml")),
    ("hard", include_str!("../scenarios/hard.toml")),
];

impl Scenario {
    /// Parses a scenario from TOML text and checks it.
    pub fn from_toml(text: &str) -> Result<Self, SimulateError> {
        let scenario: Scenario =
            toml::from_str(text).map_err(|e| SimulateError::Scenario(e.to_string()))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// One of the presets by name.
    pub fn preset(name: &str) -> Result<Self, SimulateError> {
        let text = PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                SimulateError::Scenario(format!(
                    "no preset '{name}' (presets: small, full, control, hard)"
                ))
            })?;
        Self::from_toml(text)
    }

    /// The scenario as TOML (what `demo` stores beside the evidence).
    pub fn to_toml(&self) -> Result<String, SimulateError> {
        toml::to_string(self).map_err(|e| SimulateError::Scenario(e.to_string()))
    }

    /// The first day.
    pub fn start_date(&self) -> Result<Date, SimulateError> {
        parse_date(&self.start, "start")
    }

    /// The last day.
    pub fn end_date(&self) -> Result<Date, SimulateError> {
        parse_date(&self.end, "end")
    }

    /// The zone.
    pub fn zone(&self) -> Result<jiff::tz::TimeZone, SimulateError> {
        jiff::tz::TimeZone::get(&self.time_zone)
            .map_err(|e| SimulateError::Scenario(format!("time_zone '{}': {e}", self.time_zone)))
    }

    fn validate(&self) -> Result<(), SimulateError> {
        let bad = |m: String| Err(SimulateError::Scenario(m));
        let (start, end) = (self.start_date()?, self.end_date()?);
        if end < start {
            return bad("end is before start".into());
        }
        self.zone()?;
        if self.company.departments.is_empty() {
            return bad("the company has no departments".into());
        }
        for d in &self.company.departments {
            if d.staff == 0
                || d.name.is_empty()
                || !d.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
            {
                return bad(format!(
                    "department '{}' needs a lower-case ASCII name and staff",
                    d.name
                ));
            }
        }
        if self.company.table_rows[0] == 0
            || self.company.table_rows[0] > self.company.table_rows[1]
        {
            return bad("table_rows must be [min, max] with 0 < min <= max".into());
        }
        let i = &self.intrusion;
        if i.enabled {
            let (s, e) = (
                parse_date(&i.start, "intrusion.start")?,
                parse_date(&i.end, "intrusion.end")?,
            );
            if s < start || e > end || e < s {
                return bad("the intrusion must lie within the simulated period".into());
            }
            if !self
                .company
                .departments
                .iter()
                .any(|d| d.name == i.department)
            {
                return bad(format!(
                    "intrusion.department '{}' is not a department",
                    i.department
                ));
            }
            for share in &i.target_shares {
                if !self.company.departments.iter().any(|d| &d.name == share)
                    || *share == i.department
                {
                    return bad(format!(
                        "intrusion target share '{share}' must be another department's share"
                    ));
                }
            }
            if i.files_per_night[0] == 0 || i.files_per_night[0] > i.files_per_night[1] {
                return bad(
                    "intrusion.files_per_night must be [min, max] with 0 < min <= max".into(),
                );
            }
            for addr in [&i.c2, &i.exfiltration] {
                if addr.parse::<std::net::IpAddr>().is_err() {
                    return bad(format!("'{addr}' is not an IP address"));
                }
            }
            if !(0.0..0.9).contains(&i.beacon_jitter) || i.beacon_interval_seconds < 10 {
                return bad("beacon interval must be at least 10 s and jitter below 0.9".into());
            }
        }
        Ok(())
    }
}

fn parse_date(text: &str, field: &str) -> Result<Date, SimulateError> {
    text.parse::<Date>()
        .map_err(|e| SimulateError::Scenario(format!("{field} '{text}' is not a date: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_round_trip() {
        for (name, _) in PRESETS {
            let s = Scenario::preset(name).unwrap();
            assert_eq!(&s.name, name);
            let again = Scenario::from_toml(&s.to_toml().unwrap()).unwrap();
            assert_eq!(s, again);
        }
        assert!(!Scenario::preset("control").unwrap().intrusion.enabled);
        assert!(Scenario::preset("huge").is_err());
    }

    #[test]
    fn rejects_bad_scenarios() {
        let small = include_str!("../scenarios/small.toml");
        for (from, to) in [
            ("end = \"2025-06-30\"", "end = \"2025-03-30\""),
            (
                "target_shares = [\"hr\", \"finance\", \"engineering\"]",
                "target_shares = [\"sales\"]",
            ),
            ("c2 = \"198.51.100.23\"", "c2 = \"not-an-ip\""),
            ("staff = 6 }", "staff = 0 }"),
            ("seed = 1", "seed = 1\nunknown = 2"),
        ] {
            assert!(
                Scenario::from_toml(&small.replacen(from, to, 1)).is_err(),
                "{to}"
            );
        }
    }
}
