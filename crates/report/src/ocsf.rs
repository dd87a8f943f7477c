//! Evidence events as OCSF 1.x objects (<https://schema.ocsf.io>).
//!
//! Mapping:
//!
//! | event | class | activity |
//! |---|---|---|
//! | [`Flow`] (Zeek conn) | Network Activity 4001 | 6 Traffic |
//! | [`DnsQuery`] (Zeek dns) | DNS Activity 4003 | 6 Traffic |
//! | [`FileAccess`] (Samba audit) | File System Activity 1001 | 1 Create, 2 Read, 3 Update, 4 Delete, 5 Rename, 12 Mount (tree connect), 13 Unmount, 14 Open, 99 Other |
//! | [`FileAccess`] (Windows 5140, 5145, 4656, 4663, 4660) | File System Activity 1001 | as above; the decoded access rights under `unmapped.access_rights` |
//! | [`Authentication`] (Samba auth, Windows 4624, 4625, 4634, 4647, 4648, 4672) | Authentication 3002 | 1 Logon, 2 Logoff, 99 Other |
//! | [`LogCleared`] (Windows 1102) | Event Log Activity 1008 | 1 Clear |
//!
//! `time` is epoch milliseconds; `metadata.event_code` is the source's operation name or event id;
//! fields without an OCSF home go under `unmapped`. Only the canonical "file was read" record
//! (an open that grants FILE_READ_DATA) is activity 2 Read; Samba's `pread*` content transfers are
//! activity 99 "Read Data", so that counting Read events counts file reads once.

use std::io::{self, Write};
use std::net::IpAddr;

use breachscope_model::time::to_epoch_millis;
use breachscope_model::windows::access_rights;
use breachscope_model::{
    AuthAction, Authentication, DnsQuery, Event, FileAccess, FileAction, Flow, InternalNetworks,
    LogCleared, Outcome,
};
use serde::Serialize;

/// The OCSF schema version the objects follow.
pub const OCSF_VERSION: &str = "1.3.0";

/// What the writer needs besides the event.
#[derive(Debug, Clone, Default)]
pub struct OcsfContext {
    /// Decides `connection_info.direction_id` (inbound, outbound, lateral).
    pub internal: InternalNetworks,
}

#[derive(Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
    version: &'static str,
}

const PRODUCT: Product = Product {
    name: "breachscope",
    vendor_name: "breachscope",
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Serialize)]
struct Metadata<'a> {
    product: &'a Product,
    version: &'static str,
    event_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_name: Option<&'a str>,
}

#[derive(Serialize)]
struct Endpoint<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hostname: Option<&'a str>,
}

#[derive(Serialize)]
struct Header<'a> {
    class_uid: u32,
    class_name: &'static str,
    category_uid: u32,
    category_name: &'static str,
    activity_id: u32,
    activity_name: &'a str,
    type_uid: u64,
    severity_id: u8,
    severity: &'static str,
    time: i64,
    metadata: Metadata<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_id: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_detail: Option<&'a str>,
}

/// An OCSF event class: its uid, name and category name.
struct Class {
    uid: u32,
    name: &'static str,
    category_name: &'static str,
}

const NETWORK_ACTIVITY: Class = Class {
    uid: 4001,
    name: "Network Activity",
    category_name: "Network Activity",
};
const DNS_ACTIVITY: Class = Class {
    uid: 4003,
    name: "DNS Activity",
    category_name: "Network Activity",
};
const FILE_SYSTEM_ACTIVITY: Class = Class {
    uid: 1001,
    name: "File System Activity",
    category_name: "System Activity",
};
const EVENT_LOG_ACTIVITY: Class = Class {
    uid: 1008,
    name: "Event Log Activity",
    category_name: "System Activity",
};
const AUTHENTICATION: Class = Class {
    uid: 3002,
    name: "Authentication",
    category_name: "Identity & Access Management",
};

fn header<'a>(
    class: &Class,
    activity_id: u32,
    activity_name: &'a str,
    time: i64,
    metadata: Metadata<'a>,
    outcome: Option<&'a Outcome>,
) -> Header<'a> {
    let (status_id, status, status_detail) = match outcome {
        None => (None, None, None),
        Some(Outcome::Success) => (Some(1), Some("Success"), None),
        Some(Outcome::Failure(reason)) => (
            Some(2),
            Some("Failure"),
            Some(reason.as_str()).filter(|r| !r.is_empty()),
        ),
    };
    Header {
        class_uid: class.uid,
        class_name: class.name,
        category_uid: class.uid / 1000,
        category_name: class.category_name,
        activity_id,
        activity_name,
        type_uid: u64::from(class.uid) * 100 + u64::from(activity_id),
        severity_id: 1,
        severity: "Informational",
        time: to_epoch_millis(time),
        metadata,
        status_id,
        status,
        status_detail,
    }
}

