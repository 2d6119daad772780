//! `yuqing classify`, `yuqing eval classify` and `yuqing train`: the typical tags.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;
use yuqing_classify::{Example, Model, TrainOptions, eval, train};
use yuqing_model::Tag;

use crate::context::setup;
use crate::{Cli, UsageError};

#[derive(clap::Args, Debug)]
pub struct ClassifyArgs {
    /// JSON Lines of `{"id","title","text"}`; standard input when omitted or `-`.
    file: Option<PathBuf>,
    /// One JSON line out per line in (the default when the output is not a terminal).
    #[arg(long)]
    json: bool,
    /// Use the hand-set rules instead of the trained model.
    #[arg(long)]
    rules_only: bool,
    /// Show, for every tag, the features that moved its score most.
    #[arg(long)]
    explain: bool,
}

#[derive(serde::Deserialize)]
struct Item {
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    labels: Vec<String>,
}

fn id_string(v: &serde_json::Value, line: usize) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => format!("line-{line}"),
        other => other.to_string(),
    }
}

fn open_lines(file: Option<&Path>) -> anyhow::Result<Box<dyn BufRead>> {
    match file {
        None => Ok(Box::new(std::io::BufReader::new(std::io::stdin()))),
        Some(p) if p.as_os_str() == "-" => Ok(Box::new(std::io::BufReader::new(std::io::stdin()))),
        Some(p) => {
            let f = std::fs::File::open(p)
                .map_err(|e| UsageError(format!("cannot read {}: {e}", p.display())))?;
            Ok(Box::new(std::io::BufReader::new(f)))
        }
    }
}

pub fn classify(cli: &Cli, args: &ClassifyArgs) -> anyhow::Result<ExitCode> {
    let setup = setup(cli, args.rules_only)?;
    let reader = open_lines(args.file.as_deref())?;
    let mut bad = 0;
    for (i, line) in reader.lines().enumerate() {
        let line = line.context("cannot read the input")?;
        if line.trim().is_empty() {
            continue;
        }
        let item: Item = match serde_json::from_str(&line) {
            Ok(item) => item,
            Err(e) => {
                eprintln!(
                    "line {}: not a JSON object with title and text ({e}): skipped",
                    i + 1
                );
                bad += 1;
                continue;
            }
        };
        let c = setup.classifier.classify(&item.title, &item.text, 10);
        if args.explain {
            let features = setup.classifier.features(&item.title, &item.text);
            eprintln!("{} {}", id_string(&item.id, i + 1), item.title);
            for (k, tag) in Tag::ALL.iter().enumerate() {
                let m = setup.classifier.model().tag(*tag);
                let parts: Vec<String> = m
                    .explain(&features, 8)
                    .into_iter()
                    .map(|(f, v)| format!("{f} {v:+.2}"))
                    .collect();
                eprintln!(
                    "  {} score {:.3} (bias {:+.2}): {}",
                    tag.as_str(),
                    c.scores[k],
                    m.bias,
                    parts.join(", ")
                );
            }
        }
        let out = serde_json::json!({
            "id": id_string(&item.id, i + 1),
            "tags": c.tags,
            "topics": c.topics,
            "keywords": c.keywords,
        });
        if args.json || !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            println!("{}", serde_json::to_string(&out)?);
        } else {
            let tags: Vec<String> = c
                .tags
                .iter()
                .map(|t| format!("{} {:.2}", t.tag.label(), t.score))
                .collect();
            println!(
                "{}  {}  [{}]  专题: {}",
                id_string(&item.id, i + 1),
                item.title,
                if tags.is_empty() {
                    "无".to_string()
                } else {
                    tags.join(", ")
                },
                if c.topics.is_empty() {
                    "—".to_string()
                } else {
                    c.topics.join(", ")
                }
            );
            for t in &c.tags {
                println!(
                    "    {} 线索: {}  依据: {}",
                    t.tag.label(),
                    t.evidence.cues.join("、"),
                    t.evidence.sentence
                );
            }
        }
    }
    if bad > 0 {
        eprintln!("{bad} line(s) could not be read");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// One gold item: id, title, text, labels in `Tag::ALL` order.
type GoldItem = (String, String, String, [bool; 3]);

/// Reads a gold file: items with their labels.
fn read_gold(path: &Path) -> anyhow::Result<Vec<GoldItem>> {
    let reader = open_lines(Some(path))?;
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let item: Item = serde_json::from_str(&line).map_err(|e| {
            UsageError(format!(
                "{} line {}: not a gold item ({e})",
                path.display(),
                i + 1
            ))
        })?;
        let mut labels = [false; 3];
        for l in &item.labels {
            match Tag::parse(l) {
                Some(t) => labels[Tag::ALL.iter().position(|x| *x == t).unwrap_or(0)] = true,
                None => {
                    return Err(UsageError(format!(
                        "{} line {}: unknown label \"{l}\" (use typical_person, typical_event, typical_case)",
                        path.display(),
                        i + 1
                    ))
                    .into());
                }
            }
        }
        out.push((id_string(&item.id, i + 1), item.title, item.text, labels));
    }
    if out.is_empty() {
        return Err(UsageError(format!("{} has no items", path.display())).into());
    }
    Ok(out)
}

