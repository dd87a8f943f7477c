//! Detection settings (`--config FILE`, TOML). Every field has a default that works on the demo.

use serde::{Deserialize, Serialize};

/// All settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Internal networks (CIDR); empty = RFC 1918, ULA, loopback, link-local.
    pub internal_networks: Vec<String>,
    /// Zone of office hours and day boundaries (IANA name, `UTC`, a fixed offset such as
    /// `+09:00`, or empty: `--log-tz`, else the zone the evidence's UTC offsets point to, else
    /// the machine's).
    pub time_zone: String,
    /// Days at the start of the evidence during which baselines are learned and nothing alerts.
    pub learning_days: u32,
    /// Days of history an entity needs before it is judged against itself.
    pub entity_history_days: u32,
    /// Trailing days a baseline covers.
    pub baseline_days: u32,
    /// Beaconing.
    pub beaconing: Beaconing,
    /// Daily and hourly volume to external addresses.
    pub exfil_volume: ExfilVolume,
    /// Uploads to addresses new to the host and rare among hosts.
    pub new_external_destination: NewDestination,
    /// Many files read in an hour.
    pub mass_file_read: MassFileRead,
    /// A share the account never used.
    pub unusual_share: UnusualShare,
    /// Reads at hours the account is never active.
    pub off_hours_access: OffHours,
    /// A client's first use of a server's administrative share or service-control pipe.
    pub admin_share_access: AdminShareAccess,
    /// Audit logs cleared (Windows 1102).
    pub log_cleared: LogCleared,
    /// Known endpoints and accounts never alerted on.
    pub allowlist: Allowlist,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            internal_networks: Vec::new(),
            time_zone: String::new(),
            learning_days: 14,
            entity_history_days: 7,
            baseline_days: 28,
            beaconing: Beaconing::default(),
            exfil_volume: ExfilVolume::default(),
            new_external_destination: NewDestination::default(),
            mass_file_read: MassFileRead::default(),
            unusual_share: UnusualShare::default(),
            off_hours_access: OffHours::default(),
            admin_share_access: AdminShareAccess::default(),
            log_cleared: LogCleared::default(),
            allowlist: Allowlist::default(),
        }
    }
}

/// A client's first use of an administrative share (`C$`, `ADMIN$`) or of a service-control
/// pipe over `IPC$`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminShareAccess {
    /// Whether the detector runs.
    pub enabled: bool,
    /// Pipes over `IPC$` that start code on the server (lower-case names).
    pub service_pipes: Vec<String>,
}

impl Default for AdminShareAccess {
    fn default() -> Self {
        AdminShareAccess {
            enabled: true,
            service_pipes: vec!["svcctl".into(), "atsvc".into()],
        }
    }
}

/// Audit logs cleared (anti-forensics). Alerts from the first event on: clearing a security
/// log is never routine enough to learn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogCleared {
    /// Whether the detector runs.
    pub enabled: bool,
}

impl Default for LogCleared {
    fn default() -> Self {
        LogCleared { enabled: true }
    }
}

/// Beaconing (RITA's score over a sliding window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Beaconing {
    /// Window length in hours (24 bins) for beacons of up to an hour; slower ones are scored
    /// over 16 of their intervals, up to `max_window_hours`.
    pub window_hours: u32,
    /// The longest window, hours (a 4-hour beacon needs days to show its rhythm).
    pub max_window_hours: u32,
    /// Minimum connections in the window.
    pub min_connections: usize,
    /// Minimum connections in the window for a beacon whose median interval is an hour or more.
    pub min_connections_slow: usize,
    /// Minimum hours between the pair's first connection in the window and now.
    pub min_span_hours: u32,
    /// Score (0..1) at which an alert is raised.
    pub alert_score: f64,
    /// Timing score (TS) an alert also needs: a beacon is regular in time; regular sizes, busy
    /// hours and a long duration alone (a Poisson process of small requests) are not one.
    pub min_timing_score: f64,
    /// Score at which the alert is high (with a rare destination).
    pub high_score: f64,
    /// Share of the active hosts using a destination from which beaconing to it is fleet-wide
    /// software (update checks, SaaS clients): counted, not alerted.
    pub fleet_share: f64,
    /// Connections kept per pair (a pair with more is a strobe, judged on the newest).
    pub max_connections: usize,
}

impl Default for Beaconing {
    fn default() -> Self {
        Beaconing {
            window_hours: 24,
            max_window_hours: 96,
            min_connections: 12,
            min_connections_slow: 8,
            min_span_hours: 6,
            alert_score: 0.8,
            min_timing_score: 0.75,
            high_score: 0.9,
            fleet_share: 0.5,
            max_connections: 4096,
        }
    }
}

