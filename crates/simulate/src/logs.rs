//! Writers for the evidence formats exactly as production systems write them: Zeek 8/9 `conn.log`
//! (22 fields) and `dns.log` as zeekctl's hourly gzip archive, and Samba `vfs_full_audit` records
//! through rsyslog's `RSYSLOG_FileFormat` (RFC 3339 with the zone offset), one file per day.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use breachscope_model::Micros;
use flate2::Compression;
use flate2::write::GzEncoder;
use jiff::tz::TimeZone;

use crate::SimulateError;

/// Transport of a simulated connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// One conn.log record.
#[derive(Debug, Clone)]
pub struct ConnRow {
    /// Start.
    pub ts: Micros,
    /// Duration (µs).
    pub duration: Micros,
    /// Zeek uid.
    pub uid: String,
    /// Originator.
    pub src: Ipv4Addr,
    /// Originator port.
    pub sport: u16,
    /// Responder.
    pub dst: Ipv4Addr,
    /// Responder port.
    pub dport: u16,
    /// Transport.
    pub proto: Proto,
    /// Zeek service, when detected.
    pub service: Option<&'static str>,
    /// Payload bytes originator → responder.
    pub orig_bytes: u64,
    /// Payload bytes responder → originator.
    pub resp_bytes: u64,
    /// Zeek connection state.
    pub conn_state: &'static str,
    /// Zeek history.
    pub history: &'static str,
}

impl ConnRow {
    /// When the connection ended (when Zeek writes the record).
    pub fn end(&self) -> Micros {
        self.ts + self.duration
    }
}

/// One dns.log record.
#[derive(Debug, Clone)]
pub struct DnsRow {
    /// Query time.
    pub ts: Micros,
    /// Zeek uid (shared with the UDP conn record).
    pub uid: String,
    /// Client.
    pub src: Ipv4Addr,
    /// Client port.
    pub sport: u16,
    /// Resolver.
    pub dst: Ipv4Addr,
    /// Transaction id.
    pub trans_id: u16,
    /// Round-trip time (µs).
    pub rtt: Micros,
    /// Name asked for.
    pub query: String,
    /// A-record answers.
    pub answers: Vec<Ipv4Addr>,
}

/// One `vfs_full_audit` record.
#[derive(Debug, Clone)]
pub struct AuditLine {
    /// Record time.
    pub ts: Micros,
    /// Index of the employee (account) in the company.
    pub employee: usize,
    /// Client address (`%I`).
    pub ip: Ipv4Addr,
    /// Operation.
    pub op: &'static str,
    /// Whether it succeeded.
    pub ok: bool,
    /// Share (`%S`).
    pub share: usize,
    /// Arguments after the result.
    pub args: String,
}

fn is_internal(ip: Ipv4Addr) -> bool {
    ip.is_private() || ip.is_loopback()
}

pub(crate) fn local_parts(zone: &TimeZone, t: Micros) -> Option<jiff::civil::DateTime> {
    Some(zone.to_datetime(jiff::Timestamp::from_microsecond(t).ok()?))
}

pub(crate) fn zeek_stamp(dt: &jiff::civil::DateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}-{:02}-{:02}-{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

pub(crate) fn secs(t: Micros) -> String {
    format!("{}.{:06}", t.div_euclid(1_000_000), t.rem_euclid(1_000_000))
}

const CONN_FIELDS: &str = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto";
const CONN_TYPES: &str = "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount";
const DNS_FIELDS: &str = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected";
const DNS_TYPES: &str = "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool";

/// Writes zeekctl's archive: `root/YYYY-MM-DD/{conn,dns}.HH:00:00-HH:00:00.log.gz`, local time.
pub struct ZeekArchive {
    root: PathBuf,
    zone: TimeZone,
    /// conn rows written.
    pub conn_rows: u64,
    /// dns rows written.
    pub dns_rows: u64,
}

pub(crate) fn hour_file(root: &Path, kind: &str, dt: &jiff::civil::DateTime) -> PathBuf {
    let next = (dt.hour() + 1) % 24;
    root.join(format!(
        "{:04}-{:02}-{:02}",
        dt.year(),
        dt.month(),
        dt.day()
    ))
    .join(format!(
        "{kind}.{:02}:00:00-{next:02}:00:00.log.gz",
        dt.hour()
    ))
}

pub(crate) fn open_gz(path: &Path) -> Result<GzEncoder<BufWriter<File>>, SimulateError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| SimulateError::io(parent, e))?;
    }
    let file = File::create(path).map_err(|e| SimulateError::io(path, e))?;
    Ok(GzEncoder::new(
        BufWriter::with_capacity(1 << 18, file),
        Compression::new(4),
    ))
}

/// An hourly log file being written, and the stamp of its `#close` line.
struct HourFile {
    w: GzEncoder<BufWriter<File>>,
    path: PathBuf,
    close: jiff::civil::DateTime,
}

