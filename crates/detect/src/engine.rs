//! The streaming engine: features, detectors and alert scoring, in event time.

use rustc_hash::FxHashMap;
use std::net::IpAddr;

use breachscope_model::{Cidr, Event, FileAction, InternalNetworks, Micros};

use crate::admin_share::{AdminShareDetector, AdminTarget};
use crate::beacon::BeaconDetector;
use crate::clock::LocalCalendar;
use crate::config::DetectConfig;
use crate::exfil_volume::{ExfilVolumeDetector, VolumeFinding};
use crate::history::History;
use crate::mass_file_read::MassFileReadDetector;
use crate::new_destination::NewDestinationDetector;
use crate::off_hours::OffHoursDetector;
use crate::unusual_share::UnusualShareDetector;
use crate::{Alert, Severity, Stage, human_bytes};

const DAY: Micros = 86_400_000_000;

/// What a finished run hands to correlation and reporting.
#[derive(Debug)]
pub struct Detection {
    /// Alerts in time order, with ids.
    pub alerts: Vec<Alert>,
    /// The look-back store.
    pub history: History,
    /// Events that arrived earlier than an event already processed (analysed anyway).
    pub late_events: u64,
    /// Events processed.
    pub events: u64,
    /// Beacon scores that passed but to a destination most active hosts use (fleet-wide
    /// software): counted, not alerted.
    pub fleet_beacons: u64,
}

/// Why the engine could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A configured network or allowlist entry is not CIDR.
    #[error("{0}")]
    Config(String),
}

/// The streaming engine.
pub struct Engine {
    config: DetectConfig,
    internal: InternalNetworks,
    allow_external: Vec<Cidr>,
    allow_hosts: Vec<Cidr>,
    calendar: LocalCalendar,
    start: Option<Micros>,
    now: Micros,
    day: Option<i64>,
    history: History,
    beacon: BeaconDetector,
    volume: ExfilVolumeDetector,
    new_destination: NewDestinationDetector,
    mass_read: MassFileReadDetector,
    unusual_share: UnusualShareDetector,
    off_hours: OffHoursDetector,
    admin_share: AdminShareDetector,
    account_first_seen: FxHashMap<String, Micros>,
    alerts: Vec<Alert>,
    late_events: u64,
    events: u64,
    fleet_beacons: u64,
}

/// How widely an external address is used (see `Engine::destination_use`).
struct DestinationUse {
    prevalence: usize,
    active: usize,
    rare: bool,
}

fn cidrs(texts: &[String]) -> Result<Vec<Cidr>, EngineError> {
    texts
        .iter()
        .map(|t| {
            t.parse::<Cidr>()
                .map_err(|e| EngineError::Config(format!("'{t}': {e}")))
        })
        .collect()
}

