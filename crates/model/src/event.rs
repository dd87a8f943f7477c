//! Normalised evidence events.

use std::net::IpAddr;

use serde::Serialize;

use crate::time::Micros;

/// One piece of evidence, whatever source it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A network connection summary (Zeek conn.log, NetFlow/IPFIX, pcap).
    Flow(Flow),
    /// A DNS query and its answers (Zeek dns.log).
    Dns(DnsQuery),
    /// An operation on a file-server share (Samba full_audit, Windows 5140/5145/4663).
    FileAccess(FileAccess),
    /// A logon, logoff or failed logon (Samba auth audit, Windows 4624/4625/…).
    Authentication(Authentication),
    /// An audit log was cleared (Windows 1102): evidence destroyed on purpose.
    LogCleared(LogCleared),
}

impl Event {
    /// The time at which the event became observable, which is the order the analysis consumes
    /// events in: the end of a connection for flows (a flow record is written when the connection
    /// ends), the record time for everything else.
    pub fn observed_at(&self) -> Micros {
        match self {
            Event::Flow(f) => f.end(),
            Event::Dns(d) => d.time,
            Event::FileAccess(a) => a.time,
            Event::Authentication(a) => a.time,
            Event::LogCleared(c) => c.time,
        }
    }

    /// The time the event's source gives as its own timestamp (a flow's start).
    pub fn time(&self) -> Micros {
        match self {
            Event::Flow(f) => f.start,
            Event::Dns(d) => d.time,
            Event::FileAccess(a) => a.time,
            Event::Authentication(a) => a.time,
            Event::LogCleared(c) => c.time,
        }
    }
}

/// Transport protocol of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP (IP protocol 6).
    Tcp,
    /// UDP (IP protocol 17).
    Udp,
    /// ICMP or ICMPv6 (IP protocols 1 and 58).
    Icmp,
    /// Any other IP protocol, by number.
    Other(u8),
    /// Not known from the source.
    Unknown,
}

impl Transport {
    /// Maps a protocol name as Zeek writes it (`tcp`, `udp`, `icmp`, `unknown_transport`).
    pub fn from_name(name: &str) -> Transport {
        match name {
            "tcp" | "TCP" => Transport::Tcp,
            "udp" | "UDP" => Transport::Udp,
            "icmp" | "ICMP" | "icmp6" | "icmpv6" => Transport::Icmp,
            _ => Transport::Unknown,
        }
    }

    /// The transport of an IANA protocol number (1 and 58 are ICMP).
    pub fn from_number(n: u8) -> Transport {
        match n {
            6 => Transport::Tcp,
            17 => Transport::Udp,
            1 | 58 => Transport::Icmp,
            other => Transport::Other(other),
        }
    }

    /// The IANA protocol number, when known (ICMP is reported as 1).
    pub fn number(self) -> Option<u8> {
        match self {
            Transport::Tcp => Some(6),
            Transport::Udp => Some(17),
            Transport::Icmp => Some(1),
            Transport::Other(n) => Some(n),
            Transport::Unknown => None,
        }
    }

    /// The lower-case IANA keyword (`tcp`, `udp`, `icmp`, `sctp`, `gre`, …; `other` for numbers
    /// without a common name, `unknown` when not known).
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Icmp => "icmp",
            Transport::Other(2) => "igmp",
            Transport::Other(4) => "ipip",
            Transport::Other(41) => "ipv6",
            Transport::Other(47) => "gre",
            Transport::Other(50) => "esp",
            Transport::Other(51) => "ah",
            Transport::Other(89) => "ospf",
            Transport::Other(103) => "pim",
            Transport::Other(112) => "vrrp",
            Transport::Other(132) => "sctp",
            Transport::Other(_) => "other",
            Transport::Unknown => "unknown",
        }
    }
}

/// A network connection summary. "Originator" is the side that opened the connection
/// (Zeek's `id.orig_h`); "out" counts originator→responder traffic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    /// When the first packet was seen.
    pub start: Micros,
    /// How long the connection lasted, when known.
    pub duration: Option<Micros>,
    /// The source's connection id (Zeek `uid`).
    pub uid: Option<String>,
    /// Originator address (canonical).
    pub src_ip: IpAddr,
    /// Originator port (ICMP type for ICMP).
    pub src_port: u16,
    /// Responder address (canonical).
    pub dst_ip: IpAddr,
    /// Responder port (ICMP code for ICMP).
    pub dst_port: u16,
    /// Transport protocol.
    pub transport: Transport,
    /// Application protocol(s) detected (Zeek `service`, e.g. `http` or `ssl,http`).
    pub service: Option<String>,
    /// Payload bytes originator→responder (Zeek `orig_bytes`).
    pub bytes_out: Option<u64>,
    /// Payload bytes responder→originator (Zeek `resp_bytes`).
    pub bytes_in: Option<u64>,
    /// Packets originator→responder.
    pub packets_out: Option<u64>,
    /// Packets responder→originator.
    pub packets_in: Option<u64>,
    /// IP-level bytes originator→responder (Zeek `orig_ip_bytes`).
    pub ip_bytes_out: Option<u64>,
    /// IP-level bytes responder→originator (Zeek `resp_ip_bytes`).
    pub ip_bytes_in: Option<u64>,
    /// Bytes missed in content gaps.
    pub missed_bytes: Option<u64>,
    /// Zeek's connection state (`SF`, `S0`, `REJ`, …).
    pub conn_state: Option<String>,
    /// Zeek's history string (`ShADadfF`).
    pub history: Option<String>,
    /// Whether the sensor considered the originator local.
    pub local_orig: Option<bool>,
    /// Whether the sensor considered the responder local.
    pub local_resp: Option<bool>,
}

