//! The contents of the file shares: tables, spreadsheets, documents, notes and source code with
//! planted personal data, secrets and near-misses, each file's planted values recorded.

use std::path::Path;

use crate::SimulateError;
use crate::company::Company;
use crate::ooxml;
use crate::pii::{self, Planted, category as cat, plant};
use crate::rnd;
use crate::rng::Rng;
use crate::scenario::Scenario;

/// A file written to a share.
#[derive(Debug, Clone)]
pub struct ShareFile {
    /// Share name.
    pub share: String,
    /// Path relative to the share root (`/`-separated).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Format (`csv`, `xlsx`, `docx`, `text`, `source`).
    pub format: &'static str,
    /// Text encoding (`utf-8`, `utf-8-bom`, `shift_jis`, or `binary` for OOXML).
    pub encoding: &'static str,
    /// Normalised values planted, by category (validated categories hold only values that pass
    /// their validator; near-misses are never recorded).
    pub planted: Planted,
    /// What the file is: kind, language, content labels, markings, partners, project.
    pub truth: ContentTruth,
}

/// A file's content as report-v1 classifies it: the answer key for kinds, labels, markings and
/// business partners.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContentTruth {
    /// report-v1 `classification.kind`.
    pub kind: &'static str,
    /// The language of source code.
    pub language: Option<&'static str>,
    /// Content labels: `technical`, `confidential`, `export_controlled`, `infrastructure`.
    pub labels: Vec<&'static str>,
    /// Confidentiality and export-control markings as written, in order of appearance
    /// (confidentiality first).
    pub markings: Vec<String>,
    /// Corporate Number → (the name written beside it, table rows holding it; a document
    /// counts as one).
    pub partners: std::collections::BTreeMap<String, (Option<String>, u64)>,
    /// The project directory (`projects/<name>`) of a file of an R&D project.
    pub project: Option<String>,
}

impl ContentTruth {
    fn partner(&mut self, number: &str, name: &str) {
        let e = self
            .partners
            .entry(number.to_owned())
            .or_insert((Some(name.to_owned()), 0));
        e.1 += 1;
    }
}

const FILLER: &[&str] = &[
    "本件については引き続き関係部署と調整の上、次回の定例会で進捗を報告する。",
    "前回の打合せで合意した方針に沿って、スケジュールを一部見直した。",
    "品質確認の結果、重大な問題は見つからなかったが、軽微な指摘事項が三件あった。",
    "来期の予算編成に向けて、各部門から要望を取りまとめている。",
    "取引先からの問い合わせには、担当者が個別に回答する運用とする。",
    "The project remains on schedule; the remaining risks are listed in the appendix.",
    "関連資料は共有フォルダの所定の場所に格納してあるので参照されたい。",
    "次回までに見積条件を再確認し、必要に応じて稟議を上げること。",
    "Please review the attached summary before the next steering meeting.",
    "社内規程の改定に伴い、申請書の様式が変更になっている点に注意すること。",
];

fn filler(rng: &mut Rng, sentences: usize) -> String {
    (0..sentences)
        .map(|_| *rng.pick(FILLER).unwrap_or(&FILLER[0]))
        .collect::<Vec<_>>()
        .join("")
}

fn csv_line(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Encoded bytes of a text file and the encoding's name.
fn encode(rng: &mut Rng, text: &str, allow_sjis: bool) -> (Vec<u8>, &'static str) {
    if allow_sjis && rng.chance(0.4) {
        let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
        if !unmappable {
            return (bytes.into_owned(), "shift_jis");
        }
    }
    if rng.chance(0.2) {
        let mut bytes = vec![0xef, 0xbb, 0xbf];
        bytes.extend_from_slice(text.as_bytes());
        return (bytes, "utf-8-bom");
    }
    (text.as_bytes().to_vec(), "utf-8")
}

pub(crate) struct Made {
    pub(crate) path: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) format: &'static str,
    pub(crate) encoding: &'static str,
    pub(crate) planted: Planted,
    pub(crate) truth: ContentTruth,
}

