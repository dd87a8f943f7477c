//! Minimal, valid Office Open XML writers: a one-sheet XLSX with inline strings and a DOCX of
//! plain paragraphs. Deterministic: fixed entry order and 1980-01-01 timestamps.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::SimulateError;

/// Escapes text for XML character data and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn package(entries: &[(&str, String)]) -> Result<Vec<u8>, SimulateError> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    for (name, body) in entries {
        zip.start_file(*name, options)
            .map_err(|e| SimulateError::Write(format!("zip entry {name}: {e}")))?;
        zip.write_all(body.as_bytes())
            .map_err(|e| SimulateError::Write(format!("zip entry {name}: {e}")))?;
    }
    let cursor = zip
        .finish()
        .map_err(|e| SimulateError::Write(format!("zip: {e}")))?;
    Ok(cursor.into_inner())
}

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="TARGET"/></Relationships>"#;

fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8_lossy(&name).into_owned()
}

/// An XLSX workbook with one sheet whose cells are the given strings.
pub fn xlsx(sheet_name: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, SimulateError> {
    let content_types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        xml_escape(sheet_name)
    );
    let workbook_rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, value) in row.iter().enumerate() {
            sheet.push_str(&format!(
                "<c r=\"{}{}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                column_name(c),
                r + 1,
                xml_escape(value)
            ));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    package(&[
        ("[Content_Types].xml", content_types.to_owned()),
        ("_rels/.rels", RELS.replace("TARGET", "xl/workbook.xml")),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels.to_owned()),
        ("xl/worksheets/sheet1.xml", sheet),
    ])
}

/// A DOCX document made of the given paragraphs.
pub fn docx(paragraphs: &[String]) -> Result<Vec<u8>, SimulateError> {
    let content_types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let mut document = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
    );
    for p in paragraphs {
        document.push_str(&paragraph(p));
    }
    document.push_str("<w:sectPr/></w:body></w:document>");
    package(&[
        ("[Content_Types].xml", content_types.to_owned()),
        ("_rels/.rels", RELS.replace("TARGET", "word/document.xml")),
        ("word/document.xml", document),
    ])
}

fn paragraph(text: &str) -> String {
    format!(
        "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
        xml_escape(text)
    )
}

/// A DOCX document with an optional page header and footer (printed on every page, where
/// confidentiality markings usually stand).
pub fn docx_with_margins(
    paragraphs: &[String],
    header: Option<&str>,
    footer: Option<&str>,
) -> Result<Vec<u8>, SimulateError> {
    const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut overrides = String::from(
        r#"<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>"#,
    );
    let mut rels = String::new();
    let mut references = String::new();
    let mut parts: Vec<(&str, String)> = Vec::new();
    for (kind, text, part, id) in [
        ("header", header, "word/header1.xml", "rIdHeader"),
        ("footer", footer, "word/footer1.xml", "rIdFooter"),
    ] {
        let Some(text) = text else { continue };
        let tag = if kind == "header" { "hdr" } else { "ftr" };
        overrides.push_str(&format!(
            r#"<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml"/>"#
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="{id}" Type="{R}/{kind}" Target="{}"/>"#,
            &part[5..]
        ));
        references.push_str(&format!(
            r#"<w:{kind}Reference w:type="default" r:id="{id}"/>"#
        ));
        parts.push((
            part,
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:{tag} xmlns:w="{W}" xmlns:r="{R}">{}</w:{tag}>"#,
                paragraph(text)
            ),
        ));
    }
    let content_types = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>"#
    );
    let mut document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>"#
    );
    for p in paragraphs {
        document.push_str(&paragraph(p));
    }
    document.push_str(&format!(
        "<w:sectPr>{references}</w:sectPr></w:body></w:document>"
    ));
    let mut entries: Vec<(&str, String)> = vec![
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", RELS.replace("TARGET", "word/document.xml")),
        ("word/document.xml", document),
    ];
    if !rels.is_empty() {
        entries.push((
            "word/_rels/document.xml.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
            ),
        ));
    }
    entries.extend(parts);
    package(&entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_determinism() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        let rows = vec![vec!["氏名".to_string(), "a&b".to_string()]];
        assert_eq!(xlsx("名簿", &rows).unwrap(), xlsx("名簿", &rows).unwrap());
        let d = docx(&["第1条 <本契約>".to_string()]).unwrap();
        assert_eq!(&d[..2], b"PK");
    }
}
