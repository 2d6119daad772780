//! `yuqing classify`, `yuqing eval classify` and `yuqing train`: the typical tags.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;
use yuqing_classify::{Example, Kind, Model, TrainOptions, train};
use yuqing_eval::classify as ev;
use yuqing_eval::gold::{self, GoldItem};
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

/// Reads gold files (inline or by reference into the shared corpus).
fn read_gold(paths: &[PathBuf], corpus: Option<&Path>) -> anyhow::Result<Vec<GoldItem>> {
    let mut out = Vec::new();
    for path in paths {
        let root = gold::find_corpus(corpus, path);
        let mut c = gold::Corpus::new(root);
        out.extend(gold::read(path, &mut c).map_err(|e| UsageError(e.to_string()))?);
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
    /// Gold JSON Lines files: `{"id","title","text","labels":[...]}`, or references into the
    /// shared corpus (`{"id","set","path","line","labels",...}`, see gold/typical/README.md).
    #[arg(required = true)]
    gold: Vec<PathBuf>,
    /// Leave one source out: every source scored by a model trained, calibrated and thresholded
    /// on the others (the honest figure for unseen publications; floors apply).
    #[arg(long, conflicts_with_all = ["cv", "rules_only"])]
    by_source: bool,
    /// Cross-validate in K folds over a fixed shuffle (sources mixed; reported, no floors).
    #[arg(long, value_name = "K", conflicts_with = "rules_only")]
    cv: Option<usize>,
    /// Score the hand-set rules model (no training).
    #[arg(long)]
    rules_only: bool,
    /// With --by-source: also the learning curve (pooled F1 at 25%, 50% and 100% of the
    /// training gold).
    #[arg(long, requires = "by_source")]
    curve: bool,
    /// The shared corpus folder the references point into (default: ../shared/corpus found
    /// above the gold file or the working folder).
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// With --by-source: F1 floors for typical_person, typical_event and typical_case instead
    /// of the team's (0.75,0.75,0.80), e.g. `--floor-f1 0.55,0.50,0.55` as a regression guard.
    #[arg(long, value_name = "P,E,C", requires = "by_source", value_parser = parse_f1_floors)]
    floor_f1: Option<[f64; 3]>,
    /// With --by-source: the highest share of untagged items given a tag instead of the team's
    /// 0.06.
    #[arg(long, value_name = "RATE", requires = "by_source", value_parser = parse_rate)]
    floor_false_tags: Option<f64>,
    #[arg(long)]
    json: bool,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a number from 0 to 1")),
    }
}

fn parse_f1_floors(s: &str) -> Result<[f64; 3], String> {
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() != 3 {
        return Err(format!(
            "`{s}` needs three numbers, person,event,case (e.g. 0.75,0.75,0.80)"
        ));
    }
    let mut out = [0.0; 3];
    for (o, p) in out.iter_mut().zip(parts) {
        *o = parse_rate(p)?;
    }
    Ok(out)
}

#[derive(Serialize)]
struct EvalReport {
    gold: Vec<String>,
    items: usize,
    mode: String,
    model: String,
    pooled: ev::Scores,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    per_source: Vec<ev::SourceScores>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    learning_curve: Vec<ev::CurvePoint>,
    floors: Vec<ev::Floor>,
    passed: bool,
}

fn print_scores_header() {
    println!(
        "{:<40} {:>5} {:>6} {:>9} {:>7} {:>7} {:>4} {:>4} {:>4} {:>12}",
        "", "items", "tag", "precision", "recall", "F1", "TP", "FP", "FN", "false tags"
    );
}

