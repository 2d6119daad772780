//! The typical tags — typical person, typical event, typical case (典型人、典型事、典型案例) —
//! with scores in [0, 1] and the evidence an analyst can check, plus topic rules.
//!
//! A hybrid a maintainer can reason about: weighted cue lexicons (`dictionaries/cues/`, headline
//! hits counting double), structural features (named people, numbered cases, dates), and a
//! linear model over those features and the words, saved as readable JSON. Without a trained
//! model the hand-set rules model is used. Pure: lexicons and the model come in as text.

pub mod cues;
pub mod eval;
mod features;
pub mod model;
mod signals;
mod topics;
pub mod train;

use serde::Serialize;
use yuqing_model::{Tag, Topic};
use yuqing_text::Analyzer;

pub use cues::{CueError, CueHit, CueLexicon};
pub use features::{Analysis, HEADLINE_ONLY_CHARS, is_name};
pub use model::{Calibration, Kind, Model, ModelError, TagModel};
pub use topics::TopicMatcher;
pub use train::{Example, TrainOptions, train};

/// The cue lexicon files' contents, in `Tag::ALL` order.
#[derive(Clone, Debug)]
pub struct Lexicons {
    pub person: String,
    pub event: String,
    pub case: String,
}

impl Lexicons {
    /// File names under `dictionaries/`.
    pub const FILES: [&'static str; 3] = [
        "cues/typical_person.txt",
        "cues/typical_event.txt",
        "cues/typical_case.txt",
    ];

    /// The lexicons shipped in the repository, built in.
    pub fn builtin() -> Lexicons {
        Lexicons {
            person: include_str!("../../../dictionaries/cues/typical_person.txt").into(),
            event: include_str!("../../../dictionaries/cues/typical_event.txt").into(),
            case: include_str!("../../../dictionaries/cues/typical_case.txt").into(),
        }
    }
}

/// The model shipped in the repository (trained on the team's gold file), built in.
pub const BUILTIN_MODEL: &str = include_str!("../../../dictionaries/typical.model.json");

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClassifyError {
    #[error("{file}: {source}")]
    Cues {
        file: &'static str,
        source: CueError,
    },
    #[error("{0}")]
    Model(#[from] ModelError),
}

/// A cue that fired, with where.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CuePosition {
    pub cue: String,
    /// `title` or `body`.
    pub field: &'static str,
    /// Byte offsets in that field.
    pub start: usize,
    pub end: usize,
}

/// What supports a tag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    /// The cue phrases that fired (distinct, strongest first).
    pub cues: Vec<String>,
    pub cue_positions: Vec<CuePosition>,
    pub people: Vec<String>,
    pub orgs: Vec<String>,
    pub places: Vec<String>,
    /// The sentence that best supports the tag.
    pub sentence: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TagResult {
    pub tag: Tag,
    pub score: f64,
    pub evidence: Evidence,
}

/// The result for one article.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classification {
    /// Tags whose score passed the threshold.
    pub tags: Vec<TagResult>,
    /// Every tag's score, in `Tag::ALL` order.
    #[serde(skip)]
    pub scores: [f64; 3],
    pub topics: Vec<String>,
    pub keywords: Vec<String>,
    /// The tag whose score lies closest to its threshold, when it lies within [`REVIEW_BAND`]
    /// of it: what an analyst should confirm or reject (待复核).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
}

/// Scores within this distance of a tag's threshold (either side) are put up for review.
pub const REVIEW_BAND: f64 = 0.15;

/// A score near a threshold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Review {
    pub tag: Tag,
    pub score: f64,
    pub threshold: f64,
    pub evidence: Evidence,
}

/// Keywords are taken from the headline and this many characters of the text.
pub const KEYWORD_LEAD_CHARS: usize = 800;

/// Loaded lexicons, model and topics.
#[derive(Clone, Debug)]
pub struct Classifier {
    analyzer: Analyzer,
    lexicons: [CueLexicon; 3],
    model: Model,
    /// Thresholds for full texts and for headlines, in `Tag::ALL` order.
    thresholds: [[f64; 3]; 2],
    topics: TopicMatcher,
    /// The model's weights in hash maps, for scoring: full texts, then headlines.
    compiled: [model::CompiledKind; 2],
}

