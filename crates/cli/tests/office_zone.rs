//! The office zone of `investigate`: inferred from the UTC offsets the evidence states when
//! neither `--log-tz` nor the configuration names one, recorded in report.json's `settings`, used
//! for local-time logs, and shown in report.html.
//!
//! Every run here has `TZ=UTC` (see `common::breachscope`): an investigator's UTC machine
//! looking at a Tokyo company whose Samba server logs `+09:00`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::breachscope;
use serde_json::Value;

/// Generates the small demo scenario (Tokyo, Samba audit through rsyslog in RFC 3339 with
/// `+09:00`, Zeek TSV with epoch times) into `dir`.
fn demo(dir: &Path) -> PathBuf {
    let demo = dir.join("demo");
    let out = breachscope(&["demo", "--dir", demo.to_str().unwrap(), "--seed", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    demo
}

/// Runs `investigate` with `extra` arguments; returns (report.json, report.html, stderr).
fn investigate(
    zeek: &Path,
    samba: Option<&Path>,
    out: &Path,
    extra: &[&str],
) -> (Value, String, String) {
    let mut args = vec![
        "investigate",
        "--zeek",
        zeek.to_str().unwrap(),
        "--detected-at",
        "2025-07-01T00:00:00Z",
        "--out",
        out.to_str().unwrap(),
    ];
    if let Some(samba) = samba {
        args.extend(["--samba-audit", samba.to_str().unwrap()]);
    }
    args.extend_from_slice(extra);
    let run = breachscope(&args);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{args:?}: {stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    common::assert_valid_report(&report);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    (report, html, stderr)
}

/// What must not depend on where the zone came from: each incident's id, severity, hosts and
/// accounts, and each alert's id, detector, time and severity.
fn findings(report: &Value) -> (Vec<Value>, Vec<Value>) {
    let incidents = report["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            serde_json::json!({
                "id": i["id"],
                "severity": i["severity"],
                "hosts": i["hosts"].as_array().unwrap().iter().map(|h| h["ip"].clone()).collect::<Vec<_>>(),
                "accounts": i["accounts"],
                "alert_ids": i["alert_ids"],
                "files": i["files"].as_array().unwrap().len(),
            })
        })
        .collect();
    let alerts = report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            serde_json::json!({
                "id": a["id"], "detector": a["detector"], "time": a["time"], "severity": a["severity"],
            })
        })
        .collect();
    (incidents, alerts)
}

/// Whether `text` is `YYYY-MM-DD HH:MM:SS ZONE`, the zone an abbreviation (`JST`) or an offset
/// (`+09:00`).
fn is_local_time(text: &str, zone: &str) -> bool {
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    b.len() == 20 + zone.len()
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b' '
        && &text[20..] == zone
}

/// Every time cell of the page (`<td data-sort="RFC 3339">shown</td>`): (UTC value, shown).
fn time_cells(html: &str) -> Vec<(String, String)> {
    html.split("<td data-sort=\"")
        .skip(1)
        .filter_map(|rest| {
            let (value, rest) = rest.split_once("\">")?;
            let (shown, _) = rest.split_once("</td>")?;
            value
                .ends_with('Z')
                .then(|| (value.to_owned(), shown.to_owned()))
        })
        .collect()
}

#[test]
fn the_zone_inferred_from_the_evidence_gives_the_results_of_the_right_flag() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path());
    let (zeek, samba) = (demo.join("zeek"), demo.join("samba"));

    let (flagged, flagged_html, flag_stderr) = investigate(
        &zeek,
        Some(&samba),
        &dir.path().join("flag"),
        &["--log-tz", "Asia/Tokyo"],
    );
    let (inferred, inferred_html, stderr) =
        investigate(&zeek, Some(&samba), &dir.path().join("inferred"), &[]);

    assert_eq!(flagged["settings"]["office_time_zone"], "Asia/Tokyo");
    assert_eq!(flagged["settings"]["office_time_zone_source"], "flag");
    assert!(
        flag_stderr.contains("office time zone Asia/Tokyo (--log-tz)"),
        "{flag_stderr}"
    );
    assert_eq!(inferred["settings"]["office_time_zone"], "+09:00");
    assert_eq!(inferred["settings"]["office_time_zone_source"], "evidence");
    assert!(
        inferred["settings"]["internal_networks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "10.0.0.0/8")
    );
    assert!(
        stderr.contains("office time zone +09:00, inferred from the evidence")
            && stderr.contains("carry +09:00"),
        "{stderr}"
    );
    assert!(!stderr.contains("warning"), "{stderr}");

    // The same incidents and alerts as with the right zone given.
    assert!(!flagged["incidents"].as_array().unwrap().is_empty());
    assert_eq!(findings(&inferred), findings(&flagged));

    // The zone matters here: read as UTC, office hours move and the alerts change.
    let (utc, _, _) = investigate(
        &zeek,
        Some(&samba),
        &dir.path().join("utc"),
        &["--log-tz", "UTC"],
    );
    assert_ne!(
        findings(&utc).1,
        findings(&flagged).1,
        "the scenario is zone-sensitive"
    );

    // report.html: times in the office zone, to the second, with the zone's abbreviation or
    // offset; the same instants as report.json's.
    for (html, zone) in [(&flagged_html, "JST"), (&inferred_html, "+09:00")] {
        let cells = time_cells(html);
        assert!(cells.len() >= flagged["alerts"].as_array().unwrap().len());
        for (utc, shown) in &cells {
            assert!(is_local_time(shown, zone), "{utc} shown as {shown:?}");
        }
    }
    let alert = &flagged["alerts"][0];
    let t: jiff::Timestamp = alert["time"].as_str().unwrap().parse().unwrap();
    let tokyo = t.to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap());
    let shown = format!("{} JST", tokyo.strftime("%Y-%m-%d %H:%M:%S"));
    assert!(flagged_html.contains(&shown), "{shown}");
    assert!(
        flagged_html
            .contains("Times are shown in the office time zone, Asia/Tokyo (given with --log-tz)")
    );
    assert!(inferred_html.contains("+09:00 (inferred from the UTC offsets in the evidence)"));

    // The configuration's zone: source "config".
    let config = dir.path().join("breachscope.toml");
    std::fs::write(&config, "time_zone = \"Asia/Tokyo\"\n").unwrap();
    let (configured, _, stderr) = investigate(
        &zeek,
        Some(&samba),
        &dir.path().join("config"),
        &["--config", config.to_str().unwrap()],
    );
    assert_eq!(configured["settings"]["office_time_zone_source"], "config");
    assert!(
        stderr.contains("(time_zone in the configuration)"),
        "{stderr}"
    );
    assert_eq!(findings(&configured), findings(&flagged));
}

