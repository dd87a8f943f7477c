//! `breachscope investigate`: read the evidence, detect in event time, correlate, and write
//! `report.json` (alerts and incidents; files and personal data come with scoping).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use breachscope_detect::{Alert, DetectConfig, Detection, Engine, Incident, correlate};
use breachscope_ingest::evtx::{EvtxConfig, EvtxReader, first_record};
use breachscope_ingest::merge::{FileSequence, ThreadedSource, TimeOrderedMerge};
use breachscope_ingest::samba::SambaParser;
use breachscope_ingest::sniff::zeek_log_path;
use breachscope_ingest::zeek::ZeekParser;
use breachscope_ingest::{FileStats, Format, Kind, expand_paths, sniff_path};
use breachscope_model::time::format_rfc3339;
use breachscope_model::{Event, Micros};
use breachscope_pipeline::lake_events::{LakeEvents, for_each_in_class};
use breachscope_pipeline::store_ingest;
use breachscope_report::report_v1 as r;
use breachscope_store::{Class, Store};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::options::{samba_config_in, windows_share_roots};

/// Reorder window of the merge: records up to an hour out of order are repaired.
const REORDER_WINDOW: Micros = 3_600_000_000;

/// Arguments of `breachscope investigate`.
#[derive(Debug, Args)]
pub struct InvestigateArgs {
    /// Zeek conn/dns logs: files or directories (zeekctl archives), repeatable.
    #[arg(long = "zeek", value_name = "PATH")]
    pub zeek: Vec<PathBuf>,
    /// Samba vfs_full_audit logs (syslog or smbd log), repeatable.
    #[arg(long = "samba-audit", value_name = "PATH")]
    pub samba: Vec<PathBuf>,
    /// Windows event logs (.evtx, Security channel): files or directories, repeatable.
    #[arg(long = "evtx", value_name = "PATH")]
    pub evtx: Vec<PathBuf>,
    /// Internal network in CIDR notation (repeatable; overrides the config file's list).
    #[arg(long = "internal", value_name = "CIDR")]
    pub internal: Vec<String>,
    /// Detection settings (TOML); see docs/configuration.md.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Zone of local-time logs and of office hours (unless the config sets `time_zone`): an
    /// IANA name, UTC, an offset such as +09:00, or `local`. Default: inferred from the UTC
    /// offsets the evidence states, else the machine's zone (with a warning).
    #[arg(long, value_name = "ZONE")]
    pub log_tz: Option<String>,
    /// Samba `full_audit:prefix`.
    #[arg(long, default_value = "%u|%I|%m|%S")]
    pub samba_prefix: String,
    /// Share root on the file server, NAME=/server/path (repeatable).
    #[arg(long = "share-root", value_name = "NAME=PATH")]
    pub share_roots: Vec<String>,
    /// When the breach was detected (RFC 3339; default: now).
    #[arg(long, value_name = "TIME")]
    pub detected_at: Option<String>,
    /// A copy of a share, NAME=DIR (repeatable): the incident's files on it are classified.
    #[arg(long = "share", value_name = "NAME=DIR")]
    pub shares: Vec<String>,
    /// Key of the keyed hashes (default ~/.config/breachscope/hash.key, created 0600).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Also classify every file on the --share copies (not only the incidents' files), written
    /// to DIR/share-scan.json in `breachscope scan --json` form.
    #[arg(long)]
    pub scan_all: bool,
    /// Output directory (created): report.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The evidence store (see `breachscope ingest`): evidence given with --zeek,
    /// --samba-audit or --evtx is ingested into it first (only what is new), then detection and
    /// scoping read the lake instead of the raw logs.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

/// Parses `--share NAME=DIR` values; every directory must exist.
fn parse_shares(values: &[String]) -> Result<BTreeMap<String, PathBuf>> {
    let mut shares = BTreeMap::new();
    for v in values {
        let Some((name, dir)) = v.split_once('=') else {
            bail!("--share '{v}' must be NAME=DIR");
        };
        let dir = PathBuf::from(dir);
        if !dir.is_dir() {
            bail!("--share {name}: {} is not a directory", dir.display());
        }
        shares.insert(name.to_lowercase(), dir);
    }
    Ok(shares)
}

/// What an investigation produced.
pub struct Outcome {
    /// The report as written.
    pub report: r::Report,
    /// The incidents.
    pub incidents: Vec<Incident>,
    /// Detection internals (alerts, look-back store).
    pub detection: Detection,
    /// Per incident: office-zone day → (bytes to its endpoints, file reads).
    pub timelines: Vec<breachscope_report::html::Timeline>,
}

fn progress() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
            bar.set_style(style);
        }
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

