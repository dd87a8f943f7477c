//! A corpus of malformed evidence, generated here, with exact accepted/rejected counts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::{breachscope, file_entry, normalize};

const FIELDS_22: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto";

fn header(fields: &str) -> String {
    format!(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2025-06-22-00-00-00\n#fields\t{fields}\n#types\t{}\n",
        fields
            .split('\t')
            .map(|_| "string")
            .collect::<Vec<_>>()
            .join("\t")
    )
}

fn conn_line(i: u32) -> String {
    format!(
        "1750550400.{i:06}\tC{i:017}\t10.1.3.34\t{}\t198.51.100.23\t443\ttcp\tssl\t1.500000\t{}\t5000\tSF\tT\tF\t0\tShADadFf\t10\t1400\t8\t5400\t-\t6",
        40000 + i % 20000,
        1000 + i
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn zeek_tsv_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = header(FIELDS_22);
    for i in 0..3 {
        text += &conn_line(i);
        text.push('\n');
    }
    let good = conn_line(9);
    let fields: Vec<&str> = good.split('\t').collect();
    text += &fields[..10].join("\t"); // truncated line
    text.push('\n');
    text += &format!("{good}\textra\n"); // 23 fields
    text += &good.replace("10.1.3.34", "999.1.1.1"); // bad address
    text.push('\n');
    text += &good.replace("\t1009\t", "\tabc\t"); // orig_bytes not a count
    text.push('\n');
    text += "\n"; // blank: skipped
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"\xff\xfe\x00garbage\x80\x81 not a record\n"); // garbage bytes
    bytes.extend_from_slice(good.replace("ShADadFf", "Sh\u{1}A").as_bytes()); // odd but valid
    bytes.extend_from_slice(b"\n");
    let mut bad_utf8 = good.clone().into_bytes();
    let h = bad_utf8.windows(8).position(|w| w == b"ShADadFf").unwrap();
    bad_utf8[h + 2] = 0xff; // invalid UTF-8 inside history: tolerated and counted
    bytes.extend_from_slice(&bad_utf8);
    bytes.extend_from_slice(b"\n");
    // A second block in the older 21-field layout, columns in another order.
    let fields_21 = "uid\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents";
    bytes.extend_from_slice(header(fields_21).as_bytes());
    bytes.extend_from_slice(b"CaaaaaaaaaaaaaaaaA\t1750550500.5\t10.1.3.35\t5555\t203.0.113.9\t80\ttcp\t-\t-\t-\t-\tS0\tT\tF\t0\tS\t1\t60\t0\t0\t(empty)\n");
    bytes.extend_from_slice(b"CbbbbbbbbbbbbbbbbB\t1750550501\t::ffff:10.1.3.36\t5556\t2001:db8::1\t443\tudp\tquic,ssl\t0.25\t10\t20\tSF\tT\tF\t0\tDd\t1\t38\t1\t48\t(empty)\n");
    bytes.extend_from_slice(b"#close\t2025-06-22-01-00-00\n");
    let path = write(dir.path(), "conn_bad.log", &bytes);

    let (events, summary, stderr) = normalize(&[&path]);
    let entry = file_entry(&summary, "conn_bad.log");
    assert_eq!(entry["records"], 7, "{entry}");
    assert_eq!(entry["rejected"], 5, "{entry}");
    assert_eq!(entry["invalid_utf8_lines"], 2, "{entry}");
    assert_eq!(events.len(), 7);
    // Each rejection is reported with file:line and a reason, without the line's content.
    for (line, reason) in [
        (12, "expected 22 fields"),
        (13, "expected 22 fields"),
        (14, "id.orig_h is not an IP address"),
        (15, "orig_bytes is not a count"),
        (17, "expected 22 fields"),
    ] {
        let needle = format!("conn_bad.log:{line}: ");
        let l = stderr
            .lines()
            .find(|l| l.contains(&needle))
            .unwrap_or_else(|| panic!("{needle} in {stderr}"));
        assert!(l.contains(reason), "{l}");
        assert!(
            !l.contains("198.51.100.23"),
            "a rejection quotes the record: {l}"
        );
    }
    let v4 = events
        .iter()
        .find(|e| e["connection_info"]["uid"] == "CbbbbbbbbbbbbbbbbB")
        .unwrap();
    assert_eq!(
        v4["src_endpoint"]["ip"], "10.1.3.36",
        "IPv4-mapped IPv6 shown as IPv4"
    );
    assert_eq!(v4["dst_endpoint"]["ip"], "2001:db8::1");
    assert_eq!(v4["time"], 1_750_550_501_000_i64);
    assert_eq!(v4["duration"], 250);
    let older = events
        .iter()
        .find(|e| e["connection_info"]["uid"] == "CaaaaaaaaaaaaaaaaA")
        .unwrap();
    assert_eq!(older["time"], 1_750_550_500_500_i64);
    assert!(
        older["traffic"].get("bytes_out").is_none(),
        "unset '-' stays absent"
    );
}

