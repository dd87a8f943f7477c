//! Parsing of option values shared by several commands.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use breachscope_ingest::samba::{AuditPrefix, SambaConfig};
use breachscope_model::zone::parse_zone;
use jiff::tz::TimeZone;

/// Parses `--log-tz`: an IANA zone name (`Asia/Tokyo`), `UTC`, a fixed offset (`+09:00`), or
/// `local` for the machine's zone.
pub fn parse_time_zone(text: &str) -> Result<TimeZone> {
    if text.eq_ignore_ascii_case("local") {
        return Ok(TimeZone::system());
    }
    Ok(parse_zone(text)?)
}

/// Whether `path` is an absolute Windows path (`D:\Shares\HR`, `\\?\D:\…`).
fn is_windows_path(path: &str) -> bool {
    let b = path.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
        || path.starts_with("\\\\")
}

/// Parses repeated `--share-root NAME=PATH` values into lower-case share name → path: the
/// POSIX roots (Samba servers). Windows roots (`NAME=D:\Shares\HR`) are checked here and
/// returned by [`windows_share_roots`].
pub fn parse_share_roots(values: &[String]) -> Result<HashMap<String, String>> {
    let mut roots = HashMap::new();
    for value in values {
        let Some((name, path)) = value.split_once('=') else {
            bail!("--share-root '{value}' must be NAME=PATH");
        };
        if name.is_empty() || !(path.starts_with('/') || is_windows_path(path)) {
            bail!(
                "--share-root '{value}' must be NAME=/absolute/server/path or NAME=D:\\windows\\path"
            );
        }
        if path.starts_with('/') {
            roots.insert(name.to_lowercase(), path.to_owned());
        }
    }
    Ok(roots)
}

/// The `--share-root` values whose paths are Windows paths, as (share name, path), for the
/// EVTX reader (object-access events name local paths).
pub fn windows_share_roots(values: &[String]) -> Vec<(String, String)> {
    values
        .iter()
        .filter_map(|v| v.split_once('='))
        .filter(|(name, path)| !name.is_empty() && is_windows_path(path))
        .map(|(name, path)| (name.to_lowercase(), path.to_owned()))
        .collect()
}

/// Builds the Samba reader's configuration from `--samba-prefix`, `--log-tz` and
/// `--share-root` (`normalize`).
/// Samba's default `full_audit:prefix` (user, client address, client name, share).
pub const DEFAULT_SAMBA_PREFIX: &str = "%u|%I|%m|%S";

/// The evidence and how to read it: the options `investigate` and `ingest` share.
#[derive(Debug, Clone, clap::Args)]
pub struct EvidenceArgs {
    /// Zeek conn/dns logs: files or directories (zeekctl archives; TSV or JSON, gzip or not),
    /// repeatable.
    #[arg(long = "zeek", value_name = "PATH")]
    pub zeek: Vec<std::path::PathBuf>,
    /// Samba vfs_full_audit logs (syslog or smbd log): files or directories, repeatable.
    #[arg(long = "samba-audit", value_name = "PATH")]
    pub samba: Vec<std::path::PathBuf>,
    /// Windows event logs (.evtx, Security channel): files or directories, repeatable.
    #[arg(long = "evtx", value_name = "PATH")]
    pub evtx: Vec<std::path::PathBuf>,
    /// Network evidence besides Zeek, each file's format told by its content: packet captures
    /// (pcap, pcapng), nfdump NetFlow files (nfcapd.*), PAN-OS, FortiGate and Cisco ASA traffic
    /// logs, Squid access logs. Files or directories, repeatable.
    #[arg(long = "network", value_name = "PATH")]
    pub network: Vec<std::path::PathBuf>,
    /// Internal network in CIDR notation (repeatable; overrides the config file's list).
    #[arg(long = "internal", value_name = "CIDR")]
    pub internal: Vec<String>,
    /// Zone of local-time logs (RFC 3164 syslog, smbd's log) and of office hours (unless the
    /// config sets `time_zone`): an IANA name, UTC, an offset such as +09:00, or `local`.
    /// Default: inferred from the UTC offsets the evidence states, else the machine's zone (with
    /// a warning).
    #[arg(long, value_name = "ZONE")]
    pub log_tz: Option<String>,
    /// Samba `full_audit:prefix`.
    #[arg(long, default_value = DEFAULT_SAMBA_PREFIX)]
    pub samba_prefix: String,
    /// Share root on the file server, NAME=/server/path (repeatable).
    #[arg(long = "share-root", value_name = "NAME=PATH")]
    pub share_roots: Vec<String>,
}

impl EvidenceArgs {
    /// No evidence (a command that only reads the store), with these internal networks.
    pub fn none(internal: Vec<String>) -> Self {
        EvidenceArgs {
            zeek: Vec::new(),
            samba: Vec::new(),
            evtx: Vec::new(),
            network: Vec::new(),
            internal,
            log_tz: None,
            samba_prefix: DEFAULT_SAMBA_PREFIX.into(),
            share_roots: Vec::new(),
        }
    }

