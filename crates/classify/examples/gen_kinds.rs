//! Writes the corpus of `scripts/bench-scan.sh`: one directory per kind of content found on file
//! shares, each of about 20–60 files of 100 kB–5 MB (sources, settings and DOCX smaller), with values
//! from the simulator's generators (names, e-mail addresses, phones, valid cards, My Numbers,
//! Corporate Numbers, keys, tokens, passwords) and near-misses. Deterministic (fixed seed).
//!
//! `cargo run --release -p breachscope-classify --example gen_kinds -- DIR [MEGABYTES]`
//!
//! `DIR/<kind>/files/` is what `breachscope scan` reads. Where ripgrep cannot read the files
//! (XLSX and DOCX are zip archives; the mixed share mixes encodings), `DIR/<kind>/text/` holds
//! their UTF-8 text twins (the same cells as CSV, the same paragraphs as lines) for it.
//! `DIR/manifest.tsv` lists, one kind a line: name, files directory, ripgrep's directory,
//! ripgrep's encoding (`-E` value, or `auto`), and a description. The corpus is written to
//! `DIR.tmp` and renamed, so a `DIR` with a manifest is complete.

#[path = "common/prose.rs"]
mod prose;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use breachscope_simulate::ooxml;
use breachscope_simulate::pii::{self, Person};
use breachscope_simulate::rng::Rng;
use prose::Lang;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const KB: usize = 1 << 10;
const MB: usize = 1 << 20;
/// Directories (kinds and encodings) that share the corpus size equally.
const SHARES: usize = 16;
/// Files of each kind copied into the mixed share.
const MIXED_PER_KIND: usize = 3;

/// One kind's directory as it is being written.
struct Kind {
    name: &'static str,
    description: String,
    /// ripgrep's `-E` value, or `auto` (UTF-8, or a BOM that ripgrep sniffs).
    rg_encoding: &'static str,
    /// Whether ripgrep reads `text/` (twins) rather than `files/`.
    twins: bool,
    /// File names and, for the mixed share, the UTF-8 text of each.
    files: Vec<(String, PathBuf)>,
}

struct Corpus {
    root: PathBuf,
    kinds: Vec<Kind>,
}

impl Corpus {
    fn kind(
        &mut self,
        name: &'static str,
        description: impl Into<String>,
        rg_encoding: &'static str,
        twins: bool,
    ) -> Result<usize> {
        std::fs::create_dir_all(self.root.join(name).join("files"))?;
        if twins {
            std::fs::create_dir_all(self.root.join(name).join("text"))?;
        }
        self.kinds.push(Kind {
            name,
            description: description.into(),
            rg_encoding,
            twins,
            files: Vec::new(),
        });
        Ok(self.kinds.len() - 1)
    }

    /// Writes a file of kind `k`, with `twin` (its UTF-8 text) where the kind has twins, and
    /// `text` as the file's UTF-8 text for the mixed share (a path already written).
    fn write(
        &mut self,
        k: usize,
        name: &str,
        bytes: &[u8],
        twin: Option<(&str, &str)>,
        text: Option<PathBuf>,
    ) -> Result<()> {
        let dir = self.root.join(self.kinds[k].name);
        let path = dir.join("files").join(name);
        std::fs::write(&path, bytes)?;
        let text = match twin {
            Some((twin_name, twin_text)) => {
                let t = dir.join("text").join(twin_name);
                std::fs::write(&t, twin_text)?;
                t
            }
            None => text.unwrap_or(path),
        };
        self.kinds[k].files.push((name.to_owned(), text));
        Ok(())
    }

    fn path(&self, k: usize, name: &str) -> PathBuf {
        self.root.join(self.kinds[k].name).join("files").join(name)
    }
}

/// File sizes drawn log-normally around `budget / 30`, each within `lo..=hi`, until they add up
/// to `budget` or there are 60.
fn sizes(rng: &mut Rng, budget: usize, lo: usize, hi: usize) -> Vec<usize> {
    let median = (budget / 30).clamp(lo, hi) as f64;
    let mut out = Vec::new();
    let mut total = 0;
    while total < budget && out.len() < 60 {
        let size = (rng.lognormal(median, 0.8) as usize).clamp(lo, hi);
        out.push(size);
        total += size;
    }
    out
}

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

fn encode(encoding: &'static encoding_rs::Encoding, text: &str) -> Result<Vec<u8>> {
    let (bytes, _, unmappable) = encoding.encode(text);
    if unmappable {
        return Err(format!("text not representable in {}", encoding.name()).into());
    }
    Ok(bytes.into_owned())
}

fn csv_line(out: &mut String, fields: &[String]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\n']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str("\r\n");
}

fn date(rng: &mut Rng, years: (u64, u64)) -> String {
    format!(
        "{}-{:02}-{:02}",
        rng.range(years.0, years.1),
        rng.range(1, 12),
        rng.range(1, 28)
    )
}

