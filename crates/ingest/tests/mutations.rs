//! Mutated evidence never panics a reader, and every line is accounted for: accepted, rejected
//! or skipped. A cheap, deterministic cousin of the `cargo fuzz` targets in `fuzz/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;

use common::Rng;

use breachscope_ingest::open_reader;
use breachscope_ingest::samba::{SambaConfig, SambaParser};
use breachscope_ingest::zeek::ZeekParser;

const ZEEK_SAMPLE: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount\n1300475168.853899\tCUM0KZ3MLUfNB0cl11\t141.142.220.118\t48649\t208.80.152.118\t80\ttcp\thttp\t0.119905\t525\t232\tS1\tF\tF\t0\tShADad\t4\t741\t3\t396\t-\t6\n1300475167.096535\tClEkJM2Vm5giqnMf4h\tfe80::217:f2ff:fed7:cf65\t5353\tff02::fb\t5353\tudp\tdns\t-\t-\t-\tS0\tT\tF\t0\tD\t1\t199\t0\t0\t-\t17\n{\"ts\":1517422326.539915,\"uid\":\"CxHo3m4N8uGxrMlcl2\",\"id.orig_h\":\"10.55.100.100\",\"id.orig_p\":61843,\"id.resp_h\":\"205.204.101.182\",\"id.resp_p\":80,\"proto\":\"tcp\",\"query\":\"a.example\"}\n";

const ZEEK_SMB_SAMPLE: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tntlm\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tusername\thostname\tdomainname\tserver_nb_computer_name\tserver_dns_computer_name\tserver_tree_name\tsuccess\n1605185000.000000\tC1\t172.17.0.184\t57092\t172.17.0.189\t445\tBob\tWS01\tCORP\tFS\t-\t-\tT\n#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tsmb_mapping\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tpath\tservice\tnative_file_system\tshare_type\n1605185001.000000\tC1\t172.17.0.184\t57092\t172.17.0.189\t445\t\\\\\\\\FS\\\\hr\t-\t-\tDISK\n#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tsmb_files\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tfuid\taction\tpath\tname\tsize\tprev_name\ttimes.modified\ttimes.accessed\ttimes.created\ttimes.changed\n1605185002.000000\tC1\t172.17.0.184\t57092\t172.17.0.189\t445\t-\tSMB::FILE_OPEN\t-\tpay\\\\2024.xlsx\t25940\t-\t-\t-\t-\t-\n1605185003.000000\tC1\t172.17.0.184\t57092\t172.17.0.189\t445\t-\tSMB::FILE_RENAME\t\\\\\\\\FS\\\\hr\tb.txt\t0\ta.txt\t-\t-\t-\t-\n{\"_path\":\"smb_files\",\"ts\":1605185004.5,\"uid\":\"C1\",\"id.orig_h\":\"172.17.0.184\",\"id.orig_p\":57092,\"id.resp_h\":\"172.17.0.189\",\"id.resp_p\":445,\"action\":\"SMB::FILE_DELETE\",\"name\":\"x\\\\y.txt\",\"size\":3}\n";

const SAMBA_SAMPLE: &str = "[2026/11/28 03:47:23.102508,  1, pid=14296]   alice|127.0.0.1|vm|records|connect|ok|records\n[2026/11/28 03:47:23.107383,  1, pid=14296]   alice|127.0.0.1|vm|records|openat|ok|r|/srv/fs01/share\n2026-11-28T04:39:32.923624+00:00 vm smbd_audit: alice|127.0.0.1|vm|records|create_file|ok|0x120089|file|open|/srv/fs01/share/hr/employees.csv\nNov 28 04:39:32 vm smbd_audit: alice|127.0.0.1|vm|records|renameat|ok|/srv/fs01/share/a|/srv/fs01/share/b\n<173>1 2026-11-28T04:39:32.923128+00:00 vm smbd_audit - - -  alice|127.0.0.1|vm|records|pread_recv|ok|/srv/fs01/share/hr/employees.csv\n  {\"timestamp\": \"2026-11-28T03:47:21.396110+0000\", \"type\": \"Authentication\", \"Authentication\": {\"eventId\": 4624, \"status\": \"NT_STATUS_OK\", \"remoteAddress\": \"ipv4:127.0.0.1:33874\", \"clientAccount\": \"alice\"}}\n";

/// The unmutated SMB sample reads whole: every record an event, the account joined.
#[test]
fn smb_sample_reads_whole() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(ZEEK_SMB_SAMPLE.as_bytes()).unwrap();
    let mut zeek = ZeekParser::new();
    let mut reader = open_reader(file.path(), &mut zeek).unwrap();
    let events: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(events.len(), 5);
    assert!(events[1..].iter().all(|e| matches!(
        e,
        breachscope_model::Event::FileAccess(a) if a.account == "corp\\bob" && a.share == "hr"
    )));
}

/// What random insertions draw from: the Zeek and Samba formats' delimiters.
const ZEEK_SAMBA_BYTES: &[u8] = b"|\t\n{#[\xff -:";

#[test]
fn mutated_zeek_and_samba_inputs() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut zeek = ZeekParser::new();
    let mut samba = SambaParser::new(SambaConfig {
        log_tz: jiff::tz::TimeZone::UTC,
        ..SambaConfig::default()
    });
    for _ in 0..400 {
        common::read_all_lines(
            &mut zeek,
            &common::mutate(
                &mut rng,
                ZEEK_SAMPLE.as_bytes(),
                ZEEK_SAMBA_BYTES,
                b"\n\x00\x01garbage|||\n",
            ),
        );
        common::read_all_lines(
            &mut zeek,
            &common::mutate(
                &mut rng,
                ZEEK_SMB_SAMPLE.as_bytes(),
                ZEEK_SAMBA_BYTES,
                b"\n\x00\x01garbage|||\n",
            ),
        );
        common::read_all_lines(
            &mut samba,
            &common::mutate(
                &mut rng,
                SAMBA_SAMPLE.as_bytes(),
                ZEEK_SAMBA_BYTES,
                b"\n\x00\x01garbage|||\n",
            ),
        );
        // Cross-feeding: each parser on the other's input.
        common::read_all_lines(
            &mut zeek,
            &common::mutate(
                &mut rng,
                SAMBA_SAMPLE.as_bytes(),
                ZEEK_SAMBA_BYTES,
                b"\n\x00\x01garbage|||\n",
            ),
        );
        common::read_all_lines(
            &mut samba,
            &common::mutate(
                &mut rng,
                ZEEK_SAMPLE.as_bytes(),
                ZEEK_SAMBA_BYTES,
                b"\n\x00\x01garbage|||\n",
            ),
        );
    }
}
