//! Official-site (and general news) article pages: headline, publication time, author, origin,
//! site name and the body as clean paragraphs.
//!
//! With a source's selectors the configured elements are used. Without them, the body is found
//! by scoring blocks: paragraph-like elements (with their text length and punctuation) lend
//! their score to their ancestors; link-heavy and boilerplate blocks (navigation, share bars,
//! related lists, footers) count for little or nothing; the best block and its qualifying
//! siblings form the body, from which link lists and editor/copyright lines are dropped.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use ego_tree::NodeId;
use regex::Regex;
use scraper::node::Node;
use scraper::{ElementRef, Html};
use url::Url;
use yuqing_model::Selectors;

use crate::dates::{self, date_from_url, find_dates, parse_date};
use crate::dom::{
    self, NodeR, class_id, is_block_tag, is_junk_tag, paragraphs, sel, squash, text_of,
};

/// What the article extractor found.
#[derive(Clone, Debug, Default)]
pub struct ArticleParts {
    pub title: String,
    pub published_at: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    pub origin: Option<String>,
    pub site_name: Option<String>,
    pub body: Vec<String>,
    pub warnings: Vec<String>,
}

/// `<meta>` values by lowercase name / property / itemprop (first wins).
pub(crate) struct Meta(HashMap<String, String>);

impl Meta {
    pub(crate) fn read(doc: &Html) -> Meta {
        let mut map = HashMap::new();
        for el in doc.select(&sel("meta")) {
            let v = el.value();
            let Some(content) = v.attr("content") else {
                continue;
            };
            let content = squash(content);
            if content.is_empty() {
                continue;
            }
            for key in ["name", "property", "itemprop", "http-equiv"] {
                if let Some(k) = v.attr(key) {
                    map.entry(k.trim().to_ascii_lowercase())
                        .or_insert_with(|| content.clone());
                }
            }
        }
        Meta(map)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn first(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| self.get(k))
    }
}

// ───────────────────────────── block scoring ─────────────────────────────

#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    chars: u32,
    link_chars: u32,
    punct: u32,
    /// Characters of the element's own text nodes (not of its child elements).
    own_chars: u32,
    own_punct: u32,
}

impl Stats {
    fn link_density(&self) -> f32 {
        if self.chars == 0 {
            0.0
        } else {
            self.link_chars as f32 / self.chars as f32
        }
    }
}

/// Class/id tokens that mark boilerplate: such blocks are dropped whole.
const NEGATIVE: &[&str] = &[
    "comment",
    "comments",
    "footer",
    "nav",
    "navbar",
    "navigation",
    "menu",
    "sidebar",
    "share",
    "sharing",
    "social",
    "related",
    "recommend",
    "recommended",
    "breadcrumb",
    "breadcrumbs",
    "crumb",
    "crumbs",
    "copyright",
    "advert",
    "advertisement",
    "ads",
    "banner",
    "toolbar",
    "subscribe",
    "newsletter",
    "popup",
    "modal",
    "cookie",
    "login",
    "promo",
    "sponsor",
    "sponsored",
    "outbrain",
    "taboola",
    "disqus",
    "masthead",
    "pager",
    "pagination",
    "bshare",
    "jiathis",
    "liability",
    "signup",
    "skip",
    "widget",
];

/// Class/id tokens that make a block less likely to be the text, without dropping it.
const WEAK_NEGATIVE: &[&str] = &[
    "side",
    "ad",
    "more",
    "links",
    "tool",
    "tools",
    "hot",
    "rank",
    "ranking",
    "location",
    "position",
    "caption",
    "credit",
    "author",
    "byline",
    "meta",
    "tags",
    "print",
    "editor",
    "hidden",
    "foot",
    "friendlink",
];

/// Class/id tokens that mark article content.
const POSITIVE: &[&str] = &[
    "article", "body", "content", "entry", "main", "post", "text", "story", "blog", "detail",
    "zoom", "zw", "con", "cont", "words", "page", "news",
];

/// Whole class/id names of known article containers (official sites, CMSs).
const KNOWN_BODIES: &[&str] = &[
    "zoom",
    "js_content",
    "ucap-content",
    "trs_editor",
    "trs_ueditor",
    "detail",
    "detailcontent",
    "contentph",
    "p-detail",
    "pages_content",
    "rm_txt_con",
    "show_text",
    "article-content",
    "article_content",
    "articlebody",
    "article-body",
    "entry-content",
    "post-content",
    "story-body",
    "content_desc",
    "left_zw",
    "endtext",
    "main_content",
    "arccont",
    "newscontent",
    "fontzoom",
    "content-article",
    "article__body",
    "articlecontent",
    "text_con",
    "txt_con",
];

