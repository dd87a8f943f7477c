//! Business partners: the companies whose Corporate Numbers (法人番号, validated by their check
//! digit in [`crate::patterns`]) a file holds, with the name written beside each — the list a
//! contracts team needs to inform them. A Corporate Number is a public identifier (the National
//! Tax Agency publishes every one), so it is kept in clear.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// A partner found in one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Partner {
    /// The 13-digit Corporate Number.
    pub corporate_number: String,
    /// The company's name as the file writes it beside the number, if it does.
    pub name: Option<String>,
    /// Table rows holding the number (a document counts as one).
    pub records: u64,
}

/// The partners seen so far in a file.
#[derive(Debug, Default)]
pub struct Seen(BTreeMap<String, (Option<String>, u64)>);

/// Legal-form words that make a string a company's name (before or after it).
const FORMS_BEFORE: &[&str] = &[
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "一般社団法人",
    "公益財団法人",
    "(株)",
    "(有)",
];
const FORMS_AFTER: &[&str] = &[
    "株式会社",
    "有限会社",
    "合同会社",
    "(株)",
    "co., ltd.",
    "co.,ltd.",
    "inc.",
    "corporation",
    "k.k.",
    "ltd.",
];

/// Headers of a column of company names.
const COMPANY_HEADERS: &[&str] = &[
    "会社名",
    "社名",
    "法人名",
    "取引先",
    "得意先",
    "仕入先",
    "委託先",
    "company",
    "vendor",
    "supplier",
    "partner",
];

/// Where a name stops.
fn is_stop(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '、' | '。' | ',' | '(' | ')' | '「' | '」' | '【' | '】' | ':' | ';' | '/' | '|' | '"'
        )
}

/// The legal forms, before and after a name, in one automaton (ASCII case ignored).
fn forms() -> Option<&'static (aho_corasick::AhoCorasick, usize)> {
    static FORMS: std::sync::OnceLock<Option<(aho_corasick::AhoCorasick, usize)>> =
        std::sync::OnceLock::new();
    FORMS
        .get_or_init(|| {
            let all: Vec<&str> = FORMS_BEFORE.iter().chain(FORMS_AFTER).copied().collect();
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&all)
                .ok()
                .map(|a| (a, FORMS_BEFORE.len()))
        })
        .as_ref()
}

/// A company's name in `s` (a cell or the text just before a number): the last run that
/// carries a legal form. The parentheses of `(株)` belong to the name.
pub fn company_name(s: &str) -> Option<String> {
    let (automaton, before_count) = forms()?;
    // The form ending last; of two ending together (`Co., Ltd.`, `Ltd.`), the longer.
    let mut best: Option<(usize, usize, bool)> = None; // (start, end, form before the name)
    for m in automaton.find_overlapping_iter(s) {
        let (at, end) = (m.start(), m.end());
        let before = m.pattern().as_usize() < *before_count;
        if best.is_none_or(|(b, e, _)| end > e || (end == e && at < b)) {
            best = Some((at, end, before));
        }
    }
    let (start, end, before) = best?;
    let name = if before {
        // 株式会社サンプル商事: the form, then the name up to a stop.
        let rest = &s[end..];
        let stop = rest.find(is_stop).unwrap_or(rest.len());
        if stop == 0 {
            // `X株式会社` read from its end: the form may also follow the name.
            let head = &s[..end];
            let begin = head[..start].rfind(is_stop).map_or(0, |i| {
                i + head[i..].chars().next().map_or(1, char::len_utf8)
            });
            &s[begin..end]
        } else {
            &s[start..end + stop]
        }
    } else {
        // サンプル商事株式会社, Example Co., Ltd.: back to a stop before the name (spaces
        // inside an English name are kept).
        let head = &s[..start];
        let ascii = head.is_ascii();
        let begin = head
            .char_indices()
            .rev()
            .find(|&(_, c)| {
                if ascii {
                    matches!(c, ',' | '(' | ')' | ':' | '|' | '"')
                } else {
                    is_stop(c)
                }
            })
            .map_or(0, |(i, c)| i + c.len_utf8());
        &s[begin..end]
    };
    let name = name.trim();
    (name.chars().count() > 2 && name.chars().count() <= 60).then(|| name.to_owned())
}

impl Seen {
    fn note(&mut self, number: &str, name: Option<String>) {
        let entry = self.0.entry(number.to_owned()).or_insert((None, 0));
        entry.1 += 1;
        if entry.0.is_none() {
            entry.0 = name;
        }
    }

    /// A number in a table row: the name from a company column, or from a cell that reads as
    /// a company's name.
    pub fn seen_in_row(&mut self, number: &str, header: &[String], cells: &[Cow<'_, str>]) {
        let column = header.iter().position(|h| {
            let h = h.to_lowercase();
            COMPANY_HEADERS.iter().any(|w| h.contains(w))
        });
        let name = column
            .and_then(|i| cells.get(i))
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty() && !c.chars().all(|ch| ch.is_ascii_digit()))
            .or_else(|| cells.iter().find_map(|c| company_name(c.trim())));
        self.note(number, name);
    }

    /// A number in free text (`normal`: the folded text it was found in, at byte `at`): the
    /// name written in the 80 characters before it, once per document.
    pub fn seen_in_text(&mut self, number: &str, normal: &str, at: usize) {
        if self.0.contains_key(number) {
            return;
        }
        let name = normal.get(..at).and_then(|before| {
            let from = before.char_indices().rev().nth(79).map_or(0, |(i, _)| i);
            // The name's line only.
            let window = &before[from..];
            let window = window.rsplit('\n').next().unwrap_or(window);
            company_name(window)
        });
        self.note(number, name);
    }

    /// The partners, by number.
    pub fn into_list(self) -> Vec<Partner> {
        self.0
            .into_iter()
            .map(|(corporate_number, (name, records))| Partner {
                corporate_number,
                name,
                records,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_beside_numbers() {
        assert_eq!(
            company_name("株式会社サンプル商事12(法人番号 ").as_deref(),
            Some("株式会社サンプル商事12")
        );
        assert_eq!(
            company_name("取引先: みらい工業株式会社 法人番号").as_deref(),
            Some("みらい工業株式会社")
        );
        assert_eq!(
            company_name("Vendor: Example Trading Co., Ltd. (Corporate Number ").as_deref(),
            Some("Example Trading Co., Ltd.")
        );
        assert_eq!(company_name("法人番号"), None);
        let mut seen = Seen::default();
        let text = "業務委託契約書\n株式会社東洋精機3(法人番号 1180301018771、以下「甲」という)と";
        seen.seen_in_text("1180301018771", text, text.find("1180301018771").unwrap());
        let header = vec!["顧客ID".to_string(), "会社名".into(), "法人番号".into()];
        let cells: Vec<Cow<'_, str>> = vec![
            "C-1".into(),
            "株式会社ひかり電子7".into(),
            "7000012050002".into(),
        ];
        seen.seen_in_row("7000012050002", &header, &cells);
        seen.seen_in_row("7000012050002", &header, &cells);
        let list = seen.into_list();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name.as_deref(), Some("株式会社東洋精機3"));
        assert_eq!(list[0].records, 1);
        assert_eq!(list[1].name.as_deref(), Some("株式会社ひかり電子7"));
        assert_eq!(list[1].records, 2);
    }
}
