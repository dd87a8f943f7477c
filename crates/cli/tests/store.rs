//! `breachscope ingest`: the demo's evidence in the lake exactly as `normalize` reads it, per
//! class and per day; a second run adds nothing; a new day, an appended tail, a rotation by
//! rename, a copytruncate and a half-written line add exactly the new events; `kill -9` at any
//! moment leaves each event in the lake once; DuckDB reads the lake as the README says.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use breachscope_store::{Class, Store, lake::event_day};
use common::breachscope;

/// Per (class_uid, UTC day) event counts of `normalize`'s OCSF output for these paths.
fn normalize_counts(paths: &[&Path]) -> BTreeMap<(i64, i32), u64> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_breachscope"))
        .arg("normalize")
        .args(paths)
        .env("TZ", "UTC")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut counts = BTreeMap::new();
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let class = v["class_uid"].as_i64().unwrap();
        let ms = v["time"].as_i64().unwrap();
        *counts.entry((class, event_day(ms * 1000))).or_default() += 1;
    }
    assert!(child.wait().unwrap().success());
    counts
}

/// Per (class_uid, day) event counts in the lake, read back through the store.
fn lake_counts(store: &Path) -> BTreeMap<(i64, i32), u64> {
    let store = Store::open(store).unwrap();
    let mut counts = BTreeMap::new();
    for class in Class::ALL {
        for day in store.read_class(class, None).unwrap() {
            for e in day {
                *counts
                    .entry((i64::from(class.uid()), event_day(e.time())))
                    .or_default() += 1;
            }
        }
    }
    counts
}

