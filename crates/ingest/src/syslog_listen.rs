//! A syslog receiver: UDP and TCP listeners (`udp://HOST:PORT`, `tcp://HOST:PORT`) that hand
//! every message received, with its sender, to a channel — for Samba `full_audit` forwarded by
//! rsyslog. TCP connections are framed by [`crate::syslog_framing::Framer`] (octet counting or
//! one message per line, per message); each connection has its own thread. Messages are
//! decoded as UTF-8 with replacement characters (counted), never dropped.
//!
//! What senders send while nothing listens is lost for UDP; TCP senders such as rsyslog queue
//! and resend when the listener is back.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::syslog_framing::{Framer, FramingIssue, datagram_messages};

/// Transport of a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// One message (or a few lines) per datagram.
    Udp,
    /// A stream of framed messages.
    Tcp,
}

/// Where to listen: `udp://HOST:PORT` or `tcp://HOST:PORT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenSpec {
    /// UDP or TCP.
    pub protocol: Protocol,
    /// Address and port (port 0: the system chooses).
    pub addr: SocketAddr,
}

impl std::str::FromStr for ListenSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (protocol, rest) = if let Some(r) = s.strip_prefix("udp://") {
            (Protocol::Udp, r)
        } else if let Some(r) = s.strip_prefix("tcp://") {
            (Protocol::Tcp, r)
        } else {
            return Err(format!("'{s}' must be udp://HOST:PORT or tcp://HOST:PORT"));
        };
        let addr = rest
            .parse()
            .map_err(|_| format!("'{s}': '{rest}' is not an address and port"))?;
        Ok(ListenSpec { protocol, addr })
    }
}

/// A message received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The message, without framing or line end.
    pub message: String,
    /// Who sent it.
    pub peer: SocketAddr,
    /// Over which transport.
    pub protocol: Protocol,
    /// What was wrong with its framing, if anything.
    pub issue: Option<FramingIssue>,
}

/// Counters shared by a listener's threads.
#[derive(Debug, Default)]
pub struct ListenerCounts {
    /// Messages handed on.
    pub messages: AtomicU64,
    /// Messages that were not valid UTF-8 (decoded with replacement characters).
    pub not_utf8: AtomicU64,
    /// Messages cut, miscounted or unterminated.
    pub framing_issues: AtomicU64,
    /// TCP connections accepted.
    pub connections: AtomicU64,
}

/// A running listener; dropping it stops it.
#[derive(Debug)]
pub struct SyslogListener {
    local: SocketAddr,
    protocol: Protocol,
    stop: Arc<AtomicBool>,
    /// What it has counted.
    pub counts: Arc<ListenerCounts>,
    thread: Option<JoinHandle<()>>,
}

/// How often blocked threads look at the stop flag.
const POLL: Duration = Duration::from_millis(200);

impl SyslogListener {
    /// Binds `spec` and starts receiving into `to`.
    pub fn start(spec: ListenSpec, to: Sender<Received>) -> io::Result<SyslogListener> {
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(ListenerCounts::default());
        let (local, thread) = match spec.protocol {
            Protocol::Udp => {
                let socket = UdpSocket::bind(spec.addr)?;
                socket.set_read_timeout(Some(POLL))?;
                let local = socket.local_addr()?;
                let (stop, counts) = (Arc::clone(&stop), Arc::clone(&counts));
                (
                    local,
                    std::thread::spawn(move || receive_udp(&socket, &to, &stop, &counts)),
                )
            }
            Protocol::Tcp => {
                let listener = TcpListener::bind(spec.addr)?;
                listener.set_nonblocking(true)?;
                let local = listener.local_addr()?;
                let (stop, counts) = (Arc::clone(&stop), Arc::clone(&counts));
                (
                    local,
                    std::thread::spawn(move || accept_tcp(&listener, &to, &stop, &counts)),
                )
            }
        };
        Ok(SyslogListener {
            local,
            protocol: spec.protocol,
            stop,
            counts,
            thread: Some(thread),
        })
    }

    /// The address bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// UDP or TCP.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }
}

impl Drop for SyslogListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Hands one message on; `false` when nobody listens any more.
fn deliver(
    bytes: &[u8],
    peer: SocketAddr,
    protocol: Protocol,
    issue: Option<FramingIssue>,
    to: &Sender<Received>,
    counts: &ListenerCounts,
) -> bool {
    let message = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => {
            counts.not_utf8.fetch_add(1, Ordering::Relaxed);
            String::from_utf8_lossy(bytes).into_owned()
        }
    };
    if issue.is_some() {
        counts.framing_issues.fetch_add(1, Ordering::Relaxed);
    }
    counts.messages.fetch_add(1, Ordering::Relaxed);
    to.send(Received {
        message,
        peer,
        protocol,
        issue,
    })
    .is_ok()
}

