//! One EVTX record as the `evtx` crate renders it to JSON, reduced to what the mapping needs.

use serde_json::Value;

/// The parts of a record breachscope reads: `System` and the named data items of `EventData` or
/// `UserData`, as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WinRecord {
    /// `EventRecordID` from the record header.
    pub record_id: u64,
    /// `System/EventID`, when it is a number (a number, `{"#text": n}` with qualifiers, or a
    /// numeric string as forwarded events carry it).
    pub event_id: Option<u32>,
    /// `System/TimeCreated/@SystemTime` in microseconds since the epoch, else the record
    /// header's time.
    pub time: i64,
    /// `System/Provider/@Name`.
    pub provider: String,
    /// `System/Channel`.
    pub channel: String,
    /// `System/Computer`.
    pub computer: String,
    /// `System/Keywords` (`0x8020000000000000` audit success, `0x8010…` audit failure).
    pub keywords: u64,
    /// Named data items: `EventData/Data[@Name]`, or the children of `UserData`'s element.
    pub data: Vec<(String, String)>,
}

impl WinRecord {
    /// The data item `name`, unless it is empty or `-` (Windows' "no value").
    pub fn get(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty() && *v != "-")
    }

    /// Whether the Keywords say "Audit Failure".
    pub fn is_audit_failure(&self) -> bool {
        self.keywords & 0x0010_0000_0000_0000 != 0
    }
}

/// Text of a JSON scalar (numbers and booleans as written); `None` for null, arrays and objects
/// without `#text`.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o.get("#text").and_then(text),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(text).collect();
            (!parts.is_empty()).then(|| parts.join("\n"))
        }
        Value::Null => None,
    }
}

fn event_id(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => o.get("#text").and_then(event_id),
        _ => None,
    }
}

fn attribute<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get("#attributes")?.get(name)
}

fn parse_keywords(text: &str) -> u64 {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).unwrap_or(0),
        None => t.parse().unwrap_or(0),
    }
}

fn parse_system_time(text: &str) -> Option<i64> {
    let ts: jiff::Timestamp = text.trim().parse().ok()?;
    Some(ts.as_microsecond())
}

/// Collects `name → text` pairs from an `EventData` or `UserData` object.
fn collect_data(v: &Value, out: &mut Vec<(String, String)>) {
    let Value::Object(map) = v else { return };
    for (k, item) in map {
        if k == "#attributes" {
            continue;
        }
        match item {
            // `UserData` wraps its items in one element named after the event
            // (`LogFileCleared`): descend into it.
            Value::Object(inner) if !inner.contains_key("#text") && k != "Data" => {
                collect_data(item, out)
            }
            // Unnamed `<Data>` items: kept under `Data`, in order.
            Value::Array(items) if k == "Data" => {
                for (i, it) in items.iter().enumerate() {
                    let name = attribute(it, "Name")
                        .and_then(Value::as_str)
                        .map_or_else(|| format!("Data{}", i + 1), str::to_owned);
                    if let Some(t) = text(it) {
                        out.push((name, t));
                    }
                }
            }
            _ => {
                if let Some(t) = text(item) {
                    out.push((k.clone(), t));
                }
            }
        }
    }
}

/// Reads the fields breachscope needs from a record rendered as JSON by the `evtx` crate.
/// `header_time` (microseconds) is used when `TimeCreated` is missing or unreadable.
pub fn from_json(record_id: u64, header_time: i64, json: &[u8]) -> Result<WinRecord, String> {
    let root: Value =
        serde_json::from_slice(json).map_err(|e| format!("rendered JSON is not valid ({e})"))?;
    let event = root
        .get("Event")
        .ok_or_else(|| "no Event element".to_string())?;
    let system = event
        .get("System")
        .ok_or_else(|| "no System element".to_string())?;
    let field = |name: &str| system.get(name).and_then(text).unwrap_or_default();
    let time = system
        .get("TimeCreated")
        .and_then(|t| attribute(t, "SystemTime"))
        .and_then(Value::as_str)
        .and_then(parse_system_time)
        .unwrap_or(header_time);
    let mut data = Vec::new();
    for part in ["EventData", "UserData"] {
        if let Some(v) = event.get(part) {
            collect_data(v, &mut data);
        }
    }
    Ok(WinRecord {
        record_id,
        event_id: system.get("EventID").and_then(event_id),
        time,
        provider: system
            .get("Provider")
            .and_then(|p| attribute(p, "Name"))
            .and_then(text)
            .unwrap_or_default(),
        channel: field("Channel"),
        computer: field("Computer"),
        keywords: parse_keywords(&field("Keywords")),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_id_in_every_shape() {
        for (json, id) in [
            (r#"{"Event":{"System":{"EventID":4624}}}"#, Some(4624)),
            (
                r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045}}}}"##,
                Some(7045),
            ),
            (r#"{"Event":{"System":{"EventID":"5145"}}}"#, Some(5145)),
            (r#"{"Event":{"System":{"EventID":"x"}}}"#, None),
        ] {
            assert_eq!(
                from_json(1, 0, json.as_bytes()).unwrap().event_id,
                id,
                "{json}"
            );
        }
        assert!(from_json(1, 0, b"{}").is_err());
        assert!(from_json(1, 0, b"not json").is_err());
    }

    #[test]
    fn data_items_time_and_keywords() {
        let json = r##"{"Event":{"System":{"EventID":1102,"Version":"0","Keywords":"0x8010000000000000",
            "TimeCreated":{"#attributes":{"SystemTime":"2021-04-22T11:32:00.1712193Z"}},
            "Channel":"Security","Computer":"fs03","Provider":{"#attributes":{"Name":"Microsoft-Windows-Eventlog"}}},
            "UserData":{"LogFileCleared":{"#attributes":{"xmlns":"x"},"SubjectUserName":"admmig","SubjectLogonId":"0x1898da"}}}}"##;
        let r = from_json(7, 0, json.as_bytes()).unwrap();
        assert_eq!(r.get("SubjectUserName"), Some("admmig"));
        assert_eq!(r.get("SubjectLogonId"), Some("0x1898da"));
        assert_eq!(r.time, 1_619_091_120_171_219);
        assert!(r.is_audit_failure());
        assert_eq!(r.provider, "Microsoft-Windows-Eventlog");
        let unnamed = r#"{"Event":{"System":{"EventID":1},"EventData":{"Data":["a","-",""]}}}"#;
        let r = from_json(8, 5, unnamed.as_bytes()).unwrap();
        assert_eq!(r.get("Data1"), Some("a"));
        assert_eq!(r.get("Data2"), None);
        assert_eq!(r.time, 5);
    }
}
