//! Squid's native `access.log` format.
//!
//! Layout: Squid configuration directive `logformat`
//! (<https://www.squid-cache.org/Doc/config/logformat/>), whose built-in `squid` format is
//! `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`, printed by
//! `src/log/FormatSquidNative.cc` (the default for `access_log`). Fields are separated by runs
//! of spaces (`%6tr` is right-aligned), and extra trailing fields (`log_mime_hdrs on` appends
//! two bracketed header blocks) are tolerated.
//!
//! | field | code | flow |
//! |---|---|---|
//! | 1 | `%ts.%03tu` | the end of the transaction (seconds.milliseconds, UTC epoch) |
//! | 2 | `%tr` | `duration` (ms); `start` = end − duration |
//! | 3 | `%>a` | `src_ip` (the client; the originator) |
//! | 4 | `%Ss/%03>Hs` | checked (Squid result / HTTP status) |
//! | 5 | `%<st` | `bytes_in`: the reply size sent to the client (headers and body) |
//! | 6 | `%rm` | `CONNECT` gives the port from `host:port`; other methods a URL |
//! | 7 | `%ru` | `dst_port` (the URL's port, or its scheme's: http 80, https 443, ftp 21) and `service` |
//! | 8 | `%un` | not used (the flow has no user) |
//! | 9 | `%Sh/%<a` | `dst_ip`: the address Squid forwarded to |
//!
//! **One flow per forwarded request.** The flow joins the client to the server Squid fetched
//! from (the proxy's two connections are one flow, as a client would have had without the
//! proxy), so beaconing through the proxy shows as the client talking to the real destination.
//! With a parent or sibling cache (`PARENT_HIT`, `FIRSTUP_PARENT`, …) the address is that
//! cache's, not the origin server's. Requests that reached no server (`HIER_NONE`: cache hits,
//! denials, errors; the peer written as `-`) are counted skips, and so are records whose peer
//! is a host name rather than an address (Squid 2.x wrote `DIRECT/www.example.com`).
//!
//! **Bytes.** The native format records only the reply size (`%<st`, towards the client): how
//! much the client uploaded is not in it, so `bytes_out` is left unset, never 0. Uploads through
//! the proxy are visible only with a custom `logformat` that adds `%>st` (not read here).
//!
//! **Transport and service.** Squid talks TCP. `service` is `http` for `http://` URLs, `ssl`
//! for `https://` ones (bumped TLS), `ftp` for `ftp://`, and unset for `CONNECT` tunnels (what
//! ran inside is not logged).

use breachscope_model::net::parse_ip;
use breachscope_model::{Event, Micros, Transport};

use super::{FieldError, bare_flow, malformed, parse_u64};
use crate::record::{LineOutcome, LineParser};
use crate::samba::transport::parse_envelope;

/// Fields a record must have (through `%Sh/%<a`).
pub const MIN_FIELDS: usize = 9;

const NAMES: [&str; MIN_FIELDS] = [
    "time (field 1, %ts.%03tu)",
    "response time (field 2, %tr)",
    "client address (field 3, %>a)",
    "result codes (field 4, %Ss/%>Hs)",
    "reply size (field 5, %<st)",
    "method (field 6, %rm)",
    "URL (field 7, %ru)",
    "user (field 8, %un)",
    "hierarchy/peer (field 9, %Sh/%<a)",
];

/// Line parser for Squid's native access log.
#[derive(Debug, Default)]
pub struct SquidParser {
    flows: u64,
    no_upstream: u64,
    named_peer: u64,
}

impl SquidParser {
    /// A parser.
    pub fn new() -> Self {
        Self::default()
    }

