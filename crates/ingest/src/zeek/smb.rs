//! Zeek's SMB logs: file access seen on the network, for servers that audit nothing themselves.
//!
//! * `smb_files.log` (one record per file action Zeek logs: by default opens, renames, deletes,
//!   and with `SMB::logged_file_actions` also reads and writes) becomes a
//!   [`FileAccess`](breachscope_model::FileAccess) with the client, the server, the share, the
//!   share-relative path, the action and the size;
//! * `smb_mapping.log` (tree connects) becomes a [`FileAction::Connect`], and tells which share a
//!   connection mapped, for `smb_files` records whose `path` Zeek left unset;
//! * `ntlm.log` becomes an [`Authentication`] and tells which account each SMB connection (by
//!   its `uid`) authenticated as. File records take that account; a connection that did not
//!   authenticate itself (SMB3 multichannel's extra channels) takes the account last
//!   authenticated between the same client and server. Records whose account is not known are
//!   kept with an empty account (scoping still finds them by the client's address) and counted.
//!
//! What the network side cannot tell, and what breachscope assumes:
//! * Zeek logs no access mask and no directory flag. An `SMB::FILE_OPEN` of a named path is
//!   taken as a read of it ([`FileAction::Read`]) — the conservative reading for scoping a
//!   breach; the share root (`<share_root>`) is an [`FileAction::Open`] of a directory.
//! * Zeek logs actions, not outcomes: every record is a success.
//! * The server is named by its address (`id.resp_h`); the client by the workstation name its
//!   NTLM exchange gave (lower-case), where there was one.

use std::borrow::Cow;
use std::net::IpAddr;

use breachscope_model::{
    AuthAction, Authentication, Event, FileAccess, FileAction, Micros, Outcome, normalize_account,
};
use rustc_hash::FxHashMap;

use super::LogPath;
use super::tsv::zeek_time;

/// Sessions remembered at most; past this the oldest knowledge is forgotten (counted).
const MAX_REMEMBERED: usize = 1 << 20;

/// The fields of the SMB and NTLM logs breachscope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Ts,
    Uid,
    OrigH,
    OrigP,
    RespH,
    RespP,
    Action,
    Name,
    Path,
    PrevName,
    Size,
    ShareType,
    Username,
    Hostname,
    Domainname,
    Success,
}

impl Field {
    /// Every field, in the order of their discriminants.
    pub(crate) const ALL: [Field; 16] = [
        Field::Ts,
        Field::Uid,
        Field::OrigH,
        Field::OrigP,
        Field::RespH,
        Field::RespP,
        Field::Action,
        Field::Name,
        Field::Path,
        Field::PrevName,
        Field::Size,
        Field::ShareType,
        Field::Username,
        Field::Hostname,
        Field::Domainname,
        Field::Success,
    ];

    /// Zeek's name of the field.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Ts => "ts",
            Field::Uid => "uid",
            Field::OrigH => "id.orig_h",
            Field::OrigP => "id.orig_p",
            Field::RespH => "id.resp_h",
            Field::RespP => "id.resp_p",
            Field::Action => "action",
            Field::Name => "name",
            Field::Path => "path",
            Field::PrevName => "prev_name",
            Field::Size => "size",
            Field::ShareType => "share_type",
            Field::Username => "username",
            Field::Hostname => "hostname",
            Field::Domainname => "domainname",
            Field::Success => "success",
        }
    }
}

/// A record's fields, from a TSV line or a JSON object. `None` when the field is absent or
/// unset; the empty value is `Some("")`.
pub(crate) trait Fields {
    /// The field's value as text.
    fn text(&self, field: Field) -> Option<Cow<'_, str>>;
}

/// Who authenticated on a connection: the account and the workstation name NTLM gave.
#[derive(Debug, Clone)]
struct Who {
    account: String,
    workstation: Option<String>,
}

