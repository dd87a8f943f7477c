//! Content-defined chunking with FastCDC (Xia et al., "FastCDC: a Fast and Efficient
//! Content-Defined Chunking Approach for Data Deduplication", USENIX ATC 2016): cut points that
//! depend on the bytes around them, so that a file copied into an archive, appended to or with
//! bytes inserted keeps most of its chunks.
//!
//! A Gear hash (`hash = (hash << 1) + GEAR[byte]`) rolls over the bytes after the minimum size;
//! a cut is made where the hash has zeros under a mask. Normalised chunking: before the average
//! size the mask has two more bits (cuts are rarer), after it two fewer (cuts are likelier), which
//! draws chunk sizes towards the average. The mask bits are spread over the hash's upper 48 bits,
//! which depend on the last 48 bytes or more. The Gear table is 256 values of SplitMix64 from a
//! fixed seed: the same bytes always give the same chunks.

/// Chunk sizes: minimum, average (a power of two) and maximum, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSizes {
    /// No cut before this many bytes.
    pub min: usize,
    /// The expected size (a power of two).
    pub avg: usize,
    /// Always a cut at this many bytes.
    pub max: usize,
}

impl ChunkSizes {
    /// 2 KiB / 8 KiB / 64 KiB: small enough that office files of a few tens of kilobytes have
    /// several chunks.
    pub const DEFAULT: ChunkSizes = ChunkSizes {
        min: 2 * 1024,
        avg: 8 * 1024,
        max: 64 * 1024,
    };
}

/// SplitMix64 (Steele, Lea and Flood 2014), for the Gear table.
const fn splitmix(state: u64) -> (u64, u64) {
    let state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (state, z ^ (z >> 31))
}

const fn gear_table() -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut state = 0x6272_6561_6368_7363; // "breachsc"
    let mut i = 0;
    while i < 256 {
        let (next, value) = splitmix(state);
        state = next;
        table[i] = value;
        i += 1;
    }
    table
}

static GEAR: [u64; 256] = gear_table();

/// A mask with `bits` one-bits spread evenly over bits 16..64.
fn spread_mask(bits: u32) -> u64 {
    let bits = bits.clamp(1, 48);
    (0..bits).fold(0u64, |mask, i| mask | 1 << (16 + i * 48 / bits))
}

/// Cuts bytes into content-defined chunks.
#[derive(Debug, Clone, Copy)]
pub struct Chunker {
    sizes: ChunkSizes,
    mask_small: u64,
    mask_large: u64,
}

impl Chunker {
    /// A chunker for `sizes` (the average rounded down to a power of two).
    pub fn new(sizes: ChunkSizes) -> Self {
        let avg_bits = usize::BITS - 1 - sizes.avg.max(2).leading_zeros();
        Chunker {
            sizes: ChunkSizes {
                min: sizes.min.min(sizes.max),
                avg: 1 << avg_bits,
                max: sizes.max.max(1),
            },
            mask_small: spread_mask(avg_bits + 2),
            mask_large: spread_mask(avg_bits.saturating_sub(2)),
        }
    }

    /// The length of the chunk that starts `data`.
    pub fn cut(&self, data: &[u8]) -> usize {
        let ChunkSizes { min, avg, max } = self.sizes;
        if data.len() <= min {
            return data.len();
        }
        let end = data.len().min(max);
        let normal = avg.min(end);
        let mut hash = 0u64;
        for (i, &b) in data.iter().enumerate().take(normal).skip(min) {
            hash = (hash << 1).wrapping_add(GEAR[usize::from(b)]);
            if hash & self.mask_small == 0 {
                return i + 1;
            }
        }
        for (i, &b) in data.iter().enumerate().take(end).skip(normal.max(min)) {
            hash = (hash << 1).wrapping_add(GEAR[usize::from(b)]);
            if hash & self.mask_large == 0 {
                return i + 1;
            }
        }
        end
    }

    /// The chunks of `data`, as (offset, length), covering it exactly.
    pub fn chunks(&self, data: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < data.len() {
            let len = self.cut(&data[at..]);
            out.push((at, len));
            at += len;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn random(n: usize, seed: u64) -> Vec<u8> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                let (next, v) = splitmix(state);
                state = next;
                v as u8
            })
            .collect()
    }

    fn chunk_set<'a>(c: &Chunker, data: &'a [u8]) -> HashSet<&'a [u8]> {
        c.chunks(data)
            .into_iter()
            .map(|(at, len)| &data[at..at + len])
            .collect()
    }

    #[test]
    fn chunks_cover_the_input_within_their_sizes() {
        let c = Chunker::new(ChunkSizes::DEFAULT);
        let data = random(1 << 20, 1);
        let chunks = c.chunks(&data);
        assert_eq!(chunks.iter().map(|&(_, l)| l).sum::<usize>(), data.len());
        assert!(chunks.windows(2).all(|p| p[0].0 + p[0].1 == p[1].0));
        let (last, rest) = chunks.split_last().unwrap_or((&(0, 0), &[]));
        assert!(last.1 <= 64 * 1024);
        assert!(rest.iter().all(|&(_, l)| (2048..=64 * 1024).contains(&l)));
        // Normalised chunking keeps the mean near the average.
        let mean = data.len() as f64 / chunks.len() as f64;
        assert!((6_000.0..11_000.0).contains(&mean), "{mean}");
        assert!(c.chunks(&[]).is_empty());
        assert_eq!(c.chunks(&data[..100]), [(0, 100)]);
    }

    #[test]
    fn inserted_bytes_change_only_the_chunks_around_them() {
        let c = Chunker::new(ChunkSizes::DEFAULT);
        let data = random(1 << 20, 2);
        let original = chunk_set(&c, &data);
        // 100 bytes inserted near the start, 5 KB in the middle: most chunks survive.
        let mut edited = random(100, 3);
        edited.extend_from_slice(&data[..500_000]);
        edited.extend_from_slice(&random(5_000, 4));
        edited.extend_from_slice(&data[500_000..]);
        let after = chunk_set(&c, &edited);
        let kept = original.intersection(&after).count() as f64 / original.len() as f64;
        assert!(kept > 0.9, "{kept}");
        // The same bytes inside a larger file (an archive, a concatenated dump) too.
        let mut inside = random(30_000, 5);
        inside.extend_from_slice(&data);
        inside.extend_from_slice(&random(30_000, 6));
        let found =
            original.intersection(&chunk_set(&c, &inside)).count() as f64 / original.len() as f64;
        assert!(found > 0.95, "{found}");
    }

    #[test]
    fn the_table_and_masks_are_fixed() {
        // The chunks are a format: an index built by one release is read by the next.
        assert_eq!(GEAR[0], splitmix(0x6272_6561_6368_7363).1);
        assert_eq!(spread_mask(15).count_ones(), 15);
        assert_eq!(spread_mask(11).count_ones(), 11);
        assert_eq!(spread_mask(15) & 0xffff, 0);
    }
}
