//! Every format yields the same values as its plain-text twin; bombs hit their limits; a scan
//! leaves access times untouched.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::io::Write;

use breachscope_classify::extract::Limits;
use breachscope_classify::{Classifier, FileClassification, ValueHash};
use breachscope_simulate::ooxml;

const LINES: &[&str] = &[
    "連絡先 山田 太郎 taro.yamada@example.co.jp 電話 ０９０－１２３４－５６７８",
    "Contact: emma.smith@example.com +44 20 7946 0123",
    "カード 4111 1111 1111 1111 / 注文番号 4111111111111112",
    "個人番号 1234 5678 9018 / 管理番号 123456789012",
    "取引先 法人番号 1180301018771 IBAN GB82 WEST 1234 5698 7654 32",
    "〒100-0001 東京都千代田区丸の内1丁目2番3号",
];

fn classifier() -> Classifier {
    Classifier::new(
        b"format test key, sixteen bytes+".to_vec(),
        Limits::default(),
    )
    .unwrap()
}

fn values(c: &FileClassification) -> BTreeMap<String, BTreeSet<ValueHash>> {
    c.hashes
        .iter()
        .map(|(k, v)| (k.clone(), v.iter().copied().collect()))
        .collect()
}

fn zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn pdf(lines: &[&str]) -> Vec<u8> {
    pdf_pages(&[lines.iter().map(|l| (*l).to_owned()).collect()])
}

/// One BIFF8 record: type, length, body.
fn biff_record(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend_from_slice(body);
}

/// A legacy Excel 97–2003 workbook (BIFF8 in an OLE compound file) with one sheet of text cells,
/// written from the MS-XLS record layouts: the globals substream (BOF, CodePage 1200, one
/// BoundSheet8, EOF), then the sheet (BOF, one LABEL per cell with its UTF-16 text, EOF).
fn xls(sheet: &str, rows: &[Vec<String>]) -> Vec<u8> {
    let bof = |dt: u16| {
        let mut b = vec![0u8; 16];
        b[0..2].copy_from_slice(&0x0600u16.to_le_bytes());
        b[2..4].copy_from_slice(&dt.to_le_bytes());
        b
    };
    let mut globals = Vec::new();
    biff_record(&mut globals, 0x0809, &bof(0x0005));
    biff_record(&mut globals, 0x0042, &1200u16.to_le_bytes());
    let name: Vec<u16> = sheet.encode_utf16().collect();
    let mut bound = vec![0u8; 4]; // lbPlyPos, filled in below
    bound.extend_from_slice(&[0, 0, name.len() as u8, 1]);
    bound.extend(name.iter().flat_map(|u| u.to_le_bytes()));
    let bound_at = globals.len() + 4;
    biff_record(&mut globals, 0x0085, &bound);
    biff_record(&mut globals, 0x000A, &[]);
    let sheet_at = globals.len() as u32;
    globals[bound_at..bound_at + 4].copy_from_slice(&sheet_at.to_le_bytes());
    let mut stream = globals;
    biff_record(&mut stream, 0x0809, &bof(0x0010));
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let text: Vec<u16> = cell.encode_utf16().collect();
            let mut label = Vec::new();
            label.extend_from_slice(&(r as u16).to_le_bytes());
            label.extend_from_slice(&(c as u16).to_le_bytes());
            label.extend_from_slice(&0u16.to_le_bytes());
            label.extend_from_slice(&(text.len() as u16).to_le_bytes());
            label.push(1);
            label.extend(text.iter().flat_map(|u| u.to_le_bytes()));
            biff_record(&mut stream, 0x0204, &label);
        }
    }
    biff_record(&mut stream, 0x000A, &[]);
    let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    file.create_stream("Workbook")
        .unwrap()
        .write_all(&stream)
        .unwrap();
    file.flush().unwrap();
    file.into_inner().into_inner()
}

