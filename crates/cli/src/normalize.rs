//! `breachscope normalize`: evidence in, OCSF JSON lines out.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use breachscope_ingest::evtx::{EvtxConfig, EvtxReader, ParseInOrder, ParsedFile};
use breachscope_ingest::network::{NetworkConfig, NetworkReader};
use breachscope_ingest::samba::SambaParser;
use breachscope_ingest::zeek::ZeekParser;
use breachscope_ingest::{
    FileReader, FileStats, Format, InputError, Kind, LineParser, expand_paths, open_reader,
    sniff_path,
};
use breachscope_model::InternalNetworks;
use breachscope_report::ocsf::{OcsfContext, write_event};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::options::{samba_config, windows_share_roots};

/// How many rejected records are printed per file before the rest are only counted.
const REJECTS_PRINTED_PER_FILE: u64 = 20;

/// Which reader to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Detect each file's format from its content.
    Auto,
    /// Zeek conn/dns logs (TSV or JSON).
    Zeek,
    /// Samba vfs_full_audit (syslog or smbd log) and auth JSON records.
    Samba,
    /// Windows event logs (.evtx): Security logons, share and file access, log clearing.
    Evtx,
    /// Packet captures (pcap, pcapng) into connections.
    Pcap,
    /// nfdump's NetFlow files (nfcapd.*).
    Nfcapd,
    /// Palo Alto PAN-OS traffic logs.
    Panos,
    /// FortiGate traffic logs.
    Fortigate,
    /// Cisco ASA connection messages.
    CiscoAsa,
    /// Squid native access.log.
    Squid,
}

/// Arguments of `breachscope normalize`.
#[derive(Debug, Args)]
pub struct NormalizeArgs {
    /// Evidence files or directories (searched recursively; gzip is read transparently).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The evidence format; `auto` detects it from each file's content.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    format: FormatArg,
    /// Samba `full_audit:prefix` used on the file server.
    #[arg(long, default_value = crate::options::DEFAULT_SAMBA_PREFIX)]
    samba_prefix: String,
    /// Time zone of sources that write local time (RFC 3164 syslog, smbd's log): an IANA name,
    /// UTC, an offset such as +09:00, or `local`.
    #[arg(long, default_value = "local")]
    log_tz: String,
    /// Year of the first line of RFC 3164 syslog files (default: inferred from the file's
    /// modification time and the month sequence).
    #[arg(long)]
    log_year: Option<i32>,
    /// Share root on the file server, NAME=/server/path (repeatable); overrides the root learned
    /// from the sessions in the log.
    #[arg(long = "share-root", value_name = "NAME=PATH")]
    share_roots: Vec<String>,
    /// Internal network in CIDR notation (repeatable; default: RFC 1918, ULA, loopback,
    /// link-local). Decides connection directions.
    #[arg(long = "internal", value_name = "CIDR")]
    internal: Vec<String>,
    /// Write a per-file summary (records, rejected, SHA-256) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
    /// Parse and normalise but write no events (validate evidence, measure speed).
    #[arg(long)]
    count_only: bool,
}

#[derive(Serialize)]
struct FileSummary {
    path: String,
    kind: &'static str,
    records: u64,
    rejected: u64,
    skipped: u64,
    lines: u64,
    invalid_utf8_lines: u64,
    bytes: u64,
    gzip: bool,
    sha256: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Records per event id (EVTX): every record read, mapped or not.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    event_ids: std::collections::BTreeMap<u32, u64>,
}

#[derive(Serialize, Default)]
struct Totals {
    files: u64,
    records: u64,
    rejected: u64,
    skipped: u64,
    unrecognised_files: u64,
}

#[derive(Serialize)]
struct Summary {
    files: Vec<FileSummary>,
    totals: Totals,
}

fn summary_of(stats: FileStats) -> FileSummary {
    FileSummary {
        path: stats.path.display().to_string(),
        kind: stats.kind,
        records: stats.records,
        rejected: stats.rejected,
        skipped: stats.skipped,
        lines: stats.lines,
        invalid_utf8_lines: stats.invalid_utf8_lines,
        bytes: stats.bytes,
        gzip: stats.gzip,
        sha256: stats.sha256,
        notes: stats.notes,
        event_ids: stats.event_ids,
        error: stats.failure.map(|f| {
            format!(
                "reading stopped after line {} ({} records): {}",
                f.after_line, f.after_records, f.message
            )
        }),
    }
}

