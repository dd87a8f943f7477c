//! `report.html`: one self-contained page (inline CSS, inline SVG charts drawn here, a few lines
//! of the project's own JavaScript for sorting; no third-party code, no network) that a manager
//! reads in two minutes and a responder works from. Masked values only: the page is built from
//! the report, which holds counts, never values.

use std::collections::BTreeMap;
use std::fmt::Write;

use breachscope_model::zone::{format_local, local_day, parse_zone};
use jiff::tz::TimeZone;

use crate::report_v1::{Incident, Report};

/// Daily figures of one incident: day in the office zone (days since 1970-01-01, so day `n` is
/// the office's date 1970-01-01 + `n`) → (bytes to its endpoints, file reads).
pub type Timeline = BTreeMap<i64, (u64, u64)>;

/// The zone the page shows times in: the report's office zone, or UTC when the report names
/// none (or one this build cannot read), with the label shown beside it.
pub fn display_zone(report: &Report) -> (TimeZone, String) {
    match report
        .settings
        .as_ref()
        .and_then(|s| Some((parse_zone(&s.office_time_zone).ok()?, s)))
    {
        Some((zone, s)) => (
            zone,
            format!(
                "{} ({})",
                s.office_time_zone,
                match s.office_time_zone_source {
                    crate::report_v1::ZoneSource::Flag => "given with --log-tz",
                    crate::report_v1::ZoneSource::Config => "set in the configuration",
                    crate::report_v1::ZoneSource::Evidence =>
                        "inferred from the UTC offsets in the evidence",
                    crate::report_v1::ZoneSource::Machine =>
                        "the investigating machine's zone: nothing else said which",
                }
            ),
        ),
        None => (TimeZone::UTC, "UTC".to_owned()),
    }
}

/// An RFC 3339 time of the report as local time in `zone`, to the second, with the zone's
/// abbreviation or offset (`2025-06-24 01:13:36 JST`); text that is not such a time is shown as
/// it is.
fn local(rfc3339: &str, zone: &TimeZone) -> String {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(t) => format_local(t.as_microsecond(), zone),
        Err(_) => rfc3339.to_owned(),
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u < 4 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The office-zone day of an RFC 3339 time.
fn day_of(rfc3339: &str, zone: &TimeZone) -> Option<i64> {
    rfc3339
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| local_day(t.as_microsecond(), zone))
}

fn date_of_day(day: i64) -> String {
    jiff::Timestamp::from_second(day * 86_400)
        .map(|t| t.to_string()[..10].to_owned())
        .unwrap_or_default()
}

