//! Detection on simulated months with known answers: three seeds of the small scenario and the
//! no-intrusion control. Also the causality property: a run over evidence cut at time t raises
//! exactly the full run's alerts up to t.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use breachscope_detect::{Alert, DetectConfig, Engine, Incident, Severity, correlate};
use breachscope_ingest::expand_paths;
use breachscope_ingest::merge::{FileSequence, TimeOrderedMerge};
use breachscope_ingest::samba::{SambaConfig, SambaParser};
use breachscope_ingest::sniff::zeek_log_path;
use breachscope_ingest::zeek::ZeekParser;
use breachscope_model::{Event, Micros};
use breachscope_simulate::{Scenario, Truth, generate};

fn events(dir: &Path, truth: &Truth) -> Vec<Event> {
    let zone = jiff::tz::TimeZone::get(&truth.time_zone).unwrap();
    let zeek = expand_paths(&[dir.join("zeek")]).unwrap();
    let (conn, dns): (Vec<_>, Vec<_>) = zeek
        .into_iter()
        .partition(|p| zeek_log_path(p).unwrap().as_deref() == Some("conn"));
    let samba = expand_paths(&[dir.join("samba")]).unwrap();
    let sources = vec![
        FileSequence::new(conn, Box::new(ZeekParser::new())),
        FileSequence::new(dns, Box::new(ZeekParser::new())),
        FileSequence::new(
            samba,
            Box::new(SambaParser::new(SambaConfig {
                log_tz: zone,
                ..SambaConfig::default()
            })),
        ),
    ];
    let mut merge = TimeOrderedMerge::new(sources, 3_600_000_000);
    let all: Vec<Event> = merge.by_ref().collect();
    assert_eq!(merge.late, 0);
    all
}

fn detect(events: &[Event], truth: &Truth, cut: Option<Micros>) -> (Vec<Alert>, Vec<Incident>) {
    let zone = jiff::tz::TimeZone::get(&truth.time_zone).unwrap();
    let mut engine = Engine::new(DetectConfig::default(), zone).unwrap();
    for e in events {
        if cut.is_some_and(|c| e.observed_at() > c) {
            break;
        }
        engine.observe(e);
    }
    if let Some(c) = cut {
        engine.advance_to(c);
    }
    let detection = engine.finish();
    let incidents = correlate(&detection.alerts, &detection.history);
    (detection.alerts, incidents)
}

fn scenario(dir: &Path, preset: &str, seed: u64) -> (Truth, Vec<Event>) {
    let mut s = Scenario::preset(preset).unwrap();
    s.seed = seed;
    generated(dir, &s)
}

fn generated(dir: &Path, s: &Scenario) -> (Truth, Vec<Event>) {
    let truth = generate(s, dir, &mut |_| {}).unwrap();
    let ev = events(dir, &truth);
    (truth, ev)
}

/// Triage (issue 14): the intruder's incident is the top one and high or critical, no other
/// incident is high or critical, at most ten are medium or above; a replay cut a week after the
/// first attack already ranks the intruder's incident first, high.
fn assert_triage(label: &str, truth: &Truth, events: &[Event], incidents: &[Incident]) {
    let t = truth.intrusion.clone().unwrap();
    let on_host = |i: &Incident| i.hosts.iter().any(|(ip, _)| ip.to_string() == t.host.ip);
    let top = &incidents[0];
    assert!(
        top.severity >= Severity::High && on_host(top),
        "{label}: top {top:?}"
    );
    let others_high = incidents[1..]
        .iter()
        .filter(|i| i.severity >= Severity::High)
        .map(|i| i.title.clone())
        .collect::<Vec<_>>();
    assert!(
        others_high.is_empty(),
        "{label}: other high incidents {others_high:?}"
    );
    let medium_or_above = incidents
        .iter()
        .filter(|i| i.severity >= Severity::Medium)
        .count();
    assert!(
        medium_or_above <= 10,
        "{label}: {medium_or_above} medium or above"
    );
    let (_, early) = detect(events, truth, Some(t.first_event_us + 7 * 86_400_000_000));
    assert!(
        early
            .first()
            .is_some_and(|i| i.severity >= Severity::High && on_host(i)),
        "{label}: the intruder is not first and high a week after the first attack: {:?}",
        early.first().map(|i| (&i.title, i.severity))
    );
}

fn hours(us: Micros) -> f64 {
    us as f64 / 3.6e9
}

