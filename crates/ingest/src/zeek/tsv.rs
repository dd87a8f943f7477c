//! Zeek's ASCII (TSV) log writer format, driven by the file's own header.

use breachscope_model::Event;
use breachscope_model::time::parse_epoch_seconds;
use memchr::memchr_iter;

use super::{LogPath, RawRecord};

/// The columns breachscope reads; every other column is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Ts,
    Uid,
    OrigH,
    OrigP,
    RespH,
    RespP,
    Proto,
    Service,
    Duration,
    OrigBytes,
    RespBytes,
    ConnState,
    LocalOrig,
    LocalResp,
    MissedBytes,
    History,
    OrigPkts,
    OrigIpBytes,
    RespPkts,
    RespIpBytes,
    IpProto,
    Query,
    QtypeName,
    RcodeName,
    Rtt,
    Answers,
    Ignored,
}

impl Column {
    fn from_name(name: &str) -> Column {
        match name {
            "ts" => Column::Ts,
            "uid" => Column::Uid,
            "id.orig_h" => Column::OrigH,
            "id.orig_p" => Column::OrigP,
            "id.resp_h" => Column::RespH,
            "id.resp_p" => Column::RespP,
            "proto" => Column::Proto,
            "service" => Column::Service,
            "duration" => Column::Duration,
            "orig_bytes" => Column::OrigBytes,
            "resp_bytes" => Column::RespBytes,
            "conn_state" => Column::ConnState,
            "local_orig" => Column::LocalOrig,
            "local_resp" => Column::LocalResp,
            "missed_bytes" => Column::MissedBytes,
            "history" => Column::History,
            "orig_pkts" => Column::OrigPkts,
            "orig_ip_bytes" => Column::OrigIpBytes,
            "resp_pkts" => Column::RespPkts,
            "resp_ip_bytes" => Column::RespIpBytes,
            "ip_proto" => Column::IpProto,
            "query" => Column::Query,
            "qtype_name" => Column::QtypeName,
            "rcode_name" => Column::RcodeName,
            "rtt" => Column::Rtt,
            "answers" => Column::Answers,
            _ => Column::Ignored,
        }
    }
}

/// Header lines seen so far in the current block, until `#fields` completes a [`TsvHeader`].
#[derive(Debug, Clone)]
pub(crate) struct PendingHeader {
    separator: String,
    set_separator: String,
    empty_field: String,
    unset_field: String,
    path: Option<String>,
}

impl Default for PendingHeader {
    fn default() -> Self {
        PendingHeader {
            separator: "\t".into(),
            set_separator: ",".into(),
            empty_field: "(empty)".into(),
            unset_field: "-".into(),
            path: None,
        }
    }
}

/// Decodes Zeek's escapes: `\xNN` (used in `#separator` and for separators or non-printable
/// bytes inside values) and `\\` (a backslash). Invalid escapes are kept as written.
pub(crate) fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
            continue;
        }
        if bytes[i] == b'\\'
            && bytes.get(i + 1) == Some(&b'x')
            && let Some(v) = bytes
                .get(i + 2..i + 4)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl PendingHeader {
    /// Takes one `#` line. Returns a complete header when the line is `#fields`.
    pub(crate) fn feed(&mut self, line: &str) -> Option<TsvHeader> {
        if let Some(rest) = line.strip_prefix("#separator") {
            // A new block starts: forget the previous block's settings.
            *self = PendingHeader::default();
            let value = rest.trim_start_matches([' ', '\t']);
            let sep = unescape(value);
            if !sep.is_empty() {
                self.separator = sep;
            }
            return None;
        }
        let body = &line[1..];
        let (key, value) = match body.split_once(self.separator.as_str()) {
            Some(kv) => kv,
            None => body.split_once([' ', '\t']).unwrap_or((body, "")),
        };
        match key {
            "set_separator" => self.set_separator = unescape(value),
            "empty_field" => self.empty_field = unescape(value),
            "unset_field" => self.unset_field = unescape(value),
            "path" => self.path = Some(value.to_owned()),
            "fields" => {
                let names: Vec<&str> = value.split(self.separator.as_str()).collect();
                let columns: Vec<Column> = names.iter().map(|n| Column::from_name(n)).collect();
                let has = |n: &str| names.contains(&n);
                let path = match self.path.as_deref() {
                    Some(p) if LogPath::from_name(p) != LogPath::Other => LogPath::from_name(p),
                    Some(_) => LogPath::Other,
                    None if has("share_type") => LogPath::SmbMapping,
                    None if has("fuid") && has("action") && has("prev_name") => LogPath::SmbFiles,
                    None if has("username") && has("domainname") => LogPath::Ntlm,
                    None if columns.contains(&Column::Query) => LogPath::Dns,
                    None if columns.contains(&Column::ConnState)
                        || columns.contains(&Column::OrigBytes) =>
                    {
                        LogPath::Conn
                    }
                    None => LogPath::Other,
                };
                let has_required = [Column::Ts, Column::OrigH, Column::RespH]
                    .iter()
                    .all(|c| columns.contains(c));
                return Some(TsvHeader {
                    separator: self.separator.clone(),
                    set_separator: self.set_separator.clone(),
                    empty_field: self.empty_field.clone(),
                    unset_field: self.unset_field.clone(),
                    path: if has_required { path } else { LogPath::Other },
                    columns,
                    smb_columns: super::smb::Field::ALL
                        .map(|f| names.iter().position(|n| *n == f.name())),
                });
            }
            _ => {}
        }
        None
    }
}

