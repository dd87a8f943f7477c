//! What to tell people, once: new alerts, new and escalated incidents, as lines of the alerts
//! file (`docs/spec/alerts-v1.md`) and as pushes to the webhook and syslog sinks.
//!
//! Alert and incident ids (`ALR-n`, `INC-n`) are numbered in time and rank order, so they
//! change as evidence arrives; what was said is remembered by a key that does not:
//!
//! * an alert's key hashes its detector, time and entities;
//! * an incident's key is that of its earliest alert (time, then detector, then key): an
//!   incident that grows keeps its key, and two that merge keep the older one's.
//!
//! Every alert and every incident change (new, or a higher severity) becomes a line of the
//! alerts file; an incident at or above the notify severity is pushed to the other sinks when
//! it first reaches it and again each time its severity rises. The catalog records each key's
//! severities with the outbox entries in one transaction, so a restart says nothing twice.

use std::collections::HashMap;

use breachscope_detect::{Alert, Incident, Severity};
use breachscope_model::hex;
use breachscope_model::time::format_rfc3339;
use breachscope_store::{Notified, OutboxEntry};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::investigate::{alert_v1, incident_v1};

/// Schema version of the alerts file's lines.
pub const ALERTS_SCHEMA_VERSION: &str = "1.0";

/// The sinks a notification can go to.
pub const JSONL: &str = "jsonl";
/// The webhook sink's name in the outbox.
pub const WEBHOOK: &str = "webhook";
/// The syslog sink's name in the outbox.
pub const SYSLOG: &str = "syslog";

/// An alert's order-independent key.
pub fn alert_key(a: &Alert) -> String {
    let mut text = format!("{}|{}", a.detector, a.time);
    for h in &a.hosts {
        text.push_str(&format!("|h:{h}"));
    }
    for acc in &a.accounts {
        text.push_str(&format!("|a:{acc}"));
    }
    for e in &a.external {
        text.push_str(&format!("|e:{e}"));
    }
    for s in &a.shares {
        text.push_str(&format!("|s:{s}"));
    }
    let digest = Sha256::digest(text.as_bytes());
    format!("alr-{}", &hex(&digest)[..16])
}

/// An incident's order-independent key: its earliest alert's key (`None` for an incident
/// without alerts, which correlation does not make).
pub fn incident_key(incident: &Incident, alerts_by_id: &HashMap<&str, &Alert>) -> Option<String> {
    incident
        .alert_ids
        .iter()
        .filter_map(|id| alerts_by_id.get(id.as_str()))
        .map(|a| (a.time, a.detector, alert_key(a)))
        .min()
        .map(|(_, _, k)| format!("inc-{}", &k[4..]))
}

fn severity_named(name: &str) -> Option<Severity> {
    [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ]
    .into_iter()
    .find(|s| s.as_str() == name)
}

/// Parses `--notify-severity`.
pub fn parse_severity(name: &str) -> Result<Severity, String> {
    severity_named(&name.to_ascii_lowercase())
        .ok_or_else(|| format!("'{name}' is not one of low, medium, high, critical"))
}

/// What was said of one key.
#[derive(Debug, Clone, Copy)]
struct Said {
    severity: Severity,
    pushed: Option<Severity>,
}

/// The notifications of one round: what to record and what to send.
#[derive(Debug, Default)]
pub struct Round {
    /// The keys' new state.
    pub notified: Vec<Notified>,
    /// One entry per sink and notification.
    pub outbox: Vec<OutboxEntry>,
    /// Incidents pushed (not only written to the alerts file).
    pub pushed: usize,
    /// Every line decided, whether or not the alerts file is configured (for the user's log).
    pub lines: Vec<String>,
}

/// Remembers what was said and decides what to say next.
#[derive(Debug)]
pub struct Notifier {
    said: HashMap<String, Said>,
    notify_severity: Severity,
    /// Remote sinks configured (webhook, syslog), by outbox name.
    remote: Vec<&'static str>,
    /// Whether the alerts file is configured.
    jsonl: bool,
}

impl Notifier {
    /// A notifier that knows what the catalog says was notified.
    pub fn new(
        notified: Vec<Notified>,
        notify_severity: Severity,
        jsonl: bool,
        remote: Vec<&'static str>,
    ) -> Self {
        let said = notified
            .into_iter()
            .filter_map(|n| {
                let severity = severity_named(&n.severity)?;
                let pushed = n.pushed_severity.as_deref().and_then(severity_named);
                Some((n.key, Said { severity, pushed }))
            })
            .collect();
        Notifier {
            said,
            notify_severity,
            remote,
            jsonl,
        }
    }

