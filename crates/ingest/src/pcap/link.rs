//! From a link-layer frame to its IP packet: Ethernet (with Cisco FabricPath, 802.1Q / 802.1ad /
//! QinQ tags, MPLS label stacks, PPPoE sessions, 802.2 SNAP, 802.1ah PBB, VN-Tag), PPP, Linux cooked capture v1 and v2, BSD
//! loopback (null and loop), raw IP; then the IPv4 or IPv6 header (IPv6 extension headers
//! walked; IP-in-IP and GRE unwrapped: IP, transparent Ethernet bridging, ERSPAN II/III, PPTP). What cannot be decoded is named by a reason.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A fragment of an IP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// Identification field.
    pub id: u32,
    /// Offset of this piece in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
}

/// An IP packet inside a frame.
#[derive(Debug, Clone, Copy)]
pub struct IpPacket<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Transport protocol (the last IPv6 header's next-header value).
    pub proto: u8,
    /// The IP length of the packet (IPv4 total length; IPv6 payload length + 40), what Zeek
    /// counts as `ip_bytes`.
    pub total_len: u32,
    /// Transport bytes as captured (cut to the length the IP header states).
    pub payload: &'a [u8],
    /// Transport length the IP header states.
    pub payload_len: u32,
    /// Set for a fragment.
    pub fragment: Option<Fragment>,
    /// The IPv4 header, for its checksum (`None` for IPv6).
    pub v4_header: Option<&'a [u8]>,
}

/// Why a frame yields no IP packet.
pub type Reason = &'static str;

/// The IP packet of a frame of `link` type. `wire_len` is the frame's length on the wire.
pub fn decode(link: u32, frame: &[u8], wire_len: u32) -> Result<IpPacket<'_>, Reason> {
    decode_with(link, frame, wire_len, false)
}

/// [`decode`], optionally taking an outer IPv4 total length of 0 (segmentation offload on the
/// capturing host) as "the rest of the frame", as Zeek does when checksums are not checked.
pub fn decode_with(
    link: u32,
    frame: &[u8],
    wire_len: u32,
    zero_len_is_rest: bool,
) -> Result<IpPacket<'_>, Reason> {
    let (at, kind) = link_payload(link, frame)?;
    let ip = frame.get(at..).ok_or("truncated link header")?;
    let wire = (wire_len as usize).saturating_sub(at);
    match kind {
        L3::Ip => ip_packet_opts(ip, wire, 0, zero_len_is_rest),
        L3::Other(r) => Err(r),
    }
}

