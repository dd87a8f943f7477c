//! Events as OCSF rows: one row type per class, OCSF objects as nested structs (the layout
//! Amazon Security Lake uses, so `src_endpoint.ip` reads the same in DuckDB, Spark and Athena),
//! signed integers only (Spark reads unsigned 64-bit columns as decimals), `time` in epoch
//! milliseconds beside `time_us`, the exact microseconds the model keeps. Fields OCSF has no
//! place for go under `unmapped`, so that every row turns back into the event it came from
//! ([`crate::columns`] reads them back).

use std::net::IpAddr;

use breachscope_model::{
    AuthAction, Authentication, DnsQuery, Event, FileAccess, FileAction, Flow, LogCleared, Outcome,
    Transport,
};
use serde::{Deserialize, Serialize};

/// The OCSF classes of the lake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Network Activity (flows).
    NetworkActivity,
    /// DNS Activity.
    DnsActivity,
    /// File System Activity (share access).
    FileSystemActivity,
    /// Authentication.
    Authentication,
    /// Event Log Activity (logs cleared).
    EventLogActivity,
}

impl Class {
    /// Every class, in `class_uid` order.
    pub const ALL: [Class; 5] = [
        Class::FileSystemActivity,
        Class::EventLogActivity,
        Class::Authentication,
        Class::NetworkActivity,
        Class::DnsActivity,
    ];

    /// The OCSF `class_uid`.
    pub fn uid(self) -> i32 {
        match self {
            Class::NetworkActivity => 4001,
            Class::DnsActivity => 4003,
            Class::FileSystemActivity => 1001,
            Class::Authentication => 3002,
            Class::EventLogActivity => 1008,
        }
    }

    /// The class of a `class_uid`.
    pub fn from_uid(uid: i32) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.uid() == uid)
    }

    /// The OCSF `category_uid`.
    pub fn category(self) -> i32 {
        self.uid() / 1000
    }

    /// The class an event is stored in.
    pub fn of(event: &Event) -> Class {
        match event {
            Event::Flow(_) => Class::NetworkActivity,
            Event::Dns(_) => Class::DnsActivity,
            Event::FileAccess(_) => Class::FileSystemActivity,
            Event::Authentication(_) => Class::Authentication,
            Event::LogCleared(_) => Class::EventLogActivity,
        }
    }
}

/// The product that wrote a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// `breachscope`.
    pub name: String,
    /// `breachscope`.
    pub vendor_name: String,
    /// The writer's version.
    pub version: String,
}

/// Row metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// The OCSF schema version.
    pub version: String,
    /// The writer.
    pub product: Product,
    /// The source's operation name or event id.
    pub event_code: Option<String>,
    /// The source log (`samba_audit`, `windows_security`, `zeek`).
    pub log_name: Option<String>,
}

fn metadata(event_code: Option<String>, log_name: &str) -> Metadata {
    Metadata {
        version: "1.3.0".into(),
        product: Product {
            name: "breachscope".into(),
            vendor_name: "breachscope".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        event_code,
        log_name: Some(log_name.into()),
    }
}

/// A network endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Address.
    pub ip: Option<String>,
    /// Port.
    pub port: Option<i32>,
    /// Host name.
    pub hostname: Option<String>,
}

impl Endpoint {
    fn new(ip: Option<IpAddr>, port: Option<u16>, hostname: Option<String>) -> Self {
        Endpoint {
            ip: ip.map(|i| i.to_string()),
            port: port.map(i32::from),
            hostname,
        }
    }
}

/// Transport of a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionInfo {
    /// The source's connection id.
    pub uid: Option<String>,
    /// IANA protocol number.
    pub protocol_num: Option<i32>,
    /// Protocol keyword.
    pub protocol_name: String,
}

fn connection_info(uid: Option<String>, transport: Transport) -> ConnectionInfo {
    ConnectionInfo {
        uid,
        protocol_num: transport.number().map(i32::from),
        protocol_name: transport.name().into(),
    }
}

/// Traffic counts (OCSF `traffic`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    /// Payload bytes originator → responder.
    pub bytes_out: Option<i64>,
    /// Payload bytes responder → originator.
    pub bytes_in: Option<i64>,
    /// Packets originator → responder.
    pub packets_out: Option<i64>,
    /// Packets responder → originator.
    pub packets_in: Option<i64>,
}

