//! The analysts' web page and JSON API (axum). A thin layer: every request parses and checks
//! its parameters, runs the engine work (SQLite, tantivy) on the blocking pool, and renders
//! HTML (everything scraped is escaped) or JSON. Status codes are chosen here and only here.
//!
//! Security: bound to anything but loopback, every request needs the token (`Authorization:
//! Bearer`, the `yuqing_token` cookie, or `?token=` once, which sets the cookie); label
//! corrections are POSTs that must come from this site (a per-process form token, and the
//! `Origin` checked when sent); the archived original page is served only with a sandboxing
//! Content-Security-Policy; request bodies and result pages are bounded.

mod pages;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use yuqing_index::{SearchIndex, SearchRequest, SearchResults, Sort};
use yuqing_store::Store;

/// Results per page.
pub const PAGE_SIZE: usize = 20;
/// Rows in one export.
pub const EXPORT_MAX: usize = 5000;

/// What the server knows: where the data is, and the names to show for ids.
pub struct AppState {
    pub data_dir: PathBuf,
    pub reports_dir: PathBuf,
    pub index: SearchIndex,
    /// Unit id → (name, kind label).
    pub units: HashMap<String, (String, String)>,
    /// Source id → (name, unit id).
    pub sources: HashMap<String, (String, String)>,
    /// Topic id → name.
    pub topics: Vec<(String, String)>,
    /// Required off loopback.
    pub token: Option<String>,
    /// Embedded in forms; a POST without it is refused.
    pub form_token: String,
    /// Host names (lowercase, without port) answered besides the loopback names and addresses
    /// (`[web].hosts`, and the address the server is bound to); any other `Host` gets 421.
    pub hosts: Vec<String>,
    /// `[[alert]]` and `[[channel]]`, for the alerts page.
    pub alert_rules: Vec<yuqing_model::AlertRule>,
    pub channels: Vec<yuqing_model::Channel>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl AppState {
    pub fn unit_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.units.get(id).map_or(id, |u| u.0.as_str())
    }

    pub fn source_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.sources.get(id).map_or(id, |s| s.0.as_str())
    }

    fn store(&self) -> Result<Store, ApiError> {
        Store::open(&self.data_dir)
            .map_err(|e| ApiError::internal(format!("cannot open the store: {e}")))
    }
}

/// An error with its status, shown as JSON under `/api/` and as a page elsewhere.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub json: bool,
}

impl ApiError {
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            json: false,
        }
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            json: false,
        }
    }
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
            json: false,
        }
    }
    fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
            json: false,
        }
    }
    fn json(mut self) -> ApiError {
        self.json = true;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.json {
            let body = serde_json::json!({"error": self.message, "status": self.status.as_u16()});
            (self.status, axum::Json(body)).into_response()
        } else {
            (
                self.status,
                Html(pages::error_page(self.status, &self.message)),
            )
                .into_response()
        }
    }
}

/// Runs blocking engine work off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("the request stopped: {e}")))?
}

/// The search parameters of the page, the export and the API (the URL carries the whole search).
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: String,
    /// `1`: every article instead of one per story.
    #[serde(default)]
    pub all: String,
}

fn one(v: &str) -> Vec<String> {
    if v.trim().is_empty() {
        Vec::new()
    } else {
        vec![v.trim().to_string()]
    }
}

fn day(v: &str, name: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ApiError::bad(format!("{name}: \"{v}\" is not a date (YYYY-MM-DD)")))
}

impl SearchParams {
    pub fn page_no(&self) -> Result<usize, ApiError> {
        if self.page.trim().is_empty() {
            return Ok(1);
        }
        match self.page.trim().parse::<usize>() {
            Ok(n) if (1..=500).contains(&n) => Ok(n),
            _ => Err(ApiError::bad(format!(
                "page: \"{}\" is not a page number (1–500)",
                self.page
            ))),
        }
    }

