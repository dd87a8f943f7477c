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

/// Words that make a number of an ambiguous card length (12–15-digit Maestro, or 13 digits that
/// are also a valid Corporate Number) a payment card: in the column's header, or before the
/// number in free text.
const CARD_CONTEXT: &[&str] = &["card", "credit", "payment", "カード", "クレジット", "決済"];

/// Words that make two letters and seven digits a Japanese passport number.
const PASSPORT_CONTEXT: &[&str] = &["旅券", "パスポート", "passport"];

/// In free text, a licence or passport keyword must end at most this many characters before
/// the value (`運転免許証番号：`, `Passport No.: `): these numbers have no check digit, so a
/// keyword further back is not enough.
const NEAR_KEYWORD: usize = 12;

/// The patterns, in priority order (at one position the first listed wins); their indices are
/// the pattern ids above.
const PATTERNS: [&str; 11] = [
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

/// The compiled patterns.
///
/// Texts are searched in two passes that together find what one multi-pattern pass over
/// [`PATTERNS`] finds: the patterns that start with a literal (keys, tokens, PEM, password
/// keywords) run over the whole text, where their literal prefilter makes them fast; the
/// others all need an ASCII digit or `@` inside their match, so in long texts they run only on
/// windows around those bytes (the search spans the full text, so word boundaries at a
/// window's edge see the real neighbours). Two sets, not three: compiling the Unicode classes
/// of a combined set as well cost a tenth of a small scan.
#[derive(Debug)]
pub struct Patterns {
    literal: Regex,
    anchored: Regex,
    password: Regex,
    words: ContextWords,
    /// Search caches, one set per thread that is scanning, kept between files: the lazy DFAs
    /// built for one file serve the next.
    caches: Mutex<Vec<Caches>>,
}

/// One thread's search caches for the three multi-pattern regexes, and its candidate buffer.
#[derive(Debug)]
struct Caches {
    literal: Cache,
    anchored: Cache,
    found: Vec<Candidate>,
}

/// Largest candidate buffer kept for the next text.
const KEPT_CANDIDATES: usize = 1 << 20;

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
    card: Keywords,
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
            // The windows of two hits less than BEFORE + AFTER apart overlap, so a chunk's hits
            // make one window from its first to its last.
            let hit = |b: &u8| b.is_ascii_digit() || *b == b'@';
            let first = chunk.iter().position(hit).unwrap_or(0);
            let last = chunk.iter().rposition(hit).unwrap_or(first);
            let (s, e) = (
                (i + first).saturating_sub(BEFORE),
                (i + last + AFTER).min(n),
            );
            match out.last_mut() {
                Some(w) if s <= w.1 => w.1 = w.1.max(e),
                _ => out.push((s, e)),
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
        let build = |set: &[&str]| Regex::new_many(set).map_err(|e| PatternError(e.to_string()));
        let literal = build(&LITERAL_IDS.map(|i| PATTERNS[i]))?;
        let anchored = build(&ANCHORED_IDS.map(|i| PATTERNS[i]))?;
        let password =
            Regex::new(r#"^"?([^\s"',;\x1f]{6,64})"#).map_err(|e| PatternError(e.to_string()))?;
        Ok(Patterns {
            literal,
            anchored,
            password,
            words: ContextWords {
                my_number: Keywords::new(MY_NUMBER_CONTEXT)?,
                drivers_license: Keywords::new(DRIVERS_LICENSE_CONTEXT)?,
                passport: Keywords::new(PASSPORT_CONTEXT)?,
                card: Keywords::new(CARD_CONTEXT)?,
            },
            caches: Mutex::new(Vec::new()),
        })
    }

    fn new_caches(&self) -> Caches {
        Caches {
            literal: self.literal.create_cache(),
            anchored: self.anchored.create_cache(),
            found: Vec::new(),
        }
    }

    /// A searcher holding one set of search caches, taken from the pool for as long as it lives
    /// (a file, not a cell: one lock per file).
    pub fn searcher(&self) -> Searcher<'_> {
        let caches = self
            .caches
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_else(|| self.new_caches());
        Searcher {
            patterns: self,
            caches: Some(caches),
        }
    }

    /// Every validated value in `text` (already normalised), in order of appearance. `context`
    /// is the table header of a cell (empty for free text).
    pub fn scan(&self, text: &str, context: &str, out: &mut Vec<Found>, near_misses: &mut u64) {
        let mut searcher = self.searcher();
        let context = Context {
            header: context,
            floor: 0,
        };
        for &c in searcher.find(text) {
            self.validate(text, c, context, out, near_misses);
        }
    }

    /// Validates one candidate found in `text`: pushes its value to `out`, or counts a near
    /// miss when an identifier-shaped number fails its check or lacks its keyword.
    pub fn validate(
        &self,
        text: &str,
        candidate: Candidate,
        context: Context<'_>,
        out: &mut Vec<Found>,
        near_misses: &mut u64,
    ) {
        let Candidate {
            start,
            end,
            pattern,
        } = candidate;
        let Some(s) = text.get(start..end) else {
            return;
        };
        match pattern {
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

/// A pattern's match in a text, before validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    /// Byte offset of the match.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// Which pattern matched.
    pattern: usize,
}

/// Where a candidate stands: the header of its table column (empty in free text) and the byte
/// offset where its cell begins (keywords are looked for between there and the value, so a
/// neighbouring cell's words do not count).
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// The column's header, or empty.
    pub header: &'a str,
    /// The start of the value's cell (0 in free text).
    pub floor: usize,
}

/// Finds candidates with one set of search caches; returns the caches to the pool when dropped.
#[derive(Debug)]
pub struct Searcher<'p> {
    patterns: &'p Patterns,
    caches: Option<Caches>,
}