impl Made {
    /// Sets the kind when the generator did not.
    fn kind(mut self, kind: &'static str) -> Made {
        if self.truth.kind.is_empty() {
            self.truth.kind = kind;
        }
        self
    }
}

fn rows_count(rng: &mut Rng, scenario: &Scenario) -> usize {
    let [lo, hi] = scenario.company.table_rows;
    rng.range(u64::from(lo), u64::from(hi)) as usize
}

fn table(
    rng: &mut Rng,
    path: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    planted: Planted,
    xlsx: bool,
    allow_sjis: bool,
) -> Result<Made, SimulateError> {
    if xlsx {
        let mut all = vec![header];
        all.extend(rows);
        let bytes = ooxml::xlsx("Sheet1", &all)?;
        return Ok(Made {
            path: format!("{path}.xlsx"),
            bytes,
            format: "xlsx",
            encoding: "binary",
            planted,
            truth: ContentTruth::default(),
        });
    }
    let mut text = csv_line(&header);
    text.push_str("\r\n");
    for row in &rows {
        text.push_str(&csv_line(row));
        text.push_str("\r\n");
    }
    let (bytes, encoding) = encode(rng, &text, allow_sjis);
    Ok(Made {
        path: format!("{path}.csv"),
        bytes,
        format: "csv",
        encoding,
        planted,
        truth: ContentTruth::default(),
    })
}

fn customer_list(
    rng: &mut Rng,
    c: &Company,
    s: &Scenario,
    n: usize,
) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let mut partners = ContentTruth::default();
    let header = [
        "顧客ID",
        "氏名",
        "フリガナ",
        "会社名",
        "法人番号",
        "メールアドレス",
        "電話番号",
        "郵便番号",
        "住所",
    ]
    .map(String::from)
    .to_vec();
    let rows_n = rows_count(rng, s);
    let offset = rng.below(c.customers.len() as u64) as usize;
    let mut rows = Vec::new();
    for k in 0..rows_n {
        let p = &c.customers[(offset + k * 7) % c.customers.len()];
        let o = &c.organisations[(offset + k) % c.organisations.len()];
        partners.partner(&o.corporate_number, &o.name);
        plant(&mut planted, cat::PERSON_NAME, p.name.clone());
        plant(
            &mut planted,
            cat::CORPORATE_NUMBER,
            o.corporate_number.clone(),
        );
        plant(&mut planted, cat::EMAIL, p.email.normal.clone());
        plant(&mut planted, cat::PHONE, p.phone.normal.clone());
        plant(&mut planted, cat::POSTAL_CODE, p.postal_code.normal.clone());
        plant(&mut planted, cat::POSTAL_ADDRESS, p.address.clone());
        rows.push(vec![
            format!("C-{:06}", (offset + k * 7) % c.customers.len()),
            p.name.clone(),
            p.kana.clone(),
            o.name.clone(),
            o.corporate_number.clone(),
            p.email.text.clone(),
            p.phone.text.clone(),
            p.postal_code.text.clone(),
            p.address.clone(),
        ]);
    }
    let xlsx = rng.chance(0.3);
    let mut m = table(
        rng,
        format!("顧客/顧客リスト_{n:03}"),
        header,
        rows,
        planted,
        xlsx,
        true,
    )?;
    m.truth = partners;
    Ok(m)
}

