//! nfdump's flow archives (`nfcapd.*` files), read natively.
//!
//! Supported, and checked against nfdump's own decode of nfdump's own files:
//! * layout 2 (`LAYOUT_VERSION_2`, nfdump 1.7.x; files of nfcapd/nfdump 1.7.1): type-3 blocks
//!   of V3 records, under every block compression nfdump writes: none, LZO, bzip2, LZ4 and zstd
//!   (zstd from nfdump 1.7.2 on; nfdump 1.7.1 cannot write it, so it is checked on a rewritten
//!   file only). Each block is compressed on its own; a block flagged uncompressed is taken as
//!   stored.
//! * layout 1 (`LAYOUT_VERSION_1`, nfdump ≤ 1.6; files of nfcapd/nfdump 1.6.23): the 276-byte
//!   header (its ident becomes a note; LZO, bzip2 or LZ4 by its flags) and type-2 blocks of 1.6
//!   common records: their fixed part and required extensions (addresses, packet and byte
//!   counters of 32 or 64 bits); the optional extensions their extension map lists are not read.
//!
//! From a V3 record the elements that carry a flow are read: generic flow (times, ports,
//! protocol, TCP flags, packets, bytes), IPv4 or IPv6 addresses, flow counters (taken as the
//! reverse direction only for ASA NSEL records), the address the flow was received from, and the
//! NSEL event time (first-seen when the flow has none, as nfdump's current source does; 1.7.1
//! prints 0 there).
//! A flow stored with last-seen before first-seen is taken the other way round (nfcapd 1.7.1's
//! `ipfix.c` maps `flowEndSysUpTime` to first-seen and `flowStartSysUpTime` to last-seen); one
//! stored without times (both 0) stays at the epoch; both are counted in notes. Exporter records
//! name a flow's exporter when it has no received-from address. Counts are as stored: nfcapd
//! already scaled sampled flows when it collected them (nfdump 1.7.1 `netflow_v9.c`: packets and
//! bytes × (interval + space) / interval, record flagged sampled), and nfdump prints them as
//! stored; a sampled flow's `sampling` is the rate of its exporter's sampler record (when one
//! tells it), and sampled flows are counted in a note.
//!
//! Skipped and counted: every other element (by its length; ids beyond nfdump 1.7's table in a
//! note), every other record type (exporter statistics, extension maps, padding, V4 records of
//! nfdump ≥ 1.7.8, which nfdump itself cannot read), the appendix's statistics (its ident string
//! becomes a note), records without a generic flow or addresses. Rejected: blocks of type 1
//! (nfdump 1.5) and 4 (array blocks). Refused at open: big-endian and encrypted files.
//!
//! The file is read block by block (memory bounded by one block, at most 5 MiB as in nfdump),
//! opened read-only with its access time kept ([`crate::input::open_evidence`]) and hashed as
//! stored. Nothing in a file can make the reader panic: a malformed block or record is rejected
//! with its byte offset and reading goes on with the next block wherever the block sizes still
//! hold; a block size that cannot be trusted ends the file there (the rest is counted as unread).
//!
//! [`NfcapdReader`] yields unidirectional [`FlowRecord`]s; [`NfcapdFlows`] pairs them into
//! [`Event::Flow`]s with the live collector's [`Pairer`].

pub mod block;
pub mod header;
pub mod record;

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use breachscope_model::{Event, Flow, Micros, hex};
use sha2::{Digest, Sha256};

use crate::input::open_evidence;
use crate::netflow::{FlowRecord, Pairer};
use crate::record::{Location, Rejected, Unit};
use crate::{FileStats, ReadFailure};

use block::{BLOCK_HEADER_LEN, BlockHeader, MAX_BLOCK};
pub use header::{Compression, FileHeader, is_nfcapd};
use record::{Exporters, V3Counts, V3Outcome};

/// The kind [`FileStats`] gives an nfcapd file.
pub const KIND: &str = "nfcapd";

