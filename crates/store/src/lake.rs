//! Parquet parts of the lake: `lake/class_uid=<n>/event_day=<YYYYMMDD>/part-<seq>.parquet`, one
//! OCSF class per file, rows sorted by time, zstd. A part is written under a temporary name in
//! its directory, synced, and renamed: a reader never sees half a part.

use std::fs::File;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{Field, FieldRef};
use breachscope_model::Event;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_arrow::schema::{SchemaLike, TracingOptions};

use crate::rows::{self, Class};
use crate::{StoreError, columns};

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

/// What the traffic timelines need of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowBrief {
    /// Originator.
    pub src_ip: IpAddr,
    /// Responder.
    pub dst_ip: IpAddr,
    /// When the flow ended (start + duration), µs.
    pub end: i64,
    /// Payload bytes originator → responder.
    pub bytes_out: u64,
}

/// The flows of a Network Activity part to one of `destinations`, reading only the five
/// columns a [`FlowBrief`] needs (the traffic pass of scoping reads every part; a whole row is
/// ten times the bytes). Addresses are compared as the lake writes them (the canonical text
/// of `IpAddr`), so only the flows wanted have theirs parsed.
pub fn read_flow_briefs_to(
    path: &Path,
    destinations: &[IpAddr],
) -> Result<Vec<FlowBrief>, StoreError> {
    let names = [
        "time_us",
        "src_endpoint.ip",
        "dst_endpoint.ip",
        "traffic.bytes_out",
        "unmapped.duration_us",
    ];
    let wanted: Vec<String> = destinations.iter().map(ToString::to_string).collect();
    let mut out = Vec::new();
    columns::for_each_batch(path, Some(&names), |batch| {
        let cols = columns::Columns { batch, path };
        let time = cols.required_i64s("time_us")?;
        let src = cols.strings("src_endpoint.ip")?;
        let dst = cols.strings("dst_endpoint.ip")?;
        let bytes_out = cols.i64s("traffic.bytes_out")?;
        let duration = cols.i64s("unmapped.duration_us")?;
        for i in 0..batch.num_rows() {
            if !dst.get(i).is_some_and(|d| wanted.iter().any(|w| w == d)) {
                continue;
            }
            let (Some(src_ip), Some(dst_ip)) = (
                columns::opt_addr(&cols, &src, i)?,
                columns::opt_addr(&cols, &dst, i)?,
            ) else {
                return Err(StoreError::Schema(format!(
                    "{}: row {i}: a flow without its addresses",
                    path.display()
                )));
            };
            out.push(FlowBrief {
                src_ip,
                dst_ip,
                end: time
                    .value(i)
                    .saturating_add(columns::opt_i64(duration, i).unwrap_or(0).max(0)),
                bytes_out: columns::opt_i64(bytes_out, i)
                    .map_or(0, |b| u64::try_from(b).unwrap_or(0)),
            });
        }
        Ok(())
    })?;
    Ok(out)
}

pub use crate::columns::{read_part, read_part_into};

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
