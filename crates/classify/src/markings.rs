//! Confidentiality markings (社外秘, Confidential, …) where documents put them — their first
//! lines, headers and footers — and the terms of export control (該非判定, ECCN, …) and of
//! installations of social infrastructure (発電所, SCADA, …).
//!
//! A marking is a label, not a word in a sentence: it must stand alone in its line or cell,
//! set off by brackets, spaces, colons or the line's ends (`【社外秘】`, `区分：社外秘`,
//! `CONFIDENTIAL - DO NOT DISTRIBUTE`), on a short line. So 秘書 (secretary), 機密保持契約書 (a
//! non-disclosure agreement's title) and an e-mail footer's "This message is confidential …"
//! are not markings.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Confidentiality markings, Japanese and English (matched without regard to case).
const CONFIDENTIAL: &[&str] = &[
    "社外秘",
    "部外秘",
    "関係者外秘",
    "極秘",
    "厳秘",
    "機密",
    "取扱注意",
    "社内限り",
    "社内限定",
    "strictly confidential",
    "company confidential",
    "confidential",
    "internal use only",
    "for internal use only",
    "proprietary",
    "trade secret",
    "nda",
    "under nda",
];

/// Export-control terms.
const EXPORT: &[&str] = &[
    "該非判定",
    "輸出管理",
    "リスト規制",
    "外為法",
    "安全保障貿易",
    "eccn",
    "ear99",
    "itar",
];

/// Installations of power, rail, water, gas, telecom and industrial control.
const INFRASTRUCTURE: &[&str] = &[
    "発電所",
    "変電所",
    "送電網",
    "配電網",
    "系統制御",
    "鉄道",
    "信号保安",
    "運行管理",
    "上下水道",
    "浄水場",
    "下水処理",
    "ガス導管",
    "都市ガス",
    "ガス供給",
    "通信基地局",
    "交換局",
    "制御システム",
    "scada",
    "plc",
    "dcs",
    "rtu",
    "power plant",
    "substation",
    "power grid",
    "railway",
    "water treatment",
    "wastewater",
    "gas pipeline",
    "industrial control",
];

/// What [`Markings::find`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Markings as written (confidentiality and export control), in order of appearance,
    /// without repeats.
    pub markings: Vec<String>,
    /// A confidentiality marking.
    pub confidential: bool,
    /// An export-control term.
    pub export_controlled: bool,
    /// Infrastructure terms (distinct).
    pub infrastructure_terms: usize,
}

/// The compiled term lists.
pub struct Markings {
    confidential: AhoCorasick,
    terms: AhoCorasick,
}

/// How much text the export-control and infrastructure terms are looked for in (the start;
/// the end is looked at as a footer).
const BODY: usize = 16 * 1024;

/// Longest line (in characters) that can be a marking line.
const MARKING_LINE: usize = 48;

impl Markings {
    /// Compiles the lists.
    pub fn new() -> Result<Self, aho_corasick::BuildError> {
        let build = |words: &[&str]| {
            AhoCorasickBuilder::new()
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(words)
        };
        let mut terms: Vec<&str> = EXPORT.to_vec();
        terms.extend(INFRASTRUCTURE);
        Ok(Markings {
            confidential: build(CONFIDENTIAL)?,
            terms: build(&terms)?,
        })
    }

    /// Looks for markings in the head and foot of `text` and in `margins` (headers, footers,
    /// sheet names, a table's first rows), and for export-control and infrastructure terms in
    /// the first 16 KB of `text` and the margins.
    pub fn find(&self, text: &str, margins: &[&str]) -> Found {
        self.find_within(text, margins, BODY)
    }

    /// [`Markings::find`] with the terms looked for in the first `body` bytes of `text` (source
    /// code and settings name their export classification or installation in their header
    /// comment; a document may say it pages later).
    pub fn find_within(&self, text: &str, margins: &[&str], body: usize) -> Found {
        let mut found = Found::default();
        let non_blank = || text.lines().filter(|l| !l.trim().is_empty());
        let head = non_blank().take(10);
        let tail: Vec<&str> = {
            let end = text.len().saturating_sub(4096);
            let end = (end..=text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(text.len());
            let mut t: Vec<&str> = text[end..]
                .lines()
                .filter(|l| !l.trim().is_empty())
                .collect();
            let keep = t.len().saturating_sub(5);
            t.drain(..keep);
            t
        };
        for line in head
            .chain(tail)
            .chain(margins.iter().flat_map(|m| m.lines()))
        {
            for cell in line.split(['\t', ',', '|']) {
                self.marking_in(cell, &mut found);
            }
        }
        let mut body_end = text.len().min(body);
        while !text.is_char_boundary(body_end) {
            body_end -= 1;
        }
        let mut infrastructure: Vec<usize> = Vec::new();
        for part in std::iter::once(&text[..body_end]).chain(margins.iter().copied()) {
            for m in self.terms.find_iter(part) {
                if !word_bounded(part, m.start(), m.end()) {
                    continue;
                }
                let id = m.pattern().as_usize();
                if id < EXPORT.len() {
                    let written = &part[m.start()..m.end()];
                    // ECCN must be followed by a classification (e.g. 3A001) within a few
                    // characters; the others stand for themselves.
                    if written.eq_ignore_ascii_case("eccn") && !eccn_follows(&part[m.end()..]) {
                        continue;
                    }
                    found.export_controlled = true;
                    push_unique(&mut found.markings, written);
                } else if !infrastructure.contains(&id) {
                    infrastructure.push(id);
                }
            }
        }
        found.infrastructure_terms = infrastructure.len();
        found
    }

    /// A confidentiality marking standing alone in `cell`.
    fn marking_in(&self, cell: &str, found: &mut Found) {
        let cell = cell.trim();
        if cell.is_empty() || cell.chars().count() > MARKING_LINE || cell.contains(['。', '、']) {
            return;
        }
        // A sentence is not a label: at most eight words.
        if cell.split_whitespace().count() > 8 {
            return;
        }
        for m in self.confidential.find_iter(cell) {
            if set_off(cell, m.start(), m.end()) {
                found.confidential = true;
                push_unique(&mut found.markings, &cell[m.start()..m.end()]);
            }
        }
    }
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_owned());
    }
}

