//! `breachscope watch`: a live replay of the small scenario (a zeekctl spool rotated into a gzip
//! archive daily, a Samba audit log rotated weekly by rename and by copytruncate), once
//! uninterrupted and once killed with SIGKILL in the middle and restarted: the same alerts, the
//! same incidents pushed, and the same lake — equal to `ingest` of the scenario's files; the
//! intruder's incident pushed within 24 h of the first command-and-control contact in event
//! time. A local HTTP server receives the webhook (failing first: retried), a UDP socket the
//! syslog messages; a dead webhook never stalls the watch; the latency from an evidence line to
//! its alert at the default settings; NetFlow and syslog arriving over the network; bad input
//! counted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod replay;

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use breachscope_store::{Class, Store};
use replay::{Day, Live, load_days, status_cycle, wait_cycles};
use serde_json::Value;

/// The small scenario, generated once for the tests of this binary.
fn scenario() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("breachscope-watch-{}", std::process::id()));
        let out = common::breachscope(&["demo", "--dir", dir.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// A watch process, its status file and stderr.
struct Watch {
    child: Child,
    status: PathBuf,
    stderr: PathBuf,
}

impl Watch {
    fn start(dir: &Path, args: &[&str]) -> Watch {
        let status = dir.join("status.json");
        let _ = std::fs::remove_file(&status);
        let stderr = dir.join(format!("watch-{}.stderr", std::process::id()));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_breachscope"))
            .arg("watch")
            .args(["--status", status.to_str().unwrap()])
            .args(args)
            .env("TZ", "UTC")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        Watch {
            child,
            status,
            stderr,
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// SIGTERM, and the exit awaited: it must be clean.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "watch exited {status}: {}", self.stderr());
                return self.stderr();
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "watch did not stop: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// Days written before the watch starts (its catch-up), and the day killed in.
const ARCHIVED_DAYS: usize = 30;
const KILLED_AT: usize = 45;

/// The day after which the uninterrupted replay asks for a report while the watch runs.
const REPORT_AT: usize = 75;

/// `report --store` beside the running watch: a valid report whose intruder incident has its
/// files classified on the share copies the watch recorded.
fn report_while_watching(dir: &Path, store: &Path) {
    let out_dir = dir.join("report-live");
    let out = common::breachscope(&[
        "report",
        "--store",
        store.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("share copies as recorded in the store"),
        "{stderr}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap())
            .unwrap();
    common::assert_valid_report(&report);
    let files = report["incidents"][0]["files"].as_array().unwrap();
    assert!(!files.is_empty(), "{}", report["incidents"][0]);
}

/// What one replay produced.
struct Replayed {
    lines: Vec<Value>,
    store: PathBuf,
    /// Per live day: when its writing ended (wall clock) and its latest record time.
    written: Vec<(SystemTime, i64)>,
    stderr: String,
    /// The webhook's bodies, in the order received.
    webhook: Vec<Value>,
}

/// Replays `days` into `dir`: the first ARCHIVED_DAYS before the watch starts, the rest live,
/// with a SIGKILL in the middle of day KILLED_AT when `kill` is set (the rest of that day
/// written while the watch is down).
fn run_replay(dir: &Path, days: &[Day], headers: &replay::Headers, kill: bool) -> Replayed {
    let mut live = Live::new(&dir.join("evidence"), headers.clone());
    for (i, day) in days.iter().enumerate().take(ARCHIVED_DAYS) {
        live.write_day(day, i, &mut || {});
    }
    let store = dir.join("store");
    let alerts = dir.join("alerts.jsonl");
    let (url, bodies, _) = http_server(Vec::new());
    let mut args: Vec<String> = vec![
        "--webhook".into(),
        url,
        "--store".into(),
        store.display().to_string(),
        "--zeek-dir".into(),
        live.zeek.display().to_string(),
        "--samba-audit".into(),
        live.audit.display().to_string(),
        "--log-tz".into(),
        "Asia/Tokyo".into(),
        "--alerts".into(),
        alerts.display().to_string(),
        "--interval".into(),
        "0.1".into(),
        "--compact-interval".into(),
        "3".into(),
    ];
    // The share copies, recorded in the store for `report --store`.
    for share in std::fs::read_dir(scenario().join("shares")).unwrap() {
        let share = share.unwrap();
        args.push("--share".into());
        args.push(format!(
            "{}={}",
            share.file_name().to_string_lossy(),
            share.path().display()
        ));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut watch = Watch::start(dir, &args);
    let timeout = Duration::from_secs(120);
    wait_cycles(&watch.status, 0, 1, timeout);
    let mut written = Vec::new();
    let mut stderr = String::new();
    for (i, day) in days.iter().enumerate().skip(ARCHIVED_DAYS) {
        if kill && i == KILLED_AT {
            let mut down = Some(watch);
            live.write_day(day, i, &mut || {
                if let Some(w) = down.take() {
                    stderr.push_str(&w.stderr());
                    w.kill();
                }
            });
            watch = Watch::start(dir, &args);
            wait_cycles(&watch.status, 0, 1, timeout);
            written.push((SystemTime::now(), day.max_time_us));
            continue;
        }
        let status = watch.status.clone();
        live.write_day(day, i, &mut || {
            let c = status_cycle(&status);
            wait_cycles(&status, c, 2, timeout);
        });
        written.push((SystemTime::now(), day.max_time_us));
        let c = status_cycle(&watch.status);
        wait_cycles(&watch.status, c, 2, timeout);
        if !kill && i == REPORT_AT {
            report_while_watching(dir, &store);
        }
    }
    stderr.push_str(&watch.stop());
    let lines = std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let webhook = bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    Replayed {
        lines,
        store,
        written,
        stderr,
        webhook,
    }
}

/// Every event of a lake: a hash of its full content → (how many, its text), sorted.
fn lake_digest(store: &Path) -> BTreeMap<u64, (usize, String)> {
    let store = Store::open_read_only(store).unwrap();
    let mut out: BTreeMap<u64, (usize, String)> = BTreeMap::new();
    for class in Class::ALL {
        for day in store.read_class(class, None).unwrap() {
            for e in day {
                let text = format!("{e:?}");
                let mut h = std::collections::hash_map::DefaultHasher::new();
                text.hash(&mut h);
                out.entry(h.finish()).or_insert((0, text)).0 += 1;
            }
        }
    }
    out
}

/// Panics, naming a few of the events missing or repeated, unless the lakes hold the same events.
fn assert_same_events(
    got: &BTreeMap<u64, (usize, String)>,
    want: &BTreeMap<u64, (usize, String)>,
    what: &str,
) {
    let mut differences = Vec::new();
    for (k, (n, text)) in want {
        let m = got.get(k).map_or(0, |g| g.0);
        if m != *n {
            differences.push(format!("{m} times instead of {n}: {text}"));
        }
    }
    for (k, (m, text)) in got {
        if !want.contains_key(k) {
            differences.push(format!("{m} times instead of 0: {text}"));
        }
    }
    let count = |d: &BTreeMap<u64, (usize, String)>| d.values().map(|v| v.0).sum::<usize>();
    assert!(
        differences.is_empty(),
        "{what}: {} events against {} expected, {} differences, the first: {:#?}",
        count(got),
        count(want),
        differences.len(),
        &differences[..differences.len().min(5)]
    );
}

fn of_kind<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["kind"] == kind).collect()
}

/// (key, severity) of the incident lines pushed (high and above).
fn pushed(lines: &[Value]) -> BTreeSet<(String, String)> {
    of_kind(lines, "incident")
        .into_iter()
        .filter(|l| l["severity"] == "high" || l["severity"] == "critical")
        .map(|l| {
            (
                l["key"].as_str().unwrap().to_owned(),
                l["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn micros(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_microsecond()
}

#[test]
fn live_replay_survives_kill_and_restart() {
    let demo = scenario();
    let (days, headers) = load_days(demo);
    assert!(days.len() > KILLED_AT + 10, "{} days", days.len());
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("truth.json")).unwrap()).unwrap();
    let first_c2 = truth["intrusion"]["first_event_us"].as_i64().unwrap();
    let intruder = truth["intrusion"]["host"]["ip"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = tempfile::tempdir().unwrap();
    // The two replays run side by side.
    let (whole, interrupted) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            let dir = base.path().join("uninterrupted");
            std::fs::create_dir_all(&dir).unwrap();
            run_replay(&dir, &days, &headers, false)
        });
        let b = s.spawn(|| {
            let dir = base.path().join("killed");
            std::fs::create_dir_all(&dir).unwrap();
            run_replay(&dir, &days, &headers, true)
        });
        (a.join().unwrap(), b.join().unwrap())
    });
    for r in [&whole, &interrupted] {
        // Nothing said twice.
        let ids: Vec<&str> = r
            .lines
            .iter()
            .map(|l| l["notification"].as_str().unwrap())
            .collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "a notification twice");
        // The webhook received each pushed incident once: the alerts file's high and critical
        // incident lines.
        let hooked: Vec<(String, String)> = r
            .webhook
            .iter()
            .map(|v| {
                (
                    v["key"].as_str().unwrap().to_owned(),
                    v["severity"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let hooked_set: BTreeSet<(String, String)> = hooked.iter().cloned().collect();
        assert_eq!(hooked.len(), hooked_set.len(), "an incident pushed twice");
        assert_eq!(hooked_set, pushed(&r.lines));
        common::assert_valid_alert_lines(&r.lines);
    }
    // The same alerts and the same incidents pushed.
    let alert_keys = |r: &Replayed| -> BTreeSet<String> {
        of_kind(&r.lines, "alert")
            .iter()
            .map(|l| l["key"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(alert_keys(&whole), alert_keys(&interrupted));
    assert!(!alert_keys(&whole).is_empty());
    assert_eq!(pushed(&whole.lines), pushed(&interrupted.lines));
    // The same lake, equal to ingesting the scenario's files in one go.
    let reference = base.path().join("reference");
    let out = common::breachscope(&[
        "ingest",
        "--store",
        reference.to_str().unwrap(),
        "--zeek",
        demo.join("zeek").to_str().unwrap(),
        "--samba-audit",
        demo.join("samba").to_str().unwrap(),
        "--log-tz",
        "Asia/Tokyo",
    ]);
    assert!(out.status.success());
    let expected = lake_digest(&reference);
    assert_same_events(&lake_digest(&whole.store), &expected, "uninterrupted lake");
    assert_same_events(
        &lake_digest(&interrupted.store),
        &expected,
        "lake after kill -9",
    );
    // The intruder's incident pushed within 24 h of the first C2 contact, in event time.
    for r in [&whole, &interrupted] {
        let first_push = of_kind(&r.lines, "incident")
            .into_iter()
            .filter(|l| l["severity"] == "high" || l["severity"] == "critical")
            .filter(|l| {
                l["hosts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|h| h["ip"] == intruder.as_str())
            })
            .map(|l| micros(l["time"].as_str().unwrap()))
            .min()
            .expect("the intruder's incident is pushed");
        let after = first_push - first_c2;
        eprintln!(
            "intruder pushed {:.1} h after the first C2 contact (event time)",
            after as f64 / 3.6e9
        );
        assert!((0..=86_400_000_000).contains(&after), "{after} µs");
    }
    // Latency: from the end of writing the day that holds an alert's evidence to its line.
    let mut worst = 0.0f64;
    for l in of_kind(&whole.lines, "alert") {
        let t = micros(l["time"].as_str().unwrap());
        let Some((written, _)) = whole.written.iter().find(|(_, max)| *max >= t) else {
            continue;
        };
        let notified = micros(l["notified_at"].as_str().unwrap());
        let written_us = written
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64;
        worst = worst.max((notified - written_us) as f64 / 1e6);
    }
    eprintln!("worst latency from a day's evidence written to its alert line: {worst:.2} s");
    assert!(worst <= 60.0);
    assert!(
        interrupted.stderr.contains("caught up"),
        "{}",
        interrupted.stderr
    );
    let _ = whole.stderr;
}

/// A one-request-at-a-time HTTP server on loopback: answers each POST with the next status of
/// `statuses` (then 200), keeping the bodies of those answered 2xx.
/// The bodies a test server kept, and the number of requests it answered.
type Shared<T> = Arc<Mutex<T>>;

fn http_server(statuses: Vec<u16>) -> (String, Shared<Vec<String>>, Shared<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
    let requests: Arc<Mutex<usize>> = Arc::default();
    let (b, r) = (bodies.clone(), requests.clone());
    std::thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut data = Vec::new();
            let mut buf = [0u8; 8192];
            // Read the head, then Content-Length bytes of body.
            let (head_end, length) = loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break (None, 0);
                }
                data.extend_from_slice(&buf[..n]);
                if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&data[..i]).to_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    break (Some(i + 4), length);
                }
            };
            let Some(start) = head_end else { continue };
            while data.len() < start + length {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
            }
            *r.lock().unwrap() += 1;
            let status = statuses.next().unwrap_or(200);
            if (200..300).contains(&status) {
                b.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&data[start..]).into_owned());
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, bodies, requests)
}

#[test]
fn webhook_and_syslog_receive_each_incident_once() {
    let demo = scenario();
    let dir = tempfile::tempdir().unwrap();
    // The first attempt fails (500): the webhook thread retries after its backoff.
    let (url, bodies, requests) = http_server(vec![500]);
    let syslog = UdpSocket::bind("127.0.0.1:0").unwrap();
    syslog
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let syslog_url = format!("udp://{}", syslog.local_addr().unwrap());
    let store = dir.path().join("store");
    let alerts = dir.path().join("alerts.jsonl");
    let config = dir.path().join("watch.toml");
    // Every flag can come from the config file's [watch] table.
    std::fs::write(
        &config,
        format!(
            "[watch]\nstore = {:?}\nzeek_dir = [{:?}]\nsamba_audit = [{:?}]\nlog_tz = \"Asia/Tokyo\"\nalerts = {:?}\nwebhook = {:?}\nsyslog_out = {:?}\nnotify_severity = \"medium\"\nonce = true\n",
            store.to_str().unwrap(),
            demo.join("zeek").to_str().unwrap(),
            demo.join("samba/fs01").to_str().unwrap(),
            alerts.to_str().unwrap(),
            url,
            syslog_url
        ),
    )
    .unwrap();
    let run = || {
        let out = common::breachscope(&["watch", "--config", config.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    run();
    let lines: Vec<Value> = std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    common::assert_valid_alert_lines(&lines);
    let expected: BTreeSet<String> = of_kind(&lines, "incident")
        .into_iter()
        .filter(|l| l["severity"] != "low")
        .map(|l| l["notification"].as_str().unwrap().to_owned())
        .collect();
    assert!(expected.len() >= 2, "{expected:?}");
    let received: BTreeSet<String> = bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| {
            let v: Value = serde_json::from_str(b).unwrap();
            v["notification"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(received, expected, "webhook bodies");
    assert_eq!(*requests.lock().unwrap(), expected.len() + 1, "one retry");
    let mut syslog_keys = BTreeSet::new();
    let mut buf = [0u8; 65_536];
    while syslog_keys.len() < expected.len() {
        let (n, _) = syslog.recv_from(&mut buf).expect("a syslog message");
        let m = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(m.starts_with('<') && m.contains(">1 "), "{m}");
        let json = m.split('\u{feff}').nth(1).unwrap();
        let v: Value = serde_json::from_str(json).unwrap();
        syslog_keys.insert(v["notification"].as_str().unwrap().to_owned());
    }
    assert_eq!(syslog_keys, expected);
    // Again: nothing new, nothing sent.
    run();
    assert_eq!(*requests.lock().unwrap(), expected.len() + 1);
    assert_eq!(
        std::fs::read_to_string(&alerts).unwrap().lines().count(),
        lines.len()
    );
}

#[test]
fn a_dead_webhook_never_stalls_and_is_delivered_later() {
    let demo = scenario();
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let store = dir.path().join("store");
    let status = dir.path().join("status.json");
    let args = |url: &str| -> Vec<String> {
        vec![
            "watch".into(),
            "--store".into(),
            store.display().to_string(),
            "--samba-audit".into(),
            demo.join("samba/fs01").display().to_string(),
            "--zeek-dir".into(),
            demo.join("zeek").display().to_string(),
            "--log-tz".into(),
            "Asia/Tokyo".into(),
            "--webhook".into(),
            url.into(),
            "--status".into(),
            status.display().to_string(),
            "--once".into(),
        ]
    };
    let started = Instant::now();
    let a = args(&format!("http://{dead}/hook"));
    let out = common::breachscope(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success());
    // The grace period at exit is 5 s: the run does not wait on the endpoint beyond it.
    assert!(started.elapsed() < Duration::from_secs(60));
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&status).unwrap()).unwrap();
    let undelivered = s["undelivered"].as_u64().unwrap();
    assert!(undelivered >= 1, "{s}");
    // The endpoint is back: the next start delivers what was left, once.
    let (url, bodies, _) = http_server(Vec::new());
    let a = args(&url);
    let out = common::breachscope(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success());
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&status).unwrap()).unwrap();
    assert_eq!(s["undelivered"], 0, "{s}");
    assert_eq!(bodies.lock().unwrap().len() as u64, undelivered);
}

#[test]
fn latency_at_the_default_settings() {
    // A caught-up watch at its defaults (a cycle every 2 s); one audit line reaches an
    // administrative share for the first time. Its alert must be in the alerts file within
    // 60 s. (A source that delivered events and then fell silent holds event time back for at
    // most the idle timeout, 30 s: the worst case stays within 60 s too.)
    let demo = scenario();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.log");
    let mut days: Vec<PathBuf> = std::fs::read_dir(demo.join("samba/fs01"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    days.sort();
    let mut text = String::new();
    for d in &days {
        text.push_str(&std::fs::read_to_string(d).unwrap());
    }
    let last_line = text.lines().last().unwrap().to_owned();
    std::fs::write(&audit, &text).unwrap();
    let alerts = dir.path().join("alerts.jsonl");
    let store = dir.path().join("store");
    let watch = Watch::start(
        dir.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "--samba-audit",
            audit.to_str().unwrap(),
            "--zeek-dir",
            demo.join("zeek").to_str().unwrap(),
            "--log-tz",
            "Asia/Tokyo",
            "--alerts",
            alerts.to_str().unwrap(),
        ],
    );
    wait_cycles(&watch.status, 0, 1, Duration::from_secs(120));
    // A line a second after the last one: the same client and account reach C$ on the server.
    let stamp = last_line.split(' ').next().unwrap();
    let t = stamp.parse::<jiff::Timestamp>().unwrap() + jiff::SignedDuration::from_secs(1);
    let zone = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    let local = t
        .to_zoned(zone)
        .strftime("%Y-%m-%dT%H:%M:%S%.6f%:z")
        .to_string();
    let body = last_line.split_once(" smbd_audit: ").unwrap().1;
    let mut fields: Vec<&str> = body.split('|').collect();
    let (user, ip, host) = (fields[0], fields[1], fields[2]);
    fields.clear();
    let line = format!("{local} fs01 smbd_audit: {user}|{ip}|{host}|c$|connect|ok|c$\n");
    let before = Instant::now();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&audit)
        .unwrap()
        .write_all(line.as_bytes())
        .unwrap();
    let found = loop {
        let text = std::fs::read_to_string(&alerts).unwrap_or_default();
        if let Some(l) = text.lines().find(|l| l.contains("admin_share_access")) {
            break l.to_owned();
        }
        assert!(
            before.elapsed() < Duration::from_secs(90),
            "no alert: {}",
            watch.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let latency = before.elapsed();
    eprintln!("latency from the line written to its alert: {latency:?}: {found}");
    assert!(latency <= Duration::from_secs(60), "{latency:?}");
    watch.stop();
}

/// The status file's network sources by kind (`netflow`, `syslog`: the first word of the name).
fn by_kind(status: &Value) -> BTreeMap<String, Value> {
    status["sources"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.split(' ').next()?.to_owned(), v.clone())))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn netflow_and_syslog_over_the_network_reach_the_lake() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let exports = data.join("netflow");
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let collector_port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let syslog_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let watch = Watch::start(
        dir.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "--netflow-listen",
            &collector_port.to_string(),
            "--syslog-listen",
            &format!("tcp://{syslog_port}"),
            "--log-tz",
            "UTC",
            "--interval",
            "0.2",
        ],
    );
    wait_cycles(&watch.status, 0, 1, Duration::from_secs(60));
    // The captured softflowd exports (their README names nfdump's decode), sent as datagrams.
    let mut sent = 0;
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut pcaps: Vec<PathBuf> = std::fs::read_dir(&exports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    pcaps.sort();
    let pcap = pcaps.first().expect("a NetFlow export capture");
    let bytes = std::fs::read(pcap).unwrap();
    for d in breachscope_ingest::pcap::udp_datagrams(&bytes).unwrap().0 {
        sender.send_to(d.payload, collector_port).unwrap();
        sent += 1;
    }
    // Garbage: counted, never fatal.
    sender.send_to(b"not an export", collector_port).unwrap();
    // Samba audit over syslog TCP (octet-counted and newline framing), and one bad line.
    let mut tcp = std::net::TcpStream::connect(syslog_port).unwrap();
    let m1 = "<166>2025-06-23T17:02:24.653645+09:00 fs01 smbd_audit: s.takahashi|10.1.1.10|ws-001|finance|connect|ok|finance";
    let m2 = "<166>2025-06-23T17:02:25.000000+09:00 fs01 smbd_audit: s.takahashi|10.1.1.10|ws-001|finance|create_file|ok|0x120089|file|open|/srv/shares/finance/a.csv";
    let bad = "<166>2025-06-23T17:02:26.000000+09:00 fs01 smbd_audit: s.takahashi|10.1.1.10|ws-001|finance|create_file|ok|zz|file|open|/srv/shares/finance/a.csv";
    write!(tcp, "{} {m1}{m2}\n{bad}\n", m1.len()).unwrap();
    drop(tcp);
    let start = Instant::now();
    let counts = loop {
        let s: Value = serde_json::from_str(
            &std::fs::read_to_string(&watch.status).unwrap_or_else(|_| "{}".into()),
        )
        .unwrap_or_default();
        let by = by_kind(&s);
        let done = by
            .get("netflow")
            .is_some_and(|c| c["rejected"].as_u64() >= Some(1))
            && by
                .get("syslog")
                .is_some_and(|c| c["events"].as_u64() >= Some(2));
        if done {
            break by;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "status: {s}\n{}",
            watch.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(sent > 0);
    // The year RFC 3164 messages would take is said (the logs' zone is UTC here).
    let year = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .year();
    // The watch started a moment ago: at a New Year it may have said the year before.
    let years = [year - 1, year];
    assert!(
        years.iter().any(|y| watch
            .stderr()
            .contains(&format!("(RFC 3164) take the year they arrive in, {y} "))),
        "{}",
        watch.stderr()
    );
    assert_eq!(counts["syslog"]["rejected"], 1, "{counts:?}");
    assert!(
        counts["syslog"]["rejections"][0]
            .as_str()
            .unwrap()
            .contains("message 3"),
        "{counts:?}"
    );
    watch.stop();
    // Every flow the pairer made is in the lake (its pairs, and at the stop the one-way
    // flows), with the two audit events.
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("status.json")).unwrap())
            .unwrap();
    let counts = by_kind(&s);
    let s = Store::open_read_only(&store).unwrap();
    let flows: usize = s
        .read_class(Class::NetworkActivity, None)
        .unwrap()
        .iter()
        .map(Vec::len)
        .sum();
    let files: usize = s
        .read_class(Class::FileSystemActivity, None)
        .unwrap()
        .iter()
        .map(Vec::len)
        .sum();
    assert_eq!(files, 2);
    let c = &counts["netflow"]["collector"];
    assert!(flows > 0);
    assert_eq!(
        flows as u64,
        c["paired"].as_u64().unwrap() + c["one_way"].as_u64().unwrap()
    );
}

/// The events of a lake, counted.
fn lake_events(store: &Path) -> u64 {
    let s = Store::open_read_only(store).unwrap();
    Class::ALL
        .iter()
        .map(|c| {
            s.read_class(*c, None)
                .unwrap()
                .iter()
                .map(|d| d.len() as u64)
                .sum::<u64>()
        })
        .sum()
}

#[test]
fn evtx_directory_new_and_grown_files() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let samples: Vec<PathBuf> = common::evtx_files(&data.join("evtx"))
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    let records = |p: &Path| common::records_of(p);
    let mut with_records: Vec<(u64, PathBuf)> = samples
        .iter()
        .map(|p| (records(p), p.clone()))
        .filter(|(n, _)| *n > 0)
        .collect();
    with_records.sort();
    let (first_n, first) = with_records.first().cloned().unwrap();
    let (big_n, big) = with_records.last().cloned().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("forwarded");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::copy(&first, logs.join("a.evtx")).unwrap();
    // The big log's first chunk only: it grows to the whole file while watched.
    let first_chunk = 4096 + 65_536;
    let whole = std::fs::read(&big).unwrap();
    assert!(whole.len() > 2 * first_chunk);
    let growing = logs.join("Security.evtx");
    std::fs::write(&growing, &whole[..first_chunk]).unwrap();
    let partial = records(&growing);
    let store = dir.path().join("store");
    let watch = Watch::start(
        dir.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "--evtx-dir",
            logs.to_str().unwrap(),
            "--interval",
            "0.1",
            "--log-tz",
            "UTC",
        ],
    );
    wait_cycles(&watch.status, 0, 1, Duration::from_secs(60));
    std::fs::write(&growing, &whole).unwrap();
    let c = status_cycle(&watch.status);
    wait_cycles(&watch.status, c, 2, Duration::from_secs(60));
    std::fs::copy(&first, logs.join("b.evtx")).unwrap();
    let c = status_cycle(&watch.status);
    wait_cycles(&watch.status, c, 2, Duration::from_secs(60));
    watch.stop();
    assert!(partial < big_n);
    // a.evtx once (b.evtx is the same log: known by its content), the grown log whole.
    assert_eq!(lake_events(&store), first_n + big_n);
}

/// The address a watch's listener bound, from its stderr (`listening: netflow udp://…`).
fn bound(watch: &Watch, kind: &str) -> String {
    let start = Instant::now();
    loop {
        if let Some(addr) = watch
            .stderr()
            .lines()
            .find_map(|l| l.strip_prefix(&format!("breachscope: listening: {kind} ")))
        {
            return addr.split("://").nth(1).unwrap().to_owned();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{}",
            watch.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A real exporter into a running watch: Debian's softflowd reads a Zeek test trace and exports
/// its flows to `watch --netflow-listen` as NetFlow v9 (each connection's two directions as two
/// records, paired by the watch) and as bidirectional IPFIX (RFC 5103); the lake holds Zeek's 34
/// connections of that trace (its baseline conn.log) and the trace's 22,896 IP bytes.
#[test]
fn softflowd_exports_into_a_running_watch() {
    let Some(data) = common::shared_data() else {
        return;
    };
    if Command::new("softflowd").arg("-h").output().is_err() {
        eprintln!(
            "SKIPPED: softflowd is not installed (scripts/test.sh installs Debian's as root)"
        );
        return;
    }
    let pcap = data.join("net/zeek/wikipedia/wikipedia.pcap");
    for version in [&["-v", "9"][..], &["-v", "10", "-b"][..]] {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let watch = Watch::start(
            dir.path(),
            &[
                "--store",
                store.to_str().unwrap(),
                "--netflow-listen",
                "127.0.0.1:0",
                "--interval",
                "0.2",
            ],
        );
        let to = bound(&watch, "netflow");
        let ctl = dir.path().join("ctl");
        let mut child = Command::new("softflowd")
            .args(["-r", pcap.to_str().unwrap(), "-n", &to, "-d", "-a"])
            .args(["-c", ctl.to_str().unwrap()])
            .args(["-p", dir.path().join("pid").to_str().unwrap()])
            .args(version)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // softflowd 1.1.0 in -r mode can wait on its control socket after the file: a
        // `softflowctl statistics` lets it go (the reference vectors' README).
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            let _ = Command::new("softflowctl")
                .args(["-c", ctl.to_str().unwrap(), "statistics"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            assert!(start.elapsed() < Duration::from_secs(60), "softflowd hangs");
            std::thread::sleep(Duration::from_millis(100));
        }
        let c = status_cycle(&watch.status);
        wait_cycles(&watch.status, c, 3, Duration::from_secs(30));
        watch.stop();
        let s = Store::open_read_only(&store).unwrap();
        let flows: Vec<breachscope_model::Event> = s
            .read_class(Class::NetworkActivity, None)
            .unwrap()
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(flows.len(), 34, "softflowd {version:?}");
        let bytes: u64 = flows
            .iter()
            .map(|e| match e {
                breachscope_model::Event::Flow(f) => {
                    f.bytes_out.unwrap_or(0) + f.bytes_in.unwrap_or(0)
                }
                _ => 0,
            })
            .sum();
        assert_eq!(bytes, 22_896, "softflowd {version:?}");
    }
}

/// Flow events of a lake: (start µs, source, destination, bytes out) of each, sorted.
fn lake_flows(store: &Path) -> Vec<(i64, String, String, Option<u64>)> {
    let s = Store::open_read_only(store).unwrap();
    let mut flows: Vec<_> = s
        .read_class(Class::NetworkActivity, None)
        .unwrap()
        .into_iter()
        .flatten()
        .filter_map(|e| match e {
            breachscope_model::Event::Flow(f) => Some((
                f.start,
                format!("{}:{}", f.src_ip, f.src_port),
                format!("{}:{}", f.dst_ip, f.dst_port),
                f.bytes_out,
            )),
            _ => None,
        })
        .collect();
    flows.sort();
    flows
}

/// `watch --network DIR`: a FortiGate log that grows while watched (each session once), an
/// nfdump file that appears (read once it is quiet, its 34 connections paired), and a note that
/// is not evidence (left) — the lake holds exactly those flows.
#[test]
fn network_directory_firewall_log_and_nfdump_file() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net");
    std::fs::create_dir_all(&net).unwrap();
    std::fs::write(
        net.join("README.txt"),
        "exports of the perimeter firewall\n",
    )
    .unwrap();
    // FortiOS 7.x traffic log lines (log id 0000000013), as the GUI's download gives them.
    let line = |n: u64| {
        format!(
            "date=2025-06-02 time=10:{:02}:00 eventtime={} tz=\"+0900\" logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"notice\" vd=\"root\" srcip=10.1.1.{n} srcport={} srcintf=\"internal\" dstip=203.0.113.{n} dstport=443 dstintf=\"wan1\" sessionid={n} proto=6 action=\"close\" policyid=1 service=\"HTTPS\" duration=3 sentbyte={} rcvdbyte=900 sentpkt=4 rcvdpkt=3",
            n,
            1_748_826_000_000_000_000u64 + n * 60_000_000_000,
            40_000 + n,
            1000 + n
        )
    };
    let log = net.join("fortigate-2025-06-02.log");
    let first: String = (1..=3).map(|n| line(n) + "\n").collect();
    std::fs::write(&log, first).unwrap();
    let store = dir.path().join("store");
    let watch = Watch::start(
        dir.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "--network",
            net.to_str().unwrap(),
            "--interval",
            "0.1",
            "--log-tz",
            "Asia/Tokyo",
        ],
    );
    wait_cycles(&watch.status, 0, 1, Duration::from_secs(60));
    let mut more = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    more.write_all(
        (4..=5)
            .map(|n| line(n) + "\n")
            .collect::<String>()
            .as_bytes(),
    )
    .unwrap();
    drop(more);
    // An nfdump file whose writer is done: older than the quiet time.
    let nfcapd = net.join("nfcapd.202506021000");
    std::fs::copy(data.join("netflow/wikipedia_v9.nfcapd"), &nfcapd).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&nfcapd)
        .unwrap()
        .set_times(
            std::fs::FileTimes::new().set_modified(SystemTime::now() - Duration::from_secs(60)),
        )
        .unwrap();
    let c = status_cycle(&watch.status);
    wait_cycles(&watch.status, c, 3, Duration::from_secs(60));
    let stderr = watch.stop();
    let flows = lake_flows(&store);
    let firewall: Vec<_> = flows
        .iter()
        .filter(|(_, src, _, _)| src.starts_with("10.1.1."))
        .collect();
    assert_eq!(
        firewall.len(),
        5,
        "each session once: {firewall:?}\n{stderr}"
    );
    assert!(firewall.iter().all(|(_, src, _, out)| *out
        == Some(1000 + src[7..src.find(':').unwrap()].parse::<u64>().unwrap())));
    // The first session ended at 10:01:00 +09:00 after 3 s.
    assert_eq!(firewall[0].0, 1_748_826_060_000_000 - 3_000_000);
    assert_eq!(flows.len() - firewall.len(), 34, "{stderr}");
}
