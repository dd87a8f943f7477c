//! Receiving exports over UDP: a socket with a large receive buffer (exporters send in bursts;
//! what overflows the kernel's buffer is lost before any counter of ours sees it, so the
//! kernel's own count, [`udp_receive_buffer_errors`], is reported beside ours).
//!
//! UDP has no retransmission: what exporters send while nothing listens is lost (`watch`
//! documents it). Templates survive in the [`Collector`] only while the process runs; an
//! exporter resends them periodically (softflowd every 16 packets by default).

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::{Collector, FlowRecord, NetflowError};

/// The receive buffer asked for by default: nfcapd's manual advises more than 100 kB; a
/// burst of 200 k flows/s is ~5,000 datagrams a second.
pub const DEFAULT_RECEIVE_BUFFER: usize = 8 << 20;

/// Largest datagram accepted (the UDP maximum).
const MAX_DATAGRAM: usize = 65_535;

/// A bound UDP socket decoding the exports it receives.
#[derive(Debug)]
pub struct UdpCollector {
    socket: UdpSocket,
    buf: Vec<u8>,
    /// The read timeout last set (set again only when it changes: a system call each).
    timeout: Option<Option<Duration>>,
    /// The decoder and its templates.
    pub collector: Collector,
    /// Datagrams received.
    pub received: u64,
    /// Datagrams that were not exports (counted by the collector too, kept here with the last
    /// reason).
    pub last_error: Option<(SocketAddr, NetflowError)>,
}

impl UdpCollector {
    /// Binds `addr` with a receive buffer of `receive_buffer` bytes (the kernel may grant less:
    /// see [`UdpCollector::receive_buffer`]).
    pub fn bind(addr: SocketAddr, receive_buffer: usize) -> io::Result<Self> {
        let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        // A buffer the system refuses to grow is not fatal: the granted size is reported.
        let _ = socket.set_recv_buffer_size(receive_buffer);
        socket.bind(&addr.into())?;
        Ok(UdpCollector {
            socket: socket.into(),
            buf: vec![0; MAX_DATAGRAM],
            timeout: None,
            collector: Collector::new(),
            received: 0,
            last_error: None,
        })
    }

    /// The address bound (with the port the system chose for port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// The receive buffer the kernel granted, bytes.
    pub fn receive_buffer(&self) -> io::Result<usize> {
        socket2::SockRef::from(&self.socket).recv_buffer_size()
    }

    /// Waits up to `timeout` (`None`: forever) for one datagram and decodes it into `out`.
    /// `Ok(false)` when the time ran out.
    pub fn receive(
        &mut self,
        timeout: Option<Duration>,
        out: &mut Vec<FlowRecord>,
    ) -> io::Result<bool> {
        if self.timeout != Some(timeout) {
            self.socket.set_read_timeout(timeout)?;
            self.timeout = Some(timeout);
        }
        let (len, from) = match self.socket.recv_from(&mut self.buf) {
            Ok(r) => r,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        self.received += 1;
        let datagram = self.buf.get(..len).unwrap_or_default();
        if let Err(e) = self.collector.decode(from.ip(), datagram, out) {
            self.last_error = Some((from, e));
        }
        Ok(true)
    }
}

/// The kernel's count of UDP datagrams dropped because a socket's receive buffer was full
/// (`RcvbufErrors` in `/proc/net/snmp` and `Udp6RcvbufErrors` in `/proc/net/snmp6`), system
/// wide; `None` where the system does not say.
pub fn udp_receive_buffer_errors() -> Option<u64> {
    let v4 = std::fs::read_to_string("/proc/net/snmp")
        .ok()
        .and_then(|t| {
            let mut udp = t.lines().filter(|l| l.starts_with("Udp: "));
            let names = udp.next()?;
            let values = udp.next()?;
            let at = names.split_whitespace().position(|n| n == "RcvbufErrors")?;
            values.split_whitespace().nth(at)?.parse::<u64>().ok()
        })?;
    let v6 = std::fs::read_to_string("/proc/net/snmp6")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("Udp6RcvbufErrors"))
                .and_then(|v| v.trim().parse::<u64>().ok())
        })
        .unwrap_or(0);
    Some(v4 + v6)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A real datagram sent over loopback comes out as the records it holds.
    #[test]
    fn datagrams_on_loopback_are_decoded() {
        let mut c =
            UdpCollector::bind("127.0.0.1:0".parse().unwrap(), DEFAULT_RECEIVE_BUFFER).unwrap();
        assert!(c.receive_buffer().unwrap() > 0);
        let to = c.local_addr().unwrap();
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        // NetFlow v5: one record 10.0.0.5:51000 -> 203.0.113.9:443 TCP, 3 packets, 1234 bytes.
        let mut d = Vec::new();
        for v in [5u16, 1] {
            d.extend(v.to_be_bytes());
        }
        for v in [60_000u32, 1_740_364_650, 0, 1] {
            d.extend(v.to_be_bytes());
        }
        d.extend([0, 0, 0, 0]);
        d.extend([10, 0, 0, 5, 203, 0, 113, 9, 0, 0, 0, 0, 0, 0, 0, 0]);
        for v in [3u32, 1234, 50_000, 59_000] {
            d.extend(v.to_be_bytes());
        }
        d.extend(51_000u16.to_be_bytes());
        d.extend(443u16.to_be_bytes());
        d.extend([0, 0x1b, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        sender.send_to(&d, to).unwrap();
        sender.send_to(b"not netflow", to).unwrap();
        let mut out = Vec::new();
        assert!(c.receive(Some(Duration::from_secs(5)), &mut out).unwrap());
        assert!(c.receive(Some(Duration::from_secs(5)), &mut out).unwrap());
        assert!(
            !c.receive(Some(Duration::from_millis(50)), &mut out)
                .unwrap()
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].bytes, out[0].packets, out[0].dst_port),
            (1234, 3, 443)
        );
        assert_eq!(out[0].start, 1_740_364_650_000_000 - 10_000_000);
        assert_eq!(c.received, 2);
        assert_eq!(c.collector.stats().rejected_datagrams, 1);
        assert!(c.last_error.is_some());
    }
}
