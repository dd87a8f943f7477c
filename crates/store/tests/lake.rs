//! The lake keeps every event exactly: written, read back, compacted, and after a crash.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use breachscope_model::{
    AuthAction, Authentication, DnsQuery, Event, FileAccess, FileAction, Flow, LogCleared, Outcome,
    Transport,
};
use breachscope_store::{Class, InputRecord, Store, lake};

const DAY: i64 = 86_400_000_000;
const T0: i64 = 1_740_364_650_123_456; // 2025-02-24T02:37:30.123456Z

fn events() -> Vec<Event> {
    let flow = |start: i64, transport: Transport| {
        Event::Flow(Flow {
            start,
            duration: Some(1_500_001),
            uid: Some("CHhAvVGS1DHFjwGM9".into()),
            src_ip: "10.0.0.5".parse().unwrap(),
            src_port: 51234,
            dst_ip: "2001:db8::1".parse().unwrap(),
            dst_port: 443,
            transport,
            service: Some("ssl".into()),
            bytes_out: Some(u64::from(u32::MAX) * 4),
            bytes_in: Some(0),
            packets_out: None,
            packets_in: Some(3),
            ip_bytes_out: Some(1),
            ip_bytes_in: None,
            missed_bytes: Some(0),
            conn_state: Some("SF".into()),
            history: Some("ShADadfF".into()),
            local_orig: Some(true),
            local_resp: None,
        })
    };
    vec![
        flow(T0, Transport::Tcp),
        flow(T0 + DAY, Transport::Other(132)),
        flow(T0 - 5, Transport::Unknown),
        Event::Dns(DnsQuery {
            time: T0 + 7,
            uid: None,
            src_ip: "10.0.0.5".parse().unwrap(),
            src_port: 5353,
            dst_ip: "10.0.0.1".parse().unwrap(),
            dst_port: 53,
            transport: Transport::Udp,
            query: Some("example.co.jp".into()),
            qtype: Some("A".into()),
            rcode: Some("NOERROR".into()),
            answers: vec!["192.0.2.1".into(), "TXT v=spf1".into()],
            rtt: Some(1234),
        }),
        Event::Dns(DnsQuery {
            time: T0 + 8,
            uid: Some("x".into()),
            src_ip: "10.0.0.5".parse().unwrap(),
            src_port: 5353,
            dst_ip: "10.0.0.1".parse().unwrap(),
            dst_port: 53,
            transport: Transport::Tcp,
            query: None,
            qtype: None,
            rcode: None,
            answers: vec![],
            rtt: None,
        }),
        Event::FileAccess(FileAccess {
            time: T0 + 9,
            server: Some("fs01".into()),
            account: "corp\\k.tanaka".into(),
            client_ip: Some("10.0.0.5".parse().unwrap()),
            client_name: Some("ws-001".into()),
            session: Some("4242".into()),
            share: "hr".into(),
            path: "給与/2025/明細.xlsx".into(),
            path_is_relative: true,
            action: FileAction::Read,
            operation: "create_file".into(),
            log: FileAccess::SAMBA_AUDIT,
            object_type: None,
            access_mask: Some(0x0012_0089),
            is_directory: Some(false),
            size: None,
            outcome: Outcome::Success,
        }),
        Event::FileAccess(FileAccess {
            time: T0 + 10,
            server: None,
            account: "bob".into(),
            client_ip: None,
            client_name: None,
            session: None,
            share: "c$".into(),
            path: "D:\\Shares\\x".into(),
            path_is_relative: false,
            action: FileAction::Rename("new/name.txt".into()),
            operation: "5145".into(),
            log: FileAccess::WINDOWS_SECURITY,
            object_type: Some("File".into()),
            access_mask: Some(u32::MAX),
            is_directory: None,
            size: None,
            outcome: Outcome::Failure("NT_STATUS_ACCESS_DENIED".into()),
        }),
        Event::Authentication(Authentication {
            time: T0 + 11,
            action: AuthAction::ExplicitCredentials,
            account: "corp\\admin".into(),
            src_ip: Some("::1".parse().unwrap()),
            src_port: Some(0),
            workstation: Some("WS-001".into()),
            dst_ip: None,
            dst_port: Some(445),
            logon_type: Some(3),
            protocol: Some("NTLMv2".into()),
            service: Some("SMB2".into()),
            event_id: 4648,
            session: Some("0x3e7".into()),
            outcome: Outcome::Failure(String::new()),
        }),
        Event::LogCleared(LogCleared {
            time: T0 + 12,
            server: Some("dc01".into()),
            account: "corp\\admin".into(),
            session: None,
            channel: "Security".into(),
            event_id: 1102,
        }),
    ]
}