fn quote(rng: &mut Rng, c: &Company, n: usize) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let o = &c.organisations[rng.below(c.organisations.len() as u64) as usize];
    let mut truth = ContentTruth::default();
    truth.partner(&o.corporate_number, &o.name);
    let p = &c.customers[rng.below(c.customers.len() as u64) as usize];
    plant(
        &mut planted,
        cat::CORPORATE_NUMBER,
        o.corporate_number.clone(),
    );
    plant(&mut planted, cat::PERSON_NAME, p.name.clone());
    plant(&mut planted, cat::EMAIL, p.email.normal.clone());
    plant(&mut planted, cat::PHONE, p.phone.normal.clone());
    let mut rows = vec![
        vec!["御見積書".to_string()],
        vec![
            "宛先".into(),
            o.name.clone(),
            "法人番号".into(),
            o.corporate_number.clone(),
        ],
        vec![
            "ご担当".into(),
            p.name.clone(),
            p.email.text.clone(),
            p.phone.text.clone(),
        ],
        vec![
            "品目".into(),
            "数量".into(),
            "単価".into(),
            "金額".into(),
            "型番".into(),
        ],
    ];
    for i in 0..rng.range(5, 40) {
        let q = rng.range(1, 50);
        let price = rng.range(5, 500) * 100;
        rows.push(vec![
            format!(
                "製品 {}-{}",
                ["A", "B", "C", "X"][i as usize % 4],
                rng.range(100, 999)
            ),
            q.to_string(),
            format!("{price}"),
            format!("{}", q * price),
            // Two letters and seven digits, like a passport number, with no passport beside
            // it: a hard negative.
            format!(
                "{}{:07}",
                ["KA", "MB", "PC", "TR"][i as usize % 4],
                (q * price * 7919) % 10_000_000
            ),
        ]);
    }
    let bytes = ooxml::xlsx("見積", &rows)?;
    Ok(Made {
        path: format!("見積/見積書_{n:04}.xlsx"),
        bytes,
        format: "xlsx",
        encoding: "binary",
        planted,
        truth,
    })
}

fn contract(rng: &mut Rng, c: &Company, n: usize) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let a = &c.organisations[rng.below(c.organisations.len() as u64) as usize];
    let mut truth = ContentTruth::default();
    truth.partner(&a.corporate_number, &a.name);
    let rep = &c.customers[rng.below(c.customers.len() as u64) as usize];
    plant(
        &mut planted,
        cat::CORPORATE_NUMBER,
        a.corporate_number.clone(),
    );
    plant(&mut planted, cat::PERSON_NAME, rep.name.clone());
    plant(&mut planted, cat::POSTAL_ADDRESS, a.address.clone());
    plant(&mut planted, cat::PHONE, a.phone.normal.clone());
    let mut paragraphs = vec![
        "業務委託契約書".to_string(),
        format!(
            "{}（法人番号 {}、以下「甲」という）と当社（以下「乙」という）は、次のとおり契約を締結する。",
            a.name, a.corporate_number
        ),
        format!(
            "甲の所在地：{}　代表者：{}　電話：{}",
            a.address, rep.name, a.phone.text
        ),
    ];
    for k in 1..=rng.range(8, 30) {
        paragraphs.push(format!("第{k}条　{}", filler(rng, 3)));
    }
    let bytes = ooxml::docx(&paragraphs)?;
    Ok(Made {
        path: format!("契約/契約書_{n:04}.docx"),
        bytes,
        format: "docx",
        encoding: "binary",
        planted,
        truth,
    })
}

fn minutes(rng: &mut Rng, c: &Company, n: usize, dir: &str) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let mut text = format!("議事録 {n}\n\n");
    for _ in 0..rng.range(10, 60) {
        text.push_str(&filler(rng, 4));
        text.push('\n');
        if rng.chance(0.15) {
            let p = &c.customers[rng.below(c.customers.len() as u64) as usize];
            plant(&mut planted, cat::PERSON_NAME, p.name.clone());
            plant(&mut planted, cat::EMAIL, p.email.normal.clone());
            plant(&mut planted, cat::PHONE, p.phone.normal.clone());
            text.push_str(&format!(
                "連絡先：{}様 {} / {}\n",
                p.name, p.email.text, p.phone.text
            ));
        }
    }
    let (bytes, encoding) = encode(rng, &text, true);
    Ok(Made {
        path: format!("{dir}/{n:04}_打合せメモ.txt"),
        bytes,
        format: "text",
        encoding,
        planted,
        truth: ContentTruth::default(),
    })
}