#[derive(Serialize)]
struct ConnectionInfo<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<&'a str>,
    protocol_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol_num: Option<u8>,
    direction_id: u8,
    direction: &'static str,
}

fn direction(ctx: &OcsfContext, src: IpAddr, dst: IpAddr) -> (u8, &'static str) {
    match (ctx.internal.contains(src), ctx.internal.contains(dst)) {
        (true, false) => (2, "Outbound"),
        (false, true) => (1, "Inbound"),
        (true, true) => (3, "Lateral"),
        (false, false) => (0, "Unknown"),
    }
}

#[derive(Serialize)]
struct Traffic {
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_out: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    packets_out: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    packets_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    packets: Option<u64>,
}

fn sum(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        _ => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

#[derive(Serialize)]
struct FlowUnmapped<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    conn_state: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    missed_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    orig_ip_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resp_ip_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    local_orig: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    local_resp: Option<bool>,
}

#[derive(Serialize)]
struct NetworkActivity<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    start_time: i64,
    end_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<i64>,
    src_endpoint: Endpoint<'a>,
    dst_endpoint: Endpoint<'a>,
    connection_info: ConnectionInfo<'a>,
    traffic: Traffic,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_name: Option<&'a str>,
    unmapped: FlowUnmapped<'a>,
}

fn network_activity<'a>(f: &'a Flow, ctx: &OcsfContext) -> NetworkActivity<'a> {
    let (direction_id, direction_name) = direction(ctx, f.src_ip, f.dst_ip);
    NetworkActivity {
        header: header(
            &NETWORK_ACTIVITY,
            6,
            "Traffic",
            f.start,
            Metadata {
                product: &PRODUCT,
                version: OCSF_VERSION,
                event_code: "conn",
                uid: f.uid.as_deref(),
                log_name: Some("conn"),
            },
            None,
        ),
        start_time: to_epoch_millis(f.start),
        end_time: to_epoch_millis(f.end()),
        duration: f.duration.map(to_epoch_millis),
        src_endpoint: Endpoint {
            ip: Some(f.src_ip),
            port: Some(f.src_port),
            hostname: None,
        },
        dst_endpoint: Endpoint {
            ip: Some(f.dst_ip),
            port: Some(f.dst_port),
            hostname: None,
        },
        connection_info: ConnectionInfo {
            uid: f.uid.as_deref(),
            protocol_name: f.transport.name(),
            protocol_num: f.transport.number(),
            direction_id,
            direction: direction_name,
        },
        traffic: Traffic {
            bytes_out: f.bytes_out,
            bytes_in: f.bytes_in,
            bytes: sum(f.bytes_out, f.bytes_in),
            packets_out: f.packets_out,
            packets_in: f.packets_in,
            packets: sum(f.packets_out, f.packets_in),
        },
        app_name: f.service.as_deref(),
        unmapped: FlowUnmapped {
            conn_state: f.conn_state.as_deref(),
            history: f.history.as_deref(),
            missed_bytes: f.missed_bytes,
            orig_ip_bytes: f.ip_bytes_out,
            resp_ip_bytes: f.ip_bytes_in,
            local_orig: f.local_orig,
            local_resp: f.local_resp,
        },
    }
}

#[derive(Serialize)]
struct DnsQueryObject<'a> {
    hostname: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "type")]
    qtype: Option<&'a str>,
}

#[derive(Serialize)]
struct DnsAnswer<'a> {
    rdata: &'a str,
}

#[derive(Serialize)]
struct DnsActivity<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    src_endpoint: Endpoint<'a>,
    dst_endpoint: Endpoint<'a>,
    connection_info: ConnectionInfo<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<DnsQueryObject<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    answers: Vec<DnsAnswer<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rcode: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rcode_id: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_time: Option<i64>,
}

fn rcode_id(name: &str) -> u8 {
    match name {
        "NOERROR" => 0,
        "FORMERR" => 1,
        "SERVFAIL" => 2,
        "NXDOMAIN" => 3,
        "NOTIMP" => 4,
        "REFUSED" => 5,
        "YXDOMAIN" => 6,
        "YXRRSET" => 7,
        "NXRRSET" => 8,
        "NOTAUTH" => 9,
        "NOTZONE" => 10,
        _ => 99,
    }
}

