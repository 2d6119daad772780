//! What every command needs: the loaded configuration and the resolved data directory.

use std::path::{Path, PathBuf};

use yuqing_classify::{Classifier, Lexicons, Model};
use yuqing_config::Config;
use yuqing_model::Tag;
use yuqing_text::{Analyzer, Dictionaries};

use crate::Cli;

/// An error caused by the user's input (arguments, configuration): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Reads the configuration file's text, with an error that says what to do.
pub fn read_config_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        UsageError(format!(
            "cannot read the configuration {}: {e}: run yuqing from the folder that holds sources.toml or pass --config PATH",
            path.display()
        ))
    })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            // name the encoding it is in, so that staff know what to save it as
            let found = if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
                "UTF-16"
            } else if bytes.iter().filter(|b| **b == 0).count() * 5 > bytes.len() {
                "UTF-16 or UTF-32"
            } else if encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .is_some()
            {
                "GBK/GB18030"
            } else {
                "an encoding other than UTF-8"
            };
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            Err(UsageError(format!(
                "the configuration {} is saved in {found}, not UTF-8 (first bad byte on line {line}): save it as UTF-8 (in Notepad: Save As, encoding UTF-8)",
                path.display()
            ))
            .into())
        }
    }
}

/// The folder relative paths in the configuration are resolved against.
pub fn config_base(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::new(),
    }
}

/// The configuration when the file exists (validated, paths rebased, `--data` applied); `None`
/// when there is no configuration file (built-in dictionaries are used then).
pub fn load_config(cli: &Cli) -> anyhow::Result<Option<Config>> {
    if !cli.config.exists() {
        return Ok(None);
    }
    let text = read_config_text(&cli.config)?;
    let mut config = Config::parse(&text).map_err(|e| {
        UsageError(format!(
            "invalid configuration {}: {} (run `yuqing check` to see every problem)",
            cli.config.display(),
            e.lines().first().cloned().unwrap_or_default()
        ))
    })?;
    config.rebase(&config_base(&cli.config));
    if let Some(dir) = &cli.data {
        config.storage.dir = dir.clone();
    }
    Ok(Some(config))
}

/// The classifier, as `classify`, `import` and `search` need it.
pub fn classifier(cli: &Cli, rules_only: bool) -> anyhow::Result<Setup> {
    setup(cli, rules_only)
}

/// Progress of long work: a bar on a terminal, plain lines otherwise.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    label: &'static str,
    last_line: std::time::Instant,
    done: usize,
}

impl Progress {
    pub fn new(label: &'static str, total: u64) -> Progress {
        let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {msg} {pos} 篇 ({per_sec}) {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            b.set_message(label);
            b.enable_steady_tick(std::time::Duration::from_millis(200));
            b
        });
        let _ = total;
        Progress {
            bar,
            label,
            last_line: std::time::Instant::now(),
            done: 0,
        }
    }

    pub fn set(&mut self, done: usize) {
        self.done = done;
        match &self.bar {
            Some(b) => b.set_position(done as u64),
            None => {
                if self.last_line.elapsed() >= std::time::Duration::from_secs(5) {
                    eprintln!("{}: {done}", self.label);
                    self.last_line = std::time::Instant::now();
                }
            }
        }
    }

    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// Where the classifier's files come from.
pub struct Setup {
    pub classifier: Classifier,
    pub model_path: PathBuf,
    pub model_found: bool,
}

fn read_dict(dir: &Path, name: &str, required: bool) -> anyhow::Result<String> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(t) => Ok(t),
        Err(_) if !required => Ok(String::new()),
        Err(e) => Err(UsageError(format!(
            "cannot read {} ({e}): restore it or set [dictionaries].dir",
            path.display()
        ))
        .into()),
    }
}

/// Loads dictionaries, lexicons, model and topics as the configuration says; without a
/// configuration file, the built-in ones.
pub fn setup(cli: &Cli, rules_only: bool) -> anyhow::Result<Setup> {
    setup_with(load_config(cli)?, rules_only)
}

/// The classifier for a loaded configuration (or the built-in dictionaries without one).
pub fn setup_with(config: Option<Config>, rules_only: bool) -> anyhow::Result<Setup> {
    let (dicts, lexicons, dir, topics, model_path, thresholds) = if let Some(config) = config {
        let dir = config.dictionaries.dir.clone();
        let dicts = Dictionaries {
            user_dict: read_dict(&dir, "user.dict", true)?,
            stop_words: read_dict(&dir, "stopwords.txt", true)?,
            aliases: read_dict(&dir, "aliases.txt", false)?,
        };
        let lexicons = Lexicons {
            person: read_dict(&dir, Lexicons::FILES[0], true)?,
            event: read_dict(&dir, Lexicons::FILES[1], true)?,
            case: read_dict(&dir, Lexicons::FILES[2], true)?,
        };
        let model_path = config
            .classify
            .model
            .clone()
            .unwrap_or_else(|| dir.join("typical.model.json"));
        (
            dicts,
            lexicons,
            dir,
            config.topics,
            model_path,
            config.classify.thresholds,
        )
    } else {
        let dir = PathBuf::from("dictionaries");
        (
            Dictionaries::builtin(),
            Lexicons::builtin(),
            dir.clone(),
            Vec::new(),
            dir.join("typical.model.json"),
            Vec::new(),
        )
    };
    let _ = dir;
    let analyzer = Analyzer::new(&dicts).map_err(|e| UsageError(format!("dictionaries: {e}")))?;
    let (model, found) = if rules_only {
        (Model::rules(), false)
    } else {
        match std::fs::read_to_string(&model_path) {
            Ok(text) => (
                Model::from_json(&text)
                    .map_err(|e| UsageError(format!("{}: {e}", model_path.display())))?,
                true,
            ),
            Err(_) => {
                eprintln!(
                    "note: no trained model at {}: using the rules model (train one with `yuqing train`)",
                    model_path.display()
                );
                (Model::rules(), false)
            }
        }
    };
    let mut classifier = Classifier::new(analyzer, &lexicons, model, topics)
        .map_err(|e| UsageError(format!("dictionaries/{e}")))?;
    let mut th = classifier.thresholds();
    for (tag, v) in thresholds {
        if let Some(i) = Tag::ALL.iter().position(|t| t.as_str() == tag) {
            th[i] = v;
        }
    }
    classifier.set_thresholds(th);
    Ok(Setup {
        classifier,
        model_path,
        model_found: found,
    })
}
