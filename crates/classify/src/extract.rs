//! Format sniffing by content and text extraction: plain text (any encoding), CSV/TSV as
//! tables, DOCX/PPTX (zip + XML text runs), XLSX/XLS/ODS (calamine), PDF through poppler's
//! `pdftotext` when installed, ZIP members and gzip recursively — with limits against bombs.

use std::borrow::Cow;
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

/// A table, kept as the text it is read from: delimited rows, one per line (a quoted field may
/// span lines when `quoted`), the first non-blank row being the header. The classifier
/// searches the whole text in one pass and maps its matches to rows and columns afterwards
/// ([`Rows`]), so a table costs what free text of its size costs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table<'a> {
    /// The rows, `delimiter`-separated fields, `\n`-terminated (`\r\n` accepted); borrowed
    /// from the file's bytes when they are UTF-8 already.
    pub text: Cow<'a, str>,
    /// The field delimiter (`,`, `\t`, or [`CELL`] for spreadsheets).
    pub delimiter: u8,
    /// Whether fields may be quoted RFC 4180-style (`"a,b"`, `""` for a quote).
    pub quoted: bool,
}

/// The field delimiter of spreadsheet tables (ASCII unit separator: no pattern matches across
/// it, and spreadsheet cells do not hold it).
pub const CELL: u8 = 0x1f;

impl<'a> Table<'a> {
    /// A delimited text table.
    pub fn delimited(text: impl Into<Cow<'a, str>>, delimiter: u8) -> Self {
        Table {
            text: text.into(),
            delimiter,
            quoted: true,
        }
    }

    /// A table of [`CELL`]-separated, unquoted fields, `\n`-separated rows.
    pub(crate) fn from_text(text: String) -> Table<'static> {
        Table {
            text: Cow::Owned(text),
            delimiter: CELL,
            quoted: false,
        }
    }

    /// A table built from cells: each row's cells joined with [`CELL`], rows with `\n`; line
    /// breaks and [`CELL`] inside a cell become spaces.
    pub fn from_rows<R, C>(rows: R) -> Self
    where
        R: IntoIterator<Item = C>,
        C: IntoIterator<Item: std::fmt::Display>,
    {
        use std::fmt::Write;
        let mut text = String::new();
        for row in rows {
            for (i, cell) in row.into_iter().enumerate() {
                if i > 0 {
                    text.push(char::from(CELL));
                }
                let from = text.len();
                let _ = write!(text, "{cell}");
                if text.as_bytes()[from..]
                    .iter()
                    .any(|&b| matches!(b, b'\n' | b'\r' | CELL))
                {
                    let cleaned: String = text[from..]
                        .chars()
                        .map(|c| {
                            if matches!(c, '\n' | '\r' | '\x1f') {
                                ' '
                            } else {
                                c
                            }
                        })
                        .collect();
                    text.truncate(from);
                    text.push_str(&cleaned);
                }
            }
            text.push('\n');
        }
        Table {
            text: Cow::Owned(text),
            delimiter: CELL,
            quoted: false,
        }
    }

    /// The rows of `text`, which is this table's text or a copy of it in which nothing but
    /// non-ASCII characters changed (the folded text: delimiters and quotes in place).
    pub fn rows<'t>(&self, text: &'t str) -> Rows<'t> {
        Rows {
            text,
            at: 0,
            delimiter: self.delimiter,
            quoted: self.quoted,
        }
    }

    /// The header and the data rows as strings (for tests and small tables).
    pub fn cells(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut rows = self.rows(&self.text);
        let mut spans = Vec::new();
        let mut all: Vec<Vec<String>> = Vec::new();
        while rows.next_row(&mut spans).is_some() {
            let row: Vec<String> = spans
                .iter()
                .map(|&(s, e)| rows.field(s, e).into_owned())
                .collect();
            if row.iter().any(|f| !f.trim().is_empty()) {
                all.push(row);
            }
        }
        let mut it = all.into_iter();
        let header = it.next().unwrap_or_default();
        (header, it.collect())
    }
}

/// A reader of a table's rows as byte spans of their fields.
#[derive(Debug)]
pub struct Rows<'t> {
    text: &'t str,
    at: usize,
    delimiter: u8,
    quoted: bool,
}

