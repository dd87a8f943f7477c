//! Evidence files into the store, reading only what is new.
//!
//! An input is known by its content, not its name. For a plain-text log the catalog keeps how
//! far it was consumed — whole lines only, `consumed_bytes` and `consumed_lines` — with the
//! SHA-256 of those bytes and of their first 4 KiB. When a file is seen again, under its own
//! name or another, the inputs whose head matches are candidates, and the one whose consumed
//! bytes are a prefix of the file (checked by hash, in the same pass that finds the file's last
//! complete line) is the file's past: only the lines after it are turned into events. So
//!
//! * an unchanged file adds nothing; an appended one adds its new lines;
//! * a file rotated by rename is recognised under its new name and only its tail is read, while
//!   the new file under the old name is new content;
//! * a copytruncated file (its content copied away, the original emptied) no longer starts with
//!   what was consumed: it is read from the start, and the copy resumes where the original was;
//! * a file compressed as it was rotated (zeekctl's archive, logrotate's `compress`) is
//!   recognised by its decompressed content: only the lines after those read from the live
//!   file are read;
//! * a line still being written (no `\n` yet) is left for the next run;
//! * a file rewritten while it is read (a copytruncate followed by new lines between the scan
//!   and the parse) is caught — its head and the bytes before the scanned end are read again
//!   after the parse — and nothing of it is kept: it is read again on the next run.
//!
//! Lines before the resume point still go through the parser (a Zeek header, Samba's learned
//! share roots), but their events are dropped. Gzip files are read whole and known by the
//! SHA-256 of their bytes (or, the first time, by the plain input they continue); so are EVTX files, of which a grown file at a known path has its
//! first `consumed_lines` events dropped. Events are written in batches at file boundaries, each
//! batch committed with the positions of the files it holds (see [`breachscope_store`]).

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use breachscope_ingest::evtx::{EvtxConfig, EvtxReader, KIND as EVTX_KIND};
use breachscope_ingest::input::open_evidence;
use breachscope_ingest::network::{NetworkConfig, NetworkReader};
use breachscope_ingest::samba::{SambaConfig, SambaParser};
use breachscope_ingest::sniff::Format;
use breachscope_ingest::zeek::ZeekParser;
use breachscope_ingest::{FileReader, FileStats, InputError, LineParser, Rejected, open_reader};
use breachscope_model::{Event, hex};
use breachscope_store::{Class, InputRecord, Store, StoreError};
use sha2::{Digest, Sha256};

/// Bytes of a file's start whose hash indexes the catalog's inputs.
const HEAD: u64 = 4096;
/// Rejections printed per file; the rest are counted.
const REJECTIONS_KEPT: usize = 20;

/// Why a pipeline stage stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The detection settings were refused.
    #[error("configuration: {0}")]
    Config(String),
    /// An evidence file could not be opened or recognised.
    #[error("{0}")]
    Input(String),
    /// A reader thread could not be started or failed.
    #[error("{0}")]
    Thread(String),
}

/// The evidence to ingest, by reader (paths already expanded).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Zeek conn/dns logs.
    pub zeek: Vec<PathBuf>,
    /// Samba audit logs.
    pub samba: Vec<PathBuf>,
    /// Windows event logs.
    pub evtx: Vec<PathBuf>,
    /// Network evidence besides Zeek, with the format its content showed.
    pub network: Vec<(PathBuf, Format)>,
}

/// How to read the evidence.
#[derive(Debug, Clone)]
pub struct Options {
    /// The Samba reader's settings.
    pub samba: SambaConfig,
    /// The EVTX reader's settings.
    pub evtx: EvtxConfig,
    /// How network evidence is read.
    pub network: NetworkConfig,
    /// Settings recorded in the catalog (`log_tz`, `samba_prefix`, …).
    pub settings: Vec<(String, String)>,
    /// Events held before a batch is written (at the next file boundary).
    pub batch_events: usize,
    /// Whether the run ends by compacting the lake (`ingest`; `watch` compacts on its own
    /// schedule).
    pub compact: bool,
}