/// Network Activity fields without an OCSF place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkUnmapped {
    /// Exact duration.
    pub duration_us: Option<i64>,
    /// Zeek `service`.
    pub service: Option<String>,
    /// Zeek `conn_state`.
    pub conn_state: Option<String>,
    /// Zeek `history`.
    pub history: Option<String>,
    /// IP-level bytes out.
    pub ip_bytes_out: Option<i64>,
    /// IP-level bytes in.
    pub ip_bytes_in: Option<i64>,
    /// Bytes missed.
    pub missed_bytes: Option<i64>,
    /// Originator local to the sensor.
    pub local_orig: Option<bool>,
    /// Responder local to the sensor.
    pub local_resp: Option<bool>,
}

/// OCSF Network Activity (4001), activity 6 Traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkRow {
    /// Connection start, epoch ms.
    pub time: i64,
    /// Connection start, epoch µs (exact).
    pub time_us: i64,
    /// 4001.
    pub class_uid: i32,
    /// 4.
    pub category_uid: i32,
    /// 6 Traffic.
    pub activity_id: i32,
    /// class_uid × 100 + activity_id.
    pub type_uid: i64,
    /// 1 Informational.
    pub severity_id: i32,
    /// Duration in ms.
    pub duration: Option<i64>,
    /// End, epoch ms.
    pub end_time: i64,
    /// Originator.
    pub src_endpoint: Endpoint,
    /// Responder.
    pub dst_endpoint: Endpoint,
    /// Transport.
    pub connection_info: ConnectionInfo,
    /// Counts.
    pub traffic: Traffic,
    /// Application protocol.
    pub app_name: Option<String>,
    /// Writer and source.
    pub metadata: Metadata,
    /// The rest.
    pub unmapped: NetworkUnmapped,
}

/// One DNS answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// As the sensor wrote it.
    pub rdata: String,
}

/// A DNS question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// The name asked for.
    pub hostname: Option<String>,
    /// Query type name.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// DNS Activity fields without an OCSF place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsUnmapped {
    /// Round-trip time, µs.
    pub rtt_us: Option<i64>,
}

/// OCSF DNS Activity (4003), activity 6 Traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsRow {
    /// Epoch ms.
    pub time: i64,
    /// Epoch µs (exact).
    pub time_us: i64,
    /// 4003.
    pub class_uid: i32,
    /// 4.
    pub category_uid: i32,
    /// 6 Traffic.
    pub activity_id: i32,
    /// class_uid × 100 + activity_id.
    pub type_uid: i64,
    /// 1.
    pub severity_id: i32,
    /// Client.
    pub src_endpoint: Endpoint,
    /// Resolver.
    pub dst_endpoint: Endpoint,
    /// Transport.
    pub connection_info: ConnectionInfo,
    /// The question.
    pub query: Question,
    /// Response code name.
    pub rcode: Option<String>,
    /// Answers.
    pub answers: Vec<Answer>,
    /// Writer and source.
    pub metadata: Metadata,
    /// The rest.
    pub unmapped: DnsUnmapped,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Normalised account name.
    pub name: String,
}

/// A session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The source's session key.
    pub uid: Option<String>,
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// The account.
    pub user: User,
    /// Its session.
    pub session: Session,
}

/// The computer that logged the event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// Its name.
    pub hostname: Option<String>,
}

/// A file on a share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileObject {
    /// Share-relative path (`/`-separated), or the server path when no share root is known.
    pub path: String,
    /// The last path component.
    pub name: String,
    /// Windows object type, where the source says.
    pub type_name: Option<String>,
    /// Size in bytes, where the source says.
    pub size: Option<i64>,
}

/// File System Activity fields without an OCSF place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileUnmapped {
    /// Share name, lower-case.
    pub share: String,
    /// Whether `file.path` is share-relative.
    pub path_is_relative: bool,
    /// breachscope's action (`read`, `open`, `rename`, …).
    pub action: String,
    /// A rename's new path.
    pub rename_target: Option<String>,
    /// Requested access mask.
    pub access_mask: Option<i64>,
    /// Whether the object is a directory.
    pub is_directory: Option<bool>,
}

/// OCSF File System Activity (1001).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRow {
    /// Epoch ms.
    pub time: i64,
    /// Epoch µs (exact).
    pub time_us: i64,
    /// 1001.
    pub class_uid: i32,
    /// 1.
    pub category_uid: i32,
    /// See [`FileAction::ocsf_activity`].
    pub activity_id: i32,
    /// class_uid × 100 + activity_id.
    pub type_uid: i64,
    /// 1.
    pub severity_id: i32,
    /// `Success` or `Failure`.
    pub status: String,
    /// The source's failure text.
    pub status_detail: Option<String>,
    /// Account and session.
    pub actor: Actor,
    /// The file server.
    pub device: Device,
    /// The client.
    pub src_endpoint: Endpoint,
    /// The file.
    pub file: FileObject,
    /// Writer, source operation (`metadata.event_code`) and log.
    pub metadata: Metadata,
    /// The rest.
    pub unmapped: FileUnmapped,
}

