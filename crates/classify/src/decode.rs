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

/// ISO-2022-JP is 7-bit (valid UTF-8) but switches to JIS X 0208 with `ESC $ B` / `ESC $ @`.
fn memchr_esc_dollar(bytes: &[u8]) -> bool {
    bytes
        .windows(3)
        .any(|w| w[0] == 0x1b && w[1] == b'$' && (w[2] == b'B' || w[2] == b'@'))
}

/// Folds the compatibility forms that change what the patterns match — the NFKC mappings of
/// full-width ASCII (U+FF01–U+FF5E) and the ideographic space — plus the dash-like characters
/// NFKC leaves alone (`ー`, `‐`, `−`, `―`), to ASCII. Text without any of them is returned
/// as is (no copy), which keeps the common case at memory speed; [`normalize_nfkc`] is the
/// full normalisation.
pub fn normalize(text: &str) -> std::borrow::Cow<'_, str> {
    // Every character folded here is encoded in UTF-8 starting with 0xE2, 0xE3 or 0xEF.
    if !text.bytes().any(|b| b == 0xef || b == 0xe3 || b == 0xe2) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for c in text.chars() {
        let folded = match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xff01 + 0x21),
            '\u{3000}' => Some(' '),
            '‐' | '‑' | '−' | '―' => Some('-'),
            // The prolonged sound mark is a dash only where it is misused between digits
            // (`090ー1234ー5678`); in words (`マイナンバー`) it stays.
            'ー' if out.ends_with(|p: char| p.is_ascii_digit()) => Some('-'),
            _ => None,
        };
        match folded {
            Some(f) => {
                out.push(f);
                changed = true;
            }
            None => out.push(c),
        }
    }
    if changed {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
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
