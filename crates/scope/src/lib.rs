//! Scoping: which files an incident's accounts (from any host) and hosts (any account) read
//! between its first evidence and its last activity, and the breach-notification assessment
//! (APPI, GDPR Art. 33) as report-v1 defines it.
//!
//! The scoper is fed file-access events (a second pass over the audit logs once the incidents are
//! known); classification of the files is done by the caller with `breachscope-classify`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use breachscope_model::{FileAccess, FileAction, Micros};

/// What to scope for one incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Accounts of the incident.
    pub accounts: BTreeSet<String>,
    /// Internal hosts of the incident.
    pub hosts: BTreeSet<IpAddr>,
    /// External addresses with a role (C2, exfiltration): their traffic makes the timeline.
    pub external: BTreeSet<IpAddr>,
    /// First evidence.
    pub start: Micros,
    /// Last activity.
    pub end: Micros,
}

/// Reads of one file by an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// First read.
    pub first: Micros,
    /// Last read.
    pub last: Micros,
    /// Read opens.
    pub reads: u64,
}

/// Per day of the office zone (days since 1970-01-01; UTC unless [`Scoper::with_zone`] says
/// otherwise): bytes from the target's hosts to its external addresses, and file reads.
pub type Timeline = BTreeMap<i64, (u64, u64)>;

/// Collects, per target, the files read and the daily timeline.
#[derive(Debug, Default)]
pub struct Scoper {
    targets: Vec<Target>,
    files: Vec<BTreeMap<(String, String), Reads>>,
    timelines: Vec<Timeline>,
    /// The zone whose days the timelines count (`None`: UTC).
    zone: Option<jiff::tz::TimeZone>,
}

impl Scoper {
    /// A scoper for these targets.
    pub fn new(targets: Vec<Target>) -> Self {
        let files = vec![BTreeMap::new(); targets.len()];
        let timelines = vec![BTreeMap::new(); targets.len()];
        Scoper {
            targets,
            files,
            timelines,
            zone: None,
        }
    }

    /// Counts the timelines by the days of `zone` (the office's) rather than UTC days.
    pub fn with_zone(mut self, zone: jiff::tz::TimeZone) -> Self {
        self.zone = Some(zone);
        self
    }

    fn day(&self, t: Micros) -> i64 {
        match &self.zone {
            Some(zone) => breachscope_model::zone::local_day(t, zone),
            None => t.div_euclid(86_400_000_000),
        }
    }

    /// Considers one file-server operation. Only successful reads (an open that grants
    /// FILE_READ_DATA) with a share-relative path count.
    pub fn observe(&mut self, a: &FileAccess) {
        if a.action != FileAction::Read
            || !a.outcome.is_success()
            || !a.path_is_relative
            || a.path.is_empty()
            || !a.is_file_object()
        {
            return;
        }
        let day = self.day(a.time);
        for ((t, files), timeline) in self
            .targets
            .iter()
            .zip(self.files.iter_mut())
            .zip(self.timelines.iter_mut())
        {
            let involved = t.accounts.contains(&a.account)
                || a.client_ip.is_some_and(|ip| t.hosts.contains(&ip));
            if involved && a.time >= t.start && a.time <= t.end {
                let e = files
                    .entry((a.share.clone(), a.path.clone()))
                    .or_insert(Reads {
                        first: a.time,
                        last: a.time,
                        reads: 0,
                    });
                e.first = e.first.min(a.time);
                e.last = e.last.max(a.time);
                e.reads += 1;
                timeline.entry(day).or_default().1 += 1;
            }
        }
    }

    /// Considers one connection: bytes from a target's host to one of its external addresses
    /// count on the day the connection ended.
    pub fn observe_flow(&mut self, f: &breachscope_model::Flow) {
        self.observe_traffic(f.src_ip, f.dst_ip, f.end(), f.bytes_out.unwrap_or(0));
    }

