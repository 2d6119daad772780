//! Training: per-tag logistic regression (L-BFGS), Platt calibration on held-out margins and
//! thresholds chosen on held-out probabilities for a bounded false-tag rate.
//!
//! The held-out margins come from folds by *source*: each source's items are scored by a model
//! that never saw that source, so calibration and thresholds are set for unseen publications,
//! not for the training file. With fewer than three sources, stratified k-fold is used instead.

use std::collections::{BTreeMap, HashMap};

use yuqing_model::Tag;

use crate::model::{Calibration, Kind, MODEL_VERSION, Model, TagModel, sigmoid};

/// One labelled example.
#[derive(Clone, Debug)]
pub struct Example {
    pub features: Vec<(String, f64)>,
    pub labels: [bool; 3],
    /// Scored by the headline weights (no text).
    pub kind: Kind,
    /// The source (publication) it came from, for folds by source.
    pub group: usize,
    /// Which labels are known (an analyst's correction of one tag says nothing of the others);
    /// gold items know all three.
    pub known: [bool; 3],
    /// How much the example counts in the loss (1 for a clear item; less for a borderline one).
    pub weight: f64,
}

impl Example {
    pub fn fully_known(&self) -> bool {
        self.known.iter().all(|k| *k)
    }
}

/// Training settings.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// L2 strength pulling structural features toward the rules' weights.
    pub l2_features: f64,
    /// L2 strength pulling word features toward zero, for full articles.
    pub l2_words: f64,
    /// The same for headline-only items (fewer words each: they need a stronger pull).
    pub l2_words_headline: f64,
    /// Word weights smaller than this (in absolute value) are left out of the written model.
    pub prune_words: f64,
    /// Word features seen in fewer training items than this are dropped.
    pub min_df: usize,
    pub max_iterations: usize,
    /// The highest share of gold-untagged items allowed to receive any tag when thresholds are
    /// chosen.
    pub max_false_tag_rate: f64,
    /// Folds when there are too few sources to hold one out.
    pub fallback_folds: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            l2_features: 0.002,
            l2_words: 0.0002,
            l2_words_headline: 0.01,
            prune_words: 0.05,
            min_df: 2,
            max_iterations: 150,
            max_false_tag_rate: 0.05,
            fallback_folds: 5,
        }
    }
}

/// Whether a feature is a word feature (regularised toward zero).
pub fn is_word(k: &str) -> bool {
    k.len() > 2 && k.as_bytes()[1] == b':'
}

/// The features of a training set, indexed.
struct Design {
    names: Vec<String>,
    rows: Vec<Vec<(usize, f64)>>,
}

impl Design {
    fn new(examples: &[&Example], min_df: usize) -> Design {
        let mut df: HashMap<&str, usize> = HashMap::new();
        for e in examples {
            for (k, _) in &e.features {
                *df.entry(k.as_str()).or_default() += 1;
            }
        }
        let mut names: Vec<&str> = df
            .iter()
            .filter(|(k, n)| !is_word(k) || **n >= min_df)
            .map(|(k, _)| *k)
            .collect();
        names.sort_unstable();
        let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let rows = examples
            .iter()
            .map(|e| {
                e.features
                    .iter()
                    .filter_map(|(k, v)| index.get(k.as_str()).map(|i| (*i, *v)))
                    .collect()
            })
            .collect();
        Design {
            names: names.into_iter().map(str::to_string).collect(),
            rows,
        }
    }
}

/// Minimises the weighted mean log loss plus `½ Σ λ_j (w_j − w0_j)²` by L-BFGS. Returns the
/// weights and the bias.
fn fit_logistic(
    d: &Design,
    y: &[bool],
    mask: &[f64],
    w0: &[f64],
    lambda: &[f64],
    bias0: f64,
    max_iterations: usize,
) -> (Vec<f64>, f64) {
    let n = mask.iter().sum::<f64>().max(1.0);
    let pos = y
        .iter()
        .zip(mask)
        .filter(|(v, _)| **v)
        .map(|(_, m)| *m)
        .sum::<f64>()
        .max(1.0);
    let neg = (n - pos).max(1.0);
    let pos_weight = (neg / pos).sqrt().clamp(1.0, 3.0);
    let dim = w0.len() + 1; // the last coordinate is the bias
    let objective = |x: &[f64], grad: &mut [f64]| -> f64 {
        grad.iter_mut().for_each(|g| *g = 0.0);
        let b = x[dim - 1];
        let mut loss = 0.0;
        for ((row, yi), m) in d.rows.iter().zip(y).zip(mask).filter(|(_, m)| **m > 0.0) {
            let z = b + row.iter().map(|(i, v)| x[*i] * v).sum::<f64>();
            let c = m * if *yi { pos_weight } else { 1.0 };
            // log(1 + e^-z) for y = 1, log(1 + e^z) for y = 0, computed stably
            let s = if *yi { -z } else { z };
            loss += c * (s.max(0.0) + (-s.abs()).exp().ln_1p());
            let err = c * (sigmoid(z) - if *yi { 1.0 } else { 0.0 });
            for (i, v) in row {
                grad[*i] += err * v / n;
            }
            grad[dim - 1] += err / n;
        }
        loss /= n;
        for j in 0..dim - 1 {
            let diff = x[j] - w0[j];
            loss += 0.5 * lambda[j] * diff * diff;
            grad[j] += lambda[j] * diff;
        }
        loss
    };
    let mut x: Vec<f64> = w0.iter().copied().chain(std::iter::once(bias0)).collect();
    lbfgs(&mut x, objective, max_iterations);
    let b = x.pop().unwrap_or(0.0);
    (x, b)
}

