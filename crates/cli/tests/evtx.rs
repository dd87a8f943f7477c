//! Windows EVTX on the real samples under ../shared/data/evtx: per-file, per-event-id counts of
//! `normalize --summary-json` and of the OCSF output against `reference_counts.json`
//! (evtx_dump's own counts), field checks on known records, and detection on them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use common::{breachscope, normalize, shared_data};

/// The event ids breachscope maps (must match `ingest::evtx::MAPPED_EVENT_IDS`).
const MAPPED: [u64; 12] = [
    1102, 4624, 4625, 4634, 4647, 4648, 4656, 4660, 4663, 4672, 5140, 5145,
];

fn reference(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("evtx/reference_counts.json")).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn counts(v: &Value) -> BTreeMap<u64, u64> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, n)| (k.parse().unwrap(), n.as_u64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_sample_matches_the_reference_counts() {
    let Some(data) = shared_data() else { return };
    let evtx = data.join("evtx");
    let (events, summary, _) = normalize(&["--format", "evtx", evtx.to_str().unwrap()]);
    // Forced to EVTX, the notes beside the samples (README, licences, the reference) are
    // reported as unreadable, not skipped silently.
    let all = summary["files"].as_array().unwrap();
    let unreadable: Vec<&Value> = all.iter().filter(|f| f["error"].is_string()).collect();
    assert_eq!(unreadable.len(), 4, "{unreadable:#?}");
    assert!(unreadable.iter().all(|f| {
        f["error"]
            .as_str()
            .unwrap()
            .contains("not a readable EVTX file")
    }));
    let files: BTreeMap<String, &Value> = all
        .iter()
        .filter(|f| f["kind"] == "windows_evtx" && f["error"].is_null())
        .map(|f| {
            let rel = Path::new(f["path"].as_str().unwrap())
                .strip_prefix(&evtx)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, f)
        })
        .collect();
    let reference = reference(&data);
    assert_eq!(files.len(), reference.len(), "every sample was read");
    let mut mapped_total: BTreeMap<u64, u64> = BTreeMap::new();
    for r in &reference {
        let path = r["path"].as_str().unwrap();
        let f = files.get(path).unwrap_or_else(|| panic!("{path} not read"));
        assert_eq!(f["sha256"], r["sha256"], "{path}: hash");
        assert_eq!(f["lines"], r["records"], "{path}: records read");
        assert_eq!(f["rejected"], 0, "{path}: nothing rejected");
        let want = counts(&r["event_ids"]);
        assert_eq!(
            counts(&f["event_ids"]),
            want,
            "{path}: records per event id"
        );
        let mapped: u64 = want
            .iter()
            .filter(|(id, _)| MAPPED.contains(id))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(f["records"], mapped, "{path}: events made");
        for (id, n) in want.iter().filter(|(id, _)| MAPPED.contains(id)) {
            *mapped_total.entry(*id).or_default() += n;
        }
    }
    // The OCSF output: one event per mapped record, `metadata.event_code` = the event id.
    let mut ocsf: BTreeMap<u64, u64> = BTreeMap::new();
    for e in &events {
        let code: u64 = e["metadata"]["event_code"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        *ocsf.entry(code).or_default() += 1;
        let class = e["class_uid"].as_u64().unwrap();
        let expected = match code {
            1102 => 1008,
            4624 | 4625 | 4634 | 4647 | 4648 | 4672 => 3002,
            _ => 1001,
        };
        assert_eq!(class, expected, "event {code} class");
    }
    assert_eq!(ocsf, mapped_total);
    // Forwarded events with a string EventID: 60 × 5145 and 30 × 5140 (a peer misses them).
    let forwarded = files
        .iter()
        .find(|(p, _)| p.contains("ID5140-5145-Bloodhound-SharpHound"))
        .unwrap()
        .1;
    assert_eq!(forwarded["event_ids"]["5145"], 60);
    assert_eq!(forwarded["event_ids"]["5140"], 30);
}

fn events_of(file: &str) -> Vec<Value> {
    let data = shared_data().unwrap();
    let path = data.join("evtx").join(file);
    normalize(&[path.to_str().unwrap()]).0
}

#[test]
fn share_access_logon_and_cleared_log_fields() {
    if shared_data().is_none() {
        return;
    }
    let events = events_of("EVTX-ATTACK-SAMPLES/Lateral Movement/LM_REMCOM_5145_TargetHost.evtx");
    assert_eq!(events.len(), 30);
    // Every 5145 names its share, client address and decoded access rights.
    for e in &events {
        assert_eq!(e["metadata"]["log_name"], "windows_security");
        assert!(e["share"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(e["src_endpoint"]["ip"].is_string(), "{e}");
        assert!(e["unmapped"]["access_rights"].is_array(), "{e}");
    }
    // The remote-service pipe that RemCom uses is there, over IPC$.
    assert!(
        events
            .iter()
            .any(|e| e["share"] == "ipc$" && e["file"]["path"] == "svcctl"),
        "IPC$\\svcctl"
    );
    let cleared =
        events_of("EVTX-ATTACK-SAMPLES/Defense Evasion/DE_1102_security_log_cleared.evtx");
    let c: Vec<&Value> = cleared
        .iter()
        .filter(|e| e["metadata"]["event_code"] == "1102")
        .collect();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["activity_name"], "Clear");
    assert!(c[0]["actor"]["user"]["name"].is_string());
}

#[test]
fn investigate_flags_service_control_and_cleared_logs() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("detect.toml");
    // Lab samples hold minutes of evidence: judge from the first event.
    std::fs::write(&config, "learning_days = 0\n").unwrap();
    let out = dir.path().join("out");
    let evtx = data.join("evtx/EVTX-ATTACK-SAMPLES/Lateral Movement");
    let cleared =
        data.join("evtx/EVTX-ATTACK-SAMPLES/Defense Evasion/DE_1102_security_log_cleared.evtx");
    let o = breachscope(&[
        "investigate",
        "--evtx",
        evtx.to_str().unwrap(),
        "--evtx",
        cleared.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--detected-at",
        "2026-11-28T00:00:00Z",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    // The EVTX inputs are named as report-v1 names them (`evtx`).
    common::assert_valid_report(&report);
    let alerts = report["alerts"].as_array().unwrap();
    let by = |d: &str| alerts.iter().filter(|a| a["detector"] == d).count();
    assert!(by("admin_share_access") >= 1, "{alerts:#?}");
    // One log_cleared alert per 1102 record in the inputs.
    let cleared_records: u64 = reference(&data)
        .iter()
        .filter(|r| {
            let p = r["path"].as_str().unwrap();
            p.starts_with("EVTX-ATTACK-SAMPLES/Lateral Movement/")
                || p.ends_with("DE_1102_security_log_cleared.evtx")
        })
        .filter_map(|r| r["event_ids"]["1102"].as_u64())
        .sum();
    assert!(cleared_records >= 2);
    assert_eq!(by("log_cleared") as u64, cleared_records, "{alerts:#?}");
    // The service-control alert is high.
    assert!(
        alerts
            .iter()
            .any(|a| a["detector"] == "admin_share_access" && a["severity"] == "high")
    );
    // Every input is listed with its hash.
    let inputs = report["inputs"].as_array().unwrap();
    assert!(inputs.iter().any(|i| {
        i["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("DE_1102_security_log_cleared.evtx"))
    }));
}
