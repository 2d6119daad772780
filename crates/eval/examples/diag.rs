//! Model-design diagnostics: held-out margins by grouped source folds (the trainer's own
//! calibration folds), average precision per tag and F1 at the trainer's threshold rule.
use yuqing_classify::train::{choose_thresholds, fit_platt, held_out_margins};
use yuqing_classify::{Classifier, Example, Kind, Lexicons, Model, TrainOptions};
use yuqing_eval::classify as ev;
use yuqing_eval::gold;
use yuqing_text::Analyzer;

fn ap(scores: &[f64], labels: &[bool]) -> f64 {
    let mut v: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut sum) = (0.0, 0.0);
    for (i, (_, l)) in v.iter().enumerate() {
        if *l {
            tp += 1.0;
            sum += tp / (i + 1) as f64;
        }
    }
    sum / tp.max(1.0)
}

fn best_f1(scores: &[f64], labels: &[bool]) -> f64 {
    let mut v: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    let pos = labels.iter().filter(|l| **l).count() as f64;
    let (mut tp, mut best) = (0.0, 0.0f64);
    for (i, (_, l)) in v.iter().enumerate() {
        if *l {
            tp += 1.0;
        }
        best = best.max(2.0 * tp / ((i + 1) as f64 + pos));
    }
    best
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let c = Classifier::new(
        Analyzer::builtin(),
        &Lexicons::builtin(),
        Model::rules(),
        Vec::new(),
    )
    .unwrap();
    let mut items = Vec::new();
    for p in &args {
        let path = std::path::Path::new(p);
        let mut corpus = gold::Corpus::new(gold::find_corpus(None, path));
        items.extend(gold::read(path, &mut corpus).unwrap());
    }
    let prepared = ev::prepare(&c, items);
    let mut opts = TrainOptions::default();
    if let Ok(v) = std::env::var("L2W") {
        opts.l2_words = v.parse().unwrap();
    }
    if let Ok(v) = std::env::var("PRUNE") {
        opts.prune_words = v.parse().unwrap();
    }
    if let Ok(v) = std::env::var("L2H") {
        opts.l2_words_headline = v.parse().unwrap();
    }
    if let Ok(v) = std::env::var("L2F") {
        opts.l2_features = v.parse().unwrap();
    }
    let rules = Model::rules();
    for kind in Kind::ALL {
        let ex: Vec<&Example> = prepared
            .examples
            .iter()
            .filter(|e| e.kind == kind)
            .collect();
        let prior = if kind == Kind::Full {
            &rules.full
        } else {
            &rules.headline
        };
        let t = std::time::Instant::now();
        let m = held_out_margins(&ex, prior, &opts);
        let labels: Vec<[bool; 3]> = ex.iter().map(|e| e.labels).collect();
        let mut probs = vec![[0.0; 3]; ex.len()];
        let mut aps = [0.0; 3];
        for t in 0..3 {
            let z: Vec<f64> = m.iter().map(|x| x[t]).collect();
            let l: Vec<bool> = labels.iter().map(|x| x[t]).collect();
            aps[t] = ap(&z, &l);
            eprintln!("  {kind:?} tag {t}: best F1 {:.3}", best_f1(&z, &l));
            let cal = fit_platt(&z, &l);
            for (p, zz) in probs.iter_mut().zip(&z) {
                p[t] = cal.apply(*zz);
            }
        }
        let th = choose_thresholds(&probs, &labels, 0.05);
        let mut f1 = [0.0; 3];
        for t in 0..3 {
            let (mut tp, mut fp, mut fn_) = (0.0f64, 0.0f64, 0.0f64);
            for (p, l) in probs.iter().zip(&labels) {
                match (p[t] >= th[t], l[t]) {
                    (true, true) => tp += 1.0,
                    (true, false) => fp += 1.0,
                    (false, true) => fn_ += 1.0,
                    _ => {}
                }
            }
            f1[t] = 2.0 * tp / (2.0 * tp + fp + fn_).max(1.0);
        }
        println!(
            "{kind:?} n={} AP {:.3} {:.3} {:.3}  F1@5% {:.3} {:.3} {:.3}  ({:?})",
            ex.len(),
            aps[0],
            aps[1],
            aps[2],
            f1[0],
            f1[1],
            f1[2],
            t.elapsed()
        );
    }
}
