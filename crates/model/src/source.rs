//! Sources: the list pages, feeds and WeChat mirror feeds a unit publishes through.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// An official website: list pages leading to article pages.
    Html,
    /// A WeChat official account, read through a mirror feed whose entries link to article pages.
    Wechat,
    /// An RSS, Atom or JSON feed.
    Feed,
}

impl SourceKind {
    pub const ALL: [SourceKind; 3] = [SourceKind::Html, SourceKind::Wechat, SourceKind::Feed];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Html => "html",
            SourceKind::Wechat => "wechat",
            SourceKind::Feed => "feed",
        }
    }

    pub fn parse(s: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The Chinese label used in tables.
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Html => "网站",
            SourceKind::Wechat => "微信公众号",
            SourceKind::Feed => "订阅源",
        }
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an `html` source's list page yields its article links.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListMode {
    /// Links are in the page itself.
    #[default]
    Html,
    /// Links are loaded by the page's `script[parsetype=bulidstatic]` unit-build call.
    Jpaas,
    /// The URL is a JSON list endpoint described by [`JsonList`].
    Json,
}

impl ListMode {
    pub const ALL: [ListMode; 3] = [ListMode::Html, ListMode::Jpaas, ListMode::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            ListMode::Html => "html",
            ListMode::Jpaas => "jpaas",
            ListMode::Json => "json",
        }
    }

    pub fn parse(s: &str) -> Option<ListMode> {
        ListMode::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// CSS selectors for a source's pages. Every one is optional: without them the generic
/// extractor decides.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selectors {
    pub list_links: Option<String>,
    pub next_page: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub date: Option<String>,
    pub author: Option<String>,
    /// The element naming the outlet the text came from (来源).
    pub origin: Option<String>,
    /// Elements to drop from the body before extraction (share bars, editor lines).
    pub remove: Vec<String>,
}

impl Selectors {
    /// Each configured selector with its key name, for validation and display.
    pub fn named(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        let singles = [
            ("list_links", &self.list_links),
            ("next_page", &self.next_page),
            ("title", &self.title),
            ("body", &self.body),
            ("date", &self.date),
            ("author", &self.author),
            ("origin", &self.origin),
        ];
        for (name, value) in singles {
            if let Some(v) = value {
                out.push((name, v.as_str()));
            }
        }
        for v in &self.remove {
            out.push(("remove", v.as_str()));
        }
        out
    }
}

/// Field names inside each item of a JSON list endpoint (`list_mode = "json"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonList {
    /// Dotted path to the array of items; empty when the top level is the array.
    pub items: String,
    pub title: String,
    pub link: String,
    pub date: Option<String>,
    pub summary: Option<String>,
}

/// What identifies a WeChat official account besides its mirror feed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WechatAccount {
    /// The account's display name (公众号名称).
    pub name: Option<String>,
    /// The account's `__biz` value, its stable identity in article links.
    pub biz: Option<String>,
}

/// One configured source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub id: String,
    /// Display name; the unit's name and the source id are used when absent.
    pub name: Option<String>,
    /// The id of the unit that publishes through this source.
    pub unit: String,
    pub kind: SourceKind,
    /// Start URLs: list pages (html), feed URLs (feed, wechat). At least one.
    pub urls: Vec<String>,
    /// Cron expression overriding `[schedule].scan`.
    pub schedule: Option<String>,
    /// Minimum gap between two requests to this source's host, overriding `[crawl].delay_ms`.
    pub delay_ms: Option<u64>,
    /// Pagination depth overriding `[crawl].max_pages_per_list`.
    pub max_pages: Option<u32>,
    pub enabled: bool,
    pub list_mode: ListMode,
    pub selectors: Selectors,
    pub json: Option<JsonList>,
    /// Charset to use when the site declares a wrong one (e.g. `gb18030`).
    pub charset: Option<String>,
    /// Hosts besides the start URLs' hosts whose links this source may follow.
    pub allowed_hosts: Vec<String>,
    /// Extra request headers (e.g. `Referer`, `X-Requested-With`).
    pub headers: Vec<(String, String)>,
    /// For `wechat` sources.
    pub account: WechatAccount,
}
