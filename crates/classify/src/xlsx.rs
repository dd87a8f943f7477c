//! XLSX workbooks (Office Open XML spreadsheets, also `.xlsm`) read straight from their parts:
//! the shared strings and each worksheet's cells, as tables.
//!
//! A worksheet is mostly markup — `<c r="B2" t="s"><v>17</v></c>` for a cell — so it is read
//! with byte searches for the few tags that carry values rather than a general XML parser: a
//! cell's column comes from its reference (`B2`), its text from `<v>` (through the shared
//! strings for `t="s"`) or from the `<t>` runs of an inline string. Phonetic guides (`<rPh>`,
//! the furigana Excel keeps beside Japanese text) are not part of a value and are skipped.
//! Numbers are kept as written (`4111111111111111`, not a float's rendering). Damaged markup
//! ends a sheet early rather than failing the file.

use std::sync::LazyLock;

use memchr::memmem::{self, Finder};

use crate::extract::{CELL, Table};
use crate::ooxml::{element_body, unescape_into};

/// The searchers for the tags read, built once.
static T_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</t>"));
static RPH_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</rPh>"));
static C_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<c"));
static C_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</c>"));
static V_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<v>"));
static V_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</v>"));
static IS_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<is"));

/// The worksheet parts of a workbook in its sheet order, from `xl/workbook.xml` and its
/// relationships; when those cannot be read, every `xl/worksheets/*.xml` part by name.
pub(crate) fn sheet_parts(
    workbook: Option<&[u8]>,
    rels: Option<&[u8]>,
    names: &[String],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let (Some(workbook), Some(rels)) = (workbook, rels) {
        let targets: Vec<(String, String)> = tags(rels, b"<Relationship")
            .filter_map(|t| Some((attr(t, b"Id")?, attr(t, b"Target")?)))
            .collect();
        for sheet in tags(workbook, b"<sheet") {
            let (Some(name), Some(id)) = (attr(sheet, b"name"), attr(sheet, b"r:id")) else {
                continue;
            };
            let Some((_, target)) = targets.iter().find(|(i, _)| *i == id) else {
                continue;
            };
            let path = match target.strip_prefix('/') {
                Some(absolute) => absolute.to_owned(),
                None => format!("xl/{target}"),
            };
            if names.contains(&path) {
                out.push((name, path));
            }
        }
    }
    if out.is_empty() {
        let mut parts: Vec<&String> = names
            .iter()
            .filter(|n| n.starts_with("xl/worksheets/") && n.ends_with(".xml"))
            .collect();
        // sheet2 before sheet10.
        parts.sort_by_key(|n| (n.len(), n.as_str()));
        out = parts
            .into_iter()
            .map(|p| {
                let name = p
                    .trim_start_matches("xl/worksheets/")
                    .trim_end_matches(".xml");
                (name.to_owned(), p.clone())
            })
            .collect();
    }
    out
}

/// The shared-string table: every `<si>`'s text, concatenated in one string.
#[derive(Debug, Default)]
pub(crate) struct SharedStrings {
    text: String,
    ends: Vec<usize>,
}

impl SharedStrings {
    /// Reads `xl/sharedStrings.xml`.
    pub(crate) fn parse(xml: &[u8]) -> Self {
        let mut s = SharedStrings::default();
        let mut at = 0;
        let open = memmem::Finder::new(b"<si");
        let close = memmem::Finder::new(b"</si>");
        while let Some(i) = open.find(&xml[at..]) {
            let start = at + i + 3;
            // `<si>` or `<si ...>`, not a longer tag name.
            if !matches!(xml.get(start), Some(b'>' | b' ' | b'/')) {
                at = start;
                continue;
            }
            let end = close.find(&xml[start..]).map_or(xml.len(), |k| start + k);
            runs_text(&xml[start..end], &mut s.text);
            s.ends.push(s.text.len());
            at = end;
        }
        s
    }

    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }
}

/// Appends the text of the `<t>` runs in `xml` (an `<si>` or `<is>` body), skipping phonetic
/// guides.
fn runs_text(xml: &[u8], out: &mut String) {
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'<', &xml[at..]) {
        let tag = at + i;
        let rest = &xml[tag..];
        if rest.starts_with(b"<rPh") {
            at = RPH_END.find(rest).map_or(xml.len(), |k| tag + k + 6);
        } else if rest.starts_with(b"<t>") || rest.starts_with(b"<t ") {
            let Some((body, end)) = element_body(xml, tag, &T_END) else {
                return;
            };
            unescape_into(&xml[body..end], out);
            at = end.max(tag + 1);
        } else {
            at = tag + 1;
        }
    }
}