    /// [`Scoper::observe_flow`] for a connection given by its addresses, end and bytes out.
    pub fn observe_traffic(
        &mut self,
        src_ip: std::net::IpAddr,
        dst_ip: std::net::IpAddr,
        end: breachscope_model::Micros,
        bytes_out: u64,
    ) {
        let day = self.day(end);
        for (t, timeline) in self.targets.iter().zip(self.timelines.iter_mut()) {
            if t.hosts.contains(&src_ip) && t.external.contains(&dst_ip) {
                timeline.entry(day).or_default().0 += bytes_out;
            }
        }
    }

    /// Adds what another scoper of the same targets saw (one that scoped other events, on
    /// another thread): reads are counted together, first and last widened, days summed.
    pub fn merge(&mut self, other: Scoper) {
        for (mine, theirs) in self.files.iter_mut().zip(other.files) {
            for (file, r) in theirs {
                let e = mine.entry(file).or_insert(Reads {
                    first: r.first,
                    last: r.last,
                    reads: 0,
                });
                e.first = e.first.min(r.first);
                e.last = e.last.max(r.last);
                e.reads += r.reads;
            }
        }
        for (mine, theirs) in self.timelines.iter_mut().zip(other.timelines) {
            for (day, (bytes, reads)) in theirs {
                let e = mine.entry(day).or_default();
                e.0 += bytes;
                e.1 += reads;
            }
        }
    }

    /// The daily timeline of target `i`.
    pub fn timeline(&self, i: usize) -> Option<&Timeline> {
        self.timelines.get(i)
    }

    /// The files of target `i`: (share, path) → reads, sorted.
    pub fn files(&self, i: usize) -> Option<&BTreeMap<(String, String), Reads>> {
        self.files.get(i)
    }
}

/// What an incident's files hold, for the notification assessment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposure {
    /// Category → distinct values across the incident's files.
    pub personal_data: BTreeMap<String, u64>,
    /// Estimated people.
    pub data_subjects: u64,
    /// Whether the incident is a malicious act (an intrusion rather than an error).
    pub malicious: bool,
}

/// A notification deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// `APPI-preliminary`, `APPI-final`, `GDPR-72h`.
    pub regime: &'static str,
    /// Due.
    pub due: Micros,
}

/// The breach-notification assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Whether personal data was involved.
    pub personal_data_involved: bool,
    /// Estimated people.
    pub data_subjects_estimate: u64,
    /// Whether APPI requires a report to the PPC.
    pub appi_reportable: bool,
    /// Why.
    pub appi_reasons: Vec<String>,
    /// Whether GDPR Art. 33 applies (personal data involved: the controller must assess
    /// whether data subjects in the EU are concerned).
    pub gdpr_article_33: bool,
    /// Deadlines.
    pub deadlines: Vec<Deadline>,
    /// When the breach was detected.
    pub detected_at: Micros,
}

/// Categories that are personal data.
pub use breachscope_model::categories::PERSONAL;

const DAY: Micros = 86_400_000_000;