fn token_set_has(ci: &str, list: &[&str]) -> bool {
    dom::tokens(ci).any(|t| list.contains(&t))
}

/// Whether an element is not shown to readers.
fn is_hidden(el: &scraper::node::Element) -> bool {
    if el.attr("hidden").is_some() {
        return true;
    }
    if let Some(style) = el.attr("style") {
        let style: String = style.chars().filter(|c| !c.is_whitespace()).collect();
        let style = style.to_ascii_lowercase();
        if style.contains("display:none") || style.contains("visibility:hidden") {
            return true;
        }
    }
    false
}

/// Whether an element looks like boilerplate (navigation, share bars, related lists).
fn is_boilerplate(el: &scraper::node::Element) -> bool {
    let name = el.name();
    if matches!(name, "nav" | "footer" | "aside" | "header") {
        return true;
    }
    if el.attr("aria-hidden") == Some("true") {
        return true;
    }
    if matches!(name, "body" | "html" | "article" | "main") {
        return false;
    }
    let ci = class_id(el);
    if ci.is_empty() {
        return false;
    }
    if KNOWN_BODIES
        .iter()
        .any(|k| ci.split_whitespace().any(|w| w == *k))
    {
        return false;
    }
    token_set_has(&ci, NEGATIVE)
        && !token_set_has(
            &ci,
            &[
                "article", "content", "body", "main", "text", "entry", "story",
            ],
        )
}

