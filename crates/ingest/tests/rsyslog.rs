//! A real sender for the syslog receiver: Debian's rsyslogd takes real Samba `full_audit` lines
//! (../shared/data/samba, captured from smbd through rsyslog) and forwards them to breachscope's
//! listeners three ways — TCP with octet counting in RFC 5424, TCP one per line in
//! RSYSLOG_ForwardFormat (RFC 3339), UDP in the traditional RFC 3164 form. Every line arrives
//! on every listener and reads as the same file-server event as the line in the file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use breachscope_ingest::samba::{SambaConfig, SambaParser};
use breachscope_ingest::syslog_listen::{Received, SyslogListener};
use breachscope_ingest::{LineOutcome, LineParser};
use breachscope_model::Event;

/// What a line says: time (µs, or seconds where the format keeps no more), account, share,
/// path, action, success.
type Said = (i64, String, String, String, String, bool);

fn events(lines: &[String], seconds_only: bool) -> Vec<Said> {
    let mut parser = SambaParser::new(SambaConfig {
        log_tz: jiff::tz::TimeZone::UTC,
        year: Some(2026),
        ..SambaConfig::default()
    });
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        if let LineOutcome::Event(e) = parser.parse_line(line, n as u64 + 1)
            && let Event::FileAccess(a) = *e
        {
            let time = if seconds_only {
                a.time.div_euclid(1_000_000)
            } else {
                a.time
            };
            out.push((
                time,
                a.account,
                a.share,
                a.path,
                a.action.name().to_owned(),
                a.outcome.is_success(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn rsyslog_forwards_real_audit_lines_to_every_listener() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/samba/full_audit.syslog-rfc3339.log");
    let Ok(text) = std::fs::read_to_string(&file) else {
        eprintln!(
            "SKIPPED: {} not found (real evidence lives beside the repository)",
            file.display()
        );
        return;
    };
    if Command::new("rsyslogd").arg("-v").output().is_err() {
        eprintln!("SKIPPED: rsyslogd is not installed (scripts/test.sh installs Debian's as root)");
        return;
    }
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let (tx, rx) = channel::<Received>();
    let counted = SyslogListener::start("tcp://127.0.0.1:0".parse().unwrap(), tx.clone()).unwrap();
    let by_line = SyslogListener::start("tcp://127.0.0.1:0".parse().unwrap(), tx.clone()).unwrap();
    let udp = SyslogListener::start("udp://127.0.0.1:0".parse().unwrap(), tx).unwrap();
    let input_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            r#"global(workDirectory="{dir}")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{input_port}" ruleset="forward")
ruleset(name="forward") {{
  action(type="omfwd" target="127.0.0.1" port="{a}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
  action(type="omfwd" target="127.0.0.1" port="{b}" protocol="tcp" template="RSYSLOG_ForwardFormat")
  action(type="omfwd" target="127.0.0.1" port="{c}" protocol="udp" template="RSYSLOG_TraditionalForwardFormat")
}}
"#,
            dir = dir.path().display(),
            a = counted.local_addr().port(),
            b = by_line.local_addr().port(),
            c = udp.local_addr().port(),
        ),
    )
    .unwrap();
    let mut rsyslogd = Command::new("rsyslogd")
        .args(["-n", "-f", conf.to_str().unwrap(), "-i"])
        .arg(dir.path().join("pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut input = loop {
        match TcpStream::connect(("127.0.0.1", input_port)) {
            Ok(s) => break s,
            Err(_) if started.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => {
                let _ = rsyslogd.kill();
                panic!("rsyslogd did not listen: {e}");
            }
        }
    };
    // local5.notice, as smbd logged them.
    for line in &lines {
        writeln!(input, "<173>{line}").unwrap();
    }
    drop(input);
    let mut received: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while received.values().map(Vec::len).sum::<usize>() < 3 * lines.len()
        && Instant::now() < deadline
    {
        if let Ok(r) = rx.recv_timeout(Duration::from_millis(200)) {
            let port = match r.protocol {
                breachscope_ingest::syslog_listen::Protocol::Udp => udp.local_addr().port(),
                breachscope_ingest::syslog_listen::Protocol::Tcp => {
                    if r.message.starts_with("<173>1 ") {
                        counted.local_addr().port()
                    } else {
                        by_line.local_addr().port()
                    }
                }
            };
            received.entry(port).or_default().push(r.message);
        }
    }
    let _ = rsyslogd.kill();
    let _ = rsyslogd.wait();
    let want = events(&lines, false);
    assert!(want.len() > 200, "{}", want.len());
    for (listener, seconds_only) in [(&counted, false), (&by_line, false), (&udp, true)] {
        let got = received
            .get(&listener.local_addr().port())
            .cloned()
            .unwrap_or_default();
        assert_eq!(got.len(), lines.len(), "{:?}", listener.protocol());
        let want = if seconds_only {
            events(&lines, true)
        } else {
            want.clone()
        };
        assert_eq!(
            events(&got, seconds_only),
            want,
            "{:?} {}",
            listener.protocol(),
            got[0]
        );
    }
    assert_eq!(
        counted
            .counts
            .framing_issues
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}
