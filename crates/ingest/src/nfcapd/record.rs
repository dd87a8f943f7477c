//! Records inside a type-3 block: the V3 flow record and its elements, and the exporter
//! records that name a flow's exporter.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use breachscope_model::Micros;

use crate::netflow::FlowRecord;

/// Record type of an exporter's description (`ExporterInfoRecordType`).
pub const TYPE_EXPORTER_INFO: u16 = 7;
/// Record type of a sampler (`SamplerRecordType`).
pub const TYPE_SAMPLER: u16 = 15;
/// Record type of a V3 flow record (`V3Record`).
pub const TYPE_V3: u16 = 11;
/// Record type of the appendix's ident string.
pub const TYPE_IDENT: u16 = 0x8001;
/// Record type of the appendix's statistics.
pub const TYPE_STAT: u16 = 0x8002;
/// Size of a V3 record's header (`recordHeaderV3_t`).
pub const V3_HEADER_LEN: usize = 12;
/// The V3 record flag of a sampled flow (its counts were scaled by the collector).
pub const V3_FLAG_SAMPLED: u8 = 2;
/// Element ids of nfdump 1.7 run up to this (`MAXEXTENSIONS`); higher ones are unknown here.
pub const MAX_ELEMENT_ID: u16 = 42;

/// Element ids used.
mod element {
    pub const GENERIC_FLOW: u16 = 1;
    pub const IPV4_FLOW: u16 = 2;
    pub const IPV6_FLOW: u16 = 3;
    pub const CNT_FLOW: u16 = 5;
    pub const IP_RECEIVED_V4: u16 = 12;
    pub const IP_RECEIVED_V6: u16 = 13;
    pub const NSEL_COMMON: u16 = 19;
}

pub(crate) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// An IPv6 address stored as two host-order `u64` halves, the high half first.
fn ipv6_at(b: &[u8], at: usize) -> Option<Ipv6Addr> {
    let hi = u64_at(b, at)?;
    let lo = u64_at(b, at + 8)?;
    Some(Ipv6Addr::from((u128::from(hi) << 64) | u128::from(lo)))
}

/// What a V3 record held.
#[derive(Debug)]
pub enum V3Outcome {
    /// A flow.
    Flow(Box<FlowRecord>),
    /// No flow to take (why, for the counts).
    Skipped(&'static str),
}

/// Counts kept while decoding V3 records.
#[derive(Debug, Default, Clone, Copy)]
pub struct V3Counts {
    /// Elements with an id beyond nfdump 1.7's table, skipped by their length.
    pub unknown_elements: u64,
    /// Flows flagged as sampled (their counts already scaled by the collector).
    pub sampled: u64,
    /// Flows that carried both IPv4 and IPv6 addresses (IPv4 taken).
    pub both_families: u64,
    /// Flows whose first-seen time came from the NSEL event time.
    pub event_time: u64,
    /// Records whose elements did not fill the record exactly.
    pub slack: u64,
    /// Sampled flows whose rate no sampler record of their exporter told (kept at 1).
    pub sampling_unknown: u64,
    /// Flows stored with last-seen before first-seen, taken the other way round.
    pub inverted: u64,
    /// Flows stored without times (first- and last-seen 0: the exporter's uptime could not be
    /// placed), left at the epoch.
    pub untimed: u64,
}

/// What the file's exporter and sampler records say, by exporter system id.
#[derive(Debug, Default)]
pub struct Exporters {
    addresses: HashMap<u16, IpAddr>,
    samplers: HashMap<u16, Vec<(i64, u32)>>,
}

/// nfcapd's sampler ids of its own samplers: `-s -N` on its command line, `-s N`, and the
/// exporter's generic sampling (v9 tags 34/35).
const SAMPLER_OVERWRITE: i64 = -3;
const SAMPLER_DEFAULT: i64 = -2;
const SAMPLER_GENERIC: i64 = -1;

impl Exporters {
    /// The address of exporter `sysid`.
    pub fn address(&self, sysid: u16) -> Option<IpAddr> {
        self.addresses.get(&sysid).copied()
    }