const CUSTOMER_HEADER: &[&str] = &[
    "顧客ID",
    "氏名",
    "フリガナ",
    "性別",
    "生年月日",
    "メールアドレス",
    "電話番号",
    "郵便番号",
    "住所",
    "カード番号",
    "有効期限",
    "注文番号",
    "購入金額",
    "会員ランク",
    "登録日",
    "備考",
];
const EMAIL_DOMAINS: &[&str] = &[
    "example.co.jp",
    "example.jp",
    "example.com",
    "example.ne.jp",
];
const NOTES: &[&str] = &[
    "",
    "",
    "",
    "",
    "DM不要",
    "電話連絡希望",
    "要確認, 住所変更あり",
    "法人契約",
    "\"至急\" 対応",
];

/// A customer row (a person from the simulator, a Luhn near-miss as order number).
fn customer_row(rng: &mut Rng, serial: u32) -> Vec<String> {
    let domain = rng.pick(EMAIL_DOMAINS).copied().unwrap_or("example.jp");
    let p: Person = pii::person(rng, domain, serial);
    vec![
        format!("C{serial:07}"),
        p.name,
        p.kana,
        ["男", "女"][rng.below(2) as usize].to_owned(),
        p.dob,
        p.email.text,
        p.phone.text,
        p.postal_code.text,
        p.address,
        p.card.text,
        format!("{:02}/{:02}", rng.range(1, 12), rng.range(25, 31)),
        pii::luhn_near_miss(rng),
        format!("{}", rng.range(1, 2000) * 100),
        ["一般", "シルバー", "ゴールド"][rng.below(3) as usize].to_owned(),
        date(rng, (2015, 2024)),
        rng.pick(NOTES).copied().unwrap_or("").to_owned(),
    ]
}

fn header(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|s| (*s).to_owned()).collect()
}

/// A lab's measurement export: ISO timestamps, elapsed seconds, run and sensor ids, 20 channels
/// of floats (random walks, some in scientific notation).
fn numeric_csv(rng: &mut Rng, size: usize, file: usize) -> String {
    let mut text = String::from("timestamp,elapsed_s,run_id,sensor_id");
    for c in 1..=20 {
        let _ = write!(text, ",ch{c:02}");
    }
    text.push_str("\r\n");
    let mut values: Vec<f64> = (0..20).map(|_| rng.uniform(-50.0, 150.0)).collect();
    let (day, hour) = (rng.range(1, 28), rng.range(0, 23));
    let run = format!("R{:04}-{}", file, rng.range(1, 9));
    let mut ms: u64 = 0;
    while text.len() < size {
        ms += 125;
        let s = ms / 1000;
        let _ = write!(
            text,
            "2024-03-{day:02}T{:02}:{:02}:{:02}.{:03},{:.3},{run},TC-{:02}",
            (hour + s / 3600) % 24,
            s / 60 % 60,
            s % 60,
            ms % 1000,
            ms as f64 / 1000.0,
            rng.range(1, 16)
        );
        for (c, v) in values.iter_mut().enumerate() {
            *v += rng.normal() * 0.05;
            let _ = match c % 5 {
                0 | 1 => write!(text, ",{v:.4}"),
                2 => write!(text, ",{v:.6}"),
                3 => write!(text, ",{:.3e}", *v * 1e-4),
                _ => write!(text, ",{v:.2}"),
            };
        }
        text.push_str("\r\n");
    }
    text
}