/// What became of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Content never seen: read from the start.
    New,
    /// Known content with new lines after it: the new lines were read.
    Appended,
    /// Nothing new.
    Unchanged,
    /// Could not be read.
    Failed,
    /// Rewritten or truncated while it was read: nothing kept, read again on the next run.
    Changed,
}

/// One file's outcome.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    /// The file.
    pub path: PathBuf,
    /// Its format (`zeek_conn`, `samba_audit`, `evtx`, …).
    pub kind: String,
    /// What was done.
    pub status: Status,
    /// The known content's last path, when it was seen under another name (a rotation).
    pub known_as: Option<String>,
    /// Lines (or EVTX records) already in the store before this run.
    pub resumed_after: u64,
    /// Events added.
    pub events: u64,
    /// Records rejected in the part read.
    pub rejected: u64,
    /// The first rejections, with their locations.
    pub rejections: Vec<String>,
    /// Why it could not be read.
    pub error: Option<String>,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Every file.
    pub files: Vec<FileOutcome>,
    /// Events added, per OCSF class.
    pub per_class: BTreeMap<i32, u64>,
    /// Parts written (before compaction).
    pub parts: usize,
    /// Parts written by compaction.
    pub compacted: usize,
}

impl Summary {
    /// Events added in all.
    pub fn events(&self) -> u64 {
        self.per_class.values().sum()
    }
}

/// The parts of a file's content that identify it.
#[derive(Debug, Default)]
struct Content {
    size: u64,
    mtime_ns: i64,
    gzip: bool,
    /// End of the last complete line (plain text), or the file's size.
    boundary: u64,
    /// Complete lines.
    lines: u64,
    /// Hex SHA-256 of bytes `0..boundary` (plain) or of the whole file (gzip, EVTX).
    hash: String,
    /// Hex SHA-256 of bytes `0..head_len`.
    head_hash: String,
    head_len: u64,
    /// Hex SHA-256 of the prefixes asked for, by length.
    prefixes: BTreeMap<u64, String>,
    /// The last bytes (up to 4 KiB) before `boundary` (plain text): checked again after the
    /// lines are parsed, with the head, to catch a file rewritten in between (copytruncate).
    tail: Vec<u8>,
}

fn stat(path: &Path) -> io::Result<(u64, i64)> {
    let m = std::fs::metadata(path)?;
    let mtime = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    Ok((m.len(), mtime))
}

/// The hash of the first `len` bytes of a file.
fn head_of(path: &Path, len: u64) -> io::Result<(Vec<u8>, String)> {
    let mut head = Vec::new();
    open_evidence(path)?.take(len).read_to_end(&mut head)?;
    let hash = hex(&Sha256::digest(&head));
    Ok((head, hash))
}

/// One pass over a plain file: its last complete line, the hash up to there, and the hashes of
/// the prefixes of the lengths in `wanted` (each at a line end, as consumed positions are).
fn scan_plain(path: &Path, wanted: &[u64]) -> io::Result<Content> {
    let (size, mtime_ns) = stat(path)?;
    let mut content = scan_lines(open_evidence(path)?, wanted)?;
    content.size = size;
    content.mtime_ns = mtime_ns;
    Ok(content)
}

