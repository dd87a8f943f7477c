//! Windows event logs (`.evtx`), read with the [`evtx`] crate.
//!
//! The file is opened forensically (read-only, access time kept), read into a buffer its thread
//! keeps and hashed as stored; the `evtx` crate renders each chunk's records to JSON (a large
//! file's chunks on several threads), from which [`record`] takes the `System` fields and the
//! named data items. [`ParseInOrder`] parses several files at once and hands them back in order. [`map`] turns the mapped Security events into
//! breachscope events; every other record is counted by event id and skipped.
//!
//! What real logs hold and this reader survives: `EventID` as a number, as `{#text}` with
//! qualifiers, or as a string (forwarded events); mixed channels in one file; dirty headers and
//! more chunks than the header counts; pre-allocated empty chunks (skipped); damaged chunks and
//! records (the crate resynchronises on the next record; what cannot be read is rejected with
//! its record or chunk number, and the rest of the file is still read).

pub mod map;
pub mod record;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use breachscope_model::Event;
use evtx::err::EvtxError;
use evtx::{EvtxParser, ParserSettings, RenderedChunkItem};
use sha2::{Digest, Sha256};

use crate::input::{InputError, open_evidence};
use crate::record::{Location, Rejected, Unit};
use crate::{FileStats, ReadFailure};
use breachscope_model::hex;

pub use map::{MAPPED_EVENT_IDS, Mapper};
pub use record::WinRecord;

/// The first bytes of an EVTX file.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";
/// Size of the file header; chunks follow it.
const FILE_HEADER_SIZE: usize = 4096;
/// Size of a chunk.
const CHUNK_SIZE: usize = 65536;
/// Largest read buffer a parsing thread keeps for its next file.
const KEPT_BUFFER: usize = 64 << 20;
/// Files with at least this many chunks are parsed on several threads.
const PARALLEL_CHUNKS: usize = 32;

/// The kind [`FileStats`] gives an EVTX file.
pub const KIND: &str = "windows_evtx";

/// How the EVTX reader works.
#[derive(Debug, Clone, Default)]
pub struct EvtxConfig {
    /// Threads that parse chunks (0: one per core).
    pub threads: usize,
    /// Share roots known beforehand: (share name, local path on the server such as
    /// `D:\Shares\HR`). Others are learned from 5140/5145 `ShareLocalPath`.
    pub share_roots: Vec<(String, String)>,
}