/// Limited-memory BFGS with a backtracking (Armijo) line search.
fn lbfgs(x: &mut [f64], f: impl Fn(&[f64], &mut [f64]) -> f64, max_iterations: usize) {
    const M: usize = 8;
    let dim = x.len();
    let mut g = vec![0.0; dim];
    let mut fx = f(x, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let mut new_g = vec![0.0; dim];
    let mut trial = vec![0.0; dim];
    for _ in 0..max_iterations {
        let gnorm = dot(&g, &g).sqrt();
        if gnorm < 1e-6 {
            break;
        }
        // two-loop recursion: direction = -H g
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(s_hist.len());
        for (s, yv) in s_hist.iter().zip(&y_hist).rev() {
            let rho = 1.0 / dot(yv, s);
            let a = rho * dot(s, &q);
            q.iter_mut().zip(yv).for_each(|(qi, yi)| *qi -= a * yi);
            alphas.push((a, rho));
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(yv)) => dot(s, yv) / dot(yv, yv),
            _ => 1.0 / gnorm.max(1.0),
        };
        q.iter_mut().for_each(|v| *v *= gamma);
        for ((s, yv), (a, rho)) in s_hist.iter().zip(&y_hist).zip(alphas.into_iter().rev()) {
            let b = rho * dot(yv, &q);
            q.iter_mut().zip(s).for_each(|(qi, si)| *qi += si * (a - b));
        }
        let mut dir: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &dir);
        if slope >= 0.0 {
            // not a descent direction: restart from steepest descent
            s_hist.clear();
            y_hist.clear();
            dir = g.iter().map(|v| -v / gnorm.max(1.0)).collect();
            slope = dot(&g, &dir);
        }
        let mut step = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            for i in 0..dim {
                trial[i] = x[i] + step * dir[i];
            }
            let ft = f(&trial, &mut new_g);
            if ft <= fx + 1e-4 * step * slope {
                let s: Vec<f64> = (0..dim).map(|i| trial[i] - x[i]).collect();
                let yv: Vec<f64> = (0..dim).map(|i| new_g[i] - g[i]).collect();
                let improvement = fx - ft;
                x.copy_from_slice(&trial);
                g.copy_from_slice(&new_g);
                fx = ft;
                if dot(&s, &yv) > 1e-12 {
                    s_hist.push(s);
                    y_hist.push(yv);
                    if s_hist.len() > M {
                        s_hist.remove(0);
                        y_hist.remove(0);
                    }
                }
                accepted = improvement.abs() > 1e-12 * fx.abs().max(1.0);
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            break;
        }
    }
}

/// Platt scaling fitted by Newton's method on held-out margins, with Platt's smoothed targets.
pub fn fit_platt(margins: &[f64], labels: &[bool]) -> Calibration {
    let pos = labels.iter().filter(|l| **l).count() as f64;
    let neg = labels.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return Calibration::default();
    }
    let hi = (pos + 1.0) / (pos + 2.0);
    let lo = 1.0 / (neg + 2.0);
    let (mut a, mut b) = (1.0, 0.0);
    for _ in 0..100 {
        let (mut g1, mut g2, mut h11, mut h12, mut h22) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
        for (z, l) in margins.iter().zip(labels) {
            let t = if *l { hi } else { lo };
            let p = sigmoid(a * z + b);
            let d = p - t;
            g1 += d * z;
            g2 += d;
            let w = p * (1.0 - p);
            h11 += w * z * z;
            h12 += w * z;
            h22 += w;
        }
        let det = h11 * h22 - h12 * h12;
        if det.abs() < 1e-12 {
            break;
        }
        let da = (h22 * g1 - h12 * g2) / det;
        let db = (h11 * g2 - h12 * g1) / det;
        a -= da;
        b -= db;
        if da.abs() < 1e-9 && db.abs() < 1e-9 {
            break;
        }
    }
    if !a.is_finite() || !b.is_finite() || a <= 0.0 {
        return Calibration::default();
    }
    Calibration { a, b }
}

