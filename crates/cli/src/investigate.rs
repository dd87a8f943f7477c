//! `breachscope investigate`: read the evidence, detect in event time, correlate, and write
//! `report.json` (alerts and incidents; files and personal data come with scoping).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use breachscope_detect::{DetectConfig, Incident};
use breachscope_ingest::evtx::{EvtxConfig, first_record};
use breachscope_ingest::network::NetworkConfig;
use breachscope_ingest::{Format, Kind, expand_paths, sniff_path};
use breachscope_model::time::format_rfc3339;
use breachscope_pipeline::investigate::Plan;
use breachscope_report::report_v1 as r;
use breachscope_store::Store;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::options::{EvidenceArgs, samba_config_in, windows_share_roots};

/// Arguments of `breachscope investigate`.
#[derive(Debug, Args)]
pub struct InvestigateArgs {
    /// The evidence and how to read it.
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// Detection settings, share copies, key and output.
    #[command(flatten)]
    pub report: ReportOptions,
    /// Also classify every file on the --share copies (not only the incidents' files), written
    /// to DIR/share-scan.json in `breachscope scan --json` form.
    #[arg(long)]
    pub scan_all: bool,
    /// The evidence store (see `breachscope ingest`): evidence given with --zeek,
    /// --samba-audit or --evtx is ingested into it first (only what is new), then detection and
    /// scoping read the lake instead of the raw logs.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

/// The options `investigate` and `report` share: how to detect, what to classify, where to
/// write.
#[derive(Debug, Clone, Args)]
pub struct ReportOptions {
    /// Detection settings (TOML); see docs/configuration.md.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// When the breach was detected (RFC 3339; default: now).
    #[arg(long, value_name = "TIME")]
    pub detected_at: Option<String>,
    /// A copy of a share, NAME=DIR (repeatable): the incidents' files on it are classified.
    #[arg(long = "share", value_name = "NAME=DIR")]
    pub shares: Vec<String>,
    /// Key of the keyed hashes (default ~/.config/breachscope/hash.key, created 0600).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Output directory (created): report.json, report.html, findings.ocsf.jsonl.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
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

pub use breachscope_pipeline::investigate::Outcome;

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
    let mut config = match &args.report.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            DetectConfig::from_toml(&text).with_context(|| format!("{}", path.display()))?
        }
        None => DetectConfig::default(),
    };
    if !args.evidence.internal.is_empty() {
        config.internal_networks = args.evidence.internal.clone();
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

/// The EVTX files among `paths` (others, such as notes beside the logs, are named and left),
/// grouped by the computer that wrote them, each group ordered by its first record's time.
pub(crate) fn evtx_groups(paths: Vec<PathBuf>) -> Result<Vec<Vec<PathBuf>>> {
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

/// Decides everything the investigation needs from the arguments: the evidence, the office
/// zone (saying on stderr which and why), the readers' settings, the share copies and their
/// classifier, the store.
fn plan(args: &InvestigateArgs) -> Result<(Plan, Option<Store>)> {
    if args.evidence.is_empty() && args.store.is_none() {
        bail!(
            "no evidence given: use --zeek PATH, --samba-audit PATH, --evtx PATH, --network PATH and/or --store DIR"
        );
    }
    let config = load_config(args)?;
    let detected_at = match &args.report.detected_at {
        Some(t) => t
            .parse::<jiff::Timestamp>()
            .with_context(|| format!("--detected-at '{t}' is not an RFC 3339 time"))?
            .as_microsecond(),
        None => jiff::Timestamp::now().as_microsecond(),
    };
    let shares = parse_shares(&args.report.shares)?;
    let zeek = crate::ingest::zeek_files(&args.evidence.zeek)?;
    let samba = expand_paths(&args.evidence.samba)?;
    let evtx_groups = evtx_groups(expand_paths(&args.evidence.evtx)?)?;
    let network = crate::options::network_files(&args.evidence.network)?;
    // Without evidence to ingest the store is only read: no lock, so a report can run beside
    // a writer (watch, ingest).
    let store = match &args.store {
        Some(dir) if args.evidence.is_empty() => Some(
            Store::open_read_only(dir)
                .with_context(|| format!("opening the store {}", dir.display()))?,
        ),
        Some(dir) => {
            Some(Store::open(dir).with_context(|| format!("opening the store {}", dir.display()))?)
        }
        None => None,
    };
    // The office zone before any reading: local-time logs are read in it.
    let flow_files = crate::options::zone_sampled_files(&zeek, &network);
    let office = match &store {
        Some(st) => {
            let name = st.catalog().setting("office_time_zone")?;
            let source = st
                .catalog()
                .setting("office_time_zone_source")?
                .and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok());
            crate::office_zone::resolve_for_store(
                args.evidence.log_tz.as_deref(),
                &config.time_zone,
                &samba,
                &flow_files,
                name.as_deref().zip(source),
            )?
        }
        None => crate::office_zone::resolve(
            args.evidence.log_tz.as_deref(),
            &config.time_zone,
            &samba,
            &flow_files,
        )?,
    };
    let classifier = if shares.is_empty() {
        None
    } else {
        Some(crate::scan::classifier(args.report.key.as_ref())?.0)
    };
    let plan = Plan {
        zeek,
        samba,
        evtx_groups,
        samba_config: samba_config_in(
            &args.evidence.samba_prefix,
            office.log_zone.clone(),
            &args.evidence.share_roots,
            None,
        )?,
        evtx_config: EvtxConfig {
            threads: 0,
            share_roots: windows_share_roots(&args.evidence.share_roots),
        },
        network,
        network_config: NetworkConfig {
            zone: office.log_zone.clone(),
            year: None,
        },
        settings: r::Settings {
            office_time_zone: office.name.clone(),
            office_time_zone_source: office.source,
            internal_networks: internal_networks(&config),
        },
        store_settings: crate::ingest::store_settings(
            &office,
            &args.evidence.samba_prefix,
            &args.evidence.share_roots,
            &args.evidence.internal,
        )?,
        zone: office.zone.clone(),
        config,
        shares,
        classifier,
        detected_at,
    };
    Ok((plan, store))
}

/// Runs the whole investigation (without writing anything but `--scan-all`'s file).
pub fn investigate(args: &InvestigateArgs) -> Result<Outcome> {
    let (plan, mut store) = plan(args)?;
    let bar = progress();
    let outcome = breachscope_pipeline::investigate::investigate(
        &plan,
        store.as_mut(),
        &mut |f| bar.suspend(|| crate::ingest::report_file(f)),
        &|message| bar.set_message(message),
    )?;
    for note in &outcome.notes {
        bar.suspend(|| eprintln!("breachscope: {note}"));
    }
    if args.scan_all
        && let Some(c) = &plan.classifier
    {
        bar.set_message("classifying every file on the shares (--scan-all)");
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let all: Vec<(PathBuf, Vec<breachscope_classify::walk::ScanEntry>)> = plan
            .shares
            .values()
            .map(|root| {
                let entries = breachscope_classify::walk::scan_tree(
                    c,
                    root,
                    threads,
                    1 << 30,
                    None,
                    &|_, _| {},
                )
                .0;
                (root.clone(), entries)
            })
            .collect();
        std::fs::create_dir_all(&args.report.out)
            .with_context(|| format!("cannot create {}", args.report.out.display()))?;
        crate::scan::write_json(&args.report.out.join("share-scan.json"), &all)?;
    }
    bar.finish_and_clear();
    Ok(outcome)
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
    let path = write_report(&args.report.out, &outcome)?;
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
