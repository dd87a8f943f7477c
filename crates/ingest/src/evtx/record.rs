//! One EVTX record as the `evtx` crate renders it to JSON, reduced to what the mapping needs.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

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

/// A rendered record as a light tree: strings borrowed from the JSON where they have no escapes,
/// objects as ordered lists (the records are small; no hashing is needed).
#[derive(Debug)]
enum Node<'a> {
    Null,
    Text(Cow<'a, str>),
    Map(Vec<(Cow<'a, str>, Node<'a>)>),
    Seq(Vec<Node<'a>>),
}

/// A string borrowed from the input when it can be.
struct Str<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Node<'de>, E> {
                Ok(Node::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Node<'de>, E> {
                Ok(Node::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Node<'de>, E> {
                Ok(Node::Text(Cow::Owned(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node<'de>, E> {
                Ok(Node::Text(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node<'de>, E> {
                Ok(Node::Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node<'de>, E> {
                Ok(Node::Text(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node<'de>, E> {
                Ok(Node::Text(Cow::Owned(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Node<'de>, E> {
                Ok(Node::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Node<'de>, E> {
                Ok(Node::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some(Str(key)) = map.next_key()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Node::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'a> Node<'a> {
    fn get(&self, name: &str) -> Option<&Node<'a>> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    fn attribute(&self, name: &str) -> Option<&Node<'a>> {
        self.get("#attributes")?.get(name)
    }

    /// Text of a scalar, of an element's `#text`, or of a list of them (one per line).
    fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Node::Text(s) => Some(Cow::Borrowed(s.as_ref())),
            Node::Map(_) => self.get("#text").and_then(Node::text),
            Node::Seq(items) => {
                let parts: Vec<Cow<'_, str>> = items.iter().filter_map(Node::text).collect();
                (!parts.is_empty()).then(|| Cow::Owned(parts.join("\n")))
            }
            Node::Null => None,
        }
    }
}

fn event_id(v: &Node<'_>) -> Option<u32> {
    v.text()?.trim().parse().ok()
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
fn collect_data(v: &Node<'_>, out: &mut Vec<(String, String)>) {
    let Node::Map(entries) = v else { return };
    for (k, item) in entries {
        if k == "#attributes" {
            continue;
        }
        match item {
            // `UserData` wraps its items in one element named after the event
            // (`LogFileCleared`): descend into it.
            Node::Map(_) if item.get("#text").is_none() && k != "Data" => collect_data(item, out),
            // Unnamed `<Data>` items: kept under `Data1`, `Data2`, … in order.
            Node::Seq(items) if k == "Data" => {
                for (i, it) in items.iter().enumerate() {
                    let name = it
                        .attribute("Name")
                        .and_then(Node::text)
                        .map_or_else(|| format!("Data{}", i + 1), Cow::into_owned);
                    if let Some(t) = it.text() {
                        out.push((name, t.into_owned()));
                    }
                }
            }
            _ => {
                if let Some(t) = item.text() {
                    out.push((k.to_string(), t.into_owned()));
                }
            }
        }
    }
}

/// The `System/EventID` of a record rendered by the `evtx` crate, read straight from the
/// bytes: a number, a numeric string, or `{"#attributes":…,"#text":n}`. `None` when the
/// rendering has another shape (the caller then parses it whole).
pub fn quick_event_id(json: &[u8]) -> Option<u32> {
    const KEY: &[u8] = b"\"EventID\":";
    let at = memchr::memmem::find(json, KEY)? + KEY.len();
    let mut rest = json.get(at..)?;
    let object = rest.first() == Some(&b'{');
    if object {
        // `{"#attributes":{"Qualifiers":…},"#text":n}`: the number follows `#text` closely.
        const TEXT: &[u8] = b"\"#text\":";
        let window = &rest[..rest.len().min(256)];
        let t = memchr::memmem::find(window, TEXT)? + TEXT.len();
        rest = &rest[t..];
    }
    let quoted = rest.first() == Some(&b'"');
    let digits = &rest[usize::from(quoted)..];
    let end = digits.iter().position(|b| !b.is_ascii_digit())?;
    let terminator = digits[end];
    let ok = if quoted {
        terminator == b'"'
    } else if object {
        terminator == b'}'
    } else {
        matches!(terminator, b',' | b'}')
    };
    if !ok || end == 0 || end > 9 {
        return None;
    }
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

/// Reads the fields breachscope needs from a record rendered as JSON by the `evtx` crate.
/// `header_time` (microseconds), when known, is used when `TimeCreated` is missing or
/// unreadable; a record with neither is an error. The data
/// items are collected only for the event ids in `data_of` (all records when `None`): the
/// others are counted, not mapped, and copying their items would be wasted work.
pub fn from_json(
    record_id: u64,
    header_time: Option<i64>,
    json: &[u8],
    data_of: Option<&[u32]>,
) -> Result<WinRecord, String> {
    let root: Node<'_> =
        serde_json::from_slice(json).map_err(|e| format!("rendered JSON is not valid ({e})"))?;
    let event = root
        .get("Event")
        .ok_or_else(|| "no Event element".to_string())?;
    let system = event
        .get("System")
        .ok_or_else(|| "no System element".to_string())?;
    let field = |name: &str| {
        system
            .get(name)
            .and_then(Node::text)
            .map(Cow::into_owned)
            .unwrap_or_default()
    };
    let time = system
        .get("TimeCreated")
        .and_then(|t| t.attribute("SystemTime"))
        .and_then(Node::text)
        .and_then(|t| parse_system_time(&t))
        .or(header_time)
        .ok_or_else(|| "no readable TimeCreated".to_string())?;
    let id = system.get("EventID").and_then(event_id);
    let mut data = Vec::new();
    if data_of.is_none_or(|ids| id.is_some_and(|id| ids.contains(&id))) {
        for part in ["EventData", "UserData"] {
            if let Some(v) = event.get(part) {
                collect_data(v, &mut data);
            }
        }
    }
    Ok(WinRecord {
        record_id,
        event_id: id,
        time,
        provider: system
            .get("Provider")
            .and_then(|p| p.attribute("Name"))
            .and_then(Node::text)
            .map(Cow::into_owned)
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
                from_json(1, Some(0), json.as_bytes(), None)
                    .unwrap()
                    .event_id,
                id,
                "{json}"
            );
        }
        assert!(from_json(1, Some(0), b"{}", None).is_err());
        assert!(from_json(1, Some(0), b"not json", None).is_err());
    }

    #[test]
    fn quick_event_id_agrees_with_the_full_parse() {
        for json in [
            r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"x"}},"EventID":4624,"Version":2}}}"##,
            r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045},"Version":0}}}"##,
            r#"{"Event":{"System":{"EventID":"5145","Version":"0"}}}"#,
            r#"{"Event":{"System":{"EventID":5145}}}"#,
        ] {
            let full = from_json(1, Some(0), json.as_bytes(), None)
                .unwrap()
                .event_id;
            assert_eq!(quick_event_id(json.as_bytes()), full, "{json}");
        }
        for odd in [
            r#"{"Event":{"System":{"EventID":"x"}}}"#,
            r#"{"Event":{"System":{"EventID":-1}}}"#,
            r#"{"Event":{"System":{"EventID":12.5}}}"#,
            r#"{"Event":{"System":{"EventID":99999999999}}}"#,
            r#"{"Event":{"System":{}}}"#,
            r#"{"Event":{"System":{"EventID":"#,
        ] {
            assert_eq!(quick_event_id(odd.as_bytes()), None, "{odd}");
        }
    }

    #[test]
    fn data_items_time_and_keywords() {
        let json = r##"{"Event":{"System":{"EventID":1102,"Version":"0","Keywords":"0x8010000000000000",
            "TimeCreated":{"#attributes":{"SystemTime":"2021-04-22T11:32:00.1712193Z"}},
            "Channel":"Security","Computer":"fs03","Provider":{"#attributes":{"Name":"Microsoft-Windows-Eventlog"}}},
            "UserData":{"LogFileCleared":{"#attributes":{"xmlns":"x"},"SubjectUserName":"admmig","SubjectLogonId":"0x1898da"}}}}"##;
        let r = from_json(7, Some(0), json.as_bytes(), None).unwrap();
        assert_eq!(r.get("SubjectUserName"), Some("admmig"));
        assert_eq!(r.get("SubjectLogonId"), Some("0x1898da"));
        assert_eq!(r.time, 1_619_091_120_171_219);
        assert!(r.is_audit_failure());
        assert_eq!(r.provider, "Microsoft-Windows-Eventlog");
        // Items are copied only for the ids asked for.
        let counted_only = from_json(7, Some(0), json.as_bytes(), Some(&[4624])).unwrap();
        assert!(counted_only.data.is_empty());
        assert_eq!(counted_only.event_id, Some(1102));
        let unnamed = r#"{"Event":{"System":{"EventID":1},"EventData":{"Data":["a","-",""]}}}"#;
        let r = from_json(8, Some(5), unnamed.as_bytes(), None).unwrap();
        assert_eq!(r.get("Data1"), Some("a"));
        assert_eq!(r.get("Data2"), None);
        assert_eq!(r.time, 5);
    }
}