/// Per-element text statistics; subtrees for which `drop` says so are left out.
fn compute_stats(
    root: NodeR<'_>,
    drop: &dyn Fn(NodeR<'_>, &scraper::node::Element) -> bool,
) -> HashMap<NodeId, Stats> {
    let mut stats: HashMap<NodeId, Stats> = HashMap::new();
    let mut stack: Vec<(NodeR<'_>, bool)> = vec![(root, true)];
    while let Some((node, entering)) = stack.pop() {
        match node.value() {
            Node::Element(el) => {
                if entering {
                    if is_junk_tag(el.name()) || drop(node, el) {
                        continue;
                    }
                    stack.push((node, false));
                    for c in node.children() {
                        stack.push((c, true));
                    }
                } else {
                    let mut s = Stats::default();
                    for c in node.children() {
                        match c.value() {
                            Node::Text(t) => {
                                for ch in t.chars() {
                                    if !ch.is_whitespace() && ch != '\u{3000}' && ch != '\u{a0}' {
                                        s.chars += 1;
                                        s.own_chars += 1;
                                        if dom::is_punct(ch) {
                                            s.punct += 1;
                                            s.own_punct += 1;
                                        }
                                    }
                                }
                            }
                            Node::Element(_) => {
                                if let Some(cs) = stats.get(&c.id()) {
                                    s.chars += cs.chars;
                                    s.link_chars += cs.link_chars;
                                    s.punct += cs.punct;
                                }
                            }
                            _ => {}
                        }
                    }
                    if el.name() == "a" {
                        s.link_chars = s.chars;
                    }
                    stats.insert(node.id(), s);
                }
            }
            Node::Document => {
                for c in node.children() {
                    stack.push((c, true));
                }
            }
            _ => {}
        }
    }
    stats
}

fn has_block_child(node: NodeR<'_>) -> bool {
    node.children().any(|c| match c.value() {
        Node::Element(el) => is_block_tag(el.name()) && el.name() != "br",
        _ => false,
    })
}

fn tag_bonus(name: &str) -> f32 {
    match name {
        "div" | "article" | "section" | "main" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

fn class_weight(el: &scraper::node::Element) -> f32 {
    let ci = class_id(el);
    let mut w = 0.0;
    if el
        .attr("itemprop")
        .is_some_and(|p| p.eq_ignore_ascii_case("articlebody"))
    {
        w += 50.0;
    }
    if KNOWN_BODIES
        .iter()
        .any(|k| ci.split_whitespace().any(|w| w == *k))
    {
        w += 50.0;
    }
    if token_set_has(&ci, POSITIVE) {
        w += 25.0;
    }
    if token_set_has(&ci, NEGATIVE) || token_set_has(&ci, WEAK_NEGATIVE) {
        w -= 25.0;
    }
    w
}

/// Finds the body paragraphs of a document by block scoring.
fn density_body(doc: &Html, title: &str) -> Vec<String> {
    let root = doc.tree.root();
    // boilerplate-looking blocks are dropped unless they hold much of the page's text (a
    // "widget" or "advertisement" class on a wrapper around the whole article)
    let raw = compute_stats(root, &|_, el| is_hidden(el));
    let total = doc.root_element().id();
    let total = raw.get(&total).map_or(0, |s| s.chars);
    let dropped = |n: NodeR<'_>, el: &scraper::node::Element| {
        is_hidden(el)
            || (is_boilerplate(el) && raw.get(&n.id()).is_none_or(|s| s.chars * 10 < total * 3))
    };
    let stats = compute_stats(root, &dropped);
    let mut scores: HashMap<NodeId, f32> = HashMap::new();
    let mut order: Vec<NodeId> = Vec::new();

    for node in root.descendants() {
        let Node::Element(el) = node.value() else {
            continue;
        };
        let Some(st) = stats.get(&node.id()) else {
            continue;
        };
        let name = el.name();
        let leaf = !has_block_child(node);
        let para_like = matches!(name, "p" | "pre" | "blockquote" | "td" | "dd")
            || (matches!(
                name,
                "div" | "section" | "article" | "font" | "span" | "center"
            ) && leaf);
        // text written straight into a container, between <br>s or empty divs
        let own_text = !para_like
            && matches!(
                name,
                "div" | "section" | "article" | "td" | "font" | "span" | "center"
            )
            && st.own_chars >= 50;
        let (chars, punct) = if own_text {
            (st.own_chars, st.own_punct)
        } else {
            (st.chars, st.punct)
        };
        if !(para_like || own_text) || chars < 20 {
            continue;
        }
        if para_like && st.link_density() > 0.5 {
            continue;
        }
        let score = 1.0 + punct as f32 + (chars as f32 / 100.0).min(3.0);
        if own_text {
            // the container itself holds a paragraph: it is a candidate too
            let entry = scores.entry(node.id()).or_insert_with(|| {
                order.push(node.id());
                tag_bonus(name) + class_weight(el)
            });
            *entry += score;
        }
        let mut level = 0;
        let mut anc = node.parent();
        while let Some(a) = anc {
            if level >= 5 {
                break;
            }
            let Node::Element(ael) = a.value() else {
                break;
            };
            if !stats.contains_key(&a.id()) {
                break;
            }
            let divisor = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            let entry = scores.entry(a.id()).or_insert_with(|| {
                order.push(a.id());
                tag_bonus(ael.name()) + class_weight(ael)
            });
            *entry += score / divisor;
            level += 1;
            anc = a.parent();
        }
    }

    let mut best: Option<(NodeId, f32)> = None;
    for id in &order {
        let s = scores[id] * (1.0 - stats[id].link_density());
        scores.insert(*id, s);
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((*id, s));
        }
    }
    let Some((top_id, top_score)) = best else {
        return Vec::new();
    };
    let Some(mut top) = doc.tree.get(top_id) else {
        return Vec::new();
    };
    let mut top_score = top_score;
    // several near-best candidates under one ancestor: the text is split into sections
    let near: Vec<NodeId> = order
        .iter()
        .filter(|id| **id != top_id && scores[*id] >= top_score * 0.75)
        .copied()
        .collect();
    if near.len() >= 3 {
        let mut anc = top.parent();
        while let Some(a) = anc {
            if !stats.contains_key(&a.id()) {
                break;
            }
            let contained = near
                .iter()
                .filter(|id| {
                    doc.tree
                        .get(**id)
                        .is_some_and(|n| n.ancestors().any(|x| x.id() == a.id()))
                })
                .count();
            if contained >= 3 {
                top = a;
                top_score = scores.get(&a.id()).copied().unwrap_or(top_score);
                break;
            }
            anc = a.parent();
        }
    }
    // scores rising on the way up mean more of the text lies beside the top block
    let mut last = top_score;
    let mut anc = top.parent();
    while let Some(a) = anc {
        match a.value() {
            Node::Element(e) if e.name() != "body" && e.name() != "html" => {}
            _ => break,
        }
        if let Some(s) = scores.get(&a.id()).copied() {
            if s < last / 3.0 {
                break;
            }
            if s > last {
                top = a;
                top_score = s;
                break;
            }
            last = s;
        }
        anc = a.parent();
    }
    let top_id = top.id();

    // the top block and its qualifying siblings, in document order
    let threshold = (top_score * 0.2).max(10.0);
    let mut chosen: Vec<NodeR<'_>> = Vec::new();
    match top.parent() {
        Some(parent) if stats.contains_key(&parent.id()) => {
            for sib in parent.children() {
                if sib.id() == top_id {
                    chosen.push(sib);
                    continue;
                }
                let Node::Element(el) = sib.value() else {
                    continue;
                };
                let Some(st) = stats.get(&sib.id()) else {
                    continue;
                };
                let s = scores.get(&sib.id()).copied().unwrap_or(0.0);
                let ld = st.link_density();
                let ok = s >= threshold
                    || (el.name() == "p" && st.chars > 80 && ld < 0.25)
                    || (el.name() == "p" && st.chars > 10 && ld == 0.0 && st.punct > 0);
                if ok {
                    chosen.push(sib);
                }
            }
        }
        _ => chosen.push(top),
    }

    let prune = |n: NodeR<'_>| -> bool {
        let Node::Element(el) = n.value() else {
            return false;
        };
        if dropped(n, el) {
            return true;
        }
        let Some(st) = stats.get(&n.id()) else {
            return true;
        };
        let name = el.name();
        if matches!(
            name,
            "a" | "span" | "b" | "strong" | "em" | "i" | "font" | "br"
        ) {
            return false;
        }
        let ld = st.link_density();
        if ld > 0.5 && !(name == "p" && st.chars > 200) {
            return true;
        }
        if matches!(name, "ul" | "ol" | "table" | "div" | "section" | "dl")
            && ld > 0.33
            && st.punct < 3
        {
            return true;
        }
        false
    };
    let mut out = Vec::new();
    for node in chosen {
        out.extend(paragraphs(node, &prune));
    }
    let _ = title;
    out
}

// ───────────────────────────── title ─────────────────────────────

static TITLE_SEPARATORS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*(?:_|\||｜|--|——|—|–|-\s|\s-|·|::)\s*").expect("valid regex"));

fn clean_title(t: &str) -> String {
    squash(t)
        .trim_matches(|c: char| c.is_whitespace())
        .to_string()
}

fn normalized(t: &str) -> String {
    t.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// Joins the lines of a headline: a line break between two Chinese characters is not a space.
fn title_text(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    for part in paragraphs(*el, &|_| false) {
        let cjk_join = out.chars().last().is_some_and(|c| !c.is_ascii())
            && part.chars().next().is_some_and(|c| !c.is_ascii());
        if !out.is_empty() && !cjk_join {
            out.push(' ');
        }
        out.push_str(&part);
    }
    clean_title(&out)
}

fn find_title(doc: &Html, meta: &Meta, selectors: Option<&Selectors>) -> (String, Option<String>) {
    if let Some(s) = selectors.and_then(|s| s.title.as_deref())
        && let Some(el) = dom::select_user(doc, s).into_iter().next()
    {
        let t = title_text(el);
        if !t.is_empty() {
            return (t, None);
        }
    }
    let page_title = doc
        .select(&sel("title"))
        .next()
        .map(|t| clean_title(&t.text().collect::<String>()))
        .unwrap_or_default();
    let site = meta
        .first(&["og:site_name", "sitename", "site_name"])
        .map(str::to_string)
        .or_else(|| site_from_title(&page_title));
    let meta_title = meta
        .first(&[
            "articletitle",
            "og:title",
            "twitter:title",
            "headline",
            "msg_title",
        ])
        .map(clean_title)
        .filter(|t| t.chars().count() >= 4);
    let reference: Vec<String> = [Some(page_title.clone()), meta_title.clone()]
        .into_iter()
        .flatten()
        .map(|t| normalized(&t))
        .filter(|t| !t.is_empty())
        .collect();
    let site_norm = site.as_deref().map(normalized);

    // headings, scored: contained in the <title> or meta title, h1, a title-like class
    let mut best: Option<(i32, String)> = None;
    let heading_sel = sel(
        "h1, h2, h3, .title, .tit, .article-title, .headline, #title, .h-title, .l_tit, .u-title, #activity-name, .share-title",
    );
    for el in doc.select(&heading_sel) {
        let t = title_text(el);
        let n = t.chars().count();
        if !(4..=150).contains(&n) {
            continue;
        }
        let nt = normalized(&t);
        if site_norm.as_deref() == Some(nt.as_str()) {
            continue;
        }
        let mut score = 0;
        if reference
            .iter()
            .any(|r| r.contains(&nt) || (nt.contains(r.as_str()) && r.chars().count() >= 6))
        {
            score += 10;
        }
        let name = el.value().name();
        score += match name {
            "h1" => 3,
            "h2" => 1,
            _ => 0,
        };
        let ci = class_id(el.value());
        if dom::tokens(&ci).any(|t| matches!(t, "title" | "tit" | "headline" | "h" | "name")) {
            score += 2;
        }
        if best.as_ref().is_none_or(|(b, bt)| {
            score > *b || (score == *b && score >= 10 && n > bt.chars().count())
        }) {
            best = Some((score, t));
        }
    }
    if let Some((score, t)) = &best
        && *score >= 10
    {
        return (t.clone(), site);
    }
    if let Some(m) = meta_title {
        return (strip_site(&m), site);
    }
    let stripped = strip_site(&page_title);
    if stripped.chars().count() >= 6 && site_norm.as_deref() != Some(normalized(&stripped).as_str())
    {
        return (stripped, site);
    }
    if let Some((score, t)) = &best
        && *score >= 2
    {
        return (t.clone(), site);
    }
    if !stripped.is_empty() {
        return (stripped, site);
    }
    (best.map(|(_, t)| t).unwrap_or_default(), site)
}

/// The headline part of a `<title>` like `标题_栏目_网站`.
fn strip_site(t: &str) -> String {
    let parts: Vec<&str> = TITLE_SEPARATORS
        .split(t)
        .filter(|p| !p.trim().is_empty())
        .collect();
    if parts.len() <= 1 {
        return t.to_string();
    }
    let first = parts[0].trim();
    let longest = parts
        .iter()
        .max_by_key(|p| p.chars().count())
        .map_or(first, |p| p.trim());
    if first.chars().count() >= 6 || first == longest {
        first.to_string()
    } else {
        longest.to_string()
    }
}

fn site_from_title(t: &str) -> Option<String> {
    let parts: Vec<&str> = TITLE_SEPARATORS
        .split(t)
        .filter(|p| !p.trim().is_empty())
        .collect();
    if parts.len() >= 2 {
        let last = parts[parts.len() - 1].trim();
        if (2..=30).contains(&last.chars().count()) {
            return Some(last.to_string());
        }
    }
    None
}

// ───────────────────────────── date, author, origin ─────────────────────────────

const DATE_META: &[&str] = &[
    "article:published_time",
    "pubdate",
    "publishdate",
    "firstpublishedtime",
    "published_time",
    "og:published_time",
    "datepublished",
    "dc.date.issued",
    "dc.date",
    "publish-date",
    "publish_date",
    "parsely-pub-date",
    "sailthru.date",
    "og:release_date",
    "release_date",
    "weibo: article:create_at",
    "date",
    "created",
];

static LABELLED_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:发布时间|发布日期|发表时间|发稿时间|更新时间|时间|日期|发表于|发布于)\s*[:：]?\s*$",
    )
    .expect("valid regex")
});

