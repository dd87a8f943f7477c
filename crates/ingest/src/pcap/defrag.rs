//! IP fragment reassembly (IPv4 and IPv6), as Zeek reassembles before its connection analysis:
//! the datagram counts once, when its last missing piece arrives, with its full IP length.
//! Pending datagrams are bounded (count and bytes); the oldest are dropped first.

use std::net::IpAddr;

use breachscope_model::Micros;
use rustc_hash::FxHashMap;

use super::link::{IpPacket, checksum};

const MAX_PENDING: usize = 4096;
const MAX_BYTES: usize = 64 * 1024 * 1024;
const MAX_DATAGRAM: u32 = 65_535;
const TIMEOUT: Micros = 60 * 1_000_000;

type Key = (IpAddr, IpAddr, u32, u8);

#[derive(Debug)]
struct Pieces {
    first_seen: Micros,
    header_len: u32,
    data: Vec<u8>,
    have: Vec<(u32, u32)>,
    total: Option<u32>,
}

/// Datagrams waiting for fragments.
#[derive(Debug, Default)]
pub struct Defrag {
    pending: FxHashMap<Key, Pieces>,
    bytes: usize,
    /// Datagrams given up (timed out, evicted, inconsistent).
    pub dropped: u64,
}

/// What a fragment led to.
pub enum Outcome {
    /// Buffered; the datagram is not complete yet.
    Buffered,
    /// The datagram is complete: its transport bytes and the IP lengths to use.
    Complete {
        /// The transport bytes.
        payload: Vec<u8>,
        /// The reassembled IP length (what Zeek counts as ip_bytes).
        total_len: u32,
    },
    /// Not usable.
    Bad(&'static str),
}

impl Defrag {
    /// Adds a fragment seen at `now`.
    pub fn add(&mut self, now: Micros, ip: &IpPacket<'_>, validate: bool) -> Outcome {
        let Some(frag) = ip.fragment else {
            return Outcome::Bad("not a fragment");
        };
        if let Some(h) = ip.v4_header
            && validate
            && checksum(0, h) != 0xffff
        {
            return Outcome::Bad("bad IPv4 header checksum");
        }
        if (ip.payload.len() as u32) < ip.payload_len {
            return Outcome::Bad("IP fragment cut by the snap length");
        }
        let end = frag.offset + ip.payload_len;
        if end > MAX_DATAGRAM {
            return Outcome::Bad("IP fragment beyond 64 KiB");
        }
        self.expire(now);
        let key = (ip.src, ip.dst, frag.id, ip.proto);
        if !self.pending.contains_key(&key) && self.pending.len() >= MAX_PENDING {
            self.evict_oldest();
        }
        let p = self.pending.entry(key).or_insert_with(|| Pieces {
            first_seen: now,
            header_len: ip.total_len - ip.payload_len,
            data: Vec::new(),
            have: Vec::new(),
            total: None,
        });
        if frag.offset == 0 {
            p.header_len = ip.total_len - ip.payload_len;
        }
        if p.data.len() < end as usize {
            self.bytes += end as usize - p.data.len();
            p.data.resize(end as usize, 0);
        }
        p.data[frag.offset as usize..end as usize]
            .copy_from_slice(&ip.payload[..ip.payload_len as usize]);
        p.have.push((frag.offset, end));
        if !frag.more {
            p.total = Some(end);
        }
        let Some(total) = p.total else {
            self.trim();
            return Outcome::Buffered;
        };
        p.have.sort_unstable();
        let mut covered = 0;
        for &(s, e) in &p.have {
            if s > covered {
                break;
            }
            covered = covered.max(e);
        }
        if covered < total {
            self.trim();
            return Outcome::Buffered;
        }
        let Some(mut p) = self.pending.remove(&key) else {
            return Outcome::Bad("lost fragment state");
        };
        self.bytes = self.bytes.saturating_sub(p.data.len());
        p.data.truncate(total as usize);
        Outcome::Complete {
            total_len: p.header_len + total,
            payload: p.data,
        }
    }

    /// Datagrams still incomplete.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn expire(&mut self, now: Micros) {
        if self.pending.is_empty() {
            return;
        }
        let before = self.pending.len();
        let mut freed = 0;
        self.pending.retain(|_, p| {
            let keep = now.saturating_sub(p.first_seen) < TIMEOUT;
            if !keep {
                freed += p.data.len();
            }
            keep
        });
        self.bytes = self.bytes.saturating_sub(freed);
        self.dropped += (before - self.pending.len()) as u64;
    }

    fn evict_oldest(&mut self) {
        if let Some(k) = self
            .pending
            .iter()
            .min_by_key(|(_, p)| p.first_seen)
            .map(|(k, _)| *k)
            && let Some(p) = self.pending.remove(&k)
        {
            self.bytes = self.bytes.saturating_sub(p.data.len());
            self.dropped += 1;
        }
    }

    fn trim(&mut self) {
        while self.bytes > MAX_BYTES && !self.pending.is_empty() {
            self.evict_oldest();
        }
    }
}