impl<'t> Rows<'t> {
    /// Reads the next row into `fields` (the span of each field, quotes included, a line's
    /// `\r` not), returning the row's span; `None` at the end.
    pub fn next_row(&mut self, fields: &mut Vec<(usize, usize)>) -> Option<(usize, usize)> {
        let bytes = self.text.as_bytes();
        let n = bytes.len();
        if self.at >= n {
            return None;
        }
        fields.clear();
        let start = self.at;
        let mut field = start;
        let mut i = start;
        loop {
            // A quote opens a quoted field only at the field's start.
            if self.quoted && i == field && bytes.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    match memchr::memchr(b'"', &bytes[i..]) {
                        Some(k) if bytes.get(i + k + 1) == Some(&b'"') => i += k + 2,
                        Some(k) => {
                            i += k + 1;
                            break;
                        }
                        None => {
                            i = n;
                            break;
                        }
                    }
                }
            }
            match memchr::memchr2(self.delimiter, b'\n', &bytes[i..]) {
                Some(k) if bytes[i + k] == self.delimiter => {
                    fields.push((field, i + k));
                    i += k + 1;
                    field = i;
                }
                Some(k) => {
                    let end = i + k;
                    let field_end = if end > field && bytes[end - 1] == b'\r' {
                        end - 1
                    } else {
                        end
                    };
                    fields.push((field, field_end));
                    self.at = end + 1;
                    return Some((start, end));
                }
                None => {
                    fields.push((field, n));
                    self.at = n;
                    return Some((start, n));
                }
            }
        }
    }

    /// A field's value: the span's text, unquoted when it is a quoted field.
    pub fn field(&self, start: usize, end: usize) -> Cow<'t, str> {
        let raw = self.text.get(start..end).unwrap_or("");
        if self.quoted && raw.len() >= 2 && raw.starts_with('"') {
            let inner = raw[1..].strip_suffix('"').unwrap_or(&raw[1..]);
            if inner.contains('"') {
                return Cow::Owned(inner.replace("\"\"", "\""));
            }
            return Cow::Borrowed(inner);
        }
        Cow::Borrowed(raw)
    }
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
    pub tables: Vec<Table<'static>>,
    /// Limits hit and members not read (reported, never silent).
    pub warnings: Vec<String>,
    /// Where documents put markings apart from their first and last lines: DOCX header and
    /// footer parts, XLSX sheet names, a PDF's first page's last lines.
    pub margins: Vec<String>,
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

/// Whether `text` reads as a table with this delimiter: its first 20 non-blank rows (quoted
/// fields respected, so a quoted `,` in a note does not count) have two or more fields, at
/// least 80 % of them as many as the first.
fn looks_tabular(text: &str, delimiter: u8) -> bool {
    let mut rows = Rows {
        text,
        at: 0,
        delimiter,
        quoted: true,
    };
    let mut fields = Vec::new();
    let mut counts: Vec<usize> = Vec::with_capacity(20);
    while counts.len() < 20 {
        let Some((start, end)) = rows.next_row(&mut fields) else {
            break;
        };
        if !text[start..end].trim().is_empty() {
            counts.push(fields.len());
        }
    }
    counts.len() >= 2
        && counts[0] >= 2
        && counts.iter().filter(|&&c| c == counts[0]).count() * 10 >= counts.len() * 8
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

/// An XLSX workbook's sheets as tables ([`crate::xlsx`]); parts that cannot be read are
/// reported as warnings.
fn workbook(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    names: &[String],
    limits: &Limits,
    budget: &mut u64,
    out: &mut Extracted,
) {
    out.format = "xlsx".into();
    out.encoding = "binary".into();
    let mut part = |name: &str, out: &mut Extracted| -> Option<Vec<u8>> {
        if !names.iter().any(|n| n == name) {
            return None;
        }
        read_member(zip, name, limits, budget)
            .map_err(|e| out.warnings.push(e))
            .ok()
    };
    let workbook = part("xl/workbook.xml", out);
    let rels = part("xl/_rels/workbook.xml.rels", out);
    let shared = part("xl/sharedStrings.xml", out)
        .map(|xml| crate::xlsx::SharedStrings::parse(&xml))
        .unwrap_or_default();
    for (name, path) in crate::xlsx::sheet_parts(workbook.as_deref(), rels.as_deref(), names) {
        out.margins.push(name.clone());
        match part(&path, out) {
            Some(xml) => out.tables.push(crate::xlsx::sheet_table(&xml, &shared)),
            None => out
                .warnings
                .push(format!("sheet '{name}' ({path}) could not be read")),
        }
    }
}

fn spreadsheet(bytes: &[u8], format: &str, out: &mut Extracted) -> Result<(), ExtractError> {
    use calamine::Reader;
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("{format}: {e}")))?;
    for name in workbook.sheet_names() {
        out.margins.push(name.clone());
        let Ok(range) = workbook.worksheet_range(&name) else {
            out.warnings
                .push(format!("sheet '{name}' could not be read"));
            continue;
        };
        out.tables.push(Table::from_rows(range.rows()));
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

/// A plain UTF-8 file (not a container, no BOM, not ISO-2022-JP), borrowed from its bytes.
#[derive(Debug)]
pub enum PlainUtf8<'a> {
    /// Free text.
    Text(&'a str),
    /// A delimited table (`csv` or `tsv`).
    Table(Table<'a>, &'static str),
}

/// The text or table of a plain UTF-8 file, borrowed from its bytes; `None` for anything else,
/// which [`extract`] reads.
pub fn plain_utf8(bytes: &[u8]) -> Option<PlainUtf8<'_>> {
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
    Some(if looks_tabular(text, b'\t') {
        PlainUtf8::Table(Table::delimited(text, b'\t'), "tsv")
    } else if looks_tabular(text, b',') {
        PlainUtf8::Table(Table::delimited(text, b','), "csv")
    } else {
        PlainUtf8::Text(text)
    })
}