/// Assesses notification duties over the exposures of the incidents that count (the caller
/// passes those of high or critical severity).
///
/// APPI (Act on the Protection of Personal Information, reporting mandatory since 1 April 2022):
/// reportable when personal data leaked or may have leaked and any of: sensitive data (here My
/// Number, which the My Number Act treats as specific personal information), risk of financial
/// damage (cards, bank accounts, IBANs), a malicious act, or more than 1,000 people; a
/// preliminary report promptly (due here at 5 days) and a final one within 30 days (60 for a
/// malicious act). GDPR Art. 33: 72 hours from awareness.
pub fn assess(exposures: &[Exposure], detected_at: Micros) -> Notification {
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    let mut subjects = 0;
    let mut malicious = false;
    for e in exposures {
        for (k, v) in &e.personal_data {
            if let Some(cat) = PERSONAL.iter().find(|c| **c == k.as_str()) {
                *totals.entry(cat).or_default() += v;
            }
        }
        subjects += e.data_subjects;
        malicious |= e.malicious;
    }
    let involved = totals.values().any(|&v| v > 0);
    let mut reasons = Vec::new();
    if involved {
        if totals.get("my_number").copied().unwrap_or(0) > 0 {
            reasons.push("sensitive data: My Number (specific personal information)".to_owned());
        }
        let financial = ["credit_card", "bank_account", "iban"]
            .iter()
            .any(|k| totals.get(k).copied().unwrap_or(0) > 0);
        if financial {
            reasons.push("risk of financial damage: payment cards or bank accounts".to_owned());
        }
        if malicious {
            reasons.push("malicious act: unauthorised access by an intruder".to_owned());
        }
        if subjects > 1000 {
            reasons.push(format!(
                "more than 1,000 data subjects (estimated {subjects})"
            ));
        }
    }
    let appi = involved && !reasons.is_empty();
    let mut deadlines = Vec::new();
    if appi {
        deadlines.push(Deadline {
            regime: "APPI-preliminary",
            due: detected_at + 5 * DAY,
        });
        deadlines.push(Deadline {
            regime: "APPI-final",
            due: detected_at + if malicious { 60 } else { 30 } * DAY,
        });
    }
    if involved {
        deadlines.push(Deadline {
            regime: "GDPR-72h",
            due: detected_at + 3 * DAY,
        });
    }
    Notification {
        personal_data_involved: involved,
        data_subjects_estimate: subjects,
        appi_reportable: appi,
        appi_reasons: reasons,
        gdpr_article_33: involved,
        deadlines,
        detected_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use breachscope_model::Outcome;

    fn read(account: &str, ip: &str, path: &str, t: Micros) -> FileAccess {
        FileAccess {
            time: t,
            server: None,
            account: account.into(),
            client_ip: ip.parse().ok(),
            client_name: None,
            session: None,
            share: "hr".into(),
            path: path.into(),
            path_is_relative: true,
            action: FileAction::Read,
            operation: "create_file".into(),
            log: FileAccess::SAMBA_AUDIT,
            object_type: None,
            access_mask: Some(0x120089),
            is_directory: Some(false),
            size: None,
            outcome: Outcome::Success,
        }
    }

    #[test]
    fn files_by_account_or_host_within_the_window() {
        let t = Target {
            accounts: ["k.tanaka".to_string()].into(),
            hosts: ["10.1.1.10".parse().unwrap()].into(),
            external: ["203.0.113.99".parse().unwrap()].into(),
            start: 100,
            end: 200,
        };
        let mut s = Scoper::new(vec![t]);
        s.observe(&read("k.tanaka", "10.9.9.9", "a.csv", 150));
        s.observe(&read("someone", "10.1.1.10", "b.csv", 160));
        s.observe(&read("k.tanaka", "10.1.1.10", "a.csv", 190));
        s.observe(&read("k.tanaka", "10.1.1.10", "early.csv", 50));
        s.observe(&read("other", "10.2.2.2", "c.csv", 150));
        let mut denied = read("k.tanaka", "10.1.1.10", "denied.csv", 150);
        denied.outcome = Outcome::Failure("Permission denied".into());
        s.observe(&denied);
        let files = s.files(0).unwrap();
        let names: Vec<&str> = files.keys().map(|k| k.1.as_str()).collect();
        assert_eq!(names, ["a.csv", "b.csv"]);
        assert_eq!(
            files[&("hr".to_string(), "a.csv".to_string())],
            Reads {
                first: 150,
                last: 190,
                reads: 2
            }
        );
        // The timeline: reads per day, and bytes to the target's external addresses only.
        let flow = |dst: &str, bytes: u64| breachscope_model::Flow {
            start: 100,
            duration: Some(10),
            uid: None,
            src_ip: "10.1.1.10".parse().unwrap(),
            src_port: 1,
            dst_ip: dst.parse().unwrap(),
            dst_port: 443,
            transport: breachscope_model::Transport::Tcp,
            service: None,
            bytes_out: Some(bytes),
            bytes_in: Some(1),
            packets_out: None,
            packets_in: None,
            ip_bytes_out: None,
            ip_bytes_in: None,
            missed_bytes: None,
            conn_state: None,
            history: None,
            local_orig: None,
            local_resp: None,
        };
        s.observe_flow(&flow("203.0.113.99", 5000));
        s.observe_flow(&flow("142.250.1.1", 7));
        assert_eq!(s.timeline(0).unwrap().get(&0), Some(&(5000, 3)));
    }

    #[test]
    fn scopers_of_halves_merge_into_the_whole() {
        let target = Target {
            accounts: ["k.tanaka".to_string()].into(),
            hosts: ["10.1.1.10".parse().unwrap()].into(),
            external: ["203.0.113.99".parse().unwrap()].into(),
            start: 0,
            end: 400_000_000_000,
        };
        let reads = [
            ("a.csv", 300_000_000_000),
            ("a.csv", 100),
            ("b.csv", 90_000_000_000),
            ("a.csv", 200_000_000_000),
            ("b.csv", 7),
        ];
        let ext: std::net::IpAddr = "203.0.113.99".parse().unwrap();
        let host: std::net::IpAddr = "10.1.1.10".parse().unwrap();
        let mut whole = Scoper::new(vec![target.clone()]);
        let mut halves = [Scoper::new(vec![target.clone()]), Scoper::new(vec![target])];
        for (i, (path, t)) in reads.into_iter().enumerate() {
            let r = read("k.tanaka", "10.9.9.9", path, t);
            whole.observe(&r);
            halves[i % 2].observe(&r);
            whole.observe_traffic(host, ext, t, 10 * i as u64);
            halves[(i + 1) % 2].observe_traffic(host, ext, t, 10 * i as u64);
        }
        let [mut merged, other] = halves;
        merged.merge(other);
        assert_eq!(merged.files(0), whole.files(0));
        assert_eq!(merged.timeline(0), whole.timeline(0));
        assert_eq!(
            merged.files(0).unwrap()[&("hr".to_string(), "a.csv".to_string())],
            Reads {
                first: 100,
                last: 300_000_000_000,
                reads: 3
            }
        );
    }

    #[test]
    fn timelines_count_office_days() {
        // 2025-06-23T16:13:36Z: the 23rd in UTC, 01:13 on the 24th in Tokyo.
        let t = 1_750_695_216_000_000;
        let target = || Target {
            accounts: ["k.tanaka".to_string()].into(),
            hosts: BTreeSet::new(),
            external: BTreeSet::new(),
            start: 0,
            end: i64::MAX,
        };
        let mut utc = Scoper::new(vec![target()]);
        let tokyo = breachscope_model::zone::parse_zone("Asia/Tokyo").unwrap();
        let mut office = Scoper::new(vec![target()]).with_zone(tokyo);
        for s in [&mut utc, &mut office] {
            s.observe(&read("k.tanaka", "10.1.1.10", "a.csv", t));
        }
        let days = |s: &Scoper| s.timeline(0).unwrap().keys().copied().collect::<Vec<_>>();
        assert_eq!(days(&utc), [20_262]);
        assert_eq!(days(&office), [20_263]);
    }

    #[test]
    fn notification_rules() {
        let exposure = Exposure {
            personal_data: [("email".to_string(), 40), ("my_number".to_string(), 3)].into(),
            data_subjects: 40,
            malicious: true,
        };
        let n = assess(&[exposure], 0);
        assert!(n.personal_data_involved && n.appi_reportable && n.gdpr_article_33);
        assert_eq!(n.appi_reasons.len(), 2);
        let due: Vec<(&str, Micros)> = n
            .deadlines
            .iter()
            .map(|d| (d.regime, d.due / DAY))
            .collect();
        assert_eq!(
            due,
            [("APPI-preliminary", 5), ("APPI-final", 60), ("GDPR-72h", 3)]
        );
        let none = assess(
            &[Exposure {
                personal_data: [("corporate_number".to_string(), 9)].into(),
                data_subjects: 0,
                malicious: true,
            }],
            0,
        );
        assert!(!none.personal_data_involved && !none.appi_reportable && none.deadlines.is_empty());
        let many = assess(
            &[Exposure {
                personal_data: [("email".to_string(), 2000)].into(),
                data_subjects: 2000,
                malicious: false,
            }],
            0,
        );
        assert!(many.appi_reportable);
        assert_eq!(many.deadlines[1].due / DAY, 30);
    }
}