#[test]
fn every_format_yields_the_values_of_its_plain_text_twin() {
    let c = classifier();
    let text = LINES.join("\n") + "\n";
    let twin = values(&c.classify(text.as_bytes()).unwrap());
    let cats: BTreeSet<&str> = twin.keys().map(String::as_str).collect();
    assert_eq!(
        cats,
        [
            "corporate_number",
            "credit_card",
            "email",
            "iban",
            "my_number",
            "phone",
            "postal_address",
            "postal_code"
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(twin["phone"].len(), 2);
    assert_eq!(twin["email"].len(), 2);

    let encode = |enc: &'static encoding_rs::Encoding| enc.encode(&text).0.into_owned();
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let paragraphs: Vec<String> = LINES.iter().map(|s| s.to_string()).collect();
    let cells: Vec<Vec<String>> = std::iter::once(vec!["メモ".to_string()])
        .chain(LINES.iter().map(|l| vec![l.to_string()]))
        .collect();
    let slide = format!(
        "<p:sld xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\"><p:cSld><p:spTree><p:sp><p:txBody>{}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>",
        LINES
            .iter()
            .map(|l| format!("<a:p><a:r><a:t>{}</a:t></a:r></a:p>", ooxml::xml_escape(l)))
            .collect::<String>()
    );
    let ods_content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\"><office:body><office:spreadsheet><table:table table:name=\"Sheet1\"><table:table-row><table:table-cell office:value-type=\"string\"><text:p>メモ</text:p></table:table-cell></table:table-row>{}</table:table></office:spreadsheet></office:body></office:document-content>",
        LINES.iter().map(|l| format!("<table:table-row><table:table-cell office:value-type=\"string\"><text:p>{}</text:p></table:table-cell></table:table-row>", ooxml::xml_escape(l))).collect::<String>()
    );
    let ods = zip(&[
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet".to_vec()),
        ("META-INF/manifest.xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\"><manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>".to_vec()),
        ("content.xml", ods_content.into_bytes()),
    ]);
    let csv = std::iter::once("メモ,番号".to_string())
        .chain(
            LINES
                .iter()
                .enumerate()
                .map(|(i, l)| format!("\"{l}\",{i}")),
        )
        .collect::<Vec<_>>()
        .join("\r\n");
    let tsv = std::iter::once("メモ\t番号".to_string())
        .chain(LINES.iter().enumerate().map(|(i, l)| format!("{l}\t{i}")))
        .collect::<Vec<_>>()
        .join("\n");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("shift_jis", encode(encoding_rs::SHIFT_JIS), "text"),
        ("euc-jp", encode(encoding_rs::EUC_JP), "text"),
        ("iso-2022-jp", encode(encoding_rs::ISO_2022_JP), "text"),
        ("utf-16le", utf16, "text"),
        ("csv", csv.into_bytes(), "csv"),
        (
            "csv shift_jis",
            encoding_rs::SHIFT_JIS
                .encode(
                    &std::iter::once("メモ,番号".to_string())
                        .chain(
                            LINES
                                .iter()
                                .enumerate()
                                .map(|(i, l)| format!("\"{l}\",{i}")),
                        )
                        .collect::<Vec<_>>()
                        .join("\r\n"),
                )
                .0
                .into_owned(),
            "csv",
        ),
        ("tsv", tsv.into_bytes(), "tsv"),
        ("docx", ooxml::docx(&paragraphs).unwrap(), "docx"),
        ("xlsx", ooxml::xlsx("メモ", &cells).unwrap(), "xlsx"),
        ("xls", xls("メモ", &cells), "xls"),
        (
            "pptx",
            zip(&[
                ("[Content_Types].xml", b"<Types/>".to_vec()),
                ("ppt/slides/slide1.xml", slide.into_bytes()),
            ]),
            "pptx",
        ),
        ("ods", ods, "ods"),
        (
            "zip",
            zip(&[("notes/memo.txt", text.clone().into_bytes())]),
            "zip",
        ),
        ("gzip", gzip(text.as_bytes()), "gzip+text"),
    ];
    for (name, bytes, format) in cases {
        let got = c.classify(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.format, format, "{name}");
        assert_eq!(
            values(&got),
            twin,
            "{name}: values differ from the plain-text twin"
        );
    }

    // PDF (ASCII lines only: the test PDF uses a standard Type 1 font).
    let ascii: Vec<&str> = vec![
        "Contact: emma.smith@example.com +44 20 7946 0123",
        "Card 4111 1111 1111 1111 IBAN GB82 WEST 1234 5698 7654 32",
    ];
    let ascii_twin = values(&c.classify((ascii.join("\n") + "\n").as_bytes()).unwrap());
    match c.classify(&pdf(&ascii)) {
        Ok(got) => {
            assert_eq!(got.format, "pdf");
            assert_eq!(values(&got), ascii_twin);
        }
        Err(e) => {
            assert!(e.to_string().contains("pdftotext is not installed"), "{e}");
            eprintln!("SKIPPED PDF twin: {e}");
        }
    }
}

