//! Samba `vfs_full_audit` records and Samba's `auth_json_audit` authentication records.
//!
//! A record is `PREFIX|OPERATION|RESULT|ARGUMENTS…`, where the prefix is the share's
//! `full_audit:prefix` (default here `%u|%I|%m|%S`). The prefix and the operation are split from
//! the left so that a `|` inside a path survives. Records arrive in one of four envelopes (see
//! [`transport`]); absolute server paths become share-relative once the share root is known,
//! either from `--share-root NAME=PATH` or learned from the session (the first path a session
//! touches after `connect` is the share root).
//!
//! Operation semantics (Samba 4.x): a **read** is a `create_file` of an existing file whose access
//! mask grants FILE_READ_DATA (`0x1`); `openat` alone is path resolution (it also precedes deletes
//! and renames) and is recorded as [`FileAction::Resolve`]; `pread*` records that content was
//! transferred; writes, renames, deletes and failures are kept as their own actions.

pub mod transport;

use std::collections::HashMap;
use std::net::IpAddr;

use breachscope_model::net::parse_ip;
use breachscope_model::{
    AuthAction, Authentication, Event, FileAccess, FileAction, Outcome, normalize_account,
};
use serde::Deserialize;

use crate::record::{LineOutcome, LineParser};
use crate::timefmt::{Civil, LocalClock, parse_rfc3339};
use transport::{Envelope, HeaderClock, HeaderTime, Transport, parse_envelope};

/// FILE_READ_DATA in an SMB access mask.
pub const FILE_READ_DATA: u32 = 0x1;

/// One field of the `full_audit:prefix` template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixField {
    /// `%u`: the Unix user the session runs as.
    User,
    /// `%U`: the user name the client asked for.
    RequestedUser,
    /// `%D`: the client's domain.
    Domain,
    /// `%I`: the client's IP address.
    ClientIp,
    /// `%m`: the client's machine name.
    ClientName,
    /// `%S`: the share (service) name.
    Share,
    /// `%P`: the share's root directory.
    SharePath,
    /// Anything else (kept but not interpreted).
    Other,
}

/// The parsed `full_audit:prefix` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPrefix {
    fields: Vec<PrefixField>,
}

impl Default for AuditPrefix {
    fn default() -> Self {
        AuditPrefix {
            fields: vec![
                PrefixField::User,
                PrefixField::ClientIp,
                PrefixField::ClientName,
                PrefixField::Share,
            ],
        }
    }
}

impl std::str::FromStr for AuditPrefix {
    type Err = String;

    /// Parses a template such as `%u|%I|%m|%S`. Each `|`-separated part is one field; a part is
    /// interpreted when it is exactly one of `%u %U %D %I %m %S %P`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err("the audit prefix is empty".into());
        }
        let fields = s
            .split('|')
            .map(|part| match part {
                "%u" => PrefixField::User,
                "%U" => PrefixField::RequestedUser,
                "%D" => PrefixField::Domain,
                "%I" => PrefixField::ClientIp,
                "%m" => PrefixField::ClientName,
                "%S" => PrefixField::Share,
                "%P" => PrefixField::SharePath,
                _ => PrefixField::Other,
            })
            .collect::<Vec<_>>();
        if !fields
            .iter()
            .any(|f| matches!(f, PrefixField::User | PrefixField::RequestedUser))
        {
            return Err(format!(
                "the audit prefix '{s}' names no user (%u or %U): records could not be attributed"
            ));
        }
        Ok(AuditPrefix { fields })
    }
}

/// Settings for reading Samba audit logs.
#[derive(Debug, Clone)]
pub struct SambaConfig {
    /// The `full_audit:prefix` template.
    pub prefix: AuditPrefix,
    /// The zone of sources that write local time (RFC 3164 syslog, smbd's debug log).
    pub log_tz: jiff::tz::TimeZone,
    /// The year of the first RFC 3164 line, when it should not be inferred.
    pub year: Option<i32>,
    /// Share roots given by the user: lower-case share name → absolute server path.
    pub share_roots: HashMap<String, String>,
}

