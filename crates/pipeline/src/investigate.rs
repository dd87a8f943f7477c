//! An investigation, stage by stage: evidence into the store (when there is one), events in
//! observable-time order (from the raw logs, merged, or from the lake), detection and
//! correlation, scoping (the files each incident read and the traffic to its endpoints),
//! classification of those files on the share copies, the notification assessment, and the
//! `report.json` it all makes. The command line decides the settings ([`Plan`]) and prints; the
//! stages here neither print nor write files.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::PathBuf;

use breachscope_classify::walk::{ScanEntry, scan_file};
use breachscope_classify::{Classifier, ValueHash};
use breachscope_detect::{Alert, DetectConfig, Detection, Engine, Incident, Severity, correlate};
use breachscope_ingest::evtx::{EvtxConfig, EvtxReader};
use breachscope_ingest::merge::{FileSequence, ThreadedSource, TimeOrderedMerge};
use breachscope_ingest::network::{NetworkConfig, NetworkReader};
use breachscope_ingest::samba::{SambaConfig, SambaParser};
use breachscope_ingest::sniff::{Format, zeek_log_path};
use breachscope_ingest::zeek::ZeekParser;
use breachscope_model::time::format_rfc3339;
use breachscope_model::{Event, Micros};
use breachscope_report::html::Timeline;
use breachscope_report::report_v1 as r;
use breachscope_scope::{Exposure, Scoper, Target};
use breachscope_store::Store;
use jiff::tz::TimeZone;

use crate::lake_events::{for_each_in_order, scope_parts};
use crate::store_ingest::{self, FileOutcome, PipelineError};

/// The Zeek logs that become file access and the accounts it is joined to.
const SMB_LOGS: [&str; 3] = ["ntlm", "smb_mapping", "smb_files"];

/// One sequence per network evidence format.
fn network_sequences(plan: &Plan) -> Vec<FileSequence> {
    plan.network
        .iter()
        .filter_map(|(format, paths)| {
            NetworkReader::new(*format, &plan.network_config).map(|r| r.sequence(paths.clone()))
        })
        .collect()
}

/// Reorder window of the merge: records up to an hour out of order are repaired.
const REORDER_WINDOW: Micros = 3_600_000_000;

/// Files larger than this on a share copy are reported, not classified.
const MAX_CLASSIFIED: u64 = 1 << 30;

/// What to investigate and how: everything the command line decided.
pub struct Plan {
    /// Zeek logs (expanded).
    pub zeek: Vec<PathBuf>,
    /// Samba audit logs (expanded).
    pub samba: Vec<PathBuf>,
    /// EVTX files, one group per computer, each in time order.
    pub evtx_groups: Vec<Vec<PathBuf>>,
    /// Network evidence besides Zeek (captures, nfdump files, firewall and proxy logs), by
    /// format, each list in time order.
    pub network: Vec<(Format, Vec<PathBuf>)>,
    /// How the network evidence is read.
    pub network_config: NetworkConfig,
    /// The Samba reader's settings.
    pub samba_config: SambaConfig,
    /// The EVTX reader's settings.
    pub evtx_config: EvtxConfig,
    /// Detection settings.
    pub config: DetectConfig,
    /// The office zone (office hours, days).
    pub zone: TimeZone,
    /// The assumptions, as report.json records them.
    pub settings: r::Settings,
    /// Settings recorded in the store with evidence ingested into it.
    pub store_settings: Vec<(String, String)>,
    /// Share copies by share name.
    pub shares: BTreeMap<String, PathBuf>,
    /// The classifier for the share copies (with `shares`).
    pub classifier: Option<Classifier>,
    /// When the breach was detected.
    pub detected_at: Micros,
}

/// What an investigation produced.
pub struct Outcome {
    /// The report.
    pub report: r::Report,
    /// The incidents.
    pub incidents: Vec<Incident>,
    /// Detection internals (alerts, look-back store).
    pub detection: Detection,
    /// Per incident: office-zone day → (bytes to its endpoints, file reads).
    pub timelines: Vec<Timeline>,
    /// Rejected records (samples) and reading problems, for the user.
    pub notes: Vec<String>,
}

/// What the detection stage read.
struct Detected {
    /// Events that arrived later than the merge's window (raw logs only).
    late: u64,
    inputs: Vec<r::Input>,
    /// The conn logs, for the timelines' pass (raw logs only).
    conn_files: Vec<PathBuf>,
    /// Zeek's SMB logs in the plan's read order, for the scoping pass (raw logs only).
    smb_files: Vec<PathBuf>,
    notes: Vec<String>,
}

