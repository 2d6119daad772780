//! The linear model: per tag, logistic regression over the named features and words.
//!
//! Saved as readable JSON (feature → weight, sorted), so a maintainer can see why a tag fired.
//! [`Model::rules`] is the hand-set model used when no trained model exists: the same features,
//! cue sums and entity counts only, with weights chosen by the team.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use yuqing_model::Tag;

/// One tag's weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TagModel {
    pub bias: f64,
    /// The score at or above which the tag is given (overridable in the configuration).
    pub threshold: f64,
    pub weights: BTreeMap<String, f64>,
}

impl TagModel {
    /// The probability the tag applies, and the features' contributions (largest first).
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

    pub fn score(&self, features: &[(String, f64)]) -> f64 {
        linear(self.bias, |k| self.weights.get(k).copied(), features)
    }
}

/// A tag's weights in a hash map, for scoring many articles.
#[derive(Clone, Debug)]
pub struct Compiled {
    bias: f64,
    weights: std::collections::HashMap<String, f64>,
}

impl Compiled {
    pub fn new(m: &TagModel) -> Compiled {
        Compiled {
            bias: m.bias,
            weights: m.weights.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }

    pub fn score(&self, features: &[(String, f64)]) -> f64 {
        linear(self.bias, |k| self.weights.get(k).copied(), features)
    }
}

/// The logistic of bias + Σ weight × value.
fn linear(bias: f64, weight: impl Fn(&str) -> Option<f64>, features: &[(String, f64)]) -> f64 {
    sigmoid(
        bias + features
            .iter()
            .map(|(k, v)| weight(k).unwrap_or(0.0) * v)
            .sum::<f64>(),
    )
}

pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Weights for every tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub version: u32,
    /// What it was trained on (`rules` for the hand-set model).
    pub trained_on: String,
    pub tags: BTreeMap<String, TagModel>,
}

/// Why a model file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("the model file is not valid JSON: {0}")]
    Json(String),
    #[error("the model file has no weights for {0}: retrain it with `yuqing train`")]
    MissingTag(String),
    #[error(
        "the model file is version {0}; this yuqing reads version {MODEL_VERSION}: retrain it with `yuqing train`"
    )]
    Version(u32),
}

pub const MODEL_VERSION: u32 = 1;

impl Model {
    pub fn tag(&self, tag: Tag) -> &TagModel {
        &self.tags[tag.as_str()]
    }

    pub fn from_json(text: &str) -> Result<Model, ModelError> {
        let m: Model = serde_json::from_str(text).map_err(|e| ModelError::Json(e.to_string()))?;
        if m.version != MODEL_VERSION {
            return Err(ModelError::Version(m.version));
        }
        for tag in Tag::ALL {
            if !m.tags.contains_key(tag.as_str()) {
                return Err(ModelError::MissingTag(tag.as_str().into()));
            }
        }
        Ok(m)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The hand-set model: cue sums, people, numbered cases; no words.
    pub fn rules() -> Model {
        let w = |pairs: &[(&str, f64)]| -> BTreeMap<String, f64> {
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        let mut tags = BTreeMap::new();
        tags.insert(
            Tag::TypicalPerson.as_str().to_string(),
            TagModel {
                bias: -4.0,
                threshold: 0.5,
                weights: w(&[
                    ("cue_title_person", 1.6),
                    ("cue_body_person", 0.9),
                    ("people_title", 0.8),
                    ("person_focus", 1.0),
                    ("name_leads_title", 1.2),
                    ("person_cue_and_name", 1.0),
                    ("pronoun_rate", 0.8),
                    ("cue_title_case", -0.8),
                    ("cue_body_case", -0.5),
                    ("numbered_cases", -1.5),
                ]),
            },
        );
        tags.insert(
            Tag::TypicalEvent.as_str().to_string(),
            TagModel {
                bias: -2.6,
                threshold: 0.5,
                weights: w(&[
                    ("cue_title_event", 2.0),
                    ("cue_body_event", 0.5),
                    ("dated", 0.6),
                    ("places", 0.2),
                    ("cue_title_case", -0.6),
                    ("numbered_cases", -1.0),
                ]),
            },
        );
        tags.insert(
            Tag::TypicalCase.as_str().to_string(),
            TagModel {
                bias: -3.5,
                threshold: 0.5,
                weights: w(&[
                    ("cue_title_case", 2.0),
                    ("cue_body_case", 0.8),
                    ("numbered_cases", 2.0),
                    ("cue_title_person", -0.3),
                ]),
            },
        );
        Model {
            version: MODEL_VERSION,
            trained_on: "rules".into(),
            tags,
        }
    }
}

/// One labelled example: features and which tags apply.
#[derive(Clone, Debug)]
pub struct Example {
    pub features: Vec<(String, f64)>,
    pub labels: [bool; 3],
}

/// Training settings: full-batch gradient descent with L2, words regularised harder.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub epochs: usize,
    pub learning_rate: f64,
    pub l2_features: f64,
    pub l2_words: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 400,
            learning_rate: 0.5,
            l2_features: 0.005,
            l2_words: 0.1,
        }
    }
}

