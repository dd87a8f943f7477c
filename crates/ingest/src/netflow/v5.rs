//! NetFlow v5: a 24-byte header and up to 30 fixed 48-byte IPv4 records.

use std::net::IpAddr;

use breachscope_model::Micros;

use super::fields::{addr, be_u16, be_u32};
use super::{FlowRecord, NetflowError};

const HEADER: usize = 24;
const RECORD: usize = 48;

/// The time `at_uptime_ms` on a router whose uptime was `uptime_ms` at `export_us`: the
/// difference is taken as a signed 32-bit number of milliseconds, so a counter that wrapped
/// between the two still gives the right time.
pub(crate) fn uptime_to_time(export_us: Micros, uptime_ms: u32, at_uptime_ms: u32) -> Micros {
    let behind = i64::from(uptime_ms.wrapping_sub(at_uptime_ms).cast_signed());
    export_us.saturating_sub(behind.saturating_mul(1_000))
}

/// Decodes a v5 datagram.
pub(crate) fn decode(
    exporter: IpAddr,
    d: &[u8],
    out: &mut Vec<FlowRecord>,
) -> Result<(), NetflowError> {
    let count = usize::from(be_u16(d, 2).ok_or(NetflowError::Truncated("v5 header"))?);
    let uptime = be_u32(d, 4).ok_or(NetflowError::Truncated("v5 header"))?;
    let secs = be_u32(d, 8).ok_or(NetflowError::Truncated("v5 header"))?;
    let nsecs = be_u32(d, 12).ok_or(NetflowError::Truncated("v5 header"))?;
    let sampling_field = be_u16(d, 22).ok_or(NetflowError::Truncated("v5 header"))?;
    if count == 0 || count > 30 {
        return Err(NetflowError::Malformed("v5 record count"));
    }
    if d.len() < HEADER + count * RECORD {
        return Err(NetflowError::Truncated("v5 records"));
    }
    let sampling = u32::from(sampling_field & 0x3fff).max(1);
    let export_us = i64::from(secs) * 1_000_000 + i64::from(nsecs / 1_000);
    for k in 0..count {
        let r = &d[HEADER + k * RECORD..HEADER + (k + 1) * RECORD];
        let u32_at = |at| be_u32(r, at).unwrap_or(0);
        let (Some(src_ip), Some(dst_ip)) = (addr(&r[0..4]), addr(&r[4..8])) else {
            continue;
        };
        out.push(FlowRecord {
            exporter,
            start: uptime_to_time(export_us, uptime, u32_at(24)),
            end: uptime_to_time(export_us, uptime, u32_at(28)),
            src_ip,
            dst_ip,
            src_port: be_u16(r, 32).unwrap_or(0),
            dst_port: be_u16(r, 34).unwrap_or(0),
            protocol: r[38],
            packets: u64::from(u32_at(16)) * u64::from(sampling),
            bytes: u64::from(u32_at(20)) * u64::from(sampling),
            reverse_packets: None,
            reverse_bytes: None,
            tcp_flags: r[37],
            sampling,
        });
    }
    Ok(())
}