fn receive_udp(
    socket: &UdpSocket,
    to: &Sender<Received>,
    stop: &AtomicBool,
    counts: &ListenerCounts,
) {
    let mut buf = vec![0u8; 65_535];
    while !stop.load(Ordering::Relaxed) {
        let (len, peer) = match socket.recv_from(&mut buf) {
            Ok(r) => r,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => continue,
        };
        for m in datagram_messages(buf.get(..len).unwrap_or_default()) {
            if !deliver(m, peer, Protocol::Udp, None, to, counts) {
                return;
            }
        }
    }
}

fn accept_tcp(
    listener: &TcpListener,
    to: &Sender<Received>,
    stop: &Arc<AtomicBool>,
    counts: &Arc<ListenerCounts>,
) {
    let mut connections = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, peer)) => {
                counts.connections.fetch_add(1, Ordering::Relaxed);
                let (to, stop, counts) = (to.clone(), Arc::clone(stop), Arc::clone(counts));
                // Threads of closed connections are joined as new ones come.
                connections.retain(|c: &JoinHandle<()>| !c.is_finished());
                connections.push(std::thread::spawn(move || {
                    read_tcp(stream, peer, &to, &stop, &counts);
                }));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    for c in connections {
        let _ = c.join();
    }
}

fn read_tcp(
    mut stream: TcpStream,
    peer: SocketAddr,
    to: &Sender<Received>,
    stop: &AtomicBool,
    counts: &ListenerCounts,
) {
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    let mut framer = Framer::new();
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                framer.push(buf.get(..n).unwrap_or_default());
                while let Some((m, issue)) = framer.next_message() {
                    if !deliver(&m, peer, Protocol::Tcp, issue, to, counts) {
                        return;
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    if let Some((m, issue)) = framer.finish() {
        deliver(&m, peer, Protocol::Tcp, issue, to, counts);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write;
    use std::sync::mpsc::channel;

    #[test]
    fn listens_on_udp_and_tcp() {
        assert!("tcp://127.0.0.1:0".parse::<ListenSpec>().is_ok());
        assert!("http://x".parse::<ListenSpec>().is_err());
        assert!("udp://nonsense".parse::<ListenSpec>().is_err());
        let (tx, rx) = channel();
        let udp = SyslogListener::start("udp://127.0.0.1:0".parse().unwrap(), tx.clone()).unwrap();
        let tcp = SyslogListener::start("tcp://127.0.0.1:0".parse().unwrap(), tx).unwrap();
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.send_to(b"<13>Nov  8 04:39:32 vm t: over udp\n", udp.local_addr())
            .unwrap();
        let mut c = TcpStream::connect(tcp.local_addr()).unwrap();
        let counted = "<13>Nov  8 04:39:32 vm t: counted";
        c.write_all(
            format!(
                "<13>Nov  8 04:39:32 vm t: a line\n{} {counted}",
                counted.len()
            )
            .as_bytes(),
        )
        .unwrap();
        c.write_all(b"<13>Nov  8 04:39:32 vm t: \xff cut off")
            .unwrap();
        drop(c);
        let mut got: Vec<(String, Protocol, Option<FramingIssue>)> = (0..4)
            .map(|_| {
                let r = rx.recv_timeout(Duration::from_secs(5)).unwrap();
                (r.message, r.protocol, r.issue)
            })
            .collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            [
                (
                    "<13>Nov  8 04:39:32 vm t: a line".into(),
                    Protocol::Tcp,
                    None
                ),
                (
                    "<13>Nov  8 04:39:32 vm t: counted".into(),
                    Protocol::Tcp,
                    None
                ),
                (
                    "<13>Nov  8 04:39:32 vm t: over udp".into(),
                    Protocol::Udp,
                    None
                ),
                (
                    "<13>Nov  8 04:39:32 vm t: \u{fffd} cut off".into(),
                    Protocol::Tcp,
                    Some(FramingIssue::Unterminated)
                ),
            ]
        );
        assert_eq!(tcp.counts.not_utf8.load(Ordering::Relaxed), 1);
        assert_eq!(tcp.counts.connections.load(Ordering::Relaxed), 1);
    }
}
