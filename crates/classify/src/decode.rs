//! Bytes to text: BOM, UTF-8, UTF-16, ISO-2022-JP, and legacy encodings guessed with chardetng
//! (Shift_JIS/CP932, EUC-JP, …), then NFKC so that full-width digits and letters match.

use encoding_rs::Encoding;
use unicode_normalization::UnicodeNormalization;

/// Bytes of a legacy-encoded file that the encoding is guessed from, starting at its first
/// non-ASCII byte (ASCII says nothing about the encoding).
const SAMPLE: usize = 8 << 10;

/// Decodes `bytes`, returning the text and the encoding's name (`utf-8`, `utf-8-bom`,
/// `utf-16le`, `shift_jis`, `euc-jp`, `iso-2022-jp`, …).
///
/// A file is decoded once, straight to UTF-8: a BOM or valid UTF-8 says what it is; otherwise
/// the encoding is guessed (chardetng, Japanese preferred) from a bounded sample and checked by
/// the decode itself, which fails on any malformed sequence. Only then is the guess made again
/// from the whole file and the file decoded with replacement characters.
pub fn decode(bytes: &[u8]) -> (String, String) {
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return (
            String::from_utf8_lossy(rest).into_owned(),
            "utf-8-bom".into(),
        );
    }
    if bytes.starts_with(&[0xff, 0xfe]) {
        let (text, _) = encoding_rs::UTF_16LE.decode_with_bom_removal(bytes);
        return (text.into_owned(), "utf-16le".into());
    }
    if bytes.starts_with(&[0xfe, 0xff]) {
        let (text, _) = encoding_rs::UTF_16BE.decode_with_bom_removal(bytes);
        return (text.into_owned(), "utf-16be".into());
    }
    let invalid_from = match std::str::from_utf8(bytes) {
        Ok(text) => {
            if memchr_esc_dollar(bytes) {
                let (t, _) = encoding_rs::ISO_2022_JP.decode_without_bom_handling(bytes);
                return (t.into_owned(), "iso-2022-jp".into());
            }
            return (text.to_owned(), "utf-8".into());
        }
        Err(e) => e.valid_up_to(),
    };
    let first_non_ascii = bytes[..invalid_from]
        .iter()
        .position(|b| !b.is_ascii())
        .unwrap_or(invalid_from);
    let sample = &bytes[first_non_ascii..bytes.len().min(first_non_ascii + SAMPLE)];
    let guess = guess_encoding(sample, first_non_ascii + sample.len() == bytes.len());
    if let Some(text) = guess.decode_without_bom_handling_and_without_replacement(bytes) {
        return (text.into_owned(), guess.name().to_ascii_lowercase());
    }
    let encoding = guess_encoding(bytes, true);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    (text.into_owned(), encoding.name().to_ascii_lowercase())
}

/// chardetng's guess for `bytes` (`last`: they end the file), Japanese preferred where the
/// bytes allow several encodings.
fn guess_encoding(bytes: &[u8], last: bool) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, last);
    detector.guess(Some(b"jp"), true)
}

/// Whether valid UTF-8 `bytes` are really ISO-2022-JP (see [`memchr_esc_dollar`]).
pub fn is_iso_2022_jp(bytes: &[u8]) -> bool {
    memchr_esc_dollar(bytes)
}

/// ISO-2022-JP is 7-bit (valid UTF-8) but switches to JIS X 0208 with `ESC $ B` / `ESC $ @`.
fn memchr_esc_dollar(bytes: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, b"\x1b$")
        .any(|i| matches!(bytes.get(i + 2), Some(b'B' | b'@')))
}

