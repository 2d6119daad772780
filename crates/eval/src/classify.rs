//! Scoring the typical-tags model against gold: the shipped model as is, k-fold
//! cross-validation, and leave-one-source-out — every source (publication) in turn scored by a
//! model trained, calibrated and thresholded without it — with per-source and pooled figures,
//! the learning curve and the floors.

use serde::Serialize;
use yuqing_classify::eval::{TagScore, score as tag_scores};
use yuqing_classify::{Classifier, Example, Model, TrainOptions, train};
use yuqing_model::Tag;

use crate::gold::GoldItem;

/// Gold items with the model's input computed once.
#[derive(Debug)]
pub struct Prepared {
    pub items: Vec<GoldItem>,
    pub examples: Vec<Example>,
    /// Source names, indexed by `Example::group`.
    pub sources: Vec<String>,
}

/// Segments and measures every item (on all cores).
pub fn prepare(classifier: &Classifier, items: Vec<GoldItem>) -> Prepared {
    let mut sources: Vec<String> = items.iter().map(|i| i.source.clone()).collect();
    sources.sort();
    sources.dedup();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = items.len().div_ceil(threads).max(1);
    let mut examples: Vec<Example> = Vec::with_capacity(items.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let sources = &sources;
                s.spawn(move || {
                    part.iter()
                        .map(|it| {
                            let a = classifier.analyze(&it.title, &it.text);
                            Example {
                                features: a.features(classifier.analyzer()),
                                labels: it.labels,
                                kind: a.kind(),
                                group: sources.binary_search(&it.source).unwrap_or(0),
                                known: [true; 3],
                                weight: if it.borderline {
                                    BORDERLINE_WEIGHT
                                } else {
                                    1.0
                                },
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            examples.extend(h.join().expect("feature threads do not panic"));
        }
    });
    Prepared {
        items,
        examples,
        sources,
    }
}

/// What a model said about each item.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub predicted: Vec<[bool; 3]>,
    pub probs: Vec<[f64; 3]>,
}

impl Outcome {
    /// No tags on any item (a starting value).
    pub fn default_for(prepared: &Prepared) -> Outcome {
        Outcome {
            predicted: vec![[false; 3]; prepared.examples.len()],
            probs: vec![[0.0; 3]; prepared.examples.len()],
        }
    }
}

/// The tags a model gives: its calibrated probability at or above the threshold of the item's
/// kind (full text or headline). The same rule as `Classifier::classify`.
pub fn predict(model: &Model, ex: &Example) -> ([bool; 3], [f64; 3]) {
    let mut p = [0.0; 3];
    let mut t = [false; 3];
    for (i, tag) in Tag::ALL.iter().enumerate() {
        let tm = model.tag_of(ex.kind, *tag);
        p[i] = tm.score(&ex.features);
        t[i] = p[i] >= tm.threshold;
    }
    (t, p)
}

/// Scores a given model (the shipped one, or the rules) on every item.
pub fn apply(model: &Model, prepared: &Prepared) -> Outcome {
    let mut out = Outcome::default();
    for ex in &prepared.examples {
        let (t, p) = predict(model, ex);
        out.predicted.push(t);
        out.probs.push(p);
    }
    out
}

/// A deterministic subsample key in [0, 1) from an item id.
fn sample_key(id: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // FNV leaves the high bits poorly mixed for short ids: finish with a splitmix64 round
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// How much a borderline gold item counts in training beside a clear one.
pub const BORDERLINE_WEIGHT: f64 = 0.5;

/// One held-out prediction: the item's index, its tags and its probabilities.
type Prediction = (usize, [bool; 3], [f64; 3]);

/// Trains on the items whose fold is not `f` (a `fraction` of them, chosen by id), predicts fold `f`.
fn run_folds(
    prepared: &Prepared,
    fold_of: &[usize],
    k: usize,
    prior: &Model,
    opts: &TrainOptions,
    fraction: f64,
) -> Outcome {
    let n = prepared.examples.len();
    let mut out = Outcome {
        predicted: vec![[false; 3]; n],
        probs: vec![[0.0; 3]; n],
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, k.max(1));
    let results: Vec<Vec<Prediction>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                s.spawn(move || {
                    let mut got = Vec::new();
                    for f in (w..k).step_by(threads) {
                        let train_set: Vec<Example> = prepared
                            .examples
                            .iter()
                            .zip(&prepared.items)
                            .zip(fold_of)
                            .filter(|((_, it), g)| **g != f && sample_key(&it.id) < fraction)
                            .map(|((e, _), _)| e.clone())
                            .collect();
                        if train_set.is_empty() {
                            continue;
                        }
                        let m = train(&train_set, prior, opts, "held-out fold");
                        for (i, ex) in prepared.examples.iter().enumerate() {
                            if fold_of[i] == f {
                                let (t, p) = predict(&m, ex);
                                got.push((i, t, p));
                            }
                        }
                    }
                    got
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("training threads do not panic"))
            .collect()
    });
    for (i, t, p) in results.into_iter().flatten() {
        out.predicted[i] = t;
        out.probs[i] = p;
    }
    out
}

/// Leave-one-source-out: each source scored by a model trained (and calibrated and
/// thresholded, by its own held-out folds) on the other sources, on `fraction` of their items.
pub fn by_source(
    prepared: &Prepared,
    prior: &Model,
    opts: &TrainOptions,
    fraction: f64,
) -> Outcome {
    let fold_of: Vec<usize> = prepared.examples.iter().map(|e| e.group).collect();
    run_folds(
        prepared,
        &fold_of,
        prepared.sources.len(),
        prior,
        opts,
        fraction,
    )
}

/// K-fold cross-validation over a fixed shuffle (sources mixed).
pub fn k_fold(prepared: &Prepared, k: usize, prior: &Model, opts: &TrainOptions) -> Outcome {
    let fold_of = yuqing_classify::eval::folds(prepared.examples.len(), k);
    run_folds(prepared, &fold_of, k, prior, opts, 1.0)
}

/// Figures over a set of items.
#[derive(Clone, Debug, Serialize)]
pub struct Scores {
    pub items: usize,
    /// Items whose gold carries no tag.
    pub untagged: usize,
    pub tags: Vec<TagScore>,
    /// Share of gold-untagged items that received any tag.
    pub false_tag_rate: f64,
}

pub fn scores(prepared: &Prepared, outcome: &Outcome, only: Option<usize>) -> Scores {
    let sel: Vec<usize> = (0..prepared.items.len())
        .filter(|i| only.is_none_or(|g| prepared.examples[*i].group == g))
        .collect();
    let rows: Vec<(String, [bool; 3], [bool; 3])> = sel
        .iter()
        .map(|i| {
            (
                prepared.items[*i].id.clone(),
                outcome.predicted[*i],
                prepared.items[*i].labels,
            )
        })
        .collect();
    let untagged: Vec<&usize> = sel
        .iter()
        .filter(|i| prepared.items[**i].is_untagged())
        .collect();
    let false_tags = untagged
        .iter()
        .filter(|i| outcome.predicted[***i].iter().any(|x| *x))
        .count();
    Scores {
        items: sel.len(),
        untagged: untagged.len(),
        tags: tag_scores(&rows),
        false_tag_rate: false_tags as f64 / untagged.len().max(1) as f64,
    }
}

/// One source's figures in a leave-one-source-out run.
#[derive(Clone, Debug, Serialize)]
pub struct SourceScores {
    pub source: String,
    #[serde(flatten)]
    pub scores: Scores,
}

pub fn per_source(prepared: &Prepared, outcome: &Outcome) -> Vec<SourceScores> {
    prepared
        .sources
        .iter()
        .enumerate()
        .map(|(g, s)| SourceScores {
            source: s.clone(),
            scores: scores(prepared, outcome, Some(g)),
        })
        .collect()
}

/// A point of the learning curve: pooled leave-one-source-out figures when each training run
/// sees this share of its training gold.
#[derive(Clone, Debug, Serialize)]
pub struct CurvePoint {
    pub fraction: f64,
    /// F1 per tag in `Tag::ALL` order.
    pub f1: [f64; 3],
    pub false_tag_rate: f64,
}

pub fn learning_curve(
    prepared: &Prepared,
    prior: &Model,
    opts: &TrainOptions,
    fractions: &[f64],
) -> Vec<CurvePoint> {
    fractions
        .iter()
        .map(|f| {
            let o = by_source(prepared, prior, opts, *f);
            let s = scores(prepared, &o, None);
            CurvePoint {
                fraction: *f,
                f1: [s.tags[0].f1, s.tags[1].f1, s.tags[2].f1],
                false_tag_rate: s.false_tag_rate,
            }
        })
        .collect()
}

/// A floor the pooled leave-one-source-out figures must meet.
#[derive(Clone, Debug, Serialize)]
pub struct Floor {
    pub name: String,
    pub value: f64,
    /// `>=` or `<=`.
    pub op: &'static str,
    pub floor: f64,
    pub met: bool,
}

/// The team's floors on pooled leave-one-source-out figures: F1 ≥ 0.75 for typical_person
/// and typical_event, ≥ 0.80 for typical_case; at most 6% of untagged items tagged.
pub const FLOORS: [(Tag, f64); 3] = [
    (Tag::TypicalPerson, 0.75),
    (Tag::TypicalEvent, 0.75),
    (Tag::TypicalCase, 0.80),
];
pub const MAX_FALSE_TAG_RATE: f64 = 0.06;

/// Floors to check: F1 per tag in `Tag::ALL` order and the highest false-tag rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloorSet {
    pub f1: [f64; 3],
    pub max_false_tag_rate: f64,
}

impl Default for FloorSet {
    /// The team's floors ([`FLOORS`], [`MAX_FALSE_TAG_RATE`]).
    fn default() -> Self {
        FloorSet {
            f1: FLOORS.map(|(_, f)| f),
            max_false_tag_rate: MAX_FALSE_TAG_RATE,
        }
    }
}

pub fn floors(pooled: &Scores, set: &FloorSet) -> Vec<Floor> {
    let mut out: Vec<Floor> = Tag::ALL
        .iter()
        .zip(set.f1)
        .map(|(tag, need)| {
            let s = pooled.tags.iter().find(|s| s.tag == tag.as_str());
            let v = s.map_or(0.0, |s| s.f1);
            Floor {
                name: format!("{} F1", tag.as_str()),
                value: v,
                op: ">=",
                floor: need,
                met: v + 1e-9 >= need,
            }
        })
        .collect();
    out.push(Floor {
        name: "untagged items given a tag".into(),
        value: pooled.false_tag_rate,
        op: "<=",
        floor: set.max_false_tag_rate,
        met: pooled.false_tag_rate <= set.max_false_tag_rate + 1e-9,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;
    use yuqing_classify::Lexicons;
    use yuqing_text::Analyzer;

    fn classifier() -> &'static Classifier {
        static C: OnceLock<Classifier> = OnceLock::new();
        C.get_or_init(|| {
            Classifier::new(
                Analyzer::builtin(),
                &Lexicons::builtin(),
                Model::rules(),
                Vec::new(),
            )
            .unwrap()
        })
    }

    fn item(id: &str, set: &str, title: &str, text: &str, labels: [bool; 3]) -> GoldItem {
        GoldItem {
            id: id.into(),
            set: set.into(),
            source: set.into(),
            title: title.into(),
            text: text.into(),
            labels,
            borderline: false,
            note: String::new(),
        }
    }

    /// A small gold file written for the test: three sources, each with disciplinary case
    /// releases, plans and weather.
    fn small_gold() -> Vec<GoldItem> {
        let mut v = Vec::new();
        for (s, place) in [("报甲", "江西"), ("报乙", "湖南"), ("报丙", "四川")] {
            for i in 0..6 {
                v.push(item(
                    &format!("{s}-case-{i}"),
                    s,
                    &format!("{place}省纪委监委公开通报{}起违反中央八项规定精神典型问题", i + 3),
                    &format!("近日，{place}省纪委监委公开通报典型问题。1.某市原副市长张某某违规收受礼品礼金问题。2.某县原县长李某某违规公款吃喝问题。3.某局原局长王某某违规发放津贴问题。"),
                    [false, false, true],
                ));
                v.push(item(
                    &format!("{s}-none-{i}"),
                    s,
                    &format!("{place}明日多云转晴 气温回升{i}度"),
                    &format!("据{place}省气象台预报，明天{place}大部地区多云转晴，气温回升，空气质量良好，适宜出行。"),
                    [false; 3],
                ));
            }
        }
        v
    }

    #[test]
    fn leave_one_source_out_scores_every_source_unseen() {
        let p = prepare(classifier(), small_gold());
        assert_eq!(p.sources.len(), 3);
        let opts = TrainOptions::default();
        let o = by_source(&p, &Model::rules(), &opts, 1.0);
        let pooled = scores(&p, &o, None);
        assert_eq!(pooled.items, 36);
        assert_eq!(pooled.untagged, 18);
        let case = &pooled.tags[2];
        assert!(case.f1 > 0.9, "{case:?}");
        assert!(pooled.false_tag_rate < 0.1);
        let per = per_source(&p, &o);
        assert_eq!(per.len(), 3);
        assert!(per.iter().all(|s| s.scores.items == 12));
        let f = floors(&pooled, &FloorSet::default());
        assert_eq!(f.len(), 4);
        assert!(f[2].met, "{f:?}");
        // person and event have no positives: their F1 is 0 and their floors are missed
        assert!(!f[0].met);
    }

    #[test]
    fn the_learning_curve_has_a_point_per_fraction() {
        let p = prepare(classifier(), small_gold());
        let c = learning_curve(&p, &Model::rules(), &TrainOptions::default(), &[0.5, 1.0]);
        assert_eq!(c.len(), 2);
        assert!(c[1].f1[2] > 0.9, "{c:?}");
    }

    #[test]
    fn subsamples_are_stable_and_roughly_sized() {
        let keys: Vec<f64> = (0..1000).map(|i| sample_key(&format!("id-{i}"))).collect();
        let half = keys.iter().filter(|k| **k < 0.5).count();
        assert!((400..600).contains(&half), "{half}");
        assert_eq!(sample_key("x"), sample_key("x"));
    }
}
