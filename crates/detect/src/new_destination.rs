//! new_external_destination: a host uploads more than a threshold to an address it had never
//! contacted, which few internal hosts use (prevalence below 2 % of active hosts over 30 days,
//! as RITA's prevalence measure), with more bytes out than in.
//!
//! The pair counts as new for `new_days` after its first contact; the upload is summed from the
//! first contact.

use rustc_hash::FxHashSet;
use std::net::IpAddr;

use breachscope_model::Micros;

use crate::config::NewDestination;
use crate::history::History;

/// A new, rare destination receiving uploads.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDestinationFinding {
    /// Bytes out to it since first contact.
    pub bytes_out: u64,
    /// Bytes in from it.
    pub bytes_in: u64,
    /// Internal hosts that used it in the prevalence window (including this one).
    pub prevalence: usize,
    /// Active internal hosts.
    pub active_hosts: usize,
    /// First contact.
    pub first_seen: Micros,
    /// When another internal host first used the address, if that was `prevalence_days` or
    /// more ago: a destination the organisation already had (a job that moved servers).
    pub established_since: Option<Micros>,
}

/// Pairs already reported.
#[derive(Debug, Default)]
pub struct NewDestinationDetector {
    reported: FxHashSet<(IpAddr, IpAddr)>,
}

impl NewDestinationDetector {
    /// Checks the pair after a connection was recorded in `history`. `learning_end`: pairs first
    /// seen before it are not new (the evidence's first days have no history to compare with).
    pub fn observe(
        &mut self,
        config: &NewDestination,
        history: &History,
        host: IpAddr,
        external: IpAddr,
        now: Micros,
        learning_end: Micros,
    ) -> Option<NewDestinationFinding> {
        let pair = history.pairs.get(&(host, external))?;
        if pair.first_seen < learning_end
            || now - pair.first_seen > i64::from(config.new_days) * 86_400_000_000
            || self.reported.contains(&(host, external))
        {
            return None;
        }
        if pair.bytes_out < config.min_upload_bytes
            || (pair.bytes_out as f64) < config.min_out_in_ratio * pair.bytes_in as f64
        {
            return None;
        }
        let prevalence = history.prevalence(external, now, config.prevalence_days);
        let active = history.active_hosts(now, config.prevalence_days).max(1);
        let allowed = ((active as f64 * config.max_prevalence).floor() as usize).max(1);
        if prevalence > allowed {
            return None;
        }
        self.reported.insert((host, external));
        // New to this host, but long in use by another internal host (a job moved servers)?
        let established_since = history
            .external_hosts
            .get(&external)
            .into_iter()
            .flat_map(|hosts| hosts.keys())
            .filter(|h| **h != host)
            .filter_map(|h| history.pairs.get(&(*h, external)).map(|p| p.first_seen))
            .min()
            .filter(|&t| now - t >= i64::from(config.prevalence_days) * 86_400_000_000);
        Some(NewDestinationFinding {
            bytes_out: pair.bytes_out,
            bytes_in: pair.bytes_in,
            prevalence,
            active_hosts: active,
            first_seen: pair.first_seen,
            established_since,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rare_upload_found_common_or_download_not() {
        let cfg = NewDestination::default();
        let mut h = History::default();
        let hosts: Vec<IpAddr> = (1..=60).map(|i| IpAddr::from([10, 0, 0, i])).collect();
        let day = 86_400_000_000;
        for &host in &hosts {
            h.host_active(host, 20 * day);
        }
        let exfil: IpAddr = "203.0.113.99".parse().unwrap();
        let saas: IpAddr = "52.196.40.17".parse().unwrap();
        let mut d = NewDestinationDetector::default();
        // A download from a new address is not an upload.
        h.flow(hosts[0], saas, 20 * day, 20 * day + 5, 2_000, 900_000);
        assert!(
            d.observe(&cfg, &h, hosts[0], saas, 20 * day + 5, 14 * day)
                .is_none()
        );
        // Most hosts use the SaaS: even a large upload to it is not rare.
        for &host in &hosts {
            h.flow(host, saas, 20 * day + 10, 20 * day + 20, 5_000_000, 10_000);
        }
        assert!(
            d.observe(&cfg, &h, hosts[1], saas, 20 * day + 20, 14 * day)
                .is_none()
        );
        // One host uploads to an address nobody else uses: found once.
        h.flow(
            hosts[2],
            exfil,
            20 * day + 30,
            20 * day + 40,
            600_000,
            4_000,
        );
        let f = d
            .observe(&cfg, &h, hosts[2], exfil, 20 * day + 40, 14 * day)
            .expect("found");
        assert_eq!((f.prevalence, f.bytes_out), (1, 600_000));
        assert!(
            d.observe(&cfg, &h, hosts[2], exfil, 20 * day + 50, 14 * day)
                .is_none()
        );
        // During the learning period nothing is new.
        let other: IpAddr = "198.51.100.7".parse().unwrap();
        h.flow(hosts[3], other, 3 * day, 3 * day + 1, 9_000_000, 1);
        assert!(
            d.observe(&cfg, &h, hosts[3], other, 3 * day + 1, 14 * day)
                .is_none()
        );
    }
}