/// How long a record waits for its reverse, in event time, before it is given up on as a
/// one-way flow (as the live collector's hold).
pub const PAIR_HOLD: Micros = 120_000_000;

/// Why an nfcapd file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum NfcapdError {
    /// The file cannot be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// No nfcapd magic at offset 0.
    #[error("not an nfcapd file (no magic 0xA50C at offset 0)")]
    NotNfcapd,
    /// The magic is byte-swapped: written on a big-endian host.
    #[error("big-endian nfcapd file (byte-swapped magic at offset 0): not supported")]
    BigEndian,
    /// A layout other than 1 or 2.
    #[error("unknown nfcapd layout version {0} at offset 2")]
    Layout(u16),
    /// The file ends inside its header.
    #[error("truncated nfcapd header: the file has {len} bytes")]
    TruncatedHeader {
        /// Bytes there were.
        len: usize,
    },
    /// A compression id nfdump does not define.
    #[error("unknown compression id {id} at offset {offset}")]
    Compression {
        /// The id.
        id: u8,
        /// Where in the file.
        offset: u64,
    },
    /// The file is encrypted.
    #[error("encrypted nfcapd file (encryption id {id} at offset 17): not supported")]
    Encrypted {
        /// The encryption id.
        id: u8,
    },
}

/// The file as read so far, hashed as it passes.
struct Source {
    file: Box<dyn Read + Send>,
    hasher: Sha256,
    offset: u64,
}

impl Source {
    /// Reads until `buf` is full or the file ends; returns the bytes read.
    fn read_full(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match self.file.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.hasher.update(&buf[..n]);
        self.offset += n as u64;
        Ok(n)
    }

    /// Reads (and hashes) whatever is left.
    fn drain(&mut self) -> io::Result<u64> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0;
        loop {
            let n = self.read_full(&mut buf)?;
            total += n as u64;
            if n < buf.len() {
                return Ok(total);
            }
        }
    }
}

/// The block being walked.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    /// File offset of the block's header.
    block_offset: u64,
    /// Whether the records are in `plain` (decompressed) rather than `raw`.
    decompressed: bool,
    /// Payload length.
    len: usize,
    /// Next record's offset in the payload.
    pos: usize,
    /// Records the block header says are left.
    left: u32,
}

/// Reads one nfcapd file: an iterator of its flow records, `Err` for each rejected block or
/// record. Call [`NfcapdReader::finish`] afterwards for the counts and the file's hash.
pub struct NfcapdReader {
    source: Source,
    path: Arc<PathBuf>,
    header: FileHeader,
    file_len: u64,
    raw: Vec<u8>,
    plain: Vec<u8>,
    cursor: Option<Cursor>,
    done: bool,
    exporters: Exporters,
    counts: V3Counts,
    stats: FileStats,
    blocks: u64,
    appendix_blocks: u64,
    bad_blocks: u64,
    other_records: BTreeMap<u16, u64>,
    skipped_flows: BTreeMap<&'static str, u64>,
    ident: Option<String>,
    legacy_records: u64,
}

impl std::fmt::Debug for NfcapdReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NfcapdReader")
            .field("path", &self.path)
            .field("header", &self.header)
            .field("offset", &self.source.offset)
            .finish_non_exhaustive()
    }
}

impl NfcapdReader {
    /// Opens `path` read-only (access time kept) and reads its header. A file that is not an
    /// nfcapd file, or whose header cannot be used, is an error.
    pub fn open(path: &Path) -> Result<Self, NfcapdError> {
        let io_err = |source| NfcapdError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = open_evidence(path).map_err(io_err)?;
        let file_len = file.metadata().map_err(io_err)?.len();
        Self::from_read(Box::new(file), file_len, path)
    }

