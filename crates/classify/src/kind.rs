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
    if is_raw_firmware(bytes) || is_padded_image(bytes) {
        return Some(Kind::of("firmware", "raw_image"));
    }
    None
}

/// A raw flash image without a vector table this knows: a whole number of 256-byte pages, at
/// least one of them erased (all 0xFF, as flash reads after erasing and as `objcopy
/// --gap-fill 0xff` pads), and the other pages of a code's entropy — 4.5 to 7.6 bits a byte
/// (text is lower, compressed or encrypted data higher), over up to 64 KB of them.
fn is_padded_image(bytes: &[u8]) -> bool {
    const PAGE: usize = 256;
    if bytes.len() < 4 * PAGE || !bytes.len().is_multiple_of(PAGE) {
        return false;
    }
    let erased = |page: &[u8]| page.iter().all(|&b| b == 0xff);
    if !bytes.chunks_exact(PAGE).any(erased) {
        return false;
    }
    let mut counts = [0u64; 256];
    let mut n = 0u64;
    for page in bytes.chunks_exact(PAGE).filter(|p| !erased(p)).take(256) {
        for &b in page {
            counts[usize::from(b)] += 1;
        }
        n += PAGE as u64;
    }
    if n < 2 * PAGE as u64 {
        return false;
    }
    let entropy: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum();
    (4.5..=7.6).contains(&entropy)
        && crate::extract::plain_utf8(&bytes[..bytes.len().min(4096)]).is_none()
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
    if bytes.len() < 64 {
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
    handlers.len() == 6
        && plausible == 6
        && handlers.iter().any(|&h| h != 0)
        && crate::extract::plain_utf8(&bytes[..bytes.len().min(4096)]).is_none()
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
            "^fn main(",
            "^pub fn ",
            "^impl ",
            "^impl<",
            "let mut ",
            "^use std::",
            "^use crate::",
            "^use super::",
            "#[derive(",
            "#[cfg(",
            "#[inline",
            "^pub struct ",
            "^pub enum ",
            "^pub(crate)",
            "-> Self",
            "&mut self",
            "&self",
            "macro_rules!",
            "#![",
            "^pub mod ",
            "^mod ",
            "^pub use ",
            "#[test]",
            "assert_eq!(",
        ],
        &[
            "-> ",
            "::",
            "match ",
            "Option<",
            "Vec<",
            "Result<",
            "Some(",
            "println!(",
            " fn ",
            "^let ",
        ],
    ),
    (
        "python",
        &[
            "^def ",
            "^import ",
            "^from ",
            "^elif ",
            "__init__",
            "self.",
            "^if __name__",
            "\"\"\"",
        ],
        &[
            "    return ",
            "print(",
            "None",
            "True",
            "lambda ",
            "^raise ",
            "^class ",
        ],
    ),
    (
        "javascript",
        &[
            "^function ",
            "^const ",
            "require(",
            "module.exports",
            "^export function",
            "^export default",
        ],
        &["^let ", "console.log(", "=> ", "=== ", "async ", "await "],
    ),
    (
        "typescript",
        &[
            "^interface ",
            ": string",
            ": number",
            "^export type ",
            "implements ",
            "readonly ",
        ],
        &["=> ", "import {"],
    ),
    (
        "c",
        &[
            "^#include <",
            "^#include \"",
            "int main(",
            "^#define ",
            "^typedef struct",
            "^static void ",
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
            "^template <",
            "^template<",
            "^namespace ",
            "nullptr",
        ],
        &["class ", "public:", "private:", "::", "auto "],
    ),
    (
        "java",
        &[
            "^public class ",
            "^import java.",
            "System.out.",
            "public static void main",
            "@Override",
            "^private final ",
        ],
        &["new ", "public ", "extends "],
    ),
    (
        "csharp",
        &[
            "^using System",
            "^namespace ",
            "public class ",
            "{ get; set; }",
            "Console.WriteLine(",
        ],
        &["var ", "public ", "void "],
    ),
    (
        "go",
        &["^package ", "^func ", ":= ", "^import (", "fmt.", "go func"],
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
            "^module ",
            "^endmodule",
            "^always @",
            "^assign ",
            "posedge ",
            "reg [",
        ],
        &["wire ", "input ", "output ", "begin", "end\n"],
    ),
    (
        "vhdl",
        &[
            "^entity ",
            "^architecture ",
            "end architecture",
            "std_logic",
            "^library ieee",
            "port (",
        ],
        &["signal ", "process", "begin", "<= "],
    ),
    (
        "matlab",
        &["^function [", "end\n", "zeros(", "plot(", "disp(", "%%"],
        &["size(", "ones(", "fprintf("],
    ),
];

