//! NetFlow v9 (RFC 3954) and IPFIX (RFC 7011): template, options template and data sets.

use std::collections::VecDeque;
use std::net::IpAddr;

use breachscope_model::Micros;

use super::fields::{addr, be_u16, be_u32, uint};
use super::v5::uptime_to_time;
use super::{Collector, FlowRecord, NetflowError, TemplateKey, WAITING_PER_TEMPLATE};

/// IPFIX's private enterprise number for RFC 5103 reverse information elements.
const REVERSE_PEN: u32 = 29305;

/// A variable-length field (IPFIX).
const VARIABLE: u16 = 0xffff;

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const NTP_TO_UNIX: i64 = 2_208_988_800;

/// A field of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    /// Information element (v9 field type).
    ie: u16,
    /// Enterprise number (0: IANA).
    pen: u32,
    /// Length in bytes, or [`VARIABLE`].
    len: u16,
}

/// A learned template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    fields: Vec<Field>,
    /// An options template (its data describe the exporter, not flows).
    options: bool,
}

/// A data set that arrived before its template, with what its datagram's header said.
#[derive(Debug, Clone)]
pub(crate) struct PendingSet {
    body: Vec<u8>,
    clock: Clock,
}

/// A datagram's header fields that flow times are relative to.
#[derive(Debug, Clone, Copy)]
struct Clock {
    version: u16,
    /// Export time, µs.
    export_us: Micros,
    /// v9: the router's uptime at export, ms.
    uptime_ms: u32,
    /// Source id (v9) or observation domain (IPFIX).
    domain: u32,
}

/// Decodes a v9 or IPFIX datagram.
pub(crate) fn decode(
    c: &mut Collector,
    exporter: IpAddr,
    version: u16,
    d: &[u8],
    out: &mut Vec<FlowRecord>,
) -> Result<(), NetflowError> {
    let (clock, body) = if version == 9 {
        let uptime_ms = be_u32(d, 4).ok_or(NetflowError::Truncated("v9 header"))?;
        let secs = be_u32(d, 8).ok_or(NetflowError::Truncated("v9 header"))?;
        let domain = be_u32(d, 16).ok_or(NetflowError::Truncated("v9 header"))?;
        let clock = Clock {
            version,
            export_us: i64::from(secs) * 1_000_000,
            uptime_ms,
            domain,
        };
        (clock, d.get(20..).unwrap_or_default())
    } else {
        let length = usize::from(be_u16(d, 2).ok_or(NetflowError::Truncated("IPFIX header"))?);
        let secs = be_u32(d, 4).ok_or(NetflowError::Truncated("IPFIX header"))?;
        let domain = be_u32(d, 12).ok_or(NetflowError::Truncated("IPFIX header"))?;
        if length < 16 || length > d.len() {
            return Err(NetflowError::Malformed("IPFIX message length"));
        }
        let clock = Clock {
            version,
            export_us: i64::from(secs) * 1_000_000,
            uptime_ms: 0,
            domain,
        };
        (clock, d.get(16..length).unwrap_or_default())
    };
    let sets = split_sets(body);
    if sets.is_none() {
        c.stats.rejected_sets += 1;
    }
    let sets = sets.unwrap_or_default();
    // Templates and the exporter's options first: flow data in the same datagram may need the
    // exporter's clock, sent in options data after them.
    for &(id, set) in &sets {
        let is_template = (version == 9 && id <= 1) || (version == 10 && (id == 2 || id == 3));
        if is_template {
            let options = id == 1 || id == 3;
            if learn_templates(c, exporter, clock, options, set, out).is_err() {
                c.stats.rejected_sets += 1;
            }
        } else if id >= 256 {
            let key = (exporter, version, clock.domain, id);
            if c.templates.get(&key).is_some_and(|t| t.options) {
                data_set(c, exporter, key, clock, set, out);
            }
        }
    }
    for &(id, set) in &sets {
        if id < 256 {
            continue;
        }
        let key = (exporter, version, clock.domain, id);
        match c.templates.get(&key) {
            Some(t) if t.options => {}
            Some(_) => data_set(c, exporter, key, clock, set, out),
            None => wait_for_template(c, key, clock, set),
        }
    }
    Ok(())
}