#[test]
fn bombs_hit_their_limits() {
    let c = classifier();
    // A member that inflates 10 000-fold.
    let bomb = zip(&[("zeros.txt", vec![b'0'; 50 << 20])]);
    let got = c.classify(&bomb).unwrap();
    assert!(
        got.warnings.iter().any(|w| w.contains("compression ratio")),
        "{:?}",
        got.warnings
    );
    // Archives nested deeper than the limit.
    let mut nested = zip(&[("memo.txt", b"a.b@example.com".to_vec())]);
    for i in 0..5 {
        nested = zip(&[(&format!("level{i}.zip"), nested)]);
    }
    let got = c.classify(&nested).unwrap();
    assert!(
        got.warnings.iter().any(|w| w.contains("nesting")),
        "{:?}",
        got.warnings
    );
    assert!(got.hashes.is_empty());
    // A gzip bomb.
    let err = c.classify(&gzip(&vec![0u8; 80 << 20])).unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");
    // A small total limit stops a large but honest archive.
    let small = Classifier::new(
        b"format test key, sixteen bytes+".to_vec(),
        Limits {
            max_total: 1000,
            ..Limits::default()
        },
    )
    .unwrap();
    let honest = zip(&[(
        "a.txt",
        (0..5000).map(|i| b'a' + (i * 7 % 26) as u8).collect(),
    )]);
    assert!(
        small
            .classify(&honest)
            .unwrap()
            .warnings
            .iter()
            .any(|w| w.contains("total limit"))
    );
}

#[test]
fn scanning_keeps_access_times() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.csv");
    std::fs::write(&path, "氏名,メール\n山田 太郎,taro@example.co.jp\n").unwrap();
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_times(std::fs::FileTimes::new().set_accessed(old))
        .unwrap();
    let before = std::fs::metadata(&path).unwrap().atime();
    if before != 1_000_000 {
        eprintln!("SKIPPED: this filesystem does not keep a set access time ({before})");
        return;
    }
    let c = classifier();
    let mut cache = breachscope_classify::cache::Cache::default();
    let (entries, _, _) = breachscope_classify::walk::scan_tree(
        &c,
        dir.path(),
        2,
        1 << 20,
        Some(&mut cache),
        &|_, _| {},
    );
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].result.as_ref().unwrap().categories.get("email"),
        Some(&1)
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().atime(),
        before,
        "the scan changed the access time"
    );
}

