//! Scoring tags against gold labels: per-tag precision, recall, F1, confusion counts, and how
//! often a tag fires on items whose gold label is empty.

use serde::Serialize;
use yuqing_model::Tag;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TagScore {
    pub tag: String,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Share of gold-empty items on which this tag fired.
    pub fires_on_empty: f64,
    /// Ids of the items it got wrong.
    pub wrong: Vec<String>,
}

/// Scores predictions (`id`, predicted, gold) for each tag.
pub fn score(items: &[(String, [bool; 3], [bool; 3])]) -> Vec<TagScore> {
    let empty = items
        .iter()
        .filter(|(_, _, g)| !g.iter().any(|x| *x))
        .count()
        .max(1) as f64;
    Tag::ALL
        .iter()
        .enumerate()
        .map(|(i, tag)| {
            let mut s = TagScore {
                tag: tag.as_str().to_string(),
                ..Default::default()
            };
            let mut fired_on_empty = 0;
            for (id, p, g) in items {
                match (p[i], g[i]) {
                    (true, true) => s.tp += 1,
                    (true, false) => {
                        s.fp += 1;
                        s.wrong.push(id.clone());
                    }
                    (false, true) => {
                        s.fn_ += 1;
                        s.wrong.push(id.clone());
                    }
                    (false, false) => s.tn += 1,
                }
                if p[i] && !g.iter().any(|x| *x) {
                    fired_on_empty += 1;
                }
            }
            s.precision = s.tp as f64 / (s.tp + s.fp).max(1) as f64;
            s.recall = s.tp as f64 / (s.tp + s.fn_).max(1) as f64;
            s.f1 = if s.precision + s.recall == 0.0 {
                0.0
            } else {
                2.0 * s.precision * s.recall / (s.precision + s.recall)
            };
            s.fires_on_empty = fired_on_empty as f64 / empty;
            s
        })
        .collect()
}

/// Deterministic fold assignment: item `i` of `n` goes to fold `i % k` after a fixed shuffle,
/// so that cross-validation results can be reproduced.
pub fn folds(n: usize, k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    // xorshift with a fixed seed
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let j = (state % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let mut fold = vec![0; n];
    for (pos, item) in order.into_iter().enumerate() {
        fold[item] = pos % k.max(1);
    }
    fold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_scores() {
        let t = [true, false, false];
        let f = [false, false, false];
        let items = vec![
            ("a".to_string(), t, t),
            ("b".to_string(), t, f),
            ("c".to_string(), f, t),
            ("d".to_string(), f, f),
        ];
        let s = &score(&items)[0];
        assert_eq!((s.tp, s.fp, s.fn_, s.tn), (1, 1, 1, 1));
        assert_eq!(s.f1, 0.5);
        assert_eq!(s.fires_on_empty, 0.5);
        assert_eq!(s.wrong, vec!["b", "c"]);
    }

    #[test]
    fn folds_are_balanced_and_stable() {
        let f = folds(281, 5);
        assert_eq!(f, folds(281, 5));
        for k in 0..5 {
            let n = f.iter().filter(|x| **x == k).count();
            assert!((56..=57).contains(&n));
        }
    }
}
