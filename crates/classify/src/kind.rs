//! What kind of content a file holds (report-v1 `classification.kind`), by its bytes rather
//! than its name: source code and its language (by syntax), design documents, CAD and EDA files
//! (DWG, DXF, STEP, IGES, STL, Gerber, Excellon, KiCad), firmware images (ELF, Intel HEX,
//! Motorola S-record, UF2, raw images by their vector table or erased-flash padding),
//! measurement data (numeric tables), configuration, office documents, tables, archives.
//!
//! [`sniff`] looks at the first bytes (and the size) before extraction; [`settle`] decides
//! from the extracted text and tables what the magic did not.

use crate::extract::Table;

/// Kinds that make a file `technical` (report-v1 labels).
pub const TECHNICAL: &[&str] = &[
    "source_code",
    "design_document",
    "cad",
    "firmware",
    "measurement_data",
];

/// A file's kind, and for source code its language; `format` names the CAD or firmware format
/// found (`step`, `elf`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    /// One of report-v1's kinds.
    pub kind: &'static str,
    /// The language of source code.
    pub language: Option<&'static str>,
    /// The CAD, EDA or firmware format, when the magic named one.
    pub format: Option<&'static str>,
}

impl Kind {
    fn of(kind: &'static str, format: &'static str) -> Kind {
        Kind {
            kind,
            language: None,
            format: Some(format),
        }
    }
}

/// How much of a file the sniffers read.
const HEAD: usize = 64 * 1024;

/// The CAD, EDA and firmware formats recognised by their first bytes (and, for binary STL and
/// UF2, their size).
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    let head = &bytes[..bytes.len().min(HEAD)];
    if head.starts_with(b"\x7fELF") && head.len() >= 20 {
        return Some(Kind::of("firmware", "elf"));
    }
    if is_uf2(bytes) {
        return Some(Kind::of("firmware", "uf2"));
    }
    if is_dwg(head) {
        return Some(Kind::of("cad", "dwg"));
    }
    if head.starts_with(b"AutoCAD Binary DXF\r\n\x1a\x00") {
        return Some(Kind::of("cad", "dxf"));
    }
    if is_binary_stl(bytes) {
        return Some(Kind::of("cad", "stl"));
    }
    // The text formats: skip a UTF-8 byte-order mark and leading blank lines.
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let t = &text[start..];
    if t.starts_with(b"ISO-10303-21;") {
        return Some(Kind::of("cad", "step"));
    }
    if is_iges(text) {
        return Some(Kind::of("cad", "iges"));
    }
    if is_ascii_stl(t) {
        return Some(Kind::of("cad", "stl"));
    }
    if is_dxf(t) {
        return Some(Kind::of("cad", "dxf"));
    }
    for (prefix, format) in [
        (&b"(kicad_pcb"[..], "kicad"),
        (b"(kicad_sch", "kicad"),
        (b"(kicad_symbol_lib", "kicad"),
        (b"(footprint ", "kicad"),
        (b"(module ", "kicad"),
        (b"EESchema Schematic File", "kicad"),
        (b"PCBNEW-BOARD", "kicad"),
    ] {
        if t.starts_with(prefix) {
            return Some(Kind::of("cad", format));
        }
    }
    if is_gerber(t) {
        return Some(Kind::of("cad", "gerber"));
    }
    if is_excellon(t) {
        return Some(Kind::of("cad", "excellon"));
    }
    if records_check(t, intel_hex_record) {
        return Some(Kind::of("firmware", "intel_hex"));
    }
    if records_check(t, srecord) {
        return Some(Kind::of("firmware", "srec"));
    }
    if is_raw_firmware(bytes) {
        return Some(Kind::of("firmware", "raw_image"));
    }
    None
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
}

/// UF2: 512-byte blocks with two magic numbers at the start and one at the end.
fn is_uf2(bytes: &[u8]) -> bool {
    bytes.len() >= 512
        && bytes.len().is_multiple_of(512)
        && u32_le(bytes, 0) == Some(0x0A32_4655)
        && u32_le(bytes, 4) == Some(0x9E5D_5157)
        && u32_le(bytes, 508) == Some(0x0AB1_6F30)
}

