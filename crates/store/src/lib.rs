//! breachscope's evidence store: every normalised event in an OCSF Parquet lake
//! (`DIR/lake/class_uid=<n>/event_day=<YYYYMMDD>/part-<seq>.parquet`, the layout Amazon Security
//! Lake uses) and a SQLite catalog (`DIR/catalog.sqlite`) of the inputs read, how far, and the
//! parts written.
//!
//! * [`rows`]: events as OCSF rows (nested structs, signed integers, `time` in ms beside the
//!   exact µs) and back;
//! * [`lake`]: writing parts, and [`columns`]: reading them back into events;
//! * [`catalog`]: the SQLite catalog.
//!
//! Crash safety: a part is written under a temporary name, synced and renamed; the catalog
//! commits the parts and the input positions that produced them in one transaction, after the
//! renames. A crash before the commit leaves parts the catalog does not list: [`Store::open`]
//! deletes them (and any temporary file), and the inputs are read again from the positions the
//! catalog holds — so the lake holds each event exactly once. One process writes at a time
//! (an exclusive lock on `DIR/.lock`).

pub mod catalog;
pub mod columns;
pub mod lake;
pub mod rows;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use breachscope_model::Event;

pub use catalog::{Catalog, InputRecord, Notified, OutboxEntry, PartRecord};
pub use lake::PartInfo;
pub use rows::Class;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Parquet could not be written or read.
    #[error("parquet: {0}")]
    Parquet(String),
    /// Rows did not fit the schema.
    #[error("schema: {0}")]
    Schema(String),
    /// The catalog failed.
    #[error("catalog: {0}")]
    Catalog(String),
    /// Another process holds the store.
    #[error("{0} is in use by another breachscope process")]
    Locked(PathBuf),
    /// A store opened for reading was asked to write.
    #[error("{0} is open read-only")]
    ReadOnly(PathBuf),
    /// No store there.
    #[error("{0} is not an evidence store (no catalog.sqlite)")]
    NotAStore(PathBuf),
}

impl StoreError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A part holds at most this many rows; a partition's parts are merged while smaller.
pub const PART_ROWS: usize = 1 << 20;

/// The store, opened for writing (holding its lock) or for reading.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    lake: PathBuf,
    catalog: Catalog,
    /// The writer's lock; `None` when open read-only.
    lock: Option<File>,
}

/// What a batch or a compaction wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Parts written.
    pub parts: Vec<PartInfo>,
    /// Rows written.
    pub rows: u64,
}

