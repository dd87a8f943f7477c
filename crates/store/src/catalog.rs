//! The catalog (`catalog.sqlite`): every input file and how far it was read, every lake part,
//! and the settings the evidence was ingested with. One writer at a time (the store's lock);
//! each batch of parts and the input positions that produced them commit in one transaction,
//! after the parts are renamed into place.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::StoreError;
use crate::lake::PartInfo;
use crate::rows::Class;

/// One input file as the catalog knows it: its last known path and how far it was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputRecord {
    /// Row id (`None` before it is first saved).
    pub id: Option<i64>,
    /// Last known path.
    pub path: String,
    /// Format (`zeek_conn`, `samba_audit`, `evtx`, …).
    pub kind: String,
    /// Size in bytes when last read.
    pub size: u64,
    /// Modification time when last read, ns since the epoch.
    pub mtime_ns: i64,
    /// Hex SHA-256 of the bytes read the last time (the whole file as it was then).
    pub sha256: String,
    /// Whether the file is gzip-compressed (read whole, never appended to).
    pub gzip: bool,
    /// Bytes of content consumed: complete lines (decompressed), or EVTX records' file.
    pub consumed_bytes: u64,
    /// Lines (or EVTX records) consumed.
    pub consumed_lines: u64,
    /// Hex SHA-256 of the consumed bytes: recognises the content under another name.
    pub consumed_hash: String,
    /// Hex SHA-256 of the first `head_len` consumed bytes (an index for that recognition).
    pub head_hash: String,
    /// Length of the head hashed.
    pub head_len: u64,
    /// Events accepted from it, in all.
    pub records: u64,
    /// Records rejected, in all.
    pub rejected: u64,
    /// Events per OCSF class, in all (JSON object).
    pub per_class: String,
}

/// A part as the catalog lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRecord {
    /// Row id.
    pub id: i64,
    /// Its description.
    pub info: PartInfo,
}

/// The SQLite catalog.
#[derive(Debug)]
pub struct Catalog {
    db: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS inputs (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    gzip INTEGER NOT NULL,
    consumed_bytes INTEGER NOT NULL,
    consumed_lines INTEGER NOT NULL,
    consumed_hash TEXT NOT NULL,
    head_hash TEXT NOT NULL,
    head_len INTEGER NOT NULL,
    records INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    per_class TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS inputs_path ON inputs(path);
CREATE INDEX IF NOT EXISTS inputs_head ON inputs(head_hash);
CREATE INDEX IF NOT EXISTS inputs_sha ON inputs(sha256);
CREATE TABLE IF NOT EXISTS parts (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    class_uid INTEGER NOT NULL,
    event_day INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    min_time_us INTEGER NOT NULL,
    max_time_us INTEGER NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS parts_class_day ON parts(class_uid, event_day);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notified (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    pushed_severity TEXT,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    sink TEXT NOT NULL,
    notification TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    delivered_at TEXT,
    outcome TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(sink, delivered_at);
";

fn sql(e: rusqlite::Error) -> StoreError {
    StoreError::Catalog(e.to_string())
}

fn input_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InputRecord> {
    Ok(InputRecord {
        id: Some(r.get(0)?),
        path: r.get(1)?,
        kind: r.get(2)?,
        size: r.get::<_, i64>(3)?.max(0) as u64,
        mtime_ns: r.get(4)?,
        sha256: r.get(5)?,
        gzip: r.get::<_, i64>(6)? != 0,
        consumed_bytes: r.get::<_, i64>(7)?.max(0) as u64,
        consumed_lines: r.get::<_, i64>(8)?.max(0) as u64,
        consumed_hash: r.get(9)?,
        head_hash: r.get(10)?,
        head_len: r.get::<_, i64>(11)?.max(0) as u64,
        records: r.get::<_, i64>(12)?.max(0) as u64,
        rejected: r.get::<_, i64>(13)?.max(0) as u64,
        per_class: r.get(14)?,
    })
}

const INPUT_COLUMNS: &str = "id, path, kind, size, mtime_ns, sha256, gzip, consumed_bytes, \
     consumed_lines, consumed_hash, head_hash, head_len, records, rejected, per_class";

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Catalog {
    /// Opens (creating) the catalog at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Connection::open(path).map_err(sql)?;
        // WAL: a reader (a report while watch runs) never blocks the writer; FULL sync: a
        // committed batch survives a power cut.
        db.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
            .map_err(sql)?;
        db.execute_batch(SCHEMA).map_err(sql)?;
        Ok(Catalog { db })
    }

    /// Opens an existing catalog for reading only (beside a writer: WAL readers see each
    /// committed transaction whole).
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let db = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        Ok(Catalog { db })
    }

    /// The inputs last seen at `path`.
    pub fn inputs_at(&self, path: &str) -> Result<Vec<InputRecord>, StoreError> {
        self.inputs_where("path = ?1", path)
    }

    /// The inputs whose first `head_len` consumed bytes hash to `head_hash`.
    pub fn inputs_with_head(&self, head_hash: &str) -> Result<Vec<InputRecord>, StoreError> {
        self.inputs_where("head_hash = ?1", head_hash)
    }

    /// The inputs whose consumed content is shorter than `len` bytes (their head hash covers
    /// less than a full head, so a head lookup cannot find them).
    pub fn inputs_with_short_head(&self, len: u64) -> Result<Vec<InputRecord>, StoreError> {
        let mut stmt = self
            .db
            .prepare(&format!(
                "SELECT {INPUT_COLUMNS} FROM inputs WHERE head_len < ?1 AND gzip = 0 ORDER BY id"
            ))
            .map_err(sql)?;
        let rows = stmt
            .query_map([to_i64(len)], input_from_row)
            .map_err(sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql)?;
        Ok(rows)
    }

    /// The inputs whose bytes, as last read, hash to `sha256`.
    pub fn inputs_with_sha(&self, sha256: &str) -> Result<Vec<InputRecord>, StoreError> {
        self.inputs_where("sha256 = ?1", sha256)
    }

    fn inputs_where(&self, clause: &str, value: &str) -> Result<Vec<InputRecord>, StoreError> {
        let mut stmt = self
            .db
            .prepare(&format!(
                "SELECT {INPUT_COLUMNS} FROM inputs WHERE {clause} ORDER BY id"
            ))
            .map_err(sql)?;
        let rows = stmt
            .query_map([value], input_from_row)
            .map_err(sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql)?;
        Ok(rows)
    }

    /// Every input.
    pub fn inputs(&self) -> Result<Vec<InputRecord>, StoreError> {
        let mut stmt = self
            .db
            .prepare(&format!("SELECT {INPUT_COLUMNS} FROM inputs ORDER BY id"))
            .map_err(sql)?;
        let rows = stmt
            .query_map([], input_from_row)
            .map_err(sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql)?;
        Ok(rows)
    }

    /// Every part, or those of one class.
    pub fn parts(&self, class: Option<Class>) -> Result<Vec<PartRecord>, StoreError> {
        let mut stmt = self
            .db
            .prepare(
                "SELECT id, path, class_uid, event_day, rows, bytes, min_time_us, max_time_us \
                 FROM parts WHERE (?1 IS NULL OR class_uid = ?1) ORDER BY class_uid, event_day, id",
            )
            .map_err(sql)?;
        let rows = stmt
            .query_map([class.map(Class::uid)], |r| {
                let uid: i32 = r.get(2)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    uid,
                    r.get::<_, i32>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            })
            .map_err(sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql)?;
        rows.into_iter()
            .map(|(id, path, uid, day, n, bytes, min_time, max_time)| {
                let class = Class::from_uid(uid)
                    .ok_or_else(|| StoreError::Catalog(format!("unknown class_uid {uid}")))?;
                Ok(PartRecord {
                    id,
                    info: PartInfo {
                        path,
                        class,
                        day,
                        rows: n.max(0) as u64,
                        bytes: bytes.max(0) as u64,
                        min_time,
                        max_time,
                    },
                })
            })
            .collect()
    }

    /// A setting's value.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.db
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)
    }

