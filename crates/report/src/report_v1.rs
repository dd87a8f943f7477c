//! The `report.json` contract, version 1 (`docs/spec/report-v1.md`): types only, no findings are
//! computed here. Times are RFC 3339 UTC strings with `Z`; byte counts are integers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always 1.
    pub schema_version: u32,
    /// `{ "name": "breachscope", "version": … }`.
    pub tool: Tool,
    /// When the report was written.
    pub generated_at: String,
    /// Every evidence file read.
    pub inputs: Vec<Input>,
    /// Earliest and latest event seen.
    pub time_range: TimeRange,
    /// Incidents, highest score first.
    pub incidents: Vec<Incident>,
    /// Every alert, in time order.
    pub alerts: Vec<Alert>,
    /// The breach-notification assessment.
    pub notification: Notification,
    /// The assumptions the analysis ran on (optional in the contract; `investigate` always
    /// writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
}

/// The assumptions the analysis ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The office's zone: office hours, day boundaries, and the times shown in `report.html`
    /// (an IANA name such as `Asia/Tokyo`, `UTC`, or a fixed offset such as `+09:00`).
    pub office_time_zone: String,
    /// Where that zone came from.
    pub office_time_zone_source: ZoneSource,
    /// The internal networks (CIDR) the analysis used.
    pub internal_networks: Vec<String>,
}

/// Where the office zone came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZoneSource {
    /// `--log-tz` on the command line.
    Flag,
    /// `time_zone` in the configuration file.
    Config,
    /// Inferred from the UTC offsets the evidence states.
    Evidence,
    /// The machine's zone (nothing else said which).
    Machine,
}

impl ZoneSource {
    /// The contract's name (`flag`, `config`, `evidence`, `machine`).
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneSource::Flag => "flag",
            ZoneSource::Config => "config",
            ZoneSource::Evidence => "evidence",
            ZoneSource::Machine => "machine",
        }
    }
}

/// The tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// `breachscope`.
    pub name: String,
    /// Version.
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "breachscope".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// An evidence file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// As given or found.
    pub path: String,
    /// `zeek_conn`, `zeek_dns`, `samba_audit`, …
    pub kind: String,
    /// SHA-256 of the bytes as read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Records accepted.
    pub records: u64,
    /// Records rejected.
    pub rejected: u64,
}

impl Input {
    /// The report's `kind` for a reader's kind: report-v1 names evidence by its family
    /// (`zeek_conn`, `zeek_dns`, `zeek_smb_files`, `netflow`, `pcap`, `evtx`, `samba_audit`).
    /// Zeek's three SMB logs are `zeek_smb_files`; nfdump archives and the firewall and proxy
    /// logs, which hold one summary per session as NetFlow does, are `netflow`; Samba's
    /// authentication records are part of its audit. `None` for files no reader used (Zeek logs
    /// of other kinds).
    pub fn contract_kind(reader_kind: &str) -> Option<&'static str> {
        Some(match reader_kind {
            "zeek_conn" => "zeek_conn",
            "zeek_dns" => "zeek_dns",
            "zeek_smb_files" | "zeek_smb_mapping" | "zeek_ntlm" => "zeek_smb_files",
            "netflow" | "nfcapd" | "panos_traffic" | "fortigate_traffic" | "cisco_asa"
            | "squid_access" => "netflow",
            "pcap" => "pcap",
            "windows_evtx" | "evtx" => "evtx",
            "samba_audit" | "samba_auth" => "samba_audit",
            _ => return None,
        })
    }
}

/// Earliest and latest event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Earliest.
    pub start: String,
    /// Latest.
    pub end: String,
}

/// An internal host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// Address.
    pub ip: String,
    /// Names.
    pub names: Vec<String>,
}

/// An external address of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalEndpoint {
    /// Address.
    pub ip: String,
    /// Bytes from the incident's hosts.
    pub bytes_out: u64,
    /// Bytes to them.
    pub bytes_in: u64,
    /// Connections.
    pub connections: u64,
    /// First contact.
    pub first_seen: String,
    /// Last contact.
    pub last_seen: String,
    /// `command_and_control`, `exfiltration`, `staging`, `scanning`.
    pub roles: Vec<String>,
}