impl Default for SambaConfig {
    fn default() -> Self {
        SambaConfig {
            prefix: AuditPrefix::default(),
            log_tz: jiff::tz::TimeZone::system(),
            year: None,
            share_roots: HashMap::new(),
        }
    }
}

/// A session key: hash of (server, smbd pid) when the envelope has a pid, else of (server,
/// account, client address, share) — syslog lines carry no pid. Hashed (64-bit FxHash) so that
/// looking a session up allocates nothing; a collision could only merge two sessions'
/// "awaiting the share root" flags.
type SessionKey = u64;

fn session_key(
    server: Option<&str>,
    pid: Option<&str>,
    account: &str,
    ip: Option<IpAddr>,
    share: &str,
) -> SessionKey {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    server.hash(&mut h);
    match pid {
        Some(pid) => pid.hash(&mut h),
        None => {
            account.hash(&mut h);
            ip.hash(&mut h);
            share.hash(&mut h);
        }
    }
    h.finish()
}

#[derive(Debug, Default)]
struct Session {
    awaiting_root: bool,
    share: Option<String>,
}

/// The parts of a record body.
struct Body<'a> {
    user: Option<&'a str>,
    domain: Option<&'a str>,
    client_ip: Option<IpAddr>,
    client_name: Option<&'a str>,
    share: Option<&'a str>,
    share_path: Option<&'a str>,
    op: &'a str,
    outcome: Outcome,
    args: &'a str,
}

/// Line parser for Samba audit logs in any of the four envelopes, plus auth JSON records.
#[derive(Debug)]
pub struct SambaParser {
    prefix: AuditPrefix,
    clock: HeaderClock,
    overrides: HashMap<String, String>,
    learned: HashMap<(Option<String>, String), String>,
    sessions: rustc_hash::FxHashMap<SessionKey, Session>,
    pending_header: Option<(HeaderTime, Option<String>)>,
    audit_records: u64,
    auth_records: u64,
    unresolved_paths: u64,
    transport: Option<Transport>,
}

impl SambaParser {
    /// A parser with the given settings.
    pub fn new(config: SambaConfig) -> Self {
        let overrides = config
            .share_roots
            .into_iter()
            .map(|(k, v)| (k.to_lowercase(), trim_root(&v).to_owned()))
            .collect();
        SambaParser {
            prefix: config.prefix,
            clock: HeaderClock::new(LocalClock::new(config.log_tz), None, config.year),
            overrides,
            learned: HashMap::new(),
            sessions: rustc_hash::FxHashMap::default(),
            pending_header: None,
            audit_records: 0,
            auth_records: 0,
            unresolved_paths: 0,
            transport: None,
        }
    }

    /// Adds share roots learned in an earlier run (those learned already are kept): a reader
    /// that reads a log in several runs (`ingest`, `watch`) keeps [`SambaParser::learned_roots`]
    /// with its positions and gives them back here, so that a session whose `connect` was read
    /// in an earlier run, or an earlier rotated file, resolves its paths the same way.
    pub fn learn_roots(&mut self, roots: Vec<(Option<String>, String, String)>) {
        for (server, share, root) in roots {
            self.learned.entry((server, share)).or_insert(root);
        }
    }

    /// Tells the parser the modification time of the file about to be read (for the year of
    /// RFC 3164 lines) and resets the per-file counters; share roots learned so far are kept.
    fn start_file(&mut self, mtime: Option<std::time::SystemTime>) {
        let civil = mtime.and_then(|m| {
            let ts = jiff::Timestamp::try_from(m).ok()?;
            let dt = self.clock.local().zone().to_datetime(ts);
            Some(Civil {
                year: i32::from(dt.year()),
                month: u8::try_from(dt.month()).ok()?,
                day: u8::try_from(dt.day()).ok()?,
                hour: u8::try_from(dt.hour()).ok()?,
                minute: u8::try_from(dt.minute()).ok()?,
                second: u8::try_from(dt.second()).ok()?,
                micros: 0,
            })
        });
        self.clock.set_reference(civil);
        self.pending_header = None;
        self.audit_records = 0;
        self.auth_records = 0;
        self.unresolved_paths = 0;
        self.transport = None;
    }

