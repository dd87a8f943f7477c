//! Running a scenario: shares, then day after day of evidence, then the truth.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use breachscope_model::Micros;
use breachscope_model::time::format_rfc3339;
use jiff::tz::TimeZone;

use crate::SimulateError;
use crate::activity::{READ_MASK, Simulation};
use crate::calendar::{days, local_micros};
use crate::company::Company;
use crate::content::{self, ShareFile};
use crate::firewall::FortiGateLog;
use crate::logs::{AuditLine, ConnRow, DnsRow, ZeekArchive, write_audit_day};
use crate::scenario::Scenario;
use crate::truth::{
    Counts, HostTruth, IncidentFileTruth, IntrusionTruth, Layout, PartnerTruth, Period,
    TechnologyTruth, TrapTruth, Truth,
};
use crate::zeek_smb::{SmbContext, ZeekSmbLogs};

/// Progress of a generation: a stage name, done and total units.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// What is being done.
    pub stage: &'a str,
    /// Units done.
    pub done: u64,
    /// Units in all.
    pub total: u64,
}

const SHARE_ROOT: &str = "/srv/shares";

/// The instant an hour (local) begins, for the hour containing `t`.
fn hour_start(zone: &TimeZone, t: Micros) -> Micros {
    let Ok(ts) = jiff::Timestamp::from_microsecond(t) else {
        return t;
    };
    let dt = zone.to_datetime(ts);
    let Ok(floor) = dt.with().minute(0).second(0).subsec_nanosecond(0).build() else {
        return t;
    };
    zone.to_ambiguous_zoned(floor)
        .compatible()
        .map(|z| z.timestamp().as_microsecond())
        .unwrap_or(t)
}

fn flush_conns(
    archive: &mut ZeekArchive,
    firewall: Option<&mut FortiGateLog>,
    zone: &TimeZone,
    pending: &mut Vec<ConnRow>,
    before: Option<Micros>,
) -> Result<(), SimulateError> {
    pending.sort_by_key(ConnRow::end);
    let cut = before.map_or(pending.len(), |b| pending.partition_point(|r| r.end() < b));
    let ready: Vec<ConnRow> = pending.drain(..cut).collect();
    if let Some(log) = firewall {
        log.write(&ready)?;
    }
    let mut i = 0;
    while i < ready.len() {
        let h = hour_start(zone, ready[i].end());
        let mut j = i;
        while j < ready.len() && hour_start(zone, ready[j].end()) == h {
            j += 1;
        }
        archive.write_conn_hour(h, &ready[i..j])?;
        i = j;
    }
    Ok(())
}

fn flush_dns(
    archive: &mut ZeekArchive,
    zone: &TimeZone,
    pending: &mut Vec<DnsRow>,
    before: Option<Micros>,
) -> Result<(), SimulateError> {
    pending.sort_by_key(|r| r.ts);
    let cut = before.map_or(pending.len(), |b| pending.partition_point(|r| r.ts < b));
    let ready: Vec<DnsRow> = pending.drain(..cut).collect();
    let mut i = 0;
    while i < ready.len() {
        let h = hour_start(zone, ready[i].ts);
        let mut j = i;
        while j < ready.len() && hour_start(zone, ready[j].ts) == h {
            j += 1;
        }
        archive.write_dns_hour(h, &ready[i..j])?;
        i = j;
    }
    Ok(())
}

/// Evidence written besides the default (Zeek, Samba audit, shares).
#[derive(Debug, Clone, Copy, Default)]
pub struct Outputs {
    /// The perimeter's sessions also as a FortiGate traffic log (`firewall/`), for
    /// organisations without Zeek.
    pub firewall: bool,
    /// The file server's sessions also as Zeek's SMB logs (`ntlm`, `smb_mapping`, `smb_files`
    /// in the Zeek archive), for file servers that audit nothing.
    pub zeek_smb: bool,
}