fn jsonld_values(doc: &Html) -> Vec<serde_json::Value> {
    doc.select(&sel("script[type=\"application/ld+json\"]"))
        .filter_map(|s| {
            serde_json::from_str::<serde_json::Value>(&s.text().collect::<String>()).ok()
        })
        .flat_map(|v| match v {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(ref o) if o.contains_key("@graph") => {
                o["@graph"].as_array().cloned().unwrap_or_default()
            }
            other => vec![other],
        })
        .collect()
}

fn not_future(d: DateTime<FixedOffset>, now: Option<DateTime<FixedOffset>>) -> bool {
    now.is_none_or(|n| d <= n + chrono::Duration::days(1))
}

/// The text around the body: lines from the headline down to it, its own lines, a few after.
#[derive(Clone, Copy)]
struct Around<'a> {
    head: &'a [String],
    body: &'a [String],
    tail: &'a [String],
}

/// A day-only date (midnight) made precise by a time given for the same day near the headline.
fn refine_day(d: DateTime<FixedOffset>, head: &[String], body: &[String]) -> DateTime<FixedOffset> {
    if d.time() != chrono::NaiveTime::MIN {
        return d;
    }
    head.iter()
        .chain(body.iter().take(3))
        .flat_map(|l| find_dates(l))
        .find(|f| f.has_time && f.value.date_naive() == d.date_naive())
        .map_or(d, |f| f.value)
}

