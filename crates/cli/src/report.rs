//! `breachscope report --store DIR`: the report of the incidents so far, detected and scoped
//! from the lake — at any time, also while `watch` or `ingest` writes to the store (the store
//! is opened read-only and the catalog read as committed).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::investigate::{InvestigateArgs, ReportOptions};
use crate::options::EvidenceArgs;

/// Arguments of `breachscope report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The evidence store (`breachscope ingest`, `breachscope watch`).
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,
    /// Internal network in CIDR notation (repeatable; overrides the config file's list).
    #[arg(long = "internal", value_name = "CIDR")]
    pub internal: Vec<String>,
    /// Detection settings, share copies, key and output, as for `investigate`.
    #[command(flatten)]
    pub report: ReportOptions,
}

/// Attempts when a writer compacts the lake under the reader (a part listed by the catalog
/// is replaced and deleted while it is read): the investigation starts again from the catalog.
const ATTEMPTS: usize = 3;

/// Whether an error is a lake part that vanished while it was read.
fn part_vanished(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
    })
}

/// Runs the command.
pub fn run(args: &ReportArgs) -> Result<ExitCode> {
    let mut report = args.report.clone();
    if report.shares.is_empty() {
        // The share copies `watch --share` recorded in the store.
        let store = breachscope_store::Store::open_read_only(&args.store)
            .with_context(|| format!("opening the store {}", args.store.display()))?;
        if let Some(text) = store.catalog().setting("shares")? {
            report.shares = serde_json::from_str(&text)
                .with_context(|| format!("the store's recorded shares: {text}"))?;
            eprintln!(
                "breachscope: share copies as recorded in the store: {}",
                report.shares.join(", ")
            );
        }
    }
    let investigate = InvestigateArgs {
        evidence: EvidenceArgs::none(args.internal.clone()),
        report,
        scan_all: false,
        store: Some(args.store.clone()),
    };
    let mut attempt = 1;
    loop {
        match crate::investigate::run(&investigate) {
            Err(e) if attempt < ATTEMPTS && part_vanished(&e) => {
                eprintln!(
                    "breachscope: note: the lake changed while it was read ({e:#}); reading it again"
                );
                attempt += 1;
            }
            result => return result,
        }
    }
}
