//! A day in the life of the company: people's traffic and file-server sessions, the traps, and
//! the intrusion, as conn/dns records and audit lines.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use breachscope_model::Micros;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::calendar::{is_workday, local_micros};
use crate::company::{Company, Site};
use crate::content::ShareFile;
use crate::logs::{AuditLine, ConnRow, DnsRow, Proto};
use crate::rng::Rng;
use crate::scenario::Scenario;

/// FILE_READ_DATA | FILE_READ_EA | FILE_READ_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE.
pub const READ_MASK: &str = "0x120089";
const LIST_MASK: &str = "0x100081";
const WRITE_MASK: &str = "0x12019f";

/// What one simulated day produced.
#[derive(Debug, Default)]
pub struct DayOutput {
    /// Connection records.
    pub conns: Vec<ConnRow>,
    /// DNS records.
    pub dns: Vec<DnsRow>,
    /// Audit records.
    pub audit: Vec<AuditLine>,
}

/// Who talks to whom.
struct Link {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    dport: u16,
    service: Option<&'static str>,
}

/// How much and how long.
struct Volume {
    orig: u64,
    resp: u64,
    duration: Micros,
}

/// The intrusion's fixed plan.
#[derive(Debug, Clone)]
pub struct IntrusionPlan {
    /// The compromised employee.
    pub victim: usize,
    /// C2 address.
    pub c2: Ipv4Addr,
    /// Exfiltration address.
    pub exfil: Ipv4Addr,
    /// First beacon.
    pub first_contact: Micros,
    /// Nights with collection (local dates; the early-morning hours of that date).
    pub nights: BTreeSet<Date>,
    /// The final night (spike).
    pub spike_night: Date,
    /// Last beacon (an hour after the spike upload is planned to end; set when it happens).
    pub last_beacon: Micros,
    /// Files the attacker will read, in order (indices into the inventory).
    pub loot_order: Vec<usize>,
}

/// Dates of the traps (for the truth file).
#[derive(Debug, Clone)]
pub struct TrapPlan {
    /// SaaS rollout start.
    pub saas_from: Option<Date>,
    /// Migration day, administrator, share.
    pub migration: Option<(Date, usize, usize)>,
    /// Large upload day and employee.
    pub large_upload: Option<(Date, usize)>,
    /// File-sync rollouts: first day, ramp days, daily upload range in kB, the service's site
    /// index (among the company's external sites).
    pub sync_rollouts: Vec<(Date, u32, [u32; 2], usize)>,
    /// The update burst's day.
    pub update_burst: Option<Date>,
    /// The day the backup job moves, and the new server's address.
    pub backup_moved: Option<(Date, Ipv4Addr)>,
    /// The reorganisation: from this day the department reads the other's share.
    pub reorg: Option<(Date, usize, usize)>,
}

/// A number in [0, 1) fixed by the scenario's seed and a label: a choice per employee that
/// takes nothing from the day's random streams (so the presets without the hard traps keep
/// their exact output).
pub(crate) fn fixed_fraction(seed: u64, label: &str) -> f64 {
    Rng::new(seed, label).f64()
}

/// The running simulation.
pub struct Simulation<'a> {
    scenario: &'a Scenario,
    company: &'a Company,
    files: &'a [ShareFile],
    zone: TimeZone,
    /// Inventory indices per department share.
    share_files: Vec<Vec<usize>>,
    /// Per-employee preferred file order (a working set).
    preferences: Vec<Vec<usize>>,
    /// The intrusion plan, when there is one.
    pub intrusion: Option<IntrusionPlan>,
    /// The traps.
    pub traps: TrapPlan,
    loot_cursor: usize,
    next_beacon: Option<Micros>,
}

fn uid(rng: &mut Rng) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut s = String::with_capacity(18);
    s.push('C');
    for _ in 0..17 {
        s.push(char::from(ALNUM[rng.below(62) as usize]));
    }
    s
}

fn first_workday_from(date: Date, end: Date) -> Option<Date> {
    let mut d = date;
    while d <= end {
        if is_workday(d) {
            return Some(d);
        }
        d = d.tomorrow().ok()?;
    }
    None
}

