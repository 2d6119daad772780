//! The linear model: per tag, logistic regression over the named features and words, with a
//! calibration and a threshold.
//!
//! Two sets of weights: one for full articles and one fitted on headline-only items (a headline
//! carries different evidence from a text). Saved as readable JSON (feature → weight, sorted), so a
//! maintainer can see why a tag fired. [`Model::rules`] is the hand-set model used when no trained
//! model exists: cue sums and a few structural signals, with weights chosen by the team.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use yuqing_model::Tag;

/// Platt scaling: the probability is `sigmoid(a × margin + b)`, fitted on held-out margins.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub a: f64,
    pub b: f64,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration { a: 1.0, b: 0.0 }
    }
}

impl Calibration {
    pub fn apply(&self, margin: f64) -> f64 {
        sigmoid(self.a * margin + self.b)
    }
}

/// One tag's weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TagModel {
    pub bias: f64,
    /// The calibrated probability at or above which the tag is given (overridable in the
    /// configuration).
    pub threshold: f64,
    #[serde(default)]
    pub calibration: Calibration,
    pub weights: BTreeMap<String, f64>,
}

impl TagModel {
    /// The features that moved the score most (contribution = weight × value), strongest first.
    pub fn explain(&self, features: &[(String, f64)], n: usize) -> Vec<(String, f64)> {
        let mut c: Vec<(String, f64)> = features
            .iter()
            .filter_map(|(k, v)| self.weights.get(k).map(|w| (k.clone(), w * v)))
            .filter(|(_, c)| c.abs() > 1e-6)
            .collect();
        c.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        c.truncate(n);
        c
    }

    /// bias + Σ weight × value.
    pub fn margin(&self, features: &[(String, f64)]) -> f64 {
        self.bias
            + features
                .iter()
                .map(|(k, v)| self.weights.get(k).copied().unwrap_or(0.0) * v)
                .sum::<f64>()
    }

    /// The calibrated probability that the tag applies.
    pub fn score(&self, features: &[(String, f64)]) -> f64 {
        self.calibration.apply(self.margin(features))
    }
}

/// The three tags' weights of one kind in one table, so that a feature is looked up once for
/// all of them.
#[derive(Clone, Debug)]
pub struct CompiledKind {
    bias: [f64; 3],
    calibration: [Calibration; 3],
    weights: HashMap<Box<str>, [f64; 3]>,
}

impl CompiledKind {
    /// The weights of `tags` (in `Tag::ALL` order).
    pub fn new(tags: [&TagModel; 3]) -> CompiledKind {
        let mut weights: HashMap<Box<str>, [f64; 3]> = HashMap::new();
        for (i, m) in tags.iter().enumerate() {
            for (k, v) in &m.weights {
                weights.entry(k.as_str().into()).or_insert([0.0; 3])[i] = *v;
            }
        }
        CompiledKind {
            bias: tags.map(|m| m.bias),
            calibration: tags.map(|m| m.calibration),
            weights,
        }
    }

    /// Each tag's calibrated probability.
    pub fn score(&self, features: &[(String, f64)]) -> [f64; 3] {
        let mut z = self.bias;
        for (k, v) in features {
            if let Some(w) = self.weights.get(k.as_str()) {
                for i in 0..3 {
                    z[i] += w[i] * v;
                }
            }
        }
        [0, 1, 2].map(|i| self.calibration[i].apply(z[i]))
    }
}

pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Which weights score an item: full articles, or headlines alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Full,
    Headline,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Full, Kind::Headline];
}

/// Weights for every tag, for full articles and for headlines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub version: u32,
    /// A short name of this model (date and a hash of its weights), shown beside the tags it gave.
    #[serde(default)]
    pub id: String,
    /// What it was trained on (`rules` for the hand-set model).
    pub trained_on: String,
    /// How the thresholds were chosen.
    #[serde(default)]
    pub thresholds_from: String,
    pub full: BTreeMap<String, TagModel>,
    pub headline: BTreeMap<String, TagModel>,
    /// Its leave-one-source-out figures, when `yuqing train --report` measured them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<Evaluation>,
}

/// How well the training that produced a model did on unseen sources.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub protocol: String,
    pub items: usize,
    /// Pooled F1 per tag, in `Tag::ALL` order.
    pub f1: [f64; 3],
    /// Share of gold-untagged items given any tag.
    pub false_tag_rate: f64,
}

/// Why a model file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("the model file is not valid JSON: {0}")]
    Json(String),
    #[error("the model file has no {1} weights for {0}: retrain it with `yuqing train`")]
    MissingTag(String, &'static str),
    #[error(
        "the model file is version {0}; this yuqing reads version {MODEL_VERSION}: retrain it with `yuqing train`"
    )]
    Version(u32),
}

pub const MODEL_VERSION: u32 = 2;

impl Model {
    pub fn tag(&self, tag: Tag) -> &TagModel {
        &self.full[tag.as_str()]
    }

    pub fn tag_of(&self, kind: Kind, tag: Tag) -> &TagModel {
        match kind {
            Kind::Full => &self.full[tag.as_str()],
            Kind::Headline => &self.headline[tag.as_str()],
        }
    }

