//! Windows Security events → breachscope events.
//!
//! | event id | what | becomes |
//! |---|---|---|
//! | 4624, 4625 | logon, failed logon | [`Authentication`] `Logon` |
//! | 4634, 4647 | logoff, user-initiated logoff | [`Authentication`] `Logoff` |
//! | 4648 | logon with explicit credentials | [`Authentication`] `ExplicitCredentials` |
//! | 4672 | special privileges assigned | [`Authentication`] `SpecialPrivileges` |
//! | 5140 | network share accessed | [`FileAccess`] `Connect` |
//! | 5145 | share object checked for access | [`FileAccess`] `Read`/`Write`/`Delete`/`Open` by its mask |
//! | 4656, 4663 | handle requested, object accessed | [`FileAccess`] (`Open`; 4663 by its mask) |
//! | 4660 | object deleted | [`FileAccess`] `Delete` |
//! | 1102 | audit log cleared | [`LogCleared`] |
//!
//! Object-access events (4656/4663/4660) carry no client address: it is found through the logon
//! session, 4624's `TargetLogonId` = the object event's `SubjectLogonId` on the same computer.
//! 4660 carries no object name: it is found through the handle (`HandleId` and `ProcessId`) that
//! an earlier 4656 or 4663 named. Local object paths become share-relative where a share's local
//! path is known (learned from 5140/5145 `ShareLocalPath`, or configured).

use std::collections::HashMap;
use std::net::IpAddr;

use breachscope_model::windows::{
    APPEND_DATA, DELETE, READ_DATA, WRITE_DATA, access_list_mask, parse_mask,
};
use breachscope_model::{
    AuthAction, Authentication, Event, FileAccess, FileAction, LogCleared, Outcome,
    normalize_account,
};

use super::record::WinRecord;

/// The event ids the mapping turns into events; every other record is counted and skipped.
pub const MAPPED_EVENT_IDS: [u32; 12] = [
    1102, 4624, 4625, 4634, 4647, 4648, 4656, 4660, 4663, 4672, 5140, 5145,
];

/// What a logon session says about its client.
#[derive(Debug, Clone)]
struct Session {
    ip: Option<IpAddr>,
    workstation: Option<String>,
}

/// The mapping's memory: logon sessions, open handles and share roots, kept across files.
#[derive(Debug, Default)]
pub struct Mapper {
    /// (computer, logon id) → client.
    sessions: HashMap<(String, String), Session>,
    /// (computer, process id, handle id) → object name and type.
    handles: HashMap<(String, String, String), (String, Option<String>)>,
    /// Share roots: (local path prefix, lower-case with `\`, share name lower-case), longest
    /// first.
    roots: Vec<(String, String)>,
}

/// Parses a Windows address field: `-` and empty are none; `::ffff:a.b.c.d` becomes IPv4.
pub fn parse_address(text: Option<&str>) -> Option<IpAddr> {
    breachscope_model::net::parse_ip(text?)
}

fn parse_port(text: Option<&str>) -> Option<u16> {
    text?.parse().ok().filter(|p| *p != 0)
}

/// `\\*\C$` → `c$`.
fn share_name(text: &str) -> String {
    text.rsplit('\\').next().unwrap_or(text).to_lowercase()
}

/// `\??\C:\Shares\HR` → `c:\shares\hr`.
fn local_root(text: &str) -> String {
    let t = text.trim().trim_start_matches("\\??\\");
    t.trim_end_matches('\\').to_lowercase()
}

/// A share-relative path from Windows' `RelativeTargetName` (`dir\file.txt`).
fn relative_path(text: &str) -> String {
    text.trim_matches('\\').replace('\\', "/")
}

fn account(r: &WinRecord, user: &str, domain: &str) -> String {
    normalize_account(r.get(domain), r.get(user).unwrap_or("-"))
}

fn outcome(r: &WinRecord) -> Outcome {
    if r.is_audit_failure() || r.event_id == Some(4625) {
        let detail = ["FailureReason", "Status", "SubStatus"]
            .iter()
            .filter_map(|k| r.get(k))
            .collect::<Vec<_>>()
            .join(" ");
        Outcome::Failure(if detail.is_empty() {
            "audit failure".into()
        } else {
            detail
        })
    } else {
        Outcome::Success
    }
}