/// A file's classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// Category → distinct values.
    pub categories: BTreeMap<String, u64>,
    /// Rows (or records) with personal data.
    pub records_with_personal_data: u64,
    /// Labels.
    pub labels: Vec<String>,
    /// Text encoding.
    pub encoding: String,
    /// Format.
    pub format: String,
    /// What kind of content (`source_code`, `cad`, `firmware`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The language of source code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Confidentiality and export-control markings, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markings: Vec<String>,
}

/// A company whose information is in an incident's files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusinessPartner {
    /// The 13-digit Corporate Number (a public identifier, in clear).
    pub corporate_number: String,
    /// The company's name found beside it.
    pub name: Option<String>,
    /// Files holding it.
    pub files: u64,
    /// Table rows holding it (a document counts as one).
    pub records: u64,
}

/// Technical information read, per project directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Technology {
    /// Share.
    pub share: String,
    /// Share-relative directory of the project.
    pub directory: String,
    /// Kind → files.
    pub kinds: BTreeMap<String, u64>,
    /// Files.
    pub files: u64,
    /// Bytes.
    pub bytes: u64,
    /// Markings found in its files.
    pub markings: Vec<String>,
}

/// A file of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentFile {
    /// Share.
    pub share: String,
    /// Path relative to the share root.
    pub path: String,
    /// First read.
    pub first_access: String,
    /// Last read.
    pub last_access: String,
    /// Read opens.
    pub reads: u64,
    /// Size of the share copy.
    pub size: Option<u64>,
    /// SHA-256 of the share copy.
    pub sha256: Option<String>,
    /// Classification, null when the file was not available.
    pub classification: Option<Classification>,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// `INC-n`.
    pub id: String,
    /// `critical`, `high`, `medium`, `low`.
    pub severity: String,
    /// 0..1.
    pub score: f64,
    /// One line.
    pub title: String,
    /// Estimated start.
    pub first_evidence: String,
    /// Earliest alert.
    pub first_alert: String,
    /// Latest activity.
    pub last_activity: String,
    /// Internal hosts.
    pub hosts: Vec<Host>,
    /// Accounts.
    pub accounts: Vec<String>,
    /// External addresses.
    pub external_endpoints: Vec<ExternalEndpoint>,
    /// Bytes to the exfiltration endpoints.
    pub bytes_exfiltrated: u64,
    /// Files read.
    pub files: Vec<IncidentFile>,
    /// Category → distinct values across `files`.
    pub personal_data: BTreeMap<String, u64>,
    /// Estimated people.
    pub data_subjects_estimate: u64,
    /// The companies whose information is in `files`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_partners: Option<Vec<BusinessPartner>>,
    /// Technical information read, by project directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technology: Option<Vec<Technology>>,
    /// Alerts.
    pub alert_ids: Vec<String>,
}

/// Entities an alert names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entities {
    /// Internal hosts.
    pub hosts: Vec<String>,
    /// Accounts.
    pub accounts: Vec<String>,
    /// External addresses.
    pub external: Vec<String>,
    /// Shares.
    pub shares: Vec<String>,
}

/// An alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// `ALR-n`.
    pub id: String,
    /// Detector.
    pub detector: String,
    /// When it fired (event time).
    pub time: String,
    /// Severity.
    pub severity: String,
    /// 0..1.
    pub score: f64,
    /// Entities.
    pub entities: Entities,
    /// Observed vs baseline, in one sentence.
    pub summary: String,
}

/// A notification deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deadline {
    /// `APPI-preliminary`, `APPI-final`, `GDPR-72h`.
    pub regime: String,
    /// Due.
    pub due: String,
}

/// The notification assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Whether personal data was involved.
    pub personal_data_involved: bool,
    /// Estimated people.
    pub data_subjects_estimate: u64,
    /// Whether APPI requires a report.
    pub appi_reportable: bool,
    /// Why.
    pub appi_reasons: Vec<String>,
    /// Whether GDPR Art. 33 applies.
    pub gdpr_article_33: bool,
    /// Deadlines.
    pub deadlines: Vec<Deadline>,
    /// When the investigation found it.
    pub detected_at: String,
}