    /// Takes the next `n` part numbers.
    pub fn next_part_numbers(&mut self, n: u64) -> Result<u64, StoreError> {
        let tx = self.db.transaction().map_err(sql)?;
        let current: i64 = tx
            .query_row("SELECT value FROM counters WHERE name = 'part'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)?
            .unwrap_or(0);
        tx.execute(
            "INSERT INTO counters(name, value) VALUES ('part', ?1)
             ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            [current + to_i64(n)],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(current.max(0) as u64 + 1)
    }

    /// Records, in one transaction, new parts, parts replaced by them (compaction), the inputs
    /// that produced them, and settings.
    pub fn commit(
        &mut self,
        added: &[PartInfo],
        removed: &[i64],
        inputs: &mut [InputRecord],
        settings: &[(String, String)],
    ) -> Result<(), StoreError> {
        let tx = self.db.transaction().map_err(sql)?;
        for p in added {
            tx.execute(
                "INSERT INTO parts(path, class_uid, event_day, rows, bytes, min_time_us, max_time_us)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    p.path,
                    p.class.uid(),
                    p.day,
                    to_i64(p.rows),
                    to_i64(p.bytes),
                    p.min_time,
                    p.max_time
                ],
            )
            .map_err(sql)?;
        }
        for id in removed {
            tx.execute("DELETE FROM parts WHERE id = ?1", [id])
                .map_err(sql)?;
        }
        for input in inputs.iter_mut() {
            save_input(&tx, input)?;
        }
        for (k, v) in settings {
            tx.execute(
                "INSERT INTO settings(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![k, v],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }
}

/// What `watch` has said about an alert or an incident: the severity of its last line in the
/// alerts file, and the severity last pushed to people (webhook, syslog), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notified {
    /// The order-independent key (see `breachscope_pipeline::watch`).
    pub key: String,
    /// `alert` or `incident`.
    pub kind: String,
    /// Severity of the last line written.
    pub severity: String,
    /// Severity last pushed, when it was pushed.
    pub pushed_severity: Option<String>,
}

/// A notification waiting for, or given to, one sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Row id (`0` before it is saved).
    pub id: i64,
    /// The sink (`jsonl`, `webhook`, `syslog`).
    pub sink: String,
    /// The notification's id, which the body carries too (receivers may deduplicate on it).
    pub notification: String,
    /// What is sent.
    pub body: String,
}

impl Catalog {
    /// Everything notified so far.
    pub fn notified(&self) -> Result<Vec<Notified>, StoreError> {
        let mut stmt = self
            .db
            .prepare("SELECT key, kind, severity, pushed_severity FROM notified ORDER BY key")
            .map_err(sql)?;
        stmt.query_map([], |r| {
            Ok(Notified {
                key: r.get(0)?,
                kind: r.get(1)?,
                severity: r.get(2)?,
                pushed_severity: r.get(3)?,
            })
        })
        .map_err(sql)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql)
    }

    /// Records, in one transaction, what was notified and the outbox entries that carry it to
    /// the sinks (their ids are set).
    pub fn record_notifications(
        &mut self,
        notified: &[Notified],
        outbox: &mut [OutboxEntry],
    ) -> Result<(), StoreError> {
        let tx = self.db.transaction().map_err(sql)?;
        for n in notified {
            tx.execute(
                "INSERT INTO notified(key, kind, severity, pushed_severity) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(key) DO UPDATE SET severity = excluded.severity,
                 pushed_severity = excluded.pushed_severity,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                params![n.key, n.kind, n.severity, n.pushed_severity],
            )
            .map_err(sql)?;
        }
        for o in outbox.iter_mut() {
            tx.execute(
                "INSERT INTO outbox(sink, notification, body) VALUES (?1, ?2, ?3)",
                params![o.sink, o.notification, o.body],
            )
            .map_err(sql)?;
            o.id = tx.last_insert_rowid();
        }
        tx.commit().map_err(sql)
    }

    /// The entries not yet delivered to `sink`, oldest first.
    pub fn undelivered(&self, sink: &str) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self
            .db
            .prepare(
                "SELECT id, sink, notification, body FROM outbox
                 WHERE sink = ?1 AND delivered_at IS NULL ORDER BY id",
            )
            .map_err(sql)?;
        stmt.query_map([sink], |r| {
            Ok(OutboxEntry {
                id: r.get(0)?,
                sink: r.get(1)?,
                notification: r.get(2)?,
                body: r.get(3)?,
            })
        })
        .map_err(sql)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql)
    }

    /// How many entries wait for any sink (counted, not loaded: a dead webhook's backlog can
    /// be long, and the watch reports it every cycle).
    pub fn undelivered_count(&self) -> Result<u64, StoreError> {
        self.db
            .query_row(
                "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(sql)
    }

    /// Marks entries delivered (or given up), each with its outcome (`delivered`, `HTTP 400`).
    pub fn mark_delivered(&mut self, done: &[(i64, String)]) -> Result<(), StoreError> {
        if done.is_empty() {
            return Ok(());
        }
        let tx = self.db.transaction().map_err(sql)?;
        for (id, outcome) in done {
            tx.execute(
                "UPDATE outbox SET delivered_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                 outcome = ?2 WHERE id = ?1",
                params![id, outcome],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    /// Entries per sink and outcome (`pending` for those not delivered): what a person was sent.
    pub fn outbox_counts(&self) -> Result<Vec<(String, String, u64)>, StoreError> {
        let mut stmt = self
            .db
            .prepare(
                "SELECT sink, COALESCE(outcome, 'pending'), COUNT(*) FROM outbox
                 GROUP BY 1, 2 ORDER BY 1, 2",
            )
            .map_err(sql)?;
        stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.max(0) as u64))
        })
        .map_err(sql)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql)
    }
}