/// DWG: the version string `AC1012` … `AC1032` (or the older `AC1.50`, `AC2.10`, `AC100x`)
/// followed by the binary header.
fn is_dwg(head: &[u8]) -> bool {
    head.len() >= 128
        && head.starts_with(b"AC")
        && (head[2..6].iter().all(u8::is_ascii_digit) || matches!(&head[2..6], b"1.50" | b"2.10"))
        && head[6..12].iter().any(|b| !b.is_ascii_graphic())
}

/// Binary STL: an 80-byte header, a triangle count, and exactly 50 bytes per triangle.
fn is_binary_stl(bytes: &[u8]) -> bool {
    let Some(n) = u32_le(bytes, 80) else {
        return false;
    };
    n > 0 && bytes.len() as u64 == 84 + 50 * u64::from(n)
}

fn is_ascii_stl(t: &[u8]) -> bool {
    t.starts_with(b"solid")
        && t.get(5).is_none_or(|b| b.is_ascii_whitespace())
        && memchr::memmem::find(&t[..t.len().min(4096)], b"facet normal").is_some()
}

/// IGES: 80-column records whose column 73 is the section letter (S, G, D, P, T) and whose
/// columns 74–80 are a sequence number; the first record is a start record.
fn is_iges(text: &[u8]) -> bool {
    let mut lines = text.split(|&b| b == b'\n').take(8).peekable();
    let mut checked = 0;
    let mut first = true;
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if lines.peek().is_none() && line.len() < 80 {
            break;
        }
        if line.len() != 80 || !matches!(line[72], b'S' | b'G' | b'D' | b'P' | b'T') {
            return false;
        }
        if first && line[72] != b'S' {
            return false;
        }
        if !line[73..80]
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b' ')
        {
            return false;
        }
        first = false;
        checked += 1;
    }
    checked >= 3
}

/// ASCII DXF: group codes and values on alternate lines, starting with a section (an optional
/// 999 comment first).
fn is_dxf(t: &[u8]) -> bool {
    let mut lines = t
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty());
    let mut code = lines.next();
    if code == Some(b"999") {
        lines.next();
        code = lines.next();
    }
    code == Some(b"0") && lines.next() == Some(b"SECTION") && lines.next() == Some(b"2")
}

/// Gerber RS-274X: extended commands `%FS…*%` and `%MO…*%` (or `%AD`) near the top, and
/// commands ending in `*`.
fn is_gerber(t: &[u8]) -> bool {
    let head = &t[..t.len().min(4096)];
    let has = |n: &[u8]| memchr::memmem::find(head, n).is_some();
    let starts = t.starts_with(b"G04") || t.starts_with(b"%");
    starts && has(b"%FS") && (has(b"%MO") || has(b"%AD"))
}

/// Excellon drill files: the `M48` header with tool definitions, or `;` comments then `M48`.
fn is_excellon(t: &[u8]) -> bool {
    let mut lines = t
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty() && !l.starts_with(b";"));
    lines.next() == Some(b"M48")
        && lines.take(20).any(|l| {
            l.starts_with(b"T") && l.iter().skip(1).take_while(|b| b.is_ascii_digit()).count() > 0
        })
}

/// Whether the first lines (up to 20) all pass `check` and there are at least three.
fn records_check(t: &[u8], check: fn(&[u8]) -> bool) -> bool {
    let mut n = 0;
    for line in t
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty())
        .take(20)
    {
        if !check(line) {
            return false;
        }
        n += 1;
    }
    n >= 3 || (n >= 1 && t.len() < 200)
}

