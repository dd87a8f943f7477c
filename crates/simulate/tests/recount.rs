//! The simulator's output, checked from the outside: the same seed gives the same bytes, every
//! log parses with breachscope's readers with nothing rejected, and an independent recount of the
//! written files (logs parsed back, share files decoded and run through the validators) equals
//! `truth.json`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use breachscope_ingest::samba::{SambaConfig, SambaParser};
use breachscope_ingest::zeek::ZeekParser;
use breachscope_ingest::{LineParser, expand_paths, open_reader};
use breachscope_model::identifiers::{
    corporate_number_valid, fold_width, iban_valid, luhn_valid, my_number_valid, phone_to_e164,
};
use breachscope_model::{Event, FileAction};
use breachscope_simulate::{Scenario, Truth, generate};

fn generate_into(dir: &Path, preset: &str, seed: u64) -> Truth {
    let mut scenario = Scenario::preset(preset).unwrap();
    scenario.seed = seed;
    generate(&scenario, dir, &mut |_| {}).unwrap()
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    expand_paths(&[dir.to_path_buf()]).unwrap()
}

fn read_events<P: LineParser>(paths: &[PathBuf], parser: &mut P) -> Vec<Event> {
    let mut events = Vec::new();
    for path in paths {
        let mut reader = open_reader(path, parser).unwrap();
        for item in reader.by_ref() {
            match item {
                Ok(e) => events.push(e),
                Err(r) => panic!("rejected: {r}"),
            }
        }
        let stats = reader.finish();
        assert_eq!(stats.rejected, 0, "{}", stats.path.display());
        assert!(stats.failure.is_none(), "{}", stats.path.display());
        assert!(
            stats.notes.is_empty(),
            "{}: {:?}",
            stats.path.display(),
            stats.notes
        );
    }
    events
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    generate_into(a.path(), "small", 5);
    generate_into(b.path(), "small", 5);
    generate_into(c.path(), "small", 6);
    let files_a = all_files(a.path());
    let files_b = all_files(b.path());
    assert_eq!(files_a.len(), files_b.len());
    for (fa, fb) in files_a.iter().zip(&files_b) {
        assert_eq!(
            fa.strip_prefix(a.path()).unwrap(),
            fb.strip_prefix(b.path()).unwrap()
        );
        assert!(
            std::fs::read(fa).unwrap() == std::fs::read(fb).unwrap(),
            "{} differs between runs",
            fa.display()
        );
    }
    let truth_a = std::fs::read(a.path().join("truth.json")).unwrap();
    let truth_c = std::fs::read(c.path().join("truth.json")).unwrap();
    assert_ne!(truth_a, truth_c, "another seed gives another scenario");
}