    /// The engine's request; a bad parameter is a 400 with the reason.
    pub fn request(&self, limit: usize, offset: usize) -> Result<SearchRequest, ApiError> {
        if self.q.chars().count() > 500 {
            return Err(ApiError::bad("q: the query is longer than 500 characters"));
        }
        let sort = if self.sort.is_empty() {
            Sort::default()
        } else {
            Sort::parse(&self.sort).ok_or_else(|| {
                ApiError::bad(format!("sort: \"{}\": use relevance or newest", self.sort))
            })?
        };
        let tag = if self.tag.is_empty() {
            Vec::new()
        } else {
            let t = yuqing_model::Tag::parse(&self.tag).ok_or_else(|| {
                ApiError::bad(format!(
                    "tag: \"{}\": use typical_person, typical_event or typical_case",
                    self.tag
                ))
            })?;
            vec![t.as_str().to_string()]
        };
        Ok(SearchRequest {
            query: self.q.clone(),
            from: day(&self.from, "from")?,
            to: day(&self.to, "to")?,
            sources: one(&self.source),
            units: one(&self.unit),
            kinds: one(&self.kind),
            tags: tag,
            topics: one(&self.topic),
            sort,
            limit,
            offset,
            collapse: self.all != "1",
        })
    }

    /// The query string of this search (for links), with `page` replaced.
    pub fn query_string(&self, page: Option<usize>) -> String {
        let mut p = self.clone();
        p.page = page.map(|n| n.to_string()).unwrap_or_default();
        let pairs: Vec<(&str, &str)> = [
            ("q", p.q.as_str()),
            ("from", p.from.as_str()),
            ("to", p.to.as_str()),
            ("unit", p.unit.as_str()),
            ("kind", p.kind.as_str()),
            ("source", p.source.as_str()),
            ("tag", p.tag.as_str()),
            ("topic", p.topic.as_str()),
            ("sort", p.sort.as_str()),
            ("all", p.all.as_str()),
            ("page", p.page.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }
}

/// A search with its facets and the repost counts of its stories.
pub struct Found {
    pub results: SearchResults,
    pub facets: yuqing_index::Facets,
    pub reposts: HashMap<u64, i64>,
}

fn run_search(state: &AppState, req: &SearchRequest, facets: bool) -> Result<Found, ApiError> {
    let results = state.index.search(req).map_err(|e| match e {
        yuqing_index::IndexError::Query(q) => ApiError::bad(format!("q: {q}")),
        other => ApiError::internal(other.to_string()),
    })?;
    let facets = if facets {
        state
            .index
            .facets(req, 30)
            .map_err(|e| ApiError::internal(e.to_string()))?
    } else {
        Default::default()
    };
    let store = state.store()?;
    let clusters: Vec<i64> = results.hits.iter().map(|h| h.cluster as i64).collect();
    let reposts = store
        .cluster_sizes(&clusters)
        .map_err(|e| ApiError::internal(e.to_string()))?
        .into_iter()
        .map(|(c, n)| (c as u64, (n - 1).max(0)))
        .collect();
    Ok(Found {
        results,
        facets,
        reposts,
    })
}

fn hit_json(state: &AppState, f: &Found) -> serde_json::Value {
    let hits: Vec<serde_json::Value> = f
        .results
        .hits
        .iter()
        .map(|h| {
            serde_json::json!({
                "id": h.id, "url": h.url, "title": h.title, "published_at": h.published_at,
                "source": h.source, "unit": h.unit, "unit_name": state.unit_name(&h.unit),
                "tags": h.tags, "topics": h.topics, "snippet": h.snippet, "score": h.score,
                "cluster": h.cluster, "reposts": f.reposts.get(&h.cluster).copied().unwrap_or(0),
                "status": h.status,
            })
        })
        .collect();
    serde_json::json!({"total": f.results.total, "hits": hits})
}

async fn search_page(
    State(s): State<Arc<AppState>>,
    Query(p): Query<SearchParams>,
) -> Result<Html<String>, ApiError> {
    let page = p.page_no()?;
    let req = p.request(PAGE_SIZE, (page - 1) * PAGE_SIZE)?;
    let state = s.clone();
    let found = blocking(move || run_search(&state, &req, true)).await?;
    Ok(Html(pages::search(&s, &p, page, &found)))
}

async fn api_search(
    State(s): State<Arc<AppState>>,
    Query(p): Query<SearchParams>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let page = p.page_no().map_err(ApiError::json)?;
    let req = p
        .request(PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .map_err(ApiError::json)?;
    let state = s.clone();
    let found = blocking(move || run_search(&state, &req, true))
        .await
        .map_err(ApiError::json)?;
    let mut v = hit_json(&s, &found);
    v["page"] = page.into();
    v["page_size"] = PAGE_SIZE.into();
    v["facets"] = serde_json::to_value(&found.facets).unwrap_or_default();
    Ok(axum::Json(v))
}

/// `/export.csv` and `/export.json`: the current search, every page (up to [`EXPORT_MAX`]).
async fn export(
    State(s): State<Arc<AppState>>,
    Path(format): Path<String>,
    Query(p): Query<SearchParams>,
) -> Result<Response, ApiError> {
    let req = p.request(EXPORT_MAX, 0)?;
    let state = s.clone();
    let found = blocking(move || run_search(&state, &req, false)).await?;
    let stamp = chrono::Utc::now()
        .with_timezone(
            &chrono::FixedOffset::east_opt(8 * 3600)
                .unwrap_or(chrono::FixedOffset::east_opt(0).expect("utc")),
        )
        .format("%Y%m%d-%H%M");
    match format.as_str() {
        "export.csv" => {
            let body = pages::csv(&s, &found);
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"yuqing-{stamp}.csv\""),
                    ),
                ],
                body,
            )
                .into_response())
        }
        "export.json" => Ok((
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"yuqing-{stamp}.json\""),
                ),
            ],
            hit_json(&s, &found).to_string(),
        )
            .into_response()),
        _ => Err(ApiError::not_found(
            "no such export: use export.csv or export.json",
        )),
    }
}