fn employee_roster(rng: &mut Rng, c: &Company, n: usize) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let header = [
        "社員番号",
        "氏名",
        "フリガナ",
        "生年月日",
        "個人番号",
        "郵便番号",
        "住所",
        "電話番号",
        "メールアドレス",
        "振込口座",
        "運転免許証番号",
        "旅券番号",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::new();
    for (i, e) in c.employees.iter().enumerate() {
        if rng.chance(0.2) {
            continue;
        }
        let p = &e.person;
        for (k, v) in [
            (cat::PERSON_NAME, p.name.clone()),
            (cat::DATE_OF_BIRTH, p.dob.clone()),
            (cat::MY_NUMBER, p.my_number.clone()),
            (cat::POSTAL_CODE, p.postal_code.normal.clone()),
            (cat::POSTAL_ADDRESS, p.address.clone()),
            (cat::PHONE, p.phone.normal.clone()),
            (cat::EMAIL, p.email.normal.clone()),
            (cat::BANK_ACCOUNT, p.bank.normal.clone()),
        ] {
            plant(&mut planted, k, v);
        }
        let (licence, passport) = pii::licence_and_passport(p);
        rows.push(vec![
            format!("E{:05}", i + 1),
            p.name.clone(),
            p.kana.clone(),
            p.dob.clone(),
            pii::write_my_number(rng, &p.my_number),
            p.postal_code.text.clone(),
            p.address.clone(),
            p.phone.text.clone(),
            p.email.text.clone(),
            p.bank.text.clone(),
            licence.clone().unwrap_or_default(),
            passport.clone().unwrap_or_default(),
        ]);
        if let Some(l) = licence {
            plant(&mut planted, cat::DRIVERS_LICENSE, l);
        }
        if let Some(p) = passport {
            plant(&mut planted, cat::PASSPORT, p);
        }
    }
    let xlsx = rng.chance(0.4);
    table(
        rng,
        format!("人事/社員名簿_{n:03}"),
        header,
        rows,
        planted,
        xlsx,
        true,
    )
}

fn applicants(rng: &mut Rng, c: &Company, s: &Scenario, n: usize) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let header = [
        "管理番号",
        "氏名",
        "生年月日",
        "メールアドレス",
        "電話番号",
        "備考",
    ]
    .map(String::from)
    .to_vec();
    let offset = rng.below(c.customers.len() as u64) as usize;
    let mut rows = Vec::new();
    for k in 0..rows_count(rng, s) {
        let p = &c.customers[(offset + k * 3) % c.customers.len()];
        plant(&mut planted, cat::PERSON_NAME, p.name.clone());
        plant(&mut planted, cat::DATE_OF_BIRTH, p.dob.clone());
        plant(&mut planted, cat::EMAIL, p.email.normal.clone());
        plant(&mut planted, cat::PHONE, p.phone.normal.clone());
        // 12 digits that fail the My Number check digit: a near-miss that must not count.
        rows.push(vec![
            pii::my_number_near_miss(rng),
            p.name.clone(),
            p.dob.clone(),
            p.email.text.clone(),
            p.phone.text.clone(),
            "書類選考中".into(),
        ]);
    }
    table(
        rng,
        format!("採用/応募者一覧_{n:03}"),
        header,
        rows,
        planted,
        false,
        true,
    )
}

fn payroll(rng: &mut Rng, c: &Company, n: usize) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let header = ["氏名", "振込先", "支給額"].map(String::from).to_vec();
    let mut rows = Vec::new();
    for e in &c.employees {
        plant(&mut planted, cat::PERSON_NAME, e.person.name.clone());
        plant(
            &mut planted,
            cat::BANK_ACCOUNT,
            e.person.bank.normal.clone(),
        );
        rows.push(vec![
            e.person.name.clone(),
            e.person.bank.text.clone(),
            format!("{}", rng.range(220, 650) * 1000),
        ]);
    }
    table(
        rng,
        format!("給与/給与振込_{n:03}"),
        header,
        rows,
        planted,
        false,
        true,
    )
}