/// What the SMB logs taught about connections, kept from one file to the next (a zeekctl
/// archive writes `ntlm`, `smb_mapping` and `smb_files` as separate files).
#[derive(Debug, Default)]
pub(crate) struct SmbSessions {
    account_by_uid: FxHashMap<String, Who>,
    account_by_pair: FxHashMap<(IpAddr, IpAddr), Who>,
    share_by_uid: FxHashMap<String, String>,
    /// File records whose account came from their connection's own NTLM exchange.
    pub joined_by_uid: u64,
    /// File records whose account came from another connection between the same hosts.
    pub joined_by_hosts: u64,
    /// File records whose account is not known.
    pub without_account: u64,
    /// File records whose share is not known (no `path`, no mapping of their connection).
    pub without_share: u64,
    /// Times the remembered sessions were forgotten for room.
    pub forgotten: u64,
    /// `SMB::FILE_OPEN` records of named paths taken as reads.
    pub opens_as_reads: u64,
    /// The last server's address as text (records come in runs of one server).
    last_server: Option<(IpAddr, String)>,
}

impl SmbSessions {
    fn remember(&mut self, uid: Option<&str>, pair: (IpAddr, IpAddr), who: Who) {
        if self.account_by_uid.len() >= MAX_REMEMBERED
            || self.account_by_pair.len() >= MAX_REMEMBERED
        {
            self.account_by_uid.clear();
            self.account_by_pair.clear();
            self.forgotten += 1;
        }
        if let Some(uid) = uid {
            self.account_by_uid.insert(uid.to_owned(), who.clone());
        }
        self.account_by_pair.insert(pair, who);
    }

    /// The account (empty when unknown) and workstation of a connection.
    fn who(&mut self, uid: Option<&str>, pair: (IpAddr, IpAddr)) -> (String, Option<String>) {
        if let Some(w) = uid.and_then(|u| self.account_by_uid.get(u)) {
            self.joined_by_uid += 1;
            return (w.account.clone(), w.workstation.clone());
        }
        if let Some(w) = self.account_by_pair.get(&pair) {
            self.joined_by_hosts += 1;
            return (w.account.clone(), w.workstation.clone());
        }
        self.without_account += 1;
        (String::new(), None)
    }

    /// A server's address as text, formatted once per run of records of one server.
    fn server_name(&mut self, server: IpAddr) -> String {
        match &self.last_server {
            Some((ip, text)) if *ip == server => text.clone(),
            _ => {
                let text = server.to_string();
                self.last_server = Some((server, text.clone()));
                text
            }
        }
    }

    /// Notes for the user about joins that could not be made.
    pub(crate) fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.opens_as_reads > 0 {
            notes.push(format!(
                "{} SMB::FILE_OPEN records of named paths taken as reads: Zeek logs no access mask, so opens to write or list count too",
                self.opens_as_reads
            ));
        }
        if self.joined_by_hosts > 0 {
            notes.push(format!(
                "{} SMB file records took the account last authenticated between the same client and server (their own connection has no NTLM record)",
                self.joined_by_hosts
            ));
        }
        if self.without_account > 0 {
            notes.push(format!(
                "{} SMB file records have no account (no ntlm.log record for their connection or hosts): scoping finds them by the client's address",
                self.without_account
            ));
        }
        if self.without_share > 0 {
            notes.push(format!(
                "{} SMB file records have no share (Zeek saw no tree connect for their connection)",
                self.without_share
            ));
        }
        if self.forgotten > 0 {
            notes.push(format!(
                "SMB session knowledge was forgotten {} times for room ({} sessions)",
                self.forgotten, MAX_REMEMBERED
            ));
        }
        notes
    }
}

fn required(f: &dyn Fields, field: Field) -> Result<Cow<'_, str>, String> {
    f.text(field)
        .ok_or_else(|| format!("missing {}", field.name()))
}

fn address(f: &dyn Fields, field: Field) -> Result<IpAddr, String> {
    let text = required(f, field)?;
    breachscope_model::net::parse_ip(&text)
        .ok_or_else(|| format!("{} is not an IP address", field.name()))
}

