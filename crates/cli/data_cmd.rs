//! `yuqing import`, `search`, `reindex` and `label`: the store and the search index.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use yuqing_index::{SearchIndex, SearchRequest, Sort};
use yuqing_model::Tag;
use yuqing_pipeline::{ImportItem, Ingest, Units};
use yuqing_store::Store;

use crate::context::{self, Progress};
use crate::{Cli, UsageError};

/// The tantivy index folder inside the data directory.
pub const INDEX_DIR: &str = "search";
/// How long a command waits for another process to release the search index writer
/// (`YUQING_WAIT_SECS`, default ten minutes): the daemon holds it only while it scans.
fn wait_limit() -> std::time::Duration {
    std::time::Duration::from_secs(
        std::env::var("YUQING_WAIT_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(600),
    )
}

/// Where `yuqing reindex` builds the new index before swapping it in.
pub const FRESH_INDEX_DIR: &str = "search.new";

/// The data directory: `--data`, else `[storage].dir` from the configuration, else `index/`.
pub fn data_dir(cli: &Cli) -> anyhow::Result<PathBuf> {
    if let Some(d) = &cli.data {
        return Ok(d.clone());
    }
    match context::load_config(cli)? {
        Some(c) => Ok(c.storage.dir),
        None => Ok(PathBuf::from("index")),
    }
}

pub fn open_store(dir: &Path) -> anyhow::Result<Store> {
    if let Ok(n) = Store::pending_migrations(dir)
        && n > 0
    {
        eprintln!(
            "升级数据库结构 (upgrading the store in {} by {n} schema step(s)): indexes are rebuilt, a large store takes a minute or two",
            dir.display()
        );
    }
    Store::open(dir).with_context(|| format!("cannot open the store in {}", dir.display()))
}

pub fn open_index(dir: &Path, analyzer: yuqing_text::Analyzer) -> anyhow::Result<SearchIndex> {
    SearchIndex::open(&dir.join(INDEX_DIR), analyzer).map_err(|e| anyhow::anyhow!("{e}"))
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// JSON Lines: `{"url","title","text","published_at","source","unit"}` per line; `-` reads standard input.
    file: PathBuf,
    /// Analysis threads (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
}

pub fn import(cli: &Cli, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let setup = context::classifier(cli, false)?;
    let config = context::load_config(cli)?;
    let units = config
        .as_ref()
        .map_or_else(Units::default, |c| Units::new(&c.units));
    // a unit id the configuration does not know would count for no unit in the reports
    let known_units: Option<std::collections::HashSet<String>> = config
        .as_ref()
        .filter(|c| !c.units.is_empty())
        .map(|c| c.units.iter().map(|u| u.id.clone()).collect());
    let dir = data_dir(cli)?;
    let mut store = open_store(&dir)?;
    let index = open_index(&dir, setup.classifier.analyzer().clone())?;
    let reader: Box<dyn BufRead + Send> = if args.file.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(&args.file)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", args.file.display())))?;
        Box::new(std::io::BufReader::with_capacity(1 << 20, f))
    };
    let total_hint = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let writer =
        yuqing_pipeline::wait_for_writer(&index, 300_000_000, Some(wait_limit()), "the import")?;
    let mut ingest = Ingest::with_writer(&mut store, &index, writer)?;
    // articles a crash left out of the index go in first
    let caught = ingest.catch_up(&mut |_| {})?;
    if caught > 0 {
        eprintln!("indexed {caught} article(s) left over from an interrupted run");
    }
    let bad = std::sync::Mutex::new(Vec::<String>::new());
    let drafts = reader.lines().enumerate().filter_map(|(i, line)| {
        let line = line.ok()?;
        if line.trim().is_empty() {
            return None;
        }
        let parsed = serde_json::from_str::<ImportItem>(&line)
            .map_err(|e| format!("not an article object ({e})"))
            .and_then(|item| match (&known_units, item.unit.as_deref()) {
                (Some(known), Some(u)) if !u.is_empty() && !known.contains(u) => Err(format!(
                    "unit \"{u}\" is not a unit of the configuration (see [[unit]] ids in {})",
                    cli.config.display()
                )),
                _ => Ok(item),
            })
            .and_then(ImportItem::into_draft);
        match parsed {
            Ok(d) => Some(d),
            Err(e) => {
                if let Ok(mut b) = bad.lock() {
                    b.push(format!("line {}: {e}: skipped", i + 1));
                }
                None
            }
        }
    });
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let start = Instant::now();
    let mut progress = Progress::new("导入 (import)", total_hint);
    let counts = ingest.run(&setup.classifier, &units, drafts, threads, &mut |c| {
        progress.set(c.new + c.updated + c.unchanged);
    })?;
    progress.finish();
    drop(ingest);
    let bad = bad.into_inner().unwrap_or_default();
    for b in &bad {
        eprintln!("{b}");
    }
    let n = counts.new + counts.updated + counts.unchanged;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "导入完成 (imported): {n} 篇 — 新增 {} · 更新 {} · 未变 {} · 跳过 {} 行; {:.0} 篇/秒; 库中共 {} 篇",
        counts.new,
        counts.updated,
        counts.unchanged,
        bad.len(),
        n as f64 / secs.max(1e-9),
        store.count()?
    );
    Ok(if bad.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// The query: words, "phrases", AND / OR / NOT / -word, (…), title: source: unit: kind: tag: topic: date:A..B
    query: String,
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Option<String>,
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<String>,
    #[arg(long)]
    source: Vec<String>,
    #[arg(long)]
    unit: Vec<String>,
    /// Unit kind (机关, 全国学会, 地方科协, 媒体, 其他).
    #[arg(long)]
    kind: Vec<String>,
    #[arg(long)]
    tag: Vec<String>,
    #[arg(long)]
    topic: Vec<String>,
    #[arg(long, default_value = "relevance", value_parser = ["relevance", "newest"])]
    sort: String,
    #[arg(long, default_value_t = 20)]
    limit: usize,
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Show every article instead of one per story.
    #[arg(long)]
    all: bool,
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// CSV in UTF-8 with a BOM (opens in Excel with Chinese intact).
    #[arg(long)]
    csv: bool,
}