    /// Share roots learned so far: (server, share) → root.
    pub fn learned_roots(&self) -> impl Iterator<Item = (Option<&str>, &str, &str)> {
        self.learned
            .iter()
            .map(|((server, share), root)| (server.as_deref(), share.as_str(), root.as_str()))
    }

    fn split_body<'a>(&self, body: &'a str) -> Result<Body<'a>, String> {
        let mut rest = body.trim_start();
        let mut out = Body {
            user: None,
            domain: None,
            client_ip: None,
            client_name: None,
            share: None,
            share_path: None,
            op: "",
            outcome: Outcome::Success,
            args: "",
        };
        let n = self.prefix.fields.len();
        for (i, field) in self.prefix.fields.iter().enumerate() {
            let (value, tail) = rest.split_once('|').ok_or_else(|| {
                format!(
                    "record has {i} '|'-separated fields, the audit prefix alone needs {n} before the operation"
                )
            })?;
            rest = tail;
            match field {
                PrefixField::User => out.user = Some(value),
                PrefixField::RequestedUser => {
                    if out.user.is_none() {
                        out.user = Some(value);
                    }
                }
                PrefixField::Domain => out.domain = Some(value),
                PrefixField::ClientIp => {
                    if !value.is_empty() {
                        out.client_ip = Some(
                            parse_ip(value)
                                .ok_or("client address (%I) is not an IP address".to_string())?,
                        );
                    }
                }
                PrefixField::ClientName => out.client_name = Some(value).filter(|v| !v.is_empty()),
                PrefixField::Share => out.share = Some(value).filter(|v| !v.is_empty()),
                PrefixField::SharePath => out.share_path = Some(value).filter(|v| !v.is_empty()),
                PrefixField::Other => {}
            }
        }
        let (op, tail) = rest
            .split_once('|')
            .ok_or("record ends before its result (ok/fail)")?;
        if op.is_empty()
            || !op
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err("operation name is not a Samba VFS operation".into());
        }
        out.op = op;
        let (result, args) = tail.split_once('|').unwrap_or((tail, ""));
        out.outcome = if result == "ok" {
            Outcome::Success
        } else if let Some(reason) = result.strip_prefix("fail") {
            let reason = reason.trim();
            let reason = reason
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .unwrap_or(reason);
            Outcome::Failure(reason.to_owned())
        } else {
            return Err("result is neither 'ok' nor 'fail (…)'".into());
        };
        out.args = args;
        match out.user {
            Some(u) if !u.is_empty() => {}
            _ => return Err("record has an empty user field".into()),
        }
        Ok(out)
    }

    fn root_for(
        &self,
        server: Option<&str>,
        share: &str,
        share_path: Option<&str>,
    ) -> Option<String> {
        if let Some(root) = self.overrides.get(share) {
            return Some(root.clone());
        }
        if let Some(p) = share_path {
            return Some(trim_root(p).to_owned());
        }
        self.learned
            .get(&(server.map(str::to_owned), share.to_owned()))
            .cloned()
    }

    fn audit_record(
        &mut self,
        envelope_time: HeaderTime,
        server: Option<&str>,
        pid: Option<&str>,
        body: &str,
    ) -> LineOutcome {
        let body = match self.split_body(body) {
            Ok(b) => b,
            Err(reason) => return LineOutcome::Rejected(reason),
        };
        let Some(time) = self.clock.resolve(envelope_time) else {
            return LineOutcome::Rejected(
                "timestamp cannot be placed in time (RFC 3164 line with no year: give --log-year or keep the file's modification time)".into(),
            );
        };
        let user = body.user.unwrap_or_default();
        let account = normalize_account(body.domain, user);
        let key = session_key(
            server,
            pid,
            &account,
            body.client_ip,
            body.share.unwrap_or_default(),
        );
        let session = self.sessions.entry(key).or_default();
        let op = body.op;
        if op == "connect" && !body.args.is_empty() {
            session.share = Some(body.args.to_lowercase());
        }
        let share = body
            .share
            .map(str::to_lowercase)
            .or_else(|| session.share.clone())
            .unwrap_or_default();

        // Operation → action and the path argument(s).
        let mut access_mask = None;
        let mut is_directory = None;
        let (action, path_arg, second_path): (FileAction, &str, Option<&str>) = match op {
            "connect" => (FileAction::Connect, "", None),
            "disconnect" => (FileAction::Disconnect, "", None),
            "openat" | "open" => {
                let path = match body.args.split_once('|') {
                    Some(("r" | "w", p)) => p,
                    _ => body.args,
                };
                (FileAction::Resolve, path, None)
            }
            "create_file" => {
                let mut parts = body.args.splitn(4, '|');
                let mask_text = parts.next().unwrap_or_default();
                let kind = parts.next();
                let disposition = parts.next();
                let path = parts.next();
                let (Some(kind), Some(disposition), Some(path)) = (kind, disposition, path) else {
                    return LineOutcome::Rejected(
                        "create_file record lacks access mask, object kind, disposition or path"
                            .into(),
                    );
                };
                let mask = match mask_text
                    .strip_prefix("0x")
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                {
                    Some(m) => m,
                    None => {
                        return LineOutcome::Rejected(
                            "create_file access mask is not a hexadecimal number".into(),
                        );
                    }
                };
                access_mask = Some(mask);
                let dir = kind == "dir";
                is_directory = Some(dir);
                let action = match disposition {
                    "create" if dir => FileAction::Mkdir,
                    "create" => FileAction::Create,
                    "overwrite" | "overwrite_if" | "supersede" => FileAction::Write,
                    _ if !dir && mask & FILE_READ_DATA != 0 => FileAction::Read,
                    _ => FileAction::Open,
                };
                (action, path, None)
            }
            "pread" | "pread_send" | "pread_recv" | "read" => {
                (FileAction::ReadData, body.args, None)
            }
            "pwrite" | "pwrite_send" | "pwrite_recv" | "write" => {
                (FileAction::WriteData, body.args, None)
            }
            "close" => (FileAction::Close, body.args, None),
            "renameat" | "rename" => {
                let (old, new) = self.split_two_paths(server, &share, body.args);
                (FileAction::Rename(String::new()), old, new)
            }
            "unlinkat" | "unlink" | "rmdir" => (FileAction::Delete, body.args, None),
            "mkdirat" | "mkdir" => {
                is_directory = Some(true);
                (FileAction::Mkdir, body.args, None)
            }
            _ => {
                let path = if body.args.starts_with('/') {
                    body.args
                } else {
                    body.args.find("|/").map_or("", |i| &body.args[i + 1..])
                };
                (FileAction::Other, path, None)
            }
        };

        // Learn the share root from the first path after connect.
        let session = self.sessions.entry(key).or_default();
        if op == "connect" {
            session.awaiting_root = true;
        } else if session.awaiting_root && path_arg.starts_with('/') {
            session.awaiting_root = false;
            let k = (server.map(str::to_owned), share.clone());
            if !share.is_empty()
                && !self.overrides.contains_key(&share)
                && body.share_path.is_none()
            {
                self.learned
                    .entry(k)
                    .or_insert_with(|| trim_root(path_arg).to_owned());
            }
        }

        let root = self.root_for(server, &share, body.share_path);
        let (path, relative) = if matches!(action, FileAction::Connect | FileAction::Disconnect) {
            (String::new(), true)
        } else {
            relativize(path_arg, root.as_deref())
        };
        if !relative {
            self.unresolved_paths += 1;
        }
        let action = match (action, second_path) {
            (FileAction::Rename(_), Some(new)) => {
                FileAction::Rename(relativize(new, root.as_deref()).0)
            }
            (a, _) => a,
        };
        self.audit_records += 1;
        LineOutcome::Event(Box::new(Event::FileAccess(FileAccess {
            time,
            server: server.map(str::to_owned),
            account,
            client_ip: body.client_ip,
            client_name: body.client_name.map(str::to_owned),
            session: pid.map(str::to_owned),
            share,
            path,
            path_is_relative: relative,
            action,
            operation: op.to_owned(),
            log: FileAccess::SAMBA_AUDIT,
            object_type: None,
            access_mask,
            is_directory,
            size: None,
            outcome: body.outcome,
        })))
    }

    /// Splits `old|new` where either path may contain `|`: the split is made where the second
    /// absolute path (starting with the share root, or else with `/`) begins.
    fn split_two_paths<'a>(
        &self,
        server: Option<&str>,
        share: &str,
        args: &'a str,
    ) -> (&'a str, Option<&'a str>) {
        if let Some(root) = self.root_for(server, share, None) {
            let marker = format!("|{root}");
            if let Some(i) = args.match_indices(&marker).map(|(i, _)| i).last() {
                return (&args[..i], Some(&args[i + 1..]));
            }
        }
        match args.match_indices("|/").map(|(i, _)| i).last() {
            Some(i) => (&args[..i], Some(&args[i + 1..])),
            None => (args, None),
        }
    }

    fn auth_record(&mut self, json: &str) -> LineOutcome {
        match parse_auth_json(json) {
            Ok(Some(auth)) => {
                self.auth_records += 1;
                LineOutcome::Event(Box::new(Event::Authentication(auth)))
            }
            Ok(None) => LineOutcome::Skipped,
            Err(reason) => LineOutcome::Rejected(reason),
        }
    }

    fn looks_like_audit(&self, message: &str) -> bool {
        message.bytes().filter(|&b| b == b'|').count() > self.prefix.fields.len()
    }
}