/// Iterates over the attribute text of every `<name ...>` tag in `xml` (not longer names).
fn tags<'a>(xml: &'a [u8], name: &'static [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let finder = memmem::Finder::new(name);
    let mut at = 0;
    std::iter::from_fn(move || {
        loop {
            let i = finder.find(&xml[at..])?;
            let start = at + i + name.len();
            let end = memchr::memchr(b'>', &xml[start..]).map_or(xml.len(), |k| start + k);
            at = end;
            if matches!(
                xml.get(start),
                Some(b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>')
            ) {
                return Some(&xml[start..end]);
            }
        }
    })
}

/// An attribute's value in a tag's attribute text (`name="value"` or `name='value'`),
/// references resolved.
fn attr(tag: &[u8], name: &[u8]) -> Option<String> {
    let raw = attr_raw(tag, name)?;
    let mut out = String::new();
    unescape_into(raw, &mut out);
    Some(out)
}

/// An attribute's value as written.
fn attr_raw<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut at = 0;
    let first = *name.first()?;
    while let Some(i) = memchr::memchr(first, &tag[at..]) {
        let p = at + i;
        if !tag[p..].starts_with(name) {
            at = p + 1;
            continue;
        }
        let before_ok = p == 0 || matches!(tag[p - 1], b' ' | b'\t' | b'\r' | b'\n');
        let rest = &tag[p + name.len()..];
        let eq = rest.iter().position(|&b| b != b' ')?;
        if before_ok && rest.get(eq) == Some(&b'=') {
            let after = &rest[eq + 1..];
            let q = after.iter().position(|&b| b != b' ')?;
            let quote = *after.get(q)?;
            if quote == b'"' || quote == b'\'' {
                let body = &after[q + 1..];
                let end = memchr::memchr(quote, body)?;
                return Some(&body[..end]);
            }
        }
        at = p + name.len();
    }
    None
}

/// The zero-based column of a cell reference (`B2` → 1), if it has one.
fn column(reference: &[u8]) -> Option<usize> {
    let mut col = 0usize;
    let mut letters = 0;
    for &b in reference {
        if b.is_ascii_uppercase() {
            col = col * 26 + usize::from(b - b'A') + 1;
            letters += 1;
            if letters > 3 {
                return None;
            }
        } else {
            break;
        }
    }
    (letters > 0).then(|| col - 1)
}

/// Widest sheet read: columns past XFD (Excel's last) are not placed by their reference.
const MAX_COLUMNS: usize = 16_384;

/// Reads one worksheet's cells into a table (rows in order; a cell placed in its column, the
/// columns skipped by the sheet left empty).
pub(crate) fn sheet_table(xml: &[u8], shared: &SharedStrings) -> Table<'static> {
    let mut text = String::with_capacity(xml.len() / 4);
    let row_open = memmem::Finder::new(b"<row");
    let row_close = memmem::Finder::new(b"</row>");
    let Some(data) = memmem::find(xml, b"<sheetData") else {
        return Table::from_text(text);
    };
    let mut at = data;
    let mut value = String::new();
    while let Some(i) = row_open.find(&xml[at..]) {
        let start = at + i + 4;
        if !matches!(xml.get(start), Some(b' ' | b'>' | b'/')) {
            at = start;
            continue;
        }
        let Some(gt) = memchr::memchr(b'>', &xml[start..]) else {
            break;
        };
        if xml[start + gt - 1] == b'/' {
            // `<row r="5"/>`: an empty row.
            at = start + gt + 1;
            continue;
        }
        let body = start + gt + 1;
        let end = row_close.find(&xml[body..]).map_or(xml.len(), |k| body + k);
        row_cells(&xml[body..end], shared, &mut text, &mut value);
        text.push('\n');
        at = end;
    }
    Table::from_text(text)
}

