//! The file header of an nfcapd file: layout 2 (nfdump 1.7) and layout 1 (nfdump ≤ 1.6).
//!
//! Everything is in the writing host's byte order; nfdump writes its C structs as they are in
//! memory. Files from x86 and ARM collectors are little-endian, and only those are read here: a
//! big-endian file shows its magic byte-swapped and is refused as such.

use super::NfcapdError;

/// The magic number that starts every nfcapd file (as a little-endian `u16`).
pub const MAGIC: u16 = 0xA50C;
/// Layout of nfdump up to 1.6 (`LAYOUT_VERSION_1`).
pub const LAYOUT_V1: u16 = 1;
/// Layout of nfdump 1.7 (`LAYOUT_VERSION_2`).
pub const LAYOUT_V2: u16 = 2;
/// Size of the layout-2 header (`fileHeaderV2_t`); data blocks follow it.
pub const V2_HEADER_LEN: usize = 40;
/// Size of the layout-1 header (`fileHeaderV1_t`, 140 bytes) and its statistics record
/// (`stat_recordV1_t`, 136 bytes); data blocks follow them.
pub const V1_HEADER_LEN: usize = 276;

/// How the data blocks of a file are compressed (each block on its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Stored as they are.
    None,
    /// LZO1X (minilzo's `lzo1x_1_compress`), a raw stream per block.
    Lzo,
    /// One complete bzip2 stream per block.
    Bzip2,
    /// A raw LZ4 block (not a frame) per block.
    Lz4,
    /// One zstd frame per block (nfdump 1.7.2 and later).
    Zstd,
}

impl Compression {
    /// The name nfdump gives it.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Lzo => "lzo",
            Compression::Bzip2 => "bz2",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// The layout-2 header's compression id (`compression` byte at offset 16).
    pub fn from_v2_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Compression::None,
            1 => Compression::Lzo,
            2 => Compression::Bzip2,
            3 => Compression::Lz4,
            4 => Compression::Zstd,
            _ => return None,
        })
    }
}

/// What the file header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    /// [`LAYOUT_V1`] or [`LAYOUT_V2`].
    pub layout: u16,
    /// The writing nfdump's version (`0x01070100` for 1.7.1; the top byte `0xF1` marks a git
    /// build). 0 in layout 1, which does not record it.
    pub nfdump_version: u32,
    /// When the file was created, Unix seconds (0 in layout 1).
    pub created: i64,
    /// The block compression.
    pub compression: Compression,
    /// Number of appendix blocks (layout 2).
    pub appendix_blocks: u16,
    /// The program that wrote the file: 1 nfcapd, 2 nfpcapd, 3 sfcapd, 4 nfdump, 5 nfanon, …
    /// (layout 2; 0 unknown).
    pub creator: u32,
    /// File offset of the appendix (layout 2; 0 when there is none).
    pub appendix_offset: u64,
    /// Data blocks the header counts (appendix blocks not included).
    pub blocks: u32,
    /// The ident string (layout 1 keeps it in the header; layout 2 in the appendix).
    pub ident: Option<String>,
    /// Whether the layout-1 header marks the file as anonymised.
    pub anonymized: bool,
    /// Where the data blocks start.
    pub data_offset: u64,
}

impl FileHeader {
    /// `1.7.1` from `0x01070100` (and `1.7.6-git` for `0xF1070600`, a git build).
    pub fn nfdump_version_string(&self) -> Option<String> {
        if self.nfdump_version == 0 {
            return None;
        }
        let [top, minor, patch, _] = self.nfdump_version.to_be_bytes();
        let git = if top & 0xF0 == 0xF0 { "-git" } else { "" };
        Some(format!("{}.{minor}.{patch}{git}", top & 0x0F))
    }