enum L3 {
    Ip,
    Other(Reason),
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn link_payload(link: u32, f: &[u8]) -> Result<(usize, L3), Reason> {
    match link {
        1 => ethernet(f),
        // BSD null: address family in the capturing host's byte order; loop: network order.
        0 | 108 => {
            let b = f.get(0..4).ok_or("truncated loopback header")?;
            let fam_le = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let fam_be = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            let ip = |fam: u32| matches!(fam, 2 | 24 | 28 | 30);
            if ip(fam_le) || ip(fam_be) {
                Ok((4, L3::Ip))
            } else {
                Ok((4, L3::Other("loopback family not IP")))
            }
        }
        // Raw IP (LINKTYPE_RAW, DLT_RAW on some systems, IPv4, IPv6).
        101 | 12 | 14 | 228 | 229 => Ok((0, L3::Ip)),
        // PPP (with or without the HDLC address and control bytes) and PPP in HDLC framing.
        9 | 50 => {
            let at = if f.get(0..2) == Some(&[0xff, 0x03]) {
                2
            } else {
                0
            };
            ppp(f, at)
        }
        113 => {
            let proto = be16(f, 14).ok_or("truncated Linux cooked header")?;
            ethertype(f, 16, proto, 0)
        }
        276 => {
            let proto = be16(f, 0).ok_or("truncated Linux cooked v2 header")?;
            ethertype(f, 20, proto, 0)
        }
        _ => Err("unsupported link type"),
    }
}

fn ethernet(f: &[u8]) -> Result<(usize, L3), Reason> {
    if f.len() <= 16 {
        return Err("truncated Ethernet frame");
    }
    let mut at = 12;
    // Cisco FabricPath: a 16-byte outer header before the inner Ethernet frame.
    if be16(f, 12) == Some(0x8903) {
        if f.len() <= 16 + 14 {
            return Err("truncated FabricPath header");
        }
        at += 16;
    }
    let t = be16(f, at).ok_or("truncated Ethernet frame")?;
    if t <= 1500 {
        // 802.2 SNAP with an ethertype (AA AA 03, OUI, type); other LLC frames are not IP.
        if f.get(at + 2..at + 5) == Some(&[0xaa, 0xaa, 0x03]) {
            let inner = be16(f, at + 8).ok_or("truncated SNAP header")?;
            return ethertype(f, at + 10, inner, 0);
        }
        return Ok((at + 2, L3::Other("802.3/LLC frame")));
    }
    ethertype(f, at + 2, t, 0)
}

fn ethertype(f: &[u8], at: usize, t: u16, depth: u8) -> Result<(usize, L3), Reason> {
    if depth > 8 {
        return Err("too many nested tags");
    }
    match t {
        0x0800 | 0x86dd => Ok((at, L3::Ip)),
        0x8100 | 0x88a8 | 0x9100 => {
            let inner = be16(f, at + 2).ok_or("truncated VLAN tag")?;
            ethertype(f, at + 4, inner, depth + 1)
        }
        0x8847 | 0x8848 => {
            let mut at = at;
            loop {
                let b = f.get(at + 2).ok_or("truncated MPLS label")?;
                at += 4;
                if b & 1 == 1 {
                    break;
                }
            }
            match f.get(at).map(|v| v >> 4) {
                Some(4 | 6) => Ok((at, L3::Ip)),
                Some(_) => Ok((at, L3::Other("MPLS payload not IP"))),
                None => Err("truncated MPLS payload"),
            }
        }
        0x8864 => {
            let proto = be16(f, at + 6).ok_or("truncated PPPoE header")?;
            match proto {
                0x0021 | 0x0057 => Ok((at + 8, L3::Ip)),
                _ => Ok((at + 8, L3::Other("PPPoE payload not IP"))),
            }
        }
        // 802.1ah provider backbone bridging: I-TAG, then the customer's Ethernet header.
        0x88e7 => {
            let inner = be16(f, at + 16).ok_or("truncated PBB header")?;
            ethertype(f, at + 18, inner, depth + 1)
        }
        // Cisco VN-Tag.
        0x8926 => {
            let inner = be16(f, at + 4).ok_or("truncated VN-Tag")?;
            ethertype(f, at + 6, inner, depth + 1)
        }
        0x0806 | 0x8035 => Ok((at, L3::Other("ARP"))),
        0x8863 => Ok((at, L3::Other("PPPoE discovery"))),
        _ => Ok((at, L3::Other("other ethertype"))),
    }
}

fn ppp(f: &[u8], at: usize) -> Result<(usize, L3), Reason> {
    match be16(f, at).ok_or("truncated PPP header")? {
        0x0021 | 0x0057 => Ok((at + 2, L3::Ip)),
        _ => Ok((at + 2, L3::Other("PPP payload not IP"))),
    }
}

/// The IP packet inside a GRE header (GRE over UDP, port 4754).
pub fn gre_packet(p: &[u8]) -> Result<IpPacket<'_>, Reason> {
    gre(p, 1)
}