const CONTRACT_ARTICLES: &[&str] = &[
    "目的",
    "委託業務",
    "契約期間",
    "委託料",
    "支払方法",
    "秘密保持",
    "個人情報の取扱い",
    "再委託",
    "損害賠償",
    "契約解除",
    "反社会的勢力の排除",
    "協議事項",
];
const CONTRACT_SENTENCES: &[&str] = &[
    "乙は、甲の指示に従い、善良な管理者の注意をもって委託業務を遂行するものとする。",
    "甲は、委託料を毎月末日締め翌月末日までに乙の指定する口座に振り込む方法により支払う。",
    "甲及び乙は、本契約の履行により知り得た相手方の秘密情報を第三者に開示してはならない。",
    "乙は、甲の書面による事前の承諾なく、委託業務の全部又は一部を第三者に再委託してはならない。",
    "本契約の有効期間は、契約締結日から一年間とし、期間満了の一か月前までに申出がない場合は同一条件で更新する。",
    "甲又は乙が本契約に違反した場合、相手方は催告の上、本契約を解除することができる。",
    "本契約に定めのない事項については、甲乙誠意をもって協議の上、解決するものとする。",
    "乙は、個人情報の漏えい、滅失又は毀損を防止するため、必要かつ適切な安全管理措置を講じる。",
];
/// A contract sentence with figures (amounts, dates, periods), so that documents are not
/// the same few sentences over and over.
fn clause(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!(
            "委託料は月額{}円（消費税別）とし、甲は毎月{}日までに乙の指定する口座に支払う。",
            rng.range(10, 900) * 10_000,
            rng.range(5, 28)
        ),
        1 => format!(
            "本契約の有効期間は{}年{}月{}日から{}年{}月末日までとする。",
            rng.range(2019, 2024),
            rng.range(1, 12),
            rng.range(1, 28),
            rng.range(2025, 2027),
            rng.range(1, 12)
        ),
        2 => format!(
            "乙は、委託業務の実施状況を毎月{}日までに書面により甲に報告し、第{}条に定める検査を受ける。",
            rng.range(1, 28),
            rng.range(2, 12)
        ),
        3 => format!(
            "甲は、納品物を受領した日から{}営業日以内に検査を行い、その結果を乙に通知する。",
            rng.range(5, 30)
        ),
        4 => format!(
            "損害賠償の額は、直近{}か月間に支払われた委託料の総額（上限{}万円）を超えないものとする。",
            rng.range(3, 12),
            rng.range(100, 5000)
        ),
        _ => rng
            .pick(CONTRACT_SENTENCES)
            .copied()
            .unwrap_or("")
            .to_owned(),
    }
}

const LETTER_SENTENCES: &[&str] = &[
    "拝啓　時下ますますご清栄のこととお慶び申し上げます。平素は格別のご高配を賜り、厚く御礼申し上げます。",
    "さて、このたび弊社では下記のとおり事務所を移転することとなりましたので、ご案内申し上げます。",
    "ご登録のお客様情報に変更がある場合は、同封の変更届にてお知らせください。",
    "年会費のお支払い方法について、下記のとおりご案内いたします。",
    "つきましては、お手数ながら同封の書類にご記入の上、ご返送くださいますようお願い申し上げます。",
    "ご不明な点がございましたら、下記担当者までお気軽にお問い合わせください。",
    "今後とも変わらぬお引き立てを賜りますよう、よろしくお願い申し上げます。　敬具",
];

/// Paragraphs of a contract, or of a mail merge of letters to customers, whose text is about
/// `size` bytes.
fn document(rng: &mut Rng, size: usize, serial: &mut u32) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut len = 0;
    if rng.chance(0.4) {
        // One letter per customer: address block, salutation, two or three sentences.
        while len < size {
            let who = pii::person(rng, "example.co.jp", *serial);
            let mut letter = vec![
                format!("〒{} {}", who.postal_code.normal, who.address),
                format!("{} 様", who.name),
                format!("お客様番号 C{:07}　{}", *serial, date(rng, (2023, 2024))),
            ];
            *serial += 1;
            for _ in 0..rng.range(2, 3) {
                letter.push(rng.pick(LETTER_SENTENCES).copied().unwrap_or("").to_owned());
            }
            len += letter.iter().map(|p| p.len() + 1).sum::<usize>();
            paragraphs.extend(letter);
        }
        return paragraphs;
    }
    let org = pii::organisation(rng, *serial);
    let rep = pii::person(rng, "example.co.jp", *serial);
    *serial += 1;
    paragraphs.push("業務委託契約書".to_owned());
    paragraphs.push(format!(
        "{}（法人番号 {}、以下「甲」という）と株式会社サンプル（以下「乙」という）は、次のとおり契約を締結する。",
        org.name, org.corporate_number
    ));
    paragraphs.push(format!(
        "甲の所在地：{}　代表者：{}　電話：{}",
        org.address, rep.name, org.phone.text
    ));
    paragraphs.push(format!("振込先：{}", org.bank.text));
    len += paragraphs.iter().map(|p| p.len() + 1).sum::<usize>();
    let mut article = 1;
    while len < size {
        let p = if rng.chance(0.08) {
            let who = pii::person(rng, "example.co.jp", *serial);
            *serial += 1;
            format!(
                "担当：{}（{}）　〒{} {}　TEL {}　E-mail {}",
                who.name,
                who.kana,
                who.postal_code.normal,
                who.address,
                who.phone.text,
                who.email.text
            )
        } else {
            let title = CONTRACT_ARTICLES[(article - 1) % CONTRACT_ARTICLES.len()];
            let mut p = format!("第{article}条（{title}）");
            for _ in 0..rng.range(1, 3) {
                p.push_str(&clause(rng));
            }
            article += 1;
            p
        };
        len += p.len() + 1;
        paragraphs.push(p);
    }
    paragraphs
}

const WORDS: &[&str] = &[
    "user", "order", "item", "batch", "record", "cache", "client", "request", "config", "limit",
    "report", "invoice", "account", "session", "buffer", "index", "queue", "event",
];