/// Rewrites an rsyslog RFC 3339 line (`2025-06-24T02:26:34.016538+09:00 fs01 smbd_audit: …`)
/// in the traditional layout (`Jun 24 02:26:34.016538 fs01 smbd_audit: …`): local time, no
/// year, no zone.
fn to_rfc3164(line: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (stamp, rest) = line.split_once(' ').unwrap();
    assert!(stamp.ends_with("+09:00"), "{stamp}");
    let month: usize = stamp[5..7].parse().unwrap();
    let day: u32 = stamp[8..10].parse().unwrap();
    format!(
        "{} {day:>2} {} {rest}",
        MONTHS[month - 1],
        &stamp[11..stamp.len() - 6]
    )
}

#[test]
fn local_time_logs_are_read_in_the_zone_other_evidence_states() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path());
    let zeek = demo.join("zeek");
    let samba = demo.join("samba");

    // A copy of the audit logs in which every other day is in RFC 3164 (local time without a
    // zone or year, as rsyslog's traditional format writes it); the rest keep their offsets.
    let mixed = dir.path().join("samba-mixed");
    let mut rewritten = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(samba.join("fs01"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    std::fs::create_dir_all(mixed.join("fs01")).unwrap();
    for (n, path) in files.iter().enumerate() {
        let target = mixed.join("fs01").join(path.file_name().unwrap());
        let text = std::fs::read_to_string(path).unwrap();
        if n % 2 == 1 {
            let mut local = String::with_capacity(text.len());
            for line in text.lines() {
                local.push_str(&to_rfc3164(line));
                local.push('\n');
            }
            let mut f = std::fs::File::create(&target).unwrap();
            f.write_all(local.as_bytes()).unwrap();
            // The year of RFC 3164 lines comes from the file's modification time: the end of
            // the day the file holds, as rsyslog would leave it.
            let day: jiff::civil::Date =
                path.file_stem().unwrap().to_str().unwrap().parse().unwrap();
            let end = day
                .tomorrow()
                .unwrap()
                .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
                .unwrap();
            let mtime = std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(end.timestamp().as_second() as u64);
            f.set_modified(mtime).unwrap();
            rewritten += 1;
        } else {
            std::fs::write(&target, text).unwrap();
        }
    }
    assert!(rewritten > 20);

    let (flagged, _, _) = investigate(
        &zeek,
        Some(&samba),
        &dir.path().join("flag"),
        &["--log-tz", "Asia/Tokyo"],
    );
    let (inferred, _, stderr) = investigate(&zeek, Some(&mixed), &dir.path().join("mixed"), &[]);
    assert_eq!(
        inferred["settings"]["office_time_zone_source"], "evidence",
        "{stderr}"
    );
    assert_eq!(inferred["settings"]["office_time_zone"], "+09:00");
    assert!(
        inferred["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["rejected"] == 0)
    );
    // The RFC 3164 days were placed at the right instants: same files, same alerts.
    assert_eq!(findings(&inferred), findings(&flagged));
    assert_eq!(inferred["time_range"], flagged["time_range"]);

    // The check has teeth: with the office in Tokyo but the RFC 3164 days read as UTC, they
    // land nine hours late and the findings change.
    let config = dir.path().join("tokyo.toml");
    std::fs::write(&config, "time_zone = \"Asia/Tokyo\"\n").unwrap();
    let (misread, _, stderr) = investigate(
        &zeek,
        Some(&mixed),
        &dir.path().join("misread"),
        &["--config", config.to_str().unwrap(), "--log-tz", "UTC"],
    );
    assert!(
        stderr.contains("office time zone Asia/Tokyo (time_zone in the configuration); local-time logs read in UTC (--log-tz)"),
        "{stderr}"
    );
    assert_ne!(findings(&misread), findings(&flagged));
}

#[test]
fn without_stated_offsets_the_machine_zone_is_used_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path());
    // Zeek TSV alone: epoch times, no offset anywhere.
    let (report, html, stderr) =
        investigate(&demo.join("zeek"), None, &dir.path().join("out"), &[]);
    assert_eq!(report["settings"]["office_time_zone"], "UTC");
    assert_eq!(report["settings"]["office_time_zone_source"], "machine");
    assert!(
        stderr.contains("warning: no evidence states its UTC offset")
            && stderr.contains("this machine's zone, UTC")
            && stderr.contains("--log-tz"),
        "{stderr}"
    );
    for (utc, shown) in time_cells(&html) {
        assert!(is_local_time(&shown, "UTC"), "{utc} shown as {shown:?}");
    }
}
