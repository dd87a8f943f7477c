//! Packet captures: classic libpcap (`tcpdump -w`, both byte orders, µs and ns timestamps) and
//! pcapng, read as a stream ([`CaptureReader`]) into connections with the semantics of Zeek's
//! `conn.log`, and the UDP datagrams of a capture held in memory ([`udp_datagrams`], for the
//! NetFlow collector's offline decoding).
//!
//! # Link layers
//! Ethernet (Cisco FabricPath skipped to the inner frame as Zeek does for ethertype 0x8903;
//! 802.1Q, 802.1ad and QinQ tags; MPLS label stacks; PPPoE sessions; 802.2 SNAP; 802.1ah PBB;
//! VN-Tag), PPP, Linux cooked v1/v2, BSD null/loop, raw IP; IPv4 and IPv6 with extension headers; IP-in-IP unwrapped. Frames that
//! yield no IP packet are counted per reason (ARP, other ethertypes, truncation…).
//!
//! # Connections (Zeek 8/9 defaults)
//! * One connection per 5-tuple (ICMP: type and counterpart type or code as ports; other IP
//!   protocols: ports 0, `unknown_transport`); the originator is the first packet's sender,
//!   flipped as Zeek does: a first TCP packet without SYN or with SYN-ACK from a likely server
//!   port, a first UDP datagram from a likely server port to one that is not, a SYN-ACK-first
//!   connection once productive traffic follows (`^h`), a SYN answering a SYN-ACK;
//!   Zeek's DNS analyzer (a response first from the originator) and NTP analyzer (server
//!   mode from the originator, client mode from the responder) flip UDP connections too,
//!   leaving the counts with the roles as Zeek does.
//! * TCP: Zeek's endpoint state machine (`TCPSessionAdapter`), sizes by sequence-number span
//!   (`orig_bytes`/`resp_bytes`, 64-bit across wraps), content gaps from acks above the
//!   reassembled data (`missed_bytes`, `g`), history letters `ShADadFfRrIiQqTtWwGgCc^` with
//!   Zeek's once / sequence-change / 1-10-100 rules, `conn_state` from main.zeek.
//! * Timers: TCP inactivity 1 min until the handshake ends, then 5 min; UDP, ICMP, other 1
//!   min; TCP attempt 5 s; close delay 5 s after both sides closed or a reset; reset delay 5
//!   s; the 6 s session timer with 5 s linger for half-closed connections. A SYN with a new
//!   sequence number on a tracked or closed 5-tuple starts a new connection (Zeek's reuse).
//! * `duration`, `orig_bytes`, `resp_bytes` are unset when the duration is 0 (as in Zeek's log).
//! * `local_orig`/`local_resp`: Zeek's default `Site::private_address_space`.
//! * Checksums (IPv4 header, TCP, UDP, ICMP) are checked and failing packets dropped unless
//!   [`ConnOptions::validate_checksums`] is off (Zeek's `-C`).
//! * `service`: see [`service`] (signatures of the first bytes, not Zeek's parsers).
//!
//! # Known departures from Zeek
//! * IP fragments are reassembled (bounded: 4096 datagrams, 64 MiB, 60 s); Zeek's overlap
//!   and fragment-count checks are not copied.
//! * VXLAN (UDP 4789), Geneve (6081) and GTPv1-U (2152) are unwrapped: the outer
//!   connection's service is `vxlan`/`geneve`/`gtpv1` and the inner connections are tracked
//!   too, but the model has no `tunnel_parents` to link them. GRE (IP protocol 47), GRE over
//!   UDP (4754) and IP-in-IP are unwrapped as well (no outer connection for the first and
//!   last, as in Zeek). Teredo and AYIYA are not unwrapped (the outer connection only).
//! * A close is never deferred for data pending in the reassembler, and the partial-close
//!   timer (only armed by Zeek when a script handles `connection_partial_close`) is not run.
//! * `uid`s are generated (`P` and 16 hex digits, seeded from the file's path), not Zeek's.
//! * Times are floored to microseconds (Zeek keeps a double); pcapng simple packet blocks,
//!   which carry no time, take the previous packet's.
//! * An IPv4 total length of 0 (segmentation offload) drops the packet when checksums are
//!   checked and means "the rest of the frame" when they are not, as in Zeek.
//! * VLAN ids are not part of the connection key (Zeek's default five-tuple key).
//! * Link types other than those above (802.11, radiotap, PPP serial, NFLOG…) are counted as
//!   unsupported.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{BufReader, Read};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use breachscope_model::{Event, Micros};
use sha2::{Digest, Sha256};

