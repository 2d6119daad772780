//! One scan: for each source, read its list pages or feed (conditional GET, content hash,
//! pagination), fetch the article pages not yet seen (and those whose last fetch failed),
//! re-check recent articles for edits and deletions, extract and analyse each page on the
//! blocking pool, and hand the results to the writer thread. Every fetch outcome is counted
//! in the crawler's status vocabulary and the source's health is recorded.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;
use yuqing_classify::Classifier;
use yuqing_config::Config;
use yuqing_crawl::{FetchError, Fetcher, Page, Request, Status};
use yuqing_extract::{ArticleDraft, Extracted, Input, ListResult, canonicalize};
use yuqing_model::{Source, SourceKind};
use yuqing_store::{HealthUpdate, Outcome, PageState, Recheck};

use crate::writer::{Loaded, StoreWriter};
use crate::{Analyzed, Draft, Units, analyze};

/// Which stored articles a scan re-checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecheckMode {
    /// Those from the last `recheck_days` not checked for `recheck_hours`.
    Due,
    /// Every article from the last `recheck_days`.
    All,
    Never,
}

/// Progress as it happens.
#[derive(Clone, Debug)]
pub enum Event {
    Fetched { source: String },
    Stored { source: String, outcome: Outcome },
    SourceDone(SourceReport),
}

/// What a scan did for one source.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SourceReport {
    pub id: String,
    pub name: String,
    /// HTTP requests answered or failed (list pages, feeds, articles, re-checks).
    pub fetched: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub failed: u64,
    /// Links outside the source's hosts, or denied by robots.txt.
    pub skipped: u64,
    /// Fetch outcomes by status name.
    pub statuses: BTreeMap<String, u64>,
    /// One line per failure: `status url: message`.
    pub errors: Vec<String>,
    /// Whether the list pages or feed could be read at all.
    pub reached: bool,
    pub seconds: f64,
}

impl SourceReport {
    fn count(&mut self, status: Status) {
        *self
            .statuses
            .entry(status.as_str().to_string())
            .or_default() += 1;
    }

    fn fail(&mut self, e: &FetchError) {
        self.count(e.status);
        if e.status == Status::RobotsDenied {
            self.skipped += 1;
            return;
        }
        self.failed += 1;
        self.error(e.status, &e.url, &e.message);
    }

    fn error(&mut self, status: Status, url: &str, message: &str) {
        const MAX_ERRORS: usize = 50;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(format!("{status} {url}: {message}"));
        }
    }

    /// Whether the source failed this scan.
    pub fn is_failure(&self) -> bool {
        self.failed > 0 || !self.reached
    }

    /// The status that best describes the scan: the most frequent failure, else ok.
    pub fn headline(&self) -> String {
        self.statuses
            .iter()
            .filter(|(k, _)| Status::parse(k).is_some_and(Status::is_failure))
            .max_by_key(|(_, n)| **n)
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| {
                if self.new + self.updated > 0 || self.statuses.contains_key("ok") {
                    "ok".into()
                } else {
                    "not-modified".into()
                }
            })
    }
}

/// Totals over all sources.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    pub sources: usize,
    pub failed_sources: usize,
    pub fetched: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub failed: u64,
    pub skipped: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ScanReport {
    pub sources: Vec<SourceReport>,
    pub totals: Totals,
    pub started_at: String,
    pub seconds: f64,
}

impl ScanReport {
    fn total(sources: Vec<SourceReport>, started: DateTime<Utc>) -> ScanReport {
        let mut t = Totals {
            sources: sources.len(),
            ..Totals::default()
        };
        for s in &sources {
            t.failed_sources += usize::from(s.is_failure());
            t.fetched += s.fetched;
            t.new += s.new;
            t.updated += s.updated;
            t.unchanged += s.unchanged;
            t.deleted += s.deleted;
            t.failed += s.failed;
            t.skipped += s.skipped;
        }
        ScanReport {
            sources,
            totals: t,
            started_at: started.to_rfc3339(),
            seconds: (Utc::now() - started).num_milliseconds() as f64 / 1000.0,
        }
    }
}

