//! Continuous detection: evidence into the lake as it arrives, detection in event time, and
//! incidents pushed to people once.
//!
//! A watch starts by catching up — the file sources ingested as `ingest` would, then every
//! event of the lake replayed through the engine in observable-time order, which rebuilds the
//! detectors' state exactly as an uninterrupted run has it (the lake *is* the checkpoint: an
//! event is analysed only after it is committed with its input's position). Then, every
//! `interval`:
//!
//! 1. the file sources are ingested again, only what is new (store_ingest: appended lines,
//!    rotation by rename or copytruncate, compressed archives, grown EVTX files), and the
//!    network sources' events written as a batch; each batch is committed to the lake before
//!    its events go on;
//! 2. the events wait in [`order::Reorder`] until every active source's watermark has passed
//!    them, and go to the engine in observable-time order; the engine is told the watermark
//!    (days that ended are judged);
//! 3. the alerts so far are correlated into incidents, and [`notify::Notifier`] decides what
//!    was not said yet; the catalog records it with an outbox entry per sink, which the sinks
//!    deliver ([`sinks`]);
//! 4. every `compact_interval` the lake's small parts are merged.
//!
//! On a stop request (SIGTERM) the sources are read a last time, every held event analysed,
//! the notifications delivered, and the lake compacted. After `kill -9` the next start replays
//! the lake: nothing read twice or skipped, nothing said twice; what was held in memory only
//! (network records not yet written, records waiting for their reverse) is lost, as is what UDP
//! senders send while the process is down.

pub mod live;
pub mod notify;
pub mod order;
pub mod sinks;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use breachscope_detect::{DetectConfig, Engine, Severity, correlate};
use breachscope_ingest::Format;
use breachscope_ingest::samba::SambaConfig;
use breachscope_ingest::syslog_listen::ListenSpec;
use breachscope_model::Micros;
use breachscope_model::time::format_rfc3339;
use breachscope_store::{Class, OutboxEntry, Store};
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::lake_events::for_each_in_order;
use crate::store_ingest::{self, FileOutcome, Options, PipelineError, Readers, Sources, Status};
use live::{Listeners, SourceCounts};
use notify::{JSONL, Notifier, SYSLOG, WEBHOOK};
use order::Reorder;
use sinks::{Delivered, JsonlSink, SyslogSink, WebhookSink};

/// What to watch.
#[derive(Debug, Clone, Default)]
pub struct WatchSources {
    /// Zeek log directories (a zeekctl spool's `current/` and its archive): the `conn.*`, `dns.*`,
    /// `smb_files.*`, `smb_mapping.*` and `ntlm.*` files under them, new ones included.
    pub zeek_dirs: Vec<PathBuf>,
    /// Samba audit files, each with its rotated siblings (`FILE.1`, `FILE-20250601`,
    /// `FILE.1.gz`), or directories of them.
    pub samba: Vec<PathBuf>,
    /// Directories of `.evtx` files (exported or forwarded), new and grown files read.
    pub evtx_dirs: Vec<PathBuf>,
    /// Network evidence besides Zeek, files or directories, each file's format told by its
    /// content: firewall and proxy logs are read as they grow; a packet capture or nfdump file
    /// once it has not changed for [`QUIET`] (nfdump's `nfcapd.current.*` never: it is renamed
    /// when complete).
    pub network: Vec<PathBuf>,
    /// NetFlow v5/v9/IPFIX collectors.
    pub netflow: Vec<SocketAddr>,
    /// Syslog receivers for Samba `full_audit`.
    pub syslog: Vec<ListenSpec>,
}

/// Where notifications go.
#[derive(Debug, Clone, Default)]
pub struct SinkSettings {
    /// The alerts file (JSON lines, every alert and incident change).
    pub alerts: Option<PathBuf>,
    /// Webhook URL (incidents at or above the notify severity).
    pub webhook: Option<String>,
    /// Syslog RFC 5424 receiver over UDP (incidents at or above the notify severity).
    pub syslog_out: Option<SocketAddr>,
}

