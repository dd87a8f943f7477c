//! A live replay of a generated scenario: its evidence written day by day as a Zeek sensor
//! and a Samba server would write it — a zeekctl spool (`current/conn.log`, `dns.log`) rotated
//! into a gzip archive at the end of every day, and a Samba audit log rotated weekly, by rename
//! and by copytruncate in turn. Used by the watch tests and `scripts/bench-watch.sh` (through
//! the `watch_replay` example).

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One day of evidence: data lines of each log.
#[derive(Debug, Default, Clone)]
pub struct Day {
    /// The archive's day directory name (local date).
    pub label: String,
    /// conn.log data lines.
    pub conn: Vec<String>,
    /// dns.log data lines.
    pub dns: Vec<String>,
    /// Samba audit lines.
    pub audit: Vec<String>,
    /// The latest record time of the day, µs (Zeek `ts + duration`, audit stamps are earlier
    /// than the day's end).
    pub max_time_us: i64,
}

/// The header lines of a Zeek log kind (from the scenario's first file of that kind).
#[derive(Debug, Default, Clone)]
pub struct Headers {
    conn: Vec<String>,
    dns: Vec<String>,
}

fn gunzip_lines(path: &Path) -> Vec<String> {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(str::to_owned).collect()
}

/// The scenario's days, and the Zeek headers.
pub fn load_days(demo: &Path) -> (Vec<Day>, Headers) {
    let mut labels: Vec<String> = std::fs::read_dir(demo.join("zeek"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    labels.sort();
    let mut headers = Headers::default();
    let mut days = Vec::new();
    for label in labels {
        let dir = demo.join("zeek").join(&label);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let mut day = Day {
            label: label.clone(),
            ..Day::default()
        };
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let lines = gunzip_lines(&f);
            let (header, data): (Vec<String>, Vec<String>) =
                lines.into_iter().partition(|l| l.starts_with('#'));
            let conn = name.starts_with("conn.");
            let kept: Vec<String> = header
                .into_iter()
                .filter(|h| !h.starts_with("#open") && !h.starts_with("#close"))
                .collect();
            for l in &data {
                let cols: Vec<&str> = l.split('\t').collect();
                let ts: f64 = cols[0].parse().unwrap_or(0.0);
                let dur: f64 = if conn {
                    cols.get(8).and_then(|d| d.parse().ok()).unwrap_or(0.0)
                } else {
                    0.0
                };
                day.max_time_us = day.max_time_us.max(((ts + dur) * 1e6) as i64);
            }
            if conn {
                if headers.conn.is_empty() {
                    headers.conn = kept;
                }
                day.conn.extend(data);
            } else if name.starts_with("dns.") {
                if headers.dns.is_empty() {
                    headers.dns = kept;
                }
                day.dns.extend(data);
            }
        }
        let audit = demo.join("samba/fs01").join(format!("{label}.log"));
        if let Ok(f) = std::fs::File::open(&audit) {
            day.audit = BufReader::new(f).lines().map(Result::unwrap).collect();
        }
        days.push(day);
    }
    (days, headers)
}

/// The directories a replay writes, as a sensor and a file server would.
#[derive(Debug)]
pub struct Live {
    /// zeekctl's spool: `current/` and `archive/`.
    pub zeek: PathBuf,
    /// The Samba audit log (`audit.log`, rotated to `audit.log-<day>`).
    pub audit: PathBuf,
    headers: Headers,
    rotations: usize,
}

fn append(path: &Path, header: Option<(&[String], &str)>, lines: &[String]) {
    let new = !path.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let mut text = String::new();
    if new && let Some((header, open)) = header {
        for h in header {
            text.push_str(h);
            text.push('\n');
            if h.starts_with("#path") {
                text.push_str(&format!("#open\t{open}\n"));
            }
        }
    }
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    f.write_all(text.as_bytes()).unwrap();
}

/// Writes `to` through a hidden temporary name, so that a reader never sees it half-written.
fn write_atomically(to: &Path, bytes: &[u8]) {
    let tmp = to.with_file_name(format!(
        ".{}.tmp",
        to.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, to).unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

impl Live {
    /// The spool and the audit log's directory under `root`.
    pub fn new(root: &Path, headers: Headers) -> Self {
        let zeek = root.join("spool");
        std::fs::create_dir_all(zeek.join("current")).unwrap();
        std::fs::create_dir_all(zeek.join("archive")).unwrap();
        std::fs::create_dir_all(root.join("samba")).unwrap();
        Live {
            zeek,
            audit: root.join("samba/audit.log"),
            headers,
            rotations: 0,
        }
    }

    /// Writes one day: the first half of its lines appended to the spool's logs and the audit
    /// log, `between()` called (a reader sees growing files), the second half appended; then the
    /// spool rotated into the archive (renamed, then compressed, as zeekctl does), and every
    /// seventh day the audit log rotated.
    pub fn write_day(&mut self, day: &Day, index: usize, between: &mut dyn FnMut()) {
        let current = self.zeek.join("current");
        let open = format!("{}-00-00-00", day.label);
        let halves = |lines: &[String]| -> (Vec<String>, Vec<String>) {
            let (a, b) = lines.split_at(lines.len() / 2);
            (a.to_vec(), b.to_vec())
        };
        let (conn, dns, audit) = (halves(&day.conn), halves(&day.dns), halves(&day.audit));
        for (c, d, a) in [(&conn.0, &dns.0, &audit.0), (&conn.1, &dns.1, &audit.1)] {
            append(
                &current.join("conn.log"),
                Some((&self.headers.conn, &open)),
                c,
            );
            append(
                &current.join("dns.log"),
                Some((&self.headers.dns, &open)),
                d,
            );
            append(&self.audit, None, a);
            if std::ptr::eq(c, &conn.0) {
                between();
            }
        }
        self.rotate_zeek(&day.label);
        if index % 7 == 6 {
            self.rotate_audit(&day.label);
        }
    }

    fn rotate_zeek(&mut self, label: &str) {
        let archive = self.zeek.join("archive").join(label);
        std::fs::create_dir_all(&archive).unwrap();
        for kind in ["conn", "dns"] {
            let live = self.zeek.join("current").join(format!("{kind}.log"));
            if !live.exists() {
                continue;
            }
            append(&live, None, &[format!("#close\t{label}-23-59-59")]);
            let moved = archive.join(format!("{kind}.00:00:00-23:59:59.log"));
            std::fs::rename(&live, &moved).unwrap();
            let bytes = std::fs::read(&moved).unwrap();
            write_atomically(&moved.with_extension("log.gz"), &gzip(&bytes));
            std::fs::remove_file(&moved).unwrap();
        }
    }

    fn rotate_audit(&mut self, label: &str) {
        let rotated = self.audit.with_file_name(format!("audit.log-{label}"));
        if self.rotations.is_multiple_of(2) {
            std::fs::rename(&self.audit, &rotated).unwrap();
        } else {
            // copytruncate: the content copied away, the original emptied in place.
            let bytes = std::fs::read(&self.audit).unwrap();
            write_atomically(&rotated, &bytes);
            std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&self.audit)
                .unwrap();
        }
        self.rotations += 1;
    }
}

/// The cycle count in a watch's status file (0 before the first).
pub fn status_cycle(status: &Path) -> u64 {
    std::fs::read_to_string(status)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["cycle"].as_u64())
        .unwrap_or(0)
}

/// Waits until the status file shows `n` more cycles than `from` (a cycle that began after
/// what was written before the call); panics after `timeout`.
pub fn wait_cycles(status: &Path, from: u64, n: u64, timeout: Duration) -> u64 {
    let start = Instant::now();
    loop {
        let c = status_cycle(status);
        if c >= from + n {
            return c;
        }
        assert!(
            start.elapsed() < timeout,
            "watch made no progress in {timeout:?} (cycle {c}, waiting for {})",
            from + n
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