/// The frame or packet a GRE header carries: plain IP, Ethernet (transparent bridging),
/// ERSPAN type II/III, or PPP (PPTP's enhanced GRE).
fn gre(p: &[u8], depth: u8) -> Result<IpPacket<'_>, Reason> {
    let flags = be16(p, 0).ok_or("truncated GRE header")?;
    let proto = be16(p, 2).ok_or("truncated GRE header")?;
    let version = flags & 7;
    let mut at = 4;
    if flags & 0x8000 != 0 || (version == 0 && flags & 0x4000 != 0) {
        at += 4; // checksum (and reserved)
    }
    if flags & 0x2000 != 0 {
        at += 4; // key (PPTP: payload length and call id)
    }
    if flags & 0x1000 != 0 {
        at += 4; // sequence number
    }
    if version == 1 && flags & 0x0080 != 0 {
        at += 4; // PPTP acknowledgment number
    }
    let rest = p.get(at..).ok_or("truncated GRE header")?;
    let frame = |link: u32, b: &'_ [u8]| -> Result<(usize, L3), Reason> { link_payload(link, b) };
    let (inner, kind) = match proto {
        0x0800 | 0x86dd => (rest, L3::Ip),
        0x6558 => {
            let (off, k) = frame(1, rest)?;
            (rest.get(off..).ok_or("truncated GRE payload")?, k)
        }
        0x88be => {
            // ERSPAN type I has no header of its own (and no GRE sequence number); type II has 8 bytes.
            let skip = if flags & 0x1000 != 0 { 8 } else { 0 };
            let b = rest.get(skip..).ok_or("truncated ERSPAN header")?;
            let (off, k) = frame(1, b)?;
            (b.get(off..).ok_or("truncated GRE payload")?, k)
        }
        0x22eb => {
            let o = rest.get(11).ok_or("truncated ERSPAN header")?;
            let b = rest
                .get(if o & 1 != 0 { 20 } else { 12 }..)
                .ok_or("truncated ERSPAN header")?;
            let (off, k) = frame(1, b)?;
            (b.get(off..).ok_or("truncated GRE payload")?, k)
        }
        0x880b => {
            let skip = if rest.get(0..2) == Some(&[0xff, 0x03]) {
                2
            } else {
                0
            };
            // PPP protocol field may be compressed to one byte.
            match rest.get(skip) {
                Some(0x21) => (rest.get(skip + 1..).unwrap_or(&[]), L3::Ip),
                Some(0x57) => (rest.get(skip + 1..).unwrap_or(&[]), L3::Ip),
                _ => {
                    let (off, k) = ppp(rest, skip)?;
                    (rest.get(off..).ok_or("truncated GRE payload")?, k)
                }
            }
        }
        _ => return Err("GRE payload not supported"),
    };
    match kind {
        L3::Ip => ip_packet(inner, inner.len(), depth + 1),
        L3::Other(r) => Err(r),
    }
}

/// Decodes an IP header. `wire` is the packet's length on the wire from here on.
pub fn ip_packet(p: &[u8], wire: usize, depth: u8) -> Result<IpPacket<'_>, Reason> {
    ip_packet_opts(p, wire, depth, false)
}

