//! Content classification of arbitrary file bytes: format sniffing, content kinds (CAD, EDA and
//! firmware magic, source languages), markings and partners, decoding, CSV rows,
//! workbooks (XLSX parts, calamine for XLS/ODS), DOCX/PPTX text, archives and the patterns.
#![no_main]

use std::sync::OnceLock;

use breachscope_classify::Classifier;
use breachscope_classify::extract::Limits;
use libfuzzer_sys::fuzz_target;

fn classifier() -> Option<&'static Classifier> {
    static CLASSIFIER: OnceLock<Option<Classifier>> = OnceLock::new();
    CLASSIFIER
        .get_or_init(|| {
            // Small expansion limits keep each input fast; the limits themselves are tested.
            let limits = Limits {
                max_depth: 2,
                max_total: 8 << 20,
                max_ratio: 200,
            };
            Classifier::new(b"fuzz key".to_vec(), limits).ok()
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    if let Some(c) = classifier() {
        let _ = c.classify(data);
    }
});
