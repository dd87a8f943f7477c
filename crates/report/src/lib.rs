//! Output writers for breachscope.
//!
//! * [`ocsf`]: evidence events as OCSF 1.x JSON objects (Network Activity 4001, DNS Activity 4003,
//!   File System Activity 1001, Authentication 3002);
//! * [`report_v1`]: the `report.json` contract types;
//! * [`findings`]: `findings.ocsf.jsonl` (Detection Finding 2004, Data Security Finding 2006);
//! * [`html`]: the self-contained `report.html`.

pub mod findings;
pub mod html;
pub mod ocsf;
pub mod report_v1;