impl ZeekArchive {
    /// Opens the hour's file of log `kind` and writes Zeek's header block.
    fn open_hour(
        &self,
        kind: &str,
        fields: &str,
        types: &str,
        hour_start: Micros,
    ) -> Result<HourFile, SimulateError> {
        let open = local_parts(&self.zone, hour_start)
            .ok_or_else(|| SimulateError::Write("time out of range".into()))?;
        let close = local_parts(&self.zone, hour_start + 3_600_000_000)
            .ok_or_else(|| SimulateError::Write("time out of range".into()))?;
        let path = hour_file(&self.root, kind, &open);
        let mut w = open_gz(&path)?;
        write!(w, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{kind}\n#open\t{}\n{fields}\n{types}\n", zeek_stamp(&open))
            .map_err(|e| SimulateError::io(&path, e))?;
        Ok(HourFile { w, path, close })
    }

    /// An archive under `root` in the sensor's zone.
    pub fn new(root: PathBuf, zone: TimeZone) -> Self {
        ZeekArchive {
            root,
            zone,
            conn_rows: 0,
            dns_rows: 0,
        }
    }

    /// Writes one hour's conn records (already sorted by end time); `hour_start` is the UTC
    /// instant the hour begins.
    pub fn write_conn_hour(
        &mut self,
        hour_start: Micros,
        rows: &[ConnRow],
    ) -> Result<(), SimulateError> {
        if rows.is_empty() {
            return Ok(());
        }
        let HourFile { mut w, path, close } =
            self.open_hour("conn", CONN_FIELDS, CONN_TYPES, hour_start)?;
        let io = |e| SimulateError::io(&path, e);
        for r in rows {
            let (proto, ip_proto, overhead) = match r.proto {
                Proto::Tcp => ("tcp", 6, 52u64),
                Proto::Udp => ("udp", 17, 28u64),
            };
            let (orig_pkts, resp_pkts) = match r.conn_state {
                "S0" => (1, 0),
                "REJ" => (1, 1),
                _ => {
                    let extra = if r.proto == Proto::Tcp { 3 } else { 1 };
                    (
                        r.orig_bytes / 1448 + extra,
                        r.resp_bytes / 1448 + extra.min(2),
                    )
                }
            };
            let unset_payload = r.conn_state == "S0" || r.conn_state == "REJ";
            let (duration, ob, rb) = if unset_payload {
                ("-".to_string(), "-".to_string(), "-".to_string())
            } else {
                (
                    secs(r.duration),
                    r.orig_bytes.to_string(),
                    r.resp_bytes.to_string(),
                )
            };
            writeln!(
                w,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t0\t{}\t{}\t{}\t{}\t{}\t-\t{}",
                secs(r.ts),
                r.uid,
                r.src,
                r.sport,
                r.dst,
                r.dport,
                proto,
                r.service.unwrap_or("-"),
                duration,
                ob,
                rb,
                r.conn_state,
                if is_internal(r.src) { "T" } else { "F" },
                if is_internal(r.dst) { "T" } else { "F" },
                r.history,
                orig_pkts,
                r.orig_bytes + orig_pkts * overhead,
                resp_pkts,
                r.resp_bytes + resp_pkts * if r.conn_state == "REJ" { 40 } else { overhead },
                ip_proto
            )
            .map_err(io)?;
        }
        writeln!(w, "#close\t{}", zeek_stamp(&close)).map_err(io)?;
        w.finish().and_then(|mut b| b.flush()).map_err(io)?;
        self.conn_rows += rows.len() as u64;
        Ok(())
    }

    /// Writes one hour's dns records (sorted by time).
    pub fn write_dns_hour(
        &mut self,
        hour_start: Micros,
        rows: &[DnsRow],
    ) -> Result<(), SimulateError> {
        if rows.is_empty() {
            return Ok(());
        }
        let HourFile { mut w, path, close } =
            self.open_hour("dns", DNS_FIELDS, DNS_TYPES, hour_start)?;
        let io = |e| SimulateError::io(&path, e);
        for r in rows {
            let answers = r
                .answers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let ttls = r
                .answers
                .iter()
                .map(|_| "300.000000")
                .collect::<Vec<_>>()
                .join(",");
            writeln!(
                w,
                "{}\t{}\t{}\t{}\t{}\t53\tudp\t{}\t{}\t{}\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t{}\t{}\tF",
                secs(r.ts),
                r.uid,
                r.src,
                r.sport,
                r.dst,
                r.trans_id,
                secs(r.rtt),
                r.query,
                if answers.is_empty() { "-".into() } else { answers },
                if ttls.is_empty() { "-".into() } else { ttls },
            )
            .map_err(io)?;
        }
        writeln!(w, "#close\t{}", zeek_stamp(&close)).map_err(io)?;
        w.finish().and_then(|mut b| b.flush()).map_err(io)?;
        self.dns_rows += rows.len() as u64;
        Ok(())
    }
}

/// Formats an instant as rsyslog's RFC 3339 high-precision timestamp in `zone`.
pub fn rfc3339_local(zone: &TimeZone, t: Micros) -> String {
    let Ok(ts) = jiff::Timestamp::from_microsecond(t) else {
        return String::new();
    };
    let offset = zone.to_offset(ts);
    let dt = offset.to_datetime(ts);
    let secs = offset.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.abs();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{sign}{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1000,
        abs / 3600,
        (abs % 3600) / 60
    )
}

/// Writes one day's audit records (sorted by time) to `path` in rsyslog's file format.
pub fn write_audit_day(
    path: &Path,
    zone: &TimeZone,
    server: &str,
    accounts: &[String],
    shares: &[String],
    lines: &[AuditLine],
) -> Result<(), SimulateError> {
    if lines.is_empty() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| SimulateError::io(parent, e))?;
    }
    let file = File::create(path).map_err(|e| SimulateError::io(path, e))?;
    let mut w = BufWriter::with_capacity(1 << 18, file);
    let io = |e| SimulateError::io(path, e);
    for l in lines {
        let host = format!("ws-{:03}", l.employee + 1);
        let result = if l.ok {
            "ok"
        } else {
            "fail (Permission denied)"
        };
        writeln!(
            w,
            "{} {server} smbd_audit: {}|{}|{host}|{}|{}|{result}|{}",
            rfc3339_local(zone, l.ts),
            accounts[l.employee],
            l.ip,
            shares[l.share],
            l.op,
            l.args
        )
        .map_err(io)?;
    }
    w.flush().map_err(io)
}
