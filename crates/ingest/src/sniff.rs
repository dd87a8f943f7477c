//! Format detection by content, never by file name.

use std::io;
use std::path::Path;

use crate::reader::read_head;
use crate::samba::transport::{Transport, parse_envelope};

/// How many decompressed bytes are looked at.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// An evidence format breachscope can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Zeek logs (TSV or JSON).
    Zeek,
    /// Samba `vfs_full_audit` (any envelope) or Samba auth JSON records.
    Samba,
    /// Windows event log files (`.evtx`).
    Evtx,
    /// Packet captures (libpcap `.pcap` or `.pcapng`).
    Pcap,
    /// nfdump's NetFlow archive files (`nfcapd.*`).
    Nfcapd,
    /// Palo Alto Networks PAN-OS traffic logs (CSV, syslog or not).
    PanOs,
    /// Fortinet FortiGate traffic logs (`key=value`).
    FortiGate,
    /// Cisco ASA connection messages (`%ASA-6-302013` …).
    CiscoAsa,
    /// Squid's native `access.log`.
    Squid,
}

impl Format {
    /// The name users see (`zeek`, `pcap`, `fortigate`, …).
    pub fn name(self) -> &'static str {
        match self {
            Format::Zeek => "zeek",
            Format::Samba => "samba",
            Format::Evtx => "evtx",
            Format::Pcap => "pcap",
            Format::Nfcapd => "nfcapd",
            Format::PanOs => "panos",
            Format::FortiGate => "fortigate",
            Format::CiscoAsa => "cisco_asa",
            Format::Squid => "squid",
        }
    }

    /// Whether it is network evidence other than Zeek (`--network`): captures, flow archives,
    /// firewall and proxy logs.
    pub fn is_network(self) -> bool {
        !matches!(self, Format::Zeek | Format::Samba | Format::Evtx)
    }
}

/// What the first lines of a file say it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A format breachscope reads.
    Known(Format),
    /// An empty file (nothing to read).
    Empty,
    /// Nothing recognisable.
    Unknown,
}

/// Looks at the first lines of `text` and says what they are.
pub fn sniff_text(text: &str) -> Kind {
    let mut saw_line = false;
    for line in text.lines().take(200) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        saw_line = true;
        if line.starts_with("#separator") || line.starts_with("#fields") {
            return Kind::Known(Format::Zeek);
        }
        if trimmed.starts_with('{') {
            if trimmed.contains("\"id.orig_h\"") || trimmed.contains("\"_path\"") {
                return Kind::Known(Format::Zeek);
            }
            if trimmed.contains("\"type\": \"Authentication\"")
                || trimmed.contains("\"type\":\"Authentication\"")
            {
                return Kind::Known(Format::Samba);
            }
            continue;
        }
        if let Some(format) = firewall_format(line) {
            return Kind::Known(format);
        }
        match parse_envelope(line) {
            Some(envelope) => {
                let audit_tag = envelope.tag.is_some_and(|t| t.starts_with("smbd_audit"));
                if audit_tag || envelope.transport == Transport::SmbdDebug {
                    return Kind::Known(Format::Samba);
                }
            }
            // Comments and indented continuation lines say nothing either way; any other line
            // without a known layout means this is not a log breachscope reads.
            None if line.starts_with(['#', ' ', '\t']) => {}
            None => return Kind::Unknown,
        }
    }
    if saw_line { Kind::Unknown } else { Kind::Empty }
}

/// The firewall or proxy log format a line is written in, syslog header or not.
fn firewall_format(line: &str) -> Option<Format> {
    use crate::firewall::{cisco_asa, fortigate, panos, squid};
    if fortigate::looks_like(line) {
        Some(Format::FortiGate)
    } else if cisco_asa::looks_like(line) {
        Some(Format::CiscoAsa)
    } else if panos::looks_like(line) {
        Some(Format::PanOs)
    } else if squid::looks_like(line) {
        Some(Format::Squid)
    } else {
        None
    }
}

