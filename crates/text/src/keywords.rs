//! Keywords: TF-IDF over jieba's IDF table (domain words absent from it get the median IDF),
//! limited to content parts of speech; and a period's rising terms against a baseline.

use std::collections::HashMap;

use jieba_rs::KeywordExtract;
use serde::Serialize;

use crate::Analyzer;

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
        self.keywords_of_words(&self.tag(text), k)
    }

    /// The `k` most characteristic of words already tagged by [`Analyzer::tag`]: TF-IDF over
    /// jieba's IDF table among the keyword parts of speech, as jieba's own extractor weighs
    /// them (without segmenting the text a second time).
    pub fn keywords_of_words<'w>(
        &self,
        words: impl IntoIterator<Item = &'w crate::Word>,
        k: usize,
    ) -> Vec<Keyword> {
        let config = self.tfidf.config();
        let mut tf: HashMap<&str, u64> = HashMap::new();
        for w in words {
            if KEYWORD_POS.contains(&w.pos.as_str())
                && w.text.chars().count() >= config.min_keyword_length()
                && !config.stop_words().contains(&w.text)
            {
                *tf.entry(w.text.as_str()).or_default() += 1;
            }
        }
        let total = tf.values().sum::<u64>().max(1) as f64;
        let mut scored: Vec<(f64, &str)> = tf
            .into_iter()
            .map(|(w, n)| (n as f64 * self.idf(w) / total, w))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored
            .into_iter()
            .filter(|(_, w)| !self.is_stop_word(w) && !w.chars().all(|c| c.is_ascii_digit()))
            .take(k)
            .map(|(weight, w)| Keyword {
                word: w.to_string(),
                weight,
            })
            .collect()
    }

    /// A word's inverse document frequency in jieba's table (the table's median for a word it
    /// lacks), asked of jieba once per word and remembered.
    fn idf(&self, word: &str) -> f64 {
        if let Some(v) = self.idf.read().ok().and_then(|m| m.get(word).copied()) {
            return v;
        }
        // jieba weighs a one-word text's only keyword by exactly its IDF
        let kws = self
            .tfidf
            .extract_keywords(self.jieba(), word, 2, Vec::new());
        let v = match kws.as_slice() {
            [only] if only.keyword.to_lowercase() == word => only.weight,
            _ => self.median_idf(),
        };
        if let Ok(mut m) = self.idf.write()
            && m.len() < IDF_CACHE_WORDS
        {
            m.insert(word.to_string(), v);
        }
        v
    }

    /// The IDF jieba gives a word missing from its table.
    fn median_idf(&self) -> f64 {
        *self.median_idf.get_or_init(|| {
            // a Latin nonsense word: one token, in no table
            self.tfidf
                .extract_keywords(self.jieba(), "qxzvkjw", 1, Vec::new())
                .first()
                .map_or(0.0, |k| k.weight)
        })
    }
}

/// Words whose IDF is remembered (the vocabulary of years of coverage fits many times over).
const IDF_CACHE_WORDS: usize = 1_000_000;

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
    fn keywords_of_tagged_words_weigh_as_jiebas_extractor_does() {
        let a = analyzer();
        let text = "省科协在省科技馆举办最美科技工作者先进事迹报告会，五位科技工作者讲述扎根基层、潜心钻研的故事。农业科学院研究员李华带领团队培育抗旱小麦新品种，新品种已在全省推广种植。";
        let ours = a.keywords(text, 8);
        let jiebas: Vec<(String, f64)> = a
            .tfidf
            .extract_keywords(
                a.jieba(),
                &crate::normalize(text).text,
                8,
                KEYWORD_POS.iter().map(|s| s.to_string()).collect(),
            )
            .into_iter()
            .filter(|k| !a.is_stop_word(&k.keyword))
            .map(|k| (k.keyword, k.weight))
            .collect();
        assert!(!ours.is_empty());
        assert_eq!(ours.len(), jiebas.len());
        for (o, (w, weight)) in ours.iter().zip(&jiebas) {
            assert_eq!(&o.word, w);
            assert!(
                (o.weight - weight).abs() < 1e-9,
                "{}: {} vs {weight}",
                o.word,
                o.weight
            );
        }
        // a word in no table gets the median, and asking again gives the same
        assert_eq!(a.idf("qxzvkjw"), a.median_idf());
        assert_eq!(a.idf("科技"), a.idf("科技"));
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
