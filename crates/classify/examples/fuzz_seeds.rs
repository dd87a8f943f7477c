//! Writes small seed files of every kind the classifier reads, for the `classify` fuzz target:
//! CSV (quoted fields, UTF-8, BOM, Shift_JIS), TSV, prose in each Japanese encoding, XLSX and
//! DOCX (the simulator's writers), a ZIP and a gzip of them.
//!
//! `cargo run --release -p breachscope-classify --example fuzz_seeds -- DIR`

use std::io::Write;

use breachscope_simulate::ooxml;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus/classify".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let csv = "氏名,メール,電話,カード番号,メモ\n山田 太郎,taro@example.co.jp,090-1234-5678,4111 1111 1111 1111,\"要確認, \"\"住所\"\"変更\nあり\"\n";
    let prose = "個人番号 1234 5678 9018 〒100-0001 東京都千代田区丸の内1丁目2番3号 みずほ銀行 渋谷支店 普通 1234567 password=\"hunter2!!\" AKIAABCDEFGHIJKLMNOP";
    let mut bom = vec![0xef, 0xbb, 0xbf];
    bom.extend_from_slice(csv.as_bytes());
    let rows: Vec<Vec<String>> = csv
        .lines()
        .take(2)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    let xlsx = ooxml::xlsx("顧客", &rows)?;
    let docx = ooxml::docx(&[prose.to_owned(), "Confidential".to_owned()])?;
    let mut seeds: Vec<(&str, Vec<u8>)> = vec![
        ("csv-utf8.csv", csv.as_bytes().to_vec()),
        ("csv-bom.csv", bom),
        (
            "csv-sjis.csv",
            encoding_rs::SHIFT_JIS.encode(csv).0.into_owned(),
        ),
        ("table.tsv", csv.replace(',', "\t").into_bytes()),
        ("prose.txt", prose.as_bytes().to_vec()),
        (
            "prose-eucjp.txt",
            encoding_rs::EUC_JP.encode(prose).0.into_owned(),
        ),
        (
            "prose-iso2022jp.txt",
            encoding_rs::ISO_2022_JP.encode(prose).0.into_owned(),
        ),
        (
            "prose-utf16.txt",
            [0xff, 0xfe]
                .into_iter()
                .chain(prose.encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
        ),
        ("book.xlsx", xlsx.clone()),
        ("letter.docx", docx.clone()),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("a/book.xlsx", options)?;
    zip.write_all(&xlsx)?;
    zip.start_file("a/note.txt", options)?;
    zip.write_all(prose.as_bytes())?;
    seeds.push(("archive.zip", zip.finish()?.into_inner()));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes())?;
    seeds.push(("table.csv.gz", gz.finish()?));
    for (name, bytes) in seeds {
        std::fs::write(dir.join(format!("seed-{name}")), bytes)?;
    }
    Ok(())
}
