//! List pages: which links on a column page lead to articles, with the date shown beside each,
//! and where the next page is.
//!
//! Three ways in, as configured by the source's `list_mode`:
//! - `html`: the configured `list_links` selector, or, without one, links clustered by their
//!   position in the page and the shape of their URLs (navigation, headers, footers and
//!   pagination are left out; the cluster of long, similar links wins);
//! - `jpaas`: the column page's `script[parsetype=bulidstatic]` names the unit-build call that
//!   fills the list; [`jpaas_requests`] builds that call (paging inside `paramJson`) and
//!   [`jpaas_links`] reads its `{data:{html}}` answer;
//! - `json`: a JSON (or JSONP) list endpoint whose item fields the source names ([`json_links`]).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use scraper::node::Node;
use scraper::{ElementRef, Html};
use url::Url;
use yuqing_model::{JsonList, Selectors};

use crate::canonical::canonicalize;
use crate::dates::{date_from_url, find_dates, parse_date, unix_timestamp};
use crate::dom::{self, class_id, sel, squash, text_of};
use crate::{ExtractError, Link};

/// The links of one list page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListPage {
    pub links: Vec<Link>,
    pub next_page: Option<String>,
    pub warnings: Vec<String>,
}

/// Whether `host` belongs to the same site as `base` (same host, or sharing the registrable
/// part such as `cast.org.cn` for `www.cast.org.cn` and `sj.cast.org.cn`), or is listed.
pub fn same_site(host: &str, base: &str, allowed: &[String]) -> bool {
    let host = host.trim_start_matches("www.");
    let base = base.trim_start_matches("www.");
    if host.eq_ignore_ascii_case(base) || allowed.iter().any(|a| a.eq_ignore_ascii_case(host)) {
        return true;
    }
    let site = |h: &str| -> String {
        let labels: Vec<&str> = h.split('.').collect();
        // keep three labels under two-letter country domains with a second level (org.cn, gov.cn)
        let keep = if labels.len() >= 3
            && labels[labels.len() - 1].len() == 2
            && matches!(
                labels[labels.len() - 2],
                "com" | "org" | "gov" | "edu" | "net" | "ac"
            ) {
            3
        } else {
            2
        };
        labels[labels.len().saturating_sub(keep)..]
            .join(".")
            .to_ascii_lowercase()
    };
    site(host) == site(base)
}

/// Anchor texts that mean "next page".
fn is_next_text(t: &str) -> bool {
    let t = t.trim();
    matches!(
        t,
        "下一页"
            | "下页"
            | "下一頁"
            | "后页"
            | "下一页>"
            | "下一页 >"
            | "下一页»"
            | ">"
            | "›"
            | "»"
            | "Next"
            | "next"
            | "Next »"
            | "Next ›"
    ) || t.eq_ignore_ascii_case("next page")
}

static FILE_EXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\.(?:jpg|jpeg|png|gif|webp|svg|css|js|zip|rar|7z|exe|apk|mp4|mp3|ico)$")
        .expect("valid regex")
});

/// The shape of a URL path: digits become `0`, the last segment's name is kept only when it
/// has no digits.
fn url_pattern(u: &Url) -> String {
    let path = u.path();
    let mut out: String = path
        .chars()
        .map(|c| if c.is_ascii_digit() { '0' } else { c })
        .collect();
    // collapse runs of 0
    while out.contains("00") {
        out = out.replace("00", "0");
    }
    if u.query().is_some() {
        out.push('?');
        let mut keys: Vec<&str> = u
            .query()
            .unwrap_or("")
            .split('&')
            .filter_map(|kv| kv.split('=').next())
            .collect();
        keys.sort_unstable();
        out.push_str(&keys.join("&"));
    }
    out
}

/// A structural signature of where an anchor sits: up to four ancestors' tag and class.
fn position_signature(a: ElementRef<'_>) -> String {
    let mut parts = Vec::new();
    for anc in a.ancestors().take(4) {
        if let Node::Element(el) = anc.value() {
            let cls = el
                .attr("class")
                .unwrap_or("")
                .split_whitespace()
                .next()
                .unwrap_or("");
            parts.push(format!("{}.{cls}", el.name()));
        }
    }
    parts.join("<")
}

