//! The nfcapd reader on nfcapd's own files: softflowd's v5, v9 and IPFIX exports of two Zeek
//! traces as nfcapd 1.7.1 stored them (`../shared/data/netflow`), compared record for record
//! with nfdump's CSV decode stored beside them; the same files recompressed by the installed
//! nfdump (LZO, bzip2, LZ4, with `-w` and with `-J`) compared with nfdump's live decode of each
//! (`-o json` to the millisecond, `-o csv`); a zstd copy (nfdump 1.7.1 cannot write zstd)
//! compared with the uncompressed file; and the paired flows compared with the live collector's
//! pairing of the same exports.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use breachscope_ingest::netflow::{Collector, FlowRecord, Pairer};
use breachscope_ingest::nfcapd::{Compression, NfcapdReader, is_nfcapd};
use breachscope_ingest::pcap::udp_datagrams;
use breachscope_model::{Event, Flow};

fn vectors() -> Option<PathBuf> {
    common::shared_data("netflow")
}

fn nfcapd_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nfcapd"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .nfcapd files in {}", dir.display());
    files
}

/// Whether the installed nfdump can be run (it is only used by these tests).
fn nfdump() -> bool {
    match Command::new("nfdump").arg("-V").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            eprintln!("SKIPPED (live part): nfdump is not installed");
            false
        }
    }
}

/// Every record of a file, and the reader's counts; the file must read without rejections.
fn read_all(path: &Path) -> (Vec<FlowRecord>, breachscope_ingest::FileStats, Compression) {
    let reader = NfcapdReader::open(path).unwrap();
    let compression = reader.header().compression;
    let mut reader = reader;
    let mut records = Vec::new();
    for item in reader.by_ref() {
        match item {
            Ok(r) => records.push(r),
            Err(e) => panic!("{}: rejected: {e:?}", path.display()),
        }
    }
    let stats = reader.finish();
    assert_eq!(stats.rejected, 0, "{stats:?}");
    assert!(stats.failure.is_none(), "{stats:?}");
    (records, stats, compression)
}

fn protocol_name(p: u8) -> String {
    match p {
        1 => "ICMP".into(),
        6 => "TCP".into(),
        17 => "UDP".into(),
        47 => "GRE".into(),
        50 => "ESP".into(),
        58 => "ICMP6".into(),
        n => n.to_string(),
    }
}

/// nfdump's TCP flag string: CWR ECE URG ACK PSH RST SYN FIN, `.` where unset.
fn flag_string(f: u8) -> String {
    b"CEUAPRSF"
        .iter()
        .enumerate()
        .map(|(i, &c)| if f & (0x80 >> i) != 0 { c as char } else { '.' })
        .collect()
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of a µs timestamp, as nfdump 1.7.1's CSV prints it.
fn seconds(us: i64) -> String {
    let ts = jiff::Timestamp::from_second(us.div_euclid(1_000_000)).unwrap();
    ts.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// `YYYY-MM-DDTHH:MM:SS.mmm` (UTC), as nfdump's JSON prints it.
fn millis(us: i64) -> String {
    let ts = jiff::Timestamp::from_millisecond(us.div_euclid(1000)).unwrap();
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

/// A record as nfdump 1.7.1's `-o csv` prints it: ts, te, td, sa, da, sp, dp, pr, flg, ipkt,
/// ibyt, opkt, obyt, ra.
fn csv_fields(r: &FlowRecord) -> Vec<String> {
    let first_ms = r.start / 1000;
    let last_ms = r.end / 1000;
    // nfdump subtracts unsigned milliseconds: a last-seen before first-seen wraps.
    let td = (last_ms as u64).wrapping_sub(first_ms as u64) as f64 / 1000.0;
    vec![
        seconds(r.start),
        seconds(r.end),
        format!("{td:.3}"),
        r.src_ip.to_string(),
        r.dst_ip.to_string(),
        r.src_port.to_string(),
        r.dst_port.to_string(),
        protocol_name(r.protocol),
        flag_string(r.tcp_flags),
        r.packets.to_string(),
        r.bytes.to_string(),
        r.reverse_packets.unwrap_or(0).to_string(),
        r.reverse_bytes.unwrap_or(0).to_string(),
        r.exporter.to_string(),
    ]
}

/// The same fields of nfdump's CSV rows (header and summary left out).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "ts", "nfdump ≤ 1.7.4 CSV expected");
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let cols: Vec<usize> = [
        "ts", "te", "td", "sa", "da", "sp", "dp", "pr", "flg", "ipkt", "ibyt", "opkt", "obyt", "ra",
    ]
    .iter()
    .map(|c| col(c))
    .collect();
    lines
        .take_while(|l| !l.is_empty() && *l != "Summary")
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            cols.iter().map(|&i| f[i].trim().to_string()).collect()
        })
        .collect()
}

