//! Zeek logs: `conn.log`, `dns.log` and the SMB logs (`smb_files.log`, `smb_mapping.log`,
//! `ntlm.log`, see [`smb`]), as TSV or JSON lines.
//!
//! [`ZeekParser`] accepts both encodings in one stream: `#`-lines are TSV headers, lines starting
//! with `{` are JSON records, other lines are TSV data interpreted by the most recent `#fields`
//! header. Several header blocks in one file (concatenated logs) are honoured, each with its own
//! `#separator`, `#fields` and `#path`. Other logs (`http`, `ssl`, …) are skipped and counted as
//! such.

mod json;
pub mod smb;
mod tsv;

use breachscope_model::{DnsQuery, Event, Flow, Micros, Transport};

use crate::record::{LineOutcome, LineParser};

pub use tsv::TsvHeader;

/// Which Zeek log a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogPath {
    /// `conn.log`.
    Conn,
    /// `dns.log`.
    Dns,
    /// `smb_files.log`.
    SmbFiles,
    /// `smb_mapping.log`.
    SmbMapping,
    /// `ntlm.log`.
    Ntlm,
    /// Any other log; its records are skipped.
    Other,
}

impl LogPath {
    /// The log a `#path` (or JSON `_path`) names.
    pub fn from_name(name: &str) -> LogPath {
        match name {
            "conn" => LogPath::Conn,
            "dns" => LogPath::Dns,
            "smb_files" => LogPath::SmbFiles,
            "smb_mapping" => LogPath::SmbMapping,
            "ntlm" => LogPath::Ntlm,
            _ => LogPath::Other,
        }
    }

    /// Whether it is one of the SMB logs (read by [`smb`]).
    pub fn is_smb(self) -> bool {
        matches!(
            self,
            LogPath::SmbFiles | LogPath::SmbMapping | LogPath::Ntlm
        )
    }
}

/// The Zeek logs breachscope reads, by `#path` name.
pub const READ_LOGS: [&str; 5] = ["conn", "dns", "smb_files", "smb_mapping", "ntlm"];

