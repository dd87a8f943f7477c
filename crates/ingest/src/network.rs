//! Network evidence besides Zeek, each file's reader chosen by its content ([`crate::sniff`]):
//! packet captures, nfdump's NetFlow archives, firewall and proxy logs. Every one becomes the
//! same [`Event::Flow`](breachscope_model::Event::Flow)s the detectors and scoping use.

use std::path::Path;

use breachscope_model::Event;
use jiff::tz::TimeZone;

use crate::input::InputError;
use crate::reader::FileStats;
use crate::record::Rejected;

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
        use crate::firewall::{
            FirewallConfig, cisco_asa::CiscoAsaParser, fortigate::FortigateParser,
            panos::PanosParser, squid::SquidParser,
        };
        let firewall = || FirewallConfig {
            log_tz: config.zone.clone(),
            year: config.year,
        };
        Some(match format {
            Format::Zeek | Format::Samba | Format::Evtx => return None,
            Format::Nfcapd => NetworkReader::Files(Box::new(NfcapdFiles)),
            Format::Pcap => NetworkReader::Files(Box::new(PcapFiles)),
            Format::PanOs => NetworkReader::Lines(Box::new(PanosParser::new(firewall()))),
            Format::FortiGate => NetworkReader::Lines(Box::new(FortigateParser::new(firewall()))),
            Format::CiscoAsa => NetworkReader::Lines(Box::new(CiscoAsaParser::new(firewall()))),
            Format::Squid => NetworkReader::Lines(Box::new(SquidParser::new())),
        })
    }

    /// A sequence of `paths` read with this reader.
    pub fn sequence(self, paths: Vec<std::path::PathBuf>) -> FileSequence {
        match self {
            NetworkReader::Lines(p) => FileSequence::new(paths, p),
            NetworkReader::Files(r) => FileSequence::files(paths, r),
        }
    }
}

/// nfdump files, each read whole: its records in file order, the two directions of each
/// connection paired as the live collector pairs them (within the file: nfcapd rotates every
/// few minutes, so a connection cut by a rotation stays two one-way flows).
struct NfcapdFiles;

impl FileReader for NfcapdFiles {
    fn read_file(
        &mut self,
        path: &Path,
        sink: &mut dyn FnMut(Result<Event, Rejected>),
    ) -> Result<FileStats, InputError> {
        let reader = crate::nfcapd::NfcapdReader::open(path).map_err(|e| match e {
            crate::nfcapd::NfcapdError::Io { path, source } => InputError::Io { path, source },
            // A header that cannot be read leaves nothing to read in the file: named as such.
            other => InputError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, other.to_string()),
            },
        })?;
        let mut flows = reader.flows();
        for item in flows.by_ref() {
            sink(item);
        }
        Ok(flows.finish())
    }
}

/// Packet captures into connections with Zeek's semantics. Checksums are checked as Zeek does,
/// unless more than a tenth of a file's packets fail theirs: corruption on the wire is rare (well
/// under one packet in a hundred), while a capture taken on a host that offloads checksums to
/// its network card has every packet that host sent fail (about half). Such a file is read again
/// with checksums unchecked (as `zeek -C`), and its notes say so.
struct PcapFiles;

/// One reading of a capture: its events and rejections, its counts, and how many of its packets
/// failed their checksums out of how many.
struct CaptureRead {
    items: Vec<Result<Event, Rejected>>,
    stats: FileStats,
    bad_sums: u64,
    packets: u64,
}

impl PcapFiles {
    fn read(path: &Path, validate_checksums: bool) -> Result<CaptureRead, InputError> {
        use crate::pcap::{CaptureError, CaptureReader, ConnOptions};
        let mut reader = CaptureReader::open_with(path, ConnOptions { validate_checksums })
            .map_err(|e| match e {
                CaptureError::Input(e) => e,
                other => InputError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, other.to_string()),
                },
            })?;
        let items: Vec<_> = reader.by_ref().collect();
        let stats = reader.stats();
        let bad_sums: u64 = stats
            .unused
            .iter()
            .filter(|(r, _)| r.contains("checksum"))
            .map(|(_, n)| n)
            .sum();
        let packets = stats.packets;
        Ok(CaptureRead {
            items,
            stats: reader.finish(),
            bad_sums,
            packets,
        })
    }
}

impl FileReader for PcapFiles {
    fn read_file(
        &mut self,
        path: &Path,
        sink: &mut dyn FnMut(Result<Event, Rejected>),
    ) -> Result<FileStats, InputError> {
        let mut read = Self::read(path, true)?;
        if read.bad_sums * 10 > read.packets {
            let (bad_sums, packets) = (read.bad_sums, read.packets);
            read = Self::read(path, false)?;
            read.stats.notes.insert(
                0,
                format!(
                    "read with checksums unchecked (as zeek -C): {bad_sums} of {packets} packets failed theirs, as a capture taken on a host that offloads checksums to its network card does"
                ),
            );
        }
        for item in read.items {
            sink(item);
        }
        Ok(read.stats)
    }
}