fn ident(rng: &mut Rng) -> String {
    format!(
        "{}_{}",
        rng.pick(WORDS).copied().unwrap_or("item"),
        rng.pick(WORDS).copied().unwrap_or("count")
    )
}

/// A secret as a source or settings file would hold it, in the file's syntax.
fn secret(rng: &mut Rng, ext: &str) -> String {
    let (key, value) = match rng.below(5) {
        0 => {
            let (id, secret) = pii::cloud_key(rng);
            return match ext {
                "env" | "ini" => {
                    format!("AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={secret}\n")
                }
                "yaml" => format!("aws_access_key_id: {id}\naws_secret_access_key: {secret}\n"),
                "java" => format!(
                    "    private static final String AWS_KEY = \"{id}\";\n    private static final String AWS_SECRET = \"{secret}\";\n"
                ),
                "rs" => format!(
                    "const AWS_ACCESS_KEY_ID: &str = \"{id}\";\nconst AWS_SECRET_ACCESS_KEY: &str = \"{secret}\";\n"
                ),
                _ => {
                    format!("AWS_ACCESS_KEY_ID = \"{id}\"\nAWS_SECRET_ACCESS_KEY = \"{secret}\"\n")
                }
            };
        }
        1 => ("GITHUB_TOKEN", pii::api_token(rng)),
        2 | 3 => ("DB_PASSWORD", pii::password(rng)),
        _ => {
            let pem = pii::private_key(rng);
            return match ext {
                "py" => format!("DEPLOY_KEY = \"\"\"\n{pem}\"\"\"\n"),
                "rs" => format!("const DEPLOY_KEY: &str = r\"\n{pem}\";\n"),
                "java" => {
                    format!("    private static final String DEPLOY_KEY = \"\"\"\n{pem}\"\"\";\n")
                }
                "yaml" => format!(
                    "deploy_key: |\n{}",
                    pem.lines().map(|l| format!("  {l}\n")).collect::<String>()
                ),
                _ => format!("DEPLOY_KEY=\"\n{pem}\"\n"),
            };
        }
    };
    match ext {
        "env" => format!("{key}={value}\n"),
        "ini" => format!("{} = {value}\n", key.to_lowercase()),
        "yaml" => format!("{}: \"{value}\"\n", key.to_lowercase()),
        "java" => format!("    private static final String {key} = \"{value}\";\n"),
        "rs" => format!("const {key}: &str = \"{value}\";\n"),
        _ => format!("{} = \"{value}\"\n", key.to_lowercase()),
    }
}

/// A block of code or settings with numbers (ports, versions, addresses, constants) and, once in
/// a while, near-misses (passwords read from the environment, placeholders).
fn code_block(rng: &mut Rng, ext: &str, n: usize) -> String {
    let a = ident(rng);
    let b = ident(rng);
    let (k1, k2, k3) = (rng.range(2, 4096), rng.range(10, 99), rng.range(1, 254));
    // One block in five reads a password from the environment (a near-miss).
    let from_env = rng.chance(0.2);
    match ext {
        "rs" => format!(
            "\n/// Sums the {a} of the first `limit` entries.\npub fn {a}_{n}(items: &[u64], limit: usize) -> u64 {{\n    let {b} = items.iter().take(limit.min({k1})).sum::<u64>();\n    if {b} > 0x{k1:04x} {{\n        log::warn!(\"{a} over budget: {{}} > {k1}\", {b});\n    }}\n    {b} * {k2} / 100\n}}\n"
        ),
        "py" => format!(
            "\n\ndef {a}_{n}(items, limit={k1}):\n    \"\"\"Total {b} of the first items.\"\"\"\n    {b} = 0\n    for item in items[:limit]:\n        {b} += item.get(\"{a}\", 0) * {k2} / 100\n{}    return {b}\n",
            if from_env {
                format!(
                    "    conn = connect(host=\"10.0.{k2}.{k3}\", port=5432, password=os.environ[\"DB_PASSWORD\"])\n"
                )
            } else {
                String::new()
            }
        ),
        "java" => format!(
            "\n    /** Returns the {b} for the given {a}. */\n    public long {a}{n}(List<Long> items, int limit) {{\n        long {b} = 0L;\n        for (int i = 0; i < Math.min(limit, {k1}); i++) {{\n            {b} += items.get(i) * {k2}L;\n        }}\n        LOG.info(\"{a} {{}} at 192.168.{k2}.{k3}:{k1}\", {b});\n        return {b};\n    }}\n"
        ),
        "yaml" => format!(
            "  - name: {a}-{n}\n    image: registry.example.com/{a}:1.{k2}.{k3}\n    replicas: {}\n    ports:\n      - containerPort: {k1}\n    env:\n      - name: {}\n        value: \"{k2}\"\n{}",
            k3 % 5 + 1,
            b.to_uppercase(),
            if from_env {
                "      - name: DB_PASSWORD\n        valueFrom: {secretKeyRef: {name: db, key: password}}\n"
            } else {
                ""
            }
        ),
        "ini" => format!(
            "\n[{a}_{n}]\nhost = 10.{k2}.{k3}.{}\nport = {k1}\ntimeout_ms = {}\nretries = {}\nuser = svc_{b}\n{}",
            k3 % 200 + 1,
            k1 * 10,
            k2 % 7,
            if from_env {
                "password = ${DB_PASSWORD}\n"
            } else {
                ""
            }
        ),
        _ => format!(
            "{}_{n}_HOST=10.{k2}.{k3}.{}\n{}_{n}_PORT={k1}\n{}_{n}_POOL={k2}\n",
            a.to_uppercase(),
            k3 % 200 + 1,
            a.to_uppercase(),
            b.to_uppercase()
        ),
    }
}

