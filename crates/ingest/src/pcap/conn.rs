//! Connections out of IP packets with Zeek's `conn.log` semantics (TCP endpoint state machine,
//! history letters, sizes by sequence-number span, content gaps, timers that split and end
//! connections; UDP, ICMP and other IP protocols).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::net::IpAddr;

use breachscope_model::{Flow, Micros, Transport};
use rustc_hash::FxHashMap;

use super::link::{IpPacket, checksum, pseudo_header};
use super::service::{self, Detector};

const SEC: Micros = 1_000_000;
/// Not a link type: marks a GRE header carried in UDP.
const GRE_IN_UDP: u32 = u32::MAX;
const TCP_INACTIVITY: Micros = 300 * SEC;
const UDP_INACTIVITY: Micros = 60 * SEC;
const ICMP_INACTIVITY: Micros = 60 * SEC;
const OTHER_INACTIVITY: Micros = 60 * SEC;
const TCP_ATTEMPT_DELAY: Micros = 5 * SEC;
const TCP_CLOSE_DELAY: Micros = 5 * SEC;
const TCP_RESET_DELAY: Micros = 5 * SEC;
const TCP_SESSION_TIMER: Micros = 6 * SEC;
const TCP_CONNECTION_LINGER: Micros = 5 * SEC;
const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;
const MAX_ABOVE_HOLE_WITHOUT_ACKS: u64 = 16_384;
/// Out-of-order blocks kept per direction before the buffered data is given up as a gap.
const MAX_BLOCKS: usize = 1024;

/// Settings of the tracker.
#[derive(Debug, Clone, Copy)]
pub struct ConnOptions {
    /// Check IPv4 header, TCP, UDP and ICMP checksums and drop packets that fail, as Zeek does
    /// without `-C`. Off for captures taken on the sending host (checksum offloading).
    pub validate_checksums: bool,
}

