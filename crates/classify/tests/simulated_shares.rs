//! Precision and recall per validated category on the simulator's share files (Japanese and
//! English, UTF-8 with and without BOM and Shift_JIS CSVs, XLSX, DOCX, text, source and
//! settings files, with near-misses), whose planted values are known exactly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use breachscope_classify::extract::Limits;
use breachscope_classify::{Classifier, ValueHash};
use breachscope_simulate::Scenario;
use breachscope_simulate::company::Company;
use breachscope_simulate::content::write_shares;

/// The small preset's shares (with `files_per_share` when given), written to a temporary
/// directory, their inventory, and a classifier.
fn shares(
    files_per_share: Option<u32>,
) -> (
    tempfile::TempDir,
    Vec<breachscope_simulate::content::ShareFile>,
    Classifier,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut scenario = Scenario::preset("small").unwrap();
    if let Some(n) = files_per_share {
        scenario.company.files_per_share = n;
    }
    let company = Company::build(&scenario).unwrap();
    let files = write_shares(dir.path(), &scenario, &company).unwrap();
    let classifier = Classifier::new(
        b"test key of at least sixteen bytes".to_vec(),
        Limits::default(),
    )
    .unwrap();
    (dir, files, classifier)
}

#[test]
fn validated_categories_have_precision_and_recall_above_099() {
    let (dir, files, classifier) = shares(None);
    // category → (true positives, false positives, false negatives), counted per file.
    let mut tally: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    let mut counts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut formats = BTreeSet::new();
    let mut planted_union: BTreeMap<String, BTreeSet<ValueHash>> = BTreeMap::new();
    let mut found_union: BTreeMap<String, BTreeSet<ValueHash>> = BTreeMap::new();
    for f in &files {
        let bytes = std::fs::read(dir.path().join(&f.share).join(&f.path)).unwrap();
        let c = classifier.classify(&bytes).unwrap();
        formats.insert((c.format.clone(), c.encoding.clone()));
        for &category in breachscope_model::categories::VALIDATED.iter().chain(&[
            "cloud_access_key",
            "api_token",
            "password",
            "private_key",
            "drivers_license",
            "passport",
        ]) {
            let planted: BTreeSet<ValueHash> = f
                .planted
                .get(category)
                .map(|s| s.iter().map(|v| classifier.hash(category, v)).collect())
                .unwrap_or_default();
            let found: BTreeSet<ValueHash> = c
                .hashes
                .get(category)
                .map(|v| v.iter().copied().collect())
                .unwrap_or_default();
            planted_union
                .entry(category.to_owned())
                .or_default()
                .extend(planted.iter().copied());
            found_union
                .entry(category.to_owned())
                .or_default()
                .extend(found.iter().copied());
            let t = tally.entry(category.to_owned()).or_default();
            t.0 += planted.intersection(&found).count() as u64;
            t.1 += found.difference(&planted).count() as u64;
            t.2 += planted.difference(&found).count() as u64;
        }
        for category in [
            "person_name",
            "postal_address",
            "postal_code",
            "date_of_birth",
            "bank_account",
        ] {
            let e = counts.entry(category.to_owned()).or_default();
            e.0 += f.planted.get(category).map_or(0, |s| s.len() as u64);
            e.1 += c.categories.get(category).copied().unwrap_or(0);
        }
    }
    println!("formats and encodings seen: {formats:?}");
    for (category, (tp, fp, fn_)) in &tally {
        let precision = *tp as f64 / (*tp + *fp).max(1) as f64;
        let recall = *tp as f64 / (*tp + *fn_).max(1) as f64;
        println!(
            "{category:18} tp {tp:6} fp {fp:4} fn {fn_:4} precision {precision:.4} recall {recall:.4}"
        );
        // Keyword-gated numbers without a check digit: found through their column headers.
        if ["drivers_license", "passport"].contains(&category.as_str()) {
            assert!(*tp > 0, "{category} planted");
            assert!(
                precision >= 0.99 && recall >= 0.99,
                "{category}: precision {precision:.4} recall {recall:.4}"
            );
        }
        if breachscope_model::categories::VALIDATED.contains(&category.as_str()) {
            assert!(*tp > 0, "{category} planted");
            assert!(
                precision >= 0.99 && recall >= 0.99,
                "{category}: precision {precision:.4} recall {recall:.4}"
            );
        }
    }
    // Distinct totals over all files are exact for the validated categories.
    for &category in breachscope_model::categories::VALIDATED {
        assert_eq!(
            found_union[category].len(),
            planted_union[category].len(),
            "{category} distinct total"
        );
    }
    for (category, (planted, found)) in &counts {
        println!("{category:18} planted (per file, summed) {planted:6} found {found:6}");
    }
}

