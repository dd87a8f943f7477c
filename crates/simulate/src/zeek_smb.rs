//! The file server's sessions as a Zeek sensor on the network sees them: zeekctl's hourly
//! `ntlm`, `smb_mapping` and `smb_files` logs (Zeek 8/9 layouts, `base/protocols/ntlm` and
//! `base/protocols/smb`, default `SMB::logged_file_actions`), written beside `conn` and `dns`.
//!
//! What Zeek sees of a session: the NTLM authentication (account, workstation), the tree
//! connect (`\\SERVER\share`, `DISK`), and every successful create as `SMB::FILE_OPEN` with the
//! file's size: a read, an overwrite and a directory listing alike. Failed creates and the
//! content transfers (reads and writes are not logged by default) leave no record.

use std::collections::HashMap;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use jiff::tz::TimeZone;

use crate::SimulateError;
use crate::logs::{AuditLine, hour_file, local_parts, open_gz, secs, zeek_stamp};

const NTLM_FIELDS: &str = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tusername\thostname\tdomainname\tserver_nb_computer_name\tserver_dns_computer_name\tserver_tree_name\tsuccess";
const NTLM_TYPES: &str = "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tstring\tstring\tbool";
const MAPPING_FIELDS: &str = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tpath\tservice\tnative_file_system\tshare_type";
const MAPPING_TYPES: &str =
    "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring";
const FILES_FIELDS: &str = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tfuid\taction\tpath\tname\tsize\tprev_name\ttimes.modified\ttimes.accessed\ttimes.created\ttimes.changed";
const FILES_TYPES: &str = "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tenum\tstring\tstring\tcount\tstring\ttime\ttime\ttime\ttime";

/// One SMB connection as Zeek identifies it.
#[derive(Debug, Clone)]
struct Connection {
    uid: String,
    port: u16,
}

/// The server, the names the audit lines refer to, and the files' sizes.
pub struct SmbContext<'a> {
    /// The file server's name (`fs01`).
    pub server_name: &'a str,
    /// Its address.
    pub server_ip: Ipv4Addr,
    /// Accounts by employee index.
    pub accounts: &'a [String],
    /// Share names by index.
    pub shares: &'a [String],
    /// Where the shares live on the server (`/srv/shares`).
    pub share_root: &'a str,
    /// File sizes by (share, share-relative path).
    pub sizes: &'a HashMap<(String, String), u64>,
}

/// Writes the SMB logs of the audit lines it is given, keeping open connections across days.
pub struct ZeekSmbLogs {
    root: PathBuf,
    zone: TimeZone,
    open: HashMap<(usize, Ipv4Addr, usize), Connection>,
    next: u64,
    /// `smb_files` rows written.
    pub file_rows: u64,
}

/// Zeek's ASCII escaping of a backslash.
fn escaped(s: &str) -> String {
    s.replace('\\', "\\\\")
}

impl ZeekSmbLogs {
    /// Logs under `root` (the Zeek archive), dated in `zone`.
    pub fn new(root: PathBuf, zone: TimeZone) -> Self {
        ZeekSmbLogs {
            root,
            zone,
            open: HashMap::new(),
            next: 0,
            file_rows: 0,
        }
    }

    /// Writes the SMB records of `lines` (one day's audit, sorted by time), one file per log
    /// and local hour.
    pub fn write_day(
        &mut self,
        lines: &[AuditLine],
        cx: &SmbContext<'_>,
    ) -> Result<(), SimulateError> {
        let mut hours: Vec<(jiff::civil::DateTime, [Vec<String>; 3])> = Vec::new();
        for l in lines {
            let Some(local) = local_parts(&self.zone, l.ts) else {
                continue;
            };
            let Ok(hour) = local
                .with()
                .minute(0)
                .second(0)
                .subsec_nanosecond(0)
                .build()
            else {
                continue;
            };
            if hours.last().is_none_or(|(h, _)| *h != hour) {
                hours.push((hour, Default::default()));
            }
            let Some((_, rows)) = hours.last_mut() else {
                continue;
            };
            self.rows(l, cx, rows);
        }
        for (hour, rows) in hours {
            for (kind, fields, types, rows) in [
                ("ntlm", NTLM_FIELDS, NTLM_TYPES, &rows[0]),
                ("smb_mapping", MAPPING_FIELDS, MAPPING_TYPES, &rows[1]),
                ("smb_files", FILES_FIELDS, FILES_TYPES, &rows[2]),
            ] {
                if rows.is_empty() {
                    continue;
                }
                let path = hour_file(&self.root, kind, &hour);
                let mut w = open_gz(&path)?;
                let io = |e| SimulateError::io(&path, e);
                let close = hour.checked_add(jiff::Span::new().hours(1)).unwrap_or(hour);
                write!(w, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{kind}\n#open\t{}\n{fields}\n{types}\n", zeek_stamp(&hour)).map_err(io)?;
                for row in rows {
                    writeln!(w, "{row}").map_err(io)?;
                }
                writeln!(w, "#close\t{}", zeek_stamp(&close)).map_err(io)?;
                w.finish().and_then(|mut b| b.flush()).map_err(io)?;
                if kind == "smb_files" {
                    self.file_rows += rows.len() as u64;
                }
            }
        }
        Ok(())
    }

    /// The rows one audit line makes: [ntlm, smb_mapping, smb_files].
    fn rows(&mut self, l: &AuditLine, cx: &SmbContext<'_>, rows: &mut [Vec<String>; 3]) {
        let key = (l.employee, l.ip, l.share);
        let share = &cx.shares[l.share];
        let tree = escaped(&format!("\\\\{}\\{share}", cx.server_name.to_uppercase()));
        match l.op {
            "connect" => {
                self.next += 1;
                let c = Connection {
                    uid: format!("CSmb{:013}", self.next),
                    port: 49152 + (self.next % 16000) as u16,
                };
                let ids = format!("{}\t{}\t{}\t{}\t445", c.uid, l.ip, c.port, cx.server_ip);
                rows[0].push(format!(
                    "{}\t{ids}\t{}\tWS-{:03}\t-\t{}\t-\t-\tT",
                    secs(l.ts - 2_000),
                    cx.accounts[l.employee],
                    l.employee + 1,
                    cx.server_name.to_uppercase()
                ));
                rows[1].push(format!("{}\t{ids}\t{tree}\t-\t-\tDISK", secs(l.ts)));
                self.open.insert(key, c);
            }
            "disconnect" => {
                self.open.remove(&key);
            }
            "create_file" if l.ok => {
                let Some(c) = self.open.get(&key) else {
                    return;
                };
                let mut parts = l.args.splitn(4, '|');
                let (Some(_mask), Some(_kind), Some(_disposition), Some(abs)) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return;
                };
                let prefix = format!("{}/{share}", cx.share_root);
                let Some(rel) = abs.strip_prefix(&prefix) else {
                    return;
                };
                let rel = rel.trim_start_matches('/');
                let (name, size) = if rel.is_empty() {
                    ("<share_root>".to_owned(), 0)
                } else {
                    (
                        escaped(&rel.replace('/', "\\")),
                        cx.sizes
                            .get(&(share.clone(), rel.to_owned()))
                            .copied()
                            .unwrap_or(0),
                    )
                };
                rows[2].push(format!(
                    "{}\t{}\t{}\t{}\t{}\t445\t-\tSMB::FILE_OPEN\t{tree}\t{name}\t{size}\t-\t-\t-\t-\t-",
                    secs(l.ts),
                    c.uid,
                    l.ip,
                    c.port,
                    cx.server_ip
                ));
            }
            _ => {}
        }
    }
}