use crate::input::{InputError, open_evidence};
use crate::reader::{FileStats, ReadFailure};
use crate::record::{Location, Rejected, Unit};

pub mod conn;
pub mod defrag;
pub mod file;
pub mod link;
pub mod service;

pub use conn::{ConnOptions, Tracker, is_local};
use defrag::Defrag;
pub use file::{CaptureFile, FileCounts, FileError, Record, is_capture};

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
        let wire = u32_at(at - caplen - 4).unwrap_or(0).max(caplen as u32);
        match link::decode(link, frame, wire) {
            Ok(ip) if ip.proto == 17 => {
                if ip.fragment.is_some_and(|f| f.offset != 0) {
                    stats.incomplete += 1;
                    continue;
                }
                let h = ip.payload;
                let (Some(ports), Some(ulen)) = (h.get(0..4), h.get(4..6)) else {
                    stats.incomplete += 1;
                    continue;
                };
                let len = usize::from(u16::from_be_bytes([ulen[0], ulen[1]]));
                match h.get(8..len.max(8)) {
                    Some(payload) => out.push(Datagram {
                        time,
                        src: ip.src,
                        src_port: u16::from_be_bytes([ports[0], ports[1]]),
                        dst: ip.dst,
                        dst_port: u16::from_be_bytes([ports[2], ports[3]]),
                        payload,
                        packet: stats.packets,
                    }),
                    None => stats.incomplete += 1,
                }
            }
            _ => stats.not_udp += 1,
        }
    }
    Ok((out, stats))
}

/// A reader that hashes and counts what passes through it.
#[derive(Debug)]
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// What a capture held, packet by packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packets read.
    pub packets: u64,
    /// Packets that went into a connection.
    pub used: u64,
    /// Packets not used, per reason.
    pub unused: BTreeMap<&'static str, u64>,
    /// Most connections tracked at once.
    pub peak_live: usize,
    /// Counts from the file layer.
    pub file: FileCounts,
    /// IP datagrams whose fragments never all arrived (their fragments count as used).
    pub fragments_dropped: u64,
}

/// One record through fragment reassembly and the tracker.
fn feed(
    tracker: &mut Tracker,
    defrag: &mut Defrag,
    rec: &Record<'_>,
    validate: bool,
) -> Result<(), link::Reason> {
    let ip = link::decode_with(rec.link, rec.data, rec.orig_len, !validate)?;
    if ip.fragment.is_none() {
        return tracker.packet(rec.time, &ip);
    }
    tracker.advance(rec.time);
    match defrag.add(rec.time, &ip, validate) {
        defrag::Outcome::Buffered => Ok(()),
        defrag::Outcome::Bad(r) => Err(r),
        defrag::Outcome::Complete { payload, total_len } => {
            let whole = link::IpPacket {
                total_len,
                payload: &payload,
                payload_len: payload.len() as u32,
                fragment: None,
                v4_header: None,
                ..ip
            };
            tracker.packet(rec.time, &whole)
        }
    }
}

/// Reads a capture file into [`Event::Flow`]s, yielded as connections end (in the order they
/// end, as Zeek writes conn.log); the connections still open at the end of the file come last.
/// Memory is bounded by the live connections, not by the capture's size.
#[derive(Debug)]
pub struct CaptureReader {
    path: Arc<PathBuf>,
    file: Option<CaptureFile<BufReader<Hashing<File>>>>,
    tracker: Tracker,
    defrag: Defrag,
    validate: bool,
    pending: VecDeque<Result<Event, Rejected>>,
    stats: CaptureStats,
    failure: Option<FileError>,
    flows: u64,
    rejected: u64,
    finished: bool,
    first_time: Option<Micros>,
}

