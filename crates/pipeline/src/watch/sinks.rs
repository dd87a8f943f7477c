//! Where notifications go: the alerts file (JSON lines), a webhook (HTTP POST of the same
//! JSON), and syslog (RFC 5424 over UDP).
//!
//! Every notification is first an outbox entry in the catalog, committed with the state that
//! says it was decided; a sink marks it delivered once it has it. So a crash loses nothing (the
//! entry is sent on the next start) and repeats nothing that was marked. Between a delivery and
//! its mark a crash can repeat one notification; the alerts file is checked for it on start (its
//! lines carry their `notification` id), and the webhook's receivers can deduplicate on the same
//! id.
//!
//! The webhook runs on its own thread: a slow or dead endpoint is retried with exponential
//! backoff (1 s doubling to 5 min) while ingest and detection go on. A 4xx answer other than
//! 408 and 429 is final: the entry is marked with the status and not retried.

use std::collections::{HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use breachscope_store::OutboxEntry;
use serde_json::Value;

/// A delivery's outcome for the catalog: the entry and how it ended (`delivered`, `HTTP 400`).
pub type Delivered = (i64, String);

/// The alerts file, appended to.
#[derive(Debug)]
pub struct JsonlSink {
    path: PathBuf,
    file: File,
    /// Notification ids already in the file (read on open).
    present: HashSet<String>,
}

impl JsonlSink {
    /// Opens (creating) the alerts file for appending and notes the notifications it holds.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut present = HashSet::new();
        if let Ok(existing) = File::open(path) {
            for line in BufReader::new(existing).lines() {
                let line = line?;
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && let Some(id) = v.get("notification").and_then(Value::as_str)
                {
                    present.insert(id.to_owned());
                }
            }
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(JsonlSink {
            path: path.to_path_buf(),
            file,
            present,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the entries not in the file yet and makes them durable.
    pub fn deliver(&mut self, entries: &[OutboxEntry]) -> std::io::Result<Vec<Delivered>> {
        let mut done = Vec::with_capacity(entries.len());
        let mut text = String::new();
        for e in entries {
            if self.present.insert(e.notification.clone()) {
                text.push_str(&e.body);
                text.push('\n');
                done.push((e.id, "delivered".to_owned()));
            } else {
                done.push((e.id, "already in the file".to_owned()));
            }
        }
        if !text.is_empty() {
            self.file.write_all(text.as_bytes())?;
            self.file.sync_data()?;
        }
        Ok(done)
    }
}

/// Syslog RFC 5424 over UDP.
#[derive(Debug)]
pub struct SyslogSink {
    socket: UdpSocket,
    to: SocketAddr,
    hostname: String,
}

/// Escapes a structured-data parameter value (RFC 5424 §6.3.3).
fn sd_escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(']', "\\]")
}

/// The RFC 5424 severity of an incident severity.
fn syslog_severity(severity: &str) -> u8 {
    match severity {
        "critical" => 2,
        "high" => 3,
        "medium" => 4,
        _ => 5,
    }
}

/// Facility of the messages: 13, log audit.
const FACILITY: u8 = 13;

/// The Private Enterprise Number RFC 5612 reserves for documentation and examples: the
/// structured-data id `breachscope@32473` until the project has its own.
const PEN: u32 = 32473;

impl SyslogSink {
    /// A sender to `to` (`udp://HOST:PORT` parsed by the caller).
    pub fn new(to: SocketAddr) -> std::io::Result<Self> {
        let bind: SocketAddr = if to.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty() && h.is_ascii() && !h.contains(' '))
            .unwrap_or_else(|| "-".to_owned());
        Ok(SyslogSink {
            socket: UdpSocket::bind(bind)?,
            to,
            hostname,
        })
    }

    /// One message: `<PRI>1 TIMESTAMP HOST breachscope PID incident [SD] BOM JSON`.
    pub fn message(&self, body: &str) -> String {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("-").to_owned();
        let severity = field("severity");
        let pri = u32::from(FACILITY) * 8 + u32::from(syslog_severity(&severity));
        let timestamp = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.6fZ");
        let msgid = field("kind");
        format!(
            "<{pri}>1 {timestamp} {} breachscope {} {msgid} [breachscope@{PEN} key=\"{}\" severity=\"{}\" change=\"{}\" id=\"{}\"] \u{feff}{body}",
            self.hostname,
            std::process::id(),
            sd_escape(&field("key")),
            sd_escape(&severity),
            sd_escape(&field("change")),
            sd_escape(&field("id")),
        )
    }

    /// Sends the entries; those that could not be sent stay pending.
    pub fn deliver(&self, entries: &[OutboxEntry]) -> Vec<Delivered> {
        entries
            .iter()
            .filter(|e| {
                self.socket
                    .send_to(self.message(&e.body).as_bytes(), self.to)
                    .is_ok()
            })
            .map(|e| (e.id, "delivered".to_owned()))
            .collect()
    }
}

/// The webhook's delivery thread.
#[derive(Debug)]
pub struct WebhookSink {
    to_thread: Option<Sender<OutboxEntry>>,
    from_thread: Receiver<Delivered>,
    handle: Option<JoinHandle<()>>,
    /// The URL posted to.
    pub url: String,
}

/// First wait after a failure; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

impl WebhookSink {
    /// Starts the thread posting to `url`.
    pub fn start(url: &str) -> Self {
        let (to_thread, entries) = channel::<OutboxEntry>();
        let (results, from_thread) = channel::<Delivered>();
        let target = url.to_owned();
        let handle = std::thread::spawn(move || post_loop(&target, &entries, &results));
        WebhookSink {
            to_thread: Some(to_thread),
            from_thread,
            handle: Some(handle),
            url: url.to_owned(),
        }
    }

    /// Queues entries for delivery.
    pub fn send(&self, entries: &[OutboxEntry]) {
        if let Some(tx) = &self.to_thread {
            for e in entries {
                let _ = tx.send(e.clone());
            }
        }
    }

    /// The deliveries finished since the last call.
    pub fn finished(&self) -> Vec<Delivered> {
        self.from_thread.try_iter().collect()
    }

    /// Stops taking entries and waits up to `grace` for the queue to empty; what is left stays
    /// in the outbox for the next start. Returns the deliveries finished meanwhile.
    pub fn stop(&mut self, grace: Duration) -> Vec<Delivered> {
        self.to_thread = None;
        let deadline = Instant::now() + grace;
        let mut done = Vec::new();
        while let Some(h) = &self.handle {
            if h.is_finished() {
                if let Some(h) = self.handle.take() {
                    let _ = h.join();
                }
                break;
            }
            if Instant::now() >= deadline {
                // The thread is left to the process's exit.
                self.handle = None;
                break;
            }
            match self.from_thread.recv_timeout(Duration::from_millis(50)) {
                Ok(d) => done.push(d),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
            }
        }
        done.extend(self.from_thread.try_iter());
        done
    }
}

/// Whether an HTTP status is final (not worth retrying).
fn final_status(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
}

fn post_loop(url: &str, entries: &Receiver<OutboxEntry>, results: &Sender<Delivered>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut queue: VecDeque<OutboxEntry> = VecDeque::new();
    let mut backoff = FIRST_BACKOFF;
    let mut open = true;
    loop {
        if queue.is_empty() {
            if !open {
                return;
            }
            match entries.recv() {
                Ok(e) => queue.push_back(e),
                Err(_) => return,
            }
        }
        queue.extend(entries.try_iter());
        let Some(entry) = queue.front() else { continue };
        let outcome = agent
            .post(url)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", entry.notification.as_str())
            .send(entry.body.as_str());
        let finished = match outcome {
            Ok(r) if r.status().is_success() => Some("delivered".to_owned()),
            Ok(r) if final_status(r.status().as_u16()) => {
                Some(format!("HTTP {}", r.status().as_u16()))
            }
            Ok(_) | Err(_) => None,
        };
        match finished {
            Some(outcome) => {
                if let Some(e) = queue.pop_front() {
                    let _ = results.send((e.id, outcome));
                }
                backoff = FIRST_BACKOFF;
            }
            None => {
                // Wait, still taking new entries; a closed channel means shutting down, when
                // what is left stays in the outbox.
                let until = Instant::now() + backoff;
                while open {
                    let left = until.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    match entries.recv_timeout(left) {
                        Ok(e) => queue.push_back(e),
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => open = false,
                    }
                }
                if !open {
                    return;
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn entry(id: i64, notification: &str) -> OutboxEntry {
        OutboxEntry {
            id,
            sink: "jsonl".into(),
            notification: notification.into(),
            body: format!(
                "{{\"kind\":\"incident\",\"notification\":\"{notification}\",\"severity\":\"high\",\"key\":\"inc-1\",\"change\":\"new\",\"id\":\"INC-1\"}}"
            ),
        }
    }

    #[test]
    fn jsonl_never_writes_a_notification_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.jsonl");
        let mut sink = JsonlSink::open(&path).unwrap();
        sink.deliver(&[entry(1, "a:high"), entry(2, "b:high")])
            .unwrap();
        // A restart that delivers an entry again (crash before its mark): skipped.
        let mut again = JsonlSink::open(&path).unwrap();
        let done = again
            .deliver(&[entry(2, "b:high"), entry(3, "c:high")])
            .unwrap();
        assert_eq!(done[0].1, "already in the file");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn syslog_message_is_rfc5424() {
        let sink = SyslogSink::new("127.0.0.1:9".parse().unwrap()).unwrap();
        let m = sink.message(&entry(1, "a:high").body);
        // facility 13 × 8 + err (3) = 107
        assert!(m.starts_with("<107>1 "), "{m}");
        assert!(m.contains(" breachscope "), "{m}");
        assert!(
            m.contains(
                "[breachscope@32473 key=\"inc-1\" severity=\"high\" change=\"new\" id=\"INC-1\"]"
            ),
            "{m}"
        );
        assert_eq!(sd_escape("a\"b]c\\"), "a\\\"b\\]c\\\\");
    }

    #[test]
    fn final_statuses() {
        assert!(final_status(400) && final_status(404));
        assert!(!final_status(429) && !final_status(408) && !final_status(500));
    }
}