/// Folds the compatibility forms that change what the patterns match — the NFKC mappings of
/// full-width ASCII (U+FF01–U+FF5E) and the ideographic space — plus the dash-like characters
/// NFKC leaves alone (`ー`, `‐`, `−`, `―`), to ASCII. Text without any of them is returned
/// as is (no copy), which keeps the common case at memory speed; [`normalize_nfkc`] is the
/// full normalisation.
pub fn normalize(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::new();
    if normalize_into(text, &mut out) {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// [`normalize`] into a buffer the caller keeps between texts: when `text` has anything to
/// fold, `out` is cleared, receives the folded text, and `true` is returned; otherwise `out` is
/// left alone and `text` is already normal.
pub fn normalize_into(text: &str, out: &mut String) -> bool {
    normalize_into_keeping(text, out, &[])
}

/// [`normalize_into`], except that full-width forms of the ASCII bytes in `keep` stay as they
/// are (a table's `，` must not become its delimiter).
pub fn normalize_into_keeping(text: &str, out: &mut String, keep: &[u8]) -> bool {
    // Every character folded here is three bytes in UTF-8: EF BC 81–EF BD 9E (full-width ASCII),
    // E3 80 80 (ideographic space), E2 80 90/91/95 and E2 88 92 (dashes), E3 83 BC (ー). E3
    // starts every kana, so candidates are found with SIMD searches for EF, E2 and the two
    // E3 sequences rather than byte by byte.
    let bytes = text.as_bytes();
    let mut candidates: Vec<usize> = memchr::memchr2_iter(0xef, 0xe2, bytes).collect();
    candidates.extend(memchr::memmem::find_iter(bytes, "\u{3000}"));
    candidates.extend(memchr::memmem::find_iter(bytes, "ー"));
    if candidates.is_empty() {
        return false;
    }
    candidates.sort_unstable();
    let mut started = false;
    let mut copied = 0usize;
    for i in candidates {
        if i < copied || i + 2 >= bytes.len() {
            continue;
        }
        let (b, b1, b2) = (bytes[i], bytes[i + 1], bytes[i + 2]);
        let folded: Option<u8> = match (b, b1, b2) {
            (0xef, 0xbc, 0x81..=0xbf) => Some(b2 - 0x81 + 0x21),
            (0xef, 0xbd, 0x80..=0x9e) => Some(b2 - 0x80 + 0x60),
            (0xe3, 0x80, 0x80) => Some(b' '),
            (0xe2, 0x80, 0x90 | 0x91 | 0x95) | (0xe2, 0x88, 0x92) => Some(b'-'),
            // The prolonged sound mark is a dash only where it is misused after a digit
            // (`090ー1234ー5678`); in words (`マイナンバー`) it stays.
            (0xe3, 0x83, 0xbc) => {
                let prev = if started && copied == i {
                    out.as_bytes().last().copied()
                } else {
                    i.checked_sub(1).map(|j| bytes[j])
                };
                prev.filter(u8::is_ascii_digit).map(|_| b'-')
            }
            _ => None,
        }
        .filter(|f| !keep.contains(f));
        if let Some(f) = folded {
            if !started {
                out.clear();
                out.reserve(text.len());
                started = true;
            }
            out.push_str(&text[copied..i]);
            out.push(char::from(f));
            copied = i + 3;
        }
    }
    if started {
        out.push_str(&text[copied..]);
    }
    started
}

/// Full NFKC followed by the dash folding of [`normalize`] (for comparison in tests and for
/// callers that want every compatibility mapping).
pub fn normalize_nfkc(text: &str) -> String {
    let nfkc: String = text.nfkc().collect();
    normalize(&nfkc).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_japanese_encodings() {
        let text = "氏名,電話番号\r\n田中 健,０９０－１２３４－５６７８\r\n";
        for enc in [
            encoding_rs::SHIFT_JIS,
            encoding_rs::EUC_JP,
            encoding_rs::ISO_2022_JP,
        ] {
            let (bytes, _, _) = enc.encode(text);
            let (decoded, name) = decode(&bytes);
            assert_eq!(decoded, text, "{}", enc.name());
            assert_eq!(name, enc.name().to_ascii_lowercase());
        }
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom), (text.to_owned(), "utf-8-bom".to_owned()));
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16).0, text);
        assert_eq!(
            normalize("０９０－１２３４－５６７８ Ｔａｎａｋａ"),
            "090-1234-5678 Tanaka"
        );
        assert_eq!(normalize("〒１００－０００１　東京都"), "〒100-0001 東京都");
        assert!(matches!(
            normalize("plain ascii 090-1234-5678"),
            std::borrow::Cow::Borrowed(_)
        ));
        for s in [
            "ＡＢＣ＠ｅｘａｍｐｌｅ．ｃｏｍ",
            "０１２３－４５",
            "コーヒー",
        ] {
            assert_eq!(normalize(s), normalize_nfkc(s), "{s}");
        }
        assert_eq!(
            normalize("０９０ー１２３４ー５６７８ マイナンバー"),
            "090-1234-5678 マイナンバー"
        );
    }
}
