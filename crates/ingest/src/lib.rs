//! Evidence readers for breachscope.
//!
//! One module per format turns bytes into [`breachscope_model::Event`]s:
//!
//! * [`zeek`]: Zeek `conn.log` and `dns.log`, TSV (driven by the file's own `#fields` header) or
//!   JSON lines;
//! * [`evtx`]: Windows Security event logs (`.evtx`): logons, share and file access, object
//!   access linked to its logon session, audit log clearing;
//! * [`samba`]: Samba `vfs_full_audit` records through rsyslog (RFC 3339, RFC 3164, RFC 5424) or
//!   smbd's own debug log, and Samba's `auth_json_audit` authentication records;
//! * [`netflow`]: NetFlow v5, v9 and IPFIX export datagrams (templates per exporter and
//!   domain, sampling) into flow records, and a connection's two directions paired into one
//!   flow; [`pcap`] gives it the datagrams of captured exports;
//! * [`firewall`]: firewall and proxy logs as flows: Palo Alto PAN-OS TRAFFIC logs (syslog CSV),
//!   FortiGate traffic logs (`key=value`), Cisco ASA/FTD connection built/teardown messages and
//!   Squid's native `access.log`, each with or without a syslog header;
//! * [`nfcapd`]: nfdump's flow archives (`nfcapd.*`, layout 2 of nfdump 1.7 and layout 1 of
//!   1.6, every block compression), read natively into the same flow records and paired the
//!   same way;
//! * [`syslog_framing`]: syslog messages out of TCP streams (octet counting or one per line)
//!   and UDP datagrams, for the Samba reader; [`syslog_listen`] receives them (UDP, TCP).
//!
//! The text formats work line by line through a [`LineParser`]; [`EvidenceReader`] drives one over
//! a file (plain or gzip, opened read-only without touching its access time, hashed as it is
//! read) and yields events and [`Rejected`] records. EVTX, a binary format of chunks, has its own
//! reader ([`evtx::EvtxReader`]) with the same counts and rejections. Nothing is dropped
//! silently: every line or record is an event, a counted skip (headers, other programs' lines,
//! unmapped event ids) or a rejection with its location.
//! [`sniff`] detects the format from the content, and [`input::expand_paths`] walks directories
//! (including zeekctl's `YYYY-MM-DD/conn.HH:MM:SS-HH:MM:SS.log.gz` archive layout).
//! [`zone`] infers the office's time zone from the UTC offsets the evidence states, with a
//! bounded pre-pass over the first lines of a spread of files.

pub mod evtx;
pub mod firewall;
pub mod input;
pub mod netflow;
pub mod network;
pub mod nfcapd;
pub mod pcap;
pub mod record;
pub mod samba;
pub mod sniff;
pub mod syslog_framing;
pub mod syslog_listen;
pub mod timefmt;
pub mod zeek;
pub mod zone;

pub mod merge;
mod reader;

pub use input::{InputError, expand_paths};
pub use reader::{EvidenceReader, FileStats, ReadFailure, open_reader};
pub use record::{FileReader, LineOutcome, LineParser, Location, Rejected};
pub use sniff::{Format, Kind, sniff_path};