/// The sets of a message body: (set id, set contents without its 4-byte header). `None` if a
/// set's length is impossible (the sets before it are returned by the caller's count).
fn split_sets(mut body: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    let mut sets = Vec::new();
    // Trailing bytes shorter than a set header are padding.
    while body.len() >= 4 {
        let id = be_u16(body, 0)?;
        let len = usize::from(be_u16(body, 2)?);
        if len < 4 || len > body.len() {
            return None;
        }
        sets.push((id, body.get(4..len)?));
        body = body.get(len..)?;
    }
    Some(sets)
}

/// Reads one field specifier at `at`, returning it and the next position.
fn field_at(set: &[u8], at: usize, version: u16) -> Option<(Field, usize)> {
    let raw = be_u16(set, at)?;
    let len = be_u16(set, at + 2)?;
    if version == 10 && raw & 0x8000 != 0 {
        let pen = be_u32(set, at + 4)?;
        Some((
            Field {
                ie: raw & 0x7fff,
                pen,
                len,
            },
            at + 8,
        ))
    } else {
        Some((
            Field {
                ie: raw,
                pen: 0,
                len,
            },
            at + 4,
        ))
    }
}

/// Learns the templates of a template or options template set; a template whose data
/// arrived first releases it.
fn learn_templates(
    c: &mut Collector,
    exporter: IpAddr,
    clock: Clock,
    options: bool,
    set: &[u8],
    out: &mut Vec<FlowRecord>,
) -> Result<(), NetflowError> {
    let bad = NetflowError::Malformed("template");
    let mut at = 0;
    // A template record is at least 4 bytes; fewer left over is padding.
    while at + 4 <= set.len() {
        let id = be_u16(set, at).ok_or(NetflowError::Truncated("template"))?;
        let count = be_u16(set, at + 2).ok_or(NetflowError::Truncated("template"))?;
        at += 4;
        let key = (exporter, clock.version, clock.domain, id);
        if id == 0 && count == 0 {
            break; // padding
        }
        if clock.version == 10 && count == 0 {
            // Withdrawal (RFC 7011 §8.1); template id 2 (3) withdraws all the exporter's
            // (options) templates of this domain.
            if id == 2 || id == 3 {
                let all_options = id == 3;
                c.templates.retain(|k, t| {
                    !(k.0 == exporter && k.1 == clock.version && k.2 == clock.domain)
                        || t.options != all_options
                });
            } else {
                c.templates.remove(&key);
            }
            c.stats.withdrawals += 1;
            continue;
        }
        let field_count = if options && clock.version == 9 {
            // v9: scope and option lengths in bytes, four bytes a field.
            let option_len = be_u16(set, at).ok_or(NetflowError::Truncated("template"))?;
            at += 2;
            (usize::from(count) + usize::from(option_len)) / 4
        } else if options {
            // IPFIX: field count, then the scope field count.
            at += 2;
            usize::from(count)
        } else {
            usize::from(count)
        };
        if id < 256 {
            return Err(bad);
        }
        let mut fields = Vec::with_capacity(field_count);
        for _ in 0..field_count {
            let (field, next) =
                field_at(set, at, clock.version).ok_or(NetflowError::Truncated("template"))?;
            fields.push(field);
            at = next;
        }
        if fields.iter().all(|f| f.len == 0) {
            return Err(bad);
        }
        c.templates.insert(key, Template { fields, options });
        c.stats.templates += 1;
        if let Some(waiting) = c.waiting.remove(&key) {
            for pending in waiting {
                data_set(c, exporter, key, pending.clock, &pending.body, out);
            }
        }
    }
    Ok(())
}

