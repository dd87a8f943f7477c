//! Content classification for breachscope: which files hold personal data, secrets or business
//! identifiers, and how many distinct values — validated, not guessed, and never kept in clear.
//!
//! * [`extract`]: format by content, text and tables (CSV/TSV, DOCX/PPTX, XLSX/XLS/ODS, PDF via
//!   `pdftotext`, ZIP and gzip with bomb limits);
//! * [`decode`]: encodings (BOM, UTF-8/16, Shift_JIS/CP932, EUC-JP, ISO-2022-JP) and NFKC;
//! * [`patterns`]: one multi-pattern pass with validators (Luhn with real IIN ranges, My Number
//!   and Corporate Number check digits, IBAN mod-97, phone number plans);
//! * [`key`]: the per-installation HMAC key; values leave the classifier only as keyed hashes
//!   and masked samples;
//! * [`walk`]: read-only, access-time-preserving, parallel walking of a share copy.

pub mod cache;
pub mod decode;
pub mod extract;
pub mod key;
pub mod kind;
pub mod markings;
mod ooxml;
pub mod partners;
pub mod patterns;
pub mod projects;
pub mod walk;
mod xlsx;

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::extract::{Extracted, Limits, Table};
use crate::patterns::{Context, Found, Patterns};

/// Categories that are personal data (report-v1); the others are business identifiers and
/// secrets.
pub use breachscope_model::categories::PERSONAL;

/// A 128-bit keyed hash of a normalised value.
pub type ValueHash = [u8; 16];

/// Sorts keyed hashes and drops repeats (compared as 128-bit numbers, the same order as bytes).
pub fn sort_distinct(hashes: &mut Vec<ValueHash>) {
    hashes.sort_unstable_by_key(|h| u128::from_be_bytes(*h));
    hashes.dedup();
}

/// The classification of one file. It holds no clear-text value: keyed hashes and masked
/// samples only, so it can be cached and written out.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileClassification {
    /// Format (`csv`, `xlsx`, …).
    pub format: String,
    /// Encoding.
    pub encoding: String,
    /// Category → distinct values.
    pub categories: BTreeMap<String, u64>,
    /// Table rows (or, for free text, nothing) with personal data.
    pub records_with_personal_data: u64,
    /// Labels (`personal_data`, `sensitive_personal_data`, `financial`, `credentials`,
    /// `business_partner`).
    pub labels: Vec<String>,
    /// Estimated people.
    pub data_subjects: u64,
    /// Keyed hashes of the distinct values, by category (for distinct counts across files):
    /// each list sorted, without repeats.
    #[serde(with = "hex_hashes")]
    pub hashes: BTreeMap<String, Vec<ValueHash>>,
    /// Up to three masked samples per category.
    pub samples: BTreeMap<String, Vec<String>>,
    /// Identifier-shaped numbers that failed their check (not counted).
    pub near_misses: u64,
    /// Limits hit, members not read.
    pub warnings: Vec<String>,
    /// What kind of content ([`kind`]): `source_code`, `cad`, `firmware`, `table`, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The language of source code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The CAD, EDA or firmware format found by its magic (`step`, `elf`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technical_format: Option<String>,
    /// Confidentiality and export-control markings, as written ([`markings`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markings: Vec<String>,
    /// The business partners whose Corporate Numbers the file holds (a public identifier,
    /// kept in clear), with the name found beside each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<partners::Partner>,
}

/// Bumped whenever a file's classification can change for the same bytes, so that cached
/// results of an older classifier are not reused.
pub const CLASSIFIER_VERSION: u32 = 2;

/// Keyed hashes as lower-case hex in serialised form.
mod hex_hashes {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::ValueHash;

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<String, Vec<ValueHash>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let hex: BTreeMap<&String, Vec<String>> = map
            .iter()
            .map(|(k, set)| (k, set.iter().map(|h| breachscope_model::hex(h)).collect()))
            .collect();
        hex.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Vec<ValueHash>>, D::Error> {
        let hex: BTreeMap<String, Vec<String>> = BTreeMap::deserialize(d)?;
        let mut out = BTreeMap::new();
        for (k, list) in hex {
            let mut set = Vec::with_capacity(list.len());
            for h in list {
                let mut v = [0u8; 16];
                if h.len() != 32 {
                    return Err(serde::de::Error::custom("a hash is not 32 hex digits"));
                }
                for (i, byte) in v.iter_mut().enumerate() {
                    *byte = u8::from_str_radix(&h[2 * i..2 * i + 2], 16)
                        .map_err(serde::de::Error::custom)?;
                }
                set.push(v);
            }
            super::sort_distinct(&mut set);
            out.insert(k, set);
        }
        Ok(out)
    }
}

