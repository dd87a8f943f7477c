//! Fictional people and the personal data planted in files, each value with its normal form.
//!
//! Normal forms follow report-v1: e-mail lower-case, phone E.164, card / My Number / Corporate
//! Number as bare digits. Addresses use the 47 prefectures; e-mail domains are reserved example
//! domains; phone numbers are random within real number plans.

use std::collections::{BTreeMap, BTreeSet};

use breachscope_model::identifiers::{
    corporate_number_check_digit, luhn_check_digit, my_number_check_digit, my_number_valid,
};

use crate::rng::Rng;

/// Japanese family names with their romanisation and reading.
pub const FAMILY: &[(&str, &str, &str)] = &[
    ("佐藤", "sato", "サトウ"),
    ("鈴木", "suzuki", "スズキ"),
    ("高橋", "takahashi", "タカハシ"),
    ("田中", "tanaka", "タナカ"),
    ("伊藤", "ito", "イトウ"),
    ("渡辺", "watanabe", "ワタナベ"),
    ("山本", "yamamoto", "ヤマモト"),
    ("中村", "nakamura", "ナカムラ"),
    ("小林", "kobayashi", "コバヤシ"),
    ("加藤", "kato", "カトウ"),
    ("吉田", "yoshida", "ヨシダ"),
    ("山田", "yamada", "ヤマダ"),
    ("佐々木", "sasaki", "ササキ"),
    ("山口", "yamaguchi", "ヤマグチ"),
    ("松本", "matsumoto", "マツモト"),
    ("井上", "inoue", "イノウエ"),
    ("木村", "kimura", "キムラ"),
    ("林", "hayashi", "ハヤシ"),
    ("斎藤", "saito", "サイトウ"),
    ("清水", "shimizu", "シミズ"),
    ("山崎", "yamazaki", "ヤマザキ"),
    ("森", "mori", "モリ"),
    ("池田", "ikeda", "イケダ"),
    ("橋本", "hashimoto", "ハシモト"),
    ("阿部", "abe", "アベ"),
    ("石川", "ishikawa", "イシカワ"),
    ("山下", "yamashita", "ヤマシタ"),
    ("中島", "nakajima", "ナカジマ"),
    ("石井", "ishii", "イシイ"),
    ("小川", "ogawa", "オガワ"),
    ("前田", "maeda", "マエダ"),
    ("岡田", "okada", "オカダ"),
    ("長谷川", "hasegawa", "ハセガワ"),
    ("藤田", "fujita", "フジタ"),
    ("後藤", "goto", "ゴトウ"),
    ("近藤", "kondo", "コンドウ"),
];

/// Japanese given names with their romanisation and reading.
pub const GIVEN: &[(&str, &str, &str)] = &[
    ("健", "ken", "ケン"),
    ("翔太", "shota", "ショウタ"),
    ("大輔", "daisuke", "ダイスケ"),
    ("陽菜", "hina", "ヒナ"),
    ("美咲", "misaki", "ミサキ"),
    ("結衣", "yui", "ユイ"),
    ("蓮", "ren", "レン"),
    ("悠斗", "yuto", "ユウト"),
    ("彩", "aya", "アヤ"),
    ("直樹", "naoki", "ナオキ"),
    ("真由美", "mayumi", "マユミ"),
    ("浩二", "koji", "コウジ"),
    ("恵", "megumi", "メグミ"),
    ("拓也", "takuya", "タクヤ"),
    ("さくら", "sakura", "サクラ"),
    ("誠", "makoto", "マコト"),
    ("由美子", "yumiko", "ユミコ"),
    ("和也", "kazuya", "カズヤ"),
    ("智子", "tomoko", "トモコ"),
    ("剛", "tsuyoshi", "ツヨシ"),
    ("奈々", "nana", "ナナ"),
    ("亮", "ryo", "リョウ"),
    ("千尋", "chihiro", "チヒロ"),
    ("修", "osamu", "オサム"),
];