/// Every validated value in a text, by category, normalised as report-v1 says.
fn validated_values(
    text: &str,
    found: &mut BTreeMap<&'static str, BTreeSet<String>>,
    near_misses: &mut u64,
) {
    let folded = fold_width(text);
    let chars: Vec<char> = folded.chars().collect();
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    // E-mail addresses.
    for (i, &c) in chars.iter().enumerate() {
        if c != '@' {
            continue;
        }
        let local_ok = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
        let domain_ok = |c: char| c.is_ascii_alphanumeric() || ".-".contains(c);
        let mut s = i;
        while s > 0 && local_ok(chars[s - 1]) {
            s -= 1;
        }
        let mut e = i + 1;
        while e < chars.len() && domain_ok(chars[e]) {
            e += 1;
        }
        let local: String = chars[s..i].iter().collect();
        let domain: String = chars[i + 1..e]
            .iter()
            .collect::<String>()
            .trim_end_matches('.')
            .to_owned();
        let tld_ok = domain
            .rsplit('.')
            .next()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
        if !local.is_empty() && domain.contains('.') && tld_ok {
            found
                .entry("email")
                .or_default()
                .insert(format!("{local}@{domain}").to_lowercase());
        }
    }
    // Digit tokens: digit groups joined by single spaces or hyphens, optionally led by '+',
    // bounded by non-word characters.
    let mut i = 0;
    while i < chars.len() {
        let plus = chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if !(chars[i].is_ascii_digit() || plus)
            || (i > 0 && (is_word(chars[i - 1]) || chars[i - 1] == '+'))
        {
            i += 1;
            continue;
        }
        let start = i;
        if plus {
            i += 1;
        }
        let mut digits = String::new();
        loop {
            while i < chars.len() && chars[i].is_ascii_digit() {
                digits.push(chars[i]);
                i += 1;
            }
            if i + 1 < chars.len()
                && (chars[i] == ' ' || chars[i] == '-')
                && chars[i + 1].is_ascii_digit()
            {
                i += 1;
                continue;
            }
            break;
        }
        if i < chars.len() && is_word(chars[i]) {
            continue;
        }
        let token: String = chars[start..i].iter().collect();
        if plus {
            if let Some(e164) = phone_to_e164(&token) {
                found.entry("phone").or_default().insert(e164);
            }
            continue;
        }
        match digits.len() {
            15 | 16 if luhn_valid(&digits) => {
                found.entry("credit_card").or_default().insert(digits);
            }
            16 => *near_misses += 1,
            13 if corporate_number_valid(&digits) => {
                found.entry("corporate_number").or_default().insert(digits);
            }
            12 if my_number_valid(&digits) => {
                found.entry("my_number").or_default().insert(digits);
            }
            12 => *near_misses += 1,
            10 | 11 if digits.starts_with('0') => {
                if let Some(e164) = phone_to_e164(&token) {
                    found.entry("phone").or_default().insert(e164);
                }
            }
            _ => {}
        }
    }
    // IBANs (country code, check digits, then letters/digits in groups of four).
    for (i, w) in chars.windows(4).enumerate() {
        if w[0].is_ascii_uppercase()
            && w[1].is_ascii_uppercase()
            && w[2].is_ascii_digit()
            && w[3].is_ascii_digit()
            && (i == 0 || !is_word(chars[i - 1]))
        {
            let compact: String = chars[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == ' ')
                .filter(|c| **c != ' ')
                .collect();
            for len in (15..=compact.len().min(34)).rev() {
                if iban_valid(&compact[..len]) {
                    found
                        .entry("iban")
                        .or_default()
                        .insert(compact[..len].to_owned());
                    break;
                }
            }
        }
    }
}

/// The text of a share file: OOXML parts' text runs (one per line), or decoded bytes.
fn file_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(b"PK") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut out = String::new();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap();
            if !entry.name().ends_with(".xml") {
                continue;
            }
            let mut xml = String::new();
            entry.read_to_string(&mut xml).unwrap();
            // Text runs: <t>…</t> (XLSX) and <w:t>…</w:t> (DOCX).
            for part in xml.split("<").filter_map(|p| {
                p.strip_prefix("t ")
                    .or(p.strip_prefix("t>"))
                    .or(p.strip_prefix("w:t "))
                    .or(p.strip_prefix("w:t>"))
            }) {
                let text = part.split_once('>').map_or(part, |(attrs, rest)| {
                    if attrs.contains('=') { rest } else { part }
                });
                out.push_str(
                    &text
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\"")
                        .replace("&amp;", "&"),
                );
                out.push('\n');
            }
        }
        return out;
    }
    let body = bytes
        .strip_prefix(&[0xef, 0xbb, 0xbf][..])
        .unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(s) => s.to_owned(),
        // The R&D projects' binary CAD and firmware files hold no planted text.
        Err(_)
            if path
                .components()
                .any(|c| c.as_os_str() == "firmware" || c.as_os_str() == "cad") =>
        {
            String::new()
        }
        Err(_) => {
            let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(body);
            assert!(
                !had_errors,
                "{} is neither UTF-8 nor Shift_JIS",
                path.display()
            );
            text.into_owned()
        }
    }
}