/// Whether a file's name is one of the logs breachscope reads, as Zeek and zeekctl name them
/// (`conn.log`, `dns.12:00:00-13:00:00.log.gz`, `smb_files.log`).
pub fn is_read_log_name(name: &str) -> bool {
    READ_LOGS.iter().any(|log| {
        name.strip_prefix(log)
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// Orders Zeek files for one reader: within each directory (directories kept in the given
/// order), by the rest of the name after the log's (zeekctl's `HH:MM:SS-HH:MM:SS.log.gz`: by
/// hour), and for the same hour `ntlm` first, then `smb_mapping`, then the others. SMB file
/// records then find their connection's account and share, learned from the earlier files,
/// and the files of one hour stay together (the merge's reorder window is an hour).
pub fn read_order(paths: &mut [std::path::PathBuf]) {
    let rank = |p: &std::path::PathBuf| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let (log, rest) = name.split_once('.').unwrap_or((name, ""));
        let rank = match log {
            "ntlm" => 0,
            "smb_mapping" => 1,
            _ => 2,
        };
        (rest.to_owned(), rank)
    };
    let mut start = 0;
    while start < paths.len() {
        let parent = paths[start].parent().map(std::path::Path::to_path_buf);
        let mut end = start + 1;
        while end < paths.len() && paths[end].parent().map(std::path::Path::to_path_buf) == parent {
            end += 1;
        }
        paths[start..end].sort_by_key(rank);
        start = end;
    }
}

/// Line parser for Zeek conn and dns logs (TSV or JSON).
#[derive(Debug, Default)]
pub struct ZeekParser {
    header: Option<TsvHeader>,
    pending: tsv::PendingHeader,
    first_kind: Option<LogPath>,
    other_records: u64,
    redacted_times: u64,
    /// What the SMB logs said about connections; kept from one file to the next.
    smb: smb::SmbSessions,
}

impl ZeekParser {
    /// A parser with no header seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records skipped because they belong to a log other than conn or dns.
    pub fn other_log_records(&self) -> u64 {
        self.other_records
    }

    fn note_kind(&mut self, path: LogPath) {
        if self.first_kind.is_none() && path != LogPath::Other {
            self.first_kind = Some(path);
        }
    }
}

impl LineParser for ZeekParser {
    fn begin_file(&mut self, _mtime: Option<std::time::SystemTime>) {
        let smb = std::mem::take(&mut self.smb);
        *self = ZeekParser {
            smb,
            ..ZeekParser::default()
        };
    }

    fn parse_line(&mut self, line: &str, _line_no: u64) -> LineOutcome {
        let bytes = line.as_bytes();
        match bytes.first() {
            None => LineOutcome::Skipped,
            Some(b'#') => {
                if let Some(header) = self.pending.feed(line) {
                    self.note_kind(header.path());
                    self.header = Some(header);
                }
                LineOutcome::Skipped
            }
            Some(b'{') => match json::parse(line, &mut self.smb) {
                Ok(Some((path, event, redacted))) => {
                    self.redacted_times += u64::from(redacted);
                    self.note_kind(path);
                    LineOutcome::Event(Box::new(event))
                }
                Ok(None) => {
                    self.other_records += 1;
                    LineOutcome::Skipped
                }
                Err(reason) => LineOutcome::Rejected(reason),
            },
            Some(_) => {
                if line.trim().is_empty() {
                    return LineOutcome::Skipped;
                }
                match &self.header {
                    None => LineOutcome::Rejected(
                        "data line before any #fields header (not a Zeek TSV log?)".into(),
                    ),
                    Some(header) => match header.path() {
                        LogPath::Other => {
                            self.other_records += 1;
                            LineOutcome::Skipped
                        }
                        path if path.is_smb() => {
                            match header
                                .fields(line)
                                .and_then(|f| smb::parse(path, &f, &mut self.smb))
                            {
                                Ok((event, redacted)) => {
                                    self.redacted_times += u64::from(redacted);
                                    LineOutcome::Event(Box::new(event))
                                }
                                Err(reason) => LineOutcome::Rejected(reason),
                            }
                        }
                        _ => match header.parse(line) {
                            Ok((event, redacted)) => {
                                self.redacted_times += u64::from(redacted);
                                LineOutcome::Event(Box::new(event))
                            }
                            Err(reason) => LineOutcome::Rejected(reason),
                        },
                    },
                }
            }
        }
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.redacted_times > 0 {
            notes.push(format!(
                "{} records have redacted timestamps (digits replaced by X); their time is set to 1970-01-01T00:00:00Z",
                self.redacted_times
            ));
        }
        if self.other_records > 0 {
            notes.push(format!(
                "{} records of Zeek logs other than conn, dns, smb_files, smb_mapping and ntlm were skipped",
                self.other_records
            ));
        }
        notes.extend(self.smb.notes());
        notes
    }

    fn kind(&self) -> &'static str {
        match self.first_kind {
            Some(LogPath::Dns) => "zeek_dns",
            Some(LogPath::Conn) => "zeek_conn",
            Some(LogPath::SmbFiles) => "zeek_smb_files",
            Some(LogPath::SmbMapping) => "zeek_smb_mapping",
            Some(LogPath::Ntlm) => "zeek_ntlm",
            _ => "zeek_other",
        }
    }
}

/// The fields of a conn or dns record, gathered from TSV columns or JSON keys before validation.
#[derive(Debug, Default)]
pub(crate) struct RawRecord<'a> {
    pub ts: Option<Micros>,
    pub uid: Option<&'a str>,
    pub orig_h: Option<&'a str>,
    pub orig_p: Option<u64>,
    pub resp_h: Option<&'a str>,
    pub resp_p: Option<u64>,
    pub proto: Option<&'a str>,
    pub service: Option<&'a str>,
    pub duration: Option<Micros>,
    pub orig_bytes: Option<u64>,
    pub resp_bytes: Option<u64>,
    pub conn_state: Option<&'a str>,
    pub local_orig: Option<bool>,
    pub local_resp: Option<bool>,
    pub missed_bytes: Option<u64>,
    pub history: Option<&'a str>,
    pub orig_pkts: Option<u64>,
    pub orig_ip_bytes: Option<u64>,
    pub resp_pkts: Option<u64>,
    pub resp_ip_bytes: Option<u64>,
    pub ip_proto: Option<u64>,
    pub query: Option<String>,
    pub qtype_name: Option<&'a str>,
    pub rcode_name: Option<&'a str>,
    pub rtt: Option<Micros>,
    pub answers: Vec<String>,
}

