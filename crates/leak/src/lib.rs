//! Leak attribution for breachscope (issue 17, in progress): is a leaked dump ours, from which
//! files and records?
//!
//! What is here so far are the fingerprinting primitives the share index and the dump matcher
//! will share:
//!
//! * [`text`]: text normalised as matching compares it (NFKC width folding, lower case,
//!   collapsed whitespace);
//! * [`winnow`]: winnowed k-gram fingerprints of normalised text, with the guarantee that a
//!   shared passage of `k + w - 1` characters is found;
//! * [`cdc`]: content-defined chunks (FastCDC with normalised chunking) of raw bytes, stable
//!   under insertions and copies into larger files.
//!
//! The index (`breachscope index`), its keyed hashes, table-row keys, canary records and the
//! `leakcheck` command come next; see the issue.

pub mod cdc;
pub mod text;
pub mod winnow;