fn parse_day(s: &Option<String>, flag: &str) -> anyhow::Result<Option<NaiveDate>> {
    match s {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| UsageError(format!("--{flag} {v}: use YYYY-MM-DD")).into()),
    }
}

/// Strips the `<b>` markup of a snippet and unescapes it, marking matches with 【】.
fn plain_snippet(s: &str) -> String {
    s.replace("<b>", "【")
        .replace("</b>", "】")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The Chinese labels of stored tag ids (典型人, 典型事, 典型案例).
fn tag_labels(tags: &[String]) -> Vec<&'static str> {
    tags.iter()
        .filter_map(|t| Tag::parse(t))
        .map(Tag::label)
        .collect()
}

pub fn search(cli: &Cli, args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let dir = data_dir(cli)?;
    let setup = context::classifier(cli, true)?;
    let store = open_store(&dir)?;
    let index = open_index(&dir, setup.classifier.analyzer().clone())?;
    let req = SearchRequest {
        query: args.query.clone(),
        from: parse_day(&args.from, "from")?,
        to: parse_day(&args.to, "to")?,
        sources: args.source.clone(),
        units: args.unit.clone(),
        kinds: args.kind.clone(),
        tags: args.tag.clone(),
        topics: args.topic.clone(),
        sort: Sort::parse(&args.sort).unwrap_or_default(),
        limit: args.limit.clamp(1, 10_000),
        offset: args.offset,
        collapse: !args.all,
    };
    let results = index.search(&req).map_err(|e| match e {
        yuqing_index::IndexError::Query(q) => anyhow::Error::from(UsageError(q.to_string())),
        other => anyhow::anyhow!("{other}"),
    })?;
    let clusters: Vec<i64> = results.hits.iter().map(|h| h.cluster as i64).collect();
    let sizes: std::collections::HashMap<i64, i64> =
        store.cluster_sizes(&clusters)?.into_iter().collect();
    let reposts = |c: u64| {
        sizes
            .get(&(c as i64))
            .copied()
            .unwrap_or(1)
            .saturating_sub(1)
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let hits: Vec<serde_json::Value> = results
            .hits
            .iter()
            .map(|h| {
                serde_json::json!({
                    "id": h.id, "url": h.url, "title": h.title, "published_at": h.published_at,
                    "source": h.source, "unit": h.unit, "tags": h.tags, "topics": h.topics,
                    "snippet": h.snippet, "score": h.score, "cluster": h.cluster,
                    "reposts": reposts(h.cluster), "status": h.status,
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            serde_json::json!({"total": results.total, "hits": hits})
        )?;
    } else if args.csv {
        write!(out, "\u{feff}")?;
        writeln!(
            out,
            "编号,标题,单位,来源,发布时间,典型标签,专题,转载数,状态,链接,摘要"
        )?;
        for h in &results.hits {
            let tags = tag_labels(&h.tags);
            let row = [
                h.id.to_string(),
                h.title.clone(),
                h.unit.clone(),
                h.source.clone(),
                h.published_at.clone().unwrap_or_default(),
                tags.join("、"),
                h.topics.join("、"),
                reposts(h.cluster).to_string(),
                h.status.clone(),
                h.url.clone(),
                plain_snippet(&h.snippet).replace(['【', '】'], ""),
            ];
            let line: Vec<String> = row.iter().map(|f| yuqing_model::csv::field(f)).collect();
            write!(out, "{}\r\n", line.join(","))?;
        }
    } else {
        writeln!(
            out,
            "共 {} 篇 (total matches); 显示 {} 条{}",
            results.total,
            results.hits.len(),
            if req.collapse {
                "（同一报道合并）"
            } else {
                ""
            }
        )?;
        for h in &results.hits {
            let tags = tag_labels(&h.tags);
            let date = h
                .published_at
                .as_deref()
                .map_or("          ", |d| &d[..10.min(d.len())]);
            let r = reposts(h.cluster);
            writeln!(
                out,
                "\n[{}] {}  {}{}{}",
                h.id,
                date,
                h.title,
                if tags.is_empty() {
                    String::new()
                } else {
                    format!("  〔{}〕", tags.join("、"))
                },
                if r > 0 {
                    format!("  转载 {r}")
                } else {
                    String::new()
                }
            )?;
            writeln!(out, "    {} · {} · {}", h.unit, h.source, h.url)?;
            writeln!(out, "    {}", plain_snippet(&h.snippet))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args, Debug)]
pub struct ReindexArgs {
    /// Rebuild even when the store is empty and the index is not (the index's copy is lost).
    #[arg(long)]
    force: bool,
}

pub fn reindex(cli: &Cli, args: &ReindexArgs) -> anyhow::Result<ExitCode> {
    let dir = data_dir(cli)?;
    let setup = context::classifier(cli, true)?;
    let analyzer = setup.classifier.analyzer().clone();
    let db = dir.join(yuqing_store::DB_FILE);
    let live_dir = dir.join(INDEX_DIR);
    let fresh_dir = dir.join(FRESH_INDEX_DIR);
    let old_dir = dir.join(format!("{INDEX_DIR}.old"));
    if !db.is_file() || std::fs::metadata(&db).is_ok_and(|m| m.len() == 0) {
        return Err(UsageError(format!(
            "the database {} is missing or empty: restore it from a backup first; a rebuild from it would erase the search index's copy of the articles",
            db.display()
        ))
        .into());
    }
    let mut store = open_store(&dir)?;
    // the live index stays untouched until the new one is complete; holding its writer keeps
    // the daemon and imports out while the new one is built and swapped in
    let live = if live_dir.join("meta.json").is_file() {
        match SearchIndex::open(&live_dir, analyzer.clone()) {
            Ok(i) => Some(i),
            // a damaged or outdated index is what a rebuild is for
            Err(e) => {
                eprintln!("note: {e}");
                None
            }
        }
    } else {
        None
    };
    let guard = match &live {
        Some(i) => {
            match yuqing_pipeline::wait_for_writer(i, 15_000_000, Some(wait_limit()), "the rebuild")
            {
                Ok(w) => Some(w),
                Err(yuqing_pipeline::PipelineError::Index(yuqing_index::IndexError::Busy {
                    ..
                })) => {
                    return Err(anyhow::anyhow!(
                        "the search index in {} was still being written by another yuqing process (a scan, an import) after {} s: let it finish, then run `yuqing reindex` again; nothing was changed",
                        live_dir.display(),
                        wait_limit().as_secs()
                    ));
                }
                Err(e) => return Err(anyhow::anyhow!("{e}")),
            }
        }
        None => None,
    };
    let total = store.count()? as u64;
    let indexed_now = live.as_ref().map_or(0, SearchIndex::count);
    if total == 0 && indexed_now > 0 && !args.force {
        return Err(UsageError(format!(
            "the store in {} holds no articles but the search index holds {indexed_now}: the database may have been replaced or lost; restore yuqing.db from a backup (`yuqing reindex --force` rebuilds an empty index anyway)",
            dir.display()
        ))
        .into());
    }
    if fresh_dir.exists() {
        // left by an interrupted rebuild
        std::fs::remove_dir_all(&fresh_dir)
            .with_context(|| format!("cannot clear {}", fresh_dir.display()))?;
    }
    let fresh = SearchIndex::open(&fresh_dir, analyzer).map_err(|e| anyhow::anyhow!("{e}"))?;
    store.mark_all_unindexed()?;
    let start = Instant::now();
    let mut progress = Progress::new("重建索引 (reindex)", total);
    let mut ingest = Ingest::new(&mut store, &fresh, 300_000_000)?;
    ingest.batch = 5000;
    let n = ingest.catch_up(&mut |done| progress.set(done))?;
    progress.finish();
    drop(ingest);
    drop(fresh);
    // the swap: two renames in one folder; readers (the web page) follow the new meta.json
    if old_dir.exists() {
        std::fs::remove_dir_all(&old_dir)
            .with_context(|| format!("cannot clear {}", old_dir.display()))?;
    }
    if live_dir.exists() {
        std::fs::rename(&live_dir, &old_dir)
            .with_context(|| format!("cannot move the old index {} aside", live_dir.display()))?;
    }
    std::fs::rename(&fresh_dir, &live_dir).with_context(|| {
        format!(
            "cannot move the new index into place: it is complete in {}; move it to {} by hand",
            fresh_dir.display(),
            live_dir.display()
        )
    })?;
    drop(guard);
    drop(live);
    if let Err(e) = std::fs::remove_dir_all(&old_dir) {
        eprintln!(
            "note: the previous index could not be removed ({e}): delete {} by hand",
            old_dir.display()
        );
    }
    println!(
        "索引重建完成 (reindexed): {n} 篇, {:.1} 秒",
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args, Debug)]
pub struct LabelArgs {
    /// The article's id (as `yuqing search` shows it).
    article: i64,
    /// typical_person | typical_event | typical_case (or 典型人 / 典型事 / 典型案例).
    #[arg(long)]
    tag: String,
    /// The tag does not apply (default: it does).
    #[arg(long)]
    remove: bool,
    /// Who makes the correction (default: the login name).
    #[arg(long)]
    analyst: Option<String>,
}

pub fn label(cli: &Cli, args: &LabelArgs) -> anyhow::Result<ExitCode> {
    let tag = Tag::parse(&args.tag).ok_or_else(|| {
        UsageError(format!(
            "unknown tag \"{}\": use typical_person, typical_event or typical_case",
            args.tag
        ))
    })?;
    let dir = data_dir(cli)?;
    let mut store = open_store(&dir)?;
    let analyst = args
        .analyst
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "analyst".into());
    let label = match store.apply_label(args.article, tag.as_str(), !args.remove, &analyst) {
        Ok(l) => l,
        Err(yuqing_store::StoreError::NoArticle(id)) => {
            return Err(UsageError(format!(
                "no article with id {id}: find ids with `yuqing search`"
            ))
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    let setup = context::classifier(cli, true)?;
    let index = open_index(&dir, setup.classifier.analyzer().clone())?;
    // the label is a fact once stored: when another process holds the index writer, the index
    // follows at that process's next catch-up (scan, import, reindex) instead
    let taken = yuqing_pipeline::wait_for_writer(
        &index,
        50_000_000,
        Some(wait_limit().min(std::time::Duration::from_secs(10))),
        "the label",
    )
    .and_then(|w| Ingest::with_writer(&mut store, &index, w));
    let index_note = match taken {
        Ok(mut ingest) => {
            ingest.catch_up(&mut |_| {})?;
            None
        }
        Err(yuqing_pipeline::PipelineError::Index(yuqing_index::IndexError::Busy { .. })) => Some(
            "检索索引正被另一进程写入 (the search index is busy: the daemon or an import holds it); the label is saved and search follows at its next scan or import",
        ),
        Err(e) => return Err(e.into()),
    };
    if let Some(note) = index_note {
        eprintln!("{note}");
    }
    println!(
        "已记录 (recorded): 文章 {} {} {}（{}，原{}）",
        label.article_id,
        if label.applies { "标为" } else { "去除" },
        tag.label(),
        label.analyst,
        if label.was_tagged {
            "有此标签"
        } else {
            "无此标签"
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Whether the store and the index are whole and agree: the database present, non-empty and
/// passing its integrity check; the index's files all there with their checksums; counts,
/// nothing left unindexed, a sample of ids; no interrupted rebuild. Every problem says what to
/// run, and none advises a rebuild that would erase the last copy of the text.
pub fn agreement(dir: &Path, analyzer: yuqing_text::Analyzer) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let db = dir.join(yuqing_store::DB_FILE);
    let index_dir = dir.join(INDEX_DIR);
    let has_index = index_dir.join("meta.json").is_file();
    if dir.join(FRESH_INDEX_DIR).exists() {
        problems.push(format!(
            "an interrupted `yuqing reindex` left {}: run `yuqing reindex` again (the live index was not touched)",
            dir.join(FRESH_INDEX_DIR).display()
        ));
    }
    let db_len = std::fs::metadata(&db).map(|m| m.len()).ok();
    if db_len.is_none_or(|n| n == 0) {
        if !has_index {
            return Ok(problems);
        }
        let held = SearchIndex::open(&index_dir, analyzer).map_or(0, |i| i.count());
        problems.push(format!(
            "the database {} is {} while the search index holds {held} articles: restore yuqing.db from a backup; do not run `yuqing reindex`, which would rebuild the index from an empty store",
            db.display(),
            if db_len.is_none() { "missing" } else { "empty (0 bytes)" }
        ));
        return Ok(problems);
    }
    let store = match Store::open(dir) {
        Ok(s) => s,
        Err(e) => {
            problems.push(format!(
                "the database {} cannot be opened ({e}): restore it from a backup",
                db.display()
            ));
            return Ok(problems);
        }
    };
    let integrity = store.integrity_check()?;
    if integrity != "ok" {
        problems.push(format!(
            "the database failed its integrity check ({integrity}): restore it from a backup"
        ));
    }
    let stored = store.count()? as u64;
    let index = match SearchIndex::open(&index_dir, analyzer) {
        Ok(i) => i,
        Err(e) => {
            problems.push(e.to_string());
            return Ok(problems);
        }
    };
    match index.damaged_files() {
        Ok(bad) if !bad.is_empty() => problems.push(format!(
            "the search index {} is damaged ({}): run `yuqing reindex` to rebuild it from the store",
            index_dir.display(),
            bad.join(", ")
        )),
        Ok(_) => {}
        Err(e) => problems.push(format!(
            "the search index {} cannot be read ({e}): run `yuqing reindex` to rebuild it from the store",
            index_dir.display()
        )),
    }
    let indexed = index.count();
    let pending = store.unindexed_count()?;
    if stored == 0 && indexed > 0 {
        problems.push(format!(
            "the store holds no articles but the search index holds {indexed}: the database may have been replaced; restore yuqing.db from a backup rather than running `yuqing reindex`"
        ));
    } else if stored != indexed || pending > 0 {
        problems.push(format!(
            "the store has {stored} articles, the search index {indexed} ({pending} not yet indexed): run `yuqing reindex`"
        ));
    }
    let mut missing = 0;
    for id in store.sample_ids(200)? {
        if !index.contains(id as u64)? {
            missing += 1;
        }
    }
    if missing > 0 {
        problems.push(format!("{missing} of 200 sampled articles are missing from the search index: run `yuqing reindex`"));
    }
    Ok(problems)
}