fn dns_activity<'a>(d: &'a DnsQuery, ctx: &OcsfContext) -> DnsActivity<'a> {
    let (direction_id, direction_name) = direction(ctx, d.src_ip, d.dst_ip);
    DnsActivity {
        header: header(
            &DNS_ACTIVITY,
            6,
            "Traffic",
            d.time,
            Metadata {
                product: &PRODUCT,
                version: OCSF_VERSION,
                event_code: "dns",
                uid: d.uid.as_deref(),
                log_name: Some("dns"),
            },
            None,
        ),
        src_endpoint: Endpoint {
            ip: Some(d.src_ip),
            port: Some(d.src_port),
            hostname: None,
        },
        dst_endpoint: Endpoint {
            ip: Some(d.dst_ip),
            port: Some(d.dst_port),
            hostname: None,
        },
        connection_info: ConnectionInfo {
            uid: d.uid.as_deref(),
            protocol_name: d.transport.name(),
            protocol_num: d.transport.number(),
            direction_id,
            direction: direction_name,
        },
        query: d.query.as_deref().map(|hostname| DnsQueryObject {
            hostname,
            qtype: d.qtype.as_deref(),
        }),
        answers: d.answers.iter().map(|a| DnsAnswer { rdata: a }).collect(),
        rcode: d.rcode.as_deref(),
        rcode_id: d.rcode.as_deref().map(rcode_id),
        response_time: d.rtt.map(|r| to_epoch_millis(d.time + r)),
    }
}

#[derive(Serialize)]
struct User<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
}

fn user(account: &str) -> User<'_> {
    match account.rsplit_once('\\') {
        Some((domain, name)) => User {
            name,
            domain: Some(domain),
        },
        None => User {
            name: account,
            domain: None,
        },
    }
}

#[derive(Serialize)]
struct Session<'a> {
    uid: &'a str,
}

#[derive(Serialize)]
struct Actor<'a> {
    user: User<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<Session<'a>>,
}

/// The acting user and their logon session.
fn actor<'a>(account: &'a str, session: Option<&'a str>) -> Actor<'a> {
    Actor {
        user: user(account),
        session: session.map(|uid| Session { uid }),
    }
}

#[derive(Serialize)]
struct Device<'a> {
    type_id: u8,
    #[serde(rename = "type")]
    type_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hostname: Option<&'a str>,
}

#[derive(Serialize)]
struct FileObject<'a> {
    name: &'a str,
    path: &'a str,
    type_id: u8,
    #[serde(rename = "type")]
    type_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
}

fn file_object<'a>(
    path: &'a str,
    share: &'a str,
    is_directory: Option<bool>,
    size: Option<u64>,
) -> FileObject<'a> {
    let name = path
        .rsplit(['/', '\\'])
        .find(|s| !s.is_empty())
        .unwrap_or(share);
    let (type_id, type_name) = match is_directory {
        Some(true) => (2, "Folder"),
        Some(false) => (1, "Regular File"),
        None => (0, "Unknown"),
    };
    FileObject {
        name,
        path,
        type_id,
        type_name,
        size,
    }
}

#[derive(Serialize)]
struct FileActivityUnmapped<'a> {
    path_is_relative: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    access_rights: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    object_type: Option<&'a str>,
}

#[derive(Serialize)]
struct FileSystemActivity<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    actor: Actor<'a>,
    device: Device<'a>,
    src_endpoint: Endpoint<'a>,
    file: FileObject<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_result: Option<FileObject<'a>>,
    share: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_mask: Option<u32>,
    unmapped: FileActivityUnmapped<'a>,
}

fn file_system_activity(a: &FileAccess) -> FileSystemActivity<'_> {
    let (activity_id, activity_name) = a.action.ocsf_activity();
    let is_directory = match a.action {
        FileAction::Mkdir => Some(true),
        FileAction::Connect | FileAction::Disconnect => Some(true),
        _ => a.is_directory,
    };
    FileSystemActivity {
        header: header(
            &FILE_SYSTEM_ACTIVITY,
            activity_id,
            activity_name,
            a.time,
            Metadata {
                product: &PRODUCT,
                version: OCSF_VERSION,
                event_code: &a.operation,
                uid: None,
                log_name: Some(a.log),
            },
            Some(&a.outcome),
        ),
        actor: actor(&a.account, a.session.as_deref()),
        device: Device {
            type_id: 1,
            type_name: "Server",
            hostname: a.server.as_deref(),
        },
        src_endpoint: Endpoint {
            ip: a.client_ip,
            port: None,
            hostname: a.client_name.as_deref(),
        },
        file: file_object(&a.path, &a.share, is_directory, a.size),
        file_result: match &a.action {
            FileAction::Rename(to) => Some(file_object(to, &a.share, is_directory, a.size)),
            _ => None,
        },
        share: &a.share,
        access_mask: a.access_mask,
        unmapped: FileActivityUnmapped {
            path_is_relative: a.path_is_relative,
            access_rights: if a.log == FileAccess::WINDOWS_SECURITY {
                a.access_mask.map(access_rights).unwrap_or_default()
            } else {
                Vec::new()
            },
            object_type: a.object_type.as_deref(),
        },
    }
}