    fn record(&mut self, body: &str) -> Result<Option<Event>, FieldError> {
        let mut f = [""; MIN_FIELDS];
        let mut n = 0;
        for word in body.split_ascii_whitespace() {
            if let Some(slot) = f.get_mut(n) {
                *slot = word;
            }
            n += 1;
            if n >= MIN_FIELDS {
                break;
            }
        }
        if n < MIN_FIELDS {
            return Err(FieldError::TooShort {
                layout: "Squid native",
                found: n,
                needed: MIN_FIELDS,
                field: NAMES[n],
            });
        }
        let end = epoch_millis(f[0])
            .ok_or(malformed(NAMES[0], "seconds.milliseconds since the epoch"))?;
        let elapsed = parse_u64(f[1]).ok_or(malformed(NAMES[1], "a number of milliseconds"))?;
        let client = parse_ip(f[2]).ok_or(malformed(NAMES[2], "an IP address"))?;
        let (result, status) = f[3]
            .split_once('/')
            .ok_or(malformed(NAMES[3], "RESULT/STATUS"))?;
        if result.is_empty() || status.len() != 3 || parse_u64(status).is_none() {
            return Err(malformed(NAMES[3], "RESULT/STATUS with a 3-digit status"));
        }
        let size = parse_u64(f[4]).ok_or(malformed(NAMES[4], "a decimal number"))?;
        let method = f[5];
        let url = f[6];
        let (hierarchy, peer) = f[8]
            .split_once('/')
            .ok_or(malformed(NAMES[8], "HIERARCHY/PEER"))?;
        let hierarchy = hierarchy.strip_prefix("TIMEOUT_").unwrap_or(hierarchy);
        if hierarchy == "HIER_NONE" || hierarchy == "NONE" || peer == "-" || peer.is_empty() {
            self.no_upstream += 1;
            return Ok(None);
        }
        let Some(server) = parse_ip(peer) else {
            self.named_peer += 1;
            return Ok(None);
        };
        let (port, service) = destination(method, url)
            .ok_or(malformed(NAMES[6], "a URL or host:port with a port"))?;
        let duration = i64::try_from(elapsed)
            .unwrap_or(i64::MAX)
            .saturating_mul(1_000);
        let mut flow = bare_flow(
            end.saturating_sub(duration),
            (client, 0),
            (server, port),
            Transport::Tcp,
        );
        flow.duration = Some(duration);
        flow.service = service.map(str::to_owned);
        flow.bytes_in = Some(size);
        self.flows += 1;
        Ok(Some(Event::Flow(flow)))
    }
}

/// `seconds.mmm` → microseconds.
fn epoch_millis(text: &str) -> Option<Micros> {
    let (secs, millis) = text.split_once('.')?;
    if millis.len() != 3 {
        return None;
    }
    let secs = i64::try_from(parse_u64(secs)?).ok()?;
    let millis = i64::try_from(parse_u64(millis)?).ok()?;
    secs.checked_mul(1_000_000)?.checked_add(millis * 1_000)
}

/// The port an authority (`host`, `host:port`, `[v6]:port`) names: `Some(None)` when none.
fn authority_port(authority: &str) -> Option<Option<u16>> {
    let tail = match authority.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.1,
        None => authority.rfind(':').map_or("", |i| &authority[i..]),
    };
    if tail.is_empty() {
        return Some(None);
    }
    let port = tail.strip_prefix(':')?;
    Some(Some(u16::try_from(parse_u64(port)?).ok()?))
}

/// The destination port and service of a request: `CONNECT host:port`, or a URL's explicit port
/// or its scheme's default.
fn destination(method: &str, url: &str) -> Option<(u16, Option<&'static str>)> {
    if method == "CONNECT" {
        return Some((authority_port(url)??, None));
    }
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (default, service) = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => (80, Some("http")),
        "https" | "wss" => (443, Some("ssl")),
        "ftp" => (21, Some("ftp")),
        _ => return None,
    };
    Some((authority_port(authority)?.unwrap_or(default), service))
}

/// Whether a line looks like a Squid native access-log record, with or without a syslog header.
pub fn looks_like(line: &str) -> bool {
    let body = body(line);
    let mut w = body.split_ascii_whitespace();
    let (Some(t), Some(e), Some(_), Some(codes)) = (w.next(), w.next(), w.next(), w.next()) else {
        return false;
    };
    epoch_millis(t).is_some()
        && parse_u64(e).is_some()
        && codes.split_once('/').is_some_and(|(r, s)| {
            !r.is_empty()
                && r.bytes().all(|c| c.is_ascii_uppercase() || c == b'_')
                && s.len() == 3
                && parse_u64(s).is_some()
        })
}

/// The record: the line itself, the line after a bare `<PRI>`, or a syslog envelope's message.
fn body(line: &str) -> &str {
    let first = line.split_ascii_whitespace().next().unwrap_or("");
    if epoch_millis(first).is_some() {
        return line;
    }
    if let Some((pri, rest)) = line.strip_prefix('<').and_then(|r| r.split_once('>'))
        && !pri.is_empty()
        && pri.len() <= 3
        && pri.bytes().all(|c| c.is_ascii_digit())
        && epoch_millis(rest.split_ascii_whitespace().next().unwrap_or("")).is_some()
    {
        return rest;
    }
    parse_envelope(line).map_or(line, |e| e.message)
}

