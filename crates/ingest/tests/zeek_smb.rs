//! Zeek's SMB logs against Zeek's own baselines (`../shared/data/net/zeek/smb*`): every record
//! of `smb_files.log` and `smb_mapping.log` becomes one file-access event whose client, server,
//! share, path, action and size are the row's, as TSV and as the same rows in Zeek's JSON
//! layout; the account comes from `ntlm.log` by connection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use breachscope_ingest::zeek::ZeekParser;
use breachscope_ingest::{FileStats, open_reader};
use breachscope_model::{Event, FileAccess, FileAction};

fn captures() -> Option<PathBuf> {
    common::shared_data("net/zeek")
}

fn read(paths: &[&Path]) -> (Vec<Event>, Vec<FileStats>) {
    let mut parser = ZeekParser::new();
    let mut events = Vec::new();
    let mut stats = Vec::new();
    for path in paths {
        let mut reader = open_reader(path, &mut parser).unwrap();
        for item in reader.by_ref() {
            events.push(item.unwrap_or_else(|r| panic!("rejected: {r}")));
        }
        stats.push(reader.finish());
    }
    (events, stats)
}

/// A baseline's data rows, split into (column name, raw value) pairs.
fn rows(path: &Path) -> Vec<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).unwrap();
    let names: Vec<String> = text
        .lines()
        .find_map(|l| l.strip_prefix("#fields\t"))
        .unwrap()
        .split('\t')
        .map(str::to_owned)
        .collect();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            names
                .iter()
                .cloned()
                .zip(l.split('\t').map(str::to_owned))
                .collect()
        })
        .collect()
}

fn get<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    &row.iter().find(|(n, _)| n == name).unwrap().1
}

/// Zeek's TSV escaping undone by hand: `\\` is one backslash.
fn zeek_text(raw: &str) -> String {
    raw.replace("\\\\", "\\")
}

/// What the row says the event must hold, worked out from the row as written.
fn check(row: &[(String, String)], a: &FileAccess, mapping_share: Option<&str>) {
    assert_eq!(a.client_ip.unwrap().to_string(), get(row, "id.orig_h"));
    assert_eq!(a.server.as_deref(), Some(get(row, "id.resp_h")));
    assert_eq!(a.session.as_deref(), Some(get(row, "uid")));
    assert_eq!(a.log, FileAccess::ZEEK_SMB);
    let tree = get(row, "path");
    let share = if tree == "-" {
        mapping_share.unwrap_or("").to_owned()
    } else {
        let unc = zeek_text(tree);
        assert!(unc.starts_with("\\\\"), "{unc}");
        unc.rsplit('\\').next().unwrap().to_lowercase()
    };
    assert_eq!(a.share, share);
    if let Some(action) = row.iter().find(|(n, _)| n == "action").map(|(_, v)| v) {
        let name = zeek_text(get(row, "name"));
        let path = if name == "<share_root>" {
            String::new()
        } else {
            name.replace('\\', "/")
        };
        assert_eq!(a.path, path);
        assert_eq!(a.operation, *action);
        let expected = match action.as_str() {
            "SMB::FILE_OPEN" if path.is_empty() => FileAction::Open,
            "SMB::FILE_OPEN" => FileAction::Read,
            "SMB::FILE_READ" => FileAction::ReadData,
            "SMB::FILE_WRITE" => FileAction::WriteData,
            "SMB::FILE_DELETE" => FileAction::Delete,
            other => panic!("the baselines hold no {other}"),
        };
        assert_eq!(a.action, expected);
        assert_eq!(a.size, Some(get(row, "size").parse().unwrap()));
    } else {
        assert_eq!(a.action, FileAction::Connect);
        assert_eq!(a.path, "");
    }
}