/// Why a file could not be classified.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// Extraction failed.
    #[error(transparent)]
    Extract(#[from] extract::ExtractError),
}

/// Why the classifier could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The value patterns.
    #[error(transparent)]
    Patterns(#[from] patterns::PatternError),
    /// The marking lists.
    #[error("marking lists: {0}")]
    Markings(#[from] aho_corasick::BuildError),
}

/// Maps a table header to the category its cells hold, for categories no pattern validates.
pub fn header_category(header: &str) -> Option<&'static str> {
    let h = decode::normalize(header).to_lowercase();
    let h = h.trim();
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if has(&["フリガナ", "ふりがな", "kana"]) {
        None
    } else if has(&["生年月日", "誕生日", "birth", "dob"]) {
        Some("date_of_birth")
    } else if has(&["郵便番号", "postal", "zip", "postcode"]) {
        Some("postal_code")
    } else if has(&["住所", "所在地", "address"]) && !has(&["mail", "メール"]) {
        Some("postal_address")
    } else if has(&["口座", "振込先", "bank account", "account no"]) {
        Some("bank_account")
    } else if has(&["氏名", "名前", "担当者", "顧客名", "full name"]) || h == "name" {
        Some("person_name")
    } else {
        None
    }
}

/// The normal form of a cell's value in a column mapped to `category` (the cell is folded
/// already): whitespace runs become one space; `None` for an empty or `-` cell.
fn normal_cell(category: &str, value: &str) -> Option<String> {
    let value = value.trim();
    let spaced_oddly = value.contains("  ") || value.chars().any(|c| c.is_whitespace() && c != ' ');
    let v = if spaced_oddly {
        value.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        value.to_owned()
    };
    if v.is_empty() || v == "-" {
        return None;
    }
    Some(match category {
        "date_of_birth" => {
            let digits: Vec<&str> = v
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .collect();
            match digits.as_slice() {
                [y, m, d, ..] if y.len() == 4 => format!("{y}-{:0>2}-{:0>2}", m, d),
                _ => v,
            }
        }
        "postal_code" => v.trim_start_matches('〒').trim().to_owned(),
        _ => v,
    })
}

/// Masks a value for display: `t***@example.co.jp`, `**** 1234`, `田***`.
pub fn mask(category: &str, normal: &str) -> String {
    match category {
        "email" => match normal.split_once('@') {
            Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
            None => "***".into(),
        },
        "credit_card" | "my_number" | "corporate_number" | "phone" | "iban" | "bank_account" => {
            let tail: String = normal
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("****{tail}")
        }
        "password" => "********".into(),
        "private_key" | "cloud_access_key" | "api_token" => {
            format!("{}***", normal.chars().take(4).collect::<String>())
        }
        _ => format!("{}***", normal.chars().next().unwrap_or('*')),
    }
}

/// Largest folded-text buffer a thread keeps for its next text.
const KEPT_TEXT: usize = 64 << 20;

