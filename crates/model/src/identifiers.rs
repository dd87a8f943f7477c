//! Check digits and normal forms of the identifiers breachscope counts (report-v1 "Categories").
//!
//! Pure functions over digits: the classifier uses them to validate candidates, the simulator to
//! plant valid values and near-misses, and tests to recount independently.

/// Folds full-width digits (`０`–`９`), full-width `＋`, and the hyphen-like characters used in
/// Japanese documents (`－`, `ー`, `‐`, `−`, `―`) to ASCII, leaving everything else unchanged.
pub fn fold_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '＋' => '+',
            '－' | 'ー' | '‐' | '−' | '―' | '‑' => '-',
            '\u{3000}' => ' ',
            '（' => '(',
            '）' => ')',
            _ => c,
        })
        .collect()
}

/// The ASCII digits of `text`, in order (separators dropped).
pub fn digits_only(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn digit_values(digits: &str) -> Option<Vec<u32>> {
    digits.chars().map(|c| c.to_digit(10)).collect()
}

/// Whether a string of digits passes the Luhn (mod 10) check.
pub fn luhn_valid(digits: &str) -> bool {
    let Some(values) = digit_values(digits) else {
        return false;
    };
    if values.len() < 2 {
        return false;
    }
    let sum: u32 = values
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The Luhn check digit that completes `payload` (the digits without it).
pub fn luhn_check_digit(payload: &str) -> Option<u32> {
    let values = digit_values(payload)?;
    let sum: u32 = values
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    Some((10 - sum % 10) % 10)
}

/// The My Number (個人番号) check digit for the first 11 digits (MIC ordinance No. 85 of 2014,
/// art. 5): `11 − (Σ Pn·Qn mod 11)`, 0 when the remainder is 0 or 1; Pn counts from the right,
/// Qn = n+1 for n ≤ 6 and n−5 for n ≥ 7.
pub fn my_number_check_digit(first11: &str) -> Option<u32> {
    let values = digit_values(first11)?;
    if values.len() != 11 {
        return None;
    }
    let sum: u32 = values
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &p)| {
            let n = i as u32 + 1;
            let q = if n <= 6 { n + 1 } else { n - 5 };
            p * q
        })
        .sum();
    let r = sum % 11;
    Some(if r <= 1 { 0 } else { 11 - r })
}

/// Whether 12 digits form a valid My Number.
pub fn my_number_valid(digits: &str) -> bool {
    digits.len() == 12
        && my_number_check_digit(&digits[..11])
            .zip(digits[11..].chars().next().and_then(|c| c.to_digit(10)))
            .is_some_and(|(expected, actual)| expected == actual)
}

/// The Corporate Number (法人番号) check digit (the *first* digit) for a 12-digit base number
/// (NTA ordinance art. 2): `9 − (Σ Pn·Qn mod 9)`, Pn counting from the right, Qn = 1 for odd n,
/// 2 for even n.
pub fn corporate_number_check_digit(base12: &str) -> Option<u32> {
    let values = digit_values(base12)?;
    if values.len() != 12 {
        return None;
    }
    let sum: u32 = values
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &p)| if i % 2 == 0 { p } else { p * 2 })
        .sum();
    Some(9 - sum % 9)
}

/// Whether 13 digits form a valid Corporate Number.
pub fn corporate_number_valid(digits: &str) -> bool {
    digits.len() == 13
        && corporate_number_check_digit(&digits[1..])
            .zip(digits.chars().next().and_then(|c| c.to_digit(10)))
            .is_some_and(|(expected, actual)| expected == actual)
}

/// Whether an IBAN (spaces allowed) passes the ISO 13616 mod-97 check.
pub fn iban_valid(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() < 15 || compact.len() > 34 || !compact.is_ascii() {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    if !head[..2].chars().all(|c| c.is_ascii_uppercase())
        || !head[2..].chars().all(|c| c.is_ascii_digit())
    {
        return false;
    }
    let mut remainder: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        let width = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * width + value) % 97;
    }
    remainder == 1
}

/// Normalises a phone number written in Japan or internationally to E.164 (`+81312345678`).
///
/// Accepts `+` international forms and Japanese national forms starting with the trunk prefix
/// `0` (10 or 11 digits: fixed, mobile 070/080/090, IP 050, toll-free 0120/0800, 0570). Returns
/// `None` for anything that is not a dialable number of those plans.
pub fn phone_to_e164(text: &str) -> Option<String> {
    let folded = fold_width(text);
    let trimmed = folded.trim();
    let digits = digits_only(trimmed);
    if trimmed.starts_with('+') {
        // E.164: country code + subscriber, at most 15 digits; Japanese numbers must not keep the
        // trunk 0 after +81.
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return None;
        }
        if let Some(national) = digits.strip_prefix("81") {
            return japanese_national_valid(&format!("0{national}")).then(|| format!("+{digits}"));
        }
        return Some(format!("+{digits}"));
    }
    if japanese_national_valid(&digits) {
        return Some(format!("+81{}", &digits[1..]));
    }
    None
}

fn japanese_national_valid(digits: &str) -> bool {
    if !digits.starts_with('0') || digits.starts_with("00") {
        return false;
    }
    match &digits[..digits.len().min(3)] {
        "070" | "080" | "090" | "050" | "020" => digits.len() == 11,
        _ if digits.starts_with("0120") || digits.starts_with("0570") => digits.len() == 10,
        _ if digits.starts_with("0800") => digits.len() == 11,
        _ => digits.len() == 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("378282246310005"));
        assert!(!luhn_valid("4111111111111112"));
        assert_eq!(luhn_check_digit("411111111111111"), Some(1));
        assert_eq!(luhn_check_digit("37828224631000"), Some(5));
    }

    #[test]
    fn my_number() {
        assert_eq!(my_number_check_digit("12345678901"), Some(8));
        assert!(my_number_valid("123456789018"));
        assert!(!my_number_valid("123456789012"));
        assert!(!my_number_valid("12345678901"));
    }

    #[test]
    fn corporate_number() {
        assert_eq!(corporate_number_check_digit("180301018771"), Some(1));
        assert!(corporate_number_valid("1180301018771"));
        assert!(!corporate_number_valid("2180301018771"));
    }

    #[test]
    fn iban() {
        assert!(iban_valid("GB82 WEST 1234 5698 7654 32"));
        assert!(iban_valid("DE89370400440532013000"));
        assert!(!iban_valid("GB82 WEST 1234 5698 7654 33"));
    }

    #[test]
    fn phones() {
        assert_eq!(
            phone_to_e164("03-1234-5678").as_deref(),
            Some("+81312345678")
        );
        assert_eq!(
            phone_to_e164("090-1234-5678").as_deref(),
            Some("+819012345678")
        );
        assert_eq!(
            phone_to_e164("０９０－１２３４－５６７８").as_deref(),
            Some("+819012345678")
        );
        assert_eq!(
            phone_to_e164("+81 90-1234-5678").as_deref(),
            Some("+819012345678")
        );
        assert_eq!(
            phone_to_e164("0120-123-456").as_deref(),
            Some("+81120123456")
        );
        assert_eq!(
            phone_to_e164("+44 20 7946 0123").as_deref(),
            Some("+442079460123")
        );
        assert_eq!(phone_to_e164("090-1234-567"), None);
        assert_eq!(phone_to_e164("+81 090 1234 5678"), None);
        assert_eq!(phone_to_e164("12-3456-7890"), None);
    }

    #[test]
    fn folding() {
        assert_eq!(fold_width("〒１００－０００１"), "〒100-0001");
    }
}
