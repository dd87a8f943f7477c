//! Damaged EVTX files, made in the test from a real sample: truncated at and inside chunks, bytes
//! flipped inside chunks, dirty headers. The reader never panics, every record it met is
//! accounted for (event, skipped or rejected), and the records of undamaged chunks all survive.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::Rng;

use breachscope_ingest::FileStats;
use breachscope_ingest::evtx::{EvtxConfig, EvtxReader};

const HEADER: usize = 4096;
const CHUNK: usize = 65536;

fn sample() -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/data/evtx/EVTX-ATTACK-SAMPLES/Lateral Movement/LM_5145_Remote_FileCopy.evtx",
    );
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(_) => {
            eprintln!(
                "SKIPPED: {} not found (real evidence lives beside the repository)",
                path.display()
            );
            None
        }
    }
}

/// Records in each chunk, from the chunk headers (first and last record number).
fn records_per_chunk(file: &[u8]) -> Vec<u64> {
    let mut out = Vec::new();
    let mut at = HEADER;
    while at + CHUNK <= file.len() {
        let c = &file[at..at + CHUNK];
        if c.starts_with(b"ElfChnk\0") {
            let first = u64::from_le_bytes(c[8..16].try_into().unwrap());
            let last = u64::from_le_bytes(c[16..24].try_into().unwrap());
            out.push(last - first + 1);
        } else {
            out.push(0);
        }
        at += CHUNK;
    }
    out
}

fn read(dir: &Path, name: &str, bytes: &[u8]) -> (FileStats, Vec<String>) {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut reader = EvtxReader::new(&EvtxConfig::default());
    let mut rejected = Vec::new();
    let stats = reader
        .read_file(&path, |item| {
            if let Err(r) = item {
                rejected.push(r.to_string());
            }
        })
        .unwrap();
    // Every record met is accounted for.
    assert_eq!(
        stats.records + stats.skipped + stats.rejected,
        stats.lines,
        "{name}: {stats:?}"
    );
    assert_eq!(stats.rejected as usize, rejected.len(), "{name}");
    (stats, rejected)
}

#[test]
fn truncated_files_keep_their_complete_chunks() {
    let Some(file) = sample() else { return };
    let per_chunk = records_per_chunk(&file);
    let total: u64 = per_chunk.iter().sum();
    let dir = tempfile::tempdir().unwrap();
    let (whole, _) = read(dir.path(), "whole.evtx", &file);
    assert_eq!(whole.lines, total);
    assert_eq!(whole.rejected, 0);
    // Cut at every chunk boundary: the complete chunks' records, nothing rejected.
    for k in 0..=per_chunk.len() {
        let cut = HEADER + k * CHUNK;
        let (stats, rejected) = read(dir.path(), "cut.evtx", &file[..cut.min(file.len())]);
        let want: u64 = per_chunk[..k].iter().sum();
        assert_eq!(stats.lines - stats.rejected, want, "cut after chunk {k}");
        assert!(rejected.is_empty() || k < per_chunk.len(), "{rejected:?}");
    }
    // Cut inside chunks: the complete chunks' records survive, the cut chunk's records before
    // the cut are recovered, and the truncation is reported (or, cut inside the header, the
    // file is reported unreadable).
    for cut in [
        0,
        100,
        HEADER - 1,
        HEADER + 700,
        HEADER + 3 * CHUNK + 20_000,
    ] {
        let (stats, _) = read(dir.path(), "cut.evtx", &file[..cut]);
        let complete = cut.saturating_sub(HEADER) / CHUNK;
        let want: u64 = per_chunk[..complete].iter().sum();
        if cut < HEADER {
            assert!(stats.failure.is_some(), "cut at {cut}: {stats:?}");
            assert_eq!(stats.lines, 0);
        } else {
            let read_ok = stats.lines - stats.rejected;
            assert!(read_ok >= want, "cut at {cut}: {stats:?}");
            assert!(
                read_ok < want + per_chunk[complete],
                "cut at {cut}: {stats:?}"
            );
            assert!(
                stats.notes.iter().any(|n| n.contains("truncated")),
                "cut at {cut}: {stats:?}"
            );
        }
    }
    // Records recovered from the cut chunk: a third of the way into chunk 3.
    let (stats, _) = read(dir.path(), "cut.evtx", &file[..HEADER + 3 * CHUNK + 20_000]);
    assert!(stats.lines - stats.rejected > per_chunk[..3].iter().sum::<u64>());
}

#[test]
fn flipped_bytes_inside_a_chunk_leave_the_other_chunks_whole() {
    let Some(file) = sample() else { return };
    let per_chunk = records_per_chunk(&file);
    let total: u64 = per_chunk.iter().sum();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_e47c);
    let live: Vec<usize> = (0..per_chunk.len()).filter(|&k| per_chunk[k] > 0).collect();
    for round in 0..60 {
        let k = live[(rng.next() % live.len() as u64) as usize];
        let mut bytes = file.clone();
        let flips = 1 + rng.next() % 64;
        let start = HEADER + k * CHUNK;
        for _ in 0..flips {
            // Anywhere in the chunk: its header, string and template tables, or records.
            let at = start + (rng.next() % CHUNK as u64) as usize;
            bytes[at] ^= 1 << (rng.next() % 8);
        }
        let (stats, _) = read(dir.path(), "flipped.evtx", &bytes);
        let others = total - per_chunk[k];
        assert!(
            stats.lines - stats.rejected >= others,
            "round {round}, chunk {k}, {flips} flips: {stats:?}"
        );
    }
}

#[test]
fn dirty_headers_are_read_past() {
    let Some(file) = sample() else { return };
    let total: u64 = records_per_chunk(&file).iter().sum();
    let dir = tempfile::tempdir().unwrap();
    // The header says fewer chunks than the file holds (a log not closed cleanly).
    let mut fewer = file.clone();
    fewer[42..44].copy_from_slice(&3u16.to_le_bytes());
    let (stats, _) = read(dir.path(), "fewer.evtx", &fewer);
    assert_eq!(stats.lines, total);
    // A damaged header checksum and flags.
    let mut dirty = file.clone();
    for b in &mut dirty[120..128] {
        *b ^= 0xa5;
    }
    let (stats, _) = read(dir.path(), "dirty.evtx", &dirty);
    assert_eq!(stats.lines, total);
    // Not an EVTX file at all: reported, not a panic, no records.
    let (stats, _) = read(dir.path(), "text.evtx", b"just some text, not a log\n");
    assert!(stats.failure.is_some());
    assert_eq!(stats.lines, 0);
}
