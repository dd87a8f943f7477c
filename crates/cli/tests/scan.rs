//! `breachscope scan`: JSON shape, totals across files, cache, and no clear-text value in any
//! output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn scan(args: &[&str], config: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_breachscope"))
        .arg("scan")
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .output()
        .unwrap()
}

#[test]
fn scan_reports_distinct_values_and_leaks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share");
    std::fs::create_dir_all(share.join("hr")).unwrap();
    let planted = [
        ("email", "hanako.suzuki@example.co.jp"),
        ("phone", "090-8765-4321"),
        ("card", "5555 5555 5555 4444"),
        ("my_number", "1234 5678 9018"),
        ("corporate", "1180301018771"),
        ("password", "Tr0ub4dor&3x!"),
    ];
    std::fs::write(
        share.join("hr/roster.csv"),
        format!(
            "氏名,メールアドレス,電話番号,個人番号\n鈴木 花子,{},{},{}\n",
            planted[0].1, planted[1].1, planted[3].1
        ),
    )
    .unwrap();
    let memo = format!(
        "支払メモ カード {} 取引先法人番号 {}\n連絡先 {}\n",
        planted[2].1, planted[4].1, planted[0].1
    );
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&memo);
    std::fs::write(share.join("payments.txt"), &sjis).unwrap();
    std::fs::write(
        share.join("deploy.env"),
        format!("DB_PASSWORD={}\n", planted[5].1),
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", share.join("outside")).unwrap();

    let config = dir.path().join("config");
    let json = dir.path().join("scan.json");
    let out = scan(
        &[share.to_str().unwrap(), "--json", json.to_str().unwrap()],
        &config,
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("outside: symbolic link not followed"),
        "{stderr}"
    );
    // What else: kinds, labels and partners in the summary (the memo names one partner).
    assert!(
        stdout.contains("files by kind: configuration 1, table 1, text 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("business partners (distinct Corporate Numbers): 1"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    let roster = files.iter().find(|f| f["path"] == "hr/roster.csv").unwrap();
    assert_eq!(roster["classification"]["records_with_personal_data"], 1);
    assert_eq!(roster["classification"]["categories"]["my_number"], 1);
    assert_eq!(roster["sha256"].as_str().unwrap().len(), 64);
    let payments = files.iter().find(|f| f["path"] == "payments.txt").unwrap();
    assert_eq!(payments["classification"]["encoding"], "shift_jis");
    assert!(
        payments["classification"]["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "financial")
    );
    // The same e-mail in two files counts once in the totals.
    assert_eq!(report["totals"]["email"], 1);
    assert_eq!(report["totals"]["credit_card"], 1);
    assert_eq!(report["totals"]["password"], 1);
    // The key was created private; a rescan comes from the cache.
    use std::os::unix::fs::PermissionsExt;
    let key = config.join("breachscope/hash.key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let again = scan(&[share.to_str().unwrap()], &config);
    assert!(String::from_utf8_lossy(&again.stdout).contains("3 from the cache"));

    // No planted value, in any of its forms, in any output.
    let mut outputs = vec![
        stdout,
        stderr,
        std::fs::read_to_string(&json).unwrap(),
        std::fs::read_to_string(config.join("breachscope/scan-cache.jsonl")).unwrap(),
    ];
    outputs.push(String::from_utf8_lossy(&again.stdout).into_owned());
    outputs.push(String::from_utf8_lossy(&again.stderr).into_owned());
    // A Corporate Number is a public identifier (the National Tax Agency publishes them):
    // report-v1 shows business partners' numbers in clear, so the classification (and its
    // cache) keeps it as the file's partner — and nowhere else.
    let cache = &outputs[3];
    assert!(
        cache.contains("\"partners\":[{\"corporate_number\":\"1180301018771\""),
        "{cache}"
    );
    assert_eq!(cache.matches("1180301018771").count(), 1, "{cache}");
    for (what, value) in planted {
        if what == "corporate" {
            continue;
        }
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        for form in [value.to_string(), digits.clone(), value.to_lowercase()] {
            if form.len() < 8 {
                continue;
            }
            for (i, o) in outputs.iter().enumerate() {
                assert!(!o.contains(&form), "{what} '{form}' leaked into output {i}");
            }
        }
    }
}

#[test]
fn scan_takes_files_as_well_as_directories() {
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share");
    std::fs::create_dir_all(&share).unwrap();
    let roster = dir.path().join("roster.csv");
    std::fs::write(
        &roster,
        "氏名,メールアドレス\n鈴木 花子,hanako.suzuki@example.co.jp\n",
    )
    .unwrap();
    std::fs::write(share.join("memo.txt"), "連絡先 taro@example.com\n").unwrap();
    let config = dir.path().join("config");
    let json = dir.path().join("scan.json");
    let out = scan(
        &[
            roster.to_str().unwrap(),
            share.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
            "--no-cache",
        ],
        &config,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let paths: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            roster.to_str().unwrap().to_owned(),
            format!("{}/memo.txt", share.display())
        ]
    );
    assert_eq!(report["totals"]["email"], 2);
    assert_eq!(report["files"][0]["classification"]["format"], "csv");
    // A path that is neither is refused, naming it.
    let missing = dir.path().join("nothing-here");
    let out = scan(&[missing.to_str().unwrap()], &config);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing-here"));
}
