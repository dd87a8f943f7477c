//! The report-v1 schema kept in docs/spec is the contract's own copy: it must equal
//! ../shared/spec/report-v1.schema.json when that exists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[test]
fn schema_copy_matches_the_shared_contract() {
    let ours = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/spec/report-v1.schema.json");
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/report-v1.schema.json");
    let ours: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ours).unwrap()).unwrap();
    match std::fs::read_to_string(&shared) {
        Ok(text) => {
            let theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                ours,
                theirs,
                "docs/spec/report-v1.schema.json differs from {}",
                shared.display()
            );
        }
        Err(_) => eprintln!("SKIPPED: {} not found", shared.display()),
    }
    assert!(
        jsonschema::meta::is_valid(&ours),
        "the schema is a valid JSON Schema"
    );
}
