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

/// Kills a child on the way out, pass or fail.
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// The whole chain live: Debian's smbd audits a share with `vfs_full_audit` into its log,
/// rsyslogd tails the log (imfile) and forwards it over TCP with octet counting to the
/// listener, while smbclient reads three files: every read arrives as a file-server event of
/// the share, with the file's share-relative path.
#[test]
fn smbd_reads_arrive_through_rsyslog_as_events() {
    for program in ["smbd", "smbclient", "rsyslogd"] {
        if !installed(program) {
            eprintln!(
                "SKIPPED: {program} is not installed (scripts/test.sh installs Debian's samba, smbclient and rsyslog as root)"
            );
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let files = [
        "hr/employees.csv",
        "finance/q4 forecast.xlsx",
        "public/読んで.txt",
    ];
    for f in files {
        let path = d.join("share").join(f);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("contents of {f}\n").repeat(100)).unwrap();
    }
    for sub in ["", "hr", "finance", "public"] {
        std::fs::set_permissions(
            d.join("share").join(sub),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    for state in ["private", "lock", "state", "cache", "pid", "ncalrpc"] {
        std::fs::create_dir_all(d.join(state)).unwrap();
    }
    let smb_port = free_port();
    let conf = d.join("smb.conf");
    std::fs::write(
        &conf,
        format!(
            "[global]
  server role = standalone server
  workgroup = TEST
  interfaces = 127.0.0.1
  bind interfaces only = yes
  smb ports = {smb_port}
  disable netbios = yes
  private dir = {d}/private
  lock directory = {d}/lock
  state directory = {d}/state
  cache directory = {d}/cache
  pid directory = {d}/pid
  ncalrpc dir = {d}/ncalrpc
  log file = {d}/smbd.log
  max log size = 0
  logging = file
  log level = 0 full_audit:1
  debug prefix timestamp = yes
  debug hires timestamp = yes
  debug pid = yes
  map to guest = Bad User
  guest account = nobody
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  server min protocol = SMB2_10
[records]
  path = {d}/share
  read only = yes
  guest ok = yes
  guest only = yes
  vfs objects = full_audit
  full_audit:prefix = %u|%I|%m|%S
  full_audit:success = connect disconnect openat create_file pread_send pread_recv close
  full_audit:failure = connect openat create_file
  full_audit:syslog = false
",
            d = d.display()
        ),
    )
    .unwrap();
    let (tx, rx) = channel::<Received>();
    let listener = SyslogListener::start("tcp://127.0.0.1:0".parse().unwrap(), tx).unwrap();
    std::fs::write(d.join("smbd.log"), "").unwrap();
    let rsyslog_conf = d.join("rsyslog.conf");
    std::fs::write(
        &rsyslog_conf,
        format!(
            r#"global(workDirectory="{d}")
module(load="imfile")
input(type="imfile" File="{d}/smbd.log" Tag="smbd" ruleset="forward")
ruleset(name="forward") {{
  action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}}
"#,
            d = d.display(),
            port = listener.local_addr().port()
        ),
    )
    .unwrap();
    let _rsyslogd = Reap(
        Command::new("rsyslogd")
            .args(["-n", "-f", rsyslog_conf.to_str().unwrap(), "-i"])
            .arg(d.join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let _smbd = Reap(
        Command::new("smbd")
            .args(["--foreground", "--no-process-group", "--configfile"])
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", smb_port)).is_err() {
        if started.elapsed() > Duration::from_secs(20) {
            eprintln!("SKIPPED: smbd did not start listening (not root?)");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = d.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let commands: Vec<String> = files
        .iter()
        .enumerate()
        .map(|(i, f)| format!("get \"{f}\" {}/{i}", out.display()))
        .collect();
    let client = Command::new("smbclient")
        .arg("//127.0.0.1/records")
        .args(["-p", &smb_port.to_string(), "-N", "-m", "SMB3", "-c"])
        .arg(commands.join("; "))
        .output()
        .unwrap();
    assert!(
        client.status.success(),
        "smbclient: {}",
        String::from_utf8_lossy(&client.stderr)
    );
    // Until every file's content read has arrived.
    let mut parser = SambaParser::new(SambaConfig {
        log_tz: jiff::tz::TimeZone::system(),
        share_roots: [("records".to_string(), format!("{}/share", d.display()))].into(),
        ..SambaConfig::default()
    });
    let mut reads: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = |reads: &BTreeMap<String, (u32, u32)>| {
        files.iter().all(|f| {
            reads
                .get(*f)
                .is_some_and(|(open, data)| *open > 0 && *data > 0)
        })
    };
    let mut n = 0;
    while !done(&reads) && Instant::now() < deadline {
        let Ok(r) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        n += 1;
        if let LineOutcome::Event(e) = parser.parse_line(&r.message, n)
            && let Event::FileAccess(a) = *e
        {
            assert_eq!(a.share, "records");
            assert_eq!(
                a.client_ip.map(|i| i.to_string()).as_deref(),
                Some("127.0.0.1")
            );
            let e = reads.entry(a.path.clone()).or_default();
            match a.action {
                breachscope_model::FileAction::Read => e.0 += 1,
                breachscope_model::FileAction::ReadData => e.1 += 1,
                _ => {}
            }
        }
    }
    assert!(done(&reads), "reads seen: {reads:?}");
    for (i, f) in files.iter().enumerate() {
        assert_eq!(
            std::fs::read(out.join(i.to_string())).unwrap(),
            std::fs::read(d.join("share").join(f)).unwrap()
        );
    }
}