/// Authentication fields without an OCSF place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthUnmapped {
    /// breachscope's action (`logon`, `logoff`, `explicit_credentials`, `special_privileges`).
    pub action: String,
    /// The source's event id.
    pub event_id: i64,
}

/// A service authenticated to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// Its name (`SMB2`).
    pub name: Option<String>,
}

/// OCSF Authentication (3002).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthRow {
    /// Epoch ms.
    pub time: i64,
    /// Epoch µs (exact).
    pub time_us: i64,
    /// 3002.
    pub class_uid: i32,
    /// 3.
    pub category_uid: i32,
    /// 1 Logon, 2 Logoff, 99 Other.
    pub activity_id: i32,
    /// class_uid × 100 + activity_id.
    pub type_uid: i64,
    /// 1.
    pub severity_id: i32,
    /// `Success` or `Failure`.
    pub status: String,
    /// The source's status text.
    pub status_detail: Option<String>,
    /// The account.
    pub user: User,
    /// The logon session.
    pub session: Session,
    /// The client.
    pub src_endpoint: Endpoint,
    /// The server.
    pub dst_endpoint: Endpoint,
    /// Windows logon type.
    pub logon_type_id: Option<i32>,
    /// Authentication package.
    pub auth_protocol: Option<String>,
    /// The service.
    pub service: Service,
    /// Writer and source.
    pub metadata: Metadata,
    /// The rest.
    pub unmapped: AuthUnmapped,
}

/// OCSF Event Log Activity (1008), activity 1 Clear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRow {
    /// Epoch ms.
    pub time: i64,
    /// Epoch µs (exact).
    pub time_us: i64,
    /// 1008.
    pub class_uid: i32,
    /// 1.
    pub category_uid: i32,
    /// 1 Clear.
    pub activity_id: i32,
    /// class_uid × 100 + activity_id.
    pub type_uid: i64,
    /// 1.
    pub severity_id: i32,
    /// Who cleared it.
    pub actor: Actor,
    /// The computer.
    pub device: Device,
    /// The log's channel.
    pub log_name: String,
    /// Writer and source (`metadata.event_code` = the event id).
    pub metadata: Metadata,
}

fn i64_of(v: Option<u64>) -> Option<i64> {
    v.map(|x| i64::try_from(x).unwrap_or(i64::MAX))
}

fn status(outcome: &Outcome) -> (String, Option<String>) {
    match outcome {
        Outcome::Success => ("Success".into(), None),
        Outcome::Failure(detail) => ("Failure".into(), Some(detail.clone())),
    }
}

/// A flow as a row.
pub fn network_row(f: &Flow) -> NetworkRow {
    NetworkRow {
        time: f.start.div_euclid(1_000),
        time_us: f.start,
        class_uid: 4001,
        category_uid: 4,
        activity_id: 6,
        type_uid: 400_106,
        severity_id: 1,
        duration: f.duration.map(|d| d.div_euclid(1_000)),
        end_time: f.end().div_euclid(1_000),
        src_endpoint: Endpoint::new(Some(f.src_ip), Some(f.src_port), None),
        dst_endpoint: Endpoint::new(Some(f.dst_ip), Some(f.dst_port), None),
        connection_info: connection_info(f.uid.clone(), f.transport),
        traffic: Traffic {
            bytes_out: i64_of(f.bytes_out),
            bytes_in: i64_of(f.bytes_in),
            packets_out: i64_of(f.packets_out),
            packets_in: i64_of(f.packets_in),
        },
        app_name: f.service.clone(),
        metadata: metadata(None, "zeek_conn"),
        unmapped: NetworkUnmapped {
            duration_us: f.duration,
            service: f.service.clone(),
            conn_state: f.conn_state.clone(),
            history: f.history.clone(),
            ip_bytes_out: i64_of(f.ip_bytes_out),
            ip_bytes_in: i64_of(f.ip_bytes_in),
            missed_bytes: i64_of(f.missed_bytes),
            local_orig: f.local_orig,
            local_resp: f.local_resp,
        },
    }
}

/// A DNS query as a row.
pub fn dns_row(d: &DnsQuery) -> DnsRow {
    DnsRow {
        time: d.time.div_euclid(1_000),
        time_us: d.time,
        class_uid: 4003,
        category_uid: 4,
        activity_id: 6,
        type_uid: 400_306,
        severity_id: 1,
        src_endpoint: Endpoint::new(Some(d.src_ip), Some(d.src_port), None),
        dst_endpoint: Endpoint::new(Some(d.dst_ip), Some(d.dst_port), None),
        connection_info: connection_info(d.uid.clone(), d.transport),
        query: Question {
            hostname: d.query.clone(),
            kind: d.qtype.clone(),
        },
        rcode: d.rcode.clone(),
        answers: d
            .answers
            .iter()
            .map(|a| Answer { rdata: a.clone() })
            .collect(),
        metadata: metadata(None, "zeek_dns"),
        unmapped: DnsUnmapped { rtt_us: d.rtt },
    }
}

