//! The sample web: a set of small sites served on 127.0.0.1 for the tests, `yuqing demo` and
//! the crawl benchmark. Every site listens on its own port (so each is its own host for the
//! crawler's politeness) and every request is recorded with its time and answer.
//!
//! The demo web ([`SampleWeb::start_demo`]):
//! - `official` — an association's website: robots.txt disallowing `/internal/`, a news column
//!   of three list pages, UTF-8 article pages (one of which is edited after it is first
//!   served), and a GBK-encoded column of a provincial association;
//! - `wechat` — a WeChat mirror: an RSS feed of an account whose entries lead to WeChat-style
//!   article pages (one is deleted by its publisher after it is first served);
//! - `media` — a newspaper's RSS feed with summaries only, whose pages carry the full text;
//! - `faults` — a list page whose articles fail in every way a site can: a 500, a 429 with
//!   `Retry-After` (then fine), a slow answer, a redirect loop, an oversized page, a 404.
//!
//! The benchmark web ([`SampleWeb::start_generated`]) serves N hosts of generated articles.

pub mod texts;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use texts::{NEWS, SENTENCES, Text};

/// One request the sample web answered.
#[derive(Clone, Debug)]
pub struct Hit {
    pub site: String,
    pub path: String,
    pub at: Instant,
    pub status: u16,
    /// Whether the request was conditional (`If-None-Match` or `If-Modified-Since`).
    pub conditional: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Official,
    Wechat,
    Media,
    Faults,
    Generated { host: usize, articles: usize },
}

struct Site {
    name: String,
    kind: Kind,
    base: String,
    log: Arc<Mutex<Vec<Hit>>>,
    served: Mutex<HashMap<String, usize>>,
}

/// The running sample web. Dropping it stops the servers.
pub struct SampleWeb {
    sites: BTreeMap<String, SocketAddr>,
    log: Arc<Mutex<Vec<Hit>>>,
    stop: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for SampleWeb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleWeb")
            .field("sites", &self.sites)
            .finish()
    }
}

/// How long the `faults` site's slow page takes to answer.
pub const SLOW: Duration = Duration::from_secs(4);
/// The size of the `faults` site's oversized page.
pub const HUGE_BYTES: usize = 3_000_000;
/// The ISO week the demo articles fall in, and their last day.
pub const DEMO_WEEK: &str = "2026-W48";
pub const DEMO_LAST_DAY: &str = "2026-11-29";
/// How many articles a full scan of the demo web stores.
pub const DEMO_ARTICLES: usize = 14 + 2 + 3 + 3 + 1;

impl SampleWeb {
    /// Starts the four demo sites on 127.0.0.1 (must run inside a tokio runtime).
    pub async fn start_demo() -> std::io::Result<SampleWeb> {
        let kinds = [
            ("official", Kind::Official),
            ("wechat", Kind::Wechat),
            ("media", Kind::Media),
            ("faults", Kind::Faults),
        ];
        Self::start(kinds.iter().map(|(n, k)| (n.to_string(), *k)).collect()).await
    }

    /// Starts `hosts` sites of `articles` generated articles each, one list page per site.
    pub async fn start_generated(hosts: usize, articles: usize) -> std::io::Result<SampleWeb> {
        Self::start(
            (0..hosts)
                .map(|h| (format!("site{h:03}"), Kind::Generated { host: h, articles }))
                .collect(),
        )
        .await
    }

    async fn start(kinds: Vec<(String, Kind)>) -> std::io::Result<SampleWeb> {
        let log: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let mut web = SampleWeb {
            sites: BTreeMap::new(),
            log: log.clone(),
            stop: Vec::new(),
        };
        for (name, kind) in kinds {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let site = Arc::new(Site {
                name: name.clone(),
                kind,
                base: format!("http://{addr}"),
                log: log.clone(),
                served: Mutex::new(HashMap::new()),
            });
            let app = axum::Router::new().fallback(handle).with_state(site);
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
            web.sites.insert(name, addr);
            web.stop.push(tx);
        }
        Ok(web)
    }

    /// `http://127.0.0.1:PORT` of a site.
    pub fn base(&self, site: &str) -> String {
        self.sites
            .get(site)
            .map(|a| format!("http://{a}"))
            .unwrap_or_default()
    }