fn save_input(tx: &Transaction<'_>, i: &mut InputRecord) -> Result<(), StoreError> {
    let values = params![
        i.path,
        i.kind,
        to_i64(i.size),
        i.mtime_ns,
        i.sha256,
        i64::from(i.gzip),
        to_i64(i.consumed_bytes),
        to_i64(i.consumed_lines),
        i.consumed_hash,
        i.head_hash,
        to_i64(i.head_len),
        to_i64(i.records),
        to_i64(i.rejected),
        i.per_class,
    ];
    match i.id {
        Some(id) => {
            tx.execute(
                "UPDATE inputs SET path=?1, kind=?2, size=?3, mtime_ns=?4, sha256=?5, gzip=?6,
                 consumed_bytes=?7, consumed_lines=?8, consumed_hash=?9, head_hash=?10,
                 head_len=?11, records=?12, rejected=?13, per_class=?14,
                 updated_at=strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id=?15",
                rusqlite::params_from_iter(
                    values
                        .iter()
                        .copied()
                        .chain(std::iter::once(&id as &dyn rusqlite::ToSql)),
                ),
            )
            .map_err(sql)?;
        }
        None => {
            tx.execute(
                "INSERT INTO inputs(path, kind, size, mtime_ns, sha256, gzip, consumed_bytes,
                 consumed_lines, consumed_hash, head_hash, head_len, records, rejected, per_class)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                values,
            )
            .map_err(sql)?;
            i.id = Some(tx.last_insert_rowid());
        }
    }
    Ok(())
}
