//! Text as leak matching compares it: what survives re-encoding, text extraction from PDF or
//! DOCX, reflow and re-typing of digits.
//!
//! NFKC folds the compatibility forms (full-width letters and digits, half-width katakana, the
//! ideographic space) into their ordinary forms; then letters are lower-cased and every run of
//! whitespace (line breaks included) becomes one space, with none at either end.

use unicode_normalization::UnicodeNormalization;

/// `text` normalised: NFKC, lower case, whitespace runs collapsed to one space, trimmed.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkc() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn width_case_and_whitespace_fold() {
        // Full-width digits and letters, an ideographic space, half-width katakana with a
        // voiced mark, line breaks from a reflowed paragraph.
        assert_eq!(
            normalize("　ＴＥＬ：０３－１２３４\r\n  ｶﾞｲﾄﾞ\tBook "),
            "tel:03-1234 ガイド book"
        );
        assert_eq!(normalize(""), "");
        assert_eq!(normalize(" \n\t "), "");
        assert_eq!(normalize("東京都　千代田区"), "東京都 千代田区");
    }
}
