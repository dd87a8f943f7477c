//! `breachscope scan`: classify every file of share copies (personal data, secrets, business
//! identifiers), with distinct counts by keyed hash and masked samples only.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use breachscope_classify::cache::Cache;
use breachscope_classify::extract::Limits;
use breachscope_classify::walk::{ScanEntry, scan_tree};
use breachscope_classify::{Classifier, ValueHash, key, sort_distinct};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

/// Arguments of `breachscope scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Directories (share copies) and files to scan.
    #[arg(required = true, value_name = "PATHS")]
    pub dirs: Vec<PathBuf>,
    /// Write per-file results and totals as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Key of the keyed hashes (created with mode 0600 when absent; default
    /// ~/.config/breachscope/hash.key).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Classification cache (default beside the key); a rescan reads only changed files.
    #[arg(long, value_name = "FILE")]
    pub cache: Option<PathBuf>,
    /// Do not read or write the cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Files classified at once (default: the number of cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Files larger than this are reported and not scanned.
    #[arg(long, default_value_t = 1 << 30)]
    pub max_file_size: u64,
}

/// A file's classification as report-v1 writes it.
#[derive(Serialize)]
struct ClassificationV1<'a> {
    categories: &'a BTreeMap<String, u64>,
    records_with_personal_data: u64,
    labels: &'a [String],
    encoding: &'a str,
    format: &'a str,
}

#[derive(Serialize)]
struct FileOut<'a> {
    path: String,
    size: u64,
    sha256: &'a str,
    classification: Option<ClassificationV1<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    samples: Option<&'a BTreeMap<String, Vec<String>>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
}

#[derive(Serialize)]
struct ScanOut<'a> {
    files: Vec<FileOut<'a>>,
    totals: &'a BTreeMap<String, u64>,
}