fn code_file(rng: &mut Rng, ext: &str, size: usize) -> String {
    let mut text = match ext {
        "rs" => "//! Internal service.\n\nuse std::collections::HashMap;\n\n".to_owned(),
        "py" => "\"\"\"Internal tooling.\"\"\"\nimport os\n\nfrom db import connect\n".to_owned(),
        "java" => "package com.example.internal;\n\nimport java.util.List;\n\npublic class Service {\n    private static final Logger LOG = LoggerFactory.getLogger(Service.class);\n".to_owned(),
        "yaml" => "# deployment\napiVersion: apps/v1\nkind: Deployment\ncontainers:\n".to_owned(),
        "ini" => "; service settings\n[general]\nlog_level = info\n".to_owned(),
        _ => "# environment\nNODE_ENV=production\n".to_owned(),
    };
    let secrets = rng.range(1, 3) as usize;
    let blocks_per_secret = (size / 400 / secrets).max(1);
    let mut n = 0;
    while text.len() < size {
        if n % blocks_per_secret == blocks_per_secret / 2 {
            text.push_str(&secret(rng, ext));
        }
        text.push_str(&code_block(rng, ext, n));
        n += 1;
    }
    if ext == "java" {
        text.push_str("}\n");
    }
    text
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "bench-out/kinds".into()));
    let megabytes: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(250);
    let budget = (megabytes * MB / SHARES).max(MB);
    let tmp = PathBuf::from(format!("{}.tmp", dir.display()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    let mut c = Corpus {
        root: tmp.clone(),
        kinds: Vec::new(),
    };
    let mut rng = Rng::new(42, "bench-kinds");
    let mut serial: u32 = 0;

    // 1. English prose.
    let en = c.kind("prose-en", "English prose, UTF-8", "auto", false)?;
    for (i, size) in sizes(&mut rng.fork("prose-en"), budget, 100 * KB, 5 * MB)
        .into_iter()
        .enumerate()
    {
        let mut doc = String::new();
        while doc.len() < size {
            prose::paragraph(&mut rng, Lang::En, serial, &mut doc);
            serial += 1;
        }
        c.write(en, &format!("doc_{i:03}.txt"), doc.as_bytes(), None, None)?;
    }

    // 2–3. Japanese prose, in UTF-8 and the legacy and UTF-16 encodings.
    let ja = c.kind("prose-ja", "Japanese prose, UTF-8", "auto", false)?;
    let encodings: [(&'static str, &'static str, &'static str); 4] = [
        ("prose-ja-sjis", "Japanese prose, Shift_JIS", "shift_jis"),
        ("prose-ja-eucjp", "Japanese prose, EUC-JP", "euc-jp"),
        (
            "prose-ja-utf16",
            "Japanese prose, UTF-16LE with BOM",
            "utf-16le",
        ),
        (
            "prose-ja-iso2022jp",
            "Japanese prose, ISO-2022-JP",
            "iso-2022-jp",
        ),
    ];
    let mut encoded = Vec::new();
    for (name, description, rg) in encodings {
        encoded.push((c.kind(name, description, rg, false)?, rg));
    }
    for (i, size) in sizes(&mut rng.fork("prose-ja"), budget, 100 * KB, 5 * MB)
        .into_iter()
        .enumerate()
    {
        let mut doc = String::new();
        while doc.len() < size {
            prose::paragraph(&mut rng, Lang::Ja, serial, &mut doc);
            serial += 1;
        }
        let name = format!("doc_{i:03}.txt");
        c.write(ja, &name, doc.as_bytes(), None, None)?;
        let utf8 = c.path(ja, &name);
        for &(k, rg) in &encoded {
            let bytes = match rg {
                "shift_jis" => encode(encoding_rs::SHIFT_JIS, &doc)?,
                "euc-jp" => encode(encoding_rs::EUC_JP, &doc)?,
                "iso-2022-jp" => encode(encoding_rs::ISO_2022_JP, &doc)?,
                _ => utf16le_bom(&doc),
            };
            c.write(k, &name, &bytes, None, Some(utf8.clone()))?;
        }
    }

    // 4. Customer tables, in UTF-8, UTF-8 with a BOM and Shift_JIS (as Excel on Japanese
    // Windows saves CSV).
    let csv = c.kind(
        "csv",
        "customer CSV (16 columns, Japanese names), UTF-8",
        "auto",
        false,
    )?;
    let csv_bom = c.kind(
        "csv-bom",
        "the same customer CSV, UTF-8 with BOM",
        "auto",
        false,
    )?;
    let csv_sjis = c.kind(
        "csv-sjis",
        "the same customer CSV, Shift_JIS (CP932)",
        "shift_jis",
        false,
    )?;
    for (i, size) in sizes(&mut rng.fork("csv"), budget, 100 * KB, 5 * MB)
        .into_iter()
        .enumerate()
    {
        let mut text = String::new();
        csv_line(&mut text, &header(CUSTOMER_HEADER));
        while text.len() < size {
            csv_line(&mut text, &customer_row(&mut rng, serial));
            serial += 1;
        }
        let name = format!("customers_{i:03}.csv");
        c.write(csv, &name, text.as_bytes(), None, None)?;
        let utf8 = c.path(csv, &name);
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(text.as_bytes());
        c.write(csv_bom, &name, &bom, None, Some(utf8.clone()))?;
        let sjis = encode(encoding_rs::SHIFT_JIS, &text)?;
        c.write(csv_sjis, &name, &sjis, None, Some(utf8))?;
    }

    // 5. Measurements: mostly numbers.
    let numeric = c.kind(
        "numeric",
        "measurement CSV (timestamps, ids, 20 float columns), UTF-8",
        "auto",
        false,
    )?;
    let mut numbers = rng.fork("numeric");
    for (i, size) in sizes(&mut rng.fork("numeric-sizes"), budget, 100 * KB, 5 * MB)
        .into_iter()
        .enumerate()
    {
        let text = numeric_csv(&mut numbers, size, i);
        c.write(
            numeric,
            &format!("run_{i:03}.csv"),
            text.as_bytes(),
            None,
            None,
        )?;
    }

    // 6. Customer workbooks (inline strings); twins are the same rows as CSV. Compressed sizes
    // are aimed at by the bytes per row of the workbooks written so far.
    let xlsx = c.kind(
        "xlsx",
        "customer XLSX (the CSV's columns); rg reads the same rows as UTF-8 CSV",
        "auto",
        true,
    )?;
    let mut bytes_per_row = 150.0;
    for (i, size) in sizes(&mut rng.fork("xlsx"), budget, 100 * KB, 5 * MB)
        .into_iter()
        .enumerate()
    {
        let rows_n = (size as f64 / bytes_per_row).max(10.0) as usize;
        let mut rows = vec![header(CUSTOMER_HEADER)];
        for _ in 0..rows_n {
            rows.push(customer_row(&mut rng, serial));
            serial += 1;
        }
        let bytes = ooxml::xlsx("顧客", &rows)?;
        bytes_per_row = bytes.len() as f64 / rows_n as f64;
        let mut text = String::new();
        for row in &rows {
            csv_line(&mut text, row);
        }
        let name = format!("customers_{i:03}");
        c.write(
            xlsx,
            &format!("{name}.xlsx"),
            &bytes,
            Some((&format!("{name}.csv"), &text)),
            None,
        )?;
    }

    // 7. Contracts and letters of 50 kB–2 MB of text (the size budget counts their text:
    // repeated clauses compress far better than real documents, whose size is mostly styles
    // and images); twins are the paragraphs as lines.
    let docx = c.kind(
        "docx",
        "DOCX contracts and letters; rg reads the same paragraphs as UTF-8 text",
        "auto",
        true,
    )?;
    for (i, size) in sizes(&mut rng.fork("docx"), budget, 50 * KB, 2 * MB)
        .into_iter()
        .enumerate()
    {
        let paragraphs = document(&mut rng, size, &mut serial);
        let bytes = ooxml::docx(&paragraphs)?;
        let text = paragraphs.join("\n") + "\n";
        let name = format!("doc_{i:03}");
        c.write(
            docx,
            &format!("{name}.docx"),
            &bytes,
            Some((&format!("{name}.txt"), &text)),
            None,
        )?;
    }

    // 8. Sources (20 kB–1 MB) and settings (2–64 kB) with keys, tokens, passwords, PEM keys.
    let code = c.kind(
        "code",
        "source code and settings (Rust, Python, Java, YAML, INI, .env) with a few secrets",
        "auto",
        false,
    )?;
    let mut code_rng = rng.fork("code");
    for (i, size) in sizes(&mut rng.fork("code-sizes"), budget, 20 * KB, MB)
        .into_iter()
        .enumerate()
    {
        let ext = ["rs", "py", "java", "rs", "py", "java", "yaml", "ini", "env"][i % 9];
        let size = if matches!(ext, "yaml" | "ini" | "env") {
            (size / 16).clamp(2 * KB, 64 * KB)
        } else {
            size
        };
        let text = code_file(&mut code_rng, ext, size);
        let name = if ext == "env" {
            format!("service_{i:03}.env")
        } else {
            format!("module_{i:03}.{ext}")
        };
        c.write(code, &name, text.as_bytes(), None, None)?;
    }

    // 9. CAD and EDA exports (ASCII DXF, STEP, ASCII STL, Gerber) of 100 kB–5 MB: long runs of
    // coordinates, as a mechanical or board design share holds.
    let cad = c.kind(
        "cad",
        "CAD/EDA exports: ASCII DXF, STEP, ASCII STL, Gerber (coordinates)",
        "auto",
        false,
    )?;
    let mut cad_rng = rng.fork("cad");
    for (i, size) in sizes(&mut rng.fork("cad-sizes"), budget, 100 * KB, 5 * MB)
        .into_iter()
        .enumerate()
    {
        let (ext, text) = cad_file(&mut cad_rng, i % 4, size);
        c.write(
            cad,
            &format!("part_{i:03}.{ext}"),
            text.as_bytes(),
            None,
            None,
        )?;
    }

    // 10. Firmware images: Intel HEX and S-record text, raw Cortex-M flash images.
    let firmware = c.kind(
        "firmware",
        "firmware: Intel HEX, Motorola S-record, raw Cortex-M images",
        "auto",
        false,
    )?;
    let mut fw_rng = rng.fork("firmware");
    for (i, size) in sizes(&mut rng.fork("firmware-sizes"), budget, 100 * KB, 5 * MB)
        .into_iter()
        .enumerate()
    {
        let (ext, bytes) = firmware_file(&mut fw_rng, i % 3, size);
        c.write(firmware, &format!("fw_{i:03}.{ext}"), &bytes, None, None)?;
    }

    // 11. A share of a few files of each kind; twins are their UTF-8 texts.
    let mixed = c.kind(
        "mixed",
        format!(
            "a share of {MIXED_PER_KIND} files of each kind above; rg reads their UTF-8 text twins"
        ),
        "auto",
        true,
    )?;
    let picks: Vec<(String, PathBuf, PathBuf)> = c.kinds[..mixed]
        .iter()
        .flat_map(|k| {
            let root = c.root.join(k.name).join("files");
            k.files
                .iter()
                .take(MIXED_PER_KIND)
                .map(move |(name, text)| {
                    (format!("{}_{name}", k.name), root.join(name), text.clone())
                })
        })
        .collect();
    for (name, path, text) in picks {
        let bytes = std::fs::read(&path)?;
        // (a raw firmware image has no text: its twin is its bytes read as UTF-8, lossily)
        let twin = String::from_utf8_lossy(&std::fs::read(&text)?).into_owned();
        let twin_name = match text.extension().and_then(|e| e.to_str()) {
            Some(ext) => format!("{}.{ext}", name.rsplit_once('.').map_or(&*name, |n| n.0)),
            None => name.clone(),
        };
        c.write(mixed, &name, &bytes, Some((&twin_name, &twin)), None)?;
    }

    let mut manifest = std::fs::File::create(tmp.join("manifest.tsv"))?;
    for k in &c.kinds {
        let rg_dir = if k.twins { "text" } else { "files" };
        writeln!(
            manifest,
            "{}\t{}/files\t{}/{rg_dir}\t{}\t{}",
            k.name, k.name, k.name, k.rg_encoding, k.description
        )?;
        let bytes: u64 = dir_size(&tmp.join(k.name).join("files"))?;
        eprintln!(
            "{:20} {:3} files {:8.1} MB",
            k.name,
            k.files.len(),
            bytes as f64 / 1e6
        );
    }
    drop(manifest);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::rename(&tmp, &dir)?;
    eprintln!("wrote {}", dir.display());
    Ok(())
}

fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        total += entry?.metadata()?.len();
    }
    Ok(total)
}