/// English given and family names for foreign customers and contacts.
pub const EN_GIVEN: &[&str] = &[
    "Emma", "Oliver", "Sophia", "James", "Mia", "Lucas", "Grace", "Henry", "Chloe", "Daniel",
];
/// English family names.
pub const EN_FAMILY: &[&str] = &[
    "Smith", "Brown", "Taylor", "Wilson", "Clarke", "Evans", "Walker", "Wright", "Hughes", "Green",
];

/// Prefectures with sample cities and their postal-code leading digits.
const PLACES: &[(&str, &str, &str)] = &[
    ("東京都", "千代田区丸の内", "100"),
    ("東京都", "渋谷区神南", "150"),
    ("東京都", "新宿区西新宿", "160"),
    ("大阪府", "大阪市北区梅田", "530"),
    ("神奈川県", "横浜市西区みなとみらい", "220"),
    ("愛知県", "名古屋市中村区名駅", "450"),
    ("福岡県", "福岡市博多区博多駅前", "812"),
    ("北海道", "札幌市中央区北一条西", "060"),
    ("京都府", "京都市下京区烏丸通", "600"),
    ("埼玉県", "さいたま市大宮区桜木町", "330"),
    ("千葉県", "千葉市美浜区中瀬", "261"),
    ("兵庫県", "神戸市中央区三宮町", "650"),
    ("宮城県", "仙台市青葉区中央", "980"),
    ("広島県", "広島市中区紙屋町", "730"),
    ("沖縄県", "那覇市久茂地", "900"),
];

/// Banks (Zengin code, name) and branches.
const BANKS: &[(&str, &str)] = &[
    ("0001", "みずほ銀行"),
    ("0005", "三菱UFJ銀行"),
    ("0009", "三井住友銀行"),
    ("0010", "りそな銀行"),
];
const BRANCHES: &[(&str, &str)] = &[
    ("101", "東京営業部"),
    ("135", "渋谷支店"),
    ("250", "新宿支店"),
    ("310", "梅田支店"),
    ("412", "名駅支店"),
];

/// Categories as report-v1 names them.
pub mod category {
    /// Person names.
    pub const PERSON_NAME: &str = "person_name";
    /// E-mail addresses.
    pub const EMAIL: &str = "email";
    /// Phone numbers.
    pub const PHONE: &str = "phone";
    /// Postal addresses.
    pub const POSTAL_ADDRESS: &str = "postal_address";
    /// Postal codes.
    pub const POSTAL_CODE: &str = "postal_code";
    /// Dates of birth.
    pub const DATE_OF_BIRTH: &str = "date_of_birth";
    /// Payment card numbers.
    pub const CREDIT_CARD: &str = "credit_card";
    /// Bank accounts.
    pub const BANK_ACCOUNT: &str = "bank_account";
    /// IBANs.
    pub const IBAN: &str = "iban";
    /// Driver's licence numbers.
    pub const DRIVERS_LICENSE: &str = "drivers_license";
    /// Passport numbers.
    pub const PASSPORT: &str = "passport";
    /// My Number.
    pub const MY_NUMBER: &str = "my_number";
    /// Corporate Number.
    pub const CORPORATE_NUMBER: &str = "corporate_number";
    /// PEM private keys.
    pub const PRIVATE_KEY: &str = "private_key";
    /// Cloud access keys.
    pub const CLOUD_ACCESS_KEY: &str = "cloud_access_key";
    /// API tokens.
    pub const API_TOKEN: &str = "api_token";
    /// Password assignments.
    pub const PASSWORD: &str = "password";
}

/// Values planted in one file: category → normalised values.
pub type Planted = BTreeMap<String, BTreeSet<String>>;

/// Records a planted value.
pub fn plant(planted: &mut Planted, category: &str, normalized: impl Into<String>) {
    planted
        .entry(category.to_owned())
        .or_default()
        .insert(normalized.into());
}