/// The fetcher settings `[crawl]` asks for.
pub fn fetch_settings(config: &Config) -> yuqing_crawl::Settings {
    let c = &config.crawl;
    yuqing_crawl::Settings {
        user_agent: c.user_agent.clone(),
        timeout: Duration::from_secs(c.timeout_s),
        connect_timeout: Duration::from_secs(c.connect_timeout_s),
        retries: c.retries,
        max_bytes: c.max_page_bytes,
        allow_private: c.allow_private,
        concurrency: c.concurrency,
        per_host_concurrency: c.per_host_concurrency,
        delay: Duration::from_millis(c.delay_ms),
        ..yuqing_crawl::Settings::default()
    }
}

/// Everything a scan needs; shared by the sources scanned at once.
pub struct Collector {
    pub config: Arc<Config>,
    pub fetcher: Arc<Fetcher>,
    pub writer: StoreWriter,
    pub classifier: Arc<Classifier>,
    pub units: Arc<Units>,
    /// Extraction and analysis running at once (CPU-bound, on the blocking pool).
    pub analysis: Arc<Semaphore>,
    pub progress: Arc<dyn Fn(&Event) + Send + Sync>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector").finish_non_exhaustive()
    }
}

/// A link to collect.
struct Found {
    url: Url,
    key: String,
    /// A full-text feed entry: no page to fetch.
    entry: Option<ArticleDraft>,
    /// The feed the entry came from (kept as the entry's raw bytes).
    feed: Option<Arc<Vec<u8>>>,
    title: Option<String>,
}

/// The per-source facts every fetch of the source needs.
struct Ctx {
    source: Source,
    delay: Duration,
    hosts: Vec<String>,
    page_kind: SourceKind,
}

impl Ctx {
    fn new(config: &Config, source: &Source) -> Ctx {
        let mut hosts: Vec<String> = source
            .urls
            .iter()
            .filter_map(|u| Url::parse(u).ok()?.host_str().map(str::to_string))
            .collect();
        hosts.dedup();
        Ctx {
            delay: Duration::from_millis(config.source_delay_ms(source)),
            hosts,
            page_kind: match source.kind {
                SourceKind::Wechat => SourceKind::Wechat,
                _ => SourceKind::Html,
            },
            source: source.clone(),
        }
    }

    fn request(&self, url: Url, state: Option<&PageState>) -> Request {
        Request {
            url,
            etag: state.and_then(|s| s.etag.clone()),
            last_modified: state.and_then(|s| s.last_modified.clone()),
            headers: self.source.headers.clone(),
            header_hosts: self.hosts.clone(),
            delay: Some(self.delay),
        }
    }

    /// Whether a link belongs to this source: its own hosts, the hosts it lists, and for a
    /// WeChat source the WeChat hosts.
    fn in_scope(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        if self.source.kind == SourceKind::Wechat && yuqing_extract::canonical::is_wechat_host(host)
        {
            return true;
        }
        self.hosts
            .iter()
            .any(|base| yuqing_extract::list::same_site(host, base, &self.source.allowed_hosts))
    }

    fn state(
        &self,
        url: &str,
        kind: &str,
        page: Option<&Page>,
        status: Status,
        failures: i64,
    ) -> PageState {
        PageState {
            url: url.to_string(),
            source: self.source.id.clone(),
            kind: kind.to_string(),
            etag: page.and_then(|p| p.etag.clone()),
            last_modified: page.and_then(|p| p.last_modified.clone()),
            content_hash: page
                .filter(|p| !p.not_modified)
                .map(|p| content_hash(&p.body)),
            last_fetch: Some(Utc::now().to_rfc3339()),
            status: Some(status.as_str().to_string()),
            failures,
        }
    }
}

fn content_hash(bytes: &[u8]) -> i64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    }) as i64
}

/// The crawl-state status of a link found on a list page or in a feed and not fetched yet.
const PENDING: &str = "pending";

