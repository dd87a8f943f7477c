//! Windows event logs (`.evtx`), read with the [`evtx`] crate.
//!
//! The file is opened forensically (read-only, access time kept) and hashed as it is read into
//! memory; the `evtx` crate parses its chunks on several threads (chunks are independent) and
//! hands the records back in file order, each rendered to JSON, from which [`record`] takes the
//! `System` fields and the named data items. [`map`] turns the mapped Security events into
//! breachscope events; every other record is counted by event id and skipped.
//!
//! What real logs hold and this reader survives: `EventID` as a number, as `{#text}` with
//! qualifiers, or as a string (forwarded events); mixed channels in one file; dirty headers and
//! more chunks than the header counts; pre-allocated empty chunks (skipped); damaged chunks and
//! records (the crate resynchronises on the next record; what cannot be read is rejected with
//! its record or chunk number, and the rest of the file is still read).

pub mod map;
pub mod record;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use breachscope_model::Event;
use evtx::err::EvtxError;
use evtx::{EvtxParser, ParserSettings};
use sha2::{Digest, Sha256};

use crate::input::{InputError, open_evidence};
use crate::reader::hex;
use crate::record::{Location, Rejected, Unit};
use crate::{FileStats, ReadFailure};

pub use map::{MAPPED_EVENT_IDS, Mapper};
pub use record::WinRecord;

/// The first bytes of an EVTX file.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";
/// Size of the file header; chunks follow it.
const FILE_HEADER_SIZE: usize = 4096;
/// Size of a chunk.
const CHUNK_SIZE: usize = 65536;

/// How the EVTX reader works.
#[derive(Debug, Clone, Default)]
pub struct EvtxConfig {
    /// Threads that parse chunks (0: one per core).
    pub threads: usize,
    /// Share roots known beforehand: (share name, local path on the server such as
    /// `D:\Shares\HR`). Others are learned from 5140/5145 `ShareLocalPath`.
    pub share_roots: Vec<(String, String)>,
}

/// What one record became.
enum Parsed {
    Record(WinRecord),
    /// The record was read but its rendering could not be understood.
    Unusable {
        record_id: u64,
        reason: String,
    },
}

/// Renders a record to JSON and reads its fields (runs on the parser's worker threads).
fn parse_record(record: evtx::err::Result<evtx::EvtxRecord<'_>>) -> evtx::err::Result<Parsed> {
    let record = record?;
    let id = record.event_record_id;
    let header_time = record.timestamp.as_microsecond();
    let json = record.into_json_bytes()?;
    Ok(match record::from_json(id, header_time, &json.data) {
        Ok(r) => Parsed::Record(r),
        Err(reason) => Parsed::Unusable {
            record_id: id,
            reason,
        },
    })
}

/// Reads EVTX files one after another, keeping logon sessions, handles and share roots from
/// one file to the next.
pub struct EvtxReader {
    settings: ParserSettings,
    mapper: Mapper,
}

/// Where a parsing error of the `evtx` crate is, and what it says (with its causes).
fn locate_error(path: &Arc<std::path::PathBuf>, e: &EvtxError) -> Rejected {
    let (line, unit) = match e {
        EvtxError::FailedToParseRecord { record_id, .. } => (*record_id, Unit::Record),
        EvtxError::FailedToParseChunk { chunk_id, .. } => (*chunk_id, Unit::Chunk),
        EvtxError::FailedToReadRecordAt {
            chunk: Some(chunk), ..
        } => (*chunk, Unit::Chunk),
        _ => (0, Unit::Offset),
    };
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        source = s.source();
    }
    Rejected {
        location: Location {
            path: Arc::clone(path),
            line,
            unit,
        },
        reason,
    }
}

impl EvtxReader {
    /// A reader with `config`.
    pub fn new(config: &EvtxConfig) -> Self {
        EvtxReader {
            settings: ParserSettings::new()
                .num_threads(config.threads)
                .validate_checksums(false),
            mapper: Mapper::new(&config.share_roots),
        }
    }