/// Characters that set a label off from its surroundings.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '【' | '】'
                | '['
                | ']'
                | '［'
                | '］'
                | '('
                | ')'
                | '（'
                | '）'
                | '<'
                | '>'
                | '＜'
                | '＞'
                | '「'
                | '」'
                | '『'
                | '』'
                | ':'
                | '：'
                | '-'
                | '－'
                | '—'
                | '/'
                | '・'
                | '*'
                | '＊'
                | '_'
                | '#'
                | '"'
                | '\''
                | '|'
                | '!'
                | '.'
        )
        || c == '\u{3000}'
}

/// Whether the match is set off on both sides (a line's ends count).
fn set_off(s: &str, start: usize, end: usize) -> bool {
    let before = s[..start].chars().next_back();
    let after = s[end..].chars().next();
    before.is_none_or(is_separator) && after.is_none_or(is_separator)
}

/// Whether an ASCII term is a whole word (a CJK term needs no boundary).
fn word_bounded(s: &str, start: usize, end: usize) -> bool {
    if !s.as_bytes()[start].is_ascii_alphabetic() {
        return true;
    }
    let before = s[..start].chars().next_back();
    let after = s[end..].chars().next();
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
    boundary(before) && boundary(after)
}

/// An export-control classification number (`3A001`, `5D002.c.1`, `EAR99`) within a few
/// characters.
fn eccn_follows(rest: &str) -> bool {
    let near: String = rest.chars().take(12).collect();
    near.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        let b = w.as_bytes();
        (b.len() == 5
            && b[0].is_ascii_digit()
            && (b'A'..=b'E').contains(&b[1].to_ascii_uppercase())
            && b[2..].iter().all(u8::is_ascii_digit))
            || w.eq_ignore_ascii_case("ear99")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Found {
        Markings::new().unwrap().find(text, &[])
    }

    #[test]
    fn markings_stand_alone_near_misses_do_not() {
        let f = find("【社外秘】\nモータ制御 基本設計書\n本書の内容は以下の通り。\n");
        assert_eq!(f.markings, ["社外秘"]);
        assert!(f.confidential);
        let f = find("区分：関係者外秘\n...\n");
        assert_eq!(f.markings, ["関係者外秘"]);
        let f = find("Design notes\nCONFIDENTIAL - DO NOT DISTRIBUTE\n");
        assert_eq!(f.markings, ["CONFIDENTIAL"]);
        for negative in [
            "秘書課より連絡があった。\n",
            "機密保持契約書\n第1条 目的\n",
            "当社は、お客様の個人情報の秘密保持に努め、機密情報を適切に管理します。\n",
            "Regards,\nT. Sato\nThis e-mail and any attachments are confidential and intended solely for the addressee.\n",
        ] {
            let f = find(negative);
            assert!(!f.confidential, "{negative}: {f:?}");
        }
        // In the body, not in a header: not a marking.
        let mut long = "本文の段落。\n".repeat(30);
        long.insert_str(long.len() / 2, "社外秘\n");
        assert!(!find(&long).confidential);
        // A DOCX footer part (a margin).
        let f = Markings::new()
            .unwrap()
            .find("本文", &["Page 3 | Strictly Confidential"]);
        assert_eq!(f.markings, ["Strictly Confidential"]);
    }

    #[test]
    fn export_control_and_infrastructure_terms() {
        let f = find("該非判定書\n対象: 制御基板 ECCN: 3A001.a.2\n");
        assert!(f.export_controlled);
        assert_eq!(f.markings, ["該非判定", "ECCN"]);
        // ECCN with no classification beside it is a word, not a determination.
        assert!(!find("What is an ECCN anyway?\n").export_controlled);
        assert!(find("Classification: EAR99\n").export_controlled);
        let f = find("変電所の監視 SCADA と PLC の通信仕様\n");
        assert_eq!(f.infrastructure_terms, 3);
        // PLC inside a word is not one.
        assert_eq!(find("APLCODE\n").infrastructure_terms, 0);
    }
}
