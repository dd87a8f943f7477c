//! report.html in a real browser (Debian's headless Chromium, network disabled): the timeline
//! charts and their markers are there, the files table sorts when a header is clicked, nothing
//! logs an error; a screenshot is kept as a test artifact.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::breachscope;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=127.0.0.1:9",
];

#[test]
fn report_html_renders_sorts_and_logs_no_error() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED: no chromium (scripts/test.sh installs Debian's chromium when it runs as root)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = breachscope(&["demo", "--dir", demo.to_str().unwrap(), "--seed", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = demo.join("out/report.html");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("<script src") && !page.contains("<link "),
        "self-contained"
    );
    let url = format!("file://{}#selftest", html.display());
    let profile = dir.path().join("profile");
    let mut args: Vec<String> = FLAGS.iter().map(|s| s.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let dom = Command::new(browser)
        .args(&args)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    let attr = dom
        .split("data-selftest=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page ran its self-test");
    let json = attr.replace("&quot;", "\"").replace("&amp;", "&");
    let result: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(result["charts"].as_u64().unwrap() >= 1, "{result}");
    assert!(
        result["markers"].as_u64().unwrap() >= 3,
        "first evidence, first alert and spike: {result}"
    );
    assert!(result["bars"].as_u64().unwrap() > 10);
    let asc: Vec<f64> = result["ascending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let desc: Vec<f64> = result["descending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        asc.len() > 10 && asc.windows(2).all(|w| w[0] <= w[1]),
        "ascending after one click: {asc:?}"
    );
    assert!(
        desc.windows(2).all(|w| w[0] >= w[1]),
        "descending after a second click"
    );
    assert_eq!(result["header_class"], "sorted-desc");
    assert_eq!(result["errors"].as_array().unwrap().len(), 0, "{result}");

    let artifact = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-html.png");
    let shot = Command::new(browser)
        .args(&args)
        .arg("--window-size=1280,1800")
        .arg(format!("--screenshot={}", artifact.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        shot.status.success() && artifact.metadata().unwrap().len() > 10_000,
        "screenshot"
    );
    eprintln!("screenshot kept at {}", artifact.display());
}