    pub fn sites(&self) -> impl Iterator<Item = (&str, SocketAddr)> {
        self.sites.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Every request answered so far, in order.
    pub fn hits(&self) -> Vec<Hit> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops the servers.
    pub fn stop(&mut self) {
        for tx in self.stop.drain(..) {
            let _ = tx.send(());
        }
    }

    /// A configuration for the demo web: units, sources, a topic, and crawl settings that allow
    /// loopback addresses. `data_dir` and `dictionaries` are written as given.
    pub fn demo_config(&self, data_dir: &str, reports_dir: &str, dictionaries: &str) -> String {
        let o = self.base("official");
        let w = self.base("wechat");
        let m = self.base("media");
        let f = self.base("faults");
        format!(
            r#"# yuqing 演示配置：由 `yuqing demo` 生成，抓取本机 127.0.0.1 上的示例网站。
[storage]
dir = {data_dir:?}
reports_dir = {reports_dir:?}

[dictionaries]
dir = {dictionaries:?}

[schedule]
timezone = "Asia/Shanghai"
scan = "0 0 6 * * *"
daily_brief = "0 30 7 * * *"
weekly_report = "0 0 8 * * Mon"

[crawl]
user_agent = "yuqing-demo/0.1 (offline demo; contact: demo@example.org)"
delay_ms = 100
concurrency = 8
per_host_concurrency = 1
timeout_s = 2
connect_timeout_s = 2
retries = 1
max_page_bytes = 2_000_000
max_pages_per_list = 3
recheck_days = 30
allow_private = true

[[unit]]
id = "demo-cast"
name = "示范科协"
kind = "机关"
region = "全国"

[[unit]]
id = "demo-province"
name = "示范省科协"
kind = "地方科协"
region = "示范省"

[[unit]]
id = "demo-daily"
name = "示范日报"
kind = "媒体"
region = "全国"

[[source]]
id = "demo-news"
name = "示范科协 要闻"
unit = "demo-cast"
kind = "html"
url = "{o}/news/index.html"

[[source]]
id = "demo-province-news"
name = "示范省科协 动态 (GBK)"
unit = "demo-province"
kind = "html"
url = "{o}/gbk/index.html"

[[source]]
id = "demo-wechat"
name = "示范科协 公众号"
unit = "demo-cast"
kind = "wechat"
url = "{w}/feed/demo-cast.xml"

[[source]]
id = "demo-daily-rss"
name = "示范日报 科技版"
unit = "demo-daily"
kind = "feed"
url = "{m}/rss/keji.xml"

[[source]]
id = "demo-faults"
name = "故障示例站"
unit = "demo-province"
kind = "html"
url = "{f}/list.html"

[[topic]]
id = "programme-2017"
name = "学习宣传贯彻党的十九大精神"
all = ["十九大"]
any = ["学习", "宣传", "贯彻", "宣讲"]

[[topic]]
id = "popular-science"
name = "科学普及"
any = ["科普", "科技馆", "科普日"]
"#
        )
    }
}

impl Drop for SampleWeb {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn handle(State(site): State<Arc<Site>>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let conditional = req.headers().contains_key(header::IF_NONE_MATCH)
        || req.headers().contains_key(header::IF_MODIFIED_SINCE);
    let nth = {
        let mut served = site.served.lock().unwrap_or_else(|e| e.into_inner());
        let n = served.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    let at = Instant::now();
    let answer = match site.kind {
        Kind::Official => official(&site, &path, nth),
        Kind::Wechat => wechat(&site, &path, nth),
        Kind::Media => media(&site, &path),
        Kind::Faults => faults(&site, &path, nth).await,
        Kind::Generated { host, articles } => generated(&site, &path, host, articles),
    };
    let response = answer.into_response(req.headers());
    site.log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Hit {
            site: site.name.clone(),
            path,
            at,
            status: response.status().as_u16(),
            conditional,
        });
    response
}

/// What a page answers, before conditional GET is applied.
struct Answer {
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(header::HeaderName, String)>,
    /// Whether an ETag is offered (and `If-None-Match` honoured).
    etag: bool,
}

impl Answer {
    fn html(body: String) -> Answer {
        Answer {
            status: StatusCode::OK,
            content_type: "text/html; charset=utf-8",
            body: body.into_bytes(),
            headers: Vec::new(),
            etag: true,
        }
    }

    fn status(status: StatusCode, text: &str) -> Answer {
        Answer {
            status,
            content_type: "text/html; charset=utf-8",
            body: format!(
                "<html><body><h1>{}</h1><p>{text}</p></body></html>",
                status.as_u16()
            )
            .into_bytes(),
            headers: Vec::new(),
            etag: false,
        }
    }