/// Records against nfdump's CSV rows, in order, or as a multiset when `ordered` is false (the
/// stored CSVs list the same rows as a live decode, in another order). A row that nfdump prints
/// with last-seen before first-seen (nfcapd 1.7.1 stored it so) is compared the other way round,
/// and its duration (nfdump's unsigned difference, wrapped) only for being wrapped.
fn compare_csv(what: &str, records: &[FlowRecord], csv: &str, ordered: bool) -> usize {
    let split = |mut f: Vec<String>, inverted: bool| -> (Vec<String>, Option<String>) {
        let td = f.remove(2);
        (f, (!inverted).then_some(td))
    };
    let mut rows: Vec<(Vec<String>, Option<String>)> = csv_rows(csv)
        .into_iter()
        .map(|mut row| {
            // A wrapped duration: last-seen before first-seen.
            let inverted = row[2].parse::<f64>().unwrap() > 1e16;
            if inverted {
                assert!(row[0] >= row[1], "{what}: {row:?}");
                row.swap(0, 1);
            }
            split(row, inverted)
        })
        .collect();
    let mut ours: Vec<(Vec<String>, Option<String>)> = records
        .iter()
        .map(|r| split(csv_fields(r), false))
        .collect();
    assert_eq!(ours.len(), rows.len(), "{what}: record count");
    if !ordered {
        rows.sort();
        ours.sort();
    }
    for (i, (o, row)) in ours.iter().zip(&rows).enumerate() {
        assert_eq!(o.0, row.0, "{what}: record {i}");
        if row.1.is_some() {
            assert_eq!(o.1, row.1, "{what}: record {i} duration");
        }
    }
    rows.len()
}

/// Records against nfdump's `-o json` of the same file: times to the millisecond.
fn compare_json(what: &str, records: &[FlowRecord], json: &str) -> usize {
    let rows: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
    assert_eq!(records.len(), rows.len(), "{what}: record count");
    for (i, (r, j)) in records.iter().zip(&rows).enumerate() {
        let s = |k: &str| j[k].as_str().unwrap_or_default().to_string();
        let n = |k: &str| j[k].as_u64().unwrap();
        let (sa, da) = if r.src_ip.is_ipv4() {
            (s("src4_addr"), s("dst4_addr"))
        } else {
            (s("src6_addr"), s("dst6_addr"))
        };
        let router = if r.exporter.is_ipv4() {
            s("ip4_router")
        } else {
            s("ip6_router")
        };
        let (first, last) = if s("first") > s("last") {
            (s("last"), s("first"))
        } else {
            (s("first"), s("last"))
        };
        let ours = (
            millis(r.start),
            millis(r.end),
            r.src_ip.to_string(),
            r.dst_ip.to_string(),
            u64::from(r.src_port),
            u64::from(r.dst_port),
            u64::from(r.protocol),
            flag_string(r.tcp_flags),
            r.packets,
            r.bytes,
            r.exporter.to_string(),
        );
        let theirs = (
            first,
            last,
            sa,
            da,
            n("src_port"),
            n("dst_port"),
            n("proto"),
            s("tcp_flags"),
            n("in_packets"),
            n("in_bytes"),
            router,
        );
        assert_eq!(ours, theirs, "{what}: record {i}");
    }
    rows.len()
}