fn text_extracted(text: String, encoding: String) -> Extracted {
    let mut out = Extracted {
        encoding,
        ..Extracted::default()
    };
    if looks_tabular(&text, b'\t') {
        out.format = "tsv".into();
        out.tables.push(Table::delimited(text, b'\t'));
    } else if looks_tabular(&text, b',') {
        out.format = "csv".into();
        out.tables.push(Table::delimited(text, b','));
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
            workbook(&mut zip, &names, limits, budget, &mut out);
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
                Ok(xml) => out.text = crate::ooxml::paragraph_text(&xml, "w:t", "w:p"),
                Err(e) => out.warnings.push(e),
            }
            // Headers and footers: where markings are printed on every page.
            let mut margins: Vec<&String> = names
                .iter()
                .filter(|n| {
                    (n.starts_with("word/header") || n.starts_with("word/footer"))
                        && n.ends_with(".xml")
                })
                .collect();
            margins.sort();
            for name in margins {
                match read_member(&mut zip, name, limits, budget) {
                    Ok(xml) => out
                        .margins
                        .push(crate::ooxml::paragraph_text(&xml, "w:t", "w:p")),
                    Err(e) => out.warnings.push(e),
                }
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
                        out.text
                            .push_str(&crate::ooxml::paragraph_text(&xml, "a:t", "a:p"));
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
                        out.margins.extend(inner.margins);
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
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    // pdftotext ends each page with a form feed: the first page's last lines are its footer.
    let first_page = text.split('\x0c').next().unwrap_or("");
    let lines: Vec<&str> = first_page
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let footer = lines[lines.len().saturating_sub(5)..].join("\n");
    Ok(Extracted {
        format: "pdf".into(),
        encoding: "utf-8".into(),
        text,
        tables: Vec::new(),
        warnings: Vec::new(),
        margins: vec![footer],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_rfc_4180_quoting() {
        let text = "名前,メモ,電話\r\n\"山田, 太郎\",\"二行\n目 \"\"引用\"\"\",090-1234-5678\r\n\r\n,,\n最後,x,\"\"";
        let table = Table::delimited(text, b',');
        let (header, rows) = table.cells();
        assert_eq!(header, ["名前", "メモ", "電話"]);
        assert_eq!(
            rows,
            [
                vec!["山田, 太郎", "二行\n目 \"引用\"", "090-1234-5678"],
                vec!["最後", "x", ""],
            ]
        );
        // Spans point into the text: a match's byte offset finds its row and column.
        let mut reader = table.rows(&table.text);
        let mut fields = Vec::new();
        reader.next_row(&mut fields);
        let (start, end) = reader.next_row(&mut fields).unwrap();
        let phone = text.find("090").unwrap();
        assert!(start <= phone && phone < end);
        let column = fields.partition_point(|&(s, _)| s <= phone) - 1;
        assert_eq!(column, 2);
        // A quoted delimiter does not make a row look wider than the header.
        let notes = "id,memo\n1,\"要確認, 住所変更あり\"\n2,ok\n3,\"a, b, c\"\n";
        assert!(looks_tabular(notes, b','));
        assert!(!looks_tabular(
            "Dear Sir,\nthanks for the call, the files, and the notes.\nWe agreed on this.\nBest, T.\n",
            b','
        ));
        // An unclosed quote runs to the end of the text instead of failing.
        let (_, rows) = Table::delimited("a,b\n\"open,1\n2,3", b',').cells();
        assert_eq!(rows, [vec!["open,1\n2,3"]]);
    }

    #[test]
    fn spreadsheet_cells_keep_their_boundaries() {
        let table = Table::from_rows([vec!["氏名", "メモ"], vec!["田中", "改行\nあり\u{1f}"]]);
        let (header, rows) = table.cells();
        assert_eq!(header, ["氏名", "メモ"]);
        assert_eq!(rows, [vec!["田中", "改行 あり "]]);
    }
}