/// A file-share operation as a row.
pub fn file_row(a: &FileAccess) -> FileRow {
    let (activity, _) = a.action.ocsf_activity();
    let (status, status_detail) = status(&a.outcome);
    let rename_target = match &a.action {
        FileAction::Rename(to) => Some(to.clone()),
        _ => None,
    };
    FileRow {
        time: a.time.div_euclid(1_000),
        time_us: a.time,
        class_uid: 1001,
        category_uid: 1,
        activity_id: activity as i32,
        type_uid: 100_100 + i64::from(activity),
        severity_id: 1,
        status,
        status_detail,
        actor: Actor {
            user: User {
                name: a.account.clone(),
            },
            session: Session {
                uid: a.session.clone(),
            },
        },
        device: Device {
            hostname: a.server.clone(),
        },
        src_endpoint: Endpoint::new(a.client_ip, None, a.client_name.clone()),
        file: FileObject {
            path: a.path.clone(),
            name: a.path.rsplit('/').next().unwrap_or_default().to_owned(),
            type_name: a.object_type.clone(),
            size: a.size.and_then(|v| i64::try_from(v).ok()),
        },
        metadata: metadata(Some(a.operation.clone()), a.log),
        unmapped: FileUnmapped {
            share: a.share.clone(),
            path_is_relative: a.path_is_relative,
            action: a.action.name().into(),
            rename_target,
            access_mask: a.access_mask.map(i64::from),
            is_directory: a.is_directory,
        },
    }
}

/// The name an authentication action is stored under (`unmapped.action`).
pub(crate) fn auth_action_name(a: AuthAction) -> &'static str {
    match a {
        AuthAction::Logon => "logon",
        AuthAction::Logoff => "logoff",
        AuthAction::ExplicitCredentials => "explicit_credentials",
        AuthAction::SpecialPrivileges => "special_privileges",
    }
}

/// The authentication action stored under `name`.
pub(crate) fn auth_action_of(name: &str) -> Option<AuthAction> {
    [
        AuthAction::Logon,
        AuthAction::Logoff,
        AuthAction::ExplicitCredentials,
        AuthAction::SpecialPrivileges,
    ]
    .into_iter()
    .find(|a| auth_action_name(*a) == name)
}

/// An authentication record as a row.
pub fn auth_row(a: &Authentication) -> AuthRow {
    let activity = match a.action {
        AuthAction::Logon => 1,
        AuthAction::Logoff => 2,
        AuthAction::ExplicitCredentials | AuthAction::SpecialPrivileges => 99,
    };
    let (status, status_detail) = status(&a.outcome);
    AuthRow {
        time: a.time.div_euclid(1_000),
        time_us: a.time,
        class_uid: 3002,
        category_uid: 3,
        activity_id: activity,
        type_uid: 300_200 + i64::from(activity),
        severity_id: 1,
        status,
        status_detail,
        user: User {
            name: a.account.clone(),
        },
        session: Session {
            uid: a.session.clone(),
        },
        src_endpoint: Endpoint::new(a.src_ip, a.src_port, a.workstation.clone()),
        dst_endpoint: Endpoint::new(a.dst_ip, a.dst_port, None),
        logon_type_id: a.logon_type.map(|t| i32::try_from(t).unwrap_or(i32::MAX)),
        auth_protocol: a.protocol.clone(),
        service: Service {
            name: a.service.clone(),
        },
        metadata: metadata(Some(a.event_id.to_string()), "authentication"),
        unmapped: AuthUnmapped {
            action: auth_action_name(a.action).into(),
            event_id: i64::from(a.event_id),
        },
    }
}

/// A cleared-log record as a row.
pub fn log_row(c: &LogCleared) -> LogRow {
    LogRow {
        time: c.time.div_euclid(1_000),
        time_us: c.time,
        class_uid: 1008,
        category_uid: 1,
        activity_id: 1,
        type_uid: 100_801,
        severity_id: 1,
        actor: Actor {
            user: User {
                name: c.account.clone(),
            },
            session: Session {
                uid: c.session.clone(),
            },
        },
        device: Device {
            hostname: c.server.clone(),
        },
        log_name: c.channel.clone(),
        metadata: metadata(Some(c.event_id.to_string()), "windows_security"),
    }
}