fn hex_bytes(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|c| {
            let hi = (c[0] as char).to_digit(16)?;
            let lo = (c[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

/// `:LLAAAATT<data>CC`, the count matching and the bytes summing to 0 mod 256.
fn intel_hex_record(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b":") else {
        return false;
    };
    let Some(b) = hex_bytes(rest) else {
        return false;
    };
    b.len() >= 5
        && usize::from(b[0]) + 5 == b.len()
        && b[3] <= 5
        && b.iter().fold(0u8, |a, &x| a.wrapping_add(x)) == 0
}

/// `S<type><count><address><data><checksum>`: the count matching and the one's complement of
/// the sum checking out.
fn srecord(line: &[u8]) -> bool {
    let (Some(b'S'), Some(t)) = (line.first(), line.get(1)) else {
        return false;
    };
    if !matches!(t, b'0'..=b'3' | b'5'..=b'9') {
        return false;
    }
    let Some(b) = hex_bytes(&line[2..]) else {
        return false;
    };
    b.len() >= 3
        && usize::from(b[0]) + 1 == b.len()
        && b[..b.len() - 1].iter().fold(0u8, |a, &x| a.wrapping_add(x)) ^ 0xff == b[b.len() - 1]
}

/// A raw flash image: an ARM Cortex-M vector table at the start (an initial stack pointer in
/// SRAM, then a reset handler and fault handlers at odd Thumb addresses in one code region),
/// in a binary that is neither text nor a known container.
fn is_raw_firmware(bytes: &[u8]) -> bool {
    if bytes.len() < 64 || crate::extract::plain_utf8(&bytes[..bytes.len().min(4096)]).is_some() {
        return false;
    }
    let Some(sp) = u32_le(bytes, 0) else {
        return false;
    };
    let sram =
        (0x2000_0000..=0x2010_0000).contains(&sp) || (0x1000_0000..=0x1008_0000).contains(&sp);
    if !sram || !sp.is_multiple_of(4) {
        return false;
    }
    let Some(reset) = u32_le(bytes, 4) else {
        return false;
    };
    let region = reset & 0xff00_0000;
    if reset.is_multiple_of(2) || !matches!(region, 0x0000_0000 | 0x0800_0000 | 0x1000_0000) {
        return false;
    }
    // NMI, HardFault and the other system handlers: zero (unused) or odd in the same region.
    let handlers: Vec<u32> = (2..8).filter_map(|i| u32_le(bytes, i * 4)).collect();
    let plausible = handlers
        .iter()
        .filter(|&&h| h == 0 || (h % 2 == 1 && h & 0xff00_0000 == region))
        .count();
    handlers.len() == 6 && plausible == 6 && handlers.iter().any(|&h| h != 0)
}

/// Words that make an office or text document a design document when its title or first
/// lines carry them.
const DESIGN_WORDS: &[&str] = &[
    "設計書",
    "設計仕様",
    "仕様書",
    "基本設計",
    "詳細設計",
    "設計ノート",
    "設計メモ",
    "回路図",
    "ブロック図",
    "構成図",
    "design document",
    "design specification",
    "design note",
    "functional specification",
    "technical specification",
    "system architecture",
    "schematic",
];

/// Whether the head of a document names it a design document.
pub fn names_design(head: &str) -> bool {
    let lower = head.to_lowercase();
    DESIGN_WORDS.iter().any(|w| lower.contains(w))
}

/// What [`settle`] looks at.
pub struct Content<'a> {
    /// Format from extraction (`text`, `csv`, `docx`, `zip`, `gzip+csv`, …).
    pub format: &'a str,
    /// Free text.
    pub text: &'a str,
    /// Tables.
    pub tables: &'a [Table<'a>],
    /// The document's first lines (title, headers).
    pub head: &'a str,
}

/// The kind of a file the magic did not place.
pub fn settle(sniffed: Option<Kind>, content: &Content<'_>) -> Kind {
    if let Some(k) = sniffed {
        return k;
    }
    let plain = |kind| Kind {
        kind,
        language: None,
        format: None,
    };
    let format = content.format;
    // Containers: their members' content is classified, the file is an archive.
    if format == "zip" || format.starts_with("gzip") {
        return plain("archive");
    }
    match format {
        "docx" | "pptx" | "pdf" => {
            return plain(if names_design(content.head) {
                "design_document"
            } else {
                "office_document"
            });
        }
        "xlsx" | "xls" | "ods" | "csv" | "tsv" => {
            return plain(if content.tables.iter().any(is_measurements) {
                "measurement_data"
            } else {
                "table"
            });
        }
        _ => {}
    }
    let text = content.text;
    if let Some(language) = language(text) {
        return Kind {
            kind: "source_code",
            language: Some(language),
            format: None,
        };
    }
    if is_configuration(text) {
        return plain("configuration");
    }
    if names_design(content.head) {
        return plain("design_document");
    }
    if text.trim().is_empty() && content.tables.is_empty() {
        return plain("other");
    }
    plain("text")
}

/// A table of measurements: at least ten data rows and three columns, and at least 90 % of the
/// data cells numbers (a time stamp counts as one).
fn is_measurements(table: &Table<'_>) -> bool {
    let mut rows = table.rows(&table.text);
    let mut fields = Vec::new();
    let mut header = true;
    let (mut numeric, mut cells, mut data_rows, mut columns) = (0usize, 0usize, 0usize, 0usize);
    while let Some((start, end)) = rows.next_row(&mut fields) {
        if table.text[start..end].trim().is_empty() {
            continue;
        }
        if header {
            header = false;
            columns = fields.len();
            continue;
        }
        data_rows += 1;
        for &(s, e) in &fields {
            let cell = rows.field(s, e);
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            cells += 1;
            if is_number_like(cell) {
                numeric += 1;
            }
        }
        if data_rows >= 200 {
            break;
        }
    }
    data_rows >= 10 && columns >= 3 && cells > 0 && numeric * 10 >= cells * 9
}

fn is_number_like(cell: &str) -> bool {
    let b = cell.as_bytes();
    b.iter().any(u8::is_ascii_digit)
        && b.iter().all(|c| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    b'.' | b'-' | b'+' | b'e' | b'E' | b':' | b'T' | b'Z' | b'/' | b' '
                )
        })
}