impl CaptureReader {
    /// Opens `path` (read-only, without touching its access time) with Zeek's defaults.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        Self::open_with(path, ConnOptions::default())
    }

    /// Opens `path` with `opts`.
    pub fn open_with(path: &Path, opts: ConnOptions) -> Result<Self, CaptureError> {
        let f = open_evidence(path).map_err(|source| {
            CaptureError::Input(InputError::Io {
                path: path.to_path_buf(),
                source,
            })
        })?;
        let hashing = Hashing {
            inner: f,
            hasher: Sha256::new(),
            bytes: 0,
        };
        let file =
            CaptureFile::new(BufReader::with_capacity(256 * 1024, hashing)).map_err(|error| {
                CaptureError::Format {
                    path: path.to_path_buf(),
                    error,
                }
            })?;
        let mut tracker = Tracker::new(opts);
        tracker.set_uid_seed({
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            path.hash(&mut h);
            h.finish()
        });
        Ok(CaptureReader {
            path: Arc::new(path.to_path_buf()),
            file: Some(file),
            tracker,
            defrag: Defrag::default(),
            validate: opts.validate_checksums,
            pending: VecDeque::new(),
            stats: CaptureStats::default(),
            failure: None,
            flows: 0,
            rejected: 0,
            finished: false,
            first_time: None,
        })
    }

    /// Packet counts so far.
    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// Time of the first packet, once read.
    pub fn first_packet_time(&self) -> Option<Micros> {
        self.first_time
    }

    fn step(&mut self) {
        let Some(file) = self.file.as_mut() else {
            self.finished = true;
            return;
        };
        match file.next_record() {
            Ok(Some(rec)) => {
                self.stats.packets += 1;
                self.first_time.get_or_insert(rec.time);
                let r = feed(&mut self.tracker, &mut self.defrag, &rec, self.validate);
                match r {
                    Ok(()) => self.stats.used += 1,
                    Err(reason) => *self.stats.unused.entry(reason).or_insert(0) += 1,
                }
                self.stats.peak_live = self.stats.peak_live.max(self.tracker.live());
            }
            Ok(None) => self.end(),
            Err(e) => {
                let offset = match &e {
                    FileError::Truncated { offset }
                    | FileError::Bad { offset, .. }
                    | FileError::Io { offset, .. } => *offset,
                    FileError::Magic => 0,
                };
                self.pending.push_back(Err(Rejected {
                    location: Location {
                        path: Arc::clone(&self.path),
                        line: offset,
                        unit: Unit::Offset,
                    },
                    reason: e.to_string(),
                }));
                self.rejected += 1;
                self.failure = Some(e);
                self.end();
            }
        }
        for flow in self.tracker.take_done() {
            self.flows += 1;
            self.pending.push_back(Ok(Event::Flow(flow)));
        }
    }

    fn end(&mut self) {
        if let Some(f) = self.file.as_ref() {
            self.stats.file = f.counts();
        }
        self.stats.fragments_dropped = self.defrag.dropped + self.defrag.pending() as u64;
        self.tracker.flush();
        self.finished = true;
    }

    /// Reads what is left, and returns the file's counts: `lines` = packets, `records` =
    /// connections, `skipped` = packets not in any connection (reasons in `notes`), `rejected`
    /// = damaged records (the file ends there), `sha256`/`bytes` = the whole file as stored
    /// (read to its end even after damage). Events not taken from the iterator yet are read
    /// and dropped (still counted): iterate to the end first.
    pub fn finish(mut self) -> FileStats {
        while self.next().is_some() {}
        self.finish_stats()
    }

    fn finish_stats(&mut self) -> FileStats {
        let mut st = FileStats::new(Arc::clone(&self.path), "pcap");
        st.lines = self.stats.packets;
        st.records = self.flows;
        st.rejected = self.rejected;
        st.skipped = self.stats.packets - self.stats.used;
        if let Some(file) = self.file.take() {
            let mut inner = file.into_inner();
            // Hash the rest of the file too (after a damaged record).
            let _ = std::io::copy(&mut inner, &mut std::io::sink());
            let h = inner.into_inner();
            st.bytes = h.bytes;
            st.sha256 = h
                .hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
        }
        for (reason, n) in &self.stats.unused {
            st.notes
                .push(format!("{n} packets not in a connection: {reason}"));
        }
        let bad_sums: u64 = self
            .stats
            .unused
            .iter()
            .filter(|(r, _)| r.contains("checksum"))
            .map(|(_, n)| n)
            .sum();
        if bad_sums * 10 > self.stats.packets {
            st.notes.push(format!(
                "{bad_sums} of {} packets failed their checksums (more than a tenth): a capture taken on the sending host \
                 (checksum offloading) should be read with checksums unchecked (as `zeek -C`)",
                self.stats.packets
            ));
        }
        let fc = self.stats.file;
        if fc.skipped_blocks > 0 {
            st.notes.push(format!(
                "{} pcapng blocks skipped ({} obsolete packet blocks)",
                fc.skipped_blocks, fc.obsolete_packet_blocks
            ));
        }
        if self.stats.fragments_dropped > 0 {
            st.notes.push(format!(
                "{} fragmented IP datagrams never completed",
                self.stats.fragments_dropped
            ));
        }
        if fc.unknown_interface > 0 {
            st.notes.push(format!(
                "{} packets name an undescribed interface",
                fc.unknown_interface
            ));
        }
        if let Some(e) = &self.failure {
            st.failure = Some(ReadFailure {
                after_line: self.stats.packets,
                after_records: self.flows,
                message: e.to_string(),
            });
        }
        st
    }
}

