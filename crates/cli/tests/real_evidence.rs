//! `normalize` on the real evidence in `../shared/data` (read in place, never copied).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{file_entry, normalize, shared_data};
use serde_json::Value;

fn find_files(dir: &Path, name: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            find_files(&path, name, out);
        } else if path.file_name().is_some_and(|n| n == name) {
            out.push(path);
        }
    }
}

/// An independent reading of a Zeek TSV file: the `#fields` names and the data rows.
fn tsv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("readable");
    let mut names: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#fields\t") {
            names = rest.split('\t').map(str::to_owned).collect();
        } else if !line.starts_with('#') && !line.is_empty() {
            let values: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                values.len(),
                names.len(),
                "{}: test's own reading",
                path.display()
            );
            rows.push(
                names
                    .iter()
                    .cloned()
                    .zip(values.iter().map(|v| v.to_string()))
                    .collect(),
            );
        }
    }
    rows
}

fn opt_u64(v: &str) -> Option<u64> {
    (v != "-").then(|| v.parse().expect("count"))
}

#[test]
fn every_zeek_baseline_conn_log_parses_completely() {
    let Some(data) = shared_data() else { return };
    let mut logs = Vec::new();
    find_files(&data.join("net/zeek"), "baseline.conn.log", &mut logs);
    logs.sort();
    assert!(
        logs.len() >= 6,
        "expected the Zeek baselines, found {logs:?}"
    );
    for log in &logs {
        let rows = tsv_rows(log);
        let (events, summary, _) = normalize(&[log.to_str().unwrap()]);
        let entry = file_entry(&summary, "baseline.conn.log");
        assert_eq!(entry["kind"], "zeek_conn", "{}", log.display());
        assert_eq!(entry["rejected"], 0, "{}", log.display());
        assert_eq!(entry["records"], rows.len() as u64, "{}", log.display());
        assert_eq!(entry["sha256"].as_str().map(str::len), Some(64));
        assert_eq!(events.len(), rows.len());
        // Every row's values, field by field (ts is masked in btest baselines).
        for (row, event) in rows.iter().zip(&events) {
            let at = |k: &str| row[k].as_str();
            assert_eq!(event["class_uid"], 4001);
            assert_eq!(event["metadata"]["product"]["name"], "breachscope");
            assert_eq!(event["connection_info"]["uid"], at("uid"));
            assert_eq!(event["src_endpoint"]["ip"], at("id.orig_h"));
            assert_eq!(
                event["src_endpoint"]["port"].as_u64(),
                opt_u64(at("id.orig_p"))
            );
            assert_eq!(event["dst_endpoint"]["ip"], at("id.resp_h"));
            assert_eq!(
                event["dst_endpoint"]["port"].as_u64(),
                opt_u64(at("id.resp_p"))
            );
            if at("proto") == "unknown_transport" {
                assert_eq!(
                    event["connection_info"]["protocol_num"].as_u64(),
                    opt_u64(at("ip_proto"))
                );
            } else {
                assert_eq!(event["connection_info"]["protocol_name"], at("proto"));
            }
            assert_eq!(
                event["traffic"]["bytes_out"].as_u64(),
                opt_u64(at("orig_bytes"))
            );
            assert_eq!(
                event["traffic"]["bytes_in"].as_u64(),
                opt_u64(at("resp_bytes"))
            );
            assert_eq!(
                event["traffic"]["packets_out"].as_u64(),
                opt_u64(at("orig_pkts"))
            );
            assert_eq!(
                event["traffic"]["packets_in"].as_u64(),
                opt_u64(at("resp_pkts"))
            );
            assert_eq!(
                event["unmapped"]["orig_ip_bytes"].as_u64(),
                opt_u64(at("orig_ip_bytes"))
            );
            assert_eq!(
                event["unmapped"]["resp_ip_bytes"].as_u64(),
                opt_u64(at("resp_ip_bytes"))
            );
            assert_eq!(
                event["unmapped"]["missed_bytes"].as_u64(),
                opt_u64(at("missed_bytes"))
            );
            assert_eq!(event["unmapped"]["conn_state"], at("conn_state"));
            let service = at("service");
            if service == "-" {
                assert!(event.get("app_name").is_none());
            } else {
                assert_eq!(event["app_name"], service);
            }
            let duration = at("duration");
            if duration != "-" {
                let secs: f64 = duration.parse().unwrap();
                let ms = event["duration"].as_i64().unwrap() as f64;
                assert!(
                    (ms - (secs * 1000.0).floor()).abs() <= 1.0,
                    "{duration} vs {ms}"
                );
            }
        }
    }
}

