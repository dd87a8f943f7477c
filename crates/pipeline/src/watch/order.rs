//! Event time, live: a watermark per source and the events held until every active source has
//! passed them.
//!
//! Each source (a class of file evidence, a NetFlow or syslog listener) has a watermark: the
//! latest observable time of the events it delivered. Events are released to detection, in
//! observable-time order, up to the lowest watermark among the active sources. A source that
//! has delivered nothing for the idle timeout (wall clock) no longer holds the others back; when
//! it speaks again, what it says before the released time is still analysed (never dropped) and
//! counted as late by the engine.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use breachscope_model::{Event, Micros};

/// One source's progress.
#[derive(Debug, Clone, Copy)]
struct SourceClock {
    watermark: Micros,
    last_active: Instant,
}

/// The events waiting for the watermark, and the sources' clocks.
#[derive(Debug)]
pub struct Reorder {
    idle_timeout: Duration,
    sources: BTreeMap<String, SourceClock>,
    /// Held events; kept sorted by observable time when released.
    held: Vec<Event>,
    /// The time up to which events were released.
    released: Micros,
}

impl Reorder {
    /// An empty buffer whose sources go idle after `idle_timeout`.
    pub fn new(idle_timeout: Duration) -> Self {
        Reorder {
            idle_timeout,
            sources: BTreeMap::new(),
            held: Vec::new(),
            released: Micros::MIN,
        }
    }

    /// Takes events delivered by `source` at `now`. The source's watermark becomes
    /// `watermark` when it states one (a collector still holding records back), else the latest
    /// of the events; a delivery without events that states a watermark keeps the source alive.
    pub fn push(
        &mut self,
        source: &str,
        events: impl IntoIterator<Item = Event>,
        watermark: Option<Micros>,
        now: Instant,
    ) {
        let before = self.held.len();
        self.held.extend(events);
        let latest = self.held[before..].iter().map(Event::observed_at).max();
        let Some(mark) = watermark.or(latest) else {
            return;
        };
        let clock = self
            .sources
            .entry(source.to_owned())
            .or_insert(SourceClock {
                watermark: mark,
                last_active: now,
            });
        clock.watermark = clock.watermark.max(mark);
        clock.last_active = now;
    }

    /// The time up to which events may be released at `now`: the lowest watermark among
    /// active sources, or the highest of all when every source is idle.
    pub fn watermark(&self, now: Instant) -> Option<Micros> {
        let active = self
            .sources
            .values()
            .filter(|c| now.saturating_duration_since(c.last_active) < self.idle_timeout)
            .map(|c| c.watermark)
            .min();
        active.or_else(|| self.sources.values().map(|c| c.watermark).max())
    }

    /// The sources idle at `now`, by name.
    pub fn idle_sources(&self, now: Instant) -> Vec<&str> {
        self.sources
            .iter()
            .filter(|(_, c)| now.saturating_duration_since(c.last_active) >= self.idle_timeout)
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// Takes the events releasable at `now` (all with `everything`), in observable-time order
    /// (equal times in the order they came), with the time they were released up to.
    pub fn release(&mut self, now: Instant, everything: bool) -> (Vec<Event>, Option<Micros>) {
        let limit = if everything {
            Some(Micros::MAX)
        } else {
            self.watermark(now)
        };
        let Some(limit) = limit else {
            return (Vec::new(), None);
        };
        self.held.sort_by_key(Event::observed_at);
        let split = self.held.partition_point(|e| e.observed_at() <= limit);
        let rest = self.held.split_off(split);
        let out = std::mem::replace(&mut self.held, rest);
        let upto = if everything {
            out.last().map(Event::observed_at)
        } else {
            Some(limit)
        };
        if let Some(t) = upto {
            self.released = self.released.max(t);
        }
        (out, upto)
    }

    /// Events held.
    pub fn held(&self) -> usize {
        self.held.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use breachscope_model::{FileAccess, FileAction, Outcome};

    fn access(t: Micros) -> Event {
        Event::FileAccess(FileAccess {
            time: t,
            server: None,
            account: "a".into(),
            client_ip: None,
            client_name: None,
            session: None,
            share: "s".into(),
            path: "p".into(),
            path_is_relative: true,
            action: FileAction::Read,
            operation: "pread".into(),
            log: FileAccess::SAMBA_AUDIT,
            object_type: None,
            access_mask: None,
            is_directory: None,
            size: None,
            outcome: Outcome::Success,
        })
    }

    fn times(events: &[Event]) -> Vec<Micros> {
        events.iter().map(Event::observed_at).collect()
    }

    #[test]
    fn releases_up_to_the_slowest_active_source() {
        let start = Instant::now();
        let mut r = Reorder::new(Duration::from_secs(30));
        r.push("zeek", [access(10), access(30)], None, start);
        r.push("samba", [access(20)], None, start);
        // samba has reached 20, zeek 30: up to 20.
        let (out, upto) = r.release(start, false);
        assert_eq!(times(&out), [10, 20]);
        assert_eq!(upto, Some(20));
        assert_eq!(r.held(), 1);
        // samba falls silent: after the idle timeout it no longer holds zeek back.
        let later = start + Duration::from_secs(31);
        r.push("zeek", [access(40)], None, later);
        assert_eq!(r.idle_sources(later), ["samba"]);
        let (out, upto) = r.release(later, false);
        assert_eq!(times(&out), [30, 40]);
        assert_eq!(upto, Some(40));
        // A collector holding records back states a lower watermark than its events'.
        r.push("netflow", [access(50)], Some(41), later);
        let (out, upto) = r.release(later, false);
        assert!(out.is_empty());
        assert_eq!(upto, Some(40));
        // Everything, at shutdown.
        r.push("samba", [access(35)], None, later);
        let (out, _) = r.release(later, true);
        assert_eq!(times(&out), [35, 50]);
    }

    #[test]
    fn all_idle_releases_everything_seen() {
        let start = Instant::now();
        let mut r = Reorder::new(Duration::from_secs(5));
        r.push("a", [access(5)], None, start);
        r.push("b", [access(9)], None, start);
        let (out, _) = r.release(start, false);
        assert_eq!(times(&out), [5]);
        let (out, upto) = r.release(start + Duration::from_secs(6), false);
        assert_eq!(times(&out), [9]);
        assert_eq!(upto, Some(9));
    }
}