/// Kinds, content labels, markings, languages and business partners on every share file of a
/// small company with many files per share (its R&D projects: source code in five languages,
/// design documents marked in headers, footers or first lines, measurement data, CAD and
/// firmware files, export-control determinations, infrastructure projects, near misses),
/// against the simulator's answer key: precision and recall at least 0.99 per label and kind.
#[test]
fn kinds_labels_markings_and_partners_match_the_answer_key() {
    let (dir, files, classifier) = shares(Some(300));
    // label or `kind:x` → (tp, fp, fn)
    let mut tally: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut partners_checked = 0;
    for f in &files {
        let bytes = std::fs::read(dir.path().join(&f.share).join(&f.path)).unwrap();
        let c = classifier.classify(&bytes).unwrap();
        let content = [
            "technical",
            "confidential",
            "export_controlled",
            "infrastructure",
        ];
        let mut expected: BTreeSet<String> = f.truth.labels.iter().map(|l| l.to_string()).collect();
        expected.insert(format!("kind:{}", f.truth.kind));
        let mut got: BTreeSet<String> = c
            .labels
            .iter()
            .filter(|l| content.contains(&l.as_str()))
            .cloned()
            .collect();
        got.insert(format!("kind:{}", c.kind.as_deref().unwrap_or("-")));
        for l in expected.union(&got) {
            let t = tally.entry(l.clone()).or_default();
            match (expected.contains(l), got.contains(l)) {
                (true, true) => t.0 += 1,
                (false, true) => t.1 += 1,
                _ => t.2 += 1,
            }
        }
        if expected != got {
            wrong.push(format!(
                "{}/{}: expected {expected:?}, got {got:?}",
                f.share, f.path
            ));
        }
        if c.markings != f.truth.markings {
            wrong.push(format!(
                "{}/{}: markings expected {:?}, got {:?}",
                f.share, f.path, f.truth.markings, c.markings
            ));
        }
        if c.language.as_deref() != f.truth.language {
            wrong.push(format!(
                "{}/{}: language expected {:?}, got {:?}",
                f.share, f.path, f.truth.language, c.language
            ));
        }
        let got_partners: BTreeMap<String, (Option<String>, u64)> = c
            .partners
            .iter()
            .map(|p| (p.corporate_number.clone(), (p.name.clone(), p.records)))
            .collect();
        if got_partners != f.truth.partners {
            wrong.push(format!(
                "{}/{}: partners expected {:?}, got {:?}",
                f.share, f.path, f.truth.partners, got_partners
            ));
        }
        partners_checked += f.truth.partners.len();
    }
    for w in wrong.iter().take(30) {
        println!("{w}");
    }
    println!(
        "{} files, {} disagreements, {partners_checked} partners",
        files.len(),
        wrong.len()
    );
    for (label, (tp, fp, fn_)) in &tally {
        let precision = *tp as f64 / (*tp + *fp).max(1) as f64;
        let recall = *tp as f64 / (*tp + *fn_).max(1) as f64;
        println!(
            "{label:28} tp {tp:5} fp {fp:3} fn {fn_:3} precision {precision:.4} recall {recall:.4}"
        );
        assert!(
            precision >= 0.99 && recall >= 0.99,
            "{label}: precision {precision:.4} recall {recall:.4}"
        );
    }
    for label in [
        "technical",
        "confidential",
        "export_controlled",
        "infrastructure",
        "kind:cad",
        "kind:firmware",
        "kind:source_code",
        "kind:measurement_data",
        "kind:design_document",
    ] {
        assert!(
            tally.get(label).is_some_and(|t| t.0 >= 5),
            "{label} too rarely planted: {tally:?}"
        );
    }
    assert!(partners_checked > 100);
    // Markings, languages and partners: exact per file (precision and recall 1 here; the
    // labels above carry the 0.99 bound).
    assert!(wrong.is_empty(), "{} disagreements", wrong.len());
}
