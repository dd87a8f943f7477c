//! The lake's events for the two passes of an investigation.
//!
//! Detection ([`for_each_in_order`]) needs every event in the order it became observable (a
//! flow's end, every other event's time), day by day: a day's partitions of every class are
//! decoded together on a reader thread, a day ahead of the consumer, and sorted; events
//! observable only on a later day (long connections) wait for that day, so the stream is in
//! order without holding more than a few days and their carry-over. The consumer sees each
//! event by reference and hands the day back to the thread that decoded it, which frees it:
//! memory is freed where it was allocated, off the detection thread.
//!
//! Scoping ([`scope_parts`]) needs no order (it counts, and keeps first and last times): parts
//! are decoded and scoped on every core, each worker with its own [`Scoper`], merged at the
//! end.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use breachscope_model::{Event, Micros};
use breachscope_scope::Scoper;
use breachscope_store::columns::read_successful_reads;
use breachscope_store::lake::{day_start, read_flow_briefs_to, read_part_into};
use breachscope_store::{Class, PartRecord, Store, StoreError};

/// A part to read: its file, class and rows.
type PartToRead = (PathBuf, Class, u64);

/// The parts of each day, from the catalog.
fn parts_by_day(store: &Store) -> Result<BTreeMap<i32, Vec<PartToRead>>, StoreError> {
    let mut days: BTreeMap<i32, Vec<PartToRead>> = BTreeMap::new();
    for p in store.catalog().parts(None)? {
        days.entry(p.info.day).or_default().push((
            store.lake().join(&p.info.path),
            p.info.class,
            p.info.rows,
        ));
    }
    Ok(days)
}

/// The columns detection reads of each class (all when `None`): of a flow its addresses,
/// start, duration and byte counts; of a query its client, name and answers — what
/// `breachscope_detect::Engine::observe` uses. The rest (a flow's uid, the largest column, its
/// ports, states and packet counts) stays in the lake undecoded; a detector that needs
/// another field adds its column here (the report-equality tests compare the reports
/// from the lake and from the raw logs).
fn detection_columns(class: Class) -> Option<&'static [&'static str]> {
    match class {
        Class::NetworkActivity => Some(&[
            "time_us",
            "src_endpoint.ip",
            "dst_endpoint.ip",
            "traffic.bytes_out",
            "traffic.bytes_in",
            "unmapped.duration_us",
            "unmapped.ip_bytes_out",
        ]),
        Class::DnsActivity => Some(&[
            "time_us",
            "src_endpoint.ip",
            "dst_endpoint.ip",
            "query.hostname",
            "answers",
        ]),
        Class::FileSystemActivity | Class::Authentication | Class::EventLogActivity => None,
    }
}

/// Threads for decoding: one per core, at most four.
fn reader_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
}

/// Sorts events by the time they became observable, stably (equal times keep their order).
/// Events are large: the keys are sorted, and the events then moved once into place.
fn sort_observable(events: &mut [Event]) {
    let mut keys: Vec<(Micros, usize)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.observed_at(), i))
        .collect();
    if keys.is_sorted() {
        return;
    }
    keys.sort_unstable();
    let mut from: Vec<usize> = keys.into_iter().map(|(_, i)| i).collect();
    apply_permutation(events, &mut from);
}

/// Puts `from[k]`'s element at `k` for every `k`, following each cycle of the permutation with
/// swaps; `from` is used up (left as the identity).
fn apply_permutation<T>(items: &mut [T], from: &mut [usize]) {
    for start in 0..from.len() {
        let mut at = start;
        while let Some(&source) = from.get(at) {
            if let Some(slot) = from.get_mut(at) {
                *slot = at;
            }
            if source == start || source == at {
                break;
            }
            items.swap(at, source);
            at = source;
        }
    }
}

/// Reads one day's parts into `events` (empty, its memory reused) and sorts them by
/// observable time.
fn read_day(parts: &[PartToRead], events: &mut Vec<Event>) -> Result<(), StoreError> {
    // The catalog knows the rows: one allocation (none, once the buffer has grown).
    let rows: u64 = parts.iter().map(|p| p.2).sum();
    events.reserve(usize::try_from(rows).unwrap_or(0));
    for (path, class, _) in parts {
        read_part_into(path, *class, detection_columns(*class), events)?;
    }
    sort_observable(events);
    Ok(())
}

