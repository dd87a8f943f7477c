//! Correlation: alerts joined into incidents through shared entities, scored with a bonus for
//! evidence from several stages, and traced back to their first evidence.
//!
//! Entities are internal hosts, accounts and external addresses (shares are targets, not actors,
//! and do not join). An account alert names the host its session came from, so an account is
//! linked to a host when its file-server sessions come from that host's address; hosts are linked
//! to external addresses through the alerts that name both.

use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use breachscope_model::Micros;

use crate::history::History;
use crate::{Alert, Severity, Stage, human_bytes};

/// Role of an external address in an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Beaconing destination.
    CommandAndControl,
    /// Upload destination.
    Exfiltration,
}

impl Role {
    /// The report-v1 name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CommandAndControl => "command_and_control",
            Role::Exfiltration => "exfiltration",
        }
    }
}

/// An external address as an incident sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// Address.
    pub ip: IpAddr,
    /// DNS names seen for it.
    pub names: Vec<String>,
    /// Bytes from the incident's hosts.
    pub bytes_out: u64,
    /// Bytes to the incident's hosts.
    pub bytes_in: u64,
    /// Connections.
    pub connections: u64,
    /// First contact by any of the incident's hosts.
    pub first_seen: Micros,
    /// Last contact.
    pub last_seen: Micros,
    /// Roles.
    pub roles: Vec<Role>,
}