/// [`scan_plain`] over any stream of lines (a file, or a gzip file's decompressed content);
/// size and modification time are left at 0.
fn scan_lines(mut file: impl Read, wanted: &[u64]) -> io::Result<Content> {
    let mut hasher = Sha256::new();
    let mut hashed = 0u64;
    let mut pending: Vec<u8> = Vec::new();
    let mut lines = 0u64;
    let mut prefixes = BTreeMap::new();
    let mut wanted: Vec<u64> = wanted.to_vec();
    wanted.push(HEAD);
    wanted.sort_unstable();
    wanted.dedup();
    let mut next_wanted = 0;
    let mut buf = vec![0u8; 1 << 20];
    let mut tail: Vec<u8> = Vec::new();
    let keep_tail = |tail: &mut Vec<u8>, data: &[u8]| {
        let keep = usize::try_from(HEAD).unwrap_or(4096);
        if data.len() >= keep {
            tail.clear();
            tail.extend_from_slice(&data[data.len() - keep..]);
        } else {
            tail.extend_from_slice(data);
            if tail.len() > keep {
                tail.drain(..tail.len() - keep);
            }
        }
    };
    // Feeds complete lines to the hasher, stopping at each wanted length for a snapshot.
    let mut feed = |hasher: &mut Sha256, hashed: &mut u64, mut data: &[u8]| {
        while !data.is_empty() {
            let until = wanted
                .get(next_wanted)
                .map_or(u64::MAX, |&w| w.saturating_sub(*hashed));
            if until == 0 {
                prefixes.insert(*hashed, hex(&hasher.clone().finalize()));
                next_wanted += 1;
                continue;
            }
            let n = usize::try_from(until).unwrap_or(usize::MAX).min(data.len());
            hasher.update(&data[..n]);
            *hashed += n as u64;
            data = &data[n..];
        }
        while wanted.get(next_wanted) == Some(hashed) {
            prefixes.insert(*hashed, hex(&hasher.clone().finalize()));
            next_wanted += 1;
        }
    };
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        match memchr::memrchr(b'\n', chunk) {
            Some(last) => {
                lines += memchr::memchr_iter(b'\n', &chunk[..=last]).count() as u64;
                if !pending.is_empty() {
                    let p = std::mem::take(&mut pending);
                    feed(&mut hasher, &mut hashed, &p);
                    keep_tail(&mut tail, &p);
                }
                feed(&mut hasher, &mut hashed, &chunk[..=last]);
                keep_tail(&mut tail, &chunk[..=last]);
                pending.extend_from_slice(&chunk[last + 1..]);
            }
            None => pending.extend_from_slice(chunk),
        }
    }
    let hash = hex(&hasher.finalize());
    let head_len = hashed.min(HEAD);
    let head_hash = if head_len == hashed {
        hash.clone()
    } else {
        prefixes.get(&HEAD).cloned().unwrap_or_default()
    };
    Ok(Content {
        size: 0,
        mtime_ns: 0,
        gzip: false,
        boundary: hashed,
        lines,
        hash,
        head_hash,
        head_len,
        prefixes,
        tail,
    })
}

/// Where an EVTX file's first chunk lies: after the 4 KiB file header, 64 KiB long.
const EVTX_FIRST_CHUNK: (u64, u64) = (4096, 65_536);

/// The whole file's hash (gzip and EVTX files, which are never appended to line by line). For
/// EVTX the head hash is that of the first chunk, which stays as it is while the log grows (the
/// file header does not: it counts the chunks).
fn scan_whole(path: &Path, gzip: bool) -> io::Result<Content> {
    let (size, mtime_ns) = stat(path)?;
    let mut file = open_evidence(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    let hash = hex(&hasher.finalize());
    let (head_hash, head_len) = if gzip {
        (hash.clone(), size)
    } else {
        use std::io::{Seek, SeekFrom};
        let (offset, len) = EVTX_FIRST_CHUNK;
        let mut chunk = Vec::new();
        file.seek(SeekFrom::Start(offset))?;
        file.take(len).read_to_end(&mut chunk)?;
        (hex(&Sha256::digest(&chunk)), chunk.len() as u64)
    };
    Ok(Content {
        size,
        mtime_ns,
        gzip,
        boundary: size,
        lines: u64::MAX,
        hash,
        head_hash,
        head_len,
        prefixes: BTreeMap::new(),
        tail: Vec::new(),
    })
}

/// The inputs of this run not committed yet, and the catalog beneath them.
struct Known<'s> {
    store: &'s Store,
    pending: Vec<InputRecord>,
}

/// A known input and, when it is pending, its place among the pending ones.
#[derive(Debug, Clone)]
struct Past {
    record: InputRecord,
    slot: Option<usize>,
}