/// The timeline chart of one incident as inline SVG: daily bytes to the incident's endpoints
/// (bars, log scale), file reads per day (line), and markers at first evidence, first alert and
/// the spike (the day with the most bytes). Days are the office zone's, as the timeline's.
pub fn timeline_svg(incident: &Incident, timeline: &Timeline, zone: &TimeZone) -> String {
    let (w, h, left, bottom, top) = (900.0f64, 240.0f64, 60.0f64, 30.0f64, 20.0f64);
    let first = day_of(&incident.first_evidence, zone).unwrap_or(0);
    let last = day_of(&incident.last_activity, zone)
        .unwrap_or(first)
        .max(first);
    let (start, end) = (first - 2, last + 2);
    let days = (end - start + 1).max(1) as f64;
    let x = |d: i64| left + (d - start) as f64 * (w - left - 10.0) / days;
    let bar_w = ((w - left - 10.0) / days * 0.8).max(1.0);
    let max_bytes = timeline.values().map(|v| v.0).max().unwrap_or(0).max(1) as f64;
    let max_reads = timeline.values().map(|v| v.1).max().unwrap_or(0).max(1) as f64;
    let plot_h = h - bottom - top;
    let yb = |b: u64| {
        h - bottom
            - if b == 0 {
                0.0
            } else {
                (b as f64).ln_1p() / max_bytes.ln_1p() * plot_h
            }
    };
    let yr = |r: u64| h - bottom - r as f64 / max_reads * plot_h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"timeline\" role=\"img\" aria-label=\"Timeline of {id}\" viewBox=\"0 0 {w} {h}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">",
        id = esc(&incident.id)
    );
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" class=\"axis\"/>",
        b = h - bottom,
        r = w - 10.0
    );
    for (d, (b, _)) in timeline.range(start..=end) {
        if *b > 0 {
            let y = yb(*b);
            let _ = write!(
                svg,
                "<rect class=\"bytes\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{:.1}\"><title>{} {}</title></rect>",
                x(*d),
                h - bottom - y,
                date_of_day(*d),
                bytes(*b)
            );
        }
    }
    let points: Vec<String> = (start..=end)
        .map(|d| {
            format!(
                "{:.1},{:.1}",
                x(d) + bar_w / 2.0,
                yr(timeline.get(&d).map_or(0, |v| v.1))
            )
        })
        .collect();
    let _ = write!(
        svg,
        "<polyline class=\"reads\" points=\"{}\"/>",
        points.join(" ")
    );
    let spike = timeline
        .range(start..=end)
        .max_by_key(|(d, v)| (v.0, -**d))
        .filter(|(_, v)| v.0 > 0)
        .map(|(d, _)| *d);
    let markers = [
        (
            "first-evidence",
            "first evidence",
            day_of(&incident.first_evidence, zone),
        ),
        (
            "first-alert",
            "first alert",
            day_of(&incident.first_alert, zone),
        ),
        ("spike", "spike", spike),
    ];
    for (i, (class, label, day)) in markers.iter().enumerate() {
        if let Some(d) = day {
            let mx = x(*d) + bar_w / 2.0;
            // Labels near the right edge are drawn to the left of their line.
            let (tx, anchor) = if mx > w - 160.0 {
                (mx - 3.0, "end")
            } else {
                (mx + 3.0, "start")
            };
            let _ = write!(
                svg,
                "<g class=\"marker {class}\"><line x1=\"{mx:.1}\" y1=\"{top}\" x2=\"{mx:.1}\" y2=\"{:.1}\"/><text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{label} {}</text></g>",
                h - bottom,
                top + 12.0 + 12.0 * i as f64,
                date_of_day(*d)
            );
        }
    }
    let _ = write!(
        svg,
        "<text x=\"{left}\" y=\"{:.1}\" class=\"tick\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{}</text>",
        h - 8.0,
        date_of_day(start),
        w - 10.0,
        h - 8.0,
        date_of_day(end)
    );
    let _ = write!(
        svg,
        "<text x=\"4\" y=\"{top}\" class=\"tick\">{}</text>",
        bytes(max_bytes as u64)
    );
    svg.push_str("</svg>");
    svg
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI','Hiragino Sans','Noto Sans JP',sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;line-height:1.45}h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:2px solid #d8dde6}section.summary{background:#f4f6fa;padding:1rem 1.5rem;border-left:6px solid #b3261e}.sev-critical{color:#b3261e;font-weight:700}.sev-high{color:#c25700;font-weight:700}.sev-medium{color:#8a6d00}.sev-low{color:#546070}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #e1e5ec;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#eef1f6;cursor:pointer;user-select:none}th.sorted-asc::after{content:' ▲'}th.sorted-desc::after{content:' ▼'}td.num{text-align:right;font-variant-numeric:tabular-nums}svg .axis{stroke:#555}svg .bytes{fill:#4a78c2}svg .reads{fill:none;stroke:#d9822b;stroke-width:2}svg .marker line{stroke:#b3261e;stroke-dasharray:4 3}svg .marker text,svg .tick{font-size:11px;fill:#333}.legend span{display:inline-block;margin-right:1rem}.sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}ul.checklist li{margin:.3rem 0}@media print{th{cursor:auto}section.summary{border-left-width:3px}a{color:inherit}}";

