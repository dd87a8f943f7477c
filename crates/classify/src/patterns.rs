//! One multi-pattern pass over normalised text (regex-automata, ASCII word boundaries: Unicode
//! boundaries make the lazy DFA give up on Japanese text), then validators.

use aho_corasick::AhoCorasick;
use breachscope_model::identifiers::{
    corporate_number_valid, iban_valid, luhn_valid, my_number_valid, phone_to_e164,
};
use std::sync::Mutex;

use regex_automata::meta::{Cache, Regex};
use regex_automata::{Input, Match};

/// A validated value: its category and normal form (report-v1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// Category (`email`, `phone`, …).
    pub category: &'static str,
    /// Normal form.
    pub normal: String,
}

const EMAIL: usize = 0;
const DIGITS: usize = 1;
const IBAN: usize = 2;
const POSTAL: usize = 3;
const AWS: usize = 4;
const TOKEN: usize = 5;
const PEM: usize = 6;
const PASSWORD: usize = 7;
const ADDRESS: usize = 8;
const BANK: usize = 9;
const PASSPORT: usize = 10;

/// Words that make a 12-digit number with a valid check digit a My Number (MIC's and
/// Microsoft Purview's keyword lists); looked for in the table header or the 80 characters
/// before the number.
const MY_NUMBER_CONTEXT: &[&str] = &[
    "個人番号",
    "マイナンバー",
    "my number",
    "mynumber",
    "my_number",
    "通知カード",
    "共通番号",
];

/// Words that make 12 digits a driver's licence number (Microsoft Purview's and Google DLP's
/// keyword gates; the number has no published check digit).
const DRIVERS_LICENSE_CONTEXT: &[&str] = &[
    "運転免許",
    "免許証番号",
    "免許番号",
    "driver's license",
    "drivers license",
    "driver license",
    "driving licence",
    "driver's licence",
    "drivers_license",
    "license no",
    "licence no",
];

/// Words that make two letters and seven digits a Japanese passport number.
const PASSPORT_CONTEXT: &[&str] = &["旅券", "パスポート", "passport"];

/// In free text, a licence or passport keyword must end at most this many characters before
/// the value (`運転免許証番号：`, `Passport No.: `): these numbers have no check digit, so a
/// keyword further back is not enough.
const NEAR_KEYWORD: usize = 12;

/// The compiled patterns.
///
/// Long texts are searched in two passes that together find what the single multi-pattern pass
/// finds: the patterns that start with a literal (keys, tokens, PEM, password keywords) run over
/// the whole text, where their literal prefilter makes them fast; the others all need an ASCII
/// digit or `@` inside their match, so they run only on windows around those bytes (the search
/// spans the full text, so word boundaries at a window's edge see the real neighbours).
#[derive(Debug)]
pub struct Patterns {
    regex: Regex,
    literal: Regex,
    anchored: Regex,
    password: Regex,
    words: ContextWords,
    /// Search caches, one set per thread that is scanning, kept between files: the lazy DFAs
    /// built for one file serve the next.
    caches: Mutex<Vec<Caches>>,
}

/// One thread's search caches for the three multi-pattern regexes.
#[derive(Debug)]
struct Caches {
    regex: Cache,
    literal: Cache,
    anchored: Cache,
}

/// Calls `each` with every leftmost-first match of `regex` in `input` (none is empty).
fn find_all(regex: &Regex, cache: &mut Cache, mut input: Input<'_>, each: &mut dyn FnMut(Match)) {
    while let Some(m) = regex.search_with(cache, &input) {
        each(m);
        if m.is_empty() || m.end() >= input.end() {
            break;
        }
        input.set_start(m.end());
    }
}

/// The keyword sets of the numbers that need one.
#[derive(Debug)]
struct ContextWords {
    my_number: Keywords,
    drivers_license: Keywords,
    passport: Keywords,
}

/// Pattern ids of [`Patterns::literal`] and [`Patterns::anchored`] in the full set.
const LITERAL_IDS: [usize; 4] = [AWS, TOKEN, PEM, PASSWORD];
const ANCHORED_IDS: [usize; 7] = [EMAIL, DIGITS, IBAN, POSTAL, ADDRESS, BANK, PASSPORT];
/// Texts shorter than this are searched in one pass.
const WINDOWED_FROM: usize = 4096;
/// Bytes a match can reach before and after its digit or `@`.
const BEFORE: usize = 192;
const AFTER: usize = 384;

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-' | b'@' | b'/' | b'=')
}

