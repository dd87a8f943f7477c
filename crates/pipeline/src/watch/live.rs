//! The network sources of `watch`: NetFlow v5/v9/IPFIX collectors and syslog receivers, each on
//! its own thread, handing events to the watch loop through one channel.
//!
//! A collector pairs the two directions of a connection into one flow
//! ([`breachscope_ingest::netflow::Pairer`]); a record whose reverse has not come within
//! [`PAIR_HOLD`] of event time is given up on as a one-way flow. A syslog receiver's messages
//! are parsed as Samba `full_audit` lines (the envelope RFC 3164, RFC 5424 or RFC 3339-stamped);
//! other programs' messages are skipped, and a message that should have been an audit record but
//! is not is counted with its sender and number.
//!
//! What is held in memory — records waiting for their reverse, datagrams received but not yet
//! in the lake — is lost with the process on `kill -9`, as is what UDP senders send while the
//! process is down; TCP senders (rsyslog) queue and resend.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use breachscope_ingest::netflow::udp::UdpCollector;
use breachscope_ingest::netflow::{CollectorStats, FlowRecord, Pairer};
use breachscope_ingest::samba::{SambaConfig, SambaParser};
use breachscope_ingest::syslog_listen::{ListenSpec, Protocol, Received, SyslogListener};
use breachscope_ingest::{LineOutcome, LineParser};
use breachscope_model::{Event, Micros};

/// How long (event time) a flow record waits for its reverse direction.
pub const PAIR_HOLD: Micros = 120_000_000;

/// Receive buffer asked for each collector's socket.
const RECEIVE_BUFFER: usize = 8 << 20;

/// Rejections kept per source (the rest are counted).
const KEPT: usize = 20;

/// What a network source delivered.
#[derive(Debug)]
pub struct Delivery {
    /// The source (`netflow udp://…`, `syslog tcp://…`).
    pub source: String,
    /// Events.
    pub events: Vec<Event>,
    /// The source's event-time watermark when it has one without events (a collector whose
    /// pairer gave up on records).
    pub watermark: Option<Micros>,
}

/// A source's counts, for the status file.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SourceCounts {
    /// Datagrams or messages received.
    pub received: u64,
    /// Events made.
    pub events: u64,
    /// Datagrams, sets or messages rejected.
    pub rejected: u64,
    /// The first rejections, with sender and reason.
    pub rejections: Vec<String>,
    /// NetFlow: flows paired from two records, and one-way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collector: Option<CollectorCounts>,
}

/// A collector's decoder counts.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CollectorCounts {
    /// Records decoded.
    pub records: u64,
    /// Records that waited for their template.
    pub waited_for_template: u64,
    /// Records dropped because their template never came.
    pub dropped_without_template: u64,
    /// Records timed by the export (not the exporter's clock).
    pub records_timed_by_export: u64,
    /// Templates learned.
    pub templates: u64,
    /// Flows from two records.
    pub paired: u64,
    /// Flows from one record.
    pub one_way: u64,
}

/// The listeners, started.
pub struct Listeners {
    stop: Arc<AtomicBool>,
    collectors: Vec<JoinHandle<()>>,
    syslog: Vec<(String, SyslogListener, SambaParser, u64)>,
    syslog_messages: Receiver<(usize, Received)>,
    deliveries: Receiver<Delivery>,
    counts: Arc<std::sync::Mutex<Vec<(String, SourceCounts)>>>,
    /// The addresses bound, by source name (port 0 resolved).
    pub bound: Vec<(String, SocketAddr)>,
}

impl Listeners {
    /// Binds every collector and receiver (binding first, so that what arrives while the
    /// store is caught up waits in the sockets and channels).
    pub fn start(
        netflow: &[SocketAddr],
        syslog: &[ListenSpec],
        samba: &SambaConfig,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let (deliver, deliveries) = channel();
        let counts: Arc<std::sync::Mutex<Vec<(String, SourceCounts)>>> = Arc::default();
        let mut bound = Vec::new();
        let mut collectors = Vec::new();
        for addr in netflow {
            let collector = UdpCollector::bind(*addr, RECEIVE_BUFFER)?;
            let local = collector.local_addr()?;
            let name = format!("netflow udp://{local}");
            bound.push((name.clone(), local));
            let (stop, deliver, counts) = (stop.clone(), deliver.clone(), counts.clone());
            collectors.push(std::thread::spawn(move || {
                collect(collector, &name, &stop, &deliver, &counts);
            }));
        }
        let (to_main, syslog_messages) = channel::<(usize, Received)>();
        let mut listeners = Vec::new();
        for (i, spec) in syslog.iter().enumerate() {
            let (tx, rx) = channel::<Received>();
            let listener = SyslogListener::start(*spec, tx)?;
            let scheme = match listener.protocol() {
                Protocol::Udp => "udp",
                Protocol::Tcp => "tcp",
            };
            let name = format!("syslog {scheme}://{}", listener.local_addr());
            bound.push((name.clone(), listener.local_addr()));
            let forward = to_main.clone();
            std::thread::spawn(move || {
                for r in rx {
                    if forward.send((i, r)).is_err() {
                        return;
                    }
                }
            });
            let mut parser = SambaParser::new(samba.clone());
            // No file: RFC 3164 stamps (no year) are placed in the year of their arrival.
            parser.begin_file(Some(std::time::SystemTime::now()));
            listeners.push((name, listener, parser, 0u64));
        }
        Ok(Listeners {
            stop,
            collectors,
            syslog: listeners,
            syslog_messages,
            deliveries,
            counts,
            bound,
        })
    }

    /// Whether any listener is configured.
    pub fn is_empty(&self) -> bool {
        self.collectors.is_empty() && self.syslog.is_empty()
    }