const SCRIPT: &str = r#"(function(){
function cellValue(td){var v=td.getAttribute('data-sort');if(v===null){v=td.textContent.trim();}var n=parseFloat(v);return isNaN(n)||!/^-?[0-9.]+$/.test(v)?v.toLowerCase():n;}
function sortTable(th){var table=th.closest('table');var body=table.tBodies[0];var idx=Array.prototype.indexOf.call(th.parentNode.children,th);var asc=!th.classList.contains('sorted-asc');
Array.prototype.forEach.call(th.parentNode.children,function(h){h.classList.remove('sorted-asc','sorted-desc');});th.classList.add(asc?'sorted-asc':'sorted-desc');
var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){var x=cellValue(a.cells[idx]),y=cellValue(b.cells[idx]);if(x<y)return asc?-1:1;if(x>y)return asc?1:-1;return 0;});rows.forEach(function(r){body.appendChild(r);});}
document.querySelectorAll('table.sortable th').forEach(function(th){th.addEventListener('click',function(){sortTable(th);});});
if(location.hash==='#selftest'){var errors=[];var log=console.error;console.error=function(){errors.push(Array.prototype.join.call(arguments,' '));log.apply(console,arguments);};
window.addEventListener('error',function(e){errors.push(String(e.message));});
var result={markers:document.querySelectorAll('svg.timeline .marker').length,charts:document.querySelectorAll('svg.timeline').length,bars:document.querySelectorAll('svg.timeline rect.bytes').length};
var table=document.querySelector('table.files');if(table){var ths=table.tHead.rows[0].cells;var size=null;for(var i=0;i<ths.length;i++){if(ths[i].textContent==='size'){size=i;}}
var col=function(){return Array.prototype.map.call(table.tBodies[0].rows,function(r){return parseFloat(r.cells[size].getAttribute('data-sort'));});};
ths[size].click();result.ascending=col();ths[size].click();result.descending=col();result.header_class=ths[size].className;}
result.errors=errors;document.body.setAttribute('data-selftest',JSON.stringify(result));}
})();"#;

