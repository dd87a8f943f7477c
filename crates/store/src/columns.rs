//! Events read straight from a part's Arrow columns: only the leaf columns an event is made of
//! are decoded (not the OCSF bookkeeping every row repeats — `class_uid`, `metadata.product`,
//! the millisecond `time`), and each event is built from typed column slices without an
//! intermediate row. Reading the rows through serde, as written, cost twice the parse of the
//! raw logs; this is what makes an investigation from the lake faster than one from the logs.

use std::fs::File;
use std::net::IpAddr;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, BooleanArray, Int32Array, Int64Array, RecordBatch};
use breachscope_model::{
    Authentication, DnsQuery, Event, FileAccess, FileAction, Flow, LogCleared, Outcome, Transport,
};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::StoreError;
use crate::rows::{Class, auth_action_of};

/// Rows decoded at a time.
const BATCH_ROWS: usize = 64 * 1024;

/// The leaf columns each class's events are made of.
fn columns(class: Class) -> &'static [&'static str] {
    match class {
        Class::NetworkActivity => &[
            "time_us",
            "src_endpoint.ip",
            "src_endpoint.port",
            "dst_endpoint.ip",
            "dst_endpoint.port",
            "connection_info.uid",
            "connection_info.protocol_num",
            "traffic.bytes_out",
            "traffic.bytes_in",
            "traffic.packets_out",
            "traffic.packets_in",
            "unmapped.duration_us",
            "unmapped.service",
            "unmapped.conn_state",
            "unmapped.history",
            "unmapped.ip_bytes_out",
            "unmapped.ip_bytes_in",
            "unmapped.missed_bytes",
            "unmapped.local_orig",
            "unmapped.local_resp",
        ],
        Class::DnsActivity => &[
            "time_us",
            "src_endpoint.ip",
            "src_endpoint.port",
            "dst_endpoint.ip",
            "dst_endpoint.port",
            "connection_info.uid",
            "connection_info.protocol_num",
            "query.hostname",
            "query.type",
            "rcode",
            "answers",
            "unmapped.rtt_us",
        ],
        Class::FileSystemActivity => &[
            "time_us",
            "status",
            "status_detail",
            "actor.user.name",
            "actor.session.uid",
            "device.hostname",
            "src_endpoint.ip",
            "src_endpoint.hostname",
            "file.path",
            "file.type_name",
            "file.size",
            "metadata.event_code",
            "metadata.log_name",
            "unmapped.share",
            "unmapped.path_is_relative",
            "unmapped.action",
            "unmapped.rename_target",
            "unmapped.access_mask",
            "unmapped.is_directory",
        ],
        Class::Authentication => &[
            "time_us",
            "status",
            "status_detail",
            "user.name",
            "session.uid",
            "src_endpoint.ip",
            "src_endpoint.port",
            "src_endpoint.hostname",
            "dst_endpoint.ip",
            "dst_endpoint.port",
            "logon_type_id",
            "auth_protocol",
            "service.name",
            "unmapped.action",
            "unmapped.event_id",
        ],
        Class::EventLogActivity => &[
            "time_us",
            "actor.user.name",
            "actor.session.uid",
            "device.hostname",
            "log_name",
            "metadata.event_code",
        ],
    }
}

/// The events of a part, in its order.
pub fn read_part(path: &Path, class: Class) -> Result<Vec<Event>, StoreError> {
    let mut events = Vec::new();
    read_part_into(path, class, None, &mut events)?;
    Ok(events)
}

