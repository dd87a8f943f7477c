//! Bytes to text: BOM, UTF-8, UTF-16, ISO-2022-JP, and legacy encodings guessed with chardetng
//! (Shift_JIS/CP932, EUC-JP, …), then NFKC so that full-width digits and letters match.

use encoding_rs::Encoding;
use unicode_normalization::UnicodeNormalization;

/// Decodes `bytes`, returning the text and the encoding's name (`utf-8`, `utf-8-bom`,
/// `utf-16le`, `shift_jis`, `euc-jp`, `iso-2022-jp`, …).
pub fn decode(bytes: &[u8]) -> (String, String) {
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return (String::from_utf8_lossy(rest).into_owned(), "utf-8-bom".into());
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
    bytes.windows(3).any(|w| w[0] == 0x1b && w[1] == b'$' && (w[2] == b'B' || w[2] == b'@'))
}

/// NFKC, then the dash-like characters NFKC leaves alone folded to `-`.
pub fn normalize(text: &str) -> String {
    let nfkc: String = text.nfkc().collect();
    breachscope_model::identifiers::fold_width(&nfkc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_japanese_encodings() {
        let text = "氏名,電話番号\r\n田中 健,０９０－１２３４－５６７８\r\n";
        for enc in [encoding_rs::SHIFT_JIS, encoding_rs::EUC_JP, encoding_rs::ISO_2022_JP] {
            let (bytes, _, _) = enc.encode(text);
            let (decoded, name) = decode(&bytes);
            assert_eq!(decoded, text, "{}", enc.name());
            assert_eq!(name, enc.name().to_ascii_lowercase());
        }
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom), (text.to_owned(), "utf-8-bom".to_owned()));
        let utf16: Vec<u8> = [0xff, 0xfe].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode(&utf16).0, text);
        assert_eq!(normalize("０９０－１２３４－５６７８ Ｔａｎａｋａ"), "090-1234-5678 Tanaka");
    }
}
