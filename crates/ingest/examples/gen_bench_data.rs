//! Writes synthetic evidence for the ingest benchmarks: a Zeek conn.log (22 fields, TSV), the same
//! gzip-compressed, Samba `vfs_full_audit` lines through rsyslog (RFC 3339), and a Zeek
//! `smb_files.log` (16 fields, the names escaped as Zeek escapes them).
//!
//! `cargo run --release -p breachscope-ingest --example gen_bench_data -- DIR [ROWS]`
//! (default 1,000,000 rows of each). Deterministic: the same arguments give the same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Heavy-tailed byte counts: mostly small, sometimes huge.
    fn bytes(&mut self) -> u64 {
        let exp = self.below(24) as u32;
        (1u64 << exp) + self.below(1 << exp.min(20))
    }
}

const SERVICES: [&str; 6] = ["ssl", "http", "dns", "-", "smb,gssapi", "quic,ssl"];
const STATES: [&str; 6] = ["SF", "S0", "S1", "REJ", "RSTO", "OTH"];
const HISTORIES: [&str; 5] = ["ShADadFf", "S", "ShADadfF", "ShAdDaFf", "Dd"];

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "bench-out".into()));
    let rows: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    std::fs::create_dir_all(&dir)?;
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);

    let conn_path = dir.join("conn.log");
    let mut conn = BufWriter::with_capacity(1 << 20, File::create(&conn_path)?);
    writeln!(conn, "#separator \\x09")?;
    writeln!(conn, "#set_separator\t,")?;
    writeln!(conn, "#empty_field\t(empty)")?;
    writeln!(conn, "#unset_field\t-")?;
    writeln!(conn, "#path\tconn")?;
    writeln!(conn, "#open\t2025-06-22-00-00-00")?;
    writeln!(
        conn,
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto"
    )?;
    writeln!(
        conn,
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount"
    )?;
    let start = 1_750_550_400_000_000u64;
    for i in 0..rows {
        let ts = start + i * 86_400_000_000 / rows;
        let (proto, ip_proto) = if rng.below(5) == 0 {
            ("udp", 17)
        } else {
            ("tcp", 6)
        };
        let orig = rng.bytes();
        let resp = rng.bytes();
        let uid: String = (0..17)
            .map(|_| {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                    [rng.below(62) as usize] as char
            })
            .collect();
        writeln!(
            conn,
            "{}.{:06}\tC{}\t10.{}.{}.{}\t{}\t{}.{}.{}.{}\t{}\t{}\t{}\t{}.{:06}\t{}\t{}\t{}\tT\tF\t0\t{}\t{}\t{}\t{}\t{}\t-\t{}",
            ts / 1_000_000,
            ts % 1_000_000,
            uid,
            rng.below(4),
            rng.below(256),
            1 + rng.below(254),
            1024 + rng.below(64_000),
            1 + rng.below(223),
            rng.below(256),
            rng.below(256),
            1 + rng.below(254),
            [443, 80, 53, 445, 22, 8443][rng.below(6) as usize],
            proto,
            SERVICES[rng.below(6) as usize],
            rng.below(600),
            rng.below(1_000_000),
            orig,
            resp,
            STATES[rng.below(6) as usize],
            HISTORIES[rng.below(5) as usize],
            orig / 1400 + 1,
            orig + 40 * (orig / 1400 + 1),
            resp / 1400 + 1,
            resp + 40 * (resp / 1400 + 1),
            ip_proto
        )?;
    }
    writeln!(conn, "#close\t2025-06-23-00-00-00")?;
    conn.flush()?;
    drop(conn);

    let gz_path = dir.join("conn.log.gz");
    let mut gz = flate2::write::GzEncoder::new(
        BufWriter::new(File::create(&gz_path)?),
        flate2::Compression::new(6),
    );
    std::io::copy(&mut File::open(&conn_path)?, &mut gz)?;
    gz.finish()?.flush()?;

    let mut samba = BufWriter::with_capacity(1 << 20, File::create(dir.join("samba_audit.log"))?);
    let users = [
        "k.tanaka",
        "s.suzuki",
        "y.sato",
        "alice",
        "m.yamamoto",
        "admin.ito",
    ];
    let shares = ["sales", "hr", "finance", "engineering"];
    let mut written = 0u64;
    let mut t = start;
    while written < rows {
        let u = rng.below(users.len() as u64) as usize;
        let share = shares[rng.below(shares.len() as u64) as usize];
        let ip = format!("10.1.{}.{}", u, 10 + u);
        let host = format!("ws-{:03}", u);
        let root = format!("/srv/{share}");
        let mut line = |op: &str, result: &str, args: &str, t: u64| -> std::io::Result<()> {
            let secs = t / 1_000_000;
            let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
            let day = 22 + secs.saturating_sub(1_750_550_400) / 86_400;
            writeln!(
                samba,
                "2025-06-{day:02}T{h:02}:{m:02}:{s:02}.{:06}+00:00 fs01 smbd_audit: {}|{ip}|{host}|{share}|{op}|{result}|{args}",
                t % 1_000_000,
                users[u]
            )
        };
        line("connect", "ok", share, t)?;
        line("openat", "ok", &format!("r|{root}"), t + 10)?;
        written += 2;
        for f in 0..1 + rng.below(12) {
            let path = format!(
                "{root}/dir{}/file{}-{f}.xlsx",
                rng.below(50),
                rng.below(1000)
            );
            t += 1000;
            line("openat", "ok", &format!("r|{path}"), t)?;
            let denied = rng.below(40) == 0;
            let result = if denied {
                "fail (No such file or directory)"
            } else {
                "ok"
            };
            line(
                "create_file",
                result,
                &format!("0x120089|file|open|{path}"),
                t + 5,
            )?;
            if !denied {
                line("pread_send", "ok", &path, t + 7)?;
                line("pread_recv", "ok", &path, t + 9)?;
                line("close", "ok", &path, t + 11)?;
                written += 3;
            }
            written += 2;
        }
        line("disconnect", "ok", share, t + 20)?;
        written += 1;
        t += 86_400_000_000 / rows * 10;
    }
    samba.flush()?;
    drop(samba);

    let mut smb = BufWriter::with_capacity(1 << 20, File::create(dir.join("smb_files.log"))?);
    write!(
        smb,
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tsmb_files\n#open\t2025-06-22-00-00-00\n\
         #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tfuid\taction\tpath\tname\tsize\tprev_name\ttimes.modified\ttimes.accessed\ttimes.created\ttimes.changed\n\
         #types\ttime\tstring\taddr\tport\taddr\tport\tstring\tenum\tstring\tstring\tcount\tstring\ttime\ttime\ttime\ttime\n"
    )?;
    for i in 0..rows {
        let ts = start + i * 86_400_000_000 / rows;
        let u = rng.below(users.len() as u64);
        let share = shares[rng.below(shares.len() as u64) as usize];
        let modified = ts / 1_000_000 - rng.below(10_000_000);
        writeln!(
            smb,
            "{}.{:06}\tCsmb{:013}\t10.1.{u}.{}\t{}\t10.1.0.5\t445\t-\tSMB::FILE_OPEN\t\\\\\\\\FS01\\\\{share}\tdir{}\\\\file{}-{}.xlsx\t{}\t-\t{modified}.000000\t{}.000000\t{modified}.000000\t{modified}.000000",
            ts / 1_000_000,
            ts % 1_000_000,
            i / 8,
            10 + u,
            49152 + rng.below(16_000),
            rng.below(50),
            rng.below(1000),
            i % 8,
            rng.bytes(),
            ts / 1_000_000,
        )?;
    }
    writeln!(smb, "#close\t2025-06-23-00-00-00")?;
    smb.flush()?;
    eprintln!(
        "wrote {} ({} conn rows), conn.log.gz, samba_audit.log ({} lines) and smb_files.log",
        conn_path.display(),
        rows,
        written
    );
    Ok(())
}