/// Loads the detection settings, applying the command line's overrides (the zone is decided
/// later, by [`crate::office_zone::resolve`]).
pub fn load_config(args: &InvestigateArgs) -> Result<DetectConfig> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            DetectConfig::from_toml(&text).with_context(|| format!("{}", path.display()))?
        }
        None => DetectConfig::default(),
    };
    if !args.internal.is_empty() {
        config.internal_networks = args.internal.clone();
    }
    Ok(config)
}

/// The internal networks the analysis uses, as recorded in the report's settings.
fn internal_networks(config: &DetectConfig) -> Vec<String> {
    if config.internal_networks.is_empty() {
        breachscope_model::net::DEFAULT_INTERNAL_NETWORKS
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    } else {
        config.internal_networks.clone()
    }
}

fn input_kind(stats: &FileStats) -> String {
    stats.kind.to_owned()
}

/// The EVTX files among `paths` (others, such as notes beside the logs, are named and left),
/// grouped by the computer that wrote them, each group ordered by its first record's time.
fn evtx_groups(paths: Vec<PathBuf>) -> Result<Vec<Vec<PathBuf>>> {
    let mut groups: BTreeMap<String, Vec<(i64, PathBuf)>> = BTreeMap::new();
    for path in paths {
        let kind = sniff_path(&path).with_context(|| path.display().to_string())?;
        if kind != Kind::Known(Format::Evtx) {
            eprintln!(
                "breachscope: note: {}: not an EVTX file, not read",
                path.display()
            );
            continue;
        }
        let (time, computer) = first_record(&path)?.unwrap_or((i64::MAX, String::new()));
        groups
            .entry(computer.to_lowercase())
            .or_default()
            .push((time, path));
    }
    Ok(groups
        .into_values()
        .map(|mut files| {
            files.sort();
            files.into_iter().map(|(_, p)| p).collect()
        })
        .collect())
}