/// Scans in a row that try again a page whose fetch failed.
const MAX_RETRY_SCANS: i64 = 5;

/// Statuses worth trying again at the next scan.
fn retry_later(status: Status) -> bool {
    status.is_transient() || status == Status::Http4xx || status == Status::Tls
}

/// What one article task ended in.
enum Done {
    Stored(Outcome),
    Deleted(bool),
    NotModified,
    Failed(Status, String, String),
    Skipped,
}

impl Collector {
    /// Scans the sources (all at once; the fetcher keeps every host's limits).
    pub async fn scan(self: &Arc<Self>, sources: Vec<Source>, mode: RecheckMode) -> ScanReport {
        let started = Utc::now();
        let mut set = JoinSet::new();
        for (i, source) in sources.into_iter().enumerate() {
            let this = self.clone();
            set.spawn(async move { (i, this.scan_source(source, mode).await) });
        }
        let mut done = Vec::new();
        while let Some(r) = set.join_next().await {
            match r {
                Ok(x) => done.push(x),
                Err(e) => tracing::error!(error = %e, "a source task stopped"),
            }
        }
        done.sort_by_key(|(i, _)| *i);
        let mut reports: Vec<SourceReport> = done.into_iter().map(|(_, r)| r).collect();
        if let Err(e) = self.writer.flush().await {
            // what the sources stored is in SQLite but not yet searchable: every source of the
            // scan reports it (the next scan or import indexes it)
            tracing::error!(error = %e, "committing the index failed");
            for r in &mut reports {
                r.count(Status::Store);
                r.failed += 1;
                r.error(
                    Status::Store,
                    &r.id.clone(),
                    &format!("the search index commit failed: {e} (the articles are stored; the next scan indexes them)"),
                );
            }
        }
        ScanReport::total(reports, started)
    }

    async fn scan_source(self: Arc<Self>, source: Source, mode: RecheckMode) -> SourceReport {
        let started = Utc::now();
        let clock = std::time::Instant::now();
        let mut rep = SourceReport {
            id: source.id.clone(),
            name: source
                .name
                .clone()
                .or_else(|| self.config.unit(&source.unit).map(|u| u.name.clone()))
                .unwrap_or_else(|| source.id.clone()),
            ..SourceReport::default()
        };
        let crawl = &self.config.crawl;
        let since = started - chrono::Duration::days(i64::from(crawl.recheck_days));
        let recheck = match mode {
            RecheckMode::Never => None,
            RecheckMode::All => Some((since, None)),
            RecheckMode::Due => Some((
                since,
                Some(started - chrono::Duration::hours(i64::from(crawl.recheck_hours))),
            )),
        };
        let loaded = match self.writer.load(&source.id, recheck).await {
            Ok(l) => l,
            Err(e) => {
                rep.count(Status::Store);
                rep.error(
                    Status::Store,
                    &source.id,
                    &format!("cannot read the crawl state: {e}"),
                );
                rep.failed += 1;
                return rep;
            }
        };
        let ctx = Arc::new(Ctx::new(&self.config, &source));
        let mut found = match source.kind {
            SourceKind::Html => self.read_lists(&ctx, &loaded, &mut rep).await,
            SourceKind::Feed | SourceKind::Wechat => self.read_feed(&ctx, &loaded, &mut rep).await,
        };
        // pages whose last fetch failed for a reason that may pass are tried again
        let mut keys: HashSet<String> = found.iter().map(|f| f.key.clone()).collect();
        for s in loaded.states.values() {
            // a link found by a scan that stopped before fetching it is pending
            let failed = s.kind == "article"
                && s.failures < MAX_RETRY_SCANS
                && (s.status.as_deref() == Some(PENDING)
                    || s.status
                        .as_deref()
                        .and_then(Status::parse)
                        .is_some_and(retry_later));
            if failed
                && !loaded.known.contains(&s.url)
                && keys.insert(s.url.clone())
                && let Ok(url) = Url::parse(&s.url)
            {
                found.push(Found {
                    url,
                    key: s.url.clone(),
                    entry: None,
                    feed: None,
                    title: None,
                });
            }
        }
        let mut tasks = JoinSet::new();
        for f in found {
            let failures = loaded.states.get(&f.key).map_or(0, |s| s.failures);
            let (this, ctx) = (self.clone(), ctx.clone());
            tasks.spawn(async move { this.collect(&ctx, f, failures).await });
        }
        for r in loaded.recheck {
            let (this, ctx) = (self.clone(), ctx.clone());
            tasks.spawn(async move { this.recheck(&ctx, r).await });
        }
        while let Some(done) = tasks.join_next().await {
            let Ok((fetched, done)) = done else {
                rep.failed += 1;
                continue;
            };
            rep.fetched += u64::from(fetched);
            match done {
                Done::Stored(outcome) => {
                    rep.count(Status::Ok);
                    match outcome {
                        Outcome::New => rep.new += 1,
                        Outcome::Updated => rep.updated += 1,
                        Outcome::Unchanged => rep.unchanged += 1,
                    }
                    (self.progress)(&Event::Stored {
                        source: source.id.clone(),
                        outcome,
                    });
                }
                Done::Deleted(was_live) => {
                    rep.count(Status::Deleted);
                    rep.deleted += u64::from(was_live);
                }
                Done::NotModified => {
                    rep.count(Status::NotModified);
                    rep.unchanged += 1;
                }
                Done::Skipped => rep.skipped += 1,
                Done::Failed(status, url, message) => rep.fail(&FetchError {
                    url,
                    status,
                    code: None,
                    message,
                }),
            }
        }
        rep.seconds = clock.elapsed().as_secs_f64();
        let update = HealthUpdate {
            at: started,
            ok: !rep.is_failure(),
            status: rep.headline(),
            error: rep.errors.first().cloned(),
            counts: rep.statuses.clone(),
        };
        if let Err(e) = self.writer.health(&source.id, update).await {
            tracing::error!(source = %source.id, error = %e, "recording health failed");
        }
        (self.progress)(&Event::SourceDone(rep.clone()));
        rep
    }