fn severity_of(score: f64) -> Severity {
    if score >= 0.9 {
        Severity::High
    } else if score >= 0.6 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

impl Engine {
    /// An engine with the given settings; `zone` is the office zone.
    pub fn new(config: DetectConfig, zone: jiff::tz::TimeZone) -> Result<Self, EngineError> {
        let internal = InternalNetworks::parse(&config.internal_networks)
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let allow_external = cidrs(&config.allowlist.external)?;
        let allow_hosts = cidrs(&config.allowlist.hosts)?;
        Ok(Engine {
            config,
            internal,
            allow_external,
            allow_hosts,
            calendar: LocalCalendar::new(zone),
            start: None,
            now: Micros::MIN,
            day: None,
            history: History::default(),
            beacon: BeaconDetector::default(),
            volume: ExfilVolumeDetector::default(),
            new_destination: NewDestinationDetector::default(),
            mass_read: MassFileReadDetector::default(),
            unusual_share: UnusualShareDetector::default(),
            off_hours: OffHoursDetector::default(),
            admin_share: AdminShareDetector::default(),
            account_first_seen: FxHashMap::default(),
            alerts: Vec::new(),
            late_events: 0,
            events: 0,
            fleet_beacons: 0,
        })
    }

    fn learning_end(&self) -> Micros {
        self.start
            .unwrap_or(Micros::MAX)
            .saturating_add(i64::from(self.config.learning_days) * DAY)
    }

    fn judging(&self, t: Micros) -> bool {
        t >= self.learning_end()
    }

    fn allowed_external(&self, ip: IpAddr) -> bool {
        self.allow_external.iter().any(|c| c.contains(ip))
    }

    fn allowed_host(&self, ip: IpAddr) -> bool {
        self.allow_hosts.iter().any(|c| c.contains(ip))
    }

    /// How widely an external address is used at `t`: hosts that contacted it and active hosts
    /// over `prevalence_days`, and whether that is few enough (`max_prevalence`) to be rare.
    fn destination_use(&self, ip: IpAddr, t: Micros) -> DestinationUse {
        let days = self.config.new_external_destination.prevalence_days;
        let prevalence = self.history.prevalence(ip, t, days);
        let active = self.history.active_hosts(t, days).max(1);
        let allowed =
            ((active as f64 * self.config.new_external_destination.max_prevalence).floor()
                as usize)
                .max(1);
        DestinationUse {
            prevalence,
            active,
            rare: prevalence <= allowed,
        }
    }

    /// Notes that an internal host sent something at `t`: active for the prevalence counts,
    /// awake for the beacon detector.
    fn host_seen(&mut self, host: IpAddr, t: Micros) {
        self.history.host_active(host, t);
        self.beacon.host_seen(&self.config.beaconing, host, t);
    }

    fn raise(&mut self, mut alert: Alert) {
        alert.score = alert.score.clamp(0.0, 1.0);
        self.alerts.push(alert);
    }

    /// Closes the local days before `day`.
    fn roll_days(&mut self, day: i64) {
        let Some(mut current) = self.day else {
            self.day = Some(day);
            return;
        };
        while current < day {
            let day_end = self.calendar.day_start(current + 1);
            let weekend = self
                .calendar
                .position(self.calendar.day_start(current) + 3_600_000_000)
                .weekend;
            let findings = self.volume.close_day(
                &self.config.exfil_volume,
                self.config.baseline_days,
                current,
                weekend,
            );
            if self.judging(day_end) {
                for f in findings {
                    self.volume_alert(f, day_end);
                }
            }
            current += 1;
        }
        self.day = Some(day);
    }

    fn volume_alert(&mut self, f: VolumeFinding, time: Micros) {
        if self.allowed_host(f.host)
            || f.top_external
                .is_some_and(|(ip, _)| self.allowed_external(ip))
        {
            return;
        }
        let host = self.history.host_label(f.host);
        let (score, summary) = match f.rule {
            "cusum" => (
                0.55 + 0.05 * (f.z - self.config.exfil_volume.cusum_h).min(5.0),
                format!(
                    "{host}'s daily uploads to external addresses have stayed above its {}-day baseline (median {}) long enough for the CUSUM to reach {:.1} (threshold {:.1}); {} on the last day",
                    f.baseline_days,
                    human_bytes(f.baseline_bytes),
                    f.z,
                    self.config.exfil_volume.cusum_h,
                    human_bytes(f.bytes as f64)
                ),
            ),
            _ => (
                (0.5 + 0.04 * f.z).min(0.85),
                format!(
                    "{host} sent {} to external addresses today{}, {:.0}× its {}-day median of {} (robust z {:.1}, threshold {:.1})",
                    human_bytes(f.bytes as f64),
                    f.top_external
                        .map(|(ip, b)| format!(
                            " ({} to {})",
                            human_bytes(b as f64),
                            self.history.external_label(ip)
                        ))
                        .unwrap_or_default(),
                    f.bytes as f64 / f.baseline_bytes.max(1.0),
                    f.baseline_days,
                    human_bytes(f.baseline_bytes),
                    f.z,
                    self.config.exfil_volume.z
                ),
            ),
        };
        // Fleet context: bytes to a destination much of the company uses, within the range of
        // what the other hosts sent it that day, are an adoption (a SaaS rollout), not one
        // host's exfiltration. One host far above the fleet keeps full weight.
        let config = &self.config.exfil_volume;
        let mut cap = Severity::Medium;
        let mut context = String::new();
        if let (Some((ip, to_top)), Some(fleet)) = (f.top_external, f.fleet) {
            let DestinationUse {
                prevalence, active, ..
            } = self.destination_use(ip, time);
            if prevalence as f64 >= config.fleet_share * active as f64 && fleet.hosts >= 3 {
                let ratio = to_top as f64 / fleet.median_bytes.max(1) as f64;
                if ratio <= config.fleet_factor {
                    cap = Severity::Low;
                    context = format!(
                        "; {} is the fleet's: {prevalence} of {active} active hosts use it, {} sent to it today (median {}), this host {:.1}× that — an adoption, at most low",
                        self.history.external_label(ip),
                        fleet.hosts,
                        human_bytes(fleet.median_bytes as f64),
                        ratio
                    );
                } else {
                    context = format!(
                        "; {prevalence} of {active} active hosts use {}, but this host sent {:.0}× the median of the {} that sent to it today",
                        self.history.external_label(ip),
                        ratio,
                        fleet.hosts
                    );
                }
            }
        }
        // A few hundred kB over a baseline is not worth a person's attention on its own —
        // unless the bytes went to an address (almost) nobody else uses: low and slow.
        let rare_top = f
            .top_external
            .is_some_and(|(ip, _)| self.destination_use(ip, time).rare);
        if f.bytes < config.medium_min_bytes && cap > Severity::Low && !rare_top {
            cap = Severity::Low;
            context.push_str(&format!(
                "; below the {} a day at which volume alone is medium",
                human_bytes(config.medium_min_bytes as f64)
            ));
        }
        let summary = format!("{summary}{context}");
        let external = f.top_external.map(|(ip, _)| vec![ip]).unwrap_or_default();
        self.raise(Alert {
            id: String::new(),
            detector: "exfil_volume",
            time,
            severity: severity_of(score).min(cap),
            score,
            stage: Stage::Exfiltration,
            hosts: vec![f.host],
            accounts: Vec::new(),
            external,
            shares: Vec::new(),
            summary,
        });
    }

    /// Consumes one event. Events should come in observable-time order; an earlier one is
    /// analysed at its own time and counted as late.
    pub fn observe(&mut self, event: &Event) {
        let t = event.observed_at();
        self.events += 1;
        if t < self.now {
            self.late_events += 1;
        } else {
            self.now = t;
        }
        if self.start.is_none() {
            self.start = Some(event.time());
        }
        self.history.span = Some(match self.history.span {
            Some((a, b)) => (a.min(event.time()), b.max(t)),
            None => (event.time(), t),
        });
        let pos = self.calendar.position(t);
        if self.day.is_none_or(|d| pos.day > d) {
            self.roll_days(pos.day);
        }
        match event {
            Event::Flow(f) => self.flow(f, t, pos),
            Event::Dns(d) => {
                if self.internal.contains(d.src_ip) {
                    self.host_seen(d.src_ip, t);
                }
                if let Some(q) = &d.query {
                    for a in &d.answers {
                        if let Some(ip) = breachscope_model::net::parse_ip(a) {
                            self.history.name_external(ip, q);
                        }
                    }
                }
            }
            Event::FileAccess(a) => self.file_access(a, t, pos),
            Event::Authentication(_) => {}
            Event::LogCleared(c) => self.log_cleared(c, t),
        }
    }

    fn log_cleared(&mut self, c: &breachscope_model::LogCleared, t: Micros) {
        if !self.config.log_cleared.enabled {
            return;
        }
        let summary = format!(
            "{} cleared the {} log{} (event {}): evidence before this time on that computer is gone",
            c.account,
            c.channel,
            c.server
                .as_deref()
                .map(|s| format!(" of {s}"))
                .unwrap_or_default(),
            c.event_id
        );
        self.raise(Alert {
            id: String::new(),
            detector: "log_cleared",
            time: t,
            severity: Severity::High,
            score: 0.9,
            stage: Stage::DefenseEvasion,
            hosts: Vec::new(),
            accounts: vec![c.account.clone()],
            external: Vec::new(),
            shares: Vec::new(),
            summary,
        });
    }

    /// Whether the access is by an allowlisted account or from an allowlisted host.
    fn allowed_access(&self, a: &breachscope_model::FileAccess) -> bool {
        self.config
            .allowlist
            .accounts
            .iter()
            .any(|x| x == &a.account)
            || a.client_ip.is_some_and(|ip| self.allowed_host(ip))
    }

    /// The access's client as summaries name it.
    fn client_label(&self, a: &breachscope_model::FileAccess) -> String {
        a.client_ip
            .map(|ip| self.history.host_label(ip))
            .unwrap_or_else(|| "an unknown host".into())
    }

    /// Raises an alert about a file-server access: its client, account and share.
    #[allow(clippy::too_many_arguments)]
    fn file_alert(
        &mut self,
        a: &breachscope_model::FileAccess,
        detector: &'static str,
        time: Micros,
        severity: Severity,
        score: f64,
        stage: Stage,
        summary: String,
    ) {
        self.raise(Alert {
            id: String::new(),
            detector,
            time,
            severity,
            score,
            stage,
            hosts: a.client_ip.into_iter().collect(),
            accounts: vec![a.account.clone()],
            external: Vec::new(),
            shares: vec![a.share.clone()],
            summary,
        });
    }

    fn admin_share_access(&mut self, a: &breachscope_model::FileAccess, t: Micros) {
        // The detector's own share test comes first: it is what every file access passes through.
        let judging = self.judging(t);
        let Some(f) = self
            .admin_share
            .observe(&self.config.admin_share_access, a, judging)
        else {
            return;
        };
        if self.allowed_access(a) {
            return;
        }
        let host_label = self.client_label(a);
        let (score, what) = match f.target {
            AdminTarget::ServiceControl => (
                0.9,
                "the service-control pipe, which starts programs on the server (PsExec, remote services and tasks)",
            ),
            AdminTarget::AdminShare => (0.75, "an administrative share"),
        };
        let summary = format!(
            "{} used {} '{}' on {} from {} for the first time (event {}): {what}",
            a.account,
            if f.target == AdminTarget::ServiceControl {
                "pipe"
            } else {
                "share"
            },
            f.name,
            f.server.as_deref().unwrap_or("the server"),
            host_label,
            a.operation,
        );
        self.file_alert(
            a,
            "admin_share_access",
            t,
            severity_of(score),
            score,
            Stage::LateralMovement,
            summary,
        );
    }

    fn flow(&mut self, f: &breachscope_model::Flow, t: Micros, pos: crate::clock::Position) {
        let src_internal = self.internal.contains(f.src_ip);
        let dst_internal = self.internal.contains(f.dst_ip);
        if src_internal {
            self.host_seen(f.src_ip, t);
        }
        if !src_internal || dst_internal || f.dst_ip.is_multicast() {
            return;
        }
        let (host, ext) = (f.src_ip, f.dst_ip);
        let out = f.bytes_out.unwrap_or(0);
        let inb = f.bytes_in.unwrap_or(0);
        self.history.flow(host, ext, f.start, f.end(), out, inb);
        if self.allowed_host(host) || self.allowed_external(ext) {
            return;
        }
        let judging = self.judging(t);
        // Beaconing.
        let sent = f.ip_bytes_out.or(f.bytes_out).unwrap_or(0);
        if let Some(score) =
            self.beacon
                .observe(&self.config.beaconing, host, ext, f.start, sent, t)
            && judging
        {
            let DestinationUse {
                prevalence,
                active,
                rare,
            } = self.destination_use(ext, t);
            // Fleet context: what half the company's hosts do on a schedule is their software
            // (update checks, SaaS clients), not command and control: counted, not alerted.
            let fleet = prevalence as f64 >= active as f64 * self.config.beaconing.fleet_share
                && prevalence > 1;
            if fleet {
                self.fleet_beacons += 1;
            }
            let severity = if score.total >= self.config.beaconing.high_score && rare {
                Severity::High
            } else {
                Severity::Medium
            };
            let summary = format!(
                "{} connected to {} {} times in {:.0} h at a median interval of {:.0} s (beacon score {:.2}: timing {:.2}, sizes {:.2}, hours {:.2}, duration {:.2}; alert at {:.2}{}); {} of {} active hosts use this address",
                self.history.host_label(host),
                self.history.external_label(ext),
                score.connections,
                score.window_hours,
                score.median_interval,
                score.total,
                score.ts,
                score.ds,
                score.hist,
                score.dur,
                self.config.beaconing.alert_score,
                if score.missed_beats > 0 {
                    format!(
                        "; {} beats missed while the host was silent",
                        score.missed_beats
                    )
                } else {
                    String::new()
                },
                prevalence,
                active,
            );
            if !fleet {
                self.raise(Alert {
                    id: String::new(),
                    detector: "beaconing",
                    time: t,
                    severity,
                    score: score.total,
                    stage: Stage::CommandAndControl,
                    hosts: vec![host],
                    accounts: Vec::new(),
                    external: vec![ext],
                    shares: Vec::new(),
                    summary,
                });
            }
        }
        // Volume.
        if let Some(finding) = self.volume.observe(
            &self.config.exfil_volume,
            self.config.baseline_days,
            host,
            ext,
            out,
            &pos,
        ) && judging
        {
            self.volume_alert(finding, t);
        }
        // New, rare destination.
        let learning_end = self.learning_end();
        if let Some(n) = self.new_destination.observe(
            &self.config.new_external_destination,
            &self.history,
            host,
            ext,
            t,
            learning_end,
        ) {
            let ratio = n.bytes_out as f64 / (n.bytes_in.max(1)) as f64;
            let score = (0.55
                + 0.1
                    * (n.bytes_out as f64
                        / self.config.new_external_destination.min_upload_bytes as f64)
                        .log10()
                + 0.05 * ratio.log10().min(2.0))
            .min(0.85);
            let summary = format!(
                "{} uploaded {} to {}, an address it first contacted {} ago, which {} of {} active hosts use (upload threshold {}, out/in ratio {:.0})",
                self.history.host_label(host),
                human_bytes(n.bytes_out as f64),
                self.history.external_label(ext),
                format_duration(t - n.first_seen),
                n.prevalence,
                n.active_hosts,
                human_bytes(self.config.new_external_destination.min_upload_bytes as f64),
                ratio
            );
            // Organisation context: another internal host has used the address for a month or
            // more (a backup job moved to a new server): at most low.
            let (summary, cap) = match n.established_since {
                Some(since) => (
                    format!(
                        "{summary}; another internal host has used it since {} ({} ago) — a destination the organisation already had, at most low",
                        breachscope_model::time::format_rfc3339(since),
                        format_duration(t - since)
                    ),
                    Severity::Low,
                ),
                None => (summary, Severity::Medium),
            };
            self.raise(Alert {
                id: String::new(),
                detector: "new_external_destination",
                time: t,
                severity: severity_of(score).min(cap),
                score,
                stage: Stage::Exfiltration,
                hosts: vec![host],
                accounts: Vec::new(),
                external: vec![ext],
                shares: Vec::new(),
                summary,
            });
        }
    }

    fn file_access(
        &mut self,
        a: &breachscope_model::FileAccess,
        t: Micros,
        pos: crate::clock::Position,
    ) {
        if let (Some(ip), Some(name)) = (a.client_ip, a.client_name.as_deref())
            && name.parse::<IpAddr>().is_err()
        {
            self.history.name_host(ip, name);
        }
        if let Some(ip) = a.client_ip {
            self.host_seen(ip, t);
            *self
                .history
                .account_hosts
                .entry(a.account.clone())
                .or_default()
                .entry(ip)
                .or_default() += 1;
        }
        self.admin_share_access(a, t);
        if a.action != FileAction::Read
            || !a.outcome.is_success()
            || a.share.is_empty()
            || !a.is_file_object()
        {
            return;
        }
        let reads = self
            .history
            .share_reads
            .entry((a.account.clone(), a.share.clone()))
            .or_insert(crate::history::ShareReads {
                first: t,
                last: t,
                reads: 0,
            });
        reads.last = t;
        reads.reads += 1;
        if self.allowed_access(a) {
            return;
        }
        let first_seen = *self
            .account_first_seen
            .entry(a.account.clone())
            .or_insert(t);
        let history = i64::from(self.config.entity_history_days) * DAY;
        let established = t - first_seen >= history;
        let judging = self.judging(t);
        let host_label = self.client_label(a);

        if let Some(f) = self.unusual_share.observe(
            &self.config.unusual_share,
            &a.account,
            &a.share,
            t,
            history,
            judging,
        ) {
            let rarity = 1.0 - f.share_accounts as f64 / f.active_accounts.max(1) as f64;
            let score = 0.5 + 0.3 * rarity;
            let summary = format!(
                "{} read '{}' on share '{}' from {}: the first read of this share by the account, which so far used only {}; {} of {} active accounts use '{}'",
                a.account,
                a.path,
                a.share,
                host_label,
                f.usual_shares.join(", "),
                f.share_accounts,
                f.active_accounts,
                a.share
            );
            // Peer context: the third (or later) account of one usual-share group to start
            // reading this share within a week is a group change (a reorganisation).
            let group = f.peers_joining >= 2;
            let summary = if group {
                format!(
                    "{summary}; {} other accounts that used only {} started reading '{}' within the week — a group change, at most low",
                    f.peers_joining,
                    f.usual_shares.join(", "),
                    a.share
                )
            } else {
                summary
            };
            let cap = if group {
                Severity::Low
            } else {
                Severity::Medium
            };
            self.file_alert(
                a,
                "unusual_share",
                t,
                severity_of(score).min(cap),
                score,
                Stage::Collection,
                summary,
            );
        }
        if let Some(f) =
            self.off_hours
                .observe(&self.config.off_hours_access, &a.account, pos, judging)
        {
            let score = (0.4 + 0.04 * f64::from(f.gap_hours)).min(0.65);
            let usual = match (f.usual.first(), f.usual.last()) {
                (Some(a), Some(b)) => format!("{a:02}:00–{:02}:00", b + 1),
                _ => "none".into(),
            };
            let summary = format!(
                "{} read '{}' on share '{}' from {} at {:02}:00 local time, {} h from the hours it is usually active ({usual}, over {} active days; off hours at {} h or more)",
                a.account,
                a.path,
                a.share,
                host_label,
                f.hour_of_day,
                f.gap_hours,
                f.active_days,
                self.config.off_hours_access.min_gap_hours
            );
            self.file_alert(
                a,
                "off_hours_access",
                t,
                Severity::Low,
                score,
                Stage::Collection,
                summary,
            );
        }
        let hour = (t + self.calendar.offset(t)).div_euclid(3_600_000_000);
        if let Some(f) = self.mass_read.observe(
            &self.config.mass_file_read,
            self.config.baseline_days,
            &a.account,
            &a.share,
            &a.path,
            hour,
            pos.day,
            established,
        ) && judging
        {
            let score =
                (0.5 + 0.05 * (f.files as f64 / f.threshold.max(1.0)).log2() * 4.0).min(0.85);
            let summary = format!(
                "{} read {} distinct files in {} directories within an hour (from {}), above {:.0} = max({}, {:.0}× the {} largest hourly count of {:.0})",
                a.account,
                f.files,
                f.directories,
                host_label,
                f.threshold,
                self.config.mass_file_read.min_files,
                self.config.mass_file_read.factor,
                if f.peer_baseline {
                    "peers' 95th-percentile"
                } else {
                    "account's"
                },
                f.baseline
            );
            self.file_alert(
                a,
                "mass_file_read",
                t,
                severity_of(score).min(Severity::Medium),
                score,
                Stage::Collection,
                summary,
            );
        }
    }

    /// Tells the engine that event time has reached `t` with no further evidence before it (a
    /// watermark): days that ended by `t` are closed and judged. A replay cut at `t` calls this
    /// so that it raises exactly the alerts a full run raises up to `t`.
    pub fn advance_to(&mut self, t: Micros) {
        if self.day.is_none() {
            return;
        }
        let day = self.calendar.position(t).day;
        if self.day.is_some_and(|d| day > d) {
            self.roll_days(day);
        }
        self.now = self.now.max(t);
    }

    /// The alerts so far, in time order with ids, as [`Engine::finish`] would give them now —
    /// without ending the run (continuous detection correlates after every batch, with
    /// [`Engine::history`]).
    pub fn alerts(&self) -> Vec<Alert> {
        let mut alerts = self.alerts.clone();
        number_alerts(&mut alerts);
        alerts
    }

    /// The look-back store so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Ends the run: alerts get ids in time order.
    pub fn finish(mut self) -> Detection {
        number_alerts(&mut self.alerts);
        Detection {
            alerts: self.alerts,
            history: self.history,
            late_events: self.late_events,
            events: self.events,
            fleet_beacons: self.fleet_beacons,
        }
    }
}

/// Puts alerts in time order (detector name on a tie) and numbers them `ALR-1`, `ALR-2`, …
fn number_alerts(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| a.time.cmp(&b.time).then(a.detector.cmp(b.detector)));
    for (i, a) in alerts.iter_mut().enumerate() {
        a.id = format!("ALR-{}", i + 1);
    }
}

/// `3 h 20 min`, `2 d 4 h`, `45 s`.
pub fn format_duration(us: Micros) -> String {
    let s = us / 1_000_000;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else if s < 86_400 {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    } else {
        format!("{} d {} h", s / 86_400, (s % 86_400) / 3600)
    }
}