/// Runs the whole investigation (without writing anything).
pub fn investigate(args: &InvestigateArgs) -> Result<Outcome> {
    if args.zeek.is_empty() && args.samba.is_empty() && args.evtx.is_empty() && args.store.is_none()
    {
        bail!(
            "no evidence given: use --zeek PATH, --samba-audit PATH, --evtx PATH and/or --store DIR"
        );
    }
    let config = load_config(args)?;
    let detected_at = match &args.detected_at {
        Some(t) => t
            .parse::<jiff::Timestamp>()
            .with_context(|| format!("--detected-at '{t}' is not an RFC 3339 time"))?
            .as_microsecond(),
        None => jiff::Timestamp::now().as_microsecond(),
    };
    let shares = parse_shares(&args.shares)?;
    let zeek_files = expand_paths(&args.zeek)?;
    let samba_files = expand_paths(&args.samba)?;
    let evtx_groups = evtx_groups(expand_paths(&args.evtx)?)?;
    let mut store = match &args.store {
        Some(dir) => {
            Some(Store::open(dir).with_context(|| format!("opening the store {}", dir.display()))?)
        }
        None => None,
    };
    // The office zone before any reading: local-time logs are read in it.
    let office = match &store {
        Some(st) => {
            let name = st.catalog().setting("office_time_zone")?;
            let source = st
                .catalog()
                .setting("office_time_zone_source")?
                .and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok());
            crate::office_zone::resolve_for_store(
                args.log_tz.as_deref(),
                &config.time_zone,
                &samba_files,
                &zeek_files,
                name.as_deref().zip(source),
            )?
        }
        None => crate::office_zone::resolve(
            args.log_tz.as_deref(),
            &config.time_zone,
            &samba_files,
            &zeek_files,
        )?,
    };
    let samba_config = samba_config_in(
        &args.samba_prefix,
        office.log_zone.clone(),
        &args.share_roots,
        None,
    )?;
    let settings = r::Settings {
        office_time_zone: office.name.clone(),
        office_time_zone_source: office.source,
        internal_networks: internal_networks(&config),
    };
    let evtx_config = EvtxConfig {
        threads: 0,
        share_roots: windows_share_roots(&args.share_roots),
    };
    let evtx_files: Vec<PathBuf> = evtx_groups.iter().flatten().cloned().collect();
    let classifier = if shares.is_empty() {
        None
    } else {
        Some(crate::scan::classifier(args.key.as_ref())?.0)
    };
    let mut engine = Engine::new(config, office.zone.clone()).context("configuration")?;
    if let Some(st) = store.as_mut() {
        ingest_new_evidence(
            st,
            &office,
            args,
            &zeek_files,
            &samba_files,
            &evtx_groups,
            &samba_config,
            &evtx_config,
        )?;
    }
    let store = store;
    let bar = progress();
    let (inputs, late, conn_files) = match &store {
        Some(st) => {
            let mut events = LakeEvents::new(st)?;
            analyse(&mut engine, events.by_ref(), &bar);
            if let Some(e) = events.error {
                return Err(e).context("reading the lake");
            }
            (store_inputs(st)?, 0, Vec::new())
        }
        None => detect_from_files(
            &mut engine,
            zeek_files,
            &samba_files,
            &samba_config,
            &evtx_groups,
            &evtx_config,
            &bar,
        )?,
    };

    let mut detection = engine.finish();
    detection.late_events += late;
    let incidents = correlate(&detection.alerts, &detection.history);
    let (start, end) = detection.history.span.unwrap_or((detected_at, detected_at));

    // Scoping: a second pass over the audit logs collects the files each incident read.
    bar.set_message(format!("scoping {} incidents: files read", incidents.len()));
    let targets = incidents
        .iter()
        .map(|i| breachscope_scope::Target {
            accounts: i.accounts.iter().cloned().collect(),
            hosts: i.hosts.iter().map(|(ip, _)| *ip).collect(),
            external: i
                .external
                .iter()
                .filter(|e| !e.roles.is_empty())
                .map(|e| e.ip)
                .collect(),
            start: i.first_evidence,
            end: i.last_activity,
        })
        .collect();
    let mut scoper = breachscope_scope::Scoper::new(targets).with_zone(office.zone.clone());
    if let Some(st) = &store
        && !incidents.is_empty()
    {
        for_each_in_class(st, Class::FileSystemActivity, |e| {
            if let breachscope_model::Event::FileAccess(a) = e {
                scoper.observe(a);
            }
        })?;
    }
    if store.is_none() && !samba_files.is_empty() && !incidents.is_empty() {
        for event in FileSequence::new(samba_files, Box::new(SambaParser::new(samba_config))) {
            if let breachscope_model::Event::FileAccess(a) = &event {
                scoper.observe(a);
            }
        }
    }
    if store.is_none() && !evtx_files.is_empty() && !incidents.is_empty() {
        for event in FileSequence::evtx(evtx_files, EvtxReader::new(&evtx_config)) {
            if let breachscope_model::Event::FileAccess(a) = &event {
                scoper.observe(a);
            }
        }
    }
    bar.set_message("scoping: daily traffic to the incidents' addresses");
    // The timelines need the daily bytes to the incidents' endpoints: one more pass, over the
    // conn logs only, when an incident has endpoints.
    if incidents
        .iter()
        .any(|i| i.external.iter().any(|e| !e.roles.is_empty()))
    {
        if let Some(st) = &store {
            for_each_in_class(st, Class::NetworkActivity, |e| {
                if let breachscope_model::Event::Flow(f) = e {
                    scoper.observe_flow(f);
                }
            })?;
        }
        for event in FileSequence::new(conn_files, Box::new(ZeekParser::new())) {
            if let breachscope_model::Event::Flow(f) = &event {
                scoper.observe_flow(f);
            }
        }
    }
    bar.set_message("classifying the incidents' files");
    let mut classified: BTreeMap<(String, String), breachscope_classify::walk::ScanEntry> =
        BTreeMap::new();
    let mut scoped: Vec<(Vec<r::IncidentFile>, BTreeMap<String, u64>, u64)> = Vec::new();
    for n in 0..incidents.len() {
        let mut files = Vec::new();
        let mut union: BTreeMap<
            String,
            std::collections::BTreeSet<breachscope_classify::ValueHash>,
        > = BTreeMap::new();
        for ((share, path), reads) in scoper.files(n).into_iter().flatten() {
            let entry = match (&classifier, shares.get(share)) {
                (Some(c), Some(root)) => Some(
                    classified
                        .entry((share.clone(), path.clone()))
                        .or_insert_with(|| {
                            breachscope_classify::walk::scan_file(
                                c,
                                root,
                                &root.join(path),
                                1 << 30,
                            )
                        })
                        .clone(),
                ),
                _ => None,
            };
            let classification = entry.as_ref().and_then(|e| e.result.as_ref().ok());
            if let Some(c) = classification {
                for (k, set) in &c.hashes {
                    union
                        .entry(k.clone())
                        .or_default()
                        .extend(set.iter().copied());
                }
            }
            files.push(r::IncidentFile {
                share: share.clone(),
                path: path.clone(),
                first_access: format_rfc3339(reads.first),
                last_access: format_rfc3339(reads.last),
                reads: reads.reads,
                size: entry.as_ref().filter(|e| e.result.is_ok()).map(|e| e.size),
                sha256: entry
                    .as_ref()
                    .filter(|e| e.result.is_ok())
                    .map(|e| e.sha256.clone()),
                classification: classification.map(|c| r::Classification {
                    categories: c.categories.clone(),
                    records_with_personal_data: c.records_with_personal_data,
                    labels: c.labels.clone(),
                    encoding: c.encoding.clone(),
                    format: c.format.clone(),
                }),
            });
        }
        let personal: BTreeMap<String, u64> = union
            .into_iter()
            .map(|(k, v)| (k, v.len() as u64))
            .collect();
        // People: the most numerous person-bound identifier across the files (an e-mail, phone,
        // My Number or card stands for one person; the same person in two files counts once).
        let subjects = ["email", "phone", "my_number", "credit_card"]
            .iter()
            .map(|k| personal.get(*k).copied().unwrap_or(0))
            .max()
            .unwrap_or(0);
        scoped.push((files, personal, subjects));
    }
    let exposures: Vec<breachscope_scope::Exposure> = incidents
        .iter()
        .zip(&scoped)
        .filter(|(i, _)| i.severity >= breachscope_detect::Severity::High)
        .map(|(_, (_, personal, subjects))| breachscope_scope::Exposure {
            personal_data: personal.clone(),
            data_subjects: *subjects,
            malicious: true,
        })
        .collect();
    let notification = breachscope_scope::assess(&exposures, detected_at);
    if args.scan_all
        && let Some(c) = &classifier
    {
        bar.set_message("classifying every file on the shares (--scan-all)");
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let all: Vec<(PathBuf, Vec<breachscope_classify::walk::ScanEntry>)> = shares
            .values()
            .map(|root| {
                (
                    root.clone(),
                    breachscope_classify::walk::scan_tree(
                        c,
                        root,
                        threads,
                        1 << 30,
                        None,
                        &|_, _| {},
                    )
                    .0,
                )
            })
            .collect();
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        crate::scan::write_json(&args.out.join("share-scan.json"), &all)?;
    }
    bar.finish_and_clear();
    let report = r::Report {
        schema_version: 1,
        tool: r::Tool::default(),
        generated_at: format_rfc3339(jiff::Timestamp::now().as_microsecond()),
        inputs,
        time_range: r::TimeRange {
            start: format_rfc3339(start),
            end: format_rfc3339(end),
        },
        incidents: incidents
            .iter()
            .zip(scoped)
            .map(|(i, (files, personal, subjects))| {
                let mut v = incident_v1(i);
                v.files = files;
                v.personal_data = personal;
                v.data_subjects_estimate = subjects;
                v
            })
            .collect(),
        alerts: detection.alerts.iter().map(alert_v1).collect(),
        notification: r::Notification {
            personal_data_involved: notification.personal_data_involved,
            data_subjects_estimate: notification.data_subjects_estimate,
            appi_reportable: notification.appi_reportable,
            appi_reasons: notification.appi_reasons,
            gdpr_article_33: notification.gdpr_article_33,
            deadlines: notification
                .deadlines
                .iter()
                .map(|d| r::Deadline {
                    regime: d.regime.to_owned(),
                    due: format_rfc3339(d.due),
                })
                .collect(),
            detected_at: format_rfc3339(detected_at),
        },
        settings: Some(settings),
    };
    let timelines = (0..incidents.len())
        .map(|i| scoper.timeline(i).cloned().unwrap_or_default())
        .collect();
    Ok(Outcome {
        report,
        incidents,
        detection,
        timelines,
    })
}