    /// Keys said so far.
    pub fn known(&self) -> usize {
        self.said.len()
    }

    /// What to say about `alerts` (as [`breachscope_detect::Engine::alerts`] numbers them)
    /// and `incidents` (correlated from them) that was not said before; `now` is the wall
    /// clock (RFC 3339), written as `notified_at`.
    pub fn round(&mut self, alerts: &[Alert], incidents: &[Incident], now: &str) -> Round {
        let mut round = Round::default();
        for a in alerts {
            let key = alert_key(a);
            if self.said.contains_key(&key) {
                continue;
            }
            let mut line = object(serde_json::to_value(alert_v1(a)));
            line.insert("kind".into(), "alert".into());
            self.emit(&mut round, key, "alert", "new", a.severity, None, line, now);
        }
        let by_id: HashMap<&str, &Alert> = alerts.iter().map(|a| (a.id.as_str(), a)).collect();
        for incident in incidents {
            let Some(key) = incident_key(incident, &by_id) else {
                continue;
            };
            let before = self.said.get(&key).copied();
            let change = match before {
                None => "new",
                Some(s) if incident.severity > s.severity => "escalated",
                Some(_) => continue,
            };
            let push = incident.severity >= self.notify_severity
                && before
                    .and_then(|s| s.pushed)
                    .is_none_or(|p| incident.severity > p);
            // The evidence that raised or escalated it: its latest alert.
            let time = incident
                .alert_ids
                .iter()
                .filter_map(|id| by_id.get(id.as_str()))
                .map(|a| a.time)
                .max()
                .unwrap_or(incident.first_alert);
            let mut line = object(serde_json::to_value(incident_v1(incident)));
            for scoped in [
                "files",
                "personal_data",
                "data_subjects_estimate",
                "business_partners",
                "technology",
            ] {
                line.remove(scoped);
            }
            line.insert("kind".into(), "incident".into());
            line.insert("time".into(), format_rfc3339(time).into());
            let pushed = push.then_some(incident.severity);
            let pushed = pushed.or(before.and_then(|s| s.pushed));
            self.emit(
                &mut round,
                key,
                "incident",
                change,
                incident.severity,
                pushed,
                line,
                now,
            );
            if push {
                round.pushed += 1;
                // The line just emitted is what the remote sinks send.
                let Some(template) = round.outbox.last().cloned() else {
                    continue;
                };
                for sink in &self.remote {
                    round.outbox.push(OutboxEntry {
                        id: 0,
                        sink: (*sink).to_owned(),
                        notification: template.notification.clone(),
                        body: template.body.clone(),
                    });
                }
            }
        }
        round.lines = round
            .outbox
            .iter()
            .filter(|o| o.sink == JSONL)
            .map(|o| o.body.clone())
            .collect();
        if !self.jsonl {
            round.outbox.retain(|o| o.sink != JSONL);
        }
        round
    }

    /// Records a line for `key` in the round (to the alerts file, when it is configured; the
    /// body is also the template the remote sinks send).
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        round: &mut Round,
        key: String,
        kind: &str,
        change: &str,
        severity: Severity,
        pushed: Option<Severity>,
        mut line: Map<String, Value>,
        now: &str,
    ) {
        let notification = format!("{key}:{}", severity.as_str());
        line.insert("schema_version".into(), ALERTS_SCHEMA_VERSION.into());
        line.insert("key".into(), key.clone().into());
        line.insert("change".into(), change.into());
        line.insert("notification".into(), notification.clone().into());
        line.insert("notified_at".into(), now.into());
        let body = Value::Object(line).to_string();
        round.outbox.push(OutboxEntry {
            id: 0,
            sink: JSONL.to_owned(),
            notification,
            body,
        });
        round.notified.push(Notified {
            key: key.clone(),
            kind: kind.to_owned(),
            severity: severity.as_str().to_owned(),
            pushed_severity: pushed.map(|p| p.as_str().to_owned()),
        });
        self.said.insert(key, Said { severity, pushed });
    }
}