fn read_all(store: &Store) -> Vec<Event> {
    let mut out = Vec::new();
    for class in Class::ALL {
        for day in store.read_class(class, None).unwrap() {
            out.extend(day);
        }
    }
    out
}

fn sorted(mut v: Vec<Event>) -> Vec<String> {
    let mut s: Vec<String> = v.drain(..).map(|e| format!("{e:?}")).collect();
    s.sort();
    s
}

#[test]
fn events_round_trip_through_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let written = store
        .write_batch(
            &events(),
            &mut [],
            &[("log_tz".into(), "Asia/Tokyo".into())],
        )
        .unwrap();
    assert_eq!(written.rows, 9);
    // Two days of flows, one of everything else: six partitions.
    assert_eq!(written.parts.len(), 6);
    assert!(
        dir.path()
            .join("lake/class_uid=4001/event_day=20250224")
            .is_dir()
    );
    assert_eq!(sorted(read_all(&store)), sorted(events()));
    assert_eq!(
        store.catalog().setting("log_tz").unwrap().as_deref(),
        Some("Asia/Tokyo")
    );
    // Within a partition, rows come back sorted by time.
    let flows = store.read_class(Class::NetworkActivity, None).unwrap();
    assert_eq!(
        flows[0].iter().map(Event::time).collect::<Vec<_>>(),
        [T0 - 5, T0]
    );
}

#[test]
fn compaction_merges_small_parts_and_keeps_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    for _ in 0..3 {
        store.write_batch(&events(), &mut [], &[]).unwrap();
    }
    assert_eq!(store.catalog().parts(None).unwrap().len(), 18);
    let merged = store.compact().unwrap();
    assert_eq!(merged.rows, 27);
    assert_eq!(store.catalog().parts(None).unwrap().len(), 6);
    let mut want = events();
    want.extend(events());
    want.extend(events());
    assert_eq!(sorted(read_all(&store)), sorted(want));
    // The replaced files are gone from the disk as well.
    let files = walk(&dir.path().join("lake"));
    assert_eq!(files.len(), 6, "{files:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn parts_the_catalog_does_not_list_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(dir.path()).unwrap();
        let mut input = vec![InputRecord {
            path: "/logs/a.log".into(),
            kind: "samba_audit".into(),
            consumed_lines: 9,
            per_class: "{}".into(),
            ..InputRecord::default()
        }];
        store.write_batch(&events(), &mut input, &[]).unwrap();
        assert!(input[0].id.is_some());
        // A second store on the same directory is refused while the first holds it.
        assert!(Store::open(dir.path()).is_err());
    }
    // What a crash between the rename and the commit leaves: a part no commit lists, and a
    // temporary file.
    let part = dir
        .path()
        .join("lake/class_uid=1001/event_day=20250224/part-00000099.parquet");
    std::fs::copy(
        walk(&dir.path().join("lake/class_uid=1001")).remove(0),
        &part,
    )
    .unwrap();
    let temp = dir
        .path()
        .join("lake/class_uid=4003/event_day=20250224/.part-00000100.parquet.tmp");
    std::fs::write(&temp, b"half").unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(!part.exists() && !temp.exists());
    assert_eq!(sorted(read_all(&store)), sorted(events()));
    let inputs = store.catalog().inputs().unwrap();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0].consumed_lines, 9);
}