/// Per-tag thresholds on held-out probabilities: each tag's F1-best threshold, then raised where
/// it costs least F1 until at most `max_rate` of the gold-untagged items receive any tag.
pub fn choose_thresholds(probs: &[[f64; 3]], labels: &[[bool; 3]], max_rate: f64) -> [f64; 3] {
    let empty: Vec<usize> = (0..labels.len())
        .filter(|i| labels[*i].iter().all(|l| !l))
        .collect();
    let f1_at = |t: usize, th: f64| -> f64 {
        let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
        for (p, l) in probs.iter().zip(labels) {
            match (p[t] >= th, l[t]) {
                (true, true) => tp += 1.0,
                (true, false) => fp += 1.0,
                (false, true) => fn_ += 1.0,
                _ => {}
            }
        }
        if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fn_)
        }
    };
    let candidates: Vec<Vec<f64>> = (0..3)
        .map(|t| {
            let mut c: Vec<f64> = probs
                .iter()
                .map(|p| p[t])
                .filter(|p| (0.02..=0.98).contains(p))
                .collect();
            c.push(0.5);
            c.push(0.98);
            c.sort_by(f64::total_cmp);
            c.dedup();
            c
        })
        .collect();
    let mut th = [0.5; 3];
    for t in 0..3 {
        let mut best = (f64::MIN, 0.5);
        for &c in &candidates[t] {
            let f = f1_at(t, c);
            // ties go to the higher threshold
            if f >= best.0 {
                best = (f, c);
            }
        }
        th[t] = best.1;
    }
    let rate = |th: &[f64; 3]| -> f64 {
        if empty.is_empty() {
            return 0.0;
        }
        empty
            .iter()
            .filter(|i| (0..3).any(|t| probs[**i][t] >= th[t]))
            .count() as f64
            / empty.len() as f64
    };
    while rate(&th) > max_rate {
        let now = rate(&th);
        // for each tag, the smallest raise that takes a tag off at least one untagged item,
        // priced as F1 lost per false tag removed; the cheapest raise wins
        let mut best: Option<(f64, usize, f64)> = None;
        for t in 0..3 {
            let Some(next) = candidates[t].iter().filter(|c| **c > th[t]).find(|c| {
                let mut raised = th;
                raised[t] = **c;
                rate(&raised) < now
            }) else {
                continue;
            };
            let mut raised = th;
            raised[t] = *next;
            let removed = now - rate(&raised);
            let cost = (f1_at(t, th[t]) - f1_at(t, *next)).max(0.0) / removed;
            if best.is_none_or(|b| cost < b.0) {
                best = Some((cost, t, *next));
            }
        }
        match best {
            Some((_, t, next)) => th[t] = next,
            None => break,
        }
    }
    th.map(|v| (v * 1e4).round() / 1e4)
}

/// Held-out fold numbers: by source when there are at least three sources (whole sources
/// assigned to at most `k` folds, largest first to the lightest fold, so that no fold shares a
/// source with its training set), else stratified k-fold.
pub fn folds(examples: &[&Example], k: usize) -> (Vec<usize>, usize) {
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for e in examples {
        *sizes.entry(e.group).or_default() += 1;
    }
    if sizes.len() >= 3 {
        let k = k.clamp(2, sizes.len());
        let mut groups: Vec<(usize, usize)> = sizes.into_iter().collect();
        groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut load = vec![0usize; k];
        let mut fold_of_group: HashMap<usize, usize> = HashMap::new();
        for (g, n) in groups {
            let f = (0..k).min_by_key(|f| (load[*f], *f)).unwrap_or(0);
            load[f] += n;
            fold_of_group.insert(g, f);
        }
        let f = examples.iter().map(|e| fold_of_group[&e.group]).collect();
        return (f, k);
    }
    let k = k.clamp(2, examples.len().max(2));
    // stratified by label pattern, in input order (deterministic)
    let mut seen: HashMap<[bool; 3], usize> = HashMap::new();
    let f = examples
        .iter()
        .map(|e| {
            let c = seen.entry(e.labels).or_default();
            *c += 1;
            (*c - 1) % k
        })
        .collect();
    (f, k)
}

