//! `breachscope`: breach scoping from evidence.
//!
//! A thin command-line layer over the library crates: it parses arguments, wires readers to
//! writers and reports progress and problems. See `breachscope --help`.

mod demo;
mod ingest;
mod investigate;
mod normalize;
mod office_zone;
mod options;
mod report;
mod scan;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: the readers hand many small allocations from
/// parser threads to the consuming thread, where glibc's allocator spends much of its time.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Answers, from evidence, the questions every breached organisation faces: is someone inside and
/// since when, what did they read, whose personal data was in it, where did it go.
#[derive(Debug, Parser)]
#[command(name = "breachscope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a simulated company with an intrusion (or reuse it) and investigate it.
    Demo(demo::DemoArgs),
    /// Normalise evidence into the store's OCSF Parquet lake, reading only what is new.
    Ingest(ingest::IngestArgs),
    /// Read the evidence, detect, correlate into incidents and write report.json.
    Investigate(investigate::InvestigateArgs),
    /// Read evidence (Zeek conn/dns logs, Samba audit logs) and write it as OCSF JSON lines.
    Normalize(normalize::NormalizeArgs),
    /// Write the report of the incidents so far from an evidence store (also while it is
    /// being written).
    Report(report::ReportArgs),
    /// Classify the files of share copies: personal data, secrets, business identifiers.
    Scan(scan::ScanArgs),
    /// Watch live evidence (Zeek, Samba audit, EVTX, NetFlow/IPFIX, syslog) into the store,
    /// detect continuously, and push incidents to people once.
    Watch(watch::WatchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Ingest(args) => ingest::run(&args),
        Command::Investigate(args) => investigate::run(&args),
        Command::Normalize(args) => normalize::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::Watch(args) => watch::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("breachscope: error: {error:#}");
            ExitCode::from(2)
        }
    }
}