fn print_scores(name: &str, s: &ev::Scores) {
    for (i, t) in s.tags.iter().enumerate() {
        let label = Tag::parse(&t.tag).map_or("?", |t| t.label());
        println!(
            "{:<40} {:>5} {:>6} {:>9.3} {:>7.3} {:>7.3} {:>4} {:>4} {:>4} {:>12}",
            if i == 0 { name } else { "" },
            if i == 0 {
                s.items.to_string()
            } else {
                String::new()
            },
            label,
            t.precision,
            t.recall,
            t.f1,
            t.tp,
            t.fp,
            t.fn_,
            if i == 0 {
                format!("{:.1}% of {}", s.false_tag_rate * 100.0, s.untagged)
            } else {
                String::new()
            }
        );
    }
}

fn print_report(r: &EvalReport) {
    println!(
        "金标准 (gold): {} — {} 条; {}; model {}",
        r.gold.join(", "),
        r.items,
        r.mode,
        r.model
    );
    print_scores_header();
    for s in &r.per_source {
        print_scores(&s.source, &s.scores);
    }
    print_scores("合计 pooled", &r.pooled);
    for s in &r.pooled.tags {
        if !s.wrong.is_empty() && r.per_source.is_empty() {
            println!("{} misclassified: {}", s.tag, s.wrong.join(" "));
        }
    }
    if !r.learning_curve.is_empty() {
        println!("学习曲线 (learning curve, pooled leave-one-source-out):");
        for p in &r.learning_curve {
            println!(
                "  {:>4.0}% of the training gold: F1 典型人 {:.3}  典型事 {:.3}  典型案例 {:.3}; false tags {:.1}%",
                p.fraction * 100.0,
                p.f1[0],
                p.f1[1],
                p.f1[2],
                p.false_tag_rate * 100.0
            );
        }
    }
    for f in &r.floors {
        println!(
            "  {} {}: {:.3} (floor {} {:.2})",
            if f.met { "✓" } else { "✗" },
            f.name,
            f.value,
            f.op,
            f.floor
        );
    }
    if !r.floors.is_empty() {
        println!(
            "{}",
            if r.passed {
                "结果: 达标 (all floors met)"
            } else {
                "结果: 未达标 (a floor was missed)"
            }
        );
    }
}

