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
use breachscope_store::lake::{day_start, read_part};
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
    days: Option<Receiver<DayMessage>>,
    reader: Option<JoinHandle<()>>,
    ready: VecDeque<Event>,
    carry: Vec<Event>,
    /// The first error met; the stream ends there.
    pub error: Option<StoreError>,
}

impl LakeEvents {
    /// A stream over every day the lake holds.
    pub fn new(store: &Store) -> Result<Self, StoreError> {
        let days = parts_by_day(store, None)?;
        let (tx, rx) = sync_channel(2);
        let reader = std::thread::spawn(move || {
            for (day, parts) in days {
                let mut events = Vec::new();
                let mut failed = None;
                for (path, class) in &parts {
                    match read_part(path, *class) {
                        Ok(e) => events.extend(e),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                let message = match failed {
                    Some(e) => Err(e),
                    None => {
                        // Stable: within one time, the order the events were stored in.
                        events.sort_by_key(Event::observed_at);
                        Ok((day, events))
                    }
                };
                let stop = message.is_err();
                if tx.send(message).is_err() || stop {
                    return;
                }
            }
        });
        Ok(LakeEvents {
            days: Some(rx),
            reader: Some(reader),
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
            match self.days.as_ref().map(Receiver::recv) {
                Some(Ok(Ok((day, events)))) => self.take_day(day, events),
                Some(Ok(Err(e))) => {
                    self.error = Some(e);
                    self.days = None;
                    return None;
                }
                Some(Err(_)) | None => {
                    self.days = None;
                    if let Some(r) = self.reader.take() {
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