/// Renders the page. `timelines[i]` belongs to `report.incidents[i]`.
pub fn render(report: &Report, timelines: &[Timeline]) -> String {
    let mut h = String::new();
    let (zone, zone_label) = display_zone(report);
    let t = |rfc3339: &str| esc(&local(rfc3339, &zone));
    // A time cell: shown in the office zone, sorted by the UTC value.
    let time_cell =
        |rfc3339: &str| format!("<td data-sort=\"{}\">{}</td>", esc(rfc3339), t(rfc3339));
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>breachscope report</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        h,
        "<h1>Breach investigation report</h1><p>Generated {} by breachscope {} from {} evidence files covering {} to {}.</p><p class=\"zone\">Times are shown in the office time zone, {}.</p>",
        t(&report.generated_at),
        esc(&report.tool.version),
        report.inputs.len(),
        t(&report.time_range.start),
        t(&report.time_range.end),
        esc(&zone_label)
    );

    // Executive summary in plain words.
    h.push_str("<section class=\"summary\"><h2>Summary</h2>");
    let serious: Vec<&Incident> = report
        .incidents
        .iter()
        .filter(|i| i.severity == "critical" || i.severity == "high")
        .collect();
    match report.incidents.first() {
        Some(top) if !serious.is_empty() => {
            let hosts: Vec<String> = top
                .hosts
                .iter()
                .map(|x| {
                    x.names
                        .first()
                        .cloned()
                        .map_or(x.ip.clone(), |n| format!("{n} ({})", x.ip))
                })
                .collect();
            let dwell = match (
                day_of(&top.first_evidence, &zone),
                day_of(&top.last_activity, &zone),
            ) {
                (Some(a), Some(b)) => b - a,
                _ => 0,
            };
            let exfil: Vec<String> = top
                .external_endpoints
                .iter()
                .filter(|e| e.roles.iter().any(|r| r == "exfiltration"))
                .map(|e| e.ip.clone())
                .collect();
            let c2: Vec<String> = top
                .external_endpoints
                .iter()
                .filter(|e| e.roles.iter().any(|r| r == "command_and_control"))
                .map(|e| e.ip.clone())
                .collect();
            let _ = write!(
                h,
                "<p><strong>What happened.</strong> An intruder controlled <strong>{}</strong>{} and used the account{} <strong>{}</strong>. breachscope rates this incident <span class=\"sev-{}\">{}</span> ({} of {} incidents are high or critical).</p>",
                esc(&hosts.join(", ")),
                if c2.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", which kept contacting the command-and-control address {}",
                        esc(&c2.join(", "))
                    )
                },
                if top.accounts.len() == 1 { "" } else { "s" },
                esc(&top.accounts.join(", ")),
                esc(&top.severity),
                esc(&top.severity),
                serious.len(),
                report.incidents.len()
            );
            let _ = write!(
                h,
                "<p><strong>Since when.</strong> The first evidence is from <strong>{}</strong>; the activity lasted until {} ({dwell} days). The first alert came {}.</p>",
                t(&top.first_evidence),
                t(&top.last_activity),
                t(&top.first_alert)
            );
            let pd: Vec<String> = top
                .personal_data
                .iter()
                .filter(|(_, v)| **v > 0)
                .map(|(k, v)| format!("{v} {}", k.replace('_', " ")))
                .collect();
            let _ = write!(
                h,
                "<p><strong>What data.</strong> In {}, {} files were read, holding {} — personal data of an estimated <strong>{} people</strong> in this incident{}.</p>",
                esc(&top.id),
                top.files.len(),
                if pd.is_empty() {
                    "no personal data found".to_owned()
                } else {
                    esc(&pd.join(", "))
                },
                top.data_subjects_estimate,
                what_else(top).map_or(String::new(), |more| format!("; they also hold {more}"))
            );
            let _ = write!(
                h,
                "<p><strong>Where it went.</strong> {} were sent to {}.</p>",
                bytes(top.bytes_exfiltrated),
                if exfil.is_empty() {
                    "no identified exfiltration address".into()
                } else {
                    esc(&exfil.join(", "))
                }
            );
            h.push_str("<p><strong>What to do next.</strong> Isolate the hosts above, disable and reset the accounts, block the external addresses at the perimeter, preserve this evidence (inputs are hashed below), and start the notifications in the checklist.</p>");
        }
        _ => h.push_str(
            "<p>No incident of high or critical severity was found in this evidence.</p>",
        ),
    }
    h.push_str("</section>");

    // Notification checklist.
    // The assessment covers the high and critical incidents (the malicious acts); its people
    // estimate is the sum of theirs, which the line says so that it is not read against the
    // summary's figure for the top incident alone.
    let n = &report.notification;
    h.push_str("<h2>Notification checklist</h2><ul class=\"checklist\">");
    let covered: Vec<String> = serious.iter().map(|i| esc(&i.id)).collect();
    let _ = write!(
        h,
        "<li>Personal data involved: <strong>{}</strong> (estimated {} people, {}).</li>",
        if n.personal_data_involved {
            "yes"
        } else {
            "no"
        },
        n.data_subjects_estimate,
        match covered.len() {
            0 => "no high or critical incident to assess".to_owned(),
            1 => format!(
                "in {}, the one high or critical incident this assessment covers",
                covered[0]
            ),
            _ => format!(
                "the sum over {}, the high and critical incidents this assessment covers",
                covered.join(", ")
            ),
        }
    );
    let _ = write!(
        h,
        "<li>APPI report to the Personal Information Protection Commission: <strong>{}</strong>{}</li>",
        if n.appi_reportable {
            "required"
        } else {
            "not required on this evidence"
        },
        if n.appi_reasons.is_empty() {
            String::new()
        } else {
            format!(" — {}", esc(&n.appi_reasons.join("; ")))
        }
    );
    let _ = write!(
        h,
        "<li>GDPR Art. 33 (if EU residents are affected): <strong>{}</strong></li>",
        if n.gdpr_article_33 {
            "assess and notify within 72 hours"
        } else {
            "not triggered"
        }
    );
    for d in &n.deadlines {
        let _ = write!(
            h,
            "<li>{}: due <strong>{}</strong></li>",
            esc(&d.regime),
            t(&d.due)
        );
    }
    let _ = write!(h, "<li>Detected at {}.</li></ul>", t(&n.detected_at));

    // Incidents.
    for (i, incident) in report.incidents.iter().enumerate() {
        let _ = write!(
            h,
            "<h2 id=\"{id}\">{id} <span class=\"sev-{sev}\">{sev}</span> — score {score:.2}</h2><p>{title}</p>",
            id = esc(&incident.id),
            sev = esc(&incident.severity),
            score = incident.score,
            title = esc(&incident.title)
        );
        let empty = Timeline::new();
        let tl = timelines.get(i).unwrap_or(&empty);
        if incident.severity == "critical" || incident.severity == "high" || i == 0 {
            h.push_str("<div class=\"legend\"><span><span class=\"sw\" style=\"background:#4a78c2\"></span>bytes to the incident's external addresses per day (log scale)</span><span><span class=\"sw\" style=\"background:#d9822b\"></span>file reads per day</span></div>");
            h.push_str(&timeline_svg(incident, tl, &zone));
        }
        h.push_str("<table class=\"sortable endpoints\"><thead><tr><th>external address</th><th>roles</th><th>bytes out</th><th>bytes in</th><th>connections</th><th>first seen</th><th>last seen</th></tr></thead><tbody>");
        for e in &incident.external_endpoints {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"num\" data-sort=\"{}\">{}</td><td class=\"num\" data-sort=\"{}\">{}</td><td class=\"num\">{}</td>{}{}</tr>",
                esc(&e.ip),
                esc(&e.roles.join(", ")),
                e.bytes_out,
                bytes(e.bytes_out),
                e.bytes_in,
                bytes(e.bytes_in),
                e.connections,
                time_cell(&e.first_seen),
                time_cell(&e.last_seen)
            );
        }
        h.push_str("</tbody></table>");
        what_else_section(&mut h, incident);
        if !incident.files.is_empty() {
            let _ = write!(
                h,
                "<h3>Files read ({})</h3><table class=\"sortable files\"><thead><tr><th>share</th><th>path</th><th>reads</th><th>first access</th><th>last access</th><th>size</th><th>kind</th><th>personal data (distinct values)</th><th>records</th><th>labels</th></tr></thead><tbody>",
                incident.files.len()
            );
            for f in &incident.files {
                let (cats, records, labels) = match &f.classification {
                    Some(c) => (
                        c.categories
                            .iter()
                            .map(|(k, v)| format!("{k} {v}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        c.records_with_personal_data,
                        c.labels
                            .iter()
                            .cloned()
                            .chain(c.markings.iter().map(|m| format!("「{m}」")))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    None => ("not scanned".into(), 0, String::new()),
                };
                let kind = f.classification.as_ref().map_or(String::new(), |c| {
                    match (&c.kind, &c.language) {
                        (Some(k), Some(l)) => format!("{} ({l})", k.replace('_', " ")),
                        (Some(k), None) => k.replace('_', " "),
                        _ => String::new(),
                    }
                });
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td>{}{}<td class=\"num\" data-sort=\"{}\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                    esc(&f.share),
                    esc(&f.path),
                    f.reads,
                    time_cell(&f.first_access),
                    time_cell(&f.last_access),
                    f.size.unwrap_or(0),
                    f.size.map_or("—".into(), bytes),
                    esc(&kind),
                    esc(&cats),
                    records,
                    esc(&labels)
                );
            }
            h.push_str("</tbody></table>");
        }
    }

    // Alerts.
    h.push_str("<h2>Alerts</h2><table class=\"sortable alerts\"><thead><tr><th>id</th><th>time</th><th>detector</th><th>severity</th><th>score</th><th>explanation</th></tr></thead><tbody>");
    for a in &report.alerts {
        let n: String = a.id.chars().filter(char::is_ascii_digit).collect();
        let _ = write!(
            h,
            "<tr><td data-sort=\"{n}\">{}</td>{}<td>{}</td><td class=\"sev-{sev}\">{sev}</td><td class=\"num\">{:.2}</td><td>{}</td></tr>",
            esc(&a.id),
            time_cell(&a.time),
            esc(&a.detector),
            a.score,
            esc(&a.summary),
            sev = esc(&a.severity)
        );
    }
    h.push_str("</tbody></table>");

    // Inputs (chain of custody).
    h.push_str("<h2>Evidence read</h2><table class=\"sortable inputs\"><thead><tr><th>path</th><th>kind</th><th>records</th><th>rejected</th><th>SHA-256</th></tr></thead><tbody>");
    for i in &report.inputs {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
            esc(&i.path),
            esc(&i.kind),
            i.records,
            i.rejected,
            esc(i.sha256.as_deref().unwrap_or(""))
        );
    }
    let _ = writeln!(h, "</tbody></table><script>{SCRIPT}</script></body></html>");
    h
}

