//! Zeek's JSON log writer format (`LogAscii::use_json=T`): one object per line, dotted keys.

use std::borrow::Cow;

use breachscope_model::Event;
use breachscope_model::time::parse_epoch_seconds;
use serde::Deserialize;

use super::tsv::zeek_time;
use super::{LogPath, RawRecord};
use crate::timefmt::parse_rfc3339;

#[derive(Deserialize)]
struct JsonRecord<'a> {
    ts: Option<serde_json::Value>,
    #[serde(rename = "_path", borrow)]
    path: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uid: Option<Cow<'a, str>>,
    #[serde(rename = "id.orig_h", borrow)]
    orig_h: Option<Cow<'a, str>>,
    #[serde(rename = "id.orig_p")]
    orig_p: Option<u64>,
    #[serde(rename = "id.resp_h", borrow)]
    resp_h: Option<Cow<'a, str>>,
    #[serde(rename = "id.resp_p")]
    resp_p: Option<u64>,
    #[serde(borrow)]
    proto: Option<Cow<'a, str>>,
    #[serde(borrow)]
    service: Option<Cow<'a, str>>,
    duration: Option<f64>,
    orig_bytes: Option<u64>,
    resp_bytes: Option<u64>,
    #[serde(borrow)]
    conn_state: Option<Cow<'a, str>>,
    local_orig: Option<bool>,
    local_resp: Option<bool>,
    missed_bytes: Option<u64>,
    #[serde(borrow)]
    history: Option<Cow<'a, str>>,
    orig_pkts: Option<u64>,
    orig_ip_bytes: Option<u64>,
    resp_pkts: Option<u64>,
    resp_ip_bytes: Option<u64>,
    ip_proto: Option<u64>,
    query: Option<String>,
    #[serde(borrow)]
    qtype_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    rcode_name: Option<Cow<'a, str>>,
    rtt: Option<f64>,
    trans_id: Option<u64>,
    answers: Option<Vec<String>>,
}

fn seconds_to_micros(v: f64, field: &str) -> Result<i64, String> {
    if v.is_finite() && v.abs() < 9.0e12 {
        // Round to the microsecond: Zeek writes six decimals, which an f64 holds to well under
        // half a microsecond for present-day epochs.
        Ok((v * 1e6).round() as i64)
    } else {
        Err(format!("{field} is out of range"))
    }
}

fn time_value(v: &serde_json::Value) -> Result<(i64, bool), String> {
    match v {
        serde_json::Value::Number(n) => {
            // Parse the decimal text exactly where serde_json kept it as an integer.
            if let Some(i) = n.as_i64() {
                return i
                    .checked_mul(1_000_000)
                    .map(|t| (t, false))
                    .ok_or_else(|| "ts is out of range".into());
            }
            let f = n.as_f64().ok_or("ts is not a number")?;
            Ok((seconds_to_micros(f, "ts")?, false))
        }
        serde_json::Value::String(s) => {
            if let Some((t, used)) = parse_rfc3339(s.as_bytes())
                && used == s.len()
            {
                return Ok((t, false));
            }
            if let Some(t) = parse_epoch_seconds(s.as_bytes()) {
                return Ok((t, false));
            }
            zeek_time(s.as_bytes()).map_err(|_| "ts is neither an epoch time nor ISO 8601".into())
        }
        _ => Err("ts is neither a number nor a string".into()),
    }
}

/// A JSON object's values by key (the SMB and NTLM logs, read by name).
struct JsonFields(serde_json::Map<String, serde_json::Value>);

impl super::smb::Fields for JsonFields {
    fn text(&self, field: super::smb::Field) -> Option<Cow<'_, str>> {
        match self.0.get(field.name())? {
            serde_json::Value::String(s) => Some(Cow::Borrowed(s)),
            serde_json::Value::Number(n) => Some(Cow::Owned(n.to_string())),
            serde_json::Value::Bool(b) => Some(Cow::Borrowed(if *b { "T" } else { "F" })),
            _ => None,
        }
    }
}

/// Parses one JSON line into the log it belongs to and its event. `Ok(None)` is a record of
/// another Zeek log (skipped). The flag is true when the timestamp was redacted.
pub(crate) fn parse(
    line: &str,
    sessions: &mut super::smb::SmbSessions,
) -> Result<Option<(LogPath, Event, bool)>, String> {
    let rec: JsonRecord<'_> =
        serde_json::from_str(line).map_err(|e| format!("invalid JSON record: {e}"))?;
    let is_dns = match rec.path.as_deref().map(LogPath::from_name) {
        Some(LogPath::Conn) => false,
        Some(LogPath::Dns) => true,
        Some(path) if path.is_smb() => {
            let fields: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).map_err(|e| format!("invalid JSON record: {e}"))?;
            let (event, redacted) = super::smb::parse(path, &JsonFields(fields), sessions)?;
            return Ok(Some((path, event, redacted)));
        }
        Some(_) => return Ok(None),
        None => rec.query.is_some() || rec.qtype_name.is_some() || rec.trans_id.is_some(),
    };
    if rec.path.is_none() && rec.orig_h.is_none() && rec.resp_h.is_none() {
        return Err("JSON object has neither _path nor id.orig_h/id.resp_h".into());
    }
    let (ts, redacted) = match &rec.ts {
        Some(v) => time_value(v)?,
        None => return Err("missing ts".into()),
    };
    let raw = RawRecord {
        ts: Some(ts),
        uid: rec.uid.as_deref(),
        orig_h: rec.orig_h.as_deref(),
        orig_p: rec.orig_p,
        resp_h: rec.resp_h.as_deref(),
        resp_p: rec.resp_p,
        proto: rec.proto.as_deref(),
        service: rec.service.as_deref(),
        duration: rec
            .duration
            .map(|d| seconds_to_micros(d, "duration"))
            .transpose()?,
        orig_bytes: rec.orig_bytes,
        resp_bytes: rec.resp_bytes,
        conn_state: rec.conn_state.as_deref(),
        local_orig: rec.local_orig,
        local_resp: rec.local_resp,
        missed_bytes: rec.missed_bytes,
        history: rec.history.as_deref(),
        orig_pkts: rec.orig_pkts,
        orig_ip_bytes: rec.orig_ip_bytes,
        resp_pkts: rec.resp_pkts,
        resp_ip_bytes: rec.resp_ip_bytes,
        ip_proto: rec.ip_proto,
        query: rec.query.clone(),
        qtype_name: rec.qtype_name.as_deref(),
        rcode_name: rec.rcode_name.as_deref(),
        rtt: rec.rtt.map(|d| seconds_to_micros(d, "rtt")).transpose()?,
        answers: rec.answers.clone().unwrap_or_default(),
    };
    let (path, event) = if is_dns {
        (LogPath::Dns, raw.into_dns()?)
    } else {
        (LogPath::Conn, raw.into_flow()?)
    };
    Ok(Some((path, event, redacted)))
}