fn mask(r: &WinRecord) -> Option<u32> {
    r.get("AccessMask")
        .and_then(parse_mask)
        .or_else(|| r.get("AccessList").and_then(access_list_mask))
}

/// What an access mask on a file amounts to.
fn action_for_mask(mask: Option<u32>) -> FileAction {
    match mask {
        Some(m) if m & READ_DATA != 0 => FileAction::Read,
        Some(m) if m & (WRITE_DATA | APPEND_DATA) != 0 => FileAction::Write,
        Some(m) if m & DELETE != 0 => FileAction::Delete,
        _ => FileAction::Open,
    }
}

impl Mapper {
    /// A mapper that knows these share roots: (share name, local path such as `D:\Shares\HR`).
    pub fn new(roots: &[(String, String)]) -> Self {
        let mut m = Mapper::default();
        for (share, path) in roots {
            m.learn_root(&share.to_lowercase(), path);
        }
        m
    }

    fn learn_root(&mut self, share: &str, path: &str) {
        let root = local_root(path);
        if root.is_empty() || self.roots.iter().any(|(r, _)| *r == root) {
            return;
        }
        self.roots.push((root, share.to_owned()));
        self.roots.sort_by_key(|r| std::cmp::Reverse(r.0.len()));
    }

    /// (share, path, relative) of a local object name.
    fn locate(&self, object: &str) -> (String, String, bool) {
        let lower = object.to_lowercase();
        for (root, share) in &self.roots {
            if let Some(rest) = lower.strip_prefix(root.as_str())
                && (rest.is_empty() || rest.starts_with('\\'))
            {
                // Cut the original by the root's length in characters (lower-casing can
                // change a character's length in bytes).
                let skip = root.chars().count();
                let original: String = object.chars().skip(skip).collect();
                return (share.clone(), relative_path(&original), true);
            }
        }
        (String::new(), object.to_owned(), false)
    }

    /// Maps one record. `None` for records of unmapped event ids (counted as skipped by the
    /// caller); `Some(Err(reason))` for mapped records missing what they need.
    pub fn map(&mut self, r: &WinRecord) -> Option<Result<Event, String>> {
        let id = r.event_id?;
        if !MAPPED_EVENT_IDS.contains(&id) {
            return None;
        }
        Some(self.map_mapped(id, r))
    }

    fn map_mapped(&mut self, id: u32, r: &WinRecord) -> Result<Event, String> {
        let server = (!r.computer.is_empty()).then(|| r.computer.clone());
        match id {
            4624 | 4625 | 4634 | 4647 | 4648 | 4672 => Ok(self.authentication(id, r)),
            1102 => Ok(Event::LogCleared(LogCleared {
                time: r.time,
                server,
                account: account(r, "SubjectUserName", "SubjectDomainName"),
                session: r.get("SubjectLogonId").map(str::to_owned),
                channel: if r.channel.is_empty() {
                    "Security".into()
                } else {
                    r.channel.clone()
                },
                event_id: id,
            })),
            5140 | 5145 => {
                let share_field = r
                    .get("ShareName")
                    .ok_or_else(|| format!("event {id} without ShareName"))?;
                let share = share_name(share_field);
                if let Some(local) = r.get("ShareLocalPath") {
                    self.learn_root(&share, local);
                }
                let mask = mask(r);
                let (path, action) = if id == 5140 {
                    (String::new(), FileAction::Connect)
                } else {
                    let path = relative_path(r.get("RelativeTargetName").unwrap_or(""));
                    let action = if path.is_empty() {
                        FileAction::Open
                    } else {
                        action_for_mask(mask)
                    };
                    (path, action)
                };
                Ok(Event::FileAccess(FileAccess {
                    time: r.time,
                    server,
                    account: account(r, "SubjectUserName", "SubjectDomainName"),
                    client_ip: parse_address(r.get("IpAddress")),
                    client_name: None,
                    session: r.get("SubjectLogonId").map(str::to_owned),
                    share,
                    is_directory: (id == 5140 || path.is_empty()).then_some(true),
                    size: None,
                    path,
                    path_is_relative: true,
                    action,
                    operation: id.to_string(),
                    log: FileAccess::WINDOWS_SECURITY,
                    object_type: r.get("ObjectType").map(str::to_owned),
                    access_mask: mask,
                    outcome: outcome(r),
                }))
            }
            _ => Ok(self.object_access(id, r)),
        }
    }