/// The languages' signs compiled into one automaton: each sign's (language, weight) pairs,
/// and the signs that must be a whole line (written with a trailing `\n` in [`LANGUAGES`]).
struct Signs {
    automaton: aho_corasick::AhoCorasick,
    /// Per pattern: (language index, weight).
    owners: Vec<Vec<(usize, usize)>>,
    /// Per pattern: whether it counts only at the start of a line (after indentation; written
    /// with a leading `^` in [`LANGUAGES`]).
    anchored: Vec<bool>,
    /// Whole-line signs: (line text, language index, weight).
    lines: Vec<(&'static str, usize, usize)>,
}

fn signs() -> Option<&'static Signs> {
    static SIGNS: std::sync::OnceLock<Option<Signs>> = std::sync::OnceLock::new();
    SIGNS
        .get_or_init(|| {
            let mut patterns: Vec<&'static str> = Vec::new();
            let mut owners: Vec<Vec<(usize, usize)>> = Vec::new();
            let mut lines = Vec::new();
            let mut anchored: Vec<bool> = Vec::new();
            for (i, (_, strong, weak)) in LANGUAGES.iter().enumerate() {
                for (sign, weight) in strong
                    .iter()
                    .map(|s| (s, 3))
                    .chain(weak.iter().map(|s| (s, 1)))
                {
                    let (text, at_start) = match sign.strip_prefix('^') {
                        Some(rest) => (rest, true),
                        None => (*sign, false),
                    };
                    if let Some(line) = text.strip_suffix('\n') {
                        lines.push((line, i, weight));
                    } else if let Some(at) = patterns
                        .iter()
                        .zip(&anchored)
                        .position(|(p, a)| *p == text && *a == at_start)
                    {
                        owners[at].push((i, weight));
                    } else {
                        patterns.push(text);
                        anchored.push(at_start);
                        owners.push(vec![(i, weight)]);
                    }
                }
            }
            let automaton = aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .build(&patterns)
                .ok()?;
            Some(Signs {
                automaton,
                owners,
                anchored,
                lines,
            })
        })
        .as_ref()
}

/// How much of a text the language is judged on.
const LANGUAGE_HEAD: usize = 8 * 1024;

