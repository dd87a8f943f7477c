//! NetFlow v5, v9 and IPFIX (v10) export datagrams into flow records, and the two directions
//! of a connection paired into one [`breachscope_model::Flow`].
//!
//! * [`Collector`] decodes datagrams: the fixed v5 layout, and v9/IPFIX template, options
//!   template and data sets. Templates are kept per exporter address, observation domain
//!   (IPFIX) or source id (v9), and template id; a template withdrawal (IPFIX, field count 0)
//!   removes it; data that arrives before its template waits (a few sets per template) and is
//!   decoded when the template comes. Options data give the exporter's sampling rate (v5's
//!   header, v9 `SAMPLING_INTERVAL`, IPFIX `samplingInterval` or `samplingPacketInterval` +
//!   `samplingPacketSpace`): counts are scaled by it and the rate kept on the record.
//!   Flow times come from whatever the template carries: absolute seconds, milliseconds,
//!   microseconds or nanoseconds, or the router's uptime (v9: against the header's uptime and
//!   export time, as a signed 32-bit difference; IPFIX: against `systemInitTimeMilliseconds`
//!   from options data). Enterprise, variable-length and repeated fields are skipped safely.
//!   Nothing in a datagram can make it panic: a malformed datagram or set is counted and named.
//! * [`pair`] joins a connection's two unidirectional records into one flow the way Zeek
//!   reports it (originator = the side that started first), as detection expects.
//!
//! [`udp::UdpCollector`] receives exports on a socket; the same collector reads captured
//! exports offline ([`crate::pcap`] yields the datagrams).

mod fields;
pub mod pair;
mod template;
pub mod udp;
mod v5;

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use breachscope_model::Micros;

pub use pair::Pairer;

/// One unidirectional flow record as an exporter reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    /// The exporter's address (the datagram's source).
    pub exporter: IpAddr,
    /// First packet, µs since the epoch.
    pub start: Micros,
    /// Last packet, µs since the epoch.
    pub end: Micros,
    /// Source address.
    pub src_ip: IpAddr,
    /// Destination address.
    pub dst_ip: IpAddr,
    /// Source port (0 where the protocol has none).
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// IANA protocol number.
    pub protocol: u8,
    /// Packets (scaled by the sampling rate).
    pub packets: u64,
    /// IP-level bytes, headers included (scaled by the sampling rate).
    pub bytes: u64,
    /// Packets of the reverse direction, from an RFC 5103 biflow record.
    pub reverse_packets: Option<u64>,
    /// IP-level bytes of the reverse direction, from an RFC 5103 biflow record.
    pub reverse_bytes: Option<u64>,
    /// TCP flags seen (OR of all packets).
    pub tcp_flags: u8,
    /// One packet in this many was sampled (1: unsampled).
    pub sampling: u32,
}

/// Why a datagram, or part of one, could not be decoded. Reasons name the field; they never
/// quote the datagram.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetflowError {
    /// Too short for its header or a set.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// Not NetFlow v5, v9 or IPFIX.
    #[error("unknown export version {0}")]
    Version(u16),
    /// A header or set field is impossible.
    #[error("bad {0}")]
    Malformed(&'static str),
}

/// What the collector has counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CollectorStats {
    /// Datagrams decoded (in whole or in part).
    pub datagrams: u64,
    /// Datagrams rejected whole (bad header, unknown version).
    pub rejected_datagrams: u64,
    /// Sets skipped as malformed inside otherwise good datagrams.
    pub rejected_sets: u64,
    /// Flow records decoded.
    pub records: u64,
    /// Flow records without addresses (options data, or templates without them), skipped.
    pub records_without_addresses: u64,
    /// Data sets that waited for their template.
    pub waited_for_template: u64,
    /// Data sets dropped because their template never came in time.
    pub dropped_without_template: u64,
    /// Flow records whose start had to be taken from the datagram's export time: their
    /// template carries no absolute time, and the uptime it carries could not be placed (IPFIX
    /// without `systemInitTimeMilliseconds` from the exporter's options yet).
    pub records_timed_by_export: u64,
    /// Templates learned (including refreshes).
    pub templates: u64,
    /// Templates withdrawn.
    pub withdrawals: u64,
}

/// Where a template lives: exporter, version, observation domain or source id, template id.
type TemplateKey = (IpAddr, u16, u32, u16);

/// An exporter's (and domain's) clock and sampling, learned from options data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ExporterState {
    /// IPFIX `systemInitTimeMilliseconds`: the epoch of `flowStartSysUpTime`.
    system_init_ms: Option<i64>,
    /// Packets per sampled packet.
    sampling: Option<u32>,
}

/// Data sets waiting for a template, at most this many per template.
const WAITING_PER_TEMPLATE: usize = 16;

/// Decodes export datagrams, keeping templates and exporter state between them.
#[derive(Debug, Default)]
pub struct Collector {
    templates: HashMap<TemplateKey, template::Template>,
    exporters: HashMap<(IpAddr, u16, u32), ExporterState>,
    waiting: HashMap<TemplateKey, VecDeque<template::PendingSet>>,
    stats: CollectorStats,
}

impl Collector {
    /// A collector that knows no templates yet.
    pub fn new() -> Self {
        Collector::default()
    }

    /// What has been counted.
    pub fn stats(&self) -> CollectorStats {
        self.stats
    }

    /// Decodes one datagram from `exporter`, appending its flow records to `out`. A datagram
    /// that is not an export at all is an error (counted); a malformed set inside a good one is
    /// counted and skipped, and the rest of the datagram still decoded.
    pub fn decode(
        &mut self,
        exporter: IpAddr,
        datagram: &[u8],
        out: &mut Vec<FlowRecord>,
    ) -> Result<(), NetflowError> {
        let version = fields::be_u16(datagram, 0).ok_or(NetflowError::Truncated("header"))?;
        let before = out.len();
        let result = match version {
            5 => v5::decode(exporter, datagram, out),
            9 | 10 => template::decode(self, exporter, version, datagram, out),
            other => Err(NetflowError::Version(other)),
        };
        match &result {
            Ok(()) => self.stats.datagrams += 1,
            Err(_) => self.stats.rejected_datagrams += 1,
        }
        self.stats.records += out.len().saturating_sub(before) as u64;
        result
    }

    fn exporter(&mut self, key: (IpAddr, u16, u32)) -> &mut ExporterState {
        self.exporters.entry(key).or_default()
    }
}

#[cfg(test)]
mod tests;
