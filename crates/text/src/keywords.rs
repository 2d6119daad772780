//! Keywords: TF-IDF over jieba's IDF table (domain words absent from it get the median IDF),
//! limited to content parts of speech; and a period's rising terms against a baseline.

use std::collections::HashMap;

use jieba_rs::KeywordExtract;
use serde::Serialize;

use crate::{Analyzer, normalize};

/// Parts of speech a keyword may have: nouns of all kinds, verbal nouns, idioms, Latin words.
const KEYWORD_POS: [&str; 9] = ["n", "nr", "ns", "nt", "nz", "vn", "l", "eng", "v"];

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Keyword {
    pub word: String,
    pub weight: f64,
}

impl Analyzer {
    /// The `k` most characteristic words of `text`.
    pub fn keywords(&self, text: &str, k: usize) -> Vec<Keyword> {
        let n = normalize(text);
        self.tfidf
            .extract_keywords(
                self.jieba(),
                &n.text,
                k,
                KEYWORD_POS.iter().map(|s| s.to_string()).collect(),
            )
            .into_iter()
            .filter(|kw| {
                !self.is_stop_word(&kw.keyword) && !kw.keyword.chars().all(|c| c.is_ascii_digit())
            })
            .map(|kw| Keyword {
                word: kw.keyword.to_lowercase(),
                weight: kw.weight,
            })
            .collect()
    }
}

/// A term more frequent in the current period than in the baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rising {
    pub term: String,
    pub count: u64,
    /// Average count per baseline period.
    pub baseline: f64,
    /// (count + 1) / (baseline + 1).
    pub ratio: f64,
}

/// Terms whose count this period (at least `min_count`) rose most against the average of the
/// baseline periods; add-one smoothing keeps new terms from dividing by zero.
pub fn rising_terms(
    current: &HashMap<String, u64>,
    baseline: &[HashMap<String, u64>],
    min_count: u64,
    limit: usize,
) -> Vec<Rising> {
    let periods = baseline.len().max(1) as f64;
    let mut out: Vec<Rising> = current
        .iter()
        .filter(|(_, c)| **c >= min_count)
        .map(|(term, count)| {
            let base = baseline
                .iter()
                .map(|b| *b.get(term).unwrap_or(&0) as f64)
                .sum::<f64>()
                / periods;
            Rising {
                term: term.clone(),
                count: *count,
                baseline: base,
                ratio: (*count as f64 + 1.0) / (base + 1.0),
            }
        })
        .filter(|r| r.ratio > 1.0)
        .collect();
    out.sort_by(|a, b| {
        b.ratio
            .total_cmp(&a.ratio)
            .then(b.count.cmp(&a.count))
            .then(a.term.cmp(&b.term))
    });
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::analyzer;

    #[test]
    fn keywords_are_content_words() {
        let text = "全国科普日活动在北京启动。科普日期间，各级科协组织开展科普讲座、科普展览等活动，科技工作者走进社区和学校。";
        let kws = analyzer().keywords(text, 5);
        let words: Vec<&str> = kws.iter().map(|k| k.word.as_str()).collect();
        assert!(words.iter().any(|w| w.contains("科普")), "{words:?}");
        assert!(
            !words.iter().any(|w| *w == "开展" || *w == "的"),
            "{words:?}"
        );
        assert!(kws.windows(2).all(|w| w[0].weight >= w[1].weight));
    }

    #[test]
    fn rising_terms_against_the_baseline() {
        let cur: HashMap<String, u64> = [
            ("科普".to_string(), 30),
            ("会议".to_string(), 10),
            ("新词".to_string(), 6),
        ]
        .into();
        let base: Vec<HashMap<String, u64>> = vec![
            [("科普".to_string(), 5), ("会议".to_string(), 10)].into(),
            [("科普".to_string(), 7), ("会议".to_string(), 12)].into(),
        ];
        let r = rising_terms(&cur, &base, 5, 10);
        let terms: Vec<&str> = r.iter().map(|x| x.term.as_str()).collect();
        assert_eq!(terms, vec!["新词", "科普"]);
        assert_eq!(r[1].baseline, 6.0);
    }
}