fn ip_packet_opts(
    p: &[u8],
    wire: usize,
    depth: u8,
    zero_len_is_rest: bool,
) -> Result<IpPacket<'_>, Reason> {
    let first = *p.first().ok_or("truncated IP header")?;
    match first >> 4 {
        4 => {
            let ihl = usize::from(first & 0x0f) * 4;
            if p.len() < 20 {
                return Err("truncated IP header");
            }
            if ihl < 20 {
                return Err("IPv4 header length under 20");
            }
            let mut total = usize::from(be16(p, 2).ok_or("truncated IP header")?);
            if total == 0 {
                if !zero_len_is_rest {
                    return Err("IPv4 total length zero");
                }
                total = p.len().min(wire).min(65_535);
            }
            if wire < total {
                return Err("IP length beyond the frame");
            }
            if ihl > total {
                return Err("IPv4 header length beyond total length");
            }
            if ihl > p.len() {
                return Err("truncated IP header");
            }
            let frag = be16(p, 6).unwrap_or(0);
            let offset = u32::from(frag & 0x1fff) * 8;
            let more = frag & 0x2000 != 0;
            let proto = p[9];
            let src = IpAddr::V4(Ipv4Addr::new(p[12], p[13], p[14], p[15]));
            let dst = IpAddr::V4(Ipv4Addr::new(p[16], p[17], p[18], p[19]));
            let end = total.min(p.len());
            let payload = p.get(ihl..end).unwrap_or(&[]);
            let pkt = IpPacket {
                src,
                dst,
                proto,
                total_len: total as u32,
                payload,
                payload_len: (total - ihl) as u32,
                fragment: (offset != 0 || more).then_some(Fragment {
                    id: u32::from(be16(p, 4).unwrap_or(0)),
                    offset,
                    more,
                }),
                v4_header: p.get(..ihl),
            };
            tunnel(pkt, wire.saturating_sub(ihl), depth)
        }
        6 => {
            if p.len() < 40 {
                return Err("truncated IP header");
            }
            let plen = usize::from(be16(p, 4).unwrap_or(0));
            let total = plen + 40;
            if wire < total {
                return Err("IP length beyond the frame");
            }
            let mut s = [0u8; 16];
            s.copy_from_slice(&p[8..24]);
            let mut d = [0u8; 16];
            d.copy_from_slice(&p[24..40]);
            let mut next = p[6];
            let mut at = 40;
            let mut fragment = None;
            loop {
                match next {
                    0 | 43 | 60 | 135 | 139 | 140 => {
                        let n = *p.get(at).ok_or("truncated IPv6 extension header")?;
                        let len = *p.get(at + 1).ok_or("truncated IPv6 extension header")?;
                        next = n;
                        at += (usize::from(len) + 1) * 8;
                    }
                    51 => {
                        let n = *p.get(at).ok_or("truncated IPv6 extension header")?;
                        let len = *p.get(at + 1).ok_or("truncated IPv6 extension header")?;
                        next = n;
                        at += (usize::from(len) + 2) * 4;
                    }
                    44 => {
                        let h = p.get(at..at + 8).ok_or("truncated IPv6 fragment header")?;
                        next = h[0];
                        let off = u16::from_be_bytes([h[2], h[3]]);
                        let id = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
                        let offset = u32::from(off >> 3) * 8;
                        let more = off & 1 != 0;
                        if offset != 0 || more {
                            fragment = Some(Fragment { id, offset, more });
                        }
                        at += 8;
                    }
                    _ => break,
                }
                if at > total {
                    return Err("IPv6 extension headers beyond payload length");
                }
            }
            let end = total.min(p.len());
            let pkt = IpPacket {
                src: IpAddr::V6(Ipv6Addr::from(s)),
                dst: IpAddr::V6(Ipv6Addr::from(d)),
                proto: next,
                total_len: total as u32,
                payload: p.get(at.min(end)..end).unwrap_or(&[]),
                payload_len: (total - at) as u32,
                fragment,
                v4_header: None,
            };
            tunnel(pkt, wire.saturating_sub(at), depth)
        }
        _ => Err("not IPv4 or IPv6"),
    }
}

/// IP in IP (protocols 4 and 41): the inner packet.
fn tunnel(pkt: IpPacket<'_>, wire: usize, depth: u8) -> Result<IpPacket<'_>, Reason> {
    if matches!(pkt.proto, 4 | 41) && pkt.fragment.is_none() {
        if depth >= 4 {
            return Err("too many nested IP tunnels");
        }
        return ip_packet(pkt.payload, wire, depth + 1);
    }
    if pkt.proto == 50 {
        return Err("IPsec ESP");
    }
    if pkt.proto == 47 && pkt.fragment.is_none() {
        if depth >= 4 {
            return Err("too many nested tunnels");
        }
        return gre(pkt.payload, depth);
    }
    Ok(pkt)
}

/// The Internet checksum of `data` with `initial` folded in: 0xffff when valid.
pub fn checksum(initial: u32, data: &[u8]) -> u16 {
    let mut sum = initial;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        sum += u32::from(*b) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The pseudo-header sum for a transport checksum.
pub fn pseudo_header(src: IpAddr, dst: IpAddr, proto: u8, len: u32) -> u32 {
    let mut sum = 0u32;
    let mut add = |b: &[u8]| {
        for c in b.chunks(2) {
            sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
        }
    };
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            add(&s.octets());
            add(&d.octets());
        }
        (s, d) => {
            let s6 = match s {
                IpAddr::V6(a) => a.octets(),
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            };
            let d6 = match d {
                IpAddr::V6(a) => a.octets(),
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            };
            add(&s6);
            add(&d6);
        }
    }
    sum + u32::from(proto) + (len >> 16) + (len & 0xffff)
}