/// Every SMB baseline: one event per row, each equal to its row, none rejected.
#[test]
fn smb_baselines_become_file_access() {
    let Some(dir) = captures() else { return };
    let mut total = 0;
    for capture in [
        "smb1",
        "smb2",
        "smb2-readwrite",
        "smb2-delete-on-close",
        "smb3",
        "smb3-multichannel",
    ] {
        let mapping = dir.join(capture).join("baseline.smb_mapping.log");
        let files = dir.join(capture).join("baseline.smb_files.log");
        let mut paths: Vec<&Path> = Vec::new();
        if mapping.is_file() {
            paths.push(&mapping);
        }
        if files.is_file() {
            paths.push(&files);
        }
        let (events, stats) = read(&paths);
        let mut expected = Vec::new();
        for p in &paths {
            expected.extend(rows(p));
        }
        assert_eq!(events.len(), expected.len(), "{capture}");
        assert!(stats.iter().all(|s| s.rejected == 0));
        assert_eq!(
            stats.iter().map(|s| s.records).sum::<u64>(),
            expected.len() as u64
        );
        // The share a connection's tree connect named (DISK only), for rows without a path.
        let mapped: Option<String> = mapping.is_file().then(|| {
            rows(&mapping)
                .iter()
                .find(|r| get(r, "share_type") == "DISK")
                .map(|r| {
                    zeek_text(get(r, "path"))
                        .rsplit('\\')
                        .next()
                        .unwrap()
                        .to_lowercase()
                })
                .unwrap_or_default()
        });
        for (row, event) in expected.iter().zip(&events) {
            let Event::FileAccess(a) = event else {
                panic!("{capture}: not a file access")
            };
            let same_uid = mapped.as_deref().filter(|_| {
                rows(&mapping)
                    .iter()
                    .any(|m| get(m, "uid") == get(row, "uid") && get(m, "share_type") == "DISK")
            });
            check(row, a, same_uid);
        }
        println!("{capture}: {} of {} rows", events.len(), expected.len());
        total += events.len();
    }
    assert_eq!(
        total,
        3 + (2 + 3) + 7 + 8 + 2 + 65,
        "rows in the six baselines"
    );
}

/// The same rows in Zeek's JSON layout give the same events.
#[test]
fn json_layout_gives_the_same_events() {
    let Some(dir) = captures() else { return };
    let files = dir.join("smb3-multichannel/baseline.smb_files.log");
    let (tsv_events, _) = read(&[&files]);
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("smb_files.log");
    let mut out = std::fs::File::create(&json).unwrap();
    for row in rows(&files) {
        let mut object = serde_json::Map::new();
        object.insert("_path".into(), "smb_files".into());
        for (name, raw) in row {
            if raw == "-" {
                continue;
            }
            let value: serde_json::Value = match name.as_str() {
                "id.orig_p" | "id.resp_p" | "size" => raw.parse::<u64>().unwrap().into(),
                _ => zeek_text(&raw).into(),
            };
            object.insert(name, value);
        }
        writeln!(out, "{}", serde_json::Value::Object(object)).unwrap();
    }
    drop(out);
    let (json_events, stats) = read(&[&json]);
    assert_eq!(stats[0].kind, "zeek_smb_files");
    assert_eq!(json_events, tsv_events);
}

/// `ntlm.log` (Zeek's layout: `base/protocols/ntlm/main.zeek`) gives each connection its account;
/// a channel that did not authenticate takes the account of its hosts' last logon.
#[test]
fn ntlm_gives_the_account() {
    let Some(dir) = captures() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ntlm = tmp.path().join("ntlm.log");
    std::fs::write(
        &ntlm,
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tntlm\n\
         #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tusername\thostname\tdomainname\tserver_nb_computer_name\tserver_dns_computer_name\tserver_tree_name\tsuccess\n\
         #types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tstring\tstring\tbool\n\
         1605185000.000000\tCHhAvVGS1DHFjwGM9\t172.17.0.184\t57092\t172.17.0.189\t445\tBob\tWS01\tCORP\tFS\tfs.corp\tcorp\tT\n\
         1605185001.000000\tCother\t172.17.0.99\t50000\t172.17.0.189\t445\tMallory\tWS02\tCORP\tFS\tfs.corp\tcorp\tF\n",
    )
    .unwrap();
    let files = dir.join("smb3-multichannel/baseline.smb_files.log");
    let (events, stats) = read(&[&ntlm, &files]);
    assert_eq!(stats[0].kind, "zeek_ntlm");
    let Event::Authentication(bob) = &events[0] else {
        panic!("not an authentication")
    };
    assert_eq!(
        (bob.account.as_str(), bob.workstation.as_deref()),
        ("corp\\bob", Some("ws01"))
    );
    assert!(matches!(&events[1], Event::Authentication(m) if !m.outcome.is_success()));
    let accesses: Vec<&FileAccess> = events[2..]
        .iter()
        .map(|e| match e {
            Event::FileAccess(a) => a,
            _ => panic!("not a file access"),
        })
        .collect();
    // Every channel is between the same two hosts: all take Bob's account; a failed logon
    // lends its account to nobody.
    assert_eq!(accesses.len(), 65);
    assert!(accesses.iter().all(|a| a.account == "corp\\bob"));
    let own = accesses
        .iter()
        .filter(|a| a.session.as_deref() == Some("CHhAvVGS1DHFjwGM9"))
        .count();
    assert!(own > 0 && own < 65, "{own}");
    assert!(
        stats[1]
            .notes
            .iter()
            .any(|n| n.contains(&format!("{} SMB file records took the account", 65 - own))),
        "{:?}",
        stats[1].notes
    );
}