/// The part files of one class, from the catalog.
fn part_paths(store: &Store, class: Class) -> Vec<std::path::PathBuf> {
    store
        .catalog()
        .parts(Some(class))
        .unwrap()
        .into_iter()
        .map(|p| store.lake().join(&p.info.path))
        .collect()
}

#[test]
fn a_projection_reads_only_its_columns_and_leaves_the_rest_empty() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.write_batch(&events(), &mut [], &[]).unwrap();
    let only = [
        "time_us",
        "src_endpoint.ip",
        "dst_endpoint.ip",
        "traffic.bytes_out",
        "unmapped.duration_us",
    ];
    let mut flows = Vec::new();
    for path in part_paths(&store, Class::NetworkActivity) {
        lake::read_part_into(&path, Class::NetworkActivity, Some(&only), &mut flows).unwrap();
    }
    assert_eq!(flows.len(), 3);
    for event in &flows {
        let Event::Flow(f) = event else {
            panic!("not a flow: {event:?}")
        };
        // What was read is exact ...
        assert_eq!(f.src_ip.to_string(), "10.0.0.5");
        assert_eq!(f.dst_ip.to_string(), "2001:db8::1");
        assert_eq!(f.bytes_out, Some(u64::from(u32::MAX) * 4));
        assert_eq!(f.duration, Some(1_500_001));
        // ... and the rest is empty, not invented.
        assert_eq!((f.uid.as_deref(), f.src_port, f.dst_port), (None, 0, 0));
        assert_eq!((f.service.as_deref(), f.history.as_deref()), (None, None));
        assert_eq!((f.bytes_in, f.packets_in, f.local_orig), (None, None, None));
        assert_eq!(f.transport, Transport::Unknown);
    }
    // A query read without its answers has none.
    let mut queries = Vec::new();
    for path in part_paths(&store, Class::DnsActivity) {
        let only = [
            "time_us",
            "src_endpoint.ip",
            "dst_endpoint.ip",
            "query.hostname",
        ];
        lake::read_part_into(&path, Class::DnsActivity, Some(&only), &mut queries).unwrap();
    }
    assert!(
        queries
            .iter()
            .all(|e| matches!(e, Event::Dns(d) if d.answers.is_empty()))
    );
    assert!(
        queries
            .iter()
            .any(|e| matches!(e, Event::Dns(d) if d.query.as_deref() == Some("example.co.jp")))
    );
    // Without a column every row needs, the part is refused with its name.
    let path = &part_paths(&store, Class::NetworkActivity)[0];
    let err = lake::read_part_into(
        path,
        Class::NetworkActivity,
        Some(&["traffic"]),
        &mut vec![],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no column time_us"), "{err}");
    assert!(err.contains(".parquet"), "{err}");
}

#[test]
fn scoping_readers_keep_only_what_scoping_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.write_batch(&events(), &mut [], &[]).unwrap();
    // Of the two file operations, the successful read (not the denied rename).
    let reads: Vec<FileAccess> = part_paths(&store, Class::FileSystemActivity)
        .iter()
        .flat_map(|p| breachscope_store::columns::read_successful_reads(p).unwrap())
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].path, "給与/2025/明細.xlsx");
    let expected = events()
        .into_iter()
        .find_map(|e| match e {
            Event::FileAccess(a) if a.action == FileAction::Read => Some(a),
            _ => None,
        })
        .unwrap();
    assert_eq!(reads[0], expected);
    // Flows to one destination, and to none.
    let flows = part_paths(&store, Class::NetworkActivity);
    let to = |dst: &str| -> Vec<lake::FlowBrief> {
        flows
            .iter()
            .flat_map(|p| lake::read_flow_briefs_to(p, &[dst.parse().unwrap()]).unwrap())
            .collect()
    };
    let briefs = to("2001:db8::1");
    assert_eq!(briefs.len(), 3);
    assert!(
        briefs
            .iter()
            .all(|b| b.bytes_out == u64::from(u32::MAX) * 4)
    );
    assert!(briefs.iter().any(|b| b.end == T0 + 1_500_001));
    assert!(to("192.0.2.1").is_empty());
}
