//! Driving a [`LineParser`] over one evidence file.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use breachscope_model::{Event, hex};
use flate2::bufread::MultiGzDecoder;
use sha2::{Digest, Sha256};

use crate::input::{InputError, open_evidence};
use crate::record::{LineOutcome, LineParser, Location, Rejected, Unit};

const READ_BUFFER: usize = 256 * 1024;

/// Counts for one file: what was accepted, skipped and rejected, and how reading ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStats {
    /// The file.
    pub path: Arc<PathBuf>,
    /// What the parser found it to be (`zeek_conn`, `zeek_dns`, `samba_audit`, …).
    pub kind: &'static str,
    /// Lines read (after decompression).
    pub lines: u64,
    /// Records accepted as events.
    pub records: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Lines that are not records (headers, comments, blank lines, other programs' lines).
    pub skipped: u64,
    /// Lines that were not valid UTF-8 (decoded lossily and still parsed).
    pub invalid_utf8_lines: u64,
    /// Bytes of the file as stored (compressed size for gzip).
    pub bytes: u64,
    /// Whether the file was gzip-compressed.
    pub gzip: bool,
    /// Hex SHA-256 of the file's bytes as stored (chain of custody).
    pub sha256: String,
    /// Caveats from the parser (redacted timestamps, skipped logs of other kinds, …).
    pub notes: Vec<String>,
    /// Set when reading stopped before the end (a truncated gzip member, an I/O error).
    pub failure: Option<ReadFailure>,
    /// Records per source event id, every record read (EVTX; empty for text logs).
    pub event_ids: std::collections::BTreeMap<u32, u64>,
}

impl FileStats {
    /// Counts of a file not read yet.
    pub fn new(path: Arc<PathBuf>, kind: &'static str) -> Self {
        FileStats {
            path,
            kind,
            lines: 0,
            records: 0,
            rejected: 0,
            skipped: 0,
            invalid_utf8_lines: 0,
            bytes: 0,
            gzip: false,
            sha256: String::new(),
            notes: Vec::new(),
            failure: None,
            event_ids: Default::default(),
        }
    }
}

/// Reading of a file stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFailure {
    /// Lines read before the failure.
    pub after_line: u64,
    /// Records accepted before the failure.
    pub after_records: u64,
    /// What went wrong.
    pub message: String,
}

/// Reads bytes and feeds them to a SHA-256 as they pass.
struct HashingReader {
    inner: File,
    hasher: Sha256,
    bytes: u64,
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

enum Decoded {
    Plain(BufReader<HashingReader>),
    Gzip(Box<MultiGzDecoder<BufReader<HashingReader>>>),
}

impl Read for Decoded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoded::Plain(r) => r.read(buf),
            Decoded::Gzip(r) => r.read(buf),
        }
    }
}

impl Decoded {
    fn into_hashing(self) -> HashingReader {
        match self {
            Decoded::Plain(r) => r.into_inner(),
            Decoded::Gzip(r) => r.into_inner().into_inner(),
        }
    }
}

/// Opens `path` read-only, transparently decompressing gzip (several members allowed), for
/// reading line by line.
fn open_lines(path: &Path, capacity: usize) -> io::Result<(BufReader<Decoded>, bool)> {
    let file = open_evidence(path)?;
    let mut raw = BufReader::with_capacity(
        capacity,
        HashingReader {
            inner: file,
            hasher: Sha256::new(),
            bytes: 0,
        },
    );
    let gzip = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let decoded = if gzip {
        Decoded::Gzip(Box::new(MultiGzDecoder::new(raw)))
    } else {
        Decoded::Plain(raw)
    };
    Ok((BufReader::with_capacity(capacity, decoded), gzip))
}

/// Reads the first `limit` decompressed bytes of a file (for format sniffing).
pub(crate) fn read_head(path: &Path, limit: usize) -> io::Result<Vec<u8>> {
    let (reader, _) = open_lines(path, 16 * 1024)?;
    let mut head = Vec::with_capacity(limit.min(1 << 20));
    // A truncated gzip still yields what it could decode; the error surfaces when reading for real.
    let _ = reader.take(limit as u64).read_to_end(&mut head);
    Ok(head)
}

/// Opens an evidence file and drives `parser` over it.
/// The parser is borrowed so that state it learns (Samba share roots) carries over to the next
/// file.
pub fn open_reader<'p, P: LineParser + ?Sized>(
    path: &Path,
    parser: &'p mut P,
) -> Result<EvidenceReader<'p, P>, InputError> {
    let (lines, gzip) = open_lines(path, READ_BUFFER).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    parser.begin_file(mtime);
    let path = Arc::new(path.to_path_buf());
    Ok(EvidenceReader {
        lines: Some(lines),
        parser,
        buf: Vec::with_capacity(4096),
        stats: FileStats {
            gzip,
            ..FileStats::new(path, "unknown")
        },
        hash: None,
    })
}

