//! Mutated firewall and proxy logs never panic a reader, and every line is accounted for:
//! accepted, rejected or skipped. The deterministic cousin of `fuzz/fuzz_targets/firewall_lines.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Rng;

use breachscope_ingest::firewall::cisco_asa::CiscoAsaParser;
use breachscope_ingest::firewall::fortigate::FortigateParser;
use breachscope_ingest::firewall::panos::PanosParser;
use breachscope_ingest::firewall::squid::SquidParser;
use breachscope_ingest::firewall::{FirewallConfig, cisco_asa, fortigate, panos, squid};

const PANOS: &str = "Oct 4 18:54:26 panmgt01p 1,2023/10/04 18:54:26,012501002341,TRAFFIC,end,2561,2023/10/04 18:54:24,10.130.146.205,124.146.215.44,134.7.244.205,124.146.215.44,Out,student\\XX,,ssl,vsys1,bdr-trust,bdr-untrust,ethernet1/23,ethernet1/24,LOG FP,2023/10/04 18:54:24,72568134,1,49583,443,50464,443,0x40441a,tcp,allow,7312,2228,5084,22,2023/10/04 18:53:52,16,business-and-economy,,7253419119627122716,0x8000000000000000,10.0.0.0-10.255.255.255,Japan,,12,10,tcp-rst-from-client,34,0,0,0,,fw,from-policy,,,0,,0,,N/A,0,0,0,0,90431d13-81da-4129-8bc5-ce968fa06b76,0,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2023-10-04T18:54:25.443+08:00,,,encrypted-tunnel,networking,browser-based,4,used-by-malware,,ssl,no,no,0
<14>1,2017/07/13 20:39:44,0009C101317,TRAFFIC,start,1,2017/07/13 20:39:44,10.183.12.108,10.183.51.49,0.0.0.0,0.0.0.0,\"rule, x\",,u,msrpc,vsys1,A,B,i1,i2,Syslog,2017/07/13 20:39:44,1070831,1,65123,135,0,0,0x0,tcp,allow,1194,644,550,12,2017/07/13 20:39:04,40,any,0,3297977305,0x0,a,b,0,7,5
2017/07/13 20:39:44,0009C101317,THREAT,url,1,2017/07/13 20:39:44,10.183.12.108,10.183.51.49
";

const FORTIGATE: &str = "<189>date=2019-05-10 time=11:37:47 logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"notice\" vd=\"vdom1\" eventtime=1557513467369913239 srcip=10.1.100.11 srcport=58012 srcintf=\"port12\" dstip=23.59.154.35 dstport=80 dstintf=\"port11\" sessionid=105048 proto=6 action=\"close\" policyid=1 service=\"HTTP\" transip=172.16.200.2 transport=58012 app=\"HTTP.BROWSER_Firefox\" duration=116 sentbyte=1188 rcvdbyte=1224 sentpkt=17 rcvdpkt=16
May  1 10:00:00 fw date=2024-05-01 time=10:00:00 devid=\"FG100E\" logid=\"0000000013\" type=\"traffic\" tz=\"+0900\" srcip=192.168.1.10 srcport=51000 dstip=203.0.113.7 dstport=443 sessionid=77 proto=6 action=\"deny\" service=\"HTTPS\"
date=2024-05-01 time=10:00:00 logid=\"0100032001\" type=\"event\" subtype=\"system\" msg=\"login\"
";

const ASA: &str = "2026-11-28T04:39:02Z asa01 : %ASA-6-302013: Built outbound TCP connection 9 for outside:10.1.2.1/22 (10.1.2.1/22) to inside:10.1.1.2/53496 (10.1.1.2/53496)
2026-11-28T04:39:32Z asa01 : %ASA-6-302014: Teardown TCP connection 9 for outside:10.1.2.1/22 to inside:10.1.1.2/53496 duration 0:00:30 bytes 0 SYN Timeout
<166>Nov 28 2026 13:39:00: %ASA-6-302015: Built inbound UDP connection 11 for outside:2.2.2.1/5353 (2.2.2.1/5353) (LOCAL\\bob) to inside:1.1.1.2/53 (2.2.2.5/53)
Nov 28 13:41:00 10.0.0.1 %ASA-6-302016: Teardown UDP connection 11 for outside:2.2.2.1/5353 to inside:1.1.1.2/53 duration 0:02:00 bytes 4096
2026-11-28T05:00:00Z asa01 : %ASA-6-302020: Built outbound ICMP connection for faddr 8.8.8.8/0 gaddr 203.0.113.5/512 laddr 10.0.0.5/512 type 8 code 0
2026-11-28T05:00:02Z asa01 : %FTD-6-302021: Teardown ICMP connection for faddr 8.8.8.8/0 gaddr 203.0.113.5/512 laddr 10.0.0.5/512 type 8 code 0
2026-11-28T05:00:02Z asa01 : %ASA-4-106023: Deny tcp src outside:1.2.3.4/5 dst inside:10.0.0.1/22 by access-group \"x\"
";

