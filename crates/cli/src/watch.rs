//! `breachscope watch`: continuous detection on live evidence (see
//! `breachscope_pipeline::watch`), with every option also settable in the config file's
//! `[watch]` table.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use breachscope_detect::DetectConfig;
use breachscope_ingest::evtx::EvtxConfig;
use breachscope_ingest::network::NetworkConfig;
use breachscope_ingest::syslog_listen::ListenSpec;
use breachscope_model::InternalNetworks;
use breachscope_pipeline::store_ingest::Options;
use breachscope_pipeline::watch::notify::parse_severity;
use breachscope_pipeline::watch::{SinkSettings, WatchEvent, WatchOptions, WatchSources, watch};
use breachscope_store::Store;
use clap::Args;
use serde::Deserialize;

use crate::options::{DEFAULT_SAMBA_PREFIX, samba_config_in, windows_share_roots};

/// Arguments of `breachscope watch`. Each can also be set in the config file's `[watch]`
/// table under its name with `_` for `-` (`zeek_dir = ["/opt/zeek/spool/current"]`); a flag
/// given on the command line wins (a list flag replaces the file's list).
///
/// The same struct reads the `[watch]` table (serde), so a flag and its key cannot drift apart.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchArgs {
    /// The evidence store (created when absent): every event goes into its lake as it arrives.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// A Zeek log directory: a zeekctl spool's `current/` and its archive (repeatable); the
    /// `conn.*`, `dns.*`, `smb_files.*`, `smb_mapping.*` and `ntlm.*` files under it are read as
    /// they grow, rotate and appear.
    #[arg(long = "zeek-dir", value_name = "DIR")]
    pub zeek_dir: Vec<PathBuf>,
    /// A Samba vfs_full_audit log file (with its rotated siblings FILE.1, FILE-DATE, FILE.1.gz)
    /// or a directory of them (repeatable); rotation by rename and by copytruncate is followed.
    #[arg(long = "samba-audit", value_name = "FILE")]
    pub samba_audit: Vec<PathBuf>,
    /// A directory of exported or forwarded `.evtx` files (repeatable): new and grown files.
    #[arg(long = "evtx-dir", value_name = "DIR")]
    pub evtx_dir: Vec<PathBuf>,
    /// Network evidence besides Zeek, a file or directory (repeatable), each file's format told
    /// by its content: PAN-OS, FortiGate, Cisco ASA and Squid logs are read as they grow;
    /// packet captures and nfdump files once they have not changed for 10 s.
    #[arg(long = "network", value_name = "PATH")]
    pub network: Vec<PathBuf>,
    /// A NetFlow v5/v9/IPFIX collector, HOST:PORT over UDP (repeatable).
    #[arg(long = "netflow-listen", value_name = "HOST:PORT")]
    pub netflow_listen: Vec<String>,
    /// A syslog receiver for Samba full_audit, udp://HOST:PORT or tcp://HOST:PORT (repeatable).
    #[arg(long = "syslog-listen", value_name = "URL")]
    pub syslog_listen: Vec<String>,
    /// A copy of a share, NAME=DIR (repeatable): recorded in the store, so that `report
    /// --store` classifies the incidents' files on it without being told again.
    #[arg(long = "share", value_name = "NAME=DIR")]
    pub share: Vec<String>,
    /// The alerts file: one JSON line per alert and per incident change (docs/spec/alerts-v1.md).
    #[arg(long, value_name = "FILE.jsonl")]
    pub alerts: Option<PathBuf>,
    /// Webhook: incidents at or above --notify-severity are POSTed as JSON (retried with
    /// backoff; a dead endpoint never stalls ingest).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Syslog RFC 5424 receiver for incidents at or above --notify-severity, udp://HOST:PORT.
    #[arg(long = "syslog-out", value_name = "URL")]
    pub syslog_out: Option<String>,
    /// Lowest incident severity pushed to the webhook and syslog (low, medium, high,
    /// critical); lower ones go to the store and the alerts file only. Default: high.
    #[arg(long = "notify-severity", value_name = "SEVERITY")]
    pub notify_severity: Option<String>,
    /// Detection settings (TOML, docs/configuration.md), with an optional `[watch]` table for
    /// these options.
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Internal network in CIDR notation (repeatable; overrides the config file's list).
    #[arg(long = "internal", value_name = "CIDR")]
    pub internal: Vec<String>,
    /// Zone of local-time logs and of office hours (as for `investigate`).
    #[arg(long = "log-tz", value_name = "ZONE")]
    pub log_tz: Option<String>,
    /// Samba `full_audit:prefix` (default `%u|%I|%m|%S`).
    #[arg(long = "samba-prefix", value_name = "PREFIX")]
    pub samba_prefix: Option<String>,
    /// Share root on the file server, NAME=/server/path (repeatable).
    #[arg(long = "share-root", value_name = "NAME=PATH")]
    pub share_root: Vec<String>,
    /// Seconds between cycles (default 2).
    #[arg(long, value_name = "SECONDS")]
    pub interval: Option<f64>,
    /// Seconds after which a silent source no longer holds event time back (default 30).
    #[arg(long = "idle-timeout", value_name = "SECONDS")]
    pub idle_timeout: Option<f64>,
    /// Seconds between compactions of the lake (default 600).
    #[arg(long = "compact-interval", value_name = "SECONDS")]
    pub compact_interval: Option<f64>,
    /// A JSON status file rewritten after every cycle (counts, watermark, idle sources).
    #[arg(long, value_name = "FILE")]
    pub status: Option<PathBuf>,
    /// Catch up, notify, and stop (a run from cron).
    #[arg(long)]
    pub once: bool,
}