/// Feeds the events to the detection engine, saying on the progress bar how far it got.
fn analyse(engine: &mut Engine, events: impl Iterator<Item = Event>, bar: &ProgressBar) {
    for (n, event) in (1u64..).zip(events) {
        engine.observe(&event);
        if n.is_multiple_of(200_000) {
            bar.set_message(format!(
                "{n} events analysed, evidence up to {}",
                format_rfc3339(event.observed_at())
            ));
        }
    }
}

/// Detection over the raw evidence files: one stream per Zeek log kind and one for Samba, one
/// per computer's EVTX logs, each read on its own thread and merged by observable time. Returns
/// the inputs read, the events that arrived later than the merge's window, and the conn logs
/// (for the timelines' pass).
#[allow(clippy::too_many_arguments)]
fn detect_from_files(
    engine: &mut Engine,
    zeek_files: Vec<PathBuf>,
    samba_files: &[PathBuf],
    samba_config: &breachscope_ingest::samba::SambaConfig,
    evtx_groups: &[Vec<PathBuf>],
    evtx_config: &EvtxConfig,
    bar: &ProgressBar,
) -> Result<(Vec<r::Input>, u64, Vec<PathBuf>)> {
    // One stream per Zeek log kind (each is in time order on its own), one for Samba.
    let mut by_kind: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for path in zeek_files {
        let kind = zeek_log_path(&path)
            .with_context(|| path.display().to_string())?
            .unwrap_or_else(|| "unknown".into());
        by_kind.entry(kind).or_default().push(path);
    }
    let mut sources: Vec<FileSequence> = Vec::new();
    let conn_files: Vec<PathBuf> = by_kind.get("conn").cloned().unwrap_or_default();
    for (kind, paths) in by_kind {
        if kind == "conn" || kind == "dns" {
            sources.push(FileSequence::new(paths, Box::new(ZeekParser::new())));
        } else {
            eprintln!(
                "breachscope: note: {} Zeek files of log '{kind}' are not used by detection",
                paths.len()
            );
        }
    }
    if !samba_files.is_empty() {
        sources.push(FileSequence::new(
            samba_files.to_vec(),
            Box::new(SambaParser::new(samba_config.clone())),
        ));
    }
    // One stream per computer that wrote EVTX logs, its files in time order.
    for paths in evtx_groups {
        sources.push(FileSequence::evtx(
            paths.clone(),
            EvtxReader::new(evtx_config),
        ));
    }
    // Each source is decompressed and parsed on its own thread; detection runs on this one.
    let sources = sources
        .into_iter()
        .map(|s| ThreadedSource::spawn(s, 4096))
        .collect::<std::io::Result<Vec<_>>>()
        .context("starting reader threads")?;
    let mut merge = TimeOrderedMerge::new(sources, REORDER_WINDOW);
    analyse(engine, merge.by_ref(), bar);
    bar.set_message("correlating alerts");
    let late = merge.late;
    let sources: Vec<FileSequence> = merge
        .into_sources()
        .into_iter()
        .map(|s| s.finish().context("an evidence reader thread failed"))
        .collect::<Result<_>>()?;
    let mut inputs = Vec::new();
    for s in &sources {
        for r in s.rejected_samples.iter() {
            eprintln!("breachscope: rejected: {r}");
        }
        for e in &s.errors {
            eprintln!("breachscope: warning: {e}");
        }
        for st in &s.stats {
            if let Some(f) = &st.failure {
                eprintln!(
                    "breachscope: warning: {}: reading stopped after line {}: {}",
                    st.path.display(),
                    f.after_line,
                    f.message
                );
            }
            inputs.push(r::Input {
                path: st.path.display().to_string(),
                kind: input_kind(st),
                sha256: Some(st.sha256.clone()),
                records: st.records,
                rejected: st.rejected,
            });
        }
    }
    Ok((inputs, late, conn_files))
}