#[test]
fn cut_gzip_is_reported_and_the_next_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut plain = header(FIELDS_22);
    for i in 0..5000 {
        plain += &conn_line(i);
        plain.push('\n');
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(plain.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let cut = &gz[..gz.len() * 6 / 10];
    let cut_path = write(dir.path(), "conn.00:00:00-01:00:00.log.gz", cut);
    let next_path = write(dir.path(), "conn.01:00:00-02:00:00.log", plain.as_bytes());

    // Independent recount: complete lines a gzip reader can recover from the cut stream.
    let mut recovered = Vec::new();
    let mut dec = flate2::read::GzDecoder::new(cut);
    let mut buf = [0u8; 8192];
    loop {
        match dec.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => recovered.extend_from_slice(&buf[..n]),
        }
    }
    let complete_lines = recovered.iter().filter(|&&b| b == b'\n').count() as u64;
    let expected_records = complete_lines - 8; // the 8 header lines

    let (events, summary, stderr) = normalize(&[&cut_path, &next_path]);
    let cut_entry = file_entry(&summary, ".log.gz");
    assert_eq!(cut_entry["records"], expected_records, "{cut_entry}");
    assert_eq!(cut_entry["rejected"], 0);
    assert!(cut_entry["gzip"].as_bool().unwrap());
    let error = cut_entry["error"].as_str().expect("the cut is reported");
    assert!(
        error.contains(&format!("({expected_records} records)")),
        "{error}"
    );
    assert!(
        stderr.contains("conn.00:00:00-01:00:00.log.gz") && stderr.contains("gzip"),
        "{stderr}"
    );
    let next = file_entry(&summary, "conn.01:00:00-02:00:00.log");
    assert_eq!(next["records"], 5000);
    assert_eq!(events.len() as u64, expected_records + 5000);
}