/// Windows around ASCII digits and `@`, merged, widened to whole tokens and characters.
fn windows(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < n {
        let end = (i + 64).min(n);
        let chunk = &bytes[i..end];
        // Branch-free test of a whole chunk (vectorised), then the positions in a hit chunk.
        if chunk.iter().fold(false, |acc, &b| {
            acc | (b.wrapping_sub(b'0') < 10) | (b == b'@')
        }) {
            for (k, &b) in chunk.iter().enumerate() {
                if b.is_ascii_digit() || b == b'@' {
                    let p = i + k;
                    let (s, e) = (p.saturating_sub(BEFORE), (p + AFTER).min(n));
                    match out.last_mut() {
                        Some(last) if s <= last.1 => last.1 = last.1.max(e),
                        _ => out.push((s, e)),
                    }
                }
            }
        }
        i = end;
    }
    let mut widened: Vec<(usize, usize)> = Vec::with_capacity(out.len());
    for (mut s, mut e) in out {
        while s > 0 && (!text.is_char_boundary(s) || is_token_byte(bytes[s - 1])) {
            s -= 1;
        }
        while e < n && (!text.is_char_boundary(e) || is_token_byte(bytes[e])) {
            e += 1;
        }
        match widened.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => widened.push((s, e)),
        }
    }
    widened
}

/// Why the patterns could not be built (a bug, reported rather than panicking).
#[derive(Debug, thiserror::Error)]
#[error("pattern: {0}")]
pub struct PatternError(String);