/// How often a running watch says how far it got.
const HEARTBEAT: Duration = Duration::from_secs(600);

/// Splits the config file into the detection settings and the `[watch]` table.
fn load(path: Option<&PathBuf>) -> Result<(DetectConfig, WatchArgs)> {
    let Some(path) = path else {
        return Ok((DetectConfig::default(), WatchArgs::default()));
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
    let watch: WatchArgs = match table.remove("watch") {
        Some(v) => v
            .try_into()
            .with_context(|| format!("{}: [watch]", path.display()))?,
        None => WatchArgs::default(),
    };
    let rest = toml::to_string(&table)?;
    let config = DetectConfig::from_toml(&rest).with_context(|| format!("{}", path.display()))?;
    Ok((config, watch))
}

fn list<T: Clone>(flag: &[T], file: &[T]) -> Vec<T> {
    if flag.is_empty() {
        file.to_vec()
    } else {
        flag.to_vec()
    }
}

fn seconds(value: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("--{what} {value} must be a positive number of seconds"))
}

fn udp_url(text: &str) -> Result<SocketAddr> {
    let rest = text.strip_prefix("udp://").unwrap_or(text);
    rest.parse()
        .with_context(|| format!("--syslog-out '{text}' must be udp://HOST:PORT"))
}

/// Runs the command.
pub fn run(args: &WatchArgs) -> Result<ExitCode> {
    let (mut config, file) = load(args.config.as_ref())?;
    let Some(store_dir) = args.store.clone().or(file.store.clone()) else {
        bail!("no store given: use --store DIR (or store = \"DIR\" in the [watch] table)");
    };
    let internal = list(&args.internal, &file.internal);
    if !internal.is_empty() {
        config.internal_networks = internal.clone();
    }
    InternalNetworks::parse(&config.internal_networks).context("--internal")?;
    let sources = WatchSources {
        zeek_dirs: list(&args.zeek_dir, &file.zeek_dir),
        samba: list(&args.samba_audit, &file.samba_audit),
        evtx_dirs: list(&args.evtx_dir, &file.evtx_dir),
        network: list(&args.network, &file.network),
        netflow: list(&args.netflow_listen, &file.netflow_listen)
            .iter()
            .map(|t| {
                t.strip_prefix("udp://")
                    .unwrap_or(t)
                    .parse()
                    .with_context(|| format!("--netflow-listen '{t}' must be HOST:PORT"))
            })
            .collect::<Result<_>>()?,
        syslog: list(&args.syslog_listen, &file.syslog_listen)
            .iter()
            .map(|t| {
                t.parse::<ListenSpec>()
                    .map_err(|e| anyhow::anyhow!("--syslog-listen: {e}"))
            })
            .collect::<Result<_>>()?,
    };
    if sources.zeek_dirs.is_empty()
        && sources.samba.is_empty()
        && sources.evtx_dirs.is_empty()
        && sources.network.is_empty()
        && sources.netflow.is_empty()
        && sources.syslog.is_empty()
    {
        bail!(
            "nothing to watch: use --zeek-dir, --samba-audit, --evtx-dir, --network, --netflow-listen and/or --syslog-listen"
        );
    }
    for dir in sources.zeek_dirs.iter().chain(&sources.evtx_dirs) {
        if !dir.is_dir() {
            bail!("{} is not a directory", dir.display());
        }
    }
    let share = list(&args.share, &file.share);
    for s in &share {
        match s.split_once('=') {
            Some((name, dir)) if !name.is_empty() && std::path::Path::new(dir).is_dir() => {}
            _ => bail!("--share '{s}' must be NAME=DIR with an existing directory"),
        }
    }
    let log_tz = args.log_tz.clone().or(file.log_tz.clone());
    let samba_prefix = args
        .samba_prefix
        .clone()
        .or(file.samba_prefix.clone())
        .unwrap_or_else(|| DEFAULT_SAMBA_PREFIX.to_owned());
    let share_roots = list(&args.share_root, &file.share_root);
    let notify_severity = parse_severity(
        args.notify_severity
            .as_deref()
            .or(file.notify_severity.as_deref())
            .unwrap_or("high"),
    )
    .map_err(|e| anyhow::anyhow!("--notify-severity: {e}"))?;
    let interval = seconds(args.interval.or(file.interval).unwrap_or(2.0), "interval")?;
    let idle_timeout = seconds(
        args.idle_timeout.or(file.idle_timeout).unwrap_or(30.0),
        "idle-timeout",
    )?;
    let compact_interval = seconds(
        args.compact_interval
            .or(file.compact_interval)
            .unwrap_or(600.0),
        "compact-interval",
    )?;
    let sinks = SinkSettings {
        alerts: args.alerts.clone().or(file.alerts.clone()),
        webhook: args.webhook.clone().or(file.webhook.clone()),
        syslog_out: args
            .syslog_out
            .as_deref()
            .or(file.syslog_out.as_deref())
            .map(udp_url)
            .transpose()?,
    };
    if let Some(url) = &sinks.webhook
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        bail!("--webhook '{url}' must be an http:// or https:// URL");
    }
    let mut store = Store::open(&store_dir)
        .with_context(|| format!("opening the store {}", store_dir.display()))?;
    // The office zone: as the store recorded it, unless told or the files say otherwise.
    let stored_name = store.catalog().setting("office_time_zone")?;
    let stored_source = store
        .catalog()
        .setting("office_time_zone_source")?
        .and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok());
    let first_files = first_files(&sources);
    let office = crate::office_zone::resolve_for_store(
        log_tz.as_deref(),
        &config.time_zone,
        &first_files.0,
        &first_files.1,
        stored_name.as_deref().zip(stored_source),
    )?;
    let samba = samba_config_in(&samba_prefix, office.log_zone.clone(), &share_roots, None)?;
    let mut settings = crate::ingest::store_settings(
        &office,
        &samba_prefix,
        &share_roots,
        &config.internal_networks,
    )?;
    if !share.is_empty() {
        settings.push(("shares".to_owned(), serde_json::to_string(&share)?));
    }
    let options = WatchOptions {
        ingest: Options {
            samba: samba.clone(),
            evtx: EvtxConfig {
                threads: 0,
                share_roots: windows_share_roots(&share_roots),
            },
            network: NetworkConfig {
                zone: office.log_zone.clone(),
                year: None,
            },
            settings,
            batch_events: 1_000_000,
            compact: false,
        },
        samba,
        zone: office.zone.clone(),
        config,
        notify_severity,
        interval,
        idle_timeout,
        compact_interval,
        sinks,
        status: args.status.clone().or(file.status.clone()),
        once: args.once || file.once,
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot handle SIGTERM/SIGINT")?;
    }
    eprintln!(
        "breachscope: watching into {} every {:.1} s; a source silent for {:.0} s no longer holds event time back; incidents at {} or above are pushed",
        store.root().display(),
        interval.as_secs_f64(),
        idle_timeout.as_secs_f64(),
        notify_severity.as_str()
    );
    let mut last_heartbeat = std::time::Instant::now();
    let log_zone = office.log_zone.clone();
    let mut say = |event: WatchEvent<'_>| {
        // A line every ten minutes, so that a service's log shows it alive and how far it got.
        if let WatchEvent::Cycle(s) = &event
            && last_heartbeat.elapsed() >= HEARTBEAT
        {
            last_heartbeat = std::time::Instant::now();
            eprintln!(
                "breachscope: watch: cycle {}, {} events ingested, {} analysed, event time up to {}, {} held, idle sources: {}",
                s.cycle,
                s.events_ingested,
                s.events_analysed,
                s.watermark.as_deref().unwrap_or("-"),
                s.events_held,
                if s.idle_sources.is_empty() {
                    "none".to_owned()
                } else {
                    s.idle_sources.join(", ")
                }
            );
        }
        if let WatchEvent::Listening(bound) = &event
            && bound.iter().any(|(name, _)| name.starts_with("syslog"))
        {
            // Say what is assumed: an RFC 3164 message carries no year.
            let year = jiff::Timestamp::now().to_zoned(log_zone.clone()).year();
            eprintln!(
                "breachscope: syslog messages without a year (RFC 3164) take the year they arrive in, {year} in the logs' time zone, and the next one at each December-to-January turn"
            );
        }
        tell(&event);
    };
    let summary = watch(&mut store, &sources, &options, &stop, &mut say)?;
    let s = &summary.status;
    eprintln!(
        "breachscope: watch stopped after {} cycles: {} events ingested, {} analysed, {} alerts, {} incidents, {} pushed, {} notifications undelivered",
        s.cycle,
        s.events_ingested,
        s.events_analysed,
        s.alerts,
        s.incidents,
        s.pushed,
        s.undelivered
    );
    Ok(ExitCode::SUCCESS)
}