/// Runs `breachscope ingest --store STORE ARGS… --json`, which must succeed, and returns its
/// summary.
fn ingest_with(store: &Path, args: &[&str]) -> serde_json::Value {
    let json = store.with_extension("ingest.json");
    let mut all = vec!["ingest", "--store", store.to_str().unwrap()];
    all.extend_from_slice(args);
    all.extend(["--json", json.to_str().unwrap()]);
    let out = breachscope(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

fn ingest(store: &Path, samba: &Path, zeek: Option<&Path>) -> serde_json::Value {
    let mut args = vec![
        "--samba-audit",
        samba.to_str().unwrap(),
        "--log-tz",
        "Asia/Tokyo",
    ];
    if let Some(z) = zeek {
        args.extend(["--zeek", z.to_str().unwrap()]);
    }
    ingest_with(store, &args)
}

fn demo(dir: &Path, seed: &str) -> PathBuf {
    let demo = dir.join("demo");
    let out = breachscope(&["demo", "--dir", demo.to_str().unwrap(), "--seed", seed]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    demo
}

fn file(summary: &serde_json::Value, path: &Path) -> serde_json::Value {
    summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path.to_str().unwrap())
        .cloned()
        .unwrap_or_else(|| panic!("{} not in {summary}", path.display()))
}

fn total(counts: &BTreeMap<(i64, i32), u64>) -> u64 {
    counts.values().sum()
}

#[test]
fn ingest_is_exact_and_incremental() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path(), "4");
    let samba = demo.join("samba/fs01");
    let zeek = demo.join("zeek");
    // Hold back the last day, and the second half of the day before.
    let mut days: Vec<PathBuf> = std::fs::read_dir(&samba)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    days.sort();
    let held = dir.path().join("held.log");
    let last = days.pop().unwrap();
    std::fs::rename(&last, &held).unwrap();
    let growing = days.last().unwrap().clone();
    let text = std::fs::read_to_string(&growing).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let half = lines.len() / 2;
    std::fs::write(&growing, format!("{}\n", lines[..half].join("\n"))).unwrap();
    let tail = format!("{}\n", lines[half..].join("\n"));

    let store = dir.path().join("store");
    let first = ingest(&store, &samba, Some(&zeek));
    let want = normalize_counts(&[&samba, &zeek]);
    assert_eq!(first["events"].as_u64().unwrap(), total(&want));
    assert_eq!(
        lake_counts(&store),
        want,
        "per class and day, the lake equals normalize"
    );

    // Again: nothing new.
    let again = ingest(&store, &samba, Some(&zeek));
    assert_eq!(again["events"], 0);

    // A new day, an appended tail, and a line still being written.
    std::fs::copy(&held, &last).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&growing)
        .unwrap();
    f.write_all(tail.as_bytes()).unwrap();
    f.write_all(lines[1].as_bytes()).unwrap(); // no newline yet
    drop(f);
    let grown = ingest(&store, &samba, None);
    let new_day = normalize_counts(&[&last]);
    let tail_file = dir.path().join("tail.log");
    std::fs::write(&tail_file, &tail).unwrap();
    let tail_counts = normalize_counts(&[&tail_file]);
    assert_eq!(
        grown["events"].as_u64().unwrap(),
        total(&new_day) + total(&tail_counts),
        "exactly the new day and the appended lines; the half-written line waits"
    );
    assert_eq!(file(&grown, &growing)["status"], "appended");
    assert_eq!(file(&grown, &last)["status"], "new");
    // The line is finished: it alone is added.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&growing)
        .unwrap();
    f.write_all(b"\n").unwrap();
    drop(f);
    let finished = ingest(&store, &samba, None);
    assert_eq!(finished["events"], 1);

    // Rotation by rename: the old content is known under its new name; the new file under the
    // old name is new.
    let rotated = samba.join("rotated.log.1");
    std::fs::rename(&growing, &rotated).unwrap();
    std::fs::write(&growing, &tail).unwrap();
    let after_rotation = ingest(&store, &samba, None);
    assert_eq!(
        after_rotation["events"].as_u64().unwrap(),
        total(&tail_counts)
    );
    let r = file(&after_rotation, &rotated);
    assert_eq!(r["status"], "unchanged");
    assert_eq!(r["known_as"], growing.to_str().unwrap());
    assert_eq!(file(&after_rotation, &growing)["status"], "new");

    // Copytruncate: the content copied away (with lines written since), the original emptied
    // and written anew.
    let copy = samba.join("copied.log.1");
    let mut content = std::fs::read(&growing).unwrap();
    content.extend_from_slice(lines[0].as_bytes());
    content.push(b'\n');
    std::fs::write(&copy, &content).unwrap();
    std::fs::write(&growing, format!("{}\n", lines[1])).unwrap();
    let after_copy = ingest(&store, &samba, None);
    assert_eq!(
        after_copy["events"], 2,
        "one line after the copy point, one in the new file"
    );
    assert_eq!(file(&after_copy, &copy)["status"], "appended");
    assert_eq!(file(&after_copy, &growing)["status"], "new");

    // Rotation with compression (zeekctl's archive, logrotate's `compress`): a line written
    // after the last read, then the file gzipped away. Only that line is new.
    let mut content = std::fs::read(&growing).unwrap();
    content.extend_from_slice(lines[2].as_bytes());
    content.push(b'\n');
    let archived = samba.join("compressed.log.2.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&archived).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(&content).unwrap();
    gz.finish().unwrap();
    std::fs::remove_file(&growing).unwrap();
    let after_compression = ingest(&store, &samba, None);
    assert_eq!(after_compression["events"], 1);
    let z = file(&after_compression, &archived);
    assert_eq!(z["status"], "appended");
    assert_eq!(z["known_as"], growing.to_str().unwrap());
    // And it stays known.
    assert_eq!(ingest(&store, &samba, None)["events"], 0);

    // Everything the lake holds: the first ingest, plus every line added since.
    let lake = lake_counts(&store);
    assert_eq!(
        total(&lake),
        total(&want) + total(&new_day) + 2 * total(&tail_counts) + 1 + 2 + 1
    );
}

#[test]
fn kill_9_at_any_moment_leaves_each_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path(), "5");
    let samba = demo.join("samba");
    let zeek = demo.join("zeek");
    let store = dir.path().join("store");
    let want = normalize_counts(&[&samba, &zeek]);
    let mut rng = breachscope_simulate::rng::Rng::new(9, "kill");
    let mut killed_mid_run = 0;
    for round in 0..6 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_breachscope"))
            .args([
                "ingest",
                "--store",
                store.to_str().unwrap(),
                "--samba-audit",
                samba.to_str().unwrap(),
                "--zeek",
                zeek.to_str().unwrap(),
                "--log-tz",
                "Asia/Tokyo",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = 20 + rng.below(400 * (round + 1));
        std::thread::sleep(std::time::Duration::from_millis(delay));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        // SIGKILL: no chance to clean up.
        child.kill().unwrap();
        child.wait().unwrap();
    }
    assert!(
        killed_mid_run >= 3,
        "only {killed_mid_run} kills landed mid-run"
    );
    let done = ingest(&store, &samba, Some(&zeek));
    assert!(done["events"].as_u64().unwrap() <= total(&want));
    assert_eq!(lake_counts(&store), want, "each event exactly once");
    let again = ingest(&store, &samba, Some(&zeek));
    assert_eq!(again["events"], 0);
}

