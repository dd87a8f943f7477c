//! A zeekctl archive directory (`YYYY-MM-DD/conn.HH:MM:SS-HH:MM:SS.log.gz`) with dns logs and a
//! Samba audit log beside it, read as one directory with formats detected by content.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;

use common::normalize;

fn gz(text: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

fn conn_log(hour: u32, rows: u32) -> String {
    let mut s = String::from(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount\n",
    );
    for i in 0..rows {
        let ts = 1_750_550_400 + hour * 3600 + i * 10;
        s += &format!(
            "{ts}.000000\tC{hour:02}x{i:06}\t10.1.3.34\t5{i:04}\t198.51.100.23\t443\ttcp\tssl\t2.0\t{}\t300\tSF\tT\tF\t0\tShADadFf\t5\t700\t4\t500\t-\t6\n",
            100 + i
        );
    }
    s + "#close\t2025-06-22-01-00-00\n"
}

#[test]
fn zeekctl_archive_and_samba_in_one_directory() {
    let root = tempfile::tempdir().unwrap();
    let day = root.path().join("2025-06-22");
    std::fs::create_dir(&day).unwrap();
    // Written out of order on purpose: the reader sorts paths, so hours come in time order.
    for hour in [2u32, 0, 1] {
        let name = format!("conn.{:02}:00:00-{:02}:00:00.log.gz", hour, hour + 1);
        std::fs::write(day.join(name), gz(&conn_log(hour, 50))).unwrap();
    }
    let dns = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n1750550400.5\tCd1\t10.1.3.34\t5353\t10.1.0.2\t53\tudp\t1\t0.001\tc2.example.net\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t198.51.100.23,198.51.100.24\t60.0,60.0\tF\n";
    std::fs::write(day.join("dns.00:00:00-01:00:00.log.gz"), gz(dns)).unwrap();
    let samba = "2025-06-22T09:00:00.000001+09:00 fs01 smbd_audit: k.tanaka|10.1.3.34|ws-034|sales|connect|ok|sales\n";
    std::fs::write(root.path().join("fs01-audit.log"), samba).unwrap();

    let (events, summary, _) =
        normalize(&["--log-tz", "Asia/Tokyo", root.path().to_str().unwrap()]);
    let files = summary["files"].as_array().unwrap();
    let kinds: Vec<(&str, u64)> = files
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["records"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("zeek_conn", 50),
            ("zeek_conn", 50),
            ("zeek_conn", 50),
            ("zeek_dns", 1),
            ("samba_audit", 1)
        ]
    );
    assert!(files.iter().all(|f| f["rejected"] == 0));
    assert_eq!(summary["totals"]["records"], 152);
    let conn_times: Vec<i64> = events
        .iter()
        .filter(|e| e["class_uid"] == 4001)
        .map(|e| e["time"].as_i64().unwrap())
        .collect();
    assert!(
        conn_times.windows(2).all(|w| w[0] <= w[1]),
        "hourly files read in time order"
    );
    let dns_event = events.iter().find(|e| e["class_uid"] == 4003).unwrap();
    assert_eq!(dns_event["query"]["hostname"], "c2.example.net");
    assert_eq!(dns_event["answers"].as_array().unwrap().len(), 2);
    let samba_event = events.iter().find(|e| e["class_uid"] == 1001).unwrap();
    assert_eq!(samba_event["time"], 1_750_550_400_000_i64);
    assert_eq!(samba_event["device"]["hostname"], "fs01");
}