fn trim_root(root: &str) -> &str {
    let trimmed = root.trim_end_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}

/// Makes an absolute server path share-relative. Returns the path and whether it was relative
/// to the root; a path outside the root (or with no root known) is returned unchanged.
fn relativize(path: &str, root: Option<&str>) -> (String, bool) {
    let Some(root) = root else {
        return (path.to_owned(), path.is_empty());
    };
    if root == "/" {
        return (
            path.trim_start_matches('/').to_owned(),
            path.starts_with('/'),
        );
    }
    match path.strip_prefix(root) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            (rest.trim_start_matches('/').to_owned(), true)
        }
        _ => (path.to_owned(), false),
    }
}

#[derive(Deserialize)]
struct AuthLine {
    timestamp: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "Authentication")]
    authentication: Option<AuthBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthBody {
    event_id: Option<u32>,
    logon_type: Option<u32>,
    status: Option<String>,
    local_address: Option<String>,
    remote_address: Option<String>,
    service_description: Option<String>,
    client_domain: Option<String>,
    client_account: Option<String>,
    workstation: Option<String>,
    password_type: Option<String>,
}

/// Parses Samba's tsocket address text: `ipv4:10.0.0.1:445`, `ipv6:[fd00::1]:445` or
/// `ipv6:fd00::1:445`.
fn tsocket_address(text: &str) -> (Option<IpAddr>, Option<u16>) {
    let rest = text
        .strip_prefix("ipv4:")
        .or_else(|| text.strip_prefix("ipv6:"))
        .unwrap_or(text);
    if let Some(inner) = rest.strip_prefix('[')
        && let Some((addr, port)) = inner.split_once("]:")
    {
        return (parse_ip(addr), port.parse().ok());
    }
    match rest.rsplit_once(':') {
        Some((addr, port)) if parse_ip(addr).is_some() => (parse_ip(addr), port.parse().ok()),
        _ => (parse_ip(rest), None),
    }
}

