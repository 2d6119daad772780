//! Near-duplicate detection: 64-bit SimHash over weighted segmented words, a normalised title
//! key, and an index that finds candidates within Hamming distance 3 without a linear scan.
//!
//! The rule ([`same_story`]): identical bodies are the same story. Two articles of ordinary
//! length (at least [`MIN_FEATURES`] distinct content words each) are the same story when their
//! fingerprints differ in at most [`MAX_DISTANCE`] bits. With the same title key the bar is
//! [`TITLE_MAX_DISTANCE`] bits, whatever the length: a republication that keeps the headline and
//! touches a few sentences moves more than three bits of a few-hundred-word text. Short texts
//! (fewer content words: headlines, briefs) carry too few words for SimHash alone to separate
//! them, so without the same title key they are not matched. Credit lines (来源, 编辑, 作者)
//! are left out of the fingerprint, since republishers change exactly those.
//!
//! The index splits a fingerprint into four 16-bit blocks. Two fingerprints within distance 3
//! differ in at most three blocks, so they share at least one block exactly (the pigeonhole
//! idea behind the permuted tables of Manku, Jain and Das Sarma, WWW 2007): one hash table per
//! block position finds every candidate, and each candidate is checked by its distance.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// At or above this many distinct content words a body counts as of ordinary length.
pub const MIN_FEATURES: usize = 40;
/// Bits two ordinary-length stories may differ by.
pub const MAX_DISTANCE: u32 = 3;
/// Bits two texts with the same title key may differ by.
pub const TITLE_MAX_DISTANCE: u32 = 8;

/// What the store keeps per article to find its story.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub simhash: u64,
    /// Distinct content words the hash was built from.
    pub features: usize,
    /// The title with punctuation, spaces and decorations removed.
    pub title_key: String,
    /// A hash of the normalised body, for exact copies.
    pub body_hash: u64,
}

/// FNV-1a, then the splitmix64 finaliser: a stable 64-bit hash whose bits are well mixed.
pub fn hash64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// SimHash of weighted features.
pub fn simhash<'a>(features: impl IntoIterator<Item = (&'a str, f64)>) -> u64 {
    let mut v = [0f64; 64];
    for (f, w) in features {
        let h = hash64(f.as_bytes());
        for (bit, slot) in v.iter_mut().enumerate() {
            if h >> bit & 1 == 1 {
                *slot += w;
            } else {
                *slot -= w;
            }
        }
    }
    v.iter()
        .enumerate()
        .filter(|(_, s)| **s > 0.0)
        .fold(0u64, |acc, (bit, _)| acc | (1 << bit))
}

pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The title with decorations removed: bracketed prefixes (【视频】), picture markers ((图)),
/// punctuation and spaces; Latin letters lowercased.
pub fn title_key(title: &str) -> String {
    let mut t = title.trim();
    for (open, close) in [('【', '】'), ('[', ']')] {
        if t.starts_with(open)
            && let Some(end) = t.find(close)
        {
            t = &t[end + close.len_utf8()..];
        }
    }
    let mut out: String = t
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    for suffix in ["组图", "图", "视频", "附图"] {
        if let Some(s) = out.strip_suffix(suffix)
            && s.chars().count() >= 4
        {
            out = s.to_string();
        }
    }
    out
}

/// Whether two fingerprints are the same story (see the module doc for the rule).
pub fn same_story(a: &Fingerprint, b: &Fingerprint) -> bool {
    if a.body_hash == b.body_hash && a.features > 0 {
        return true;
    }
    let d = hamming(a.simhash, b.simhash);
    let same_title = !a.title_key.is_empty() && a.title_key == b.title_key;
    (same_title && d <= TITLE_MAX_DISTANCE)
        || (a.features >= MIN_FEATURES && b.features >= MIN_FEATURES && d <= MAX_DISTANCE)
}

/// An in-memory index of fingerprints for candidate lookup within distance 3.
#[derive(Default, Debug)]
pub struct SimIndex {
    tables: [HashMap<u16, Vec<u32>>; 4],
    entries: Vec<(u64, u64)>,
    by_title: HashMap<String, Vec<u32>>,
}

fn block(h: u64, i: usize) -> u16 {
    (h >> (16 * i)) as u16
}

impl SimIndex {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds an article's fingerprint under its id.
    pub fn insert(&mut self, id: u64, fp: &Fingerprint) {
        let slot = self.entries.len() as u32;
        self.entries.push((fp.simhash, id));
        for (i, table) in self.tables.iter_mut().enumerate() {
            table.entry(block(fp.simhash, i)).or_default().push(slot);
        }
        if !fp.title_key.is_empty() {
            self.by_title
                .entry(fp.title_key.clone())
                .or_default()
                .push(slot);
        }
    }

