//! Format sniffing by content and text extraction: plain text (any encoding), CSV/TSV as
//! tables, DOCX/PPTX (zip + XML text runs), XLSX/XLS/ODS (calamine), PDF through poppler's
//! `pdftotext` when installed, ZIP members and gzip recursively — with limits against bombs.

use std::io::{Cursor, Read};

use crate::decode::decode;

/// Limits on nested archives.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Archive nesting depth.
    pub max_depth: u32,
    /// Total bytes expanded from one file.
    pub max_total: u64,
    /// Expanded ÷ compressed size of one member.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 3,
            max_total: 256 << 20,
            max_ratio: 200,
        }
    }
}

/// A table: header and rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

/// What a file held.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    /// `text`, `csv`, `tsv`, `docx`, `pptx`, `xlsx`, `xls`, `ods`, `pdf`, `zip`, `gzip`.
    pub format: String,
    /// Text encoding, or `binary`.
    pub encoding: String,
    /// Free text (cells of tables are not repeated here).
    pub text: String,
    /// Tables.
    pub tables: Vec<Table>,
    /// Limits hit and members not read (reported, never silent).
    pub warnings: Vec<String>,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// A PDF and no `pdftotext`.
    #[error("PDF not scanned: poppler's pdftotext is not installed")]
    NoPdfToText,
    /// The container is damaged.
    #[error("{0}")]
    Corrupt(String),
}

fn looks_tabular(text: &str, delimiter: char) -> bool {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    if lines.len() < 2 {
        return false;
    }
    let counts: Vec<usize> = lines.iter().map(|l| l.matches(delimiter).count()).collect();
    counts[0] >= 1 && counts.iter().filter(|&&c| c == counts[0]).count() * 10 >= lines.len() * 8
}

/// Parses delimited text (RFC 4180 quoting) into a table.
pub fn parse_delimited(text: &str, delimiter: char) -> Table {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && field.is_empty() {
            quoted = true;
        } else if c == delimiter {
            row.push(std::mem::take(&mut field));
        } else if c == '\n' {
            if field.ends_with('\r') {
                field.pop();
            }
            row.push(std::mem::take(&mut field));
            rows.push(std::mem::take(&mut row));
        } else {
            field.push(c);
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows.retain(|r| r.iter().any(|f| !f.trim().is_empty()));
    let mut it = rows.into_iter();
    let header = it.next().unwrap_or_default();
    Table {
        header,
        rows: it.collect(),
    }
}

fn xml_text(xml: &str, tags: &[&[u8]], paragraph: &[u8]) -> String {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = String::new();
    let mut inside = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => inside = tags.contains(&e.name().as_ref()),
            Ok(Event::End(e)) => {
                if tags.contains(&e.name().as_ref()) {
                    inside = false;
                } else if e.name().as_ref() == paragraph {
                    out.push('\n');
                }
            }
            Ok(Event::Text(t)) if inside => {
                if let Ok(s) = t.unescape() {
                    out.push_str(&s);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

fn read_member(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limits: &Limits,
    budget: &mut u64,
) -> Result<Vec<u8>, String> {
    let entry = zip.by_name(name).map_err(|e| format!("{name}: {e}"))?;
    let size = entry.size();
    let compressed = entry.compressed_size().max(1);
    if size / compressed > limits.max_ratio {
        return Err(format!(
            "{name}: compression ratio {} exceeds the limit {}",
            size / compressed,
            limits.max_ratio
        ));
    }
    if size > *budget {
        return Err(format!(
            "{name}: expanding {size} bytes would exceed the total limit"
        ));
    }
    let mut out = Vec::new();
    entry
        .take(*budget + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("{name}: {e}"))?;
    if out.len() as u64 > *budget {
        return Err(format!(
            "{name}: more bytes than declared; total limit reached"
        ));
    }
    *budget -= out.len() as u64;
    Ok(out)
}

fn spreadsheet(bytes: &[u8], format: &str, out: &mut Extracted) -> Result<(), ExtractError> {
    use calamine::Reader;
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("{format}: {e}")))?;
    for name in workbook.sheet_names() {
        let Ok(range) = workbook.worksheet_range(&name) else {
            out.warnings
                .push(format!("sheet '{name}' could not be read"));
            continue;
        };
        let mut rows = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<String>>());
        let header = rows.next().unwrap_or_default();
        out.tables.push(Table {
            header,
            rows: rows.collect(),
        });
    }
    out.format = format.into();
    out.encoding = "binary".into();
    Ok(())
}

/// Extracts the text and tables of a file's bytes.
pub fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let mut budget = limits.max_total;
    extract_inner(bytes, limits, 0, &mut budget)
}

/// The text of a plain UTF-8 text file (not a container, no BOM, not ISO-2022-JP, not a table),
/// borrowed from its bytes; `None` for anything else, which [`extract`] reads.
pub fn plain_utf8_text(bytes: &[u8]) -> Option<&str> {
    let container = bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0x1f, 0x8b])
        || bytes.starts_with(b"%PDF")
        || bytes.starts_with(&[0xd0, 0xcf, 0x11, 0xe0])
        || bytes.starts_with(&[0xef, 0xbb, 0xbf])
        || crate::decode::is_iso_2022_jp(bytes);
    if container {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    (!looks_tabular(text, '\t') && !looks_tabular(text, ',')).then_some(text)
}