/// Weights only (no calibration, threshold 0.5) for one kind.
fn fit_weights(
    examples: &[&Example],
    prior: &BTreeMap<String, TagModel>,
    opts: &TrainOptions,
) -> BTreeMap<String, TagModel> {
    let d = Design::new(examples, opts.min_df);
    let l2_words = match examples.first().map(|e| e.kind) {
        Some(Kind::Headline) => opts.l2_words_headline,
        _ => opts.l2_words,
    };
    let mut out = BTreeMap::new();
    for (t, tag) in Tag::ALL.iter().enumerate() {
        let base = &prior[tag.as_str()];
        let w0: Vec<f64> = d
            .names
            .iter()
            .map(|k| base.weights.get(k).copied().unwrap_or(0.0))
            .collect();
        let lambda: Vec<f64> = d
            .names
            .iter()
            .map(|k| {
                if is_word(k) {
                    l2_words
                } else {
                    opts.l2_features
                }
            })
            .collect();
        let y: Vec<bool> = examples.iter().map(|e| e.labels[t]).collect();
        let mask: Vec<f64> = examples
            .iter()
            .map(|e| if e.known[t] { e.weight } else { 0.0 })
            .collect();
        let (w, b) = fit_logistic(&d, &y, &mask, &w0, &lambda, base.bias, opts.max_iterations);
        let weights = d
            .names
            .iter()
            .zip(&w)
            .filter(|(k, v)| !is_word(k) || v.abs() >= opts.prune_words)
            .map(|(k, v)| (k.clone(), (v * 1e4).round() / 1e4))
            .collect();
        out.insert(
            tag.as_str().to_string(),
            TagModel {
                bias: (b * 1e4).round() / 1e4,
                threshold: 0.5,
                calibration: Calibration::default(),
                weights,
            },
        );
    }
    out
}

/// Held-out margins of every example of one kind (by source, or k-fold).
pub fn held_out_margins(
    examples: &[&Example],
    prior: &BTreeMap<String, TagModel>,
    opts: &TrainOptions,
) -> Vec<[f64; 3]> {
    let (fold, k) = folds(examples, opts.fallback_folds);
    let mut margins = vec![[0.0; 3]; examples.len()];
    for f in 0..k {
        let train: Vec<&Example> = examples
            .iter()
            .zip(&fold)
            .filter(|(_, g)| **g != f)
            .map(|(e, _)| *e)
            .collect();
        if train.is_empty() {
            continue;
        }
        let m = fit_weights(&train, prior, opts);
        for (i, e) in examples.iter().enumerate() {
            if fold[i] == f {
                for (t, tag) in Tag::ALL.iter().enumerate() {
                    margins[i][t] = m[tag.as_str()].margin(&e.features);
                }
            }
        }
    }
    margins
}

