//! Features of an article for the typical-tags model: cue sums per tag (headline and text),
//! named people, organisations and places, structural signals, and the words themselves.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use yuqing_model::Tag;
use yuqing_text::{Analyzer, Word};

use crate::cues::{CueHit, CueLexicon};

/// What the classifier learns from one article, computed once.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub title_words: Vec<Word>,
    pub body_words: Vec<Word>,
    /// Per tag (in `Tag::ALL` order): cue hits in the headline and in the text.
    pub hits: [(Vec<CueHit>, Vec<CueHit>); 3],
    pub body_chars: usize,
    pub numbered_cases: bool,
    pub dated: bool,
}

static NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9一二三四五六七八九十两]+(?:起|例|批)[^。；]{0,12}(?:典型|案例|问题)|[0-9一二三四五六七八九十两]+个典型").expect("valid regex")
});
static DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9一二三四五六七八九十]{1,3}月[0-9一二三四五六七八九十]{1,3}日")
        .expect("valid regex")
});

/// A plausible Chinese personal name: 2 to 4 Han characters tagged as a person.
pub fn is_name(w: &Word) -> bool {
    w.is_person()
        && (2..=4).contains(&w.text.chars().count())
        && w.text
            .chars()
            .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || c == '·')
}

impl Analysis {
    pub fn new(
        analyzer: &Analyzer,
        lexicons: &[CueLexicon; 3],
        title: &str,
        body: &str,
    ) -> Analysis {
        let hits = [0, 1, 2].map(|i| (lexicons[i].find(title), lexicons[i].find(body)));
        let head: String = body.chars().take(300).collect();
        Analysis {
            title_words: analyzer.tag(title),
            body_words: analyzer.tag(body),
            hits,
            body_chars: body.chars().count(),
            numbered_cases: NUMBERED.is_match(title) || NUMBERED.is_match(body),
            dated: DAY.is_match(&head) || DAY.is_match(title),
        }
    }

    /// Distinct people named in the headline and the text.
    pub fn people(&self) -> (Vec<String>, Vec<String>) {
        let names = |ws: &[Word]| -> Vec<String> {
            let mut seen = Vec::new();
            for w in ws.iter().filter(|w| is_name(w)) {
                if !seen.contains(&w.text) {
                    seen.push(w.text.clone());
                }
            }
            seen
        };
        (names(&self.title_words), names(&self.body_words))
    }

    /// The model's input: named dense features and `t:`/`b:` word features.
    pub fn features(&self, analyzer: &Analyzer) -> Vec<(String, f64)> {
        let mut f: Vec<(String, f64)> = Vec::new();
        for (i, tag) in Tag::ALL.iter().enumerate() {
            let short = short(*tag);
            let (title_hits, body_hits) = &self.hits[i];
            let mut seen = HashSet::new();
            let title_sum: f64 = title_hits
                .iter()
                .filter(|h| seen.insert(h.cue.as_str()))
                .map(|h| h.weight)
                .sum();
            // a headline-only item is its own text
            let body_hits = if self.body_chars == 0 {
                title_hits
            } else {
                body_hits
            };
            let mut counts: HashMap<&str, usize> = HashMap::new();
            let body_sum: f64 = body_hits
                .iter()
                .filter(|h| {
                    let c = counts.entry(h.cue.as_str()).or_default();
                    *c += 1;
                    *c <= 3
                })
                .map(|h| h.weight)
                .sum();
            f.push((
                format!("cue_title_{short}"),
                (title_sum / 3.0).clamp(-3.0, 3.0),
            ));
            f.push((
                format!("cue_body_{short}"),
                body_sum.signum() * body_sum.abs().ln_1p(),
            ));
        }
        let (people_title, people_body) = self.people();
        f.push(("people_title".into(), people_title.len().min(2) as f64));
        f.push(("people_body".into(), (people_body.len() as f64).ln_1p()));
        let mut name_counts: HashMap<&str, usize> = HashMap::new();
        for w in self.body_words.iter().filter(|w| is_name(w)) {
            *name_counts.entry(w.text.as_str()).or_default() += 1;
        }
        let focus = name_counts.values().copied().max().unwrap_or(0);
        f.push(("person_focus".into(), if focus >= 3 { 1.0 } else { 0.0 }));
        // headlines about a person: a name leading the headline, or before a colon
        let lead = self.title_words.iter().take(4).any(is_name)
            || self
                .title_words
                .windows(2)
                .any(|w| is_name(&w[0]) && matches!(w[1].text.as_str(), ":" | "：" | "，" | ","));
        f.push(("name_leads_title".into(), f64::from(u8::from(lead))));
        f.push((
            "person_cue_and_name".into(),
            f64::from(u8::from(
                !people_title.is_empty() && self.hits[0].0.iter().any(|h| h.weight > 0.0),
            )),
        ));
        let pronouns = self
            .body_words
            .iter()
            .filter(|w| w.text == "他" || w.text == "她")
            .count();
        let per_100 = pronouns as f64 / (self.body_chars.max(1) as f64 / 100.0);
        f.push(("pronoun_rate".into(), (per_100 / 2.0).min(1.5)));
        let distinct = |pred: fn(&Word) -> bool| -> f64 {
            let set: HashSet<&str> = self
                .title_words
                .iter()
                .chain(&self.body_words)
                .filter(|w| pred(w))
                .map(|w| w.text.as_str())
                .collect();
            (set.len() as f64).ln_1p()
        };
        f.push(("orgs".into(), distinct(Word::is_org)));
        f.push(("places".into(), distinct(Word::is_place)));
        f.push((
            "numbered_cases".into(),
            f64::from(u8::from(self.numbered_cases)),
        ));
        f.push(("dated".into(), f64::from(u8::from(self.dated))));
        f.push((
            "headline_only".into(),
            f64::from(u8::from(self.body_chars == 0)),
        ));
        f.push(("body_len".into(), (self.body_chars as f64).ln_1p() / 8.0));
        let mut words = HashSet::new();
        for (prefix, ws) in [("t:", &self.title_words), ("b:", &self.body_words)] {
            for w in ws.iter() {
                if w.text.chars().count() >= 2
                    && !yuqing_text::is_noise(&w.text)
                    && !analyzer.is_stop_word(&w.text)
                    && !w
                        .text
                        .chars()
                        .any(|c| c.is_ascii_digit() || c == '%' || c == '.')
                {
                    words.insert(format!("{prefix}{}", w.text));
                }
            }
        }
        let mut words: Vec<String> = words.into_iter().collect();
        words.sort();
        f.extend(words.into_iter().map(|w| (w, 1.0)));
        f
    }
}

/// The short name of a tag used in feature names.
pub fn short(tag: Tag) -> &'static str {
    match tag {
        Tag::TypicalPerson => "person",
        Tag::TypicalEvent => "event",
        Tag::TypicalCase => "case",
    }
}
