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
    let mut warnings = decoded.warnings;
    let mut text = decoded.text;
    if decoded.lossy {
        let bad = text.matches('\u{fffd}').count();
        let chars = text.chars().count().max(1);
        if bad > 8 && bad * 1000 > chars {
            return Err(FeedError {
                message: format!(
                    "the bytes are not valid text in any charset tried ({}): not a feed",
                    decoded.encoding.name()
                ),
            });
        }
        // a truncated download or a few stray bytes: drop them and say so
        text = text.replace('\u{fffd}', "");
        warnings.push(format!("{bad} undecodable byte sequence(s) dropped"));
    }
    let text = text.trim_start_matches('\u{feff}');
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
    let first = parse_strict(&utf8, base);
    let (feed, lenient) = match first {
        Ok(feed) => (feed, false),
        Err(e) if !utf8.trim_start().starts_with('{') => {
            // malformed XML is common (bare '&', HTML entities, stray tags): repair and retry,
            // then read the items leniently
            let repaired = repair_entities(&utf8);
            match parse_strict(&repaired, base) {
                Ok(feed) => {
                    warnings.push(format!(
                        "the feed is not well-formed ({}); read after escaping stray '&'",
                        describe(&e, &utf8)
                    ));
                    (feed, false)
                }
                Err(_) => match lenient_parse(&repaired) {
                    Some(parsed) => {
                        warnings.push(format!(
                            "the feed is not well-formed XML ({}); {} entries recovered leniently",
                            describe(&e, &utf8),
                            parsed.entries.len()
                        ));
                        return finish(parsed, warnings);
                    }
                    None => {
                        return Err(FeedError {
                            message: describe(&e, &utf8),
                        });
                    }
                },
            }
        }
        Err(e) => {
            return Err(FeedError {
                message: describe(&e, &utf8),
            });
        }
    };
    let _ = lenient;
    let raw_items = feed.entries.len();
    let mut entries = Vec::new();
    for e in feed.entries {
        let title = e
            .title
            .as_ref()
            .map(|t| plain_text(&t.content))
            .unwrap_or_default();
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
        entries.push(RawEntry {
            title,
            link,
            published_at: e.published.or(e.updated).map(|d| d.with_timezone(&china())),
            author: e
                .authors
                .iter()
                .filter_map(|p| p.name.clone())
                .map(|n| squash(&n))
                .find(|n| !n.is_empty()),
            content,
            summary,
        });
    }
    let parsed = RawFeed {
        title: feed.title.map(|t| squash(&t.content)),
        link: feed.links.first().map(|l| l.href.clone()),
        entries,
    };
    if raw_items > 0 && utf8.trim_start().starts_with('{') {
        check_json_items(&utf8)?;
    }
    finish(parsed, warnings)
}

/// JSON Feed requires an `id` for every item: items with neither an id nor a url are not
/// entries of any use.
fn check_json_items(text: &str) -> Result<(), FeedError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| FeedError {
        message: format!("unable to parse JSON: {e}"),
    })?;
    let items = value["items"].as_array().cloned().unwrap_or_default();
    let useless = items
        .iter()
        .filter(|i| {
            i.get("id").is_none() && i.get("url").is_none() && i.get("external_url").is_none()
        })
        .count();
    if !items.is_empty() && useless == items.len() {
        return Err(FeedError {
            message: format!(
                "invalid JSON Feed: none of its {} item(s) has an id or a url",
                items.len()
            ),
        });
    }
    Ok(())
}

fn parse_strict(
    text: &str,
    base: Option<&str>,
) -> Result<feed_rs::model::Feed, feed_rs::parser::ParseFeedError> {
    feed_rs::parser::Builder::new()
        .base_uri(base)
        .sanitize_content(false)
        .timestamp_parser(to_utc)
        .build()
        .parse(text.as_bytes())
}

/// An entry before its text is judged full or summary.
struct RawEntry {
    title: String,
    link: Option<String>,
    published_at: Option<DateTime<FixedOffset>>,
    author: Option<String>,
    content: String,
    summary: String,
}

struct RawFeed {
    title: Option<String>,
    link: Option<String>,
    entries: Vec<RawEntry>,
}

fn finish(raw: RawFeed, mut warnings: Vec<String>) -> Result<ParsedFeed, FeedError> {
    let mut entries = Vec::new();
    for e in raw.entries {
        if e.title.is_empty()
            && e.link.is_none()
            && e.content.trim().is_empty()
            && e.summary.trim().is_empty()
        {
            warnings.push("an empty entry was skipped".into());
            continue;
        }
        let content_p = text_paragraphs(&e.content);
        let summary_p = text_paragraphs(&e.summary);
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
        entries.push(FeedEntry {
            title: e.title,
            link: e.link,
            published_at: e.published_at,
            author: e.author,
            body,
            full_text,
        });
    }
    Ok(ParsedFeed {
        title: raw.title,
        link: raw.link,
        entries,
        warnings,
    })
}

