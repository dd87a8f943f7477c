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
