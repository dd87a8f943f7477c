//! Winnowing (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for document
//! fingerprinting", SIGMOD 2003): the fingerprints of a text that any other text sharing a long
//! enough passage with it also has.
//!
//! The text (already normalised, [`crate::text::normalize`]) is cut into overlapping k-grams of
//! `k` characters, each hashed; in every window of `w` consecutive k-gram hashes the smallest is
//! selected (the rightmost of equal ones, the paper's robust winnowing), and each selection is
//! recorded once. Guarantee: a passage of at least `w + k - 1` characters that two texts share
//! gives both at least one common fingerprint; a match shorter than `k` characters gives none.
//!
//! The hashes here select; they are not what an index stores. The selected k-grams are hashed
//! again with the case's key by the caller, so that an index holds keyed hashes only.

use std::collections::VecDeque;

/// Shingle and window sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Winnowing {
    /// Characters per k-gram.
    pub k: usize,
    /// k-grams per window.
    pub w: usize,
}

/// A selected k-gram: its selection hash and where it is in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selected {
    /// The k-gram's hash (unkeyed: for selection only).
    pub hash: u64,
    /// Byte offset of the k-gram's first character.
    pub start: usize,
    /// Byte offset just after its last character.
    pub end: usize,
}

/// The base of the polynomial rolling hash over characters (odd, so invertible modulo 2^64).
const BASE: u64 = 0x0000_0100_0000_01b3;

/// A bijective finaliser (SplitMix64's): polynomial hashes of similar k-grams are close
/// together, and the window minimum must not favour some characters.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Winnowing {
    /// Settings for prose and tables: 16-character k-grams in windows of 16 (every passage of
    /// 31 characters shared is found).
    pub const DEFAULT: Winnowing = Winnowing { k: 16, w: 16 };

    /// The length of a shared passage that is always found.
    pub fn guaranteed(&self) -> usize {
        self.k + self.w - 1
    }

    /// The fingerprints of `text`, in text order. Texts shorter than `k` characters have none;
    /// those shorter than a window have their smallest k-gram.
    pub fn fingerprints(&self, text: &str) -> Vec<Selected> {
        let (k, w) = (self.k.max(1), self.w.max(1));
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        if chars.len() < k {
            return Vec::new();
        }
        // BASE^(k-1), to take the leaving character out of the rolling hash.
        let top = (1..k).fold(1u64, |p, _| p.wrapping_mul(BASE));
        let mut rolling = 0u64;
        for &(_, c) in &chars[..k] {
            rolling = rolling.wrapping_mul(BASE).wrapping_add(u64::from(c) + 1);
        }
        let grams = chars.len() - k + 1;
        let mut hashes = Vec::with_capacity(grams);
        hashes.push(mix(rolling));
        for i in 1..grams {
            let leaving = u64::from(chars[i - 1].1) + 1;
            let entering = u64::from(chars[i + k - 1].1) + 1;
            rolling = rolling
                .wrapping_sub(leaving.wrapping_mul(top))
                .wrapping_mul(BASE)
                .wrapping_add(entering);
            hashes.push(mix(rolling));
        }
        let span = |i: usize| {
            let start = chars[i].0;
            let end = chars.get(i + k).map_or(text.len(), |&(offset, _)| offset);
            (start, end)
        };
        let mut out = Vec::new();
        // Indices of candidate minima, their hashes increasing from front to back; the front is
        // the window's minimum (the rightmost of equals, as equal hashes evict earlier ones).
        let mut window: VecDeque<usize> = VecDeque::new();
        let mut last: Option<usize> = None;
        for (i, &h) in hashes.iter().enumerate() {
            while window.back().is_some_and(|&j| hashes[j] >= h) {
                window.pop_back();
            }
            window.push_back(i);
            if window.front().is_some_and(|&j| j + w <= i) {
                window.pop_front();
            }
            // A full window ends at i, or the text has fewer k-grams than a window.
            if i + 1 >= w || i + 1 == grams {
                let Some(&min) = window.front() else { continue };
                if last != Some(min) {
                    let (start, end) = span(min);
                    out.push(Selected {
                        hash: hashes[min],
                        start,
                        end,
                    });
                    last = Some(min);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashSet;

    use super::*;

    /// A deterministic text generator (xorshift) over a small alphabet with Japanese letters.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn text(&mut self, chars: usize) -> String {
            let alphabet: Vec<char> = "abcdefghij 0123456789東京大阪顧客番号".chars().collect();
            (0..chars)
                .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
                .collect()
        }
    }

    fn hashes(w: &Winnowing, text: &str) -> HashSet<u64> {
        w.fingerprints(text).iter().map(|s| s.hash).collect()
    }

    #[test]
    fn a_shared_passage_of_the_guaranteed_length_is_always_found() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for winnowing in [
            Winnowing::DEFAULT,
            Winnowing { k: 8, w: 4 },
            Winnowing { k: 5, w: 1 },
        ] {
            for _ in 0..300 {
                let shared = rng.text(winnowing.guaranteed());
                let a = format!("{}{shared}{}", rng.text(200), rng.text(150));
                let b = format!("{}{shared}{}", rng.text(90), rng.text(300));
                assert!(
                    !hashes(&winnowing, &a).is_disjoint(&hashes(&winnowing, &b)),
                    "{winnowing:?}: a shared passage of {} characters gave no common fingerprint",
                    winnowing.guaranteed()
                );
            }
        }
    }

    #[test]
    fn selections_are_the_window_minima_and_point_at_their_k_grams() {
        let w = Winnowing { k: 4, w: 3 };
        let text = "顧客番号 0123 abcdef 東京";
        let all: Vec<u64> = {
            let chars: Vec<char> = text.chars().collect();
            (0..=chars.len() - 4)
                .map(|i| {
                    let gram: String = chars[i..i + 4].iter().collect();
                    w.fingerprints(&gram)[0].hash
                })
                .collect()
        };
        let selected = w.fingerprints(text);
        // Every window's minimum is selected, and every selection is some window's minimum.
        let picked: HashSet<u64> = selected.iter().map(|s| s.hash).collect();
        for window in all.windows(3) {
            assert!(picked.contains(window.iter().min().unwrap()));
        }
        for s in &selected {
            let gram = &text[s.start..s.end];
            assert_eq!(gram.chars().count(), 4);
            assert_eq!(w.fingerprints(gram)[0].hash, s.hash);
        }
    }

    #[test]
    fn short_texts() {
        let w = Winnowing::DEFAULT;
        assert!(w.fingerprints("").is_empty());
        assert!(w.fingerprints("fifteen chars!!").is_empty());
        assert_eq!(w.fingerprints("sixteen chars!!!").len(), 1);
        // Fewer k-grams than a window: the smallest one.
        assert_eq!(w.fingerprints("twenty characters!!!").len(), 1);
    }

    #[test]
    fn unrelated_texts_share_little() {
        let mut rng = Rng(7);
        let w = Winnowing::DEFAULT;
        let (a, b) = (rng.text(20_000), rng.text(20_000));
        let (ha, hb) = (hashes(&w, &a), hashes(&w, &b));
        // About 2/(w+1) of the k-grams are selected.
        let density = ha.len() as f64 / 20_000.0;
        assert!((0.08..0.16).contains(&density), "{density}");
        assert!(ha.intersection(&hb).count() <= 1);
    }
}
