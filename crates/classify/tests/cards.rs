//! Every payment-card brand: Luhn-valid numbers generated for each issuer range and length of
//! the published IIN table (the "Payment card number" issuer list, as card schemes publish
//! their ranges), written plain, spaced and dashed, in prose and in CSV columns, must be found;
//! near misses must not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use breachscope_classify::Classifier;
use breachscope_classify::extract::Limits;
use breachscope_model::identifiers::{corporate_number_valid, luhn_check_digit};
use breachscope_simulate::rng::Rng;

/// `brand: first-last prefix: lengths` as the published table lists them. Maestro's 12–15-digit
/// lengths are the short, ambiguous ones that count only next to a card word.
const PUBLISHED: &str = "
Visa: 4: 13,16,19
Mastercard: 51-55: 16
Mastercard: 2221-2720: 16
American Express: 34: 15
American Express: 37: 15
Diners Club Carte Blanche: 300-305: 14-19
Diners Club International: 3095: 14-19
Diners Club International: 36: 14-19
Diners Club International: 38-39: 14-19
Discover: 6011: 16-19
Discover: 644-649: 16-19
Discover: 65: 16-19
Discover: 622126-622925: 16-19
JCB: 3528-3589: 16-19
JCB: 1800: 15
JCB: 2131: 15
UnionPay: 62: 16-19
UnionPay: 81: 16
RuPay: 60: 16
RuPay: 82: 16
RuPay: 508: 16
RuPay: 353: 16
RuPay: 356: 16
Mir: 2200-2204: 16-19
BORICA: 2205: 16
Troy: 9792: 16
Dankort: 5019: 16
Dankort: 4571: 16
InterPayment: 636: 16-19
InstaPayment: 637-639: 16
Verve: 506099-506198: 16,18,19
Verve: 650002-650027: 16,18,19
Verve: 507865-507964: 16,18,19
UATP: 1: 15
Humo: 9860: 16
UzCard: 8600: 16
UzCard: 5614: 16
LankaPay: 357111: 16
China T-Union: 31: 19
Maestro: 5018: 12-19
Maestro: 5020: 12-19
Maestro: 5038: 12-19
Maestro: 5893: 12-19
Maestro: 6304: 12-19
Maestro: 6759: 12-19
Maestro: 6761-6763: 12-19
Maestro UK: 676770: 12-19
Maestro UK: 676774: 12-19
";

struct Range {
    brand: String,
    first: u64,
    last: u64,
    prefix_len: usize,
    lengths: Vec<usize>,
}

fn published() -> Vec<Range> {
    let mut out = Vec::new();
    for line in PUBLISHED.lines().filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split(": ").collect();
        let (first, last) = parts[1].split_once('-').unwrap_or((parts[1], parts[1]));
        let mut lengths = Vec::new();
        for l in parts[2].split(',') {
            match l.split_once('-') {
                Some((a, b)) => lengths.extend(a.parse::<usize>().unwrap()..=b.parse().unwrap()),
                None => lengths.push(l.parse().unwrap()),
            }
        }
        out.push(Range {
            brand: parts[0].to_owned(),
            first: first.parse().unwrap(),
            last: last.parse().unwrap(),
            prefix_len: first.len(),
            lengths,
        });
    }
    out
}

/// A Luhn-valid number of `len` digits starting with `prefix`.
fn number(rng: &mut Rng, prefix: u64, len: usize) -> String {
    let mut body = prefix.to_string();
    while body.len() < len - 1 {
        body.push(char::from(b'0' + rng.below(10) as u8));
    }
    let check = luhn_check_digit(&body).unwrap();
    format!("{body}{check}")
}

/// The written forms: plain, spaced and dashed in the brand's usual groups.
fn layouts(n: &str) -> [String; 3] {
    let groups: Vec<usize> = match n.len() {
        15 => vec![4, 6, 5],
        14 => vec![4, 6, 4],
        _ => {
            let mut g = vec![4; n.len() / 4];
            if !n.len().is_multiple_of(4) {
                g.push(n.len() % 4);
            }
            g
        }
    };
    let mut parts = Vec::new();
    let mut at = 0;
    for g in groups {
        parts.push(&n[at..at + g]);
        at += g;
    }
    [n.to_owned(), parts.join(" "), parts.join("-")]
}

fn classifier() -> Classifier {
    Classifier::new(b"card test key".to_vec(), Limits::default()).unwrap()
}

