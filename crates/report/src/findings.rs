//! `findings.ocsf.jsonl`: each alert as an OCSF Detection Finding (2004) and each incident file
//! holding personal data as a Data Security Finding (2006). Formatting only: every value comes
//! from the report. Counts, never values.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::ocsf::OCSF_VERSION;
use crate::report_v1::{Alert, Incident, IncidentFile, Report};

fn severity_id(severity: &str) -> u8 {
    match severity {
        "low" => 2,
        "medium" => 3,
        "high" => 4,
        "critical" => 5,
        _ => 0,
    }
}

fn millis(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .unwrap_or(0)
}

fn metadata(event_code: &str) -> Value {
    json!({
        "product": { "name": "breachscope", "vendor_name": "breachscope", "version": env!("CARGO_PKG_VERSION") },
        "version": OCSF_VERSION,
        "event_code": event_code,
    })
}

fn detection_finding(a: &Alert) -> Value {
    let mut evidences = Vec::new();
    for h in &a.entities.hosts {
        for e in a
            .entities
            .external
            .iter()
            .map(Some)
            .chain(std::iter::once(None).filter(|_| a.entities.external.is_empty()))
        {
            let mut ev = json!({ "src_endpoint": { "ip": h } });
            if let Some(e) = e {
                ev["dst_endpoint"] = json!({ "ip": e });
            }
            evidences.push(ev);
        }
    }
    for u in &a.entities.accounts {
        evidences.push(json!({ "user": { "name": u } }));
    }
    json!({
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "severity_id": severity_id(&a.severity),
        "severity": a.severity,
        "time": millis(&a.time),
        "metadata": metadata(&a.detector),
        "finding_info": {
            "uid": a.id,
            "title": a.detector,
            "desc": a.summary,
            "analytic": { "name": a.detector, "type_id": 1, "type": "Rule" },
        },
        "evidences": evidences,
        "is_alert": true,
        "status_id": 1,
        "status": "New",
        "risk_score": (a.score * 100.0).round() as i64,
        "unmapped": { "shares": a.entities.shares },
    })
}

fn data_security_finding(i: &Incident, f: &IncidentFile) -> Option<Value> {
    let c = f.classification.as_ref()?;
    if !c.labels.iter().any(|l| l == "personal_data") {
        return None;
    }
    let name = f.path.rsplit('/').next().unwrap_or(&f.path);
    let mut file = json!({ "name": name, "path": f.path, "type_id": 1, "type": "Regular File" });
    if let Some(size) = f.size {
        file["size"] = json!(size);
    }
    if let Some(sha) = &f.sha256 {
        file["hashes"] = json!([{ "algorithm_id": 3, "algorithm": "SHA-256", "value": sha }]);
    }
    Some(json!({
        "class_uid": 2006,
        "class_name": "Data Security Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200601,
        "severity_id": severity_id(&i.severity),
        "severity": i.severity,
        "time": millis(&f.last_access),
        "metadata": metadata("personal_data_in_incident_file"),
        "finding_info": {
            "uid": format!("{}:{}/{}", i.id, f.share, f.path),
            "title": format!("Personal data in a file read by {}", i.id),
            "related_events_count": f.reads,
        },
        "data_security": { "category_id": 1, "category": "Personal", "data_lifecycle_state_id": 0 },
        "file": file,
        "share": f.share,
        "is_alert": true,
        "unmapped": {
            "incident": i.id,
            "categories": c.categories,
            "records_with_personal_data": c.records_with_personal_data,
            "labels": c.labels,
            "first_access": f.first_access,
            "last_access": f.last_access,
        },
    }))
}

/// Writes the findings of a report as JSON lines; returns (detection, data security) counts.
pub fn write_findings<W: Write>(out: &mut W, report: &Report) -> io::Result<(usize, usize)> {
    let mut counts = (0, 0);
    for a in &report.alerts {
        serde_json::to_writer(&mut *out, &detection_finding(a)).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
        counts.0 += 1;
    }
    for i in &report.incidents {
        for f in &i.files {
            if let Some(v) = data_security_finding(i, f) {
                serde_json::to_writer(&mut *out, &v).map_err(io::Error::other)?;
                out.write_all(b"\n")?;
                counts.1 += 1;
            }
        }
    }
    Ok(counts)
}