#[test]
fn a_known_wikipedia_connection_field_by_field() {
    let Some(data) = shared_data() else { return };
    let log = data.join("net/zeek/wikipedia/baseline.conn.log");
    let (events, _, _) = normalize(&[log.to_str().unwrap()]);
    let e = events
        .iter()
        .find(|e| e["connection_info"]["uid"] == "CUM0KZ3MLUfNB0cl11")
        .expect("the HTTP connection to 208.80.152.118");
    assert_eq!(e["src_endpoint"]["ip"], "141.142.220.118");
    assert_eq!(e["src_endpoint"]["port"], 48649);
    assert_eq!(e["dst_endpoint"]["ip"], "208.80.152.118");
    assert_eq!(e["dst_endpoint"]["port"], 80);
    assert_eq!(e["app_name"], "http");
    assert_eq!(e["duration"], 119);
    assert_eq!(e["traffic"]["bytes_out"], 525);
    assert_eq!(e["traffic"]["bytes_in"], 232);
    assert_eq!(e["unmapped"]["history"], "ShADad");
    assert_eq!(e["connection_info"]["protocol_num"], 6);
    // 141.142.0.0/16 is public address space: the default internal set makes this Unknown…
    assert_eq!(e["connection_info"]["direction"], "Unknown");
    // …and declaring the site's network makes it Outbound.
    let (events, _, _) = normalize(&["--internal", "141.142.0.0/16", log.to_str().unwrap()]);
    let e = events
        .iter()
        .find(|e| e["connection_info"]["uid"] == "CUM0KZ3MLUfNB0cl11")
        .unwrap();
    assert_eq!(e["connection_info"]["direction"], "Outbound");
    // IPv6 link-local multicast DNS row keeps its IPv6 addresses.
    assert!(
        events
            .iter()
            .any(|e| e["src_endpoint"]["ip"] == "fe80::217:f2ff:fed7:cf65")
    );
}

#[test]
fn rita_json_conn_and_dns_parse() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("net/rita-zeek-json");
    let (events, summary, _) = normalize(&[dir.to_str().unwrap()]);
    let conn = file_entry(&summary, "conn.log");
    let dns = file_entry(&summary, "dns.log");
    assert_eq!(
        (
            conn["kind"].as_str(),
            conn["records"].as_u64(),
            conn["rejected"].as_u64()
        ),
        (Some("zeek_conn"), Some(29), Some(0))
    );
    assert_eq!(
        (
            dns["kind"].as_str(),
            dns["records"].as_u64(),
            dns["rejected"].as_u64()
        ),
        (Some("zeek_dns"), Some(34), Some(0))
    );
    let first = &events[0];
    assert_eq!(first["class_uid"], 4001);
    assert_eq!(first["time"], 1_517_422_326_539_i64);
    assert_eq!(first["connection_info"]["uid"], "CxHo3m4N8uGxrMlcl2");
    assert_eq!(first["traffic"]["bytes_out"], 719);
    assert_eq!(first["connection_info"]["direction"], "Outbound");
    let tunnel: Vec<&Value> = events
        .iter()
        .filter(|e| e["class_uid"] == 4003)
        .filter(|e| {
            e["query"]["hostname"]
                .as_str()
                .is_some_and(|q| q.ends_with(".dnsc.r-1x.com"))
        })
        .collect();
    assert_eq!(
        tunnel.len(),
        24,
        "dnscat2-style TXT queries in the RITA sample"
    );
    assert!(tunnel.iter().all(|e| e["query"]["type"] == "TXT"));
}

fn samba_events(file: &str, extra: &[&str]) -> (Vec<Value>, Value) {
    let data = shared_data().expect("checked by caller");
    let path = data.join("samba").join(file);
    let mut args = vec!["--log-tz", "UTC"];
    args.extend_from_slice(extra);
    args.push(path.to_str().unwrap());
    let (events, summary, _) = normalize(&args);
    (events, summary)
}