fn object(value: Result<Value, serde_json::Error>) -> Map<String, Value> {
    match value {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use breachscope_detect::Stage;

    fn alert(id: &str, detector: &'static str, time: i64, severity: Severity) -> Alert {
        Alert {
            id: id.into(),
            detector,
            time,
            severity,
            score: 0.5,
            stage: Stage::CommandAndControl,
            hosts: vec!["10.1.1.10".parse().unwrap()],
            accounts: Vec::new(),
            external: vec!["198.51.100.23".parse().unwrap()],
            shares: Vec::new(),
            summary: "s".into(),
        }
    }

    fn incident(ids: &[&str], severity: Severity) -> Incident {
        Incident {
            id: "INC-1".into(),
            severity,
            score: 0.5,
            title: "t".into(),
            first_evidence: 0,
            first_alert: 0,
            last_activity: 0,
            hosts: Vec::new(),
            accounts: Vec::new(),
            external: Vec::new(),
            shares: Vec::new(),
            bytes_exfiltrated: 0,
            stages: Vec::new(),
            alert_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn keys_do_not_depend_on_numbering() {
        let a = alert("ALR-1", "beaconing", 100, Severity::Medium);
        let mut b = a.clone();
        b.id = "ALR-7".into();
        assert_eq!(alert_key(&a), alert_key(&b));
        let later = alert("ALR-2", "exfil_volume", 200, Severity::Medium);
        // The incident keeps its earliest alert's key whatever the ids and order.
        let one = [a.clone(), later.clone()];
        let mut renumbered = [later.clone(), a.clone()];
        renumbered[0].id = "ALR-1".into();
        renumbered[1].id = "ALR-2".into();
        let key = |alerts: &[Alert]| {
            let by_id: HashMap<&str, &Alert> = alerts.iter().map(|a| (a.id.as_str(), a)).collect();
            incident_key(&incident(&["ALR-1", "ALR-2"], Severity::High), &by_id)
        };
        assert_eq!(key(&one), key(&renumbered));
        assert!(key(&one).unwrap().starts_with("inc-"));
    }

    #[test]
    fn says_new_escalated_and_nothing_twice() {
        let mut n = Notifier::new(Vec::new(), Severity::High, true, vec![WEBHOOK]);
        let a1 = alert("ALR-1", "beaconing", 100, Severity::Medium);
        let r = n.round(
            std::slice::from_ref(&a1),
            &[incident(&["ALR-1"], Severity::Medium)],
            "now",
        );
        // One alert line, one incident line, nothing pushed (below high).
        assert_eq!(r.notified.len(), 2);
        assert_eq!(r.pushed, 0);
        assert!(r.outbox.iter().all(|o| o.sink == JSONL));
        // The same again: nothing.
        let r = n.round(
            std::slice::from_ref(&a1),
            &[incident(&["ALR-1"], Severity::Medium)],
            "now",
        );
        assert!(r.notified.is_empty() && r.outbox.is_empty());
        // Escalated to high: a line and a push.
        let a2 = alert("ALR-2", "exfil_volume", 200, Severity::High);
        let alerts = [a1.clone(), a2];
        let r = n.round(
            &alerts,
            &[incident(&["ALR-1", "ALR-2"], Severity::High)],
            "now",
        );
        assert_eq!(r.pushed, 1);
        let line: Value = serde_json::from_str(
            &r.outbox
                .iter()
                .find(|o| o.sink == WEBHOOK)
                .map(|o| o.body.clone())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(line["change"], "escalated");
        assert_eq!(line["severity"], "high");
        assert_eq!(line["time"], format_rfc3339(200));
        // A restart from the recorded state says nothing again.
        let recorded: Vec<Notified> = r.notified.clone();
        let mut all: HashMap<String, Notified> = HashMap::new();
        for x in [a1.clone()]
            .iter()
            .map(|a| Notified {
                key: alert_key(a),
                kind: "alert".into(),
                severity: "medium".into(),
                pushed_severity: None,
            })
            .chain(recorded)
        {
            all.insert(x.key.clone(), x);
        }
        let mut again = Notifier::new(
            all.into_values().collect(),
            Severity::High,
            true,
            vec![WEBHOOK],
        );
        let r = again.round(
            &alerts,
            &[incident(&["ALR-1", "ALR-2"], Severity::High)],
            "now",
        );
        assert!(r.outbox.is_empty(), "{:?}", r.outbox);
    }
}