fn evaluation(rng: &mut Rng, c: &Company, n: usize) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let e = &c.employees[rng.below(c.employees.len() as u64) as usize];
    plant(&mut planted, cat::PERSON_NAME, e.person.name.clone());
    let mut paragraphs = vec![format!("人事評価シート　対象者：{}", e.person.name)];
    for _ in 0..rng.range(6, 25) {
        paragraphs.push(filler(rng, 3));
    }
    let bytes = ooxml::docx(&paragraphs)?;
    Ok(Made {
        path: format!("評価/評価_{n:04}.docx"),
        bytes,
        format: "docx",
        encoding: "binary",
        planted,
        truth: ContentTruth::default(),
    })
}

fn card_payments(
    rng: &mut Rng,
    c: &Company,
    s: &Scenario,
    n: usize,
) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let header = [
        "注文番号",
        "氏名",
        "カード番号",
        "有効期限",
        "メールアドレス",
        "金額",
    ]
    .map(String::from)
    .to_vec();
    let offset = rng.below(c.customers.len() as u64) as usize;
    let mut rows = Vec::new();
    for k in 0..rows_count(rng, s) {
        let p = &c.customers[(offset + k * 5) % c.customers.len()];
        plant(&mut planted, cat::PERSON_NAME, p.name.clone());
        plant(&mut planted, cat::CREDIT_CARD, p.card.normal.clone());
        plant(&mut planted, cat::EMAIL, p.email.normal.clone());
        // The order number is 16 digits failing Luhn: a near-miss.
        rows.push(vec![
            pii::luhn_near_miss(rng),
            p.name.clone(),
            p.card.text.clone(),
            format!("{:02}/{:02}", rng.range(1, 12), rng.range(26, 31)),
            p.email.text.clone(),
            format!("{}", rng.range(1, 900) * 100),
        ]);
    }
    table(
        rng,
        format!("カード決済/card_payments_{n:03}"),
        header,
        rows,
        planted,
        false,
        true,
    )
}

fn invoices(rng: &mut Rng, c: &Company, n: usize) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let mut truth = ContentTruth::default();
    let mut rows = vec![
        ["取引先", "法人番号", "振込先", "IBAN", "請求額"]
            .map(String::from)
            .to_vec(),
    ];
    for _ in 0..rng.range(10, 60) {
        let o = &c.organisations[rng.below(c.organisations.len() as u64) as usize];
        truth.partner(&o.corporate_number, &o.name);
        plant(
            &mut planted,
            cat::CORPORATE_NUMBER,
            o.corporate_number.clone(),
        );
        plant(&mut planted, cat::BANK_ACCOUNT, o.bank.normal.clone());
        let iban = match &o.iban {
            Some(i) => {
                plant(&mut planted, cat::IBAN, i.normal.clone());
                i.text.clone()
            }
            None => String::new(),
        };
        rows.push(vec![
            o.name.clone(),
            o.corporate_number.clone(),
            o.bank.text.clone(),
            iban,
            format!("{}", rng.range(10, 5000) * 1000),
        ]);
    }
    let bytes = ooxml::xlsx("請求", &rows)?;
    Ok(Made {
        path: format!("請求/請求一覧_{n:04}.xlsx"),
        bytes,
        format: "xlsx",
        encoding: "binary",
        planted,
        truth,
    })
}

fn settings(rng: &mut Rng, n: usize) -> Made {
    let mut planted = Planted::new();
    let (id, secret) = pii::cloud_key(rng);
    let pw = pii::password(rng);
    plant(&mut planted, cat::CLOUD_ACCESS_KEY, id.clone());
    plant(&mut planted, cat::PASSWORD, pw.clone());
    let mut text = format!(
        "# deployment settings\nAWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={secret}\nDB_HOST=db{n}.internal\nDB_PASSWORD={pw}\n"
    );
    if rng.chance(0.4) {
        let key = pii::private_key(rng);
        plant(
            &mut planted,
            cat::PRIVATE_KEY,
            key.lines().nth(1).unwrap_or_default().to_owned(),
        );
        text.push_str("DEPLOY_KEY=\"\n");
        text.push_str(&key);
        text.push_str("\"\n");
    }
    Made {
        path: format!("config/settings_{n:03}.env"),
        bytes: text.into_bytes(),
        format: "text",
        encoding: "utf-8",
        planted,
        truth: ContentTruth::default(),
    }
}

