//! Helpers shared by the integration tests (included with `mod common;`).

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared/data` next to the repository, or `None` (with the reason printed) when this clone
/// has no such folder: tests on real evidence then skip rather than fail.
pub fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    match dir.canonicalize() {
        Ok(d) if d.is_dir() => Some(d),
        _ => {
            eprintln!(
                "SKIPPED: {} not found (real evidence lives beside the repository, not in it)",
                dir.display()
            );
            None
        }
    }
}

/// Runs the breachscope binary with the given arguments.
pub fn breachscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_breachscope"))
        .args(args)
        .env("TZ", "UTC")
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("breachscope-test-config"),
        )
        .output()
        .expect("the breachscope binary runs")
}

/// Runs `normalize` and returns (OCSF events, summary JSON, stderr). Panics if the command fails.
pub fn normalize(args: &[&str]) -> (Vec<serde_json::Value>, serde_json::Value, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = dir.path().join("summary.json");
    let mut all = vec![
        "normalize",
        "--summary-json",
        summary.to_str().expect("utf-8 path"),
    ];
    all.extend_from_slice(args);
    let out = breachscope(&all);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "normalize {args:?} failed: {stderr}");
    let events = String::from_utf8(out.stdout)
        .expect("OCSF output is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary written"))
            .expect("summary is JSON");
    (events, summary, stderr)
}

/// The summary entry of the only file (or the file whose path ends with `suffix`).
pub fn file_entry<'a>(summary: &'a serde_json::Value, suffix: &str) -> &'a serde_json::Value {
    summary["files"]
        .as_array()
        .expect("files array")
        .iter()
        .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(suffix)))
        .unwrap_or_else(|| panic!("no summary entry for {suffix}: {summary}"))
}

/// Validates a report against docs/spec/report-v1.schema.json; panics with every error.
pub fn assert_valid_report(report: &serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/spec/report-v1.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.json does not follow report-v1:\n{}",
        errors.join("\n")
    );
}

/// Validates lines of a watch's alerts file against docs/spec/alerts-v1.schema.json; panics
/// with every error.
pub fn assert_valid_alert_lines(lines: &[serde_json::Value]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/spec/alerts-v1.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = lines
        .iter()
        .enumerate()
        .flat_map(|(i, line)| {
            validator
                .iter_errors(line)
                .map(move |e| format!("line {}: {} at {}", i + 1, e, e.instance_path()))
        })
        .collect();
    assert!(
        errors.is_empty(),
        "alerts lines do not follow alerts-v1:\n{}",
        errors.join("\n")
    );
}

/// The `.evtx` files under `dir` (recursively), with their sizes, smallest first.
pub fn evtx_files(dir: &Path) -> Vec<(u64, PathBuf)> {
    let mut samples = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("a readable directory") {
            let p = e.expect("a directory entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "evtx") {
                samples.push((std::fs::metadata(&p).expect("metadata").len(), p));
            }
        }
    }
    samples.sort();
    samples
}

/// The records `normalize` reads from a file.
pub fn records_of(path: &Path) -> u64 {
    let (_, s, _) = normalize(&["--count-only", path.to_str().expect("utf-8 path")]);
    s["totals"]["records"].as_u64().expect("a record count")
}