/// A workbook as Excel writes it (shared strings with rich-text runs, phonetic guides and
/// escapes; numbers; cells skipped; a second sheet at an absolute part name) is read cell for
/// cell as calamine reads it.
#[test]
fn xlsx_shared_strings_numbers_and_gaps_read_as_calamine_reads_them() {
    let workbook = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="顧客" sheetId="1" r:id="rId1"/><sheet name="R&amp;D" sheetId="2" r:id="rId2"/></sheets></workbook>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/data.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
    let shared = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="6" uniqueCount="6"><si><t>氏名</t></si><si><t>メールアドレス</t></si><si><t>電話番号</t></si><si><r><rPr><b/></rPr><t>山田</t></r><r><t xml:space="preserve"> 太郎</t></r><rPh sb="0" eb="2"><t>ヤマダ</t></rPh><phoneticPr fontId="1"/></si><si><t>hanako&amp;co@example.co.jp</t></si><si><t>090-1234-5678</t></si><si><t>カード番号</t></si></sst>"#;
    let sheet1 = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:E4"/><sheetViews><sheetView workbookViewId="0"/></sheetViews><cols><col min="1" max="5" width="12"/></cols><sheetData><row r="1" spans="1:5"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="D1" t="s"><v>2</v></c><c r="E1" t="s"><v>6</v></c></row><row r="2" spans="1:5"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2" s="2"/><c r="D2" t="s"><v>5</v></c><c r="E2"><v>4111111111111111</v></c></row><row r="4"><c r="B4" t="inlineStr"><is><t>taro@example.com</t></is></c><c r="E4"><v>12.5</v></c></row></sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"#;
    let data = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="str"><f>CONCAT("a","b")</f><v>ab</v></c><c r="B1" t="b"><v>1</v></c><c r="C1"><v>42</v></c></row></sheetData></worksheet>"#;
    let bytes = zip(&[
        ("[Content_Types].xml", b"<Types/>".to_vec()),
        ("_rels/.rels", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec()),
        ("xl/workbook.xml", workbook.as_bytes().to_vec()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes().to_vec()),
        ("xl/sharedStrings.xml", shared.as_bytes().to_vec()),
        ("xl/worksheets/sheet1.xml", sheet1.as_bytes().to_vec()),
        ("xl/worksheets/data.xml", data.as_bytes().to_vec()),
    ]);
    let extracted = breachscope_classify::extract::extract(&bytes, &Limits::default()).unwrap();
    assert_eq!(extracted.format, "xlsx");
    assert!(extracted.warnings.is_empty(), "{:?}", extracted.warnings);
    let ours: Vec<Vec<Vec<String>>> = extracted
        .tables
        .iter()
        .map(|t| {
            let (header, rows) = t.cells();
            std::iter::once(header).chain(rows).collect()
        })
        .collect();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(&bytes)).unwrap();
    let theirs: Vec<Vec<Vec<String>>> = book
        .sheet_names()
        .iter()
        .map(|name| {
            let range = book.worksheet_range(name).unwrap();
            range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>())
                // calamine keeps blank rows; tables skip them.
                .filter(|r: &Vec<String>| r.iter().any(|c| !c.is_empty()))
                .map(|mut r| {
                    // calamine pads short rows to the sheet's width; tables end at the last cell.
                    while r.last().is_some_and(String::is_empty) {
                        r.pop();
                    }
                    r
                })
                .collect()
        })
        .collect();
    let ours_trimmed: Vec<Vec<Vec<String>>> = ours
        .into_iter()
        .map(|sheet| {
            sheet
                .into_iter()
                .map(|mut r| {
                    while r.last().is_some_and(String::is_empty) {
                        r.pop();
                    }
                    r
                })
                .collect()
        })
        .collect();
    // Booleans: calamine renders TRUE/FALSE, the sheet stores 1/0 (both name no value we count).
    let mut theirs = theirs;
    theirs[1][0][1] = "1".into();
    assert_eq!(ours_trimmed, theirs);
    assert_eq!(ours_trimmed[0][1][0], "山田 太郎");
    assert_eq!(ours_trimmed[0][1][4], "4111111111111111");
    // And the values in it are found, in their columns.
    let c = classifier().classify(&bytes).unwrap();
    assert_eq!(c.categories.get("email"), Some(&2));
    assert_eq!(c.categories.get("credit_card"), Some(&1));
    assert_eq!(c.categories.get("person_name"), Some(&1));
    assert_eq!(c.records_with_personal_data, 2);
}

