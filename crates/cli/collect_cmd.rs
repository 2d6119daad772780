//! `yuqing scan`, `yuqing run` and `yuqing demo`: collection wired to the store and index.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use yuqing_config::Config;
use yuqing_crawl::Fetcher;
use yuqing_model::Source;
use yuqing_pipeline::Units;
use yuqing_pipeline::scan::{Collector, Event, RecheckMode, ScanReport, fetch_settings};
use yuqing_pipeline::writer::StoreWriter;

use crate::context::{self, UsageError};
use crate::data_cmd;
use crate::{Cli, alerts_cmd, report_cmd, table};

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Scan this source (repeatable); without it, the sources whose schedule is due.
    #[arg(long = "source", value_name = "ID")]
    sources: Vec<String>,
    /// Scan every enabled source, due or not.
    #[arg(long, conflicts_with = "sources")]
    all: bool,
    /// Re-check every recent article for edits and deletions (default: those not checked for
    /// `recheck_hours`).
    #[arg(long, conflicts_with = "no_recheck")]
    recheck: bool,
    /// Re-check nothing this time.
    #[arg(long)]
    no_recheck: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {}

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Where the demo writes its configuration, data and reports (its data is replaced).
    #[arg(long, default_value = "demo")]
    dir: PathBuf,
}

/// Everything collection needs, built from a configuration.
struct Parts {
    collector: Arc<Collector>,
    writer_thread: std::thread::JoinHandle<yuqing_pipeline::Result<()>>,
    last_scans: HashMap<String, DateTime<Utc>>,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Opens the store and index, starts the writer thread and builds the collector.
fn parts(
    config: Config,
    data: &Path,
    progress: Arc<dyn Fn(&Event) + Send + Sync>,
) -> anyhow::Result<Parts> {
    let setup = context::setup_with(Some(config.clone()), false)?;
    let store = data_cmd::open_store(data)?;
    let last_scans = store
        .health()?
        .into_iter()
        .filter_map(|h| {
            let t = DateTime::parse_from_rfc3339(h.last_scan.as_deref()?).ok()?;
            Some((h.source, t.with_timezone(&Utc)))
        })
        .collect();
    let index = data_cmd::open_index(data, setup.classifier.analyzer().clone())?;
    let fetcher = Fetcher::new(fetch_settings(&config)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (writer, writer_thread) =
        StoreWriter::start(store, index, 100_000_000).context("cannot start the store writer")?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let collector = Arc::new(Collector {
        units: Arc::new(Units::new(&config.units)),
        config: Arc::new(config),
        fetcher: Arc::new(fetcher),
        writer,
        classifier: Arc::new(setup.classifier),
        analysis: Arc::new(tokio::sync::Semaphore::new(cpus)),
        progress,
    });
    Ok(Parts {
        collector,
        writer_thread,
        last_scans,
    })
}

impl Parts {
    /// Drops the collector and waits for the writer to commit.
    fn finish(self) -> anyhow::Result<()> {
        drop(self.collector);
        match self.writer_thread.join() {
            Ok(r) => r.context("the store writer failed"),
            Err(_) => anyhow::bail!("the store writer stopped unexpectedly"),
        }
    }
}

fn require_config(cli: &Cli) -> anyhow::Result<Config> {
    context::load_config(cli)?.ok_or_else(|| {
        UsageError(format!(
            "no configuration at {}: run yuqing from the folder that holds sources.toml, pass --config PATH, or try `yuqing demo`",
            cli.config.display()
        ))
        .into()
    })
}

/// Which sources a scan covers.
fn choose(
    config: &Config,
    args: &ScanArgs,
    last: &HashMap<String, DateTime<Utc>>,
) -> anyhow::Result<Vec<Source>> {
    if !args.sources.is_empty() {
        let mut out = Vec::new();
        for id in &args.sources {
            match config.source(id) {
                Some(s) => out.push(s.clone()),
                None => {
                    let known: Vec<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
                    return Err(UsageError(format!(
                        "no source \"{id}\" in the configuration (known: {})",
                        known.join(", ")
                    ))
                    .into());
                }
            }
        }
        return Ok(out);
    }
    let enabled = config.sources.iter().filter(|s| s.enabled);
    if args.all {
        return Ok(enabled.cloned().collect());
    }
    let tz = config.schedule.timezone;
    let now = Utc::now().with_timezone(&tz);
    Ok(enabled
        .filter(|s| match last.get(&s.id) {
            None => true,
            Some(t) => config
                .source_schedule(s)
                .missed_between(&t.with_timezone(&tz), &now)
                .is_some(),
        })
        .cloned()
        .collect())
}

/// Progress on a terminal (a bar) or as plain lines.
fn progress(total_sources: Arc<AtomicUsize>, quiet: bool) -> Arc<dyn Fn(&Event) + Send + Sync> {
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr()) && !quiet;
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(std::time::Duration::from_millis(200));
        b
    });
    let (done, pages, new) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    Arc::new(move |e: &Event| {
        match e {
            Event::Fetched { .. } => {
                pages.fetch_add(1, Ordering::Relaxed);
            }
            Event::Stored { outcome, .. } => {
                if *outcome == yuqing_store::Outcome::New {
                    new.fetch_add(1, Ordering::Relaxed);
                }
            }
            Event::SourceDone(r) => {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                // a new scan starts counting again (the demo scans twice)
                let _ = done.compare_exchange(
                    total_sources.load(Ordering::Relaxed),
                    0,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
                if bar.is_none() && !quiet {
                    eprintln!(
                        "[{n}/{}] {}: 新增 {} · 更新 {} · 失败 {} ({:.1} 秒)",
                        total_sources.load(Ordering::Relaxed),
                        r.id,
                        r.new,
                        r.updated,
                        r.failed,
                        r.seconds
                    );
                }
            }
        }
        if let Some(b) = &bar {
            if b.is_finished() {
                b.reset();
                b.enable_steady_tick(std::time::Duration::from_millis(200));
            }
            b.set_message(format!(
                "来源 {}/{} · 请求 {} · 新文章 {}",
                done.load(Ordering::Relaxed),
                total_sources.load(Ordering::Relaxed),
                pages.load(Ordering::Relaxed),
                new.load(Ordering::Relaxed)
            ));
            if done.load(Ordering::Relaxed) == 0 && matches!(e, Event::SourceDone(_)) {
                b.finish_and_clear();
            }
        }
    })
}