fn in_chrome(a: ElementRef<'_>) -> bool {
    a.ancestors().any(|n| match n.value() {
        Node::Element(el) => {
            matches!(el.name(), "nav" | "header" | "footer")
                || dom::tokens(&class_id(el)).any(|t| {
                    matches!(
                        t,
                        "nav"
                            | "navbar"
                            | "menu"
                            | "footer"
                            | "header"
                            | "breadcrumb"
                            | "crumb"
                            | "pagination"
                            | "pager"
                            | "page"
                            | "pages"
                            | "friendlink"
                            | "links"
                            | "copyright"
                    )
                })
        }
        _ => false,
    })
}

/// The anchor's title: its text, or its `title` attribute when the text is cut short.
fn anchor_title(a: ElementRef<'_>) -> String {
    let text = squash(&text_of(a));
    let title = a.value().attr("title").map(squash).unwrap_or_default();
    if title.chars().count() > text.chars().count()
        && (text.is_empty()
            || text.ends_with("...")
            || text.ends_with('…')
            || title.contains(text.trim_end_matches(['.', '…'])))
    {
        title
    } else {
        text
    }
}

/// The date shown beside an anchor: in its list item's other text, else in its URL.
fn date_beside(a: ElementRef<'_>, url: &Url) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    for anc in a.ancestors().take(3) {
        let Some(el) = ElementRef::wrap(anc) else {
            break;
        };
        let text = text_of(el);
        if text.chars().count() > 200 {
            break;
        }
        if let Some(f) = find_dates(&text).into_iter().next() {
            return Some(f.value);
        }
        if matches!(el.value().name(), "li" | "tr" | "dd" | "dl") {
            break;
        }
    }
    date_from_url(url.as_str())
}

fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty()
        || href.starts_with('#')
        || href.to_ascii_lowercase().starts_with("javascript:")
        || href.starts_with("mailto:")
    {
        return None;
    }
    let u = base.join(href).ok()?;
    matches!(u.scheme(), "http" | "https").then_some(u)
}

/// The next-page link, by selector, `rel=next` or its text.
fn next_page(doc: &Html, base: &Url, selectors: Option<&Selectors>) -> Option<String> {
    let from_selector = selectors
        .and_then(|s| s.next_page.as_deref())
        .and_then(|s| dom::select_user(doc, s).into_iter().next())
        .and_then(|el| {
            if el.value().name() == "a" {
                Some(el)
            } else {
                el.select(&sel("a[href]")).next()
            }
        });
    let candidate = from_selector
        .or_else(|| {
            doc.select(&sel("a[rel=next][href], link[rel=next][href]"))
                .next()
        })
        .or_else(|| {
            doc.select(&sel("a[href]"))
                .find(|a| is_next_text(&text_of(*a)))
        });
    let u = resolve(base, candidate?.value().attr("href")?)?;
    (u.as_str() != base.as_str()).then(|| u.to_string())
}