/// The README's hunting queries, run by DuckDB's Python package (installed into a venv the
/// test makes; skipped, saying why, where it cannot be).
#[test]
fn duckdb_reads_the_lake_as_the_readme_says() {
    let Some(python) = duckdb_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path(), "6");
    let samba = demo.join("samba");
    let zeek = demo.join("zeek");
    let store = dir.path().join("store");
    ingest(&store, &samba, Some(&zeek));
    let want = normalize_counts(&[&samba, &zeek]);
    let script = dir.path().join("q.py");
    std::fs::write(&script, include_str!("../../../scripts/lake_queries.py")).unwrap();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("truth.json")).unwrap()).unwrap();
    let intrusion = &truth["intrusion"];
    let stolen = &intrusion["files"][0];
    let out = Command::new(&python)
        .arg(&script)
        .arg(&store)
        .arg(intrusion["exfiltration"].as_str().unwrap())
        .arg(stolen["share"].as_str().unwrap())
        .arg(stolen["path"].as_str().unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut duck = BTreeMap::new();
    for row in result["per_class_day"].as_array().unwrap() {
        duck.insert(
            (
                row[0].as_i64().unwrap(),
                i32::try_from(row[1].as_i64().unwrap()).unwrap(),
            ),
            row[2].as_u64().unwrap(),
        );
    }
    assert_eq!(
        duck, want,
        "DuckDB's counts per class and day equal normalize's"
    );
    // Top talkers to the exfiltration address, and who read a stolen file: the answers the
    // simulation's truth gives.
    let talkers = result["top_talkers"].as_array().unwrap();
    assert_eq!(talkers[0][0], intrusion["host"]["ip"], "{result}");
    assert_eq!(
        talkers[0][1].as_u64().unwrap(),
        intrusion["bytes_exfiltrated"].as_u64().unwrap()
    );
    let readers = result["readers"].as_array().unwrap();
    assert!(
        readers.iter().any(|r| r[0] == intrusion["account"]),
        "{result}"
    );
}

