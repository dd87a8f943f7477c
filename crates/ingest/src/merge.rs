//! Reading many files as time-ordered event streams.
//!
//! [`FileSequence`] reads a list of files in order with one parser (one file's events buffered
//! at a time: an hourly or daily log), keeping each file's counts and its first rejected
//! records. [`TimeOrderedMerge`] merges several such streams by the time events became
//! observable, with a bounded reorder window: each source is read ahead until it is past the
//! earliest buffered event plus the window, so disorder within a source up to the window is
//! repaired; an event later than that is still delivered (never dropped) and counted as late.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::path::PathBuf;

use breachscope_model::{Event, Micros};

use crate::evtx::EvtxReader;
use crate::record::{FileReader, LineParser, Rejected};
use crate::{FileStats, InputError, open_reader};

/// How many rejected records of each file are kept for reporting.
pub const REJECT_SAMPLES_PER_FILE: usize = 20;

/// What reads a sequence's files.
enum SequenceReader {
    /// A line-based format.
    Lines(Box<dyn LineParser + Send>),
    /// A format read a whole file at a time (EVTX, packet captures, nfdump files).
    Files(Box<dyn FileReader + Send>),
}

/// Files read one after the other with one parser.
pub struct FileSequence {
    paths: VecDeque<PathBuf>,
    reader: SequenceReader,
    buffer: VecDeque<Event>,
    /// Counts of every file read so far.
    pub stats: Vec<FileStats>,
    /// The first rejected records of each file.
    pub rejected_samples: Vec<Rejected>,
    /// Files that could not be opened.
    pub errors: Vec<InputError>,
}