impl Drop for Searcher<'_> {
    fn drop(&mut self) {
        if let (Some(caches), Ok(mut pool)) = (self.caches.take(), self.patterns.caches.lock()) {
            pool.push(caches);
        }
    }
}

impl Searcher<'_> {
    /// Every candidate in `text`, leftmost first (an earlier match wins, and at the same start
    /// the pattern listed first), as one multi-pattern pass would find them.
    pub fn find(&mut self, text: &str) -> &[Candidate] {
        let p = self.patterns;
        let Some(caches) = self.caches.as_mut() else {
            return &[];
        };
        if caches.found.capacity() > KEPT_CANDIDATES {
            caches.found = Vec::new();
        }
        caches.found.clear();
        let out = &mut caches.found;
        let first = out.len();
        find_all(
            &p.literal,
            &mut caches.literal,
            Input::new(text),
            &mut |m| {
                out.push(Candidate {
                    start: m.start(),
                    end: m.end(),
                    pattern: LITERAL_IDS[m.pattern().as_usize()],
                })
            },
        );
        let literal_end = out.len();
        let whole = [(0, text.len())];
        let spans: Vec<(usize, usize)> = if text.len() < WINDOWED_FROM {
            whole.to_vec()
        } else {
            windows(text)
        };
        for (s, e) in spans {
            let input = Input::new(text).span(s..e);
            find_all(&p.anchored, &mut caches.anchored, input, &mut |m| {
                out.push(Candidate {
                    start: m.start(),
                    end: m.end(),
                    pattern: ANCHORED_IDS[m.pattern().as_usize()],
                })
            });
        }
        // Both runs are in order; only when the literal patterns found something do the two
        // need merging and overlaps resolving.
        if literal_end == first {
            return out;
        }
        // At one start, the pattern listed first wins, as in one pass.
        out[first..].sort_unstable_by_key(|m| (m.start, m.pattern));
        let mut kept = first;
        let mut reach = 0;
        for i in first..out.len() {
            let m = out[i];
            if m.start >= reach {
                reach = m.end;
                out[kept] = m;
                kept += 1;
            }
        }
        out.truncate(kept);
        out
    }
}