#[test]
fn logs_parse_and_an_independent_recount_equals_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let truth = generate_into(dir.path(), "small", 11);
    let stored: Truth =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("truth.json")).unwrap())
            .unwrap();
    assert_eq!(stored, truth);
    let intrusion = truth
        .intrusion
        .clone()
        .expect("the small scenario has an intrusion");

    // Zeek: every record parses; recount the C2 and exfiltration facts.
    let zeek_files = all_files(&dir.path().join(&truth.layout.zeek));
    assert!(
        zeek_files
            .iter()
            .all(|p| p.to_string_lossy().ends_with(".log.gz"))
    );
    let zeek = read_events(&zeek_files, &mut ZeekParser::new());
    let flows: Vec<_> = zeek
        .iter()
        .filter_map(|e| {
            if let Event::Flow(f) = e {
                Some(f)
            } else {
                None
            }
        })
        .collect();
    let dns = zeek.iter().filter(|e| matches!(e, Event::Dns(_))).count() as u64;
    assert_eq!(flows.len() as u64, truth.counts.conn_rows);
    assert_eq!(dns, truth.counts.dns_rows);
    let c2: Vec<_> = flows
        .iter()
        .filter(|f| f.dst_ip.to_string() == intrusion.c2)
        .collect();
    assert_eq!(c2.len() as u64, intrusion.c2_connections);
    let exfil_bytes: u64 = flows
        .iter()
        .filter(|f| f.dst_ip.to_string() == intrusion.exfiltration)
        .map(|f| f.bytes_out.unwrap_or(0))
        .sum();
    assert_eq!(exfil_bytes, intrusion.bytes_exfiltrated);
    let first = flows
        .iter()
        .filter(|f| {
            f.dst_ip.to_string() == intrusion.c2 || f.dst_ip.to_string() == intrusion.exfiltration
        })
        .map(|f| f.start)
        .min()
        .unwrap();
    let last = flows
        .iter()
        .filter(|f| {
            f.dst_ip.to_string() == intrusion.c2 || f.dst_ip.to_string() == intrusion.exfiltration
        })
        .map(|f| f.end())
        .max()
        .unwrap();
    assert_eq!((first, last), (intrusion.first_event_us, intrusion.end_us));
    assert!(c2.iter().all(|f| f.src_ip.to_string() == intrusion.host.ip));
    // Beacon intervals: median near the scenario's 300 s, within the ±20 % jitter.
    let mut starts: Vec<i64> = c2.iter().map(|f| f.start).collect();
    starts.sort_unstable();
    let mut gaps: Vec<i64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2] as f64 / 1e6;
    assert!(
        (270.0..330.0).contains(&median),
        "median beacon gap {median}"
    );
    assert!(
        gaps.iter()
            .all(|&g| (239_000_000..=361_000_000).contains(&g)),
        "every gap within ±20 %"
    );

    // Samba: every record parses; recount the incident's files from the audit log alone.
    let samba_files = all_files(&dir.path().join(&truth.layout.samba));
    let mut samba = SambaParser::new(SambaConfig {
        log_tz: jiff::tz::TimeZone::get(&truth.time_zone).unwrap(),
        ..SambaConfig::default()
    });
    let audit = read_events(&samba_files, &mut samba);
    assert_eq!(audit.len() as u64, truth.counts.audit_lines);
    let mut files: BTreeMap<(String, String), (i64, i64, u64)> = BTreeMap::new();
    for e in &audit {
        let Event::FileAccess(a) = e else { continue };
        assert!(a.path_is_relative, "{}", a.path);
        let involved = a.account == intrusion.account
            || a.client_ip.map(|i| i.to_string()) == Some(intrusion.host.ip.clone());
        if a.action == FileAction::Read
            && a.outcome.is_success()
            && involved
            && a.time >= intrusion.first_event_us
            && a.time <= intrusion.end_us
        {
            let entry = files
                .entry((a.share.clone(), a.path.clone()))
                .or_insert((a.time, a.time, 0));
            entry.0 = entry.0.min(a.time);
            entry.1 = entry.1.max(a.time);
            entry.2 += 1;
        }
    }
    let from_truth: BTreeMap<(String, String), (String, String, u64)> = intrusion
        .files
        .iter()
        .map(|f| {
            (
                (f.share.clone(), f.path.clone()),
                (f.first_access.clone(), f.last_access.clone(), f.reads),
            )
        })
        .collect();
    let recounted: BTreeMap<(String, String), (String, String, u64)> = files
        .into_iter()
        .map(|(k, (a, b, n))| {
            (
                k,
                (
                    breachscope_model::time::format_rfc3339(a),
                    breachscope_model::time::format_rfc3339(b),
                    n,
                ),
            )
        })
        .collect();
    assert_eq!(recounted, from_truth);
    // The attacker read shares the account does not normally use.
    for share in ["hr", "finance"] {
        assert!(
            intrusion.files.iter().any(|f| f.share == share),
            "no {share} files in the incident"
        );
    }

    // Share files: decode, validate, count distinct values over the incident's files.
    let mut found: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    let mut near_misses = 0u64;
    for f in &intrusion.files {
        let path = dir
            .path()
            .join(&truth.layout.shares)
            .join(&f.share)
            .join(&f.path);
        validated_values(&file_text(&path), &mut found, &mut near_misses);
    }
    assert!(
        near_misses > 0,
        "the incident's files include near-misses that must not count"
    );
    for &category in breachscope_model::categories::VALIDATED {
        let recount = found.get(category).map_or(0, |s| s.len() as u64);
        let expected = intrusion.personal_data.get(category).copied().unwrap_or(0);
        assert_eq!(recount, expected, "{category}");
        assert!(
            expected > 0,
            "{category} should be planted in the incident's files"
        );
    }
    // Shift_JIS and UTF-8 CSVs, XLSX and DOCX are all present on the shares.
    let shares = all_files(&dir.path().join(&truth.layout.shares));
    let mut sjis = 0;
    for p in &shares {
        let bytes = std::fs::read(p).unwrap();
        if p.extension().is_some_and(|e| e == "csv") && std::str::from_utf8(&bytes).is_err() {
            sjis += 1;
        }
    }
    assert!(sjis > 0, "some CSVs are Shift_JIS");
    for ext in ["xlsx", "docx", "txt", "csv", "env"] {
        assert!(
            shares
                .iter()
                .any(|p| p.extension().is_some_and(|e| e == ext)),
            "{ext}"
        );
    }
}