/// Appends the events of a part, in its order, to `events` (a buffer kept between parts),
/// decoding only the leaf columns in `only` when given (a reader that needs part of each
/// event): the fields of the columns not read are empty (`None`, no answers, port 0). Every
/// class needs `time_us`; flows and queries their addresses.
pub fn read_part_into(
    path: &Path,
    class: Class,
    only: Option<&[&str]>,
    events: &mut Vec<Event>,
) -> Result<(), StoreError> {
    for_each_batch(path, Some(only.unwrap_or(columns(class))), |batch| {
        let cols = Columns { batch, path };
        let rows = batch.num_rows();
        events.reserve(rows);
        match class {
            Class::NetworkActivity => flows(&cols, rows, events),
            Class::DnsActivity => dns(&cols, rows, events),
            Class::FileSystemActivity => file_access(&cols, rows, false, events),
            Class::Authentication => authentication(&cols, rows, events),
            Class::EventLogActivity => log_cleared(&cols, rows, events),
        }
    })
}

/// The successful reads of a File System Activity part (action `read`, status not
/// `Failure`), in its order: what scoping counts, without building the other rows' events.
pub fn read_successful_reads(path: &Path) -> Result<Vec<FileAccess>, StoreError> {
    let mut events = Vec::new();
    for_each_batch(path, Some(columns(Class::FileSystemActivity)), |batch| {
        let cols = Columns { batch, path };
        file_access(&cols, batch.num_rows(), true, &mut events)
    })?;
    Ok(events
        .into_iter()
        .filter_map(|e| match e {
            Event::FileAccess(a) => Some(a),
            _ => None,
        })
        .collect())
}

/// Calls `each` with every record batch of a part, decoding only the leaf `columns` named (all
/// when `None`).
pub(crate) fn for_each_batch(
    path: &Path,
    columns: Option<&[&str]>,
    mut each: impl FnMut(&RecordBatch) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let bad = |e: String| StoreError::Parquet(format!("{}: {e}", path.display()));
    let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
    let mut builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(e.to_string()))?;
    if let Some(columns) = columns {
        let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
        builder = builder.with_projection(mask);
    }
    // The reader reserves a whole batch for every column: no more than the part holds.
    let rows = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let reader = builder
        .with_batch_size(rows.clamp(1, BATCH_ROWS))
        .build()
        .map_err(|e| bad(e.to_string()))?;
    for batch in reader {
        each(&batch.map_err(|e| bad(e.to_string()))?)?;
    }
    Ok(())
}

/// A string column, whichever of Arrow's string layouts the part was written with.
pub(crate) enum Strings<'a> {
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    /// Not read (left out of the projection): every row null.
    Absent,
}

impl<'a> Strings<'a> {
    fn of(array: &'a ArrayRef) -> Option<Strings<'a>> {
        if let Some(a) = array.as_string_opt::<i32>() {
            Some(Strings::Utf8(a))
        } else if let Some(a) = array.as_string_opt::<i64>() {
            Some(Strings::LargeUtf8(a))
        } else {
            array.as_string_view_opt().map(Strings::View)
        }
    }

    /// Row `i`, or `None` where it is null.
    pub(crate) fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Strings::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::LargeUtf8(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::View(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::Absent => None,
        }
    }

    /// Row `i` as an owned string.
    fn owned(&self, i: usize) -> Option<String> {
        self.get(i).map(str::to_owned)
    }
}

/// The columns of one record batch, looked up by their dotted path.
pub(crate) struct Columns<'a> {
    pub(crate) batch: &'a RecordBatch,
    pub(crate) path: &'a Path,
}

impl<'a> Columns<'a> {
    fn schema_error(&self, what: String) -> StoreError {
        StoreError::Schema(format!("{}: {what}", self.path.display()))
    }