/// Trains the whole model: for full articles and for headlines, weights on every example of
/// that kind, calibration and thresholds from held-out margins (see the module doc). A kind
/// with no examples keeps the prior's weights.
pub fn train(examples: &[Example], prior: &Model, opts: &TrainOptions, trained_on: &str) -> Model {
    let mut model = Model {
        version: MODEL_VERSION,
        id: String::new(),
        trained_on: trained_on.to_string(),
        thresholds_from: String::new(),
        full: prior.full.clone(),
        headline: prior.headline.clone(),
        evaluation: None,
    };
    let mut notes = Vec::new();
    for kind in Kind::ALL {
        let of_kind: Vec<&Example> = examples.iter().filter(|e| e.kind == kind).collect();
        if of_kind.len() < 10 {
            continue;
        }
        let prior_kind = match kind {
            Kind::Full => &prior.full,
            Kind::Headline => &prior.headline,
        };
        let margins = held_out_margins(&of_kind, prior_kind, opts);
        let labels: Vec<[bool; 3]> = of_kind.iter().map(|e| e.labels).collect();
        let mut weights = fit_weights(&of_kind, prior_kind, opts);
        let mut probs = vec![[0.0; 3]; of_kind.len()];
        for (t, tag) in Tag::ALL.iter().enumerate() {
            let known: Vec<usize> = (0..of_kind.len())
                .filter(|i| of_kind[*i].known[t])
                .collect();
            let m: Vec<f64> = known.iter().map(|i| margins[*i][t]).collect();
            let l: Vec<bool> = known.iter().map(|i| labels[*i][t]).collect();
            let cal = fit_platt(&m, &l);
            let m: Vec<f64> = margins.iter().map(|m| m[t]).collect();
            for (p, z) in probs.iter_mut().zip(&m) {
                p[t] = cal.apply(*z);
            }
            if let Some(tm) = weights.get_mut(tag.as_str()) {
                tm.calibration = Calibration {
                    a: (cal.a * 1e4).round() / 1e4,
                    b: (cal.b * 1e4).round() / 1e4,
                };
            }
        }
        // thresholds from the items whose every label is known
        let full: Vec<usize> = (0..of_kind.len())
            .filter(|i| of_kind[*i].fully_known())
            .collect();
        let th = choose_thresholds(
            &full.iter().map(|i| probs[*i]).collect::<Vec<_>>(),
            &full.iter().map(|i| labels[*i]).collect::<Vec<_>>(),
            opts.max_false_tag_rate,
        );
        for (t, tag) in Tag::ALL.iter().enumerate() {
            if let Some(tm) = weights.get_mut(tag.as_str()) {
                tm.threshold = th[t];
            }
        }
        let (_, k) = folds(&of_kind, opts.fallback_folds);
        let sources = {
            let mut g: Vec<usize> = of_kind.iter().map(|e| e.group).collect();
            g.sort_unstable();
            g.dedup();
            g.len()
        };
        notes.push(format!(
            "{}: calibrated and thresholded on held-out margins ({}), at most {:.0}% of untagged items tagged",
            match kind {
                Kind::Full => "full texts",
                Kind::Headline => "headlines",
            },
            if sources >= 3 {
                format!("{sources} sources in {k} folds, each source held out whole")
            } else {
                format!("{k}-fold")
            },
            opts.max_false_tag_rate * 100.0
        ));
        match kind {
            Kind::Full => model.full = weights,
            Kind::Headline => model.headline = weights,
        }
    }
    model.thresholds_from = notes.join("; ");
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(words: &[&str], labels: [bool; 3], group: usize) -> Example {
        Example {
            features: words.iter().map(|w| (format!("b:{w}"), 1.0)).collect(),
            labels,
            kind: Kind::Full,
            group,
            known: [true; 3],
            weight: 1.0,
        }
    }

    #[test]
    fn training_learns_a_separable_word() {
        let mut data = Vec::new();
        for i in 0..30 {
            data.push(ex(
                &["典型案例", &format!("x{}", i % 7)],
                [false, false, true],
                i % 3,
            ));
            data.push(ex(
                &["天气", &format!("y{}", i % 7)],
                [false, false, false],
                i % 3,
            ));
        }
        let m = train(&data, &Model::rules(), &TrainOptions::default(), "test");
        let case = m.tag(Tag::TypicalCase);
        assert!(case.score(&data[0].features) > case.threshold);
        assert!(case.score(&data[1].features) < case.threshold);
        assert!(case.weights["b:典型案例"] > 0.0);
        let back = Model::from_json(&m.to_json()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn lbfgs_finds_a_quadratic_minimum() {
        let mut x = vec![5.0, -3.0];
        lbfgs(
            &mut x,
            |x, g| {
                g[0] = 2.0 * (x[0] - 1.0);
                g[1] = 8.0 * (x[1] + 2.0);
                (x[0] - 1.0).powi(2) + 4.0 * (x[1] + 2.0).powi(2)
            },
            100,
        );
        assert!(
            (x[0] - 1.0).abs() < 1e-4 && (x[1] + 2.0).abs() < 1e-4,
            "{x:?}"
        );
    }

    #[test]
    fn platt_scaling_orders_and_separates() {
        let margins: Vec<f64> = (0..100).map(|i| f64::from(i) / 10.0 - 5.0).collect();
        let labels: Vec<bool> = (0..100).map(|i| i >= 60).collect();
        let c = fit_platt(&margins, &labels);
        assert!(c.a > 0.0);
        assert!(c.apply(4.0) > 0.9 && c.apply(-4.0) < 0.1);
    }

    #[test]
    fn thresholds_respect_the_false_tag_rate() {
        // 20 untagged items, 4 of them scored high for person; 10 positives
        let mut probs = Vec::new();
        let mut labels = Vec::new();
        for i in 0..20 {
            probs.push([if i < 4 { 0.8 } else { 0.1 }, 0.1, 0.1]);
            labels.push([false; 3]);
        }
        for i in 0..10 {
            probs.push([if i < 8 { 0.9 } else { 0.7 }, 0.1, 0.1]);
            labels.push([true, false, false]);
        }
        let th = choose_thresholds(&probs, &labels, 0.05);
        let fired = (0..20).filter(|i| probs[*i][0] >= th[0]).count();
        assert!(fired <= 1, "threshold {th:?}");
        assert!(th[0] <= 0.9);
    }
}