impl FileSequence {
    /// A sequence over `paths` (read in the given order).
    pub fn new(paths: Vec<PathBuf>, parser: Box<dyn LineParser + Send>) -> Self {
        FileSequence {
            paths: paths.into(),
            reader: SequenceReader::Lines(parser),
            buffer: VecDeque::new(),
            stats: Vec::new(),
            rejected_samples: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// A sequence of EVTX files (read in the given order) with one reader, which keeps logon
    /// sessions and handles from one file to the next.
    pub fn evtx(paths: Vec<PathBuf>, reader: EvtxReader) -> Self {
        FileSequence {
            paths: paths.into(),
            reader: SequenceReader::Files(Box::new(reader)),
            buffer: VecDeque::new(),
            stats: Vec::new(),
            rejected_samples: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// A sequence of files of a format read a whole file at a time, with one reader.
    pub fn files(paths: Vec<PathBuf>, reader: Box<dyn FileReader + Send>) -> Self {
        FileSequence {
            paths: paths.into(),
            reader: SequenceReader::Files(reader),
            buffer: VecDeque::new(),
            stats: Vec::new(),
            rejected_samples: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn load_next_file(&mut self) -> bool {
        while let Some(path) = self.paths.pop_front() {
            let mut kept = 0;
            let buffer = &mut self.buffer;
            let samples = &mut self.rejected_samples;
            let mut take = |item: Result<Event, Rejected>| match item {
                Ok(e) => buffer.push_back(e),
                Err(r) => {
                    if kept < REJECT_SAMPLES_PER_FILE {
                        samples.push(r);
                        kept += 1;
                    }
                }
            };
            let stats = match &mut self.reader {
                SequenceReader::Lines(parser) => {
                    open_reader(&path, parser.as_mut()).map(|mut reader| {
                        for item in reader.by_ref() {
                            take(item);
                        }
                        reader.finish()
                    })
                }
                SequenceReader::Files(reader) => reader.read_file(&path, &mut take),
            };
            match stats {
                Ok(stats) => {
                    self.stats.push(stats);
                    if !self.buffer.is_empty() {
                        return true;
                    }
                }
                Err(e) => self.errors.push(e),
            }
        }
        false
    }
}

impl Iterator for FileSequence {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if self.buffer.is_empty() && !self.load_next_file() {
            return None;
        }
        self.buffer.pop_front()
    }
}

/// An event waiting in the merge, ordered by (time, arrival). Boxed so that the heap moves a
/// pointer, not the event.
struct Pending {
    time: Micros,
    seq: u64,
    event: Box<Event>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

/// A [`FileSequence`] read on its own thread, handing events over in batches through a bounded
/// channel: decompression and parsing run in parallel with whatever consumes the events.
pub struct ThreadedSource {
    receiver: std::sync::mpsc::Receiver<Vec<Event>>,
    current: std::vec::IntoIter<Event>,
    handle: Option<std::thread::JoinHandle<FileSequence>>,
}

impl ThreadedSource {
    /// Starts reading `sequence` on a new thread, `batch` events at a time.
    pub fn spawn(mut sequence: FileSequence, batch: usize) -> std::io::Result<Self> {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Event>>(8);
        let handle = std::thread::Builder::new()
            .name("evidence-reader".into())
            .spawn(move || {
                let mut buffer = Vec::with_capacity(batch);
                for event in sequence.by_ref() {
                    buffer.push(event);
                    if buffer.len() >= batch
                        && sender
                            .send(std::mem::replace(&mut buffer, Vec::with_capacity(batch)))
                            .is_err()
                    {
                        return sequence;
                    }
                }
                if !buffer.is_empty() {
                    let _ = sender.send(buffer);
                }
                sequence
            })?;
        Ok(ThreadedSource {
            receiver,
            current: Vec::new().into_iter(),
            handle: Some(handle),
        })
    }

    /// Waits for the reading thread and returns the sequence with its counts. `None` if the
    /// thread panicked.
    pub fn finish(mut self) -> Option<FileSequence> {
        // Drain what is left so the reader is not blocked on a full channel.
        while self.receiver.recv().is_ok() {}
        self.handle.take().and_then(|h| h.join().ok())
    }
}

impl Iterator for ThreadedSource {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.current.next() {
                return Some(e);
            }
            match self.receiver.recv() {
                Ok(batch) => self.current = batch.into_iter(),
                Err(_) => return None,
            }
        }
    }
}

/// Merges sources by observable time with a reorder window.
pub struct TimeOrderedMerge<S: Iterator<Item = Event>> {
    sources: Vec<S>,
    last_pulled: Vec<Option<Micros>>,
    exhausted: Vec<bool>,
    heap: BinaryHeap<Reverse<Pending>>,
    seq: u64,
    window: Micros,
    last_emitted: Micros,
    /// Events delivered after a later one (disorder beyond the window).
    pub late: u64,
}

impl<S: Iterator<Item = Event>> TimeOrderedMerge<S> {
    /// Merges `sources` with a reorder window of `window` microseconds.
    pub fn new(sources: Vec<S>, window: Micros) -> Self {
        let n = sources.len();
        TimeOrderedMerge {
            sources,
            last_pulled: vec![None; n],
            exhausted: vec![false; n],
            heap: BinaryHeap::new(),
            seq: 0,
            window,
            last_emitted: Micros::MIN,
            late: 0,
        }
    }

    /// The sources (for their counts once the merge is done).
    pub fn into_sources(self) -> Vec<S> {
        self.sources
    }

    fn pull(&mut self, i: usize) {
        match self.sources[i].next() {
            Some(e) => {
                let t = e.observed_at();
                self.last_pulled[i] = Some(self.last_pulled[i].map_or(t, |l| l.max(t)));
                self.heap.push(Reverse(Pending {
                    time: t,
                    seq: self.seq,
                    event: Box::new(e),
                }));
                self.seq += 1;
            }
            None => self.exhausted[i] = true,
        }
    }
}

impl<S: Iterator<Item = Event>> Iterator for TimeOrderedMerge<S> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            let frontier = self.heap.peek().map(|Reverse(p)| p.time);
            let mut pulled = false;
            for i in 0..self.sources.len() {
                if self.exhausted[i] {
                    continue;
                }
                let lagging = match (frontier, self.last_pulled[i]) {
                    (None, _) | (_, None) => true,
                    (Some(f), Some(l)) => l <= f.saturating_add(self.window),
                };
                if lagging {
                    self.pull(i);
                    pulled = true;
                }
            }
            if !pulled {
                break;
            }
        }
        let Reverse(Pending { time, event, .. }) = self.heap.pop()?;
        if time < self.last_emitted {
            self.late += 1;
        } else {
            self.last_emitted = time;
        }
        Some(*event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use breachscope_model::{DnsQuery, Transport};

    fn ev(t: Micros) -> Event {
        Event::Dns(DnsQuery {
            time: t,
            uid: None,
            src_ip: "10.0.0.1".parse().unwrap(),
            src_port: 1,
            dst_ip: "10.0.0.2".parse().unwrap(),
            dst_port: 53,
            transport: Transport::Udp,
            query: None,
            qtype: None,
            rcode: None,
            answers: vec![],
            rtt: None,
        })
    }

    #[test]
    fn merges_in_time_order_and_repairs_small_disorder() {
        let a = vec![ev(1), ev(5), ev(4), ev(9)];
        let b = vec![ev(2), ev(3), ev(8)];
        let c = vec![ev(7), ev(0), ev(100)];
        let mut m = TimeOrderedMerge::new(vec![a.into_iter(), b.into_iter(), c.into_iter()], 10);
        let times: Vec<Micros> = m.by_ref().map(|e| e.observed_at()).collect();
        assert_eq!(times, vec![0, 1, 2, 3, 4, 5, 7, 8, 9, 100]);
        assert_eq!(m.late, 0);
        // Disorder beyond the window is delivered late, not dropped.
        let d = vec![ev(1000), ev(1)];
        let e = vec![ev(500)];
        let mut m = TimeOrderedMerge::new(vec![d.into_iter(), e.into_iter()], 10);
        let times: Vec<Micros> = m.by_ref().map(|e| e.observed_at()).collect();
        assert_eq!(times.len(), 3);
        assert_eq!(m.late, 1);
    }
}
