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
