//! Bytes to text: BOM, UTF-8, UTF-16, ISO-2022-JP, and legacy encodings guessed with chardetng
//! (Shift_JIS/CP932, EUC-JP, …), then NFKC so that full-width digits and letters match.

use encoding_rs::Encoding;
use unicode_normalization::UnicodeNormalization;

/// Decodes `bytes`, returning the text and the encoding's name (`utf-8`, `utf-8-bom`,
/// `utf-16le`, `shift_jis`, `euc-jp`, `iso-2022-jp`, …).
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
    if let Ok(text) = std::str::from_utf8(bytes) {
        if memchr_esc_dollar(bytes) {
            let (t, _, _) = encoding_rs::ISO_2022_JP.decode(bytes);
            return (t.into_owned(), "iso-2022-jp".into());
        }
        return (text.to_owned(), "utf-8".into());
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let encoding: &'static Encoding = detector.guess(Some(b"jp"), true);
    let (text, _, _) = encoding.decode(bytes);
    (text.into_owned(), encoding.name().to_ascii_lowercase())
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
        };
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