/// How to watch.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// How files are read and what the catalog records.
    pub ingest: Options,
    /// The syslog receivers' Samba settings.
    pub samba: SambaConfig,
    /// Detection settings.
    pub config: DetectConfig,
    /// The office zone.
    pub zone: TimeZone,
    /// Incidents at or above this are pushed (webhook, syslog).
    pub notify_severity: Severity,
    /// Time between cycles.
    pub interval: Duration,
    /// A source silent this long no longer holds event time back.
    pub idle_timeout: Duration,
    /// Time between compactions of the lake.
    pub compact_interval: Duration,
    /// The sinks.
    pub sinks: SinkSettings,
    /// A JSON status file rewritten after every cycle.
    pub status: Option<PathBuf>,
    /// Stop after the first cycle (a run from cron, a test).
    pub once: bool,
}

/// What a watch tells its user as it goes.
#[derive(Debug)]
pub enum WatchEvent<'a> {
    /// The listeners are bound (port 0 resolved).
    Listening(&'a [(String, SocketAddr)]),
    /// A file was read (new, appended, failed, with rejections).
    File(&'a FileOutcome),
    /// Catching up is done.
    CaughtUp {
        /// Events replayed from the lake.
        replayed: u64,
        /// Its time.
        seconds: f64,
    },
    /// A notification was written or pushed (the line).
    Notified(&'a str),
    /// A cycle ended.
    Cycle(&'a WatchStatus),
    /// Something went wrong that does not stop the watch (a sink, a source).
    Problem(String),
}

/// One cycle's state, as the status file records it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WatchStatus {
    /// Cycles run.
    pub cycle: u64,
    /// Wall clock at the end of the cycle.
    pub at: String,
    /// Events written to the lake since the start (after catching up).
    pub events_ingested: u64,
    /// Events analysed since the start (replay included).
    pub events_analysed: u64,
    /// Events waiting for the watermark.
    pub events_held: usize,
    /// Event time up to which events were analysed.
    pub watermark: Option<String>,
    /// Sources that have been silent longer than the idle timeout (not holding time back).
    pub idle_sources: Vec<String>,
    /// The idle timeout, seconds.
    pub idle_timeout_seconds: f64,
    /// Alerts so far.
    pub alerts: usize,
    /// Incidents so far.
    pub incidents: usize,
    /// Notifications written or pushed, per sink, since the start.
    pub notifications: Vec<(String, u64)>,
    /// Incidents pushed since the start.
    pub pushed: u64,
    /// Records rejected in the files read since the start.
    pub rejected_file_records: u64,
    /// The network sources' counts, by source.
    pub sources: std::collections::BTreeMap<String, SourceCounts>,
    /// Notifications waiting for a sink (a webhook that does not answer).
    pub undelivered: u64,
}

/// The sinks, opened.
struct Sinks {
    jsonl: Option<JsonlSink>,
    webhook: Option<WebhookSink>,
    syslog: Option<SyslogSink>,
    delivered: Vec<(String, u64)>,
}

impl Sinks {
    fn open(settings: &SinkSettings) -> Result<Self, PipelineError> {
        let jsonl = match &settings.alerts {
            Some(p) => Some(JsonlSink::open(p).map_err(|e| {
                PipelineError::Input(format!("cannot open the alerts file {}: {e}", p.display()))
            })?),
            None => None,
        };
        let syslog = match settings.syslog_out {
            Some(a) => Some(SyslogSink::new(a).map_err(|e| {
                PipelineError::Input(format!("cannot open a socket for syslog to {a}: {e}"))
            })?),
            None => None,
        };
        Ok(Sinks {
            jsonl,
            webhook: settings.webhook.as_deref().map(WebhookSink::start),
            syslog,
            delivered: Vec::new(),
        })
    }

    fn remote(&self) -> Vec<&'static str> {
        let mut r = Vec::new();
        if self.webhook.is_some() {
            r.push(WEBHOOK);
        }
        if self.syslog.is_some() {
            r.push(SYSLOG);
        }
        r
    }

    fn count(&mut self, sink: &str, n: usize) {
        match self.delivered.iter_mut().find(|(s, _)| s == sink) {
            Some((_, c)) => *c += n as u64,
            None => self.delivered.push((sink.to_owned(), n as u64)),
        }
    }

    /// Delivers entries (the alerts file and syslog at once; the webhook queued) and returns
    /// what is done, for the catalog.
    fn deliver(
        &mut self,
        entries: &[OutboxEntry],
        say: &mut dyn FnMut(WatchEvent<'_>),
    ) -> Vec<Delivered> {
        let of = |sink: &str| -> Vec<OutboxEntry> {
            entries.iter().filter(|e| e.sink == sink).cloned().collect()
        };
        let mut done = Vec::new();
        if let Some(j) = &mut self.jsonl {
            let mine = of(JSONL);
            match j.deliver(&mine) {
                Ok(d) => done.extend(d),
                Err(e) => say(WatchEvent::Problem(format!(
                    "cannot write {}: {e} (kept for the next cycle)",
                    j.path().display()
                ))),
            }
            self.count(JSONL, mine.len());
        }
        if let Some(s) = &self.syslog {
            let mine = of(SYSLOG);
            let d = s.deliver(&mine);
            self.count(SYSLOG, d.len());
            done.extend(d);
        }
        if let Some(w) = &self.webhook {
            w.send(&of(WEBHOOK));
        }
        done
    }

    fn webhook_finished(&mut self) -> Vec<Delivered> {
        let d = self
            .webhook
            .as_ref()
            .map(WebhookSink::finished)
            .unwrap_or_default();
        self.count(WEBHOOK, d.len());
        d
    }
}

/// How long a packet capture or nfdump file must stay unchanged before `watch` reads it: such
/// files are read whole, so one still being written would be read again with its new packets.
pub const QUIET: Duration = Duration::from_secs(10);

/// The network evidence files under `paths` with their formats (told once per path and kept
/// in `formats`), captures and nfdump files only once quiet.
fn network_files(
    paths: &[PathBuf],
    formats: &mut BTreeMap<PathBuf, Option<Format>>,
    say: &mut dyn FnMut(WatchEvent<'_>),
) -> Vec<(PathBuf, Format)> {
    let mut out = Vec::new();
    for path in paths {
        let mut found = Vec::new();
        if path.is_dir() {
            walk(path, &mut found, say);
            found.sort();
        } else if path.is_file() {
            found.push(path.clone());
        }
        for file in found {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.starts_with("nfcapd.current") {
                continue;
            }
            let format = match formats.get(&file) {
                Some(f) => *f,
                None => match breachscope_ingest::sniff_path(&file) {
                    // An empty file may be a log about to be written: told later.
                    Ok(breachscope_ingest::Kind::Empty) | Err(_) => continue,
                    Ok(kind) => {
                        let f = match kind {
                            breachscope_ingest::Kind::Known(f) if f.is_network() => Some(f),
                            _ => None,
                        };
                        formats.insert(file.clone(), f);
                        f
                    }
                },
            };
            let Some(format) = format else { continue };
            if matches!(format, Format::Pcap | Format::Nfcapd) {
                let quiet = std::fs::metadata(&file)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|m| m.elapsed().ok())
                    .is_some_and(|age| age >= QUIET);
                if !quiet {
                    continue;
                }
            }
            out.push((file, format));
        }
    }
    out
}

/// The file sources as files, listed again each cycle (new files appear).
fn list_files(
    sources: &WatchSources,
    formats: &mut BTreeMap<PathBuf, Option<Format>>,
    say: &mut dyn FnMut(WatchEvent<'_>),
) -> Sources {
    let mut out = Sources {
        network: network_files(&sources.network, formats, say),
        ..Sources::default()
    };
    for dir in &sources.zeek_dirs {
        let mut found = Vec::new();
        walk(dir, &mut found, say);
        found.retain(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(breachscope_ingest::zeek::is_read_log_name)
        });
        found.sort();
        breachscope_ingest::zeek::read_order(&mut found);
        out.zeek.extend(found);
    }
    for path in &sources.samba {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found, say);
            found.sort();
            out.samba.extend(found);
            continue;
        }
        // Its rotated siblings, oldest first (by modification time), then the live file: a
        // rotated file's past comes before what continues it.
        let mut rotated = Vec::new();
        if let (Some(parent), Some(name)) =
            (path.parent(), path.file_name().and_then(|n| n.to_str()))
        {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            let (dot, dash) = (format!("{name}."), format!("{name}-"));
            if let Ok(entries) = std::fs::read_dir(parent) {
                for e in entries.flatten() {
                    let other = e.file_name().to_string_lossy().into_owned();
                    if other.starts_with(&dot) || other.starts_with(&dash) {
                        rotated.push(e.path());
                    }
                }
            }
        }
        rotated.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        rotated.push(path.clone());
        out.samba
            .extend(rotated.into_iter().filter(|p| p.is_file()));
    }
    for dir in &sources.evtx_dirs {
        let mut found = Vec::new();
        walk(dir, &mut found, say);
        found.retain(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
        });
        found.sort();
        out.evtx.extend(found);
    }
    out
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, say: &mut dyn FnMut(WatchEvent<'_>)) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            say(WatchEvent::Problem(format!(
                "cannot list {}: {e}",
                dir.display()
            )));
            return;
        }
    };
    for e in entries.flatten() {
        let path = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&path, found, say),
            Ok(t) if t.is_file() => found.push(path),
            _ => {}
        }
    }
}

