//! Data blocks: the 12-byte header (never compressed) and the payload's decompression.

use super::header::Compression;

/// Size of a data block's header (`dataBlock_t`).
pub const BLOCK_HEADER_LEN: usize = 12;
/// Largest block payload nfdump reads (`BUFFSIZE`, 5 MiB, less the block header); a larger
/// `size` is corrupt. Decompressed payloads are bounded by it too.
pub const MAX_BLOCK: usize = 5 * 1024 * 1024 - BLOCK_HEADER_LEN;
/// Block type of nfdump 1.5 records.
pub const BLOCK_TYPE_1: u16 = 1;
/// Block type of nfdump 1.6 records (with extension maps).
pub const BLOCK_TYPE_2: u16 = 2;
/// Block type of nfdump 1.7 records (`DATA_BLOCK_TYPE_3`).
pub const BLOCK_TYPE_3: u16 = 3;
/// Flag: this block is stored uncompressed whatever the file's compression.
pub const FLAG_BLOCK_UNCOMPRESSED: u16 = 0x1;

/// A data block's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Records in the block.
    pub records: u32,
    /// Bytes of payload on disk after the header.
    pub size: u32,
    /// Block type ([`BLOCK_TYPE_3`] for nfdump 1.7).
    pub kind: u16,
    /// Flags ([`FLAG_BLOCK_UNCOMPRESSED`], …).
    pub flags: u16,
}

impl BlockHeader {
    /// Reads the 12 header bytes.
    pub fn parse(b: &[u8; BLOCK_HEADER_LEN]) -> Self {
        BlockHeader {
            records: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            size: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            kind: u16::from_le_bytes([b[8], b[9]]),
            flags: u16::from_le_bytes([b[10], b[11]]),
        }
    }
}

/// Decompresses one block's payload `src` into `dst` (at least [`MAX_BLOCK`] long), returning
/// the plain length. The error names what went wrong.
pub fn decompress(c: Compression, src: &[u8], dst: &mut [u8]) -> Result<usize, String> {
    let dst_len = dst.len().min(MAX_BLOCK);
    let dst = &mut dst[..dst_len];
    match c {
        Compression::None => {
            let out = dst.get_mut(..src.len()).ok_or("block too large")?;
            out.copy_from_slice(src);
            Ok(src.len())
        }
        Compression::Lzo => {
            lzokay::decompress::decompress(src, dst).map_err(|e| format!("LZO: {e:?}"))
        }
        Compression::Lz4 => {
            lz4_flex::block::decompress_into(src, dst).map_err(|e| format!("LZ4: {e}"))
        }
        Compression::Zstd => {
            zstd::bulk::decompress_to_buffer(src, dst).map_err(|e| format!("zstd: {e}"))
        }
        Compression::Bzip2 => {
            let mut d = bzip2::Decompress::new(false);
            match d.decompress(src, dst) {
                Ok(bzip2::Status::StreamEnd) => usize::try_from(d.total_out())
                    .map_err(|_| "bzip2: output size overflows".to_string()),
                Ok(_) => Err("bzip2: stream is truncated or larger than a block".into()),
                Err(e) => Err(format!("bzip2: {e}")),
            }
        }
    }
}