impl Known<'_> {
    fn slot_of(&self, r: &InputRecord) -> Option<usize> {
        r.id.and_then(|id| self.pending.iter().position(|p| p.id == Some(id)))
    }

    /// Candidates for a file's past, among the plain-text inputs (the only ones read line by
    /// line, so the only ones a file can continue): those last seen at `path`, those whose
    /// head hash is `head_hash`, and those whose consumed content is shorter than a head —
    /// their pending versions where this run has changed them.
    fn candidates(&self, path: &str, head_hash: &str) -> Result<Vec<Past>, StoreError> {
        let plain = |r: &InputRecord| !r.gzip && r.kind != EVTX_KIND;
        let catalog = self.store.catalog();
        let mut found: Vec<InputRecord> = catalog.inputs_at(path)?;
        found.extend(catalog.inputs_with_head(head_hash)?);
        found.extend(catalog.inputs_with_short_head(HEAD)?);
        found.retain(plain);
        found.sort_by_key(|r| r.id);
        found.dedup_by_key(|r| r.id);
        let mut out: Vec<Past> = found
            .into_iter()
            .map(|record| match self.slot_of(&record) {
                Some(slot) => Past {
                    record: self.pending[slot].clone(),
                    slot: Some(slot),
                },
                None => Past { record, slot: None },
            })
            .collect();
        out.extend(
            self.pending
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    p.id.is_none()
                        && plain(p)
                        && (p.path == path || p.head_hash == head_hash || p.head_len < HEAD)
                })
                .map(|(slot, p)| Past {
                    record: p.clone(),
                    slot: Some(slot),
                }),
        );
        Ok(out)
    }

    /// The input whose bytes hashed to `sha` (a gzip or EVTX file read before).
    fn with_sha(&self, sha: &str) -> Result<Option<InputRecord>, StoreError> {
        if let Some(p) = self.pending.iter().find(|p| p.sha256 == sha) {
            return Ok(Some(p.clone()));
        }
        Ok(self
            .store
            .catalog()
            .inputs_with_sha(sha)?
            .into_iter()
            .next())
    }

    /// Keeps `record` for the next commit, in place of its earlier pending version.
    fn keep(&mut self, record: InputRecord, slot: Option<usize>) {
        match slot.or_else(|| self.slot_of(&record)) {
            Some(i) => self.pending[i] = record,
            None => self.pending.push(record),
        }
    }
}

/// The plain input whose lines a gzip file begins with, decompressed: a log compressed as it
/// was rotated (zeekctl's archive, logrotate's `compress`) after its first lines were read
/// from the live file. The gzip file takes that input over, as a renamed file does, and only
/// the lines after them are read; without this every line would be stored twice.
fn compressed_continuation(
    path: &Path,
    name: &str,
    known: &Known<'_>,
) -> Result<Option<Past>, PipelineError> {
    let decompressed = || open_evidence(path).map(flate2::read::MultiGzDecoder::new);
    let mut head = Vec::new();
    let read_head = decompressed().and_then(|d| d.take(HEAD).read_to_end(&mut head));
    if read_head.is_err() {
        return Ok(None); // a damaged archive: read as a new file, which reports the damage
    }
    let candidates: Vec<Past> = known
        .candidates(name, &hex(&Sha256::digest(&head)))?
        .into_iter()
        .filter(|c| c.record.consumed_bytes > 0)
        .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    let wanted: Vec<u64> = candidates.iter().map(|c| c.record.consumed_bytes).collect();
    let Ok(content) = decompressed().and_then(|d| scan_lines(d, &wanted)) else {
        return Ok(None);
    };
    Ok(candidates
        .into_iter()
        .filter(|c| content.prefixes.get(&c.record.consumed_bytes) == Some(&c.record.consumed_hash))
        .max_by_key(|c| c.record.consumed_bytes))
}

/// Whether a plain file still holds what its scan saw: the same first `head_len` bytes and the
/// same bytes before the scan's boundary. A file rewritten between the scan and the parse (a
/// copytruncate followed by new lines, a log replaced in place) fails, and is read again on the
/// next run rather than stored with positions that describe other content.
fn still_as_scanned(path: &Path, content: &Content) -> bool {
    use std::io::{Seek, SeekFrom};
    let check = || -> io::Result<bool> {
        let mut file = open_evidence(path)?;
        let mut head = Vec::new();
        (&mut file).take(content.head_len).read_to_end(&mut head)?;
        if hex(&Sha256::digest(&head)) != content.head_hash {
            return Ok(false);
        }
        let tail_len = content.tail.len() as u64;
        file.seek(SeekFrom::Start(content.boundary.saturating_sub(tail_len)))?;
        let mut tail = Vec::new();
        file.take(tail_len).read_to_end(&mut tail)?;
        Ok(tail == content.tail)
    };
    check().unwrap_or(false)
}