/// A complete TSV header block: separators, markers, log path and columns.
#[derive(Debug, Clone)]
pub struct TsvHeader {
    separator: String,
    set_separator: String,
    empty_field: String,
    unset_field: String,
    path: LogPath,
    columns: Vec<Column>,
    /// The column of each SMB/NTLM field ([`super::smb::Field`]), where the header has it.
    smb_columns: [Option<usize>; 16],
}

/// One data line's values by column name (the SMB and NTLM logs, read by name).
pub(crate) struct TsvFields<'a> {
    header: &'a TsvHeader,
    values: Vec<&'a str>,
}

impl super::smb::Fields for TsvFields<'_> {
    fn text(&self, field: super::smb::Field) -> Option<std::borrow::Cow<'_, str>> {
        let i = self.header.smb_columns[field as usize]?;
        let value = *self.values.get(i)?;
        if value == self.header.unset_field {
            None
        } else if value == self.header.empty_field {
            Some(std::borrow::Cow::Borrowed(""))
        } else if value.contains('\\') {
            Some(std::borrow::Cow::Owned(unescape(value)))
        } else {
            Some(std::borrow::Cow::Borrowed(value))
        }
    }
}

fn count(value: &str, field: &str) -> Result<u64, String> {
    value
        .parse::<u64>()
        .map_err(|_| format!("{field} is not a count"))
}

fn interval(value: &str, field: &str) -> Result<i64, String> {
    parse_epoch_seconds(value.as_bytes()).ok_or_else(|| format!("{field} is not an interval"))
}

fn boolean(value: &str, field: &str) -> Result<bool, String> {
    match value {
        "T" => Ok(true),
        "F" => Ok(false),
        _ => Err(format!("{field} is not T or F")),
    }
}

/// Parses a Zeek `time` value. Timestamps redacted by Zeek's test canonifier or an anonymiser
/// (every digit replaced by `X`, as in `XXXXXXXXXX.XXXXXX`) are accepted as time 0 and flagged.
pub(crate) fn zeek_time(value: &[u8]) -> Result<(i64, bool), String> {
    if let Some(t) = parse_epoch_seconds(value) {
        return Ok((t, false));
    }
    let redacted =
        !value.is_empty() && value.contains(&b'X') && value.iter().all(|&b| b == b'X' || b == b'.');
    if redacted {
        Ok((0, true))
    } else {
        Err("ts is not an epoch time".into())
    }
}

impl TsvHeader {
    /// Which log this block holds.
    pub fn path(&self) -> LogPath {
        self.path
    }

    /// Number of columns a data line must have.
    pub fn field_count(&self) -> usize {
        self.columns.len()
    }

    /// Splits one data line of this block into its values, read by name.
    pub(crate) fn fields<'a>(&'a self, line: &'a str) -> Result<TsvFields<'a>, String> {
        let mut values: Vec<&str> = Vec::with_capacity(self.columns.len());
        match self.separator.as_bytes() {
            [sep] => {
                let mut start = 0;
                for end in memchr_iter(*sep, line.as_bytes()).chain(std::iter::once(line.len())) {
                    values.push(&line[start..end]);
                    start = end + 1;
                }
            }
            _ => values.extend(line.split(self.separator.as_str())),
        }
        if values.len() != self.columns.len() {
            return Err(format!(
                "expected {} fields as the #fields header says, found {}",
                self.columns.len(),
                values.len()
            ));
        }
        Ok(TsvFields {
            header: self,
            values,
        })
    }