/// [`generate_with`] the default outputs.
pub fn generate(
    scenario: &Scenario,
    dir: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Truth, SimulateError> {
    generate_with(scenario, dir, Outputs::default(), progress)
}

/// Generates the scenario into `dir` (`zeek/`, `samba/`, `shares/`, `scenario.toml`,
/// `truth.json`, and what `outputs` adds) and returns the truth. `progress` is called after each
/// simulated day.
pub fn generate_with(
    scenario: &Scenario,
    dir: &Path,
    outputs: Outputs,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Truth, SimulateError> {
    let zone = scenario.zone()?;
    std::fs::create_dir_all(dir).map_err(|e| SimulateError::io(dir, e))?;
    let company = Company::build(scenario)?;
    progress(Progress {
        stage: "shares",
        done: 0,
        total: 1,
    });
    let files = content::write_shares(&dir.join("shares"), scenario, &company)?;
    progress(Progress {
        stage: "shares",
        done: 1,
        total: 1,
    });
    let mut sim = Simulation::new(scenario, &company, &files)?;
    let all_days = days(scenario.start_date()?, scenario.end_date()?);
    let mut archive = ZeekArchive::new(dir.join("zeek"), zone.clone());
    let mut firewall = outputs
        .firewall
        .then(|| FortiGateLog::new(dir.join("firewall"), zone.clone()));
    let accounts: Vec<String> = company
        .employees
        .iter()
        .map(|e| e.account.clone())
        .collect();
    let shares: Vec<String> = company.departments.iter().map(|d| d.name.clone()).collect();
    let samba_dir = dir.join("samba").join(&company.file_server.name);
    let mut smb_logs = outputs
        .zeek_smb
        .then(|| ZeekSmbLogs::new(dir.join("zeek"), zone.clone()));
    let sizes: std::collections::HashMap<(String, String), u64> = files
        .iter()
        .map(|f| ((f.share.clone(), f.path.clone()), f.size))
        .collect();
    let smb_context = SmbContext {
        server_name: &company.file_server.name,
        server_ip: company.file_server.ip,
        accounts: &accounts,
        shares: &shares,
        share_root: SHARE_ROOT,
        sizes: &sizes,
    };

    let mut pending_conns: Vec<ConnRow> = Vec::new();
    let mut pending_dns: Vec<DnsRow> = Vec::new();
    let mut pending_audit: Vec<AuditLine> = Vec::new();
    let mut audit_lines = 0u64;
    let mut observer = Observer::new(&company, &sim);

    for (n, date) in all_days.iter().enumerate() {
        let out = sim.day(*date);
        observer.conns(&out.conns);
        observer.audit(&out.audit, &files);
        pending_conns.extend(out.conns);
        pending_dns.extend(out.dns);
        pending_audit.extend(out.audit);
        let day_end = local_micros(&zone, *date, 86_400.0);
        // Audit lines of later days never start before their day; conn and dns records of the
        // next day may precede it by a fraction of a second, so the last hour waits.
        pending_audit.sort_by_key(|l| l.ts);
        let cut = pending_audit.partition_point(|l| l.ts < day_end);
        let today: Vec<AuditLine> = pending_audit.drain(..cut).collect();
        let path = samba_dir.join(format!("{date}.log"));
        write_audit_day(
            &path,
            &zone,
            &company.file_server.name,
            &accounts,
            &shares,
            &today,
        )?;
        audit_lines += today.len() as u64;
        if let Some(smb) = smb_logs.as_mut() {
            smb.write_day(&today, &smb_context)?;
        }
        flush_conns(
            &mut archive,
            firewall.as_mut(),
            &zone,
            &mut pending_conns,
            Some(day_end - 3_600_000_000),
        )?;
        flush_dns(
            &mut archive,
            &zone,
            &mut pending_dns,
            Some(day_end - 3_600_000_000),
        )?;
        progress(Progress {
            stage: "days",
            done: n as u64 + 1,
            total: all_days.len() as u64,
        });
    }
    flush_conns(
        &mut archive,
        firewall.as_mut(),
        &zone,
        &mut pending_conns,
        None,
    )?;
    if let Some(log) = firewall.as_mut() {
        log.finish()?;
    }
    flush_dns(&mut archive, &zone, &mut pending_dns, None)?;
    if !pending_audit.is_empty() {
        let last = all_days.last().copied().unwrap_or(scenario.start_date()?);
        let next = last.tomorrow().unwrap_or(last);
        write_audit_day(
            &samba_dir.join(format!("{next}.log")),
            &zone,
            &company.file_server.name,
            &accounts,
            &shares,
            &pending_audit,
        )?;
        audit_lines += pending_audit.len() as u64;
        if let Some(smb) = smb_logs.as_mut() {
            smb.write_day(&pending_audit, &smb_context)?;
        }
    }

    let start = local_micros(&zone, scenario.start_date()?, 0.0);
    let end = local_micros(&zone, scenario.end_date()?, 86_400.0);
    let truth = Truth {
        schema_version: 1,
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        time_zone: scenario.time_zone.clone(),
        period: Period {
            start: format_rfc3339(start),
            end: format_rfc3339(end),
        },
        layout: Layout {
            zeek: "zeek".into(),
            samba: "samba".into(),
            shares: "shares".into(),
            file_server: company.file_server.name.clone(),
            share_roots: shares
                .iter()
                .map(|s| (s.clone(), format!("{SHARE_ROOT}/{s}")))
                .collect(),
        },
        accounts: accounts.clone(),
        internal_networks: vec!["10.0.0.0/8".into()],
        intrusion: observer.intrusion_truth(scenario, &company, &sim, &files),
        traps: traps_truth(scenario, &company, &sim, &zone)?,
        counts: Counts {
            conn_rows: archive.conn_rows,
            dns_rows: archive.dns_rows,
            audit_lines,
            share_files: files.len() as u64,
            share_bytes: files.iter().map(|f| f.size).sum(),
        },
    };
    std::fs::write(dir.join("scenario.toml"), scenario.to_toml()?)
        .map_err(|e| SimulateError::io(&dir.join("scenario.toml"), e))?;
    let json =
        serde_json::to_string_pretty(&truth).map_err(|e| SimulateError::Write(e.to_string()))?;
    std::fs::write(dir.join("truth.json"), json + "\n")
        .map_err(|e| SimulateError::io(&dir.join("truth.json"), e))?;
    Ok(truth)
}

/// Watches what is written for the facts the truth needs.
struct Observer {
    victim: Option<(usize, std::net::Ipv4Addr)>,
    c2: Option<std::net::Ipv4Addr>,
    exfil: Option<std::net::Ipv4Addr>,
    c2_times: (Micros, Micros),
    exfil_conns: Vec<(Micros, Micros, u64)>,
    c2_connections: u64,
    /// (file index) → read times by the victim account or from the victim host.
    reads: BTreeMap<usize, Vec<Micros>>,
}

impl Observer {
    fn new(company: &Company, sim: &Simulation<'_>) -> Self {
        let victim = sim
            .intrusion
            .as_ref()
            .map(|p| (p.victim, company.workstations[p.victim].ip));
        Observer {
            victim,
            c2: sim.intrusion.as_ref().map(|p| p.c2),
            exfil: sim.intrusion.as_ref().map(|p| p.exfil),
            c2_times: (Micros::MAX, Micros::MIN),
            exfil_conns: Vec::new(),
            c2_connections: 0,
            reads: BTreeMap::new(),
        }
    }

    fn conns(&mut self, rows: &[ConnRow]) {
        for r in rows {
            if Some(r.dst) == self.c2 {
                self.c2_connections += 1;
                self.c2_times.0 = self.c2_times.0.min(r.ts);
                self.c2_times.1 = self.c2_times.1.max(r.end());
            }
            if Some(r.dst) == self.exfil {
                self.exfil_conns.push((r.ts, r.end(), r.orig_bytes));
            }
        }
    }

    fn audit(&mut self, lines: &[AuditLine], files: &[ShareFile]) {
        let Some((victim, ip)) = self.victim else {
            return;
        };
        for l in lines {
            if l.op == "create_file" && l.ok && (l.employee == victim || l.ip == ip) {
                let Some(rest) = l
                    .args
                    .strip_prefix(READ_MASK)
                    .and_then(|r| r.strip_prefix("|file|open|"))
                else {
                    continue;
                };
                let Some(rel) = rest
                    .strip_prefix(&format!("{SHARE_ROOT}/"))
                    .and_then(|r| r.split_once('/'))
                else {
                    continue;
                };
                if let Ok(i) = files
                    .binary_search_by(|f| (f.share.as_str(), f.path.as_str()).cmp(&(rel.0, rel.1)))
                {
                    self.reads.entry(i).or_default().push(l.ts);
                }
            }
        }
    }

    fn intrusion_truth(
        &self,
        scenario: &Scenario,
        company: &Company,
        sim: &Simulation<'_>,
        files: &[ShareFile],
    ) -> Option<IntrusionTruth> {
        let plan = sim.intrusion.as_ref()?;
        let victim = &company.employees[plan.victim];
        let host = &company.workstations[plan.victim];
        let first = self.c2_times.0.min(
            self.exfil_conns
                .iter()
                .map(|c| c.0)
                .min()
                .unwrap_or(Micros::MAX),
        );
        let end = self.c2_times.1.max(
            self.exfil_conns
                .iter()
                .map(|c| c.1)
                .max()
                .unwrap_or(Micros::MIN),
        );
        let spike_night = local_micros(&scenario.zone().ok()?, plan.spike_night, 0.0);
        let spike = self
            .exfil_conns
            .iter()
            .map(|c| c.0)
            .filter(|&t| t >= spike_night)
            .min()
            .unwrap_or(end);
        let mut incident_files = Vec::new();
        let mut personal: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut partners: BTreeMap<String, PartnerTruth> = BTreeMap::new();
        let mut technology: BTreeMap<(String, String), TechnologyTruth> = BTreeMap::new();
        for (&i, times) in &self.reads {
            let within: Vec<Micros> = times
                .iter()
                .copied()
                .filter(|&t| t >= first && t <= end)
                .collect();
            if within.is_empty() {
                continue;
            }
            let f = &files[i];
            for (number, (name, records)) in &f.truth.partners {
                let p = partners
                    .entry(number.clone())
                    .or_insert_with(|| PartnerTruth {
                        corporate_number: number.clone(),
                        name: None,
                        files: 0,
                        records: 0,
                    });
                p.files += 1;
                p.records += records;
                if p.name.is_none() {
                    p.name = name.clone();
                }
            }
            if let Some(project) = &f.truth.project
                && f.truth
                    .labels
                    .iter()
                    .any(|l| matches!(*l, "technical" | "export_controlled" | "infrastructure"))
            {
                let t = technology
                    .entry((f.share.clone(), project.clone()))
                    .or_insert_with(|| TechnologyTruth {
                        share: f.share.clone(),
                        directory: project.clone(),
                        kinds: BTreeMap::new(),
                        files: 0,
                        bytes: 0,
                        markings: Vec::new(),
                    });
                *t.kinds.entry(f.truth.kind.to_owned()).or_default() += 1;
                t.files += 1;
                t.bytes += f.size;
                for m in &f.truth.markings {
                    if !t.markings.contains(m) {
                        t.markings.push(m.clone());
                    }
                }
            }
            for (category, values) in &f.planted {
                personal
                    .entry(category.clone())
                    .or_default()
                    .extend(values.iter().cloned());
            }
            incident_files.push(IncidentFileTruth {
                share: f.share.clone(),
                path: f.path.clone(),
                first_access: format_rfc3339(within.iter().copied().min().unwrap_or(first)),
                last_access: format_rfc3339(within.iter().copied().max().unwrap_or(end)),
                reads: within.len() as u64,
            });
        }
        let nights = self
            .exfil_conns
            .iter()
            .map(|c| c.0.div_euclid(86_400_000_000))
            .collect::<BTreeSet<_>>()
            .len() as u64;
        Some(IntrusionTruth {
            host: HostTruth {
                ip: host.ip.to_string(),
                name: host.name.clone(),
            },
            account: victim.account.clone(),
            c2: plan.c2.to_string(),
            c2_domain: scenario.intrusion.c2_domain.clone(),
            exfiltration: plan.exfil.to_string(),
            exfiltration_domain: scenario.intrusion.exfiltration_domain.clone(),
            first_event: format_rfc3339(first),
            spike: format_rfc3339(spike),
            end: format_rfc3339(end),
            first_event_us: first,
            spike_us: spike,
            end_us: end,
            files: incident_files,
            personal_data: personal
                .into_iter()
                .map(|(k, v)| (k, v.len() as u64))
                .collect(),
            business_partners: partners.into_values().collect(),
            technology: technology.into_values().collect(),
            bytes_exfiltrated: self.exfil_conns.iter().map(|c| c.2).sum(),
            c2_connections: self.c2_connections,
            collection_nights: nights,
        })
    }
}

fn traps_truth(
    scenario: &Scenario,
    company: &Company,
    sim: &Simulation<'_>,
    zone: &TimeZone,
) -> Result<Vec<TrapTruth>, SimulateError> {
    let (start, end) = (scenario.start_date()?, scenario.end_date()?);
    let day = |d: jiff::civil::Date, h: f64| format_rfc3339(local_micros(zone, d, h * 3600.0));
    let ws = |i: usize| company.workstations[i].ip.to_string();
    let mut traps = Vec::new();
    let t = &scenario.traps;
    if t.backup {
        traps.push(TrapTruth {
            kind: "backup".into(),
            hosts: vec![company.backup_server.ip.to_string()],
            accounts: vec![],
            external: vec![company.backup_cloud.ip.to_string()],
            shares: vec![],
            start: day(start, 0.0),
            end: day(end, 24.0),
        });
    }
    if let Some(from) = sim.traps.saas_from {
        traps.push(TrapTruth {
            kind: "saas_rollout".into(),
            hosts: vec![],
            accounts: vec![],
            external: vec![company.saas.ip.to_string()],
            shares: vec![],
            start: day(from, 0.0),
            end: day(end, 24.0),
        });
    }
    if let Some((d, admin, share)) = sim.traps.migration {
        traps.push(TrapTruth {
            kind: "migration".into(),
            hosts: vec![ws(admin)],
            accounts: vec![company.employees[admin].account.clone()],
            external: vec![],
            shares: vec![company.departments[share].name.clone()],
            start: day(d, 0.0),
            end: day(d, 24.0),
        });
    }
    if let Some((d, who)) = sim.traps.large_upload {
        traps.push(TrapTruth {
            kind: "large_upload".into(),
            hosts: vec![ws(who)],
            accounts: vec![company.employees[who].account.clone()],
            external: vec![company.file_sharing.ip.to_string()],
            shares: vec![],
            start: day(d, 0.0),
            end: day(d, 24.0),
        });
    }
    if let Some(v) = company.vacationer
        && let Some((a, b)) = company.employees[v].vacation
    {
        traps.push(TrapTruth {
            kind: "vacation".into(),
            hosts: vec![ws(v)],
            accounts: vec![company.employees[v].account.clone()],
            external: vec![],
            shares: vec![],
            start: day(a, 0.0),
            end: day(b, 24.0),
        });
    }
    if let Some(h) = company.new_hire
        && let Some(d) = company.employees[h].hired
    {
        traps.push(TrapTruth {
            kind: "new_hire".into(),
            hosts: vec![ws(h)],
            accounts: vec![company.employees[h].account.clone()],
            external: vec![],
            shares: vec![
                company.departments[company.employees[h].department]
                    .name
                    .clone(),
            ],
            start: day(d, 0.0),
            end: day(end, 24.0),
        });
    }
    for (from, _, _, site) in &sim.traps.sync_rollouts {
        traps.push(TrapTruth {
            kind: "sync_rollout".into(),
            hosts: vec![],
            accounts: vec![],
            external: vec![company.sites[*site].ip.to_string()],
            shares: vec![],
            start: day(*from, 0.0),
            end: day(end, 24.0),
        });
    }
    if let Some(d) = sim.traps.update_burst {
        traps.push(TrapTruth {
            kind: "update_burst".into(),
            hosts: vec![],
            accounts: vec![],
            external: vec![company.update_sites[0].ip.to_string()],
            shares: vec![],
            start: day(d, 0.0),
            end: day(d, 24.0),
        });
    }
    if let Some((d, moved)) = sim.traps.backup_moved {
        traps.push(TrapTruth {
            kind: "backup_moved".into(),
            hosts: vec![moved.to_string()],
            accounts: vec![],
            external: vec![company.backup_cloud.ip.to_string()],
            shares: vec![],
            start: day(d, 0.0),
            end: day(end, 24.0),
        });
    }
    if t.late_every_day_share > 0.0 {
        let late: Vec<usize> = (0..company.employees.len())
            .filter(|&i| {
                crate::activity::fixed_fraction(
                    scenario.seed,
                    &format!("late:{}", company.employees[i].account),
                ) < t.late_every_day_share
            })
            .collect();
        traps.push(TrapTruth {
            kind: "late_every_day".into(),
            hosts: late.iter().map(|&i| ws(i)).collect(),
            accounts: late
                .iter()
                .map(|&i| company.employees[i].account.clone())
                .collect(),
            external: vec![],
            shares: vec![],
            start: day(start, 0.0),
            end: day(end, 24.0),
        });
    }
    if let Some((d, dept, share)) = sim.traps.reorg {
        let members: Vec<usize> = (0..company.employees.len())
            .filter(|&i| company.employees[i].department == dept)
            .collect();
        traps.push(TrapTruth {
            kind: "reorg".into(),
            hosts: members.iter().map(|&i| ws(i)).collect(),
            accounts: members
                .iter()
                .map(|&i| company.employees[i].account.clone())
                .collect(),
            external: vec![],
            shares: vec![company.departments[share].name.clone()],
            start: day(d, 0.0),
            end: day(end, 24.0),
        });
    }
    Ok(traps)
}
