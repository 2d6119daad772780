//! Evaluation of the rules over store rows: pure, so that every rule is tested on rows the
//! tests write.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use url::Url;
use yuqing_model::{AlertKind, AlertRule, Source, Tag, Topic, Unit, Watch};
use yuqing_store::ReportRow;

use crate::{Alert, Item};

/// How far back typical and topic rules look for new articles. An article published earlier
/// than this and collected only now (a first scan, a back-fill) is old news, not an alert.
pub const FRESH_HOURS: i64 = 72;

/// Most stories listed in a spike alert.
pub const TOP_STORIES: usize = 5;

/// What the rules are evaluated against.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    /// Live articles over at least [`lookback`] of every rule, any order.
    pub rows: &'a [ReportRow],
    pub units: &'a [Unit],
    pub sources: &'a [Source],
    /// For the topics' names in messages.
    pub topics: &'a [Topic],
    /// Each source's last publication time (Unix seconds), ever.
    pub last_times: &'a HashMap<String, i64>,
    /// For rules watching a query: the ids of the rows it matches, by rule id.
    pub query_hits: &'a HashMap<String, HashSet<i64>>,
    /// The analysts' page, for links to the article page.
    pub base_url: Option<&'a Url>,
}

/// How much history a rule needs.
pub fn lookback(rule: &AlertRule) -> Duration {
    match rule.kind {
        AlertKind::Typical | AlertKind::Topic => Duration::hours(FRESH_HOURS),
        AlertKind::Spike => {
            Duration::hours(i64::from(rule.baseline_days) * 24 + i64::from(rule.window_hours))
        }
        AlertKind::Silent => Duration::zero(),
    }
}

/// Every alert `rule` gives on `ctx` (already-fired keys are the caller's to drop).
pub fn evaluate(rule: &AlertRule, ctx: &Context<'_>) -> Vec<Alert> {
    match rule.kind {
        AlertKind::Typical => per_story(rule, ctx, |r| typical_tags(rule, r)),
        AlertKind::Topic => per_story(rule, ctx, |r| {
            if !watched(rule, ctx, r) {
                return None;
            }
            // a topic rule with min_score above 0 asks for topic articles that also score
            // that high on some typical tag
            if rule.min_score > 0.0 && !r.tags.iter().any(|t| t.score >= rule.min_score) {
                return None;
            }
            Some(Vec::new())
        }),
        AlertKind::Spike => spike(rule, ctx).into_iter().collect(),
        AlertKind::Silent => silent(rule, ctx),
    }
}

fn typical_tags(rule: &AlertRule, r: &ReportRow) -> Option<Vec<Tag>> {
    let tags: Vec<Tag> = r
        .tags
        .iter()
        .filter(|t| t.score >= rule.min_score)
        .filter_map(|t| Tag::parse(&t.tag))
        .filter(|t| rule.tags.contains(t))
        .collect();
    (!tags.is_empty()).then_some(tags)
}

fn watched(rule: &AlertRule, ctx: &Context<'_>, r: &ReportRow) -> bool {
    match &rule.watch {
        Some(Watch::Topic(id)) => r.topics.iter().any(|t| t == id),
        Some(Watch::Query(_)) => ctx
            .query_hits
            .get(&rule.id)
            .is_some_and(|ids| ids.contains(&r.id)),
        None => false,
    }
}