fn run_nfdump(args: &[&str]) -> String {
    let out = Command::new("nfdump")
        .env("TZ", "UTC")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nfdump {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every record of a file against nfdump's live `-o csv` and `-o json` of it.
fn compare_live(what: &str, path: &Path, records: &[FlowRecord]) -> usize {
    let p = path.to_str().unwrap();
    let n = compare_csv(what, records, &run_nfdump(&["-r", p, "-o", "csv"]), true);
    assert_eq!(
        n,
        compare_json(what, records, &run_nfdump(&["-r", p, "-o", "json"]))
    );
    n
}

#[test]
fn records_equal_nfdumps_csv() {
    let Some(dir) = vectors() else { return };
    let mut total = 0;
    for f in nfcapd_files(&dir) {
        let head = std::fs::read(&f).unwrap();
        assert!(is_nfcapd(&head[..40]), "{}", f.display());
        let (records, stats, _) = read_all(&f);
        let csv = std::fs::read_to_string(f.with_extension("nfdump.csv")).unwrap();
        let n = compare_csv(&f.display().to_string(), &records, &csv, false);
        assert_eq!(stats.kind, "nfcapd");
        assert_eq!(stats.records, n as u64);
        assert_eq!(stats.bytes, head.len() as u64);
        use sha2::Digest;
        assert_eq!(
            stats.sha256,
            breachscope_model::hex(&sha2::Sha256::digest(&head))
        );
        println!(
            "{}: {n} of {n} records equal nfdump's stored CSV; notes: {:?}",
            f.file_name().unwrap().to_string_lossy(),
            stats.notes
        );
        total += n;
    }
    assert_eq!(total, 54 + 57 + 57 + 2 + 2 + 2);
}

/// Each file recompressed by nfdump itself, both ways it can (`-w` with a compression flag,
/// and `-J` in place), read by us and by nfdump live.
#[test]
fn every_compression_nfdump_writes_reads_as_nfdump_reads_it() {
    let Some(dir) = vectors() else { return };
    if !nfdump() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut seen = BTreeMap::new();
    for f in nfcapd_files(&dir) {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let (plain, _, _) = read_all(&f);
        let n = compare_live(&name, &f, &plain);
        *seen.entry("none").or_insert(0) += n;
        let fs = f.to_str().unwrap();
        for (flag, j, want) in [
            ("-z", "1", Compression::Lzo),
            ("-j", "2", Compression::Bzip2),
            ("-y", "3", Compression::Lz4),
        ] {
            let written = tmp.path().join(format!("{name}{flag}.nfcapd"));
            run_nfdump(&["-r", fs, flag, "-w", written.to_str().unwrap()]);
            let (records, _, compression) = read_all(&written);
            assert_eq!(compression, want, "{}", written.display());
            assert_eq!(records, plain, "{name} {flag}");
            compare_live(&format!("{name} {flag}"), &written, &records);

            let converted = tmp.path().join(format!("{name}-J{j}.nfcapd"));
            std::fs::write(&converted, std::fs::read(&f).unwrap()).unwrap();
            run_nfdump(&["-J", j, "-r", converted.to_str().unwrap()]);
            let (records, _, compression) = read_all(&converted);
            assert_eq!(compression, want, "{}", converted.display());
            assert_eq!(records, plain, "{name} -J {j}");
            let n = compare_live(&format!("{name} -J {j}"), &converted, &records);
            *seen.entry(want.name()).or_insert(0) += 2 * n;
        }
    }
    println!("records equal to nfdump's live csv and json decode, per compression: {seen:?}");
}

/// Rewrites an uncompressed nfcapd file with every block zstd-compressed (as nfdump ≥ 1.7.2
/// writes them).
fn to_zstd(plain: &[u8]) -> Vec<u8> {
    assert_eq!(plain[16], 0, "uncompressed input expected");
    let appendix = u64::from_le_bytes(plain[24..32].try_into().unwrap()) as usize;
    let mut out = plain[..40].to_vec();
    out[16] = 4;
    let mut at = 40;
    while at + 12 <= plain.len() {
        if at == appendix {
            let new = out.len() as u64;
            out[24..32].copy_from_slice(&new.to_le_bytes());
        }
        let size = u32::from_le_bytes(plain[at + 4..at + 8].try_into().unwrap()) as usize;
        let payload = &plain[at + 12..at + 12 + size];
        let packed = zstd::bulk::compress(payload, 3).unwrap();
        out.extend_from_slice(&plain[at..at + 4]);
        out.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        out.extend_from_slice(&plain[at + 8..at + 12]);
        out.extend_from_slice(&packed);
        at += 12 + size;
    }
    assert_eq!(at, plain.len());
    out
}

#[test]
fn zstd_blocks_read_as_the_uncompressed_file() {
    let Some(dir) = vectors() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for f in nfcapd_files(&dir) {
        let (plain, _, _) = read_all(&f);
        let z = tmp.path().join("z.nfcapd");
        std::fs::write(&z, to_zstd(&std::fs::read(&f).unwrap())).unwrap();
        let (records, stats, compression) = read_all(&z);
        assert_eq!(compression, Compression::Zstd);
        assert_eq!(records, plain, "{}", f.display());
        assert!(
            stats.notes.iter().any(|n| n.contains("1 appendix blocks")),
            "{stats:?}"
        );
    }
}

/// A flow as compared: addresses, ports, protocol, counts both ways.
type FlowKey = (
    String,
    u16,
    String,
    u16,
    String,
    Option<u64>,
    Option<u64>,
    Option<u64>,
    Option<u64>,
);

fn flow_key(f: &Flow) -> FlowKey {
    (
        f.src_ip.to_string(),
        f.src_port,
        f.dst_ip.to_string(),
        f.dst_port,
        format!("{:?}", f.transport),
        f.bytes_out,
        f.bytes_in,
        f.packets_out,
        f.packets_in,
    )
}

#[test]
fn paired_flows_equal_the_live_collectors() {
    let Some(dir) = vectors() else { return };
    for f in nfcapd_files(&dir) {
        let reader = NfcapdReader::open(&f).unwrap();
        let mut flows = reader.flows();
        let mut ours: Vec<Flow> = Vec::new();
        for e in flows.by_ref() {
            match e.unwrap() {
                Event::Flow(flow) => ours.push(flow),
                other => panic!("{other:?}"),
            }
        }
        let (paired, one_way) = (flows.pairer().paired, flows.pairer().one_way);
        let stats = flows.finish();
        assert_eq!(stats.rejected, 0);

        let pcap = f.with_extension("export.pcap");
        let bytes = std::fs::read(&pcap).unwrap();
        let (datagrams, _) = udp_datagrams(&bytes).unwrap();
        let mut collector = Collector::new();
        let mut records = Vec::new();
        for d in &datagrams {
            collector.decode(d.src, d.payload, &mut records).unwrap();
        }
        let mut pairer = Pairer::new();
        let mut live = Vec::new();
        for r in records {
            pairer.push(r, &mut live);
        }
        pairer.finish(&mut live);

        let mut a: Vec<FlowKey> = ours.iter().map(flow_key).collect();
        let mut b: Vec<FlowKey> = live.iter().map(flow_key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{}", f.display());
        assert_eq!((paired, one_way), (pairer.paired, pairer.one_way));
        // Times: nfcapd stores milliseconds; the live collector keeps what the export gives.
        let timed = |v: &[Flow]| -> Vec<(FlowKey, i64, i64)> {
            let mut t: Vec<_> = v
                .iter()
                .map(|f| (flow_key(f), f.start / 1000, f.duration.unwrap_or(0) / 1000))
                .collect();
            t.sort();
            t
        };
        let same_time = timed(&ours)
            .iter()
            .zip(timed(&live))
            .filter(|(x, y)| **x == *y)
            .count();
        // Only flows nfcapd stored without times (both 0: uptime 0 in the export) differ.
        let untimed = ours.iter().filter(|f| f.start == 0).count();
        assert_eq!(same_time + untimed, ours.len(), "{}", f.display());
        let total = |v: &[Flow]| -> (u64, u64) {
            v.iter().fold((0, 0), |(b, p), f| {
                (
                    b + f.bytes_out.unwrap_or(0) + f.bytes_in.unwrap_or(0),
                    p + f.packets_out.unwrap_or(0) + f.packets_in.unwrap_or(0),
                )
            })
        };
        println!(
            "{}: {} flows ({paired} paired, {one_way} one-way), bytes/packets {:?}, equal to the \
             live collector's; {same_time} with the same start and duration (ms)",
            f.file_name().unwrap().to_string_lossy(),
            ours.len(),
            total(&ours)
        );
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("wikipedia_v9") || name.starts_with("wikipedia_v10") {
            // README: softflowd saw 34 flows, Zeek's conn.log has 34 connections.
            assert_eq!(ours.len(), 34, "{name}");
            assert_eq!(total(&ours), (22_896, 126), "{name}");
        }
        if name.starts_with("wikipedia_v5") {
            assert_eq!(total(&ours), (22_373, 121), "{name}");
        }
        if name.starts_with("smb2") {
            assert_eq!(ours.len(), 1, "{name}");
        }
    }
}

/// A file of many blocks, made by nfdump merging a real file with itself (`-R dir -w`), under
/// each compression (`-J`): every record equal to nfdump's live CSV, in order.
#[test]
fn a_many_block_file_made_by_nfdump_reads_as_nfdump_reads_it() {
    let Some(dir) = vectors() else { return };
    if !nfdump() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut current = tmp.path().join("f0");
    std::fs::write(
        &current,
        std::fs::read(dir.join("wikipedia_v10.nfcapd")).unwrap(),
    )
    .unwrap();
    // 57 × 2^9 = 29,184 records: more than one 2 MiB block.
    for i in 1..=9 {
        let merge = tmp.path().join(format!("d{i}"));
        std::fs::create_dir(&merge).unwrap();
        std::fs::copy(&current, merge.join("a")).unwrap();
        std::fs::copy(&current, merge.join("b")).unwrap();
        let next = tmp.path().join(format!("f{i}"));
        run_nfdump(&["-R", merge.to_str().unwrap(), "-w", next.to_str().unwrap()]);
        current = next;
    }
    let (plain, _, _) = read_all(&current);
    assert_eq!(plain.len(), 57 << 9);
    let blocks = NfcapdReader::open(&current).unwrap().header().blocks;
    assert!(blocks > 1, "{blocks} blocks");
    compare_csv(
        "merged",
        &plain,
        &run_nfdump(&["-r", current.to_str().unwrap(), "-o", "csv"]),
        true,
    );
    for j in ["1", "2", "3"] {
        let f = tmp.path().join(format!("J{j}"));
        std::fs::write(&f, std::fs::read(&current).unwrap()).unwrap();
        run_nfdump(&["-J", j, "-r", f.to_str().unwrap()]);
        let (records, _, compression) = read_all(&f);
        assert_ne!(compression, Compression::None);
        assert_eq!(records, plain, "-J {j}");
        compare_csv(
            &format!("merged -J {j}"),
            &records,
            &run_nfdump(&["-r", f.to_str().unwrap(), "-o", "csv"]),
            true,
        );
    }
    println!(
        "{} records in {blocks} blocks equal nfdump's live CSV, uncompressed, LZO, bzip2, LZ4",
        plain.len()
    );
}

/// Files older and newer nfdumps wrote (`scripts/make-nfcapd-{1.6,1.7.8}-fixtures.sh` builds
/// those nfdumps from source): derived from third-party traces, so kept out of the repository,
/// in `$BREACHSCOPE_NFCAPD_FIXTURES` (default `bench-out/nfcapd-fixtures`). `None`, with the
/// reason printed, where they are not.
fn fixtures(version: &str) -> Option<PathBuf> {
    let root = std::env::var_os("BREACHSCOPE_NFCAPD_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench-out/nfcapd-fixtures")
        });
    let dir = root.join(format!("nfcapd-{version}"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} not found (nfdump {version}'s files: scripts/make-nfcapd-{version}-fixtures.sh)",
            dir.display()
        );
        None
    }
}

fn fixtures_1_6() -> Option<Vec<PathBuf>> {
    let dir = fixtures("1.6")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nfcapd"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 9, "{}", dir.display());
    Some(files)
}

/// Layout-1 files of nfdump 1.6.23 (`fixtures("1.6")`, see its README): the same exports
/// as the reference files, collected by nfcapd 1.6.23, and LZO, bzip2 and LZ4 copies by its
/// nfdump. Every record equals nfdump 1.7.1's live decode of the file, and the flows equal the
/// layout-2 reference file's.
#[test]
fn nfdump_1_6_files_read_as_nfdump_reads_them() {
    let Some(files) = fixtures_1_6() else {
        return;
    };
    let mut total = 0;
    for f in files {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let reader = NfcapdReader::open(&f).unwrap();
        assert_eq!(reader.header().layout, 1);
        let (records, stats, compression) = read_all(&f);
        assert!(
            stats
                .notes
                .iter()
                .any(|n| n.contains("from nfdump 1.6 records")),
            "{stats:?}"
        );
        assert!(
            stats.notes.iter().any(|n| n == "ident: breachscope-test"),
            "{stats:?}"
        );
        let want = match name.rsplit_once('-').map(|(_, c)| c) {
            Some("z") => Compression::Lzo,
            Some("j") => Compression::Bzip2,
            Some("y") => Compression::Lz4,
            _ => Compression::None,
        };
        assert_eq!(compression, want, "{name}");
        if nfdump() {
            total += compare_live(&format!("1.6 {name}"), &f, &records);
        }
        // The same flows as nfcapd 1.7.1 stored from the same export.
        if let Some(dir) = vectors() {
            let base = name.split('-').next().unwrap();
            let (v2, _, _) = read_all(&dir.join(format!("{base}.nfcapd")));
            let key = |r: &FlowRecord| {
                (
                    r.src_ip,
                    r.dst_ip,
                    r.src_port,
                    r.dst_port,
                    r.protocol,
                    r.tcp_flags,
                    r.packets,
                    r.bytes,
                    r.exporter,
                )
            };
            let mut a: Vec<_> = records.iter().map(key).collect();
            let mut b: Vec<_> = v2.iter().map(key).collect();
            a.sort();
            b.sort();
            assert_eq!(a, b, "{name}");
        }
    }
    println!("{total} records of nfdump 1.6 files equal nfdump 1.7.1's live csv and json decode");
}

/// nfcapd 1.7.1 itself, collecting the v9 export with a default sampling rate of 10 (`-s 10`):
/// it scales the counts and flags the flows sampled, and stores its sampler. Every record
/// carries the rate, counts as nfdump prints them, and ten times the unsampled file's.
#[test]
fn nfcapds_sampling_is_kept_with_the_flows() {
    let Some(dir) = vectors() else { return };
    if !nfdump() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut nfcapd = Command::new("nfcapd")
        .args([
            "-b",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-s",
            "10",
            "-I",
            "sampled",
        ])
        .arg("-w")
        .arg(tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let bytes = std::fs::read(dir.join("wikipedia_v9.export.pcap")).unwrap();
    let (datagrams, _) = udp_datagrams(&bytes).unwrap();
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for d in &datagrams {
        socket.send_to(d.payload, ("127.0.0.1", port)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SIGTERM, so that nfcapd writes its file out.
    let killed = Command::new("kill")
        .args(["-TERM", &nfcapd.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    nfcapd.wait().unwrap();
    let file = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("nfcapd.2")
        })
        .expect("nfcapd wrote no file");
    let (records, stats, _) = read_all(&file);
    let n = compare_live("nfcapd -s 10", &file, &records);
    assert_eq!(n, 57);
    assert!(records.iter().all(|r| r.sampling == 10), "{records:?}");
    let (plain, _, _) = read_all(&dir.join("wikipedia_v9.nfcapd"));
    let counts = |v: &[FlowRecord], k: u64| -> Vec<(u64, u64)> {
        let mut c: Vec<_> = v.iter().map(|r| (r.packets * k, r.bytes * k)).collect();
        c.sort();
        c
    };
    assert_eq!(counts(&records, 1), counts(&plain, 10));
    assert!(
        stats
            .notes
            .iter()
            .any(|n| n.starts_with("57 flows are sampled")),
        "{stats:?}"
    );
}

/// Files rewritten by nfdump 1.7.8 (`fixtures("1.7.8")`, see its README): zstd at two
/// levels, LZ4 HC and none. Every record equals the 1.7.1 reference file's, and the v9 file's
/// equal nfdump 1.7.8's own CSV (first-seen to the millisecond, duration, protocol, addresses,
/// ports, packets, bytes).
#[test]
fn nfdump_1_7_8_files_zstd_included_read_as_their_sources() {
    let Some(fixtures) = fixtures("1.7.8") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nfcapd"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 9);
    let mut total = 0;
    for f in &files {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let (records, stats, compression) = read_all(f);
        let want = match name.rsplit_once('-').map(|(_, c)| c) {
            Some("zstd" | "zstd19") => Compression::Zstd,
            Some("lz4hc") => Compression::Lz4,
            _ => Compression::None,
        };
        assert_eq!(compression, want, "{name}");
        assert!(
            stats.notes[0].contains("written by nfdump (nfdump 1.7.8-git)"),
            "{stats:?}"
        );
        if let Some(dir) = vectors() {
            let base = name.split('-').next().unwrap();
            let (source, _, _) = read_all(&dir.join(format!("{base}.nfcapd")));
            assert_eq!(records, source, "{name}");
        }
        total += records.len();
    }
    assert_eq!(total, 57 * 5 + 54 + 2 * 3);

    // nfdump 1.7.8's CSV: firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows
    let (records, _, _) = read_all(&fixtures.join("wikipedia_v9-zstd.nfcapd"));
    let csv = std::fs::read_to_string(fixtures.join("wikipedia_v9-zstd.nfdump-1.7.8.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), records.len());
    for (i, (r, row)) in records.iter().zip(&rows).enumerate() {
        let first = if r.start == 0 {
            "0000-00-00 00:00:00.000".to_string()
        } else {
            millis(r.start).replace('T', " ")
        };
        let ours = format!(
            "{first},{:.3},{},{},{},{},{},{},{},1",
            (r.end - r.start) as f64 / 1e6,
            r.protocol,
            r.src_ip,
            r.src_port,
            r.dst_ip,
            r.dst_port,
            r.packets,
            r.bytes
        );
        assert_eq!(&ours, row, "record {i}");
    }
}
