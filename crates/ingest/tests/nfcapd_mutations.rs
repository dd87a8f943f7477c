//! Damaged nfcapd files never panic the reader, and its counts add up: every prefix of the real
//! files, and random byte flips, overwrites and cuts of them under every compression (the
//! reference files, uncompressed; nfdump's own LZO, bzip2 and LZ4 copies when nfdump is
//! installed; a zstd copy; nfdump 1.6's layout-1 files and nfdump 1.7.8's zstd files). A cheap, deterministic cousin of `fuzz/fuzz_targets/nfcapd.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Rng;
use sha2::Digest;

use breachscope_ingest::nfcapd::NfcapdReader;
use breachscope_ingest::record::Unit;

fn vectors() -> Option<PathBuf> {
    common::shared_data("netflow")
}

/// The reference files, and nfdump's compressed copies of them when it is installed.
fn samples(dir: &Path, tmp: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nfcapd"))
        .collect();
    files.sort();
    let nfdump = Command::new("nfdump")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !nfdump {
        eprintln!("note: nfdump is not installed: only uncompressed and zstd files are mutated");
    }
    // nfdump 1.6's layout-1 files and nfdump 1.7.8's zstd and LZ4 HC ones, where they are
    // (derived from third-party traces: kept out of the repository, see tests/nfcapd.rs).
    let root = std::env::var_os("BREACHSCOPE_NFCAPD_FIXTURES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench-out/nfcapd-fixtures")
        });
    for version in ["1.6", "1.7.8"] {
        let fixtures = root.join(format!("nfcapd-{version}"));
        let Ok(entries) = std::fs::read_dir(&fixtures) else {
            eprintln!("note: {} not found: not mutated", fixtures.display());
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|e| e == "nfcapd") {
                let name = format!("{version} {}", p.file_name().unwrap().to_string_lossy());
                out.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&f).unwrap();
        out.push((format!("{name} zstd"), zstd_copy(&bytes)));
        out.push((name.clone(), bytes));
        if nfdump {
            for flag in ["-z", "-j", "-y"] {
                let w = tmp.join(format!("{name}{flag}"));
                let ok = Command::new("nfdump")
                    .args(["-r", f.to_str().unwrap(), flag, "-w", w.to_str().unwrap()])
                    .output()
                    .unwrap()
                    .status
                    .success();
                assert!(ok, "nfdump {flag} {name}");
                out.push((format!("{name} {flag}"), std::fs::read(&w).unwrap()));
            }
        }
    }
    out
}

/// The same file with its blocks zstd-compressed.
fn zstd_copy(plain: &[u8]) -> Vec<u8> {
    let mut out = plain[..40].to_vec();
    out[16] = 4;
    let mut at = 40;
    while at + 12 <= plain.len() {
        let size = u32::from_le_bytes(plain[at + 4..at + 8].try_into().unwrap()) as usize;
        let packed = zstd::bulk::compress(&plain[at + 12..at + 12 + size], 3).unwrap();
        out.extend_from_slice(&plain[at..at + 4]);
        out.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        out.extend_from_slice(&plain[at + 8..at + 12]);
        out.extend_from_slice(&packed);
        at += 12 + size;
    }
    out
}

/// Reads `bytes` as a file; checks the counts add up. Returns the records read (`None`: the
/// header was refused).
fn check(what: &str, bytes: &[u8]) -> Option<u64> {
    let source = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let mut reader =
        NfcapdReader::from_read(source, bytes.len() as u64, Path::new("mutated")).ok()?;
    let (mut ok, mut bad) = (0u64, 0u64);
    for item in reader.by_ref() {
        match item {
            Ok(_) => ok += 1,
            Err(e) => {
                bad += 1;
                assert_eq!(e.location.unit, Unit::Offset, "{what}");
                assert!(e.location.line <= bytes.len() as u64, "{what}: {e:?}");
            }
        }
    }
    let stats = reader.finish();
    assert_eq!(stats.records, ok, "{what}");
    assert_eq!(stats.rejected, bad, "{what}");
    assert!(
        stats.records + stats.skipped <= stats.lines,
        "{what}: {stats:?}"
    );
    assert_eq!(stats.bytes, bytes.len() as u64, "{what}");
    assert_eq!(
        stats.sha256,
        breachscope_model::hex(&sha2::Sha256::digest(bytes)),
        "{what}"
    );
    Some(ok)
}

#[test]
fn every_prefix_of_the_real_files() {
    let Some(dir) = vectors() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (name, bytes) in samples(&dir, tmp.path()) {
        let full = check(&name, &bytes).unwrap();
        for len in 0..bytes.len() {
            if let Some(n) = check(&format!("{name}[..{len}]"), &bytes[..len]) {
                assert!(n <= full, "{name}[..{len}]");
            }
            checked += 1;
        }
    }
    println!("{checked} prefixes read");
}

#[test]
fn random_damage_never_panics() {
    let Some(dir) = vectors() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut runs = 0;
    for (name, bytes) in samples(&dir, tmp.path()) {
        for i in 0..1000 {
            let mut v = bytes.clone();
            for _ in 0..1 + rng.below(6) {
                // Leave the header alone most of the time, so the blocks get damaged.
                let at = if rng.below(8) == 0 {
                    rng.below(v.len())
                } else {
                    40 + rng.below(v.len() - 40)
                };
                match rng.below(5) {
                    0 => v[at] = rng.next() as u8,
                    1 => v[at] ^= 1 << rng.below(8),
                    2 => {
                        let end = (at + 2).min(v.len());
                        let x = [0u8, 0xff, 0x7f, 0x80][rng.below(4)];
                        v[at..end].iter_mut().for_each(|b| *b = x);
                    }
                    3 => v.truncate(at.max(1)),
                    _ => {
                        let end = (at + 1 + rng.below(16)).min(v.len());
                        v.drain(at..end);
                    }
                }
                if v.len() <= 41 {
                    break;
                }
            }
            check(&format!("{name} mutation {i}"), &v);
            runs += 1;
        }
    }
    println!("{runs} damaged files read");
}
