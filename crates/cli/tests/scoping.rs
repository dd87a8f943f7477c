//! End to end on a simulated scenario: the top incident's files, personal data and bytes out
//! against truth.json, and no clear-text planted value anywhere in the output directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::breachscope;

#[test]
fn report_scopes_the_intrusion_like_the_truth() {
    for seed in ["5", "6", "7"] {
        scope_seed(seed);
    }
}

#[test]
fn the_control_reports_no_breach() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = breachscope(&[
        "demo",
        "--dir",
        demo.to_str().unwrap(),
        "--scale",
        "control",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("out/report.json")).unwrap())
            .unwrap();
    common::assert_valid_report(&report);
    assert!(
        report["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["severity"] != "high" && i["severity"] != "critical")
    );
    assert_eq!(report["notification"]["appi_reportable"], false);
    assert_eq!(report["notification"]["personal_data_involved"], false);
    assert!(demo.join("out/report.html").exists() && demo.join("out/findings.ocsf.jsonl").exists());
}

fn scope_seed(seed: &str) {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = breachscope(&["demo", "--dir", demo.to_str().unwrap(), "--seed", seed]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("APPI reportable true"), "{stdout}");
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("truth.json")).unwrap()).unwrap();
    let report_text = std::fs::read_to_string(demo.join("out/report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&report_text).unwrap();
    common::assert_valid_report(&report);
    let t = &truth["intrusion"];
    let top = &report["incidents"][0];

    let files = |v: &serde_json::Value| -> BTreeSet<(String, String)> {
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
    };
    let (got, want) = (files(&top["files"]), files(&t["files"]));
    let hits = got.intersection(&want).count() as f64;
    let (precision, recall) = (hits / got.len() as f64, hits / want.len() as f64);
    assert!(
        precision >= 0.95 && recall >= 0.95,
        "files: precision {precision:.3} recall {recall:.3}"
    );
    for category in [
        "email",
        "phone",
        "credit_card",
        "my_number",
        "corporate_number",
    ] {
        let g = top["personal_data"][category].as_f64().unwrap_or(0.0);
        let w = t["personal_data"][category].as_f64().unwrap();
        assert!((g - w).abs() <= 0.05 * w, "{category}: {g} vs {w}");
    }
    // What else was read: the business partners (Corporate Number, name, files, records) and
    // the technology by project equal the answer key's over the same files.
    if got == want {
        let by_number = |v: &serde_json::Value| -> Vec<(String, String, u64, u64)> {
            let mut list: Vec<_> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["corporate_number"].as_str().unwrap().to_owned(),
                        p["name"].as_str().unwrap_or("").to_owned(),
                        p["files"].as_u64().unwrap(),
                        p["records"].as_u64().unwrap(),
                    )
                })
                .collect();
            list.sort();
            list
        };
        let partners = by_number(&top["business_partners"]);
        assert!(partners.len() > 10, "{partners:?}");
        assert!(
            partners.iter().all(|p| !p.1.is_empty()),
            "every partner named"
        );
        assert_eq!(partners, by_number(&t["business_partners"]));
        let projects = |v: &serde_json::Value| -> Vec<String> {
            let mut list: Vec<String> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let mut markings: Vec<&str> = p["markings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|m| m.as_str().unwrap())
                        .collect();
                    markings.sort();
                    format!(
                        "{}/{} {} {} {} {markings:?}",
                        p["share"], p["directory"], p["kinds"], p["files"], p["bytes"]
                    )
                })
                .collect();
            list.sort();
            list
        };
        let technology = projects(&top["technology"]);
        assert!(technology.len() >= 3, "{technology:?}");
        assert_eq!(technology, projects(&t["technology"]));
    } else {
        println!(
            "seed {seed}: the files read differ from the answer key's; partners and technology not compared"
        );
    }
    let html = std::fs::read_to_string(demo.join("out/report.html")).unwrap();
    assert!(html.contains("What else was read") && html.contains("they also hold"));
    let (g, w) = (
        top["bytes_exfiltrated"].as_f64().unwrap(),
        t["bytes_exfiltrated"].as_f64().unwrap(),
    );
    assert!((g - w).abs() <= 0.1 * w, "bytes {g} vs {w}");
    let file = &top["files"][0];
    assert_eq!(file["sha256"].as_str().unwrap().len(), 64);
    assert!(file["classification"]["format"].is_string());
    let n = &report["notification"];
    assert_eq!(n["personal_data_involved"], true);
    assert_eq!(n["appi_reportable"], true);
    let regimes: Vec<&str> = n["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["regime"].as_str().unwrap())
        .collect();
    assert_eq!(regimes, ["APPI-preliminary", "APPI-final", "GDPR-72h"]);
    // OCSF findings: one Detection Finding per alert, one Data Security Finding per incident file
    // with personal data.
    let findings: Vec<serde_json::Value> =
        std::fs::read_to_string(demo.join("out/findings.ocsf.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let detections = findings.iter().filter(|f| f["class_uid"] == 2004).count();
    let data = findings.iter().filter(|f| f["class_uid"] == 2006).count();
    assert_eq!(detections, report["alerts"].as_array().unwrap().len());
    let with_pd: usize = report["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["files"].as_array().unwrap().iter())
        .filter(|f| {
            f["classification"]["labels"]
                .as_array()
                .is_some_and(|l| l.iter().any(|x| x == "personal_data"))
        })
        .count();
    assert_eq!(data, with_pd);
    assert!(data > 0);
    assert!(
        findings
            .iter()
            .all(|f| f["time"].as_i64().is_some_and(|t| t > 1_700_000_000_000))
    );
    // No clear-text e-mail address or card number from the incident's files in the output.
    let mut planted = Vec::new();
    for (share, path) in want.iter().take(30) {
        let bytes = std::fs::read(demo.join("shares").join(share).join(path)).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for token in text.split(|c: char| c == ',' || c == '"' || c.is_whitespace() || c == '/') {
            if token.contains('@') && token.len() > 8 {
                planted.push(token.to_lowercase());
            }
            let digits: String = token.chars().filter(char::is_ascii_digit).collect();
            if digits.len() >= 15 && token.len() == digits.len() {
                planted.push(digits);
            }
        }
    }
    assert!(
        planted.len() > 20,
        "the incident's files hold planted values"
    );
    let mut outputs = vec![stdout];
    for entry in std::fs::read_dir(demo.join("out")).unwrap() {
        outputs.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    // Every e-mail-like token and every long digit run of the outputs, to look the planted values
    // up in (a substring search of every output per value would be quadratic).
    let mut emails: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut runs: Vec<String> = Vec::new();
    for o in &outputs {
        let lower = o.to_lowercase();
        emails.extend(
            lower
                .split(|c: char| !(c.is_ascii_alphanumeric() || "._%+-@".contains(c)))
                .filter(|t| t.contains('@'))
                .map(str::to_owned),
        );
        runs.extend(
            lower
                .split(|c: char| !c.is_ascii_digit())
                .filter(|t| t.len() >= 15)
                .map(str::to_owned),
        );
    }
    for value in &planted {
        if value.contains('@') {
            assert!(!emails.contains(value.as_str()), "'{value}' leaked");
        } else {
            assert!(
                !runs.iter().any(|r| r.contains(value.as_str())),
                "'{value}' leaked"
            );
        }
    }
}