/// A Python with DuckDB: a venv under the target directory, made once.
fn duckdb_python() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("duckdb-venv");
    let python = venv.join("bin/python");
    let ready = || {
        Command::new(&python)
            .args(["-c", "import duckdb"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready() {
        return Some(python);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "duckdb"])
            .output()
            .is_ok_and(|o| o.status.success());
    if made && ready() {
        Some(python)
    } else {
        eprintln!("SKIPPED: DuckDB's Python package could not be installed into a venv");
        None
    }
}

/// `investigate --store` writes the report `investigate` writes from the raw logs (apart from
/// `generated_at` and `inputs`): ingesting the evidence it is given, and again from the lake
/// alone.
#[test]
fn investigate_from_the_store_writes_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path(), "7");
    let samba = demo.join("samba");
    let zeek = demo.join("zeek");
    let key = dir.path().join("key");
    let mut shares: Vec<String> = Vec::new();
    for e in std::fs::read_dir(demo.join("shares")).unwrap() {
        let p = e.unwrap().path();
        shares.push(format!(
            "{}={}",
            p.file_name().unwrap().to_str().unwrap(),
            p.display()
        ));
    }
    let run = |out: &Path, store: Option<&Path>, evidence: bool| -> serde_json::Value {
        let mut args: Vec<String> = vec![
            "investigate".into(),
            "--out".into(),
            out.display().to_string(),
            "--log-tz".into(),
            "Asia/Tokyo".into(),
            "--detected-at".into(),
            "2025-07-01T00:00:00Z".into(),
            "--key".into(),
            key.display().to_string(),
        ];
        if evidence {
            args.extend([
                "--zeek".into(),
                zeek.display().to_string(),
                "--samba-audit".into(),
                samba.display().to_string(),
            ]);
        }
        if let Some(s) = store {
            args.extend(["--store".into(), s.display().to_string()]);
        }
        for s in &shares {
            args.extend(["--share".into(), s.clone()]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = breachscope(&refs);
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        common::assert_valid_report(&report);
        report
    };
    let strip = |mut v: serde_json::Value| {
        let o = v.as_object_mut().unwrap();
        o.remove("generated_at");
        o.remove("inputs");
        v
    };
    let raw = run(&dir.path().join("raw"), None, true);
    let store = dir.path().join("store");
    let ingested = run(&dir.path().join("ingested"), Some(&store), true);
    let from_lake = run(&dir.path().join("lake"), Some(&store), false);
    let from_lake_again = from_lake.clone();
    assert!(!raw["incidents"].as_array().unwrap().is_empty());
    assert!(
        raw["incidents"][0]["files"].as_array().unwrap().len() > 10,
        "the scoped report has files"
    );
    // The store's inputs are the files its catalog lists, hashed as read.
    let inputs = from_lake["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), raw["inputs"].as_array().unwrap().len());
    assert!(
        inputs
            .iter()
            .all(|i| i["sha256"].as_str().unwrap().len() == 64)
    );
    assert_eq!(strip(ingested), strip(raw.clone()));
    assert_eq!(strip(from_lake), strip(raw));
    // The HTML report's daily timelines (bytes to the incidents' addresses, file reads per
    // day) come from the scoping pass too: the same from the lake.
    let timelines = |out: &str| -> Vec<String> {
        let html = std::fs::read_to_string(dir.path().join(out).join("report.html")).unwrap();
        html.split("<svg class=\"timeline\"")
            .skip(1)
            .map(|s| s.split("</svg>").next().unwrap().to_owned())
            .collect()
    };
    let raw_timelines = timelines("raw");
    assert!(
        raw_timelines.iter().any(|t| t.contains("class=\"bytes\"")),
        "the demo's timelines have traffic"
    );
    assert_eq!(timelines("lake"), raw_timelines);

    // `report` reads the store while a writer holds it (as during watch or ingest) and writes
    // the same report; a writer's command is refused meanwhile.
    let writer = breachscope_store::Store::open(&store).unwrap();
    let out = dir.path().join("report");
    let mut args: Vec<String> = [
        "report",
        "--store",
        store.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--detected-at",
        "2025-07-01T00:00:00Z",
        "--key",
        key.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec();
    for s in &shares {
        args.extend(["--share".into(), s.clone()]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = breachscope(&refs);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    common::assert_valid_report(&report);
    assert_eq!(strip(report), strip(from_lake_again.clone()));
    let busy = breachscope(&[
        "ingest",
        "--store",
        store.to_str().unwrap(),
        "--zeek",
        zeek.to_str().unwrap(),
    ]);
    assert!(!busy.status.success());
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("in use"),
        "{}",
        String::from_utf8_lossy(&busy.stderr)
    );
    drop(writer);
}

/// The real EVTX samples beside the repository: every record `normalize` maps is in the lake
/// once, files that are not EVTX are left out, and a second run adds nothing.
#[test]
fn evtx_samples_are_ingested_once() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let evtx = data.join("evtx");
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let run = || ingest_with(&store, &["--evtx", evtx.to_str().unwrap()]);
    let first = run();
    let (_, summary, _) = common::normalize(&["--count-only", evtx.to_str().unwrap()]);
    assert_eq!(first["events"], summary["totals"]["records"]);
    assert!(
        first["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["path"].as_str().unwrap().ends_with(".evtx")),
        "only EVTX files are read"
    );
    assert_eq!(run()["events"], 0);

    // Another log exported under a name already read (a larger one): it is new content, read
    // whole — not taken for the old log grown, which would skip its first records.
    let samples = common::evtx_files(&evtx);
    let records = |p: &Path| common::records_of(p);
    let small = samples
        .iter()
        .find(|(_, p)| records(p) > 0)
        .unwrap()
        .1
        .clone();
    let large = samples
        .iter()
        .rev()
        .find(|(_, p)| records(p) > records(&small))
        .unwrap()
        .1
        .clone();
    let exports = dir.path().join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    let log = exports.join("Security.evtx");
    std::fs::copy(&small, &log).unwrap();
    let store2 = dir.path().join("store2");
    let ingest_log = || ingest_with(&store2, &["--evtx", exports.to_str().unwrap()]);
    assert_eq!(ingest_log()["events"].as_u64().unwrap(), records(&small));
    std::fs::copy(&large, &log).unwrap();
    let replaced = ingest_log();
    assert_eq!(replaced["events"].as_u64().unwrap(), records(&large));
    assert_eq!(replaced["files"][0]["status"], "new");

    // The log grown: its first chunk read before (a copy cut after it), then the whole file.
    let (_, big) = samples.last().unwrap().clone();
    let first_chunk = 4096 + 65_536;
    assert!(std::fs::metadata(&big).unwrap().len() > 2 * first_chunk as u64);
    let growing = dir.path().join("growing");
    std::fs::create_dir_all(&growing).unwrap();
    let grown_log = growing.join("Security.evtx");
    std::fs::write(&grown_log, &std::fs::read(&big).unwrap()[..first_chunk]).unwrap();
    let before = records(&grown_log);
    let store3 = dir.path().join("store3");
    let ingest_grown = || ingest_with(&store3, &["--evtx", growing.to_str().unwrap()]);
    assert_eq!(ingest_grown()["events"].as_u64().unwrap(), before);
    std::fs::copy(&big, &grown_log).unwrap();
    let grown = ingest_grown();
    assert_eq!(grown["files"][0]["status"], "appended");
    assert_eq!(grown["events"].as_u64().unwrap(), records(&big) - before);
}

/// A zeekctl spool: `current/conn.log` read while Zeek writes it, then rotated into the
/// archive as `YYYY-MM-DD/conn.HH:MM:SS-HH:MM:SS.log.gz` (with the lines written since and
/// Zeek's `#close`): only those lines are new, and the store holds each connection once.
#[test]
fn a_zeekctl_spool_is_read_once_across_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path(), "5");
    let mut archives: Vec<PathBuf> = std::fs::read_dir(demo.join("zeek"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("/conn."))
        .collect();
    archives.sort();
    let source = archives.last().unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(source).unwrap()),
        &mut text,
    )
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 20, "{}", lines.len());
    let logs = dir.path().join("logs");
    let current = logs.join("current");
    std::fs::create_dir_all(&current).unwrap();
    // Zeek has written all but the last few connections when the first ingest runs.
    let live = lines.len() - 6;
    let live_text: String = lines[..live]
        .iter()
        .filter(|l| !l.starts_with("#close"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(current.join("conn.log"), &live_text).unwrap();
    let store = dir.path().join("store");
    let run = || {
        ingest_with(
            &store,
            &["--zeek", logs.to_str().unwrap(), "--log-tz", "UTC"],
        )
    };
    let first = run();
    // Rotation: the whole hour, compressed into the archive; current/ starts anew.
    let day = logs.join("2025-04-01");
    std::fs::create_dir_all(&day).unwrap();
    let archived = day.join("conn.08:00:00-09:00:00.log.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&archived).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
    std::fs::remove_file(current.join("conn.log")).unwrap();
    let second = run();
    let a = file(&second, &archived);
    assert_eq!(a["status"], "appended");
    assert_eq!(a["known_as"], current.join("conn.log").to_str().unwrap());
    // Every connection of the hour once: what normalize counts in the archive.
    let want = total(&normalize_counts(&[&archived]));
    assert_eq!(
        first["events"].as_u64().unwrap() + second["events"].as_u64().unwrap(),
        want
    );
    assert_eq!(total(&lake_counts(&store)), want);
    assert!(second["events"].as_u64().unwrap() > 0);
}

/// A Samba session's share root, learned from its first path after `connect`, holds for its
/// lines in a later run and another file (a log rotated between the two): the catalog keeps
/// what the reader learned.
#[test]
fn learned_share_roots_carry_over_to_later_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let first = dir.path().join("audit.log-1");
    let second = dir.path().join("audit.log");
    let prefix =
        "2025-06-23T17:02:24.000000+09:00 fs01 smbd_audit: s.takahashi|10.1.1.10|ws-001|finance";
    std::fs::write(
        &first,
        format!(
            "{prefix}|connect|ok|finance\n{prefix}|openat|ok|r|/srv/fs01/finance\n{prefix}|create_file|ok|0x120089|file|open|/srv/fs01/finance/a.csv\n"
        ),
    )
    .unwrap();
    ingest_with(
        &store,
        &["--samba-audit", first.to_str().unwrap(), "--log-tz", "UTC"],
    );
    std::fs::write(
        &second,
        format!("{prefix}|create_file|ok|0x120089|file|open|/srv/fs01/finance/b.csv\n"),
    )
    .unwrap();
    ingest_with(
        &store,
        &["--samba-audit", second.to_str().unwrap(), "--log-tz", "UTC"],
    );
    let s = Store::open(&store).unwrap();
    let paths: Vec<(String, String)> = s
        .read_class(Class::FileSystemActivity, None)
        .unwrap()
        .into_iter()
        .flatten()
        .filter_map(|e| match e {
            breachscope_model::Event::FileAccess(a) if !a.path.is_empty() => {
                Some((a.share, a.path))
            }
            _ => None,
        })
        .collect();
    assert!(
        paths.contains(&("finance".to_owned(), "b.csv".to_owned())),
        "{paths:?}"
    );
}