    /// What arrived since the last call: the collectors' deliveries, and the syslog messages
    /// parsed into events here.
    pub fn drain(&mut self) -> Vec<Delivery> {
        let mut out: Vec<Delivery> = self.deliveries.try_iter().collect();
        let mut by_listener: Vec<Vec<Event>> = vec![Vec::new(); self.syslog.len()];
        let mut problems: Vec<(usize, String)> = Vec::new();
        let mut received = vec![0u64; self.syslog.len()];
        for (i, r) in self.syslog_messages.try_iter() {
            let Some((name, _, parser, n)) = self.syslog.get_mut(i) else {
                continue;
            };
            *n += 1;
            received[i] += 1;
            match parser.parse_line(&r.message, *n) {
                LineOutcome::Event(e) => by_listener[i].push(*e),
                LineOutcome::Skipped => {}
                LineOutcome::Rejected(why) => {
                    problems.push((i, format!("{name}: message {n} from {}: {why}", r.peer)));
                }
            }
            if let Some(issue) = r.issue {
                problems.push((
                    i,
                    format!("{name}: message {n} from {}: framing: {issue:?}", r.peer),
                ));
            }
        }
        if let Ok(mut counts) = self.counts.lock() {
            for (i, (name, _, _, _)) in self.syslog.iter().enumerate() {
                let c = entry(&mut counts, name);
                c.received += received[i];
                c.events += by_listener[i].len() as u64;
            }
            for (i, p) in problems {
                if let Some((name, ..)) = self.syslog.get(i) {
                    let c = entry(&mut counts, name);
                    c.rejected += 1;
                    if c.rejections.len() < KEPT {
                        c.rejections.push(p);
                    }
                }
            }
        }
        for ((name, ..), events) in self.syslog.iter().zip(by_listener) {
            if !events.is_empty() {
                out.push(Delivery {
                    source: name.clone(),
                    events,
                    watermark: None,
                });
            }
        }
        out
    }

    /// Each source's counts.
    pub fn counts(&self) -> Vec<(String, SourceCounts)> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Stops the listeners; the collectors give up on the records still waiting for their
    /// reverse (one-way flows), delivered before they end. Then drains what is left.
    pub fn stop(&mut self) -> Vec<Delivery> {
        self.stop.store(true, Ordering::SeqCst);
        for h in self.collectors.drain(..) {
            let _ = h.join();
        }
        // A last look for messages in flight.
        std::thread::sleep(Duration::from_millis(100));
        let out = self.drain();
        self.syslog.clear();
        out
    }
}

fn entry<'a>(counts: &'a mut Vec<(String, SourceCounts)>, name: &str) -> &'a mut SourceCounts {
    let at = match counts.iter().position(|(n, _)| n == name) {
        Some(i) => i,
        None => {
            counts.push((name.to_owned(), SourceCounts::default()));
            counts.len() - 1
        }
    };
    &mut counts[at].1
}

/// A collector's thread: receive, decode, pair, and deliver every 200 ms.
fn collect(
    mut collector: UdpCollector,
    name: &str,
    stop: &AtomicBool,
    deliver: &Sender<Delivery>,
    counts: &std::sync::Mutex<Vec<(String, SourceCounts)>>,
) {
    let mut pairer = Pairer::new();
    let mut records: Vec<FlowRecord> = Vec::new();
    let mut flows = Vec::new();
    let mut latest: Micros = Micros::MIN;
    let mut rejections: Vec<String> = Vec::new();
    let mut last_errors = 0u64;
    let mut last_send = std::time::Instant::now();
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        if !stopping {
            if let Err(e) = collector.receive(Some(Duration::from_millis(100)), &mut records) {
                rejections.push(format!("{name}: receive: {e}"));
                std::thread::sleep(Duration::from_millis(100));
            }
            for r in records.drain(..) {
                latest = latest.max(r.end);
                pairer.push(r, &mut flows);
            }
            if last_send.elapsed() < Duration::from_millis(200) {
                continue;
            }
        }
        last_send = std::time::Instant::now();
        let expired_before = flows.len();
        if stopping {
            pairer.finish(&mut flows);
        } else if latest > Micros::MIN {
            pairer.expire(latest.saturating_sub(PAIR_HOLD), &mut flows);
        }
        let stats: CollectorStats = collector.collector.stats();
        let errors = stats.rejected_datagrams + stats.rejected_sets;
        if errors > last_errors {
            last_errors = errors;
            if let Some((from, e)) = &collector.last_error
                && rejections.len() < KEPT
            {
                rejections.push(format!("{name}: datagram from {from}: {e}"));
            }
        }
        if let Ok(mut all) = counts.lock() {
            let c = entry(&mut all, name);
            c.received = collector.received;
            c.events += flows.len() as u64;
            c.rejected = errors;
            for r in rejections.drain(..) {
                if c.rejections.len() < KEPT {
                    c.rejections.push(r);
                }
            }
            c.collector = Some(CollectorCounts {
                records: stats.records,
                waited_for_template: stats.waited_for_template,
                dropped_without_template: stats.dropped_without_template,
                records_timed_by_export: stats.records_timed_by_export,
                templates: stats.templates,
                paired: pairer.paired,
                one_way: pairer.one_way,
            });
        }
        let gave_up = flows.len() > expired_before;
        if !flows.is_empty() || gave_up {
            let events: Vec<Event> = flows.drain(..).map(Event::Flow).collect();
            let watermark = (latest > Micros::MIN).then(|| latest.saturating_sub(PAIR_HOLD));
            if deliver
                .send(Delivery {
                    source: name.to_owned(),
                    events,
                    watermark,
                })
                .is_err()
            {
                return;
            }
        }
        if stopping {
            return;
        }
    }
}
