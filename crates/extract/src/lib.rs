//! Extraction: page or feed bytes + URL (+ the source's profile) in, article drafts or links out.
//!
//! Owns charset decoding ([`charset`]), Chinese dates ([`dates`]), official-site article pages
//! (`article`), WeChat article pages ([`wechat`]), feeds ([`feed`]), list pages ([`list`]) and
//! canonical URLs ([`canonical`]). Pure: it does no I/O, keeps no state, and never panics on
//! bad input — a malformed page gives a result with warnings or an [`ExtractError`].

mod article;
pub mod canonical;
pub mod charset;
pub mod dates;
mod dom;
pub mod feed;
pub mod list;
pub mod wechat;

use chrono::{DateTime, FixedOffset};
use scraper::Html;
use serde::Serialize;
use url::Url;
use yuqing_model::{Source, SourceKind};

pub use canonical::canonicalize;
pub use list::{ListPage, ListRequest};
use yuqing_model::ListMode;

/// A link found on a list page or in a feed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Link {
    pub url: String,
    pub text: String,
    pub date: Option<DateTime<FixedOffset>>,
}

/// An extracted article, ready for analysis and storage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArticleDraft {
    pub url: String,
    pub kind: SourceKind,
    pub title: String,
    /// RFC 3339 with `+08:00`.
    pub published_at: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    /// The outlet the text came from (来源), for republication tracking.
    pub origin: Option<String>,
    /// Site or account name.
    pub site_name: Option<String>,
    /// Plain text, one paragraph a line.
    pub body: String,
    pub links: Vec<Link>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// For feed entries: whether the body is the whole article or only a summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_text: Option<bool>,
    /// What was guessed or could not be found.
    pub warnings: Vec<String>,
}

/// A parsed feed with its entries as drafts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeedDraft {
    pub feed: FeedInfo,
    pub entries: Vec<ArticleDraft>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeedInfo {
    pub url: String,
    pub title: Option<String>,
    pub link: Option<String>,
    pub warnings: Vec<String>,
}

/// What a page turned out to be.
#[derive(Clone, Debug, PartialEq)]
pub enum Extracted {
    Article(ArticleDraft),
    Feed(FeedDraft),
    /// The publisher deleted the page (WeChat deletion notice).
    Deleted {
        url: String,
        reason: String,
    },
    /// The site refused to serve the page (captcha, WAF).
    Blocked {
        url: String,
        reason: String,
    },
}

/// Why nothing could be extracted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("{url}: the page is empty")]
    Empty { url: String },
    #[error("{url}: the content is binary data, not text")]
    Binary { url: String },
    #[error("{url}: not a usable URL: use an absolute http(s) address")]
    BadUrl { url: String },
    #[error("feed {url}: {message}")]
    Feed { url: String, message: String },
    #[error("{url}: no article found (no headline and no body text)")]
    NoArticle { url: String },
    #[error(
        "{url}: the page broke a parser ({message}); it is skipped and counted: report the page if it recurs"
    )]
    Panicked { url: String, message: String },
}

/// Runs a parser over outside input so that a dependency's panic becomes an error naming the
/// page instead of ending the scan.
fn guarded<T>(url: &str, f: impl FnOnce() -> Result<T, ExtractError>) -> Result<T, ExtractError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(ExtractError::Panicked {
                url: url.to_string(),
                message,
            })
        }
    }
}

/// One page or feed to extract.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub bytes: &'a [u8],
    /// Where the bytes came from (resolves relative links; gives dates and the TLD hint).
    pub url: &'a str,
    /// The `charset` of the HTTP `Content-Type`, if any.
    pub http_charset: Option<&'a str>,
    /// When the page was fetched: resolves relative dates (`3小时前`).
    pub fetched_at: Option<DateTime<FixedOffset>>,
    /// The kind of page, when known; detected otherwise.
    pub kind: Option<SourceKind>,
    /// The source's profile: selectors, charset override.
    pub source: Option<&'a Source>,
}

impl<'a> Input<'a> {
    pub fn new(bytes: &'a [u8], url: &'a str) -> Self {
        Input {
            bytes,
            url,
            http_charset: None,
            fetched_at: None,
            kind: None,
            source: None,
        }
    }
}

/// Pages larger than this are cut before parsing (the crawler enforces its own, smaller cap).
pub const MAX_PARSE_BYTES: usize = 32 * 1024 * 1024;

/// Markup nested deeper than this is flattened before parsing.
pub const MAX_NESTING: usize = 256;

fn tld(url: &Url) -> Option<String> {
    url.host_str()
        .and_then(|h| h.rsplit('.').next())
        .filter(|t| t.chars().all(|c| c.is_ascii_alphabetic()))
        .map(str::to_ascii_lowercase)
}