/// Ingests the evidence given on the command line into the store (only what is new).
#[allow(clippy::too_many_arguments)]
fn ingest_new_evidence(
    store: &mut Store,
    office: &crate::office_zone::OfficeZone,
    args: &InvestigateArgs,
    zeek_files: &[PathBuf],
    samba_files: &[PathBuf],
    evtx_groups: &[Vec<PathBuf>],
    samba_config: &breachscope_ingest::samba::SambaConfig,
    evtx_config: &EvtxConfig,
) -> Result<()> {
    if zeek_files.is_empty() && samba_files.is_empty() && evtx_groups.is_empty() {
        return Ok(());
    }
    let sources = store_ingest::Sources {
        zeek: zeek_files.to_vec(),
        samba: samba_files.to_vec(),
        evtx: evtx_groups.iter().flatten().cloned().collect(),
    };
    let options = store_ingest::Options {
        samba: samba_config.clone(),
        evtx: evtx_config.clone(),
        settings: crate::ingest::store_settings(
            office,
            &args.samba_prefix,
            &args.share_roots,
            &args.internal,
        )?,
        batch_events: 1_000_000,
    };
    let summary = store_ingest::ingest(store, &sources, options, &mut |f| {
        crate::ingest::report_file(f)
    })?;
    eprintln!(
        "breachscope: {} new events ingested into {}",
        summary.events(),
        store.root().display()
    );
    Ok(())
}