impl Flow {
    /// When the connection ended (start + duration, or start when the duration is unknown).
    pub fn end(&self) -> Micros {
        self.start.saturating_add(self.duration.unwrap_or(0).max(0))
    }
}

/// A DNS query and its answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DnsQuery {
    /// When the query was seen.
    pub time: Micros,
    /// The source's connection id (Zeek `uid`).
    pub uid: Option<String>,
    /// Client address.
    pub src_ip: IpAddr,
    /// Client port.
    pub src_port: u16,
    /// Resolver address.
    pub dst_ip: IpAddr,
    /// Resolver port.
    pub dst_port: u16,
    /// Transport protocol.
    pub transport: Transport,
    /// The name asked for, when present.
    pub query: Option<String>,
    /// Query type name (`A`, `AAAA`, `TXT`, …).
    pub qtype: Option<String>,
    /// Response code name (`NOERROR`, `NXDOMAIN`, …).
    pub rcode: Option<String>,
    /// Answers as the sensor wrote them (addresses, names, `TXT …`).
    pub answers: Vec<String>,
    /// Round-trip time.
    pub rtt: Option<Micros>,
}

/// Whether an operation succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum Outcome {
    /// It succeeded.
    Success,
    /// It failed; the source's reason text (which may be stale, as Samba's `strerror` text is).
    Failure(String),
}

impl Outcome {
    /// Whether this is [`Outcome::Success`].
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success)
    }
}

/// What a file-server operation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", content = "target", rename_all = "snake_case")]
pub enum FileAction {
    /// Tree connect to a share.
    Connect,
    /// Tree disconnect.
    Disconnect,
    /// Path resolution (Samba `openat`): precedes reads, deletes and renames alike; not a read.
    Resolve,
    /// An open that reads no content: directories, attribute or DELETE-only access.
    Open,
    /// An open of an existing file that grants FILE_READ_DATA: the canonical "file was read"
    /// record, which scoping counts.
    Read,
    /// An open that overwrites or supersedes a file.
    Write,
    /// An open that creates a new file.
    Create,
    /// Content was transferred from the file (Samba `pread*`).
    ReadData,
    /// Content was written to the file (Samba `pwrite*`).
    WriteData,
    /// A handle was closed.
    Close,
    /// The file was renamed; the share-relative new path.
    Rename(String),
    /// A file or directory was deleted.
    Delete,
    /// A directory was created.
    Mkdir,
    /// Any other operation; its source name is in [`FileAccess::operation`].
    Other,
}

impl FileAction {
    /// The OCSF File System Activity (1001) activity id and name: 1 Create, 2 Read, 3 Update,
    /// 4 Delete, 5 Rename, 12 Mount (tree connect), 13 Unmount, 14 Open, 99 Other. Only the
    /// canonical "file was read" open is 2 Read; content transfers are 99 "Read Data", so that
    /// counting Read events counts file reads once.
    pub fn ocsf_activity(&self) -> (u32, &'static str) {
        match self {
            FileAction::Create | FileAction::Mkdir => (1, "Create"),
            FileAction::Read => (2, "Read"),
            FileAction::Write => (3, "Update"),
            FileAction::Delete => (4, "Delete"),
            FileAction::Rename(_) => (5, "Rename"),
            FileAction::Connect => (12, "Mount"),
            FileAction::Disconnect => (13, "Unmount"),
            FileAction::Resolve | FileAction::Open => (14, "Open"),
            FileAction::ReadData => (99, "Read Data"),
            FileAction::WriteData => (99, "Write Data"),
            FileAction::Close => (99, "Close"),
            FileAction::Other => (99, "Other"),
        }
    }

    /// The action's name as breachscope writes it (`read`, `rename`, …; serde's tag).
    pub fn name(&self) -> &'static str {
        match self {
            FileAction::Connect => "connect",
            FileAction::Disconnect => "disconnect",
            FileAction::Resolve => "resolve",
            FileAction::Open => "open",
            FileAction::Read => "read",
            FileAction::Write => "write",
            FileAction::Create => "create",
            FileAction::ReadData => "read_data",
            FileAction::WriteData => "write_data",
            FileAction::Close => "close",
            FileAction::Rename(_) => "rename",
            FileAction::Delete => "delete",
            FileAction::Mkdir => "mkdir",
            FileAction::Other => "other",
        }
    }

    /// The action named by [`FileAction::name`] (`rename` takes its new path).
    pub fn from_name(name: &str, rename_target: Option<String>) -> Option<FileAction> {
        Some(match name {
            "connect" => FileAction::Connect,
            "disconnect" => FileAction::Disconnect,
            "resolve" => FileAction::Resolve,
            "open" => FileAction::Open,
            "read" => FileAction::Read,
            "write" => FileAction::Write,
            "create" => FileAction::Create,
            "read_data" => FileAction::ReadData,
            "write_data" => FileAction::WriteData,
            "close" => FileAction::Close,
            "rename" => FileAction::Rename(rename_target.unwrap_or_default()),
            "delete" => FileAction::Delete,
            "mkdir" => FileAction::Mkdir,
            "other" => FileAction::Other,
            _ => return None,
        })
    }
}