/// Calls `f` with `text` folded ([`decode::normalize`], leaving the ASCII bytes in `keep`
/// unfolded): the folded copy goes into a buffer each thread keeps, since a fresh one per
/// file would touch fresh memory every time; text with nothing to fold is passed as it is.
fn with_folded<R>(text: &str, keep: &[u8], f: impl FnOnce(&str) -> R) -> R {
    thread_local! {
        static FOLDED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    FOLDED.with(|cell| {
        // Taken out of the cell, so that a nested call (none today) would get a fresh buffer
        // rather than a borrow panic.
        let mut folded = cell.take();
        let result = if decode::normalize_into_keeping(text, &mut folded, keep) {
            f(&folded)
        } else {
            f(text)
        };
        if folded.capacity() <= KEPT_TEXT {
            cell.replace(folded);
        }
        result
    })
}

/// The keyed hashes of the values found in one file, per category, as they are found.
#[derive(Debug, Default)]
struct Values(Vec<CategoryValues>);

#[derive(Debug, Default)]
struct CategoryValues {
    category: &'static str,
    /// Every value's hash, repeats included.
    hashes: Vec<ValueHash>,
    /// The hashes of the values sampled so far.
    sampled: Vec<ValueHash>,
}

thread_local! {
    /// Working buffers of finished files, kept by each scanning thread for its next file.
    static SPARE_VALUES: std::cell::RefCell<Vec<CategoryValues>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Largest working buffer kept for the next file (in hashes).
const KEPT_HASHES: usize = 1 << 20;

impl CategoryValues {
    /// Empty buffers for `category`, reusing a finished file's where the thread has one.
    fn new(category: &'static str) -> Self {
        let spare = SPARE_VALUES.with_borrow_mut(Vec::pop);
        let mut v = spare.unwrap_or_default();
        v.category = category;
        v
    }

    /// Empties the buffers and keeps them for the thread's next file.
    fn recycle(mut self) {
        if self.hashes.capacity() > KEPT_HASHES {
            return;
        }
        self.hashes.clear();
        self.sampled.clear();
        SPARE_VALUES.with_borrow_mut(|spare| {
            if spare.len() < 32 {
                spare.push(self);
            }
        });
    }
}

/// The classifier: compiled patterns, limits and the installation key.
pub struct Classifier {
    patterns: Patterns,
    markings: markings::Markings,
    limits: Limits,
    /// HMAC-SHA-256 keyed with the installation key (HMAC takes keys of any length).
    mac: Option<Hmac<Sha256>>,
}

impl Classifier {
    /// A classifier using `key` for the keyed hashes.
    pub fn new(key: Vec<u8>, limits: Limits) -> Result<Self, BuildError> {
        let mac = Hmac::<Sha256>::new_from_slice(&key).ok();
        Ok(Classifier {
            patterns: Patterns::new()?,
            markings: markings::Markings::new()?,
            limits,
            mac,
        })
    }

    /// The keyed hash of a value (HMAC-SHA-256, first 16 bytes).
    pub fn hash(&self, category: &str, normal: &str) -> ValueHash {
        let mut out = [0u8; 16];
        // The keyed state is made once; cloning it saves two SHA-256 blocks per value.
        if let Some(mut mac) = self.mac.clone() {
            mac.update(category.as_bytes());
            mac.update(&[0]);
            mac.update(normal.as_bytes());
            out.copy_from_slice(&mac.finalize().into_bytes()[..16]);
        }
        out
    }

    /// Classifies a file's bytes (a plain UTF-8 text file is read where it lies, not copied).
    pub fn classify(&self, bytes: &[u8]) -> Result<FileClassification, ClassifyError> {
        let sniffed = kind::sniff(bytes);
        if let Some(plain) = extract::plain_utf8(bytes) {
            let mut c = FileClassification {
                encoding: "utf-8".into(),
                ..FileClassification::default()
            };
            let mut values = Values::default();
            let mut partners = partners::Seen::default();
            let rows = match plain {
                extract::PlainUtf8::Text(text) => {
                    c.format = "text".into();
                    self.scan_text(text, &mut c, &mut values, &mut partners);
                    self.describe(&mut c, sniffed, text, &[], &[]);
                    0
                }
                extract::PlainUtf8::Table(table, format) => {
                    c.format = format.into();
                    let rows = self.table(&table, &mut c, &mut values, &mut partners);
                    self.describe(
                        &mut c,
                        sniffed,
                        &table.text,
                        std::slice::from_ref(&table),
                        &[],
                    );
                    rows
                }
            };
            c.partners = partners.into_list();
            self.summarise(&mut c, values, rows);
            if let Some(format) = c.technical_format.clone() {
                c.format = format;
            }
            return Ok(c);
        }
        let extracted = extract::extract(bytes, &self.limits)?;
        let mut c = self.classify_extracted(extracted);
        if let Some(format) = sniffed.as_ref().and_then(|k| k.format) {
            c.format = format.to_owned();
        }
        if let Some(k) = sniffed {
            // A binary CAD or firmware format the magic named (the text extraction could not).
            c.kind = Some(k.kind.to_owned());
            c.technical_format = k.format.map(str::to_owned);
            c.language = None;
            if !c.labels.iter().any(|l| l == "technical") {
                c.labels.push("technical".to_owned());
            }
        }
        Ok(c)
    }

    /// The file's kind, language and markings, and their labels.
    fn describe(
        &self,
        c: &mut FileClassification,
        sniffed: Option<kind::Kind>,
        text: &str,
        tables: &[Table<'_>],
        margins: &[&str],
    ) {
        // The head of a document: its first lines, and a table's first rows.
        let head: String = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(5)
            .collect::<Vec<_>>()
            .join("\n");
        let mut all_margins: Vec<&str> = margins.to_vec();
        let table_heads: Vec<String> = tables
            .iter()
            .filter(|t| !std::ptr::eq(t.text.as_ref(), text))
            .map(|t| t.text.lines().take(3).collect::<Vec<_>>().join("\n"))
            .collect();
        all_margins.extend(table_heads.iter().map(String::as_str));
        let head_for_kind = if head.is_empty() {
            table_heads.first().map_or("", String::as_str)
        } else {
            &head
        };
        let k = kind::settle(
            sniffed,
            &kind::Content {
                format: &c.format,
                text,
                tables,
                head: head_for_kind,
            },
        );
        c.kind = Some(k.kind.to_owned());
        c.language = k.language.map(str::to_owned);
        c.technical_format = k.format.map(str::to_owned);
        // Code and settings carry their markings and terms in a header comment.
        let body = if matches!(k.kind, "source_code" | "configuration") {
            4 * 1024
        } else {
            16 * 1024
        };
        let found = self.markings.find_within(text, &all_margins, body);
        c.markings = found.markings;
        // Content labels; [`Classifier::summarise`] puts the personal-data ones before them.
        let technical = kind::TECHNICAL.contains(&k.kind);
        if technical {
            c.labels.push("technical".to_owned());
        }
        if found.confidential {
            c.labels.push("confidential".to_owned());
        }
        if found.export_controlled {
            c.labels.push("export_controlled".to_owned());
        }
        // Installations of social infrastructure, in a technical context: a technical file, or
        // a document naming itself a design.
        if found.infrastructure_terms > 0 && (technical || kind::names_design(head_for_kind)) {
            c.labels.push("infrastructure".to_owned());
        }
    }

    /// Finds the values in free text.
    fn scan_text(
        &self,
        text: &str,
        c: &mut FileClassification,
        values: &mut Values,
        partners: &mut partners::Seen,
    ) {
        let mut found = Vec::new();
        with_folded(text, &[], |normal| {
            let mut searcher = self.patterns.searcher();
            let context = Context::default();
            for &candidate in searcher.find(normal) {
                let before = found.len();
                self.patterns
                    .validate(normal, candidate, context, &mut found, &mut c.near_misses);
                // A document names each partner once (one record), with the name written
                // before its number where there is one.
                for f in found[before..]
                    .iter()
                    .filter(|f| f.category == "corporate_number")
                {
                    partners.seen_in_text(&f.normal, normal, candidate.start);
                }
            }
        });
        for f in found {
            self.add(c, values, f);
        }
    }

    fn add(&self, c: &mut FileClassification, values: &mut Values, f: Found) {
        let h = self.hash(f.category, &f.normal);
        let i = match values.0.iter().position(|v| v.category == f.category) {
            Some(i) => i,
            None => {
                values.0.push(CategoryValues::new(f.category));
                values.0.len() - 1
            }
        };
        let v = &mut values.0[i];
        v.hashes.push(h);
        // The first three distinct values are the samples.
        if v.sampled.len() < 3 && !v.sampled.contains(&h) {
            v.sampled.push(h);
            c.samples
                .entry(f.category.to_owned())
                .or_default()
                .push(mask(f.category, &f.normal));
        }
    }

    /// Finds the values in a table and returns the rows with personal data. The folded text
    /// is searched in one pass; each match is then placed in its row and column, whose header
    /// is its context; columns whose header names a category no pattern validates (names,
    /// addresses, birth dates) give their cells' values.
    fn table(
        &self,
        table: &Table<'_>,
        c: &mut FileClassification,
        values: &mut Values,
        partners: &mut partners::Seen,
    ) -> u64 {
        with_folded(&table.text, &[table.delimiter, b'"'], |text| {
            self.table_rows(table, text, c, values, partners)
        })
    }

    fn table_rows(
        &self,
        table: &Table<'_>,
        text: &str,
        c: &mut FileClassification,
        values: &mut Values,
        partners: &mut partners::Seen,
    ) -> u64 {
        let mut searcher = self.patterns.searcher();
        let candidates = searcher.find(text);
        let mut rows = table.rows(text);
        let mut fields: Vec<(usize, usize)> = Vec::new();
        let mut header: Option<(Vec<String>, Vec<Option<&'static str>>)> = None;
        let mut next = 0;
        let mut found = Vec::new();
        let mut rows_with_personal = 0;
        let delimiter = table.delimiter;
        while let Some((start, end)) = rows.next_row(&mut fields) {
            let first = next;
            while candidates.get(next).is_some_and(|m| m.start < end) {
                next += 1;
            }
            let blank = text.as_bytes()[start..end]
                .iter()
                .all(|&b| b.is_ascii_whitespace() || b == delimiter || b == b'"');
            if blank {
                continue;
            }
            let Some((names, mapped)) = &header else {
                let names: Vec<String> = fields
                    .iter()
                    .map(|&(s, e)| rows.field(s, e).into_owned())
                    .collect();
                let mapped = names.iter().map(|h| header_category(h)).collect();
                header = Some((names, mapped));
                continue;
            };
            found.clear();
            for &m in &candidates[first..next] {
                let column = fields
                    .partition_point(|&(s, _)| s <= m.start)
                    .saturating_sub(1);
                let context = Context {
                    header: names.get(column).map_or("", String::as_str),
                    floor: fields.get(column).map_or(start, |f| f.0),
                };
                self.patterns
                    .validate(text, m, context, &mut found, &mut c.near_misses);
            }
            for (i, category) in mapped.iter().enumerate() {
                let (Some(category), Some(&(s, e))) = (category, fields.get(i)) else {
                    continue;
                };
                if !found.iter().any(|f| f.category == *category)
                    && let Some(v) = normal_cell(category, &rows.field(s, e))
                {
                    found.push(Found {
                        category,
                        normal: v,
                    });
                }
            }
            if found.iter().any(|f| PERSONAL.contains(&f.category)) {
                rows_with_personal += 1;
            }
            // A partner's row: its name from a company column, or a cell that reads as one.
            if found.iter().any(|f| f.category == "corporate_number") {
                let cells: Vec<std::borrow::Cow<'_, str>> =
                    fields.iter().map(|&(s, e)| rows.field(s, e)).collect();
                for f in found.iter().filter(|f| f.category == "corporate_number") {
                    partners.seen_in_row(&f.normal, names, &cells);
                }
            }
            for f in found.drain(..) {
                self.add(c, values, f);
            }
        }
        rows_with_personal
    }

    /// Classifies extracted content.
    pub fn classify_extracted(&self, extracted: Extracted) -> FileClassification {
        let mut c = FileClassification {
            format: extracted.format,
            encoding: extracted.encoding,
            warnings: extracted.warnings,
            ..FileClassification::default()
        };
        let mut rows = 0;
        let mut values = Values::default();
        let mut partners = partners::Seen::default();
        for table in &extracted.tables {
            rows += self.table(table, &mut c, &mut values, &mut partners);
        }
        self.scan_text(&extracted.text, &mut c, &mut values, &mut partners);
        let margins: Vec<&str> = extracted.margins.iter().map(String::as_str).collect();
        self.describe(&mut c, None, &extracted.text, &extracted.tables, &margins);
        c.partners = partners.into_list();
        self.summarise(&mut c, values, rows);
        c
    }

    /// Counts, data subjects and labels from the values found (`rows`: table rows with
    /// personal data).
    fn summarise(&self, c: &mut FileClassification, values: Values, rows: u64) {
        for mut v in values.0 {
            // Collected, then sorted once: cheaper than a tree insert per value. The distinct
            // values are copied out at their size; the working buffer goes back for the next
            // file (growing a fresh one every file touched fresh memory, a quarter of the time
            // of a customer table).
            sort_distinct(&mut v.hashes);
            c.hashes.insert(v.category.to_owned(), v.hashes.to_vec());
            v.recycle();
        }
        c.categories = c
            .hashes
            .iter()
            .map(|(k, v)| (k.clone(), v.len() as u64))
            .collect();
        c.records_with_personal_data = rows;
        let count = |k: &str| c.categories.get(k).copied().unwrap_or(0);
        c.data_subjects = if rows > 0 {
            rows
        } else {
            ["email", "phone", "my_number", "credit_card"]
                .iter()
                .map(|k| count(k))
                .max()
                .unwrap_or(0)
        };
        let mut labels = Vec::new();
        if PERSONAL.iter().any(|k| count(k) > 0) {
            labels.push("personal_data");
        }
        if count("my_number") > 0 {
            labels.push("sensitive_personal_data");
        }
        if count("credit_card") + count("bank_account") + count("iban") > 0 {
            labels.push("financial");
        }
        if count("private_key") + count("cloud_access_key") + count("api_token") + count("password")
            > 0
        {
            labels.push("credentials");
        }
        if count("corporate_number") > 0 {
            labels.push("business_partner");
        }
        let content = std::mem::take(&mut c.labels);
        c.labels = labels.into_iter().map(str::to_owned).collect();
        c.labels.extend(content);
    }
}