fn looks_binary(text: &str) -> bool {
    let sample: Vec<char> = text.chars().take(4096).collect();
    if sample.is_empty() {
        return false;
    }
    let bad = sample
        .iter()
        .filter(|c| {
            (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}')) || **c == '\u{fffd}'
        })
        .count();
    bad * 10 > sample.len()
}

/// Decides the kind of a document from its URL and first bytes.
pub fn detect_kind(text: &str, url: &Url) -> SourceKind {
    if url.host_str().is_some_and(canonical::is_wechat_host) || wechat::looks_like_wechat(text) {
        return SourceKind::Wechat;
    }
    let head: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(512)
        .collect();
    let lower = head.to_ascii_lowercase();
    let xml_feed =
        lower.starts_with("<?xml") && !lower.contains("<html") && !lower.contains("<!doctype html");
    if xml_feed
        || lower.starts_with("<rss")
        || lower.starts_with("<feed")
        || lower.starts_with("<rdf:rdf")
        || (lower.starts_with('{') && lower.contains("jsonfeed.org"))
    {
        return SourceKind::Feed;
    }
    SourceKind::Html
}

/// Extracts one page or feed; a parser's panic is an [`ExtractError::Panicked`].
pub fn extract(input: &Input<'_>) -> Result<Extracted, ExtractError> {
    guarded(input.url, || extract_unguarded(input))
}

fn extract_unguarded(input: &Input<'_>) -> Result<Extracted, ExtractError> {
    let url = Url::parse(input.url).map_err(|_| ExtractError::BadUrl {
        url: input.url.to_string(),
    })?;
    let bytes = &input.bytes[..input.bytes.len().min(MAX_PARSE_BYTES)];
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ExtractError::Empty {
            url: input.url.to_string(),
        });
    }
    let charset = input
        .source
        .and_then(|s| s.charset.as_deref())
        .or(input.http_charset);
    let tld = tld(&url);
    if input.kind == Some(SourceKind::Feed) {
        return extract_feed(bytes, charset, &url);
    }
    let decoded = charset::decode(bytes, charset, tld.as_deref());
    if looks_binary(&decoded.text) {
        return Err(ExtractError::Binary {
            url: input.url.to_string(),
        });
    }
    let kind = input
        .kind
        .unwrap_or_else(|| detect_kind(&decoded.text, &url));
    let mut warnings = decoded.warnings.clone();
    if decoded.lossy {
        warnings.push("some bytes could not be decoded and were replaced".into());
    }
    let text = dom::limit_nesting(&decoded.text, MAX_NESTING);
    if matches!(text, std::borrow::Cow::Owned(_)) {
        warnings.push(format!(
            "markup nested deeper than {MAX_NESTING} levels was flattened"
        ));
    }
    match kind {
        SourceKind::Feed => extract_feed(bytes, charset, &url),
        SourceKind::Wechat => {
            let doc = Html::parse_document(&text);
            Ok(from_wechat(&doc, &text, &url, input, warnings))
        }
        SourceKind::Html => {
            let doc = Html::parse_document(&text);
            if wechat::looks_like_wechat(&text) {
                return Ok(from_wechat(&doc, &text, &url, input, warnings));
            }
            let selectors = input.source.map(|s| &s.selectors);
            let parts = article::extract(&doc, &url, selectors, input.fetched_at);
            if parts.title.is_empty() && parts.body.is_empty() {
                return Err(ExtractError::NoArticle {
                    url: input.url.to_string(),
                });
            }
            warnings.extend(parts.warnings);
            Ok(Extracted::Article(ArticleDraft {
                url: canonicalize(input.url).unwrap_or_else(|| input.url.to_string()),
                kind: SourceKind::Html,
                title: parts.title,
                published_at: parts.published_at,
                author: parts.author,
                origin: parts.origin,
                site_name: parts.site_name,
                body: parts.body.join("\n"),
                links: Vec::new(),
                images: Vec::new(),
                full_text: None,
                warnings,
            }))
        }
    }
}

fn from_wechat(
    doc: &Html,
    raw: &str,
    url: &Url,
    input: &Input<'_>,
    mut warnings: Vec<String>,
) -> Extracted {
    let canonical = canonicalize(url.as_str()).unwrap_or_else(|| url.to_string());
    match wechat::extract(doc, raw, url.as_str(), input.fetched_at) {
        wechat::WechatPage::Deleted(reason) => Extracted::Deleted {
            url: canonical,
            reason,
        },
        wechat::WechatPage::Blocked(reason) => Extracted::Blocked {
            url: canonical,
            reason,
        },
        wechat::WechatPage::Article(a) => {
            warnings.extend(a.warnings);
            // a saved or mirrored copy: the page's own WeChat link is the canonical one
            let own = a
                .page_url
                .as_deref()
                .filter(|_| !url.host_str().is_some_and(canonical::is_wechat_host))
                .and_then(canonicalize);
            let links = a
                .reprint_of
                .iter()
                .map(|u| Link {
                    url: canonicalize(u).unwrap_or_else(|| u.clone()),
                    text: "原文".into(),
                    date: None,
                })
                .collect();
            Extracted::Article(ArticleDraft {
                url: own.unwrap_or(canonical),
                kind: SourceKind::Wechat,
                title: a.title,
                published_at: a.published_at,
                author: a.author,
                origin: a.account.clone(),
                site_name: a.account,
                body: a.body.join("\n"),
                links,
                images: a.images,
                full_text: None,
                warnings,
            })
        }
    }
}