    pub fn tag_of_mut(&mut self, kind: Kind, tag: Tag) -> &mut TagModel {
        let map = match kind {
            Kind::Full => &mut self.full,
            Kind::Headline => &mut self.headline,
        };
        map.get_mut(tag.as_str()).expect("every tag has weights")
    }

    pub fn from_json(text: &str) -> Result<Model, ModelError> {
        #[derive(Deserialize)]
        struct Head {
            version: u32,
        }
        let head: Head = serde_json::from_str(text).map_err(|e| ModelError::Json(e.to_string()))?;
        if head.version != MODEL_VERSION {
            return Err(ModelError::Version(head.version));
        }
        let m: Model = serde_json::from_str(text).map_err(|e| ModelError::Json(e.to_string()))?;
        for tag in Tag::ALL {
            if !m.full.contains_key(tag.as_str()) {
                return Err(ModelError::MissingTag(tag.as_str().into(), "full-text"));
            }
            if !m.headline.contains_key(tag.as_str()) {
                return Err(ModelError::MissingTag(tag.as_str().into(), "headline"));
            }
        }
        Ok(m)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The name shown for a model: its id, or what it was trained on.
    pub fn name(&self) -> &str {
        if self.id.is_empty() {
            &self.trained_on
        } else {
            &self.id
        }
    }

    /// A stable id from the weights: `prefix-<16 hex digits>`.
    pub fn stamp(&mut self, prefix: &str) {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let json = serde_json::to_string(&(&self.full, &self.headline)).unwrap_or_default();
        for b in json.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.id = format!("{prefix}-{h:016x}");
    }

    /// The hand-set model: cue sums and a few structural signals; no words.
    pub fn rules() -> Model {
        let w = |pairs: &[(&str, f64)]| -> BTreeMap<String, f64> {
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        let tm = |bias: f64, pairs: &[(&str, f64)]| TagModel {
            bias,
            threshold: 0.5,
            calibration: Calibration::default(),
            weights: w(pairs),
        };
        let person = tm(
            -4.0,
            &[
                ("cue_title_person", 1.6),
                ("cue_body_person", 0.9),
                ("title_names", 0.8),
                ("name_leads_title", 1.2),
                ("person_title", 1.0),
                ("person_story", 1.2),
                ("person_story_titled", 1.0),
                ("pronoun_rate", 0.8),
                ("cue_title_case", -0.8),
                ("cue_body_case", -0.5),
                ("numbered_cases", -1.5),
                ("diplomacy_title", -1.5),
            ],
        );
        let event = tm(
            -2.6,
            &[
                ("cue_title_event", 2.0),
                ("cue_body_event", 0.5),
                ("happening", 0.8),
                ("happening_title", 0.5),
                ("planned", -1.5),
                ("routine_meeting", -1.0),
                ("diplomacy_title", -1.0),
                ("cue_title_case", -0.6),
                ("numbered_cases", -1.0),
            ],
        );
        let case = tm(
            -3.5,
            &[
                ("cue_title_case", 2.0),
                ("cue_body_case", 0.8),
                ("numbered_cases", 2.0),
                ("cases_in_detail", 0.8),
                ("practice", 0.6),
                ("tongbao_only", -0.8),
                ("cue_title_person", -0.3),
            ],
        );
        let mut full = BTreeMap::new();
        full.insert(Tag::TypicalPerson.as_str().to_string(), person);
        full.insert(Tag::TypicalEvent.as_str().to_string(), event);
        full.insert(Tag::TypicalCase.as_str().to_string(), case);
        // a headline has no text to add its cues: its own cues count for more
        let mut headline = full.clone();
        for tm in headline.values_mut() {
            for (k, w) in tm.weights.iter_mut() {
                if k.starts_with("cue_title_") {
                    *w = (*w * 1.5 * 1e4).round() / 1e4;
                }
            }
        }
        Model {
            version: MODEL_VERSION,
            id: "rules".into(),
            trained_on: "rules".into(),
            thresholds_from: "hand-set".into(),
            headline,
            full,
            evaluation: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_model_files_explain_themselves() {
        assert!(matches!(Model::from_json("{"), Err(ModelError::Json(_))));
        let mut m = Model::rules();
        m.version = 99;
        assert!(matches!(
            Model::from_json(&m.to_json()),
            Err(ModelError::Version(99))
        ));
        let mut m = Model::rules();
        m.full.remove("typical_case");
        assert_eq!(
            Model::from_json(&m.to_json()).unwrap_err().to_string(),
            "the model file has no full-text weights for typical_case: retrain it with `yuqing train`"
        );
        let m = Model::rules();
        assert_eq!(Model::from_json(&m.to_json()).unwrap(), m);
    }

    #[test]
    fn calibration_maps_margins_to_probabilities() {
        let c = Calibration { a: 2.0, b: -1.0 };
        assert!((c.apply(0.5) - 0.5).abs() < 1e-12);
        assert!(c.apply(3.0) > 0.99);
    }

    #[test]
    fn the_stamp_depends_on_the_weights() {
        let mut a = Model::rules();
        let mut b = Model::rules();
        a.stamp("t");
        b.tag_of_mut(Kind::Full, Tag::TypicalCase).bias += 0.1;
        b.stamp("t");
        assert_ne!(a.id, b.id);
        assert!(a.id.starts_with("t-"));
    }
}
