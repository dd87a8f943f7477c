//! End to end on a simulated scenario whose evidence is what an organisation without a file
//! server audit, or without Zeek, keeps: the file server's sessions as Zeek's SMB logs instead
//! of Samba's audit, the perimeter's sessions as a FortiGate traffic log instead of Zeek's
//! conn.log. The top incident and its files must be the ones the answer key names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::breachscope;

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn file_set(v: &serde_json::Value) -> BTreeSet<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["share"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn run_ok(args: &[&str]) -> String {
    let out = breachscope(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The seed-4 small scenario generated with `flag`'s extra evidence into a temporary directory,
/// its answer key, and an investigation of `evidence` (flag, subdirectory pairs) in it: the
/// report, valid against report-v1, with nothing rejected or late.
fn scenario_and_report(
    flag: &str,
    evidence: &[(&str, &str)],
) -> (tempfile::TempDir, serde_json::Value, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    run_ok(&["demo", "--dir", demo.to_str().unwrap(), "--seed", "4", flag]);
    let truth = read_json(&demo.join("truth.json"));
    let out = dir.path().join("out-network");
    let paths: Vec<String> = evidence
        .iter()
        .map(|(_, sub)| demo.join(sub).to_str().unwrap().to_owned())
        .collect();
    let mut args = vec!["investigate"];
    for ((flag, _), path) in evidence.iter().zip(&paths) {
        args.extend([*flag, path.as_str()]);
    }
    args.extend([
        "--log-tz",
        truth["time_zone"].as_str().unwrap(),
        "--detected-at",
        truth["period"]["end"].as_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = run_ok(&args);
    assert!(stdout.contains("0 rejected, 0 late"), "{stdout}");
    let report = read_json(&out.join("report.json"));
    common::assert_valid_report(&report);
    (dir, truth, report)
}

/// The same evidence through the store: `ingest` of `evidence` (flag, subdirectory pairs of the
/// demo) into a new store, then `investigate --store`; its report, valid against report-v1.
fn through_the_store(
    dir: &Path,
    truth: &serde_json::Value,
    evidence: &[(&str, &str)],
) -> serde_json::Value {
    let demo = dir.join("demo");
    let store = dir.join("store");
    let out = dir.join("out-store");
    let paths: Vec<String> = evidence
        .iter()
        .map(|(_, sub)| demo.join(sub).to_str().unwrap().to_owned())
        .collect();
    let mut args = vec!["ingest", "--store", store.to_str().unwrap()];
    for ((flag, _), path) in evidence.iter().zip(&paths) {
        args.extend([*flag, path.as_str()]);
    }
    args.extend(["--log-tz", truth["time_zone"].as_str().unwrap()]);
    run_ok(&args);
    run_ok(&[
        "investigate",
        "--store",
        store.to_str().unwrap(),
        "--detected-at",
        truth["period"]["end"].as_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let report = read_json(&out.join("report.json"));
    common::assert_valid_report(&report);
    report
}

/// The scenario's file access seen only on the network (Zeek's ntlm, smb_mapping and
/// smb_files logs, no Samba audit): the same top incident, the same account and host, and the
/// intruder's files read equal to the answer key's.
#[test]
fn zeek_smb_logs_scope_the_intrusion_without_the_audit() {
    let (dir, truth, report) = scenario_and_report("--zeek-smb-log", &[("--zeek", "zeek")]);
    let top = &report["incidents"][0];
    let t = &truth["intrusion"];
    assert_eq!(top["severity"], "critical", "{top}");
    assert_eq!(top["accounts"], serde_json::json!([t["account"]]));
    assert_eq!(top["hosts"][0]["ip"], t["host"]["ip"]);
    assert_eq!(
        top["hosts"][0]["names"],
        serde_json::json!([t["host"]["name"]])
    );
    let (got, want) = (file_set(&top["files"]), file_set(&t["files"]));
    assert_eq!(got, want, "the intruder's files, from the network side");
    // Zeek's SMB logs are inputs of the kind report-v1 names for them, none rejected.
    let inputs = report["inputs"].as_array().unwrap();
    let smb = inputs
        .iter()
        .filter(|i| i["kind"] == "zeek_smb_files")
        .count();
    let named = |log: &str| {
        inputs
            .iter()
            .filter(|i| i["path"].as_str().unwrap().contains(&format!("/{log}.")))
            .count()
    };
    assert_eq!(
        smb,
        named("ntlm") + named("smb_mapping") + named("smb_files")
    );
    assert!(named("smb_files") > 0);
    assert!(inputs.iter().all(|i| i["rejected"] == 0));
    // The same through the store: the SMB logs ingested into the lake, the investigation from
    // it scopes the same files.
    let from_lake = through_the_store(dir.path(), &truth, &[("--zeek", "zeek")]);
    assert_eq!(file_set(&from_lake["incidents"][0]["files"]), want);
    assert_eq!(from_lake["incidents"][0]["accounts"], top["accounts"]);
}

/// The scenario's perimeter as a FortiGate logs it (no Zeek at all; the file server's audit
/// as usual): the same top incident as from Zeek's conn.log — severity, host, account, the C2
/// and exfiltration endpoints and their roles, first evidence to the second (the firewall
/// states whole-second durations), the same files — and every line read.
#[test]
fn a_firewall_log_instead_of_zeek_gives_the_same_top_incident() {
    let (dir, truth, report) = scenario_and_report(
        "--firewall-log",
        &[("--network", "firewall"), ("--samba-audit", "samba")],
    );
    let demo = dir.path().join("demo");
    let from_zeek = read_json(&demo.join("out/report.json"));
    let inputs = report["inputs"].as_array().unwrap();
    let firewall_files = std::fs::read_dir(demo.join("firewall")).unwrap().count();
    assert_eq!(
        inputs.iter().filter(|i| i["kind"] == "netflow").count(),
        firewall_files,
        "every FortiGate file is an input of report-v1's flow-summary kind"
    );
    let (zeek, fw) = (&from_zeek["incidents"][0], &report["incidents"][0]);
    for field in ["severity", "accounts", "hosts"] {
        assert_eq!(fw[field], zeek[field], "{field}");
    }
    let endpoints = |i: &serde_json::Value| -> Vec<(String, serde_json::Value)> {
        i["external_endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["ip"].as_str().unwrap().to_owned(), e["roles"].clone()))
            .collect()
    };
    assert_eq!(endpoints(fw), endpoints(zeek));
    let micros = |v: &serde_json::Value| {
        v.as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_microsecond()
    };
    let first = (micros(&fw["first_evidence"]) - micros(&zeek["first_evidence"])).abs();
    assert!(first <= 1_000_000, "first evidence {first} µs apart");
    assert_eq!(file_set(&fw["files"]), file_set(&zeek["files"]));
    assert_eq!(
        file_set(&fw["files"]),
        file_set(&truth["intrusion"]["files"])
    );
    // The firewall counts IP bytes, headers included: a little more than Zeek's payload.
    let (b_fw, b_zeek) = (
        fw["bytes_exfiltrated"].as_f64().unwrap(),
        zeek["bytes_exfiltrated"].as_f64().unwrap(),
    );
    assert!(b_fw >= b_zeek && b_fw <= b_zeek * 1.1, "{b_fw} vs {b_zeek}");
    // The same through the store: `ingest --network` into the lake, then an investigation from
    // it gives the same top incident and bytes.
    let from_lake = through_the_store(
        dir.path(),
        &truth,
        &[("--network", "firewall"), ("--samba-audit", "samba")],
    );
    let lake_top = &from_lake["incidents"][0];
    for field in ["severity", "accounts", "hosts", "bytes_exfiltrated"] {
        assert_eq!(lake_top[field], fw[field], "{field}");
    }
    assert_eq!(endpoints(lake_top), endpoints(fw));
    assert_eq!(file_set(&lake_top["files"]), file_set(&fw["files"]));
    // Without --log-tz and without the audit, the office's offset is read from the FortiGate
    // log's own `tz` (the scenario's office is in Tokyo, +09:00).
    let out = dir.path().join("out-zone");
    let o = breachscope(&[
        "investigate",
        "--network",
        demo.join("firewall").to_str().unwrap(),
        "--detected-at",
        truth["period"]["end"].as_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("inferred from the evidence") && stderr.contains("FortiGate log times"),
        "{stderr}"
    );
    let settings = &read_json(&out.join("report.json"))["settings"];
    assert_eq!(settings["office_time_zone"], "+09:00");
    assert_eq!(settings["office_time_zone_source"], "evidence");
}

/// Zeek's test captures and nfdump's files, given together and told apart by content: each
/// capture gives as many connections as Zeek's baseline conn.log has rows (checksums unchecked
/// where the capture was taken on a host that offloads them, as the notes say), each nfdump file
/// its records; OCSF Network Activity for every flow.
#[test]
fn captures_and_nfdump_files_are_told_by_content() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let zeek = data.join("net/zeek");
    let netflow = data.join("netflow");
    let (events, summary, stderr) = common::normalize(&[
        zeek.to_str().unwrap(),
        netflow.to_str().unwrap(),
        "--log-tz",
        "UTC",
    ]);
    for capture in [
        "wikipedia",
        "ssh",
        "pop3",
        "ftp-ipv4",
        "ftp-bigtransfer",
        "cisco-fabric-path",
    ] {
        let dir = zeek.join(capture);
        let pcap = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "pcap"))
            .unwrap();
        let rows = std::fs::read_to_string(dir.join("baseline.conn.log"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count() as u64;
        let entry = common::file_entry(&summary, pcap.file_name().unwrap().to_str().unwrap());
        assert_eq!(entry["kind"], "pcap", "{capture}");
        assert_eq!(entry["records"], rows, "{capture}: {entry}");
        assert_eq!(entry["rejected"], 0);
    }
    assert!(
        stderr.contains("smb2readwrite.pcap: read with checksums unchecked"),
        "{stderr}"
    );
    for name in ["wikipedia_v9.nfcapd", "smb2_v10.nfcapd"] {
        let entry = common::file_entry(&summary, name);
        assert_eq!(entry["kind"], "nfcapd");
        let csv_rows = std::fs::read_to_string(netflow.join(name.replace(".nfcapd", ".nfdump.csv")))
            .unwrap()
            .lines()
            .filter(|l| l.split(',').count() > 10 && !l.starts_with("ts,"))
            .count() as u64;
        assert_eq!(entry["records"], csv_rows, "{name}");
    }
    // Baseline logs and softflowd's text are not evidence breachscope reads as flows.
    let flows = events.iter().filter(|e| e["class_uid"] == 4001).count();
    assert!(flows > 144 + 100, "{flows}");
}