fn parse_lexicons(lex: &Lexicons) -> Result<[CueLexicon; 3], ClassifyError> {
    let parse = |text: &str, file: &'static str| {
        CueLexicon::parse(text).map_err(|source| ClassifyError::Cues { file, source })
    };
    Ok([
        parse(&lex.person, Lexicons::FILES[0])?,
        parse(&lex.event, Lexicons::FILES[1])?,
        parse(&lex.case, Lexicons::FILES[2])?,
    ])
}

/// Sentences of a text with their byte ranges.
fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '。' | '！' | '？' | '!' | '?' | '\n' | '；') {
            let end = i + c.len_utf8();
            if text[start..end].trim().chars().count() > 1 {
                out.push((start, end));
            }
            start = end;
        }
    }
    if text[start..].trim().chars().count() > 1 {
        out.push((start, text.len()));
    }
    out
}

impl Classifier {
    pub fn new(
        analyzer: Analyzer,
        lexicons: &Lexicons,
        model: Model,
        topics: Vec<Topic>,
    ) -> Result<Classifier, ClassifyError> {
        let thresholds = Kind::ALL.map(|k| Tag::ALL.map(|t| model.tag_of(k, t).threshold));
        let compiled =
            Kind::ALL.map(|k| model::CompiledKind::new(Tag::ALL.map(|t| model.tag_of(k, t))));
        Ok(Classifier {
            compiled,
            analyzer,
            lexicons: parse_lexicons(lexicons)?,
            model,
            thresholds,
            topics: TopicMatcher::new(topics),
        })
    }