    /// Records the links just found as pending together with their list pages' state, in one
    /// transaction: a list page is marked seen only with its links, so a scan killed before
    /// fetching them leaves them for the next scan instead of losing them behind an unchanged
    /// list page.
    async fn mark_pending(
        &self,
        ctx: &Ctx,
        loaded: &Loaded,
        found: &[Found],
        lists: Vec<PageState>,
        rep: &mut SourceReport,
    ) {
        let mut states: Vec<PageState> = found
            .iter()
            .filter(|f| !loaded.states.contains_key(&f.key))
            .map(|f| PageState {
                status: Some(PENDING.to_string()),
                ..ctx.state(&f.key, "article", None, Status::Ok, 0)
            })
            .collect();
        states.extend(lists);
        if let Err(e) = self.writer.states(states).await {
            rep.count(Status::Store);
            rep.failed += 1;
            rep.error(Status::Store, &ctx.source.id, &e);
        }
    }

    /// Records one page's state; a failure is logged (the page is fetched again next time).
    async fn put_state(&self, state: PageState) {
        let (source, url) = (state.source.clone(), state.url.clone());
        if let Err(e) = self.writer.states(vec![state]).await {
            tracing::error!(source, url, error = %e, "recording a page's state failed");
        }
    }

    async fn fetch(&self, ctx: &Ctx, req: &Request) -> Result<Page, FetchError> {
        let r = self.fetcher.fetch(req).await;
        (self.progress)(&Event::Fetched {
            source: ctx.source.id.clone(),
        });
        r
    }

