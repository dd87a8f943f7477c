//! The simulated company: departments, employees and their workstations, servers, the external
//! sites its people use, and its customers and business partners.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use jiff::civil::Date;

use crate::SimulateError;
use crate::pii::{self, Organisation, Person};
use crate::rng::Rng;
use crate::scenario::Scenario;

/// A host on the internal network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// NetBIOS-style name (`ws-012`, `fs01`).
    pub name: String,
    /// Address.
    pub ip: Ipv4Addr,
}

/// An employee, their account and habits.
#[derive(Debug, Clone)]
pub struct Employee {
    /// The person.
    pub person: Person,
    /// Account name (`k.tanaka`), as Samba's `%u` writes it.
    pub account: String,
    /// Index into [`Company::departments`].
    pub department: usize,
    /// Index into [`Company::workstations`].
    pub workstation: usize,
    /// Usually arrives at this hour (local, fractional).
    pub arrival: f64,
    /// Usually leaves at this hour.
    pub departure: f64,
    /// Often stays late.
    pub late_worker: bool,
    /// First working day, for a new hire.
    pub hired: Option<Date>,
    /// A vacation (first and last day off), if any.
    pub vacation: Option<(Date, Date)>,
    /// Member of the IT department (administrator).
    pub admin: bool,
}

impl Employee {
    /// Whether the employee works on `date` (hired, not on vacation; the calendar is checked by
    /// the caller).
    pub fn present(&self, date: Date) -> bool {
        self.hired.is_none_or(|h| date >= h)
            && self.vacation.is_none_or(|(a, b)| date < a || date > b)
    }
}

/// An external address with a DNS name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Address.
    pub ip: Ipv4Addr,
    /// DNS name.
    pub domain: String,
}

/// A department as simulated.
#[derive(Debug, Clone)]
pub struct DepartmentInfo {
    /// Share name (= department name).
    pub name: String,
    /// Display name.
    pub label: String,
}

/// Everything about the company that does not change day to day.
#[derive(Debug, Clone)]
pub struct Company {
    /// Departments, in scenario order; each has a share of the same name.
    pub departments: Vec<DepartmentInfo>,
    /// Employees (the new hire last).
    pub employees: Vec<Employee>,
    /// Workstations, one per employee, same order.
    pub workstations: Vec<Host>,
    /// The file server.
    pub file_server: Host,
    /// The DNS resolver.
    pub dns_server: Host,
    /// The backup server.
    pub backup_server: Host,
    /// External web and SaaS sites in normal use, most popular first.
    pub sites: Vec<Site>,
    /// Operating-system update sites every workstation checks.
    pub update_sites: Vec<Site>,
    /// The SaaS introduced mid-period (trap).
    pub saas: Site,
    /// The cloud backup target (trap).
    pub backup_cloud: Site,
    /// A file-sharing service used once for a large upload (trap).
    pub file_sharing: Site,
    /// Customers (personal data in sales files).
    pub customers: Vec<Person>,
    /// Business partners (Corporate Numbers, bank accounts).
    pub organisations: Vec<Organisation>,
    /// Index of the compromised employee, when there is an intrusion.
    pub victim: Option<usize>,
    /// Index of the new hire.
    pub new_hire: Option<usize>,
    /// Index of the employee returning from vacation.
    pub vacationer: Option<usize>,
}

/// Public address blocks used for ordinary sites (large CDN/cloud ranges); the documentation
/// ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) are left to the attacker.
const SITE_BLOCKS: &[[u8; 2]] = &[
    [13, 107],
    [20, 190],
    [23, 45],
    [34, 120],
    [35, 186],
    [52, 84],
    [104, 18],
    [142, 250],
    [151, 101],
    [172, 217],
    [185, 199],
    [199, 232],
];
const SITE_WORDS: &[&str] = &[
    "cdn", "static", "api", "news", "mail", "docs", "video", "shop", "cloud", "search", "maps",
    "chat",
];