/// Iterates over one file's records: `Ok(event)` for each accepted record, `Err(rejected)` for
/// each rejected one. Skipped lines are only counted. Call [`EvidenceReader::finish`] afterwards
/// for the counts and the file's hash.
pub struct EvidenceReader<'p, P: LineParser + ?Sized> {
    lines: Option<BufReader<Decoded>>,
    parser: &'p mut P,
    buf: Vec<u8>,
    stats: FileStats,
    hash: Option<(Sha256, u64)>,
}

impl<P: LineParser + ?Sized> EvidenceReader<'_, P> {
    /// The file being read.
    pub fn path(&self) -> &Arc<PathBuf> {
        &self.stats.path
    }

    /// The counts so far.
    pub fn stats(&self) -> &FileStats {
        &self.stats
    }

    /// Reads whatever is left of the file (for the hash), and returns the counts.
    pub fn finish(mut self) -> FileStats {
        self.close();
        if let Some((hasher, bytes)) = self.hash.take() {
            self.stats.sha256 = hex(&hasher.finalize());
            self.stats.bytes = bytes;
        }
        self.stats.kind = self.parser.kind();
        self.stats.notes = self.parser.notes();
        self.stats
    }

    /// Stops reading: the rest of the raw file is passed through the hash.
    fn close(&mut self) {
        if let Some(lines) = self.lines.take() {
            let mut raw = lines.into_inner().into_hashing();
            if let Err(e) = io::copy(&mut raw, &mut io::sink())
                && self.stats.failure.is_none()
            {
                self.stats.failure = Some(ReadFailure {
                    after_line: self.stats.lines,
                    after_records: self.stats.records,
                    message: e.to_string(),
                });
            }
            self.hash = Some((raw.hasher, raw.bytes));
        }
    }
}

impl<P: LineParser + ?Sized> Iterator for EvidenceReader<'_, P> {
    type Item = Result<Event, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let lines = self.lines.as_mut()?;
            // Fast path: the whole line is in the read buffer; parse it in place.
            let (consumed, outcome) = match lines.fill_buf() {
                Ok([]) => {
                    self.close();
                    return None;
                }
                Ok(available) => match memchr::memchr(b'\n', available) {
                    Some(i) => {
                        self.stats.lines += 1;
                        let outcome = parse_bytes(self.parser, &mut self.stats, &available[..i]);
                        (i + 1, outcome)
                    }
                    None => {
                        // The line continues past the buffer: gather it.
                        self.buf.clear();
                        if let Err(e) = lines.read_until(b'\n', &mut self.buf) {
                            self.fail(&e);
                            return None;
                        }
                        self.stats.lines += 1;
                        let line = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
                        (0, parse_bytes(self.parser, &mut self.stats, line))
                    }
                },
                Err(e) => {
                    self.fail(&e);
                    return None;
                }
            };
            if consumed > 0
                && let Some(lines) = self.lines.as_mut()
            {
                lines.consume(consumed);
            }
            match outcome {
                LineOutcome::Event(event) => {
                    self.stats.records += 1;
                    return Some(Ok(*event));
                }
                LineOutcome::Skipped => self.stats.skipped += 1,
                LineOutcome::Rejected(reason) => {
                    self.stats.rejected += 1;
                    return Some(Err(Rejected {
                        location: Location {
                            path: Arc::clone(&self.stats.path),
                            line: self.stats.lines,
                            unit: Unit::Line,
                        },
                        reason,
                    }));
                }
            }
        }
    }
}

/// Decodes one line (without its `\n`; a trailing `\r` is dropped) and hands it to the parser.
fn parse_bytes<P: LineParser + ?Sized>(
    parser: &mut P,
    stats: &mut FileStats,
    line: &[u8],
) -> LineOutcome {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = match std::str::from_utf8(line) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            stats.invalid_utf8_lines += 1;
            String::from_utf8_lossy(line)
        }
    };
    parser.parse_line(&text, stats.lines)
}

impl<P: LineParser + ?Sized> EvidenceReader<'_, P> {
    fn fail(&mut self, e: &io::Error) {
        let message = if self.stats.gzip {
            format!("gzip stream is truncated or corrupt: {e}")
        } else {
            e.to_string()
        };
        self.stats.failure = Some(ReadFailure {
            after_line: self.stats.lines,
            after_records: self.stats.records,
            message,
        });
        self.close();
    }
}