    /// Reads an nfcapd file from `source` (its bytes from offset 0; `len` of them), named
    /// `path` in the counts and rejections. [`NfcapdReader::open`] is this on the opened file.
    pub fn from_read(
        source: Box<dyn Read + Send>,
        len: u64,
        path: &Path,
    ) -> Result<Self, NfcapdError> {
        let io_err = |source| NfcapdError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file_len = len;
        let mut source = Source {
            file: source,
            hasher: Sha256::new(),
            offset: 0,
        };
        // Layout 2's header, or the start of layout 1's longer one.
        let mut head = vec![0u8; header::V2_HEADER_LEN];
        let n = source.read_full(&mut head).map_err(io_err)?;
        head.truncate(n);
        if head.get(2..4) == Some(&header::LAYOUT_V1.to_le_bytes()[..]) {
            let mut rest = vec![0u8; header::V1_HEADER_LEN - header::V2_HEADER_LEN];
            let m = source.read_full(&mut rest).map_err(io_err)?;
            head.extend_from_slice(&rest[..m]);
        }
        let header = header::parse(&head)?;
        let path = Arc::new(path.to_path_buf());
        Ok(NfcapdReader {
            source,
            file_len,
            raw: Vec::new(),
            plain: Vec::new(),
            cursor: None,
            done: false,
            exporters: Exporters::default(),
            counts: V3Counts::default(),
            stats: FileStats::new(Arc::clone(&path), KIND),
            path,
            header,
            blocks: 0,
            appendix_blocks: 0,
            bad_blocks: 0,
            other_records: BTreeMap::new(),
            skipped_flows: BTreeMap::new(),
            ident: None,
            legacy_records: 0,
        })
    }

    /// The file's header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The file being read.
    pub fn path(&self) -> &Arc<PathBuf> {
        &self.path
    }

    /// The counts so far.
    pub fn stats(&self) -> &FileStats {
        &self.stats
    }

    /// Pairs the records into flows as the live collector does.
    pub fn flows(self) -> NfcapdFlows {
        NfcapdFlows {
            reader: self,
            pairer: Pairer::new(),
            ready: VecDeque::new(),
            latest: Micros::MIN,
            since_expire: 0,
            finished: false,
        }
    }

    /// Reads whatever is left of the file (for the hash), and returns the counts. `lines` is
    /// the number of records walked in the blocks (every type), `records` the flows yielded,
    /// `skipped` the records that are not flows.
    pub fn finish(mut self) -> FileStats {
        let unread_from = self.source.offset;
        match self.source.drain() {
            Ok(n) if n > 0 && !self.done => {
                // Stopped early by the caller: the rest is only hashed.
                self.stats
                    .notes
                    .push(format!("{n} bytes from offset {unread_from} not read"));
            }
            Ok(_) => {}
            Err(e) => {
                if self.stats.failure.is_none() {
                    self.stats.failure = Some(ReadFailure {
                        after_line: self.stats.lines,
                        after_records: self.stats.records,
                        message: e.to_string(),
                    });
                }
            }
        }
        self.stats.sha256 = hex(&self.source.hasher.finalize_reset());
        self.stats.bytes = self.source.offset;
        let h = &self.header;
        let mut notes = vec![format!(
            "nfcapd layout {}, {} compression, written by {} (nfdump {}), {} data blocks in the header",
            h.layout,
            h.compression.name(),
            h.creator_name(),
            h.nfdump_version_string()
                .unwrap_or_else(|| "≤ 1.6".to_string()),
            h.blocks
        )];
        notes.push(format!(
            "{} data blocks and {} appendix blocks read, {} blocks rejected",
            self.blocks, self.appendix_blocks, self.bad_blocks
        ));
        if self.legacy_records > 0 {
            notes.push(format!(
                "{} flows from nfdump 1.6 records (type-2 blocks)",
                self.legacy_records
            ));
        }
        if let Some(ident) = self.ident.as_ref().or(h.ident.as_ref()) {
            notes.push(format!("ident: {ident}"));
        }
        if h.anonymized {
            notes.push("the file is marked anonymised".into());
        }
        for (why, n) in &self.skipped_flows {
            notes.push(format!("{n} skipped: {why}"));
        }
        if !self.other_records.is_empty() {
            let list: Vec<String> = self
                .other_records
                .iter()
                .map(|(t, n)| format!("type {t}: {n}"))
                .collect();
            notes.push(format!("non-flow records skipped: {}", list.join(", ")));
        }
        let c = self.counts;
        if c.unknown_elements > 0 {
            notes.push(format!(
                "{} elements of ids unknown to nfdump 1.7 skipped",
                c.unknown_elements
            ));
        }
        if c.sampled > 0 {
            notes.push(format!(
                "{} flows are sampled: their counts were already scaled by the collector ({} of \
                 them at a rate no sampler record tells, kept as 1)",
                c.sampled, c.sampling_unknown
            ));
        }
        if c.both_families > 0 {
            notes.push(format!(
                "{} flows carried both IPv4 and IPv6 addresses (IPv4 taken)",
                c.both_families
            ));
        }
        if c.event_time > 0 {
            notes.push(format!(
                "{} flows timed by their NSEL event time",
                c.event_time
            ));
        }
        if c.inverted > 0 {
            notes.push(format!(
                "{} flows were stored with last-seen before first-seen (nfcapd 1.7.1 swaps \
                 IPFIX flowStart/EndSysUpTime): taken the other way round",
                c.inverted
            ));
        }
        if c.untimed > 0 {
            notes.push(format!(
                "{} flows have no time (first- and last-seen 0, nfdump's \"Time Window unknown\"): \
                 left at 1970-01-01",
                c.untimed
            ));
        }
        if c.slack > 0 {
            notes.push(format!(
                "{} V3 records whose elements do not fill them exactly",
                c.slack
            ));
        }
        notes.append(&mut self.stats.notes);
        self.stats.notes = notes;
        self.stats
    }