/// Appends a row's cells to `text`, [`CELL`]-separated.
fn row_cells(row: &[u8], shared: &SharedStrings, text: &mut String, value: &mut String) {
    let mut at = 0;
    let mut next_col = 0usize;
    while let Some(i) = C_OPEN.find(&row[at..]) {
        let start = at + i + 2;
        if !matches!(row.get(start), Some(b' ' | b'>' | b'/')) {
            at = start;
            continue;
        }
        let Some(gt) = memchr::memchr(b'>', &row[start..]) else {
            return;
        };
        let attrs = &row[start..start + gt];
        let empty = attrs.last() == Some(&b'/');
        let body = start + gt + 1;
        let end = if empty {
            body
        } else {
            C_END.find(&row[body..]).map_or(row.len(), |k| body + k)
        };
        at = end;
        value.clear();
        if !empty {
            let inner = &row[body..end];
            match attr_raw(attrs, b"t") {
                Some(b"inlineStr") => {
                    if let Some(is) = IS_OPEN.find(inner) {
                        runs_text(&inner[is..], value);
                    }
                }
                Some(b"s") => {
                    let mut index = String::new();
                    v_text(inner, &mut index);
                    if let Some(s) = index.trim().parse().ok().and_then(|i| shared.get(i)) {
                        value.push_str(s);
                    }
                }
                _ => v_text(inner, value),
            }
        }
        if value.is_empty() {
            continue;
        }
        let col = attr_raw(attrs, b"r")
            .and_then(column)
            .filter(|&c| c >= next_col && c < MAX_COLUMNS)
            .unwrap_or(next_col);
        // Columns 0..next_col are written, with a separator between each two.
        let separators = if next_col == 0 {
            col
        } else {
            col - next_col + 1
        };
        for _ in 0..separators {
            text.push(char::from(CELL));
        }
        push_cell(text, value);
        next_col = col + 1;
    }
}

/// The text of a cell's `<v>` element.
fn v_text(inner: &[u8], out: &mut String) {
    let Some(v) = V_OPEN.find(inner) else {
        return;
    };
    let body = v + 3;
    let end = V_END.find(&inner[body..]).map_or(inner.len(), |k| body + k);
    unescape_into(&inner[body..end], out);
}

/// A cell's text, with line breaks and [`CELL`] made spaces.
fn push_cell(text: &mut String, value: &str) {
    if value.contains(['\n', '\r', '\u{1f}']) {
        text.extend(value.chars().map(|c| {
            if matches!(c, '\n' | '\r' | '\u{1f}') {
                ' '
            } else {
                c
            }
        }));
    } else {
        text.push_str(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_land_in_their_columns() {
        let shared = SharedStrings::parse(
            r#"<sst count="3"><si><t>氏名</t></si><si><r><t>山田</t></r><r><rPr/><t xml:space="preserve"> 太郎</t></r><rPh sb="0" eb="2"><t>ヤマダ</t></rPh></si><si><t>a&amp;b_x000D_c</t></si></sst>"#
                .as_bytes(),
        );
        assert_eq!(shared.get(1), Some("山田 太郎"));
        assert_eq!(shared.get(2), Some("a&b\rc"));
        let xml = r#"<worksheet><cols><col min="1"/></cols><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>電話</t></is></c></row><row r="2"/><row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" s="1"/><c r="C3"><v>9012345678</v></c><c r="D3" t="s"><v>2</v></c></row></sheetData></worksheet>"#;
        let table = sheet_table(xml.as_bytes(), &shared);
        let (header, rows) = table.cells();
        assert_eq!(header, ["氏名", "", "電話"]);
        assert_eq!(rows, [vec!["山田 太郎", "", "9012345678", "a&b c"]]);
    }

    #[test]
    fn damaged_markup_ends_early_without_failing() {
        let shared = SharedStrings::parse(b"<sst><si><t>x</t></si><si><t>unclosed");
        assert_eq!(shared.get(1), Some("unclosed"));
        for xml in [
            &b"<sheetData><row r=\"1\"><c r=\"ZZZZZ1\"><v>1</v></c><c r=\"B1\" t=\"s\"><v>99</v>"[..],
            b"<sheetData><row><c r=\"A1\" t=\"s\"><v>0",
            b"<sheetData><row",
            b"",
        ] {
            let _ = sheet_table(xml, &shared).cells();
        }
        assert_eq!(column(b"A1"), Some(0));
        assert_eq!(column(b"AA10"), Some(26));
        assert_eq!(column(b"XFD1"), Some(16_383));
        assert_eq!(column(b"12"), None);
    }
}