/// The issuer ranges (IIN) of payment cards and their lengths, after the published IIN table
/// (ISO/IEC 7812 registrations as listed by the card schemes): `(first, last, prefix digits,
/// lengths, whether lengths under 16 need a card word)`, lengths as a bit set (bit n = n
/// digits).
const IIN: &[(u32, u32, u32, u32, bool)] = &[
    (4, 4, 1, len(13) | len(16) | len(19), ALONE), // Visa
    (51, 55, 2, len(16), ALONE),                   // Mastercard
    (2221, 2720, 4, len(16), ALONE),               // Mastercard
    (34, 34, 2, len(15), ALONE),                   // American Express
    (37, 37, 2, len(15), ALONE),                   // American Express
    (300, 305, 3, lens(14, 19), ALONE),            // Diners Club
    (3095, 3095, 4, lens(14, 19), ALONE),          // Diners Club
    (36, 36, 2, lens(14, 19), ALONE),              // Diners Club International
    (38, 39, 2, lens(14, 19), ALONE),              // Diners Club
    (6011, 6011, 4, lens(16, 19), ALONE),          // Discover
    (644, 649, 3, lens(16, 19), ALONE),            // Discover
    (65, 65, 2, lens(16, 19), ALONE),              // Discover, RuPay, Troy
    (622_126, 622_925, 6, lens(16, 19), ALONE),    // Discover (UnionPay co-brand)
    (3528, 3589, 4, lens(16, 19), ALONE),          // JCB
    (1800, 1800, 4, len(15), ALONE),               // JCB
    (2131, 2131, 4, len(15), ALONE),               // JCB
    (62, 62, 2, lens(16, 19), ALONE),              // UnionPay
    (81, 82, 2, len(16), ALONE),                   // UnionPay (81), RuPay
    (2200, 2204, 4, lens(16, 19), ALONE),          // Mir
    (2205, 2205, 4, len(16), ALONE),               // BORICA
    (60, 60, 2, len(16), ALONE),                   // RuPay
    (353, 353, 3, len(16), ALONE),                 // RuPay (JCB co-brand)
    (356, 356, 3, len(16), ALONE),                 // RuPay (JCB co-brand)
    (508, 508, 3, len(16), ALONE),                 // RuPay
    (9792, 9792, 4, len(16), ALONE),               // Troy
    (5019, 5019, 4, len(16), ALONE),               // Dankort
    (4571, 4571, 4, len(16), ALONE),               // Dankort (Visa co-brand)
    (636, 636, 3, lens(16, 19), ALONE),            // InterPayment
    (637, 639, 3, len(16), ALONE),                 // InstaPayment
    (506_099, 506_198, 6, len(16) | len(18) | len(19), ALONE), // Verve
    (650_002, 650_027, 6, len(16) | len(18) | len(19), ALONE), // Verve
    (507_865, 507_964, 6, len(16) | len(18) | len(19), ALONE), // Verve
    (1, 1, 1, len(15), ALONE),                     // UATP
    (9860, 9860, 4, len(16), ALONE),               // Humo
    (8600, 8600, 4, len(16), ALONE),               // UzCard
    (5614, 5614, 4, len(16), ALONE),               // UzCard
    (357_111, 357_111, 6, len(16), ALONE),         // LankaPay
    (31, 31, 2, len(19), ALONE),                   // China T-Union
    (5018, 5018, 4, lens(12, 19), SHORT_NEEDS_WORD), // Maestro
    (5020, 5020, 4, lens(12, 19), SHORT_NEEDS_WORD), // Maestro
    (5038, 5038, 4, lens(12, 19), SHORT_NEEDS_WORD), // Maestro
    (5893, 5893, 4, lens(12, 19), SHORT_NEEDS_WORD), // Maestro
    (6304, 6304, 4, lens(12, 19), SHORT_NEEDS_WORD), // Maestro
    (6759, 6759, 4, lens(12, 19), SHORT_NEEDS_WORD), // Maestro, Maestro UK
    (6761, 6763, 4, lens(12, 19), SHORT_NEEDS_WORD), // Maestro
    (676_770, 676_770, 6, lens(12, 19), SHORT_NEEDS_WORD), // Maestro UK
    (676_774, 676_774, 6, lens(12, 19), SHORT_NEEDS_WORD), // Maestro UK
];

/// Maestro-type ranges: 12–15 digits count only next to a card word or in a card column.
const SHORT_NEEDS_WORD: bool = true;
/// Every length of the range counts alone.
const ALONE: bool = false;

const fn len(n: u32) -> u32 {
    1 << n
}

const fn lens(from: u32, to: u32) -> u32 {
    (u32::MAX >> (31 - to)) & !((1 << from) - 1)
}

/// Card numbers shorter than this are only counted next to a card word or in a card column:
/// 12–15 digits are as often other numbers (and 12 is also a My Number's length).
const UNGATED_FROM: usize = 16;