    fn authentication(&mut self, id: u32, r: &WinRecord) -> Event {
        let (action, user, domain, session_field) = match id {
            4624 | 4625 => (
                AuthAction::Logon,
                "TargetUserName",
                "TargetDomainName",
                "TargetLogonId",
            ),
            4634 | 4647 => (
                AuthAction::Logoff,
                "TargetUserName",
                "TargetDomainName",
                "TargetLogonId",
            ),
            4648 => (
                AuthAction::ExplicitCredentials,
                "TargetUserName",
                "TargetDomainName",
                "SubjectLogonId",
            ),
            _ => (
                AuthAction::SpecialPrivileges,
                "SubjectUserName",
                "SubjectDomainName",
                "SubjectLogonId",
            ),
        };
        let src_ip = parse_address(r.get("IpAddress"));
        let workstation = r.get("WorkstationName").map(str::to_owned);
        let session = r.get(session_field).map(str::to_owned);
        if id == 4624
            && let Some(logon_id) = &session
        {
            self.sessions.insert(
                (r.computer.clone(), logon_id.clone()),
                Session {
                    ip: src_ip,
                    workstation: workstation.clone(),
                },
            );
        }
        let protocol = match (r.get("AuthenticationPackageName"), r.get("LmPackageName")) {
            (Some(p), Some(lm)) if p.eq_ignore_ascii_case("NTLM") => Some(lm.to_owned()),
            (Some(p), _) => Some(p.to_owned()),
            (None, _) => None,
        };
        Event::Authentication(Authentication {
            time: r.time,
            action,
            account: account(r, user, domain),
            src_ip,
            src_port: parse_port(r.get("IpPort")),
            workstation,
            dst_ip: None,
            dst_port: None,
            logon_type: r.get("LogonType").and_then(|t| t.parse().ok()),
            protocol,
            service: r.get("TargetServerName").map(str::to_owned),
            event_id: id,
            session,
            outcome: outcome(r),
        })
    }

