//! Parquet parts of the lake: `lake/class_uid=<n>/event_day=<YYYYMMDD>/part-<seq>.parquet`, one
//! OCSF class per file, rows sorted by time, zstd. A part is written under a temporary name in
//! its directory, synced, and renamed: a reader never sees half a part.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{Field, FieldRef};
use breachscope_model::Event;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_arrow::schema::{SchemaLike, TracingOptions};

use crate::StoreError;
use crate::rows::{self, Class};

/// Rows per row group: small enough for time-range pruning by row-group statistics, large
/// enough for zstd.
const ROW_GROUP: usize = 64 * 1024;

/// Microseconds in a day.
const DAY_US: i64 = 86_400_000_000;

/// The UTC day (`YYYYMMDD`) of a time in µs.
pub fn event_day(time_us: i64) -> i32 {
    day_of_number(time_us.div_euclid(DAY_US))
}

/// The `YYYYMMDD` of the day `days` after 1970-01-01 (jiff's civil calendar; 0 outside it).
pub fn day_of_number(days: i64) -> i32 {
    jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .map_or(0, |d| {
            i32::from(d.year()) * 10_000 + i32::from(d.month()) * 100 + i32::from(d.day())
        })
}

/// The first µs of a `YYYYMMDD` day (UTC).
pub fn day_start(day: i32) -> i64 {
    let date = jiff::civil::Date::new(
        i16::try_from(day / 10_000).unwrap_or(1970),
        i8::try_from(day / 100 % 100).unwrap_or(1),
        i8::try_from(day % 100).unwrap_or(1),
    );
    date.and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
        .map_or(0, |z| z.timestamp().as_microsecond())
}

/// The directory of a class and day under the lake.
pub fn partition_dir(lake: &Path, class: Class, day: i32) -> PathBuf {
    lake.join(format!("class_uid={}", class.uid()))
        .join(format!("event_day={day:08}"))
}

/// What a written part holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    /// Path relative to the lake.
    pub path: String,
    /// Its class.
    pub class: Class,
    /// Its day.
    pub day: i32,
    /// Rows.
    pub rows: u64,
    /// Bytes on disk.
    pub bytes: u64,
    /// Earliest row time, µs.
    pub min_time: i64,
    /// Latest row time, µs.
    pub max_time: i64,
}

fn fields<R: Serialize + DeserializeOwned>() -> Result<Vec<FieldRef>, StoreError> {
    let fields = Vec::<FieldRef>::from_type::<R>(TracingOptions::default().allow_null_fields(true))
        .map_err(|e| StoreError::Schema(e.to_string()))?;
    Ok(fields)
}

fn to_batch<R: Serialize + DeserializeOwned>(rows: &[R]) -> Result<RecordBatch, StoreError> {
    let fields = fields::<R>()?;
    serde_arrow::to_record_batch(&fields, &rows).map_err(|e| StoreError::Schema(e.to_string()))
}

/// The Arrow schema of a class's rows (for documentation and tests).
pub fn schema(class: Class) -> Result<Vec<Arc<Field>>, StoreError> {
    match class {
        Class::NetworkActivity => fields::<rows::NetworkRow>(),
        Class::DnsActivity => fields::<rows::DnsRow>(),
        Class::FileSystemActivity => fields::<rows::FileRow>(),
        Class::Authentication => fields::<rows::AuthRow>(),
        Class::EventLogActivity => fields::<rows::LogRow>(),
    }
}

/// Events of one class as a record batch, in the order given.
fn batch(class: Class, events: &[&Event]) -> Result<RecordBatch, StoreError> {
    macro_rules! rows_of {
        ($variant:ident, $row:path) => {{
            let rows: Vec<_> = events
                .iter()
                .filter_map(|e| match e {
                    Event::$variant(x) => Some($row(x)),
                    _ => None,
                })
                .collect();
            to_batch(&rows)
        }};
    }
    match class {
        Class::NetworkActivity => rows_of!(Flow, rows::network_row),
        Class::DnsActivity => rows_of!(Dns, rows::dns_row),
        Class::FileSystemActivity => rows_of!(FileAccess, rows::file_row),
        Class::Authentication => rows_of!(Authentication, rows::auth_row),
        Class::EventLogActivity => rows_of!(LogCleared, rows::log_row),
    }
}

/// Writes `events` (all of `class` and `day`, sorted by time) as part `seq` of their partition.
pub fn write_part(
    lake: &Path,
    class: Class,
    day: i32,
    seq: u64,
    events: &[&Event],
) -> Result<PartInfo, StoreError> {
    let dir = partition_dir(lake, class, day);
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
    let name = format!("part-{seq:08}.parquet");
    let final_path = dir.join(&name);
    let temp = dir.join(format!(".{name}.tmp"));
    let batch = batch(class, events)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .set_created_by(format!("breachscope {}", env!("CARGO_PKG_VERSION")))
        .build();
    let file = File::create(&temp).map_err(|e| StoreError::io(&temp, e))?;
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props))
        .map_err(|e| StoreError::Parquet(e.to_string()))?;
    writer
        .write(&batch)
        .map_err(|e| StoreError::Parquet(e.to_string()))?;
    let mut file = writer
        .into_inner()
        .map_err(|e| StoreError::Parquet(e.to_string()))?;
    file.flush().map_err(|e| StoreError::io(&temp, e))?;
    file.sync_all().map_err(|e| StoreError::io(&temp, e))?;
    let bytes = file.metadata().map_err(|e| StoreError::io(&temp, e))?.len();
    drop(file);
    std::fs::rename(&temp, &final_path).map_err(|e| StoreError::io(&final_path, e))?;
    sync_dir(&dir)?;
    let times = events.iter().map(|e| e.time());
    Ok(PartInfo {
        path: format!("class_uid={}/event_day={day:08}/{name}", class.uid()),
        class,
        day,
        rows: events.len() as u64,
        bytes,
        min_time: times.clone().min().unwrap_or(0),
        max_time: times.max().unwrap_or(0),
    })
}