/// Languages and the signs of their syntax: (language, strong signs, weak signs). A strong sign
/// counts three, a weak one one; the best language needs a score of six and a lead of three.
const LANGUAGES: &[(&str, &[&str], &[&str])] = &[
    (
        "rust",
        &[
            "fn main(",
            "pub fn ",
            "impl ",
            "let mut ",
            "use std::",
            "#[derive(",
            "pub struct ",
        ],
        &[
            "-> ",
            "::",
            "&self",
            "match ",
            "Option<",
            "Vec<",
            "println!(",
        ],
    ),
    (
        "python",
        &[
            "def ",
            "import ",
            "from ",
            "elif ",
            "__init__",
            "self.",
            "if __name__",
        ],
        &["    return ", "print(", "None", "True", "lambda "],
    ),
    (
        "javascript",
        &[
            "function ",
            "const ",
            "=> ",
            "require(",
            "module.exports",
            "export function",
            "export default",
        ],
        &["let ", "console.log(", "=== ", "async ", "await "],
    ),
    (
        "typescript",
        &[
            "interface ",
            ": string",
            ": number",
            "export type ",
            "implements ",
            "readonly ",
        ],
        &["=> ", "import {"],
    ),
    (
        "c",
        &[
            "#include <",
            "#include \"",
            "int main(",
            "#define ",
            "typedef struct",
            "static void ",
        ],
        &[
            "printf(",
            "uint8_t",
            "uint32_t",
            "void ",
            "->",
            "return 0;",
            "#ifdef",
        ],
    ),
    (
        "cpp",
        &[
            "std::",
            "#include <iostream>",
            "template <",
            "template<",
            "namespace ",
            "nullptr",
        ],
        &["class ", "public:", "private:", "::", "auto "],
    ),
    (
        "java",
        &[
            "public class ",
            "import java.",
            "System.out.",
            "public static void main",
            "@Override",
            "private final ",
        ],
        &["new ", "public ", "extends "],
    ),
    (
        "csharp",
        &[
            "using System",
            "namespace ",
            "public class ",
            "{ get; set; }",
            "Console.WriteLine(",
        ],
        &["var ", "public ", "void "],
    ),
    (
        "go",
        &["package ", "func ", ":= ", "import (", "fmt.", "go func"],
        &["err != nil", "defer ", "chan "],
    ),
    (
        "shell",
        &[
            "#!/bin/sh",
            "#!/bin/bash",
            "#!/usr/bin/env bash",
            "fi\n",
            "esac",
            "then\n",
        ],
        &["echo ", "export ", "$(", "${"],
    ),
    (
        "verilog",
        &[
            "module ",
            "endmodule",
            "always @",
            "assign ",
            "posedge ",
            "reg [",
        ],
        &["wire ", "input ", "output ", "begin", "end\n"],
    ),
    (
        "vhdl",
        &[
            "entity ",
            "architecture ",
            "end architecture",
            "std_logic",
            "library ieee",
            "port (",
        ],
        &["signal ", "process", "begin", "<= "],
    ),
    (
        "matlab",
        &["function [", "end\n", "zeros(", "plot(", "disp(", "%%"],
        &["size(", "ones(", "fprintf("],
    ),
];