/// Parses one `auth_json_audit` line. `Ok(None)` for JSON records of other types.
fn parse_auth_json(json: &str) -> Result<Option<Authentication>, String> {
    let line: AuthLine =
        serde_json::from_str(json).map_err(|e| format!("invalid JSON audit record: {e}"))?;
    if line.kind.as_deref() != Some("Authentication") {
        return Ok(None);
    }
    let body = line
        .authentication
        .ok_or("Authentication record lacks its Authentication object")?;
    let timestamp = line
        .timestamp
        .ok_or("Authentication record lacks a timestamp")?;
    let time = match parse_rfc3339(timestamp.as_bytes()) {
        Some((t, used)) if used == timestamp.len() => t,
        _ => return Err("Authentication timestamp is not ISO 8601 with a zone".into()),
    };
    let event_id = body.event_id.ok_or("Authentication record lacks eventId")?;
    let status = body.status.unwrap_or_default();
    let outcome = if status == "NT_STATUS_OK" || (status.is_empty() && event_id == 4624) {
        Outcome::Success
    } else {
        Outcome::Failure(status)
    };
    let (src_ip, src_port) = body
        .remote_address
        .as_deref()
        .map_or((None, None), tsocket_address);
    let (dst_ip, dst_port) = body
        .local_address
        .as_deref()
        .map_or((None, None), tsocket_address);
    let account = normalize_account(
        body.client_domain.as_deref(),
        body.client_account.as_deref().unwrap_or_default(),
    );
    Ok(Some(Authentication {
        time,
        action: AuthAction::Logon,
        account,
        src_ip,
        src_port,
        workstation: body.workstation.filter(|w| !w.is_empty()),
        dst_ip,
        dst_port,
        logon_type: body.logon_type,
        protocol: body.password_type,
        service: body.service_description,
        event_id,
        session: None,
        outcome,
    }))
}

