//! Cheap application-protocol detection from the first payload bytes of each direction, named
//! as Zeek's `service` field names them: `dns`, `dhcp`, `ntp` (UDP); `ssh`, `http`, `ssl`,
//! `smb`, `ftp`, `smtp`, `pop3`, `imap` (TCP), and `ftp-data` for connections an FTP control
//! connection announced. Zeek confirms a protocol only after its parser accepts the traffic;
//! these are signatures of the opening bytes, so a connection that starts like a protocol but
//! then fails Zeek's parser is still named here. Protocols not listed are never named.

use std::net::IpAddr;

const KEEP: usize = 64;

/// First payload bytes per direction.
#[derive(Debug, Default, Clone)]
pub struct Detector {
    orig: Vec<u8>,
    resp: Vec<u8>,
    orig_seen: bool,
    resp_seen: bool,
    dhcp_magic: bool,
}

impl Detector {
    fn keep(&mut self, is_orig: bool, data: &[u8]) {
        let (buf, seen) = if is_orig {
            (&mut self.orig, &mut self.orig_seen)
        } else {
            (&mut self.resp, &mut self.resp_seen)
        };
        if *seen || data.is_empty() {
            return;
        }
        *seen = true;
        buf.extend_from_slice(&data[..data.len().min(KEEP)]);
    }

    /// In-order TCP payload from one side.
    pub fn tcp(&mut self, is_orig: bool, data: &[u8]) {
        self.keep(is_orig, data);
    }

    /// A UDP payload from one side.
    pub fn udp(&mut self, is_orig: bool, data: &[u8]) {
        if data.get(236..240) == Some(&[99, 130, 83, 99]) {
            self.dhcp_magic = true;
        }
        self.keep(is_orig, data);
    }

    /// The services recognised, for a connection of `proto` between these ports. `syn_seen`:
    /// a SYN or SYN-ACK was seen (Zeek names no HTTP on connections picked up mid-stream).
    pub fn services(
        &self,
        proto: u8,
        resp_port: u16,
        orig_port: u16,
        syn_seen: bool,
    ) -> Vec<&'static str> {
        let o = self.orig.as_slice();
        let r = self.resp.as_slice();
        let mut out = Vec::new();
        match proto {
            17 => {
                let dns_port = |p: u16| matches!(p, 53 | 137 | 5353 | 5355);
                if (dns_port(resp_port) || dns_port(orig_port)) && (dns_like(o) || dns_like(r)) {
                    out.push("dns");
                } else if matches!(resp_port, 67 | 68 | 4011) && self.dhcp_magic {
                    out.push("dhcp");
                } else if resp_port == 123 && o.len() >= 48 && matches!((o[0] >> 3) & 7, 1..=4) {
                    out.push("ntp");
                }
            }
            6 => {
                // Zeek's SSH analyzer confirms on a banner from each side.
                let banner = |d: &[u8]| d.windows(4).any(|w| w == b"SSH-");
                if banner(o) && banner(r) {
                    out.push("ssh");
                } else if syn_seen && (http_request(o) || r.starts_with(b"HTTP/1.")) {
                    out.push("http");
                } else if tls_hello(o) {
                    out.push("ssl");
                } else if o.len() >= 8 && matches!(&o[4..8], b"\xffSMB" | b"\xfeSMB" | b"\xfdSMB") {
                    out.push("smb");
                } else if r.starts_with(b"220")
                    && starts_ci(o, &["USER ", "AUTH ", "FEAT", "SYST", "OPTS "])
                {
                    out.push("ftp");
                } else if r.starts_with(b"220") && starts_ci(o, &["EHLO", "HELO"]) {
                    out.push("smtp");
                } else if r.starts_with(b"+OK") {
                    out.push("pop3");
                } else if r.starts_with(b"* OK") {
                    out.push("imap");
                }
            }
            _ => {}
        }
        out
    }
}

fn starts_ci(data: &[u8], words: &[&str]) -> bool {
    words
        .iter()
        .any(|w| data.len() >= w.len() && data[..w.len()].eq_ignore_ascii_case(w.as_bytes()))
}

fn dns_like(p: &[u8]) -> bool {
    if p.len() < 12 {
        return false;
    }
    let qd = u16::from_be_bytes([p[4], p[5]]);
    let an = u16::from_be_bytes([p[6], p[7]]);
    let opcode = (p[2] >> 3) & 0x0f;
    opcode <= 6 && qd <= 32 && an <= 256 && (qd > 0 || an > 0)
}

fn http_request(o: &[u8]) -> bool {
    const METHODS: &[&[u8]] = &[
        b"GET ",
        b"POST ",
        b"HEAD ",
        b"PUT ",
        b"DELETE ",
        b"OPTIONS ",
        b"CONNECT ",
        b"TRACE ",
        b"PATCH ",
        b"PROPFIND ",
    ];
    METHODS.iter().any(|m| o.starts_with(m))
}

fn tls_hello(o: &[u8]) -> bool {
    (o.len() >= 6 && o[0] == 0x16 && o[1] == 3 && o[2] <= 4 && o[5] == 1)
        || (o.len() >= 3 && o[0] & 0x80 != 0 && o[2] == 1)
}

/// An FTP data connection announced in control-connection payload: `PORT`/`EPRT` from the
/// client, `227`/`229` replies from the server. The address is `None` when the announcement
/// leaves it to be the sender's.
pub fn ftp_expectation(data: &[u8], is_orig: bool) -> Option<(Option<IpAddr>, u16)> {
    let line = data.split(|&b| b == b'\n').next()?;
    let text = std::str::from_utf8(line).ok()?.trim_end();
    let six = |s: &str| -> Option<(Option<IpAddr>, u16)> {
        let n: Vec<u16> = s
            .split(',')
            .map(|x| x.trim().parse::<u16>())
            .collect::<Result<_, _>>()
            .ok()?;
        if n.len() != 6 || n.iter().any(|&v| v > 255) {
            return None;
        }
        let addr = IpAddr::from([n[0] as u8, n[1] as u8, n[2] as u8, n[3] as u8]);
        Some((Some(addr), n[4] * 256 + n[5]))
    };
    if is_orig {
        let upper = text.get(..5)?.to_ascii_uppercase();
        if upper == "PORT " {
            return six(text.get(5..)?);
        }
        if upper == "EPRT " {
            let rest = text.get(5..)?;
            let delim = rest.chars().next()?;
            let parts: Vec<&str> = rest.split(delim).collect();
            let addr = parts.get(2)?.parse::<IpAddr>().ok();
            let port = parts.get(3)?.parse::<u16>().ok()?;
            return Some((addr, port));
        }
        None
    } else if text.starts_with("227") {
        let open = text.find('(')? + 1;
        let rest = text.get(open..)?;
        let end = rest.find(')').unwrap_or(rest.len());
        six(rest.get(..end)?)
    } else if text.starts_with("229") {
        let open = text.find('(')? + 1;
        let rest = text.get(open..)?;
        let delim = rest.chars().next()?;
        let parts: Vec<&str> = rest.split(delim).collect();
        let port = parts.get(3)?.parse::<u16>().ok()?;
        Some((None, port))
    } else {
        None
    }
}