/// Chooses the publication time. `head` is the text around the headline (before the body).
fn find_date(
    doc: &Html,
    meta: &Meta,
    url: &Url,
    selectors: Option<&Selectors>,
    around: &Around<'_>,
    now: Option<DateTime<FixedOffset>>,
) -> Option<(DateTime<FixedOffset>, &'static str)> {
    let Around { head, body, tail } = *around;
    let ok = |d: &DateTime<FixedOffset>| not_future(*d, now);
    if let Some(s) = selectors.and_then(|s| s.date.as_deref()) {
        for el in dom::select_user(doc, s) {
            if let Some(d) = parse_date(&text_of(el), now).filter(ok) {
                return Some((d, "selector"));
            }
        }
    }
    // a date labelled 发布时间 etc. near the headline, at the top of the text or just after it
    let top = body.iter().take(5);
    for line in head.iter().chain(top).chain(tail) {
        for found in find_dates(line) {
            if LABELLED_DATE.is_match(&line[..found.start]) && ok(&found.value) {
                return Some((found.value, "labelled text"));
            }
        }
    }
    for key in DATE_META {
        if let Some(v) = meta.get(key)
            && let Some(d) = parse_date(v, None).filter(ok)
        {
            return Some((refine_day(d, head, body), "meta"));
        }
    }
    for v in jsonld_values(doc) {
        if let Some(d) = v
            .get("datePublished")
            .and_then(|d| d.as_str())
            .and_then(|d| parse_date(d, None))
            .filter(ok)
        {
            return Some((d, "json-ld"));
        }
    }
    for el in doc.select(&sel("time[datetime], time[pubdate]")) {
        let v = el
            .value()
            .attr("datetime")
            .map(str::to_string)
            .unwrap_or_else(|| text_of(el));
        if let Some(d) = parse_date(&v, now).filter(ok) {
            return Some((d, "time element"));
        }
    }
    // the top of the text, then the lines above it, nearest first
    let short_top = body.iter().take(5).filter(|l| l.chars().count() < 80);
    for line in head.iter().rev().chain(short_top) {
        if let Some(f) = find_dates(line).into_iter().find(|f| ok(&f.value)) {
            return Some((f.value, "text near the headline"));
        }
    }
    // elements named for dates (`#paperdate`, `.cnt_date`, `.pubtime`), outside boilerplate
    for el in doc.select(&sel("[class], [id]")) {
        let ci = class_id(el.value());
        let dateish = dom::tokens(&ci).any(|t| {
            matches!(
                t,
                "date"
                    | "time"
                    | "pubtime"
                    | "pubdate"
                    | "publishtime"
                    | "publish"
                    | "daty"
                    | "paperdate"
                    | "riqi"
                    | "shijian"
                    | "datetime"
                    | "posttime"
                    | "fbsj"
            ) || t.ends_with("date")
                || t.ends_with("time")
        });
        if !dateish
            || el
                .ancestors()
                .any(|a| matches!(a.value(), Node::Element(e) if is_boilerplate(e) || is_hidden(e)))
        {
            continue;
        }
        let t = text_of(el);
        if t.chars().count() > 60 {
            continue;
        }
        if let Some(f) = find_dates(&t).into_iter().find(|f| ok(&f.value)) {
            return Some((f.value, "date element"));
        }
    }
    if let Some(d) = date_from_url(url.as_str()).filter(ok) {
        return Some((d, "url"));
    }
    // forums and blogs sign off with the date after the text
    let last = body.len().saturating_sub(3);
    for line in body[last..].iter().chain(tail) {
        if let Some(f) = find_dates(line).into_iter().find(|f| ok(&f.value)) {
            return Some((f.value, "text after the body"));
        }
    }
    for line in head {
        if let Some(d) = dates::parse_relative(line, now?) {
            return Some((d, "relative text"));
        }
    }
    None
}