fn article_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad(format!("\"{raw}\" is not an article id")))
}

/// Everything the article page shows.
pub struct ArticleView {
    pub article: yuqing_store::Article,
    pub cluster: yuqing_store::Cluster,
    pub versions: Vec<yuqing_store::Version>,
    pub labels: Vec<yuqing_store::Label>,
}

fn load_article(state: &AppState, id: i64) -> Result<ArticleView, ApiError> {
    let store = state.store()?;
    let article = store
        .get(id)
        .map_err(|e| ApiError::internal(e.to_string()))?
        .ok_or_else(|| ApiError::not_found(format!("no article with id {id}")))?;
    let cluster = store
        .cluster(article.cluster)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let versions = store
        .versions(id)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let labels = store
        .labels()
        .map_err(|e| ApiError::internal(e.to_string()))?
        .into_iter()
        .filter(|l| l.article_id == id)
        .collect();
    Ok(ArticleView {
        article,
        cluster,
        versions,
        labels,
    })
}

async fn article_page(
    State(s): State<Arc<AppState>>,
    Path(raw): Path<String>,
) -> Result<Html<String>, ApiError> {
    let id = article_id(&raw)?;
    let state = s.clone();
    let view = blocking(move || load_article(&state, id)).await?;
    Ok(Html(pages::article(&s, &view)))
}

async fn api_article(
    State(s): State<Arc<AppState>>,
    Path(raw): Path<String>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let id = article_id(&raw).map_err(ApiError::json)?;
    let state = s.clone();
    let v = blocking(move || load_article(&state, id))
        .await
        .map_err(ApiError::json)?;
    Ok(axum::Json(serde_json::json!({
        "article": v.article, "cluster": v.cluster, "versions": v.versions, "labels": v.labels,
    })))
}