fn require_ip(value: Option<&str>, field: &str) -> Result<std::net::IpAddr, String> {
    let text = value.ok_or_else(|| format!("missing {field}"))?;
    breachscope_model::net::parse_ip(text).ok_or_else(|| format!("{field} is not an IP address"))
}

fn port(value: Option<u64>, field: &str) -> Result<u16, String> {
    match value {
        None => Ok(0),
        Some(p) => u16::try_from(p).map_err(|_| format!("{field} {p} is out of range")),
    }
}

fn transport(proto: Option<&str>, ip_proto: Option<u64>) -> Transport {
    match proto.map(Transport::from_name) {
        Some(t) if t != Transport::Unknown => t,
        _ => match ip_proto.and_then(|n| u8::try_from(n).ok()) {
            Some(6) => Transport::Tcp,
            Some(17) => Transport::Udp,
            Some(1 | 58) => Transport::Icmp,
            Some(n) => Transport::Other(n),
            None => Transport::Unknown,
        },
    }
}

impl RawRecord<'_> {
    pub(crate) fn into_flow(self) -> Result<Event, String> {
        let start = self.ts.ok_or("missing ts")?;
        if let Some(d) = self.duration
            && d < 0
        {
            return Err("duration is negative".into());
        }
        Ok(Event::Flow(Flow {
            start,
            duration: self.duration,
            uid: self.uid.map(str::to_owned),
            src_ip: require_ip(self.orig_h, "id.orig_h")?,
            src_port: port(self.orig_p, "id.orig_p")?,
            dst_ip: require_ip(self.resp_h, "id.resp_h")?,
            dst_port: port(self.resp_p, "id.resp_p")?,
            transport: transport(self.proto, self.ip_proto),
            service: self.service.map(str::to_owned),
            bytes_out: self.orig_bytes,
            bytes_in: self.resp_bytes,
            packets_out: self.orig_pkts,
            packets_in: self.resp_pkts,
            ip_bytes_out: self.orig_ip_bytes,
            ip_bytes_in: self.resp_ip_bytes,
            missed_bytes: self.missed_bytes,
            conn_state: self.conn_state.map(str::to_owned),
            history: self.history.map(str::to_owned),
            local_orig: self.local_orig,
            local_resp: self.local_resp,
        }))
    }

    pub(crate) fn into_dns(self) -> Result<Event, String> {
        Ok(Event::Dns(DnsQuery {
            time: self.ts.ok_or("missing ts")?,
            uid: self.uid.map(str::to_owned),
            src_ip: require_ip(self.orig_h, "id.orig_h")?,
            src_port: port(self.orig_p, "id.orig_p")?,
            dst_ip: require_ip(self.resp_h, "id.resp_h")?,
            dst_port: port(self.resp_p, "id.resp_p")?,
            transport: transport(self.proto, self.ip_proto),
            query: self.query,
            qtype: self.qtype_name.map(str::to_owned),
            rcode: self.rcode_name.map(str::to_owned),
            answers: self.answers,
            rtt: self.rtt,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn smb_logs_are_read_after_what_they_need() {
        let mut paths: Vec<PathBuf> = [
            "a/conn.log",
            "a/smb_files.log",
            "a/smb_mapping.log",
            "a/ntlm.log",
            "b/smb_files.10:00:00-11:00:00.log.gz",
            "b/ntlm.11:00:00-12:00:00.log.gz",
            "b/ntlm.10:00:00-11:00:00.log.gz",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        read_order(&mut paths);
        let names: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "a/ntlm.log",
                "a/smb_mapping.log",
                "a/conn.log",
                "a/smb_files.log",
                "b/ntlm.10:00:00-11:00:00.log.gz",
                "b/smb_files.10:00:00-11:00:00.log.gz",
                "b/ntlm.11:00:00-12:00:00.log.gz"
            ]
        );
        assert!(is_read_log_name("smb_files.10:00:00-11:00:00.log.gz"));
        assert!(is_read_log_name("conn.log"));
        assert!(!is_read_log_name("connection.log"));
        assert!(!is_read_log_name("http.log"));
    }
}