#[derive(Serialize)]
struct Service<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct AuthenticationActivity<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    user: User<'a>,
    src_endpoint: Endpoint<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dst_endpoint: Option<Endpoint<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logon_type_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_protocol: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_protocol_id: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_remote: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<Service<'a>>,
}

fn auth_protocol_id(name: &str) -> u8 {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("ntlm") {
        1
    } else if lower.starts_with("kerberos") {
        2
    } else {
        99
    }
}

fn authentication(a: &Authentication) -> AuthenticationActivity<'_> {
    let (activity_id, activity_name) = match a.action {
        AuthAction::Logon => (1, "Logon"),
        AuthAction::Logoff => (2, "Logoff"),
        AuthAction::ExplicitCredentials | AuthAction::SpecialPrivileges => (99, "Other"),
    };
    AuthenticationActivity {
        header: header(
            &AUTHENTICATION,
            activity_id,
            activity_name,
            a.time,
            Metadata {
                product: &PRODUCT,
                version: OCSF_VERSION,
                event_code: "",
                uid: None,
                log_name: None,
            },
            Some(&a.outcome),
        ),
        user: user(&a.account),
        src_endpoint: Endpoint {
            ip: a.src_ip,
            port: a.src_port,
            hostname: a.workstation.as_deref(),
        },
        dst_endpoint: (a.dst_ip.is_some() || a.dst_port.is_some()).then_some(Endpoint {
            ip: a.dst_ip,
            port: a.dst_port,
            hostname: None,
        }),
        logon_type_id: a
            .logon_type
            .map(|t| if matches!(t, 0..=5 | 7..=13) { t } else { 99 }),
        auth_protocol: a.protocol.as_deref(),
        auth_protocol_id: a.protocol.as_deref().map(auth_protocol_id),
        is_remote: a.logon_type.map(|t| matches!(t, 3 | 8 | 10 | 12)),
        service: a.service.as_deref().map(|name| Service { name }),
    }
}

#[derive(Serialize)]
struct EventLogActivity<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    actor: Actor<'a>,
    device: Device<'a>,
    log_name: &'a str,
}

fn event_log_activity<'a>(c: &'a LogCleared, code: &'a str) -> EventLogActivity<'a> {
    let mut header = header(
        &EVENT_LOG_ACTIVITY,
        1,
        "Clear",
        c.time,
        Metadata {
            product: &PRODUCT,
            version: OCSF_VERSION,
            event_code: code,
            uid: None,
            log_name: Some(&c.channel),
        },
        Some(&Outcome::Success),
    );
    header.severity_id = 4;
    header.severity = "High";
    EventLogActivity {
        header,
        actor: actor(&c.account, c.session.as_deref()),
        device: Device {
            type_id: 0,
            type_name: "Unknown",
            hostname: c.server.as_deref(),
        },
        log_name: &c.channel,
    }
}

/// Writes one event as a single-line OCSF JSON object followed by a newline.
pub fn write_event<W: Write>(out: &mut W, event: &Event, ctx: &OcsfContext) -> io::Result<()> {
    match event {
        Event::Flow(f) => serde_json::to_writer(&mut *out, &network_activity(f, ctx)),
        Event::Dns(d) => serde_json::to_writer(&mut *out, &dns_activity(d, ctx)),
        Event::FileAccess(a) => serde_json::to_writer(&mut *out, &file_system_activity(a)),
        Event::Authentication(a) => {
            let code = a.event_id.to_string();
            let mut activity = authentication(a);
            activity.header.metadata.event_code = &code;
            serde_json::to_writer(&mut *out, &activity)
        }
        Event::LogCleared(c) => {
            let code = c.event_id.to_string();
            serde_json::to_writer(&mut *out, &event_log_activity(c, &code))
        }
    }
    .map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// The OCSF `class_uid` an event maps to.
pub fn class_uid(event: &Event) -> u32 {
    match event {
        Event::Flow(_) => NETWORK_ACTIVITY.uid,
        Event::Dns(_) => DNS_ACTIVITY.uid,
        Event::FileAccess(_) => FILE_SYSTEM_ACTIVITY.uid,
        Event::Authentication(_) => AUTHENTICATION.uid,
        Event::LogCleared(_) => EVENT_LOG_ACTIVITY.uid,
    }
}