/// An incident's files, its distinct personal data, and its people estimate.
struct ScopedIncident {
    files: Vec<r::IncidentFile>,
    personal: BTreeMap<String, u64>,
    subjects: u64,
    /// `None` when no file could be classified (no share copies).
    partners: Option<Vec<r::BusinessPartner>>,
    technology: Option<Vec<r::Technology>>,
}

/// Runs the investigation. With a store, the plan's evidence is ingested into it first (only
/// what is new; `on_file` hears of each file) and the events come from the lake; without, from
/// the logs. `progress` hears what stage is running.
pub fn investigate(
    plan: &Plan,
    store: Option<&mut Store>,
    on_file: &mut dyn FnMut(&FileOutcome),
    progress: &dyn Fn(String),
) -> Result<Outcome, PipelineError> {
    let store: Option<&Store> = match store {
        Some(st) => {
            ingest_plan(plan, st, on_file)?;
            Some(st)
        }
        None => None,
    };
    let mut engine = Engine::new(plan.config.clone(), plan.zone.clone())
        .map_err(|e| PipelineError::Config(e.to_string()))?;
    let detected = match store {
        Some(st) => detect_from_store(&mut engine, st, progress)?,
        None => detect_from_files(&mut engine, plan, progress)?,
    };
    let mut detection = engine.finish();
    detection.late_events += detected.late;
    progress("correlating alerts".into());
    let incidents = correlate(&detection.alerts, &detection.history);
    progress(format!("scoping {} incidents: files read", incidents.len()));
    let scoper = scope(
        plan,
        store,
        &incidents,
        &detected.conn_files,
        &detected.smb_files,
        progress,
    )?;
    progress("classifying the incidents' files".into());
    let scoped = classify_incident_files(plan, &scoper, incidents.len());
    let report = assemble_report(plan, detected.inputs, &detection, &incidents, scoped);
    let timelines = (0..incidents.len())
        .map(|i| scoper.timeline(i).cloned().unwrap_or_default())
        .collect();
    Ok(Outcome {
        report,
        incidents,
        detection,
        timelines,
        notes: detected.notes,
    })
}

/// Ingests the plan's evidence into the store (only what is new).
fn ingest_plan(
    plan: &Plan,
    store: &mut Store,
    on_file: &mut dyn FnMut(&FileOutcome),
) -> Result<(), PipelineError> {
    if plan.zeek.is_empty()
        && plan.samba.is_empty()
        && plan.evtx_groups.is_empty()
        && plan.network.is_empty()
    {
        return Ok(());
    }
    let sources = store_ingest::Sources {
        zeek: plan.zeek.clone(),
        samba: plan.samba.clone(),
        evtx: plan.evtx_groups.iter().flatten().cloned().collect(),
        network: plan
            .network
            .iter()
            .flat_map(|(format, paths)| paths.iter().map(|p| (p.clone(), *format)))
            .collect(),
    };
    let options = store_ingest::Options {
        samba: plan.samba_config.clone(),
        evtx: plan.evtx_config.clone(),
        network: plan.network_config.clone(),
        settings: plan.store_settings.clone(),
        batch_events: 1_000_000,
        compact: true,
    };
    store_ingest::ingest(store, &sources, options, on_file)?;
    Ok(())
}

/// Feeds one event to the detection engine; every 200,000 events, says how far it got.
fn analyse(engine: &mut Engine, seen: &mut u64, event: &Event, progress: &dyn Fn(String)) {
    engine.observe(event);
    *seen += 1;
    if seen.is_multiple_of(200_000) {
        progress(format!(
            "{seen} events analysed, evidence up to {}",
            format_rfc3339(event.observed_at())
        ));
    }
}

/// Detection over the lake, day by day in observable-time order; the inputs are the files the
/// catalog lists.
fn detect_from_store(
    engine: &mut Engine,
    store: &Store,
    progress: &dyn Fn(String),
) -> Result<Detected, PipelineError> {
    let mut seen = 0;
    for_each_in_order(store, |e| analyse(engine, &mut seen, e, progress))?;
    let inputs = store
        .catalog()
        .inputs()?
        .into_iter()
        .filter_map(|i| {
            Some(r::Input {
                kind: r::Input::contract_kind(&i.kind)?.to_owned(),
                path: i.path,
                sha256: Some(i.sha256),
                records: i.records,
                rejected: i.rejected,
            })
        })
        .collect();
    Ok(Detected {
        late: 0,
        inputs,
        conn_files: Vec::new(),
        smb_files: Vec::new(),
        notes: Vec::new(),
    })
}

