//! Windows access rights as the Security log writes them.
//!
//! Object-access events (4656, 4663, 5145) give the requested rights twice: `AccessMask`, a hex
//! number, and `AccessList`, the same rights as message-table codes (`%%4416 %%4423`, separated
//! by CR/LF and tabs). The names below are the file-object meanings of the bits (Microsoft's
//! "File System Access Rights"; for directories bit 0 is ListDirectory and bit 1 AddFile).

/// FILE_READ_DATA (files) / FILE_LIST_DIRECTORY (directories).
pub const READ_DATA: u32 = 0x1;
/// FILE_WRITE_DATA / FILE_ADD_FILE.
pub const WRITE_DATA: u32 = 0x2;
/// FILE_APPEND_DATA / FILE_ADD_SUBDIRECTORY.
pub const APPEND_DATA: u32 = 0x4;
/// DELETE.
pub const DELETE: u32 = 0x1_0000;

/// Bit, message-table code (`%%NNNN`) and name of each file access right.
const RIGHTS: [(u32, u32, &str); 15] = [
    (0x1, 4416, "ReadData"),
    (0x2, 4417, "WriteData"),
    (0x4, 4418, "AppendData"),
    (0x8, 4419, "ReadEA"),
    (0x10, 4420, "WriteEA"),
    (0x20, 4421, "Execute"),
    (0x40, 4422, "DeleteChild"),
    (0x80, 4423, "ReadAttributes"),
    (0x100, 4424, "WriteAttributes"),
    (0x1_0000, 1537, "DELETE"),
    (0x2_0000, 1538, "READ_CONTROL"),
    (0x4_0000, 1539, "WRITE_DAC"),
    (0x8_0000, 1540, "WRITE_OWNER"),
    (0x10_0000, 1541, "SYNCHRONIZE"),
    (0x100_0000, 1542, "ACCESS_SYS_SEC"),
];

/// The names of the file access rights set in `mask`, in bit order.
///
/// ```
/// use breachscope_model::windows::access_rights;
/// assert_eq!(access_rights(0x120089), ["ReadData", "ReadEA", "ReadAttributes", "READ_CONTROL", "SYNCHRONIZE"]);
/// ```
pub fn access_rights(mask: u32) -> Vec<&'static str> {
    RIGHTS
        .iter()
        .filter(|(bit, _, _)| mask & bit != 0)
        .map(|(_, _, name)| *name)
        .collect()
}

/// The mask that an `AccessList` of `%%NNNN` codes stands for. Codes that are not file access
/// rights are ignored; `None` when the list holds no code at all.
///
/// ```
/// use breachscope_model::windows::access_list_mask;
/// assert_eq!(access_list_mask("%%4416\r\n\t\t\t\t%%4423\r\n\t\t\t\t"), Some(0x81));
/// assert_eq!(access_list_mask("-"), None);
/// ```
pub fn access_list_mask(list: &str) -> Option<u32> {
    let mut mask = 0;
    let mut any = false;
    for code in list.split("%%").skip(1) {
        let digits = code.trim_start();
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        if let Ok(n) = digits[..end].parse::<u32>() {
            any = true;
            if let Some((bit, _, _)) = RIGHTS.iter().find(|(_, c, _)| *c == n) {
                mask |= bit;
            }
        }
    }
    any.then_some(mask)
}

/// Parses a hex mask as Windows writes it (`0x120089`), or a decimal one.
pub fn parse_mask(text: &str) -> Option<u32> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_lists_agree() {
        for (bit, code, _) in RIGHTS {
            assert_eq!(access_list_mask(&format!("%%{code}")), Some(bit));
        }
        assert_eq!(parse_mask("0x10080"), Some(0x10080));
        assert_eq!(parse_mask("17"), Some(17));
        assert_eq!(parse_mask("0xzz"), None);
        assert_eq!(access_rights(0), Vec::<&str>::new());
        assert_eq!(access_list_mask("%%1537\n%%9999"), Some(DELETE));
    }
}