impl Patterns {
    /// Compiles the patterns.
    pub fn new() -> Result<Self, PatternError> {
        let patterns = [
            r"(?i)(?-u:\b)[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,24}(?-u:\b)",
            r"\+?(?-u:\b)[0-9](?:[ \-]?[0-9]){6,18}(?-u:\b)",
            r"(?-u:\b)[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?-u:\b)",
            r"(?:〒|郵便番号[:：]?) ?[0-9]{3}-[0-9]{4}(?-u:\b)",
            r"(?-u:\b)(?:AKIA|ASIA)[A-Z2-7]{16}(?-u:\b)",
            r"(?-u:\b)gh[pousr]_[A-Za-z0-9]{36}(?-u:\b)",
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----\s*[A-Za-z0-9+/=]{16,}",
            r"(?i)(?:password|passwd|pwd|パスワード)[A-Za-z_]*\s*[:=]\s*",
            r"(?:北海道|東京都|京都府|大阪府|[\p{Han}]{2,3}県)[\p{Han}\p{Hiragana}\p{Katakana}ー\-]{1,20}?[0-9]{1,2}丁目[0-9]{1,3}番[0-9]{1,3}号",
            r"[\p{Han}\p{Hiragana}\p{Katakana}A-Za-z]{1,12}(?:銀行|信用金庫|信金) ?[\p{Han}\p{Katakana}]{1,12}(?:支店|営業部|出張所) ?(?:普通|当座|貯蓄) ?[0-9]{7}(?-u:\b)",
            r"(?-u:\b)[A-Z]{2}[0-9]{7}(?-u:\b)",
        ];
        let build = |set: &[&str]| Regex::new_many(set).map_err(|e| PatternError(e.to_string()));
        let regex = build(&patterns)?;
        let literal = build(&LITERAL_IDS.map(|i| patterns[i]))?;
        let anchored = build(&ANCHORED_IDS.map(|i| patterns[i]))?;
        let password =
            Regex::new(r#"^"?([^\s"',;]{6,64})"#).map_err(|e| PatternError(e.to_string()))?;
        Ok(Patterns {
            regex,
            literal,
            anchored,
            password,
            words: ContextWords {
                my_number: Keywords::new(MY_NUMBER_CONTEXT)?,
                drivers_license: Keywords::new(DRIVERS_LICENSE_CONTEXT)?,
                passport: Keywords::new(PASSPORT_CONTEXT)?,
            },
            caches: Mutex::new(Vec::new()),
        })
    }

    fn new_caches(&self) -> Caches {
        Caches {
            regex: self.regex.create_cache(),
            literal: self.literal.create_cache(),
            anchored: self.anchored.create_cache(),
        }
    }

    /// Every validated value in `text` (already normalised), in order of appearance. `context`
    /// is the table header of a cell (empty for free text).
    pub fn scan(&self, text: &str, context: &str, out: &mut Vec<Found>, near_misses: &mut u64) {
        let mut caches = self
            .caches
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_else(|| self.new_caches());
        let matches: Vec<(usize, usize, usize)> = if text.len() < WINDOWED_FROM {
            let mut all = Vec::new();
            find_all(&self.regex, &mut caches.regex, Input::new(text), &mut |m| {
                all.push((m.start(), m.end(), m.pattern().as_usize()))
            });
            all
        } else {
            let mut all: Vec<(usize, usize, usize)> = Vec::new();
            find_all(
                &self.literal,
                &mut caches.literal,
                Input::new(text),
                &mut |m| all.push((m.start(), m.end(), LITERAL_IDS[m.pattern().as_usize()])),
            );
            for (s, e) in windows(text) {
                let input = Input::new(text).span(s..e);
                find_all(&self.anchored, &mut caches.anchored, input, &mut |m| {
                    all.push((m.start(), m.end(), ANCHORED_IDS[m.pattern().as_usize()]))
                });
            }
            // Leftmost first, as one pass would: an earlier match wins, and at the same start
            // the pattern listed first.
            all.sort_unstable();
            let mut kept: Vec<(usize, usize, usize)> = Vec::with_capacity(all.len());
            let mut end = 0;
            for m in all {
                if m.0 >= end {
                    end = m.1;
                    kept.push(m);
                }
            }
            kept
        };
        if let Ok(mut pool) = self.caches.lock() {
            pool.push(caches);
        }
        for (start, end, id) in matches {
            let s = &text[start..end];
            match id {
                EMAIL => out.push(Found {
                    category: "email",
                    normal: s.to_ascii_lowercase(),
                }),
                DIGITS => classify_digits(&self.words, text, context, start, s, out, near_misses),
                IBAN => {
                    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
                    if iban_valid(&compact) {
                        out.push(Found {
                            category: "iban",
                            normal: compact,
                        });
                    }
                }
                POSTAL => {
                    let digits: String = s
                        .chars()
                        .filter(|c| c.is_ascii_digit() || *c == '-')
                        .collect();
                    out.push(Found {
                        category: "postal_code",
                        normal: digits,
                    });
                }
                AWS => out.push(Found {
                    category: "cloud_access_key",
                    normal: s.to_owned(),
                }),
                TOKEN => out.push(Found {
                    category: "api_token",
                    normal: s.to_owned(),
                }),
                PEM => {
                    let body = s.rsplit(char::is_whitespace).next().unwrap_or(s);
                    out.push(Found {
                        category: "private_key",
                        normal: body.to_owned(),
                    });
                }
                PASSWORD => {
                    let rest = &text[end..];
                    let mut caps = self.password.create_captures();
                    self.password
                        .search_captures(&regex_automata::Input::new(rest), &mut caps);
                    if let Some(v) = caps.get_group(1) {
                        out.push(Found {
                            category: "password",
                            normal: rest[v.range()].to_owned(),
                        });
                    }
                }
                ADDRESS => out.push(Found {
                    category: "postal_address",
                    normal: s.to_owned(),
                }),
                BANK => out.push(Found {
                    category: "bank_account",
                    normal: s.split_whitespace().collect::<Vec<_>>().join(" "),
                }),
                PASSPORT => {
                    if self
                        .words
                        .passport
                        .distance(text, context, start)
                        .is_some_and(|d| d <= NEAR_KEYWORD)
                    {
                        out.push(Found {
                            category: "passport",
                            normal: s.to_owned(),
                        });
                    } else {
                        *near_misses += 1;
                    }
                }
                _ => {}
            }
        }
    }
}

/// Payment-card number ranges (IIN) that exist, with their lengths.
fn card_brand(digits: &str) -> bool {
    let p2: u32 = digits.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let p4: u32 = digits.get(..4).and_then(|p| p.parse().ok()).unwrap_or(0);
    let p6: u32 = digits.get(..6).and_then(|p| p.parse().ok()).unwrap_or(0);
    let n = digits.len();
    match digits.as_bytes().first() {
        Some(b'4') => matches!(n, 13 | 16 | 19),
        Some(b'5') => {
            (51..=55).contains(&p2) && n == 16 || (50..=69).contains(&p2) && (12..=19).contains(&n)
        }
        Some(b'2') => (2221..=2720).contains(&p4) && n == 16,
        Some(b'3') => {
            (p2 == 34 || p2 == 37) && n == 15
                || (3528..=3589).contains(&p4) && (16..=19).contains(&n)
                || (p4 == 2131 || p4 == 1800) && n == 15
                || (p2 == 36 || p2 == 38 || p2 == 39 || (300..=305).contains(&(p4 / 10)))
                    && (14..=19).contains(&n)
        }
        Some(b'6') => {
            (p4 == 6011
                || (644..=649).contains(&(p4 / 10))
                || p2 == 65
                || (622_126..=622_925).contains(&p6))
                && (16..=19).contains(&n)
                || p2 == 62 && (16..=19).contains(&n)
                || p2 == 67 && (12..=19).contains(&n)
        }
        Some(b'1') => p4 == 1800 && n == 15,
        _ => false,
    }
}

/// Keywords that gate a number, found ignoring ASCII case (the keywords' only cased letters).
#[derive(Debug)]
struct Keywords(AhoCorasick);

impl Keywords {
    fn new(words: &[&str]) -> Result<Self, PatternError> {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(words)
            .map(Keywords)
            .map_err(|e| PatternError(e.to_string()))
    }

