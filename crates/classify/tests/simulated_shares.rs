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

#[test]
fn validated_categories_have_precision_and_recall_above_099() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Scenario::preset("small").unwrap();
    let company = Company::build(&scenario).unwrap();
    let files = write_shares(dir.path(), &scenario, &company).unwrap();
    let classifier = Classifier::new(
        b"test key of at least sixteen bytes".to_vec(),
        Limits::default(),
    )
    .unwrap();
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