#[test]
fn the_control_has_no_intrusion_and_keeps_the_traps() {
    let dir = tempfile::tempdir().unwrap();
    let truth = generate_into(dir.path(), "control", 1);
    assert!(truth.intrusion.is_none());
    let kinds: Vec<&str> = truth.traps.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "backup",
            "saas_rollout",
            "migration",
            "large_upload",
            "vacation",
            "new_hire"
        ]
    );
    let small = Scenario::preset("small").unwrap();
    let zeek = read_events(&all_files(&dir.path().join("zeek")), &mut ZeekParser::new());
    assert!(!zeek.iter().any(|e| matches!(e, Event::Flow(f) if f.dst_ip.to_string() == small.intrusion.c2 || f.dst_ip.to_string() == small.intrusion.exfiltration)));
    // The backup trap: tens of GB to the cloud address every night.
    let backup = &truth.traps[0];
    let nightly: Vec<u64> = zeek
        .iter()
        .filter_map(|e| match e {
            Event::Flow(f) if f.dst_ip.to_string() == backup.external[0] => f.bytes_out,
            _ => None,
        })
        .collect();
    let days = breachscope_simulate::calendar::days(
        small.start_date().unwrap(),
        small.end_date().unwrap(),
    )
    .len();
    assert_eq!(nightly.len(), days);
    assert!(
        nightly
            .iter()
            .all(|&b| (20_000_000_000..=60_000_000_000).contains(&b))
    );
}
