//! A connection's two unidirectional records as one flow.
//!
//! Exporters report each direction of a connection as its own record (softflowd, routers);
//! detection, like Zeek, counts a connection once with bytes out and in. A record waits for
//! its reverse (same protocol, addresses and ports swapped, times overlapping within
//! [`MATCH_SLACK`]); the pair becomes one [`Flow`] whose originator is the side that started
//! first (on equal starts, the side talking to the lower port: a client to a service). A
//! record whose reverse has not come within the hold time is a one-way flow (nothing came back,
//! or the exporter saw one direction only). An RFC 5103 biflow record is a whole connection.
//!
//! NetFlow counts IP-level bytes (headers included) and never the payload alone, so a flow's
//! `bytes_out`/`bytes_in` are the IP bytes as well as its `ip_bytes_out`/`ip_bytes_in`.

use std::net::IpAddr;

use breachscope_model::{Flow, Micros, Transport};
use rustc_hash::FxHashMap;

use super::FlowRecord;

/// How far apart in time a record and its reverse may be and still pair (exporters flush the
/// two directions at slightly different moments).
pub const MATCH_SLACK: Micros = 5_000_000;

/// One direction of a connection: protocol, source, destination.
type Direction = (u8, IpAddr, u16, IpAddr, u16);

fn direction(r: &FlowRecord) -> Direction {
    (r.protocol, r.src_ip, r.src_port, r.dst_ip, r.dst_port)
}

fn reverse(d: Direction) -> Direction {
    (d.0, d.3, d.4, d.1, d.2)
}

/// Records waiting for their reverse.
#[derive(Debug, Default)]
pub struct Pairer {
    waiting: FxHashMap<Direction, Vec<FlowRecord>>,
    held: usize,
    /// Flows made from two records.
    pub paired: u64,
    /// Flows made from one record (no reverse came, or a biflow record).
    pub one_way: u64,
}

impl Pairer {
    /// A pairer with nothing waiting.
    pub fn new() -> Self {
        Pairer::default()
    }

    /// Records waiting for their reverse.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Takes one record: a flow comes out when it completes a pair (or is a biflow record).
    pub fn push(&mut self, r: FlowRecord, out: &mut Vec<Flow>) {
        if r.reverse_bytes.is_some() || r.reverse_packets.is_some() {
            self.one_way += 1;
            out.push(biflow(&r));
            return;
        }
        let key = direction(&r);
        if let Some(candidates) = self.waiting.get_mut(&reverse(key)) {
            let matching = candidates.iter().position(|w| {
                w.start <= r.end.saturating_add(MATCH_SLACK)
                    && r.start <= w.end.saturating_add(MATCH_SLACK)
            });
            if let Some(i) = matching {
                let other = candidates.swap_remove(i);
                if candidates.is_empty() {
                    self.waiting.remove(&reverse(key));
                }
                self.held -= 1;
                self.paired += 1;
                out.push(pair(other, r));
                return;
            }
        }
        self.waiting.entry(key).or_default().push(r);
        self.held += 1;
    }

    /// Gives up on records that ended before `before`: each becomes a one-way flow. A
    /// collector calls this with its event-time watermark less the hold time.
    pub fn expire(&mut self, before: Micros, out: &mut Vec<Flow>) {
        let mut expired = Vec::new();
        self.waiting.retain(|_, records| {
            records.retain(|r| {
                let keep = r.end >= before;
                if !keep {
                    expired.push(r.clone());
                }
                keep
            });
            !records.is_empty()
        });
        self.emit_one_way(expired, out);
    }

    /// Every record still waiting, as one-way flows (end of input).
    pub fn finish(&mut self, out: &mut Vec<Flow>) {
        let rest: Vec<FlowRecord> = self.waiting.drain().flat_map(|(_, r)| r).collect();
        self.emit_one_way(rest, out);
    }

    fn emit_one_way(&mut self, mut records: Vec<FlowRecord>, out: &mut Vec<Flow>) {
        records.sort_by_key(|r| (r.start, r.end));
        self.held -= records.len().min(self.held);
        self.one_way += records.len() as u64;
        out.extend(records.iter().map(one_way));
    }
}

/// The originator of two records of one connection: the earlier start, else the side whose
/// destination port is the lower (a client contacting a service).
fn pair(a: FlowRecord, b: FlowRecord) -> Flow {
    let a_first = (a.start, a.dst_port) <= (b.start, b.dst_port);
    let (orig, resp) = if a_first { (a, b) } else { (b, a) };
    let start = orig.start.min(resp.start);
    let end = orig.end.max(resp.end);
    flow(&orig, start, end, Some(resp.bytes), Some(resp.packets))
}

fn one_way(r: &FlowRecord) -> Flow {
    flow(r, r.start, r.end, None, None)
}

fn biflow(r: &FlowRecord) -> Flow {
    flow(r, r.start, r.end, r.reverse_bytes, r.reverse_packets)
}

fn flow(
    orig: &FlowRecord,
    start: Micros,
    end: Micros,
    bytes_in: Option<u64>,
    packets_in: Option<u64>,
) -> Flow {
    Flow {
        start,
        duration: Some(end.saturating_sub(start).max(0)),
        uid: None,
        src_ip: orig.src_ip,
        src_port: orig.src_port,
        dst_ip: orig.dst_ip,
        dst_port: orig.dst_port,
        transport: Transport::from_number(orig.protocol),
        service: None,
        bytes_out: Some(orig.bytes),
        bytes_in,
        packets_out: Some(orig.packets),
        packets_in,
        ip_bytes_out: Some(orig.bytes),
        ip_bytes_in: bytes_in,
        missed_bytes: None,
        conn_state: None,
        history: None,
        local_orig: None,
        local_resp: None,
    }
}