static AUTHOR_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:作者|撰文|文)\s*[:：/／]\s*([\p{Han}·A-Za-z][\p{Han}·A-Za-z ]{0,20}?)(?:\s|$|　|[（(，,])|(?:本报记者|记者|通讯员)\s*[:：]?\s*([\p{Han}]{2,4}(?:[、 ][\p{Han}]{2,4})*)")
        .expect("valid regex")
});

static ORIGIN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:来源|来自|稿源|出处)\s*[:：]\s*([^\s　|｜,，]{2,30})").expect("valid regex")
});

static BY_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?i:by)\s+([A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})").expect("valid regex")
});

fn find_author(
    doc: &Html,
    meta: &Meta,
    selectors: Option<&Selectors>,
    head: &[String],
) -> Option<String> {
    if let Some(s) = selectors.and_then(|s| s.author.as_deref())
        && let Some(el) = dom::select_user(doc, s).into_iter().next()
    {
        let t = text_of(el);
        let t = AUTHOR_TEXT
            .captures(&t)
            .and_then(|c| c.get(1).or_else(|| c.get(2)))
            .map_or(t.clone(), |m| m.as_str().trim().to_string());
        if !t.is_empty() {
            return Some(t);
        }
    }
    for line in head {
        if let Some(c) = AUTHOR_TEXT.captures(line)
            && let Some(m) = c.get(1).or_else(|| c.get(2))
        {
            let a = m.as_str().trim();
            if !a.is_empty() {
                return Some(a.to_string());
            }
        }
    }
    if let Some(a) = meta.first(&[
        "author",
        "article:author",
        "og:article:author",
        "dc.creator",
        "byl",
    ]) {
        let a = a.trim();
        if (2..=40).contains(&a.chars().count()) && !a.contains("://") && !a.contains('.') {
            return Some(a.trim_start_matches("By ").to_string());
        }
    }
    for el in doc.select(&sel(
        "[rel=author], [itemprop=author], .byline, .author-name",
    )) {
        let t = text_of(el);
        if (2..=40).contains(&t.chars().count()) {
            let t = BY_LINE.captures(&t).map_or(t.clone(), |c| c[1].to_string());
            return Some(t);
        }
    }
    None
}