    /// The built-in lexicons and model, no topics.
    pub fn builtin(analyzer: Analyzer) -> Result<Classifier, ClassifyError> {
        Classifier::new(
            analyzer,
            &Lexicons::builtin(),
            Model::from_json(BUILTIN_MODEL)?,
            Vec::new(),
        )
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    pub fn topics(&self) -> &TopicMatcher {
        &self.topics
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Overrides the full-text thresholds (from the configuration), in `Tag::ALL` order.
    pub fn set_thresholds(&mut self, thresholds: [f64; 3]) {
        self.thresholds[0] = thresholds;
    }

    /// The thresholds for full texts, in `Tag::ALL` order.
    pub fn thresholds(&self) -> [f64; 3] {
        self.thresholds[0]
    }

    /// The thresholds that apply to an item of this kind.
    pub fn thresholds_of(&self, kind: Kind) -> [f64; 3] {
        self.thresholds[kind_index(kind)]
    }

    /// The analysis the model reads (exposed for training).
    pub fn analyze(&self, title: &str, body: &str) -> Analysis {
        Analysis::new(&self.analyzer, &self.lexicons, title, body)
    }

    /// The features the model reads (exposed for training).
    pub fn features(&self, title: &str, body: &str) -> Vec<(String, f64)> {
        self.analyze(title, body).features(&self.analyzer)
    }

    /// Scores every tag; `keywords` asks for that many keywords too.
    pub fn classify(&self, title: &str, body: &str, keywords: usize) -> Classification {
        let analysis = self.analyze(title, body);
        self.classify_analysis(&analysis, title, body, keywords, None)
    }

    /// Like [`Classifier::classify`], on an analysis already made (the pipeline reuses its words
    /// for the story fingerprint).
    /// `search_tokens`, when given, are the search tokens of title and text (the pipeline makes
    /// them once for topics and the index).
    pub fn classify_analysis(
        &self,
        analysis: &Analysis,
        title: &str,
        body: &str,
        keywords: usize,
        search_tokens: Option<&std::collections::HashSet<&str>>,
    ) -> Classification {
        let features = analysis.features(&self.analyzer);
        let k = kind_index(analysis.kind());
        let scores = self.compiled[k].score(&features);
        let mut tags = Vec::new();
        for (i, tag) in Tag::ALL.iter().enumerate() {
            if scores[i] >= self.thresholds[k][i] {
                tags.push(TagResult {
                    tag: *tag,
                    score: (scores[i] * 1000.0).round() / 1000.0,
                    evidence: self.evidence(i, analysis, title, body),
                });
            }
        }
        let review = (0..3)
            .map(|i| (i, (scores[i] - self.thresholds[k][i]).abs()))
            .filter(|(_, d)| *d <= REVIEW_BAND)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| Review {
                tag: Tag::ALL[i],
                score: (scores[i] * 1000.0).round() / 1000.0,
                threshold: (self.thresholds[k][i] * 1000.0).round() / 1000.0,
                // a passing tag's evidence is already made: not made twice
                evidence: tags.iter().find(|t| t.tag == Tag::ALL[i]).map_or_else(
                    || self.evidence(i, analysis, title, body),
                    |t| t.evidence.clone(),
                ),
            });
        let keywords = if keywords == 0 {
            Vec::new()
        } else {
            // the headline and the lead carry a news text's keywords
            let lead_end = body
                .char_indices()
                .nth(KEYWORD_LEAD_CHARS)
                .map_or(body.len(), |(i, _)| i);
            let lead = analysis.body_words.iter().filter(|w| w.end <= lead_end);
            self.analyzer
                .keywords_of_words(analysis.title_words.iter().chain(lead), keywords)
                .into_iter()
                .map(|k| k.word)
                .collect()
        };
        Classification {
            tags,
            scores,
            topics: match search_tokens {
                Some(t) => self.topics.matches_tokens(&self.analyzer, t, title, body),
                None => self.topics.matches(&self.analyzer, title, body),
            },
            keywords,
            review,
        }
    }

    fn evidence(&self, i: usize, a: &Analysis, title: &str, body: &str) -> Evidence {
        let (title_hits, body_hits) = &a.hits[i];
        let mut positions = Vec::new();
        let mut cues: Vec<(String, f64)> = Vec::new();
        for (field, hits) in [("title", title_hits), ("body", body_hits)] {
            for h in hits.iter().filter(|h| h.weight > 0.0) {
                positions.push(CuePosition {
                    cue: h.cue.to_string(),
                    field,
                    start: h.start,
                    end: h.end,
                });
                if !cues.iter().any(|(c, _)| **c == *h.cue) {
                    cues.push((h.cue.to_string(), h.weight));
                }
            }
        }
        cues.sort_by(|x, y| y.1.total_cmp(&x.1));
        let distinct = |pred: &dyn Fn(&yuqing_text::Word) -> bool| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for w in a
                .title_words
                .iter()
                .chain(&a.body_words)
                .filter(|w| pred(w))
            {
                if !out.contains(&w.text) {
                    out.push(w.text.clone());
                }
            }
            out
        };
        let mut people: Vec<String> = Vec::new();
        for n in a.title_names.iter().chain(&a.body_names) {
            if !people.contains(&n.text) {
                people.push(n.text.clone());
            }
        }
        // the sentence with the most cue weight (and, for people, names) supports the tag
        let mut best = (f64::MIN, title.trim().to_string());
        for (s, e) in sentences(body) {
            let mut score: f64 = body_hits
                .iter()
                .filter(|h| h.start >= s && h.end <= e && h.weight > 0.0)
                .map(|h| h.weight)
                .sum();
            if i == 0 {
                score += people
                    .iter()
                    .filter(|p| body[s..e].contains(p.as_str()))
                    .count() as f64
                    * 0.5;
            }
            if score > best.0 && score > 0.0 {
                best = (score, body[s..e].trim().to_string());
            }
        }
        Evidence {
            cues: cues.into_iter().map(|(c, _)| c).collect(),
            cue_positions: positions,
            people,
            orgs: distinct(&|w| w.is_org()),
            places: distinct(&|w| w.is_place()),
            sentence: best.1,
        }
    }
}

fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Full => 0,
        Kind::Headline => 1,
    }
}

#[cfg(test)]
mod tests;