/// Keeps a data set until its template comes (the oldest is dropped past the limit).
fn wait_for_template(c: &mut Collector, key: TemplateKey, clock: Clock, set: &[u8]) {
    let queue: &mut VecDeque<PendingSet> = c.waiting.entry(key).or_default();
    if queue.len() >= WAITING_PER_TEMPLATE {
        queue.pop_front();
        c.stats.dropped_without_template += 1;
    }
    queue.push_back(PendingSet {
        body: set.to_vec(),
        clock,
    });
    c.stats.waited_for_template += 1;
}

/// The values of one data record that breachscope uses.
#[derive(Debug, Default)]
struct Values {
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    src_port: Option<u16>,
    dst_port: Option<u16>,
    protocol: Option<u8>,
    tcp_flags: u8,
    bytes: Option<u64>,
    packets: Option<u64>,
    reverse_bytes: Option<u64>,
    reverse_packets: Option<u64>,
    start_uptime: Option<u64>,
    end_uptime: Option<u64>,
    start_us: Option<Micros>,
    end_us: Option<Micros>,
    system_init_ms: Option<u64>,
    sampling_interval: Option<u64>,
    sampling_packet_interval: Option<u64>,
    sampling_packet_space: Option<u64>,
}

/// An NTP timestamp (seconds since 1900, 32-bit fraction) in µs since 1970.
fn ntp_us(v: u64) -> Micros {
    let secs = i64::try_from(v >> 32).unwrap_or(0) - NTP_TO_UNIX;
    let frac = i64::try_from(((v & 0xffff_ffff) * 1_000_000) >> 32).unwrap_or(0);
    secs.saturating_mul(1_000_000).saturating_add(frac)
}

impl Values {
    /// Takes one field's bytes; repeated fields keep their first value.
    fn take(&mut self, f: Field, b: &[u8]) {
        let n = || uint(b);
        let us = |v: Option<u64>, scale: i64| {
            v.and_then(|v| i64::try_from(v).ok())
                .map(|v| v.saturating_mul(scale))
        };
        let set_first = |slot: &mut Option<u64>, v: Option<u64>| {
            if slot.is_none() {
                *slot = v;
            }
        };
        if f.pen == REVERSE_PEN {
            match f.ie {
                1 | 85 => set_first(&mut self.reverse_bytes, n()),
                2 | 86 => set_first(&mut self.reverse_packets, n()),
                _ => {}
            }
            return;
        }
        if f.pen != 0 {
            return;
        }
        match f.ie {
            1 | 85 => set_first(&mut self.bytes, n()),
            2 | 86 => set_first(&mut self.packets, n()),
            4 => self.protocol = self.protocol.or(b.first().copied()),
            6 => self.tcp_flags |= b.last().copied().unwrap_or(0),
            7 => self.src_port = self.src_port.or(n().and_then(|v| u16::try_from(v).ok())),
            11 => self.dst_port = self.dst_port.or(n().and_then(|v| u16::try_from(v).ok())),
            8 | 27 => self.src = self.src.or(addr(b)),
            12 | 28 => self.dst = self.dst.or(addr(b)),
            22 => set_first(&mut self.start_uptime, n()),
            21 => set_first(&mut self.end_uptime, n()),
            150 => self.start_us = self.start_us.or(us(n(), 1_000_000)),
            151 => self.end_us = self.end_us.or(us(n(), 1_000_000)),
            152 => self.start_us = self.start_us.or(us(n(), 1_000)),
            153 => self.end_us = self.end_us.or(us(n(), 1_000)),
            154 | 156 => self.start_us = self.start_us.or(n().map(ntp_us)),
            155 | 157 => self.end_us = self.end_us.or(n().map(ntp_us)),
            160 => set_first(&mut self.system_init_ms, n()),
            34 | 50 => set_first(&mut self.sampling_interval, n()),
            305 => set_first(&mut self.sampling_packet_interval, n()),
            306 => set_first(&mut self.sampling_packet_space, n()),
            _ => {}
        }
    }

