//! `yuqing report daily|weekly`: gather from the store, write the files, send the weekly e-mail.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use yuqing_config::Config;
use yuqing_report::data::{SourceInfo, TopicInfo, UnitInfo};
use yuqing_report::gather::Catalogue;
use yuqing_report::mail::{MailSettings, Outgoing};
use yuqing_report::{Rendered, Week, html};
use yuqing_store::Store;

use crate::context::{self, UsageError};
use crate::{Cli, data_cmd};

#[derive(clap::Subcommand, Debug)]
pub enum ReportCommand {
    /// The daily brief (default: yesterday, China time).
    Daily {
        /// The day, YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
        /// Print the report data as JSON as well.
        #[arg(long)]
        json: bool,
    },
    /// The weekly monitoring report (default: last complete ISO week).
    Weekly {
        /// The week, e.g. 2026-W48.
        #[arg(long)]
        week: Option<String>,
        /// E-mail it to the recipients in [mail] (once per week).
        #[arg(long)]
        send: bool,
        /// Send even if this week's report was sent before.
        #[arg(long, requires = "send")]
        force: bool,
        /// Print the report data as JSON as well.
        #[arg(long)]
        json: bool,
    },
}

pub fn catalogue(config: &Config) -> Catalogue {
    Catalogue {
        units: config
            .units
            .iter()
            .map(|u| UnitInfo {
                id: u.id.clone(),
                name: u.name.clone(),
                kind: u.kind.label().to_string(),
            })
            .collect(),
        sources: config
            .sources
            .iter()
            .map(|s| SourceInfo {
                id: s.id.clone(),
                name: s
                    .name
                    .clone()
                    .or_else(|| config.unit(&s.unit).map(|u| u.name.clone()))
                    .unwrap_or_else(|| s.id.clone()),
                unit: s.unit.clone(),
                enabled: s.enabled,
            })
            .collect(),
        topics: config
            .topics
            .iter()
            .map(|t| TopicInfo {
                id: t.id.clone(),
                name: t.name.clone(),
            })
            .collect(),
    }
}

/// What a report run did.
#[derive(Debug)]
pub struct Produced {
    pub files: Vec<PathBuf>,
    pub rendered: Rendered,
    pub weekly: Option<yuqing_report::Weekly>,
}

fn record(store: &mut Store, r: &Rendered, files: &[PathBuf]) -> anyhow::Result<()> {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    store.record_report(r.kind, &r.id, &names)?;
    Ok(())
}

pub fn make_weekly(config: &Config, store: &mut Store, week: Week) -> anyhow::Result<Produced> {
    let title = config.mail.as_ref().map_or_else(
        || format!("舆情监测周报 {}", week.label()),
        |m| {
            m.render_subject(&[
                ("year", &week.year.to_string()),
                ("week", &week.week.to_string()),
                ("date", &week.monday().format("%Y-%m-%d").to_string()),
                ("title", "舆情监测周报"),
            ])
        },
    );
    let input = yuqing_report::gather::weekly(store, week, &catalogue(config), Utc::now(), title)?;
    let report = yuqing_report::data::weekly(&input);
    let rendered = Rendered::weekly(&report);
    let files = yuqing_report::write_files(&config.storage.reports_dir, &rendered)?;
    record(store, &rendered, &files)?;
    Ok(Produced {
        files,
        rendered,
        weekly: Some(report),
    })
}

pub fn make_daily(config: &Config, store: &mut Store, day: NaiveDate) -> anyhow::Result<Produced> {
    let input = yuqing_report::gather::daily(store, day, &catalogue(config), Utc::now())?;
    let report = yuqing_report::data::daily(&input);
    let rendered = Rendered::daily(&report);
    let files = yuqing_report::write_files(&config.storage.reports_dir, &rendered)?;
    record(store, &rendered, &files)?;
    Ok(Produced {
        files,
        rendered,
        weekly: None,
    })
}

/// The mail settings, with the password from its environment variable.
pub fn mail_settings(config: &Config) -> anyhow::Result<MailSettings> {
    let m = config.mail.as_ref().ok_or_else(|| {
        UsageError(
            "no [mail] section in the configuration: add one to send the weekly report".into(),
        )
    })?;
    let password = match &m.password_env {
        Some(var) => Some(std::env::var(var).map_err(|_| {
            UsageError(format!(
                "the SMTP password is read from the environment variable {var}, which is not set: export {var}=…"
            ))
        })?),
        None => None,
    };
    Ok(MailSettings {
        smtp_url: m.smtp_url.clone(),
        username: m.username.clone(),
        password,
        from: m.from.clone(),
        to: m.to.clone(),
        cc: m.cc.clone(),
        starttls: m.starttls,
        timeout: Duration::from_secs(m.timeout_s),
    })
}