/// The report's inputs: every file the store's catalog lists.
fn store_inputs(store: &Store) -> Result<Vec<r::Input>> {
    Ok(store
        .catalog()
        .inputs()?
        .into_iter()
        .map(|i| r::Input {
            path: i.path,
            kind: i.kind,
            sha256: Some(i.sha256),
            records: i.records,
            rejected: i.rejected,
        })
        .collect())
}

fn alert_v1(a: &Alert) -> r::Alert {
    r::Alert {
        id: a.id.clone(),
        detector: a.detector.to_owned(),
        time: format_rfc3339(a.time),
        severity: a.severity.as_str().to_owned(),
        score: (a.score * 1000.0).round() / 1000.0,
        entities: r::Entities {
            hosts: a.hosts.iter().map(ToString::to_string).collect(),
            accounts: a.accounts.clone(),
            external: a.external.iter().map(ToString::to_string).collect(),
            shares: a.shares.clone(),
        },
        summary: a.summary.clone(),
    }
}

fn incident_v1(i: &Incident) -> r::Incident {
    r::Incident {
        id: i.id.clone(),
        severity: i.severity.as_str().to_owned(),
        score: (i.score * 1000.0).round() / 1000.0,
        title: i.title.clone(),
        first_evidence: format_rfc3339(i.first_evidence),
        first_alert: format_rfc3339(i.first_alert),
        last_activity: format_rfc3339(i.last_activity),
        hosts: i
            .hosts
            .iter()
            .map(|(ip, names)| r::Host {
                ip: ip.to_string(),
                names: names.clone(),
            })
            .collect(),
        accounts: i.accounts.clone(),
        external_endpoints: i
            .external
            .iter()
            .map(|e| r::ExternalEndpoint {
                ip: e.ip.to_string(),
                bytes_out: e.bytes_out,
                bytes_in: e.bytes_in,
                connections: e.connections,
                first_seen: format_rfc3339(e.first_seen),
                last_seen: format_rfc3339(e.last_seen),
                roles: e.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            })
            .collect(),
        bytes_exfiltrated: i.bytes_exfiltrated,
        files: Vec::new(),
        personal_data: BTreeMap::new(),
        data_subjects_estimate: 0,
        alert_ids: i.alert_ids.clone(),
    }
}

