//! Mutated captures never panic the capture reader, and its counts stay consistent: every
//! packet read is either in a connection or counted as unused, and a damaged record is reported
//! with a byte offset inside the file. Uses Zeek's test captures when present (see
//! `pcap_conn.rs`), a small built-in capture otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use breachscope_ingest::pcap::{ConnOptions, FileError, flows_of_bytes};
use common::Rng;

fn samples() -> Vec<Vec<u8>> {
    let dir = common::shared_data("net/zeek").unwrap_or_default();
    let mut out = Vec::new();
    for f in [
        "wikipedia/wikipedia.pcap",
        "pop3/pop3.pcap",
        "cisco-fabric-path/cisco-fabric-path.pcap",
        "ftp-bigtransfer/bigtransfer.pcap",
    ] {
        if let Ok(b) = std::fs::read(dir.join(f)) {
            out.push(b);
        }
    }
    if out.is_empty() {
        // A classic pcap header and one raw-IP UDP packet.
        let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&101u32.to_le_bytes());
        let pkt = [
            0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0, 53,
            0, 10, 0, 0, 1, 2,
        ];
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        v.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        v.extend_from_slice(&pkt);
        out.push(v);
    }
    out
}

#[test]
fn mutated_captures_never_panic_and_counts_add_up() {
    let mut rng = Rng(0x9c4b_0d5e_1234_5678);
    let samples = samples();
    let no_checksums = ConnOptions {
        validate_checksums: false,
    };
    for round in 0..600 {
        let base = &samples[round % samples.len()];
        let mut v = base.clone();
        for _ in 0..1 + rng.below(16) {
            match rng.below(4) {
                0 | 1 if !v.is_empty() => {
                    let i = rng.below(v.len());
                    v[i] = rng.next() as u8;
                }
                2 if !v.is_empty() => {
                    let i = rng.below(v.len());
                    v.truncate(i.max(24));
                }
                _ if v.len() > 40 => {
                    // Flip a byte inside the first packet headers, where it matters most.
                    let i = 24 + rng.below(v.len().min(200) - 24);
                    v[i] ^= 1 << rng.below(8);
                }
                _ => {}
            }
        }
        let opts = if round % 2 == 0 {
            ConnOptions::default()
        } else {
            no_checksums
        };
        match flows_of_bytes(&v, opts) {
            Ok((flows, stats, err)) => {
                let unused: u64 = stats.unused.values().sum();
                assert_eq!(stats.used + unused, stats.packets, "round {round}");
                for f in &flows {
                    // A connection whose only packet failed its checksum has no packets, as
                    // in Zeek; it still has both endpoints.
                    assert!(f.packets_out.is_some() && f.conn_state.is_some());
                    if let Some(d) = f.duration {
                        assert!(d > 0);
                    }
                }
                let used: u64 = flows
                    .iter()
                    .map(|f| f.packets_out.unwrap() + f.packets_in.unwrap())
                    .sum();
                // A packet in a VXLAN or Geneve tunnel counts in the outer and inner connections.
                assert!(used <= stats.used * 4, "round {round}");
                match err {
                    Some(FileError::Truncated { offset } | FileError::Bad { offset, .. }) => {
                        assert!(offset < v.len() as u64, "round {round}")
                    }
                    Some(FileError::Io { .. } | FileError::Magic) => panic!("round {round}"),
                    None => {}
                }
            }
            Err(e) => assert!(matches!(
                e,
                FileError::Magic | FileError::Truncated { .. } | FileError::Bad { .. }
            )),
        }
    }
}