    /// The creator's name, as nfdump names it.
    pub fn creator_name(&self) -> &'static str {
        match self.creator {
            1 => "nfcapd",
            2 => "nfpcapd",
            3 => "sfcapd",
            4 => "nfdump",
            5 => "nfanon",
            6 => "nfprofile",
            7 => "geolookup",
            8 => "ft2nfdump",
            9 => "torlookup",
            _ => "unknown",
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Whether `head` (the first bytes of a file) is an nfcapd file: the magic, a known layout,
/// and for layout 2 (when the header is all there) a known compression and no encryption.
pub fn is_nfcapd(head: &[u8]) -> bool {
    match (u16_at(head, 0), u16_at(head, 2)) {
        (Some(MAGIC), Some(LAYOUT_V1)) => true,
        (Some(MAGIC), Some(LAYOUT_V2)) => match (head.get(16), head.get(17)) {
            (Some(&c), Some(&e)) => c <= 4 && e == 0,
            _ => true,
        },
        _ => false,
    }
}

/// Parses the header from the first bytes of the file (at least [`V2_HEADER_LEN`] for layout 2,
/// [`V1_HEADER_LEN`] for layout 1; fewer is a truncated header).
pub fn parse(head: &[u8]) -> Result<FileHeader, NfcapdError> {
    let truncated = NfcapdError::TruncatedHeader { len: head.len() };
    let magic = u16_at(head, 0).ok_or(NfcapdError::NotNfcapd)?;
    if magic == MAGIC.swap_bytes() {
        return Err(NfcapdError::BigEndian);
    }
    if magic != MAGIC {
        return Err(NfcapdError::NotNfcapd);
    }
    let layout = u16_at(head, 2).ok_or(NfcapdError::NotNfcapd)?;
    match layout {
        LAYOUT_V2 => {
            if head.len() < V2_HEADER_LEN {
                return Err(truncated);
            }
            let id = head[16];
            let compression =
                Compression::from_v2_id(id).ok_or(NfcapdError::Compression { id, offset: 16 })?;
            if head[17] != 0 {
                return Err(NfcapdError::Encrypted { id: head[17] });
            }
            Ok(FileHeader {
                layout,
                nfdump_version: u32_at(head, 4).unwrap_or(0),
                created: u64_at(head, 8).map_or(0, |v| v as i64),
                compression,
                appendix_blocks: u16_at(head, 18).unwrap_or(0),
                creator: u32_at(head, 20).unwrap_or(0),
                appendix_offset: u64_at(head, 24).unwrap_or(0),
                blocks: u32_at(head, 36).unwrap_or(0),
                ident: None,
                anonymized: false,
                data_offset: V2_HEADER_LEN as u64,
            })
        }
        LAYOUT_V1 => {
            if head.len() < V1_HEADER_LEN {
                return Err(truncated);
            }
            let flags = u32_at(head, 4).unwrap_or(0);
            // FLAG_LZO 0x1, FLAG_BZ2 0x8, FLAG_LZ4 0x10 (COMPRESSION_MASK 0x19); at most one.
            let compression = match flags & 0x19 {
                0 => Compression::None,
                0x1 => Compression::Lzo,
                0x8 => Compression::Bzip2,
                0x10 => Compression::Lz4,
                other => {
                    return Err(NfcapdError::Compression {
                        id: other as u8,
                        offset: 4,
                    });
                }
            };
            let ident = &head[12..140];
            let end = ident.iter().position(|&b| b == 0).unwrap_or(ident.len());
            let ident = String::from_utf8_lossy(&ident[..end]).into_owned();
            Ok(FileHeader {
                layout,
                nfdump_version: 0,
                created: 0,
                compression,
                appendix_blocks: 0,
                creator: 0,
                appendix_offset: 0,
                blocks: u32_at(head, 8).unwrap_or(0),
                ident: (!ident.is_empty()).then_some(ident),
                anonymized: flags & 0x2 != 0,
                data_offset: V1_HEADER_LEN as u64,
            })
        }
        other => Err(NfcapdError::Layout(other)),
    }
}