/// Writes `report.json`, `report.html` and `findings.ocsf.jsonl` into `out`; returns the
/// report's path.
pub fn write_report(out: &Path, outcome: &Outcome) -> Result<PathBuf> {
    let report = &outcome.report;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("report.json");
    let json = serde_json::to_string_pretty(report).context("serialising report.json")?;
    std::fs::write(&path, json + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    let findings = out.join("findings.ocsf.jsonl");
    let file = std::fs::File::create(&findings)
        .with_context(|| format!("cannot write {}", findings.display()))?;
    let mut w = std::io::BufWriter::new(file);
    breachscope_report::findings::write_findings(&mut w, report)
        .and_then(|_| std::io::Write::flush(&mut w))
        .with_context(|| format!("writing {}", findings.display()))?;
    let html = out.join("report.html");
    std::fs::write(
        &html,
        breachscope_report::html::render(report, &outcome.timelines),
    )
    .with_context(|| format!("cannot write {}", html.display()))?;
    Ok(path)
}

/// Prints the top incidents.
pub fn print_incidents(incidents: &[Incident], limit: usize) {
    if incidents.is_empty() {
        println!("  no incidents");
    }
    for i in incidents.iter().take(limit) {
        println!(
            "  {} [{}] score {:.2}: {}\n      first evidence {}, first alert {} ({} later), last activity {}",
            i.id,
            i.severity.as_str(),
            i.score,
            i.title,
            format_rfc3339(i.first_evidence),
            format_rfc3339(i.first_alert),
            breachscope_detect::engine::format_duration(i.first_alert - i.first_evidence),
            format_rfc3339(i.last_activity)
        );
    }
}

/// Runs the command.
pub fn run(args: &InvestigateArgs) -> Result<ExitCode> {
    let outcome = investigate(args)?;
    let path = write_report(&args.out, &outcome)?;
    let rejected: u64 = outcome.report.inputs.iter().map(|i| i.rejected).sum();
    println!(
        "breachscope: {} events from {} files ({} rejected, {} late), {} alerts, {} incidents",
        outcome.detection.events,
        outcome.report.inputs.len(),
        rejected,
        outcome.detection.late_events,
        outcome.report.alerts.len(),
        outcome.incidents.len()
    );
    print_incidents(&outcome.incidents, 5);
    println!("  report: {}", path.display());
    Ok(ExitCode::SUCCESS)
}