/// A CAD or EDA export of about `size` bytes: ASCII DXF, STEP, ASCII STL or Gerber.
fn cad_file(rng: &mut Rng, which: usize, size: usize) -> (&'static str, String) {
    let mut s = String::new();
    let mut k = 0u64;
    let coordinate = |rng: &mut Rng| rng.uniform(-500.0, 500.0);
    match which {
        0 => {
            s.push_str("  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n  1\nAC1024\n  0\nENDSEC\n  0\nSECTION\n  2\nENTITIES\n");
            while s.len() < size {
                let _ = write!(
                    s,
                    "  0\nLINE\n  5\n{k:X}\n  8\n0\n 10\n{:.6}\n 20\n{:.6}\n 30\n0.0\n 11\n{:.6}\n 21\n{:.6}\n 31\n0.0\n",
                    coordinate(rng),
                    coordinate(rng),
                    coordinate(rng),
                    coordinate(rng)
                );
                k += 1;
            }
            s.push_str("  0\nENDSEC\n  0\nEOF\n");
            ("dxf", s)
        }
        1 => {
            s.push_str("ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('housing'),'2;1');\nFILE_NAME('housing.step','2025-01-01T00:00:00',(''),(''),'','','');\nFILE_SCHEMA(('AUTOMOTIVE_DESIGN'));\nENDSEC;\nDATA;\n");
            while s.len() < size {
                k += 1;
                let _ = writeln!(
                    s,
                    "#{k}=CARTESIAN_POINT('',({:.6},{:.6},{:.6}));",
                    coordinate(rng),
                    coordinate(rng),
                    coordinate(rng)
                );
            }
            s.push_str("ENDSEC;\nEND-ISO-10303-21;\n");
            ("step", s)
        }
        2 => {
            s.push_str("solid housing\n");
            while s.len() < size {
                let _ = write!(
                    s,
                    "  facet normal 0 0 1\n    outer loop\n      vertex {:.6e} {:.6e} {:.6e}\n      vertex {:.6e} {:.6e} {:.6e}\n      vertex {:.6e} {:.6e} {:.6e}\n    endloop\n  endfacet\n",
                    coordinate(rng),
                    coordinate(rng),
                    coordinate(rng),
                    coordinate(rng),
                    coordinate(rng),
                    coordinate(rng),
                    coordinate(rng),
                    coordinate(rng),
                    coordinate(rng)
                );
            }
            s.push_str("endsolid housing\n");
            ("stl", s)
        }
        _ => {
            s.push_str(
                "G04 main board, top copper*\n%FSLAX46Y46*%\n%MOMM*%\n%ADD10C,0.250000*%\nD10*\n",
            );
            while s.len() < size {
                let _ = writeln!(
                    s,
                    "X{}Y{}D02*\nX{}Y{}D01*",
                    rng.range(0, 200_000_000),
                    rng.range(0, 150_000_000),
                    rng.range(0, 200_000_000),
                    rng.range(0, 150_000_000)
                );
            }
            s.push_str("M02*\n");
            ("gbr", s)
        }
    }
}