impl Default for ConnOptions {
    fn default() -> Self {
        ConnOptions {
            validate_checksums: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    a: IpAddr,
    pa: u16,
    b: IpAddr,
    pb: u16,
    proto: u8,
}

impl Key {
    fn new(src: IpAddr, sp: u16, dst: IpAddr, dp: u16, proto: u8, one_way: bool) -> Key {
        if one_way || (src, sp) <= (dst, dp) {
            Key {
                a: src,
                pa: sp,
                b: dst,
                pb: dp,
                proto,
            }
        } else {
            Key {
                a: dst,
                pa: dp,
                b: src,
                pb: sp,
                proto,
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum St {
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

fn handshake(s: St) -> bool {
    matches!(s, St::Inactive | St::SynSent | St::SynAckSent)
}

fn seq_delta(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

fn full(seq: u32, wraps: u32) -> u64 {
    (u64::from(wraps) << 32) + u64::from(seq)
}

#[derive(Debug, Clone, Default)]
struct Scaled {
    count: u32,
    threshold: u32,
}

impl Scaled {
    /// Zeek's `ScaledHistoryEntry`: true on the 1st, 10th, 100th… occurrence.
    fn hit(&mut self) -> bool {
        if self.threshold == 0 {
            self.threshold = 1;
        }
        self.count = self.count.saturating_add(1);
        if self.count == self.threshold {
            match self.threshold.checked_mul(10) {
                Some(t) => self.threshold = t,
                None => self.count = 0,
            }
            true
        } else {
            false
        }
    }
}

#[derive(Debug, Clone)]
struct Endp {
    state: St,
    prev_state: St,
    start_seq: i64,
    last_seq: u32,
    ack_seq: u32,
    seq_wraps: u32,
    ack_wraps: u32,
    fin_cnt: u32,
    rst_cnt: u32,
    fin_seq: u64,
    did_close: bool,
    hist_last_syn: u64,
    hist_last_fin: u64,
    hist_last_rst: u64,
    rxmt: Scaled,
    win0: Scaled,
    gap: Scaled,
    chk: Scaled,
    // Reassembly.
    last_reassem: u64,
    trim_seq: u64,
    blocks: BTreeMap<u64, u64>,
    skip_deliveries: bool,
}

impl Endp {
    fn new() -> Endp {
        Endp {
            state: St::Inactive,
            prev_state: St::Inactive,
            start_seq: 0,
            last_seq: 0,
            ack_seq: 0,
            seq_wraps: 0,
            ack_wraps: 0,
            fin_cnt: 0,
            rst_cnt: 0,
            fin_seq: 0,
            did_close: false,
            hist_last_syn: 0,
            hist_last_fin: 0,
            hist_last_rst: 0,
            rxmt: Scaled::default(),
            win0: Scaled::default(),
            gap: Scaled::default(),
            chk: Scaled::default(),
            last_reassem: 1,
            trim_seq: 1,
            blocks: BTreeMap::new(),
            skip_deliveries: false,
        }
    }

    fn init_start(&mut self, seq: u32) {
        self.start_seq = i64::from(seq);
    }

    fn update_last_seq(&mut self, seq: u32) {
        if seq < self.last_seq {
            self.seq_wraps += 1;
        }
        self.last_seq = seq;
    }

    fn update_ack_seq(&mut self, seq: u32) {
        if seq < self.ack_seq {
            self.ack_wraps += 1;
        }
        self.ack_seq = seq;
    }

    fn no_data_acked(&self) -> bool {
        let ack = full(self.ack_seq, self.ack_wraps);
        let start = self.start_seq as u64;
        ack == start || ack == start.wrapping_add(1)
    }

    fn relative(&self, cur: u32, last: u32, wraps: u32, underflow: &mut bool) -> u64 {
        let mut wraps = wraps;
        let delta = seq_delta(cur, last);
        if delta < 0 {
            if wraps > 0 && cur > last {
                wraps -= 1;
            }
        } else if delta > 0 && cur < last {
            wraps += 1;
        }
        if wraps == 0 {
            let d = seq_delta(cur, self.start_seq as u32);
            if d < 0 {
                *underflow = true;
            }
            return i64::from(d) as u64;
        }
        full(cur, wraps).wrapping_sub(self.start_seq as u64)
    }

    fn size(&self, peer_state: St) -> u64 {
        if self.prev_state == St::SynSent
            && self.state == St::Reset
            && peer_state == St::Inactive
            && !self.no_data_acked()
        {
            return 0;
        }
        let last = full(self.last_seq, self.seq_wraps);
        let ack = full(self.ack_seq, self.ack_wraps);
        let start = self.start_seq as u64;
        let mut size = if last > ack {
            last.wrapping_sub(start)
        } else {
            ack.wrapping_sub(start)
        };
        size = size.saturating_sub(1);
        if self.fin_cnt > 0 && size != 0 {
            size -= 1;
        }
        size
    }

    fn set_state(&mut self, s: St) {
        if s != self.state {
            self.prev_state = self.state;
            self.state = s;
        }
    }
}

#[derive(Debug)]
struct TcpConn {
    ep: [Endp; 2],
    is_partial: bool,
    first_packet_seen: [bool; 2],
    is_active: bool,
    missed: u64,
}

#[derive(Debug)]
enum Proto {
    Tcp(Box<TcpConn>),
    /// UDP or ICMP: payload bytes per endpoint, `None` while inactive.
    Dgram([Option<u64>; 2]),
    Other,
}

/// One tracked connection. Endpoint 0 sent the first packet; `orig` says which endpoint is
/// the originator now (Zeek may flip roles).
#[derive(Debug)]
struct Conn {
    id: u64,
    addr: [(IpAddr, u16); 2],
    orig: usize,
    proto: u8,
    start: Micros,
    last: Micros,
    pkts: [u64; 2],
    ip_bytes: [u64; 2],
    history: String,
    hist_seen: u32,
    p: Proto,
    // Timers.
    inactivity: Option<Micros>,
    attempt_at: Option<Micros>,
    delete_at: Option<Micros>,
    expire_at: Option<Micros>,
    reset_at: Option<Micros>,
    scheduled: Micros,
    service: Detector,
    ftp_data: bool,
    tunnel: Option<&'static str>,
    app: App,
}

/// A UDP application analyzer of Zeek's that can flip a connection's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    None,
    Dns { first: bool },
    Ntp { flipped: bool },
}

impl Conn {
    fn transport(&self) -> Transport {
        match self.proto {
            6 => Transport::Tcp,
            17 => Transport::Udp,
            1 | 58 => Transport::Icmp,
            n => Transport::Other(n),
        }
    }

    fn add_history(&mut self, code: char, is_orig: bool) {
        if self.history.len() < 64 {
            self.history.push(if is_orig {
                code
            } else {
                code.to_ascii_lowercase()
            });
        }
    }

    /// Zeek's `Connection::CheckHistory`: adds the letter the first time; true when seen before.
    fn check_history(&mut self, mask: u32, code: char, is_orig: bool) -> bool {
        let mask = if is_orig { mask } else { mask << 16 };
        if self.hist_seen & mask == 0 {
            self.hist_seen |= mask;
            self.add_history(code, is_orig);
            false
        } else {
            true
        }
    }

    fn flip(&mut self) {
        self.orig = 1 - self.orig;
        self.history.push('^');
        if let Proto::Tcp(t) = &mut self.p {
            t.first_packet_seen.swap(0, 1);
            t.is_partial = false;
        }
    }

    /// A flip by an application analyzer: packet, IP-byte and payload counts stay with the
    /// roles (Zeek's UDP adapter does not swap them), only the addresses change sides.
    fn flip_keeping_counts(&mut self) {
        self.flip();
        self.pkts.swap(0, 1);
        self.ip_bytes.swap(0, 1);
        if let Proto::Dgram(len) = &mut self.p {
            len.swap(0, 1);
        }
    }

    fn next_deadline(&self) -> Option<Micros> {
        [
            self.inactivity.map(|t| self.last.saturating_add(t)),
            self.attempt_at,
            self.delete_at,
            self.expire_at,
            self.reset_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

const HIST_SYN: u32 = 1 << 0;
const HIST_FIN: u32 = 1 << 1;
const HIST_RST: u32 = 1 << 2;
const HIST_FIN_RST: u32 = 1 << 3;
const HIST_ACK: u32 = 1 << 4;
const HIST_DATA: u32 = 1 << 5;
const HIST_MULTI: u32 = 1 << 6;

/// Zeek's `likely_server_ports` with the default scripts (TCP and UDP): the server ports of
/// every analyzer `register_for_ports` registers (DHCP's client port 68 and DNS-over-QUIC's
/// ports are registered as non-server ports and are not in it).
fn likely_server(proto: u8, port: u16) -> bool {
    match proto {
        6 => matches!(
            port,
            21 | 22
                | 25
                | 53
                | 79
                | 80
                | 81
                | 88
                | 135
                | 139
                | 143
                | 389
                | 443
                | 445
                | 465
                | 502
                | 514
                | 563
                | 585
                | 587
                | 614
                | 631
                | 636
                | 989
                | 990
                | 992
                | 993
                | 995
                | 1080
                | 1434
                | 1883
                | 2811
                | 3128
                | 3268
                | 3306
                | 3389
                | 5222
                | 5223
                | 5269
                | 5432
                | 6379
                | 6666..=6669 | 8000 | 8080 | 8888 | 20000
        ),
        17 => matches!(
            port,
            53 | 67
                | 88
                | 123
                | 137
                | 161
                | 162
                | 389
                | 443
                | 514
                | 1812
                | 2123
                | 2152
                | 3389
                | 3544
                | 4011
                | 4754
                | 4789
                | 5060
                | 5072
                | 5353
                | 5355
                | 6081
                | 20000
        ),
        _ => false,
    }
}

fn is_broadcast(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => v.is_broadcast(),
        IpAddr::V6(_) => false,
    }
}

/// Whether Zeek's default `Site::local_nets` (its `private_address_space`) holds `a`.
pub fn is_local(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => {
            let x = u32::from(v);
            let in_net = |net: u32, bits: u32| (x ^ net) >> (32 - bits) == 0;
            in_net(0x0000_0000, 8)
                || in_net(0x0a00_0000, 8)
                || in_net(0x6440_0000, 10)
                || in_net(0x7f00_0000, 8)
                || in_net(0xa9fe_0000, 16)
                || in_net(0xac10_0000, 12)
                || in_net(0xc000_0000, 24)
                || in_net(0xc000_0200, 24)
                || in_net(0xc0a8_0000, 16)
                || in_net(0xc612_0000, 15)
                || in_net(0xc633_6400, 24)
                || in_net(0xcb00_7100, 24)
                || in_net(0xe000_0000, 24)
                || in_net(0xef00_0000, 8)
                || in_net(0xf000_0000, 4)
                || x == 0xffff_ffff
        }
        IpAddr::V6(v) => {
            let x = u128::from(v);
            let in_net = |net: u128, bits: u32| (x ^ net) >> (128 - bits) == 0;
            let p = |s: [u16; 8]| {
                let mut n = 0u128;
                for w in s {
                    n = (n << 16) | u128::from(w);
                }
                n
            };
            // 6to4 forms of the IPv4 private ranges, then the IPv6 ones.
            in_net(p([0x2002, 0, 0, 0, 0, 0, 0, 0]), 24)
                || in_net(p([0x2002, 0x0a00, 0, 0, 0, 0, 0, 0]), 24)
                || in_net(p([0x2002, 0x6440, 0, 0, 0, 0, 0, 0]), 26)
                || in_net(p([0x2002, 0x7f00, 0, 0, 0, 0, 0, 0]), 24)
                || in_net(p([0x2002, 0xa9fe, 0, 0, 0, 0, 0, 0]), 32)
                || in_net(p([0x2002, 0xac10, 0, 0, 0, 0, 0, 0]), 28)
                || in_net(p([0x2002, 0xc000, 0, 0, 0, 0, 0, 0]), 40)
                || in_net(p([0x2002, 0xc000, 0x0200, 0, 0, 0, 0, 0]), 40)
                || in_net(p([0x2002, 0xc0a8, 0, 0, 0, 0, 0, 0]), 32)
                || in_net(p([0x2002, 0xc612, 0, 0, 0, 0, 0, 0]), 31)
                || in_net(p([0x2002, 0xc633, 0x6400, 0, 0, 0, 0, 0]), 40)
                || in_net(p([0x2002, 0xcb00, 0x7100, 0, 0, 0, 0, 0]), 40)
                || in_net(p([0x2002, 0xe000, 0, 0, 0, 0, 0, 0]), 40)
                || in_net(p([0x2002, 0xef00, 0, 0, 0, 0, 0, 0]), 24)
                || in_net(p([0x2002, 0xf000, 0, 0, 0, 0, 0, 0]), 20)
                || in_net(p([0x2002, 0xffff, 0xffff, 0, 0, 0, 0, 0]), 48)
                || x == 0
                || x == 1
                || in_net(p([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]), 48)
                || in_net(p([0x100, 0, 0, 0, 0, 0, 0, 0]), 64)
                || in_net(p([0x2001, 0, 0, 0, 0, 0, 0, 0]), 23)
                || in_net(p([0x2001, 2, 0, 0, 0, 0, 0, 0]), 48)
                || in_net(p([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]), 32)
                || in_net(p([0xfc00, 0, 0, 0, 0, 0, 0, 0]), 7)
                || in_net(p([0xfe80, 0, 0, 0, 0, 0, 0, 0]), 10)
                || in_net(p([0xfec0, 0, 0, 0, 0, 0, 0, 0]), 10)
        }
    }
}

/// Why a transport header could not be used.
pub type Skip = &'static str;

/// Tracks connections; [`Tracker::packet`] feeds it, finished connections come out of
/// [`Tracker::take_done`].
#[derive(Debug)]
pub struct Tracker {
    opts: ConnOptions,
    conns: FxHashMap<Key, Conn>,
    timers: BinaryHeap<Reverse<(Micros, u64, KeyOrd)>>,
    next_id: u64,
    done: Vec<Flow>,
    /// Expected FTP data connections: responder address and port.
    ftp_expect: FxHashMap<(IpAddr, u16), Micros>,
    uid_seed: u64,
    depth: u8,
    /// Packets inside VXLAN or Geneve tunnels that could not be tracked.
    pub tunnel_inner_unused: u64,
}

/// A key that orders (for the timer heap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyOrd(Key);

impl PartialOrd for KeyOrd {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyOrd {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let a = &self.0;
        let b = &other.0;
        (a.a, a.pa, a.b, a.pb, a.proto).cmp(&(b.a, b.pa, b.b, b.pb, b.proto))
    }
}

struct TcpHdr {
    seq: u32,
    ack: u32,
    syn: bool,
    fin: bool,
    rst: bool,
    ackf: bool,
    win: u16,
}

impl Tracker {
    /// An empty tracker.
    pub fn new(opts: ConnOptions) -> Tracker {
        Tracker {
            opts,
            conns: FxHashMap::default(),
            timers: BinaryHeap::new(),
            next_id: 0,
            done: Vec::new(),
            ftp_expect: FxHashMap::default(),
            uid_seed: 0x9e37_79b9_7f4a_7c15,
            depth: 0,
            tunnel_inner_unused: 0,
        }
    }

    /// Seeds the generated `uid`s (the reader seeds them from the file's path, so that two
    /// captures do not hand out the same ids).
    pub fn set_uid_seed(&mut self, seed: u64) {
        self.uid_seed = seed;
    }

    /// Connections tracked now.
    pub fn live(&self) -> usize {
        self.conns.len()
    }

    /// Connections that ended, in the order they ended.
    pub fn take_done(&mut self) -> std::vec::Drain<'_, Flow> {
        self.done.drain(..)
    }

    /// Whether ended connections wait in [`Tracker::take_done`].
    pub fn has_done(&self) -> bool {
        !self.done.is_empty()
    }

    /// Runs the timers due at `now` (Zeek's network time).
    pub fn advance(&mut self, now: Micros) {
        while let Some(Reverse((at, id, key))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(c) = self.conns.get_mut(&key.0) else {
                continue;
            };
            if c.id != id || c.scheduled != at {
                continue;
            }
            if Self::fire_timers(c, now) {
                if let Some(c) = self.conns.remove(&key.0) {
                    self.finish(c);
                }
            } else {
                self.reschedule(key.0);
            }
        }
    }

    /// Ends every connection (the end of the input).
    pub fn flush(&mut self) {
        let mut all: Vec<Conn> = self.conns.drain().map(|(_, c)| c).collect();
        all.sort_by_key(|c| (c.start, c.id));
        for c in all {
            self.finish(c);
        }
        self.timers.clear();
    }

    fn reschedule(&mut self, key: Key) {
        if let Some(c) = self.conns.get_mut(&key)
            && let Some(at) = c.next_deadline()
        {
            c.scheduled = at;
            self.timers.push(Reverse((at, c.id, KeyOrd(key))));
        }
    }

    /// Makes sure a timer entry exists no later than the connection's next deadline.
    fn ensure_timer(&mut self, key: Key) {
        if let Some(c) = self.conns.get(&key)
            && let Some(at) = c.next_deadline()
            && (at < c.scheduled || c.scheduled == Micros::MIN)
        {
            self.reschedule(key);
        }
    }

    /// Returns true when the connection should be removed.
    fn fire_timers(c: &mut Conn, now: Micros) -> bool {
        if let Some(at) = c.delete_at
            && at <= now
        {
            return true;
        }
        if let Some(at) = c.reset_at
            && at <= now
        {
            return true;
        }
        if let Some(t) = c.inactivity
            && c.last.saturating_add(t) <= now
        {
            return true;
        }
        if let Some(at) = c.attempt_at
            && at <= now
        {
            c.attempt_at = None;
            if let Proto::Tcp(t) = &c.p {
                let o = &t.ep[c.orig];
                let r = &t.ep[1 - c.orig];
                if t.is_active
                    && matches!(o.state, St::SynSent | St::SynAckSent)
                    && r.state == St::Inactive
                {
                    return true;
                }
            }
        }
        if let Some(at) = c.expire_at
            && at <= now
        {
            c.expire_at = None;
            if let Proto::Tcp(t) = &c.p {
                if !t.is_active {
                    return false;
                }
                let o = &t.ep[c.orig];
                let r = &t.ep[1 - c.orig];
                if c.last.saturating_add(TCP_CONNECTION_LINGER) < now {
                    if (o.did_close || r.did_close)
                        && ((o.did_close && r.did_close)
                            || o.state == St::Reset
                            || r.state == St::Reset
                            || o.state == St::Inactive
                            || r.state == St::Inactive)
                    {
                        return true;
                    }
                    if r.state == St::Inactive && o.state == St::Inactive {
                        return true;
                    }
                }
                c.expire_at = Some(now.saturating_add(TCP_SESSION_TIMER));
            }
        }
        false
    }

    fn finish(&mut self, c: Conn) {
        let o = c.orig;
        let r = 1 - o;
        let duration = c.last.saturating_sub(c.start);
        let (sizes, conn_state, missed) = match &c.p {
            Proto::Tcp(t) => {
                let so = t.ep[o].size(t.ep[r].state);
                let sr = t.ep[r].size(t.ep[o].state);
                (
                    [so, sr],
                    tcp_conn_state(&t.ep[o], &t.ep[r], so, sr, &c.history),
                    t.missed,
                )
            }
            Proto::Dgram(len) => {
                let state = if c.proto == 17 {
                    match (len[o].is_some(), len[r].is_some()) {
                        (true, true) => "SF",
                        (true, false) => "S0",
                        (false, true) => "SHR",
                        (false, false) => "OTH",
                    }
                } else {
                    "OTH"
                };
                (
                    [len[o].unwrap_or(0), len[r].unwrap_or(0)],
                    state.to_string(),
                    0,
                )
            }
            Proto::Other => ([0, 0], "OTH".to_string(), 0),
        };
        let syn_seen = c.history.contains(['S', 's', 'H', 'h']);
        let mut service = c
            .service
            .services(c.proto, c.addr[r].1, c.addr[o].1, syn_seen);
        if c.ftp_data {
            service.insert(0, "ftp-data");
        }
        if let Some(t) = c.tunnel {
            service.push(t);
        }
        let has_duration = duration > 0;
        self.uid_seed = self
            .uid_seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407 ^ c.id);
        let flow = Flow {
            start: c.start,
            duration: has_duration.then_some(duration),
            uid: Some(format!("P{:016x}", self.uid_seed ^ (c.id << 1))),
            src_ip: c.addr[o].0,
            src_port: c.addr[o].1,
            dst_ip: c.addr[r].0,
            dst_port: c.addr[r].1,
            transport: c.transport(),
            service: (!service.is_empty()).then(|| service.join(",")),
            bytes_out: has_duration.then_some(sizes[0]),
            bytes_in: has_duration.then_some(sizes[1]),
            packets_out: Some(c.pkts[o]),
            packets_in: Some(c.pkts[r]),
            ip_bytes_out: Some(c.ip_bytes[o]),
            ip_bytes_in: Some(c.ip_bytes[r]),
            missed_bytes: Some(missed),
            conn_state: Some(conn_state),
            history: (!c.history.is_empty()).then(|| c.history.clone()),
            local_orig: Some(is_local(c.addr[o].0)),
            local_resp: Some(is_local(c.addr[r].0)),
        };
        self.done.push(flow);
    }

    /// Feeds one IP packet (not a fragment) seen at `now`. Returns why it was not used, if so.
    pub fn packet(&mut self, now: Micros, ip: &IpPacket<'_>) -> Result<(), Skip> {
        self.advance(now);
        if let Some(h) = ip.v4_header
            && self.opts.validate_checksums
            && checksum(0, h) != 0xffff
        {
            return Err("bad IPv4 header checksum");
        }
        match ip.proto {
            6 => self.tcp(now, ip),
            17 => self.udp(now, ip),
            1 | 58 => self.icmp(now, ip),
            2 => Err("IGMP (no connection in Zeek)"),
            _ => self.other(now, ip),
        }
    }

    fn new_conn(&mut self, now: Micros, src: (IpAddr, u16), dst: (IpAddr, u16), proto: u8) -> Conn {
        self.next_id += 1;
        Conn {
            id: self.next_id,
            addr: [src, dst],
            orig: 0,
            proto,
            start: now,
            last: now,
            pkts: [0; 2],
            ip_bytes: [0; 2],
            history: String::new(),
            hist_seen: 0,
            p: Proto::Other,
            inactivity: None,
            attempt_at: None,
            delete_at: None,
            expire_at: None,
            reset_at: None,
            scheduled: Micros::MIN,
            service: Detector::default(),
            ftp_data: false,
            tunnel: None,
            app: App::None,
        }
    }

    fn transport_checksum_ok(&self, ip: &IpPacket<'_>) -> bool {
        if !self.opts.validate_checksums || ip.payload.len() < ip.payload_len as usize {
            return true;
        }
        let init = if ip.proto == 1 {
            0
        } else {
            pseudo_header(ip.src, ip.dst, ip.proto, ip.payload_len)
        };
        checksum(init, ip.payload) == 0xffff
    }

    fn other(&mut self, now: Micros, ip: &IpPacket<'_>) -> Result<(), Skip> {
        let key = Key::new(ip.src, 0, ip.dst, 0, ip.proto, false);
        if !self.conns.contains_key(&key) {
            let mut c = self.new_conn(now, (ip.src, 0), (ip.dst, 0), ip.proto);
            c.inactivity = Some(OTHER_INACTIVITY);
            self.conns.insert(key, c);
        }
        let c = self.conns.get_mut(&key).ok_or("lost connection")?;
        let e = usize::from(c.addr[0].0 != ip.src);
        c.last = now;
        c.pkts[e] += 1;
        c.ip_bytes[e] += u64::from(ip.total_len);
        self.ensure_timer(key);
        Ok(())
    }

    fn icmp(&mut self, now: Micros, ip: &IpPacket<'_>) -> Result<(), Skip> {
        let h = ip.payload.get(0..4).ok_or("truncated ICMP header")?;
        if ip.payload_len < 8 {
            return Err("truncated ICMP header");
        }
        let (t, code) = (h[0], h[1]);
        let (counter, one_way) = if ip.proto == 1 {
            match t {
                8 => (0, false),
                0 => (8, false),
                13 => (14, false),
                14 => (13, false),
                15 => (16, false),
                16 => (15, false),
                10 => (9, false),
                9 => (10, false),
                17 => (18, false),
                18 => (17, false),
                _ => (code, true),
            }
        } else {
            match t {
                128 => (129, false),
                129 => (128, false),
                133 => (134, false),
                134 => (133, false),
                135 => (136, false),
                136 => (135, false),
                130 => (131, false),
                131 => (130, false),
                139 => (140, false),
                140 => (139, false),
                144 => (145, false),
                145 => (144, false),
                _ => (code, true),
            }
        };
        let sp = u16::from(t);
        let dp = u16::from(counter);
        let key = Key::new(ip.src, sp, ip.dst, dp, ip.proto, one_way);
        if !self.conns.contains_key(&key) {
            let mut c = self.new_conn(now, (ip.src, sp), (ip.dst, dp), ip.proto);
            c.inactivity = Some(ICMP_INACTIVITY);
            c.p = Proto::Dgram([None, None]);
            self.conns.insert(key, c);
        }
        let ok = self.transport_checksum_ok(ip);
        let c = self.conns.get_mut(&key).ok_or("lost connection")?;
        let e = usize::from(!(c.addr[0].0 == ip.src && c.addr[0].1 == sp));
        if !ok {
            self.ensure_timer(key);
            return Err("bad ICMP checksum");
        }
        c.last = now;
        c.pkts[e] += 1;
        c.ip_bytes[e] += u64::from(ip.total_len);
        if let Proto::Dgram(len) = &mut c.p {
            let l = len[e].get_or_insert(0);
            *l += u64::from(ip.payload_len - 8);
        }
        self.ensure_timer(key);
        Ok(())
    }

    fn udp(&mut self, now: Micros, ip: &IpPacket<'_>) -> Result<(), Skip> {
        if ip.payload_len < 8 || ip.payload.len() < 8 {
            return Err("truncated UDP header");
        }
        let h = ip.payload;
        let sp = u16::from_be_bytes([h[0], h[1]]);
        let dp = u16::from_be_bytes([h[2], h[3]]);
        let ulen = u16::from_be_bytes([h[4], h[5]]);
        let sum = u16::from_be_bytes([h[6], h[7]]);
        let key = Key::new(ip.src, sp, ip.dst, dp, 17, false);
        if !self.conns.contains_key(&key) {
            let mut c = self.new_conn(now, (ip.src, sp), (ip.dst, dp), 17);
            c.inactivity = Some(UDP_INACTIVITY);
            c.p = Proto::Dgram([None, None]);
            if likely_server(17, sp) && !likely_server(17, dp) && !is_broadcast(ip.dst) {
                c.flip();
            }
            c.app = match c.addr[1 - c.orig].1 {
                53 | 137 | 5353 | 5355 => App::Dns { first: true },
                123 => App::Ntp { flipped: false },
                _ => App::None,
            };
            self.conns.insert(key, c);
        }
        let bad = self.opts.validate_checksums
            && ip.payload.len() >= ip.payload_len as usize
            && (sum != 0 || ip.dst.is_ipv6())
            && !self.transport_checksum_ok(ip);
        let c = self.conns.get_mut(&key).ok_or("lost connection")?;
        let e = usize::from(!(c.addr[0].0 == ip.src && c.addr[0].1 == sp));
        let is_orig = e == c.orig;
        if !bad {
            c.pkts[e] += 1;
            c.ip_bytes[e] += u64::from(ip.total_len);
        }
        if bad {
            let letter = if is_orig { 'C' } else { 'c' };
            if !c.history.contains(letter) {
                c.add_history('C', is_orig);
            }
            self.ensure_timer(key);
            return Err("bad UDP checksum");
        }
        c.last = now;
        c.check_history(HIST_DATA, 'D', is_orig);
        if let Proto::Dgram(len) = &mut c.p {
            let l = len[e].get_or_insert(0);
            *l += u64::from(ulen.saturating_sub(8));
        }
        let payload = &ip.payload[8..];
        c.service.udp(is_orig, payload);
        // Zeek's DNS and NTP analyzers flip a connection whose first message is a response
        // from the originator (DNS) or a server-mode message from the originator / client-mode
        // message from the responder (NTP). Counts stay with the roles, as in Zeek.
        match c.app {
            App::Dns { first: true } => {
                c.app = App::Dns { first: false };
                if let Some(&b) = payload.get(2)
                    && payload.len() >= 12
                {
                    let opcode = (b >> 3) & 0x0f;
                    let netbios = c.addr[1 - c.orig].1 == 137;
                    if matches!(opcode, 0 | 4 | 5) || netbios {
                        let resp = c.addr[1 - c.orig].0;
                        if b & 0x80 != 0 && is_orig && !resp.is_multicast() {
                            c.flip_keeping_counts();
                        }
                    }
                }
            }
            App::Ntp { flipped: false } if payload.len() >= 48 => {
                let mode = payload[0] & 7;
                if (mode == 4 && is_orig) || (mode == 3 && !is_orig) {
                    c.flip_keeping_counts();
                    c.app = App::Ntp { flipped: true };
                }
            }
            _ => {}
        }
        let resp_port = c.addr[1 - c.orig].1;
        // VXLAN and Geneve: the outer connection is named by its tunnel, and the inner packet
        // is tracked as a connection of its own (Zeek's default tunnel ports).
        let inner = match resp_port {
            4789 if payload.len() > 8 && payload[0] & 0x08 != 0 => {
                c.tunnel = Some("vxlan");
                Some((1, &payload[8..]))
            }
            6081 if payload.len() >= 8 && payload[0] >> 6 == 0 => {
                let hdr = 8 + usize::from(payload[0] & 0x3f) * 4;
                let kind = u16::from_be_bytes([payload[2], payload[3]]);
                match (payload.get(hdr..), kind) {
                    (Some(rest), 0x6558) if !rest.is_empty() => {
                        c.tunnel = Some("geneve");
                        Some((1, rest))
                    }
                    (Some(rest), 0x0800 | 0x86dd) if !rest.is_empty() => {
                        c.tunnel = Some("geneve");
                        Some((101, rest))
                    }
                    _ => None,
                }
            }
            // GRE over UDP: no service named for the outer connection.
            4754 if payload.len() >= 4 => Some((GRE_IN_UDP, payload)),
            2152 => gtp_u(payload).map(|inner| {
                c.tunnel = Some("gtpv1");
                (101, inner)
            }),
            _ => None,
        };
        self.ensure_timer(key);
        if let Some((link_type, frame)) = inner
            && self.depth < 3
        {
            let decoded = if link_type == GRE_IN_UDP {
                super::link::gre_packet(frame)
            } else {
                super::link::decode(link_type, frame, frame.len() as u32)
            };
            let r = decoded.and_then(|inner| {
                if inner.fragment.is_some() {
                    Err("fragment inside a tunnel")
                } else {
                    self.depth += 1;
                    let r = self.packet(now, &inner);
                    self.depth -= 1;
                    r
                }
            });
            if r.is_err() {
                self.tunnel_inner_unused += 1;
            }
        }
        Ok(())
    }

    fn tcp(&mut self, now: Micros, ip: &IpPacket<'_>) -> Result<(), Skip> {
        let p = ip.payload;
        if ip.payload_len < 20 || p.len() < 20 {
            return Err("truncated TCP header");
        }
        let sp = u16::from_be_bytes([p[0], p[1]]);
        let dp = u16::from_be_bytes([p[2], p[3]]);
        let hlen = usize::from(p[12] >> 4) * 4;
        let fl = p[13];
        let h = TcpHdr {
            seq: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            ack: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
            fin: fl & 0x01 != 0,
            syn: fl & 0x02 != 0,
            rst: fl & 0x04 != 0,
            ackf: fl & 0x10 != 0,
            win: u16::from_be_bytes([p[14], p[15]]),
        };
        let key = Key::new(ip.src, sp, ip.dst, dp, 6, false);

        // Connection reuse (Zeek's IsReuse).
        let mut reuse = false;
        if let Some(c) = self.conns.get(&key)
            && let Proto::Tcp(t) = &c.p
            && h.syn
        {
            let mut conn_orig = c.orig;
            let mut applies = true;
            if h.ackf {
                if t.ep[c.orig].state != St::Inactive {
                    applies = false;
                }
                conn_orig = 1 - c.orig;
            }
            if applies {
                let closed = t.ep[0].did_close || t.ep[1].did_close;
                let resp = &t.ep[1 - c.orig];
                if !closed {
                    reuse = !(h.seq == t.ep[conn_orig].start_seq as u32
                        || (!h.ackf
                            && t.ep[conn_orig].state == St::SynAckSent
                            && resp.state == St::Inactive
                            && h.seq == resp.start_seq as u32));
                } else {
                    reuse = true;
                }
            }
        }
        if reuse && let Some(c) = self.conns.remove(&key) {
            self.finish(c);
        }
        let ok = self.transport_checksum_ok(ip);
        if !self.conns.contains_key(&key) {
            let mut c = self.new_conn(now, (ip.src, sp), (ip.dst, dp), 6);
            c.inactivity = Some(UDP_INACTIVITY);
            c.p = Proto::Tcp(Box::new(TcpConn {
                ep: [Endp::new(), Endp::new()],
                is_partial: false,
                first_packet_seen: [false; 2],
                is_active: true,
                missed: 0,
            }));
            if (!h.syn || h.ackf) && likely_server(6, sp) {
                let flip = if likely_server(6, dp) {
                    !h.syn && sp < dp
                } else {
                    true
                };
                if flip && !is_broadcast(ip.dst) {
                    c.flip();
                }
            }
            if self
                .ftp_expect
                .remove(&(c.addr[1 - c.orig].0, c.addr[1 - c.orig].1))
                .is_some()
            {
                c.ftp_data = true;
            }
            self.conns.insert(key, c);
        }
        // Zeek checks the header length once the connection exists: a bad or cut header leaves
        // a connection without this packet.
        if hlen < 20 || hlen > ip.payload_len as usize || hlen > p.len() {
            self.ensure_timer(key);
            return Err(if hlen < 20 {
                "bad TCP header length"
            } else {
                "truncated TCP header"
            });
        }
        let len = ip.payload_len as usize - hlen;
        let data = p.get(hlen..).unwrap_or(&[]);
        let c = self.conns.get_mut(&key).ok_or("lost connection")?;
        let e = usize::from(!(c.addr[0].0 == ip.src && c.addr[0].1 == sp));
        if !ok {
            let is_orig = e == c.orig;
            if let Proto::Tcp(t) = &mut c.p
                && t.ep[e].chk.hit()
            {
                c.add_history('C', is_orig);
            }
            self.ensure_timer(key);
            return Err("bad TCP checksum");
        }
        let complete = data.len() >= len;
        let ftp = process_tcp(
            c,
            e,
            now,
            &h,
            len,
            if complete { &data[..len] } else { &[] },
            complete,
        );
        c.pkts[e] += 1;
        c.ip_bytes[e] += u64::from(ip.total_len);
        if let Some(expect) = ftp {
            self.ftp_expect.insert(expect, now);
            if self.ftp_expect.len() > 10_000 {
                self.ftp_expect.clear();
            }
        }
        self.ensure_timer(key);
        Ok(())
    }
}

/// The IP packet of a GTPv1-U T-PDU (version 1, protocol type GTP), after the optional fields
/// and extension headers.
fn gtp_u(p: &[u8]) -> Option<&[u8]> {
    let flags = *p.first()?;
    if flags >> 5 != 1 || flags & 0x10 == 0 || *p.get(1)? != 0xff {
        return None;
    }
    let mut at = 8;
    if flags & 0x07 != 0 {
        let mut next = *p.get(11)?;
        at = 12;
        if flags & 0x04 != 0 {
            while next != 0 {
                let len = usize::from(*p.get(at)?) * 4;
                if len == 0 {
                    return None;
                }
                next = *p.get(at + len - 1)?;
                at += len;
            }
        }
    }
    p.get(at..)
        .filter(|r| matches!(r.first().map(|b| b >> 4), Some(4 | 6)))
}

fn tcp_conn_state(o: &Endp, r: &Endp, osize: u64, rsize: u64, history: &str) -> String {
    let o_inactive = matches!(o.state, St::Inactive | St::Partial);
    let r_inactive = matches!(r.state, St::Inactive | St::Partial);
    let s = if r.state == St::Reset {
        if matches!(o.state, St::SynSent | St::SynAckSent)
            || (o.state == St::Reset && osize == 0 && rsize == 0)
        {
            "REJ"
        } else if o_inactive {
            "RSTRH"
        } else {
            "RSTR"
        }
    } else if o.state == St::Reset {
        if r_inactive {
            if rstos0(history) { "RSTOS0" } else { "OTH" }
        } else {
            "RSTO"
        }
    } else if r.state == St::Closed && o.state == St::Closed {
        "SF"
    } else if o.state == St::Closed {
        if r_inactive { "SH" } else { "S2" }
    } else if r.state == St::Closed {
        if o_inactive { "SHR" } else { "S3" }
    } else if o.state == St::SynSent && r.state == St::Inactive {
        "S0"
    } else if o.state == St::Established && r.state == St::Established {
        "S1"
    } else {
        "OTH"
    };
    s.to_string()
}

/// `/\^?S[^HAFGIQ]*R.*/`, matched against the whole history.
fn rstos0(h: &str) -> bool {
    let h = h.strip_prefix('^').unwrap_or(h);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    for ch in rest.chars() {
        if ch == 'R' {
            return true;
        }
        if "HAFGIQ".contains(ch) {
            return false;
        }
    }
    false
}

/// Zeek's `TCPSessionAdapter::Process` for one packet from endpoint `e`. Returns an expected
/// FTP data connection announced in this packet's payload, if any.
fn process_tcp(
    c: &mut Conn,
    e: usize,
    now: Micros,
    h: &TcpHdr,
    len: usize,
    data: &[u8],
    complete: bool,
) -> Option<(IpAddr, u16)> {
    let Proto::Tcp(t) = &mut c.p else {
        return None;
    };
    let pe = 1 - e;
    let is_orig = |c_orig: usize| e == c_orig;

    // SetPartialStatus.
    if is_orig(c.orig) {
        if !t.first_packet_seen[e] {
            t.is_partial = !h.syn || h.ackf;
        }
    } else if !t.first_packet_seen[e] && !t.is_partial {
        t.is_partial = !h.syn;
    }

    let mut seg_len = len as u32;
    if h.syn {
        seg_len += 1;
    }
    if h.fin {
        seg_len += 1;
    }
    if h.rst {
        seg_len -= len as u32;
    }
    let seq_past = h.seq.wrapping_add(seg_len);

    // init_endpoint.
    {
        let ep = &mut t.ep[e];
        match ep.state {
            St::Inactive => {
                let mut last = seq_past;
                if h.syn {
                    ep.ack_seq = h.seq;
                    ep.init_start(h.seq);
                } else {
                    ep.ack_seq = h.seq.wrapping_sub(1);
                    ep.init_start(h.seq.wrapping_sub(1));
                    last = h.seq;
                }
                ep.last_seq = last;
            }
            St::SynSent | St::SynAckSent => {
                if h.syn && h.seq != ep.start_seq as u32 {
                    ep.init_start(h.seq);
                    ep.ack_seq = h.seq;
                    ep.last_seq = seq_past;
                }
            }
            St::Established | St::Partial => {
                if h.syn {
                    ep.init_start(h.seq);
                    ep.ack_seq = h.seq;
                    ep.last_seq = seq_past;
                }
            }
            St::Reset => {
                if h.syn && ep.prev_state == St::Inactive {
                    ep.init_start(h.seq);
                    ep.ack_seq = h.seq;
                    ep.last_seq = seq_past;
                }
            }
            St::Closed => {}
        }
    }

    let mut seq_underflow = false;
    let rel_seq = {
        let ep = &t.ep[e];
        ep.relative(h.seq, ep.last_seq, ep.seq_wraps, &mut seq_underflow)
    };

    // Zeek's state machine gets the packet's direction as it was before a flip in
    // update_history (its stale `is_orig`).
    let pkt_is_orig = e == c.orig;
    // update_history.
    let bits = u8::from(h.syn) + u8::from(h.fin) + u8::from(h.rst);
    {
        let check = |c: &mut Conn, mask: u32, code: char| -> bool {
            if (code == 'A' || code == 'D') && c.history == "H" {
                // A connection that began with a SYN-ACK, now productive: flip it.
                c.flip();
                c.history = "^h".to_string();
                if let Proto::Tcp(t) = &mut c.p {
                    t.first_packet_seen[c.orig] = true;
                }
            }
            let o = e == c.orig;
            c.check_history(mask, code, o)
        };
        if bits > 1 {
            if h.fin && h.rst {
                check(c, HIST_FIN_RST, 'I');
            } else {
                check(c, HIST_MULTI, 'Q');
            }
        } else if bits == 1 {
            if h.syn {
                let code = if h.ackf { 'H' } else { 'S' };
                if check(c, HIST_SYN, code)
                    && let Proto::Tcp(t) = &c.p
                    && rel_seq != t.ep[e].hist_last_syn
                {
                    let o = e == c.orig;
                    c.add_history(code, o);
                }
                if let Proto::Tcp(t) = &mut c.p {
                    t.ep[e].hist_last_syn = rel_seq;
                }
            }
            if h.fin {
                let end = rel_seq.wrapping_add(len as u64);
                if check(c, HIST_FIN, 'F')
                    && let Proto::Tcp(t) = &c.p
                    && end != t.ep[e].hist_last_fin
                {
                    let o = e == c.orig;
                    c.add_history('F', o);
                }
                if let Proto::Tcp(t) = &mut c.p {
                    t.ep[e].hist_last_fin = end;
                }
            }
            if h.rst {
                if check(c, HIST_RST, 'R')
                    && let Proto::Tcp(t) = &c.p
                    && rel_seq != t.ep[e].hist_last_rst
                {
                    let o = e == c.orig;
                    c.add_history('R', o);
                }
                if let Proto::Tcp(t) = &mut c.p {
                    t.ep[e].hist_last_rst = rel_seq;
                }
            }
        } else if len > 0 {
            check(c, HIST_DATA, 'D');
        } else if h.ackf {
            check(c, HIST_ACK, 'A');
        }
    }
    let cur_orig = c.orig;
    let is_o = e == cur_orig;
    let Proto::Tcp(t) = &mut c.p else {
        return None;
    };

    // update_window: zero windows.
    if h.win == 0 && !h.rst && t.ep[pe].state != St::Closed && t.ep[e].state != St::Reset {
        let hit = t.ep[e].win0.hit();
        if hit {
            c.history.push(if is_o { 'W' } else { 'w' });
        }
    }
    let Proto::Tcp(t) = &mut c.p else {
        return None;
    };

    if !t.ep[0].did_close || !t.ep[1].did_close {
        c.last = now;
    }

    if h.fin {
        t.ep[e].fin_cnt += 1;
        t.ep[e].fin_seq = rel_seq.wrapping_add(u64::from(seg_len));
    }
    if h.rst {
        t.ep[e].rst_cnt += 1;
    }

    let mut rel_ack = 0u64;
    if h.ackf {
        if t.ep[pe].state == St::Inactive {
            rel_ack = 1;
            let peer = &mut t.ep[pe];
            peer.init_start(h.ack.wrapping_sub(1));
            peer.ack_seq = h.ack.wrapping_sub(1);
            peer.last_seq = h.ack.wrapping_sub(1);
        } else {
            let mut under = false;
            let peer = &t.ep[pe];
            rel_ack = peer.relative(h.ack, peer.ack_seq, peer.ack_wraps, &mut under);
            if under {
                rel_ack = 0;
            } else if !h.rst {
                let peer = &mut t.ep[pe];
                let delta = seq_delta(h.ack, peer.ack_seq);
                if h.ack == 0 && delta > TOO_LARGE_SEQ_DELTA {
                } else if delta > 0 {
                    peer.update_ack_seq(h.ack);
                }
            }
        }
    }

    // update_last_seq.
    let delta_last = {
        let ep = &mut t.ep[e];
        let delta = seq_delta(seq_past, ep.last_seq);
        if (h.syn || h.rst) && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta) {
        } else if h.fin && ep.last_seq == (ep.start_seq as u32).wrapping_add(1) {
            ep.update_last_seq(seq_past);
        } else if ep.state == St::Reset {
        } else if delta > 0 {
            ep.update_last_seq(seq_past);
        } else if len > 0 && ep.rxmt.hit() {
            c.history.push(if is_o { 'T' } else { 't' });
        }
        delta
    };
    let Proto::Tcp(t) = &mut c.p else {
        return None;
    };

    // UpdateStateMachine.
    let mut do_close = false;
    let mut gen_event = false;
    let mut flip_now = false;
    let mut start_attempt = false;
    let mut reset_timer = false;
    match t.ep[e].state {
        St::Inactive => {
            if h.syn {
                if pkt_is_orig {
                    if h.ackf {
                        t.ep[e].set_state(St::SynAckSent);
                    } else {
                        t.ep[e].set_state(St::SynSent);
                    }
                    start_attempt = true;
                } else {
                    if !h.ackf
                        && t.ep[pe].state == St::SynAckSent
                        && h.seq == t.ep[e].start_seq as u32
                    {
                        t.is_partial = false;
                        flip_now = true;
                        t.ep[pe].set_state(St::Established);
                        // SetFirstPacketSeen(true) after the flip: the new originator.
                    }
                    if t.ep[pe].state == St::SynSent {
                        t.ep[pe].set_state(St::Established);
                    }
                    t.ep[e].set_state(St::Established);
                }
            }
            if h.fin {
                t.ep[e].set_state(St::Closed);
                do_close = true;
                gen_event = true;
            }
            if h.rst {
                t.ep[e].set_state(St::Reset);
                let peer_state = t.ep[pe].state;
                let is_reject = if pkt_is_orig {
                    peer_state == St::Established
                } else {
                    matches!(peer_state, St::SynSent | St::SynAckSent)
                };
                do_close = true;
                gen_event = !is_reject;
            }
            if t.ep[e].state == St::Inactive {
                let o_state = t.ep[cur_orig].state;
                if !pkt_is_orig && len == 0 && o_state == St::SynSent {
                } else if h.ackf && t.ep[pe].state == St::Established {
                    t.ep[e].set_state(St::Established);
                    t.is_partial = false;
                    t.first_packet_seen[e] = true;
                } else {
                    t.ep[e].set_state(St::Partial);
                }
            }
        }
        St::SynSent | St::SynAckSent => {
            if h.fin {
                t.ep[e].set_state(St::Closed);
                do_close = true;
                gen_event = true;
            }
            if h.rst {
                t.ep[e].set_state(St::Reset);
                t.is_active = false;
                do_close = true;
            }
        }
        St::Established | St::Partial => {
            if h.syn && t.ep[e].state == St::Partial && t.ep[pe].state == St::Inactive && !h.ackf {
                t.ep[e].set_state(St::SynSent);
            }
            if h.fin && !h.rst {
                t.ep[e].set_state(St::Closed);
                if t.ep[pe].state == St::Reset && t.ep[pe].prev_state == St::Closed {
                    t.ep[pe].set_state(St::Closed);
                }
                do_close = true;
                gen_event = true;
            }
            if h.rst {
                t.ep[e].set_state(St::Reset);
                do_close = true;
                if t.ep[pe].state != St::Reset || t.ep[pe].prev_state != St::Established {
                    t.is_active = false;
                }
            }
        }
        St::Closed => {
            let _ = delta_last;
            if h.rst && t.ep[pe].state != St::Closed {
                t.ep[e].set_state(St::Reset);
                if !t.ep[e].did_close {
                    do_close = true;
                }
                reset_timer = true;
            }
        }
        St::Reset => {}
    }
    // Handshake finished: the inactivity timeout becomes TCP's.
    if c.inactivity == Some(UDP_INACTIVITY)
        && (!handshake(t.ep[0].state) || !handshake(t.ep[1].state))
    {
        c.inactivity = Some(TCP_INACTIVITY);
    }
    if start_attempt && c.attempt_at.is_none() {
        c.attempt_at = Some(now.saturating_add(TCP_ATTEMPT_DELAY));
    }
    if reset_timer {
        c.reset_at = Some(now.saturating_add(TCP_RESET_DELAY));
    }
    if flip_now {
        c.flip();
        if let Proto::Tcp(t) = &mut c.p {
            t.first_packet_seen[c.orig] = true;
        }
    }
    let is_o = e == c.orig;
    let Proto::Tcp(t) = &mut c.p else {
        return None;
    };

    // AckReceived on the peer's reassembler.
    if h.ackf {
        ack_received(t, pe, rel_ack, c.orig, &mut c.history);
    }

    // DataSent.
    let rel_data_seq = if h.syn {
        rel_seq.wrapping_add(1)
    } else {
        rel_seq
    };
    let mut ftp = None;
    if len > 0 && complete && !h.rst && !seq_underflow {
        let delivered = data_sent(t, e, rel_data_seq, len as u64);
        if delivered {
            c.service.tcp(is_o, data);
            let control = matches!(c.addr[1 - c.orig].1, 21 | 2811);
            if control && let Some((addr, port)) = service::ftp_expectation(data, is_o) {
                ftp = Some((addr.unwrap_or(c.addr[e].0), port));
            }
        }
    }
    let Proto::Tcp(t) = &mut c.p else {
        return None;
    };

    if do_close {
        // ConnectionClosed.
        let ep_state = t.ep[e].state;
        if !t.ep[e].did_close {
            t.ep[e].did_close = true;
            let close_complete =
                ep_state == St::Reset || t.ep[pe].did_close || t.ep[pe].state == St::Inactive;
            if close_complete {
                if gen_event {
                    t.is_active = false;
                }
                c.inactivity = None;
                c.attempt_at = None;
                c.expire_at = None;
                c.reset_at = None;
                c.delete_at = Some(c.last.saturating_add(TCP_CLOSE_DELAY));
            } else if t.ep[e].prev_state != St::Inactive {
                c.expire_at = Some(c.last.saturating_add(TCP_SESSION_TIMER));
            }
        }
    }
    ftp
}

fn clean(ep: &Endp) -> bool {
    ep.state == St::Established || (ep.state == St::Closed && ep.prev_state == St::Established)
}

fn gap(t: &mut TcpConn, idx: usize, orig: usize, len: u64, history: &mut String) {
    let pe = 1 - idx;
    if clean(&t.ep[idx]) && clean(&t.ep[pe]) {
        if t.ep[idx].gap.hit() {
            history.push(if idx == orig { 'G' } else { 'g' });
        }
        t.missed += len;
    }
}

/// Reassembler of endpoint `idx` learns its data is acked up to `seq`.
fn ack_received(t: &mut TcpConn, idx: usize, seq: u64, orig: usize, history: &mut String) {
    let mut seq = seq;
    {
        let ep = &t.ep[idx];
        if ep.fin_cnt > 0 && seq >= ep.fin_seq {
            seq = ep.fin_seq.wrapping_sub(1);
        }
        if seq <= ep.trim_seq {
            return;
        }
    }
    if seq > t.ep[idx].last_reassem {
        // Undelivered.
        if seq <= 2 && t.is_partial {
        } else if !t.ep[idx].skip_deliveries {
            loop {
                let ep = &t.ep[idx];
                let Some((&bs, &be)) = ep.blocks.iter().next() else {
                    break;
                };
                if bs >= seq {
                    break;
                }
                let last = ep.last_reassem;
                if bs > last {
                    gap(t, idx, orig, bs - last, history);
                }
                let ep = &mut t.ep[idx];
                ep.blocks.remove(&bs);
                ep.last_reassem = ep.last_reassem.max(be);
                merge_blocks(ep);
            }
            let last = t.ep[idx].last_reassem;
            if seq > last {
                gap(t, idx, orig, seq - last, history);
            }
        }
        let ep = &mut t.ep[idx];
        if seq > ep.last_reassem {
            ep.last_reassem = seq;
        }
    }
    let ep = &mut t.ep[idx];
    // Trim buffered blocks below `seq`.
    while let Some((&bs, &be)) = ep.blocks.iter().next() {
        if be <= seq {
            ep.blocks.remove(&bs);
        } else {
            if bs < seq {
                ep.blocks.remove(&bs);
                ep.blocks.insert(seq, be);
            }
            break;
        }
    }
    ep.trim_seq = seq;
}

fn merge_blocks(ep: &mut Endp) {
    while let Some((&bs, &be)) = ep.blocks.iter().next() {
        if bs > ep.last_reassem {
            break;
        }
        ep.blocks.remove(&bs);
        if be > ep.last_reassem {
            ep.last_reassem = be;
        }
    }
}

/// Returns true when the data starts the in-order stream (for service detection).
fn data_sent(t: &mut TcpConn, idx: usize, seq: u64, len: u64) -> bool {
    let ep = &mut t.ep[idx];
    if ep.skip_deliveries {
        return false;
    }
    let ack = full(ep.ack_seq, ep.ack_wraps).wrapping_sub(ep.start_seq as u64);
    let mut seq = seq;
    let upper = seq + len;
    if seq < ack {
        if upper <= ack {
            return false;
        }
        seq = ack;
    }
    if upper <= ep.trim_seq || upper <= ep.last_reassem {
        return false;
    }
    if seq <= ep.last_reassem {
        ep.last_reassem = upper;
        merge_blocks(ep);
        return true;
    }
    // Out of order: buffer the range.
    let entry = ep.blocks.entry(seq).or_insert(upper);
    if *entry < upper {
        *entry = upper;
    }
    if ep.blocks.len() > MAX_BLOCKS {
        ep.blocks.clear();
        ep.skip_deliveries = true;
    }
    let undelivered = ep
        .blocks
        .values()
        .next_back()
        .map_or(0, |&u| u.saturating_sub(ep.last_reassem));
    if ep.no_data_acked() && undelivered > MAX_ABOVE_HOLE_WITHOUT_ACKS {
        ep.blocks.clear();
        ep.skip_deliveries = true;
    }
    false
}