/// The programming language of `text`, by its syntax: each language's signs counted in the
/// first 64 KB (a sign once per line); code-shaped lines (ending in `;`, `{`, `}`, `:` or
/// `)`, or indented) must be at least a quarter of the non-blank lines.
pub fn language(text: &str) -> Option<&'static str> {
    let head = match text.char_indices().nth(HEAD) {
        Some((i, _)) => &text[..i],
        None => text,
    };
    let mut lines = 0usize;
    let mut code_shaped = 0usize;
    let mut scores = [0usize; LANGUAGES.len()];
    for line in head.lines() {
        let trimmed = line.trim_end();
        if trimmed.trim().is_empty() {
            continue;
        }
        lines += 1;
        if trimmed.ends_with([';', '{', '}', ':', ')', ','])
            || line.starts_with("    ")
            || line.starts_with('\t')
        {
            code_shaped += 1;
        }
        let with_newline_sign = |sign: &str| {
            if let Some(s) = sign.strip_suffix('\n') {
                trimmed.trim() == s
            } else {
                line.contains(sign)
            }
        };
        for (i, (_, strong, weak)) in LANGUAGES.iter().enumerate() {
            scores[i] += 3 * strong.iter().filter(|s| with_newline_sign(s)).count()
                + weak.iter().filter(|s| with_newline_sign(s)).count();
        }
    }
    if lines == 0 || code_shaped * 4 < lines {
        return None;
    }
    let mut order: Vec<usize> = (0..LANGUAGES.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(scores[i]));
    let (best, second) = (scores[order[0]], scores[order[1]]);
    // A score that grows with the text: at least six, and one sign per twenty lines.
    (best >= 6 && best >= lines / 20 && best >= second + 3).then(|| LANGUAGES[order[0]].0)
}

/// Configuration: most non-comment lines are `key = value`, `key: value` or `[section]`, or the
/// text is a JSON object or an XML document.
fn is_configuration(text: &str) -> bool {
    let trimmed = text.trim_start();
    if trimmed.starts_with("<?xml") {
        return true;
    }
    let mut lines = 0usize;
    let mut settings = 0usize;
    // Inside a value quoted over several lines (a key or certificate in a `.env` file).
    let mut quoted = false;
    for line in text.lines().take(500) {
        let l = line.trim();
        let quotes = l.matches('"').count();
        if quoted {
            quoted = quotes % 2 == 0;
            continue;
        }
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') || l.starts_with("//") {
            continue;
        }
        quoted = quotes % 2 == 1;
        lines += 1;
        let key_value = |sep: char| {
            l.split_once(sep).is_some_and(|(k, _)| {
                let k = k.trim().trim_matches('"');
                !k.is_empty()
                    && k.len() <= 64
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            })
        };
        if (l.starts_with('[') && l.ends_with(']')) || key_value('=') || key_value(':') {
            settings += 1;
        }
    }
    let json = trimmed.starts_with('{') && text.trim_end().ends_with('}');
    lines >= 2 && (settings * 10 >= lines * 7 || json && settings * 2 >= lines)
}