/// What else the files read hold, for the summary's "What data" sentence: technical
/// information by project, the markings found, and the business partners named in the files.
fn what_else(incident: &Incident) -> Option<String> {
    let technology = incident.technology.as_deref().unwrap_or_default();
    let partners = incident.business_partners.as_deref().unwrap_or_default();
    if technology.is_empty() && partners.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !technology.is_empty() {
        let files: u64 = technology.iter().map(|t| t.files).sum();
        let bytes_read: u64 = technology.iter().map(|t| t.bytes).sum();
        let names: Vec<String> = technology
            .iter()
            .take(5)
            .map(|t| esc(&format!("{}/{}", t.share, t.directory)))
            .collect();
        let mut markings: Vec<&str> = Vec::new();
        for m in technology.iter().flat_map(|t| &t.markings) {
            if !markings.contains(&m.as_str()) {
                markings.push(m);
            }
        }
        parts.push(format!(
            "<strong>technical information</strong> — {files} files ({}) in {} project{} ({}{})",
            bytes(bytes_read),
            technology.len(),
            if technology.len() == 1 { "" } else { "s" },
            names.join(", "),
            if technology.len() > 5 { ", …" } else { "" }
        ));
        if !markings.is_empty() {
            parts.push(format!(
                "files marked {}",
                esc(&markings
                    .iter()
                    .map(|m| format!("「{m}」"))
                    .collect::<Vec<_>>()
                    .join(" "))
            ));
        }
    }
    if !partners.is_empty() {
        let named: Vec<String> = partners
            .iter()
            .take(3)
            .map(|p| esc(p.name.as_deref().unwrap_or(&p.corporate_number)))
            .collect();
        parts.push(format!(
            "information on <strong>{} business partner{}</strong> ({}{})",
            partners.len(),
            if partners.len() == 1 { "" } else { "s" },
            named.join(", "),
            if partners.len() > 3 { ", …" } else { "" }
        ));
    }
    Some(parts.join("; "))
}