    /// The column at a dotted path (`src_endpoint.ip`) through struct columns; `None` when
    /// the batch does not have it (left out of the projection, or a part written before the
    /// column existed): its rows read as null.
    fn array(&self, name: &str) -> Option<&'a ArrayRef> {
        let mut parts = name.split('.');
        let mut array = self.batch.column_by_name(parts.next()?)?;
        for part in parts {
            array = array.as_struct_opt()?.column_by_name(part)?;
        }
        Some(array)
    }

    /// A column of the wrong type is a damaged or foreign part.
    fn typed<A: ?Sized>(
        &self,
        name: &str,
        kind: &str,
        cast: impl FnOnce(&'a ArrayRef) -> Option<&'a A>,
    ) -> Result<Option<&'a A>, StoreError> {
        self.array(name)
            .map(|a| {
                cast(a).ok_or_else(|| self.schema_error(format!("column {name} is not {kind}")))
            })
            .transpose()
    }

    pub(crate) fn strings(&self, name: &str) -> Result<Strings<'a>, StoreError> {
        match self.array(name) {
            None => Ok(Strings::Absent),
            Some(a) => Strings::of(a)
                .ok_or_else(|| self.schema_error(format!("column {name} is not text"))),
        }
    }

    pub(crate) fn i64s(&self, name: &str) -> Result<Option<&'a Int64Array>, StoreError> {
        self.typed(name, "int64", |a| a.as_primitive_opt::<Int64Type>())
    }

    /// An int64 column every row needs (`time_us`).
    pub(crate) fn required_i64s(&self, name: &str) -> Result<&'a Int64Array, StoreError> {
        self.i64s(name)?
            .ok_or_else(|| self.schema_error(format!("no column {name}")))
    }

    fn i32s(&self, name: &str) -> Result<Option<&'a Int32Array>, StoreError> {
        self.typed(name, "int32", |a| a.as_primitive_opt::<Int32Type>())
    }

    fn bools(&self, name: &str) -> Result<Option<&'a BooleanArray>, StoreError> {
        self.typed(name, "boolean", |a| a.as_boolean_opt())
    }

    /// A row's problem, named with the part and row.
    fn row_error(&self, row: usize, what: impl std::fmt::Display) -> StoreError {
        self.schema_error(format!("row {row}: {what}"))
    }
}

/// Row `i` of a nullable int64 column.
pub(crate) fn opt_i64(a: Option<&Int64Array>, i: usize) -> Option<i64> {
    a.filter(|a| a.is_valid(i)).map(|a| a.value(i))
}

fn opt_i32(a: Option<&Int32Array>, i: usize) -> Option<i32> {
    a.filter(|a| a.is_valid(i)).map(|a| a.value(i))
}

fn opt_bool(a: Option<&BooleanArray>, i: usize) -> Option<bool> {
    a.filter(|a| a.is_valid(i)).map(|a| a.value(i))
}

/// A stored count back to the model's unsigned one (the writer saturates at `i64::MAX`).
fn opt_u64(a: Option<&Int64Array>, i: usize) -> Option<u64> {
    opt_i64(a, i).map(|x| u64::try_from(x).unwrap_or(0))
}

/// An address column's row `i`.
pub(crate) fn opt_addr(
    cols: &Columns,
    a: &Strings,
    i: usize,
) -> Result<Option<IpAddr>, StoreError> {
    a.get(i)
        .map(|s| {
            s.parse()
                .map_err(|_| cols.row_error(i, format!("bad address {s}")))
        })
        .transpose()
}

fn opt_port(cols: &Columns, a: Option<&Int32Array>, i: usize) -> Result<Option<u16>, StoreError> {
    opt_i32(a, i)
        .map(|p| u16::try_from(p).map_err(|_| cols.row_error(i, format!("bad port {p}"))))
        .transpose()
}

fn transport(protocol_num: Option<i32>) -> Transport {
    protocol_num
        .and_then(|n| u8::try_from(n).ok())
        .map_or(Transport::Unknown, Transport::from_number)
}

/// The `status` of a failed operation.
const FAILURE: &str = "Failure";

fn outcome(status: Option<&str>, detail: Option<&str>) -> Outcome {
    if status == Some(FAILURE) {
        Outcome::Failure(detail.unwrap_or_default().to_owned())
    } else {
        Outcome::Success
    }
}

/// The endpoint columns both network classes share.
struct Endpoints<'a> {
    src_ip: Strings<'a>,
    src_port: Option<&'a Int32Array>,
    dst_ip: Strings<'a>,
    dst_port: Option<&'a Int32Array>,
    uid: Strings<'a>,
    protocol: Option<&'a Int32Array>,
}

