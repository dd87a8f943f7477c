//! Writes a labelled benchmark corpus: English and Japanese prose in UTF-8 text files of about
//! 1 MB, with e-mail addresses, phone numbers, cards, My Numbers, Corporate Numbers, IBANs and
//! near-misses, plus one file of all of it (for tools that take a single file).
//!
//! `cargo run --release -p breachscope-classify --example gen_corpus -- DIR [MEGABYTES]`

use std::io::Write;

use breachscope_simulate::pii;
use breachscope_simulate::rng::Rng;

const EN: &[&str] = &[
    "The quarterly review covered the open items from the supplier audit and the revised delivery plan.",
    "Please confirm the updated shipping address before the end of the week so that we can release the order.",
    "Our records show that the invoice was paid in full; the remaining balance relates to the service contract.",
    "The committee agreed to postpone the decision until the legal team has reviewed the draft agreement.",
];
const JA: &[&str] = &[
    "本件については引き続き関係部署と調整の上、次回の定例会で進捗を報告する予定です。",
    "前回の打合せで合意した方針に沿って、納期と見積条件を一部見直しました。",
    "お客様からのお問い合わせには担当者が個別に回答し、対応履歴を記録してください。",
    "来期の予算編成に向けて、各部門から提出された要望を取りまとめています。",
];

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "bench-out/corpus".into()));
    let megabytes: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    std::fs::create_dir_all(dir.join("files"))?;
    let mut rng = Rng::new(42, "corpus");
    let mut all = std::io::BufWriter::new(std::fs::File::create(dir.join("corpus.txt"))?);
    let mut written = 0usize;
    let mut n = 0;
    while written < megabytes << 20 {
        let mut doc = String::new();
        while doc.len() < 1 << 20 {
            let ja = rng.chance(0.5);
            for _ in 0..rng.range(2, 6) {
                doc.push_str(if ja {
                    rng.pick(JA).copied().unwrap_or(JA[0])
                } else {
                    rng.pick(EN).copied().unwrap_or(EN[0])
                });
                doc.push(' ');
            }
            let p = pii::person(&mut rng, "example.co.jp", n as u32);
            match rng.below(8) {
                0 => doc.push_str(&format!(
                    "連絡先：{} {} {}",
                    p.name, p.email.text, p.phone.text
                )),
                1 => doc.push_str(&format!(
                    "Contact {} at {} or {}",
                    p.name,
                    p.email.text,
                    pii::foreign_phone(&mut rng).text
                )),
                2 => doc.push_str(&format!(
                    "カード番号 {} 注文番号 {}",
                    p.card.text,
                    pii::luhn_near_miss(&mut rng)
                )),
                3 => doc.push_str(&format!(
                    "個人番号 {} 管理番号 {}",
                    pii::write_my_number(&mut rng, &p.my_number),
                    pii::my_number_near_miss(&mut rng)
                )),
                4 => doc.push_str(&format!(
                    "取引先 法人番号 {}",
                    pii::corporate_number(&mut rng)
                )),
                5 => doc.push_str(&format!("住所 {} {}", p.postal_code.text, p.address)),
                _ => {}
            }
            doc.push('\n');
        }
        std::fs::write(dir.join("files").join(format!("doc_{n:05}.txt")), &doc)?;
        all.write_all(doc.as_bytes())?;
        written += doc.len();
        n += 1;
    }
    all.flush()?;
    eprintln!(
        "wrote {n} files, {:.1} MB, and corpus.txt in {}",
        written as f64 / 1e6,
        dir.display()
    );
    Ok(())
}
