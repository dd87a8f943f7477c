//! The scenario's perimeter traffic as a FortiGate writes it: FortiOS 7.x traffic logs
//! (`type="traffic" subtype="forward"`, one `key=value` line per session, written when the
//! session ends), as the GUI's log download or a FortiAnalyzer export gives them: one file per
//! local day, `firewall/fortigate-YYYY-MM-DD.log`.
//!
//! Layout from Fortinet's "FortiOS Log Message Reference" (log id 0000000013,
//! LOG_ID_TRAFFIC_END_FORWARD) and the administration guide's sample traffic log: `date` and
//! `time` in the device's local time with `tz`, `eventtime` in nanoseconds, quoted string
//! fields and bare numbers and addresses, `sentbyte`/`rcvdbyte` counted from the session's
//! originator, the source NAT in `transip`/`transport`. Only sessions between the office and
//! the outside cross the firewall; traffic inside the office is not in its log.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::PathBuf;

use jiff::tz::TimeZone;

use crate::SimulateError;
use crate::logs::{ConnRow, Proto};

/// The public address the office's connections leave from (source NAT).
const PUBLIC_ADDRESS: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);

/// A FortiGate's traffic log, one file per local day.
pub struct FortiGateLog {
    dir: PathBuf,
    zone: TimeZone,
    open: BTreeMap<jiff::civil::Date, BufWriter<File>>,
    session: u64,
    /// Sessions written.
    pub lines: u64,
}

fn is_internal(ip: Ipv4Addr) -> bool {
    ip.is_private() || ip.is_loopback()
}

/// FortiOS's predefined service name for a destination port.
fn service(proto: Proto, port: u16) -> String {
    match (proto, port) {
        (Proto::Tcp, 443) => "HTTPS".into(),
        (Proto::Tcp, 80) => "HTTP".into(),
        (Proto::Udp, 53) | (Proto::Tcp, 53) => "DNS".into(),
        (Proto::Tcp, 22) => "SSH".into(),
        (Proto::Tcp, 445) => "SMB".into(),
        (Proto::Tcp, 25) => "SMTP".into(),
        (Proto::Udp, 123) => "NTP".into(),
        (Proto::Tcp, p) => format!("tcp/{p}"),
        (Proto::Udp, p) => format!("udp/{p}"),
    }
}

impl FortiGateLog {
    /// A log under `dir`, dated in `zone` (the device's zone).
    pub fn new(dir: PathBuf, zone: TimeZone) -> Self {
        FortiGateLog {
            dir,
            zone,
            open: BTreeMap::new(),
            session: 100_000,
            lines: 0,
        }
    }

    /// Appends the sessions among `rows` (sorted by end time) that cross the perimeter.
    pub fn write(&mut self, rows: &[ConnRow]) -> Result<(), SimulateError> {
        for r in rows {
            if is_internal(r.src) == is_internal(r.dst) {
                continue;
            }
            let end = r.end();
            let Ok(ts) = jiff::Timestamp::from_microsecond(end) else {
                continue;
            };
            let zoned = ts.to_zoned(self.zone.clone());
            let date = zoned.date();
            let offset = zoned.offset().seconds();
            let tz = format!(
                "{}{:02}{:02}",
                if offset < 0 { '-' } else { '+' },
                offset.abs() / 3600,
                offset.abs() % 3600 / 60
            );
            let (proto, overhead) = match r.proto {
                Proto::Tcp => (6, 52u64),
                Proto::Udp => (17, 28u64),
            };
            let (action, sent_pkts, rcvd_pkts) = match r.conn_state {
                "S0" => ("timeout", 1, 0),
                "REJ" | "RSTR" => ("server-rst", 1, 1),
                "RSTO" => ("client-rst", 2, 1),
                _ => {
                    let extra = if r.proto == Proto::Tcp { 3 } else { 1 };
                    (
                        "close",
                        r.orig_bytes / 1448 + extra,
                        r.resp_bytes / 1448 + extra.min(2),
                    )
                }
            };
            let (sent, rcvd) = if action == "timeout" {
                (overhead, 0)
            } else {
                (
                    r.orig_bytes + sent_pkts * overhead,
                    r.resp_bytes + rcvd_pkts * overhead,
                )
            };
            let outbound = is_internal(r.src);
            let (srcintf, dstintf) = if outbound {
                ("internal", "wan1")
            } else {
                ("wan1", "internal")
            };
            self.session += 1;
            // Rows come in end order: a day's file is done a little after the next one opens.
            while self.open.len() >= 3 && !self.open.contains_key(&date) {
                if let Some((_, mut old)) = self.open.pop_first() {
                    old.flush().map_err(|e| SimulateError::io(&self.dir, e))?;
                }
            }
            let w = match self.open.entry(date) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => {
                    std::fs::create_dir_all(&self.dir)
                        .map_err(|e| SimulateError::io(&self.dir, e))?;
                    let path = self.dir.join(format!("fortigate-{date}.log"));
                    let file = OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .map_err(|e| SimulateError::io(&path, e))?;
                    v.insert(BufWriter::new(file))
                }
            };
            let nat = if outbound {
                format!(
                    " trandisp=\"snat\" transip={PUBLIC_ADDRESS} transport={}",
                    r.sport
                )
            } else {
                " trandisp=\"noop\"".to_owned()
            };
            writeln!(
                w,
                "date={date} time={:02}:{:02}:{:02} eventtime={}{:03} tz=\"{tz}\" logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"notice\" vd=\"root\" srcip={} srcport={} srcintf=\"{srcintf}\" srcintfrole=\"{}\" dstip={} dstport={} dstintf=\"{dstintf}\" dstintfrole=\"{}\" srccountry=\"{}\" dstcountry=\"{}\" sessionid={} proto={proto} action=\"{action}\" policyid={} policytype=\"policy\" service=\"{}\"{nat} duration={} sentbyte={sent} rcvdbyte={rcvd} sentpkt={sent_pkts} rcvdpkt={rcvd_pkts} appcat=\"unscanned\"",
                zoned.hour(),
                zoned.minute(),
                zoned.second(),
                end,
                0,
                r.src,
                r.sport,
                if outbound { "lan" } else { "wan" },
                r.dst,
                r.dport,
                if outbound { "wan" } else { "lan" },
                if outbound { "Reserved" } else { "United States" },
                if outbound { "United States" } else { "Reserved" },
                self.session,
                if outbound { 1 } else { 2 },
                service(r.proto, r.dport),
                r.duration / 1_000_000,
            )
            .map_err(|e| SimulateError::io(&self.dir, e))?;
            self.lines += 1;
        }
        Ok(())
    }

    /// Flushes every open file.
    pub fn finish(&mut self) -> Result<(), SimulateError> {
        for w in self.open.values_mut() {
            w.flush().map_err(|e| SimulateError::io(&self.dir, e))?;
        }
        self.open.clear();
        Ok(())
    }
}