    /// Reads one file, handing each mapped event (`Ok`) and each rejected record (`Err`) to
    /// `sink` in file order, and returns the file's counts: `lines` = records read, `records` =
    /// events made, `skipped` = records of unmapped event ids, `event_ids` = records per id.
    pub fn read_file(
        &mut self,
        path: &Path,
        sink: impl FnMut(Result<Event, Rejected>),
    ) -> Result<FileStats, InputError> {
        let io_error = |source| InputError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = open_evidence(path).map_err(io_error)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_error)?;
        Ok(self.read_bytes(path, bytes, sink))
    }

    /// Reads an EVTX file already in memory (`path` names it in counts and rejections); see
    /// [`EvtxReader::read_file`].
    pub fn read_bytes(
        &mut self,
        path: &Path,
        mut bytes: Vec<u8>,
        mut sink: impl FnMut(Result<Event, Rejected>),
    ) -> FileStats {
        let path = Arc::new(path.to_path_buf());
        let mut stats = FileStats {
            path: Arc::clone(&path),
            kind: "windows_evtx",
            lines: 0,
            records: 0,
            rejected: 0,
            skipped: 0,
            invalid_utf8_lines: 0,
            bytes: bytes.len() as u64,
            gzip: false,
            sha256: hex(&Sha256::digest(&bytes)),
            notes: Vec::new(),
            failure: None,
            event_ids: Default::default(),
        };
        // A file cut inside a chunk (a copy stopped early, a carved log): the `evtx` crate reads
        // whole chunks only, so the cut chunk is padded with zeros in memory and read up to
        // the cut; records that crossed it are rejected by the parser.
        let tail = bytes.len().saturating_sub(FILE_HEADER_SIZE) % CHUNK_SIZE;
        if bytes.len() > FILE_HEADER_SIZE && tail > 0 {
            let chunk = (bytes.len() - FILE_HEADER_SIZE) / CHUNK_SIZE;
            stats.notes.push(format!(
                "the file ends {tail} bytes into chunk {chunk} (of {CHUNK_SIZE}): it is truncated; that chunk was read up to the cut"
            ));
            bytes.resize(bytes.len() + CHUNK_SIZE - tail, 0);
        }
        let mut parser = match EvtxParser::from_buffer(bytes) {
            Ok(p) => p.with_configuration(self.settings.clone()),
            Err(e) => {
                stats.failure = Some(ReadFailure {
                    after_line: 0,
                    after_records: 0,
                    message: format!("not a readable EVTX file: {e}"),
                });
                return stats;
            }
        };
        let records = parser.serialized_records(parse_record);
        let mut unnumbered = 0u64;
        for item in records {
            stats.lines += 1;
            let outcome = match item {
                Ok(Parsed::Record(r)) => {
                    if let Some(id) = r.event_id {
                        *stats.event_ids.entry(id).or_default() += 1;
                    } else {
                        unnumbered += 1;
                    }
                    match self.mapper.map(&r) {
                        None => {
                            stats.skipped += 1;
                            continue;
                        }
                        Some(Ok(event)) => Ok(event),
                        Some(Err(reason)) => Err(Rejected {
                            location: Location {
                                path: Arc::clone(&path),
                                line: r.record_id,
                                unit: Unit::Record,
                            },
                            reason,
                        }),
                    }
                }
                Ok(Parsed::Unusable { record_id, reason }) => Err(Rejected {
                    location: Location {
                        path: Arc::clone(&path),
                        line: record_id,
                        unit: Unit::Record,
                    },
                    reason,
                }),
                Err(e) => Err(locate_error(&path, &e)),
            };
            match &outcome {
                Ok(_) => stats.records += 1,
                Err(_) => stats.rejected += 1,
            }
            sink(outcome);
        }
        if unnumbered > 0 {
            stats.notes.push(format!(
                "{unnumbered} records without a numeric EventID were skipped"
            ));
        }
        stats
    }
}

/// The time and computer of a file's first readable record (to order a set of logs and group
/// them by the computer that wrote them); `None` when the file holds no readable record.
pub fn first_record(path: &Path) -> Result<Option<(i64, String)>, InputError> {
    let file = open_evidence(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let Ok(parser) = EvtxParser::from_read_seek(std::io::BufReader::new(file)) else {
        return Ok(None);
    };
    let mut parser = parser.with_configuration(ParserSettings::new().num_threads(1));
    let first = parser
        .serialized_records(parse_record)
        .find_map(|r| match r {
            Ok(Parsed::Record(r)) => Some(r),
            _ => None,
        });
    Ok(first.map(|r| (r.time, r.computer)))
}

/// Whether `head` (a file's first bytes) is an EVTX file.
pub fn is_evtx(head: &[u8]) -> bool {
    head.starts_with(EVTX_MAGIC)
}