/// The programming language of `text`, by its syntax: each language's signs counted in the
/// first 8 KB (a sign once per line, found in one pass of an automaton); code-shaped lines
/// (ending in `;`, `{`, `}`, `:`, `)` or `,`, or indented) must be at least a quarter of the
/// non-blank lines.
pub fn language(text: &str) -> Option<&'static str> {
    let signs = signs()?;
    let mut end = text.len().min(LANGUAGE_HEAD);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    // Prose is told from code by its line ends before any sign is looked for.
    let (mut seen, mut shaped) = (0usize, 0usize);
    let mut comments = Comments::default();
    for line in head
        .lines()
        .filter(|l| !comments.comment(l) && !l.trim().is_empty())
        .take(40)
    {
        seen += 1;
        if code_shaped(line) {
            shaped += 1;
        }
    }
    if seen == 0 || shaped * 4 < seen {
        return None;
    }
    let mut lines = 0usize;
    let mut shaped_lines = 0usize;
    let mut scores = [0usize; LANGUAGES.len()];
    // Per pattern, the last line it counted on (a sign counts once per line).
    let mut counted_on: Vec<usize> = vec![usize::MAX; signs.owners.len()];
    let mut line_start = 0usize;
    let mut matches = signs.automaton.find_overlapping_iter(head).peekable();
    let mut comments = Comments::default();
    for (line_no, line) in head.split_inclusive('\n').enumerate() {
        let line_end = line_start + line.len();
        let comment = comments.comment(line);
        while let Some(m) = matches.next_if(|m| m.start() < line_end) {
            let id = m.pattern().as_usize();
            // Words in comments and doc comments ("from", "import", "function") are prose.
            let placed = !signs.anchored[id] || line[..m.start() - line_start].trim().is_empty();
            if !comment && placed && counted_on[id] != line_no {
                counted_on[id] = line_no;
                for &(language, weight) in &signs.owners[id] {
                    scores[language] += weight;
                }
            }
        }
        let body = line.trim_end();
        if !body.trim().is_empty() && !comment {
            lines += 1;
            if code_shaped(line) {
                shaped_lines += 1;
            }
            let whole = body.trim();
            for &(sign, language, weight) in &signs.lines {
                if whole == sign {
                    scores[language] += weight;
                }
            }
        }
        line_start = line_end;
    }
    if lines == 0 || shaped_lines * 4 < lines {
        return None;
    }
    let mut order: Vec<usize> = (0..LANGUAGES.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(scores[i]));
    let (best, second) = (scores[order[0]], scores[order[1]]);
    // A score that grows with the text: at least six, and one sign per twenty lines.
    (best >= 6 && best >= lines / 20 && best >= second + 3).then(|| LANGUAGES[order[0]].0)
}

/// Follows block comments and docstrings line by line: `/* … */` and Python's `"""…"""`.
#[derive(Default)]
struct Comments {
    closer: Option<&'static str>,
}

impl Comments {
    /// Whether `line` is (part of) a comment.
    fn comment(&mut self, line: &str) -> bool {
        let l = line.trim();
        if let Some(closer) = self.closer {
            if l.contains(closer) {
                self.closer = None;
            }
            return true;
        }
        for (open, close) in [("/*", "*/"), ("\"\"\"", "\"\"\""), ("'''", "'''")] {
            if let Some(rest) = l.strip_prefix(open) {
                if !rest.contains(close) {
                    self.closer = Some(close);
                }
                return true;
            }
        }
        is_comment(line)
    }
}

/// A line shaped like code: ending in `;`, `{`, `}`, `:`, `)` or `,`, indented, or a
/// preprocessor directive.
fn code_shaped(line: &str) -> bool {
    let body = line.trim_end();
    body.ends_with([';', '{', '}', ':', ')', ','])
        || line.starts_with("    ")
        || line.starts_with('\t')
        || (line.starts_with('#') && !is_comment(line))
        || ["import ", "from ", "use ", "package ", "mod "]
            .iter()
            .any(|k| line.starts_with(k))
}

/// A comment line (a licence header says nothing about the code's shape).
fn is_comment(line: &str) -> bool {
    let l = line.trim_start();
    // C's preprocessor lines start with `#` too: they are code.
    const DIRECTIVES: &[&str] = &[
        "#include", "#define", "#if", "#endif", "#else", "#elif", "#undef", "#pragma", "#error",
        "#[", "#![",
    ];
    if DIRECTIVES.iter().any(|d| l.starts_with(d)) {
        return false;
    }
    ["//", "#", "/*", "* ", "--", "%"]
        .iter()
        .any(|c| l.starts_with(c))
        || l == "*"
        || l == "*/"
}

/// A `key value` setting (sshd_config, ldap.conf, gai.conf): an identifier, then one to three
/// values, and not a sentence.
fn key_space_value(l: &str) -> bool {
    let mut tokens = l.split_whitespace();
    let Some(key) = tokens.next() else {
        return false;
    };
    let values = tokens.count();
    (1..=3).contains(&values)
        && key.len() <= 40
        && key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !l.ends_with(['.', '!', '?', '。', ','])
}