impl Iterator for CaptureReader {
    type Item = Result<Event, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(x) = self.pending.pop_front() {
                return Some(x);
            }
            if self.finished {
                return None;
            }
            self.step();
        }
    }
}

/// Why a capture could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The file is not a capture, or its header is damaged.
    #[error("{path}: {error}", path = .path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        error: FileError,
    },
}

/// Connections of a capture held in memory (tests, fuzzing): the flows, the packet counts, and
/// the error that ended reading early, if any.
pub fn flows_of_bytes(
    bytes: &[u8],
    opts: ConnOptions,
) -> Result<
    (
        Vec<breachscope_model::Flow>,
        CaptureStats,
        Option<FileError>,
    ),
    FileError,
> {
    let mut file = CaptureFile::new(bytes)?;
    let mut tracker = Tracker::new(opts);
    let mut defrag = Defrag::default();
    let mut stats = CaptureStats::default();
    let mut out = Vec::new();
    let failure = loop {
        match file.next_record() {
            Ok(Some(rec)) => {
                stats.packets += 1;
                let r = feed(&mut tracker, &mut defrag, &rec, opts.validate_checksums);
                match r {
                    Ok(()) => stats.used += 1,
                    Err(reason) => *stats.unused.entry(reason).or_insert(0) += 1,
                }
                stats.peak_live = stats.peak_live.max(tracker.live());
                out.extend(tracker.take_done());
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    stats.file = file.counts();
    stats.fragments_dropped = defrag.dropped + defrag.pending() as u64;
    tracker.flush();
    out.extend(tracker.take_done());
    Ok((out, stats, failure))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// An Ethernet/IPv4/TCP frame with valid checksums.
    #[allow(clippy::too_many_arguments)]
    fn tcp_frame(
        src: [u8; 4],
        dst: [u8; 4],
        sp: u16,
        dp: u16,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut tcp = Vec::new();
        tcp.extend_from_slice(&sp.to_be_bytes());
        tcp.extend_from_slice(&dp.to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&ack.to_be_bytes());
        tcp.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        tcp.extend_from_slice(payload);
        let len = tcp.len() as u32;
        let sum = !link::checksum(
            link::pseudo_header(IpAddr::from(src), IpAddr::from(dst), 6, len),
            &tcp,
        );
        tcp[16..18].copy_from_slice(&sum.to_be_bytes());
        let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0];
        ip[2..4].copy_from_slice(&((20 + len) as u16).to_be_bytes());
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&dst);
        let sum = !link::checksum(0, &ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&ip);
        f.extend_from_slice(&tcp);
        f
    }

    fn handshake_frames() -> Vec<Vec<u8>> {
        let c = [10, 0, 0, 1];
        let s = [192, 0, 2, 7];
        vec![
            tcp_frame(c, s, 40000, 80, 100, 0, 0x02, b""),
            tcp_frame(s, c, 80, 40000, 500, 101, 0x12, b""),
            tcp_frame(c, s, 40000, 80, 101, 501, 0x10, b""),
            tcp_frame(c, s, 40000, 80, 101, 501, 0x18, b"GET / HTTP/1.1\r\n\r\n"),
            tcp_frame(s, c, 80, 40000, 501, 119, 0x18, b"HTTP/1.1 200 OK\r\n\r\n"),
            tcp_frame(c, s, 40000, 80, 119, 520, 0x11, b""),
            tcp_frame(s, c, 80, 40000, 520, 120, 0x11, b""),
            tcp_frame(c, s, 40000, 80, 120, 521, 0x10, b""),
        ]
    }

    fn pcap(frames: &[Vec<u8>], big_endian: bool) -> Vec<u8> {
        let w32 = |v: &mut Vec<u8>, x: u32| {
            v.extend_from_slice(&if big_endian {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            })
        };
        let mut v = Vec::new();
        w32(&mut v, 0xa1b2_c3d4);
        let w16 = if big_endian {
            2u16.to_be_bytes()
        } else {
            2u16.to_le_bytes()
        };
        v.extend_from_slice(&w16);
        let w16 = if big_endian {
            4u16.to_be_bytes()
        } else {
            4u16.to_le_bytes()
        };
        v.extend_from_slice(&w16);
        w32(&mut v, 0);
        w32(&mut v, 0);
        w32(&mut v, 65535);
        w32(&mut v, 1);
        for (i, f) in frames.iter().enumerate() {
            w32(&mut v, 1_700_000_000);
            w32(&mut v, 1000 * i as u32);
            w32(&mut v, f.len() as u32);
            w32(&mut v, f.len() as u32);
            v.extend_from_slice(f);
        }
        v
    }

    fn pcapng(frames: &[Vec<u8>]) -> Vec<u8> {
        pcapng_in(frames, false)
    }

    /// A pcapng section of either byte order: SHB, IDB (Ethernet, ns resolution), a statistics
    /// block, one EPB per frame.
    fn pcapng_in(frames: &[Vec<u8>], be: bool) -> Vec<u8> {
        let w32 = |x: u32| if be { x.to_be_bytes() } else { x.to_le_bytes() };
        let w16 = |x: u16| if be { x.to_be_bytes() } else { x.to_le_bytes() };
        let mut v = Vec::new();
        let block = |v: &mut Vec<u8>, kind: u32, body: &[u8]| {
            let mut body = body.to_vec();
            while !body.len().is_multiple_of(4) {
                body.push(0);
            }
            let len = (body.len() + 12) as u32;
            v.extend_from_slice(&w32(kind));
            v.extend_from_slice(&w32(len));
            v.extend_from_slice(&body);
            v.extend_from_slice(&w32(len));
        };
        let mut shb = w32(0x1a2b_3c4d).to_vec();
        shb.extend_from_slice(&w16(1));
        shb.extend_from_slice(&w16(0));
        shb.extend_from_slice(&u64::MAX.to_le_bytes());
        block(&mut v, 0x0a0d_0d0a, &shb);
        let mut idb = w16(1).to_vec();
        idb.extend_from_slice(&[0, 0]);
        idb.extend_from_slice(&w32(0));
        idb.extend_from_slice(&w16(9));
        idb.extend_from_slice(&w16(1));
        idb.extend_from_slice(&[9, 0, 0, 0]);
        idb.extend_from_slice(&[0, 0, 0, 0]);
        block(&mut v, 1, &idb);
        block(&mut v, 5, &[1, 2, 3, 4]); // statistics: skipped
        for (i, f) in frames.iter().enumerate() {
            let ts: u64 = 1_700_000_000_000_000_000 + 1_000_000 * i as u64;
            let mut epb = Vec::new();
            epb.extend_from_slice(&w32(0));
            epb.extend_from_slice(&w32((ts >> 32) as u32));
            epb.extend_from_slice(&w32(ts as u32));
            epb.extend_from_slice(&w32(f.len() as u32));
            epb.extend_from_slice(&w32(f.len() as u32));
            epb.extend_from_slice(f);
            block(&mut v, 6, &epb);
        }
        v
    }

    fn check_sf(flows: &[breachscope_model::Flow]) {
        assert_eq!(flows.len(), 1);
        let f = &flows[0];
        assert_eq!(f.conn_state.as_deref(), Some("SF"));
        assert_eq!(f.history.as_deref(), Some("ShADdFf"));
        assert_eq!((f.bytes_out, f.bytes_in), (Some(18), Some(19)));
        assert_eq!((f.packets_out, f.packets_in), (Some(5), Some(3)));
        // The last ACK comes after both sides closed: Zeek no longer moves the end time.
        assert_eq!(f.duration, Some(6000));
        assert_eq!(f.service.as_deref(), Some("http"));
        assert_eq!((f.local_orig, f.local_resp), (Some(true), Some(true)));
    }

    #[test]
    fn pcap_both_byte_orders_and_pcapng_give_the_same_connection() {
        let frames = handshake_frames();
        for be in [false, true] {
            let (flows, stats, err) =
                flows_of_bytes(&pcap(&frames, be), ConnOptions::default()).unwrap();
            assert!(err.is_none());
            assert_eq!(stats.used, 8);
            check_sf(&flows);
        }
        for be in [false, true] {
            let (flows, stats, err) =
                flows_of_bytes(&pcapng_in(&frames, be), ConnOptions::default()).unwrap();
            assert!(err.is_none(), "{err:?}");
            assert_eq!(stats.file.skipped_blocks, 1);
            assert_eq!(flows[0].start, 1_700_000_000_000_000);
            check_sf(&flows);
        }
        assert!(is_capture(&pcap(&frames, false)));
        assert!(is_capture(&pcapng(&frames)));
        assert!(!is_capture(b"#separator"));
    }

    #[test]
    fn every_prefix_is_read_without_panic_and_reports_where_it_stopped() {
        for bytes in [
            pcap(&handshake_frames(), false),
            pcapng(&handshake_frames()),
        ] {
            for cut in 0..bytes.len() {
                match flows_of_bytes(&bytes[..cut], ConnOptions::default()) {
                    Ok((flows, stats, err)) => {
                        assert!(stats.used <= stats.packets);
                        assert!(flows.len() <= 1);
                        if let Some(FileError::Truncated { offset }) = err {
                            assert!(offset < cut as u64);
                        }
                    }
                    Err(e) => assert!(matches!(
                        e,
                        FileError::Magic | FileError::Truncated { .. } | FileError::Bad { .. }
                    )),
                }
            }
        }
    }

    #[test]
    fn bad_lengths_and_garbage_are_errors_with_offsets() {
        let mut ng = pcapng(&handshake_frames());
        // Corrupt the statistics block's length (after the SHB of 28 bytes and the IDB of 32).
        let at = 28 + 32 + 4;
        ng[at..at + 4].copy_from_slice(&7u32.to_le_bytes());
        let (_, _, err) = flows_of_bytes(&ng, ConnOptions::default()).unwrap();
        assert_eq!(
            err,
            Some(FileError::Bad {
                offset: 60,
                reason: "block length"
            })
        );
        let mut p = pcap(&handshake_frames(), false);
        p[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let (flows, _, err) = flows_of_bytes(&p, ConnOptions::default()).unwrap();
        assert!(flows.is_empty());
        assert!(matches!(err, Some(FileError::Bad { offset: 24, .. })));
        assert_eq!(
            flows_of_bytes(b"garbage garbage garbage", ConnOptions::default()).err(),
            Some(FileError::Magic)
        );
        // A frame of garbage after a valid header: counted, not a connection.
        let (flows, stats, _) = flows_of_bytes(
            &pcap(&[vec![0xffu8; 40], vec![1, 2]], false),
            ConnOptions::default(),
        )
        .unwrap();
        assert!(flows.is_empty());
        assert_eq!(stats.packets, 2);
        assert_eq!(stats.unused.values().sum::<u64>(), 2);
    }

    #[test]
    fn bad_checksums_drop_packets_unless_told_otherwise() {
        let mut frames = handshake_frames();
        frames[3][14 + 20 + 16] ^= 0xff;
        let (flows, stats, _) =
            flows_of_bytes(&pcap(&frames, false), ConnOptions::default()).unwrap();
        assert_eq!(stats.unused.get("bad TCP checksum"), Some(&1));
        assert!(flows[0].history.as_deref().unwrap().contains('C'));
        let (flows, _, _) = flows_of_bytes(
            &pcap(&frames, false),
            ConnOptions {
                validate_checksums: false,
            },
        )
        .unwrap();
        check_sf(&flows);
        // A zeroed IPv4 total length (segmentation offload): dropped when checking, the rest of
        // the frame when not.
        let mut frames = handshake_frames();
        frames[3][14 + 2] = 0;
        frames[3][14 + 3] = 0;
        let (_, stats, _) = flows_of_bytes(&pcap(&frames, false), ConnOptions::default()).unwrap();
        assert_eq!(stats.unused.get("IPv4 total length zero"), Some(&1));
        let (flows, _, _) = flows_of_bytes(
            &pcap(&frames, false),
            ConnOptions {
                validate_checksums: false,
            },
        )
        .unwrap();
        check_sf(&flows);
    }

    /// A raw-IP (link type 101) pcap of `packets`.
    fn raw_pcap(packets: &[Vec<u8>]) -> Vec<u8> {
        let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&101u32.to_le_bytes());
        for (i, p) in packets.iter().enumerate() {
            v.extend_from_slice(&1_700_000_000u32.to_le_bytes());
            v.extend_from_slice(&(i as u32 * 10).to_le_bytes());
            v.extend_from_slice(&(p.len() as u32).to_le_bytes());
            v.extend_from_slice(&(p.len() as u32).to_le_bytes());
            v.extend_from_slice(p);
        }
        v
    }

    fn v4_fragment(id: u16, offset: u16, more: bool, payload: &[u8]) -> Vec<u8> {
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        ip[2..4].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
        ip[4..6].copy_from_slice(&id.to_be_bytes());
        let frag = (offset / 8) | if more { 0x2000 } else { 0 };
        ip[6..8].copy_from_slice(&frag.to_be_bytes());
        let sum = !link::checksum(0, &ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        ip.extend_from_slice(payload);
        ip
    }

    #[test]
    fn fragmented_datagrams_are_reassembled_and_count_once() {
        // A UDP datagram of 8 + 2000 bytes (checksum 0: not checked) in three pieces, sent
        // out of order.
        let mut udp = vec![0x30, 0x39, 0, 53, 0, 0, 0, 0];
        udp[4..6].copy_from_slice(&2008u16.to_be_bytes());
        udp.extend(std::iter::repeat_n(7u8, 2000));
        let frames = vec![
            v4_fragment(9, 0, true, &udp[..800]),
            v4_fragment(9, 1600, false, &udp[1600..]),
            v4_fragment(9, 800, true, &udp[800..1600]),
            // A lone later fragment of another datagram: buffered, never completed.
            v4_fragment(10, 800, false, &udp[..16]),
        ];
        let (flows, stats, err) =
            flows_of_bytes(&raw_pcap(&frames), ConnOptions::default()).unwrap();
        assert!(err.is_none());
        assert_eq!(stats.used, 4);
        assert_eq!(stats.fragments_dropped, 1);
        assert_eq!(flows.len(), 1);
        let f = &flows[0];
        assert_eq!((f.src_port, f.dst_port), (12345, 53));
        assert_eq!(f.packets_out, Some(1));
        assert_eq!(f.ip_bytes_out, Some(2028));
        assert_eq!(f.history.as_deref(), Some("D"));
    }

    /// An Ethernet/IPv4 frame around `l4` of `proto`, with the transport checksum at `sum_at`.
    fn eth_ip(proto: u8, src: [u8; 4], dst: [u8; 4], mut l4: Vec<u8>, sum_at: usize) -> Vec<u8> {
        let init = if proto == 1 {
            0
        } else {
            link::pseudo_header(IpAddr::from(src), IpAddr::from(dst), proto, l4.len() as u32)
        };
        let sum = !link::checksum(init, &l4);
        l4[sum_at..sum_at + 2].copy_from_slice(&sum.to_be_bytes());
        let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0];
        ip[2..4].copy_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&dst);
        let sum = !link::checksum(0, &ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&ip);
        f.extend_from_slice(&l4);
        f
    }

    /// A pcap whose packets are at the given seconds.
    fn timed(frames: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut v = pcap(&[], false);
        for (secs, f) in frames {
            v.extend_from_slice(&(1_700_000_000 + secs).to_le_bytes());
            v.extend_from_slice(&0u32.to_le_bytes());
            v.extend_from_slice(&(f.len() as u32).to_le_bytes());
            v.extend_from_slice(&(f.len() as u32).to_le_bytes());
            v.extend_from_slice(f);
        }
        v
    }

    #[test]
    fn zeek_rules_for_rejects_attempts_flips_and_icmp() {
        let c = [10, 0, 0, 1];
        let s = [198, 51, 100, 9];
        let udp = |sp: u16, dp: u16, payload: &[u8]| {
            let mut u = sp.to_be_bytes().to_vec();
            u.extend_from_slice(&dp.to_be_bytes());
            u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
            u.extend_from_slice(&[0, 0]);
            u.extend_from_slice(payload);
            u
        };
        let icmp = |t: u8| {
            let mut i = vec![t, 0, 0, 0, 0, 7, 0, 1];
            i.extend_from_slice(b"ping");
            i
        };
        let frames = vec![
            // A rejected connection, then the same 5-tuple again: a new connection.
            (0, tcp_frame(c, s, 1111, 23, 1000, 0, 0x02, b"")),
            (0, tcp_frame(s, c, 23, 1111, 0, 1001, 0x14, b"")),
            (1, tcp_frame(c, s, 1111, 23, 5000, 0, 0x02, b"")),
            // An unanswered SYN, retransmitted after the 5 s attempt timer: two S0.
            (2, tcp_frame(c, s, 2222, 80, 7, 0, 0x02, b"")),
            (3, tcp_frame(c, s, 2222, 80, 7, 0, 0x02, b"")),
            (9, tcp_frame(c, s, 2222, 80, 7, 0, 0x02, b"")),
            // A DNS answer seen without its query: flipped to the client.
            (10, eth_ip(17, s, c, udp(53, 40000, &[0; 12]), 6)),
            // Echo request and reply: one ICMP connection, ports type 8 / counterpart 0.
            (11, eth_ip(1, c, s, icmp(8), 2)),
            (12, eth_ip(1, s, c, icmp(0), 2)),
            // A SYN-ACK seen first, then data from the client: flipped, history ^h…
            (13, tcp_frame(s, c, 8443, 3333, 50, 71, 0x12, b"")),
            (14, tcp_frame(c, s, 3333, 8443, 71, 51, 0x18, b"hello")),
        ];
        let (flows, stats, _) = flows_of_bytes(&timed(&frames), ConnOptions::default()).unwrap();
        assert_eq!(stats.used, frames.len() as u64, "{:?}", stats.unused);
        let row = |f: &breachscope_model::Flow| {
            format!(
                "{}:{}>{}:{} {} {}",
                f.src_ip,
                f.src_port,
                f.dst_ip,
                f.dst_port,
                f.conn_state.as_deref().unwrap_or("-"),
                f.history.as_deref().unwrap_or("-")
            )
        };
        let mut rows: Vec<String> = flows.iter().map(row).collect();
        rows.sort();
        assert_eq!(
            rows,
            [
                "10.0.0.1:1111>198.51.100.9:23 REJ Sr",
                "10.0.0.1:1111>198.51.100.9:23 S0 S",
                "10.0.0.1:2222>198.51.100.9:80 S0 S",
                "10.0.0.1:2222>198.51.100.9:80 S0 S",
                "10.0.0.1:3333>198.51.100.9:8443 OTH ^hD",
                "10.0.0.1:40000>198.51.100.9:53 SHR ^d",
                "10.0.0.1:8>198.51.100.9:0 OTH -",
            ]
        );
        let ping = flows.iter().find(|f| f.src_port == 8).unwrap();
        assert_eq!(ping.transport, breachscope_model::Transport::Icmp);
        assert_eq!((ping.bytes_out, ping.bytes_in), (Some(4), Some(4)));
        assert_eq!(ping.duration, Some(1_000_000));
        // The first SYN of 2222 was retransmitted within the attempt delay: one connection of
        // two packets, then a new one.
        let syns: Vec<u64> = flows
            .iter()
            .filter(|f| f.src_port == 2222)
            .map(|f| f.packets_out.unwrap())
            .collect();
        assert_eq!(syns.len(), 2);
        assert_eq!(syns.iter().sum::<u64>(), 3);
    }

    #[test]
    fn vxlan_is_unwrapped_into_its_inner_connection() {
        let inner = tcp_frame([172, 16, 0, 1], [172, 16, 0, 2], 5555, 443, 1, 0, 0x02, b"");
        let mut udp = 40000u16.to_be_bytes().to_vec();
        udp.extend_from_slice(&4789u16.to_be_bytes());
        udp.extend_from_slice(&((16 + inner.len()) as u16).to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(&[0x08, 0, 0, 0, 0, 0, 42, 0]);
        udp.extend_from_slice(&inner);
        let frame = eth_ip(17, [10, 0, 0, 1], [10, 0, 0, 2], udp, 6);
        let (flows, stats, _) =
            flows_of_bytes(&timed(&[(0, frame)]), ConnOptions::default()).unwrap();
        assert_eq!(stats.used, 1);
        let mut rows: Vec<String> = flows
            .iter()
            .map(|f| {
                format!(
                    "{} {} {:?}",
                    f.dst_port,
                    f.history.as_deref().unwrap_or("-"),
                    f.service
                )
            })
            .collect();
        rows.sort();
        assert_eq!(rows, ["443 S None", "4789 D Some(\"vxlan\")"]);
    }

    #[test]
    fn local_networks_follow_zeeks_private_address_space() {
        for (a, local) in [
            ("10.1.2.3", true),
            ("192.168.1.255", true),
            ("224.0.0.251", true),
            ("224.0.1.1", false),
            ("141.142.220.255", false),
            ("fe80::1", true),
            ("ff02::fb", false),
            ("2001:db8::1", true),
            ("2a00::1", false),
        ] {
            assert_eq!(is_local(a.parse().unwrap()), local, "{a}");
        }
    }
}