/// Loads the key and the classifier.
pub fn classifier(key_path: Option<&PathBuf>) -> Result<(Classifier, PathBuf)> {
    let path = match key_path {
        Some(p) => p.clone(),
        None => {
            key::default_path().context("no home directory for the hash key: give --key FILE")?
        }
    };
    let key = key::load_or_create(&path).with_context(|| format!("hash key {}", path.display()))?;
    let classifier = Classifier::new(key, Limits::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((classifier, path))
}

/// Writes per-file results and totals (distinct values over all files) as JSON.
pub fn write_json(path: &std::path::Path, all: &[(PathBuf, Vec<ScanEntry>)]) -> Result<()> {
    write_json_with_totals(path, all, &distinct_totals(all))
}

/// Distinct values per category over every classified file (values seen in several files count
/// once).
fn distinct_totals(all: &[(PathBuf, Vec<ScanEntry>)]) -> BTreeMap<String, u64> {
    // Every file's hashes gathered per category, then sorted once: cheaper than inserting
    // millions of values into a tree one by one.
    let classified = || {
        all.iter()
            .flat_map(|(_, entries)| entries)
            .filter_map(|e| e.result.as_ref().ok())
    };
    // Sized first, so that each category's list is allocated once.
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for c in classified() {
        for (k, set) in &c.hashes {
            *sizes.entry(k.as_str()).or_default() += set.len();
        }
    }
    let mut totals: BTreeMap<&str, Vec<ValueHash>> = sizes
        .into_iter()
        .map(|(k, n)| (k, Vec::with_capacity(n)))
        .collect();
    for c in classified() {
        for (k, set) in &c.hashes {
            if let Some(v) = totals.get_mut(k.as_str()) {
                v.extend_from_slice(set);
            }
        }
    }
    totals
        .into_iter()
        .map(|(k, mut v)| {
            sort_distinct(&mut v);
            (k.to_owned(), v.len() as u64)
        })
        .collect()
}

/// [`write_json`] with totals already counted by [`distinct_totals`].
fn write_json_with_totals(
    path: &std::path::Path,
    all: &[(PathBuf, Vec<ScanEntry>)],
    totals: &BTreeMap<String, u64>,
) -> Result<()> {
    let mut files = Vec::new();
    let multi = all.len() > 1;
    for (dir, entries) in all {
        for e in entries {
            let path = if dir.is_file() {
                dir.display().to_string()
            } else if multi {
                format!("{}/{}", dir.display(), e.path)
            } else {
                e.path.clone()
            };
            match &e.result {
                Ok(c) => {
                    files.push(FileOut {
                        path,
                        size: e.size,
                        sha256: &e.sha256,
                        classification: Some(ClassificationV1 {
                            categories: &c.categories,
                            records_with_personal_data: c.records_with_personal_data,
                            labels: &c.labels,
                            encoding: &c.encoding,
                            format: &c.format,
                        }),
                        error: None,
                        samples: Some(&c.samples),
                        warnings: &c.warnings,
                    });
                }
                Err(reason) => files.push(FileOut {
                    path,
                    size: e.size,
                    sha256: &e.sha256,
                    classification: None,
                    error: Some(reason),
                    samples: None,
                    warnings: &[],
                }),
            }
        }
    }
    let out = ScanOut { files, totals };
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    serde_json::to_writer_pretty(std::io::BufWriter::new(f), &out)
        .with_context(|| format!("writing {}", path.display()))
}

/// Runs the command.
pub fn run(args: &ScanArgs) -> Result<ExitCode> {
    for dir in &args.dirs {
        if !dir.is_dir() && !dir.is_file() {
            bail!(
                "{} is neither a directory nor a file (or cannot be read)",
                dir.display()
            );
        }
    }
    let (classifier, key_path) = classifier(args.key.as_ref())?;
    let mut cache = if args.no_cache {
        Cache::default()
    } else {
        let path = args
            .cache
            .clone()
            .unwrap_or_else(|| key_path.with_file_name("scan-cache.jsonl"));
        Cache::open(&path)
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let bar = ProgressBar::new(0);
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {pos} files {msg}")
        {
            bar.set_style(style);
        }
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let started = std::time::Instant::now();
    let mut all: Vec<(PathBuf, Vec<ScanEntry>)> = Vec::new();
    let mut cached_total = 0;
    for dir in &args.dirs {
        let progress = |files: u64, bytes: u64| {
            bar.set_position(files);
            let secs = started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{:.1} MB, {:.1} MB/s",
                bytes as f64 / 1e6,
                bytes as f64 / 1e6 / secs
            ));
        };
        let (entries, skipped, cached) = scan_tree(
            &classifier,
            dir,
            threads,
            args.max_file_size,
            (!args.no_cache).then_some(&mut cache),
            &progress,
        );
        cached_total += cached;
        for (path, reason) in skipped {
            bar.suspend(|| eprintln!("breachscope: skipped: {}: {reason}", path.display()));
        }
        all.push((dir.clone(), entries));
    }
    bar.finish_and_clear();
    if !args.no_cache
        && let Err(e) = cache.save()
    {
        eprintln!("breachscope: warning: the classification cache could not be saved: {e}");
    }
    let (mut scanned, mut bytes, mut errors, mut with_personal) = (0u64, 0u64, 0u64, 0u64);
    // What else the files hold: content labels and kinds (files), partners (distinct).
    let mut labels: BTreeMap<&str, u64> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    let mut partners: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for (_, entries) in &all {
        for e in entries {
            scanned += 1;
            bytes += e.size;
            match &e.result {
                Ok(c) => {
                    if c.labels.iter().any(|l| l == "personal_data") {
                        with_personal += 1;
                    }
                    for l in &c.labels {
                        if matches!(
                            l.as_str(),
                            "technical" | "confidential" | "export_controlled" | "infrastructure"
                        ) {
                            *labels.entry(l).or_default() += 1;
                        }
                    }
                    if let Some(k) = &c.kind {
                        *kinds.entry(k).or_default() += 1;
                    }
                    partners.extend(c.partners.iter().map(|p| p.corporate_number.as_str()));
                }
                Err(reason) => {
                    errors += 1;
                    eprintln!("breachscope: not scanned: {}: {reason}", e.path);
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "breachscope: {scanned} files ({:.1} MB) in {secs:.1} s, {cached_total} from the cache, {errors} not scanned, {with_personal} with personal data",
        bytes as f64 / 1e6
    );
    let totals = distinct_totals(&all);
    for (k, v) in &totals {
        println!("  {k:18} {v:>10} distinct");
    }
    if !kinds.is_empty() {
        let list = |m: &BTreeMap<&str, u64>| {
            m.iter()
                .map(|(k, n)| format!("{} {n}", k.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!("  files by kind: {}", list(&kinds));
        if !labels.is_empty() {
            println!("  files labelled: {}", list(&labels));
        }
        if !partners.is_empty() {
            println!(
                "  business partners (distinct Corporate Numbers): {}",
                partners.len()
            );
        }
    }
    if let Some(path) = &args.json {
        write_json_with_totals(path, &all, &totals)?;
    }
    Ok(ExitCode::SUCCESS)
}