/// The Samba and Zeek files present at the start (for the office zone's inference).
fn first_files(sources: &WatchSources) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let samba = breachscope_ingest::expand_paths(&sources.samba).unwrap_or_default();
    let zeek = breachscope_ingest::expand_paths(&sources.zeek_dirs)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("conn.") || n.starts_with("dns."))
        })
        .collect();
    (samba, zeek)
}

/// Says on stderr what is worth saying.
fn tell(event: &WatchEvent<'_>) {
    match event {
        WatchEvent::Listening(bound) => {
            for (name, _) in bound.iter() {
                eprintln!("breachscope: listening: {name}");
            }
        }
        WatchEvent::File(f) => crate::ingest::report_file(f),
        WatchEvent::CaughtUp { replayed, seconds } => eprintln!(
            "breachscope: caught up: {replayed} events of the lake replayed through detection in {seconds:.1} s"
        ),
        WatchEvent::Notified(line) => {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
            if text("kind") == "incident" {
                eprintln!(
                    "breachscope: incident {} ({}) {}: {} [{}]",
                    text("id"),
                    text("key"),
                    text("change"),
                    text("title"),
                    text("severity")
                );
            }
        }
        WatchEvent::Cycle(_) => {}
        WatchEvent::Problem(p) => eprintln!("breachscope: warning: {p}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn watch_table_in_the_docs_parses() {
        let doc = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md"),
        )
        .unwrap();
        let block = doc
            .split("```toml")
            .find(|b| b.trim_start().starts_with("[watch]"))
            .and_then(|b| b.split("```").next())
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, block).unwrap();
        let (config, file) = load(Some(&path)).unwrap();
        assert_eq!(config, DetectConfig::default());
        assert_eq!(file.interval, Some(2.0));
        assert_eq!(file.notify_severity.as_deref(), Some("high"));
        assert_eq!(file.syslog_listen, ["tcp://0.0.0.0:6514"]);
        // Every field of the table is in the documented block.
        let documented: Vec<&str> = block
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim()))
            .collect();
        for field in [
            "store",
            "zeek_dir",
            "samba_audit",
            "evtx_dir",
            "netflow_listen",
            "syslog_listen",
            "share",
            "alerts",
            "webhook",
            "syslog_out",
            "notify_severity",
            "internal",
            "log_tz",
            "samba_prefix",
            "share_root",
            "interval",
            "idle_timeout",
            "compact_interval",
            "status",
            "once",
        ] {
            assert!(documented.contains(&field), "{field} not documented");
        }
        // An unknown key is refused, naming the table.
        std::fs::write(&path, "[watch]\nintervall = 3\n").unwrap();
        let e = load(Some(&path)).map(|_| ()).unwrap_err();
        assert!(format!("{e:#}").contains("[watch]"), "{e:#}");
    }
}