/// Configuration: most non-comment lines are `key = value`, `key: value` or `[section]`, or the
/// text is a JSON object or an XML document.
fn is_configuration(text: &str) -> bool {
    let trimmed = text.trim_start();
    // The first 8 KB decide (a prose file's 500 lines can be all of it).
    let mut end = text.len().min(LANGUAGE_HEAD);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    if trimmed.starts_with("<?xml") || trimmed.starts_with("<!DOCTYPE") {
        return true;
    }
    let mut lines = 0usize;
    let mut settings = 0usize;
    // Inside a value quoted over several lines (a key or certificate in a `.env` file).
    let mut quoted = false;
    let mut commented = 0usize;
    for line in head.lines().take(500) {
        let l = line.trim();
        let quotes = l.matches('"').count();
        if quoted {
            quoted = quotes % 2 == 0;
            continue;
        }
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') || l.starts_with("//") {
            // A default left commented out (`#DSHELL=/bin/bash`) is a setting still.
            let inner = l.trim_start_matches(['#', ';', '/']).trim();
            if inner.split_once('=').is_some_and(|(k, _)| {
                let k = k.trim();
                !k.is_empty()
                    && k.len() <= 64
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            }) || key_space_value(inner)
            {
                commented += 1;
            }
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
        if (l.starts_with('[') && l.ends_with(']'))
            || key_value('=')
            || key_value(':')
            || key_space_value(l)
        {
            settings += 1;
        }
    }
    let json = trimmed.starts_with('{') && text.trim_end().ends_with('}');
    // One line is a setting only in the environment-file form (`DB_PASSWORD=…`).
    let env_line = || {
        head.lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .and_then(|l| l.split_once('='))
            .is_some_and(|(k, _)| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
    };
    (lines >= 2 && (settings * 10 >= lines * 7 || json && settings * 2 >= lines))
        || (lines == 1 && env_line())
        || (lines <= 2 && settings == lines && commented >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(bytes: &[u8]) -> Option<&'static str> {
        sniff(bytes).and_then(|k| k.format)
    }

    #[test]
    fn malformed_technical_files_are_not_recognised_and_never_panic() {
        // Intel HEX with a wrong checksum, a short count, non-hex digits.
        assert_eq!(
            format(b":10000000000102030405060708090A0B0C0D0E0F78\n:00000001FF\n"),
            Some("intel_hex")
        );
        assert_eq!(
            format(b":10000000000102030405060708090A0B0C0D0E0F79\n:00000001FF\n:00000001FF\n"),
            None
        );
        assert_eq!(format(b":0F000000000102\n:00000001FF\n:00000001FF\n"), None);
        assert_eq!(format(b":ZZ000000\n:ZZ\n:ZZ\n"), None);
        // S-records with a wrong checksum, and an odd number of digits.
        assert_eq!(
            format(b"S00F000068656C6C6F202020202000003C\nS9030000FC\n"),
            Some("srec")
        );
        assert_eq!(
            format(b"S00F000068656C6C6F202020202000003D\nS9030000FC\nS9030000FC\n"),
            None
        );
        assert_eq!(format(b"S9030000F\nS9030000F\nS9030000F\n"), None);
        // UF2 with its end magic missing, or cut short of a block.
        let mut uf2 = vec![0u8; 512];
        uf2[..4].copy_from_slice(&0x0A32_4655u32.to_le_bytes());
        uf2[4..8].copy_from_slice(&0x9E5D_5157u32.to_le_bytes());
        assert_eq!(format(&uf2), None);
        uf2[508..].copy_from_slice(&0x0AB1_6F30u32.to_le_bytes());
        assert_eq!(format(&uf2), Some("uf2"));
        assert_eq!(format(&uf2[..300]), None);
        // Binary STL whose size does not match its count; an ELF magic alone.
        let mut stl = vec![0u8; 84 + 50];
        stl[80] = 1;
        assert_eq!(format(&stl), Some("stl"));
        stl.push(0);
        assert_eq!(format(&stl), None);
        assert_eq!(format(b"\x7fELF"), None);
        // IGES lines of the wrong width or section; DXF without a section.
        let line = |s: char, n: u32| format!("{:72}{s}{n:7}\n", "");
        let iges: String = [line('S', 1), line('G', 1), line('D', 1), line('P', 1)].concat();
        assert_eq!(format(iges.as_bytes()), Some("iges"));
        assert_eq!(format(iges.replace('G', "X").as_bytes()), None);
        assert_eq!(format(&iges.as_bytes()[1..]), None);
        assert_eq!(format(b"0\nSECTION\n"), None);
        assert_eq!(format(b"0\nSECTION\n2\nHEADER\n"), Some("dxf"));
        // A DWG version string on a text file; a Cortex-M stack pointer with even handlers.
        assert_eq!(
            format(b"AC1015 is the version we use for drawings, see the wiki page"),
            None
        );
        let mut image = vec![0u8; 128];
        image[..4].copy_from_slice(&0x2000_8000u32.to_le_bytes());
        for i in 1..8 {
            image[i * 4..i * 4 + 4].copy_from_slice(&0x0800_0100u32.to_le_bytes());
        }
        image[100] = 0xff;
        assert_eq!(format(&image), None);
        for i in 1..8 {
            image[i * 4..i * 4 + 4].copy_from_slice(&0x0800_0101u32.to_le_bytes());
        }
        assert_eq!(format(&image), Some("raw_image"));
        // Without a vector table: code-like bytes and an erased page make an image; the same
        // with uniform random bytes (entropy near 8: compressed or encrypted) does not.
        let mut state = 7u32;
        let mut next = || {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        };
        let code: Vec<u8> = (0..1024)
            .map(|_| {
                let r = next();
                // Thumb-like: a few opcodes and small registers much more often than the rest.
                if r % 2 == 0 {
                    [0x00, 0x20, 0x46, 0x68, 0x60, 0xbd, 0xb5, 0x4b, 0x1c][usize::from(r % 9)]
                } else {
                    next()
                }
            })
            .collect();
        let mut padded = code.clone();
        padded.resize(2048, 0xff);
        assert_eq!(format(&padded), Some("raw_image"));
        assert_eq!(format(&code), None, "no erased page");
        let mut random: Vec<u8> = (0..1024).map(|_| next()).collect();
        random.resize(2048, 0xff);
        assert_eq!(format(&random), None, "random bytes");
        padded.push(0);
        assert_eq!(format(&padded), None, "not whole pages");
        // Every prefix of every sample: no panic.
        for sample in [iges.as_bytes(), &image, &uf2, &stl, b":00000001FF\n"] {
            for n in 0..sample.len() {
                let _ = sniff(&sample[..n]);
            }
        }
    }

    #[test]
    fn languages_by_syntax_not_extension() {
        let rust = "use std::io;\n\npub fn main() {\n    let mut x = 1;\n    println!(\"{x}\");\n}\n\n#[derive(Debug)]\npub struct A;\nimpl A {\n    pub fn new() -> Self { A }\n}\n";
        assert_eq!(language(rust), Some("rust"));
        let python = "import os\nfrom sys import argv\n\ndef main():\n    for a in argv:\n        print(a)\n    return None\n\nif __name__ == '__main__':\n    main()\n";
        assert_eq!(language(python), Some("python"));
        let go = "package main\n\nimport (\n\t\"fmt\"\n)\n\nfunc main() {\n\tx := 1\n\tfmt.Println(x)\n}\n";
        assert_eq!(language(go), Some("go"));
        // A licence header does not hide the code under it.
        let mut c = "/*\n".to_owned();
        for _ in 0..30 {
            c.push_str(" * Licensed under the Apache License, Version 2.0 (the \"License\")\n");
        }
        c.push_str(" */\n#include <stdint.h>\n#define N 4\nstatic void f(uint32_t *p)\n{\n    *p = N;\n}\ntypedef struct {\n    int a;\n} s_t;\n");
        assert_eq!(language(&c), Some("c"));
        // Prose with a colon or two is not code.
        assert_eq!(
            language("議事録\n出席者: 田中、佐藤\n本日の議題は来期の予算である。\n"),
            None
        );
    }
}