    /// List pages: the start URLs and their next pages, up to the pagination depth; stops at
    /// an unchanged page or a page with nothing new.
    async fn read_lists(&self, ctx: &Ctx, loaded: &Loaded, rep: &mut SourceReport) -> Vec<Found> {
        let max_pages = self.config.source_max_pages(&ctx.source).max(1);
        let mut found: Vec<Found> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut states = Vec::new();
        for start in &ctx.source.urls {
            let Ok(mut url) = Url::parse(start) else {
                continue;
            };
            for depth in 0..max_pages {
                let Some((key, page)) = self.fetch_list(ctx, loaded, &url, rep, &mut states).await
                else {
                    break;
                };
                let links = match self.list_links(ctx, &page, rep).await {
                    Ok(l) => l,
                    Err((status, message)) => {
                        rep.count(status);
                        rep.failed += 1;
                        rep.error(status, url.as_str(), &message);
                        break;
                    }
                };
                rep.count(Status::Ok);
                states.push(ctx.state(&key, "list", Some(&page), Status::Ok, 0));
                let mut fresh = 0;
                for (link, title) in links.links {
                    let Ok(u) = Url::parse(&link) else { continue };
                    if !ctx.in_scope(&u) {
                        rep.skipped += 1;
                        continue;
                    }
                    let k = canonicalize(u.as_str()).unwrap_or_else(|| u.to_string());
                    if loaded.known.contains(&k) || !seen.insert(k.clone()) {
                        continue;
                    }
                    fresh += 1;
                    found.push(Found {
                        url: u,
                        key: k,
                        entry: None,
                        feed: None,
                        title,
                    });
                }
                // an older page with nothing new means the rest was collected before
                if depth > 0 && fresh == 0 {
                    break;
                }
                match links.next.and_then(|n| url.join(&n).ok()) {
                    Some(next) if next != url => url = next,
                    _ => break,
                }
            }
        }
        self.mark_pending(ctx, loaded, &found, states, rep).await;
        found
    }

    /// Fetches a list page or feed by conditional GET. `None` when it failed (counted) or is
    /// unchanged since the last scan (its state recorded); otherwise its key and the page.
    async fn fetch_list(
        &self,
        ctx: &Ctx,
        loaded: &Loaded,
        url: &Url,
        rep: &mut SourceReport,
        states: &mut Vec<PageState>,
    ) -> Option<(String, Page)> {
        let key = canonicalize(url.as_str()).unwrap_or_else(|| url.to_string());
        let old = loaded.states.get(&key);
        rep.fetched += 1;
        let page = match self.fetch(ctx, &ctx.request(url.clone(), old)).await {
            Ok(p) => p,
            Err(e) => {
                rep.fail(&e);
                return None;
            }
        };
        rep.reached = true;
        let old_hash = old.and_then(|s| s.content_hash);
        if page.not_modified || old_hash == Some(content_hash(&page.body)) {
            rep.count(Status::NotModified);
            let mut st = ctx.state(&key, "list", Some(&page), Status::NotModified, 0);
            st.content_hash = old_hash;
            states.push(st);
            return None;
        }
        Some((key, page))
    }

    /// The links of one list page (for jpaas columns, of the unit-build calls it makes).
    async fn list_links(
        &self,
        ctx: &Ctx,
        page: &Page,
        rep: &mut SourceReport,
    ) -> Result<Links, (Status, String)> {
        let listed = extract_list(ctx, page, page.url.as_str()).await?;
        match listed {
            ListResult::Page(p) => Ok(Links::from(p)),
            ListResult::Requests(requests) => {
                let mut out = Links::default();
                for r in requests {
                    let Ok(u) = Url::parse(&r.url) else { continue };
                    let mut req = ctx.request(u, None);
                    req.headers.extend(r.headers.clone());
                    rep.fetched += 1;
                    match self.fetch(ctx, &req).await {
                        Ok(p) => {
                            rep.count(Status::Ok);
                            if let ListResult::Page(lp) =
                                extract_list(ctx, &p, page.url.as_str()).await?
                            {
                                out.links.extend(Links::from(lp).links);
                            }
                        }
                        Err(e) => rep.fail(&e),
                    }
                }
                Ok(out)
            }
        }
    }