/// The card numbers the classifier found in a file, as keyed hashes.
fn found(c: &Classifier, bytes: &[u8]) -> BTreeSet<[u8; 16]> {
    c.classify(bytes)
        .unwrap()
        .hashes
        .remove("credit_card")
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn hashes(c: &Classifier, numbers: &[String]) -> BTreeSet<[u8; 16]> {
    numbers.iter().map(|n| c.hash("credit_card", n)).collect()
}

struct Generated {
    /// Count alone (16+ digits, or a brand's own fixed length).
    alone: Vec<String>,
    /// Need a card word (Maestro 12–15).
    gated: Vec<String>,
}

fn generate() -> Generated {
    let mut rng = Rng::new(7, "cards");
    let mut alone = Vec::new();
    let mut gated = Vec::new();
    for r in published() {
        let maestro = r.brand.starts_with("Maestro");
        for &len in &r.lengths {
            let mut prefixes = vec![r.first, r.last];
            if r.last > r.first + 1 {
                prefixes.push(r.first + rng.below(r.last - r.first + 1));
            }
            for prefix in prefixes {
                let mut n = number(&mut rng, prefix, len);
                // 13 digits that are also a valid Corporate Number count as one when no card
                // word is near (documented); draw a number that is only a card.
                while len == 13 && corporate_number_valid(&n) {
                    n = number(&mut rng, prefix, len);
                }
                assert_eq!(n.len(), len, "{}", r.brand);
                assert!(n.starts_with(&prefix.to_string()));
                assert_eq!(prefix.to_string().len(), r.prefix_len);
                if maestro && len < 16 {
                    gated.push(n);
                } else {
                    alone.push(n);
                }
            }
        }
    }
    Generated { alone, gated }
}

#[test]
fn every_range_and_length_is_found_in_prose() {
    let c = classifier();
    let g = generate();
    assert!(g.alone.len() > 200 && g.gated.len() > 30);
    for k in 0..3 {
        // With a card word before each number: every number counts.
        let mut text = String::from("Monthly statement of the payment desk.\n");
        for (i, n) in g.alone.iter().chain(&g.gated).enumerate() {
            let form = &layouts(n)[k];
            if i % 2 == 0 {
                text.push_str(&format!("Paid by credit card {form} on the 3rd.\n"));
            } else {
                text.push_str(&format!("決済カード番号：{form}　承認済み。\n"));
            }
        }
        let all: Vec<String> = g.alone.iter().chain(&g.gated).cloned().collect();
        let got = found(&c, text.as_bytes());
        let want = hashes(&c, &all);
        let missing: Vec<&String> = all
            .iter()
            .filter(|n| !got.contains(&c.hash("credit_card", n)))
            .collect();
        assert!(missing.is_empty(), "layout {k}: missed {missing:?}");
        assert_eq!(got, want, "layout {k}");
        // Without any card word: the unambiguous lengths still count, the short Maestro ones
        // do not.
        let mut text = String::from("Reference list.\n");
        for n in g.alone.iter().chain(&g.gated) {
            text.push_str(&format!("Item ref {} was filed.\n", layouts(n)[k]));
        }
        let got = found(&c, text.as_bytes());
        assert_eq!(got, hashes(&c, &g.alone), "layout {k} without card words");
    }
}

#[test]
fn every_range_and_length_is_found_in_csv_columns() {
    let c = classifier();
    let g = generate();
    for k in 0..3 {
        // A card column: every number counts, the short ones included.
        let mut csv = String::from("id,holder,card_number,amount\n");
        let all: Vec<String> = g.alone.iter().chain(&g.gated).cloned().collect();
        for (i, n) in all.iter().enumerate() {
            csv.push_str(&format!("{i},Holder {i},{},{}\n", layouts(n)[k], 100 + i));
        }
        assert_eq!(
            found(&c, csv.as_bytes()),
            hashes(&c, &all),
            "card column, layout {k}"
        );
        // The same in Japanese headers, in Shift_JIS.
        let mut sjis = String::from("番号,氏名,クレジットカード,金額\r\n");
        for (i, n) in all.iter().enumerate() {
            sjis.push_str(&format!(
                "{i},山田 太郎,\"{}\",{}\r\n",
                layouts(n)[k],
                100 + i
            ));
        }
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&sjis);
        assert_eq!(
            found(&c, &bytes),
            hashes(&c, &all),
            "カード column, layout {k}"
        );
        // A column with no card word: only the unambiguous lengths count.
        let mut csv = String::from("id,reference,amount\n");
        for (i, n) in all.iter().enumerate() {
            csv.push_str(&format!("{i},{},{}\n", layouts(n)[k], 100 + i));
        }
        assert_eq!(
            found(&c, csv.as_bytes()),
            hashes(&c, &g.alone),
            "reference column, layout {k}"
        );
    }
}

#[test]
fn near_misses_are_not_cards() {
    let c = classifier();
    let g = generate();
    let mut rng = Rng::new(8, "near misses");
    let mut text = String::from("Payment card audit: numbers below are NOT valid cards.\n");
    // A wrong check digit, for every generated number.
    for n in g.alone.iter().chain(&g.gated) {
        let last = n.as_bytes()[n.len() - 1] - b'0';
        let wrong = format!(
            "{}{}",
            &n[..n.len() - 1],
            (last + 1 + rng.below(9) as u8) % 10
        );
        text.push_str(&format!("card {wrong}\n"));
    }
    // Prefixes no issuer uses (7, 90–96, 0), Luhn-valid, at every card length.
    for prefix in [7u64, 70, 77, 90, 93, 96] {
        for len in 12..=19 {
            text.push_str(&format!("card {}\n", number(&mut rng, prefix, len)));
        }
    }
    // A real range at a length it does not have (Amex at 16, Visa at 15, Mastercard at 15).
    for (prefix, len) in [
        (34u64, 16usize),
        (37, 14),
        (4, 15),
        (51, 15),
        (2221, 19),
        (1800, 16),
    ] {
        text.push_str(&format!("card {}\n", number(&mut rng, prefix, len)));
    }
    assert!(found(&c, text.as_bytes()).is_empty());
    // Short Maestro-length numbers with no card word near them (the word too far back: more
    // than 80 characters before).
    let mut text = String::from("Card numbers are listed in appendix B.");
    text.push_str(&" Filler words for the distance.".repeat(4));
    for n in &g.gated {
        text.push_str(&format!(" Order {n} shipped."));
    }
    let r = c.classify(text.as_bytes()).unwrap();
    assert!(!r.hashes.contains_key("credit_card"), "{:?}", r.categories);
    assert!(r.near_misses >= g.gated.len() as u64 - 1);
}