/// HTML entities that feeds use but XML does not define, as character references.
const HTML_ENTITIES: &[(&str, &str)] = &[
    ("nbsp", "#160"),
    ("copy", "#169"),
    ("reg", "#174"),
    ("trade", "#8482"),
    ("mdash", "#8212"),
    ("ndash", "#8211"),
    ("hellip", "#8230"),
    ("ldquo", "#8220"),
    ("rdquo", "#8221"),
    ("lsquo", "#8216"),
    ("rsquo", "#8217"),
    ("middot", "#183"),
    ("times", "#215"),
    ("laquo", "#171"),
    ("raquo", "#187"),
    ("bull", "#8226"),
    ("yen", "#165"),
    ("deg", "#176"),
    ("emsp", "#8195"),
    ("ensp", "#8194"),
    ("thinsp", "#8201"),
    ("zwj", "#8205"),
    ("zwnj", "#8204"),
];

/// Escapes '&' that do not start a reference, and turns HTML entities into character references.
fn repair_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let end = after
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let name = end.map(|e| &after[..e]);
        let valid = name.is_some_and(|n| {
            let numeric = n.strip_prefix('#').is_some_and(|d| {
                d.strip_prefix(['x', 'X']).map_or_else(
                    || !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()),
                    |h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()),
                )
            });
            numeric || matches!(n, "amp" | "lt" | "gt" | "quot" | "apos")
        });
        if valid {
            out.push('&');
        } else if let Some((_, code)) =
            name.and_then(|n| HTML_ENTITIES.iter().find(|(k, _)| *k == n))
        {
            out.push('&');
            out.push_str(code);
            out.push(';');
            rest = &after[end.unwrap_or(0) + 1..];
            continue;
        } else {
            out.push_str("&amp;");
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

static ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<(item|entry)\b[^>]*>(.*?)</(?:item|entry)\s*>").expect("valid regex")
});

/// The text of the first `<name>` element in `block` (CDATA unwrapped, entities decoded).
fn tag_text(block: &str, names: &[&str]) -> Option<String> {
    for name in names {
        let re = Regex::new(&format!(
            r"(?is)<{}\b([^>]*?)(?:/>|>(.*?)</{}\s*>)",
            regex::escape(name),
            regex::escape(name)
        ))
        .ok()?;
        if let Some(c) = re.captures(block) {
            if let Some(inner) = c.get(2) {
                let t = inner.as_str().trim();
                let t = t
                    .strip_prefix("<![CDATA[")
                    .and_then(|t| t.strip_suffix("]]>"))
                    .unwrap_or(t);
                let t = if t.contains('&') {
                    decode_entities(t)
                } else {
                    t.to_string()
                };
                if !t.trim().is_empty() {
                    return Some(t);
                }
            }
            // <link href="…"/>
            if let Some(attrs) = c.get(1) {
                static HREF: LazyLock<Regex> = LazyLock::new(|| {
                    Regex::new(r#"href\s*=\s*["']([^"']+)["']"#).expect("valid regex")
                });
                if let Some(h) = HREF.captures(attrs.as_str()) {
                    return Some(h[1].to_string());
                }
            }
        }
    }
    None
}

fn decode_entities(s: &str) -> String {
    let frag = Html::parse_fragment(&format!("<p>{s}</p>"));
    frag.root_element().text().collect()
}

/// Reads items from a feed that is not well-formed XML.
fn lenient_parse(text: &str) -> Option<RawFeed> {
    let head: String = text
        .chars()
        .take(2000)
        .collect::<String>()
        .to_ascii_lowercase();
    if !(head.contains("<rss") || head.contains("<feed") || head.contains("<rdf")) {
        return None;
    }
    let mut entries = Vec::new();
    for c in ITEM.captures_iter(text) {
        let block = &c[2];
        let title = tag_text(block, &["title"])
            .map(|t| plain_text(&t))
            .unwrap_or_default();
        let link = tag_text(block, &["link", "guid", "id"])
            .map(|l| decode_entities(l.trim()))
            .filter(|l| l.starts_with("http"));
        let date = tag_text(block, &["pubDate", "published", "updated", "dc:date"])
            .and_then(|d| to_utc(&d))
            .map(|d| d.with_timezone(&china()));
        entries.push(RawEntry {
            title,
            link,
            published_at: date,
            author: tag_text(block, &["author", "dc:creator"]).map(|a| plain_text(&a)),
            content: tag_text(block, &["content:encoded", "content"]).unwrap_or_default(),
            summary: tag_text(block, &["description", "summary"]).unwrap_or_default(),
        });
    }
    if entries.is_empty() {
        return None;
    }
    let channel_head = text.split("<item").next().unwrap_or("");
    let channel_head = channel_head.split("<entry").next().unwrap_or("");
    Some(RawFeed {
        title: tag_text(channel_head, &["title"]).map(|t| plain_text(&t)),
        link: tag_text(channel_head, &["link"]),
        entries,
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