/// Whether `digits` lies in an issuer range at one of its lengths: `None` if not, else whether
/// it needs a card word to count (a length under 16 that only Maestro-type ranges allow).
fn card_brand(digits: &str) -> Option<bool> {
    let n = digits.len();
    if !(12..=19).contains(&n) {
        return None;
    }
    let mut gated = None;
    for &(first, last, prefix, lengths, short_needs_word) in IIN {
        let p: Option<u32> = digits.get(..prefix as usize).and_then(|p| p.parse().ok());
        if p.is_some_and(|p| (first..=last).contains(&p)) && lengths & (1 << n) != 0 {
            if !(short_needs_word && n < UNGATED_FROM) {
                return Some(false);
            }
            gated = Some(true);
        }
    }
    gated
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

    /// How close a keyword is to the value at `start`: 0 when the table header holds one, else
    /// the characters between the last keyword and the value, within the 80 characters before
    /// it and after the start of its cell.
    fn distance(&self, text: &str, context: Context<'_>, start: usize) -> Option<usize> {
        if !context.header.is_empty() && self.0.is_match(context.header) {
            return Some(0);
        }
        let floor = context.floor.min(start);
        let from = text
            .get(floor..start)?
            .char_indices()
            .rev()
            .nth(79)
            .map_or(floor, |(i, _)| floor + i);
        let before = text.get(from..start)?;
        let last = self.0.find_iter(before).last()?;
        Some(before[last.end()..].chars().count() + 1)
    }
}

fn classify_digits(
    words: &ContextWords,
    text: &str,
    context: Context<'_>,
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
    if token.starts_with('+') {
        if let Some(e164) = phone_to_e164(token) {
            out.push(Found {
                category: "phone",
                normal: e164,
            });
        }
        return;
    }
    let digits: String = token.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len();
    // A payment card, and whether it needs a card word (a Maestro-type length under 16); the
    // card word's distance, when one is near.
    let card = if (12..=19).contains(&n) && luhn_valid(&digits) {
        card_brand(&digits)
    } else {
        None
    };
    let card_word = || words.card.distance(text, context, start);
    let push = |out: &mut Vec<Found>, category: &'static str, normal: String| {
        out.push(Found { category, normal })
    };
    match n {
        12 => {
            // My Number (valid check digit), a driver's licence (one run of digits, never
            // grouped; the first two are a prefectural public-safety commission, 10–99) or a
            // Maestro card, by the nearest keyword.
            let my_number = my_number_valid(&digits)
                .then(|| words.my_number.distance(text, context, start))
                .flatten();
            let licence = (token.len() == 12 && !digits.starts_with('0'))
                .then(|| words.drivers_license.distance(text, context, start))
                .flatten()
                .filter(|d| *d <= NEAR_KEYWORD);
            let card = card.and_then(|_| card_word());
            let nearest = [
                (my_number, "my_number"),
                (licence, "drivers_license"),
                (card, "credit_card"),
            ]
            .into_iter()
            .filter_map(|(d, category)| d.map(|d| (d, category)))
            // The first listed wins a tie: My Number, then licence, then card.
            .min_by_key(|(d, _)| *d);
            match nearest {
                Some((_, category)) => push(out, category, digits),
                None => *near_misses += 1,
            }
        }
        // A 13-digit number valid as a Corporate Number is one (13-digit Visa cards were
        // retired years ago, and a tenth of Corporate Numbers also pass Luhn) unless a card word
        // stands next to it.
        13 if corporate_number_valid(&digits) && !(card.is_some() && card_word().is_some()) => {
            push(out, "corporate_number", digits)
        }
        13..=19 => match card {
            Some(false) => push(out, "credit_card", digits),
            Some(true) if card_word().is_some() => push(out, "credit_card", digits),
            Some(true) => *near_misses += 1,
            None if n == 16 => *near_misses += 1,
            None => {}
        },
        10 | 11 if digits.starts_with('0') => match phone_to_e164(token) {
            Some(e164) => push(out, "phone", e164),
            None => *near_misses += 1,
        },
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
        // And the two sets find the candidates one pass over every pattern finds.
        let combined = Regex::new_many(&PATTERNS).unwrap();
        let mut cache = combined.create_cache();
        let mut one_pass = Vec::new();
        find_all(&combined, &mut cache, Input::new(&text), &mut |m| {
            one_pass.push((m.start(), m.end(), m.pattern().as_usize()))
        });
        let two_sets: Vec<(usize, usize, usize)> = p
            .searcher()
            .find(&text)
            .iter()
            .map(|c| (c.start, c.end, c.pattern))
            .collect();
        assert_eq!(two_sets, one_pass);
    }

    #[test]
    fn digits_inside_other_tokens_do_not_count() {
        let (found, _) = scan("v1.2.4111111111111111 AB4111111111111111 build_0312345678");
        assert!(found.is_empty(), "{found:?}");
    }
}