/// Detection over the raw evidence files: one stream per Zeek log kind and one for Samba, one
/// per computer's EVTX logs, each read on its own thread and merged by observable time.
fn detect_from_files(
    engine: &mut Engine,
    plan: &Plan,
    progress: &dyn Fn(String),
) -> Result<Detected, PipelineError> {
    let mut notes = Vec::new();
    let mut by_kind: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for path in &plan.zeek {
        let kind = zeek_log_path(path)
            .map_err(|e| PipelineError::Input(format!("{}: {e}", path.display())))?
            .unwrap_or_else(|| "unknown".into());
        by_kind.entry(kind).or_default().push(path.clone());
    }
    let mut sources: Vec<FileSequence> = Vec::new();
    let conn_files: Vec<PathBuf> = by_kind.get("conn").cloned().unwrap_or_default();
    // The SMB logs go through one reader, which joins their records by connection.
    // In the plan's order (`zeek::read_order`), which the kinds' grouping does not keep.
    let smb_set: std::collections::HashSet<&PathBuf> = SMB_LOGS
        .iter()
        .filter_map(|kind| by_kind.get(*kind))
        .flatten()
        .collect();
    let smb_files: Vec<PathBuf> = plan
        .zeek
        .iter()
        .filter(|p| smb_set.contains(p))
        .cloned()
        .collect();
    if !smb_files.is_empty() {
        sources.push(FileSequence::new(
            smb_files.clone(),
            Box::new(ZeekParser::new()),
        ));
    }
    for (kind, paths) in by_kind {
        if kind == "conn" || kind == "dns" {
            sources.push(FileSequence::new(paths, Box::new(ZeekParser::new())));
        } else if SMB_LOGS.contains(&kind.as_str()) {
            // Read above.
        } else {
            notes.push(format!(
                "note: {} Zeek files of log '{kind}' are not used by detection",
                paths.len()
            ));
        }
    }
    if !plan.samba.is_empty() {
        sources.push(FileSequence::new(
            plan.samba.clone(),
            Box::new(SambaParser::new(plan.samba_config.clone())),
        ));
    }
    for paths in &plan.evtx_groups {
        sources.push(FileSequence::evtx(
            paths.clone(),
            EvtxReader::new(&plan.evtx_config),
        ));
    }
    sources.extend(network_sequences(plan));
    // Each source is decompressed and parsed on its own thread; detection runs on this one.
    let sources = sources
        .into_iter()
        .map(|s| ThreadedSource::spawn(s, 4096))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| PipelineError::Thread(format!("starting reader threads: {e}")))?;
    let mut merge = TimeOrderedMerge::new(sources, REORDER_WINDOW);
    let mut seen = 0;
    for event in merge.by_ref() {
        analyse(engine, &mut seen, &event, progress);
    }
    let late = merge.late;
    let mut inputs = Vec::new();
    for source in merge.into_sources() {
        let s = source
            .finish()
            .ok_or_else(|| PipelineError::Thread("an evidence reader thread failed".into()))?;
        notes.extend(s.rejected_samples.iter().map(|r| format!("rejected: {r}")));
        notes.extend(s.errors.iter().map(|e| format!("warning: {e}")));
        for st in &s.stats {
            if let Some(f) = &st.failure {
                notes.push(format!(
                    "warning: {}: reading stopped after line {}: {}",
                    st.path.display(),
                    f.after_line,
                    f.message
                ));
            }
            if let Some(kind) = r::Input::contract_kind(st.kind) {
                inputs.push(r::Input {
                    path: st.path.display().to_string(),
                    kind: kind.to_owned(),
                    sha256: Some(st.sha256.clone()),
                    records: st.records,
                    rejected: st.rejected,
                });
            }
        }
    }
    Ok(Detected {
        late,
        inputs,
        conn_files,
        smb_files,
        notes,
    })
}