/// The reorder source of file evidence: its OCSF class (flows and DNS queries of a Zeek
/// sensor, file access of a file server, logons of Windows hosts each advance on their own).
fn file_source(class_uid: i32) -> String {
    format!("files class {class_uid}")
}

/// What a watch did, at its end.
#[derive(Debug, Default)]
pub struct WatchSummary {
    /// The last status.
    pub status: WatchStatus,
}

/// Runs a watch until `stop` is set (or after one cycle with `once`).
pub fn watch(
    store: &mut Store,
    sources: &WatchSources,
    options: &WatchOptions,
    stop: &AtomicBool,
    say: &mut dyn FnMut(WatchEvent<'_>),
) -> Result<WatchSummary, PipelineError> {
    let mut sinks = Sinks::open(&options.sinks)?;
    let mut listeners = Listeners::start(&sources.netflow, &sources.syslog, &options.samba)
        .map_err(|e| PipelineError::Input(format!("cannot listen: {e}")))?;
    if !listeners.is_empty() {
        say(WatchEvent::Listening(&listeners.bound));
    }
    // Notifications decided before a crash and not delivered yet.
    let mut pending: Vec<OutboxEntry> = Vec::new();
    for sink in [JSONL, WEBHOOK, SYSLOG] {
        pending.extend(store.catalog().undelivered(sink)?);
    }
    let done = sinks.deliver(&pending, say);
    store.catalog_mut()?.mark_delivered(&done)?;

    // Catching up: the files as they are, then the lake through the engine.
    let mut status = WatchStatus {
        idle_timeout_seconds: options.idle_timeout.as_secs_f64(),
        ..WatchStatus::default()
    };
    let mut catch_up = options.ingest.clone();
    catch_up.compact = true;
    // The readers live as long as the watch: what the Samba reader learns (share roots) holds
    // for the lines of the next cycles, and is committed with every batch for the next start.
    let mut readers = Readers::new(store, &catch_up)?;
    let summary = ingest_files(store, sources, &catch_up, &mut readers, say, &mut |_| {})?;
    status.rejected_file_records += summary.files.iter().map(|f| f.rejected).sum::<u64>();
    let mut engine = Engine::new(options.config.clone(), options.zone.clone())
        .map_err(|e| PipelineError::Config(e.to_string()))?;
    let started = Instant::now();
    let mut replayed = 0u64;
    for_each_in_order(store, |e| {
        engine.observe(e);
        replayed += 1;
    })?;
    status.events_analysed = replayed;
    say(WatchEvent::CaughtUp {
        replayed,
        seconds: started.elapsed().as_secs_f64(),
    });
    let mut notifier = Notifier::new(
        store.catalog().notified()?,
        options.notify_severity,
        sinks.jsonl.is_some(),
        sinks.remote(),
    );
    let mut reorder = Reorder::new(options.idle_timeout);
    let mut released_to: Option<Micros> = None;
    let mut last_compaction = Instant::now();
    let mut ingest_options = options.ingest.clone();
    ingest_options.compact = false;
    let mut first = true;
    loop {
        let stopping = stop.load(Ordering::SeqCst) || (options.once && !first);
        let cycle_start = Instant::now();
        if !first {
            // 1. New evidence, committed to the lake, then held for the watermark.
            let mut batch_events = Vec::new();
            let summary = ingest_files(
                store,
                sources,
                &ingest_options,
                &mut readers,
                say,
                &mut |events| batch_events.extend_from_slice(events),
            )?;
            status.rejected_file_records += summary.files.iter().map(|f| f.rejected).sum::<u64>();
            status.events_ingested += batch_events.len() as u64;
            let now = Instant::now();
            let mut by_class: std::collections::BTreeMap<i32, Vec<_>> = Default::default();
            for e in batch_events {
                by_class.entry(Class::of(&e).uid()).or_default().push(e);
            }
            for (class, events) in by_class {
                reorder.push(&file_source(class), events, None, now);
            }
            let deliveries = if stopping {
                listeners.stop()
            } else {
                listeners.drain()
            };
            // One batch for every listener's events, moved (not copied) into it and back out
            // to their sources.
            let mut network: Vec<breachscope_model::Event> = Vec::new();
            let mut spans = Vec::with_capacity(deliveries.len());
            for d in deliveries {
                spans.push((d.source, d.watermark, d.events.len()));
                network.extend(d.events);
            }
            if !network.is_empty() {
                store.write_batch(&network, &mut [], &options.ingest.settings)?;
                status.events_ingested += network.len() as u64;
            }
            let now = Instant::now();
            let mut rest = network.into_iter();
            for (source, watermark, n) in spans {
                reorder.push(&source, rest.by_ref().take(n), watermark, now);
            }
        }
        // 2. Detection up to the watermark (everything when stopping).
        let (events, upto) = reorder.release(Instant::now(), stopping);
        for e in &events {
            engine.observe(e);
        }
        status.events_analysed += events.len() as u64;
        if let Some(t) = upto
            && !stopping
        {
            engine.advance_to(t);
        }
        if upto.is_some() {
            released_to = upto.max(released_to);
        }
        // 3. What to say.
        let alerts = engine.alerts();
        let incidents = correlate(&alerts, engine.history());
        let now_text = format_rfc3339(jiff::Timestamp::now().as_microsecond());
        let round = notifier.round(&alerts, &incidents, &now_text);
        for line in &round.lines {
            say(WatchEvent::Notified(line));
        }
        status.pushed += round.pushed as u64;
        let mut outbox = round.outbox;
        if !round.notified.is_empty() || !outbox.is_empty() {
            store
                .catalog_mut()?
                .record_notifications(&round.notified, &mut outbox)?;
        }
        let mut done = sinks.deliver(&outbox, say);
        done.extend(sinks.webhook_finished());
        store.catalog_mut()?.mark_delivered(&done)?;
        // 4. Compaction.
        if stopping || last_compaction.elapsed() >= options.compact_interval {
            store.compact()?;
            last_compaction = Instant::now();
        }
        status.cycle += 1;
        status.at = now_text;
        status.events_held = reorder.held();
        status.watermark = released_to.map(format_rfc3339);
        status.idle_sources = reorder
            .idle_sources(Instant::now())
            .into_iter()
            .map(str::to_owned)
            .collect();
        status.alerts = alerts.len();
        status.incidents = incidents.len();
        status.notifications = sinks.delivered.clone();
        status.sources = listeners.counts().into_iter().collect();
        status.undelivered = store.catalog().undelivered_count()?;
        write_status(options.status.as_deref(), &status, say);
        say(WatchEvent::Cycle(&status));
        if stopping {
            break;
        }
        first = false;
        // Sleep out the interval, waking for a stop request.
        while cycle_start.elapsed() < options.interval && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50).min(options.interval));
        }
    }
    if let Some(w) = &mut sinks.webhook {
        let done = w.stop(Duration::from_secs(5));
        store.catalog_mut()?.mark_delivered(&done)?;
    }
    status.undelivered = store.catalog().undelivered_count()?;
    write_status(options.status.as_deref(), &status, say);
    Ok(WatchSummary { status })
}

/// Lists the file sources and ingests what is new in them, saying what happened to each file
/// that was not unchanged.
fn ingest_files(
    store: &mut Store,
    sources: &WatchSources,
    options: &Options,
    readers: &mut Readers,
    say: &mut dyn FnMut(WatchEvent<'_>),
    on_batch: &mut dyn FnMut(&[breachscope_model::Event]),
) -> Result<store_ingest::Summary, PipelineError> {
    let files = list_files(sources, &mut readers.formats, say);
    store_ingest::ingest_into(
        store,
        &files,
        options,
        readers,
        &mut |f| {
            if f.status != Status::Unchanged {
                say(WatchEvent::File(f));
            }
        },
        on_batch,
    )
}

/// Rewrites the status file (atomically: written beside it and renamed).
fn write_status(path: Option<&Path>, status: &WatchStatus, say: &mut dyn FnMut(WatchEvent<'_>)) {
    let Some(path) = path else { return };
    let tmp = path.with_extension("tmp");
    let written = serde_json::to_vec_pretty(status)
        .map_err(std::io::Error::other)
        .and_then(|b| std::fs::write(&tmp, b))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        say(WatchEvent::Problem(format!(
            "cannot write the status file {}: {e}",
            path.display()
        )));
    }
}
