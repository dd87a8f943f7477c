//! Which zone `investigate` takes for office hours, day boundaries and local-time logs, and
//! what it says about that choice on stderr.
//!
//! The office zone is, in order: the configuration's `time_zone`, `--log-tz`, the zone inferred
//! from the UTC offsets the evidence states (`breachscope_ingest::zone`), the machine's zone
//! (with a warning). Local-time logs (RFC 3164 syslog, smbd's log header) are read in
//! `--log-tz` when it is given, else in the office zone.

use std::path::PathBuf;

use anyhow::{Context, Result};
use breachscope_ingest::zone::{infer_zone, sample_files};
use breachscope_model::zone::zone_name;
use breachscope_report::report_v1::ZoneSource;
use jiff::tz::TimeZone;

use crate::options::parse_time_zone;

/// Files sampled per evidence kind (Samba, Zeek) by the pre-pass.
const SAMPLED_FILES: usize = 48;

/// The zones an investigation runs in.
#[derive(Debug, Clone)]
pub struct OfficeZone {
    /// Office hours and day boundaries (and the times `report.html` shows).
    pub zone: TimeZone,
    /// Its name as `report.json` records it.
    pub name: String,
    /// Where it came from.
    pub source: ZoneSource,
    /// The zone of local-time logs.
    pub log_zone: TimeZone,
}

/// The name recorded for `zone`, or `given` when the zone has no name of its own (a machine
/// zone read from a file without one).
fn name_of(zone: &TimeZone, given: &str) -> String {
    zone_name(zone).unwrap_or_else(|| given.to_owned())
}

/// Decides the office zone (see the module docs) and says on stderr which it is and why.
/// `log_tz` is `--log-tz` if given, `config_zone` the configuration's `time_zone` (empty when
/// unset); the evidence is sampled only when neither is given.
pub fn resolve(
    log_tz: Option<&str>,
    config_zone: &str,
    samba_files: &[PathBuf],
    flow_files: &[PathBuf],
) -> Result<OfficeZone> {
    let flag = log_tz
        .map(|t| parse_time_zone(t).context("--log-tz"))
        .transpose()?;
    if !config_zone.is_empty() {
        let zone = parse_time_zone(config_zone).context("time_zone in the configuration")?;
        let name = name_of(&zone, config_zone);
        let log_zone = flag.unwrap_or_else(|| zone.clone());
        match log_tz {
            Some(t) => eprintln!(
                "breachscope: office time zone {name} (time_zone in the configuration); local-time logs read in {t} (--log-tz)"
            ),
            None => {
                eprintln!("breachscope: office time zone {name} (time_zone in the configuration)")
            }
        }
        return Ok(OfficeZone {
            zone,
            name,
            source: ZoneSource::Config,
            log_zone,
        });
    }
    if let (Some(zone), Some(text)) = (flag, log_tz) {
        let name = name_of(&zone, text);
        eprintln!("breachscope: office time zone {name} (--log-tz)");
        return Ok(OfficeZone {
            log_zone: zone.clone(),
            zone,
            name,
            source: ZoneSource::Flag,
        });
    }
    resolve_from_evidence(samba_files, flow_files, None)
}

/// [`resolve`] for an investigation over a store: the configuration, then `--log-tz`, then the
/// zone the store recorded (when no new evidence is given), then the evidence, then the
/// machine's.
pub fn resolve_for_store(
    log_tz: Option<&str>,
    config_zone: &str,
    samba_files: &[PathBuf],
    flow_files: &[PathBuf],
    stored: Option<(&str, ZoneSource)>,
) -> Result<OfficeZone> {
    if log_tz.is_some() || !config_zone.is_empty() {
        return resolve(log_tz, config_zone, samba_files, flow_files);
    }
    resolve_from_evidence(samba_files, flow_files, stored)
}

/// The office zone when neither the configuration nor `--log-tz` gives it: the zone a store
/// recorded when its evidence was ingested (`stored`: name and source), else inferred from the
/// evidence, else the machine's.
pub fn resolve_from_evidence(
    samba_files: &[PathBuf],
    flow_files: &[PathBuf],
    stored: Option<(&str, ZoneSource)>,
) -> Result<OfficeZone> {
    if let Some((name, source)) = stored
        && samba_files.is_empty()
        && flow_files.is_empty()
    {
        let zone = parse_time_zone(name).context("the store's recorded office time zone")?;
        eprintln!(
            "breachscope: office time zone {name} (recorded in the store when its evidence was ingested; {})",
            source.as_str()
        );
        return Ok(OfficeZone {
            log_zone: zone.clone(),
            zone,
            name: name.to_owned(),
            source,
        });
    }
    let mut sampling = sample_files(samba_files, SAMPLED_FILES);
    sampling.extend(sample_files(flow_files, SAMPLED_FILES));
    let machine = TimeZone::system();
    let machine_name = name_of(&machine, "local");
    match infer_zone(&sampling.samples, &machine) {
        Some(found) => {
            let sources: std::collections::BTreeSet<&str> =
                sampling.samples.iter().map(|s| s.source.as_str()).collect();
            eprintln!(
                "breachscope: office time zone {}, inferred from the evidence: {} ({} of {} sampled files state offsets, in {}). Give --log-tz to set the zone.",
                found.name,
                found.reason,
                sampling.files_with_offsets,
                sampling.files_sampled,
                sources.into_iter().collect::<Vec<_>>().join(", ")
            );
            if found.agreeing < found.total {
                eprintln!(
                    "breachscope: warning: the evidence states more than one UTC offset; office hours and local-time logs all use {} (give --log-tz if a server writes in another zone)",
                    found.name
                );
            }
            Ok(OfficeZone {
                log_zone: found.zone.clone(),
                zone: found.zone,
                name: found.name,
                source: ZoneSource::Evidence,
            })
        }
        None => {
            eprintln!(
                "breachscope: warning: no evidence states its UTC offset ({} files sampled; EVTX, Zeek epoch and `Z` times are UTC and say nothing of the office), so office hours and local-time logs use this machine's zone, {machine_name}. Give --log-tz ZONE (e.g. Asia/Tokyo) if the office is elsewhere.",
                sampling.files_sampled
            );
            Ok(OfficeZone {
                log_zone: machine.clone(),
                zone: machine,
                name: machine_name,
                source: ZoneSource::Machine,
            })
        }
    }
}