/// The e-mail of a weekly report: charts as PNG by Content-ID, the tagged articles as CSV.
pub fn weekly_mail(
    report: &yuqing_report::Weekly,
    rendered: &Rendered,
) -> anyhow::Result<Outgoing> {
    let mut images = Vec::new();
    for (cid, title, svg) in html::weekly_charts(report) {
        let png = yuqing_report::png::render(&title, &svg, 2.0)?;
        images.push((cid, png));
    }
    Ok(Outgoing {
        subject: report.title.clone(),
        text: rendered.markdown.clone(),
        html: html::weekly(report, html::Target::Mail),
        images,
        attachments: vec![(
            format!("典型报道-{}.csv", report.id),
            "text/csv; charset=utf-8".into(),
            yuqing_report::tagged_csv(&report.typical),
        )],
    })
}

/// Sends a weekly report unless it was sent before (or `force`); records the outcome.
/// Returns a line for the user.
pub fn deliver(
    config: &Config,
    store: &mut Store,
    produced: &Produced,
    force: bool,
    rt: &tokio::runtime::Handle,
) -> anyhow::Result<String> {
    let r = &produced.rendered;
    if let Some(run) = store.report_run(r.kind, &r.id)?
        && let Some(sent) = run.sent_at
        && !force
    {
        return Ok(format!(
            "{} 已于 {sent} 发送，不重复发送 (already sent; --force sends again)",
            r.id
        ));
    }
    let settings = mail_settings(config)?;
    let report = produced
        .weekly
        .as_ref()
        .context("only the weekly report is mailed")?;
    let outgoing = weekly_mail(report, r)?;
    let attempts = std::env::var("YUQING_MAIL_ATTEMPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let sent = rt.block_on(yuqing_report::mail::send_with_retries(
        &settings,
        &outgoing,
        attempts,
        Duration::from_secs(2),
    ));
    match sent {
        Ok(()) => {
            store.record_delivery(r.kind, &r.id, Ok(()))?;
            Ok(format!("已发送 (sent) to {}", settings.to.join(", ")))
        }
        Err(e) => {
            let msg = e.to_string();
            store.record_delivery(r.kind, &r.id, Err(&msg))?;
            Err(anyhow::anyhow!(
                "the report files were written, but the e-mail was not delivered after {attempts} attempts: {msg}"
            ))
        }
    }
}

fn require_config(cli: &Cli) -> anyhow::Result<Config> {
    context::load_config(cli)?.ok_or_else(|| {
        UsageError(format!(
            "no configuration at {}: pass --config PATH",
            cli.config.display()
        ))
        .into()
    })
}

fn show(p: &Produced, json: bool) {
    for f in &p.files {
        println!("{}", f.display());
    }
    if json {
        println!("{}", p.rendered.json);
    }
}

pub fn run(cli: &Cli, cmd: &ReportCommand) -> anyhow::Result<ExitCode> {
    let config = require_config(cli)?;
    let data = data_cmd::data_dir(cli)?;
    let mut store = data_cmd::open_store(&data)?;
    match cmd {
        ReportCommand::Daily { date, json } => {
            let day = match date {
                Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                    UsageError(format!("--date {d}: use YYYY-MM-DD, e.g. 2026-11-28"))
                })?,
                None => yuqing_report::data::default_day(Utc::now()),
            };
            let p = make_daily(&config, &mut store, day)?;
            println!("日报 {} 已生成 (daily brief written):", p.rendered.id);
            show(&p, *json);
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Weekly {
            week,
            send,
            force,
            json,
        } => {
            let week = match week {
                Some(w) => Week::parse(w).ok_or_else(|| {
                    UsageError(format!("--week {w}: use an ISO week like 2026-W48"))
                })?,
                None => Week::previous_to(Utc::now()),
            };
            let p = make_weekly(&config, &mut store, week)?;
            println!("周报 {} 已生成 (weekly report written):", p.rendered.id);
            show(&p, *json);
            if *send {
                // a worker thread drives the I/O: `Handle::block_on` on a current-thread
                // runtime would wait forever
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .context("cannot start the async runtime")?;
                let line = deliver(&config, &mut store, &p, *force, rt.handle())?;
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