/// A short fingerprint of a file's bytes, to recognise the data a model was trained on.
fn file_tag(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    format!("{name}#{:016x}", yuqing_text::simhash::hash64(&bytes))
}

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// Gold JSON Lines: `{"id","title","text","labels":[...]}`.
    gold: PathBuf,
    /// Cross-validate in K folds: train on K-1, score the held-out fold.
    #[arg(long, value_name = "K")]
    cv: Option<usize>,
    /// Score the hand-set rules model (no training).
    #[arg(long, conflicts_with = "cv")]
    rules_only: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct EvalReport {
    gold: String,
    items: usize,
    mode: String,
    tags: Vec<eval::TagScore>,
    floors: Vec<(String, f64, String, f64, bool)>,
    passed: bool,
}

pub fn eval_classify(cli: &Cli, args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let setup = setup(cli, args.rules_only || args.cv.is_some())?;
    let gold = read_gold(&args.gold)?;
    let c = &setup.classifier;
    let features: Vec<Vec<(String, f64)>> =
        gold.iter().map(|(_, t, x, _)| c.features(t, x)).collect();
    let thresholds = c.thresholds();
    let predict = |m: &Model, f: &[(String, f64)]| -> [bool; 3] {
        let mut out = [false; 3];
        for (i, t) in Tag::ALL.iter().enumerate() {
            out[i] = m.tag(*t).score(f) >= thresholds[i];
        }
        out
    };
    let mut predictions = vec![[false; 3]; gold.len()];
    let mode = if let Some(k) = args.cv {
        if !(2..=gold.len()).contains(&k) {
            return Err(
                UsageError(format!("--cv {k}: use between 2 and {} folds", gold.len())).into(),
            );
        }
        let folds = eval::folds(gold.len(), k);
        for fold in 0..k {
            let train_set: Vec<Example> = gold
                .iter()
                .zip(&features)
                .zip(&folds)
                .filter(|(_, f)| **f != fold)
                .map(|((g, f), _)| Example {
                    features: f.clone(),
                    labels: g.3,
                })
                .collect();
            let m = train(&train_set, &Model::rules(), &TrainOptions::default(), "cv");
            for (i, f) in features.iter().enumerate() {
                if folds[i] == fold {
                    for (t, tag) in Tag::ALL.iter().enumerate() {
                        let tm = m.tag(*tag);
                        predictions[i][t] = tm.score(f) >= tm.threshold;
                    }
                }
            }
        }
        format!("{k}-fold cross-validation")
    } else {
        let m = c.model();
        let tag = file_tag(&args.gold);
        if m.trained_on.split(", ").any(|t| t == tag) {
            return Err(UsageError(format!(
                "the model at {} was trained on {}: scoring it there would flatter it; use --cv K or --rules-only",
                setup.model_path.display(),
                args.gold.display()
            ))
            .into());
        }
        for (i, f) in features.iter().enumerate() {
            predictions[i] = predict(m, f);
        }
        if args.rules_only || !setup.model_found {
            "rules only".to_string()
        } else {
            format!("model {}", setup.model_path.display())
        }
    };
    let items: Vec<(String, [bool; 3], [bool; 3])> = gold
        .iter()
        .zip(&predictions)
        .map(|(g, p)| (g.0.clone(), *p, g.3))
        .collect();
    let scores = eval::score(&items);
    // floors apply to the cross-validated figures
    let mut floors = Vec::new();
    if args.cv.is_some() {
        for s in &scores {
            let need = if s.tag == "typical_case" { 0.80 } else { 0.70 };
            floors.push((
                format!("{} F1", s.tag),
                s.f1,
                ">=".to_string(),
                need,
                s.f1 + 1e-9 >= need,
            ));
            floors.push((
                format!("{} fires on gold-empty items", s.tag),
                s.fires_on_empty,
                "<=".to_string(),
                0.10,
                s.fires_on_empty <= 0.10 + 1e-9,
            ));
        }
    }
    let report = EvalReport {
        gold: args.gold.display().to_string(),
        items: gold.len(),
        mode,
        passed: floors.iter().all(|f| f.4),
        tags: scores,
        floors,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "金标准 (gold): {} — {} 条, {}",
            report.gold, report.items, report.mode
        );
        println!(
            "{:<16} {:>9} {:>7} {:>7} {:>4} {:>4} {:>4} {:>4} {:>14}",
            "tag", "precision", "recall", "F1", "TP", "FP", "FN", "TN", "fires on none"
        );
        for s in &report.tags {
            println!(
                "{:<16} {:>9.3} {:>7.3} {:>7.3} {:>4} {:>4} {:>4} {:>4} {:>13.1}%",
                s.tag,
                s.precision,
                s.recall,
                s.f1,
                s.tp,
                s.fp,
                s.fn_,
                s.tn,
                s.fires_on_empty * 100.0
            );
        }
        for s in &report.tags {
            if !s.wrong.is_empty() {
                println!("{} misclassified: {}", s.tag, s.wrong.join(" "));
            }
        }
        for (name, v, op, floor, ok) in &report.floors {
            println!(
                "  {} {name}: {v:.3} (floor {op} {floor:.2})",
                if *ok { "✓" } else { "✗" }
            );
        }
        if !report.floors.is_empty() {
            println!(
                "{}",
                if report.passed {
                    "结果: 达标 (all floors met)"
                } else {
                    "结果: 未达标 (a floor was missed)"
                }
            );
        }
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Gold JSON Lines files (`{"id","title","text","labels":[...]}`); the corrections
    /// recorded with `yuqing label` in the data directory are added to them.
    gold: Vec<PathBuf>,
    /// Where to write the model; default: `[classify].model`, else `<dictionaries>/typical.model.json`.
    #[arg(long)]
    output: Option<PathBuf>,
}