/// A firmware image of about `size` bytes: Intel HEX, S-record or a raw Cortex-M image.
fn firmware_file(rng: &mut Rng, which: usize, size: usize) -> (&'static str, Vec<u8>) {
    // Code-like bytes: random, with runs of erased flash.
    let raw = size / if which == 2 { 1 } else { 3 };
    let mut image = Vec::with_capacity(raw);
    image.extend_from_slice(&0x2002_0000u32.to_le_bytes());
    for _ in 0..15 {
        image.extend_from_slice(&(0x0800_0201u32 + 2 * rng.range(0, 4096) as u32).to_le_bytes());
    }
    while image.len() < raw {
        if rng.chance(0.02) {
            image.extend(std::iter::repeat_n(0xffu8, 256));
        } else {
            image.push(rng.range(0, 256) as u8);
        }
    }
    let checksum = |record: &[u8]| record.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    match which {
        0 => {
            let mut s = String::new();
            for (i, chunk) in image.chunks(16).enumerate() {
                let address = (i * 16) as u16;
                let mut record = vec![chunk.len() as u8, (address >> 8) as u8, address as u8, 0];
                record.extend_from_slice(chunk);
                let sum = checksum(&record).wrapping_neg();
                s.push(':');
                for b in record.iter().chain([&sum]) {
                    let _ = write!(s, "{b:02X}");
                }
                s.push_str("\r\n");
            }
            s.push_str(":00000001FF\r\n");
            ("hex", s.into_bytes())
        }
        1 => {
            let mut s = String::from("S00F000068656C6C6F202020202000003C\n");
            for (i, chunk) in image.chunks(16).enumerate() {
                let address = (i * 16) as u32;
                let mut record = vec![(chunk.len() + 5) as u8];
                record.extend_from_slice(&address.to_be_bytes());
                record.extend_from_slice(chunk);
                let sum = !checksum(&record);
                s.push_str("S3");
                for b in record.iter().chain([&sum]) {
                    let _ = write!(s, "{b:02X}");
                }
                s.push('\n');
            }
            s.push_str("S70500000000FA\n");
            ("srec", s.into_bytes())
        }
        _ => ("bin", image),
    }
}