fn text_extracted(text: String, encoding: String) -> Extracted {
    let mut out = Extracted {
        encoding,
        ..Extracted::default()
    };
    if looks_tabular(&text, '\t') {
        out.format = "tsv".into();
        out.tables.push(parse_delimited(&text, '\t'));
    } else if looks_tabular(&text, ',') {
        out.format = "csv".into();
        out.tables.push(parse_delimited(&text, ','));
    } else {
        out.format = "text".into();
        out.text = text;
    }
    out
}

fn extract_inner(
    bytes: &[u8],
    limits: &Limits,
    depth: u32,
    budget: &mut u64,
) -> Result<Extracted, ExtractError> {
    let mut out = Extracted::default();
    if bytes.starts_with(b"PK\x03\x04") {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| ExtractError::Corrupt(format!("zip: {e}")))?;
        let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
        if names.iter().any(|n| n == "xl/workbook.xml") {
            spreadsheet(bytes, "xlsx", &mut out)?;
            return Ok(out);
        }
        if names.iter().any(|n| n == "content.xml") && names.iter().any(|n| n == "mimetype") {
            let mime = read_member(&mut zip, "mimetype", limits, budget).unwrap_or_default();
            if mime.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") {
                spreadsheet(bytes, "ods", &mut out)?;
                return Ok(out);
            }
        }
        if names.iter().any(|n| n == "word/document.xml") {
            match read_member(&mut zip, "word/document.xml", limits, budget) {
                Ok(xml) => out.text = xml_text(&String::from_utf8_lossy(&xml), &[b"w:t"], b"w:p"),
                Err(e) => out.warnings.push(e),
            }
            out.format = "docx".into();
            out.encoding = "binary".into();
            return Ok(out);
        }
        let mut slides: Vec<&String> = names
            .iter()
            .filter(|n| n.starts_with("ppt/slides/slide") && n.ends_with(".xml"))
            .collect();
        if !slides.is_empty() {
            slides.sort();
            for name in slides {
                match read_member(&mut zip, name, limits, budget) {
                    Ok(xml) => {
                        out.text.push_str(&xml_text(
                            &String::from_utf8_lossy(&xml),
                            &[b"a:t"],
                            b"a:p",
                        ));
                        out.text.push('\n');
                    }
                    Err(e) => out.warnings.push(e),
                }
            }
            out.format = "pptx".into();
            out.encoding = "binary".into();
            return Ok(out);
        }
        out.format = "zip".into();
        out.encoding = "binary".into();
        if depth >= limits.max_depth {
            out.warnings.push(format!(
                "archive nesting deeper than {} not read",
                limits.max_depth
            ));
            return Ok(out);
        }
        for name in names.iter().filter(|n| !n.ends_with('/')) {
            match read_member(&mut zip, name, limits, budget) {
                Ok(member) => match extract_inner(&member, limits, depth + 1, budget) {
                    Ok(inner) => {
                        out.text.push_str(&inner.text);
                        out.text.push('\n');
                        out.tables.extend(inner.tables);
                        out.warnings
                            .extend(inner.warnings.into_iter().map(|w| format!("{name}: {w}")));
                    }
                    Err(e) => out.warnings.push(format!("{name}: {e}")),
                },
                Err(e) => out.warnings.push(e),
            }
        }
        return Ok(out);
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        if depth >= limits.max_depth {
            return Err(ExtractError::Corrupt(format!(
                "gzip nesting deeper than {} not read",
                limits.max_depth
            )));
        }
        let mut decoded = Vec::new();
        let max = (*budget).min(bytes.len() as u64 * limits.max_ratio);
        let mut reader = flate2::read::MultiGzDecoder::new(bytes).take(max + 1);
        reader
            .read_to_end(&mut decoded)
            .map_err(|e| ExtractError::Corrupt(format!("gzip: {e}")))?;
        if decoded.len() as u64 > max {
            return Err(ExtractError::Corrupt(format!(
                "gzip expands beyond {max} bytes (ratio or total limit)"
            )));
        }
        *budget -= decoded.len() as u64;
        let mut inner = extract_inner(&decoded, limits, depth + 1, budget)?;
        inner.format = format!("gzip+{}", inner.format);
        return Ok(inner);
    }
    if bytes.starts_with(b"%PDF") {
        return pdf(bytes);
    }
    if bytes.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]) {
        spreadsheet(bytes, "xls", &mut out)?;
        return Ok(out);
    }
    let (text, encoding) = decode(bytes);
    Ok(text_extracted(text, encoding))
}

fn pdf(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-q", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|_| ExtractError::NoPdfToText)?;
    let mut stdin = child.stdin.take().ok_or(ExtractError::NoPdfToText)?;
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let output = child
        .wait_with_output()
        .map_err(|e| ExtractError::Corrupt(format!("pdftotext: {e}")))?;
    let _ = writer.join();
    if !output.status.success() {
        return Err(ExtractError::Corrupt(
            "pdftotext could not read this PDF".into(),
        ));
    }
    Ok(Extracted {
        format: "pdf".into(),
        encoding: "utf-8".into(),
        text: String::from_utf8_lossy(&output.stdout).into_owned(),
        tables: Vec::new(),
        warnings: Vec::new(),
    })
}