/// The reader a file goes through.
enum Reader<'a> {
    Lines(&'a mut dyn LineParser),
    Evtx(&'a mut EvtxReader),
    /// A binary format read whole (captures, nfdump files): new content is read whole.
    Whole(&'a mut dyn FileReader),
}

/// Ingests `sources` into `store`: see the module documentation. `on_file` is called after
/// each file.
pub fn ingest(
    store: &mut Store,
    sources: &Sources,
    options: Options,
    on_file: &mut dyn FnMut(&FileOutcome),
) -> Result<Summary, PipelineError> {
    ingest_with(store, sources, options, on_file, &mut |_| {})
}

/// The catalog setting that keeps the Samba share roots learned from the audit (JSON list of
/// `[server, share, root]`), committed with every batch.
pub const SAMBA_LEARNED_ROOTS: &str = "samba_learned_roots";

/// The readers, with what they learned (Samba's share roots): kept across the cycles of a
/// watch, and seeded from the catalog so that a later run resolves paths as the earlier one did.
pub struct Readers {
    zeek: ZeekParser,
    samba: SambaParser,
    evtx: EvtxReader,
    network: BTreeMap<Format, NetworkReader>,
    /// Formats of the network evidence files seen so far (`None`: not network evidence), so
    /// that `watch` tells each file's format once.
    pub formats: BTreeMap<PathBuf, Option<Format>>,
}

impl Readers {
    /// Readers with `options`' settings and the share roots the store recorded.
    pub fn new(store: &Store, options: &Options) -> Result<Self, PipelineError> {
        let mut samba = SambaParser::new(options.samba.clone());
        if let Some(text) = store.catalog().setting(SAMBA_LEARNED_ROOTS)? {
            let roots: Vec<(Option<String>, String, String)> = serde_json::from_str(&text)
                .map_err(|e| {
                    PipelineError::Config(format!("the store's {SAMBA_LEARNED_ROOTS}: {e}"))
                })?;
            samba.learn_roots(roots);
        }
        Ok(Readers {
            zeek: ZeekParser::new(),
            samba,
            evtx: EvtxReader::new(&options.evtx),
            network: BTreeMap::new(),
            formats: BTreeMap::new(),
        })
    }
}

/// [`ingest`], handing `on_batch` each batch of events once it is committed.
pub fn ingest_with(
    store: &mut Store,
    sources: &Sources,
    options: Options,
    on_file: &mut dyn FnMut(&FileOutcome),
    on_batch: &mut dyn FnMut(&[Event]),
) -> Result<Summary, PipelineError> {
    let mut readers = Readers::new(store, &options)?;
    ingest_into(store, sources, &options, &mut readers, on_file, on_batch)
}

/// [`ingest_with`] through `readers` kept by the caller (`watch` keeps them across cycles; it
/// feeds the batches to detection: an event is analysed only once it is in the lake with its
/// input's position, so a restart that replays the lake neither misses nor repeats it).
pub fn ingest_into(
    store: &mut Store,
    sources: &Sources,
    options: &Options,
    readers: &mut Readers,
    on_file: &mut dyn FnMut(&FileOutcome),
    on_batch: &mut dyn FnMut(&[Event]),
) -> Result<Summary, PipelineError> {
    let Readers {
        zeek,
        samba,
        evtx,
        network,
        ..
    } = readers;
    let mut summary = Summary::default();
    let mut events: Vec<Event> = Vec::new();
    let mut pending: Vec<InputRecord> = Vec::new();
    let files = sources
        .zeek
        .iter()
        .map(|p| (p, Format::Zeek))
        .chain(sources.samba.iter().map(|p| (p, Format::Samba)))
        .chain(sources.evtx.iter().map(|p| (p, Format::Evtx)))
        .chain(sources.network.iter().map(|(p, f)| (p, *f)));
    for (path, format) in files {
        let reader = match format {
            Format::Zeek => Reader::Lines(&mut *zeek),
            Format::Samba => Reader::Lines(&mut *samba),
            Format::Evtx => Reader::Evtx(&mut *evtx),
            other => {
                let entry = match network.entry(other) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(v) => {
                        match NetworkReader::new(other, &options.network) {
                            Some(r) => v.insert(r),
                            None => continue,
                        }
                    }
                };
                match entry {
                    NetworkReader::Lines(p) => Reader::Lines(p.as_mut()),
                    NetworkReader::Files(r) => Reader::Whole(r.as_mut()),
                }
            }
        };
        let known = Known {
            store,
            pending: std::mem::take(&mut pending),
        };
        let (outcome, known) = ingest_file(path, reader, known, &mut events)?;
        pending = known.pending;
        on_file(&outcome);
        summary.files.push(outcome);
        if events.len() >= options.batch_events {
            let settings = with_learned_roots(&options.settings, samba);
            flush(
                store,
                &mut events,
                &mut pending,
                &settings,
                &mut summary,
                on_batch,
            )?;
        }
    }
    let settings = with_learned_roots(&options.settings, samba);
    flush(
        store,
        &mut events,
        &mut pending,
        &settings,
        &mut summary,
        on_batch,
    )?;
    if options.compact {
        summary.compacted = store.compact()?.parts.len();
    }
    Ok(summary)
}

/// The settings to commit, with the share roots the Samba reader has learned so far.
fn with_learned_roots(settings: &[(String, String)], samba: &SambaParser) -> Vec<(String, String)> {
    let mut all = settings.to_vec();
    let mut roots: Vec<(Option<&str>, &str, &str)> = samba.learned_roots().collect();
    roots.sort_unstable();
    if !roots.is_empty() {
        all.push((
            SAMBA_LEARNED_ROOTS.to_owned(),
            serde_json::to_string(&roots).unwrap_or_else(|_| "[]".into()),
        ));
    }
    all
}

fn flush(
    store: &mut Store,
    events: &mut Vec<Event>,
    pending: &mut Vec<InputRecord>,
    settings: &[(String, String)],
    summary: &mut Summary,
    on_batch: &mut dyn FnMut(&[Event]),
) -> Result<(), StoreError> {
    if events.is_empty() && pending.is_empty() {
        return Ok(());
    }
    for e in events.iter() {
        *summary.per_class.entry(Class::of(e).uid()).or_default() += 1;
    }
    let written = store.write_batch(events, pending, settings)?;
    summary.parts += written.parts.len();
    on_batch(events);
    events.clear();
    pending.clear();
    Ok(())
}

/// A file with nothing new: `seen` is its content's record, `known_as` its earlier name.
fn unchanged(path: &Path, seen: &InputRecord, known_as: Option<String>) -> FileOutcome {
    FileOutcome {
        path: path.to_path_buf(),
        kind: seen.kind.clone(),
        status: Status::Unchanged,
        known_as,
        resumed_after: seen.consumed_lines,
        events: 0,
        rejected: 0,
        rejections: Vec::new(),
        error: None,
    }
}

fn failed(path: &Path, kind: &str, error: String) -> FileOutcome {
    FileOutcome {
        path: path.to_path_buf(),
        kind: kind.into(),
        status: Status::Failed,
        known_as: None,
        resumed_after: 0,
        events: 0,
        rejected: 0,
        rejections: Vec::new(),
        error: Some(error),
    }
}

fn is_gzip(path: &Path) -> io::Result<bool> {
    let mut magic = [0u8; 2];
    let mut f = open_evidence(path)?;
    let n = f.read(&mut magic)?;
    Ok(n == 2 && magic == [0x1f, 0x8b])
}

/// Ingests one file: finds its past, reads what is new, and keeps its new position pending.
fn ingest_file<'s>(
    path: &Path,
    reader: Reader<'_>,
    mut known: Known<'s>,
    events: &mut Vec<Event>,
) -> Result<(FileOutcome, Known<'s>), PipelineError> {
    let name = path.display().to_string();
    let whole =
        matches!(reader, Reader::Evtx(_) | Reader::Whole(_)) || is_gzip(path).unwrap_or(false);
    // Fast path: the same name, size and modification time as a file read to its end.
    if let Ok((size, mtime_ns)) = stat(path) {
        let same = known
            .store
            .catalog()
            .inputs_at(&name)?
            .into_iter()
            .map(|r| match known.slot_of(&r) {
                Some(slot) => known.pending[slot].clone(),
                None => r,
            })
            .find(|r| {
                r.size == size
                    && r.mtime_ns == mtime_ns
                    && r.path == name
                    && (whole || r.consumed_bytes == size)
            });
        if let Some(r) = same {
            return Ok((unchanged(path, &r, None), known));
        }
    }
    // The file's past: its content seen before, under this name or another.
    let (content, past) = if whole {
        let content = match scan_whole(path, !matches!(reader, Reader::Evtx(_))) {
            Ok(c) => c,
            Err(e) => return Ok((failed(path, "unknown", e.to_string()), known)),
        };
        if let Some(seen) = known.with_sha(&content.hash)? {
            let known_as = (seen.path != name).then(|| seen.path.clone());
            return Ok((unchanged(path, &seen, known_as), known));
        }
        // A grown EVTX file at a known path — the same first chunk, more bytes: its first
        // records are in the store. Another log exported under the same name is new.
        let past = match reader {
            Reader::Evtx(_) => known
                .store
                .catalog()
                .inputs_at(&name)?
                .into_iter()
                .filter(|r| r.kind == EVTX_KIND && r.size <= content.size)
                .filter(|r| r.head_hash == content.head_hash)
                .max_by_key(|r| r.consumed_lines)
                .map(|record| Past {
                    slot: known.slot_of(&record),
                    record,
                }),
            Reader::Lines(_) => compressed_continuation(path, &name, &known)?,
            // A capture or flow file is complete when it is read (`watch` waits for it to be
            // quiet); changed content is a new input.
            Reader::Whole(_) => None,
        };
        (content, past)
    } else {
        let head = match head_of(path, HEAD) {
            Ok((_, h)) => h,
            Err(e) => return Ok((failed(path, "unknown", e.to_string()), known)),
        };
        let candidates = known.candidates(&name, &head)?;
        let wanted: Vec<u64> = candidates.iter().map(|c| c.record.consumed_bytes).collect();
        let content = match scan_plain(path, &wanted) {
            Ok(c) => c,
            Err(e) => return Ok((failed(path, "unknown", e.to_string()), known)),
        };
        let past = candidates
            .into_iter()
            .filter(|c| {
                let r = &c.record;
                r.consumed_bytes > 0
                    && r.consumed_bytes <= content.boundary
                    && content.prefixes.get(&r.consumed_bytes) == Some(&r.consumed_hash)
            })
            .max_by_key(|c| c.record.consumed_bytes);
        (content, past)
    };
    let resume = past.as_ref().map_or(0, |p| p.record.consumed_lines);
    let slot = past.as_ref().and_then(|p| p.slot);
    let past = past.map(|p| p.record);
    if let Some(p) = &past
        && !whole
        && p.consumed_bytes == content.boundary
    {
        // Nothing new; the content may have moved.
        let outcome = unchanged(path, p, (p.path != name).then(|| p.path.clone()));
        let mut moved = p.clone();
        moved.path = name;
        moved.size = content.size;
        moved.mtime_ns = content.mtime_ns;
        known.keep(moved, slot);
        return Ok((outcome, known));
    }
    let events_before = events.len();
    let mut lines_read = 0u64;
    let mut added = 0u64;
    let mut rejected = 0u64;
    let mut rejections = Vec::new();
    let mut per_class: BTreeMap<i32, u64> = BTreeMap::new();
    let mut take = |item: Result<Event, Rejected>, number: u64| {
        if number <= resume || number > content.lines {
            return;
        }
        match item {
            Ok(e) => {
                *per_class.entry(Class::of(&e).uid()).or_default() += 1;
                added += 1;
                events.push(e);
            }
            Err(r) => {
                rejected += 1;
                if rejections.len() < REJECTIONS_KEPT {
                    rejections.push(r.to_string());
                }
            }
        }
    };
    let stats: Result<FileStats, InputError> = match reader {
        Reader::Lines(parser) => open_reader(path, parser).map(|mut r| {
            while let Some(item) = r.next() {
                let line = r.stats().lines;
                if line > content.lines {
                    break;
                }
                lines_read = line;
                take(item, line);
            }
            r.finish()
        }),
        Reader::Evtx(evtx) => {
            let mut n = 0u64;
            evtx.read_file(path, |item| {
                n += 1;
                take(item, n);
            })
        }
        Reader::Whole(reader) => {
            let mut n = 0u64;
            reader.read_file(path, &mut |item| {
                n += 1;
                take(item, n);
            })
        }
    };
    let stats = match stats {
        Ok(s) => s,
        Err(e) => return Ok((failed(path, "unknown", e.to_string()), known)),
    };
    if !whole && (lines_read < content.lines || !still_as_scanned(path, &content)) {
        // Changed while it was read: nothing kept, read again next time.
        events.truncate(events_before);
        let mut outcome = failed(
            path,
            stats.kind,
            "the file changed while it was read (rewritten or truncated): read again next time"
                .into(),
        );
        outcome.status = Status::Changed;
        return Ok((outcome, known));
    }
    let mut record = past.clone().unwrap_or_default();
    let total_read = if whole {
        stats.records + stats.rejected
    } else {
        content.lines
    };
    let mut class_totals: BTreeMap<i32, u64> =
        serde_json::from_str(&record.per_class).unwrap_or_default();
    for (k, v) in &per_class {
        *class_totals.entry(*k).or_default() += v;
    }
    record.path = name.clone();
    record.kind = stats.kind.into();
    record.size = content.size;
    record.mtime_ns = content.mtime_ns;
    record.sha256 = if whole {
        content.hash.clone()
    } else {
        stats.sha256.clone()
    };
    record.gzip = content.gzip;
    record.consumed_bytes = content.boundary;
    record.consumed_lines = total_read;
    record.consumed_hash = content.hash.clone();
    record.head_hash = content.head_hash.clone();
    record.head_len = content.head_len;
    record.records += added;
    record.rejected += rejected;
    record.per_class = serde_json::to_string(&class_totals).unwrap_or_else(|_| "{}".into());
    let outcome = FileOutcome {
        path: path.to_path_buf(),
        kind: stats.kind.into(),
        status: if past.is_some() {
            Status::Appended
        } else {
            Status::New
        },
        known_as: past
            .as_ref()
            .filter(|p| p.path != name)
            .map(|p| p.path.clone()),
        resumed_after: resume,
        events: added,
        rejected,
        rejections,
        error: stats.failure.map(|f| {
            format!(
                "reading stopped after line {} ({} records): {}",
                f.after_line, f.after_records, f.message
            )
        }),
    };
    known.keep(record, slot);
    Ok((outcome, known))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_file_rewritten_after_its_scan_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let lines: String = (0..500)
            .map(|i| format!("line {i:04} of the log\n"))
            .collect();
        std::fs::write(&path, &lines).unwrap();
        let content = scan_plain(&path, &[]).unwrap();
        assert_eq!(content.lines, 500);
        assert_eq!(content.tail.len(), 4096);
        assert!(still_as_scanned(&path, &content));
        // Appending keeps what was scanned.
        let mut grown = lines.clone();
        grown.push_str("a new line\n");
        std::fs::write(&path, &grown).unwrap();
        assert!(still_as_scanned(&path, &content));
        // A copytruncate followed by as many new lines does not.
        let other: String = (0..500)
            .map(|i| format!("LINE {i:04} of the log\n"))
            .collect();
        std::fs::write(&path, &other).unwrap();
        assert!(!still_as_scanned(&path, &content));
        // Nor does a truncation.
        std::fs::write(&path, &lines[..1000]).unwrap();
        assert!(!still_as_scanned(&path, &content));
    }
}