fn port(f: &dyn Fields, field: Field) -> Result<Option<u16>, String> {
    let name = field.name();
    f.text(field)
        .map(|p| {
            p.parse::<u16>()
                .map_err(|_| format!("{name} is not a port"))
        })
        .transpose()
}

fn time(f: &dyn Fields) -> Result<(Micros, bool), String> {
    zeek_time(required(f, Field::Ts)?.as_bytes())
}

/// The share name of a UNC tree path (`\\server\share` → `share`), lower-case.
fn share_of(tree: &str) -> String {
    tree.trim_end_matches('\\')
        .rsplit('\\')
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

/// A share-relative path from Zeek's `name` (backslashes, `<share_root>` for the root).
fn relative_path(name: &str) -> String {
    if name == "<share_root>" {
        return String::new();
    }
    name.trim_start_matches('\\').replace('\\', "/")
}

/// What an `SMB::…` action becomes, and the object it acts on (`None`: a file or directory).
fn action_of(
    action: &str,
    path: &str,
    prev_name: Option<&str>,
) -> (FileAction, Option<&'static str>) {
    let action = action.strip_prefix("SMB::").unwrap_or(action);
    let (verb, object) = match action.split_once('_') {
        Some(("PIPE", verb)) => (verb, Some("Pipe")),
        Some(("PRINT", verb)) => (verb, Some("Printer")),
        Some((_, verb)) => (verb, None),
        None => (action, None),
    };
    let file_action = match verb {
        "OPEN" if object.is_none() && !path.is_empty() => FileAction::Read,
        "OPEN" => FileAction::Open,
        "READ" => FileAction::ReadData,
        "WRITE" => FileAction::WriteData,
        "CLOSE" => FileAction::Close,
        "DELETE" => FileAction::Delete,
        "RENAME" if prev_name.is_some() => FileAction::Rename(path.to_owned()),
        _ => FileAction::Other,
    };
    (file_action, object)
}

/// Turns one record of an SMB log (`path` says which) into an event.
pub(crate) fn parse(
    path: LogPath,
    f: &dyn Fields,
    sessions: &mut SmbSessions,
) -> Result<(Event, bool), String> {
    let (time, redacted) = time(f)?;
    let client = address(f, Field::OrigH)?;
    let server = address(f, Field::RespH)?;
    let client_port = port(f, Field::OrigP)?;
    let server_port = port(f, Field::RespP)?;
    let uid = f.text(Field::Uid);
    let event = match path {
        LogPath::Ntlm => {
            let user = f.text(Field::Username).filter(|u| !u.is_empty());
            let account = match &user {
                Some(u) => normalize_account(f.text(Field::Domainname).as_deref(), u),
                None => String::new(),
            };
            let outcome = match f.text(Field::Success).as_deref() {
                Some("F") | Some("false") => Outcome::Failure("NTLM authentication failed".into()),
                _ => Outcome::Success,
            };
            let workstation = f
                .text(Field::Hostname)
                .filter(|h| !h.is_empty())
                .map(|h| h.to_lowercase());
            if outcome.is_success() && !account.is_empty() {
                let who = Who {
                    account: account.clone(),
                    workstation: workstation.clone(),
                };
                sessions.remember(uid.as_deref(), (client, server), who);
            }
            Event::Authentication(Authentication {
                time,
                action: AuthAction::Logon,
                account,
                src_ip: Some(client),
                src_port: client_port,
                workstation,
                dst_ip: Some(server),
                dst_port: server_port,
                logon_type: Some(3),
                protocol: Some("NTLM".into()),
                service: matches!(server_port, Some(445 | 139)).then(|| "SMB".into()),
                event_id: 0,
                session: uid.map(Cow::into_owned),
                outcome,
            })
        }
        LogPath::SmbMapping => {
            let tree = required(f, Field::Path)?;
            let share = share_of(&tree);
            if share.is_empty() {
                return Err("path names no share".into());
            }
            let pipe = f.text(Field::ShareType).is_some_and(|t| t == "PIPE");
            if !pipe && let Some(uid) = &uid {
                if sessions.share_by_uid.len() >= MAX_REMEMBERED {
                    sessions.share_by_uid.clear();
                    sessions.forgotten += 1;
                }
                sessions.share_by_uid.insert(uid.to_string(), share.clone());
            }
            let (account, client_name) = sessions.who(uid.as_deref(), (client, server));
            Event::FileAccess(FileAccess {
                time,
                server: Some(sessions.server_name(server)),
                account,
                client_ip: Some(client),
                client_name,
                session: uid.map(Cow::into_owned),
                share,
                path: String::new(),
                path_is_relative: true,
                action: FileAction::Connect,
                operation: "smb_mapping".into(),
                log: FileAccess::ZEEK_SMB,
                object_type: None,
                access_mask: None,
                is_directory: Some(true),
                size: None,
                outcome: Outcome::Success,
            })
        }
        _ => {
            let action = required(f, Field::Action)?;
            let name = f.text(Field::Name);
            let prev_name = f.text(Field::PrevName);
            let share = match f.text(Field::Path) {
                Some(tree) => share_of(&tree),
                None => match uid.as_deref().and_then(|u| sessions.share_by_uid.get(u)) {
                    Some(s) => s.clone(),
                    None => {
                        sessions.without_share += 1;
                        String::new()
                    }
                },
            };
            let path = name.as_deref().map(relative_path).unwrap_or_default();
            let (file_action, object_type) = action_of(
                &action,
                &path,
                prev_name.as_deref().filter(|p| !p.is_empty()),
            );
            if file_action == FileAction::Read {
                sessions.opens_as_reads += 1;
            }
            // A rename's record names the new path; the event's path is the old one.
            let path = match (&file_action, prev_name.as_deref()) {
                (FileAction::Rename(_), Some(prev)) => relative_path(prev),
                _ => path,
            };
            let size = f
                .text(Field::Size)
                .map(|s| {
                    s.parse::<u64>()
                        .map_err(|_| "size is not a count".to_owned())
                })
                .transpose()?;
            let (account, client_name) = sessions.who(uid.as_deref(), (client, server));
            Event::FileAccess(FileAccess {
                time,
                server: Some(sessions.server_name(server)),
                account,
                client_ip: Some(client),
                client_name,
                session: uid.map(Cow::into_owned),
                is_directory: (name.as_deref() == Some("<share_root>")).then_some(true),
                share,
                path_is_relative: true,
                path,
                action: file_action,
                operation: action.into_owned(),
                log: FileAccess::ZEEK_SMB,
                object_type: object_type.map(str::to_owned),
                access_mask: None,
                size,
                outcome: Outcome::Success,
            })
        }
    };
    Ok((event, redacted))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Map(Vec<(&'static str, &'static str)>);

    impl Fields for Map {
        fn text(&self, field: Field) -> Option<Cow<'_, str>> {
            self.0
                .iter()
                .find(|(k, _)| *k == field.name())
                .map(|(_, v)| Cow::Borrowed(*v))
        }
    }

    fn base(extra: &[(&'static str, &'static str)]) -> Map {
        let mut v = vec![
            ("ts", "1700000000.5"),
            ("uid", "C1"),
            ("id.orig_h", "10.0.0.5"),
            ("id.orig_p", "50000"),
            ("id.resp_h", "10.0.0.9"),
            ("id.resp_p", "445"),
        ];
        v.extend_from_slice(extra);
        Map(v)
    }

    fn access(e: Event) -> FileAccess {
        match e {
            Event::FileAccess(a) => a,
            other => panic!("not a file access: {other:?}"),
        }
    }

    #[test]
    fn joins_account_share_and_maps_actions() {
        let mut s = SmbSessions::default();
        let ntlm = base(&[
            ("username", "Alice"),
            ("domainname", "CORP"),
            ("success", "T"),
        ]);
        let (auth, _) = parse(LogPath::Ntlm, &ntlm, &mut s).unwrap();
        assert!(matches!(&auth, Event::Authentication(a) if a.account == "corp\\alice"));
        let map = base(&[("path", "\\\\FS01\\HR"), ("share_type", "DISK")]);
        let c = access(parse(LogPath::SmbMapping, &map, &mut s).unwrap().0);
        assert_eq!((c.share.as_str(), &c.action), ("hr", &FileAction::Connect));
        let open = base(&[
            ("action", "SMB::FILE_OPEN"),
            ("name", "Pay\\2024.xlsx"),
            ("size", "25940"),
        ]);
        let a = access(parse(LogPath::SmbFiles, &open, &mut s).unwrap().0);
        assert_eq!(a.account, "corp\\alice");
        assert_eq!(a.share, "hr", "share from the connection's mapping");
        assert_eq!(a.path, "Pay/2024.xlsx");
        assert_eq!(a.action, FileAction::Read);
        assert_eq!(a.size, Some(25940));
        assert_eq!(a.time, 1_700_000_000_500_000);
        let root = base(&[("action", "SMB::FILE_OPEN"), ("name", "<share_root>")]);
        let r = access(parse(LogPath::SmbFiles, &root, &mut s).unwrap().0);
        assert_eq!(
            (r.path.as_str(), &r.action, r.is_directory),
            ("", &FileAction::Open, Some(true))
        );
        let ren = base(&[
            ("action", "SMB::FILE_RENAME"),
            ("name", "b.txt"),
            ("prev_name", "a.txt"),
        ]);
        let r = access(parse(LogPath::SmbFiles, &ren, &mut s).unwrap().0);
        assert_eq!(
            (r.path.as_str(), &r.action),
            ("a.txt", &FileAction::Rename("b.txt".into()))
        );
        let pipe = base(&[("action", "SMB::PIPE_OPEN"), ("name", "srvsvc")]);
        let p = access(parse(LogPath::SmbFiles, &pipe, &mut s).unwrap().0);
        assert_eq!(
            (p.object_type.as_deref(), &p.action),
            (Some("Pipe"), &FileAction::Open)
        );
        // Another connection between the same hosts (a multichannel channel) takes the account.
        let mut other = base(&[("action", "SMB::FILE_OPEN"), ("name", "x")]);
        other.0[1] = ("uid", "C2");
        let o = access(parse(LogPath::SmbFiles, &other, &mut s).unwrap().0);
        assert_eq!((o.account.as_str(), o.share.as_str()), ("corp\\alice", ""));
        // The assumption is said: two opens of named paths were taken as reads.
        assert_eq!(s.opens_as_reads, 2);
        assert!(s.notes()[0].starts_with("2 SMB::FILE_OPEN records of named paths taken as reads"));
        assert_eq!(
            (s.joined_by_uid, s.joined_by_hosts, s.without_share),
            (5, 1, 1)
        );
    }

    #[test]
    fn rejects_name_the_field() {
        let mut s = SmbSessions::default();
        let no_action = base(&[("name", "x")]);
        assert_eq!(
            parse(LogPath::SmbFiles, &no_action, &mut s).unwrap_err(),
            "missing action"
        );
        let bad_size = base(&[("action", "SMB::FILE_OPEN"), ("size", "many")]);
        assert_eq!(
            parse(LogPath::SmbFiles, &bad_size, &mut s).unwrap_err(),
            "size is not a count"
        );
        let bad_ip = Map(vec![
            ("ts", "1"),
            ("id.orig_h", "nope"),
            ("id.resp_h", "10.0.0.1"),
        ]);
        assert_eq!(
            parse(LogPath::Ntlm, &bad_ip, &mut s).unwrap_err(),
            "id.orig_h is not an IP address"
        );
        let no_share = base(&[("path", "\\\\")]);
        assert_eq!(
            parse(LogPath::SmbMapping, &no_share, &mut s).unwrap_err(),
            "path names no share"
        );
    }
}