/// A value as written in a file and its normal form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// As it appears in the file.
    pub text: String,
    /// The normal form (report-v1).
    pub normal: String,
}

/// A fictional person with everything a file might say about them.
#[derive(Debug, Clone)]
pub struct Person {
    /// Name in Japanese (`田中 健`) or English.
    pub name: String,
    /// Katakana reading (Japanese names) or the name again.
    pub kana: String,
    /// Romanised, for accounts and e-mail (`ken.tanaka`).
    pub romaji: String,
    /// E-mail address.
    pub email: Written,
    /// Phone number.
    pub phone: Written,
    /// Postal code.
    pub postal_code: Written,
    /// Address (prefecture-led).
    pub address: String,
    /// Date of birth (ISO).
    pub dob: String,
    /// My Number (12 digits, valid check digit).
    pub my_number: String,
    /// Bank account: (bank, branch, written, normal).
    pub bank: Written,
    /// A payment card.
    pub card: Written,
}

/// A person's driver's licence and passport numbers, when they hold them: drawn from a stream of
/// their own (seeded by the person's My Number), so adding them changed no other value.
/// Licence: 12 digits, a public-safety commission (10–97), the year of first licence, a serial,
/// a check digit (its algorithm is unpublished: any digit) and the reissue count. Passport: two
/// letters and seven digits. A licence whose twelve digits would pass the My Number check digit
/// gets another reissue count, so that no licence is also a valid My Number (a recount without
/// context words can then tell them apart).
pub fn licence_and_passport(p: &Person) -> (Option<String>, Option<String>) {
    let seed = p.my_number.parse::<u64>().unwrap_or(0);
    let mut rng = Rng::new(seed, "licence-and-passport");
    let licence = rng.chance(0.7).then(|| {
        let head = format!(
            "{}{:02}{}{}",
            rng.range(10, 97),
            rng.range(0, 99),
            digits(&mut rng, 6),
            digits(&mut rng, 1),
        );
        let reissue = rng.range(0, 3);
        (0..10)
            .map(|k| format!("{head}{}", (reissue + k) % 10))
            .find(|l| !my_number_valid(l))
            .unwrap_or_else(|| format!("{head}{reissue}"))
    });
    let passport = rng.chance(0.3).then(|| {
        let prefix = ["TK", "TR", "TZ", "MU", "MZ", "TH", "TS"][rng.below(7) as usize];
        format!("{prefix}{}", digits(&mut rng, 7))
    });
    (licence, passport)
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

fn fullwidth(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c),
            '-' => '－',
            '+' => '＋',
            _ => c,
        })
        .collect()
}

/// A phone number in one of the forms Japanese documents use.
pub fn phone(rng: &mut Rng) -> Written {
    let form = rng.below(10);
    let (national, groups): (String, [usize; 3]) = match rng.below(4) {
        0 => (format!("03{}", digits(rng, 8)), [2, 4, 4]),
        1 => (format!("06{}", digits(rng, 8)), [2, 4, 4]),
        2 => (
            format!(
                "0{}{}",
                ["90", "80", "70"][rng.below(3) as usize],
                digits(rng, 8)
            ),
            [3, 4, 4],
        ),
        _ => (format!("045{}", digits(rng, 7)), [3, 3, 4]),
    };
    let normal = format!("+81{}", &national[1..]);
    let (a, rest) = national.split_at(groups[0]);
    let (b, c) = rest.split_at(groups[1]);
    let text = match form {
        0..=4 => format!("{a}-{b}-{c}"),
        5 | 6 => format!("+81-{}-{b}-{c}", &a[1..]),
        7 => format!("+81 {} {b} {c}", &a[1..]),
        _ => fullwidth(&format!("{a}-{b}-{c}")),
    };
    Written { text, normal }
}