/// An operation on a file-server share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileAccess {
    /// When the operation was recorded.
    pub time: Micros,
    /// The file server that recorded it (syslog host name), when known.
    pub server: Option<String>,
    /// The account that performed it, normalised (see [`crate::normalize_account`]).
    pub account: String,
    /// The client's address, when known.
    pub client_ip: Option<IpAddr>,
    /// The client's machine name, when known.
    pub client_name: Option<String>,
    /// A session key from the source (smbd child pid, Windows logon id), when known.
    pub session: Option<String>,
    /// Share name, lower-case.
    pub share: String,
    /// Path relative to the share root, `/`-separated, no leading `/`, case preserved; empty for
    /// the share root itself. When the share root is unknown, the absolute server path.
    pub path: String,
    /// Whether `path` could be made share-relative.
    pub path_is_relative: bool,
    /// What the operation did.
    pub action: FileAction,
    /// The source's operation name (`create_file`, `pread_recv`, event id `5145`, …).
    pub operation: String,
    /// The log the record came from ([`FileAccess::SAMBA_AUDIT`], [`FileAccess::WINDOWS_SECURITY`]).
    pub log: &'static str,
    /// The kind of object, where the source says (Windows `ObjectType`: `File`, `Key`, …);
    /// `None` means a file or directory on a share.
    pub object_type: Option<String>,
    /// The requested access mask, where the source gives one.
    pub access_mask: Option<u32>,
    /// Whether the object is a directory, where the source says.
    pub is_directory: Option<bool>,
    /// The file's size in bytes, where the source says (Zeek `smb_files.log`).
    pub size: Option<u64>,
    /// Success or failure.
    pub outcome: Outcome,
}

impl FileAccess {
    /// [`FileAccess::log`] of Samba `vfs_full_audit` records.
    pub const SAMBA_AUDIT: &'static str = "samba_audit";
    /// [`FileAccess::log`] of Windows Security event log records (5140, 5145, 4656, 4663, 4660).
    pub const WINDOWS_SECURITY: &'static str = "windows_security";
    /// [`FileAccess::log`] of Zeek's SMB logs (`smb_files.log`, `smb_mapping.log`): file access
    /// seen on the network, not by the file server.
    pub const ZEEK_SMB: &'static str = "zeek_smb";

    /// Whether the object is a file or directory (not a registry key, process or other
    /// Windows object).
    pub fn is_file_object(&self) -> bool {
        self.object_type
            .as_deref()
            .is_none_or(|t| t.eq_ignore_ascii_case("file"))
    }
}

/// An audit log was cleared (Windows Security 1102, System 104).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogCleared {
    /// When it was recorded.
    pub time: Micros,
    /// The computer whose log it was.
    pub server: Option<String>,
    /// The account that cleared it, normalised.
    pub account: String,
    /// The account's logon id, when known.
    pub session: Option<String>,
    /// The log's channel (`Security`).
    pub channel: String,
    /// The source's event id (`1102`).
    pub event_id: u32,
}

/// What an authentication record says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthAction {
    /// A logon (successful or failed).
    Logon,
    /// A logoff.
    Logoff,
    /// Explicit-credential use (Windows 4648).
    ExplicitCredentials,
    /// Special privileges assigned to a new logon (Windows 4672).
    SpecialPrivileges,
}

/// A logon, logoff or failed logon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Authentication {
    /// When it was recorded.
    pub time: Micros,
    /// What happened.
    pub action: AuthAction,
    /// The account, normalised.
    pub account: String,
    /// The client address, when known.
    pub src_ip: Option<IpAddr>,
    /// The client port, when known.
    pub src_port: Option<u16>,
    /// The client's workstation name, when known.
    pub workstation: Option<String>,
    /// The server address, when known.
    pub dst_ip: Option<IpAddr>,
    /// The server port, when known.
    pub dst_port: Option<u16>,
    /// Windows logon type (3 = network), when known.
    pub logon_type: Option<u32>,
    /// Authentication package or password type (`NTLMv2`, `Kerberos`).
    pub protocol: Option<String>,
    /// The service authenticated to (`SMB2`).
    pub service: Option<String>,
    /// The source's event id (`4624`, `4625`).
    pub event_id: u32,
    /// A session key (Windows logon id), when known.
    pub session: Option<String>,
    /// Success or failure with the source's status text (`NT_STATUS_WRONG_PASSWORD`).
    pub outcome: Outcome,
}