/// One day's events from a reader thread, or why it stopped.
type DayMessage = Result<(i32, Vec<Event>), StoreError>;

/// A reader thread: its days, and the channel that hands consumed days back to it.
struct Reader {
    days: Receiver<DayMessage>,
    consumed: Sender<Vec<Event>>,
    handle: JoinHandle<()>,
}

/// Decodes `mine` in order, a day ahead of the consumer, freeing the days handed back and
/// reusing their memory (fresh memory costs the kernel's zeroing of every page).
fn run_reader(
    mine: Vec<(i32, Vec<PartToRead>)>,
    days: SyncSender<DayMessage>,
    consumed: Receiver<Vec<Event>>,
) {
    let mut spare: Vec<Vec<Event>> = Vec::new();
    for (day, parts) in mine {
        let mut events = spare.pop().unwrap_or_default();
        let message = read_day(&parts, &mut events).map(|()| (day, events));
        let stop = message.is_err();
        if days.send(message).is_err() || stop {
            return;
        }
        while let Ok(mut done) = consumed.try_recv() {
            done.clear();
            if spare.len() < 2 {
                spare.push(done);
            }
        }
    }
    drop(days);
    // Free what is still handed back until the consumer is done.
    for done in consumed {
        drop(done);
    }
}

/// Calls `each` with every event of the lake in observable-time order (equal times in the
/// order the days' parts list them). The days are decoded on one reader thread per core, in
/// turn.
pub fn for_each_in_order(store: &Store, mut each: impl FnMut(&Event)) -> Result<(), StoreError> {
    let days: Vec<(i32, Vec<PartToRead>)> = parts_by_day(store)?.into_iter().collect();
    let n = reader_threads();
    let mut readers = Vec::with_capacity(n);
    for k in 0..n {
        let mine: Vec<(i32, Vec<PartToRead>)> = days.iter().skip(k).step_by(n).cloned().collect();
        let (day_tx, day_rx) = sync_channel(1);
        let (done_tx, done_rx) = channel();
        let handle = std::thread::spawn(move || run_reader(mine, day_tx, done_rx));
        readers.push(Reader {
            days: day_rx,
            consumed: done_tx,
            handle,
        });
    }
    let mut carry: Vec<Event> = Vec::new();
    let mut result = Ok(());
    // Days go round the readers in order: the first reader without a day means there are no
    // more.
    'days: for k in (0..n).cycle() {
        let Some(reader) = readers.get(k) else { break };
        match reader.days.recv() {
            Ok(Ok((day, mut events))) => {
                let next_day = day_start(day).saturating_add(86_400_000_000);
                let split = events.partition_point(|e| e.observed_at() < next_day);
                let late = events.split_off(split);
                let carry_split = carry.partition_point(|e| e.observed_at() < next_day);
                let carry_late = carry.split_off(carry_split);
                emit_merged(&carry, &events, &mut each);
                carry = merge_owned(carry_late, late);
                // A reader that has gone cannot take its day back; the day is freed here.
                let _ = reader.consumed.send(events);
            }
            Ok(Err(e)) => {
                result = Err(e);
                break 'days;
            }
            Err(_) => break 'days,
        }
    }
    carry.iter().for_each(&mut each);
    for reader in readers {
        drop(reader.days);
        drop(reader.consumed);
        let _ = reader.handle.join();
    }
    result
}

/// Calls `each` with the events of two sorted runs in observable-time order; on equal times,
/// `first`'s events come first.
fn emit_merged(first: &[Event], second: &[Event], each: &mut impl FnMut(&Event)) {
    let (mut a, mut b) = (first.iter().peekable(), second.iter().peekable());
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => x.observed_at() <= y.observed_at(),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return,
        };
        let next = if take_a { a.next() } else { b.next() };
        if let Some(e) = next {
            each(e);
        }
    }
}

/// Two sorted runs as one; on equal times, `first`'s events come first.
fn merge_owned(first: Vec<Event>, second: Vec<Event>) -> Vec<Event> {
    if first.is_empty() {
        return second;
    }
    let mut all = first;
    all.extend(second);
    all.sort_by_key(Event::observed_at);
    all
}