impl LineParser for SambaParser {
    fn begin_file(&mut self, mtime: Option<std::time::SystemTime>) {
        self.start_file(mtime);
    }

    fn parse_line(&mut self, line: &str, _line_no: u64) -> LineOutcome {
        if line.trim().is_empty() {
            return LineOutcome::Skipped;
        }
        match parse_envelope(line) {
            Some(Envelope {
                transport,
                time,
                host,
                tag,
                pid,
                message,
            }) => {
                self.transport.get_or_insert(transport);
                let message = message.trim_start();
                match transport {
                    Transport::SmbdDebug => {
                        self.pending_header = Some((time, pid.map(str::to_owned)));
                        if message.is_empty() {
                            LineOutcome::Skipped
                        } else if message.starts_with('{') {
                            self.auth_record(message)
                        } else if self.looks_like_audit(message) {
                            self.audit_record(time, None, pid, message)
                        } else {
                            LineOutcome::Skipped
                        }
                    }
                    _ => {
                        // smbd's own log forwarded by a log shipper (rsyslog's imfile,
                        // Filebeat): the smbd header inside the syslog message is the record's.
                        if message.starts_with('[')
                            && parse_envelope(message)
                                .is_some_and(|inner| inner.transport == Transport::SmbdDebug)
                        {
                            return self.parse_line(message, _line_no);
                        }
                        if tag.is_some_and(|t| t.starts_with("smbd_audit")) {
                            self.audit_record(time, host, pid, message)
                        } else if message.starts_with("{\"timestamp\"") {
                            self.auth_record(message)
                        } else {
                            LineOutcome::Skipped
                        }
                    }
                }
            }
            None => {
                let starts_indented = line.starts_with([' ', '\t']);
                let body = line.trim();
                if body.starts_with('{') {
                    return self.auth_record(body);
                }
                if starts_indented {
                    if let Some((time, pid)) = self.pending_header.clone()
                        && self.looks_like_audit(body)
                    {
                        return self.audit_record(time, None, pid.as_deref(), body);
                    }
                    // A continuation line of another debug message.
                    return LineOutcome::Skipped;
                }
                if self.looks_like_audit(body) {
                    LineOutcome::Rejected(
                        "audit record without a syslog or smbd log header (no time)".into(),
                    )
                } else {
                    LineOutcome::Rejected("unrecognised line: no syslog or smbd log header".into())
                }
            }
        }
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.unresolved_paths > 0 {
            notes.push(format!(
                "{} records keep absolute server paths: their share root is unknown (give --share-root NAME=PATH)",
                self.unresolved_paths
            ));
        }
        notes
    }