#[test]
fn the_intrusion_ranks_first_within_a_day_for_three_seeds() {
    for seed in [1, 2, 3] {
        let dir = tempfile::tempdir().unwrap();
        let (truth, events) = scenario(dir.path(), "small", seed);
        let t = truth.intrusion.clone().unwrap();
        let (_, incidents) = detect(&events, &truth, None);
        let top = &incidents[0];
        assert!(top.severity >= Severity::High, "seed {seed}: {top:?}");
        assert!(
            top.hosts.iter().any(|(ip, _)| ip.to_string() == t.host.ip),
            "seed {seed}: host"
        );
        assert!(top.accounts.contains(&t.account), "seed {seed}: account");
        let ext: Vec<String> = top.external.iter().map(|e| e.ip.to_string()).collect();
        assert!(
            ext.contains(&t.c2) && ext.contains(&t.exfiltration),
            "seed {seed}: {ext:?}"
        );
        let c2 = top
            .external
            .iter()
            .find(|e| e.ip.to_string() == t.c2)
            .unwrap();
        assert!(
            c2.roles
                .contains(&breachscope_detect::correlate::Role::CommandAndControl)
        );
        let gap = (top.first_evidence - t.first_event_us).abs();
        assert!(
            gap <= 86_400_000_000,
            "seed {seed}: first evidence {} h from the truth",
            hours(gap)
        );
        let detect_delay = top.first_alert - t.first_event_us;
        println!(
            "seed {seed}: first attacker event {} → first alert {} ({:.1} h)",
            t.first_event,
            breachscope_model::time::format_rfc3339(top.first_alert),
            hours(detect_delay)
        );
        assert!(
            detect_delay <= 86_400_000_000,
            "seed {seed}: first alert {:.1} h after the first attack",
            hours(detect_delay)
        );
        let exfil = top.bytes_exfiltrated as f64;
        assert!(
            (exfil - t.bytes_exfiltrated as f64).abs() <= 0.1 * t.bytes_exfiltrated as f64,
            "seed {seed}: {exfil} vs {}",
            t.bytes_exfiltrated
        );
        assert_triage(&format!("small seed {seed}"), &truth, &events, &incidents);
    }
}

/// The hard preset, shortened to three and a half months and half its staff (the whole preset
/// is measured in BENCHMARKS.md): file-sync rollouts at two speeds, an update burst, a moved
/// backup job, late workers, a reorganisation, and a 30-minute beacon with ± 50 % jitter.
#[test]
fn triage_on_the_hard_preset() {
    let mut s = Scenario::preset("hard").unwrap();
    s.end = "2025-04-20".into();
    s.intrusion.end = "2025-04-14".into();
    for d in &mut s.company.departments {
        d.staff = d.staff.div_ceil(2);
    }
    let dir = tempfile::tempdir().unwrap();
    let (truth, events) = generated(dir.path(), &s);
    let (alerts, incidents) = detect(&events, &truth, None);
    let t = truth.intrusion.clone().unwrap();
    let delay = incidents[0].first_alert - t.first_event_us;
    println!(
        "hard: {} alerts, {} incidents ({} medium or above); first alert {:.1} h after the first attack",
        alerts.len(),
        incidents.len(),
        incidents
            .iter()
            .filter(|i| i.severity >= Severity::Medium)
            .count(),
        hours(delay)
    );
    assert!(
        (0..=86_400_000_000).contains(&delay),
        "first alert {:.1} h after the first attack",
        hours(delay)
    );
    assert_triage("hard", &truth, &events, &incidents);
}

#[test]
fn the_control_has_no_high_incident() {
    let dir = tempfile::tempdir().unwrap();
    let (truth, events) = scenario(dir.path(), "control", 1);
    assert!(truth.intrusion.is_none());
    let (alerts, incidents) = detect(&events, &truth, None);
    let high: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.severity >= Severity::High)
        .collect();
    assert!(high.is_empty(), "{high:#?}");
    // The traps are still visible, at most as medium incidents.
    assert!(
        alerts
            .iter()
            .any(|a| a.detector == "new_external_destination"),
        "the large upload is noticed"
    );
}

#[test]
fn alerts_are_causal() {
    let dir = tempfile::tempdir().unwrap();
    let (truth, events) = scenario(dir.path(), "small", 4);
    let (full, _) = detect(&events, &truth, None);
    let strip = |a: &Alert| {
        (
            a.time,
            a.detector,
            a.hosts.clone(),
            a.accounts.clone(),
            a.external.clone(),
            a.summary.clone(),
        )
    };
    let t = truth.intrusion.clone().unwrap();
    for cut in [
        t.first_event_us + 3 * 3_600_000_000,
        t.first_event_us + 5 * 86_400_000_000 + 1234,
        t.spike_us,
    ] {
        let (partial, _) = detect(&events, &truth, Some(cut));
        let expected: Vec<_> = full.iter().filter(|a| a.time <= cut).map(strip).collect();
        let got: Vec<_> = partial.iter().map(strip).collect();
        assert_eq!(got, expected, "cut at {cut}");
    }
}

/// What a running engine says at any moment — its alerts and the incidents they make — is what
/// a run that ended at that moment says: continuous detection can report without stopping.
#[test]
fn a_running_engine_reports_what_a_finished_run_would() {
    let dir = tempfile::tempdir().unwrap();
    let (truth, events) = scenario(dir.path(), "small", 4);
    let zone = jiff::tz::TimeZone::get(&truth.time_zone).unwrap();
    let t = truth.intrusion.clone().unwrap();
    let cuts = [
        t.first_event_us + 3 * 3_600_000_000,
        t.first_event_us + 5 * 86_400_000_000 + 1234,
        t.spike_us,
    ];
    let mut running = Engine::new(DetectConfig::default(), zone).unwrap();
    let mut next = events.iter().peekable();
    for cut in cuts {
        while let Some(e) = next.next_if(|e| e.observed_at() <= cut) {
            running.observe(e);
        }
        running.advance_to(cut);
        let (ended_alerts, ended_incidents) = detect(&events, &truth, Some(cut));
        let alerts = running.alerts();
        assert!(!alerts.is_empty(), "cut at {cut}");
        assert_eq!(alerts, ended_alerts, "cut at {cut}");
        assert_eq!(
            correlate(&alerts, running.history()),
            ended_incidents,
            "cut at {cut}"
        );
    }
}