fn extract_feed(bytes: &[u8], charset: Option<&str>, url: &Url) -> Result<Extracted, ExtractError> {
    let parsed =
        feed::parse(bytes, charset, Some(url.as_str())).map_err(|e| ExtractError::Feed {
            url: url.to_string(),
            message: e.message,
        })?;
    let entries = parsed
        .entries
        .into_iter()
        .map(|e| {
            let link = e
                .link
                .as_deref()
                .and_then(|l| url.join(l).ok())
                .map(|u| canonicalize(u.as_str()).unwrap_or_else(|| u.to_string()))
                .unwrap_or_default();
            let mut warnings = Vec::new();
            if !e.full_text {
                warnings.push("summary only: fetch the page for the full text".into());
            }
            ArticleDraft {
                url: link,
                kind: SourceKind::Feed,
                title: e.title,
                published_at: e.published_at,
                author: e.author,
                origin: None,
                site_name: parsed.title.clone(),
                body: e.body.join("\n"),
                links: Vec::new(),
                images: Vec::new(),
                full_text: Some(e.full_text),
                warnings,
            }
        })
        .collect();
    Ok(Extracted::Feed(FeedDraft {
        feed: FeedInfo {
            url: url.to_string(),
            title: parsed.title,
            link: parsed.link,
            warnings: parsed.warnings,
        },
        entries,
    }))
}

/// What a list page yields: links, or (for a jpaas column page) the calls that return them.
#[derive(Clone, Debug, PartialEq)]
pub enum ListResult {
    Page(ListPage),
    Requests(Vec<ListRequest>),
}

/// Items per page asked of a jpaas unit-build call.
pub const JPAAS_PAGE_SIZE: u32 = 20;

/// Reads a list page (or a jpaas / JSON list answer) according to the source's `list_mode`;
/// a parser's panic is an [`ExtractError::Panicked`].
pub fn extract_list(input: &Input<'_>) -> Result<ListResult, ExtractError> {
    guarded(input.url, || extract_list_unguarded(input))
}

fn extract_list_unguarded(input: &Input<'_>) -> Result<ListResult, ExtractError> {
    let url = Url::parse(input.url).map_err(|_| ExtractError::BadUrl {
        url: input.url.to_string(),
    })?;
    if input.bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ExtractError::Empty {
            url: input.url.to_string(),
        });
    }
    let bytes = &input.bytes[..input.bytes.len().min(MAX_PARSE_BYTES)];
    let mode = input.source.map_or(ListMode::Html, |s| s.list_mode);
    let allowed: &[String] = input.source.map_or(&[], |s| s.allowed_hosts.as_slice());
    let looks_json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[');
    match mode {
        ListMode::Json => {
            let spec = input.source.and_then(|s| s.json.as_ref()).ok_or_else(|| {
                ExtractError::NoArticle {
                    url: format!("{} (list_mode = \"json\" needs [source.json])", input.url),
                }
            })?;
            list::json_links(bytes, &url, spec).map(ListResult::Page)
        }
        ListMode::Jpaas if looks_json => {
            list::jpaas_links(bytes, &url, allowed).map(ListResult::Page)
        }
        ListMode::Jpaas => {
            let decoded = charset::decode(bytes, input.http_charset, tld(&url).as_deref());
            let doc = Html::parse_document(&dom::limit_nesting(&decoded.text, MAX_NESTING));
            let pages = input.source.and_then(|s| s.max_pages).unwrap_or(1);
            list::jpaas_requests(&doc, &url, pages, JPAAS_PAGE_SIZE).map(ListResult::Requests)
        }
        ListMode::Html => {
            let charset = input
                .source
                .and_then(|s| s.charset.as_deref())
                .or(input.http_charset);
            let decoded = charset::decode(bytes, charset, tld(&url).as_deref());
            if looks_binary(&decoded.text) {
                return Err(ExtractError::Binary {
                    url: input.url.to_string(),
                });
            }
            let doc = Html::parse_document(&dom::limit_nesting(&decoded.text, MAX_NESTING));
            let mut page =
                list::html_links(&doc, &url, input.source.map(|s| &s.selectors), allowed);
            let mut warnings = decoded.warnings;
            warnings.append(&mut page.warnings);
            page.warnings = warnings;
            Ok(ListResult::Page(page))
        }
    }
}