/// One alert per story: the earliest fresh article of each cluster that `fires`.
fn per_story(
    rule: &AlertRule,
    ctx: &Context<'_>,
    fires: impl Fn(&ReportRow) -> Option<Vec<Tag>>,
) -> Vec<Alert> {
    let from = (ctx.now - Duration::hours(FRESH_HOURS)).timestamp();
    let mut first: HashMap<i64, (&ReportRow, Vec<Tag>)> = HashMap::new();
    for r in ctx.rows {
        if r.time < from || r.time > ctx.now.timestamp() + 3600 || !rule.covers_unit(&r.unit) {
            continue;
        }
        let Some(tags) = fires(r) else { continue };
        match first.get(&r.cluster) {
            Some((seen, _)) if (seen.time, seen.id) <= (r.time, r.id) => {}
            _ => {
                first.insert(r.cluster, (r, tags));
            }
        }
    }
    let mut stories: Vec<_> = first.into_values().collect();
    stories.sort_by_key(|(r, _)| (r.time, r.id));
    stories
        .into_iter()
        .map(|(r, tags)| {
            let mut item = item(ctx, r);
            item.tags = tags.iter().map(|t| t.label().to_string()).collect();
            item.evidence = tags
                .first()
                .and_then(|tag| r.tags.iter().find(|t| t.tag == tag.as_str()))
                .and_then(|t| t.evidence.get("sentence")?.as_str())
                .unwrap_or("")
                .to_string();
            let head = if item.tags.is_empty() {
                rule.kind.label().to_string()
            } else {
                item.tags.join("、")
            };
            Alert {
                rule: rule.id.clone(),
                kind: rule.kind,
                key: format!("story:{}", r.cluster),
                title: format!("【{head}】{}", r.title),
                summary: String::new(),
                items: vec![item],
            }
        })
        .collect()
}