    /// How close a keyword is to the value at `start`: 0 when the table header `context` holds
    /// one, else the characters between the last keyword and the value, within the 80
    /// characters before it.
    fn distance(&self, text: &str, context: &str, start: usize) -> Option<usize> {
        if self.0.is_match(context) {
            return Some(0);
        }
        let from = text[..start]
            .char_indices()
            .rev()
            .nth(79)
            .map_or(0, |(i, _)| i);
        let before = &text[from..start];
        let last = self.0.find_iter(before).last()?;
        Some(before[last.end()..].chars().count() + 1)
    }
}

fn classify_digits(
    words: &ContextWords,
    text: &str,
    context: &str,
    start: usize,
    token: &str,
    out: &mut Vec<Found>,
    near_misses: &mut u64,
) {
    // A digit run glued to a longer alphanumeric (inside an IBAN, a key, a version string) is
    // not an identifier.
    if text[..start]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
    {
        return;
    }
    let digits: String = token.chars().filter(char::is_ascii_digit).collect();
    if token.starts_with('+') {
        if let Some(e164) = phone_to_e164(token) {
            out.push(Found {
                category: "phone",
                normal: e164,
            });
        }
        return;
    }
    match digits.len() {
        // A 13-digit number valid as a Corporate Number is one: 13-digit Visa cards were retired
        // years ago, and a tenth of Corporate Numbers also pass Luhn.
        13 if corporate_number_valid(&digits) => out.push(Found {
            category: "corporate_number",
            normal: digits,
        }),
        13..=19 if luhn_valid(&digits) && card_brand(&digits) => out.push(Found {
            category: "credit_card",
            normal: digits,
        }),
        12 => {
            // My Number (valid check digit) or a driver's licence (one run of digits, never
            // grouped; the first two are a prefectural public-safety commission, 10–99), by
            // the nearer keyword.
            let my_number = my_number_valid(&digits)
                .then(|| words.my_number.distance(text, context, start))
                .flatten();
            let licence = (token.len() == 12 && !digits.starts_with('0'))
                .then(|| words.drivers_license.distance(text, context, start))
                .flatten()
                .filter(|d| *d <= NEAR_KEYWORD);
            let category = match (my_number, licence) {
                (Some(m), Some(l)) if l < m => "drivers_license",
                (Some(_), _) => "my_number",
                (None, Some(_)) => "drivers_license",
                (None, None) => {
                    *near_misses += 1;
                    return;
                }
            };
            out.push(Found {
                category,
                normal: digits,
            })
        }
        10 | 11 if digits.starts_with('0') => match phone_to_e164(token) {
            Some(e164) => out.push(Found {
                category: "phone",
                normal: e164,
            }),
            None => *near_misses += 1,
        },
        16 => *near_misses += 1,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> (Vec<(&'static str, String)>, u64) {
        let p = Patterns::new().unwrap();
        let mut out = Vec::new();
        let mut near = 0;
        p.scan(&crate::decode::normalize(text), "", &mut out, &mut near);
        (
            out.into_iter().map(|f| (f.category, f.normal)).collect(),
            near,
        )
    }

    #[test]
    fn validated_values_and_near_misses() {
        let (found, near) = scan(
            "連絡先 Taro.Yamada@Example.co.jp ／ ０９０－１２３４－５６７８、カード 4111 1111 1111 1111、注文番号 4111111111111112、\
            個人番号 1234-5678-9018 管理番号 123456789012 法人番号 1180301018771 IBAN GB82 WEST 1234 5698 7654 32 〒100-0001 東京都千代田区丸の内1丁目2番3号 \
            Mastercard 2221 0000 0000 0009 +81 3-1234-5678 AKIAABCDEFGHIJKLMNOP password = \"s3cr3t!pw\"",
        );
        let cats: Vec<&str> = found.iter().map(|f| f.0).collect();
        assert_eq!(
            cats,
            [
                "email",
                "phone",
                "credit_card",
                "my_number",
                "corporate_number",
                "iban",
                "postal_code",
                "postal_address",
                "credit_card",
                "phone",
                "cloud_access_key",
                "password"
            ],
            "{found:?}"
        );
        assert_eq!(found[0].1, "taro.yamada@example.co.jp");
        assert_eq!(found[1].1, "+819012345678");
        assert_eq!(found[11].1, "s3cr3t!pw");
        assert_eq!(
            near, 2,
            "the Luhn-failing order number and the My-Number-shaped management number"
        );
    }

    #[test]
    fn licences_and_passports_need_their_words() {
        let (found, near) = scan(
            "運転免許証番号 301234567890 / 旅券番号 TK1234567 / 品番 AB1234567 / 伝票 301234567890",
        );
        assert_eq!(
            found,
            [
                ("drivers_license", "301234567890".to_string()),
                ("passport", "TK1234567".to_string())
            ],
            "{found:?}"
        );
        assert_eq!(
            near, 2,
            "the product code and the slip number have no context"
        );
        // The nearer keyword decides between a licence and a My Number (valid check digit).
        let (found, _) = scan("個人番号 123456789018 運転免許証 123456789018");
        let cats: Vec<&str> = found.iter().map(|f| f.0).collect();
        assert_eq!(cats, ["my_number", "drivers_license"], "{found:?}");
    }

    #[test]
    fn my_number_needs_context_and_bank_accounts_their_words() {
        let (found, near) = scan(
            "伝票 123456789018 / マイナンバー：1234 5678 9018 / 振込先 みずほ銀行 渋谷支店 普通 1234567",
        );
        let cats: Vec<&str> = found.iter().map(|f| f.0).collect();
        assert_eq!(cats, ["my_number", "bank_account"], "{found:?}");
        assert_eq!(near, 1, "the first number has no context");
    }

    #[test]
    fn windowed_search_finds_what_one_pass_finds() {
        let p = Patterns::new().unwrap();
        let mut text = String::new();
        let filler = "本件については引き続き関係部署と調整の上、次回の定例会で進捗を報告する。 The review covered the open items. ";
        for i in 0..300 {
            text.push_str(filler);
            match i % 9 {
                0 => text.push_str(&format!("mail user{i}.name@example.co.jp ")),
                1 => text.push_str("電話 ０９０－１２３４－５６７８ "),
                2 => text.push_str("カード 4111 1111 1111 1111 注文 4111111111111112 "),
                3 => text.push_str("マイナンバー 1234 5678 9018 "),
                4 => text.push_str("〒100-0001 東京都千代田区丸の内1丁目2番3号 "),
                5 => text.push_str("AKIAABCDEFGHIJKLMNOP password=\"hunter2!!\" "),
                6 => text
                    .push_str("IBAN GB82 WEST 1234 5698 7654 32 みずほ銀行 渋谷支店 普通 1234567 "),
                7 => text.push_str(
                    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA+123456789012abcdef\n",
                ),
                _ => text.push_str("v2.4111111111111111 x1180301018771y "),
            }
        }
        let text = crate::decode::normalize(&text).into_owned();
        assert!(text.len() > WINDOWED_FROM);
        let mut windowed = Vec::new();
        let mut near_w = 0;
        p.scan(&text, "", &mut windowed, &mut near_w);
        // The same text through the single pass, cut into pieces below the threshold at
        // places no match crosses (the filler's first character).
        let mut single = Vec::new();
        let mut near_s = 0;
        for (k, piece) in text.split("本件").enumerate() {
            let piece = if k == 0 {
                piece.to_owned()
            } else {
                format!("本件{piece}")
            };
            p.scan(&piece, "", &mut single, &mut near_s);
        }
        windowed.sort();
        single.sort();
        assert_eq!(windowed, single);
        assert_eq!(near_w, near_s);
        assert!(windowed.len() > 300);
    }

    #[test]
    fn digits_inside_other_tokens_do_not_count() {
        let (found, _) = scan("v1.2.4111111111111111 AB4111111111111111 build_0312345678");
        assert!(found.is_empty(), "{found:?}");
    }
}