impl LineParser for SquidParser {
    fn begin_file(&mut self, _mtime: Option<std::time::SystemTime>) {
        *self = SquidParser::default();
    }

    fn parse_line(&mut self, line: &str, _line_no: u64) -> LineOutcome {
        if line.trim().is_empty() {
            return LineOutcome::Skipped;
        }
        match self.record(body(line)) {
            Ok(Some(event)) => LineOutcome::Event(Box::new(event)),
            Ok(None) => LineOutcome::Skipped,
            Err(e) => LineOutcome::Rejected(e.to_string()),
        }
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.flows > 0 {
            notes.push(format!(
                "{} flows from Squid's native format, which logs only the reply size: bytes_in is the size sent to the client, bytes_out (uploads) is unknown",
                self.flows
            ));
        }
        if self.no_upstream > 0 {
            notes.push(format!(
                "{} requests reached no server (HIER_NONE: cache hits, denials, errors) and were skipped",
                self.no_upstream
            ));
        }
        if self.named_peer > 0 {
            notes.push(format!(
                "{} records name their server by host name, not address, and were skipped",
                self.named_peer
            ));
        }
        notes
    }

    fn kind(&self) -> &'static str {
        "squid_access"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::{flow, ip, rejected};

    const GET: &str = "1717430400.123    245 192.168.1.20 TCP_MISS/200 5120 GET http://example.com/index.html - HIER_DIRECT/93.184.216.34 text/html";
    const CONNECT: &str = "1717430401.456  60012 192.168.1.20 TCP_TUNNEL/200 48213 CONNECT www.example.org:443 alice HIER_DIRECT/93.184.215.14 -";

    #[test]
    fn get_without_user_maps_field_by_field() {
        let mut p = SquidParser::new();
        let f = flow(p.parse_line(GET, 1));
        assert_eq!(f.start, 1_717_430_400_123_000 - 245_000);
        assert_eq!(f.duration, Some(245_000));
        assert_eq!((f.src_ip, f.src_port), (ip("192.168.1.20"), 0));
        assert_eq!((f.dst_ip, f.dst_port), (ip("93.184.216.34"), 80));
        assert_eq!(
            (f.transport, f.service.as_deref()),
            (Transport::Tcp, Some("http"))
        );
        assert_eq!((f.bytes_out, f.bytes_in), (None, Some(5120)));
        assert_eq!((f.packets_out, f.uid), (None, None));
        assert!(looks_like(GET));
        assert_eq!(p.kind(), "squid_access");
    }

    #[test]
    fn connect_with_user_and_variants() {
        let mut p = SquidParser::new();
        let f = flow(p.parse_line(CONNECT, 1));
        assert_eq!(f.start, 1_717_430_401_456_000 - 60_012_000);
        assert_eq!(
            (f.dst_ip, f.dst_port, f.service),
            (ip("93.184.215.14"), 443, None)
        );
        assert_eq!(f.bytes_in, Some(48213));
        let cases = [
            ("https://a.example:8443/x?y", 8443, Some("ssl")),
            ("http://u:p@a.example/", 80, Some("http")),
            ("http://[2001:db8::1]:8080/", 8080, Some("http")),
            ("ftp://files.example/pub", 21, Some("ftp")),
        ];
        for (url, port, service) in cases {
            let line = GET.replace("http://example.com/index.html", url);
            let f = flow(p.parse_line(&line, 2));
            assert_eq!((f.dst_port, f.service.as_deref()), (port, service), "{url}");
        }
        let v6 = CONNECT
            .replace("www.example.org:443", "[2001:db8::1]:8443")
            .replace("HIER_DIRECT/93.184.215.14", "HIER_DIRECT/2001:db8::1");
        let f = flow(p.parse_line(&v6, 3));
        assert_eq!((f.dst_ip, f.dst_port), (ip("2001:db8::1"), 8443));
        // log_mime_hdrs appends header blocks; a parent cache is the responder.
        let extra = format!(
            "{} [Host: example.com\\r\\n] [HTTP/1.1 200 OK\\r\\n]",
            GET.replace("HIER_DIRECT", "FIRSTUP_PARENT")
        );
        assert_eq!(flow(p.parse_line(&extra, 4)).dst_port, 80);
        // Through syslog.
        for line in [
            format!("Jun  3 16:00:00 proxy squid[812]: {GET}"),
            format!("2024-06-03T16:00:00+00:00 proxy squid[812]: {GET}"),
            format!("<150>1 2024-06-03T16:00:00Z proxy squid 812 - - {GET}"),
            format!("<150>{GET}"),
        ] {
            assert!(looks_like(&line), "{line}");
            assert_eq!(flow(p.parse_line(&line, 5)).bytes_in, Some(5120));
        }
        // A short epoch (Squid pads %ts to 9 characters).
        let early = "955682882.018     19 192.168.1.142 TCP_MISS/200 1722 GET http://www.corecom.com/ - DIRECT/198.51.100.2 text/html";
        assert_eq!(
            flow(p.parse_line(early, 6)).start,
            955_682_882_018_000 - 19_000
        );
    }

