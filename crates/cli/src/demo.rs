//! `breachscope demo`: generate (or reuse) a simulated company with an intrusion, run the
//! investigation stages that exist, and print a short summary.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use breachscope_ingest::samba::{SambaConfig, SambaParser};
use breachscope_ingest::zeek::ZeekParser;
use breachscope_ingest::{FileStats, LineParser, expand_paths, open_reader};
use breachscope_model::Event;
use breachscope_model::time::format_rfc3339;
use breachscope_simulate::{Progress, Scenario, Truth, generate};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::options::parse_time_zone;

/// Scenario presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// 21 people, three months (seconds to generate).
    Small,
    /// About 100 people, seven months, ~2 M conn rows and ~2 M audit lines.
    Full,
    /// The small company without an intrusion.
    Control,
}

/// Arguments of `breachscope demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the scenario is generated (reused when it already holds the same scenario).
    #[arg(long, default_value = "breachscope-demo")]
    dir: PathBuf,
    /// Seed of the simulation (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Scenario preset.
    #[arg(long, value_enum, default_value_t = Scale::Small)]
    scale: Scale,
    /// A scenario file (TOML) instead of a preset; see crates/simulate/scenarios/.
    #[arg(long, value_name = "FILE", conflicts_with = "scale")]
    scenario: Option<PathBuf>,
    /// Generate again even if the directory already holds this scenario.
    #[arg(long)]
    regenerate: bool,
}

fn bar(total: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

/// Loads the scenario the arguments name.
fn scenario(args: &DemoArgs) -> Result<Scenario> {
    let mut scenario = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Scenario::from_toml(&text).with_context(|| path.display().to_string())?
        }
        None => Scenario::preset(match args.scale {
            Scale::Small => "small",
            Scale::Full => "full",
            Scale::Control => "control",
        })?,
    };
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    Ok(scenario)
}

/// Generates the scenario into `dir` unless it is already there; returns the truth.
pub fn ensure_generated(
    dir: &Path,
    scenario: &Scenario,
    regenerate: bool,
) -> Result<(Truth, bool)> {
    let wanted = scenario.to_toml()?;
    let truth_path = dir.join("truth.json");
    if !regenerate {
        if let (Ok(existing), Ok(truth)) = (
            std::fs::read_to_string(dir.join("scenario.toml")),
            std::fs::read_to_string(&truth_path),
        ) {
            if existing == wanted {
                let truth: Truth = serde_json::from_str(&truth).context("truth.json")?;
                return Ok((truth, false));
            }
        }
    }
    if dir.exists() {
        let is_demo = truth_path.exists() || dir.join("scenario.toml").exists();
        let empty = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !is_demo && !empty {
            bail!(
                "{} exists and is not a breachscope demo directory; choose another --dir",
                dir.display()
            );
        }
        for sub in ["zeek", "samba", "shares"] {
            let p = dir.join(sub);
            if p.exists() {
                std::fs::remove_dir_all(&p).with_context(|| format!("removing {}", p.display()))?;
            }
        }
        let _ = std::fs::remove_file(&truth_path);
    }
    let progress = bar(
        1,
        "{spinner} generating {msg} [{elapsed_precise}] {bar:30} {pos}/{len}",
    );
    let truth = generate(scenario, dir, &mut |p: Progress<'_>| {
        progress.set_message(p.stage.to_owned());
        progress.set_length(p.total);
        progress.set_position(p.done);
    })?;
    progress.finish_and_clear();
    Ok((truth, true))
}

/// Counts read from the evidence.
#[derive(Default)]
struct Read {
    files: Vec<FileStats>,
    flows: u64,
    dns: u64,
    file_events: u64,
    auth: u64,
    first: Option<i64>,
    last: Option<i64>,
}

fn read_all<P: LineParser>(
    paths: &[PathBuf],
    parser: &mut P,
    read: &mut Read,
    bar: &ProgressBar,
) -> Result<()> {
    for path in paths {
        let mut reader = open_reader(path, parser)?;
        // Rejected records are counted in the reader's stats.
        for event in reader.by_ref().flatten() {
            match &event {
                Event::Flow(_) => read.flows += 1,
                Event::Dns(_) => read.dns += 1,
                Event::FileAccess(_) => read.file_events += 1,
                Event::Authentication(_) => read.auth += 1,
            }
            let t = event.time();
            read.first = Some(read.first.map_or(t, |f| f.min(t)));
            read.last = Some(read.last.map_or(t, |l| l.max(t)));
        }
        read.files.push(reader.finish());
        bar.inc(1);
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: &DemoArgs) -> Result<ExitCode> {
    let scenario = scenario(args)?;
    let started = Instant::now();
    let (truth, generated) = ensure_generated(&args.dir, &scenario, args.regenerate)?;
    let generation = started.elapsed();

    // Investigation: the stages that exist so far read every piece of evidence.
    let started = Instant::now();
    let zeek = expand_paths(&[args.dir.join(&truth.layout.zeek)])?;
    let samba = expand_paths(&[args.dir.join(&truth.layout.samba)])?;
    let progress = bar(
        (zeek.len() + samba.len()) as u64,
        "{spinner} reading evidence [{elapsed_precise}] {bar:30} {pos}/{len} files",
    );
    let mut read = Read::default();
    read_all(&zeek, &mut ZeekParser::new(), &mut read, &progress)?;
    let mut samba_parser = SambaParser::new(SambaConfig {
        log_tz: parse_time_zone(&truth.time_zone)?,
        ..SambaConfig::default()
    });
    read_all(&samba, &mut samba_parser, &mut read, &progress)?;
    progress.finish_and_clear();
    let reading = started.elapsed();
    let rejected: u64 = read.files.iter().map(|f| f.rejected).sum();
    let records: u64 = read.files.iter().map(|f| f.records).sum();

    println!(
        "breachscope demo — scenario '{}' (seed {}) in {}",
        truth.scenario,
        truth.seed,
        args.dir.display()
    );
    println!(
        "  evidence {}: {} conn + {} dns records in {} Zeek files, {} Samba audit records in {} daily files, {} files ({:.1} MB) on {} shares{}",
        if generated { "generated" } else { "reused" },
        truth.counts.conn_rows,
        truth.counts.dns_rows,
        zeek.len(),
        truth.counts.audit_lines,
        samba.len(),
        truth.counts.share_files,
        truth.counts.share_bytes as f64 / 1e6,
        truth.layout.share_roots.len(),
        if generated {
            format!(" ({:.1} s)", generation.as_secs_f64())
        } else {
            String::new()
        }
    );
    println!(
        "  read back: {records} records ({} flows, {} dns, {} file operations), {rejected} rejected, {} to {} ({:.1} s)",
        read.flows,
        read.dns,
        read.file_events,
        read.first.map(format_rfc3339).unwrap_or_default(),
        read.last.map(format_rfc3339).unwrap_or_default(),
        reading.as_secs_f64()
    );
    println!("  detection, scoping, classification and report.html arrive with the next stages;");
    println!(
        "  the answer key is {}",
        args.dir.join("truth.json").display()
    );
    if let Some(i) = &truth.intrusion {
        println!(
            "  (truth: {} / {} beaconing to {} since {}, {} files read, {:.1} MB sent to {})",
            i.host.name,
            i.account,
            i.c2,
            i.first_event,
            i.files.len(),
            i.bytes_exfiltrated as f64 / 1e6,
            i.exfiltration
        );
    }
    if rejected > 0 {
        eprintln!(
            "breachscope: warning: {rejected} records of the generated evidence were rejected"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