/// Makes a directory's entries (a rename) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// The rows of a part as `R`, reading only the leaf `columns` named (all when `None`).
fn read_rows<R: DeserializeOwned>(
    path: &Path,
    columns: Option<&[&str]>,
) -> Result<Vec<R>, StoreError> {
    let bad = |e: String| StoreError::Parquet(format!("{}: {e}", path.display()));
    let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
    let mut builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(e.to_string()))?;
    if let Some(columns) = columns {
        let mask = parquet::arrow::ProjectionMask::columns(
            builder.parquet_schema(),
            columns.iter().copied(),
        );
        builder = builder.with_projection(mask);
    }
    let reader = builder
        .with_batch_size(ROW_GROUP)
        .build()
        .map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| bad(e.to_string()))?;
        let rows: Vec<R> = serde_arrow::from_record_batch(&batch)
            .map_err(|e| StoreError::Schema(format!("{}: {e}", path.display())))?;
        out.extend(rows);
    }
    Ok(out)
}

/// The events of a part's rows of type `R`, each made by `event`.
fn events_of<R: DeserializeOwned>(
    path: &Path,
    event: fn(R) -> Result<Event, rows::RowError>,
) -> Result<Vec<Event>, StoreError> {
    read_rows::<R>(path, None)?
        .into_iter()
        .map(event)
        .collect::<Result<_, _>>()
        .map_err(|e| StoreError::Schema(format!("{}: {e}", path.display())))
}

/// What the traffic timelines need of a flow, read from only those columns.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct FlowBriefRow {
    time_us: i64,
    src_endpoint: AddressOnly,
    dst_endpoint: AddressOnly,
    traffic: BytesOut,
    unmapped: DurationOnly,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct AddressOnly {
    ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct BytesOut {
    bytes_out: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct DurationOnly {
    duration_us: Option<i64>,
}

/// A flow reduced to what volume over time needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowBrief {
    /// Originator.
    pub src_ip: std::net::IpAddr,
    /// Responder.
    pub dst_ip: std::net::IpAddr,
    /// When the connection ended (µs).
    pub end: i64,
    /// Payload bytes originator → responder.
    pub bytes_out: u64,
}

/// The flows of a Network Activity part, reading only the five columns a [`FlowBrief`] needs
/// (a fraction of the part's bytes and none of its other strings).
pub fn read_flow_briefs(path: &Path) -> Result<Vec<FlowBrief>, StoreError> {
    let columns = [
        "time_us",
        "src_endpoint.ip",
        "dst_endpoint.ip",
        "traffic.bytes_out",
        "unmapped.duration_us",
    ];
    let ip = |a: &AddressOnly| a.ip.as_deref().and_then(|s| s.parse().ok());
    read_rows::<FlowBriefRow>(path, Some(&columns))?
        .into_iter()
        .map(|r| {
            let (Some(src_ip), Some(dst_ip)) = (ip(&r.src_endpoint), ip(&r.dst_endpoint)) else {
                return Err(StoreError::Schema(format!(
                    "{}: a flow without its addresses",
                    path.display()
                )));
            };
            Ok(FlowBrief {
                src_ip,
                dst_ip,
                end: r
                    .time_us
                    .saturating_add(r.unmapped.duration_us.unwrap_or(0).max(0)),
                bytes_out: r
                    .traffic
                    .bytes_out
                    .map_or(0, |b| u64::try_from(b).unwrap_or(0)),
            })
        })
        .collect()
}

/// The events of a part, in its order.
pub fn read_part(path: &Path, class: Class) -> Result<Vec<Event>, StoreError> {
    match class {
        Class::NetworkActivity => events_of(path, |r| rows::flow(r).map(Event::Flow)),
        Class::DnsActivity => events_of(path, |r| rows::dns(r).map(Event::Dns)),
        Class::FileSystemActivity => {
            events_of(path, |r| rows::file_access(r).map(Event::FileAccess))
        }
        Class::Authentication => {
            events_of(path, |r| rows::authentication(r).map(Event::Authentication))
        }
        Class::EventLogActivity => events_of(path, |r| rows::log_cleared(r).map(Event::LogCleared)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_calendar_days() {
        assert_eq!(event_day(0), 19_700_101);
        assert_eq!(event_day(-1), 19_691_231);
        // 2025-02-24T02:37:30Z
        assert_eq!(event_day(1_740_364_650_000_000), 20_250_224);
        assert_eq!(event_day(951_782_400_000_000), 20_000_229);
        for t in [
            0,
            951_782_400_000_000,
            1_740_364_650_000_000,
            -86_400_000_000,
        ] {
            let day = event_day(t);
            assert!(
                day_start(day) <= t && t < day_start(day) + 86_400_000_000,
                "{day}"
            );
        }
    }
}