/// Reads the start of a file (decompressing gzip) and detects its format.
pub fn sniff_path(path: &Path) -> io::Result<Kind> {
    let head = read_head(path, SNIFF_BYTES)?;
    if crate::evtx::is_evtx(&head) {
        return Ok(Kind::Known(Format::Evtx));
    }
    if crate::pcap::is_capture(&head) {
        return Ok(Kind::Known(Format::Pcap));
    }
    if crate::nfcapd::is_nfcapd(&head) {
        return Ok(Kind::Known(Format::Nfcapd));
    }
    // Cut at the last complete line so a multi-byte character split at the limit does not matter.
    let cut = if head.len() == SNIFF_BYTES {
        head.iter().rposition(|&b| b == b'\n').unwrap_or(head.len())
    } else {
        head.len()
    };
    Ok(sniff_text(&String::from_utf8_lossy(&head[..cut])))
}

/// Which Zeek log a file holds (`conn`, `dns`, or another log's `#path`), from its first
/// header block or JSON record; `None` when that cannot be told.
pub fn zeek_log_path(path: &Path) -> io::Result<Option<String>> {
    let head = read_head(path, 4096)?;
    let text = String::from_utf8_lossy(&head);
    for line in text.lines().take(50) {
        if let Some(rest) = line.strip_prefix("#path") {
            return Ok(Some(rest.trim().to_owned()));
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('{') {
            if let Some(i) = trimmed.find("\"_path\"") {
                let value = trimmed[i + 7..].trim_start_matches([' ', ':', '"']);
                return Ok(value.split('"').next().map(str::to_owned));
            }
            if trimmed.contains("\"query\"") || trimmed.contains("\"qtype_name\"") {
                return Ok(Some("dns".into()));
            }
            if trimmed.contains("\"id.orig_h\"") {
                return Ok(Some("conn".into()));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(
            sniff_text("#separator \\x09\n#fields\tts\n"),
            Kind::Known(Format::Zeek)
        );
        assert_eq!(
            sniff_text("{\"ts\":1,\"id.orig_h\":\"10.0.0.1\"}\n"),
            Kind::Known(Format::Zeek)
        );
        assert_eq!(
            sniff_text(
                "Nov 28 04:39:32 vm smbd_audit: alice|127.0.0.1|vm|records|connect|ok|records\n"
            ),
            Kind::Known(Format::Samba)
        );
        assert_eq!(
            sniff_text("[2026/11/28 03:47:21.158569,  0, pid=1]   smbd started\n"),
            Kind::Known(Format::Samba)
        );
        assert_eq!(
            sniff_text("  {\"timestamp\": \"x\", \"type\": \"Authentication\"}\n"),
            Kind::Known(Format::Samba)
        );
        assert_eq!(sniff_text("1.2\tCx\t10.0.0.1\n"), Kind::Unknown);
        assert_eq!(
            sniff_text(
                "date=2024-05-01 time=10:00:00 devname=\"FG\" logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" eventtime=1714525200000000000 srcip=10.0.0.1 dstip=8.8.8.8\n"
            ),
            Kind::Known(Format::FortiGate)
        );
        assert_eq!(
            sniff_text(
                "Jun 12 10:00:00 fw01 : %ASA-6-302013: Built outbound TCP connection 12 for outside:8.8.8.8/443 (8.8.8.8/443) to inside:10.0.0.5/51000 (198.51.100.1/51000)\n"
            ),
            Kind::Known(Format::CiscoAsa)
        );
        assert_eq!(
            sniff_text(
                "1286536308.779    180 192.168.0.224 TCP_MISS/200 411 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html\n"
            ),
            Kind::Known(Format::Squid)
        );
        assert_eq!(sniff_text("\n\n"), Kind::Empty);
        assert!(crate::pcap::is_capture(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]));
        assert!(crate::pcap::is_capture(&[0x4d, 0x3c, 0xb2, 0xa1]));
        assert!(crate::pcap::is_capture(&[
            0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a
        ]));
        assert!(!crate::pcap::is_capture(&[
            0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4
        ]));
        assert!(!crate::pcap::is_capture(b"#sep"));
        assert_eq!(
            sniff_text(
                "# Notes\n\nA line of prose.\n[2026/11/28 03:47:21.158569,  0, pid=1]   x\n"
            ),
            Kind::Unknown
        );
    }
}
