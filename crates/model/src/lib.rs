//! The normalised evidence model shared by every breachscope crate.
//!
//! Evidence readers (`breachscope-ingest`) turn bytes into [`Event`]s; the detectors, the scoping
//! stage and the report writers only ever see these types. This crate does no I/O.
//!
//! * [`time`]: all times are [`Micros`], `i64` microseconds since the Unix epoch, UTC.
//! * [`zone`]: time zones by name (`Asia/Tokyo`, `UTC`, `+09:00`) and local-time display.
//! * [`net`]: canonical IP addresses, CIDR blocks and the internal-network set.
//! * [`account`]: account-name normalisation (`corp\k.tanaka`).
//! * [`event`]: the events themselves (network flows, DNS queries, file accesses, authentications).

pub mod account;
pub mod categories;
pub mod event;
pub mod identifiers;
pub mod net;
pub mod time;
pub mod windows;
pub mod zone;

pub use account::normalize_account;
pub use event::{
    AuthAction, Authentication, DnsQuery, Event, FileAccess, FileAction, Flow, LogCleared, Outcome,
    Transport,
};
pub use net::{Cidr, CidrError, InternalNetworks, canonical_ip};
pub use time::Micros;

/// Lower-case hex of `bytes` (SHA-256 digests, keyed hashes).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