fn is_word(k: &str) -> bool {
    k.starts_with("t:") || k.starts_with("b:")
}

/// Trains every tag as a logistic regression whose weights are pulled toward `prior`'s (the
/// hand-set rules) rather than toward zero; the positives of rare tags are weighted up so that a
/// tag with few examples is still learned.
pub fn train(examples: &[Example], prior: &Model, opts: &TrainOptions, trained_on: &str) -> Model {
    let mut tags = BTreeMap::new();
    // feature name -> index, for dense vectors
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for e in examples {
        for (k, _) in &e.features {
            let n = index.len();
            index.entry(k.as_str()).or_insert(n);
        }
    }
    let names: Vec<&str> = {
        let mut v = vec![""; index.len()];
        for (k, i) in &index {
            v[*i] = k;
        }
        v
    };
    let rows: Vec<Vec<(usize, f64)>> = examples
        .iter()
        .map(|e| {
            e.features
                .iter()
                .map(|(k, v)| (index[k.as_str()], *v))
                .collect()
        })
        .collect();
    for (t, tag) in Tag::ALL.iter().enumerate() {
        let base = prior.tag(*tag);
        // the rules are the prior: weights are pulled toward them, not toward zero
        let w0: Vec<f64> = names
            .iter()
            .map(|k| base.weights.get(*k).copied().unwrap_or(0.0))
            .collect();
        let mut w = w0.clone();
        let mut b = base.bias;
        let pos = examples.iter().filter(|e| e.labels[t]).count().max(1) as f64;
        let neg = (examples.len() as f64 - pos).max(1.0);
        let pos_weight = (neg / pos).sqrt().clamp(1.0, 3.0);
        let n = examples.len().max(1) as f64;
        for _ in 0..opts.epochs {
            let mut gw = vec![0.0; w.len()];
            let mut gb = 0.0;
            for (row, e) in rows.iter().zip(examples) {
                let z = b + row.iter().map(|(i, v)| w[*i] * v).sum::<f64>();
                let y = if e.labels[t] { 1.0 } else { 0.0 };
                let weight = if e.labels[t] { pos_weight } else { 1.0 };
                let err = (sigmoid(z) - y) * weight;
                for (i, v) in row {
                    gw[*i] += err * v;
                }
                gb += err;
            }
            for (i, g) in gw.iter().enumerate() {
                let l2 = if is_word(names[i]) {
                    opts.l2_words
                } else {
                    opts.l2_features
                };
                w[i] -= opts.learning_rate * (g / n + l2 * (w[i] - w0[i]));
            }
            b -= opts.learning_rate * gb / n;
        }
        let weights: BTreeMap<String, f64> = names
            .iter()
            .zip(&w)
            .filter(|(k, v)| !is_word(k) || v.abs() >= 0.01)
            .map(|(k, v)| (k.to_string(), (v * 1e4).round() / 1e4))
            .collect();
        tags.insert(
            tag.as_str().to_string(),
            TagModel {
                bias: (b * 1e4).round() / 1e4,
                threshold: base.threshold,
                weights,
            },
        );
    }
    Model {
        version: MODEL_VERSION,
        trained_on: trained_on.to_string(),
        tags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(words: &[&str], labels: [bool; 3]) -> Example {
        Example {
            features: words.iter().map(|w| (format!("b:{w}"), 1.0)).collect(),
            labels,
        }
    }

    #[test]
    fn training_learns_a_separable_word() {
        let mut data = Vec::new();
        for i in 0..20 {
            data.push(ex(&["典型案例", &format!("x{i}")], [false, false, true]));
            data.push(ex(&["天气", &format!("y{i}")], [false, false, false]));
        }
        let m = train(&data, &Model::rules(), &TrainOptions::default(), "test");
        let case = m.tag(Tag::TypicalCase);
        assert!(case.score(&data[0].features) > 0.7);
        assert!(case.score(&data[1].features) < 0.3);
        assert!(case.weights["b:典型案例"] > 0.0);
        let back = Model::from_json(&m.to_json()).unwrap();
        assert_eq!(back, m);
    }

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
        m.tags.remove("typical_case");
        assert_eq!(
            Model::from_json(&m.to_json()).unwrap_err().to_string(),
            "the model file has no weights for typical_case: retrain it with `yuqing train`"
        );
    }
}