    fn object_access(&mut self, id: u32, r: &WinRecord) -> Event {
        let process = r.get("ProcessId").unwrap_or("").to_owned();
        let handle = r.get("HandleId").unwrap_or("").to_owned();
        let handle_key = (r.computer.clone(), process, handle);
        let object_type = r.get("ObjectType").map(str::to_owned);
        let (object, object_type) = match r.get("ObjectName") {
            Some(name) => {
                if id != 4660 && !handle_key.2.is_empty() && handle_key.2 != "0x0" {
                    self.handles
                        .insert(handle_key.clone(), (name.to_owned(), object_type.clone()));
                }
                (Some(name.to_owned()), object_type)
            }
            None => match self.handles.get(&handle_key) {
                Some((name, known_type)) => (Some(name.clone()), known_type.clone()),
                // A deleted object whose handle was not seen: its kind is unknown, so it is not
                // taken for a file.
                None => (None, object_type.or_else(|| Some("Unknown".to_owned()))),
            },
        };
        let logon = r.get("SubjectLogonId").map(str::to_owned);
        let client = logon
            .as_ref()
            .and_then(|l| self.sessions.get(&(r.computer.clone(), l.clone())));
        let mask = mask(r);
        let action = match id {
            4660 => FileAction::Delete,
            4663 => action_for_mask(mask),
            _ => FileAction::Open,
        };
        let (share, path, path_is_relative) = self.locate(object.as_deref().unwrap_or(""));
        Event::FileAccess(FileAccess {
            time: r.time,
            server: (!r.computer.is_empty()).then(|| r.computer.clone()),
            account: account(r, "SubjectUserName", "SubjectDomainName"),
            client_ip: client.and_then(|c| c.ip),
            client_name: client.and_then(|c| c.workstation.clone()),
            session: logon,
            share,
            path,
            path_is_relative,
            action,
            operation: id.to_string(),
            log: FileAccess::WINDOWS_SECURITY,
            object_type,
            access_mask: mask,
            is_directory: None,
            size: None,
            outcome: outcome(r),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: u32, data: &[(&str, &str)]) -> WinRecord {
        WinRecord {
            record_id: 1,
            event_id: Some(id),
            time: 1_000,
            provider: "Microsoft-Windows-Security-Auditing".into(),
            channel: "Security".into(),
            computer: "fs01.corp.example".into(),
            keywords: 0x8020_0000_0000_0000,
            data: data
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn share_read_by_mask_and_list() {
        let mut m = Mapper::default();
        let r = rec(
            5145,
            &[
                ("SubjectUserName", "K.Tanaka"),
                ("SubjectDomainName", "CORP"),
                ("IpAddress", "::ffff:10.1.3.34"),
                ("ShareName", "\\\\*\\HR"),
                ("ShareLocalPath", "\\??\\D:\\Shares\\HR"),
                ("RelativeTargetName", "payroll\\2024.xlsx"),
                ("AccessMask", "-"),
                ("AccessList", "%%4416\r\n\t\t\t\t%%4423\r\n\t\t\t\t"),
            ],
        );
        let Some(Ok(Event::FileAccess(a))) = m.map(&r) else {
            panic!("not a file access")
        };
        assert_eq!(a.share, "hr");
        assert_eq!(a.path, "payroll/2024.xlsx");
        assert_eq!(a.account, "corp\\k.tanaka");
        assert_eq!(a.client_ip, Some("10.1.3.34".parse().unwrap()));
        assert_eq!(a.action, FileAction::Read);
        assert_eq!(a.access_mask, Some(0x81));
        // The share's local path was learned: a 4663 on it is share-relative, and its client
        // comes from the 4624 of its logon session.
        let logon = rec(
            4624,
            &[
                ("TargetUserName", "K.Tanaka"),
                ("TargetDomainName", "CORP"),
                ("TargetLogonId", "0x3e7abc"),
                ("IpAddress", "10.1.3.34"),
                ("WorkstationName", "WS-034"),
                ("LogonType", "3"),
                ("AuthenticationPackageName", "NTLM"),
                ("LmPackageName", "NTLM V2"),
            ],
        );
        let Some(Ok(Event::Authentication(l))) = m.map(&logon) else {
            panic!("not a logon")
        };
        assert_eq!(l.protocol.as_deref(), Some("NTLM V2"));
        assert_eq!(l.logon_type, Some(3));
        let access = rec(
            4663,
            &[
                ("SubjectUserName", "K.Tanaka"),
                ("SubjectLogonId", "0x3e7abc"),
                ("ObjectType", "File"),
                ("ObjectName", "D:\\Shares\\HR\\payroll\\2024.xlsx"),
                ("HandleId", "0x1a4"),
                ("ProcessId", "0x4"),
                ("AccessMask", "0x1"),
            ],
        );
        let Some(Ok(Event::FileAccess(a))) = m.map(&access) else {
            panic!("not a file access")
        };
        assert_eq!(
            (a.share.as_str(), a.path.as_str()),
            ("hr", "payroll/2024.xlsx")
        );
        assert!(a.path_is_relative);
        assert_eq!(a.client_ip, Some("10.1.3.34".parse().unwrap()));
        assert_eq!(a.client_name.as_deref(), Some("WS-034"));
        assert_eq!(a.action, FileAction::Read);
        // 4660 finds its object through the handle.
        let deleted = rec(
            4660,
            &[
                ("SubjectUserName", "K.Tanaka"),
                ("HandleId", "0x1a4"),
                ("ProcessId", "0x4"),
            ],
        );
        let Some(Ok(Event::FileAccess(a))) = m.map(&deleted) else {
            panic!("not a file access")
        };
        assert_eq!(a.action, FileAction::Delete);
        assert_eq!(a.path, "payroll/2024.xlsx");
    }

    #[test]
    fn unmapped_and_broken_records() {
        let mut m = Mapper::default();
        assert!(m.map(&rec(4688, &[])).is_none());
        let mut no_id = rec(4624, &[]);
        no_id.event_id = None;
        assert!(m.map(&no_id).is_none());
        assert!(matches!(m.map(&rec(5140, &[])), Some(Err(_))));
        let mut failed = rec(4625, &[("TargetUserName", "x"), ("Status", "0xc000006d")]);
        failed.keywords = 0x8010_0000_0000_0000;
        let Some(Ok(Event::Authentication(a))) = m.map(&failed) else {
            panic!()
        };
        assert_eq!(a.outcome, Outcome::Failure("0xc000006d".into()));
        assert_eq!(parse_address(Some("-")), None);
        assert_eq!(parse_address(Some("::1")), Some("::1".parse().unwrap()));
    }
}