    #[test]
    fn records_without_an_upstream_are_counted_skips() {
        let mut p = SquidParser::new();
        let hit = "1717430400.123      0 192.168.1.20 TCP_MEM_HIT/200 5120 GET http://example.com/ - HIER_NONE/- text/html";
        let denied = "1717430400.123      0 192.168.1.20 TCP_DENIED/403 3900 CONNECT evil.example:443 - HIER_NONE/- text/html";
        let named = "955682882.018 19 192.168.1.142 TCP_MISS/200 1722 GET http://www.corecom.com/ - DIRECT/www.corecom.com text/html";
        let old_none = "955682882.018 19 192.168.1.142 TCP_HIT/200 1722 GET http://www.corecom.com/ - NONE/- text/html";
        for line in [hit, denied, named, old_none] {
            assert!(
                matches!(p.parse_line(line, 1), LineOutcome::Skipped),
                "{line}"
            );
        }
        let notes = p.notes().join("\n");
        assert!(notes.contains("3 requests reached no server"), "{notes}");
        assert!(
            notes.contains("1 records name their server by host name"),
            "{notes}"
        );
        assert!(!notes.contains("bytes_out"), "{notes}");
        flow(p.parse_line(GET, 5));
        let notes = p.notes().join("\n");
        assert!(
            notes.contains("1 flows from Squid's native format"),
            "{notes}"
        );
        assert!(notes.contains("bytes_out (uploads) is unknown"), "{notes}");
    }

    #[test]
    fn missing_or_malformed_fields_are_rejected_by_name() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "1717430400.123",
                "1717430400",
                "time (field 1, %ts.%03tu) is not",
            ),
            (
                "1717430400.123",
                "17174304x0.123",
                "time (field 1, %ts.%03tu) is not",
            ),
            ("   245 ", " 2.5 ", "response time (field 2, %tr) is not"),
            (
                "192.168.1.20",
                "client-pc",
                "client address (field 3, %>a) is not an IP address",
            ),
            (
                "TCP_MISS/200",
                "TCP_MISS",
                "result codes (field 4, %Ss/%>Hs) is not",
            ),
            (
                "TCP_MISS/200",
                "TCP_MISS/2000",
                "result codes (field 4, %Ss/%>Hs) is not",
            ),
            (
                " 5120 ",
                " -1 ",
                "reply size (field 5, %<st) is not a decimal number",
            ),
            (
                "http://example.com/index.html",
                "gopher://x/",
                "URL (field 7, %ru) is not",
            ),
            (
                "http://example.com/index.html",
                "http://example.com:99999/",
                "URL (field 7, %ru) is not",
            ),
            (
                "HIER_DIRECT/93.184.216.34",
                "HIER_DIRECT",
                "hierarchy/peer (field 9, %Sh/%<a) is not",
            ),
        ];
        for &(from, to, reason) in cases {
            let line = GET.replacen(from, to, 1);
            let r = rejected(SquidParser::new().parse_line(&line, 1));
            assert!(r.starts_with(reason), "{from} → {to}: {r}");
            assert!(!r.contains("192.168") && !r.contains("example"), "{r}");
        }
        let r = rejected(
            SquidParser::new().parse_line("1717430400.123 245 192.168.1.20 TCP_MISS/200", 1),
        );
        assert_eq!(
            r,
            "record has 4 fields; a Squid native record has at least 9 (it ends before reply size (field 5, %<st))"
        );
        let r = rejected(SquidParser::new().parse_line(
            &CONNECT.replace("www.example.org:443", "www.example.org"),
            1,
        ));
        assert!(r.starts_with("URL (field 7, %ru) is not"), "{r}");
        assert!(!looks_like("1717430400.123 hello world"));
    }
}