fn test_users(rng: &mut Rng, s: &Scenario, n: usize) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let header = ["id", "name", "email", "phone", "ref_no", "order_no"]
        .map(String::from)
        .to_vec();
    let mut rows = Vec::new();
    for k in 0..rows_count(rng, s) / 2 + 1 {
        let p = pii::person(rng, "example.com", 50_000 + (n * 1000 + k) as u32);
        plant(&mut planted, cat::PERSON_NAME, p.name.clone());
        plant(&mut planted, cat::EMAIL, p.email.normal.clone());
        plant(&mut planted, cat::PHONE, p.phone.normal.clone());
        rows.push(vec![
            format!("u{k}"),
            p.name.clone(),
            p.email.text.clone(),
            p.phone.text.clone(),
            pii::my_number_near_miss(rng),
            pii::luhn_near_miss(rng),
        ]);
    }
    table(
        rng,
        format!("testdata/users_{n:03}"),
        header,
        rows,
        planted,
        false,
        false,
    )
}

fn business_cards(
    rng: &mut Rng,
    c: &Company,
    s: &Scenario,
    n: usize,
) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let mut partners = ContentTruth::default();
    let header = ["氏名", "会社名", "法人番号", "メールアドレス", "電話番号"]
        .map(String::from)
        .to_vec();
    let offset = rng.below(c.customers.len() as u64) as usize;
    let mut rows = Vec::new();
    for k in 0..rows_count(rng, s) / 2 + 1 {
        let p = &c.customers[(offset + k * 11) % c.customers.len()];
        let o = &c.organisations[(offset + k * 3) % c.organisations.len()];
        partners.partner(&o.corporate_number, &o.name);
        plant(&mut planted, cat::PERSON_NAME, p.name.clone());
        plant(
            &mut planted,
            cat::CORPORATE_NUMBER,
            o.corporate_number.clone(),
        );
        plant(&mut planted, cat::EMAIL, p.email.normal.clone());
        plant(&mut planted, cat::PHONE, p.phone.normal.clone());
        rows.push(vec![
            p.name.clone(),
            o.name.clone(),
            o.corporate_number.clone(),
            p.email.text.clone(),
            p.phone.text.clone(),
        ]);
    }
    let mut m = table(
        rng,
        format!("名刺/名刺一覧_{n:03}"),
        header,
        rows,
        planted,
        false,
        true,
    )?;
    m.truth = partners;
    Ok(m)
}

fn notice(rng: &mut Rng, n: usize) -> Result<Made, SimulateError> {
    let mut planted = Planted::new();
    let toll_free = format!("0120-{}-{}", rng.range(100, 999), rng.range(100, 999));
    plant(
        &mut planted,
        cat::PHONE,
        format!("+81{}", toll_free.replace('-', "")[1..].to_owned()),
    );
    let text = format!(
        "お知らせ {n}\n{}\nお問い合わせ：総務部 {toll_free}\n",
        filler(rng, 12)
    );
    let (bytes, encoding) = encode(rng, &text, true);
    Ok(Made {
        path: format!("お知らせ/notice_{n:04}.txt"),
        bytes,
        format: "text",
        encoding,
        planted,
        truth: ContentTruth::default(),
    })
}

fn it_ledger(c: &Company, n: usize) -> Made {
    let mut planted = Planted::new();
    let mut text = String::from("host,ip,user,name\n");
    for e in &c.employees {
        let w = &c.workstations[e.workstation];
        plant(&mut planted, cat::PERSON_NAME, e.person.name.clone());
        text.push_str(&format!(
            "{},{},{},{}\n",
            w.name, w.ip, e.account, e.person.name
        ));
    }
    Made {
        path: format!("台帳/端末台帳_{n:03}.csv"),
        bytes: text.into_bytes(),
        format: "csv",
        encoding: "utf-8",
        planted,
        truth: ContentTruth::default(),
    }
}

