//! What the engine remembers of everything it read, for correlation and first evidence:
//! per (internal host, external address) pair the first and last contact and volumes, host and
//! external names, which accounts used which hosts, and each account's reads per share.

use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::net::IpAddr;

use breachscope_model::Micros;

/// Traffic between one internal host and one external address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairStats {
    /// First connection start.
    pub first_seen: Micros,
    /// Last connection end.
    pub last_seen: Micros,
    /// Payload bytes host → external.
    pub bytes_out: u64,
    /// Payload bytes external → host.
    pub bytes_in: u64,
    /// Connections.
    pub connections: u64,
}

/// File reads of one account on one share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareReads {
    /// First read.
    pub first: Micros,
    /// Last read.
    pub last: Micros,
    /// Read opens.
    pub reads: u64,
}

/// The look-back store.
#[derive(Debug, Default, Clone)]
pub struct History {
    /// (host, external) → traffic.
    pub pairs: FxHashMap<(IpAddr, IpAddr), PairStats>,
    /// External → internal hosts that contacted it, with the last contact.
    pub external_hosts: FxHashMap<IpAddr, FxHashMap<IpAddr, Micros>>,
    /// Internal host → last activity.
    pub hosts: FxHashMap<IpAddr, Micros>,
    /// Internal host → names learned (Samba `%m`).
    pub host_names: FxHashMap<IpAddr, BTreeSet<String>>,
    /// External address → DNS names that resolved to it.
    pub dns_names: FxHashMap<IpAddr, BTreeSet<String>>,
    /// Account → hosts its file-server sessions came from, with counts.
    pub account_hosts: FxHashMap<String, FxHashMap<IpAddr, u64>>,
    /// (account, share) → reads.
    pub share_reads: FxHashMap<(String, String), ShareReads>,
    /// First and last event time.
    pub span: Option<(Micros, Micros)>,
}

/// How many names are kept per address (bounded memory).
const MAX_NAMES: usize = 8;

impl History {
    /// Records a connection from an internal host to an external address.
    pub fn flow(
        &mut self,
        host: IpAddr,
        external: IpAddr,
        start: Micros,
        end: Micros,
        out: u64,
        inb: u64,
    ) {
        let p = self.pairs.entry((host, external)).or_insert(PairStats {
            first_seen: start,
            last_seen: end,
            bytes_out: 0,
            bytes_in: 0,
            connections: 0,
        });
        p.first_seen = p.first_seen.min(start);
        p.last_seen = p.last_seen.max(end);
        p.bytes_out += out;
        p.bytes_in += inb;
        p.connections += 1;
        self.external_hosts
            .entry(external)
            .or_default()
            .insert(host, end);
    }

    /// Records that an internal host was active.
    pub fn host_active(&mut self, host: IpAddr, t: Micros) {
        let e = self.hosts.entry(host).or_insert(t);
        *e = (*e).max(t);
    }

    /// Records a name for an address.
    pub fn name_host(&mut self, host: IpAddr, name: &str) {
        let names = self.host_names.entry(host).or_default();
        if names.len() < MAX_NAMES {
            names.insert(name.to_lowercase());
        }
    }

    /// Records a DNS answer.
    pub fn name_external(&mut self, ip: IpAddr, name: &str) {
        let names = self.dns_names.entry(ip).or_default();
        if names.len() < MAX_NAMES {
            names.insert(name.to_lowercase());
        }
    }

    /// Internal hosts seen within `days` before `now`.
    pub fn active_hosts(&self, now: Micros, days: u32) -> usize {
        let since = now - i64::from(days) * 86_400_000_000;
        self.hosts.values().filter(|&&t| t >= since).count()
    }

    /// Internal hosts that contacted `external` within `days` before `now`.
    pub fn prevalence(&self, external: IpAddr, now: Micros, days: u32) -> usize {
        let since = now - i64::from(days) * 86_400_000_000;
        self.external_hosts
            .get(&external)
            .map_or(0, |h| h.values().filter(|&&t| t >= since).count())
    }

    /// A display name for a host: its first learned name, else its address.
    pub fn host_label(&self, host: IpAddr) -> String {
        match self.host_names.get(&host).and_then(|n| n.iter().next()) {
            Some(name) => format!("{name} ({host})"),
            None => host.to_string(),
        }
    }

    /// A display name for an external address: with its DNS name when known.
    pub fn external_label(&self, ip: IpAddr) -> String {
        match self.dns_names.get(&ip).and_then(|n| n.iter().next()) {
            Some(name) => format!("{ip} ({name})"),
            None => ip.to_string(),
        }
    }
}