/// Where a parsing error of the `evtx` crate is, and what it says (with its causes).
fn locate_error(path: &Arc<PathBuf>, e: &EvtxError) -> Rejected {
    let (line, unit) = match e {
        EvtxError::FailedToParseRecord { record_id, .. } => (*record_id, Unit::Record),
        EvtxError::FailedToParseChunk { chunk_id, .. } => (*chunk_id, Unit::Chunk),
        EvtxError::FailedToReadRecordAt {
            chunk: Some(chunk), ..
        } => (*chunk, Unit::Chunk),
        EvtxError::FailedToReadRecordAt {
            chunk: None,
            offset,
            ..
        } => (*offset, Unit::Offset),
        _ => (0, Unit::File),
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

/// A file's records, parsed but not yet mapped: the work that can run on any thread.
#[derive(Debug)]
pub struct ParsedFile {
    /// Counts so far: `lines`, `skipped` (records of unmapped ids), `event_ids`, hash, notes,
    /// failure.
    stats: FileStats,
    /// Records in file order, or what could not be read of them.
    items: Vec<Result<WinRecord, Rejected>>,
}

/// Parses EVTX files into [`ParsedFile`]s. Cheap to clone and shareable between threads.
#[derive(Debug, Clone)]
pub struct EvtxParsing {
    settings: ParserSettings,
}

impl EvtxParsing {
    /// Parsing with `threads` threads per large file (0: one per core).
    pub fn new(threads: usize) -> Self {
        // An explicit count: asking the crate for "one per core" would start rayon's pool even
        // for logs too small to use it.
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        EvtxParsing {
            settings: ParserSettings::new()
                .num_threads(threads)
                .validate_checksums(false),
        }
    }

    /// Reads and parses one file (opened read-only without touching its access time).
    pub fn parse_file(&self, path: &Path) -> Result<ParsedFile, InputError> {
        let io_error = |source| InputError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = open_evidence(path).map_err(io_error)?;
        // Each thread reads its files into one buffer, kept between files: a fresh allocation
        // per file costs more in page faults than the parsing of a small log.
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUFFER.with_borrow_mut(|buffer| {
            buffer.clear();
            file.read_to_end(buffer).map_err(io_error)?;
            let parsed = self.parse_buffer(path, buffer);
            if buffer.capacity() > KEPT_BUFFER {
                *buffer = Vec::new();
            }
            Ok(parsed)
        })
    }

    /// Parses a file already in memory (`path` names it in counts and rejections).
    pub fn parse_bytes(&self, path: &Path, mut bytes: Vec<u8>) -> ParsedFile {
        self.parse_buffer(path, &mut bytes)
    }

    /// Parses `bytes`, which it may pad or shorten (see the comments inside).
    fn parse_buffer(&self, path: &Path, bytes: &mut Vec<u8>) -> ParsedFile {
        let path = Arc::new(path.to_path_buf());
        let mut stats = FileStats {
            bytes: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes.as_slice())),
            ..FileStats::new(Arc::clone(&path), KIND)
        };
        let mut items = Vec::new();
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
        // Windows pre-allocates a log's room as empty (all-zero) chunks, which the parser would
        // copy and skip one by one: the trailing ones are dropped here (the hash above covers
        // the file as stored).
        while bytes.len() >= FILE_HEADER_SIZE + CHUNK_SIZE
            && bytes[bytes.len() - CHUNK_SIZE..].iter().all(|&b| b == 0)
        {
            bytes.truncate(bytes.len() - CHUNK_SIZE);
        }
        // Chunks are parsed in parallel only where there are enough of them to pay for the
        // hand-offs between threads; a small log is parsed inline.
        let chunks = bytes.len().saturating_sub(FILE_HEADER_SIZE) / CHUNK_SIZE;
        let settings = if chunks >= PARALLEL_CHUNKS {
            self.settings.clone()
        } else {
            self.settings.clone().num_threads(1)
        };
        let mut parser = match EvtxParser::from_read_seek(std::io::Cursor::new(bytes.as_slice())) {
            Ok(p) => p.with_configuration(settings),
            Err(e) => {
                stats.failure = Some(ReadFailure {
                    after_line: 0,
                    after_records: 0,
                    message: format!("not a readable EVTX file: {e}"),
                });
                return ParsedFile { stats, items };
            }
        };
        let mut unnumbered = 0u64;
        // Each chunk's records are rendered to JSON into one buffer by the crate's compiled
        // templates (the path `evtx_dump` takes), then read here.
        for chunk in parser.chunks_json_bytes(false) {
            let mut start = 0;
            for item in &chunk.items {
                stats.lines += 1;
                let item = match item {
                    RenderedChunkItem::Record {
                        event_record_id,
                        end,
                    } => {
                        let json = chunk.data.get(start..*end).unwrap_or_default();
                        start = *end;
                        let json = json.strip_suffix(b"\n").unwrap_or(json);
                        // Records of unmapped ids are only counted: their id is read without
                        // parsing the whole rendering.
                        if let Some(id) = record::quick_event_id(json)
                            && !MAPPED_EVENT_IDS.contains(&id)
                        {
                            *stats.event_ids.entry(id).or_default() += 1;
                            stats.skipped += 1;
                            continue;
                        }
                        match record::from_json(
                            *event_record_id,
                            None,
                            json,
                            Some(&MAPPED_EVENT_IDS),
                        ) {
                            Ok(r) => {
                                match r.event_id {
                                    Some(id) => *stats.event_ids.entry(id).or_default() += 1,
                                    None => unnumbered += 1,
                                }
                                Ok(r)
                            }
                            Err(reason) => Err(Rejected {
                                location: Location {
                                    path: Arc::clone(&path),
                                    line: *event_record_id,
                                    unit: Unit::Record,
                                },
                                reason,
                            }),
                        }
                    }
                    RenderedChunkItem::Failed(e) => Err(locate_error(&path, e)),
                };
                items.push(item);
            }
        }
        if unnumbered > 0 {
            stats.notes.push(format!(
                "{unnumbered} records without a numeric EventID were skipped"
            ));
        }
        ParsedFile { stats, items }
    }
}

/// Reads EVTX files one after another, keeping logon sessions, handles and share roots from
/// one file to the next.
pub struct EvtxReader {
    parsing: EvtxParsing,
    mapper: Mapper,
}

impl EvtxReader {
    /// A reader with `config`.
    pub fn new(config: &EvtxConfig) -> Self {
        EvtxReader {
            parsing: EvtxParsing::new(config.threads),
            mapper: Mapper::new(&config.share_roots),
        }
    }

    /// The parsing half of this reader, to run on other threads (see [`ParseInOrder`]).
    pub fn parsing(&self) -> &EvtxParsing {
        &self.parsing
    }

    /// Reads one file, handing each mapped event (`Ok`) and each rejected record (`Err`) to
    /// `sink` in file order, and returns the file's counts: `lines` = records read, `records` =
    /// events made, `skipped` = records of unmapped event ids, `event_ids` = records per id.
    pub fn read_file(
        &mut self,
        path: &Path,
        sink: impl FnMut(Result<Event, Rejected>),
    ) -> Result<FileStats, InputError> {
        let parsed = self.parsing.parse_file(path)?;
        Ok(self.map_parsed(parsed, sink))
    }

    /// Reads an EVTX file already in memory (`path` names it in counts and rejections); see
    /// [`EvtxReader::read_file`].
    pub fn read_bytes(
        &mut self,
        path: &Path,
        bytes: Vec<u8>,
        sink: impl FnMut(Result<Event, Rejected>),
    ) -> FileStats {
        let parsed = self.parsing.parse_bytes(path, bytes);
        self.map_parsed(parsed, sink)
    }