/// Writes every share under `root/<share>/` and returns the inventory, sorted by share and path.
pub fn write_shares(
    root: &Path,
    scenario: &Scenario,
    company: &Company,
) -> Result<Vec<ShareFile>, SimulateError> {
    let mut files = Vec::new();
    let per_share = scenario.company.files_per_share as usize;
    for dept in &company.departments {
        let mut rng = Rng::new(scenario.seed, &format!("share:{}", dept.name));
        let mut rnd_rng = Rng::new(scenario.seed, &format!("rnd:{}", dept.name));
        let mut made: Vec<Made> = Vec::new();
        for n in 0..per_share {
            let roll = rng.below(100);
            let m = match dept.name.as_str() {
                "sales" => match roll {
                    0..=29 => customer_list(&mut rng, company, scenario, n)?.kind("table"),
                    30..=59 => quote(&mut rng, company, n)?.kind("table"),
                    60..=79 => contract(&mut rng, company, n)?.kind("office_document"),
                    _ => minutes(&mut rng, company, n, "議事録")?.kind("text"),
                },
                "hr" => match roll {
                    0..=19 => employee_roster(&mut rng, company, n)?.kind("table"),
                    20..=44 => applicants(&mut rng, company, scenario, n)?.kind("table"),
                    45..=64 => payroll(&mut rng, company, n)?.kind("table"),
                    _ => evaluation(&mut rng, company, n)?.kind("office_document"),
                },
                "finance" => match roll {
                    0..=34 => card_payments(&mut rng, company, scenario, n)?.kind("table"),
                    35..=69 => invoices(&mut rng, company, n)?.kind("table"),
                    _ => minutes(&mut rng, company, n, "経費")?.kind("text"),
                },
                "engineering" => {
                    // The R&D projects ([`crate::rnd`]), from their own stream so that the
                    // other shares' files stay as they were.
                    let project =
                        &rnd::PROJECTS[rnd_rng.below(rnd::PROJECTS.len() as u64) as usize];
                    match roll {
                        0..=29 => rnd::source(&mut rnd_rng, project, n),
                        30..=41 => rnd::design_document(&mut rnd_rng, project, n)?,
                        42..=51 => rnd::measurements(&mut rnd_rng, project, n)?,
                        52..=61 => rnd::cad(&mut rnd_rng, project, n),
                        62..=69 => rnd::firmware(&mut rnd_rng, project, n),
                        70..=74 => rnd::export_determination(&mut rnd_rng, project, n),
                        75..=79 => rnd::near_miss_note(&mut rnd_rng, n),
                        80..=87 => settings(&mut rng, n).kind("configuration"),
                        _ => test_users(&mut rng, scenario, n)?.kind("table"),
                    }
                }
                "it" => match roll {
                    0..=29 => it_ledger(company, n).kind("table"),
                    30..=59 => settings(&mut rng, n).kind("configuration"),
                    _ => minutes(&mut rng, company, n, "手順書")?.kind("text"),
                },
                _ => match roll {
                    0..=39 => business_cards(&mut rng, company, scenario, n)?.kind("table"),
                    40..=79 => notice(&mut rng, n)?.kind("text"),
                    _ => minutes(&mut rng, company, n, "議事録")?.kind("text"),
                },
            };
            made.push(m);
        }
        for m in made {
            let full = root.join(&dept.name).join(&m.path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).map_err(|e| SimulateError::io(parent, e))?;
            }
            std::fs::write(&full, &m.bytes).map_err(|e| SimulateError::io(&full, e))?;
            files.push(ShareFile {
                share: dept.name.clone(),
                path: m.path,
                size: m.bytes.len() as u64,
                format: m.format,
                encoding: m.encoding,
                planted: m.planted,
                truth: m.truth,
            });
        }
    }
    files.sort_by(|a, b| (&a.share, &a.path).cmp(&(&b.share, &b.path)));
    Ok(files)
}
