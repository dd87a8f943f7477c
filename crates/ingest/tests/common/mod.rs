//! Helpers shared by the mutation tests (included with `mod common;`).

#![allow(dead_code)]

/// A small deterministic generator for mutations (xorshift64). `simulate::Rng` is not used:
/// `simulate` dev-depends on this crate, so this crate cannot dev-depend on it.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A folder of the real evidence beside the repository (`../shared/data/<sub>`), or `None` with
/// the reason printed: a clone without it skips the tests on real evidence, never fails them.
pub fn shared_data(sub: &str) -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} not found (real evidence lives beside the repository)",
            dir.display()
        );
        None
    }
}

/// `input` with one to eight random edits: a byte changed, the text cut, one of `inserts`
/// inserted, a span deleted, a span copied elsewhere, or `garbage` appended.
pub fn mutate(rng: &mut Rng, input: &[u8], inserts: &[u8], garbage: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(8) {
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v.truncate(i);
            }
            2 if !inserts.is_empty() => {
                let i = rng.below(v.len() + 1);
                v.insert(i, inserts[rng.below(inserts.len())]);
            }
            3 if v.len() > 2 => {
                let a = rng.below(v.len());
                let b = (a + rng.below(40)).min(v.len());
                v.drain(a..b);
            }
            4 if !v.is_empty() => {
                let a = rng.below(v.len());
                let b = (a + rng.below(60)).min(v.len());
                let chunk = v[a..b].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, chunk);
            }
            _ => v.extend_from_slice(garbage),
        }
    }
    v
}

/// Reads `bytes` as a file through `parser` and checks that every line is accounted for (an
/// event, a rejection with its line and reason, or a skip); returns the events.
pub fn read_all_lines<P: breachscope_ingest::LineParser>(parser: &mut P, bytes: &[u8]) -> u64 {
    use std::io::Write;
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    let mut reader = breachscope_ingest::open_reader(file.path(), parser).unwrap();
    let (mut ok, mut bad) = (0u64, 0u64);
    for item in reader.by_ref() {
        match item {
            Ok(_) => ok += 1,
            Err(r) => {
                assert!(r.location.line >= 1);
                assert!(!r.reason.is_empty());
                bad += 1;
            }
        }
    }
    let stats = reader.finish();
    assert_eq!((stats.records, stats.rejected), (ok, bad));
    assert_eq!(
        stats.records + stats.rejected + stats.skipped,
        stats.lines,
        "every line accounted for"
    );
    ok
}
