//! `yuqing check`: validate the configuration and the dictionaries, print every problem.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use yuqing_config::dictionaries::{self, DictProblem};
use yuqing_config::{Config, LoadError};

use crate::Cli;
use crate::context::{config_base, read_config_text};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// One problem, located by file and key path or line.
#[derive(Serialize, Debug)]
struct Problem {
    file: String,
    /// Key path (`source[4].unit`) or `line N`.
    location: String,
    message: String,
}

#[derive(Serialize, Debug, Default)]
struct Summary {
    units: usize,
    sources: usize,
    sources_enabled: usize,
    topics: usize,
    channels: usize,
    alerts: usize,
    user_words: usize,
    stop_words: usize,
}

#[derive(Serialize, Debug)]
struct Report {
    ok: bool,
    config: String,
    summary: Summary,
    problems: Vec<Problem>,
    /// Not configuration problems, but things the staff should know: reports that could not be
    /// e-mailed, sources that keep failing.
    notices: Vec<String>,
}

/// Undelivered reports and failing sources, from the store (when there is one).
fn notices(dir: &Path) -> Vec<String> {
    // a missing or empty database is a problem of its own; opening it would create a schema
    if std::fs::metadata(dir.join(yuqing_store::DB_FILE)).is_ok_and(|m| m.len() == 0)
        || !dir.join(yuqing_store::DB_FILE).exists()
    {
        return Vec::new();
    }
    let Ok(store) = yuqing_store::Store::open(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in store.report_runs().unwrap_or_default() {
        if r.sent_at.is_none()
            && let Some(e) = r.send_error
        {
            out.push(format!(
                "report {} {} was not delivered: {e} (send it again with `yuqing report {} --week {} --send`)",
                r.kind, r.period, r.kind, r.period
            ));
        }
    }
    for h in store.health().unwrap_or_default() {
        if h.consecutive_failures > 0 {
            out.push(format!(
                "source {} failed its last {} scan(s): {}",
                h.source,
                h.consecutive_failures,
                h.last_error.unwrap_or_default()
            ));
        }
    }
    for d in store.channel_last_attempts().unwrap_or_default() {
        if d.status == yuqing_store::DeliveryStatus::Failed {
            out.push(format!(
                "alert channel {} failed its last delivery ({}): {} (try it with `yuqing alerts test {}`)",
                d.channel,
                d.at,
                d.error.unwrap_or_default(),
                d.channel
            ));
        }
    }
    out
}

/// Channels whose address or secret is not in this environment.
fn channel_notices(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    for r in crate::alerts_cmd::resolved_channels(config) {
        let c = &r.channel;
        if let Err(why) = &r.url {
            out.push(format!(
                "alert channel {} ({}): {why}",
                c.id,
                c.kind.label()
            ));
        }
        if let Some(name) = &c.secret_env
            && r.secret.is_none()
        {
            out.push(format!(
                "alert channel {} ({}): the signing secret variable {name} is not set: export it, or the platform will reject the messages",
                c.id,
                c.kind.label()
            ));
        }
    }
    out
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let text = read_config_text(&cli.config)?;
    let base = config_base(&cli.config);
    let config_file = cli.config.display().to_string();
    let mut problems = Vec::new();
    let mut summary = Summary::default();

    let mut data_dir = None;
    let mut channel_problems = Vec::new();
    let dict_dir = match Config::parse(&text) {
        Ok(mut config) => {
            config.rebase(&base);
            data_dir = Some(
                cli.data
                    .clone()
                    .unwrap_or_else(|| config.storage.dir.clone()),
            );
            summary.units = config.units.len();
            summary.sources = config.sources.len();
            summary.sources_enabled = config.sources.iter().filter(|s| s.enabled).count();
            summary.topics = config.topics.len();
            summary.channels = config.channels.len();
            summary.alerts = config.alerts.len();
            channel_problems = channel_notices(&config);
            config.dictionaries.dir
        }
        Err(e) => {
            match &e {
                LoadError::Syntax {
                    line,
                    column,
                    message,
                } => problems.push(Problem {
                    file: config_file.clone(),
                    location: format!("line {line}, column {column}"),
                    message: format!("not valid TOML: {message}"),
                }),
                LoadError::Invalid(list) => problems.extend(list.iter().map(|c| Problem {
                    file: config_file.clone(),
                    location: c.path.clone(),
                    message: c.message.clone(),
                })),
            }
            base.join("dictionaries")
        }
    };

    let mut dict_file = |name: &str, parse: &dyn Fn(&str) -> (usize, Vec<DictProblem>)| {
        let path = dict_dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let (count, found) = parse(&text);
                problems.extend(found.into_iter().map(|d| Problem {
                    file: path.display().to_string(),
                    location: format!("line {}", d.line),
                    message: d.message,
                }));
                count
            }
            Err(e) => {
                problems.push(Problem {
                    file: path.display().to_string(),
                    location: "file".into(),
                    message: format!("cannot read it ({e}): restore it or set [dictionaries].dir"),
                });
                0
            }
        }
    };
    summary.user_words = dict_file(dictionaries::USER_DICT, &|t| {
        let (entries, problems) = dictionaries::parse_user_dict(t);
        (entries.len(), problems)
    });
    summary.stop_words = dict_file(dictionaries::STOP_WORDS, &|t| {
        let (words, problems) = dictionaries::parse_word_list(t);
        (words.len(), problems)
    });

    // the search index must agree with the store
    if problems.is_empty()
        && let Some(dir) = &data_dir
    {
        match crate::context::classifier(cli, true)
            .and_then(|s| crate::data_cmd::agreement(dir, s.classifier.analyzer().clone()))
        {
            Ok(found) => problems.extend(found.into_iter().map(|message| Problem {
                file: dir.display().to_string(),
                location: "index".into(),
                message,
            })),
            Err(e) => problems.push(Problem {
                file: dir.display().to_string(),
                location: "store".into(),
                message: format!("{e:#}"),
            }),
        }
    }
    let report = Report {
        ok: problems.is_empty(),
        config: config_file,
        summary,
        problems,
        notices: channel_problems
            .into_iter()
            .chain(data_dir.as_deref().map(notices).unwrap_or_default())
            .collect(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_human(&report, &dict_dir);
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn print_human(report: &Report, dict_dir: &Path) {
    let s = &report.summary;
    println!("配置 {}", report.config);
    println!(
        "  单位 {}  来源 {}（启用 {}）  专题 {}  预警规则 {}  预警通道 {}",
        s.units, s.sources, s.sources_enabled, s.topics, s.alerts, s.channels
    );
    println!(
        "词典 {}\n  用户词 {}  停用词 {}",
        PathBuf::from(dict_dir).display(),
        s.user_words,
        s.stop_words
    );
    if !report.notices.is_empty() {
        println!("注意 (notices):");
        for n in &report.notices {
            println!("  {n}");
        }
    }
    if report.ok {
        println!("检查通过 (ok): no problems found");
        return;
    }
    println!();
    for p in &report.problems {
        println!("{}: {}: {}", p.file, p.location, p.message);
    }
    println!();
    println!(
        "发现 {} 个问题 ({} problem(s)): fix them and run `yuqing check` again",
        report.problems.len(),
        report.problems.len()
    );
}