impl<'a> Endpoints<'a> {
    fn of(cols: &Columns<'a>) -> Result<Self, StoreError> {
        Ok(Endpoints {
            src_ip: cols.strings("src_endpoint.ip")?,
            src_port: cols.i32s("src_endpoint.port")?,
            dst_ip: cols.strings("dst_endpoint.ip")?,
            dst_port: cols.i32s("dst_endpoint.port")?,
            uid: cols.strings("connection_info.uid")?,
            protocol: cols.i32s("connection_info.protocol_num")?,
        })
    }

    /// Source and destination of row `i`, both required.
    fn addresses(&self, cols: &Columns, i: usize) -> Result<(IpAddr, IpAddr), StoreError> {
        let src = opt_addr(cols, &self.src_ip, i)?
            .ok_or_else(|| cols.row_error(i, "no source address"))?;
        let dst = opt_addr(cols, &self.dst_ip, i)?
            .ok_or_else(|| cols.row_error(i, "no destination address"))?;
        Ok((src, dst))
    }
}

fn flows(cols: &Columns, rows: usize, out: &mut Vec<Event>) -> Result<(), StoreError> {
    let time = cols.required_i64s("time_us")?;
    let ends = Endpoints::of(cols)?;
    let bytes_out = cols.i64s("traffic.bytes_out")?;
    let bytes_in = cols.i64s("traffic.bytes_in")?;
    let packets_out = cols.i64s("traffic.packets_out")?;
    let packets_in = cols.i64s("traffic.packets_in")?;
    let duration = cols.i64s("unmapped.duration_us")?;
    let service = cols.strings("unmapped.service")?;
    let conn_state = cols.strings("unmapped.conn_state")?;
    let history = cols.strings("unmapped.history")?;
    let ip_bytes_out = cols.i64s("unmapped.ip_bytes_out")?;
    let ip_bytes_in = cols.i64s("unmapped.ip_bytes_in")?;
    let missed_bytes = cols.i64s("unmapped.missed_bytes")?;
    let local_orig = cols.bools("unmapped.local_orig")?;
    let local_resp = cols.bools("unmapped.local_resp")?;
    for i in 0..rows {
        let (src_ip, dst_ip) = ends.addresses(cols, i)?;
        out.push(Event::Flow(Flow {
            start: time.value(i),
            duration: opt_i64(duration, i),
            uid: ends.uid.owned(i),
            src_ip,
            src_port: opt_port(cols, ends.src_port, i)?.unwrap_or(0),
            dst_ip,
            dst_port: opt_port(cols, ends.dst_port, i)?.unwrap_or(0),
            transport: transport(opt_i32(ends.protocol, i)),
            service: service.owned(i),
            bytes_out: opt_u64(bytes_out, i),
            bytes_in: opt_u64(bytes_in, i),
            packets_out: opt_u64(packets_out, i),
            packets_in: opt_u64(packets_in, i),
            ip_bytes_out: opt_u64(ip_bytes_out, i),
            ip_bytes_in: opt_u64(ip_bytes_in, i),
            missed_bytes: opt_u64(missed_bytes, i),
            conn_state: conn_state.owned(i),
            history: history.owned(i),
            local_orig: opt_bool(local_orig, i),
            local_resp: opt_bool(local_resp, i),
        }));
    }
    Ok(())
}