fn find_origin(
    doc: &Html,
    meta: &Meta,
    selectors: Option<&Selectors>,
    head: &[String],
) -> Option<String> {
    if let Some(s) = selectors.and_then(|s| s.origin.as_deref())
        && let Some(el) = dom::select_user(doc, s).into_iter().next()
    {
        let t = text_of(el);
        let t = ORIGIN_TEXT
            .captures(&t)
            .map_or(t.clone(), |c| c[1].to_string());
        if !t.is_empty() {
            return Some(t);
        }
    }
    for line in head {
        if let Some(c) = ORIGIN_TEXT.captures(line) {
            return Some(c[1].trim().to_string());
        }
    }
    meta.first(&["contentsource", "source", "og:source"])
        .map(|s| s.trim().to_string())
        .filter(|s| (2..=40).contains(&s.chars().count()))
}

// ───────────────────────────── body clean-up ─────────────────────────────

static BOILERPLATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^(?:
            [（(【\[]?\s*(?:责任编辑|责编|编辑|校对|审核|监制|主编|值班编辑)\s*[:：].{0,60}
          | .*(?:版权所有|Copyright\s*©|©\s*\d{4}|All\s+Rights\s+Reserved|ICP备|ICP证|京公网安备)
          | (?:分享到|分享至|扫一扫|扫描二维码|相关阅读|相关新闻|相关链接|延伸阅读|推荐阅读|热点推荐|上一篇|下一篇|返回顶部|打印本页|关闭窗口)\s*[:：]?.{0,40}
          | .*【\s*(?:打印|关闭|字体|字号|大|中|小|纠错)\s*】.*
          | (?:字号|字体)\s*[:：].{0,20}
          | 点击(?:进入|查看).{0,20}
        )$",
    )
    .expect("valid regex")
});

fn is_meta_line(p: &str) -> bool {
    let n = p.chars().count();
    n < 80
        && (ORIGIN_TEXT.is_match(p) || p.contains("发布时间") || p.contains("浏览次数"))
        && !find_dates(p).is_empty()
}

fn clean_body(body: Vec<String>, title: &str) -> Vec<String> {
    let nt = normalized(title);
    body.into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .filter(|p| !BOILERPLATE_LINE.is_match(p))
        .filter(|p| !is_meta_line(p))
        .filter(|p| nt.is_empty() || normalized(p) != nt)
        .collect()
}

// ───────────────────────────── the whole page ─────────────────────────────