/// Volume to external addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExfilVolume {
    /// Robust z-score of `log1p(daily bytes)` that alerts.
    pub z: f64,
    /// Minimum bytes in a day (or an hour) for an alert.
    pub min_bytes: u64,
    /// CUSUM allowance k (in z units).
    pub cusum_k: f64,
    /// CUSUM decision threshold h.
    pub cusum_h: f64,
    /// Days at the end of the baseline window left out of it (so a sustained shift stays
    /// visible instead of becoming the baseline).
    pub guard_days: u32,
    /// Below this many bytes in the day, a volume alert is at most low (a z-score on a few
    /// hundred kilobytes is not worth a person's attention on its own) — unless its top
    /// destination is one almost no other host uses (low-and-slow exfiltration).
    pub medium_min_bytes: u64,
    /// A destination at least this share of the active hosts used (30 days) is the fleet's.
    pub fleet_share: f64,
    /// A host sending at most this many times the median of the hosts that sent to the fleet's
    /// destination that day is part of an adoption (at most low); more is its own departure.
    pub fleet_factor: f64,
}

impl Default for ExfilVolume {
    fn default() -> Self {
        ExfilVolume {
            z: 4.0,
            min_bytes: 1 << 20,
            cusum_k: 1.0,
            cusum_h: 6.0,
            guard_days: 7,
            medium_min_bytes: 5_000_000,
            fleet_share: 0.25,
            fleet_factor: 10.0,
        }
    }
}

/// Uploads to a new, rare address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewDestination {
    /// Bytes uploaded to the address (within `new_days` of first contact) that alert.
    pub min_upload_bytes: u64,
    /// Days after its first contact during which an address counts as new to the host.
    pub new_days: u32,
    /// Minimum ratio of bytes out to bytes in.
    pub min_out_in_ratio: f64,
    /// Share of active internal hosts that may use the address before it is common.
    pub max_prevalence: f64,
    /// Days an address stays known to a host and counts in prevalence.
    pub prevalence_days: u32,
}

impl Default for NewDestination {
    fn default() -> Self {
        NewDestination {
            min_upload_bytes: 256 * 1024,
            new_days: 14,
            min_out_in_ratio: 1.0,
            max_prevalence: 0.02,
            prevalence_days: 30,
        }
    }
}

/// Many files read in an hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MassFileRead {
    /// Minimum distinct files in an hour.
    pub min_files: u32,
    /// Multiple of the account's (or its peers') largest hourly count.
    pub factor: f64,
}

impl Default for MassFileRead {
    fn default() -> Self {
        MassFileRead {
            min_files: 20,
            factor: 3.0,
        }
    }
}

/// A share the account never used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UnusualShare {
    /// A share used by at least this share of active accounts is common (never unusual).
    pub common_share_prevalence: f64,
}

impl Default for UnusualShare {
    fn default() -> Self {
        UnusualShare {
            common_share_prevalence: 0.25,
        }
    }
}

/// Reads at unusual hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OffHours {
    /// Days with activity the account needs before it is judged.
    pub min_active_days: u32,
    /// An hour is usual when the account was active in it on at least this share of its active
    /// days (and at least twice).
    pub usual_share_of_days: f64,
    /// Hours between a read and the nearest usual hour that make it off hours.
    pub min_gap_hours: u32,
}

impl Default for OffHours {
    fn default() -> Self {
        OffHours {
            min_active_days: 15,
            usual_share_of_days: 0.05,
            min_gap_hours: 3,
        }
    }
}

/// Known endpoints and accounts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Allowlist {
    /// External addresses or CIDR blocks (backup targets, SaaS).
    pub external: Vec<String>,
    /// Internal hosts (addresses or CIDR blocks) whose traffic is not judged.
    pub hosts: Vec<String>,
    /// Accounts (normalised) whose file access is not judged.
    pub accounts: Vec<String>,
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// TOML syntax or an unknown key.
    #[error("{0}")]
    Toml(String),
    /// A bad value.
    #[error("{0}")]
    Value(String),
}

impl DetectConfig {
    /// Parses a TOML configuration.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: DetectConfig =
            toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        if config.beaconing.window_hours == 0 || config.baseline_days == 0 {
            return Err(ConfigError::Value(
                "window_hours and baseline_days must be positive".into(),
            ));
        }
        if config.beaconing.max_window_hours < config.beaconing.window_hours {
            return Err(ConfigError::Value(
                "beaconing.max_window_hours must be at least window_hours".into(),
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_defaults_are_the_defaults() {
        let doc = include_str!("../../../docs/configuration.md");
        let block = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("docs/configuration.md has a toml block");
        let documented = DetectConfig::from_toml(block).expect("the documented file parses");
        assert_eq!(documented, DetectConfig::default());
    }

    #[test]
    fn parses_partial_config() {
        let c = DetectConfig::from_toml("learning_days = 3\n[beaconing]\nalert_score = 0.8\n[allowlist]\nexternal = [\"52.219.0.0/16\"]\n").unwrap();
        assert_eq!(c.learning_days, 3);
        assert_eq!(c.beaconing.alert_score, 0.8);
        assert_eq!(c.beaconing.window_hours, 24);
        assert_eq!(c.allowlist.external.len(), 1);
        assert!(DetectConfig::from_toml("nonsense = 1").is_err());
        assert!(DetectConfig::from_toml("[beaconing]\nwindow_hours = 0").is_err());
    }
}