impl Store {
    /// Opens the store at `dir` (creating it), takes its lock, and removes what an interrupted
    /// run left: temporary files and parts the catalog does not list.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let lake = dir.join("lake");
        std::fs::create_dir_all(&lake).map_err(|e| StoreError::io(&lake, e))?;
        let lock_path = dir.join(".lock");
        let lock = File::create(&lock_path).map_err(|e| StoreError::io(&lock_path, e))?;
        lock_exclusive(&lock).map_err(|_| StoreError::Locked(dir.to_path_buf()))?;
        let catalog = Catalog::open(&dir.join("catalog.sqlite"))?;
        let store = Store {
            root: dir.to_path_buf(),
            lake,
            catalog,
            lock: Some(lock),
        };
        store.remove_orphans()?;
        Ok(store)
    }

    /// Opens an existing store for reading, beside a writer that may be running (`report`
    /// while `watch` or `ingest` runs): no lock is taken and nothing is removed. The catalog
    /// is read as of each query, so a reader sees only parts committed before it asked (SQLite
    /// WAL); writing through it fails with [`StoreError::ReadOnly`].
    pub fn open_read_only(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join("catalog.sqlite");
        if !path.is_file() {
            return Err(StoreError::NotAStore(dir.to_path_buf()));
        }
        Ok(Store {
            root: dir.to_path_buf(),
            lake: dir.join("lake"),
            catalog: Catalog::open_read_only(&path)?,
            lock: None,
        })
    }

    /// Whether this store was opened for reading only.
    pub fn is_read_only(&self) -> bool {
        self.lock.is_none()
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.is_read_only() {
            return Err(StoreError::ReadOnly(self.root.clone()));
        }
        Ok(())
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The lake's directory.
    pub fn lake(&self) -> &Path {
        &self.lake
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The catalog, to record notifications (a store opened for writing only).
    pub fn catalog_mut(&mut self) -> Result<&mut Catalog, StoreError> {
        self.writable()?;
        Ok(&mut self.catalog)
    }

    fn remove_orphans(&self) -> Result<(), StoreError> {
        let listed: BTreeSet<String> = self
            .catalog
            .parts(None)?
            .into_iter()
            .map(|p| p.info.path)
            .collect();
        for class_dir in read_dir(&self.lake)? {
            for day_dir in read_dir(&class_dir)? {
                for file in read_dir(&day_dir)? {
                    let relative = file
                        .strip_prefix(&self.lake)
                        .map(|p| p.to_string_lossy().replace('\\', "/"))
                        .unwrap_or_default();
                    if !listed.contains(&relative) {
                        std::fs::remove_file(&file).map_err(|e| StoreError::io(&file, e))?;
                    }
                }
                // An emptied partition directory goes too.
                let _ = std::fs::remove_dir(&day_dir);
            }
        }
        Ok(())
    }

    /// Writes `events` as parts (grouped by class and UTC day, sorted by time) and commits them
    /// with the `inputs` that produced them and `settings`, in one catalog transaction after
    /// the parts are in place.
    pub fn write_batch(
        &mut self,
        events: &[Event],
        inputs: &mut [InputRecord],
        settings: &[(String, String)],
    ) -> Result<Written, StoreError> {
        self.writable()?;
        // Grouped by day number; the calendar day is worked out once per group.
        let mut by_number: BTreeMap<(Class, i64), Vec<&Event>> = BTreeMap::new();
        for e in events {
            by_number
                .entry((Class::of(e), e.time().div_euclid(86_400_000_000)))
                .or_default()
                .push(e);
        }
        let groups = by_number
            .into_iter()
            .map(|((class, n), group)| ((class, lake::day_of_number(n)), group));
        let groups: Vec<((Class, i32), Vec<&Event>)> = groups.collect();
        let pieces: usize = groups
            .iter()
            .map(|(_, g)| g.len().div_ceil(PART_ROWS))
            .sum();
        let first = self.catalog.next_part_numbers(pieces as u64)?;
        let mut tasks: Vec<(u64, Class, i32, Vec<&Event>)> = Vec::with_capacity(pieces);
        for ((class, day), mut group) in groups {
            // Stable: events of one time keep the order they were read in.
            group.sort_by_key(|e| e.time());
            for chunk in group.chunks(PART_ROWS) {
                let seq = first + tasks.len() as u64;
                tasks.push((seq, class, day, chunk.to_vec()));
            }
        }
        let mut written = Written {
            parts: self.write_parts(&tasks)?,
            rows: 0,
        };
        written.rows = written.parts.iter().map(|p| p.rows).sum();
        self.catalog.commit(&written.parts, &[], inputs, settings)?;
        Ok(written)
    }

    /// Writes parts on as many threads as there are cores (encoding and zstd are most of a
    /// batch's time), in part-number order in the result.
    fn write_parts(
        &self,
        tasks: &[(u64, Class, i32, Vec<&Event>)],
    ) -> Result<Vec<PartInfo>, StoreError> {
        let lake: &Path = &self.lake;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(tasks.len().max(1));
        let results: std::sync::Mutex<Vec<(u64, Result<PartInfo, StoreError>)>> =
            std::sync::Mutex::new(Vec::with_capacity(tasks.len()));
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((seq, class, day, events)) = tasks.get(i) else {
                            break;
                        };
                        let part = lake::write_part(lake, *class, *day, *seq, events);
                        if let Ok(mut r) = results.lock() {
                            r.push((*seq, part));
                        }
                    }
                });
            }
        });
        let mut results = results
            .into_inner()
            .map_err(|_| StoreError::Parquet("a part writer thread panicked".into()))?;
        results.sort_by_key(|(seq, _)| *seq);
        results.into_iter().map(|(_, p)| p).collect()
    }

    /// Merges each partition's parts while they are smaller than [`PART_ROWS`] together: many
    /// small parts (one per incremental ingest) become few, sorted by time. The merged part is
    /// committed in place of its sources, which are deleted after the commit.
    pub fn compact(&mut self) -> Result<Written, StoreError> {
        self.writable()?;
        let mut by_partition: BTreeMap<(Class, i32), Vec<PartRecord>> = BTreeMap::new();
        for p in self.catalog.parts(None)? {
            by_partition
                .entry((p.info.class, p.info.day))
                .or_default()
                .push(p);
        }
        let mut written = Written::default();
        for ((class, day), parts) in by_partition {
            let small: Vec<&PartRecord> = parts
                .iter()
                .filter(|p| (p.info.rows as usize) < PART_ROWS)
                .collect();
            if small.len() < 2 {
                continue;
            }
            let mut events = Vec::new();
            for p in &small {
                events.extend(lake::read_part(&self.lake.join(&p.info.path), class)?);
            }
            // Parts were written in order: a stable sort keeps read order within a time.
            events.sort_by_key(Event::time);
            let refs: Vec<&Event> = events.iter().collect();
            let pieces = refs.len().div_ceil(PART_ROWS) as u64;
            let first = self.catalog.next_part_numbers(pieces)?;
            let mut new = Vec::new();
            for (seq, chunk) in (first..).zip(refs.chunks(PART_ROWS)) {
                new.push(lake::write_part(&self.lake, class, day, seq, chunk)?);
            }
            let removed: Vec<i64> = small.iter().map(|p| p.id).collect();
            self.catalog.commit(&new, &removed, &mut [], &[])?;
            for p in &small {
                let path = self.lake.join(&p.info.path);
                std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
            }
            written.rows += new.iter().map(|p| p.rows).sum::<u64>();
            written.parts.extend(new);
        }
        Ok(written)
    }

    /// The events of every part of `class` whose days lie in `days` (all days when `None`),
    /// partition by partition in day order, each partition sorted by time.
    pub fn read_class(
        &self,
        class: Class,
        days: Option<std::ops::RangeInclusive<i32>>,
    ) -> Result<Vec<Vec<Event>>, StoreError> {
        let mut by_day: BTreeMap<i32, Vec<Event>> = BTreeMap::new();
        for p in self.catalog.parts(Some(class))? {
            if days.as_ref().is_some_and(|d| !d.contains(&p.info.day)) {
                continue;
            }
            by_day
                .entry(p.info.day)
                .or_default()
                .extend(lake::read_part(&self.lake.join(&p.info.path), class)?);
        }
        Ok(by_day
            .into_values()
            .map(|mut events| {
                events.sort_by_key(Event::time);
                events
            })
            .collect())
    }
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut out = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for e in entries {
                out.push(e.map_err(|e| StoreError::io(dir, e))?.path());
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::io(dir, e)),
    }
    out.sort();
    Ok(out)
}

/// Takes an exclusive advisory lock (`flock`), failing at once if another process holds it.
fn lock_exclusive(file: &File) -> std::io::Result<()> {
    file.try_lock().map_err(|e| match e {
        std::fs::TryLockError::Error(e) => e,
        std::fs::TryLockError::WouldBlock => std::io::Error::from(std::io::ErrorKind::WouldBlock),
    })
}