impl Company {
    /// Builds the company for a scenario (deterministic in the seed).
    pub fn build(scenario: &Scenario) -> Result<Self, SimulateError> {
        let mut rng = Rng::new(scenario.seed, "company");
        let start = scenario.start_date()?;
        let end = scenario.end_date()?;
        let span = (end - start).get_days().max(1);
        let at_fraction = |f: f64| -> Date {
            start
                .checked_add(jiff::Span::new().days((span as f64 * f) as i64))
                .unwrap_or(start)
        };
        let departments: Vec<DepartmentInfo> = scenario
            .company
            .departments
            .iter()
            .map(|d| DepartmentInfo {
                name: d.name.clone(),
                label: d.label.clone(),
            })
            .collect();

        let mut employees = Vec::new();
        let mut workstations = Vec::new();
        let mut accounts = BTreeSet::new();
        let mut serial = 0u32;
        let mut add = |rng: &mut Rng,
                       dept: usize,
                       hired: Option<Date>,
                       employees: &mut Vec<Employee>,
                       workstations: &mut Vec<Host>| {
            serial += 1;
            let mut person = pii::person(rng, &scenario.email_domain, serial);
            // Employees are Japanese staff with company addresses.
            while !person.name.contains(' ') || person.name.is_ascii() {
                person = pii::person(rng, &scenario.email_domain, serial);
            }
            let (given, family) = person
                .romaji
                .split_once('.')
                .unwrap_or((&person.romaji, ""));
            let base = format!("{}.{}", &given[..1], family);
            let mut account = base.clone();
            let mut n = 2;
            while !accounts.insert(account.clone()) {
                account = format!("{base}{n}");
                n += 1;
            }
            person.email = pii::Written {
                text: format!("{account}@{}", scenario.email_domain),
                normal: format!("{account}@{}", scenario.email_domain),
            };
            let index = workstations.len();
            workstations.push(Host {
                name: format!("ws-{:03}", index + 1),
                ip: Ipv4Addr::new(10, 1, dept as u8 + 1, 10 + (index % 240) as u8),
            });
            let late_worker = rng.chance(scenario.company.late_worker_share);
            employees.push(Employee {
                person,
                account,
                department: dept,
                workstation: index,
                arrival: rng.uniform(8.3, 9.6),
                departure: if late_worker {
                    rng.uniform(19.5, 21.5)
                } else {
                    rng.uniform(17.4, 19.0)
                },
                late_worker,
                hired,
                vacation: None,
                admin: departments[dept].name == "it",
            });
        };
        for (d, dept) in scenario.company.departments.iter().enumerate() {
            for _ in 0..dept.staff {
                add(&mut rng, d, None, &mut employees, &mut workstations);
            }
        }
        let victim = scenario
            .intrusion
            .enabled
            .then(|| {
                employees
                    .iter()
                    .position(|e| departments[e.department].name == scenario.intrusion.department)
            })
            .flatten();
        let new_hire = if scenario.traps.new_hire {
            let dept = departments
                .iter()
                .position(|d| d.name == "engineering")
                .unwrap_or(0);
            add(
                &mut rng,
                dept,
                Some(at_fraction(0.55)),
                &mut employees,
                &mut workstations,
            );
            Some(employees.len() - 1)
        } else {
            None
        };
        let vacationer = if scenario.traps.vacation {
            let candidate = employees.iter().position(|e| {
                Some(e.workstation) != victim.map(|v| employees[v].workstation)
                    && e.hired.is_none()
                    && !e.admin
                    && e.department != victim.map_or(usize::MAX, |v| employees[v].department)
            });
            if let Some(i) = candidate {
                let first = at_fraction(0.35);
                let last = first
                    .checked_add(jiff::Span::new().days(20))
                    .unwrap_or(first);
                employees[i].vacation = Some((first, last));
            }
            candidate
        } else {
            None
        };

        let mut sites = Vec::new();
        for i in 0..scenario.company.external_sites {
            let block = SITE_BLOCKS[i as usize % SITE_BLOCKS.len()];
            let ip = Ipv4Addr::new(
                block[0],
                block[1],
                rng.range(0, 255) as u8,
                rng.range(1, 254) as u8,
            );
            let word = SITE_WORDS[rng.below(SITE_WORDS.len() as u64) as usize];
            sites.push(Site {
                ip,
                domain: format!(
                    "{word}{i}.example-{}.com",
                    ["cdn", "saas", "media", "corp"][i as usize % 4]
                ),
            });
        }
        let update_sites = (0..3)
            .map(|i| Site {
                ip: Ipv4Addr::new(13, 107, 4, 50 + i),
                domain: format!("update{i}.example-os.com"),
            })
            .collect();
        let mut customers = Vec::new();
        let customer_count = (scenario.company.table_rows[1] as usize * 4).max(200);
        for i in 0..customer_count {
            customers.push(pii::person(
                &mut rng,
                ["example.com", "example.net", "example.jp"][i % 3],
                10_000 + i as u32,
            ));
        }
        let organisations = (0..(customer_count / 8).max(40))
            .map(|i| pii::organisation(&mut rng, i as u32 + 1))
            .collect();

        Ok(Company {
            departments,
            employees,
            workstations,
            file_server: Host {
                name: "fs01".into(),
                ip: Ipv4Addr::new(10, 1, 0, 5),
            },
            dns_server: Host {
                name: "dc01".into(),
                ip: Ipv4Addr::new(10, 1, 0, 2),
            },
            backup_server: Host {
                name: "backup01".into(),
                ip: Ipv4Addr::new(10, 1, 0, 9),
            },
            sites,
            update_sites,
            saas: Site {
                ip: Ipv4Addr::new(52, 196, 40, 17),
                domain: "app.example-saas.com".into(),
            },
            backup_cloud: Site {
                ip: Ipv4Addr::new(52, 219, 68, 120),
                domain: "backup.example-cloud.com".into(),
            },
            file_sharing: Site {
                ip: Ipv4Addr::new(104, 16, 99, 52),
                domain: "transfer.example-share.com".into(),
            },
            customers,
            organisations,
            victim,
            new_hire,
            vacationer,
        })
    }

    /// The department index of a share name.
    pub fn department_index(&self, name: &str) -> Option<usize> {
        self.departments.iter().position(|d| d.name == name)
    }
}