fn dns(cols: &Columns, rows: usize, out: &mut Vec<Event>) -> Result<(), StoreError> {
    let time = cols.required_i64s("time_us")?;
    let ends = Endpoints::of(cols)?;
    let query = cols.strings("query.hostname")?;
    let qtype = cols.strings("query.type")?;
    let rcode = cols.strings("rcode")?;
    let rtt = cols.i64s("unmapped.rtt_us")?;
    // The answers: a list of `{rdata}` structs, offsets into one rdata column (none when
    // not read).
    let (offsets, rdata) = match cols.array("answers") {
        None => (Vec::new(), Strings::Absent),
        Some(answers) => {
            let (offsets, values): (Vec<usize>, &ArrayRef) =
                if let Some(list) = answers.as_list_opt::<i32>() {
                    let o = list.value_offsets().iter().map(|&o| o as usize).collect();
                    (o, list.values())
                } else if let Some(list) = answers.as_list_opt::<i64>() {
                    let o = list.value_offsets().iter().map(|&o| o as usize).collect();
                    (o, list.values())
                } else {
                    return Err(cols.schema_error("column answers is not a list".into()));
                };
            let rdata = values
                .as_struct_opt()
                .and_then(|s| s.column_by_name("rdata"))
                .and_then(Strings::of)
                .ok_or_else(|| cols.schema_error("column answers.rdata is not text".into()))?;
            (offsets, rdata)
        }
    };
    for i in 0..rows {
        let (src_ip, dst_ip) = ends.addresses(cols, i)?;
        let (from, to) = (
            offsets.get(i).copied().unwrap_or(0),
            offsets.get(i + 1).copied().unwrap_or(0),
        );
        out.push(Event::Dns(DnsQuery {
            time: time.value(i),
            uid: ends.uid.owned(i),
            src_ip,
            src_port: opt_port(cols, ends.src_port, i)?.unwrap_or(0),
            dst_ip,
            dst_port: opt_port(cols, ends.dst_port, i)?.unwrap_or(0),
            transport: transport(opt_i32(ends.protocol, i)),
            query: query.owned(i),
            qtype: qtype.owned(i),
            rcode: rcode.owned(i),
            answers: (from..to)
                .map(|k| rdata.owned(k).unwrap_or_default())
                .collect(),
            rtt: opt_i64(rtt, i),
        }));
    }
    Ok(())
}

fn log_name(name: Option<&str>) -> &'static str {
    match name {
        Some(FileAccess::WINDOWS_SECURITY) => FileAccess::WINDOWS_SECURITY,
        Some(FileAccess::ZEEK_SMB) => FileAccess::ZEEK_SMB,
        _ => FileAccess::SAMBA_AUDIT,
    }
}

/// File System Activity rows as events; with `reads_only`, only the successful reads.
fn file_access(
    cols: &Columns,
    rows: usize,
    reads_only: bool,
    out: &mut Vec<Event>,
) -> Result<(), StoreError> {
    let time = cols.required_i64s("time_us")?;
    let status = cols.strings("status")?;
    let detail = cols.strings("status_detail")?;
    let account = cols.strings("actor.user.name")?;
    let session = cols.strings("actor.session.uid")?;
    let server = cols.strings("device.hostname")?;
    let client_ip = cols.strings("src_endpoint.ip")?;
    let client_name = cols.strings("src_endpoint.hostname")?;
    let path = cols.strings("file.path")?;
    let object_type = cols.strings("file.type_name")?;
    // Parts written before the column existed have none: no size.
    let size = cols.i64s("file.size")?;
    let operation = cols.strings("metadata.event_code")?;
    let log = cols.strings("metadata.log_name")?;
    let share = cols.strings("unmapped.share")?;
    let relative = cols.bools("unmapped.path_is_relative")?;
    let action = cols.strings("unmapped.action")?;
    let rename_target = cols.strings("unmapped.rename_target")?;
    let access_mask = cols.i64s("unmapped.access_mask")?;
    let is_directory = cols.bools("unmapped.is_directory")?;
    let read = FileAction::Read.name();
    for i in 0..rows {
        let name = action.get(i).unwrap_or_default();
        if reads_only && (name != read || status.get(i) == Some(FAILURE)) {
            continue;
        }
        let action = FileAction::from_name(name, rename_target.owned(i))
            .ok_or_else(|| cols.row_error(i, format!("unknown file action {name}")))?;
        let access_mask = opt_i64(access_mask, i)
            .map(|m| u32::try_from(m).map_err(|_| cols.row_error(i, format!("bad mask {m}"))))
            .transpose()?;
        out.push(Event::FileAccess(FileAccess {
            time: time.value(i),
            server: server.owned(i),
            account: account.owned(i).unwrap_or_default(),
            client_ip: opt_addr(cols, &client_ip, i)?,
            client_name: client_name.owned(i),
            session: session.owned(i),
            share: share.owned(i).unwrap_or_default(),
            path: path.owned(i).unwrap_or_default(),
            path_is_relative: opt_bool(relative, i).unwrap_or(false),
            action,
            operation: operation.owned(i).unwrap_or_default(),
            log: log_name(log.get(i)),
            object_type: object_type.owned(i),
            access_mask,
            is_directory: opt_bool(is_directory, i),
            size: opt_i64(size, i).and_then(|v| u64::try_from(v).ok()),
            outcome: outcome(status.get(i), detail.get(i)),
        }));
    }
    Ok(())
}