pub fn eval_classify(cli: &Cli, args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let training = args.by_source || args.cv.is_some();
    let setup = setup(cli, args.rules_only || training)?;
    let items = read_gold(&args.gold, args.corpus.as_deref())?;
    if args.by_source {
        let mut sources: Vec<&str> = items.iter().map(|i| i.source.as_str()).collect();
        sources.sort_unstable();
        sources.dedup();
        if sources.len() < 2 {
            return Err(UsageError(format!(
                "--by-source needs items from at least two sources, and the gold has {} ({}): give each item a \"source\" or pass gold files of several sets",
                sources.len(),
                sources.join(", ")
            ))
            .into());
        }
    }
    let prepared = ev::prepare(&setup.classifier, items);
    let prior = Model::rules();
    let opts = TrainOptions::default();
    let mut report = EvalReport {
        gold: args.gold.iter().map(|p| p.display().to_string()).collect(),
        items: prepared.items.len(),
        mode: String::new(),
        model: String::new(),
        pooled: ev::scores(&prepared, &ev::Outcome::default_for(&prepared), None),
        per_source: Vec::new(),
        learning_curve: Vec::new(),
        floors: Vec::new(),
        passed: true,
    };
    let outcome = if args.by_source {
        report.mode = format!(
            "leave one source out ({} sources; each scored by a model trained, calibrated and thresholded without it)",
            prepared.sources.len()
        );
        report.model = "trained per held-out source".into();
        let o = ev::by_source(&prepared, &prior, &opts, 1.0);
        report.per_source = ev::per_source(&prepared, &o);
        if args.curve {
            let mut curve = ev::learning_curve(&prepared, &prior, &opts, &[0.25, 0.5]);
            let full = ev::scores(&prepared, &o, None);
            curve.push(ev::CurvePoint {
                fraction: 1.0,
                f1: [full.tags[0].f1, full.tags[1].f1, full.tags[2].f1],
                false_tag_rate: full.false_tag_rate,
            });
            report.learning_curve = curve;
        }
        o
    } else if let Some(k) = args.cv {
        if !(2..=prepared.items.len()).contains(&k) {
            return Err(UsageError(format!(
                "--cv {k}: use between 2 and {} folds",
                prepared.items.len()
            ))
            .into());
        }
        report.mode = format!(
            "{k}-fold cross-validation (sources mixed: flatters unseen text; see --by-source)"
        );
        report.model = "trained per fold".into();
        ev::k_fold(&prepared, k, &prior, &opts)
    } else {
        let m = setup.classifier.model();
        for path in &args.gold {
            let tag = file_tag(path);
            if m.trained_on.split(", ").any(|t| t == tag) {
                return Err(UsageError(format!(
                    "the model at {} was trained on {}: scoring it there would flatter it; use --by-source, --cv K or --rules-only",
                    setup.model_path.display(),
                    path.display()
                ))
                .into());
            }
        }
        report.mode = if args.rules_only || !setup.model_found {
            "rules only".into()
        } else {
            "the configured model".into()
        };
        report.model = m.name().to_string();
        ev::apply(m, &prepared)
    };
    report.pooled = ev::scores(&prepared, &outcome, None);
    if args.by_source {
        let mut set = ev::FloorSet::default();
        if let Some(f1) = args.floor_f1 {
            set.f1 = f1;
        }
        if let Some(rate) = args.floor_false_tags {
            set.max_false_tag_rate = rate;
        }
        report.floors = ev::floors(&report.pooled, &set);
        report.passed = report.floors.iter().all(|f| f.met);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Gold JSON Lines files (inline or by reference into the shared corpus); the corrections
    /// recorded with `yuqing label` or the web page in the data directory are added to them.
    gold: Vec<PathBuf>,
    /// Where to write the model; default: `[classify].model`, else `<dictionaries>/typical.model.json`.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Also print the leave-one-source-out figures of the model written, beside those of the
    /// model it replaces; a model worse on any tag is not written without --force.
    #[arg(long)]
    report: bool,
    /// Write the model even when --report finds it worse than the one it replaces.
    #[arg(long, requires = "report")]
    force: bool,
    /// The shared corpus folder the references point into.
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
}

/// The analysts' labels in a data directory as examples: per article, each tag an analyst
/// ruled on (the latest ruling wins) is known; the others are unknown, not guessed from the
/// classifier's tags.
fn store_examples(
    cli: &Cli,
    classifier: &yuqing_classify::Classifier,
    group: usize,
) -> anyhow::Result<(Vec<Example>, usize)> {
    let dir = crate::data_cmd::data_dir(cli)?;
    if !dir.join(yuqing_store::DB_FILE).exists() {
        return Ok((Vec::new(), 0));
    }
    let store = crate::data_cmd::open_store(&dir)?;
    let mut rulings: std::collections::BTreeMap<i64, [Option<bool>; 3]> = Default::default();
    for l in store.labels()? {
        if let Some(i) = Tag::parse(&l.tag).and_then(|t| Tag::ALL.iter().position(|x| *x == t)) {
            rulings.entry(l.article_id).or_default()[i] = Some(l.applies);
        }
    }
    let mut out = Vec::new();
    for (id, r) in &rulings {
        if let Some(a) = store.get(*id)? {
            let analysis = classifier.analyze(&a.title, &a.body);
            out.push(Example {
                features: analysis.features(classifier.analyzer()),
                labels: r.map(|x| x.unwrap_or(false)),
                kind: analysis.kind(),
                group,
                known: r.map(|x| x.is_some()),
                weight: 1.0,
            });
        }
    }
    Ok((out, rulings.len()))
}

pub fn train_cmd(cli: &Cli, args: &TrainArgs) -> anyhow::Result<ExitCode> {
    let setup = setup(cli, true)?;
    let out = args.output.clone().unwrap_or(setup.model_path.clone());
    let items = read_gold(&args.gold, args.corpus.as_deref())?;
    let mut sources: Vec<String> = args.gold.iter().map(|p| file_tag(p)).collect();
    let prepared = ev::prepare(&setup.classifier, items);
    let mut examples = prepared.examples.clone();
    let (labelled, n) = store_examples(cli, &setup.classifier, prepared.sources.len())?;
    examples.extend(labelled);
    if n > 0 {
        sources.push(format!(
            "analysts' labels on {n} article{}",
            if n == 1 { "" } else { "s" }
        ));
    }
    if examples.is_empty() {
        return Err(UsageError(
            "nothing to train on: give gold JSON Lines files, or record corrections with `yuqing label`".into(),
        )
        .into());
    }
    let opts = TrainOptions::default();
    let mut model = train(&examples, &Model::rules(), &opts, &sources.join(", "));
    model.stamp("typical");
    let counts: Vec<String> = Tag::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "{} {}",
                t.label(),
                examples
                    .iter()
                    .filter(|e| e.labels[i] && e.known[i])
                    .count()
            )
        })
        .collect();
    println!(
        "训练完成 (trained) on {} items ({} headline-only; {}); model {}",
        examples.len(),
        examples.iter().filter(|e| e.kind == Kind::Headline).count(),
        counts.join(", "),
        model.id
    );
    if args.report && !prepared.items.is_empty() {
        let o = ev::by_source(&prepared, &Model::rules(), &opts, 1.0);
        let pooled = ev::scores(&prepared, &o, None);
        println!("leave-one-source-out figures of this training (gold files only):");
        print_scores_header();
        for s in ev::per_source(&prepared, &o) {
            print_scores(&s.source, &s.scores);
        }
        print_scores("合计 pooled", &pooled);
        let previous = std::fs::read_to_string(&out)
            .ok()
            .and_then(|t| Model::from_json(&t).ok())
            .and_then(|m| m.evaluation);
        let mut worse = Vec::new();
        if let Some(prev) = &previous {
            for (i, t) in Tag::ALL.iter().enumerate() {
                let (now, was) = (pooled.tags[i].f1, prev.f1[i]);
                println!(
                    "  {} F1 {now:.3} (the model it replaces: {was:.3})",
                    t.label()
                );
                if now + 0.02 < was {
                    worse.push(format!("{} F1 {now:.3} < {was:.3}", t.label()));
                }
            }
            println!(
                "  false tags {:.1}% (the model it replaces: {:.1}%)",
                pooled.false_tag_rate * 100.0,
                prev.false_tag_rate * 100.0
            );
            if pooled.false_tag_rate > prev.false_tag_rate + 0.02 {
                worse.push(format!(
                    "false tags {:.1}% > {:.1}%",
                    pooled.false_tag_rate * 100.0,
                    prev.false_tag_rate * 100.0
                ));
            }
        }
        model.evaluation = Some(yuqing_classify::model::Evaluation {
            protocol: format!("leave one of {} sources out", prepared.sources.len()),
            items: pooled.items,
            f1: [pooled.tags[0].f1, pooled.tags[1].f1, pooled.tags[2].f1]
                .map(|v| (v * 1e4).round() / 1e4),
            false_tag_rate: (pooled.false_tag_rate * 1e4).round() / 1e4,
        });
        if !worse.is_empty() && !args.force {
            eprintln!(
                "the new model is worse than the one at {} ({}): not written; check the new labels, or pass --force to write it anyway",
                out.display(),
                worse.join("; ")
            );
            return Ok(ExitCode::from(1));
        }
    }
    std::fs::write(&out, model.to_json() + "\n")
        .with_context(|| format!("cannot write the model to {}", out.display()))?;
    println!("model written to {}", out.display());
    Ok(ExitCode::SUCCESS)
}