#[test]
fn headerless_and_json_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String = (0..7).map(|i| conn_line(i) + "\n").collect();
    let headerless = write(dir.path(), "headerless.log", lines.as_bytes());
    // Detected by content: nothing says this is Zeek, so it is not read (and said so).
    let (events, summary, stderr) = normalize(&[&headerless]);
    assert!(events.is_empty());
    assert_eq!(file_entry(&summary, "headerless.log")["kind"], "unknown");
    assert!(stderr.contains("format not recognised"), "{stderr}");
    // Forced to Zeek: every data line is rejected for want of a header.
    let (events, summary, stderr) = normalize(&["--format", "zeek", &headerless]);
    assert!(events.is_empty());
    assert_eq!(file_entry(&summary, "headerless.log")["rejected"], 7);
    assert!(stderr.contains("headerless.log:1: data line before any #fields header"));

    let json = [
        r#"{"ts":1517422326.539915,"uid":"C1","id.orig_h":"10.55.100.100","id.orig_p":61843,"id.resp_h":"205.204.101.182","id.resp_p":80,"proto":"tcp","orig_bytes":719}"#,
        r#"{"ts":"2018-01-31T18:12:06.539915Z","uid":"C2","id.orig_h":"10.55.100.100","id.orig_p":1,"id.resp_h":"1.2.3.4","id.resp_p":53,"proto":"udp","query":"example.com","qtype_name":"A","_path":"dns"}"#,
        r#"{"ts":1517422326.5,"uid":"C3","id.orig_h":"10.55.100.100","id.resp_h":"205.204.101.182""#,
        r#"{"ts":"yesterday","uid":"C4","id.orig_h":"10.55.100.100","id.resp_h":"205.204.101.182"}"#,
        r#"{"ts":1517422326.5,"uid":"C5","id.orig_h":"10.55.100.100","id.resp_h":"205.204.101.182","id.resp_p":70000}"#,
        r#"{"ts":1517422326.5,"uid":"C6","_path":"http","id.orig_h":"10.55.100.100","id.resp_h":"205.204.101.182"}"#,
        r#"{"unrelated":true}"#,
    ]
    .join("\n");
    let json_path = write(dir.path(), "conn.json", json.as_bytes());
    let (events, summary, _) = normalize(&[&json_path]);
    let entry = file_entry(&summary, "conn.json");
    assert_eq!(
        (
            entry["records"].as_u64(),
            entry["rejected"].as_u64(),
            entry["skipped"].as_u64()
        ),
        (Some(2), Some(4), Some(1)),
        "{entry}"
    );
    assert_eq!(events[0]["time"], 1_517_422_326_539_i64);
    assert_eq!(events[1]["class_uid"], 4003);
    assert_eq!(events[1]["time"], 1_517_422_326_539_i64);
}

#[test]
fn samba_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let ok = "2025-06-22T02:13:05.000001+09:00 fs01 smbd_audit: k.tanaka|10.1.3.34|ws-034|sales|";
    let lines = [
        format!("{ok}connect|ok|sales"),
        format!("{ok}openat|ok|r|/srv/sales"),
        format!("{ok}create_file|ok|0x120089|file|open|/srv/sales/顧客/list.csv"),
        format!("{ok}pread_recv|ok|/srv/sales/顧客/list.csv"),
        "2025-06-22T02:13:05.000001+09:00 fs01 smbd_audit: k.tanaka|10.1.3.34|ws-0".to_string(), // cut
        format!("{ok}create_file|ok|0xZZ|file|open|/srv/sales/x"),
        format!("{ok}close|maybe|/srv/sales/x"),
        "2025-06-22T02:13:05.000001+09:00 fs01 CRON[1234]: (root) CMD (run-parts)".to_string(),
        "\u{1}\u{2}binary junk".to_string(),
        "2025-06-22T02:13".to_string(),
        format!("{ok}disconnect|ok|sales"),
    ];
    let path = write(dir.path(), "audit.log", lines.join("\n").as_bytes());
    let (events, summary, stderr) = normalize(&[&path]);
    let entry = file_entry(&summary, "audit.log");
    assert_eq!(entry["records"], 5, "{entry}");
    assert_eq!(entry["rejected"], 5, "{entry}");
    assert_eq!(entry["skipped"], 1, "{entry}");
    for line in [5, 6, 7, 9, 10] {
        assert!(
            stderr.contains(&format!("audit.log:{line}: ")),
            "line {line}: {stderr}"
        );
    }
    let read = events.iter().find(|e| e["activity_id"] == 2).unwrap();
    assert_eq!(read["file"]["path"], "顧客/list.csv");
    assert_eq!(read["file"]["name"], "list.csv");
    assert_eq!(read["time"], 1_750_525_985_000_i64);
}

#[test]
fn bad_arguments_fail_before_work() {
    for (args, needle) in [
        (
            vec!["normalize", "/nonexistent/evidence"],
            "/nonexistent/evidence",
        ),
        (
            vec!["normalize", "--log-tz", "Mars/Olympus", "."],
            "--log-tz",
        ),
        (
            vec!["normalize", "--samba-prefix", "%I|%m", "."],
            "--samba-prefix",
        ),
        (
            vec!["normalize", "--internal", "10.0.0.0/99", "."],
            "--internal",
        ),
        (
            vec!["normalize", "--share-root", "records", "."],
            "--share-root",
        ),
    ] {
        let out = breachscope(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}