fn authentication(cols: &Columns, rows: usize, out: &mut Vec<Event>) -> Result<(), StoreError> {
    let time = cols.required_i64s("time_us")?;
    let status = cols.strings("status")?;
    let detail = cols.strings("status_detail")?;
    let account = cols.strings("user.name")?;
    let session = cols.strings("session.uid")?;
    let src_ip = cols.strings("src_endpoint.ip")?;
    let src_port = cols.i32s("src_endpoint.port")?;
    let workstation = cols.strings("src_endpoint.hostname")?;
    let dst_ip = cols.strings("dst_endpoint.ip")?;
    let dst_port = cols.i32s("dst_endpoint.port")?;
    let logon_type = cols.i32s("logon_type_id")?;
    let protocol = cols.strings("auth_protocol")?;
    let service = cols.strings("service.name")?;
    let action = cols.strings("unmapped.action")?;
    let event_id = cols.i64s("unmapped.event_id")?;
    for i in 0..rows {
        let name = action.get(i).unwrap_or_default();
        let action = auth_action_of(name)
            .ok_or_else(|| cols.row_error(i, format!("unknown authentication action {name}")))?;
        out.push(Event::Authentication(Authentication {
            time: time.value(i),
            action,
            account: account.owned(i).unwrap_or_default(),
            src_ip: opt_addr(cols, &src_ip, i)?,
            src_port: opt_port(cols, src_port, i)?,
            workstation: workstation.owned(i),
            dst_ip: opt_addr(cols, &dst_ip, i)?,
            dst_port: opt_port(cols, dst_port, i)?,
            logon_type: opt_i32(logon_type, i).and_then(|t| u32::try_from(t).ok()),
            protocol: protocol.owned(i),
            service: service.owned(i),
            event_id: opt_i64(event_id, i)
                .and_then(|e| u32::try_from(e).ok())
                .unwrap_or(0),
            session: session.owned(i),
            outcome: outcome(status.get(i), detail.get(i)),
        }));
    }
    Ok(())
}

fn log_cleared(cols: &Columns, rows: usize, out: &mut Vec<Event>) -> Result<(), StoreError> {
    let time = cols.required_i64s("time_us")?;
    let account = cols.strings("actor.user.name")?;
    let session = cols.strings("actor.session.uid")?;
    let server = cols.strings("device.hostname")?;
    let channel = cols.strings("log_name")?;
    let event_code = cols.strings("metadata.event_code")?;
    for i in 0..rows {
        out.push(Event::LogCleared(LogCleared {
            time: time.value(i),
            server: server.owned(i),
            account: account.owned(i).unwrap_or_default(),
            session: session.owned(i),
            channel: channel.owned(i).unwrap_or_default(),
            event_id: event_code.get(i).and_then(|c| c.parse().ok()).unwrap_or(0),
        }));
    }
    Ok(())
}
