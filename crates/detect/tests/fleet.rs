//! Fleet context for upload volumes (issue 14): twenty workstations adopt a cloud service in
//! the same week (a SaaS rollout: each host's daily uploads rise from ~100 kB to ~1.2 MB, which
//! its own baseline reads as a shift), and nobody is told about it; one of them then uploads
//! 300 MB to the same popular service in a day, and another sends 40 MB a day to an address only
//! it uses. The rollout raises nothing above low; the departure from the fleet and the lone
//! destination keep full weight.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;

use breachscope_detect::{DetectConfig, Engine, Severity};
use breachscope_model::{Event, Flow, Micros, Transport};
use breachscope_simulate::rng::Rng;

const HOUR: Micros = 3_600_000_000;
const DAY: Micros = 24 * HOUR;

fn flow(start: Micros, src: IpAddr, dst: IpAddr, out: u64) -> Event {
    Event::Flow(Flow {
        start,
        duration: Some(2_000_000),
        uid: None,
        src_ip: src,
        src_port: 50_000,
        dst_ip: dst,
        dst_port: 443,
        transport: Transport::Tcp,
        service: Some("ssl".into()),
        bytes_out: Some(out),
        bytes_in: Some(out / 10 + 2_000),
        packets_out: None,
        packets_in: None,
        ip_bytes_out: None,
        ip_bytes_in: None,
        missed_bytes: None,
        conn_state: Some("SF".into()),
        history: None,
        local_orig: Some(true),
        local_resp: Some(false),
    })
}

#[test]
fn an_adoption_is_low_a_departure_is_not() {
    let hosts: Vec<IpAddr> = (0..20).map(|i| IpAddr::from([10, 1, 1, 10 + i])).collect();
    let saas: IpAddr = "20.190.16.229".parse().unwrap();
    let lone: IpAddr = "203.0.113.99".parse().unwrap();
    let sites: Vec<IpAddr> = (0..40).map(|i| IpAddr::from([93, 184, 216, i])).collect();
    let mut rng = Rng::new(7, "fleet");
    let mut events = Vec::new();
    let day0 = 1_746_057_600_000_000; // 2025-05-01T00:00:00Z
    for d in 0..60i64 {
        for (k, &h) in hosts.iter().enumerate() {
            // Ordinary browsing: ~40 connections of ~2 kB up.
            for _ in 0..40 {
                let t = day0 + d * DAY + 9 * HOUR + (rng.f64() * 8.0 * HOUR as f64) as Micros;
                let site = sites[(rng.f64() * sites.len() as f64) as usize];
                events.push(flow(t, h, site, 1_500 + (rng.f64() * 1_000.0) as u64));
            }
            // The rollout: from day 35 every host syncs 1–1.5 MB a day (adopting within days).
            if d >= 35 + (k as i64 % 4) {
                for _ in 0..6 {
                    let t = day0 + d * DAY + 9 * HOUR + (rng.f64() * 8.0 * HOUR as f64) as Micros;
                    events.push(flow(t, h, saas, 170_000 + (rng.f64() * 80_000.0) as u64));
                }
            }
        }
        // One host uploads 300 MB to the popular service on day 50.
        if d == 50 {
            events.push(flow(
                day0 + d * DAY + 14 * HOUR,
                hosts[3],
                saas,
                300_000_000,
            ));
        }
        // Another sends 40 MB a day to an address nobody else uses, from day 52.
        if d >= 52 {
            events.push(flow(day0 + d * DAY + 2 * HOUR, hosts[7], lone, 40_000_000));
        }
    }
    events.sort_by_key(Event::observed_at);
    let mut engine = Engine::new(DetectConfig::default(), jiff::tz::TimeZone::UTC).unwrap();
    for e in &events {
        engine.observe(e);
    }
    let detection = engine.finish();
    let volume: Vec<_> = detection
        .alerts
        .iter()
        .filter(|a| a.detector == "exfil_volume")
        .collect();
    for a in &volume {
        eprintln!("{:?} {}: {}", a.severity, a.hosts[0], a.summary);
    }
    // The rollout: alerts the hosts' baselines raise are at most low and say why.
    let rollout: Vec<_> = volume
        .iter()
        .filter(|a| a.external == [saas] && a.hosts != [hosts[3]])
        .collect();
    assert!(
        rollout.iter().all(|a| a.severity == Severity::Low),
        "the adoption raised more than low"
    );
    assert!(
        rollout
            .iter()
            .all(|a| a.summary.contains("an adoption") || a.summary.contains("below the")),
        "the explanation names the fleet"
    );
    // The departure: 300 MB from one host to the same service, medium, explained.
    let departure = volume
        .iter()
        .find(|a| a.hosts == [hosts[3]] && a.external == [saas] && a.severity == Severity::Medium)
        .expect("the host far above the fleet alerts at medium");
    assert!(
        departure.summary.contains("× the median"),
        "{}",
        departure.summary
    );
    // The lone destination keeps full weight.
    assert!(
        detection.alerts.iter().any(|a| a.hosts == [hosts[7]]
            && a.external == [lone]
            && a.severity >= Severity::Medium),
        "the lone destination alerts"
    );
}
