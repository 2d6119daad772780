//! RSS 0.9x / 1.0 / 2.0, Atom and JSON Feed, through feed-rs.
//!
//! Feeds are transcoded to UTF-8 first (with the XML declaration rewritten), because a feed
//! declared UTF-8 but written in GBK, or not declared at all, would otherwise fail or come out
//! garbled. Dates feed-rs cannot read (`2017-11-07 10:00:00`, Chinese forms) go through our own
//! date parser. Each entry says whether it carries the full text or only a summary.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, Utc};
use regex::Regex;
use scraper::Html;

use crate::charset;
use crate::dates::{china, parse_date};
use crate::dom::{paragraphs, squash};

/// A parsed feed.
#[derive(Debug, Clone)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub link: Option<String>,
    pub entries: Vec<FeedEntry>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct FeedEntry {
    pub title: String,
    pub link: Option<String>,
    pub published_at: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    /// The entry's text: the full content when present, else the summary.
    pub body: Vec<String>,
    /// Whether `body` is the whole article (else the crawler fetches the page).
    pub full_text: bool,
}

/// Why a feed could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FeedError {
    pub message: String,
}

static XML_DECL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']"#).expect("valid regex")
});

fn to_utc(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc2822(text.trim()) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(text.trim()) {
        return Some(d.with_timezone(&Utc));
    }
    parse_date(text, None).map(|d| d.with_timezone(&Utc))
}

/// Converts feed HTML (or plain text) to paragraphs.
fn text_paragraphs(s: &str) -> Vec<String> {
    if s.contains('<') && s.contains('>') {
        let frag = Html::parse_fragment(s);
        paragraphs(frag.tree.root(), &|_| false)
    } else {
        s.split('\n')
            .map(squash)
            .filter(|p| !p.is_empty())
            .collect()
    }
}

fn looks_truncated(text: &str) -> bool {
    let t = text.trim_end();
    t.ends_with("...")
        || t.ends_with('…')
        || t.ends_with("[…]")
        || t.ends_with("阅读全文")
        || t.ends_with("Read more")
        || t.ends_with("查看全文")
}

/// Whether a body of this many characters counts as the whole article.
const FULL_TEXT_MIN_CHARS: usize = 400;

/// Parses feed bytes. `http_charset` is the HTTP `Content-Type` charset, if any.
pub fn parse(
    bytes: &[u8],
    http_charset: Option<&str>,
    base: Option<&str>,
) -> Result<ParsedFeed, FeedError> {
    let decoded = charset::decode(bytes, http_charset, None);
    if decoded.lossy {
        return Err(FeedError {
            message: format!(
                "the bytes are not valid text in any charset tried ({}): not a feed",
                decoded.encoding.name()
            ),
        });
    }
    let mut warnings = decoded.warnings;
    let text = decoded.text.trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    let lower: String = trimmed
        .chars()
        .take(200)
        .collect::<String>()
        .to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        return Err(FeedError {
            message: "the response is an HTML page, not a feed".into(),
        });
    }
    let utf8 = XML_DECL.replace(trimmed, "${1}\"UTF-8\"");
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base)
        .sanitize_content(false)
        .timestamp_parser(to_utc)
        .build();
    let feed = parser.parse(utf8.as_bytes()).map_err(|e| FeedError {
        message: describe(&e, &utf8),
    })?;
    let mut entries = Vec::new();
    for e in feed.entries {
        let title = e
            .title
            .as_ref()
            .map(|t| squash(&text_paragraphs(&t.content).join(" ")));
        let link = e
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or_else(|| e.links.first())
            .map(|l| l.href.trim().to_string())
            .or_else(|| Some(e.id.clone()).filter(|id| id.starts_with("http")));
        let content = e
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        let summary = e
            .summary
            .as_ref()
            .map(|s| s.content.clone())
            .unwrap_or_default();
        let content_p = text_paragraphs(&content);
        let summary_p = text_paragraphs(&summary);
        let chars = |p: &[String]| p.iter().map(|s| s.chars().count()).sum::<usize>();
        let (body, full_text) = if chars(&content_p) >= chars(&summary_p) && !content_p.is_empty() {
            let full = chars(&content_p) >= FULL_TEXT_MIN_CHARS
                && !looks_truncated(content_p.last().map_or("", String::as_str));
            (content_p, full)
        } else {
            let full = chars(&summary_p) >= 2 * FULL_TEXT_MIN_CHARS
                && !looks_truncated(summary_p.last().map_or("", String::as_str));
            (summary_p, full)
        };
        let title = title.unwrap_or_default();
        if title.is_empty() && link.is_none() && body.is_empty() {
            warnings.push(format!(
                "entry {} has no title, link or text: skipped",
                e.id
            ));
            continue;
        }
        entries.push(FeedEntry {
            title,
            link,
            published_at: e.published.or(e.updated).map(|d| d.with_timezone(&china())),
            author: e
                .authors
                .iter()
                .filter_map(|p| p.name.clone())
                .map(|n| squash(&n))
                .find(|n| !n.is_empty()),
            body,
            full_text,
        });
    }
    Ok(ParsedFeed {
        title: feed.title.map(|t| squash(&t.content)),
        link: feed.links.first().map(|l| l.href.clone()),
        entries,
        warnings,
    })
}

/// A one-line description of a parse failure, with line and column where known.
fn describe(e: &feed_rs::parser::ParseFeedError, text: &str) -> String {
    let msg = e.to_string();
    // feed-rs reports byte positions as "position N"
    static POS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"position (\d+)").expect("valid regex"));
    if let Some(c) = POS.captures(&msg)
        && let Ok(pos) = c[1].parse::<usize>()
    {
        let before = &text.as_bytes()[..pos.min(text.len())];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        return format!("{msg} (line {line})");
    }
    if matches!(
        e,
        feed_rs::parser::ParseFeedError::ParseError(feed_rs::parser::ParseErrorKind::NoFeedRoot)
    ) {
        return "no feed found: the document has no rss, feed or rdf root element".into();
    }
    msg.lines().next().unwrap_or("unreadable feed").to_string()
}

/// Feed text (HTML or plain) as one line of plain text.
pub fn plain_text(s: &str) -> String {
    squash(&text_paragraphs(s).join(" "))
}