    fn reject(&mut self, offset: u64, reason: String) -> Rejected {
        self.stats.rejected += 1;
        Rejected {
            location: Location {
                path: Arc::clone(&self.path),
                line: offset,
                unit: Unit::Offset,
            },
            reason,
        }
    }

    /// Ends reading at a block that cannot be trusted: the rest of the file is unread.
    fn stop(&mut self, offset: u64, reason: String) -> Rejected {
        self.done = true;
        self.cursor = None;
        self.bad_blocks += 1;
        let unread = self.file_len.saturating_sub(offset);
        self.stats.failure = Some(ReadFailure {
            after_line: self.stats.lines,
            after_records: self.stats.records,
            message: format!("{reason}; {unread} bytes from offset {offset} not read"),
        });
        self.reject(offset, reason)
    }

    /// Reads the next block's header and payload. `Ok(None)`: end of file; `Ok(Some(()))`: a
    /// block to walk is in the cursor (or one was skipped); `Err`: a rejection to report.
    fn next_block(&mut self) -> Result<Option<()>, Rejected> {
        let offset = self.source.offset;
        let mut hb = [0u8; BLOCK_HEADER_LEN];
        let n = match self.source.read_full(&mut hb) {
            Ok(n) => n,
            Err(e) => return Err(self.stop(offset, format!("read error: {e}"))),
        };
        if n == 0 {
            self.done = true;
            return Ok(None);
        }
        if n < BLOCK_HEADER_LEN {
            return Err(self.stop(
                offset,
                format!("truncated block header: {n} of {BLOCK_HEADER_LEN} bytes"),
            ));
        }
        let bh = BlockHeader::parse(&hb);
        let size = bh.size as usize;
        if size == 0 || size > MAX_BLOCK {
            return Err(self.stop(offset, format!("bad block size {}", bh.size)));
        }
        let payload_offset = offset + BLOCK_HEADER_LEN as u64;
        if payload_offset + size as u64 > self.file_len {
            return Err(self.stop(
                offset,
                format!(
                    "block of {size} bytes runs past the end of the file ({} bytes left)",
                    self.file_len.saturating_sub(payload_offset)
                ),
            ));
        }
        self.raw.resize(size, 0);
        match self.source.read_full(&mut self.raw) {
            Ok(m) if m == size => {}
            Ok(m) => {
                return Err(self.stop(
                    offset,
                    format!("block of {size} bytes is truncated after {m} bytes"),
                ));
            }
            Err(e) => return Err(self.stop(offset, format!("read error: {e}"))),
        }
        let appendix = self.header.appendix_offset != 0 && offset >= self.header.appendix_offset;
        if appendix {
            self.appendix_blocks += 1;
        } else {
            self.blocks += 1;
        }
        if bh.records == 0 {
            return Ok(Some(()));
        }
        if bh.kind != block::BLOCK_TYPE_3 && bh.kind != block::BLOCK_TYPE_2 {
            self.bad_blocks += 1;
            let what = match bh.kind {
                block::BLOCK_TYPE_2 => "nfdump 1.6 records (type-2 block)".to_string(),
                block::BLOCK_TYPE_1 => "nfdump 1.5 records (type-1 block)".to_string(),
                other => format!("block type {other}"),
            };
            return Err(self.reject(
                offset,
                format!("{} records of {what}: not supported", bh.records),
            ));
        }
        let stored = self.header.compression == Compression::None
            || bh.flags & block::FLAG_BLOCK_UNCOMPRESSED != 0;
        let len = if stored {
            size
        } else {
            if self.plain.len() < MAX_BLOCK {
                // Zeroed by the allocator: pages are only touched as blocks fill them.
                self.plain = vec![0u8; MAX_BLOCK];
            }
            match block::decompress(self.header.compression, &self.raw, &mut self.plain) {
                Ok(len) => len,
                Err(e) => {
                    self.bad_blocks += 1;
                    return Err(self.reject(
                        offset,
                        format!(
                            "{} block of {size} bytes ({} records) does not decompress: {e}",
                            self.header.compression.name(),
                            bh.records
                        ),
                    ));
                }
            }
        };
        self.cursor = Some(Cursor {
            block_offset: offset,
            decompressed: !stored,
            len,
            pos: 0,
            left: bh.records,
        });
        Ok(Some(()))
    }

