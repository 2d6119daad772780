//! `yuqing check` run as the real binary against the default configuration and broken copies.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `yuqing ARGS` in `dir`; returns (exit code, stdout, stderr).
fn yuqing(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run yuqing");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A temporary folder with a copy of the dictionaries and the given config text.
fn workspace(name: &str, config: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("yuqing-check-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("dictionaries")).unwrap();
    for f in ["user.dict", "stopwords.txt"] {
        std::fs::copy(
            root().join("dictionaries").join(f),
            dir.join("dictionaries").join(f),
        )
        .unwrap();
    }
    std::fs::write(dir.join("sources.toml"), config).unwrap();
    dir
}

fn default_config() -> String {
    std::fs::read_to_string(root().join("sources.toml")).unwrap()
}

#[test]
fn default_configuration_passes() {
    let (code, out, err) = yuqing(&root(), &["check"]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("检查通过"), "{out}");
    let config: toml::Table = default_config().parse().unwrap();
    let units = config["unit"].as_array().unwrap().len();
    assert!(out.contains(&format!("单位 {units} ")), "{out}");
}

#[test]
fn five_mistakes_are_printed_with_key_paths() {
    let broken = default_config()
        .replacen(
            "unit = \"cast\"\nkind = \"html\"",
            "unit = \"cast-x\"\nkind = \"html\"",
            1,
        )
        .replacen(
            "weekly_report = \"0 0 8 * * Mon\"",
            "weekly_report = \"0 8 * * Mon\"",
            1,
        )
        .replacen("delay_ms = 1000 ", "dealy_ms = 1000 ", 1)
        .replacen("kind = \"全国学会\"", "kind = \"学术团体\"", 1)
        .replacen(
            "smtp_url = \"smtp://smtp.example.org:587\"",
            "smtp_url = \"smtp.example.org\"",
            1,
        );
    let dir = workspace("five", &broken);
    let (code, out, _) = yuqing(&dir, &["check"]);
    assert_eq!(code, 2, "{out}");
    let problems: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("sources.toml: "))
        .collect();
    let expected = [
        "sources.toml: schedule.weekly_report: invalid cron expression",
        "sources.toml: crawl.dealy_ms: unknown key (did you mean \"delay_ms\"?)",
        "sources.toml: mail.smtp_url: invalid URL \"smtp.example.org\"",
        "sources.toml: unit[3].kind: unknown unit kind \"学术团体\"",
        "sources.toml: source[0].unit: unknown unit \"cast-x\"",
    ];
    assert_eq!(problems.len(), 5, "{out}");
    for (line, start) in problems.iter().zip(expected) {
        assert!(
            line.starts_with(start),
            "{line:?} should start with {start:?}"
        );
    }
    assert!(out.contains("发现 5 个问题"), "{out}");

    let (code, json, _) = yuqing(&dir, &["check", "--json"]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"].as_array().unwrap().len(), 5);
    assert_eq!(v["problems"][4]["location"], "source[0].unit");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn dictionary_problems_are_reported_with_lines() {
    let dir = workspace("dict", &default_config());
    let dict = dir.join("dictionaries/user.dict");
    let mut text = std::fs::read_to_string(&dict).unwrap();
    text.push_str("坏词条 abc nz\n");
    std::fs::write(&dict, &text).unwrap();
    std::fs::remove_file(dir.join("dictionaries/stopwords.txt")).unwrap();
    let (code, out, _) = yuqing(&dir, &["check"]);
    assert_eq!(code, 2, "{out}");
    let line = text.lines().count();
    assert!(
        out.contains(&format!(
            "dictionaries/user.dict: line {line}: frequency \"abc\""
        )),
        "{out}"
    );
    assert!(
        out.contains("dictionaries/stopwords.txt: file: cannot read it"),
        "{out}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn syntax_error_and_missing_config() {
    let dir = workspace("syntax", "[storage\ndir = 1\n");
    let (code, out, _) = yuqing(&dir, &["check"]);
    assert_eq!(code, 2);
    assert!(out.contains("sources.toml: line 1, column "), "{out}");
    let (code, _, err) = yuqing(&dir, &["check", "--config", "nope.toml"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot read the configuration nope.toml"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn version_and_help() {
    let (code, out, _) = yuqing(&root(), &["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("yuqing "), "{out}");
    let (code, out, _) = yuqing(&root(), &["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("check"), "{out}");
    let (code, _, _) = yuqing(&root(), &["no-such-command"]);
    assert_eq!(code, 2);
}

#[test]
fn a_short_web_token_is_refused_and_web_hosts_are_checked() {
    let dir = workspace("token", &default_config());
    let out = Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("YUQING_WEB_TOKEN", "short")
        .current_dir(&dir)
        .output()
        .expect("run yuqing");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at least 16"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    // [web].hosts takes host names only
    let config = default_config().replace(
        "[web]\n",
        "[web]\nhosts = [\"yuqing.example.org\", \"http://bad.example/\"]\n",
    );
    let config = config.replacen("hosts = []\n", "", 1);
    std::fs::write(dir.join("sources.toml"), config).unwrap();
    let (code, out, err) = yuqing(&dir, &["check"]);
    let all = format!("{out}{err}");
    assert_eq!(code, 2, "{all}");
    assert!(all.contains("web.hosts[1]"), "{all}");
    assert!(!all.contains("web.hosts[0]"), "{all}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_configuration_in_another_encoding_is_named() {
    let dir = workspace("encoding", &default_config());
    let text = default_config();
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    std::fs::write(dir.join("gbk.toml"), &gbk).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.join("utf16.toml"), &utf16).unwrap();
    for (file, says) in [("gbk.toml", "GBK/GB18030"), ("utf16.toml", "UTF-16")] {
        let (code, out, err) = yuqing(&dir, &["--config", file, "check"]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(
            err.contains(says) && err.contains("save it as UTF-8"),
            "{err}"
        );
        assert!(!err.contains("run yuqing from the folder"), "{err}");
    }
    std::fs::remove_dir_all(dir).ok();
}

/// `yuqing demo` works from a folder that is not the project's: it writes its own dictionaries.
#[test]
fn the_demo_runs_from_any_folder() {
    let dir = std::env::temp_dir().join(format!("yuqing-demo-anywhere-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (code, out, err) = yuqing(&dir, &["demo", "--dir", "demo"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(dir.join("demo/dictionaries/user.dict").is_file());
    assert!(
        dir.join("demo/dictionaries/cues/typical_case.txt")
            .is_file()
    );
    let config = std::fs::read_to_string(dir.join("demo/sources.toml")).unwrap();
    assert!(config.contains("demo/dictionaries"), "{config}");
    std::fs::remove_dir_all(dir).ok();
}