pub fn scan(cli: &Cli, args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let config = require_config(cli)?;
    let data = data_cmd::data_dir(cli)?;
    let total = Arc::new(AtomicUsize::new(0));
    let parts = parts(config, &data, progress(total.clone(), args.json))?;
    let sources = choose(&parts.collector.config, args, &parts.last_scans)?;
    if sources.is_empty() {
        parts.finish()?;
        println!(
            "没有到期的来源 (no source is due): `yuqing scan --all` scans every enabled source now"
        );
        return Ok(ExitCode::SUCCESS);
    }
    total.store(sources.len(), Ordering::Relaxed);
    let mode = if args.recheck {
        RecheckMode::All
    } else if args.no_recheck {
        RecheckMode::Never
    } else {
        RecheckMode::Due
    };
    let rt = runtime()?;
    let collector = parts.collector.clone();
    let config = parts.collector.config.clone();
    let report = rt.block_on(async move { collector.scan(sources, mode).await });
    parts.finish()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    // the alert rules run once the scan's articles are committed
    let mut alerts_failed = false;
    if !config.alerts.is_empty() {
        match alerts_cmd::pass(&config, &data, false, rt.handle()) {
            Ok(p) => {
                alerts_failed = p.delivered.failed > 0;
                if args.json {
                    eprintln!("{}", alerts_cmd::summary(&p));
                } else {
                    println!("{}", alerts_cmd::summary(&p));
                }
            }
            Err(e) => {
                alerts_failed = true;
                eprintln!(
                    "error: the alerts were not evaluated: {e:#} (the scan's articles are stored; `yuqing alerts run` tries again)"
                );
            }
        }
    }
    drop(rt);
    Ok(if report.totals.failed_sources > 0 || alerts_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The per-source table and the failures, for staff.
pub fn print_report(report: &ScanReport) {
    let mut rows = vec![vec![
        "来源".to_string(),
        "名称".into(),
        "请求".into(),
        "新增".into(),
        "更新".into(),
        "未变".into(),
        "删除".into(),
        "失败".into(),
        "状态".into(),
        "用时".into(),
    ]];
    for s in &report.sources {
        let status = s.headline();
        let label = yuqing_crawl::Status::parse(&status)
            .map_or(status.clone(), |st| format!("{status} {}", st.label()));
        rows.push(vec![
            s.id.clone(),
            s.name.clone(),
            s.fetched.to_string(),
            s.new.to_string(),
            s.updated.to_string(),
            s.unchanged.to_string(),
            s.deleted.to_string(),
            s.failed.to_string(),
            label,
            format!("{:.1}s", s.seconds),
        ]);
    }
    print!("{}", table::render(&rows, &[2, 3, 4, 5, 6, 7, 9]));
    let failing: Vec<_> = report
        .sources
        .iter()
        .filter(|s| !s.errors.is_empty())
        .collect();
    if !failing.is_empty() {
        println!("\n失败明细 (failures):");
        for s in failing {
            for e in s.errors.iter().take(8) {
                println!("  {}: {e}", s.id);
            }
            if s.errors.len() > 8 {
                println!(
                    "  {}: … {} more (see `yuqing scan --json`)",
                    s.id,
                    s.errors.len() - 8
                );
            }
        }
    }
    let t = &report.totals;
    println!(
        "\n扫描完成: {} 个来源, 请求 {} 次, 新增 {} 篇, 更新 {} 篇, 删除 {} 篇, 失败 {} 次; {} 个来源失败 ({:.1} 秒)",
        t.sources,
        t.fetched,
        t.new,
        t.updated,
        t.deleted,
        t.failed,
        t.failed_sources,
        report.seconds
    );
}

pub fn run(cli: &Cli, _args: &RunArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let config = require_config(cli)?;
    let data = data_cmd::data_dir(cli)?;
    let parts = parts(config, &data, Arc::new(|_: &Event| {}))?;
    let sources: Vec<Source> = parts
        .collector
        .config
        .sources
        .iter()
        .filter(|s| s.enabled)
        .cloned()
        .collect();
    tracing::info!(sources = sources.len(), data = %data.display(), "yuqing run: started");
    let jobs = report_jobs(&parts.collector.config, &data)?;
    let rt = runtime()?;
    let collector = parts.collector.clone();
    let last = parts.last_scans.clone();
    let summary = rt.block_on(async move {
        yuqing_pipeline::daemon::run(
            collector,
            sources,
            last,
            jobs,
            Arc::new(|r: &ScanReport| {
                for s in r.sources.iter().filter(|s| s.is_failure()) {
                    tracing::warn!(source = %s.id, status = %s.headline(), failed = s.failed, first_error = s.errors.first().map(String::as_str).unwrap_or(""), "source failed");
                }
            }),
            shutdown_signal(),
        )
        .await
    });
    drop(rt);
    parts.finish()?;
    tracing::info!(
        scans = summary.scans,
        overlaps_skipped = summary.overlaps_skipped,
        scans_panicked = summary.scans_panicked,
        "yuqing run: stopped cleanly"
    );
    // a scan that panicked is a failure the operator must hear of, even after a clean stop
    Ok(if summary.scans_panicked > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The daily brief and the weekly report (sent when `[mail]` is configured) on their schedules.
fn report_jobs(
    config: &Arc<Config>,
    data: &Path,
) -> anyhow::Result<Vec<yuqing_pipeline::daemon::Job>> {
    let store = data_cmd::open_store(data)?;
    let mut jobs = Vec::new();
    for kind in ["daily", "weekly"] {
        let cron = if kind == "daily" {
            config.schedule.daily_brief.clone()
        } else {
            config.schedule.weekly_report.clone()
        };
        let (config, data) = (config.clone(), data.to_path_buf());
        let run = move |now: DateTime<Utc>| -> Result<String, String> {
            let mut store = data_cmd::open_store(&data).map_err(|e| format!("{e:#}"))?;
            if kind == "daily" {
                let p = report_cmd::make_daily(
                    &config,
                    &mut store,
                    yuqing_report::data::default_day(now),
                )
                .map_err(|e| format!("{e:#}"))?;
                return Ok(format!("daily brief {} written", p.rendered.id));
            }
            let week = yuqing_report::Week::previous_to(now);
            let p =
                report_cmd::make_weekly(&config, &mut store, week).map_err(|e| format!("{e:#}"))?;
            if config.mail.is_none() {
                return Ok(format!(
                    "weekly report {} written (no [mail]: not sent)",
                    p.rendered.id
                ));
            }
            let handle = tokio::runtime::Handle::current();
            let line = report_cmd::deliver(&config, &mut store, &p, false, &handle)
                .map_err(|e| format!("{e:#}"))?;
            Ok(format!("weekly report {} written; {line}", p.rendered.id))
        };
        jobs.push(yuqing_pipeline::daemon::Job {
            name: format!("{kind} report"),
            cron,
            last_run: store.last_report(kind)?,
            after_scan: false,
            run: Arc::new(run),
        });
    }
    if !config.alerts.is_empty() {
        // after every scan, and every ten minutes for held (quiet-hours) and failed deliveries
        // and for silent units
        let (config, data) = (config.clone(), data.to_path_buf());
        let run = move |_now: DateTime<Utc>| -> Result<String, String> {
            let handle = tokio::runtime::Handle::current();
            let p =
                alerts_cmd::pass(&config, &data, false, &handle).map_err(|e| format!("{e:#}"))?;
            let line = alerts_cmd::summary(&p);
            if p.delivered.failed > 0 {
                Err(line)
            } else {
                Ok(line)
            }
        };
        jobs.push(yuqing_pipeline::daemon::Job {
            name: "alerts".into(),
            cron: yuqing_config::Cron::parse("0 */10 * * * *")
                .map_err(|e| anyhow::anyhow!("the alerts schedule: {e}"))?,
            last_run: None,
            after_scan: true,
            run: Arc::new(run),
        });
    }
    Ok(jobs)
}

pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("YUQING_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}

/// The dictionaries, cue lexicons and model built into the binary, written as files.
fn write_builtin_dictionaries(dir: &Path) -> anyhow::Result<()> {
    let d = yuqing_text::Dictionaries::builtin();
    let l = yuqing_classify::Lexicons::builtin();
    std::fs::create_dir_all(dir.join("cues"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in [
        ("user.dict", d.user_dict.as_str()),
        ("stopwords.txt", d.stop_words.as_str()),
        ("aliases.txt", d.aliases.as_str()),
        ("cues/typical_person.txt", l.person.as_str()),
        ("cues/typical_event.txt", l.event.as_str()),
        ("cues/typical_case.txt", l.case.as_str()),
        ("typical.model.json", yuqing_classify::BUILTIN_MODEL),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

pub fn demo(cli: &Cli, args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = &args.dir;
    let data = dir.join("data");
    let reports = dir.join("reports");
    if data.exists() {
        std::fs::remove_dir_all(&data)
            .with_context(|| format!("cannot clear the old demo data in {}", data.display()))?;
    }
    std::fs::create_dir_all(&reports)
        .with_context(|| format!("cannot create {}", reports.display()))?;
    // the demo uses the project's dictionaries (those of --config when it exists)
    let dictionaries = match context::load_config(cli) {
        Ok(Some(c)) => c.dictionaries.dir,
        _ => PathBuf::from("dictionaries"),
    };
    let dictionaries = std::path::absolute(&dictionaries).unwrap_or(dictionaries);
    // run from any folder: without the project's dictionaries beside it, the demo writes the
    // built-in ones into its own folder
    let dictionaries = if dictionaries.join("user.dict").is_file() {
        dictionaries
    } else {
        let own = std::path::absolute(dir.join("dictionaries")).unwrap_or(dir.join("dictionaries"));
        write_builtin_dictionaries(&own)?;
        own
    };
    let rt = runtime()?;
    let mut web = rt
        .block_on(yuqing_sampleweb::SampleWeb::start_demo())
        .context("cannot start the sample web on 127.0.0.1")?;
    let config_path = dir.join("sources.toml");
    let text = web.demo_config("data", "reports", &dictionaries.display().to_string());
    std::fs::write(&config_path, &text)
        .with_context(|| format!("cannot write {}", config_path.display()))?;
    let mut config = Config::parse(&text)
        .map_err(|e| anyhow::anyhow!("the demo configuration is invalid: {e}"))?;
    config.rebase(dir);
    println!("yuqing 演示 (demo): 本机示例网站已启动 (sample web on 127.0.0.1):");
    for (name, addr) in web.sites() {
        println!("  {name:<9} http://{addr}/");
    }
    println!("配置 (configuration): {}", config_path.display());
    let sources: Vec<Source> = config.sources.clone();
    let total = Arc::new(AtomicUsize::new(sources.len()));
    let parts = parts(config, &data, progress(total, false))?;
    let collector = parts.collector.clone();

    println!(
        "\n第一次扫描 (first scan): 收集所有文章; 故障示例站的失败是故意的 (the faults site fails on purpose)"
    );
    let first = rt.block_on({
        let (c, s) = (collector.clone(), sources.clone());
        async move { c.scan(s, RecheckMode::Never).await }
    });
    print_report(&first);

    println!("\n第二次扫描 (second scan): 列表页和订阅源未变 (304), 并复查已收文章的修改和删除");
    let second = rt.block_on({
        let (c, s) = (collector.clone(), sources.clone());
        async move { c.scan(s, RecheckMode::All).await }
    });
    print_report(&second);
    drop(collector);
    web.stop();
    drop(rt);
    parts.finish()?;

    let mut store = data_cmd::open_store(&data)?;
    println!(
        "\n库中共 {} 篇文章 (articles stored) in {}",
        store.count()?,
        data.display()
    );

    // the reports of the demo's week and its last day
    let mut config = Config::parse(&std::fs::read_to_string(&config_path)?)
        .map_err(|e| anyhow::anyhow!("the demo configuration is invalid: {e}"))?;
    config.rebase(dir);
    let week = yuqing_report::Week::parse(yuqing_sampleweb::DEMO_WEEK).context("demo week")?;
    let weekly = report_cmd::make_weekly(&config, &mut store, week)?;
    let day = chrono::NaiveDate::parse_from_str(yuqing_sampleweb::DEMO_LAST_DAY, "%Y-%m-%d")?;
    let daily = report_cmd::make_daily(&config, &mut store, day)?;
    println!("\n报告 (reports):");
    for f in weekly.files.iter().chain(&daily.files) {
        println!("  {}", f.display());
    }
    println!(
        "  {}  (全部报告 index)",
        reports.join("index.html").display()
    );

    println!("\n试试 (try):");
    let config_arg = config_path.display();
    println!("  cargo run --release -- --config {config_arg} search 科普");
    println!("  cargo run --release -- --config {config_arg} search 'tag:典型人' --json");
    println!("  cargo run --release -- --config {config_arg} search 十九大 --csv > 十九大.csv");
    println!(
        "  cargo run --release -- --config {config_arg} report weekly --week {}",
        yuqing_sampleweb::DEMO_WEEK
    );
    Ok(ExitCode::SUCCESS)
}