    /// Takes the next record of the current block. `None`: the block is done.
    fn next_record(&mut self) -> Option<Result<FlowRecord, Rejected>> {
        loop {
            let mut c = self.cursor?;
            if c.left == 0 {
                self.cursor = None;
                return None;
            }
            let payload = if c.decompressed {
                &self.plain[..c.len]
            } else {
                &self.raw[..c.len]
            };
            // Where a rejection points: the record itself in a stored block, else the block.
            let place = if c.decompressed {
                c.block_offset
            } else {
                c.block_offset + (BLOCK_HEADER_LEN + c.pos) as u64
            };
            let rest = payload.get(c.pos..).unwrap_or_default();
            let (Some(kind), Some(size)) = (record::u16_at(rest, 0), record::u16_at(rest, 2))
            else {
                self.cursor = None;
                let reason = format!(
                    "block holds {} fewer records than it claims (payload ends at byte {})",
                    c.left, c.pos
                );
                return Some(Err(self.reject(place, reason)));
            };
            let size = usize::from(size);
            if size < 4 || size > rest.len() {
                self.cursor = None;
                let reason = format!(
                    "record of type {kind} at payload byte {} has size {size} ({} bytes left in \
                     the block); the block's other {} records are not read",
                    c.pos,
                    rest.len(),
                    c.left - 1
                );
                return Some(Err(self.reject(place, reason)));
            }
            let rec = &rest[..size];
            c.pos += size;
            c.left -= 1;
            self.cursor = Some(c);
            self.stats.lines += 1;
            match kind {
                record::TYPE_V3 => {
                    let outcome = record::decode_v3(rec, &self.exporters, &mut self.counts);
                    match outcome {
                        Ok(V3Outcome::Flow(r)) => {
                            self.stats.records += 1;
                            return Some(Ok(*r));
                        }
                        Ok(V3Outcome::Skipped(why)) => {
                            self.stats.skipped += 1;
                            *self.skipped_flows.entry(why).or_default() += 1;
                        }
                        Err(e) => {
                            let reason = format!("V3 record at payload byte {}: {e}", c.pos - size);
                            return Some(Err(self.reject(place, reason)));
                        }
                    }
                }
                record::TYPE_EXPORTER_INFO => {
                    self.stats.skipped += 1;
                    self.exporters.add_exporter(rec);
                }
                record::TYPE_COMMON => {
                    match record::decode_common(rec, &self.exporters, &mut self.counts) {
                        Ok(V3Outcome::Flow(r)) => {
                            self.stats.records += 1;
                            self.legacy_records += 1;
                            return Some(Ok(*r));
                        }
                        Ok(V3Outcome::Skipped(why)) => {
                            self.stats.skipped += 1;
                            *self.skipped_flows.entry(why).or_default() += 1;
                        }
                        Err(e) => {
                            let reason = format!("record at payload byte {}: {e}", c.pos - size);
                            return Some(Err(self.reject(place, reason)));
                        }
                    }
                }
                record::TYPE_SAMPLER => {
                    self.stats.skipped += 1;
                    self.exporters.add_sampler(rec);
                }
                record::TYPE_SAMPLER_LEGACY => {
                    self.stats.skipped += 1;
                    self.exporters.add_legacy_sampler(rec);
                }
                record::TYPE_IDENT => {
                    self.stats.skipped += 1;
                    self.ident = Some(record::decode_ident(rec));
                }
                other => {
                    self.stats.skipped += 1;
                    *self.other_records.entry(other).or_default() += 1;
                }
            }
        }
    }
}