/// Scopes the lake's File System Activity whose parts overlap `window` (first evidence to last
/// activity over all incidents) and the flows to `external` (the incidents' addresses with a
/// role), on one worker per core; `scoper` makes each worker's empty scoper, and the workers'
/// results are merged into the returned one.
pub fn scope_parts(
    store: &Store,
    window: (Micros, Micros),
    external: &[IpAddr],
    scoper: impl Fn() -> Scoper + Sync,
) -> Result<Scoper, StoreError> {
    let overlaps = |p: &PartRecord| p.info.max_time >= window.0 && p.info.min_time <= window.1;
    let mut work: Vec<(PathBuf, Class)> = store
        .catalog()
        .parts(Some(Class::FileSystemActivity))?
        .into_iter()
        .filter(overlaps)
        .map(|p| (store.lake().join(&p.info.path), p.info.class))
        .collect();
    if !external.is_empty() {
        work.extend(
            store
                .catalog()
                .parts(Some(Class::NetworkActivity))?
                .into_iter()
                .map(|p| (store.lake().join(&p.info.path), p.info.class)),
        );
    }
    let next = AtomicUsize::new(0);
    let worker = || -> Result<Scoper, StoreError> {
        let mut mine = scoper();
        while let Some((path, class)) = work.get(next.fetch_add(1, Ordering::Relaxed)) {
            if *class == Class::NetworkActivity {
                for f in read_flow_briefs_to(path, external)? {
                    mine.observe_traffic(f.src_ip, f.dst_ip, f.end, f.bytes_out);
                }
            } else {
                for a in read_successful_reads(path)? {
                    mine.observe(&a);
                }
            }
        }
        Ok(mine)
    };
    let results: Vec<Result<Scoper, StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..reader_threads().min(work.len().max(1)))
            .map(|_| s.spawn(worker))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(StoreError::Parquet("a scoping worker panicked".into()))
                })
            })
            .collect()
    });
    let mut merged = scoper();
    for r in results {
        merged.merge(r?);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use breachscope_model::LogCleared;

    /// An event observable at `t`, told apart by `tag`.
    fn at(t: Micros, tag: &str) -> Event {
        Event::LogCleared(LogCleared {
            time: t,
            server: None,
            account: tag.into(),
            session: None,
            channel: "Security".into(),
            event_id: 1102,
        })
    }

    fn tags(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                Event::LogCleared(c) => c.account.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn permutations_put_every_item_in_place() {
        // Every permutation of five, and a long one of several cycles.
        let mut perms: Vec<Vec<usize>> = vec![vec![]];
        for n in 1..=5 {
            perms = perms
                .into_iter()
                .flat_map(|p| {
                    (0..n).map(move |k| {
                        let mut q = p.clone();
                        q.insert(k, n - 1);
                        q
                    })
                })
                .collect();
        }
        perms.push((0..1000).map(|i| (i * 7919) % 1000).collect());
        for from in perms {
            let mut items: Vec<usize> = (0..from.len()).map(|i| i * 10).collect();
            let want: Vec<usize> = from.iter().map(|&i| i * 10).collect();
            apply_permutation(&mut items, &mut from.clone());
            assert_eq!(items, want, "{from:?}");
        }
    }

    #[test]
    fn days_sort_stably_by_observable_time() {
        let mut day = vec![at(5, "a"), at(3, "b"), at(5, "c"), at(1, "d"), at(3, "e")];
        sort_observable(&mut day);
        assert_eq!(tags(&day), ["d", "b", "e", "a", "c"]);
    }

    #[test]
    fn carried_events_come_first_on_equal_times() {
        let carry = [at(2, "carry2"), at(4, "carry4")];
        let day = [at(1, "day1"), at(2, "day2"), at(4, "day4"), at(9, "day9")];
        let mut seen = Vec::new();
        emit_merged(&carry, &day, &mut |e| seen.push(e.clone()));
        assert_eq!(
            tags(&seen),
            ["day1", "carry2", "day2", "carry4", "day4", "day9"]
        );
        let merged = merge_owned(vec![at(7, "old7")], vec![at(3, "new3"), at(7, "new7")]);
        assert_eq!(tags(&merged), ["new3", "old7", "new7"]);
    }
}
