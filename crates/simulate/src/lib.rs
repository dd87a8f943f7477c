//! The breachscope scenario simulator.
//!
//! A deterministic (seeded) simulation of a company over months — office hours, holidays,
//! vacations, web and SaaS traffic, DNS, file-server sessions — with one intrusion modelled on a
//! months-long file-server theft (beaconing, night-time reading of unfamiliar shares, matching
//! uploads, a final spike) and benign traps. Everything is written in the formats production
//! systems write (zeekctl's archive of gzip conn/dns logs, rsyslog files of Samba audit
//! records, share copies with CSV/XLSX/DOCX/text/source files holding planted personal data),
//! and [`Truth`] is computed from what was written.
//!
//! The simulator is for demos and tests; the product path never uses it.

pub mod activity;
pub mod calendar;
pub mod company;
pub mod content;
pub mod firewall;
pub mod logs;
pub mod ooxml;
pub mod pii;
pub mod rnd;
pub mod rng;
pub mod scenario;
pub mod truth;
pub mod zeek_smb;

mod generate;

use std::path::{Path, PathBuf};

pub use generate::{Outputs, Progress, generate, generate_with};
pub use scenario::Scenario;
pub use truth::Truth;

/// Why a simulation could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// The scenario file is invalid.
    #[error("scenario: {0}")]
    Scenario(String),
    /// Writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Encoding output failed.
    #[error("writing output: {0}")]
    Write(String),
}

impl SimulateError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        SimulateError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