/// Links from a parsed list page.
pub fn html_links(
    doc: &Html,
    base: &Url,
    selectors: Option<&Selectors>,
    allowed_hosts: &[String],
) -> ListPage {
    let mut page = ListPage {
        next_page: next_page(doc, base, selectors),
        ..Default::default()
    };
    let base_host = base.host_str().unwrap_or("");
    let accept = |u: &Url| -> bool {
        u.host_str()
            .is_some_and(|h| same_site(h, base_host, allowed_hosts))
            && !FILE_EXT.is_match(u.path())
            && (u.path() != base.path() || u.query() != base.query())
    };
    let mut seen = HashSet::new();
    let mut push = |page: &mut ListPage, a: ElementRef<'_>, u: Url| {
        let url = canonicalize(u.as_str()).unwrap_or_else(|| u.to_string());
        if seen.insert(url.clone()) {
            page.links.push(Link {
                text: anchor_title(a),
                date: date_beside(a, &u),
                url,
            });
        }
    };

    if let Some(list_sel) = selectors.and_then(|s| s.list_links.as_deref()) {
        let matched = dom::select_user(doc, list_sel);
        for el in &matched {
            let a = if el.value().name() == "a" {
                Some(*el)
            } else {
                el.select(&sel("a[href]")).next()
            };
            if let Some(a) = a
                && let Some(u) = a.value().attr("href").and_then(|h| resolve(base, h))
            {
                push(&mut page, a, u);
            }
        }
        if !page.links.is_empty() {
            return page;
        }
        page.warnings.push(format!(
            "configured list_links selector \"{list_sel}\" matched no links: links found by page structure"
        ));
    }

    // group candidate anchors by position in the page
    struct Cand<'a> {
        a: ElementRef<'a>,
        url: Url,
        text_len: usize,
    }
    let mut groups: HashMap<String, Vec<Cand<'_>>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for a in doc.select(&sel("a[href]")) {
        let Some(u) = a.value().attr("href").and_then(|h| resolve(base, h)) else {
            continue;
        };
        if !accept(&u) || in_chrome(a) {
            continue;
        }
        let title = anchor_title(a);
        if is_next_text(&title) {
            continue;
        }
        let text_len = title.chars().count();
        let sig = position_signature(a);
        if !groups.contains_key(&sig) {
            order.push(sig.clone());
        }
        groups.entry(sig).or_default().push(Cand {
            a,
            url: u,
            text_len,
        });
    }
    // a group scores by how many title-like links it has and how alike their URLs are
    let mut best: Option<(f32, &String)> = None;
    let mut pattern_of: HashMap<&String, String> = HashMap::new();
    for sig in &order {
        let cands = &groups[sig];
        let titled: Vec<&Cand<'_>> = cands.iter().filter(|c| c.text_len >= 6).collect();
        if titled.is_empty() {
            continue;
        }
        let mut patterns: HashMap<String, usize> = HashMap::new();
        for c in &titled {
            *patterns.entry(url_pattern(&c.url)).or_default() += 1;
        }
        let (top_pattern, top_count) = patterns
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(p, n)| (p.clone(), *n))
            .unwrap_or_default();
        let alike = top_count as f32 / titled.len() as f32;
        let avg_len =
            titled.iter().map(|c| c.text_len.min(40)).sum::<usize>() as f32 / titled.len() as f32;
        let digits = if top_pattern.contains('0') { 1.5 } else { 1.0 };
        let score = titled.len() as f32 * avg_len * (0.5 + alike) * digits;
        pattern_of.insert(sig, top_pattern);
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, sig));
        }
    }
    let Some((best_score, best_sig)) = best else {
        page.warnings
            .push("no article links found on the list page".into());
        return page;
    };
    let best_pattern = pattern_of.get(best_sig).cloned().unwrap_or_default();
    let _ = best_score;
    // the winning group, and any other group whose links have the same URL shape
    for sig in &order {
        let same_shape = pattern_of.get(sig).is_some_and(|p| *p == best_pattern);
        if sig != best_sig && !same_shape {
            continue;
        }
        for c in &groups[sig] {
            if c.text_len >= 4 && (sig == best_sig || url_pattern(&c.url) == best_pattern) {
                push(&mut page, c.a, c.url.clone());
            }
        }
    }
    page
}

/// One request the list needs (the jpaas unit-build call for a page of items).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// The unit-build calls of a jpaas column page, pages `1..=pages` of `page_size` items.
pub fn jpaas_requests(
    doc: &Html,
    base: &Url,
    pages: u32,
    page_size: u32,
) -> Result<Vec<ListRequest>, ExtractError> {
    let script = doc
        .select(&sel("script[parsetype], script[parseType]"))
        .find(|s| s.value().attr("parsetype").is_some_and(|v| v.eq_ignore_ascii_case("bulidstatic")))
        .ok_or_else(|| ExtractError::NoArticle {
            url: format!("{base} (no script[parsetype=bulidstatic] on the page: is list_mode = \"jpaas\" right for this source?)"),
        })?;
    let endpoint = script
        .value()
        .attr("url")
        .unwrap_or("/api-gateway/jpaas-publish-server/front/page/build/unit");
    let query = script.value().attr("querydata").unwrap_or("{}");
    // querydata is written with single quotes
    let query: serde_json::Value =
        serde_json::from_str(&query.replace('\'', "\"")).map_err(|e| ExtractError::NoArticle {
            url: format!("{base} (the jpaas querydata is not JSON: {e})"),
        })?;
    let endpoint = base.join(endpoint).map_err(|_| ExtractError::BadUrl {
        url: endpoint.to_string(),
    })?;
    let mut out = Vec::new();
    for page in 1..=pages.max(1) {
        let mut u = endpoint.clone();
        {
            let mut q = u.query_pairs_mut();
            if let Some(obj) = query.as_object() {
                for (k, v) in obj {
                    if k == "paramJson" {
                        continue;
                    }
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    q.append_pair(k, &v);
                }
            }
            // paging lives inside paramJson: bare pageNo parameters are ignored by the server
            q.append_pair(
                "paramJson",
                &format!("{{\"pageNo\":{page},\"pageSize\":{page_size}}}"),
            );
        }
        out.push(ListRequest {
            url: u.to_string(),
            headers: vec![
                ("X-Requested-With".into(), "XMLHttpRequest".into()),
                ("Referer".into(), base.to_string()),
            ],
        });
    }
    Ok(out)
}

