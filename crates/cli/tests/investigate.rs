//! `breachscope investigate` on a generated scenario: report.json in the report-v1 shape, the
//! configuration file honoured, bad arguments refused before any work.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::breachscope;

#[test]
fn investigate_writes_alerts_and_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = breachscope(&["demo", "--dir", demo.to_str().unwrap(), "--seed", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("truth.json")).unwrap()).unwrap();
    let c2 = truth["intrusion"]["c2"].as_str().unwrap();

    let report_dir = dir.path().join("out");
    let zeek = demo.join("zeek");
    let samba = demo.join("samba");
    let args = [
        "investigate",
        "--zeek",
        zeek.to_str().unwrap(),
        "--samba-audit",
        samba.to_str().unwrap(),
        "--log-tz",
        "Asia/Tokyo",
        "--detected-at",
        "2025-07-01T00:00:00Z",
        "--out",
        report_dir.to_str().unwrap(),
    ];
    let out = breachscope(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("INC-1 [critical]"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap())
            .unwrap();
    common::assert_valid_report(&report);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["tool"]["name"], "breachscope");
    assert_eq!(
        report["notification"]["detected_at"],
        "2025-07-01T00:00:00Z"
    );
    let inputs = report["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .all(|i| i["rejected"] == 0 && i["sha256"].as_str().unwrap().len() == 64)
    );
    assert!(
        inputs.iter().any(|i| i["kind"] == "zeek_conn")
            && inputs.iter().any(|i| i["kind"] == "samba_audit")
    );
    let top = &report["incidents"][0];
    assert_eq!(top["id"], "INC-1");
    assert_eq!(top["accounts"][0], truth["intrusion"]["account"]);
    assert_eq!(top["hosts"][0]["ip"], truth["intrusion"]["host"]["ip"]);
    assert!(
        top["external_endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["ip"] == c2 && e["roles"][0] == "command_and_control")
    );
    let alerts = report["alerts"].as_array().unwrap();
    let times: Vec<&str> = alerts.iter().map(|a| a["time"].as_str().unwrap()).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "alerts sorted by time"
    );
    for id in top["alert_ids"].as_array().unwrap() {
        assert!(alerts.iter().any(|a| &a["id"] == id));
    }
    let beacon = alerts
        .iter()
        .find(|a| a["detector"] == "beaconing")
        .unwrap();
    let summary = beacon["summary"].as_str().unwrap();
    assert!(
        summary.contains("median interval") && summary.contains("beacon score"),
        "{summary}"
    );

    // --scan-all classifies every file of the given share copies, beside the report.
    let hr = demo.join("shares/hr");
    let share_arg = format!("hr={}", hr.display());
    let mut scan_all = args.to_vec();
    scan_all.extend(["--share", share_arg.as_str(), "--scan-all"]);
    let out = breachscope(&scan_all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("share-scan.json")).unwrap())
            .unwrap();
    let on_disk = walk_count(&hr);
    assert_eq!(scan["files"].as_array().unwrap().len(), on_disk);
    assert!(scan["totals"]["my_number"].as_u64().unwrap() > 0);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap())
            .unwrap();
    assert!(
        report["incidents"][0]["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["share"] == "hr" && f["sha256"].is_string())
    );

    // An allowlisted C2 address is never judged: no beaconing alert remains.
    let config = dir.path().join("breachscope.toml");
    std::fs::write(&config, format!("[allowlist]\nexternal = [\"{c2}/32\"]\n")).unwrap();
    let mut with_config = args.to_vec();
    with_config.extend(["--config", config.to_str().unwrap()]);
    let out = breachscope(&with_config);
    assert!(out.status.success());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap())
            .unwrap();
    assert!(
        !report["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["detector"] == "beaconing")
    );
}

#[test]
fn bad_arguments_are_refused_before_work() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let bad_config = dir.path().join("bad.toml");
    std::fs::write(&bad_config, "[beaconing]\nalert_score = \"high\"\n").unwrap();
    for (args, needle) in [
        (
            vec!["investigate", "--out", out_dir.to_str().unwrap()],
            "no evidence",
        ),
        (
            vec![
                "investigate",
                "--zeek",
                "/nonexistent/zeek",
                "--out",
                out_dir.to_str().unwrap(),
            ],
            "/nonexistent/zeek",
        ),
        (
            vec![
                "investigate",
                "--zeek",
                ".",
                "--config",
                bad_config.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ],
            "bad.toml",
        ),
        (
            vec![
                "investigate",
                "--zeek",
                ".",
                "--detected-at",
                "yesterday",
                "--out",
                out_dir.to_str().unwrap(),
            ],
            "--detected-at",
        ),
        (
            vec![
                "investigate",
                "--zeek",
                ".",
                "--log-tz",
                "Mars/Olympus",
                "--out",
                out_dir.to_str().unwrap(),
            ],
            "--log-tz",
        ),
    ] {
        let out = breachscope(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!out_dir.exists(), "nothing written for {args:?}");
    }
}

fn walk_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() { walk_count(&p) } else { 1 }
        })
        .sum()
}