    fn kind(&self) -> &'static str {
        if self.audit_records == 0 && self.auth_records > 0 {
            "samba_auth"
        } else {
            "samba_audit"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> SambaParser {
        SambaParser::new(SambaConfig {
            log_tz: jiff::tz::TimeZone::UTC,
            ..SambaConfig::default()
        })
    }

    fn access(outcome: LineOutcome) -> FileAccess {
        match outcome {
            LineOutcome::Event(e) => match *e {
                Event::FileAccess(a) => a,
                other => panic!("not a file access: {other:?}"),
            },
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn learns_root_and_keeps_pipes_in_paths() {
        let mut p = parser();
        let lines = [
            "2025-06-22T02:13:05.000001+09:00 fs01 smbd_audit: CORP\\K.Tanaka|10.1.3.34|ws-034|Sales|connect|ok|Sales",
            "2025-06-22T02:13:05.000002+09:00 fs01 smbd_audit: CORP\\K.Tanaka|10.1.3.34|ws-034|Sales|openat|ok|r|/srv/sales",
            "2025-06-22T02:13:05.000003+09:00 fs01 smbd_audit: CORP\\K.Tanaka|10.1.3.34|ws-034|Sales|create_file|ok|0x120089|file|open|/srv/sales/a|b/顧客.csv",
            "2025-06-22T02:13:05.000004+09:00 fs01 smbd_audit: CORP\\K.Tanaka|10.1.3.34|ws-034|Sales|renameat|ok|/srv/sales/x|y.txt|/srv/sales/z|w.txt",
            "2025-06-22T02:13:05.000005+09:00 fs01 smbd_audit: CORP\\K.Tanaka|::ffff:10.1.3.34|ws-034|Sales|create_file|ok|0x12019f|file|overwrite_if|/srv/sales/up.txt",
        ];
        let events: Vec<_> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| access(p.parse_line(l, i as u64 + 1)))
            .collect();
        assert_eq!(events[0].action, FileAction::Connect);
        assert_eq!(events[0].share, "sales");
        assert_eq!(events[1].path, "");
        assert_eq!(events[2].path, "a|b/顧客.csv");
        assert_eq!(events[2].action, FileAction::Read);
        assert_eq!(events[2].account, "corp\\k.tanaka");
        assert_eq!(events[2].access_mask, Some(0x120089));
        assert_eq!(events[3].path, "x|y.txt");
        assert_eq!(events[3].action, FileAction::Rename("z|w.txt".into()));
        assert_eq!(events[4].action, FileAction::Write);
        assert_eq!(
            events[4].client_ip.map(|i| i.to_string()),
            Some("10.1.3.34".into())
        );
        assert_eq!(events[0].time, 1_750_525_985_000_001);
    }

    #[test]
    fn rejects_and_skips_precisely() {
        let mut p = parser();
        let rejected = [
            "2025-06-22T02:13:05+09:00 fs01 smbd_audit: alice|10.0.0.1|ws|share",
            "2025-06-22T02:13:05+09:00 fs01 smbd_audit: alice|10.0.0.1|ws|share|openat|maybe|r|/x",
            "2025-06-22T02:13:05+09:00 fs01 smbd_audit: alice|not-an-ip|ws|share|openat|ok|r|/x",
            "2025-06-22T02:13:05+09:00 fs01 smbd_audit: alice|10.0.0.1|ws|share|create_file|ok|zz|file|open|/x",
            "2025-06-22T02:13:05+09:00 fs01 smbd_audit: alice|10.0.0.1|ws|share|create_file|ok|0x1|file",
            "alice|10.0.0.1|ws|share|openat|ok|r|/x",
            "\u{fffd}\u{fffd}garbage",
            "2025-06-22T02:13",
        ];
        for line in rejected {
            assert!(
                matches!(p.parse_line(line, 1), LineOutcome::Rejected(_)),
                "{line}"
            );
        }
        let skipped = [
            "",
            "2025-06-22T02:13:05+09:00 fs01 sshd[12]: Accepted publickey for root",
            "[2026/11/28 03:47:21.158569,  0, pid=14250]   smbd version 4.17.12-Debian started.",
            "  Copyright Andrew Tridgell and the Samba Team 1992-2022",
        ];
        for line in skipped {
            assert!(
                matches!(p.parse_line(line, 1), LineOutcome::Skipped),
                "{line}"
            );
        }
    }

    #[test]
    fn debug_header_with_message_on_next_line() {
        let mut p = parser();
        assert!(matches!(
            p.parse_line("[2026/11/28 03:31:01.914405,  1, pid=7] ../../source3/modules/vfs_full_audit.c:1001(do_log)", 1),
            LineOutcome::Skipped
        ));
        let a = access(p.parse_line("  alice|127.0.0.1|vm|records|pread_recv|ok|/srv/x.txt", 2));
        assert_eq!(a.action, FileAction::ReadData);
        assert_eq!(a.session.as_deref(), Some("7"));
        assert_eq!(a.time, 1_795_836_661_914_405);
    }

    #[test]
    fn smbd_log_lines_forwarded_by_a_shipper_keep_their_own_header() {
        let line = "[2026/11/28 03:31:01.914405,  1, pid=7]   alice|127.0.0.1|vm|records|pread_recv|ok|/srv/x.txt";
        let direct = access(parser().parse_line(line, 1));
        for forwarded in [
            format!("<133>1 2026-11-28T03:31:02.5Z vm smbd - - - {line}"),
            format!("<133>2026-11-28T03:31:02.5Z vm smbd: {line}"),
        ] {
            let a = access(parser().parse_line(&forwarded, 1));
            assert_eq!(a, direct, "{forwarded}");
        }
        assert_eq!(direct.time, 1_795_836_661_914_405);
        assert_eq!(direct.session.as_deref(), Some("7"));
    }

    #[test]
    fn prefix_templates() {
        assert!("%u|%I".parse::<AuditPrefix>().is_ok());
        assert!("%I|%m".parse::<AuditPrefix>().is_err());
        let mut p = SambaParser::new(SambaConfig {
            prefix: "%D|%u|%I|%P|%S".parse().unwrap(),
            log_tz: jiff::tz::TimeZone::UTC,
            ..SambaConfig::default()
        });
        let a = access(p.parse_line(
            "2025-06-22T02:13:05Z fs01 smbd_audit: CORP|bob|10.0.0.9|/data/hr|HR|create_file|ok|0x120089|file|open|/data/hr/pay.xlsx",
            1,
        ));
        assert_eq!(
            (a.account.as_str(), a.share.as_str(), a.path.as_str()),
            ("corp\\bob", "hr", "pay.xlsx")
        );
    }

    #[test]
    fn auth_json() {
        let mut p = parser();
        let line = r#"  {"timestamp": "2026-11-28T03:47:21.396110+0000", "type": "Authentication", "Authentication": {"eventId": 4625, "logonType": 3, "status": "NT_STATUS_WRONG_PASSWORD", "localAddress": "ipv4:127.0.0.1:4455", "remoteAddress": "ipv6:[fd00::7]:33874", "serviceDescription": "SMB2", "clientDomain": "WORKGROUP", "clientAccount": "Alice", "workstation": "VM", "passwordType": "NTLMv2"}}"#;
        match p.parse_line(line, 1) {
            LineOutcome::Event(e) => match *e {
                Event::Authentication(a) => {
                    assert_eq!(a.account, "workgroup\\alice");
                    assert_eq!(a.event_id, 4625);
                    assert_eq!(a.src_ip.map(|i| i.to_string()), Some("fd00::7".into()));
                    assert_eq!(a.src_port, Some(33874));
                    assert_eq!(
                        a.outcome,
                        Outcome::Failure("NT_STATUS_WRONG_PASSWORD".into())
                    );
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
}