/// The article links in a jpaas unit-build answer (`{"data":{"html":"<li>…"}}`).
pub fn jpaas_links(
    bytes: &[u8],
    base: &Url,
    allowed_hosts: &[String],
) -> Result<ListPage, ExtractError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ExtractError::NoArticle {
            url: format!("{base} (the jpaas answer is not JSON: {e})"),
        })?;
    let html = value["data"]["html"]
        .as_str()
        .or_else(|| value["data"].as_str())
        .ok_or_else(|| ExtractError::NoArticle {
            url: format!("{base} (the jpaas answer has no data.html)"),
        })?;
    let doc = Html::parse_document(html);
    let mut page = html_links(&doc, base, None, allowed_hosts);
    page.next_page = None;
    Ok(page)
}

/// Strips a JSONP wrapper (`callback({...});`).
fn strip_jsonp(text: &str) -> &str {
    let t = text.trim().trim_end_matches(';').trim();
    if t.starts_with('{') || t.starts_with('[') {
        return t;
    }
    match (t.find('('), t.rfind(')')) {
        (Some(open), Some(close))
            if open < close
                && t[..open]
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '$') =>
        {
            &t[open + 1..close]
        }
        _ => t,
    }
}

fn json_path<'a>(v: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut cur = v;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        cur = match cur {
            serde_json::Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            other => other.get(part)?,
        };
    }
    Some(cur)
}

fn json_string(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Links from a JSON or JSONP list endpoint, with the field names the source configures.
pub fn json_links(bytes: &[u8], base: &Url, spec: &JsonList) -> Result<ListPage, ExtractError> {
    let decoded = crate::charset::decode(bytes, None, None);
    let text = strip_jsonp(decoded.text.trim_start_matches('\u{feff}'));
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ExtractError::NoArticle {
            url: format!("{base} (the list endpoint did not return JSON: {e})"),
        })?;
    let items = json_path(&value, &spec.items)
        .and_then(|v| v.as_array())
        .ok_or_else(|| ExtractError::NoArticle {
            url: format!(
                "{base} (no array at items path \"{}\": check [source.json].items)",
                spec.items
            ),
        })?;
    let mut page = ListPage::default();
    let mut missing = 0;
    for item in items {
        let link = item.get(&spec.link).and_then(json_string);
        let Some(u) = link.as_deref().and_then(|l| resolve(base, l)) else {
            missing += 1;
            continue;
        };
        let title = item.get(&spec.title).and_then(json_string).map(|t| {
            // titles sometimes carry markup (<em> highlights)
            squash(
                &Html::parse_fragment(&t)
                    .root_element()
                    .text()
                    .collect::<String>(),
            )
        });
        let date = spec
            .date
            .as_deref()
            .and_then(|d| item.get(d))
            .and_then(json_string)
            .and_then(|d| unix_timestamp(&d).or_else(|| parse_date(&d, None)))
            .or_else(|| date_from_url(u.as_str()));
        page.links.push(Link {
            url: canonicalize(u.as_str()).unwrap_or_else(|| u.to_string()),
            text: title.unwrap_or_default(),
            date,
        });
    }
    if missing > 0 {
        page.warnings.push(format!(
            "{missing} item(s) without a usable \"{}\" field were skipped",
            spec.link
        ));
    }
    Ok(page)
}