/// The archived page as fetched, decoded to UTF-8, under a sandboxing policy: no scripts, no
/// requests, no forms, no navigation of the page around it.
async fn raw_page(
    State(s): State<Arc<AppState>>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = article_id(&raw)?;
    let state = s.clone();
    let text = blocking(move || {
        let store = state.store()?;
        let a = store
            .get(id)
            .map_err(|e| ApiError::internal(e.to_string()))?
            .ok_or_else(|| ApiError::not_found(format!("no article with id {id}")))?;
        let sha = a.raw_sha.ok_or_else(|| {
            ApiError::not_found("no archived page for this article (imported articles have none)")
        })?;
        let archive = store
            .archive()
            .ok_or_else(|| ApiError::not_found("no archive"))?;
        let bytes = archive
            .get(&sha)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(yuqing_extract::charset::decode(&bytes, None, None).text)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        text,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct LabelForm {
    pub tag: String,
    /// `1` the tag applies, `0` it does not.
    pub applies: String,
    #[serde(default)]
    pub analyst: String,
    #[serde(default)]
    pub form_token: String,
    /// `review` to return to the review queue afterwards.
    #[serde(default)]
    pub back: String,
}

#[derive(Debug, Deserialize)]
pub struct LabelJson {
    pub tag: String,
    pub applies: bool,
    #[serde(default)]
    pub analyst: String,
}

fn record_label(
    state: &AppState,
    id: i64,
    tag: &str,
    applies: bool,
    analyst: &str,
) -> Result<yuqing_store::Label, ApiError> {
    let tag = yuqing_model::Tag::parse(tag).ok_or_else(|| {
        ApiError::bad(format!(
            "tag: \"{tag}\": use typical_person, typical_event or typical_case"
        ))
    })?;
    let analyst = if analyst.trim().is_empty() {
        "web"
    } else {
        analyst.trim()
    };
    if analyst.chars().count() > 60 {
        return Err(ApiError::bad("analyst: at most 60 characters"));
    }
    let mut store = state.store()?;
    // the store marks the article for re-indexing; the next scan, import or reindex picks it up
    store
        .apply_label(id, tag.as_str(), applies, analyst)
        .map_err(|e| match e {
            yuqing_store::StoreError::NoArticle(id) => {
                ApiError::not_found(format!("no article with id {id}"))
            }
            other => ApiError::internal(other.to_string()),
        })
}

/// A cross-site POST has a foreign `Origin`; ours has none or our own host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        == Some(host)
}

async fn label_form(
    State(s): State<Arc<AppState>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LabelForm>,
) -> Result<Redirect, ApiError> {
    if !same_origin(&headers) || form.form_token != s.form_token {
        return Err(ApiError::forbidden(
            "this correction did not come from the article page: reload the page and try again",
        ));
    }
    let id = article_id(&raw)?;
    let applies = form.applies == "1";
    let state = s.clone();
    let back = form.back.clone();
    blocking(move || record_label(&state, id, &form.tag, applies, &form.analyst)).await?;
    Ok(Redirect::to(&if back == "review" {
        "/review".to_string()
    } else {
        format!("/articles/{id}#tags")
    }))
}

/// How many articles the review queue shows.
pub const REVIEW_PAGE: usize = 50;

async fn review_page(State(s): State<Arc<AppState>>) -> Result<Html<String>, ApiError> {
    let state = s.clone();
    let items = blocking(move || {
        state
            .store()?
            .review_queue(REVIEW_PAGE)
            .map_err(|e| ApiError::internal(e.to_string()))
    })
    .await?;
    Ok(Html(pages::review(&s, &items)))
}

async fn api_label(
    State(s): State<Arc<AppState>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, axum::Json<serde_json::Value>), ApiError> {
    // a JSON body cannot be sent cross-site without the browser asking first
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json || !same_origin(&headers) {
        return Err(
            ApiError::forbidden("send the label as application/json from this site").json(),
        );
    }
    // a state change needs a secret even on loopback: the page's form token (GET /api/session
    // gives it to a client of this site) or the server's access token
    let header_value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let form_token_ok = header_value("x-yuqing-form-token") == Some(s.form_token.as_str());
    let bearer_ok = s.token.as_deref().is_some_and(|t| {
        header_value("authorization").and_then(|v| v.strip_prefix("Bearer ")) == Some(t)
    });
    if !form_token_ok && !bearer_ok {
        return Err(ApiError::forbidden(
            "a label needs the page's token: send the X-Yuqing-Form-Token header with the value from GET /api/session (or Authorization: Bearer with the server's token)",
        )
        .json());
    }
    let id = article_id(&raw).map_err(ApiError::json)?;
    let l: LabelJson = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad(format!(
            "body: {e}; expected {{\"tag\": \"typical_person\", \"applies\": true}}"
        ))
        .json()
    })?;
    let state = s.clone();
    let label = blocking(move || record_label(&state, id, &l.tag, l.applies, &l.analyst))
        .await
        .map_err(ApiError::json)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(serde_json::to_value(label).unwrap_or_default()),
    ))
}