    /// The sampling rate nfcapd applied to a sampled flow of exporter `sysid`, in its order of
    /// precedence: an overwrite, the exporter's own sampler (when it has exactly one; the flow
    /// does not record which), its generic sampling, the default.
    pub fn sampling(&self, sysid: u16) -> Option<u32> {
        let list = self.samplers.get(&sysid)?;
        let find = |id: i64| list.iter().find(|(i, _)| *i == id).map(|(_, r)| *r);
        if let Some(r) = find(SAMPLER_OVERWRITE) {
            return Some(r);
        }
        let mut own = list.iter().filter(|(i, _)| *i >= 0);
        match (own.next(), own.next()) {
            (Some((_, r)), None) => return Some(*r),
            (Some(_), Some(_)) => return None,
            _ => {}
        }
        find(SAMPLER_GENERIC).or_else(|| find(SAMPLER_DEFAULT))
    }

    /// Takes an exporter record (`exporter_info_record_t`: header, u32 version, 16-byte
    /// address, u16 family, u16 sysid, u32 id). False when it is too short.
    pub fn add_exporter(&mut self, rec: &[u8]) -> bool {
        let (Some(family), Some(sysid)) = (u16_at(rec, 24), u16_at(rec, 26)) else {
            return false;
        };
        let ip = match family {
            // AF_INET: `ip_addr_t` on a little-endian host holds the IPv4 address, a host-order
            // u32, in bytes 8..12 of its 16 (`fill1[2]`, `_v4`, `fill2`).
            2 => u32_at(rec, 16).map(|a| IpAddr::V4(Ipv4Addr::from(a))),
            _ => ipv6_at(rec, 8).map(IpAddr::V6),
        };
        match ip {
            Some(ip) => {
                self.addresses.insert(sysid, ip);
                true
            }
            None => false,
        }
    }

    /// Takes an nfdump 1.6 sampler record (`sampler_info_record_t`: header, i32 id, u32
    /// interval, u16 mode, u16 exporter sysid): one packet in `interval`. False when too short.
    pub fn add_legacy_sampler(&mut self, rec: &[u8]) -> bool {
        let (Some(id), Some(interval), Some(sysid)) =
            (u32_at(rec, 4), u32_at(rec, 8), u16_at(rec, 14))
        else {
            return false;
        };
        if interval == 0 {
            return false;
        }
        let id = i64::from(id as i32);
        let list = self.samplers.entry(sysid).or_default();
        list.retain(|(i, _)| *i != id);
        list.push((id, interval));
        true
    }

