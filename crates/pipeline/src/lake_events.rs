//! The lake's events in the order detection consumes them: by the time each became observable
//! (a flow's end, every other event's time), day by day. A day's partitions of every class are
//! read together (on a reader thread, a day ahead of the consumer) and sorted; events
//! observable only on a later day (long connections) wait for that day, so the stream is in
//! order without holding more than a few days and their carry-over.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use breachscope_model::Event;
use breachscope_store::lake::{FlowBrief, day_start, read_flow_briefs, read_part};
use breachscope_store::{Class, Store, StoreError};

/// The parts of each day, from the catalog.
fn parts_by_day(
    store: &Store,
    class: Option<Class>,
) -> Result<BTreeMap<i32, Vec<(PathBuf, Class)>>, StoreError> {
    let mut days: BTreeMap<i32, Vec<(PathBuf, Class)>> = BTreeMap::new();
    for p in store.catalog().parts(class)? {
        days.entry(p.info.day)
            .or_default()
            .push((store.lake().join(&p.info.path), p.info.class));
    }
    Ok(days)
}

/// One day's events from the reader thread, or why it stopped.
type DayMessage = Result<(i32, Vec<Event>), StoreError>;

/// Events of the whole lake, in observable-time order.
pub struct LakeEvents {
    /// One channel per reader thread; day `i` comes from reader `i % readers`.
    days: Vec<Receiver<DayMessage>>,
    next_reader: usize,
    readers: Vec<JoinHandle<()>>,
    ready: VecDeque<Event>,
    carry: Vec<Event>,
    /// The first error met; the stream ends there.
    pub error: Option<StoreError>,
}

/// Reads and sorts one day's parts.
fn read_day(parts: &[(PathBuf, Class)]) -> Result<Vec<Event>, StoreError> {
    let mut events = Vec::new();
    for (path, class) in parts {
        events.extend(read_part(path, *class)?);
    }
    // Stable: within one time, the order the events were stored in.
    events.sort_by_key(Event::observed_at);
    Ok(events)
}

impl LakeEvents {
    /// A stream over every day the lake holds: the days are decoded on one reader thread per
    /// core, in turn, each a day or two ahead of the consumer.
    pub fn new(store: &Store) -> Result<Self, StoreError> {
        let days: Vec<(i32, Vec<(PathBuf, Class)>)> =
            parts_by_day(store, None)?.into_iter().collect();
        let n = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let mut channels = Vec::with_capacity(n);
        let mut readers = Vec::with_capacity(n);
        for k in 0..n {
            let mine: Vec<(i32, Vec<(PathBuf, Class)>)> =
                days.iter().skip(k).step_by(n).cloned().collect();
            let (tx, rx) = sync_channel(1);
            channels.push(rx);
            readers.push(std::thread::spawn(move || {
                for (day, parts) in mine {
                    let message = read_day(&parts).map(|events| (day, events));
                    let stop = message.is_err();
                    if tx.send(message).is_err() || stop {
                        return;
                    }
                }
            }));
        }
        Ok(LakeEvents {
            days: channels,
            next_reader: 0,
            readers,
            ready: VecDeque::new(),
            carry: Vec::new(),
            error: None,
        })
    }

    /// Takes a day's events (sorted): the carried-over events join them; those observable
    /// after the day wait.
    fn take_day(&mut self, day: i32, events: Vec<Event>) {
        let mut events = if self.carry.is_empty() {
            events
        } else {
            let mut all = std::mem::take(&mut self.carry);
            all.extend(events);
            all.sort_by_key(Event::observed_at);
            all
        };
        let next_day = day_start(day).saturating_add(86_400_000_000);
        let split = events.partition_point(|e| e.observed_at() < next_day);
        self.carry = events.split_off(split);
        self.ready.extend(events);
    }
}

impl Iterator for LakeEvents {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        while self.ready.is_empty() {
            let received = self.days.get(self.next_reader).map(Receiver::recv);
            self.next_reader = (self.next_reader + 1) % self.days.len().max(1);
            match received {
                Some(Ok(Ok((day, events)))) => self.take_day(day, events),
                Some(Ok(Err(e))) => {
                    self.error = Some(e);
                    self.days.clear();
                    return None;
                }
                Some(Err(_)) | None => {
                    // The readers are done (days go round the readers in order, so the first
                    // one without a day means there are no more).
                    self.days.clear();
                    for r in self.readers.drain(..) {
                        let _ = r.join();
                    }
                    if self.carry.is_empty() {
                        return None;
                    }
                    self.ready.extend(std::mem::take(&mut self.carry));
                }
            }
        }
        self.ready.pop_front()
    }
}

/// Calls `each` with every event of `class`, day by day (each day sorted by time).
pub fn for_each_in_class(
    store: &Store,
    class: Class,
    mut each: impl FnMut(&Event),
) -> Result<(), StoreError> {
    for (_, parts) in parts_by_day(store, Some(class))? {
        let mut events = Vec::new();
        for (path, class) in parts {
            events.extend(read_part(&path, class)?);
        }
        events.sort_by_key(Event::time);
        events.iter().for_each(&mut each);
    }
    Ok(())
}

/// Calls `each` with every flow of the lake reduced to its addresses, end and bytes out (the
/// traffic timelines' needs; reads five columns instead of the whole rows).
pub fn for_each_flow_brief(
    store: &Store,
    mut each: impl FnMut(&FlowBrief),
) -> Result<(), StoreError> {
    for (_, parts) in parts_by_day(store, Some(Class::NetworkActivity))? {
        for (path, _) in parts {
            read_flow_briefs(&path)?.iter().for_each(&mut each);
        }
    }
    Ok(())
}
