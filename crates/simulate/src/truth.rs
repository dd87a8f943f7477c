//! `truth.json`: what the simulation wrote, as the answer key for tests and the demo.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The simulated period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Period {
    /// First instant (start of the first day, company zone), RFC 3339 UTC.
    pub start: String,
    /// End of the last day.
    pub end: String,
}

/// Where each kind of evidence was written, relative to the demo directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// The zeekctl archive.
    pub zeek: String,
    /// The rsyslog files of the file server's audit records.
    pub samba: String,
    /// Copies of the shares, one folder per share.
    pub shares: String,
    /// The file server's name.
    pub file_server: String,
    /// Share name → root on the file server.
    pub share_roots: BTreeMap<String, String>,
}

/// A host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostTruth {
    /// Address.
    pub ip: String,
    /// Name.
    pub name: String,
}

/// A file of the incident as report-v1 defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentFileTruth {
    /// Share.
    pub share: String,
    /// Path relative to the share root.
    pub path: String,
    /// First read in the window.
    pub first_access: String,
    /// Last read in the window.
    pub last_access: String,
    /// Read opens in the window.
    pub reads: u64,
}

/// The intrusion as it appears in the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntrusionTruth {
    /// The compromised workstation.
    pub host: HostTruth,
    /// The compromised account.
    pub account: String,
    /// Command-and-control address.
    pub c2: String,
    /// Its DNS name.
    pub c2_domain: String,
    /// Exfiltration address.
    pub exfiltration: String,
    /// Its DNS name.
    pub exfiltration_domain: String,
    /// First attacker event (first C2 connection), RFC 3339 UTC.
    pub first_event: String,
    /// Start of the final large upload.
    pub spike: String,
    /// Last attacker event (end of the last C2 or exfiltration connection).
    pub end: String,
    /// The same three instants in microseconds since the epoch.
    pub first_event_us: i64,
    /// Spike in microseconds.
    pub spike_us: i64,
    /// End in microseconds.
    pub end_us: i64,
    /// Files read by the account (any host) or from the host (any account) between the first
    /// attacker event and the end.
    pub files: Vec<IncidentFileTruth>,
    /// Category → distinct normalised values over those files.
    pub personal_data: BTreeMap<String, u64>,
    /// The companies whose Corporate Numbers those files hold, by number.
    #[serde(default)]
    pub business_partners: Vec<PartnerTruth>,
    /// The technical information among those files, by share and project directory.
    #[serde(default)]
    pub technology: Vec<TechnologyTruth>,
    /// Payload bytes sent to the exfiltration address.
    pub bytes_exfiltrated: u64,
    /// Connections to the C2 address.
    pub c2_connections: u64,
    /// Nights with collection (including the spike night).
    pub collection_nights: u64,
}

/// A business partner in the incident's files (report-v1 `business_partners`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartnerTruth {
    /// Corporate Number.
    pub corporate_number: String,
    /// The name written beside it.
    pub name: Option<String>,
    /// Files holding it.
    pub files: u64,
    /// Table rows holding it (a document counts as one).
    pub records: u64,
}

/// Technical information read from one project (report-v1 `technology`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechnologyTruth {
    /// Share.
    pub share: String,
    /// Project directory.
    pub directory: String,
    /// Kind → files.
    pub kinds: BTreeMap<String, u64>,
    /// Files.
    pub files: u64,
    /// Bytes.
    pub bytes: u64,
    /// Markings, in the order the files were listed.
    pub markings: Vec<String>,
}

/// A benign trap and its entities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrapTruth {
    /// `backup`, `saas_rollout`, `migration`, `large_upload`, `vacation`, `new_hire`, and the
    /// hard preset's `sync_rollout`, `update_burst`, `backup_moved`, `late_every_day`, `reorg`.
    pub kind: String,
    /// Internal hosts (IPs).
    pub hosts: Vec<String>,
    /// Accounts.
    pub accounts: Vec<String>,
    /// External addresses.
    pub external: Vec<String>,
    /// Shares.
    pub shares: Vec<String>,
    /// When it starts (RFC 3339 UTC).
    pub start: String,
    /// When it ends.
    pub end: String,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// conn.log records.
    pub conn_rows: u64,
    /// dns.log records.
    pub dns_rows: u64,
    /// Audit records.
    pub audit_lines: u64,
    /// Files on the shares.
    pub share_files: u64,
    /// Bytes on the shares.
    pub share_bytes: u64,
}

/// The whole answer key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// Version of this file's layout.
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Company zone.
    pub time_zone: String,
    /// Simulated period.
    pub period: Period,
    /// Where things are.
    pub layout: Layout,
    /// Employees (accounts).
    pub accounts: Vec<String>,
    /// The internal network.
    pub internal_networks: Vec<String>,
    /// The intrusion, absent in the control scenario.
    pub intrusion: Option<IntrusionTruth>,
    /// The traps.
    pub traps: Vec<TrapTruth>,
    /// What was written.
    pub counts: Counts,
}
