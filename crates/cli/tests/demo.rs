//! `breachscope demo` end to end on the small preset: generate, read back, reuse.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::breachscope;

#[test]
fn demo_generates_then_reuses() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("demo");
    let target = target.to_str().unwrap();
    let out = breachscope(&["demo", "--dir", target, "--seed", "3"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("evidence generated"), "{stdout}");
    assert!(stdout.contains(" 0 rejected"), "{stdout}");
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("demo/truth.json")).unwrap())
            .unwrap();
    assert_eq!(truth["seed"], 3);
    assert!(stdout.contains(truth["intrusion"]["c2"].as_str().unwrap()));
    let again = breachscope(&["demo", "--dir", target, "--seed", "3"]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("evidence reused"));

    // A scenario file: the control (no intrusion) written out and edited.
    let scenario_path = dir.path().join("mine.toml");
    let text = include_str!("../../simulate/scenarios/control.toml")
        .replace("end = \"2025-06-30\"", "end = \"2025-04-20\"");
    std::fs::write(&scenario_path, text).unwrap();
    let control_dir = dir.path().join("control");
    let out = breachscope(&[
        "demo",
        "--dir",
        control_dir.to_str().unwrap(),
        "--scenario",
        scenario_path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(control_dir.join("truth.json")).unwrap())
            .unwrap();
    assert!(truth["intrusion"].is_null());
    assert_eq!(truth["period"]["end"], "2025-04-20T15:00:00Z");

    // A directory that is not a demo directory is never overwritten.
    let precious = dir.path().join("precious");
    std::fs::create_dir(&precious).unwrap();
    std::fs::write(precious.join("evidence.log"), "keep me").unwrap();
    let out = breachscope(&["demo", "--dir", precious.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(precious.join("evidence.log")).unwrap(),
        "keep me"
    );
    // A bad scenario file is reported with its name.
    std::fs::write(&scenario_path, "name = 1").unwrap();
    let out = breachscope(&[
        "demo",
        "--dir",
        control_dir.to_str().unwrap(),
        "--scenario",
        scenario_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mine.toml"));
}
