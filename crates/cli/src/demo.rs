//! `breachscope demo`: generate (or reuse) a simulated company with an intrusion, run the
//! investigation stages that exist, and print a short summary.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use breachscope_detect::engine::format_duration;
use breachscope_model::time::format_rfc3339;
use breachscope_simulate::{Outputs, Progress, Scenario, Truth, generate_with};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::investigate::{InvestigateArgs, ReportOptions, investigate, write_report};
use crate::options::EvidenceArgs;

/// Scenario presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// 21 people, three months (seconds to generate).
    Small,
    /// About 100 people, seven months, ~2 M conn rows and ~2 M audit lines.
    Full,
    /// The small company without an intrusion.
    Control,
    /// About 120 people, five and a half months, with harder benign traffic (file-sync
    /// rollouts, an update burst, a moved backup job, late workers, a reorganisation) and a
    /// slower, noisier beacon.
    Hard,
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
    /// Also write the perimeter's sessions as a FortiGate traffic log (`DIR/firewall/`), the
    /// evidence of an organisation without Zeek.
    #[arg(long)]
    firewall_log: bool,
    /// Also write the file server's sessions as Zeek's SMB logs (`ntlm`, `smb_mapping`,
    /// `smb_files` in `DIR/zeek/`), the evidence of a file server that audits nothing.
    #[arg(long)]
    zeek_smb_log: bool,
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
            Scale::Hard => "hard",
        })?,
    };
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    Ok(scenario)
}

/// Whether the Zeek archive under `dir` holds SMB logs (a demo generated with them).
fn has_smb_logs(dir: &Path) -> bool {
    breachscope_ingest::expand_paths(&[dir.to_path_buf()]).is_ok_and(|files| {
        files.iter().any(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("smb_files."))
        })
    })
}

/// Generates the scenario into `dir` unless it is already there; returns the truth.
pub fn ensure_generated(
    dir: &Path,
    scenario: &Scenario,
    outputs: Outputs,
    regenerate: bool,
) -> Result<(Truth, bool)> {
    let wanted = scenario.to_toml()?;
    let truth_path = dir.join("truth.json");
    if !regenerate
        && let (Ok(existing), Ok(truth)) = (
            std::fs::read_to_string(dir.join("scenario.toml")),
            std::fs::read_to_string(&truth_path),
        )
        && existing == wanted
        && (!outputs.firewall || dir.join("firewall").is_dir())
        && (!outputs.zeek_smb || has_smb_logs(&dir.join("zeek")))
    {
        let truth: Truth = serde_json::from_str(&truth).context("truth.json")?;
        return Ok((truth, false));
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
        for sub in ["zeek", "samba", "shares", "firewall"] {
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
    let truth = generate_with(scenario, dir, outputs, &mut |p: Progress<'_>| {
        progress.set_message(p.stage.to_owned());
        progress.set_length(p.total);
        progress.set_position(p.done);
    })?;
    progress.finish_and_clear();
    Ok((truth, true))
}

/// Runs the command.
pub fn run(args: &DemoArgs) -> Result<ExitCode> {
    let scenario = scenario(args)?;
    let started = Instant::now();
    let (truth, generated) = ensure_generated(
        &args.dir,
        &scenario,
        Outputs {
            firewall: args.firewall_log,
            zeek_smb: args.zeek_smb_log,
        },
        args.regenerate,
    )?;
    let generation = started.elapsed();

    // Investigation over the generated evidence.
    let started = Instant::now();
    let out_dir = args.dir.join("out");
    let investigate_args = InvestigateArgs {
        evidence: EvidenceArgs {
            zeek: vec![args.dir.join(&truth.layout.zeek)],
            samba: vec![args.dir.join(&truth.layout.samba)],
            evtx: Vec::new(),
            network: Vec::new(),
            internal: truth.internal_networks.clone(),
            log_tz: Some(truth.time_zone.clone()),
            samba_prefix: crate::options::DEFAULT_SAMBA_PREFIX.into(),
            share_roots: Vec::new(),
        },
        report: ReportOptions {
            config: None,
            detected_at: None,
            shares: truth
                .layout
                .share_roots
                .keys()
                .map(|s| {
                    format!(
                        "{s}={}",
                        args.dir.join(&truth.layout.shares).join(s).display()
                    )
                })
                .collect(),
            key: None,
            out: out_dir.clone(),
        },
        scan_all: false,
        store: None,
    };
    let outcome = investigate(&investigate_args)?;
    let report_path = write_report(&out_dir, &outcome)?;
    let took = started.elapsed();
    let rejected: u64 = outcome.report.inputs.iter().map(|i| i.rejected).sum();

    println!(
        "breachscope demo — scenario '{}' (seed {}) in {}",
        truth.scenario,
        truth.seed,
        args.dir.display()
    );
    println!(
        "  evidence {}: {} conn + {} dns records, {} Samba audit records, {} files ({:.1} MB) on {} shares{}",
        if generated { "generated" } else { "reused" },
        truth.counts.conn_rows,
        truth.counts.dns_rows,
        truth.counts.audit_lines,
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
        "  investigated: {} events from {} files, {rejected} rejected, {} alerts, {} incidents ({:.1} s)",
        outcome.detection.events,
        outcome.report.inputs.len(),
        outcome.report.alerts.len(),
        outcome.incidents.len(),
        took.as_secs_f64()
    );
    match outcome.incidents.first() {
        Some(top) => {
            println!(
                "  top incident {} [{}]: {}",
                top.id,
                top.severity.as_str(),
                top.title
            );
            println!(
                "    first evidence {} — first alert {} ({} later) — last activity {} (dwell {})",
                format_rfc3339(top.first_evidence),
                format_rfc3339(top.first_alert),
                format_duration(top.first_alert - top.first_evidence),
                format_rfc3339(top.last_activity),
                format_duration(top.last_activity - top.first_evidence)
            );
            println!(
                "    bytes out to exfiltration endpoints: {}",
                breachscope_detect::human_bytes(top.bytes_exfiltrated as f64)
            );
            if let Some(r) = outcome.report.incidents.first() {
                let pd: Vec<String> = r
                    .personal_data
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect();
                println!(
                    "    files read: {}; personal data (distinct values): {}; people (estimate): {}",
                    r.files.len(),
                    if pd.is_empty() {
                        "none".into()
                    } else {
                        pd.join(", ")
                    },
                    r.data_subjects_estimate
                );
            }
            let n = &outcome.report.notification;
            println!(
                "    notification: APPI reportable {} ({}); GDPR Art. 33 {}",
                n.appi_reportable,
                n.appi_reasons.join("; "),
                n.gdpr_article_33
            );
        }
        None => println!("  no incidents"),
    }
    println!(
        "  report: {} (also report.html and findings.ocsf.jsonl beside it)",
        report_path.display()
    );
    match &truth.intrusion {
        Some(i) => println!(
            "  answer key ({}): {} / {} beaconing to {} from {}, {} files read, {} sent to {}",
            args.dir.join("truth.json").display(),
            i.host.name,
            i.account,
            i.c2,
            i.first_event,
            i.files.len(),
            breachscope_detect::human_bytes(i.bytes_exfiltrated as f64),
            i.exfiltration
        ),
        None => println!(
            "  answer key ({}): no intrusion in this scenario",
            args.dir.join("truth.json").display()
        ),
    }
    if rejected > 0 {
        eprintln!(
            "breachscope: warning: {rejected} records of the generated evidence were rejected"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