const SQUID: &str = "1717430400.123    245 192.168.1.20 TCP_MISS/200 5120 GET http://example.com/index.html - HIER_DIRECT/93.184.216.34 text/html
1717430401.456  60012 192.168.1.20 TCP_TUNNEL/200 48213 CONNECT www.example.org:443 alice HIER_DIRECT/93.184.215.14 -
Jun  3 16:00:00 proxy squid[812]: 1717430400.123      0 192.168.1.20 TCP_MEM_HIT/200 5120 GET http://example.com/ - HIER_NONE/- text/html
955682882.018 19 192.168.1.142 TCP_MISS/200 1722 GET http://[2001:db8::1]:8080/ - DIRECT/2001:db8::1 text/html [a] [b]
";

/// What random insertions draw from, and the garbage appended: the firewall formats' delimiters.
const FIREWALL_BYTES: &[u8] = b",\"=/: \n(%\xff-[";
const FIREWALL_GARBAGE: &[u8] = b"\n\x00\x01garbage,,,=\"%ASA-6-302014: \n";

fn config() -> FirewallConfig {
    FirewallConfig {
        log_tz: jiff::tz::TimeZone::get("Asia/Tokyo").unwrap(),
        year: Some(2026),
    }
}

#[test]
fn samples_read_cleanly() {
    assert_eq!(
        common::read_all_lines(&mut PanosParser::new(config()), PANOS.as_bytes()),
        1
    );
    assert_eq!(
        common::read_all_lines(&mut FortigateParser::new(config()), FORTIGATE.as_bytes()),
        2
    );
    assert_eq!(
        common::read_all_lines(&mut CiscoAsaParser::new(config()), ASA.as_bytes()),
        3
    );
    assert_eq!(
        common::read_all_lines(&mut SquidParser::new(), SQUID.as_bytes()),
        3
    );
    // Each sniffer recognises its own lines and none of the others'.
    let samples = [PANOS, FORTIGATE, ASA, SQUID];
    let sniffers: [fn(&str) -> bool; 4] = [
        panos::looks_like,
        fortigate::looks_like,
        cisco_asa::looks_like,
        squid::looks_like,
    ];
    for (i, sample) in samples.iter().enumerate() {
        for line in sample.lines() {
            for (j, sniff) in sniffers.iter().enumerate() {
                let expected = i == j;
                assert_eq!(sniff(line), expected, "sniffer {j} on sample {i}: {line}");
            }
        }
    }
}

#[test]
fn mutated_firewall_and_proxy_inputs() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut panos = PanosParser::new(config());
    let mut forti = FortigateParser::new(config());
    let mut asa = CiscoAsaParser::new(config());
    let mut squid = SquidParser::new();
    let samples = [PANOS, FORTIGATE, ASA, SQUID];
    for round in 0..1000 {
        for sample in samples {
            common::read_all_lines(
                &mut panos,
                &common::mutate(
                    &mut rng,
                    sample.as_bytes(),
                    FIREWALL_BYTES,
                    FIREWALL_GARBAGE,
                ),
            );
            common::read_all_lines(
                &mut forti,
                &common::mutate(
                    &mut rng,
                    sample.as_bytes(),
                    FIREWALL_BYTES,
                    FIREWALL_GARBAGE,
                ),
            );
            common::read_all_lines(
                &mut asa,
                &common::mutate(
                    &mut rng,
                    sample.as_bytes(),
                    FIREWALL_BYTES,
                    FIREWALL_GARBAGE,
                ),
            );
            common::read_all_lines(
                &mut squid,
                &common::mutate(
                    &mut rng,
                    sample.as_bytes(),
                    FIREWALL_BYTES,
                    FIREWALL_GARBAGE,
                ),
            );
        }
        // Sniffers on mutated lines: no panics.
        let m = common::mutate(
            &mut rng,
            samples[round % 4].as_bytes(),
            FIREWALL_BYTES,
            FIREWALL_GARBAGE,
        );
        for line in String::from_utf8_lossy(&m).lines() {
            let _ = panos::looks_like(line)
                | fortigate::looks_like(line)
                | cisco_asa::looks_like(line)
                | squid::looks_like(line);
        }
    }
}