pub fn train_cmd(cli: &Cli, args: &TrainArgs) -> anyhow::Result<ExitCode> {
    let setup = setup(cli, true)?;
    let mut examples = Vec::new();
    let mut sources = Vec::new();
    for path in &args.gold {
        let gold = read_gold(path)?;
        for (_, title, text, labels) in &gold {
            examples.push(Example {
                features: setup.classifier.features(title, text),
                labels: *labels,
            });
        }
        sources.push(file_tag(path));
    }
    // analysts' corrections recorded by `yuqing label`: each labelled article, with its tags as
    // corrected, is one more example
    let dir = crate::data_cmd::data_dir(cli)?;
    if dir.join(yuqing_store::DB_FILE).exists() {
        let store = crate::data_cmd::open_store(&dir)?;
        let mut ids: Vec<i64> = store.labels()?.into_iter().map(|l| l.article_id).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in &ids {
            if let Some(a) = store.get(*id)? {
                let labels = Tag::ALL.map(|t| a.tags.iter().any(|x| x.tag == t.as_str()));
                examples.push(Example {
                    features: setup.classifier.features(&a.title, &a.body),
                    labels,
                });
            }
        }
        if !ids.is_empty() {
            sources.push(format!(
                "{} labelled articles in {}",
                ids.len(),
                dir.display()
            ));
        }
    }
    if examples.is_empty() {
        return Err(UsageError(
            "nothing to train on: give gold JSON Lines files, or record corrections with `yuqing label`".into(),
        )
        .into());
    }
    let model = train(
        &examples,
        &Model::rules(),
        &TrainOptions::default(),
        &sources.join(", "),
    );
    let out = args.output.clone().unwrap_or(setup.model_path);
    std::fs::write(&out, model.to_json() + "\n")
        .with_context(|| format!("cannot write the model to {}", out.display()))?;
    let counts: Vec<String> = Tag::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "{} {}",
                t.label(),
                examples.iter().filter(|e| e.labels[i]).count()
            )
        })
        .collect();
    println!(
        "训练完成 (trained) on {} items ({}); model written to {}",
        examples.len(),
        counts.join(", "),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