/// An international (non-Japanese) phone number in E.164 drama ranges.
pub fn foreign_phone(rng: &mut Rng) -> Written {
    if rng.chance(0.5) {
        let sub = format!("7946{}", digits(rng, 4));
        Written {
            text: format!("+44 20 {} {}", &sub[..4], &sub[4..]),
            normal: format!("+4420{sub}"),
        }
    } else {
        let sub = format!("01{}", digits(rng, 2));
        Written {
            text: format!("+1 415 555 {sub}"),
            normal: format!("+1415555{sub}"),
        }
    }
}

/// A payment card number with a valid Luhn digit, in one of several brands and layouts.
pub fn card(rng: &mut Rng) -> Written {
    let (prefix, len): (String, usize) = match rng.below(6) {
        0 => ("4".into(), 16),
        1 => (format!("5{}", rng.range(1, 5)), 16),
        2 => (format!("{}", rng.range(2221, 2720)), 16),
        3 => (format!("3{}", ["4", "7"][rng.below(2) as usize]), 15),
        4 => (format!("{}", rng.range(3528, 3589)), 16),
        _ => ("6011".into(), 16),
    };
    let body = format!("{prefix}{}", digits(rng, len - 1 - prefix.len()));
    let check = luhn_check_digit(&body).unwrap_or(0);
    let number = format!("{body}{check}");
    let text = if len == 15 {
        format!("{} {} {}", &number[..4], &number[4..10], &number[10..])
    } else {
        match rng.below(3) {
            0 => number.clone(),
            1 => number
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            _ => number
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-"),
        }
    };
    Written {
        text,
        normal: number,
    }
}

/// A 16-digit number that fails the Luhn check (an order number).
pub fn luhn_near_miss(rng: &mut Rng) -> String {
    let body = format!("4{}", digits(rng, 14));
    let check = (luhn_check_digit(&body).unwrap_or(0) + 1 + rng.below(8) as u32) % 10;
    format!("{body}{check}")
}

/// A valid My Number.
pub fn my_number(rng: &mut Rng) -> String {
    let body = format!("{}{}", rng.range(1, 9), digits(rng, 10));
    format!("{body}{}", my_number_check_digit(&body).unwrap_or(0))
}

/// 12 digits that fail the My Number check (a management number).
pub fn my_number_near_miss(rng: &mut Rng) -> String {
    let body = format!("{}{}", rng.range(1, 9), digits(rng, 10));
    let check = (my_number_check_digit(&body).unwrap_or(0) + 1 + rng.below(8) as u32) % 10;
    format!("{body}{check}")
}

/// A valid Corporate Number.
pub fn corporate_number(rng: &mut Rng) -> String {
    let base = format!("{}{}", rng.range(1, 9), digits(rng, 11));
    format!("{}{base}", corporate_number_check_digit(&base).unwrap_or(0))
}

/// A My Number written in one of its usual layouts.
pub fn write_my_number(rng: &mut Rng, number: &str) -> String {
    match rng.below(3) {
        0 => number.to_owned(),
        1 => format!("{} {} {}", &number[..4], &number[4..8], &number[8..]),
        _ => format!("{}-{}-{}", &number[..4], &number[4..8], &number[8..]),
    }
}