    fn not_found() -> Answer {
        Answer::status(StatusCode::NOT_FOUND, "页面不存在")
    }

    fn into_response(self, request: &HeaderMap) -> Response {
        let mut builder = Response::builder()
            .status(self.status)
            .header(header::CONTENT_TYPE, self.content_type);
        for (k, v) in &self.headers {
            builder = builder.header(k, v);
        }
        if self.etag && self.status == StatusCode::OK {
            let etag = format!("\"{:016x}\"", fnv(&self.body));
            let matches = request
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
            builder = builder.header(
                header::ETAG,
                HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
            );
            if matches {
                return builder
                    .status(StatusCode::NOT_MODIFIED)
                    .body(Body::empty())
                    .unwrap_or_default();
            }
        }
        builder.body(Body::from(self.body)).unwrap_or_default()
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An official-site article page.
fn article_page(site: &str, t: &Text, origin: &str, charset: &str) -> String {
    render_article(
        site,
        t.title,
        t.date,
        t.author,
        t.paragraphs,
        origin,
        charset,
    )
}

fn render_article<P: AsRef<str>>(
    site: &str,
    title: &str,
    date: &str,
    author: &str,
    paragraphs: &[P],
    origin: &str,
    charset: &str,
) -> String {
    let paragraphs: String = paragraphs
        .iter()
        .map(AsRef::as_ref)
        .map(|p| format!("<p>{}</p>\n", escape(p)))
        .collect();
    let author = if author.is_empty() {
        String::new()
    } else {
        format!(" 作者：{}", escape(author))
    };
    format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>{title}_{site}</title></head>
<body>
<div class="top"><a href="/">首页</a> | <a href="/news/index.html">要闻</a> | <a href="/gbk/index.html">地方动态</a> | <a href="/about.html">关于我们</a></div>
<div class="crumb">当前位置：首页 &gt; 要闻</div>
<div class="article">
<h1>{title}</h1>
<div class="info">发布时间：{date} 来源：{origin}{author}</div>
<div class="content">
{paragraphs}</div>
</div>
<div class="related">相关链接：<a href="/news/index.html">更多要闻</a></div>
<div class="footer">版权所有 {site} 地址：北京市海淀区示范路1号 京ICP备00000000号</div>
</body></html>"#,
        title = escape(title),
    )
}

fn list_page(
    site: &str,
    items: &[(String, &str, &str)],
    next: Option<&str>,
    charset: &str,
) -> String {
    let lis: String = items
        .iter()
        .map(|(href, title, date)| {
            format!(
                "<li><a href=\"{href}\" target=\"_blank\">{}</a><span class=\"date\">{}</span></li>\n",
                escape(title),
                &date[..10]
            )
        })
        .collect();
    let next = next
        .map(|n| format!("<a href=\"{n}\">下一页</a>"))
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>要闻_{site}</title></head>
<body>
<div class="top"><a href="/">首页</a> | <a href="/news/index.html">要闻</a> | <a href="/about.html">关于我们</a></div>
<ul class="news-list">
{lis}</ul>
<div class="pages"><span>共3页</span> {next}</div>
<div class="footer">版权所有 {site}</div>
</body></html>"#
    )
}

/// The edited article: v1 the first time it is served, v2 after.
const CHANGING_V1: Text = Text {
    title: "关于举办第五届科普讲解大赛的通知",
    date: "2026-11-22 10:00",
    author: "",
    paragraphs: &[
        "为提升科普讲解水平，示范科协决定举办第五届科普讲解大赛。大赛面向全省科普场馆讲解员、科技工作者和科普志愿者。",
        "初赛定于12月10日举行，请各单位于12月1日前报名。",
    ],
};
const CHANGING_V2: Text = Text {
    paragraphs: &[
        "为提升科普讲解水平，示范科协决定举办第五届科普讲解大赛。大赛面向全省科普场馆讲解员、科技工作者和科普志愿者。",
        "因场馆安排调整，初赛改为12月17日举行，报名截止时间顺延至12月8日。",
    ],
    ..CHANGING_V1
};

/// The official site's news column: three list pages.
fn news_pages() -> [Vec<(String, &'static Text)>; 3] {
    let link = |i: usize| format!("/news/2026/11/t202611_{i}.html");
    [
        (0..5)
            .map(|i| (link(i), &NEWS[i]))
            .chain([(
                "/news/2026/11/t202611_notice.html".to_string(),
                &CHANGING_V1,
            )])
            .collect(),
        (5..10).map(|i| (link(i), &NEWS[i])).collect(),
        (10..13).map(|i| (link(i), &NEWS[i])).collect(),
    ]
}

fn official(site: &Site, path: &str, nth: usize) -> Answer {
    const NAME: &str = "示范科协";
    match path {
        "/robots.txt" => Answer {
            content_type: "text/plain",
            ..Answer::html("User-agent: *\nDisallow: /internal/\n".into())
        },
        "/" | "/about.html" => Answer::html(format!(
            "<html><head><meta charset=\"utf-8\"><title>{NAME}</title></head><body><h1>{NAME}</h1><p><a href=\"/news/index.html\">要闻</a></p></body></html>"
        )),
        "/news/index.html" | "/news/index_1.html" | "/news/index_2.html" => {
            let page = match path {
                "/news/index.html" => 0,
                "/news/index_1.html" => 1,
                _ => 2,
            };
            let pages = news_pages();
            let mut items: Vec<(String, &str, &str)> = pages[page]
                .iter()
                .map(|(href, t)| (href.clone(), t.title, t.date))
                .collect();
            if page == 0 {
                items.push((
                    "/internal/draft.html".into(),
                    "内部稿件（未发布）",
                    "2026-11-29 00:00",
                ));
            }
            let next = match page {
                0 => Some("index_1.html"),
                1 => Some("index_2.html"),
                _ => None,
            };
            Answer::html(list_page(NAME, &items, next, "utf-8"))
        }
        "/news/2026/11/t202611_notice.html" => {
            let t = if nth == 1 { &CHANGING_V1 } else { &CHANGING_V2 };
            Answer::html(article_page(NAME, t, NAME, "utf-8"))
        }
        p if p.starts_with("/news/2026/11/t202611_") => {
            let i: Option<usize> = p
                .trim_start_matches("/news/2026/11/t202611_")
                .trim_end_matches(".html")
                .parse()
                .ok();
            match i.filter(|i| *i < 13) {
                Some(i) => Answer::html(article_page(NAME, &NEWS[i], NAME, "utf-8")),
                None => Answer::not_found(),
            }
        }
        "/gbk/index.html" => {
            let items: Vec<(String, &str, &str)> = gbk_articles()
                .iter()
                .enumerate()
                .map(|(i, (t, _))| (format!("/gbk/c{i}.html"), t.title, t.date))
                .collect();
            gbk(list_page("示范省科协", &items, None, "gbk"))
        }
        p if p.starts_with("/gbk/c") => {
            let i: Option<usize> = p[6..].trim_end_matches(".html").parse().ok();
            match i.and_then(|i| gbk_articles().get(i).copied()) {
                Some((t, origin)) => gbk(article_page("示范省科协", t, origin, "gbk")),
                None => Answer::not_found(),
            }
        }
        // the path robots.txt forbids: a request here is a bug in the crawler
        p if p.starts_with("/internal/") => Answer::html(format!(
            "<html><body><h1>内部稿件</h1><p>{}</p></body></html>",
            site.name
        )),
        _ => Answer::not_found(),
    }
}

/// The provincial column: its own story, and a story republished from the association.
fn gbk_articles() -> [(&'static Text, &'static str); 2] {
    [(&NEWS[13], "示范省科协"), (&NEWS[2], "示范省纪委监委")]
}

fn gbk(html: String) -> Answer {
    let (bytes, _, _) = encoding_rs::GBK.encode(&html);
    Answer {
        // no charset in the header: the page's own meta tag (and the bytes) must tell
        content_type: "text/html",
        body: bytes.into_owned(),
        ..Answer::html(String::new())
    }
}

fn rfc2822(date: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%d %H:%M")
        .ok()
        .and_then(|d| {
            d.and_local_timezone(chrono::FixedOffset::east_opt(8 * 3600)?)
                .single()
        })
        .map(|d| d.to_rfc2822())
        .unwrap_or_default()
}

fn rss(title: &str, link: &str, items: &[(String, &str, &str, String)]) -> Answer {
    let items: String = items
        .iter()
        .map(|(href, t, date, summary)| {
            format!(
                "<item><title>{}</title><link>{href}</link><guid>{href}</guid><pubDate>{}</pubDate><description>{}</description></item>\n",
                escape(t),
                rfc2822(date),
                escape(summary)
            )
        })
        .collect();
    Answer {
        content_type: "application/rss+xml; charset=utf-8",
        ..Answer::html(format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title><link>{link}</link><description>{title}</description>\n{items}</channel></rss>\n"
        ))
    }
}

fn summary(t: &Text) -> String {
    t.paragraphs[0].chars().take(40).collect::<String>() + "……"
}

/// The account's articles: two republished from the website, and one of its own that the
/// publisher deletes after it is first served.
fn wechat_articles() -> [Text; 3] {
    [
        NEWS[1],
        NEWS[7],
        Text {
            title: "科普讲解员培训班开班",
            date: "2026-11-28 20:00",
            author: "示范科协",
            paragraphs: &[
                "11月28日，全省科普讲解员培训班在示范科技馆开班，来自各市县科技馆和科普基地的八十名讲解员参加培训。",
                "培训为期三天，内容包括科学知识、讲解技巧和应急处置等。",
            ],
        },
    ]
}

fn wechat(site: &Site, path: &str, nth: usize) -> Answer {
    match path {
        "/robots.txt" => Answer::not_found(),
        "/feed/demo-cast.xml" => {
            let items: Vec<(String, &str, &str, String)> = wechat_articles()
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("{}/s/{i}", site.base), t.title, t.date, summary(t)))
                .collect();
            rss("示范科协", &site.base, &items)
        }
        p if p.starts_with("/s/") => {
            let i: Option<usize> = p[3..].parse().ok();
            let articles = wechat_articles();
            let Some(t) = i.and_then(|i| articles.get(i)) else {
                return Answer::not_found();
            };
            let i = i.unwrap_or_default();
            if i == 2 && nth > 1 {
                return Answer::html(
                    "<html><head><meta charset=\"utf-8\"><title>微信公众平台</title></head><body><div class=\"weui-msg\"><p class=\"weui-msg__title\">该内容已被发布者删除</p></div></body></html>".into(),
                );
            }
            let ct = chrono::NaiveDateTime::parse_from_str(t.date, "%Y-%m-%d %H:%M")
                .map(|d| d.and_utc().timestamp() - 8 * 3600)
                .unwrap_or_default();
            let paragraphs: String = t
                .paragraphs
                .iter()
                .map(|p| format!("<p><span>{}</span></p>", escape(p)))
                .collect();
            Answer::html(format!(
                r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:title" content="{title}"></head><body id="activity-detail">
<div class="rich_media"><h1 class="rich_media_title" id="activity-name">{title}</h1>
<div class="rich_media_meta_list"><span id="js_author_name">{author}</span> <a id="js_name">示范科协</a> <em id="publish_time"></em></div>
<div class="rich_media_content" id="js_content">{paragraphs}</div></div>
<script>var nickname = "示范科协"; var ct = "{ct}"; var msg_title = "{title}";
var msg_link = "http://mp.weixin.qq.com/s?__biz=MzIwMDAwMDAwMA==&amp;mid=2650{i:06}&amp;idx=1&amp;sn=5a{i:04}e0&amp;chksm=1#rd";</script>
</body></html>"#,
                title = escape(t.title),
                author = escape(t.author),
            ))
        }
        _ => Answer::not_found(),
    }
}

