//! `yuqing classify`, `eval classify` and `train` run as the real binary on team-written items.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn gold() -> PathBuf {
    root().join("tests/fixtures/gold_small.jsonl")
}

fn yuqing(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run yuqing");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn classify_prints_the_documented_shape() {
    let input = "{\"id\":\"a1\",\"title\":\"中央纪委国家监委公开通报十起违反中央八项规定精神典型问题\",\"text\":\"中央纪委国家监委公开通报十起违反中央八项规定精神典型问题。学习十九大精神。\"}\nnot json\n";
    let (code, out, err) = yuqing(&["classify", "--json"], Some(input));
    assert_eq!(code, 1, "a bad line makes the run partial: {err}");
    assert!(err.contains("line 2: not a JSON object"), "{err}");
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["id"], "a1");
    let tag = &v["tags"][0];
    assert_eq!(tag["tag"], "typical_case");
    assert!(tag["score"].as_f64().unwrap() >= 0.5);
    let ev = &tag["evidence"];
    assert!(
        ev["cues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "典型问题"),
        "{ev}"
    );
    assert!(
        ev["orgs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "中央纪委国家监委"),
        "{ev}"
    );
    assert!(ev["sentence"].as_str().unwrap().contains("典型问题"));
    assert!(
        v["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "discipline"),
        "{v}"
    );
    assert!(!v["keywords"].as_array().unwrap().is_empty());
}

#[test]
fn by_source_scores_every_source_on_a_model_that_never_saw_it() {
    let g = root().join("tests/fixtures/gold_sources.jsonl");
    let (code, out, err) = yuqing(
        &[
            "eval",
            "classify",
            g.to_str().unwrap(),
            "--by-source",
            "--curve",
            "--json",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(v["items"], 24);
    let per: Vec<&str> = v["per_source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(per, ["a", "b", "c"]);
    for s in v["per_source"].as_array().unwrap() {
        assert_eq!(s["items"], 8, "{s}");
    }
    assert_eq!(v["pooled"]["untagged"], 6);
    assert_eq!(v["learning_curve"].as_array().unwrap().len(), 3);
    let floors = v["floors"].as_array().unwrap();
    assert_eq!(floors.len(), 4);
    // the exit code follows the floors
    let met = floors.iter().all(|f| f["met"] == true);
    assert_eq!(code, if met { 0 } else { 1 }, "{v}");

    // floors given on the command line replace the team's
    let (code, out, _) = yuqing(
        &[
            "eval",
            "classify",
            g.to_str().unwrap(),
            "--by-source",
            "--floor-f1",
            "0,0,0",
            "--floor-false-tags",
            "1",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(floor >= 0.00)"), "{out}");
    let (code, _, err) = yuqing(
        &[
            "eval",
            "classify",
            g.to_str().unwrap(),
            "--by-source",
            "--floor-f1",
            "0.7,0.8",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("three numbers"), "{err}");
}

#[test]
fn eval_reports_every_tag_and_refuses_training_data() {
    let g = gold();
    let (code, out, _) = yuqing(
        &[
            "eval",
            "classify",
            g.to_str().unwrap(),
            "--rules-only",
            "--json",
        ],
        None,
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["items"], 8);
    assert_eq!(v["pooled"]["tags"].as_array().unwrap().len(), 3);
    assert_eq!(v["mode"], "rules only");

    let (code, out, _) = yuqing(
        &["eval", "classify", g.to_str().unwrap(), "--cv", "2"],
        None,
    );
    assert_eq!(code, 0, "k-fold reports and checks no floors: {out}");
    assert!(out.contains("2-fold cross-validation"), "{out}");
    assert!(out.contains("典型案例"), "{out}");
    assert!(!out.contains("floor"), "{out}");

    // leave-one-source-out needs sources to leave out
    let (code, _, err) = yuqing(
        &["eval", "classify", g.to_str().unwrap(), "--by-source"],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("at least two sources"), "{err}");

    let model = std::env::temp_dir().join(format!("yuqing-model-{}.json", std::process::id()));
    let (code, out, err) = yuqing(
        &[
            "train",
            g.to_str().unwrap(),
            "--output",
            model.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("训练完成"), "{out}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert!(
        m["trained_on"]
            .as_str()
            .unwrap()
            .starts_with("gold_small.jsonl#")
    );
    // a model is never scored on the data it learned from
    let dir = std::env::temp_dir().join(format!("yuqing-trained-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("cues")).unwrap();
    for f in [
        "user.dict",
        "stopwords.txt",
        "aliases.txt",
        "cues/typical_person.txt",
        "cues/typical_event.txt",
        "cues/typical_case.txt",
    ] {
        std::fs::copy(root().join("dictionaries").join(f), dir.join(f)).unwrap();
    }
    std::fs::copy(&model, dir.join("typical.model.json")).unwrap();
    let config = dir.join("sources.toml");
    std::fs::write(
        &config,
        format!(
            "[dictionaries]\ndir = \"{}\"\n[[unit]]\nid = \"u\"\nname = \"单位\"\nkind = \"其他\"\n",
            dir.display()
        ),
    )
    .unwrap();
    let (code, _, err) = yuqing(
        &[
            "--config",
            config.to_str().unwrap(),
            "eval",
            "classify",
            g.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("would flatter it"), "{err}");
    std::fs::remove_dir_all(dir).ok();
    std::fs::remove_file(model).ok();
}

#[test]
fn bad_gold_is_located() {
    let bad = std::env::temp_dir().join(format!("yuqing-badgold-{}.jsonl", std::process::id()));
    std::fs::write(
        &bad,
        "{\"id\":\"x\",\"title\":\"t\",\"text\":\"\",\"labels\":[\"typical_thing\"]}\n",
    )
    .unwrap();
    let (code, _, err) = yuqing(
        &["eval", "classify", bad.to_str().unwrap(), "--rules-only"],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("line 1: unknown label \"typical_thing\""),
        "{err}"
    );
    std::fs::remove_file(bad).ok();
}

/// `train --report` prints the leave-one-source-out figures of the model it writes, stores them
/// in the model, and refuses to replace a model whose figures were better.
#[test]
fn train_report_guards_against_a_worse_model() {
    let g = root().join("tests/fixtures/gold_sources.jsonl");
    let model = std::env::temp_dir().join(format!("yuqing-report-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&model);
    let train = |extra: &[&str]| {
        let mut args = vec![
            "train",
            g.to_str().unwrap(),
            "--output",
            model.to_str().unwrap(),
            "--report",
        ];
        args.extend_from_slice(extra);
        yuqing(&args, None)
    };
    let (code, out, err) = train(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("leave-one-source-out figures"), "{out}");
    assert!(out.contains("合计 pooled"), "{out}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    let eval = &m["evaluation"];
    assert_eq!(eval["items"], 24, "{m}");
    assert!(eval["protocol"].as_str().unwrap().contains("3 sources"));
    // the model on disk claims figures no training can reach: the new one is not written
    let mut better = m.clone();
    better["evaluation"]["f1"] = serde_json::json!([2.0, 2.0, 2.0]);
    let better_text = better.to_string();
    std::fs::write(&model, &better_text).unwrap();
    let (code, out, err) = train(&[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("the model it replaces: 2.000"), "{out}");
    assert!(err.contains("worse than the one at"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&model).unwrap(), better_text);
    let (code, out, _) = train(&["--force"]);
    assert_eq!(code, 0);
    assert!(out.contains("model written"), "{out}");
    assert_ne!(std::fs::read_to_string(&model).unwrap(), better_text);
    let _ = std::fs::remove_file(&model);
}