impl Iterator for NfcapdReader {
    type Item = Result<FlowRecord, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.next_record() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.next_block() {
                Ok(Some(())) => {}
                Ok(None) => return None,
                Err(rejected) => return Some(Err(rejected)),
            }
        }
    }
}

/// An nfcapd file's records paired into flows by the live collector's [`Pairer`]: a record
/// waits for its reverse until the file's event time has moved [`PAIR_HOLD`] past its end, and
/// whatever still waits at the end of the file becomes a one-way flow.
#[derive(Debug)]
pub struct NfcapdFlows {
    reader: NfcapdReader,
    pairer: Pairer,
    ready: VecDeque<Flow>,
    latest: Micros,
    since_expire: u32,
    finished: bool,
}

/// Records between two expiries of waiting records.
const EXPIRE_EVERY: u32 = 4096;

impl NfcapdFlows {
    /// The pairer (its `paired` and `one_way` counts).
    pub fn pairer(&self) -> &Pairer {
        &self.pairer
    }

    /// The reader's counts so far.
    pub fn stats(&self) -> &FileStats {
        self.reader.stats()
    }

    /// The file's counts, with the pairing's in the notes.
    pub fn finish(self) -> FileStats {
        let (paired, one_way) = (self.pairer.paired, self.pairer.one_way);
        let mut stats = self.reader.finish();
        stats.notes.push(format!(
            "{paired} flows paired from two records, {one_way} one-way flows"
        ));
        stats
    }
}

impl Iterator for NfcapdFlows {
    type Item = Result<Event, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(flow) = self.ready.pop_front() {
                return Some(Ok(Event::Flow(flow)));
            }
            if self.finished {
                return None;
            }
            let mut out = Vec::new();
            match self.reader.next() {
                Some(Ok(r)) => {
                    self.latest = self.latest.max(r.end);
                    self.pairer.push(r, &mut out);
                    self.since_expire += 1;
                    if self.since_expire >= EXPIRE_EVERY {
                        self.since_expire = 0;
                        self.pairer
                            .expire(self.latest.saturating_sub(PAIR_HOLD), &mut out);
                    }
                }
                Some(Err(rejected)) => return Some(Err(rejected)),
                None => {
                    self.finished = true;
                    self.pairer.finish(&mut out);
                }
            }
            self.ready.extend(out);
        }
    }
}

#[cfg(test)]
mod tests;
