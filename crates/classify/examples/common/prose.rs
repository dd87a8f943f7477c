//! Prose shared by the benchmark corpus generators (`gen_corpus`, `gen_kinds`): the sentence
//! pools and paragraphs with planted values and near-misses.

// Each example uses part of this module.
#![allow(dead_code)]

use breachscope_simulate::pii;
use breachscope_simulate::rng::Rng;

/// English sentences.
pub const EN: &[&str] = &[
    "The quarterly review covered the open items from the supplier audit and the revised delivery plan.",
    "Please confirm the updated shipping address before the end of the week so that we can release the order.",
    "Our records show that the invoice was paid in full; the remaining balance relates to the service contract.",
    "The committee agreed to postpone the decision until the legal team has reviewed the draft agreement.",
];

/// Japanese sentences.
pub const JA: &[&str] = &[
    "本件については引き続き関係部署と調整の上、次回の定例会で進捗を報告する予定です。",
    "前回の打合せで合意した方針に沿って、納期と見積条件を一部見直しました。",
    "お客様からのお問い合わせには担当者が個別に回答し、対応履歴を記録してください。",
    "来期の予算編成に向けて、各部門から提出された要望を取りまとめています。",
];

/// The language of a paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English sentences and labels.
    En,
    /// Japanese sentences and labels.
    Ja,
    /// English or Japanese sentences at random, labels mostly Japanese (`gen_corpus`).
    Mixed,
}

/// Appends a paragraph: two to five sentences, then (six times in eight) a planted value with
/// its label — contact details, a card beside a Luhn near-miss, a My Number beside a near-miss,
/// a Corporate Number or an address — and a newline. `serial` keeps e-mail addresses distinct.
pub fn paragraph(rng: &mut Rng, lang: Lang, serial: u32, doc: &mut String) {
    let ja = match lang {
        Lang::En => false,
        Lang::Ja => true,
        Lang::Mixed => rng.chance(0.5),
    };
    for _ in 0..rng.range(2, 6) {
        doc.push_str(if ja {
            rng.pick(JA).copied().unwrap_or(JA[0])
        } else {
            rng.pick(EN).copied().unwrap_or(EN[0])
        });
        doc.push(' ');
    }
    let p = pii::person(rng, "example.co.jp", serial);
    let english = lang == Lang::En;
    match rng.below(8) {
        0 if english => doc.push_str(&format!(
            "Contact: {} {} {}",
            p.name, p.email.text, p.phone.text
        )),
        0 => doc.push_str(&format!(
            "連絡先：{} {} {}",
            p.name, p.email.text, p.phone.text
        )),
        1 if lang == Lang::Ja => doc.push_str(&format!(
            "海外窓口：{} {} {}",
            p.name,
            p.email.text,
            pii::foreign_phone(rng).text
        )),
        1 => doc.push_str(&format!(
            "Contact {} at {} or {}",
            p.name,
            p.email.text,
            pii::foreign_phone(rng).text
        )),
        2 if english => doc.push_str(&format!(
            "Card number {} order no. {}",
            p.card.text,
            pii::luhn_near_miss(rng)
        )),
        2 => doc.push_str(&format!(
            "カード番号 {} 注文番号 {}",
            p.card.text,
            pii::luhn_near_miss(rng)
        )),
        3 if english => doc.push_str(&format!(
            "My Number {} reference {}",
            pii::write_my_number(rng, &p.my_number),
            pii::my_number_near_miss(rng)
        )),
        3 => doc.push_str(&format!(
            "個人番号 {} 管理番号 {}",
            pii::write_my_number(rng, &p.my_number),
            pii::my_number_near_miss(rng)
        )),
        4 if english => doc.push_str(&format!(
            "Supplier Corporate Number {}",
            pii::corporate_number(rng)
        )),
        4 => doc.push_str(&format!("取引先 法人番号 {}", pii::corporate_number(rng))),
        5 if english => doc.push_str(&format!("Address: {} {}", p.postal_code.text, p.address)),
        5 => doc.push_str(&format!("住所 {} {}", p.postal_code.text, p.address)),
        _ => {}
    }
    doc.push('\n');
}