    /// Takes a sampler record (`sampler_record_t`: header, u16 exporter sysid, u16 algorithm,
    /// i64 id, u32 packet interval, u32 packet space): the rate is (interval + space) /
    /// interval, as nfcapd scaled the counts. False when it is too short or has no interval.
    pub fn add_sampler(&mut self, rec: &[u8]) -> bool {
        let (Some(sysid), Some(id), Some(interval), Some(space)) = (
            u16_at(rec, 4),
            u64_at(rec, 8),
            u32_at(rec, 16),
            u32_at(rec, 20),
        ) else {
            return false;
        };
        if interval == 0 {
            return false;
        }
        let rate = (u64::from(interval) + u64::from(space)) / u64::from(interval);
        let rate = u32::try_from(rate).unwrap_or(u32::MAX);
        let list = self.samplers.entry(sysid).or_default();
        let id = id as i64;
        list.retain(|(i, _)| *i != id);
        list.push((id, rate));
        true
    }
}

/// Decodes one V3 record (`rec` is the whole record, header included). `exporters` names the
/// exporter when the record carries no received-from address, and the sampling rate of a
/// sampled flow.
pub fn decode_v3(
    rec: &[u8],
    exporters: &Exporters,
    counts: &mut V3Counts,
) -> Result<V3Outcome, String> {
    if rec.len() < V3_HEADER_LEN {
        return Err(format!(
            "V3 record of {} bytes is shorter than its header",
            rec.len()
        ));
    }
    let elements = u16_at(rec, 4).unwrap_or(0);
    let exporter_id = u16_at(rec, 8).unwrap_or(0);
    let flags = rec[10];
    let mut generic: Option<&[u8]> = None;
    let mut v4: Option<(Ipv4Addr, Ipv4Addr)> = None;
    let mut v6: Option<(Ipv6Addr, Ipv6Addr)> = None;
    let mut cnt: Option<(u64, u64)> = None;
    let mut received: Option<IpAddr> = None;
    let mut event_ms: Option<u64> = None;
    let mut at = V3_HEADER_LEN;
    for i in 0..elements {
        let (Some(id), Some(len)) = (u16_at(rec, at), u16_at(rec, at + 2)) else {
            return Err(format!("element {i} of {elements} runs past the record"));
        };
        let len = usize::from(len);
        if len < 4 {
            return Err(format!("element {i} (id {id}) has length {len}"));
        }
        let Some(payload) = rec.get(at + 4..at + len) else {
            return Err(format!(
                "element {i} (id {id}, {len} bytes) runs past the record"
            ));
        };
        let short = || format!("element id {id} of {len} bytes is too short");
        match id {
            element::GENERIC_FLOW => {
                if payload.len() < 48 {
                    return Err(short());
                }
                generic = Some(payload);
            }
            element::IPV4_FLOW => {
                let (Some(s), Some(d)) = (u32_at(payload, 0), u32_at(payload, 4)) else {
                    return Err(short());
                };
                v4 = Some((Ipv4Addr::from(s), Ipv4Addr::from(d)));
            }
            element::IPV6_FLOW => {
                let (Some(s), Some(d)) = (ipv6_at(payload, 0), ipv6_at(payload, 16)) else {
                    return Err(short());
                };
                v6 = Some((s, d));
            }
            element::CNT_FLOW => {
                let (Some(p), Some(b)) = (u64_at(payload, 8), u64_at(payload, 16)) else {
                    return Err(short());
                };
                cnt = Some((p, b));
            }
            element::IP_RECEIVED_V4 => {
                let a = u32_at(payload, 0).ok_or_else(short)?;
                received = Some(IpAddr::V4(Ipv4Addr::from(a)));
            }
            element::IP_RECEIVED_V6 => {
                let a = ipv6_at(payload, 0).ok_or_else(short)?;
                received = Some(IpAddr::V6(a));
            }
            element::NSEL_COMMON => {
                event_ms = Some(u64_at(payload, 0).ok_or_else(short)?);
            }
            id if id > MAX_ELEMENT_ID => counts.unknown_elements += 1,
            _ => {}
        }
        at += len;
    }
    if at != rec.len() {
        counts.slack += 1;
    }
    let Some(g) = generic else {
        return Ok(V3Outcome::Skipped(
            "V3 record without a generic flow element",
        ));
    };
    let (src_ip, dst_ip) = match (v4, v6) {
        (Some((s, d)), other) => {
            if other.is_some() {
                counts.both_families += 1;
            }
            (IpAddr::V4(s), IpAddr::V4(d))
        }
        (None, Some((s, d))) => (IpAddr::V6(s), IpAddr::V6(d)),
        (None, None) => return Ok(V3Outcome::Skipped("V3 flow record without addresses")),
    };
    // Fixed offsets inside the 48-byte generic flow payload (length checked above).
    let num = |at: usize| u64_at(g, at).unwrap_or(0);
    let mut first_ms = num(0);
    if first_ms == 0
        && let Some(event) = event_ms
    {
        first_ms = event;
        counts.event_time += 1;
    }
    let (start, end) = times(first_ms, num(8), counts);
    let sampling = sampling_of(flags & V3_FLAG_SAMPLED != 0, exporter_id, exporters, counts);
    // ASA NSEL's out counts are the reverse direction; elsewhere (v9 OUT_BYTES, IPFIX
    // postOctetDeltaCount) they count the same direction leaving the router, so they are not
    // taken as the reverse.
    let reverse = if event_ms.is_some() { cnt } else { None };
    Ok(V3Outcome::Flow(Box::new(FlowRecord {
        exporter: received
            .or_else(|| exporters.address(exporter_id))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        start,
        end,
        src_ip,
        dst_ip,
        src_port: u16_at(g, 40).unwrap_or(0),
        dst_port: u16_at(g, 42).unwrap_or(0),
        protocol: g[44],
        packets: num(24),
        bytes: num(32),
        reverse_packets: reverse.map(|(p, _)| p),
        reverse_bytes: reverse.map(|(_, b)| b),
        tcp_flags: g[45],
        sampling,
    })))
}

/// The ident string of an appendix ident record.
pub fn decode_ident(rec: &[u8]) -> String {
    let text = rec.get(4..).unwrap_or_default();
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    String::from_utf8_lossy(&text[..end]).into_owned()
}

/// First- and last-seen in µs from stored milliseconds: taken the other way round when stored
/// with last-seen first (nfcapd 1.7.1's `ipfix.c` maps `flowEndSysUpTime` to first-seen and
/// `flowStartSysUpTime` to last-seen), counted; both 0 (no time) counted.
fn times(mut first_ms: u64, mut last_ms: u64, counts: &mut V3Counts) -> (Micros, Micros) {
    if last_ms < first_ms {
        std::mem::swap(&mut first_ms, &mut last_ms);
        counts.inverted += 1;
    }
    if first_ms == 0 && last_ms == 0 {
        counts.untimed += 1;
    }
    let us = |ms: u64| -> Micros { i64::try_from(ms).unwrap_or(i64::MAX).saturating_mul(1000) };
    (us(first_ms), us(last_ms))
}

/// The sampling rate of a flow (1 unless flagged sampled; counted).
fn sampling_of(sampled: bool, sysid: u16, exporters: &Exporters, counts: &mut V3Counts) -> u32 {
    if !sampled {
        return 1;
    }
    counts.sampled += 1;
    exporters.sampling(sysid).map_or_else(
        || {
            counts.sampling_unknown += 1;
            1
        },
        |rate| rate.max(1),
    )
}

/// Record type of an nfdump 1.6 flow record (`CommonRecordType`, in type-2 blocks).
pub const TYPE_COMMON: u16 = 10;
/// Record type of an nfdump 1.6 sampler (`SamplerInfoRecordype`).
pub const TYPE_SAMPLER_LEGACY: u16 = 9;
/// Size of an nfdump 1.6 common record before its data.
const COMMON_LEN: usize = 32;

/// Decodes an nfdump 1.6 flow record (`common_record_t`): its fixed part (times as seconds +
/// milliseconds, ports, protocol, TCP flags, exporter id, flags), then the required
/// extensions: addresses (IPv4 or IPv6 by flag), packets and bytes (32 or 64 bits by flag).
/// The optional extensions its extension map lists follow; none is needed here, so the map is
/// not read.
pub fn decode_common(
    rec: &[u8],
    exporters: &Exporters,
    counts: &mut V3Counts,
) -> Result<V3Outcome, String> {
    if rec.len() < COMMON_LEN {
        return Err(format!(
            "1.6 record of {} bytes is shorter than its header",
            rec.len()
        ));
    }
    let flags = rec[4];
    let short = || {
        format!(
            "1.6 record of {} bytes is too short for its flags {flags:#x}",
            rec.len()
        )
    };
    let mut at = COMMON_LEN;
    let (src_ip, dst_ip) = if flags & 0x1 != 0 {
        let (Some(s), Some(d)) = (ipv6_at(rec, at), ipv6_at(rec, at + 16)) else {
            return Err(short());
        };
        at += 32;
        (IpAddr::V6(s), IpAddr::V6(d))
    } else {
        let (Some(s), Some(d)) = (u32_at(rec, at), u32_at(rec, at + 4)) else {
            return Err(short());
        };
        at += 8;
        (IpAddr::V4(Ipv4Addr::from(s)), IpAddr::V4(Ipv4Addr::from(d)))
    };
    let mut counter = |wide: bool| -> Option<u64> {
        let v = if wide {
            u64_at(rec, at)?
        } else {
            u64::from(u32_at(rec, at)?)
        };
        at += if wide { 8 } else { 4 };
        Some(v)
    };
    let packets = counter(flags & 0x2 != 0).ok_or_else(short)?;
    let bytes = counter(flags & 0x4 != 0).ok_or_else(short)?;
    let ms = |secs_at: usize, msec_at: usize| -> u64 {
        u64::from(u32_at(rec, secs_at).unwrap_or(0)) * 1000
            + u64::from(u16_at(rec, msec_at).unwrap_or(0))
    };
    let (start, end) = times(ms(12, 8), ms(16, 10), counts);
    let sysid = u16_at(rec, 28).unwrap_or(0);
    let sampling = sampling_of(flags & 0x80 != 0, sysid, exporters, counts);
    Ok(V3Outcome::Flow(Box::new(FlowRecord {
        exporter: exporters
            .address(sysid)
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        start,
        end,
        src_ip,
        dst_ip,
        src_port: u16_at(rec, 24).unwrap_or(0),
        dst_port: u16_at(rec, 26).unwrap_or(0),
        protocol: rec[22],
        packets,
        bytes,
        reverse_packets: None,
        reverse_bytes: None,
        tcp_flags: rec[21],
        sampling,
    })))
}