fn unread_summary(path: &Path, kind: &'static str, message: String) -> FileSummary {
    FileSummary {
        path: path.display().to_string(),
        kind,
        records: 0,
        rejected: 0,
        skipped: 0,
        lines: 0,
        invalid_utf8_lines: 0,
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        gzip: false,
        sha256: String::new(),
        notes: Vec::new(),
        error: Some(message),
        event_ids: Default::default(),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// A progress bar over `files` files (drawn only on a terminal).
pub(crate) fn progress_bar(files: usize) -> ProgressBar {
    let bar = ProgressBar::new(files as u64);
    if io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} files {msg}",
        ) {
            bar.set_style(style);
        }
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

/// Runs the command.
pub fn run(args: &NormalizeArgs) -> Result<ExitCode> {
    let samba_config = samba_config(
        &args.samba_prefix,
        &args.log_tz,
        &args.share_roots,
        args.log_year,
    )?;
    let internal = InternalNetworks::parse(&args.internal).context("--internal")?;
    let files = expand_paths(&args.paths)?;
    if files.is_empty() {
        bail!("no files found under the given paths");
    }
    if let Some(summary) = &args.summary_json {
        // Fail before any work if the summary cannot be written.
        File::create(summary).with_context(|| format!("cannot write {}", summary.display()))?;
    }

    let mut zeek = ZeekParser::new();
    let mut evtx = EvtxReader::new(&EvtxConfig {
        threads: 0,
        share_roots: windows_share_roots(&args.share_roots),
    });
    let mut samba = SambaParser::new(samba_config);
    let network_config = NetworkConfig {
        zone: crate::options::parse_time_zone(&args.log_tz).context("--log-tz")?,
        year: args.log_year,
    };
    let mut network: std::collections::BTreeMap<Format, NetworkReader> = Default::default();
    let ctx = OcsfContext { internal };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let bar = progress_bar(files.len());
    let mut summaries = Vec::with_capacity(files.len());
    let mut totals = Totals::default();

    // Formats first, so that EVTX files can be parsed ahead on worker threads (their mapping
    // and output stay in file order).
    let formats: Vec<Result<Format, (&'static str, String)>> = files
        .iter()
        .map(|path| match args.format {
            FormatArg::Zeek => Ok(Format::Zeek),
            FormatArg::Samba => Ok(Format::Samba),
            FormatArg::Evtx => Ok(Format::Evtx),
            FormatArg::Pcap => Ok(Format::Pcap),
            FormatArg::Nfcapd => Ok(Format::Nfcapd),
            FormatArg::Panos => Ok(Format::PanOs),
            FormatArg::Fortigate => Ok(Format::FortiGate),
            FormatArg::CiscoAsa => Ok(Format::CiscoAsa),
            FormatArg::Squid => Ok(Format::Squid),
            FormatArg::Auto => match sniff_path(path) {
                Ok(Kind::Known(format)) => Ok(format),
                Ok(Kind::Empty) => Err(("empty", "empty file: nothing to read".to_string())),
                Ok(Kind::Unknown) => Err((
                    "unknown",
                    "format not recognised (not a Zeek, Samba audit, EVTX, capture, nfdump, firewall or proxy log): not read"
                        .to_string(),
                )),
                Err(e) => Err(("unreadable", e.to_string())),
            },
        })
        .collect();
    let evtx_paths: Vec<PathBuf> = files
        .iter()
        .zip(&formats)
        .filter(|(_, f)| matches!(f, Ok(Format::Evtx)))
        .map(|(p, _)| p.clone())
        .collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut evtx_parsed = if evtx_paths.is_empty() {
        None
    } else {
        Some(
            ParseInOrder::start(evtx_paths, evtx.parsing(), workers)
                .context("starting EVTX parser threads")?,
        )
    };

    for (path, format) in files.iter().zip(formats) {
        bar.set_message(path.display().to_string());
        let stats = match format {
            Ok(Format::Zeek) => read_file(path, &mut zeek, &ctx, args.count_only, &mut out, &bar),
            Ok(Format::Samba) => read_file(path, &mut samba, &ctx, args.count_only, &mut out, &bar),
            Ok(Format::Evtx) => match evtx_parsed.as_mut().and_then(Iterator::next) {
                Some(parsed) => read_evtx(parsed, &mut evtx, &ctx, args.count_only, &mut out, &bar),
                None => Err(anyhow::anyhow!(
                    "{}: an EVTX parser thread failed",
                    path.display()
                )),
            },
            Ok(format) => match network.entry(format) {
                std::collections::btree_map::Entry::Occupied(e) => Ok(e.into_mut()),
                std::collections::btree_map::Entry::Vacant(v) => {
                    NetworkReader::new(format, &network_config)
                        .map(|r| v.insert(r))
                        .ok_or_else(|| {
                            anyhow::anyhow!("{}: no reader for {}", path.display(), format.name())
                        })
                }
            }
            .and_then(|reader| match reader {
                NetworkReader::Lines(p) => {
                    read_file(path, p.as_mut(), &ctx, args.count_only, &mut out, &bar)
                }
                NetworkReader::Files(r) => {
                    read_whole(path, r.as_mut(), &ctx, args.count_only, &mut out, &bar)
                }
            }),
            Err((kind, message)) => {
                if kind != "empty" {
                    totals.unrecognised_files += 1;
                    bar.suspend(|| {
                        eprintln!("breachscope: warning: {}: {message}", path.display())
                    });
                }
                summaries.push(unread_summary(path, kind, message));
                bar.inc(1);
                continue;
            }
        };
        match stats {
            Ok(stats) => {
                totals.files += 1;
                totals.records += stats.records;
                totals.rejected += stats.rejected;
                totals.skipped += stats.skipped;
                summaries.push(summary_of(stats));
            }
            Err(e) if is_broken_pipe(&e) => return Ok(ExitCode::SUCCESS),
            Err(e) => {
                totals.unrecognised_files += 1;
                bar.suspend(|| eprintln!("breachscope: warning: {e:#}"));
                summaries.push(unread_summary(path, "unreadable", format!("{e:#}")));
            }
        }
        bar.inc(1);
    }
    if let Err(e) = out.flush() {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Ok(ExitCode::SUCCESS);
        }
        return Err(e).context("writing events to standard output");
    }
    bar.finish_and_clear();
    eprintln!(
        "breachscope: {} files read, {} records, {} rejected, {} other lines skipped, {} files not read",
        totals.files, totals.records, totals.rejected, totals.skipped, totals.unrecognised_files
    );
    if let Some(summary_path) = &args.summary_json {
        let summary = Summary {
            files: summaries,
            totals,
        };
        let file = File::create(summary_path)
            .with_context(|| format!("cannot write {}", summary_path.display()))?;
        serde_json::to_writer_pretty(BufWriter::new(file), &summary)
            .with_context(|| format!("writing {}", summary_path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a file's records go: events written as OCSF (unless only counted), the first
/// rejections printed; the first write error kept for the end of the file.
struct EventSink<'a, W: Write> {
    ctx: &'a OcsfContext,
    count_only: bool,
    out: &'a mut W,
    bar: &'a ProgressBar,
    printed: u64,
    write_error: Option<io::Error>,
}

impl<'a, W: Write> EventSink<'a, W> {
    fn new(ctx: &'a OcsfContext, count_only: bool, out: &'a mut W, bar: &'a ProgressBar) -> Self {
        EventSink {
            ctx,
            count_only,
            out,
            bar,
            printed: 0,
            write_error: None,
        }
    }

    fn take(&mut self, item: Result<breachscope_model::Event, breachscope_ingest::Rejected>) {
        match item {
            Ok(event) => {
                if !self.count_only
                    && self.write_error.is_none()
                    && let Err(e) = write_event(self.out, &event, self.ctx)
                {
                    self.write_error = Some(e);
                }
            }
            Err(rejected) => {
                if self.printed < REJECTS_PRINTED_PER_FILE {
                    self.bar
                        .suspend(|| eprintln!("breachscope: rejected: {rejected}"));
                }
                self.printed += 1;
            }
        }
    }

    /// The file's counts, once its events are out (or the write error that stopped them).
    fn finish(self, stats: FileStats) -> Result<FileStats> {
        if let Some(e) = self.write_error {
            return Err(e).context("writing events to standard output");
        }
        report_file_end(&stats, self.bar);
        Ok(stats)
    }
}

fn read_file<P: LineParser + ?Sized, W: Write>(
    path: &Path,
    parser: &mut P,
    ctx: &OcsfContext,
    count_only: bool,
    out: &mut W,
    bar: &ProgressBar,
) -> Result<FileStats> {
    let mut reader = open_reader(path, parser)?;
    let mut sink = EventSink::new(ctx, count_only, out, bar);
    for item in reader.by_ref() {
        sink.take(item);
        if sink.write_error.is_some() {
            break;
        }
    }
    let stats = reader.finish();
    sink.finish(stats)
}

/// Reads one file of a format read whole (captures, nfdump files), writing its events.
fn read_whole<W: Write>(
    path: &Path,
    reader: &mut dyn FileReader,
    ctx: &OcsfContext,
    count_only: bool,
    out: &mut W,
    bar: &ProgressBar,
) -> Result<FileStats> {
    let mut sink = EventSink::new(ctx, count_only, out, bar);
    let stats = reader.read_file(path, &mut |item| sink.take(item))?;
    sink.finish(stats)
}

/// Maps one parsed EVTX file, writing its events.
fn read_evtx<W: Write>(
    parsed: Result<ParsedFile, InputError>,
    reader: &mut EvtxReader,
    ctx: &OcsfContext,
    count_only: bool,
    out: &mut W,
    bar: &ProgressBar,
) -> Result<FileStats> {
    let mut sink = EventSink::new(ctx, count_only, out, bar);
    let stats = reader.map_parsed(parsed?, |item| sink.take(item));
    sink.finish(stats)
}

/// Tells the user what was not shown of a file's rejections, its notes and an early stop.
fn report_file_end(stats: &FileStats, bar: &ProgressBar) {
    bar.suspend(|| {
        if stats.rejected > REJECTS_PRINTED_PER_FILE {
            eprintln!(
                "breachscope: rejected: {}: {} more rejected records not shown",
                stats.path.display(),
                stats.rejected - REJECTS_PRINTED_PER_FILE
            );
        }
        for note in &stats.notes {
            eprintln!("breachscope: note: {}: {note}", stats.path.display());
        }
        if let Some(failure) = &stats.failure {
            eprintln!(
                "breachscope: warning: {}: reading stopped after line {} ({} records read): {}",
                stats.path.display(),
                failure.after_line,
                failure.after_records,
                failure.message
            );
        }
    });
}