/// The newspaper republishes three of the association's stories.
fn media_articles() -> [&'static Text; 3] {
    [&NEWS[4], &NEWS[8], &NEWS[11]]
}

fn media(site: &Site, path: &str) -> Answer {
    match path {
        "/robots.txt" => Answer {
            content_type: "text/plain",
            ..Answer::html("User-agent: *\nAllow: /\n".into())
        },
        "/rss/keji.xml" => {
            let items: Vec<(String, &str, &str, String)> = media_articles()
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    (
                        format!("{}/keji/{i}.html", site.base),
                        t.title,
                        t.date,
                        summary(t),
                    )
                })
                .collect();
            rss("示范日报·科技", &site.base, &items)
        }
        p if p.starts_with("/keji/") => {
            let i: Option<usize> = p[6..].trim_end_matches(".html").parse().ok();
            match i.and_then(|i| media_articles().get(i).copied()) {
                Some(t) => Answer::html(article_page("示范日报", t, "示范科协", "utf-8")),
                None => Answer::not_found(),
            }
        }
        _ => Answer::not_found(),
    }
}

async fn faults(site: &Site, path: &str, nth: usize) -> Answer {
    let fine = Text {
        title: "科技志愿服务队深入社区开展冬季安全科普",
        date: "2026-11-27 09:00",
        author: "",
        paragraphs: &[
            "近日，科技志愿服务队走进十余个社区，围绕冬季用电、用气安全开展科普宣传，发放宣传资料两千余份。",
            "志愿者们通过现场演示和互动问答，帮助居民掌握安全知识。",
        ],
    };
    match path {
        "/robots.txt" => Answer::not_found(),
        "/list.html" => {
            let items: Vec<(String, &str, &str)> = [
                ("/f/busy.html", fine.title),
                ("/f/broken.html", "服务器错误的文章"),
                ("/f/slow.html", "响应很慢的文章"),
                ("/f/loop.html", "重定向循环的文章"),
                ("/f/huge.html", "超大页面的文章"),
                ("/f/missing.html", "已不存在的文章"),
            ]
            .into_iter()
            .map(|(h, t)| (h.to_string(), t, "2026-11-27 00:00"))
            .collect();
            Answer::html(list_page("故障示例站", &items, None, "utf-8"))
        }
        "/f/busy.html" if nth == 1 => Answer {
            headers: vec![(header::RETRY_AFTER, "1".into())],
            ..Answer::status(StatusCode::TOO_MANY_REQUESTS, "请求过于频繁")
        },
        "/f/busy.html" => Answer::html(article_page("故障示例站", &fine, "故障示例站", "utf-8")),
        "/f/broken.html" => Answer::status(StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误"),
        "/f/slow.html" => {
            tokio::time::sleep(SLOW).await;
            Answer::html(article_page("故障示例站", &fine, "故障示例站", "utf-8"))
        }
        "/f/loop.html" | "/f/loop2.html" => Answer {
            headers: vec![(
                header::LOCATION,
                if path == "/f/loop.html" {
                    "/f/loop2.html"
                } else {
                    "/f/loop.html"
                }
                .into(),
            )],
            ..Answer::status(StatusCode::FOUND, "")
        },
        "/f/huge.html" => {
            let filler = "<p>超大页面的填充内容。</p>\n".repeat(HUGE_BYTES / 30 + 1);
            Answer::html(format!(
                "<html><body><h1>超大页面</h1>{filler}</body></html>"
            ))
        }
        _ => {
            let _ = site;
            Answer::not_found()
        }
    }
}

/// A generated article: sentences drawn by a deterministic mix of host and index.
pub fn generated_text(host: usize, i: usize) -> (String, String, Vec<String>) {
    let mut x = (host as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ (i as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let mut next = || {
        x ^= x >> 31;
        x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 29;
        x as usize
    };
    let base = &NEWS[next() % NEWS.len()];
    let title = format!("{}（{}-{}）", base.title, host, i);
    let mut paragraphs = Vec::new();
    for _ in 0..4 {
        let p: String = (0..4)
            .map(|_| SENTENCES[next() % SENTENCES.len()])
            .collect();
        paragraphs.push(p);
    }
    paragraphs.insert(1, base.paragraphs[0].to_string());
    let day = 1 + (i % 28);
    (
        title,
        format!("2026-11-{day:02} {:02}:00", 8 + i % 10),
        paragraphs,
    )
}

fn generated(site: &Site, path: &str, host: usize, articles: usize) -> Answer {
    let name = format!("示例站点{host}");
    match path {
        "/robots.txt" => Answer::not_found(),
        "/list.html" => {
            let texts: Vec<(String, String, String)> = (0..articles)
                .map(|i| {
                    let (t, d, _) = generated_text(host, i);
                    (format!("/a/{i}.html"), t, d)
                })
                .collect();
            let items: Vec<(String, &str, &str)> = texts
                .iter()
                .map(|(h, t, d)| (h.clone(), t.as_str(), d.as_str()))
                .collect();
            Answer::html(list_page(&name, &items, None, "utf-8"))
        }
        p if p.starts_with("/a/") => {
            let i: Option<usize> = p[3..].trim_end_matches(".html").parse().ok();
            match i.filter(|i| *i < articles) {
                Some(i) => {
                    let _ = site;
                    let (title, date, paragraphs) = generated_text(host, i);
                    Answer::html(render_article(
                        &name,
                        &title,
                        &date,
                        "",
                        &paragraphs,
                        &name,
                        "utf-8",
                    ))
                }
                None => Answer::not_found(),
            }
        }
        _ => Answer::not_found(),
    }
}