/// An incident's "What else was read" section: technology by project, and the partner list
/// to hand to the contracts team.
fn what_else_section(h: &mut String, incident: &Incident) {
    let technology = incident.technology.as_deref().unwrap_or_default();
    let partners = incident.business_partners.as_deref().unwrap_or_default();
    if technology.is_empty() && partners.is_empty() {
        return;
    }
    h.push_str("<h3>What else was read</h3>");
    if !technology.is_empty() {
        h.push_str("<table class=\"sortable technology\"><thead><tr><th>share</th><th>project directory</th><th>files</th><th>size</th><th>kinds</th><th>markings</th></tr></thead><tbody>");
        for t in technology {
            let kinds: Vec<String> = t
                .kinds
                .iter()
                .map(|(k, n)| format!("{} {n}", k.replace('_', " ")))
                .collect();
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\" data-sort=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&t.share),
                esc(if t.directory.is_empty() {
                    "(share root)"
                } else {
                    &t.directory
                }),
                t.files,
                t.bytes,
                bytes(t.bytes),
                esc(&kinds.join(", ")),
                esc(&t.markings.join(" "))
            );
        }
        h.push_str("</tbody></table>");
    }
    if !partners.is_empty() {
        let _ = write!(
            h,
            "<h4>Business partners whose information was read ({})</h4><p>For the contracts team: each company below appears in the files read, by its Corporate Number (法人番号, public) and the name written beside it.</p><table class=\"sortable partners\"><thead><tr><th>Corporate Number</th><th>name</th><th>files</th><th>records</th></tr></thead><tbody>",
            partners.len()
        );
        for p in partners {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&p.corporate_number),
                esc(p.name.as_deref().unwrap_or("—")),
                p.files,
                p.records
            );
        }
        h.push_str("</tbody></table>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report_v1::{Alert, Entities, Notification, Settings, TimeRange, Tool, ZoneSource};

    fn incident(id: &str, severity: &str, people: u64) -> Incident {
        Incident {
            id: id.into(),
            severity: severity.into(),
            score: 0.9,
            title: "t".into(),
            first_evidence: "2025-05-07T01:02:03Z".into(),
            first_alert: "2025-05-08T02:03:04.5Z".into(),
            last_activity: "2025-06-23T16:13:36.564941Z".into(),
            hosts: Vec::new(),
            accounts: vec!["corp\\k.sato".into()],
            external_endpoints: Vec::new(),
            bytes_exfiltrated: 0,
            files: Vec::new(),
            personal_data: BTreeMap::from([("email".to_owned(), people)]),
            data_subjects_estimate: people,
            business_partners: None,
            technology: None,
            alert_ids: Vec::new(),
        }
    }

    fn report(zone: Option<(&str, ZoneSource)>, incidents: Vec<Incident>) -> Report {
        let people = incidents
            .iter()
            .filter(|i| i.severity == "critical" || i.severity == "high")
            .map(|i| i.data_subjects_estimate)
            .sum();
        Report {
            schema_version: 1,
            tool: Tool::default(),
            generated_at: "2025-07-01T00:00:00Z".into(),
            inputs: Vec::new(),
            time_range: TimeRange {
                start: "2025-04-01T00:00:00Z".into(),
                end: "2025-06-30T14:59:59Z".into(),
            },
            incidents,
            alerts: vec![Alert {
                id: "ALR-1".into(),
                detector: "off_hours_access".into(),
                time: "2025-06-23T16:13:36.564941Z".into(),
                severity: "low".into(),
                score: 0.3,
                entities: Entities::default(),
                summary: "s".into(),
            }],
            notification: Notification {
                personal_data_involved: true,
                data_subjects_estimate: people,
                appi_reportable: true,
                appi_reasons: Vec::new(),
                gdpr_article_33: true,
                deadlines: Vec::new(),
                detected_at: "2025-07-01T00:00:00Z".into(),
            },
            settings: zone.map(|(name, source)| Settings {
                office_time_zone: name.into(),
                office_time_zone_source: source,
                internal_networks: vec!["10.0.0.0/8".into()],
            }),
        }
    }

    #[test]
    fn times_are_shown_in_the_office_zone_to_the_second() {
        let tokyo = report(
            Some(("Asia/Tokyo", ZoneSource::Flag)),
            vec![incident("INC-1", "critical", 40)],
        );
        let page = render(&tokyo, &[]);
        assert!(page.contains("2025-06-24 01:13:36 JST"), "alert time");
        assert!(page.contains(
            "<td data-sort=\"2025-06-23T16:13:36.564941Z\">2025-06-24 01:13:36 JST</td>"
        ));
        assert!(page.contains("2025-05-07 10:02:03 JST"), "first evidence");
        assert!(page.contains("Asia/Tokyo (given with --log-tz)"));
        assert!(
            !page.contains("T16:13:36.564941Z<"),
            "no raw RFC 3339 text shown"
        );

        let inferred = report(
            Some(("+09:00", ZoneSource::Evidence)),
            vec![incident("INC-1", "critical", 40)],
        );
        let page = render(&inferred, &[]);
        assert!(page.contains("2025-06-24 01:13:36 +09:00"));
        assert!(page.contains("inferred from the UTC offsets in the evidence"));

        // Without settings (an older report), UTC, named.
        let page = render(&report(None, vec![incident("INC-1", "critical", 40)]), &[]);
        assert!(page.contains("2025-06-23 16:13:36 UTC"));
    }

    #[test]
    fn timeline_days_are_office_days() {
        let zone = parse_zone("Asia/Tokyo").unwrap();
        let i = incident("INC-1", "critical", 1);
        // Day 20 263 is 2025-06-24; the last activity (01:13 JST) falls on it.
        let svg = timeline_svg(&i, &Timeline::from([(20_263, (1_000, 3))]), &zone);
        assert!(svg.contains("2025-06-24 1.0 kB"), "{svg}");
        assert!(
            svg.contains("2025-06-26</text>"),
            "two days after the last activity"
        );
    }

    #[test]
    fn what_else_was_read_names_technology_markings_and_partners() {
        let mut top = incident("INC-1", "critical", 40);
        top.technology = Some(vec![crate::report_v1::Technology {
            share: "engineering".into(),
            directory: "projects/motor-ctrl".into(),
            kinds: BTreeMap::from([("source_code".to_owned(), 3), ("cad".to_owned(), 1)]),
            files: 4,
            bytes: 52_000,
            markings: vec!["社外秘".into()],
        }]);
        top.business_partners = Some(vec![crate::report_v1::BusinessPartner {
            corporate_number: "1180301018771".into(),
            name: Some("株式会社<東洋>精機".into()),
            files: 2,
            records: 5,
        }]);
        let html = render(&report(None, vec![top]), &[]);
        assert!(
            html.contains("<strong>technical information</strong> — 4 files"),
            "{html}"
        );
        assert!(html.contains("engineering/projects/motor-ctrl"));
        assert!(html.contains("files marked 「社外秘」"));
        assert!(html.contains("<strong>1 business partner</strong> (株式会社&lt;東洋&gt;精機)"));
        assert!(html.contains("<h3>What else was read</h3>"));
        assert!(html.contains("<td>1180301018771</td><td>株式会社&lt;東洋&gt;精機</td>"));
        assert!(html.contains("source code 3"));
        // Without share copies there is nothing to say.
        let plain = render(&report(None, vec![incident("INC-1", "critical", 40)]), &[]);
        assert!(!plain.contains("What else was read") && !plain.contains("they also hold"));
    }

    #[test]
    fn people_counts_say_which_incidents_they_cover() {
        let one = report(
            Some(("UTC", ZoneSource::Machine)),
            vec![
                incident("INC-1", "critical", 40),
                incident("INC-2", "medium", 7),
            ],
        );
        let page = render(&one, &[]);
        assert!(page.contains("In INC-1, 0 files were read"));
        assert!(page.contains("<strong>40 people</strong> in this incident"));
        assert!(page.contains(
            "(estimated 40 people, in INC-1, the one high or critical incident this assessment covers)"
        ));

        let two = report(
            Some(("UTC", ZoneSource::Machine)),
            vec![
                incident("INC-1", "critical", 40),
                incident("INC-2", "high", 7),
            ],
        );
        let page = render(&two, &[]);
        assert!(page.contains("<strong>40 people</strong> in this incident"));
        assert!(page.contains(
            "(estimated 47 people, the sum over INC-1, INC-2, the high and critical incidents this assessment covers)"
        ));
    }
}