    /// A feed (RSS, Atom, JSON Feed) or a WeChat mirror feed.
    async fn read_feed(&self, ctx: &Ctx, loaded: &Loaded, rep: &mut SourceReport) -> Vec<Found> {
        let mut found: Vec<Found> = Vec::new();
        let mut seen = HashSet::new();
        let mut states = Vec::new();
        for start in &ctx.source.urls {
            let Ok(url) = Url::parse(start) else { continue };
            let Some((key, page)) = self.fetch_list(ctx, loaded, &url, rep, &mut states).await
            else {
                continue;
            };
            let bytes = Arc::new(page.body.clone());
            let feed = {
                let (b, u, cs) = (bytes.clone(), page.url.to_string(), page.charset.clone());
                let source = ctx.source.clone();
                tokio::task::spawn_blocking(move || {
                    let mut input = Input::new(&b, &u);
                    input.http_charset = cs.as_deref();
                    input.kind = Some(SourceKind::Feed);
                    input.source = Some(&source);
                    yuqing_extract::extract(&input)
                })
                .await
            };
            let entries = match feed {
                Ok(Ok(Extracted::Feed(f))) => f.entries,
                Ok(Ok(_)) => {
                    rep.count(Status::Parse);
                    rep.failed += 1;
                    rep.error(Status::Parse, url.as_str(), "not a feed");
                    continue;
                }
                Ok(Err(e)) => {
                    rep.count(Status::Parse);
                    rep.failed += 1;
                    rep.error(Status::Parse, url.as_str(), &e.to_string());
                    continue;
                }
                Err(e) => {
                    rep.failed += 1;
                    rep.error(Status::Parse, url.as_str(), &e.to_string());
                    continue;
                }
            };
            rep.count(Status::Ok);
            states.push(ctx.state(&key, "list", Some(&page), Status::Ok, 0));
            for entry in entries {
                let Ok(u) = Url::parse(&entry.url) else {
                    rep.skipped += 1;
                    continue;
                };
                if !ctx.in_scope(&u) {
                    rep.skipped += 1;
                    continue;
                }
                let k = canonicalize(u.as_str()).unwrap_or_else(|| u.to_string());
                if loaded.known.contains(&k) || !seen.insert(k.clone()) {
                    continue;
                }
                let full = ctx.source.kind == SourceKind::Feed
                    && entry.full_text == Some(true)
                    && !entry.body.trim().is_empty();
                found.push(Found {
                    url: u,
                    key: k,
                    title: Some(entry.title.clone()).filter(|t| !t.is_empty()),
                    feed: full.then(|| bytes.clone()),
                    entry: full.then_some(entry),
                });
            }
        }
        self.mark_pending(ctx, loaded, &found, states, rep).await;
        found
    }

    /// Collects one new article; returns whether a request was made, and the outcome.
    async fn collect(&self, ctx: &Ctx, f: Found, failures: i64) -> (bool, Done) {
        let now = Utc::now();
        if let Some(entry) = f.entry {
            let draft = draft_of(ctx, entry, &f.key, f.feed.map(|b| b.to_vec()), now);
            let state = ctx.state(&f.key, "article", None, Status::Ok, 0);
            return (false, self.keep(draft, state).await);
        }
        let page = match self.fetch(ctx, &ctx.request(f.url.clone(), None)).await {
            Ok(p) => p,
            Err(e) => {
                let state = ctx.state(&f.key, "article", None, e.status, failures + 1);
                self.put_state(state).await;
                if e.status == Status::RobotsDenied {
                    return (false, Done::Failed(e.status, e.url, e.message));
                }
                return (true, Done::Failed(e.status, e.url, e.message));
            }
        };
        let state = ctx.state(&f.key, "article", Some(&page), Status::Ok, 0);
        match self.extract_article(ctx, &page, &f.key, f.title, now).await {
            Ok(Page2::Draft(d)) => (true, self.keep(*d, state).await),
            Ok(Page2::Deleted) => {
                // deleted before we ever stored it: remembered, so it is not fetched again
                let state = PageState {
                    status: Some(Status::Deleted.as_str().into()),
                    ..state
                };
                self.put_state(state).await;
                (true, Done::Deleted(false))
            }
            Err((status, message)) => {
                let state = PageState {
                    status: Some(status.as_str().into()),
                    failures: failures + 1,
                    ..state
                };
                self.put_state(state).await;
                (true, Done::Failed(status, page.url.to_string(), message))
            }
        }
    }