/// A person, Japanese (mostly) or English.
pub fn person(rng: &mut Rng, email_domain: &str, serial: u32) -> Person {
    let japanese = rng.chance(0.85);
    let (name, kana, romaji) = if japanese {
        let f = rng.pick(FAMILY).copied().unwrap_or(FAMILY[0]);
        let g = rng.pick(GIVEN).copied().unwrap_or(GIVEN[0]);
        (
            format!("{} {}", f.0, g.0),
            format!("{} {}", f.2, g.2),
            format!("{}.{}", g.1, f.1),
        )
    } else {
        let g = rng.pick(EN_GIVEN).copied().unwrap_or("Emma");
        let f = rng.pick(EN_FAMILY).copied().unwrap_or("Smith");
        (
            format!("{g} {f}"),
            format!("{g} {f}"),
            format!("{}.{}", g.to_lowercase(), f.to_lowercase()),
        )
    };
    // A serial keeps addresses distinct among people who share a name.
    let local = format!("{romaji}{serial}");
    let email_text = if rng.chance(0.1) {
        format!("{}@{email_domain}", local.to_uppercase())
    } else {
        format!("{local}@{email_domain}")
    };
    let place = rng.pick(PLACES).copied().unwrap_or(PLACES[0]);
    let pc = format!("{}{}", place.2, digits(rng, 4));
    let postal_code = Written {
        text: if rng.chance(0.5) {
            format!("〒{}-{}", &pc[..3], &pc[3..])
        } else {
            format!("{}-{}", &pc[..3], &pc[3..])
        },
        normal: format!("{}-{}", &pc[..3], &pc[3..]),
    };
    let address = format!(
        "{}{}{}丁目{}番{}号",
        place.0,
        place.1,
        rng.range(1, 9),
        rng.range(1, 30),
        rng.range(1, 20)
    );
    let dob = format!(
        "{}-{:02}-{:02}",
        rng.range(1955, 2003),
        rng.range(1, 12),
        rng.range(1, 28)
    );
    let bank = rng.pick(BANKS).copied().unwrap_or(BANKS[0]);
    let branch = rng.pick(BRANCHES).copied().unwrap_or(BRANCHES[0]);
    let account = digits(rng, 7);
    Person {
        name,
        kana,
        romaji,
        email: Written {
            normal: email_text.to_lowercase(),
            text: email_text,
        },
        phone: if japanese || rng.chance(0.3) {
            phone(rng)
        } else {
            foreign_phone(rng)
        },
        postal_code,
        address,
        dob,
        my_number: my_number(rng),
        bank: Written {
            text: format!("{} {} 普通 {}", bank.1, branch.1, account),
            normal: format!("{}-{}-{}", bank.0, branch.0, account),
        },
        card: card(rng),
    }
}

/// A fictional company (client or vendor).
#[derive(Debug, Clone)]
pub struct Organisation {
    /// Name (`株式会社サンプル商事`).
    pub name: String,
    /// Corporate Number (13 digits, valid).
    pub corporate_number: String,
    /// Head-office address.
    pub address: String,
    /// Main phone.
    pub phone: Written,
    /// Bank account for invoices.
    pub bank: Written,
    /// IBAN for overseas vendors.
    pub iban: Option<Written>,
}

const ORG_STEMS: &[&str] = &[
    "サンプル商事",
    "みらい工業",
    "東洋精機",
    "あおば物流",
    "ひかり電子",
    "北斗システム",
    "さくら食品",
    "大和テクノ",
    "光陽産業",
    "青空ソリューションズ",
    "日の出化学",
    "富士ロジスティクス",
];

/// IBAN for a UK account (mod-97 check digits computed).
fn iban(rng: &mut Rng) -> Written {
    let bban = format!("WEST{}", digits(rng, 14));
    // Check digits: 98 − (BBAN + "GB00" as digits mod 97).
    let rearranged = format!("{bban}GB00");
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = if c.is_ascii_digit() {
            c as u32 - '0' as u32
        } else {
            c as u32 - 'A' as u32 + 10
        };
        rem = (rem * if v >= 10 { 100 } else { 10 } + v) % 97;
    }
    let check = 98 - rem;
    let compact = format!("GB{check:02}{bban}");
    let text = compact
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Written {
        text,
        normal: compact,
    }
}

