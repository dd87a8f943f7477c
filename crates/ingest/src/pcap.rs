//! UDP datagrams out of a classic libpcap capture file (`tcpdump -w`): both byte orders,
//! microsecond and nanosecond timestamps; link types Ethernet (with 802.1Q tags), Linux cooked
//! (v1 and v2), BSD loopback and raw IP; IPv4 and IPv6 (extension headers skipped). What the
//! NetFlow collector reads when it decodes captured exports offline. Packets that are not
//! whole UDP datagrams (other protocols, later fragments, cut by the snap length) are counted,
//! never fatal; a damaged record header ends the file with the count of what came before.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use breachscope_model::Micros;

/// A UDP datagram from the capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Capture time, µs since the epoch.
    pub time: Micros,
    /// Sender.
    pub src: IpAddr,
    /// Sender's port.
    pub src_port: u16,
    /// Receiver.
    pub dst: IpAddr,
    /// Receiver's port.
    pub dst_port: u16,
    /// The UDP payload.
    pub payload: &'a [u8],
    /// 1-based number of the packet in the file.
    pub packet: u64,
}

/// What a capture held besides its UDP datagrams.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PcapStats {
    /// Packet records read.
    pub packets: u64,
    /// Packets that are not UDP (or not IP).
    pub not_udp: u64,
    /// UDP packets cut by the snap length, or later fragments of a datagram.
    pub incomplete: u64,
    /// Set when the file ended inside a record (a capture cut short).
    pub truncated: bool,
}

/// Why a file is not a capture this reader can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PcapError {
    /// Not a classic pcap file.
    #[error("not a pcap capture (magic number {0:#010x})")]
    Magic(u32),
    /// A link type without IP.
    #[error("unsupported pcap link type {0}")]
    LinkType(u32),
}

/// The UDP datagrams of a capture held in `bytes`, in file order.
pub fn udp_datagrams(bytes: &[u8]) -> Result<(Vec<Datagram<'_>>, PcapStats), PcapError> {
    let magic_le = bytes
        .get(0..4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes);
    let (big_endian, nanos) = match magic_le {
        0xa1b2_c3d4 => (false, false),
        0xa1b2_3c4d => (false, true),
        0xd4c3_b2a1 => (true, false),
        0x4d3c_b2a1 => (true, true),
        other => return Err(PcapError::Magic(other)),
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let link = u32_at(20).ok_or(PcapError::Magic(magic_le))? & 0x0fff_ffff;
    if !matches!(link, 0 | 1 | 12 | 14 | 101 | 108 | 113 | 228 | 229 | 276) {
        return Err(PcapError::LinkType(link));
    }
    let mut stats = PcapStats::default();
    let mut out = Vec::new();
    let mut at = 24;
    while at < bytes.len() {
        let (Some(secs), Some(frac), Some(caplen)) = (u32_at(at), u32_at(at + 4), u32_at(at + 8))
        else {
            stats.truncated = true;
            break;
        };
        let caplen = caplen as usize;
        let Some(frame) = bytes.get(at + 16..at + 16 + caplen) else {
            stats.truncated = true;
            break;
        };
        at += 16 + caplen;
        stats.packets += 1;
        let time = i64::from(secs) * 1_000_000
            + if nanos {
                i64::from(frac / 1_000)
            } else {
                i64::from(frac)
            };
        match ip_of_frame(link, frame).map(udp_of_ip) {
            Some(Udp::Whole(src, src_port, dst, dst_port, payload)) => out.push(Datagram {
                time,
                src,
                src_port,
                dst,
                dst_port,
                payload,
                packet: stats.packets,
            }),
            Some(Udp::Incomplete) => stats.incomplete += 1,
            Some(Udp::Other) | None => stats.not_udp += 1,
        }
    }
    Ok((out, stats))
}

/// The IP packet of a link-layer frame.
fn ip_of_frame(link: u32, f: &[u8]) -> Option<&[u8]> {
    match link {
        // Ethernet, with any 802.1Q / 802.1ad tags.
        1 => {
            let mut at = 12;
            loop {
                let ethertype = u16::from_be_bytes(f.get(at..at + 2)?.try_into().ok()?);
                if ethertype == 0x8100 || ethertype == 0x88a8 {
                    at += 4;
                    continue;
                }
                return matches!(ethertype, 0x0800 | 0x86dd).then(|| f.get(at + 2..))?;
            }
        }
        // BSD loopback: a 4-byte address family in the capturing host's order.
        0 | 108 => f.get(4..),
        // Linux cooked v1 (16-byte header) and v2 (20 bytes).
        113 => f.get(16..),
        276 => f.get(20..),
        // Raw IP.
        _ => Some(f),
    }
}

enum Udp<'a> {
    Whole(IpAddr, u16, IpAddr, u16, &'a [u8]),
    Incomplete,
    Other,
}

fn udp_of_ip(p: &[u8]) -> Udp<'_> {
    let Some(&first) = p.first() else {
        return Udp::Other;
    };
    let (src, dst, mut next, mut at, fragment_later) = match first >> 4 {
        4 => {
            let ihl = usize::from(first & 0x0f) * 4;
            let (Some(s), Some(d), Some(&proto), Some(frag)) = (
                p.get(12..16).and_then(|b| <[u8; 4]>::try_from(b).ok()),
                p.get(16..20).and_then(|b| <[u8; 4]>::try_from(b).ok()),
                p.get(9),
                p.get(6..8),
            ) else {
                return Udp::Other;
            };
            let offset = u16::from_be_bytes([frag[0] & 0x1f, frag[1]]);
            (
                IpAddr::V4(Ipv4Addr::from(s)),
                IpAddr::V4(Ipv4Addr::from(d)),
                proto,
                ihl,
                offset != 0,
            )
        }
        6 => {
            let (Some(s), Some(d), Some(&proto)) = (
                p.get(8..24).and_then(|b| <[u8; 16]>::try_from(b).ok()),
                p.get(24..40).and_then(|b| <[u8; 16]>::try_from(b).ok()),
                p.get(6),
            ) else {
                return Udp::Other;
            };
            (
                IpAddr::V6(Ipv6Addr::from(s)),
                IpAddr::V6(Ipv6Addr::from(d)),
                proto,
                40,
                false,
            )
        }
        _ => return Udp::Other,
    };
    // IPv6 extension headers: hop-by-hop, routing, destination options; a fragment header
    // means the datagram is in pieces.
    while matches!(next, 0 | 43 | 60 | 44) {
        if next == 44 {
            return Udp::Incomplete;
        }
        let (Some(&n), Some(&len)) = (p.get(at), p.get(at + 1)) else {
            return Udp::Other;
        };
        next = n;
        at += (usize::from(len) + 1) * 8;
    }
    if next != 17 {
        return Udp::Other;
    }
    if fragment_later {
        return Udp::Incomplete;
    }
    let Some(h) = p.get(at..at + 8) else {
        return Udp::Incomplete;
    };
    let src_port = u16::from_be_bytes([h[0], h[1]]);
    let dst_port = u16::from_be_bytes([h[2], h[3]]);
    let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
    match p.get(at + 8..at + len.max(8)) {
        Some(payload) => Udp::Whole(src, src_port, dst, dst_port, payload),
        None => Udp::Incomplete,
    }
}