    /// Re-checks a stored article: unchanged (304 or same body), edited (a new version), or
    /// deleted (404/410, a deletion notice).
    async fn recheck(&self, ctx: &Ctx, r: Recheck) -> (bool, Done) {
        let now = Utc::now();
        let Ok(url) = Url::parse(&r.url) else {
            return (false, Done::Skipped);
        };
        let key = canonicalize(url.as_str()).unwrap_or_else(|| url.to_string());
        let old = PageState {
            etag: r.etag.clone(),
            last_modified: r.last_modified.clone(),
            ..PageState::default()
        };
        let page = match self.fetch(ctx, &ctx.request(url.clone(), Some(&old))).await {
            Ok(p) => p,
            Err(e) if e.is_gone() => {
                let state = ctx.state(&key, "article", None, Status::Deleted, 0);
                return (true, self.deleted(r.article_id, now, state).await);
            }
            Err(e) => {
                let mut state = ctx.state(&key, "article", None, e.status, 1);
                state.etag = r.etag;
                state.last_modified = r.last_modified;
                self.put_state(state).await;
                return (true, Done::Failed(e.status, e.url, e.message));
            }
        };
        let state = ctx.state(&key, "article", Some(&page), Status::Ok, 0);
        if page.not_modified {
            self.put_state(state).await;
            return (true, Done::NotModified);
        }
        match self.extract_article(ctx, &page, &key, None, now).await {
            Ok(Page2::Draft(mut d)) => {
                // the stored identity wins (a page may lose its canonical link when edited)
                d.url = r.canonical_url;
                (true, self.keep(*d, state).await)
            }
            Ok(Page2::Deleted) => (
                true,
                self.deleted(
                    r.article_id,
                    now,
                    PageState {
                        status: Some(Status::Deleted.as_str().into()),
                        ..state
                    },
                )
                .await,
            ),
            Err((status, message)) => {
                self.put_state(state).await;
                (true, Done::Failed(status, page.url.to_string(), message))
            }
        }
    }

    async fn deleted(&self, id: i64, at: DateTime<Utc>, state: PageState) -> Done {
        match self.writer.deleted(id, at, state).await {
            Ok(was_live) => Done::Deleted(was_live),
            Err(e) => Done::Failed(Status::Store, format!("article {id}"), e),
        }
    }

    async fn store(&self, analyzed: Analyzed, state: PageState) -> Done {
        let url = analyzed.article.url.clone();
        match self.writer.article(analyzed, state).await {
            Ok(up) => Done::Stored(up.outcome),
            Err(e) => Done::Failed(Status::Store, url, format!("could not be stored: {e}")),
        }
    }

