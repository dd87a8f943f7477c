//! What a reader makes of one line: an event, a skip, or a rejection with its location.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use breachscope_model::Event;

/// Where a record came from: the file and its 1-based line number (text logs), or the record or
/// chunk number (EVTX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as given or found under a given directory.
    pub path: Arc<PathBuf>,
    /// 1-based line number in the (decompressed) file, or the number [`Location::unit`] says.
    pub line: u64,
    /// What [`Location::line`] counts.
    pub unit: Unit,
}

/// What a [`Location`]'s number counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A 1-based line of a text log.
    Line,
    /// An EVTX record's `EventRecordID`.
    Record,
    /// An EVTX chunk's 0-based number in the file.
    Chunk,
    /// A byte offset in the file.
    Offset,
    /// The file as a whole (no finer place is known).
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match self.unit {
            Unit::Line => write!(f, "{path}:{}", self.line),
            Unit::Record => write!(f, "{path}: record {}", self.line),
            Unit::Chunk => write!(f, "{path}: chunk {}", self.line),
            Unit::Offset => write!(f, "{path}: offset {}", self.line),
            Unit::File => write!(f, "{path}"),
        }
    }
}

/// A line that could not be turned into an event, with the reason.
///
/// Reasons never quote the offending line's content (it may hold personal data); they name the
/// field and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Where the line is.
    pub location: Location,
    /// Why it was rejected.
    pub reason: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// What a [`LineParser`] made of one line.
#[derive(Debug)]
pub enum LineOutcome {
    /// The line is a record and became this event.
    Event(Box<Event>),
    /// The line is not a record: a header, a comment, a blank line, another program's message.
    Skipped,
    /// The line should have been a record but could not be parsed.
    Rejected(String),
}

/// A format's line-level parser. It may keep state between lines (headers, sessions).
pub trait LineParser {
    /// Called before the first line of each file, with the file's modification time. Parsers
    /// reset per-file state here (headers, counters) and keep what carries over between files.
    fn begin_file(&mut self, _mtime: Option<std::time::SystemTime>) {}

    /// Parses one line (without its line terminator, invalid UTF-8 already replaced). `line_no` is 1-based.
    fn parse_line(&mut self, line: &str, line_no: u64) -> LineOutcome;

    /// Things the reader should tell the user about this file that are not rejections (records
    /// accepted with a caveat, lines skipped for a reason worth knowing).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// The summary kind of what this parser has read so far (`zeek_conn`, `samba_audit`, …).
    fn kind(&self) -> &'static str;
}

/// A reader of a format read a whole file at a time (EVTX, packet captures, nfdump files),
/// keeping what it learns from one file to the next.
pub trait FileReader {
    /// Reads one file, handing each event (`Ok`) and each rejected record (`Err`) to `sink` in
    /// order, and returns the file's counts.
    fn read_file(
        &mut self,
        path: &std::path::Path,
        sink: &mut dyn FnMut(Result<Event, Rejected>),
    ) -> Result<crate::FileStats, crate::InputError>;
}