impl<'a> Simulation<'a> {
    /// Plans the simulation.
    pub fn new(
        scenario: &'a Scenario,
        company: &'a Company,
        files: &'a [ShareFile],
    ) -> Result<Self, crate::SimulateError> {
        let zone = scenario.zone()?;
        let mut rng = Rng::new(scenario.seed, "plan");
        let share_files: Vec<Vec<usize>> = company
            .departments
            .iter()
            .map(|d| {
                files
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.share == d.name)
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        let general = company.department_index("general");
        let preferences = company
            .employees
            .iter()
            .map(|e| {
                let mut own = share_files[e.department].clone();
                rng.shuffle(&mut own);
                if let Some(g) = general.filter(|&g| g != e.department) {
                    let mut extra = share_files[g].clone();
                    rng.shuffle(&mut extra);
                    own.extend(extra.into_iter().take(10));
                }
                own
            })
            .collect();
        let start = scenario.start_date()?;
        let end = scenario.end_date()?;
        let span = (end - start).get_days().max(1) as f64;
        let at = |f: f64| {
            start
                .checked_add(jiff::Span::new().days((span * f) as i64))
                .unwrap_or(start)
        };

        let intrusion = match company.victim {
            Some(victim) if scenario.intrusion.enabled => {
                let i = &scenario.intrusion;
                let s: Date = i
                    .start
                    .parse()
                    .map_err(|_| crate::SimulateError::Scenario("intrusion.start".into()))?;
                let e: Date = i
                    .end
                    .parse()
                    .map_err(|_| crate::SimulateError::Scenario("intrusion.end".into()))?;
                let first_contact = local_micros(&zone, s, rng.uniform(10.5, 16.0) * 3600.0);
                let mut nights = BTreeSet::new();
                let mut d = s.checked_add(jiff::Span::new().days(3)).unwrap_or(s);
                while d < e {
                    if rng.chance(i.nights_per_week / 7.0) {
                        nights.insert(d);
                    }
                    d = d.tomorrow().unwrap_or(e);
                }
                let mut loot_order: Vec<usize> = i
                    .target_shares
                    .iter()
                    .filter_map(|name| company.department_index(name))
                    .flat_map(|d| share_files[d].clone())
                    .collect();
                rng.shuffle(&mut loot_order);
                Some(IntrusionPlan {
                    victim,
                    c2: i
                        .c2
                        .parse()
                        .map_err(|_| crate::SimulateError::Scenario("intrusion.c2".into()))?,
                    exfil: i.exfiltration.parse().map_err(|_| {
                        crate::SimulateError::Scenario("intrusion.exfiltration".into())
                    })?,
                    first_contact,
                    nights,
                    spike_night: e,
                    last_beacon: local_micros(&zone, e, 6.0 * 3600.0),
                    loot_order,
                })
            }
            _ => None,
        };
        let t = &scenario.traps;
        let migration = if t.migration {
            let admin = company
                .employees
                .iter()
                .position(|e| e.admin && e.hired.is_none());
            let share = company.department_index("engineering").or(Some(0));
            match (first_workday_from(at(0.6), end), admin, share) {
                (Some(d), Some(a), Some(s)) => Some((d, a, s)),
                _ => None,
            }
        } else {
            None
        };
        let large_upload = if t.large_upload {
            let who = company.employees.iter().position(|e| {
                company.departments[e.department].name == "engineering"
                    && Some(e.workstation) != company.victim
                    && e.hired.is_none()
                    && Some(e.workstation) != company.vacationer
            });
            first_workday_from(at(0.5), end).zip(who)
        } else {
            None
        };
        Ok(Simulation {
            scenario,
            company,
            files,
            zone,
            share_files,
            preferences,
            intrusion,
            traps: TrapPlan {
                saas_from: t.saas_rollout.then(|| at(0.45)),
                migration,
                large_upload,
                // Sites ranked 40 and beyond in popularity: rarely visited before the rollout.
                sync_rollouts: t
                    .sync_rollouts
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let site = (40 + 7 * i).min(company.sites.len().saturating_sub(1));
                        (at(r.at), r.ramp_days, r.upload_kb, site)
                    })
                    .collect(),
                update_burst: if t.update_burst {
                    first_workday_from(at(0.4), end)
                } else {
                    None
                },
                backup_moved: if t.backup_moved {
                    let [a, b, c, d] = company.backup_server.ip.octets();
                    Some((at(0.5), Ipv4Addr::new(a, b, c, d.wrapping_add(1))))
                } else {
                    None
                },
                reorg: if t.reorg {
                    let from = company.department_index("general");
                    let to = company.department_index("finance");
                    first_workday_from(at(0.62), end)
                        .zip(from.zip(to))
                        .map(|(d, (f, to))| (d, f, to))
                } else {
                    None
                },
            },
            loot_cursor: 0,
            next_beacon: None,
        })
    }

    fn conn(&self, rng: &mut Rng, ts: Micros, link: Link, volume: Volume) -> ConnRow {
        ConnRow {
            ts,
            duration: volume.duration.max(1),
            uid: uid(rng),
            src: link.src,
            sport: rng.range(49152, 65535) as u16,
            dst: link.dst,
            dport: link.dport,
            proto: Proto::Tcp,
            service: link.service,
            orig_bytes: volume.orig,
            resp_bytes: volume.resp,
            conn_state: "SF",
            history: "ShADadFf",
        }
    }

    fn dns(&self, rng: &mut Rng, out: &mut DayOutput, ts: Micros, src: Ipv4Addr, site: &Site) {
        let id = uid(rng);
        let rtt = rng.range(300, 40_000) as Micros;
        let sport = rng.range(49152, 65535) as u16;
        out.dns.push(DnsRow {
            ts,
            uid: id.clone(),
            src,
            sport,
            dst: self.company.dns_server.ip,
            trans_id: rng.below(65536) as u16,
            rtt,
            query: site.domain.clone(),
            answers: vec![site.ip],
        });
        out.conns.push(ConnRow {
            ts,
            duration: rtt,
            uid: id,
            src,
            sport,
            dst: self.company.dns_server.ip,
            dport: 53,
            proto: Proto::Udp,
            service: Some("dns"),
            orig_bytes: 30 + site.domain.len() as u64,
            resp_bytes: 46 + site.domain.len() as u64,
            conn_state: "SF",
            history: "Dd",
        });
    }

    fn web(
        &self,
        rng: &mut Rng,
        out: &mut DayOutput,
        ts: Micros,
        src: Ipv4Addr,
        site: &Site,
        with_dns: bool,
    ) {
        if with_dns {
            self.dns(rng, out, ts - 30_000, src, site);
        }
        let https = rng.chance(0.85);
        let (dport, service) = if https {
            (443, Some("ssl"))
        } else {
            (80, Some("http"))
        };
        let orig = rng.lognormal(700.0, 1.0).min(5e6) as u64 + 100;
        let resp = rng.lognormal(15_000.0, 1.8).min(5e8) as u64 + 200;
        let duration = (rng.lognormal(1.5, 1.2).min(3600.0) * 1e6) as Micros;
        let mut row = self.conn(
            rng,
            ts,
            Link {
                src,
                dst: site.ip,
                dport,
                service,
            },
            Volume {
                orig,
                resp,
                duration,
            },
        );
        let roll = rng.below(100);
        if roll < 4 {
            row.conn_state = "S0";
            row.history = "S";
            row.service = None;
            row.orig_bytes = 0;
            row.resp_bytes = 0;
        } else if roll < 6 {
            row.conn_state = "REJ";
            row.history = "Sr";
            row.service = None;
            row.orig_bytes = 0;
            row.resp_bytes = 0;
        } else if roll < 8 {
            row.conn_state = "RSTO";
            row.history = "ShADadR";
        }
        out.conns.push(row);
    }

    /// A file-server session: audit lines and the SMB connection. Returns the session's end.
    #[allow(clippy::too_many_arguments)]
    fn smb_session(
        &self,
        rng: &mut Rng,
        out: &mut DayOutput,
        start: Micros,
        employee: usize,
        share: usize,
        files: &[usize],
        writes: bool,
    ) -> Micros {
        let ip = self.company.workstations[employee].ip;
        let share_name = &self.company.departments[share].name;
        let root = format!("/srv/shares/{share_name}");
        let mut t = start;
        let mut push = |t: Micros, op: &'static str, ok: bool, args: String| {
            out.audit.push(AuditLine {
                ts: t,
                employee,
                ip,
                op,
                ok,
                share,
                args,
            });
        };
        push(t, "connect", true, share_name.clone());
        t += rng.range(200, 3000) as Micros;
        push(t, "openat", true, format!("r|{root}"));
        push(
            t + 40,
            "create_file",
            true,
            format!("{LIST_MASK}|dir|open|{root}"),
        );
        push(t + 80, "close", true, root.clone());
        let mut read_bytes = 0u64;
        let mut written = 0u64;
        for &fi in files {
            t += rng.range(300_000, 20_000_000) as Micros;
            let f = &self.files[fi];
            let path = format!("{root}/{}", f.path);
            let dir = path
                .rsplit_once('/')
                .map_or(root.clone(), |(d, _)| d.to_owned());
            push(t, "openat", true, format!("r|{dir}"));
            push(t + 30, "openat", true, format!("r|{path}"));
            if rng.chance(0.005) {
                push(
                    t + 60,
                    "create_file",
                    false,
                    format!("{READ_MASK}|file|open|{path}"),
                );
                continue;
            }
            push(
                t + 60,
                "create_file",
                true,
                format!("{READ_MASK}|file|open|{path}"),
            );
            let chunks = (f.size / (1 << 20) + 1).min(4);
            for k in 0..chunks {
                let at = t + 100 + k as Micros * 400;
                push(at, "pread_send", true, path.clone());
                push(at + 150, "pread_recv", true, path.clone());
            }
            read_bytes += f.size;
            t += 2_000 + (f.size / 50) as Micros;
            if writes && rng.chance(0.05) {
                push(t, "close", true, path.clone());
                t += rng.range(5_000_000, 60_000_000) as Micros;
                push(
                    t,
                    "create_file",
                    true,
                    format!("{WRITE_MASK}|file|overwrite_if|{path}"),
                );
                push(t + 100, "pwrite_send", true, path.clone());
                push(t + 300, "pwrite_recv", true, path.clone());
                written += f.size;
            }
            push(t + 500, "close", true, path.clone());
        }
        t += rng.range(500_000, 5_000_000) as Micros;
        push(t, "disconnect", true, share_name.clone());
        let n = files.len() as u64;
        let mut row = self.conn(
            rng,
            start - 50_000,
            Link {
                src: ip,
                dst: self.company.file_server.ip,
                dport: 445,
                service: Some("gssapi,smb"),
            },
            Volume {
                orig: 900 + 350 * n + written,
                resp: 1_500 + 600 * n + read_bytes,
                duration: t - start + 100_000,
            },
        );
        row.history = "ShADadFf";
        out.conns.push(row);
        t
    }

    fn pick_files(&self, rng: &mut Rng, employee: usize, count: usize) -> Vec<usize> {
        let prefs = &self.preferences[employee];
        let mut chosen: Vec<usize> = (0..count)
            .map(|_| prefs[rng.zipf(prefs.len(), 1.0)])
            .collect();
        chosen.dedup();
        chosen
    }

    fn normal_day(&self, rng: &mut Rng, out: &mut DayOutput, date: Date, employee: usize) {
        let e = &self.company.employees[employee];
        let ip = self.company.workstations[employee].ip;
        let arrive = (e.arrival + 0.15 * rng.normal()).clamp(6.5, 11.0);
        let mut leave = (e.departure + 0.3 * rng.normal()).clamp(arrive + 2.0, 23.3);
        if e.late_worker && rng.chance(0.5) {
            leave = (leave + rng.uniform(0.5, 2.5)).min(23.6);
        }
        let seed = self.scenario.seed;
        if self.scenario.traps.late_every_day_share > 0.0
            && fixed_fraction(seed, &format!("late:{}", e.account))
                < self.scenario.traps.late_every_day_share
        {
            let mut r = Rng::new(seed, &format!("late:{date}:{}", e.account));
            leave = r.uniform(22.5, 23.5);
        }
        let hours = leave - arrive;
        let at =
            |rng: &mut Rng| local_micros(&self.zone, date, rng.uniform(arrive, leave) * 3600.0);
        // Web and SaaS traffic.
        let n = rng.poisson(self.scenario.company.web_connections_per_hour * hours);
        for _ in 0..n {
            let site = &self.company.sites[rng.zipf(self.company.sites.len(), 1.05)];
            let ts = at(rng);
            let with_dns = rng.chance(0.25);
            self.web(rng, out, ts, ip, site, with_dns);
        }
        if self.traps.saas_from.is_some_and(|d| date >= d) {
            for k in 0..rng.poisson(8.0) {
                let ts = at(rng);
                self.web(rng, out, ts, ip, &self.company.saas, k == 0);
            }
        }
        // File-sync clients: each host adopts a service on its own day of the ramp.
        for (k, &(from, ramp, kb, site)) in self.traps.sync_rollouts.iter().enumerate() {
            let offset =
                (fixed_fraction(seed, &format!("sync{k}:{}", e.account)) * f64::from(ramp)) as i64;
            let adopted = from
                .checked_add(jiff::Span::new().days(offset))
                .unwrap_or(from);
            if date < adopted {
                continue;
            }
            let mut r = Rng::new(seed, &format!("sync{k}:{date}:{}", e.account));
            let total = r.range(u64::from(kb[0]), u64::from(kb[1])) * 1000;
            let parts = r.range(3, 9);
            for _ in 0..parts {
                let ts = local_micros(&self.zone, date, r.uniform(arrive, leave) * 3600.0);
                let bytes = total / parts;
                let duration = r.range(500_000, 8_000_000) as Micros;
                out.conns.push(self.conn(
                    &mut r,
                    ts,
                    Link {
                        src: ip,
                        dst: self.company.sites[site].ip,
                        dport: 443,
                        service: Some("ssl"),
                    },
                    Volume {
                        orig: bytes,
                        resp: bytes / 40 + 3_000,
                        duration,
                    },
                ));
            }
        }
        // After the reorganisation the department reads the other's share every day.
        if let Some((from, dept, share)) = self.traps.reorg
            && date >= from
            && e.department == dept
        {
            let mut r = Rng::new(seed, &format!("reorg:{date}:{}", e.account));
            let n = r.range(2, 6) as usize;
            let files: Vec<usize> = (0..n)
                .filter_map(|_| r.pick(&self.share_files[share]).copied())
                .collect();
            let start = local_micros(&self.zone, date, r.uniform(arrive, leave) * 3600.0);
            self.smb_session(&mut r, out, start, employee, share, &files, false);
        }
        // Operating-system update checks every two hours or so.
        let mut h = arrive + rng.uniform(0.0, 0.5);
        while h < leave {
            let site = &self.company.update_sites
                [rng.below(self.company.update_sites.len() as u64) as usize];
            let ts = local_micros(&self.zone, date, h * 3600.0);
            self.web(rng, out, ts, ip, site, true);
            h += rng.uniform(1.5, 2.5);
        }
        // File-server sessions.
        let files = rng.poisson(self.scenario.company.files_read_per_day) as usize;
        if files > 0 {
            let sessions = 1 + rng.below(3) as usize;
            let general = self.company.department_index("general");
            for s in 0..sessions {
                let count = files / sessions + usize::from(s < files % sessions);
                if count == 0 {
                    continue;
                }
                let mut chosen = self.pick_files(rng, employee, count);
                // Group by share: one session per share touched.
                chosen.sort_by_key(|&f| {
                    (
                        self.files[f].share != self.company.departments[e.department].name,
                        f,
                    )
                });
                let own: Vec<usize> = chosen
                    .iter()
                    .copied()
                    .filter(|&f| self.files[f].share == self.company.departments[e.department].name)
                    .collect();
                let other: Vec<usize> = chosen
                    .iter()
                    .copied()
                    .filter(|&f| self.files[f].share != self.company.departments[e.department].name)
                    .collect();
                let start = at(rng);
                let end = self.smb_session(rng, out, start, employee, e.department, &own, true);
                if let (Some(g), false) = (general, other.is_empty()) {
                    let later = end + rng.range(1_000_000, 60_000_000) as Micros;
                    self.smb_session(rng, out, later, employee, g, &other, false);
                }
            }
        }
    }

    /// Uploads `total` bytes from `src` to `site` in `parts` connections after a DNS lookup.
    fn upload(
        &self,
        rng: &mut Rng,
        out: &mut DayOutput,
        start: Micros,
        src: (Ipv4Addr, &Site),
        total: u64,
        parts: u64,
    ) -> Micros {
        let (src, site) = src;
        self.dns(rng, out, start - 40_000, src, site);
        let mut t = start;
        let parts = parts.max(1);
        for k in 0..parts {
            let bytes = if k + 1 == parts {
                total - total / parts * (parts - 1)
            } else {
                total / parts
            };
            let rate = rng.uniform(0.6e6, 2.5e6);
            let duration = ((bytes as f64 / rate) * 1e6) as Micros + 200_000;
            let resp = bytes / 250 + rng.range(3_000, 9_000);
            out.conns.push(self.conn(
                rng,
                t,
                Link {
                    src,
                    dst: site.ip,
                    dport: 443,
                    service: Some("ssl"),
                },
                Volume {
                    orig: bytes,
                    resp,
                    duration,
                },
            ));
            t += duration + rng.range(2_000_000, 40_000_000) as Micros;
        }
        t
    }

    fn intrusion_day(&mut self, rng: &mut Rng, out: &mut DayOutput, date: Date) {
        let Some(plan) = self.intrusion.clone() else {
            return;
        };
        let victim_ip = self.company.workstations[plan.victim].ip;
        let c2 = Site {
            ip: plan.c2,
            domain: self.scenario.intrusion.c2_domain.clone(),
        };
        let exfil = Site {
            ip: plan.exfil,
            domain: self.scenario.intrusion.exfiltration_domain.clone(),
        };
        let day_start = local_micros(&self.zone, date, 0.0);
        let day_end = local_micros(&self.zone, date, 86_400.0);
        // Collection and exfiltration in the early hours.
        let spike = date == plan.spike_night;
        if spike || plan.nights.contains(&date) {
            let i = &self.scenario.intrusion;
            let count = if spike {
                i.spike_files as usize
            } else {
                rng.range(
                    u64::from(i.files_per_night[0]),
                    u64::from(i.files_per_night[1]),
                ) as usize
            };
            let mut loot = Vec::new();
            for _ in 0..count {
                if plan.loot_order.is_empty() {
                    break;
                }
                loot.push(plan.loot_order[self.loot_cursor % plan.loot_order.len()]);
                self.loot_cursor += 1;
            }
            loot.sort_by_key(|&f| (self.files[f].share.clone(), f));
            loot.dedup();
            let mut t = local_micros(&self.zone, date, rng.uniform(1.0, 2.5) * 3600.0);
            let mut total = 0u64;
            for share in self.company.departments.iter().enumerate().map(|(d, _)| d) {
                let files: Vec<usize> = loot
                    .iter()
                    .copied()
                    .filter(|&f| self.files[f].share == self.company.departments[share].name)
                    .collect();
                if files.is_empty() {
                    continue;
                }
                total += files.iter().map(|&f| self.files[f].size).sum::<u64>();
                t = self.smb_session(rng, out, t, plan.victim, share, &files, false)
                    + rng.range(5_000_000, 60_000_000) as Micros;
            }
            if total > 0 {
                let archive = (total as f64 * rng.uniform(1.0, 1.08)) as u64 + 4_096;
                let start = t + rng.range(60_000_000, 600_000_000) as Micros;
                let parts = if spike { 2 } else { rng.range(1, 3) };
                let end = self.upload(rng, out, start, (victim_ip, &exfil), archive, parts);
                if spike && let Some(p) = self.intrusion.as_mut() {
                    p.last_beacon = end + 3_600_000_000;
                }
            }
        }
        // Beacons, around the clock from first contact to an hour after the spike.
        let plan = self.intrusion.clone().unwrap_or(plan);
        if day_end <= plan.first_contact {
            return;
        }
        let to = plan.last_beacon.min(day_end);
        let mut t = self
            .next_beacon
            .unwrap_or(plan.first_contact)
            .max(day_start);
        let interval = f64::from(self.scenario.intrusion.beacon_interval_seconds);
        let jitter = self.scenario.intrusion.beacon_jitter;
        let mut last_dns_hour = i64::MIN;
        while t < to {
            let hour = t.div_euclid(3_600_000_000);
            if hour != last_dns_hour {
                self.dns(rng, out, t - 25_000, victim_ip, &c2);
                last_dns_hour = hour;
            }
            let tasking = rng.chance(0.03);
            let resp = if tasking {
                rng.range(20_000, 400_000)
            } else {
                rng.range(180, 900)
            };
            let orig = if tasking {
                rng.range(2_000, 60_000)
            } else {
                rng.range(280, 720)
            };
            let duration = rng.range(150_000, 1_500_000) as Micros;
            out.conns.push(self.conn(
                rng,
                t,
                Link {
                    src: victim_ip,
                    dst: c2.ip,
                    dport: 443,
                    service: Some("ssl"),
                },
                Volume {
                    orig,
                    resp,
                    duration,
                },
            ));
            t += (interval * (1.0 + jitter * rng.uniform(-1.0, 1.0)) * 1e6) as Micros;
        }
        if t >= plan.first_contact {
            self.next_beacon = Some(t);
        }
    }

    fn trap_day(&self, rng: &mut Rng, out: &mut DayOutput, date: Date) {
        let t = &self.scenario.traps;
        if t.backup {
            let start = local_micros(&self.zone, date, rng.uniform(1.0, 1.5) * 3600.0);
            let bytes = rng.range(20_000_000_000, 60_000_000_000);
            let duration = (bytes as f64 / rng.uniform(40e6, 90e6) * 1e6) as Micros;
            let dst = self.company.backup_cloud.ip;
            let src = match self.traps.backup_moved {
                Some((from, moved)) if date >= from => moved,
                _ => self.company.backup_server.ip,
            };
            out.conns.push(self.conn(
                rng,
                start,
                Link {
                    src,
                    dst,
                    dport: 443,
                    service: Some("ssl"),
                },
                Volume {
                    orig: bytes,
                    resp: bytes / 500,
                    duration,
                },
            ));
        }
        if let Some((d, admin, share)) = self.traps.migration
            && d == date
        {
            let all = self.share_files[share].clone();
            let start = local_micros(&self.zone, date, rng.uniform(10.0, 11.0) * 3600.0);
            self.smb_session(rng, out, start, admin, share, &all, false);
        }
        if let Some(d) = self.traps.update_burst
            && d == date
        {
            // Every workstation fetches a large update from the vendor's CDN within hours.
            let mut r = Rng::new(self.scenario.seed, &format!("update-burst:{date}"));
            let site = &self.company.update_sites[0];
            for ws in &self.company.workstations {
                let ts = local_micros(&self.zone, date, r.uniform(9.0, 13.0) * 3600.0);
                let bytes = r.range(300_000_000, 900_000_000);
                let duration = (bytes as f64 / r.uniform(5e6, 30e6) * 1e6) as Micros;
                out.conns.push(self.conn(
                    &mut r,
                    ts,
                    Link {
                        src: ws.ip,
                        dst: site.ip,
                        dport: 443,
                        service: Some("ssl"),
                    },
                    Volume {
                        orig: bytes / 200 + 20_000,
                        resp: bytes,
                        duration,
                    },
                ));
            }
        }
        if let Some((d, who)) = self.traps.large_upload
            && d == date
        {
            let ip = self.company.workstations[who].ip;
            let start = local_micros(&self.zone, date, rng.uniform(13.5, 15.0) * 3600.0);
            let bytes = rng.range(2_000_000_000, 4_000_000_000);
            self.upload(rng, out, start, (ip, &self.company.file_sharing), bytes, 1);
        }
    }

    /// Simulates one day.
    pub fn day(&mut self, date: Date) -> DayOutput {
        let mut out = DayOutput::default();
        let mut rng = Rng::new(self.scenario.seed, &format!("day:{date}"));
        if is_workday(date) {
            for (i, e) in self.company.employees.iter().enumerate() {
                if e.present(date) {
                    let mut r = rng.fork(&e.account);
                    self.normal_day(&mut r, &mut out, date, i);
                }
            }
        }
        let mut trap_rng = rng.fork("traps");
        self.trap_day(&mut trap_rng, &mut out, date);
        let mut intrusion_rng = rng.fork("intrusion");
        self.intrusion_day(&mut intrusion_rng, &mut out, date);
        out
    }
}
