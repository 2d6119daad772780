//! WeChat official-account article pages (mp.weixin.qq.com and saved or mirrored copies).
//!
//! The publication time comes from the `ct` Unix timestamp in the page script: the visible
//! `#publish_time` is often empty or relative. Deleted and blocked pages are recognised and
//! returned as statuses, never as articles.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use regex::Regex;
use scraper::Html;

use crate::dates::{parse_date, unix_timestamp};
use crate::dom::{paragraphs, sel, squash, text_of};

/// What a WeChat page turned out to be.
#[derive(Debug)]
pub enum WechatPage {
    Article(WechatArticle),
    /// The publisher deleted the article (or it was taken down).
    Deleted(String),
    /// WeChat refused to serve it (captcha, 环境异常).
    Blocked(String),
}

#[derive(Debug, Default)]
pub struct WechatArticle {
    pub title: String,
    pub account: Option<String>,
    pub author: Option<String>,
    pub published_at: Option<DateTime<FixedOffset>>,
    pub body: Vec<String>,
    pub images: Vec<String>,
    /// The page's own link (og:url / msg_link), for canonicalisation.
    pub page_url: Option<String>,
    /// For a reprint with an empty body: the original article's link.
    pub reprint_of: Option<String>,
    pub warnings: Vec<String>,
}

const DELETED: &[&str] = &[
    "该内容已被发布者删除",
    "已被发布者删除",
    "此内容因违规无法查看",
    "此内容被投诉且经审核涉嫌侵权",
    "该内容已被删除",
    "内容已删除",
    "此内容发送失败无法查看",
    "该文章已被删除",
];
const BLOCKED: &[&str] = &[
    "环境异常",
    "完成验证后即可继续访问",
    "请完成安全验证",
    "访问过于频繁",
];

static JS_VAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:var\s+)?(ct|msg_title|nickname|msg_link|author|create_time|msg_source_url)\s*=\s*(?:htmlDecode\()?\s*["']([^"'\n]*)["']"#)
        .expect("valid regex")
});

fn js_vars(html: &str) -> Vec<(String, String)> {
    JS_VAR
        .captures_iter(html)
        .map(|c| (c[1].to_string(), decode_js(&c[2])))
        .collect()
}

fn decode_js(s: &str) -> String {
    s.replace("\\x26", "&")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("\\x27", "'")
        .replace("\\x22", "\"")
        .replace("\\x3c", "<")
        .replace("\\x3e", ">")
}

/// Whether a page looks like a WeChat article page.
pub fn looks_like_wechat(html: &str) -> bool {
    html.contains("js_content") && (html.contains("mp.weixin.qq.com") || html.contains("var ct"))
}

/// Reads a WeChat page; `url` is where it was fetched from.
pub fn extract(doc: &Html, raw: &str, url: &str, now: Option<DateTime<FixedOffset>>) -> WechatPage {
    let content = doc.select(&sel("#js_content")).next();
    let content_text = content.map(text_of).unwrap_or_default();
    let title_el = doc
        .select(&sel("#activity-name, .rich_media_title"))
        .next()
        .map(text_of);
    if content_text.chars().count() < 30 && title_el.as_deref().unwrap_or("").is_empty() {
        let visible = text_of(doc.root_element());
        if url.contains("captcha") || BLOCKED.iter().any(|m| visible.contains(m)) {
            return WechatPage::Blocked(format!(
                "wechat refused the page ({})",
                BLOCKED
                    .iter()
                    .find(|m| visible.contains(*m))
                    .unwrap_or(&"captcha")
            ));
        }
        if let Some(m) = DELETED.iter().find(|m| visible.contains(*m)) {
            return WechatPage::Deleted(format!("wechat says: {m}"));
        }
    }
    let vars = js_vars(raw);
    let var = |name: &str| {
        vars.iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| squash(v))
    };
    let meta = |key: &str| {
        doc.select(&sel(&format!(
            "meta[property=\"{key}\"], meta[name=\"{key}\"]"
        )))
        .next()
        .and_then(|m| m.value().attr("content"))
        .map(squash)
        .filter(|s| !s.is_empty())
    };
    let mut a = WechatArticle {
        title: title_el
            .filter(|t| !t.is_empty())
            .or_else(|| meta("og:title"))
            .or_else(|| var("msg_title"))
            .unwrap_or_default(),
        ..Default::default()
    };
    a.account = doc
        .select(&sel("#js_name, .wx_follow_nickname, .profile_nickname"))
        .map(text_of)
        .find(|t| !t.is_empty())
        .or_else(|| var("nickname"));
    a.author = meta("author")
        .or_else(|| doc.select(&sel("#js_author_name")).next().map(text_of))
        .or_else(|| var("author"))
        .filter(|s| !s.is_empty());
    a.published_at = var("ct")
        .or_else(|| var("create_time"))
        .and_then(|t| unix_timestamp(&t));
    if a.published_at.is_none() {
        a.warnings.push("no ct timestamp in the page script".into());
        a.published_at = doc
            .select(&sel("#publish_time"))
            .next()
            .and_then(|e| parse_date(&text_of(e), now));
    }
    if let Some(c) = content {
        a.body = paragraphs(*c, &|_| false);
        for img in c.select(&sel("img")) {
            if let Some(src) = img
                .value()
                .attr("data-src")
                .or_else(|| img.value().attr("src"))
                && src.starts_with("http")
            {
                a.images.push(src.to_string());
            }
        }
    }
    a.page_url = meta("og:url").or_else(|| var("msg_link"));
    if a.body.is_empty() {
        a.reprint_of = doc
            .select(&sel("#js_share_source"))
            .next()
            .and_then(|e| e.value().attr("data-url").map(str::to_string))
            .or_else(|| var("msg_source_url"));
        a.warnings.push(match &a.reprint_of {
            Some(u) => format!("empty body: a reprint of {u}"),
            None => "empty #js_content".into(),
        });
    }
    WechatPage::Article(a)
}