    /// The sampling rate these options give, if any.
    fn sampling(&self) -> Option<u32> {
        let rate = match (self.sampling_packet_interval, self.sampling_packet_space) {
            (Some(i), space) if i > 0 => (i + space.unwrap_or(0)) / i,
            _ => self.sampling_interval?,
        };
        u32::try_from(rate.max(1)).ok()
    }
}

/// Decodes a data set with its (known) template: flow records into `out`, options into the
/// exporter's state.
fn data_set(
    c: &mut Collector,
    exporter: IpAddr,
    key: TemplateKey,
    clock: Clock,
    set: &[u8],
    out: &mut Vec<FlowRecord>,
) {
    let Some(template) = c.templates.get(&key).cloned() else {
        return;
    };
    let state_key = (exporter, clock.version, clock.domain);
    let mut at = 0;
    loop {
        let start = at;
        let mut values = Values::default();
        let mut complete = true;
        for f in &template.fields {
            let len = if f.len == VARIABLE {
                match set.get(at) {
                    Some(255) => {
                        let Some(l) = be_u16(set, at + 1) else {
                            complete = false;
                            break;
                        };
                        at += 3;
                        usize::from(l)
                    }
                    Some(&l) => {
                        at += 1;
                        usize::from(l)
                    }
                    None => {
                        complete = false;
                        break;
                    }
                }
            } else {
                usize::from(f.len)
            };
            let Some(bytes) = set.get(at..at + len) else {
                complete = false;
                break;
            };
            values.take(*f, bytes);
            at += len;
        }
        // What is left after the last whole record is padding.
        if !complete || at == start {
            break;
        }
        if template.options {
            let state = c.exporter(state_key);
            if let Some(init) = values.system_init_ms.and_then(|v| i64::try_from(v).ok()) {
                state.system_init_ms = Some(init);
            }
            if let Some(rate) = values.sampling() {
                state.sampling = Some(rate);
            }
            continue;
        }
        let state = *c.exporter(state_key);
        let (Some(src_ip), Some(dst_ip)) = (values.src, values.dst) else {
            c.stats.records_without_addresses += 1;
            continue;
        };
        // A time relative to the exporter's uptime, where it can be placed.
        let uptime = |v: u64| -> Option<Micros> {
            let ms = u32::try_from(v & 0xffff_ffff).unwrap_or(0);
            if clock.version == 9 {
                Some(uptime_to_time(clock.export_us, clock.uptime_ms, ms))
            } else {
                state
                    .system_init_ms
                    .map(|init| init.saturating_add(i64::from(ms)).saturating_mul(1_000))
            }
        };
        let start_us = match values.start_us.or(values.start_uptime.and_then(uptime)) {
            Some(t) => t,
            None => {
                c.stats.records_timed_by_export += 1;
                clock.export_us
            }
        };
        let end_us = values
            .end_us
            .or(values.end_uptime.and_then(uptime))
            .unwrap_or(start_us);
        let sampling = state.sampling.unwrap_or(1);
        let scale = |v: Option<u64>| v.map(|v| v.saturating_mul(u64::from(sampling)));
        out.push(FlowRecord {
            exporter,
            start: start_us,
            end: end_us.max(start_us),
            src_ip,
            dst_ip,
            src_port: values.src_port.unwrap_or(0),
            dst_port: values.dst_port.unwrap_or(0),
            protocol: values.protocol.unwrap_or(0),
            packets: scale(values.packets).unwrap_or(0),
            bytes: scale(values.bytes).unwrap_or(0),
            reverse_packets: scale(values.reverse_packets),
            reverse_bytes: scale(values.reverse_bytes),
            tcp_flags: values.tcp_flags,
            sampling,
        });
    }
}