/// The form token for API clients of this site (a cross-site page cannot read it).
async fn api_session(State(s): State<Arc<AppState>>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"form_token": s.form_token}))
}

async fn reports_page(State(s): State<Arc<AppState>>) -> Result<Html<String>, ApiError> {
    let state = s.clone();
    let runs = blocking(move || {
        state
            .store()?
            .report_runs()
            .map_err(|e| ApiError::internal(e.to_string()))
    })
    .await?;
    Ok(Html(pages::reports(&s, &runs)))
}

/// A report file: `/reports/weekly/2026-W48.html` (`?download=1` to save it).
async fn report_file(
    State(s): State<Arc<AppState>>,
    Path((kind, file)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let valid_kind = kind == "weekly" || kind == "daily";
    let (stem, ext) = file.rsplit_once('.').unwrap_or((&file, ""));
    let valid_stem = !stem.is_empty()
        && stem.len() <= 20
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let ctype = match ext {
        "html" => "text/html; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "json" => "application/json",
        _ => "",
    };
    if !valid_kind || !valid_stem || ctype.is_empty() {
        return Err(ApiError::not_found(format!("no report {kind}/{file}")));
    }
    let path = s.reports_dir.join(&kind).join(&file);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| ApiError::not_found(format!("no report {kind}/{file}")))?;
    let mut resp = (
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            // the report's own sort script is the only script allowed
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:".to_string()),
        ],
        bytes,
    )
        .into_response();
    if q.get("download").is_some_and(|v| v == "1")
        && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
    {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

async fn sources_page(State(s): State<Arc<AppState>>) -> Result<Html<String>, ApiError> {
    let state = s.clone();
    let (health, weeks) = blocking(move || {
        let store = state.store()?;
        let health = store
            .health()
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let since = chrono::Utc::now() - chrono::Duration::weeks(8);
        let times = store
            .source_times(since, chrono::Utc::now() + chrono::Duration::days(1))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok((health, times))
    })
    .await?;
    Ok(Html(pages::sources(&s, &health, &weeks)))
}

async fn alerts_page(State(s): State<Arc<AppState>>) -> Result<Html<String>, ApiError> {
    let state = s.clone();
    let (alerts, last) = blocking(move || {
        let store = state.store()?;
        let since = chrono::Utc::now() - chrono::Duration::days(7);
        let alerts = store
            .alerts_since(since, 500)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let last = store
            .channel_last_attempts()
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok((alerts, last))
    })
    .await?;
    Ok(Html(pages::alerts(&s, &alerts, &last)))
}

async fn healthz(
    State(s): State<Arc<AppState>>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let state = s.clone();
    let n = blocking(move || {
        state
            .store()?
            .count()
            .map_err(|e| ApiError::internal(e.to_string()))
    })
    .await
    .map_err(ApiError::json)?;
    Ok(axum::Json(
        serde_json::json!({"status": "ok", "articles": n, "indexed": s.index.count()}),
    ))
}

/// The host part of a `Host` header value: `name`, `1.2.3.4` or `::1` (brackets and port
/// removed), lowercase.
fn host_name(value: &str) -> String {
    let v = value.trim();
    let host = if let Some(rest) = v.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        v.rsplit_once(':').map_or(v, |(h, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                v
            }
        })
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether a host name is this machine's loopback.
fn is_loopback_name(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Only the host names the server is serving are answered: a page on another name that
/// resolves to this machine (DNS rebinding) gets 421 before any route runs.
async fn host_guard(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(host_name)
        .or_else(|| req.uri().host().map(host_name));
    let allowed = host
        .as_deref()
        .is_some_and(|h| is_loopback_name(h) || s.hosts.iter().any(|x| x == h));
    if allowed {
        return next.run(req).await;
    }
    ApiError {
        status: StatusCode::MISDIRECTED_REQUEST,
        message: format!(
            "this server does not answer for the host \"{}\": add it to [web].hosts in the configuration if it is this server's name",
            host.unwrap_or_default()
        ),
        json: req.uri().path().starts_with("/api/"),
    }
    .into_response()
}

/// Token check for servers bound off loopback.
async fn auth(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(token) = s.token.clone() else {
        return next.run(req).await;
    };
    let headers = req.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| {
            c.split(';')
                .find_map(|p| p.trim().strip_prefix("yuqing_token="))
        });
    let query = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    if bearer == Some(token.as_str()) || cookie == Some(token.as_str()) {
        return next.run(req).await;
    }
    if query.as_deref() == Some(token.as_str()) {
        let mut resp = next.run(req).await;
        if let Ok(v) = HeaderValue::from_str(&format!(
            "yuqing_token={token}; HttpOnly; SameSite=Strict; Path=/"
        )) {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
        return resp;
    }
    let json = req.uri().path().starts_with("/api/");
    let e = ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: "this server needs its access token: open the link with ?token=… or send Authorization: Bearer …".into(),
        json,
    };
    e.into_response()
}

/// Every error under `/api/` is `{"error", "status"}`, including the ones axum makes itself
/// (405, 413, a path or query it cannot read).
async fn api_errors_as_json(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    if !api || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let allow = resp.headers().get(header::ALLOW).cloned();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            "this method is not allowed here: the API answers GET, and POST for labels".to_string()
        }
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large: at most 16 KB".to_string(),
        _ if !text.is_empty() => text,
        _ => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_lowercase(),
    };
    let mut out = ApiError {
        status,
        message,
        json: true,
    }
    .into_response();
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}

/// Headers on every answer.
async fn hardening(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("SAMEORIGIN"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'self'; script-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; form-action 'self'",
    ));
    resp
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(search_page))
        .route("/{export}", get(export))
        .route("/articles/{id}", get(article_page))
        .route("/articles/{id}/raw", get(raw_page))
        .route("/articles/{id}/labels", post(label_form))
        .route("/review", get(review_page))
        .route("/reports", get(reports_page))
        .route("/reports/{kind}/{file}", get(report_file))
        .route("/sources", get(sources_page))
        .route("/alerts", get(alerts_page))
        .route("/healthz", get(healthz))
        .route("/api/search", get(api_search))
        .route("/api/articles/{id}", get(api_article))
        .route("/api/session", get(api_session))
        .route("/api/articles/{id}/labels", post(api_label))
        .fallback(|| async { ApiError::not_found("no such page") })
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(middleware::from_fn_with_state(state.clone(), auth))
        .layer(middleware::from_fn_with_state(state.clone(), host_guard))
        .layer(middleware::from_fn(api_errors_as_json))
        .layer(middleware::from_fn(hardening))
        .with_state(state)
}

/// Whether a bind address keeps the server to this machine.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