/// One intrusion, as a responder would name it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// `INC-n` in rank order.
    pub id: String,
    /// Severity.
    pub severity: Severity,
    /// 0..1.
    pub score: f64,
    /// One line.
    pub title: String,
    /// Earliest event attributable to the incident.
    pub first_evidence: Micros,
    /// Earliest alert.
    pub first_alert: Micros,
    /// Latest event attributable to the incident.
    pub last_activity: Micros,
    /// Internal hosts with their names.
    pub hosts: Vec<(IpAddr, Vec<String>)>,
    /// Accounts.
    pub accounts: Vec<String>,
    /// External addresses.
    pub external: Vec<Endpoint>,
    /// Shares the incident's alerts name.
    pub shares: Vec<String>,
    /// Bytes to the exfiltration endpoints.
    pub bytes_exfiltrated: u64,
    /// Stages with evidence.
    pub stages: Vec<Stage>,
    /// The alerts.
    pub alert_ids: Vec<String>,
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, x: usize) -> usize {
        let mut r = x;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut y = x;
        while self.0[y] != r {
            let next = self.0[y];
            self.0[y] = r;
            y = next;
        }
        r
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Entity {
    Host(IpAddr),
    Account(String),
    External(IpAddr),
}

/// Incident score: `1 − Π(1 − s)` over the best alert of each detector, times a stage factor
/// (one stage 0.7, two 0.85, three 1.0).
pub fn incident_score(alerts: &[&Alert]) -> (f64, Vec<Stage>) {
    let mut best: BTreeMap<&str, f64> = BTreeMap::new();
    let mut stages = BTreeSet::new();
    for a in alerts {
        let e = best.entry(a.detector).or_insert(0.0);
        *e = e.max(a.score);
        stages.insert(a.stage);
    }
    let combined = 1.0 - best.values().map(|s| 1.0 - s).product::<f64>();
    let factor = match stages.len() {
        0 | 1 => 0.7,
        2 => 0.85,
        _ => 1.0,
    };
    (combined * factor, stages.into_iter().collect())
}

fn incident_severity(score: f64, stages: usize, alerts: &[&Alert]) -> Severity {
    let strongest = alerts
        .iter()
        .map(|a| a.severity)
        .max()
        .unwrap_or(Severity::Low);
    if stages >= 3 && score >= 0.85 {
        Severity::Critical
    } else if (stages >= 2 && score >= 0.7) || strongest >= Severity::High {
        Severity::High
    } else if strongest >= Severity::Medium || (score >= 0.45 && stages >= 2) {
        // Low alerts of one stage (fleet-wide schedules, off-hours reads) stay a low incident
        // however many there are.
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// Joins alerts into incidents, ranked by severity and score (highest first).
pub fn correlate(alerts: &[Alert], history: &History) -> Vec<Incident> {
    // Join through an external address only when few hosts use it: a popular site shared by
    // two unrelated alerts says nothing about them being one intrusion.
    let hosts = history.hosts.len().max(1);
    let rare_limit = ((hosts as f64 * 0.05).ceil() as usize).max(3);
    let rare = |ip: &IpAddr| {
        history
            .external_hosts
            .get(ip)
            .is_none_or(|h| h.len() <= rare_limit)
    };
    let entities = |a: &Alert| -> Vec<Entity> {
        a.hosts
            .iter()
            .map(|h| Entity::Host(*h))
            .chain(a.accounts.iter().map(|x| Entity::Account(x.clone())))
            .chain(
                a.external
                    .iter()
                    .filter(|e| rare(e))
                    .map(|e| Entity::External(*e)),
            )
            .collect()
    };
    // Alerts of medium severity or above form incidents through shared entities.
    let mut index: FxHashMap<Entity, usize> = FxHashMap::default();
    let mut uf = UnionFind((0..alerts.len()).collect());
    let strong: Vec<usize> = (0..alerts.len())
        .filter(|&i| alerts[i].severity >= Severity::Medium)
        .collect();
    for &i in &strong {
        for e in entities(&alerts[i]) {
            match index.get(&e) {
                Some(&j) => uf.union(i, j),
                None => {
                    index.insert(e, i);
                }
            }
        }
    }
    // A low alert joins an incident it shares an entity with only within a day of the
    // incident's other alerts (an odd evening weeks earlier is not part of an intrusion);
    // otherwise low alerts group among themselves.
    let mut span: FxHashMap<usize, (Micros, Micros)> = FxHashMap::default();
    for &i in &strong {
        let root = uf.find(i);
        let e = span.entry(root).or_insert((alerts[i].time, alerts[i].time));
        e.0 = e.0.min(alerts[i].time);
        e.1 = e.1.max(alerts[i].time);
    }
    let mut low_index: FxHashMap<Entity, usize> = FxHashMap::default();
    type Alike = (&'static str, Vec<IpAddr>, Vec<String>);
    let mut alike: FxHashMap<Alike, usize> = FxHashMap::default();
    for i in (0..alerts.len()).filter(|&i| alerts[i].severity < Severity::Medium) {
        let a = &alerts[i];
        let mut joined = false;
        // A low alert about addresses many hosts use (the fleet's update server, its sync
        // service) says nothing about an intrusion on one of them: it does not join one.
        let popular_only = !a.external.is_empty() && a.external.iter().all(|e| !rare(e));
        for e in entities(a).into_iter().filter(|_| !popular_only) {
            if let Some(&j) = index.get(&e) {
                let root = uf.find(j);
                if let Some(&(first, last)) = span.get(&root)
                    && a.time >= first - 86_400_000_000
                    && a.time <= last + 86_400_000_000
                {
                    uf.union(i, j);
                    joined = true;
                    break;
                }
            }
        }
        if !joined {
            // Look-alike low alerts — the same detector towards the same addresses or shares
            // (a hundred hosts adopting one sync service, a department starting on a share) —
            // are one line, not one incident per host; other low alerts group through their
            // entities.
            let mut externals = a.external.clone();
            externals.sort();
            let mut shares = a.shares.clone();
            shares.sort();
            if !externals.is_empty() || !shares.is_empty() {
                match alike.get(&(a.detector, externals.clone(), shares.clone())) {
                    Some(&j) => uf.union(i, j),
                    None => {
                        alike.insert((a.detector, externals, shares), i);
                    }
                }
                continue;
            }
            for e in entities(a) {
                match low_index.get(&e) {
                    Some(&j) => uf.union(i, j),
                    None => {
                        low_index.insert(e, i);
                    }
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<&Alert>> = BTreeMap::new();
    for (i, a) in alerts.iter().enumerate() {
        let root = uf.find(i);
        groups.entry(root).or_default().push(a);
    }
    let mut incidents: Vec<Incident> = groups
        .into_values()
        .map(|group| build(&group, history, &rare))
        .collect();
    // Ranked by severity, then score: a low incident of many look-alike alerts can score
    // higher than a medium one of a single alert, but a person reads the medium one first.
    incidents.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.score.total_cmp(&a.score))
            .then(a.first_alert.cmp(&b.first_alert))
    });
    for (i, inc) in incidents.iter_mut().enumerate() {
        inc.id = format!("INC-{}", i + 1);
    }
    incidents
}

fn build(alerts: &[&Alert], history: &History, rare: &dyn Fn(&IpAddr) -> bool) -> Incident {
    let (score, stages) = incident_score(alerts);
    // Severity counts the stages medium-or-higher alerts show: low alerts (an adoption by the
    // fleet, an odd evening) support an incident but do not escalate it.
    let strong_stages: BTreeSet<Stage> = alerts
        .iter()
        .filter(|a| a.severity >= Severity::Medium)
        .map(|a| a.stage)
        .collect();
    let severity = incident_severity(score, strong_stages.len(), alerts);
    let hosts: BTreeSet<IpAddr> = alerts
        .iter()
        .flat_map(|a| a.hosts.iter().copied())
        .collect();
    let accounts: BTreeSet<String> = alerts
        .iter()
        .flat_map(|a| a.accounts.iter().cloned())
        .collect();
    let shares: BTreeSet<String> = alerts
        .iter()
        .flat_map(|a| a.shares.iter().cloned())
        .collect();
    let mut roles: BTreeMap<IpAddr, BTreeSet<Role>> = BTreeMap::new();
    for a in alerts {
        // A low alert names an endpoint of the incident only when few hosts use it (a file-sync
        // service the whole company adopted is not where this intruder sent the data).
        for e in a
            .external
            .iter()
            .filter(|e| a.severity >= Severity::Medium || rare(e))
        {
            let r = roles.entry(*e).or_default();
            match a.detector {
                "beaconing" => {
                    r.insert(Role::CommandAndControl);
                }
                "new_external_destination" | "exfil_volume" => {
                    r.insert(Role::Exfiltration);
                }
                _ => {}
            }
        }
    }
    let mut external = Vec::new();
    for (ip, r) in &roles {
        let mut e = Endpoint {
            ip: *ip,
            names: history
                .dns_names
                .get(ip)
                .map(|n| n.iter().cloned().collect())
                .unwrap_or_default(),
            bytes_out: 0,
            bytes_in: 0,
            connections: 0,
            first_seen: Micros::MAX,
            last_seen: Micros::MIN,
            roles: r.iter().copied().collect(),
        };
        for h in &hosts {
            if let Some(p) = history.pairs.get(&(*h, *ip)) {
                e.bytes_out += p.bytes_out;
                e.bytes_in += p.bytes_in;
                e.connections += p.connections;
                e.first_seen = e.first_seen.min(p.first_seen);
                e.last_seen = e.last_seen.max(p.last_seen);
            }
        }
        if e.connections == 0 {
            continue;
        }
        // An address only receives the exfiltration role when more goes to it than comes back.
        if e.bytes_out < e.bytes_in {
            e.roles.retain(|r| *r != Role::Exfiltration);
        }
        external.push(e);
    }
    let first_alert = alerts.iter().map(|a| a.time).min().unwrap_or(0);
    let last_alert = alerts.iter().map(|a| a.time).max().unwrap_or(0);
    // First evidence: first contact with the incident's C2 and exfiltration addresses, and the
    // first read by its accounts of the shares they had no business in (unusual_share alerts).
    let first_contact = external
        .iter()
        .filter(|e| !e.roles.is_empty())
        .map(|e| e.first_seen)
        .min();
    let unusual: BTreeSet<(String, String)> = alerts
        .iter()
        .filter(|a| a.detector == "unusual_share")
        .flat_map(|a| {
            a.accounts
                .iter()
                .flat_map(move |acc| a.shares.iter().map(move |s| (acc.clone(), s.clone())))
        })
        .collect();
    let first_access = unusual
        .iter()
        .filter_map(|k| history.share_reads.get(k))
        .map(|r| r.first)
        .min();
    let first_evidence = [first_contact, first_access, Some(first_alert)]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(first_alert);
    let last_read = unusual
        .iter()
        .filter_map(|k| history.share_reads.get(k))
        .map(|r| r.last)
        .max();
    let last_activity = [
        external.iter().map(|e| e.last_seen).max(),
        last_read,
        Some(last_alert),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(last_alert);
    let bytes_exfiltrated = external
        .iter()
        .filter(|e| e.roles.contains(&Role::Exfiltration))
        .map(|e| e.bytes_out)
        .sum();
    let host_list: Vec<(IpAddr, Vec<String>)> = hosts
        .iter()
        .map(|h| {
            (
                *h,
                history
                    .host_names
                    .get(h)
                    .map(|n| n.iter().cloned().collect())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let title = title(
        &host_list,
        &accounts,
        &external,
        &shares,
        bytes_exfiltrated,
        alerts,
    );
    Incident {
        id: String::new(),
        severity,
        score,
        title,
        first_evidence,
        first_alert,
        last_activity,
        hosts: host_list,
        accounts: accounts.into_iter().collect(),
        external,
        shares: shares.into_iter().collect(),
        bytes_exfiltrated,
        stages,
        alert_ids: alerts.iter().map(|a| a.id.clone()).collect(),
    }
}

fn title(
    hosts: &[(IpAddr, Vec<String>)],
    accounts: &BTreeSet<String>,
    external: &[Endpoint],
    shares: &BTreeSet<String>,
    exfil: u64,
    alerts: &[&Alert],
) -> String {
    let mut parts = Vec::new();
    let who: Vec<String> = hosts
        .iter()
        .map(|(ip, names)| names.first().cloned().unwrap_or_else(|| ip.to_string()))
        .take(3)
        .collect();
    let c2: Vec<String> = external
        .iter()
        .filter(|e| e.roles.contains(&Role::CommandAndControl))
        .map(|e| e.ip.to_string())
        .collect();
    let out: Vec<String> = external
        .iter()
        .filter(|e| e.roles.contains(&Role::Exfiltration))
        .map(|e| e.ip.to_string())
        .collect();
    if !c2.is_empty() {
        parts.push(format!("beaconing to {}", c2.join(", ")));
    }
    if !accounts.is_empty() && !shares.is_empty() {
        parts.push(format!(
            "{} reading {}",
            accounts
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            shares
                .iter()
                .take(4)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !out.is_empty() {
        parts.push(format!(
            "{} uploaded to {}",
            human_bytes(exfil as f64),
            out.join(", ")
        ));
    }
    if parts.is_empty() {
        // Look-alike alerts grouped into one line: what they have in common.
        let targets: BTreeSet<String> = alerts
            .iter()
            .flat_map(|a| a.external.iter().map(ToString::to_string))
            .collect();
        parts.push(format!(
            "{} alert(s): {}{}",
            alerts.len(),
            alerts
                .iter()
                .map(|a| a.detector)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", "),
            if targets.is_empty() {
                String::new()
            } else {
                format!(
                    " to {}",
                    targets.into_iter().take(3).collect::<Vec<_>>().join(", ")
                )
            }
        ));
    }
    let who = if who.is_empty() {
        "unknown host".to_owned()
    } else if hosts.len() > who.len() {
        format!("{} hosts ({}, …)", hosts.len(), who.join(", "))
    } else {
        who.join(", ")
    };
    format!("{who}: {}", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(
        detector: &'static str,
        stage: Stage,
        score: f64,
        host: &str,
        account: Option<&str>,
        external: Option<&str>,
        time: Micros,
    ) -> Alert {
        Alert {
            id: format!("A-{time}"),
            detector,
            time,
            severity: if score >= 0.9 {
                Severity::High
            } else {
                Severity::Medium
            },
            score,
            stage,
            hosts: vec![host.parse().unwrap()],
            accounts: account.into_iter().map(String::from).collect(),
            external: external.into_iter().map(|e| e.parse().unwrap()).collect(),
            shares: account.map(|_| vec!["hr".to_string()]).unwrap_or_default(),
            summary: String::new(),
        }
    }

    #[test]
    fn multi_stage_outranks_a_one_off_upload() {
        let mut history = History::default();
        let victim: IpAddr = "10.1.1.10".parse().unwrap();
        let c2: IpAddr = "198.51.100.23".parse().unwrap();
        let exfil: IpAddr = "203.0.113.99".parse().unwrap();
        let uploader: IpAddr = "10.1.4.22".parse().unwrap();
        let share_site: IpAddr = "104.16.99.52".parse().unwrap();
        history.flow(victim, c2, 100, 200, 500, 400);
        history.flow(victim, exfil, 5_000, 6_000, 9_000_000, 30_000);
        history.flow(uploader, share_site, 7_000, 9_000, 3_000_000_000, 1_000_000);
        let alerts = vec![
            alert(
                "beaconing",
                Stage::CommandAndControl,
                0.93,
                "10.1.1.10",
                None,
                Some("198.51.100.23"),
                1_000,
            ),
            alert(
                "unusual_share",
                Stage::Collection,
                0.7,
                "10.1.1.10",
                Some("k.tanaka"),
                None,
                4_000,
            ),
            alert(
                "new_external_destination",
                Stage::Exfiltration,
                0.7,
                "10.1.1.10",
                None,
                Some("203.0.113.99"),
                6_000,
            ),
            alert(
                "new_external_destination",
                Stage::Exfiltration,
                0.85,
                "10.1.4.22",
                None,
                Some("104.16.99.52"),
                9_000,
            ),
            alert(
                "exfil_volume",
                Stage::Exfiltration,
                0.85,
                "10.1.4.22",
                None,
                Some("104.16.99.52"),
                9_000,
            ),
        ];
        let incidents = correlate(&alerts, &history);
        assert_eq!(incidents.len(), 2);
        let top = &incidents[0];
        assert_eq!(top.severity, Severity::Critical);
        assert_eq!(top.accounts, vec!["k.tanaka".to_string()]);
        assert_eq!(top.first_evidence, 100, "first contact with the C2 address");
        assert_eq!(top.bytes_exfiltrated, 9_000_000);
        let roles: Vec<(IpAddr, Vec<Role>)> = top
            .external
            .iter()
            .map(|e| (e.ip, e.roles.clone()))
            .collect();
        assert_eq!(
            roles,
            vec![
                (c2, vec![Role::CommandAndControl]),
                (exfil, vec![Role::Exfiltration])
            ]
        );
        let upload = &incidents[1];
        assert!(upload.score < top.score);
        assert!(upload.severity <= Severity::Medium, "{:?}", upload.severity);
    }
}