    /// Parses one data line of this block. The second value is true when the timestamp was
    /// redacted.
    pub(crate) fn parse<'a>(&self, line: &'a str) -> Result<(Event, bool), String> {
        let mut raw = RawRecord::default();
        let mut redacted = false;
        let bytes = line.as_bytes();
        let expected = self.columns.len();
        let sep = self.separator.as_bytes();
        let mut found = 0usize;
        let mut start = 0usize;
        // One pass: values are assigned as fields are split, and the first value error is kept
        // until the field count is known, so that a line of the wrong shape is reported as such
        // rather than by whichever of its misplaced values fails first.
        let mut first_error: Option<String> = None;
        let mut take =
            |found: usize, value: &'a str, raw: &mut RawRecord<'a>, redacted: &mut bool| {
                if first_error.is_none()
                    && let Some(&column) = self.columns.get(found)
                    && let Err(e) = self.assign(raw, redacted, column, value)
                {
                    first_error = Some(e);
                }
            };
        if sep.len() == 1 {
            for end in memchr_iter(sep[0], bytes).chain(std::iter::once(bytes.len())) {
                take(found, &line[start..end], &mut raw, &mut redacted);
                found += 1;
                start = end + 1;
            }
        } else {
            for value in line.split(self.separator.as_str()) {
                take(found, value, &mut raw, &mut redacted);
                found += 1;
            }
        }
        if found != expected {
            return Err(format!(
                "expected {expected} fields as the #fields header says, found {found}"
            ));
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        let event = match self.path {
            LogPath::Dns => raw.into_dns(),
            _ => raw.into_flow(),
        }?;
        Ok((event, redacted))
    }

    fn assign<'a>(
        &self,
        raw: &mut RawRecord<'a>,
        redacted: &mut bool,
        column: Column,
        value: &'a str,
    ) -> Result<(), String> {
        if column == Column::Ignored || value == self.unset_field {
            return Ok(());
        }
        let empty = value == self.empty_field;
        match column {
            Column::Ts => {
                let (t, r) = zeek_time(value.as_bytes())?;
                raw.ts = Some(t);
                *redacted = r;
            }
            Column::Uid => raw.uid = Some(value),
            Column::OrigH => raw.orig_h = Some(value),
            Column::OrigP => raw.orig_p = Some(count(value, "id.orig_p")?),
            Column::RespH => raw.resp_h = Some(value),
            Column::RespP => raw.resp_p = Some(count(value, "id.resp_p")?),
            Column::Proto => raw.proto = Some(value),
            Column::Service => raw.service = (!empty).then_some(value),
            Column::Duration => raw.duration = Some(interval(value, "duration")?),
            Column::OrigBytes => raw.orig_bytes = Some(count(value, "orig_bytes")?),
            Column::RespBytes => raw.resp_bytes = Some(count(value, "resp_bytes")?),
            Column::ConnState => raw.conn_state = Some(value),
            Column::LocalOrig => raw.local_orig = Some(boolean(value, "local_orig")?),
            Column::LocalResp => raw.local_resp = Some(boolean(value, "local_resp")?),
            Column::MissedBytes => raw.missed_bytes = Some(count(value, "missed_bytes")?),
            Column::History => raw.history = (!empty).then_some(value),
            Column::OrigPkts => raw.orig_pkts = Some(count(value, "orig_pkts")?),
            Column::OrigIpBytes => raw.orig_ip_bytes = Some(count(value, "orig_ip_bytes")?),
            Column::RespPkts => raw.resp_pkts = Some(count(value, "resp_pkts")?),
            Column::RespIpBytes => raw.resp_ip_bytes = Some(count(value, "resp_ip_bytes")?),
            Column::IpProto => raw.ip_proto = Some(count(value, "ip_proto")?),
            Column::Query => raw.query = (!empty).then(|| unescape(value)),
            Column::QtypeName => raw.qtype_name = Some(value),
            Column::RcodeName => raw.rcode_name = Some(value),
            Column::Rtt => raw.rtt = Some(interval(value, "rtt")?),
            Column::Answers => {
                if !empty {
                    raw.answers = value
                        .split(self.set_separator.as_str())
                        .map(unescape)
                        .collect();
                }
            }
            Column::Ignored => {}
        }
        Ok(())
    }
}