/// An organisation.
pub fn organisation(rng: &mut Rng, serial: u32) -> Organisation {
    let stem = rng.pick(ORG_STEMS).copied().unwrap_or(ORG_STEMS[0]);
    let place = rng.pick(PLACES).copied().unwrap_or(PLACES[0]);
    let bank = rng.pick(BANKS).copied().unwrap_or(BANKS[0]);
    let branch = rng.pick(BRANCHES).copied().unwrap_or(BRANCHES[0]);
    let account = digits(rng, 7);
    Organisation {
        name: format!("株式会社{stem}{serial}"),
        corporate_number: corporate_number(rng),
        address: format!(
            "{}{}{}丁目{}番{}号",
            place.0,
            place.1,
            rng.range(1, 9),
            rng.range(1, 30),
            rng.range(1, 20)
        ),
        phone: phone(rng),
        bank: Written {
            text: format!("{} {} 当座 {}", bank.1, branch.1, account),
            normal: format!("{}-{}-{}", bank.0, branch.0, account),
        },
        iban: rng.chance(0.2).then(|| iban(rng)),
    }
}

/// An AWS-style access key id and secret.
pub fn cloud_key(rng: &mut Rng) -> (String, String) {
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let id: String = (0..16)
        .map(|_| char::from(UPPER[rng.below(UPPER.len() as u64) as usize]))
        .collect();
    let secret: String = (0..40)
        .map(|_| char::from(B64[rng.below(B64.len() as u64) as usize]))
        .collect();
    (format!("AKIA{id}"), secret)
}

/// A GitHub-style personal access token.
pub fn api_token(rng: &mut Rng) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = (0..36)
        .map(|_| char::from(ALNUM[rng.below(ALNUM.len() as u64) as usize]))
        .collect();
    format!("ghp_{body}")
}

/// A PEM private key block (random base64 body; not a usable key).
pub fn private_key(rng: &mut Rng) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut body = String::new();
    for _ in 0..25 {
        let line: String = (0..64)
            .map(|_| char::from(B64[rng.below(64) as usize]))
            .collect();
        body.push_str(&line);
        body.push('\n');
    }
    format!(
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow{}-----END RSA PRIVATE KEY-----\n",
        &body[6..]
    )
}

/// A password.
pub fn password(rng: &mut Rng) -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%";
    (0..14)
        .map(|_| char::from(CHARS[rng.below(CHARS.len() as u64) as usize]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use breachscope_model::identifiers::*;

    #[test]
    fn generated_values_validate_and_near_misses_do_not() {
        let mut rng = Rng::new(3, "pii");
        for i in 0..500 {
            let c = card(&mut rng);
            assert!(luhn_valid(&digits_only(&c.text)) && c.normal == digits_only(&c.text));
            assert!(!luhn_valid(&luhn_near_miss(&mut rng)));
            assert!(my_number_valid(&my_number(&mut rng)));
            assert!(!my_number_valid(&my_number_near_miss(&mut rng)));
            assert!(corporate_number_valid(&corporate_number(&mut rng)));
            let who = person(&mut rng, "example.co.jp", i);
            let (licence, passport) = licence_and_passport(&who);
            if let Some(l) = licence {
                assert!(
                    l.len() == 12 && l.bytes().all(|b| b.is_ascii_digit()),
                    "{l}"
                );
                assert!(!l.starts_with('0') && !my_number_valid(&l), "{l}");
            }
            if let Some(p) = passport {
                let (letters, digits) = p.split_at(2);
                assert!(letters.bytes().all(|b| b.is_ascii_uppercase()), "{p}");
                assert!(
                    digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit()),
                    "{p}"
                );
            }
            let p = phone(&mut rng);
            assert_eq!(
                phone_to_e164(&p.text).as_deref(),
                Some(p.normal.as_str()),
                "{}",
                p.text
            );
            let f = foreign_phone(&mut rng);
            assert_eq!(phone_to_e164(&f.text).as_deref(), Some(f.normal.as_str()));
            let o = organisation(&mut rng, i);
            if let Some(iban_value) = o.iban {
                assert!(iban_valid(&iban_value.text));
            }
        }
    }
}