    /// Whether no evidence path was given.
    pub fn is_empty(&self) -> bool {
        self.zeek.is_empty()
            && self.samba.is_empty()
            && self.evtx.is_empty()
            && self.network.is_empty()
    }
}

pub fn samba_config(
    samba_prefix: &str,
    log_tz: &str,
    share_roots: &[String],
    year: Option<i32>,
) -> Result<SambaConfig> {
    let zone = parse_time_zone(log_tz).context("--log-tz")?;
    samba_config_in(samba_prefix, zone, share_roots, year)
}

/// As [`samba_config`], with the zone of local-time logs already decided (`investigate`, where
/// it may come from the configuration or the evidence).
pub fn samba_config_in(
    samba_prefix: &str,
    log_tz: TimeZone,
    share_roots: &[String],
    year: Option<i32>,
) -> Result<SambaConfig> {
    let prefix: AuditPrefix = samba_prefix
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--samba-prefix: {e}"))?;
    Ok(SambaConfig {
        prefix,
        log_tz,
        year,
        share_roots: parse_share_roots(share_roots)?,
    })
}

/// The Zeek logs and the text logs among `network` (firewall and proxy logs, which may state
/// their UTC offset), for the office zone's inference; captures and nfdump files state none.
pub fn zone_sampled_files(
    zeek: &[std::path::PathBuf],
    network: &[(breachscope_ingest::Format, Vec<std::path::PathBuf>)],
) -> Vec<std::path::PathBuf> {
    use breachscope_ingest::Format;
    let mut files = zeek.to_vec();
    for (format, paths) in network {
        if !matches!(format, Format::Pcap | Format::Nfcapd) {
            files.extend(paths.iter().cloned());
        }
    }
    files
}

/// The network evidence among the files under `paths`, grouped by the format its content
/// shows (each group in the given order). Files that are not network evidence are named on
/// stderr and left.
pub fn network_files(
    paths: &[std::path::PathBuf],
) -> Result<Vec<(breachscope_ingest::Format, Vec<std::path::PathBuf>)>> {
    use breachscope_ingest::{Kind, sniff_path};
    let mut groups: std::collections::BTreeMap<
        breachscope_ingest::Format,
        Vec<std::path::PathBuf>,
    > = Default::default();
    for path in breachscope_ingest::expand_paths(paths)? {
        match sniff_path(&path).with_context(|| path.display().to_string())? {
            Kind::Known(format) if format.is_network() => {
                groups.entry(format).or_default().push(path)
            }
            Kind::Known(format) => eprintln!(
                "breachscope: note: {}: a {} log, not network evidence (give it with --{}); not read",
                path.display(),
                format.name(),
                match format.name() {
                    "samba" => "samba-audit",
                    other => other,
                }
            ),
            Kind::Empty => {}
            Kind::Unknown => eprintln!(
                "breachscope: note: {}: not a capture, nfdump file, firewall or proxy log breachscope reads; not read",
                path.display()
            ),
        }
    }
    Ok(groups.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samba_config_names_the_bad_option() {
        let ok = samba_config(
            "%u|%I|%m|%S",
            "+09:00",
            &["Records=/srv/records".into()],
            None,
        )
        .map_err(|e| e.to_string());
        assert_eq!(
            ok.map(|c| c.share_roots.get("records").cloned()),
            Ok(Some("/srv/records".to_string()))
        );
        for (prefix, tz, root, option) in [
            ("%I|%m", "UTC", "a=/x", "--samba-prefix"),
            ("%u|%I|%m|%S", "Mars/Olympus", "a=/x", "--log-tz"),
            ("%u|%I|%m|%S", "UTC", "a=relative", "--share-root"),
        ] {
            let message = samba_config(prefix, tz, &[root.into()], None)
                .map(|_| ())
                .map_err(|e| format!("{e:#}"));
            assert!(
                matches!(&message, Err(m) if m.contains(option)),
                "{prefix} {tz} {root}: {message:?}"
            );
        }
    }

    #[test]
    fn zones() {
        assert!(parse_time_zone("Asia/Tokyo").is_ok());
        assert!(parse_time_zone("UTC").is_ok());
        assert!(parse_time_zone("+09:00").is_ok());
        assert!(parse_time_zone("-0530").is_ok());
        assert!(parse_time_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn share_roots() {
        let roots = parse_share_roots(&["Records=/srv/fs01/share".into()]).unwrap();
        assert_eq!(
            roots.get("records").map(String::as_str),
            Some("/srv/fs01/share")
        );
        assert!(parse_share_roots(&["records".into()]).is_err());
        assert!(parse_share_roots(&["records=relative".into()]).is_err());
        let mixed = ["hr=D:\\Shares\\HR".to_string(), "sales=/srv/sales".into()];
        assert_eq!(parse_share_roots(&mixed).unwrap().len(), 1);
        assert_eq!(
            windows_share_roots(&mixed),
            [("hr".to_string(), "D:\\Shares\\HR".to_string())]
        );
    }
}