    /// Maps a parsed file's records in order (the mapping remembers logon sessions and
    /// handles, so files must come in the order they were written); see
    /// [`EvtxReader::read_file`].
    pub fn map_parsed(
        &mut self,
        parsed: ParsedFile,
        mut sink: impl FnMut(Result<Event, Rejected>),
    ) -> FileStats {
        let ParsedFile { mut stats, items } = parsed;
        for item in items {
            let outcome = match item {
                Ok(r) => match self.mapper.map(&r) {
                    None => {
                        stats.skipped += 1;
                        continue;
                    }
                    Some(Ok(event)) => Ok(event),
                    Some(Err(reason)) => Err(Rejected {
                        location: Location {
                            path: Arc::clone(&stats.path),
                            line: r.record_id,
                            unit: Unit::Record,
                        },
                        reason,
                    }),
                },
                Err(rejected) => Err(rejected),
            };
            match &outcome {
                Ok(_) => stats.records += 1,
                Err(_) => stats.rejected += 1,
            }
            sink(outcome);
        }
        stats
    }
}

impl crate::record::FileReader for EvtxReader {
    fn read_file(
        &mut self,
        path: &Path,
        sink: &mut dyn FnMut(Result<Event, Rejected>),
    ) -> Result<FileStats, InputError> {
        EvtxReader::read_file(self, path, sink)
    }
}

/// Parses files on worker threads and hands them back in the given order, at most a few files
/// ahead of the consumer (memory stays bounded by the files in flight).
pub struct ParseInOrder {
    receiver: mpsc::Receiver<(usize, Result<ParsedFile, InputError>)>,
    tickets: mpsc::SyncSender<()>,
    waiting: BTreeMap<usize, Result<ParsedFile, InputError>>,
    next: usize,
    total: usize,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl ParseInOrder {
    /// Starts `workers` threads (at least one) parsing `paths` with `parsing`.
    pub fn start(
        paths: Vec<PathBuf>,
        parsing: &EvtxParsing,
        workers: usize,
    ) -> std::io::Result<Self> {
        let workers = workers.max(1);
        let ahead = 2 * workers;
        let total = paths.len();
        let paths = Arc::new(paths);
        let cursor = Arc::new(AtomicUsize::new(0));
        let (sender, receiver) = mpsc::channel();
        // A worker takes a ticket before each file; the consumer returns one per file it takes.
        let (tickets, ticket_box) = mpsc::sync_channel::<()>(ahead);
        for _ in 0..ahead {
            let _ = tickets.send(());
        }
        let ticket_box = Arc::new(Mutex::new(ticket_box));
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (paths, cursor, sender, ticket_box) = (
                Arc::clone(&paths),
                Arc::clone(&cursor),
                sender.clone(),
                Arc::clone(&ticket_box),
            );
            let parsing = parsing.clone();
            handles.push(
                std::thread::Builder::new()
                    .name("evtx-parser".into())
                    .spawn(move || {
                        loop {
                            let ticket = match ticket_box.lock() {
                                Ok(tickets) => tickets.recv(),
                                Err(_) => return,
                            };
                            if ticket.is_err() {
                                return;
                            }
                            let i = cursor.fetch_add(1, Ordering::Relaxed);
                            let Some(path) = paths.get(i) else { return };
                            if sender.send((i, parsing.parse_file(path))).is_err() {
                                return;
                            }
                        }
                    })?,
            );
        }
        Ok(ParseInOrder {
            receiver,
            tickets,
            waiting: BTreeMap::new(),
            next: 0,
            total,
            workers: handles,
        })
    }
}

impl Iterator for ParseInOrder {
    type Item = Result<ParsedFile, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.total {
            return None;
        }
        loop {
            if let Some(parsed) = self.waiting.remove(&self.next) {
                self.next += 1;
                let _ = self.tickets.send(());
                return Some(parsed);
            }
            match self.receiver.recv() {
                Ok((i, parsed)) => {
                    self.waiting.insert(i, parsed);
                }
                // Every worker is gone without the file: one of them panicked.
                Err(_) => return None,
            }
        }
    }
}

impl Drop for ParseInOrder {
    fn drop(&mut self) {
        // Let the workers run out of tickets and paths, then wait for them.
        self.next = self.total;
        let (dead, _) = mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.tickets, dead));
        while self.receiver.try_recv().is_ok() {}
        for h in self.workers.drain(..) {
            let _ = h.join();
        }
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
    let first = parser.chunks_json_bytes(false).find_map(|chunk| {
        chunk
            .records()
            .find_map(|(id, json)| record::from_json(id, None, json, Some(&[])).ok())
    });
    Ok(first.map(|r| (r.time, r.computer)))
}

/// Whether `head` (a file's first bytes) is an EVTX file.
pub fn is_evtx(head: &[u8]) -> bool {
    head.starts_with(EVTX_MAGIC)
}
