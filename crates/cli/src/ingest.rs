//! `breachscope ingest`: evidence into the store's OCSF Parquet lake, reading only what is new
//! since the last run (see `breachscope_pipeline::store_ingest`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use breachscope_ingest::evtx::EvtxConfig;
use breachscope_ingest::expand_paths;
use breachscope_ingest::network::NetworkConfig;
use breachscope_model::InternalNetworks;
use breachscope_pipeline::store_ingest::{self, FileOutcome, Options, Sources, Status};
use breachscope_store::Store;
use clap::Args;
use serde::Serialize;

use crate::options::{EvidenceArgs, samba_config_in, windows_share_roots};

/// Arguments of `breachscope ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The store: DIR/lake (Parquet, one directory per OCSF class and day) and
    /// DIR/catalog.sqlite; created when absent.
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,
    /// The evidence and how to read it.
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// Write what was done, file by file, as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Serialize)]
struct FileJson<'a> {
    path: String,
    kind: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    known_as: Option<&'a str>,
    resumed_after: u64,
    events: u64,
    rejected: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    files: Vec<FileJson<'a>>,
    events: u64,
    per_class: &'a std::collections::BTreeMap<i32, u64>,
    parts: usize,
    compacted: usize,
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::New => "new",
        Status::Appended => "appended",
        Status::Unchanged => "unchanged",
        Status::Failed => "failed",
        Status::Changed => "changed",
    }
}

/// Runs the command.
pub fn run(args: &IngestArgs) -> Result<ExitCode> {
    if args.evidence.is_empty() {
        bail!(
            "no evidence given: use --zeek PATH, --samba-audit PATH, --evtx PATH and/or --network PATH"
        );
    }
    InternalNetworks::parse(&args.evidence.internal).context("--internal")?;
    let network = crate::options::network_files(&args.evidence.network)?;
    let sources = Sources {
        zeek: zeek_files(&args.evidence.zeek)?,
        samba: expand_paths(&args.evidence.samba)?,
        // Only the EVTX files (others beside them are named and left), each computer's in
        // time order.
        evtx: crate::investigate::evtx_groups(expand_paths(&args.evidence.evtx)?)?
            .into_iter()
            .flatten()
            .collect(),
        network: network
            .iter()
            .flat_map(|(format, paths)| paths.iter().map(move |p| (p.clone(), *format)))
            .collect(),
    };
    let office = crate::office_zone::resolve(
        args.evidence.log_tz.as_deref(),
        "",
        &sources.samba,
        &crate::options::zone_sampled_files(&sources.zeek, &network),
    )?;
    let samba = samba_config_in(
        &args.evidence.samba_prefix,
        office.log_zone.clone(),
        &args.evidence.share_roots,
        None,
    )?;
    let settings = store_settings(
        &office,
        &args.evidence.samba_prefix,
        &args.evidence.share_roots,
        &args.evidence.internal,
    )?;
    let mut store = Store::open(&args.store)
        .with_context(|| format!("opening the store {}", args.store.display()))?;
    let options = Options {
        samba,
        evtx: EvtxConfig {
            threads: 0,
            share_roots: windows_share_roots(&args.evidence.share_roots),
        },
        network: NetworkConfig {
            zone: office.log_zone.clone(),
            year: None,
        },
        settings,
        batch_events: 1_000_000,
        compact: true,
    };
    let files =
        sources.zeek.len() + sources.samba.len() + sources.evtx.len() + sources.network.len();
    let bar = crate::normalize::progress_bar(files);
    let mut on_file = |f: &FileOutcome| {
        bar.inc(1);
        bar.set_message(f.path.display().to_string());
        bar.suspend(|| report_file(f));
    };
    let summary = store_ingest::ingest(&mut store, &sources, options, &mut on_file)?;
    bar.finish_and_clear();
    let count = |s: Status| summary.files.iter().filter(|f| f.status == s).count();
    println!(
        "breachscope: {} events added to {} ({} files: {} new, {} appended, {} unchanged, {} changed while read (read again next run), {} failed); {} parts written, {} after compaction",
        summary.events(),
        store.root().display(),
        summary.files.len(),
        count(Status::New),
        count(Status::Appended),
        count(Status::Unchanged),
        count(Status::Changed),
        count(Status::Failed),
        summary.parts,
        summary.compacted
    );
    for (class, n) in &summary.per_class {
        println!("  class_uid {class}: {n} events");
    }
    if let Some(path) = &args.json {
        let json = SummaryJson {
            files: summary
                .files
                .iter()
                .map(|f| FileJson {
                    path: f.path.display().to_string(),
                    kind: &f.kind,
                    status: status_name(f.status),
                    known_as: f.known_as.as_deref(),
                    resumed_after: f.resumed_after,
                    events: f.events,
                    rejected: f.rejected,
                    error: f.error.as_deref(),
                })
                .collect(),
            events: summary.events(),
            per_class: &summary.per_class,
            parts: summary.parts,
            compacted: summary.compacted,
        };
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        serde_json::to_writer_pretty(std::io::BufWriter::new(file), &json)?;
    }
    Ok(if count(Status::Failed) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The settings a store records with the evidence ingested into it.
pub fn store_settings(
    office: &crate::office_zone::OfficeZone,
    samba_prefix: &str,
    share_roots: &[String],
    internal: &[String],
) -> Result<Vec<(String, String)>> {
    Ok(vec![
        ("office_time_zone".to_owned(), office.name.clone()),
        (
            "office_time_zone_source".to_owned(),
            office.source.as_str().to_owned(),
        ),
        ("samba_prefix".to_owned(), samba_prefix.to_owned()),
        (
            "share_roots".to_owned(),
            serde_json::to_string(share_roots)?,
        ),
        ("internal".to_owned(), serde_json::to_string(internal)?),
    ])
}

/// Says on stderr what happened to a file when it is worth saying.
pub fn report_file(f: &FileOutcome) {
    let path = f.path.display();
    if let Some(e) = &f.error {
        eprintln!("breachscope: {path}: {e}");
    }
    if let Some(old) = &f.known_as {
        eprintln!(
            "breachscope: {path}: the content read before as {old} ({} lines or records already in the store)",
            f.resumed_after
        );
    }
    for r in &f.rejections {
        eprintln!("breachscope: rejected: {r}");
    }
    if f.rejected > f.rejections.len() as u64 {
        eprintln!(
            "breachscope: {path}: {} more rejected records not shown",
            f.rejected - f.rejections.len() as u64
        );
    }
}

/// The Zeek logs under `paths`, in the order one reader needs them
/// ([`breachscope_ingest::zeek::read_order`]).
pub(crate) fn zeek_files(paths: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>> {
    let mut files = expand_paths(paths)?;
    breachscope_ingest::zeek::read_order(&mut files);
    Ok(files)
}
