//! Writes a labelled benchmark corpus: English and Japanese prose in UTF-8 text files of about
//! 1 MB, with e-mail addresses, phone numbers, cards, My Numbers, Corporate Numbers, IBANs and
//! near-misses, plus one file of all of it (for tools that take a single file).
//!
//! `cargo run --release -p breachscope-classify --example gen_corpus -- DIR [MEGABYTES]`

use std::io::Write;

#[path = "common/prose.rs"]
mod prose;

use breachscope_simulate::rng::Rng;
use prose::Lang;

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
            prose::paragraph(&mut rng, Lang::Mixed, n as u32, &mut doc);
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
