//! `yuqing alerts run|test|list`, and the alert pass `yuqing scan` and the daemon run after
//! every commit: the rules of `[[alert]]` over the store, delivered to `[[channel]]`s.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use yuqing_alert::deliver::{self, BoxFuture, Delivered, Fired, Limiter, Resolved, Transport};
use yuqing_alert::rules::{self, Context};
use yuqing_config::Config;
use yuqing_index::{SearchRequest, Sort};
use yuqing_model::Watch;
use yuqing_report::mail::{MailSettings, Outgoing};

use crate::context::{self, UsageError};
use crate::{Cli, data_cmd, report_cmd, table};

#[derive(clap::Subcommand, Debug)]
pub enum AlertsCommand {
    /// Evaluate every [[alert]] rule now and send what is new (and what is still pending).
    Run {
        /// Show what would fire; record and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a test message to one [[channel]] (nothing is recorded).
    Test {
        /// The channel id.
        channel: String,
    },
    /// The alerts of the last days with their deliveries.
    List {
        /// How many days back.
        #[arg(long, default_value_t = 7)]
        days: i64,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The HTTP poster of `crawl` and the mailer of `report`, as the alert engine needs them.
struct Wire {
    poster: yuqing_crawl::Poster,
    mail: Result<MailSettings, String>,
}

impl Wire {
    fn new(config: &Config) -> anyhow::Result<Wire> {
        let timeout = Duration::from_secs(config.crawl.timeout_s.clamp(1, 60));
        let poster = yuqing_crawl::Poster::new(&config.crawl.user_agent, timeout)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mail = report_cmd::mail_settings(config).map_err(|e| format!("{e:#}"));
        Ok(Wire { poster, mail })
    }
}

impl Transport for Wire {
    fn post_json<'a>(
        &'a self,
        url: &'a str,
        body: &'a Value,
    ) -> BoxFuture<'a, Result<(u16, String), String>> {
        Box::pin(self.poster.post_json(url, body))
    }

    fn send_mail<'a>(
        &'a self,
        to: &'a [String],
        subject: &'a str,
        text: &'a str,
        html: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut settings = self.mail.clone()?;
            settings.to = to.to_vec();
            settings.cc.clear();
            let m = Outgoing {
                subject: subject.to_string(),
                text: text.to_string(),
                html: html.to_string(),
                images: Vec::new(),
                attachments: Vec::new(),
            };
            yuqing_report::mail::send(&settings, &m)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// What one alert pass did.
#[derive(Debug, Default, Serialize)]
pub struct Pass {
    pub fired: Vec<Fired>,
    pub delivered: Delivered,
    pub dry_run: bool,
}

fn settings() -> deliver::Settings {
    let mut s = deliver::Settings::default();
    if let Some(n) = std::env::var("YUQING_ALERT_ATTEMPTS")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
    {
        s.attempts = n.clamp(1, 10);
    }
    s
}

/// The channels with their addresses and secrets from the environment.
pub fn resolved_channels(config: &Config) -> Vec<Resolved> {
    config
        .channels
        .iter()
        .map(|c| Resolved::from_env(c, |name| std::env::var(name).ok()))
        .collect()
}

/// For rules that watch a query: the ids of the recent articles it matches.
fn query_hits(
    config: &Config,
    data: &Path,
    since: chrono::DateTime<Utc>,
) -> anyhow::Result<HashMap<String, HashSet<i64>>> {
    let mut out = HashMap::new();
    let queries: Vec<(&str, &str)> = config
        .alerts
        .iter()
        .filter_map(|r| match &r.watch {
            Some(Watch::Query(q)) => Some((r.id.as_str(), q.as_str())),
            _ => None,
        })
        .collect();
    if queries.is_empty() {
        return Ok(out);
    }
    let setup = context::setup_with(Some(config.clone()), true)?;
    let index = data_cmd::open_index(data, setup.classifier.analyzer().clone())?;
    for (rule, query) in queries {
        let req = SearchRequest {
            query: query.to_string(),
            from: Some(since.date_naive()),
            to: None,
            sources: Vec::new(),
            units: Vec::new(),
            kinds: Vec::new(),
            tags: Vec::new(),
            topics: Vec::new(),
            sort: Sort::default(),
            limit: 10_000,
            offset: 0,
            collapse: false,
        };
        let hits = index.search(&req).map_err(|e| {
            UsageError(format!(
                "alert[{rule}].query \"{query}\" cannot be searched: {e}: fix the query (try it with `yuqing search`)"
            ))
        })?;
        out.insert(
            rule.to_string(),
            hits.hits.iter().map(|h| h.id as i64).collect(),
        );
    }
    Ok(out)
}

/// Evaluates every rule against the store in `data` and (unless `dry_run`) delivers what is
/// pending. `rt` drives the sends; call from a thread that may block.
pub fn pass(
    config: &Config,
    data: &Path,
    dry_run: bool,
    rt: &tokio::runtime::Handle,
) -> anyhow::Result<Pass> {
    if config.alerts.is_empty() {
        return Ok(Pass {
            dry_run,
            ..Pass::default()
        });
    }
    let now = Utc::now();
    let mut store = data_cmd::open_store(data)?;
    let back = config
        .alerts
        .iter()
        .map(rules::lookback)
        .max()
        .unwrap_or_default();
    let since = now - back - chrono::Duration::hours(1);
    let rows = store.report_rows(since, now + chrono::Duration::hours(1))?;
    let last_times = store.source_last_times()?;
    let hits = query_hits(config, data, since)?;
    let ctx = Context {
        now,
        tz: config.schedule.timezone,
        rows: &rows,
        units: &config.units,
        sources: &config.sources,
        topics: &config.topics,
        last_times: &last_times,
        query_hits: &hits,
        base_url: config.web.base_url.as_ref(),
    };
    let fired = deliver::fire(&mut store, &config.alerts, &ctx, dry_run)
        .context("cannot record the alerts")?;
    if dry_run {
        return Ok(Pass {
            fired,
            delivered: Delivered::default(),
            dry_run,
        });
    }
    let wire = Wire::new(config)?;
    let channels = resolved_channels(config);
    let mut limiter = Limiter::default();
    let delivered = rt
        .block_on(deliver::deliver(
            &mut store,
            &config.alerts,
            &channels,
            &wire,
            &mut limiter,
            &settings(),
            config.schedule.timezone,
            now,
        ))
        .context("cannot record the alert deliveries")?;
    Ok(Pass {
        fired,
        delivered,
        dry_run,
    })
}

/// One line for logs and for the end of `yuqing scan`.
pub fn summary(p: &Pass) -> String {
    if p.dry_run {
        return format!(
            "预警 (alerts): {} 条将触发 (would fire; dry run)",
            p.fired.len()
        );
    }
    let d = &p.delivered;
    let mut line = format!(
        "预警 (alerts): 新触发 {} 条, 已发送 {}, 失败 {}, 静默期暂缓 {}",
        p.fired.len(),
        d.sent,
        d.failed,
        d.held
    );
    if d.failed > 0 {
        let first = d
            .attempts
            .iter()
            .rev()
            .find_map(|a| a.error.as_ref().map(|e| format!("{}: {e}", a.channel)));
        if let Some(e) = first {
            line.push_str(&format!(
                " — {e} (`yuqing alerts test CHANNEL` checks a channel)"
            ));
        }
    }
    line
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

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn print_pass(p: &Pass) {
    if p.fired.is_empty() {
        println!("没有新的预警 (no new alerts)");
    }
    for f in &p.fired {
        println!(
            "〔{}〕{}  → {}",
            f.alert.kind.label(),
            f.alert.title,
            f.channels.join(", ")
        );
        if !f.alert.summary.is_empty() {
            println!("    {}", f.alert.summary);
        }
        for it in f.alert.items.iter().take(5) {
            println!(
                "    [{}] {} · {} · {}",
                it.article_id, it.time, it.unit_name, it.title
            );
        }
        if f.alert.items.len() > 5 {
            println!("    … {} more", f.alert.items.len() - 5);
        }
    }
    for a in &p.delivered.attempts {
        if let Some(e) = &a.error {
            println!("发送失败 (failed) {}: {e}", a.channel);
        }
    }
    println!("{}", summary(p));
}

pub fn run(cli: &Cli, cmd: &AlertsCommand) -> anyhow::Result<ExitCode> {
    let config = require_config(cli)?;
    let data = data_cmd::data_dir(cli)?;
    match cmd {
        AlertsCommand::Run { dry_run, json } => {
            if config.alerts.is_empty() {
                println!(
                    "没有配置预警规则 (no [[alert]] rules in {}): see the README, section 预警",
                    cli.config.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let rt = runtime()?;
            let p = pass(&config, &data, *dry_run, rt.handle())?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&p)?);
            } else {
                print_pass(&p);
            }
            Ok(if p.delivered.failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        AlertsCommand::Test { channel } => {
            let Some(c) = config.channels.iter().find(|c| &c.id == channel) else {
                let known: Vec<&str> = config.channels.iter().map(|c| c.id.as_str()).collect();
                return Err(UsageError(format!(
                    "no channel \"{channel}\" in the configuration (known: {})",
                    if known.is_empty() {
                        "none: add a [[channel]]".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
                .into());
            };
            let resolved = Resolved::from_env(c, |name| std::env::var(name).ok());
            let wire = Wire::new(&config)?;
            let rt = runtime()?;
            let tz = config.schedule.timezone;
            match rt.block_on(deliver::test_channel(&resolved, &wire, Utc::now(), tz)) {
                Ok(()) => {
                    println!(
                        "测试消息已发送到 {} ({}) (test message delivered)",
                        c.id,
                        c.kind.label()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    anyhow::bail!(
                        "the test message to channel {} was not delivered: {e}",
                        c.id
                    )
                }
            }
        }
        AlertsCommand::List { days, json } => {
            let store = data_cmd::open_store(&data)?;
            let since = Utc::now() - chrono::Duration::days((*days).clamp(1, 3650));
            let alerts = store.alerts_since(since, 1000)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&alerts)?);
                return Ok(ExitCode::SUCCESS);
            }
            let mut rows = vec![vec![
                "编号".to_string(),
                "触发时间".into(),
                "规则".into(),
                "类别".into(),
                "标题".into(),
                "发送".into(),
            ]];
            for a in &alerts {
                let kind = yuqing_model::AlertKind::parse(&a.kind)
                    .map_or(a.kind.clone(), |k| k.label().to_string());
                let mut per: Vec<String> = Vec::new();
                let mut channels: Vec<&str> =
                    a.deliveries.iter().map(|d| d.channel.as_str()).collect();
                channels.sort_unstable();
                channels.dedup();
                for ch in channels {
                    let last = a.deliveries.iter().rfind(|d| d.channel == ch);
                    if let Some(d) = last {
                        per.push(format!("{ch} {}", d.status.label()));
                    }
                }
                rows.push(vec![
                    a.id.to_string(),
                    a.fired_at.clone(),
                    a.rule.clone(),
                    kind,
                    a.title.clone(),
                    if per.is_empty() {
                        "未发送".into()
                    } else {
                        per.join("; ")
                    },
                ]);
            }
            if alerts.is_empty() {
                println!("近 {days} 天没有预警 (no alerts in the last {days} days)");
            } else {
                print!("{}", table::render(&rows, &[0]));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