/// Malformed files of every kind — cut at many points, or with bytes overwritten — are
/// classified or refused with a reason, never a crash; a damaged workbook part is a warning.
#[test]
fn malformed_files_never_crash_the_classifier() {
    let c = classifier();
    let csv = "氏名,メール,カード番号,メモ\n山田 太郎,taro@example.co.jp,4111 1111 1111 1111,\"要確認, \"\"住所\"\"\n変更\"\n";
    let rows: Vec<Vec<String>> = csv
        .lines()
        .take(2)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    let samples: Vec<Vec<u8>> = vec![
        csv.as_bytes().to_vec(),
        encoding_rs::SHIFT_JIS.encode(csv).0.into_owned(),
        ooxml::xlsx("顧客", &rows).unwrap(),
        ooxml::docx(&["個人番号 1234 5678 9018".to_owned()]).unwrap(),
        zip(&[("x.csv", csv.as_bytes().to_vec())]),
        gzip(csv.as_bytes()),
    ];
    let mut rng = breachscope_simulate::rng::Rng::new(11, "malformed");
    let mut refused = 0;
    let mut read = 0;
    for sample in &samples {
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for cut in (0..sample.len()).step_by((sample.len() / 40).max(1)) {
            variants.push(sample[..cut].to_vec());
        }
        for _ in 0..40 {
            let mut v = sample.clone();
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(v.len() as u64) as usize;
                v[i] = rng.below(256) as u8;
            }
            variants.push(v);
        }
        for v in variants {
            match c.classify(&v) {
                Ok(_) => read += 1,
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    refused += 1;
                }
            }
        }
    }
    assert!(read > 0 && refused > 0, "read {read}, refused {refused}");
    // A workbook whose sheet part is cut off: the rows before the cut are read.
    let mut rows = vec![vec!["氏名".to_owned(), "メール".to_owned()]];
    for i in 0..20 {
        rows.push(vec![format!("山田 {i}"), format!("user{i}@example.co.jp")]);
    }
    let xlsx = ooxml::xlsx("顧客", &rows).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&xlsx)).unwrap();
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut body).unwrap();
        parts.push((f.name().to_owned(), body));
    }
    let sheet = parts
        .iter()
        .position(|(n, _)| n == "xl/worksheets/sheet1.xml")
        .unwrap();
    let cut = parts[sheet].1.len() / 2;
    parts[sheet].1.truncate(cut);
    let entries: Vec<(&str, Vec<u8>)> =
        parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let r = c.classify(&zip(&entries)).unwrap();
    assert_eq!(r.format, "xlsx");
    let emails = r.categories.get("email").copied().unwrap_or(0);
    assert!((8..20).contains(&emails), "{emails} e-mails before the cut");
}

/// A PDF of several pages, each a list of lines from the top (Helvetica, ASCII only).
fn pdf_pages(pages: &[Vec<String>]) -> Vec<u8> {
    let n = pages.len();
    // Objects: 1 catalog, 2 pages, 3 font, then per page its page and content objects.
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    for (i, lines) in pages.iter().enumerate() {
        let mut content = String::from("BT /F1 10 Tf 20 760 Td 14 TL\n");
        for l in lines {
            content.push_str(&format!(
                "({}) Tj T*\n",
                l.replace('(', "\\(").replace(')', "\\)")
            ));
        }
        content.push_str("ET\n");
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R /Resources << /Font << /F1 3 0 R >> >> >>",
            5 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A marking printed at the foot of a PDF's first page (not among the document's first or
/// last lines) is found; the same words in the body of a later page are not.
#[test]
fn pdf_first_page_footer_marking() {
    let c = classifier();
    let body: Vec<String> = (1..=30)
        .map(|i| format!("{i}. The controller samples the phase currents every 50 microseconds."))
        .collect();
    let mut first = vec!["Motor controller - detailed design specification".to_string()];
    first.extend(body.iter().take(20).cloned());
    first.push("Strictly Confidential".into());
    let mut second: Vec<String> = body.clone();
    second.insert(12, "Confidential".into());
    let marked = pdf_pages(&[first.clone(), second.clone()]);
    match c.classify(&marked) {
        Ok(got) => {
            assert_eq!(got.format, "pdf");
            assert_eq!(got.markings, ["Strictly Confidential"]);
            assert!(got.labels.iter().any(|l| l == "confidential"));
            assert_eq!(got.kind.as_deref(), Some("design_document"));
            first.pop();
            let plain = c.classify(&pdf_pages(&[first, second])).unwrap();
            assert!(plain.markings.is_empty(), "{:?}", plain.markings);
        }
        Err(e) => {
            assert!(e.to_string().contains("pdftotext is not installed"), "{e}");
            eprintln!("SKIPPED PDF marking: {e}");
        }
    }
}
