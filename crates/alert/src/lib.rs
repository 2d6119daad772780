//! Alerts (预警): the `[[alert]]` rules evaluated over the record after every scan, and the
//! messages they become on each `[[channel]]`.
//!
//! - [`rules`]: pure — store rows and the clock in, [`Alert`]s out, each with the key that makes
//!   it fire once (a story per rule, a window per spike rule, a silence per unit).
//! - [`render`]: an alert as each platform's markdown, scraped text neutralised, split at the
//!   platform's size limit or grouped into a digest.
//! - [`sign`]: HMAC-SHA256 and Base64 as DingTalk and Feishu define their signatures.
//! - [`deliver`]: the engine — new alerts recorded in the store, pending ones sent through a
//!   [`deliver::Transport`] the caller supplies (the HTTP client lives in `crawl`, the mailer in
//!   `report`), at most 20 messages a minute per channel, retried with backoff, held in quiet
//!   hours, every attempt recorded.

pub mod deliver;
pub mod render;
pub mod rules;
pub mod sign;

use serde::{Deserialize, Serialize};
use yuqing_model::AlertKind;

/// Why alerts could not be evaluated or recorded.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{0}")]
    Store(#[from] yuqing_store::StoreError),
    #[error("no channel \"{0}\" in the configuration: `yuqing alerts test` takes a [[channel]] id")]
    UnknownChannel(String),
}

/// One article in an alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub article_id: i64,
    pub title: String,
    pub unit: String,
    pub unit_name: String,
    pub source: String,
    pub source_name: String,
    /// Local time, `2026-12-01 09:30`.
    pub time: String,
    /// Chinese tag labels that fired (typical alerts).
    #[serde(default)]
    pub tags: Vec<String>,
    /// The sentence that best supports the tag, when there is one.
    #[serde(default)]
    pub evidence: String,
    /// The article's page on the analysts' web page, else its original address.
    pub link: String,
    /// How many articles carry the story (spike alerts).
    #[serde(default)]
    pub size: usize,
}

/// One alert: what fired, why, and the articles behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub rule: String,
    pub kind: AlertKind,
    /// What makes it fire once: `story:<cluster>`, `window:<n>`, `silent:<unit>:<last>`.
    pub key: String,
    /// One line, Chinese, ready as a message title.
    pub title: String,
    /// For spikes and silences: the figures (`近24小时 12 篇，前14天同时段平均 3.1 篇`).
    #[serde(default)]
    pub summary: String,
    pub items: Vec<Item>,
}