/// The files each incident's accounts and hosts read in its window, and the daily traffic to
/// its endpoints: a second pass over the file access (audit logs, EVTX, or the lake's File
/// System Activity) and, when an incident has endpoints, over the flows.
fn scope(
    plan: &Plan,
    store: Option<&Store>,
    incidents: &[Incident],
    conn_files: &[PathBuf],
    smb_files: &[PathBuf],
    progress: &dyn Fn(String),
) -> Result<Scoper, PipelineError> {
    let targets: Vec<Target> = incidents
        .iter()
        .map(|i| Target {
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
    let new_scoper = || Scoper::new(targets.clone()).with_zone(plan.zone.clone());
    if incidents.is_empty() {
        return Ok(new_scoper());
    }
    let external: Vec<IpAddr> = targets
        .iter()
        .flat_map(|t| t.external.iter().copied())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if let Some(st) = store {
        let window = targets
            .iter()
            .fold((Micros::MAX, Micros::MIN), |(a, b), t| {
                (a.min(t.start), b.max(t.end))
            });
        return Ok(scope_parts(st, window, &external, new_scoper)?);
    }
    let mut scoper = new_scoper();
    let mut file_access = |e: &Event| {
        if let Event::FileAccess(a) = e {
            scoper.observe(a);
        }
    };
    if !plan.samba.is_empty() {
        let parser = SambaParser::new(plan.samba_config.clone());
        FileSequence::new(plan.samba.clone(), Box::new(parser)).for_each(|e| file_access(&e));
    }
    let evtx: Vec<PathBuf> = plan.evtx_groups.iter().flatten().cloned().collect();
    if !evtx.is_empty() {
        FileSequence::evtx(evtx, EvtxReader::new(&plan.evtx_config)).for_each(|e| file_access(&e));
    }
    if !smb_files.is_empty() {
        FileSequence::new(smb_files.to_vec(), Box::new(ZeekParser::new()))
            .for_each(|e| file_access(&e));
    }
    if !external.is_empty() {
        progress("scoping: daily traffic to the incidents' addresses".into());
        let conn = FileSequence::new(conn_files.to_vec(), Box::new(ZeekParser::new()));
        for sequence in std::iter::once(conn).chain(network_sequences(plan)) {
            sequence.for_each(|e| {
                if let Event::Flow(f) = &e {
                    scoper.observe_flow(f);
                }
            });
        }
    }
    Ok(scoper)
}

/// Classifies each incident's files on the share copies (each file once) and counts the
/// distinct personal data and people across an incident's files.
fn classify_incident_files(plan: &Plan, scoper: &Scoper, incidents: usize) -> Vec<ScopedIncident> {
    let mut classified: BTreeMap<(String, String), ScanEntry> = BTreeMap::new();
    let mut projects = breachscope_classify::projects::Projects::default();
    (0..incidents)
        .map(|n| {
            let mut files = Vec::new();
            let mut union: BTreeMap<String, BTreeSet<ValueHash>> = BTreeMap::new();
            let mut partners = Partners::default();
            let mut technology: BTreeMap<(String, String), r::Technology> = BTreeMap::new();
            let mut any_classified = false;
            for ((share, path), reads) in scoper.files(n).into_iter().flatten() {
                let entry = match (&plan.classifier, plan.shares.get(share)) {
                    (Some(c), Some(root)) => Some(
                        classified
                            .entry((share.clone(), path.clone()))
                            .or_insert_with(|| scan_file(c, root, &root.join(path), MAX_CLASSIFIED))
                            .clone(),
                    ),
                    _ => None,
                };
                let classification = entry.as_ref().and_then(|e| e.result.as_ref().ok());
                let read_ok = entry.as_ref().filter(|e| e.result.is_ok());
                if let Some(c) = classification {
                    any_classified = true;
                    for (k, set) in &c.hashes {
                        union
                            .entry(k.clone())
                            .or_default()
                            .extend(set.iter().copied());
                    }
                    partners.add(&c.partners);
                    let technical = c.labels.iter().any(|l| {
                        matches!(
                            l.as_str(),
                            "technical" | "export_controlled" | "infrastructure"
                        )
                    });
                    if technical {
                        let root = plan.shares.get(share).map(PathBuf::as_path);
                        let directory = projects.directory(root, path);
                        let t = technology
                            .entry((share.clone(), directory.clone()))
                            .or_insert_with(|| r::Technology {
                                share: share.clone(),
                                directory,
                                kinds: BTreeMap::new(),
                                files: 0,
                                bytes: 0,
                                markings: Vec::new(),
                            });
                        *t.kinds
                            .entry(c.kind.clone().unwrap_or_else(|| "other".into()))
                            .or_default() += 1;
                        t.files += 1;
                        t.bytes += read_ok.map_or(0, |e| e.size);
                        for m in &c.markings {
                            if !t.markings.contains(m) {
                                t.markings.push(m.clone());
                            }
                        }
                    }
                }
                files.push(r::IncidentFile {
                    share: share.clone(),
                    path: path.clone(),
                    first_access: format_rfc3339(reads.first),
                    last_access: format_rfc3339(reads.last),
                    reads: reads.reads,
                    size: read_ok.map(|e| e.size),
                    sha256: read_ok.map(|e| e.sha256.clone()),
                    classification: classification.map(|c| r::Classification {
                        categories: c.categories.clone(),
                        records_with_personal_data: c.records_with_personal_data,
                        labels: c.labels.clone(),
                        encoding: c.encoding.clone(),
                        format: c.format.clone(),
                        kind: c.kind.clone(),
                        language: c.language.clone(),
                        markings: c.markings.clone(),
                    }),
                });
            }
            let personal: BTreeMap<String, u64> = union
                .into_iter()
                .map(|(k, v)| (k, v.len() as u64))
                .collect();
            // People: the most numerous person-bound identifier across the files (an e-mail,
            // phone, My Number or card stands for one person; the same person in two files
            // counts once).
            let subjects = ["email", "phone", "my_number", "credit_card"]
                .iter()
                .map(|k| personal.get(*k).copied().unwrap_or(0))
                .max()
                .unwrap_or(0);
            ScopedIncident {
                files,
                personal,
                subjects,
                partners: any_classified.then(|| partners.into_list()),
                technology: any_classified.then(|| technology.into_values().collect()),
            }
        })
        .collect()
}

/// The business partners of an incident's files: per Corporate Number, the name (the first
/// file's that gives one), files and records.
#[derive(Default)]
struct Partners(BTreeMap<String, r::BusinessPartner>);

impl Partners {
    fn add(&mut self, found: &[breachscope_classify::partners::Partner]) {
        for p in found {
            let e =
                self.0
                    .entry(p.corporate_number.clone())
                    .or_insert_with(|| r::BusinessPartner {
                        corporate_number: p.corporate_number.clone(),
                        name: None,
                        files: 0,
                        records: 0,
                    });
            e.files += 1;
            e.records += p.records;
            if e.name.is_none() {
                e.name = p.name.clone();
            }
        }
    }

    /// Most files first, then by number.
    fn into_list(self) -> Vec<r::BusinessPartner> {
        let mut list: Vec<r::BusinessPartner> = self.0.into_values().collect();
        list.sort_by(|a, b| {
            b.files
                .cmp(&a.files)
                .then_with(|| a.corporate_number.cmp(&b.corporate_number))
        });
        list
    }
}

/// The report: inputs, time range, incidents with their files and personal data, alerts and
/// the notification assessment (over the high and critical incidents).
fn assemble_report(
    plan: &Plan,
    inputs: Vec<r::Input>,
    detection: &Detection,
    incidents: &[Incident],
    scoped: Vec<ScopedIncident>,
) -> r::Report {
    let exposures: Vec<Exposure> = incidents
        .iter()
        .zip(&scoped)
        .filter(|(i, _)| i.severity >= Severity::High)
        .map(|(_, s)| Exposure {
            personal_data: s.personal.clone(),
            data_subjects: s.subjects,
            malicious: true,
        })
        .collect();
    let notification = breachscope_scope::assess(&exposures, plan.detected_at);
    let (start, end) = detection
        .history
        .span
        .unwrap_or((plan.detected_at, plan.detected_at));
    r::Report {
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
            .map(|(i, s)| {
                let mut v = incident_v1(i);
                v.files = s.files;
                v.personal_data = s.personal;
                v.data_subjects_estimate = s.subjects;
                v.business_partners = s.partners;
                v.technology = s.technology;
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
            detected_at: format_rfc3339(plan.detected_at),
        },
        settings: Some(plan.settings.clone()),
    }
}

/// An alert as report-v1 writes it.
pub(crate) fn alert_v1(a: &Alert) -> r::Alert {
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

/// An incident as report-v1 writes it (files and personal data come from scoping).
pub(crate) fn incident_v1(i: &Incident) -> r::Incident {
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
        business_partners: None,
        technology: None,
        alert_ids: i.alert_ids.clone(),
    }
}