fn signature(e: &Value) -> (String, i64, String, i64) {
    (
        e["metadata"]["event_code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        e["activity_id"].as_i64().unwrap_or_default(),
        e["file"]["path"].as_str().unwrap_or_default().to_owned(),
        e["status_id"].as_i64().unwrap_or_default(),
    )
}

#[test]
fn four_samba_transports_give_the_same_224_records() {
    if shared_data().is_none() {
        return;
    }
    let files = [
        "full_audit.log",
        "full_audit.syslog-rfc3339.log",
        "full_audit.syslog-rfc3164.log",
        "full_audit.syslog-rfc5424.log",
    ];
    let mut sequences = Vec::new();
    for file in files {
        let (events, summary) = samba_events(file, &["--log-year", "2026"]);
        let entry = file_entry(&summary, file);
        assert_eq!(entry["kind"], "samba_audit", "{file}");
        assert_eq!(entry["records"], 224, "{file}");
        assert_eq!(entry["rejected"], 0, "{file}");
        assert_eq!(events.len(), 224);
        assert!(
            events
                .iter()
                .all(|e| e["class_uid"] == 1001 && e["share"] == "records")
        );
        assert!(events.iter().all(|e| e["actor"]["user"]["name"] == "alice"));
        assert!(
            events
                .iter()
                .all(|e| e["src_endpoint"]["ip"] == "127.0.0.1")
        );
        assert!(
            events
                .iter()
                .all(|e| e["unmapped"]["path_is_relative"] == true),
            "{file}"
        );
        // hr/employees.csv was read by alice from 127.0.0.1 on share records.
        let reads: Vec<&Value> = events
            .iter()
            .filter(|e| e["activity_id"] == 2 && e["file"]["path"] == "hr/employees.csv")
            .collect();
        assert_eq!(reads.len(), 1, "{file}: one read open of hr/employees.csv");
        assert_eq!(reads[0]["metadata"]["event_code"], "create_file");
        assert_eq!(reads[0]["access_mask"], 0x120089);
        assert_eq!(reads[0]["status_id"], 1);
        // The access-denied operations (and the NOT_FOUND get) are failures: 7 openat + 5
        // create_file, exactly as the capture's README counts them.
        let failures: Vec<&Value> = events.iter().filter(|e| e["status_id"] == 2).collect();
        assert_eq!(failures.len(), 12, "{file}");
        assert!(
            failures
                .iter()
                .any(|e| e["metadata"]["event_code"] == "create_file"
                    && e["file"]["path"] == "public/readme.txt"
                    && e["access_mask"] == 0x10000)
        );
        // Renames carry the new name; the delete-only opens are not reads.
        assert!(events.iter().any(|e| e["activity_id"] == 5
            && e["file"]["path"] == "staging/upload.txt"
            && e["file_result"]["path"] == "staging/exfil.zip"));
        let delete_opens = events
            .iter()
            .filter(|e| e["access_mask"] == 0x10000 && e["status_id"] == 1)
            .count();
        assert!(delete_opens >= 2);
        assert!(
            events
                .iter()
                .filter(|e| e["access_mask"] == 0x10000)
                .all(|e| e["activity_id"] != 2)
        );
        sequences.push(events.iter().map(signature).collect::<Vec<_>>());
    }
    for (file, seq) in files.iter().zip(&sequences).skip(1) {
        assert_eq!(&sequences[0], seq, "{file} differs from full_audit.log");
    }
}

#[test]
fn syslog_variants_agree_on_time() {
    if shared_data().is_none() {
        return;
    }
    // The three syslog captures come from the same run: RFC 3164 has whole seconds and no year
    // or zone, RFC 3339 and RFC 5424 have microseconds and an offset.
    let (rfc3339, _) = samba_events("full_audit.syslog-rfc3339.log", &[]);
    let (rfc5424, _) = samba_events("full_audit.syslog-rfc5424.log", &[]);
    let (rfc3164, _) = samba_events("full_audit.syslog-rfc3164.log", &["--log-year", "2026"]);
    for ((a, b), c) in rfc3339.iter().zip(&rfc5424).zip(&rfc3164) {
        let t = a["time"].as_i64().unwrap();
        assert_eq!(Some(t), b["time"].as_i64());
        assert_eq!(Some(t - t.rem_euclid(1000)), c["time"].as_i64());
    }
    assert_eq!(rfc3339[0]["time"], 1_795_840_772_923_i64);
    // Without --log-year the year comes from the file's modification time: the lines must not
    // lie in the file's future, and not more than a year before it.
    let (inferred, _) = samba_events("full_audit.syslog-rfc3164.log", &[]);
    let data = shared_data().unwrap();
    let mtime_ms = std::fs::metadata(data.join("samba/full_audit.syslog-rfc3164.log"))
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let last = inferred.last().unwrap()["time"].as_i64().unwrap();
    assert!(
        last <= mtime_ms + 1000 && last > mtime_ms - 366 * 86_400_000,
        "{last} vs {mtime_ms}"
    );
}

#[test]
fn smbd_log_with_auth_records() {
    if shared_data().is_none() {
        return;
    }
    let (events, summary) = samba_events("smbd_raw.log", &[]);
    let entry = file_entry(&summary, "smbd_raw.log");
    assert_eq!(entry["rejected"], 0);
    let audits = events.iter().filter(|e| e["class_uid"] == 1001).count();
    let auths: Vec<&Value> = events.iter().filter(|e| e["class_uid"] == 3002).collect();
    assert_eq!(audits, 224);
    assert_eq!(auths.len(), 4);
    let failed: Vec<&&Value> = auths.iter().filter(|e| e["status_id"] == 2).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["metadata"]["event_code"], "4625");
    assert_eq!(failed[0]["status_detail"], "NT_STATUS_WRONG_PASSWORD");
    assert!(
        auths
            .iter()
            .all(|e| e["user"]["name"] == "alice" && e["src_endpoint"]["ip"] == "127.0.0.1")
    );
    let (json_only, summary) = samba_events("auth_json_audit.log", &[]);
    assert_eq!(
        file_entry(&summary, "auth_json_audit.log")["kind"],
        "samba_auth"
    );
    assert_eq!(json_only.len(), 4);
}

#[test]
fn share_root_override() {
    if shared_data().is_none() {
        return;
    }
    let (events, _) = samba_events("full_audit.log", &["--share-root", "records=/srv/fs01"]);
    assert!(
        events
            .iter()
            .any(|e| e["file"]["path"] == "share/hr/employees.csv" && e["activity_id"] == 2)
    );
}