fn item(ctx: &Context<'_>, r: &ReportRow) -> Item {
    let unit_name = ctx
        .units
        .iter()
        .find(|u| u.id == r.unit)
        .map_or_else(|| r.unit.clone(), |u| u.name.clone());
    let source_name = ctx.sources.iter().find(|s| s.id == r.source).map_or_else(
        || r.source.clone(),
        |s| s.name.clone().unwrap_or_else(|| s.id.clone()),
    );
    let time = DateTime::from_timestamp(r.time, 0)
        .map(|t| {
            t.with_timezone(&ctx.tz)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    Item {
        article_id: r.id,
        title: r.title.clone(),
        unit: r.unit.clone(),
        unit_name,
        source: r.source.clone(),
        source_name,
        time,
        tags: Vec::new(),
        evidence: String::new(),
        link: link(ctx.base_url, r),
        size: 0,
    }
}

fn link(base: Option<&Url>, r: &ReportRow) -> String {
    base.and_then(|b| b.join(&format!("articles/{}", r.id)).ok())
        .map_or_else(|| r.url.clone(), |u| u.to_string())
}

/// The figures of one spike check: the window's count and its baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct SpikeFigures {
    pub count: usize,
    pub mean: f64,
    pub sd: f64,
    /// The same window on each earlier day, most recent first.
    pub baseline: Vec<usize>,
}

/// Counts the watched rows in the window ending now and in the same window on each of the
/// `baseline_days` days before.
pub fn spike_figures(rule: &AlertRule, ctx: &Context<'_>) -> SpikeFigures {
    let now = ctx.now.timestamp();
    let window = i64::from(rule.window_hours) * 3600;
    let days = rule.baseline_days as usize;
    let mut count = 0;
    let mut baseline = vec![0usize; days];
    for r in ctx.rows {
        if !rule.covers_unit(&r.unit) || !watched(rule, ctx, r) {
            continue;
        }
        let age = now - r.time;
        if age < 0 {
            continue;
        }
        if age < window {
            count += 1;
        }
        for (d, n) in baseline.iter_mut().enumerate() {
            let shift = (d as i64 + 1) * 86_400;
            if age >= shift && age < shift + window {
                *n += 1;
            }
        }
    }
    let mean = baseline.iter().sum::<usize>() as f64 / days.max(1) as f64;
    let var = baseline
        .iter()
        .map(|&n| (n as f64 - mean).powi(2))
        .sum::<f64>()
        / days.max(1) as f64;
    SpikeFigures {
        count,
        mean,
        sd: var.sqrt(),
        baseline,
    }
}

/// Whether the figures call for an alert under the rule's sigma and min_count.
pub fn is_spike(rule: &AlertRule, f: &SpikeFigures) -> bool {
    f.count >= rule.min_count as usize && f.count as f64 > f.mean + rule.sigma * f.sd
}

fn spike(rule: &AlertRule, ctx: &Context<'_>) -> Option<Alert> {
    let f = spike_figures(rule, ctx);
    if !is_spike(rule, &f) {
        return None;
    }
    let now = ctx.now.timestamp();
    let window = i64::from(rule.window_hours) * 3600;
    // the window's stories, biggest first
    let mut stories: HashMap<i64, Vec<&ReportRow>> = HashMap::new();
    for r in ctx.rows {
        let age = now - r.time;
        if (0..window).contains(&age) && rule.covers_unit(&r.unit) && watched(rule, ctx, r) {
            stories.entry(r.cluster).or_default().push(r);
        }
    }
    let mut stories: Vec<Vec<&ReportRow>> = stories.into_values().collect();
    for s in &mut stories {
        s.sort_by_key(|r| (r.time, r.id));
    }
    stories.sort_by_key(|s| (std::cmp::Reverse(s.len()), s[0].time, s[0].id));
    let items = stories
        .iter()
        .take(TOP_STORIES)
        .map(|s| {
            let mut it = item(ctx, s[0]);
            it.size = s.len();
            it
        })
        .collect();
    let what = match &rule.watch {
        Some(Watch::Topic(id)) => format!(
            "专题「{}」",
            ctx.topics
                .iter()
                .find(|t| &t.id == id)
                .map_or(id.as_str(), |t| t.name.as_str())
        ),
        Some(Watch::Query(q)) => format!("检索式 {q}"),
        None => String::new(),
    };
    Some(Alert {
        rule: rule.id.clone(),
        kind: rule.kind,
        key: format!("window:{}", now / window),
        title: format!(
            "【声量突增】{what}：近{}小时 {} 篇",
            rule.window_hours, f.count
        ),
        summary: format!(
            "近{}小时 {} 篇，前{}天同时段平均 {:.1} 篇（标准差 {:.1}），阈值 {:.1} 篇",
            rule.window_hours,
            f.count,
            rule.baseline_days,
            f.mean,
            f.sd,
            (f.mean + rule.sigma * f.sd).max(rule.min_count as f64 - 1.0)
        ),
        items,
    })
}

fn silent(rule: &AlertRule, ctx: &Context<'_>) -> Vec<Alert> {
    // an empty record says nothing about any unit: nothing has been collected yet
    if ctx.last_times.is_empty() {
        return Vec::new();
    }
    let now = ctx.now.timestamp();
    let limit = i64::from(rule.silent_days) * 86_400;
    let mut out = Vec::new();
    for unit in ctx.units.iter().filter(|u| rule.covers_unit(&u.id)) {
        let sources: Vec<&Source> = ctx
            .sources
            .iter()
            .filter(|s| s.enabled && s.unit == unit.id)
            .collect();
        if sources.is_empty() {
            continue;
        }
        let last = sources
            .iter()
            .filter_map(|s| ctx.last_times.get(&s.id))
            .max()
            .copied();
        if last.is_some_and(|t| now - t <= limit) {
            continue;
        }
        let (key, summary) = match last {
            Some(t) => {
                let date = DateTime::from_timestamp(t, 0)
                    .map(|d| d.with_timezone(&ctx.tz).format("%Y-%m-%d").to_string())
                    .unwrap_or_default();
                (
                    format!("silent:{}:{t}", unit.id),
                    format!(
                        "最近一篇发布于 {date}，已 {} 天没有新文章（规则：{} 天）",
                        (now - t) / 86_400,
                        rule.silent_days
                    ),
                )
            }
            None => (
                format!("silent:{}:never", unit.id),
                format!("{} 个来源至今没有收录到文章", sources.len()),
            ),
        };
        out.push(Alert {
            rule: rule.id.clone(),
            kind: rule.kind,
            key,
            title: format!("【单位沉默】{}", unit.name),
            summary,
            items: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests;