/// Text lines from the headline to the start of the body (where bylines, dates and sources
/// sit), and the few lines after the body (where forums and blogs put them).
fn head_lines(doc: &Html, title: &str, body: &[String]) -> (Vec<String>, Vec<String>) {
    let all = paragraphs(doc.tree.root(), &|_| false);
    let key = |p: &String| -> Option<String> {
        let n = normalized(p);
        (!n.is_empty()).then(|| n.chars().take(20).collect())
    };
    // locate the body by its first distinctive paragraph (short ones such as a repeated
    // headline also occur above it)
    let nt = normalized(title);
    let distinctive = |(i, p): (usize, &String)| {
        let k = key(p)?;
        (k.chars().count() >= 15 && normalized(p) != nt).then_some((i, k))
    };
    let body_start = body
        .iter()
        .enumerate()
        .find_map(distinctive)
        .and_then(|(i, k)| {
            all.iter()
                .position(|p| normalized(p).contains(&k))
                .map(|pos| pos.saturating_sub(i))
        })
        .unwrap_or(all.len());
    let title_at = (!nt.is_empty())
        .then(|| {
            all[..body_start]
                .iter()
                .rposition(|p| normalized(p).contains(&nt))
        })
        .flatten();
    let start = match title_at {
        Some(t) if body_start - t <= 30 => t,
        _ => body_start.saturating_sub(20),
    };
    let head = all[start..body_start].to_vec();
    let tail = body
        .iter()
        .rev()
        .filter_map(key)
        .next()
        .and_then(|k| {
            let from = body_start.min(all.len());
            all[from..]
                .iter()
                .position(|p| normalized(p).contains(&k))
                .map(|i| from + i)
        })
        .map(|end| all.iter().skip(end + 1).take(5).cloned().collect())
        .unwrap_or_default();
    (head, tail)
}

/// Body paragraphs from configured selectors, if they match.
fn selector_body(doc: &Html, selectors: &Selectors) -> Option<Vec<String>> {
    let body_sel = selectors.body.as_deref()?;
    let removes: Vec<scraper::Selector> = selectors
        .remove
        .iter()
        .filter_map(|s| scraper::Selector::parse(s).ok())
        .collect();
    let matches = dom::select_user(doc, body_sel);
    if matches.is_empty() {
        return None;
    }
    let skip = |n: NodeR<'_>| -> bool {
        let Some(el) = ElementRef::wrap(n) else {
            return false;
        };
        removes.iter().any(|r| r.matches(&el))
    };
    let mut out = Vec::new();
    // nested matches (a selector list matching an element and its child) are taken once
    let mut taken: Vec<NodeId> = Vec::new();
    for m in matches {
        if m.ancestors().any(|a| taken.contains(&a.id())) {
            continue;
        }
        taken.push(m.id());
        out.extend(paragraphs(*m, &skip));
    }
    Some(out)
}

/// Extracts an article from a parsed page.
pub fn extract(
    doc: &Html,
    url: &Url,
    selectors: Option<&Selectors>,
    now: Option<DateTime<FixedOffset>>,
) -> ArticleParts {
    let meta = Meta::read(doc);
    let mut warnings = Vec::new();
    let (title, site) = find_title(doc, &meta, selectors);
    let body = match selectors.and_then(|s| selector_body(doc, s)) {
        Some(b) => b,
        None => {
            if selectors.is_some_and(|s| s.body.is_some()) {
                warnings.push(
                    "configured body selector matched nothing: generic extraction used".into(),
                );
            }
            density_body(doc, &title)
        }
    };
    // dates and bylines are looked for in the text as found, before meta lines are dropped
    let raw_body = body;
    let body = clean_body(raw_body.clone(), &title);
    let (head, tail) = head_lines(doc, &title, &raw_body);

    let found = find_date(
        doc,
        &meta,
        url,
        selectors,
        &Around {
            head: &head,
            body: &raw_body,
            tail: &tail,
        },
        now,
    );
    match found {
        None => warnings.push("no publication date found".into()),
        Some((_, how)) if !matches!(how, "selector" | "meta" | "json-ld" | "time element") => {
            warnings.push(format!("publication date taken from the {how}"));
        }
        _ => {}
    }
    let published_at = found.map(|(d, _)| d);
    let author = find_author(doc, &meta, selectors, &head);
    let origin = find_origin(doc, &meta, selectors, &head);
    let site_name = site.or_else(|| meta.get("application-name").map(str::to_string));
    ArticleParts {
        title,
        published_at,
        author,
        origin,
        site_name,
        body,
        warnings,
    }
}