    async fn extract_article(
        &self,
        ctx: &Ctx,
        page: &Page,
        key: &str,
        title: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Page2, (Status, String)> {
        let _permit = self.analysis.acquire().await;
        let bytes = page.body.clone();
        let url = page.url.to_string();
        let charset = page.charset.clone();
        let source = ctx.source.clone();
        let kind = ctx.page_kind;
        let key = key.to_string();
        let unit = ctx.source.unit.clone();
        let r = tokio::task::spawn_blocking(move || {
            let mut input = Input::new(&bytes, &url);
            input.http_charset = charset.as_deref();
            input.kind = Some(kind);
            input.source = Some(&source);
            input.fetched_at = Some(now.with_timezone(&yuqing_extract::dates::china()));
            match yuqing_extract::extract(&input) {
                Ok(Extracted::Article(mut a)) => {
                    if a.title.trim().is_empty()
                        && let Some(t) = title
                    {
                        a.title = t;
                    }
                    let ctx = DraftCtx {
                        source: &source.id,
                        unit: &unit,
                    };
                    Ok(Page2::Draft(Box::new(ctx.draft(
                        a,
                        &key,
                        Some(bytes.clone()),
                        now,
                    ))))
                }
                Ok(Extracted::Deleted { .. }) => Ok(Page2::Deleted),
                Ok(Extracted::Blocked { reason, .. }) => Err((Status::Blocked, reason)),
                Ok(Extracted::Feed(_)) => Err((
                    Status::Parse,
                    "a feed where an article page was expected".to_string(),
                )),
                Err(e @ yuqing_extract::ExtractError::Binary { .. }) => {
                    Err((Status::Charset, e.to_string()))
                }
                Err(e) => Err((Status::Parse, e.to_string())),
            }
        })
        .await;
        r.unwrap_or_else(|e| Err((Status::Parse, format!("extraction stopped: {e}"))))
    }

    async fn analyze(&self, d: Draft) -> Result<Analyzed, (Status, String, String)> {
        let _permit = self.analysis.acquire().await;
        let (classifier, units) = (self.classifier.clone(), self.units.clone());
        let url = d.url.clone();
        tokio::task::spawn_blocking(move || analyze(&classifier, &units, d))
            .await
            .map_err(|e| (Status::Parse, url, format!("analysis stopped: {e}")))
    }

    /// Analyses and stores a draft.
    async fn keep(&self, d: Draft, state: PageState) -> Done {
        match self.analyze(d).await {
            Ok(a) => self.store(a, state).await,
            Err((status, url, message)) => Done::Failed(status, url, message),
        }
    }
}

enum Page2 {
    Draft(Box<Draft>),
    Deleted,
}

#[derive(Default)]
struct Links {
    links: Vec<(String, Option<String>)>,
    next: Option<String>,
}

impl From<yuqing_extract::ListPage> for Links {
    fn from(p: yuqing_extract::ListPage) -> Links {
        Links {
            links: p
                .links
                .into_iter()
                .map(|l| (l.url, Some(l.text).filter(|t| !t.is_empty())))
                .collect(),
            next: p.next_page,
        }
    }
}

async fn extract_list(ctx: &Ctx, page: &Page, base: &str) -> Result<ListResult, (Status, String)> {
    let bytes = page.body.clone();
    let url = if page.url.as_str().is_empty() {
        base.to_string()
    } else {
        page.url.to_string()
    };
    let charset = page.charset.clone();
    let source = ctx.source.clone();
    let r = tokio::task::spawn_blocking(move || {
        let mut input = Input::new(&bytes, &url);
        input.http_charset = charset.as_deref();
        input.source = Some(&source);
        yuqing_extract::extract_list(&input)
    })
    .await;
    match r {
        Ok(Ok(l)) => Ok(l),
        Ok(Err(e @ yuqing_extract::ExtractError::Binary { .. })) => {
            Err((Status::Charset, e.to_string()))
        }
        Ok(Err(e)) => Err((Status::Parse, e.to_string())),
        Err(e) => Err((Status::Parse, format!("list extraction stopped: {e}"))),
    }
}

struct DraftCtx<'a> {
    source: &'a str,
    unit: &'a str,
}

impl DraftCtx<'_> {
    fn draft(
        &self,
        a: ArticleDraft,
        page_key: &str,
        raw: Option<Vec<u8>>,
        now: DateTime<Utc>,
    ) -> Draft {
        Draft {
            url: a.url,
            page_url: Some(page_key.to_string()),
            title: a.title,
            body: a.body,
            published_at: a.published_at,
            fetched_at: now,
            source: self.source.to_string(),
            unit: self.unit.to_string(),
            kind: a.kind.as_str().to_string(),
            author: a.author,
            origin: a.origin,
            site_name: a.site_name,
            raw,
        }
    }
}

fn draft_of(
    ctx: &Ctx,
    entry: ArticleDraft,
    key: &str,
    raw: Option<Vec<u8>>,
    now: DateTime<Utc>,
) -> Draft {
    let mut d = DraftCtx {
        source: &ctx.source.id,
        unit: &ctx.source.unit,
    }
    .draft(entry, key, raw, now);
    d.kind = "feed".into();
    d
}