    /// Ids whose fingerprints are within `max_distance` (at most 3) of `simhash`, with their
    /// distances, nearest first.
    pub fn near(&self, simhash: u64, max_distance: u32) -> Vec<(u64, u32)> {
        let max_distance = max_distance.min(3);
        let mut out: Vec<(u64, u32)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, table) in self.tables.iter().enumerate() {
            for slot in table.get(&block(simhash, i)).into_iter().flatten() {
                if !seen.insert(*slot) {
                    continue;
                }
                let (h, id) = self.entries[*slot as usize];
                let d = hamming(h, simhash);
                if d <= max_distance {
                    out.push((id, d));
                }
            }
        }
        out.sort_by_key(|(id, d)| (*d, *id));
        out
    }

    /// Ids with the same title key and fingerprints within `max_distance` bits (short texts).
    pub fn same_title(&self, fp: &Fingerprint, max_distance: u32) -> Vec<(u64, u32)> {
        let mut out: Vec<(u64, u32)> = self
            .by_title
            .get(&fp.title_key)
            .into_iter()
            .flatten()
            .map(|slot| self.entries[*slot as usize])
            .map(|(h, id)| (id, hamming(h, fp.simhash)))
            .filter(|(_, d)| *d <= max_distance)
            .collect();
        out.sort_by_key(|(id, d)| (*d, *id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fp(simhash: u64, features: usize, title: &str) -> Fingerprint {
        Fingerprint {
            simhash,
            features,
            title_key: title_key(title),
            body_hash: hash64(format!("{simhash}{title}").as_bytes()),
        }
    }

    #[test]
    fn title_keys_drop_decorations() {
        assert_eq!(
            title_key("【视频】全国学会工作会议召开（图）"),
            "全国学会工作会议召开"
        );
        assert_eq!(title_key("Hello, World!"), "helloworld");
    }

    #[test]
    fn index_finds_every_neighbour_within_three_bits() {
        let mut idx = SimIndex::new();
        let base = 0x0123_4567_89ab_cdefu64;
        // flip bits in three different blocks: no block is shared with the base except one
        let near = base ^ (1 << 3) ^ (1 << 20) ^ (1 << 40);
        let far = base ^ (1 << 3) ^ (1 << 20) ^ (1 << 40) ^ (1 << 60);
        idx.insert(1, &fp(near, 50, "a"));
        idx.insert(2, &fp(far, 50, "b"));
        idx.insert(3, &fp(base, 50, "c"));
        assert_eq!(idx.near(base, 3), vec![(3, 0), (1, 3)]);
        assert_eq!(idx.len(), 3);
    }

    #[test]
    fn short_texts_need_the_same_title() {
        let a = fp(0b1111, 5, "科协召开会议");
        let b = fp(0b1111_0000_1111, 6, "科协召开会议");
        let c = fp(0b1111, 6, "学会召开会议");
        assert!(same_story(&a, &b));
        assert!(!same_story(&a, &c));
        let long_a = fp(0, 60, "x");
        let long_b = fp(0b111, 60, "y");
        let long_c = fp(0b1111, 60, "y");
        assert!(same_story(&long_a, &long_b));
        assert!(!same_story(&long_a, &long_c));
    }

    proptest! {
        #[test]
        fn distance_is_symmetric(a in any::<u64>(), b in any::<u64>()) {
            prop_assert_eq!(hamming(a, b), hamming(b, a));
        }

        #[test]
        fn same_words_same_hash(words in proptest::collection::vec("[a-z]{1,8}", 1..50)) {
            let h1 = simhash(words.iter().map(|w| (w.as_str(), 1.0)));
            let h2 = simhash(words.iter().map(|w| (w.as_str(), 1.0)));
            prop_assert_eq!(hamming(h1, h2), 0);
        }

        #[test]
        fn index_agrees_with_a_linear_scan(hashes in proptest::collection::vec(any::<u64>(), 1..200), q in any::<u64>(), flips in proptest::collection::vec(0u32..64, 0..4)) {
            let mut idx = SimIndex::new();
            let mut all = hashes.clone();
            let mut target = q;
            for f in &flips { target ^= 1 << f; }
            all.push(target);
            for (i, h) in all.iter().enumerate() {
                idx.insert(i as u64, &fp(*h, 50, ""));
            }
            let mut want: Vec<(u64, u32)> = all.iter().enumerate()
                .map(|(i, h)| (i as u64, hamming(*h, q)))
                .filter(|(_, d)| *d <= 3)
                .collect();
            want.sort_by_key(|(id, d)| (*d, *id));
            prop_assert_eq!(idx.near(q, 3), want);
        }
    }
}
