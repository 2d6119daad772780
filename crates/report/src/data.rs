//! The report data: built from store rows by pure functions, serialised as the JSON report, and
//! the only input of the HTML and Markdown renderers.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use yuqing_store::{ClusterSummary, ReportRow, SourceHealth};

/// China time, in which days and weeks are counted.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("utc"))
}

/// An ISO week (Monday to Sunday, China time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Week {
    pub year: i32,
    pub week: u32,
}

impl Week {
    /// `2026-W48`.
    pub fn parse(s: &str) -> Option<Week> {
        let (y, w) = s
            .trim()
            .split_once("-W")
            .or_else(|| s.trim().split_once("-w"))?;
        let week = Week {
            year: y.parse().ok()?,
            week: w.parse().ok()?,
        };
        NaiveDate::from_isoywd_opt(week.year, week.week, Weekday::Mon).map(|_| week)
    }

    /// The week that contains `t`.
    pub fn of(t: DateTime<Utc>) -> Week {
        let iso = t.with_timezone(&china()).date_naive().iso_week();
        Week {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// The last complete week before `t`.
    pub fn previous_to(t: DateTime<Utc>) -> Week {
        Week::of(t - Duration::days(7))
    }

    pub fn monday(&self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or_default()
    }

    /// `[Monday 00:00, next Monday 00:00)` China time, in UTC.
    pub fn range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = day_start(self.monday());
        (start, start + Duration::days(7))
    }

    pub fn minus(&self, weeks: i64) -> Week {
        Week::of(self.range().0 - Duration::weeks(weeks) + Duration::hours(12))
    }

    pub fn id(&self) -> String {
        format!("{}-W{:02}", self.year, self.week)
    }

    pub fn label(&self) -> String {
        format!("{}年第{}周", self.year, self.week)
    }
}

/// Midnight China time of a day, in UTC.
pub fn day_start(d: NaiveDate) -> DateTime<Utc> {
    china()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

pub fn day_of(ts: i64) -> NaiveDate {
    DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .with_timezone(&china())
        .date_naive()
}

/// A configured unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitInfo {
    pub id: String,
    pub name: String,
    pub kind: String,
}

/// A configured source with its health.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub enabled: bool,
}

/// A monitored topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicInfo {
    pub id: String,
    pub name: String,
}

/// A number with last period's value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub value: i64,
    pub previous: i64,
}

impl Figure {
    /// Change in percent, when there was something before.
    pub fn change_pct(&self) -> Option<f64> {
        (self.previous > 0)
            .then(|| (self.value - self.previous) as f64 * 100.0 / self.previous as f64)
    }

    /// `+12.5%`, `-3.0%`, `新增` (from nothing), `持平`.
    pub fn change_label(&self) -> String {
        match self.change_pct() {
            Some(p) if p.abs() < 0.05 => "持平".into(),
            Some(p) => format!("{p:+.1}%"),
            None if self.value > 0 => "新增".into(),
            None => "—".into(),
        }
    }
}

/// A tagged article in the lists of typical people, events and cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaggedItem {
    pub id: i64,
    pub title: String,
    pub unit: String,
    pub unit_name: String,
    pub date: String,
    pub url: String,
    pub score: f64,
    /// The sentence that best supports the tag.
    pub evidence: String,
    pub cues: Vec<String>,
    /// Other articles of the same story with the tag (republications).
    pub reposts: i64,
    #[serde(skip)]
    pub cluster: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Typical {
    pub person: Vec<TaggedItem>,
    pub event: Vec<TaggedItem>,
    pub case: Vec<TaggedItem>,
}

/// One row of the unit scoreboard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitRow {
    pub unit: String,
    pub name: String,
    pub kind: String,
    pub articles: i64,
    pub articles_previous: i64,
    /// Articles per monitored topic, in the order of `topics`.
    pub topics: Vec<i64>,
    pub typical_person: i64,
    pub typical_event: i64,
    pub typical_case: i64,
    /// Articles that are the first of their story (or alone).
    pub original: i64,
    /// Articles carrying a story another unit published first.
    pub republished: i64,
    /// Stories (carried by two or more articles) that this unit published first.
    pub first_published: i64,
    pub last_published: Option<String>,
    /// No publication this week.
    pub silent: bool,
}

/// A story of the week by spread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Story {
    pub cluster: i64,
    pub title: String,
    pub url: String,
    /// Articles carrying it (all time).
    pub size: i64,
    /// Distinct units that carried it.
    pub outlets: i64,
    pub first_unit: String,
    pub first_unit_name: String,
    pub first_published: String,
    /// Articles carrying it this period.
    pub this_period: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Term {
    pub term: String,
    pub count: i64,
    /// Weekly average over the previous four weeks.
    pub previous_avg: f64,
}

/// A source that needs attention.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthRow {
    pub source: String,
    pub name: String,
    pub unit_name: String,
    /// `failing`, `blocked`, `silent`, `never-scanned`.
    pub problem: String,
    pub status: Option<String>,
    pub last_success: Option<String>,
    pub consecutive_failures: i64,
    pub last_published: Option<String>,
    pub detail: String,
}

/// The weekly monitoring report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Weekly {
    pub kind: String,
    pub week: Week,
    pub id: String,
    pub title: String,
    pub from: String,
    pub to: String,
    pub generated_at: String,
    pub articles: Figure,
    pub active_units: Figure,
    pub units_total: i64,
    pub typical_person: Figure,
    pub typical_event: Figure,
    pub typical_case: Figure,
    /// Stories carried by two or more articles this week.
    pub shared_stories: Figure,
    /// `(day, label, count)` for Monday to Sunday.
    pub daily: Vec<DayCount>,
    pub by_kind: Vec<KindCount>,
    pub topics: Vec<TopicCount>,
    pub topic_names: Vec<TopicInfo>,
    pub scoreboard: Vec<UnitRow>,
    pub typical: Typical,
    pub top_stories: Vec<Story>,
    pub keywords: Vec<Term>,
    pub rising: Vec<Term>,
    pub health: Vec<HealthRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayCount {
    pub date: String,
    pub label: String,
    pub count: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KindCount {
    pub kind: String,
    pub count: i64,
    pub previous: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicCount {
    pub id: String,
    pub name: String,
    pub count: i64,
    pub previous: i64,
}

/// Everything the weekly report is built from (read from the store and the configuration).
#[derive(Clone, Debug, Default)]
pub struct WeeklyInput {
    pub week: Option<Week>,
    pub generated_at: DateTime<Utc>,
    pub units: Vec<UnitInfo>,
    pub sources: Vec<SourceInfo>,
    pub topics: Vec<TopicInfo>,
    pub rows: Vec<ReportRow>,
    pub previous_rows: Vec<ReportRow>,
    /// Keyword lists of the four weeks before.
    pub earlier_keywords: Vec<Vec<String>>,
    pub clusters: Vec<ClusterSummary>,
    pub health: Vec<SourceHealth>,
    /// Publication times per source over the last eight weeks (cadence).
    pub source_times: HashMap<String, Vec<i64>>,
    pub source_last: HashMap<String, i64>,
    /// The title template's output, e.g. 舆情监测周报 2026年第48周.
    pub title: String,
}

const LIST_MAX: usize = 30;
const STORIES_MAX: usize = 10;
const TERMS_MAX: usize = 20;
const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

fn has_tag(r: &ReportRow, tag: &str) -> bool {
    r.tags.iter().any(|t| t.tag == tag)
}

fn date_label(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .with_timezone(&china())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The tagged items of one tag, strongest first.
pub fn tagged(
    rows: &[ReportRow],
    tag: &str,
    unit_names: &HashMap<&str, &str>,
    max: usize,
) -> Vec<TaggedItem> {
    let out: Vec<TaggedItem> = rows
        .iter()
        .filter_map(|r| {
            let t = r.tags.iter().find(|t| t.tag == tag)?;
            let evidence = t
                .evidence
                .get("sentence")
                .and_then(|s| s.as_str())
                .unwrap_or("");
            let cues = t
                .evidence
                .get("cues")
                .and_then(|c| c.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|c| {
                            c.as_str().or_else(|| c.get("cue").and_then(|x| x.as_str()))
                        })
                        .map(str::to_string)
                        .take(5)
                        .collect()
                })
                .unwrap_or_default();
            Some(TaggedItem {
                id: r.id,
                title: r.title.clone(),
                unit: r.unit.clone(),
                unit_name: unit_names
                    .get(r.unit.as_str())
                    .map_or_else(|| r.unit.clone(), |n| n.to_string()),
                date: date_label(r.time),
                url: r.url.clone(),
                score: (t.score * 1000.0).round() / 1000.0,
                evidence: evidence.to_string(),
                cues,
                reposts: 0,
                cluster: r.cluster,
            })
        })
        .collect();
    // one item per story: the earliest article (rows come in time order), with its reposts
    let mut by_story: HashMap<i64, usize> = HashMap::new();
    let mut kept: Vec<TaggedItem> = Vec::new();
    for item in out {
        match by_story.get(&item.cluster) {
            Some(&i) => kept[i].reposts += 1,
            None => {
                by_story.insert(item.cluster, kept.len());
                kept.push(item);
            }
        }
    }
    let mut out = kept;
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    out.truncate(max);
    out
}

/// A story cluster as the reports show it.
fn story(c: &ClusterSummary, unit_names: &HashMap<&str, &str>, this_period: i64) -> Story {
    Story {
        cluster: c.cluster,
        title: c.title.clone(),
        url: c.url.clone(),
        size: c.size,
        outlets: c.units,
        first_unit: c.first_unit.clone(),
        first_unit_name: unit_names
            .get(c.first_unit.as_str())
            .map_or_else(|| c.first_unit.clone(), |n| n.to_string()),
        first_published: date_label(c.first_time),
        this_period,
    }
}

/// Articles per monitored topic, this period and the one before.
fn topic_counts(topics: &[TopicInfo], rows: &[ReportRow], prev: &[ReportRow]) -> Vec<TopicCount> {
    let count = |rs: &[ReportRow], id: &str| {
        rs.iter()
            .filter(|r| r.topics.iter().any(|t| t == id))
            .count() as i64
    };
    topics
        .iter()
        .map(|t| TopicCount {
            id: t.id.clone(),
            name: t.name.clone(),
            count: count(rows, &t.id),
            previous: count(prev, &t.id),
        })
        .collect()
}

/// Keyword counts of a set of keyword lists.
fn term_counts<'a>(lists: impl Iterator<Item = &'a Vec<String>>) -> HashMap<&'a str, i64> {
    let mut m: HashMap<&str, i64> = HashMap::new();
    for l in lists {
        for k in l {
            *m.entry(k.as_str()).or_default() += 1;
        }
    }
    m
}

/// Top terms, and terms rising against the weekly average of the earlier weeks.
pub fn terms(
    now: &[Vec<String>],
    earlier: &[Vec<String>],
    earlier_weeks: f64,
) -> (Vec<Term>, Vec<Term>) {
    let cur = term_counts(now.iter());
    let old = term_counts(earlier.iter());
    let mk = |(t, c): (&&str, &i64)| Term {
        term: t.to_string(),
        count: *c,
        previous_avg: (*old.get(*t).unwrap_or(&0) as f64 / earlier_weeks * 10.0).round() / 10.0,
    };
    let mut top: Vec<Term> = cur.iter().map(mk).collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then(a.term.cmp(&b.term)));
    let mut rising: Vec<Term> = cur
        .iter()
        .filter(|(_, c)| **c >= 3)
        .map(mk)
        .filter(|t| t.count as f64 >= 2.0 * t.previous_avg + 2.0)
        .collect();
    let score = |t: &Term| t.count as f64 / (t.previous_avg + 1.0);
    rising.sort_by(|a, b| score(b).total_cmp(&score(a)).then(a.term.cmp(&b.term)));
    top.truncate(TERMS_MAX);
    rising.truncate(TERMS_MAX);
    (top, rising)
}

/// Sources that failed, were blocked, went silent for longer than usual, or were never scanned.
pub fn health_rows(
    sources: &[SourceInfo],
    health: &[SourceHealth],
    times: &HashMap<String, Vec<i64>>,
    last: &HashMap<String, i64>,
    unit_names: &HashMap<&str, &str>,
    now: DateTime<Utc>,
) -> Vec<HealthRow> {
    let by_id: HashMap<&str, &SourceHealth> =
        health.iter().map(|h| (h.source.as_str(), h)).collect();
    let mut out = Vec::new();
    for s in sources.iter().filter(|s| s.enabled) {
        let h = by_id.get(s.id.as_str());
        let last_pub = last.get(&s.id).copied();
        let mut row = HealthRow {
            source: s.id.clone(),
            name: s.name.clone(),
            unit_name: unit_names
                .get(s.unit.as_str())
                .map_or_else(|| s.unit.clone(), |n| n.to_string()),
            problem: String::new(),
            status: h.and_then(|h| h.last_status.clone()),
            last_success: h.and_then(|h| h.last_success.clone()),
            consecutive_failures: h.map_or(0, |h| h.consecutive_failures),
            last_published: last_pub.map(date_label),
            detail: String::new(),
        };
        match h {
            None => {
                row.problem = "never-scanned".into();
                row.detail = "从未抓取 (never scanned)".into();
            }
            Some(h) if h.last_status.as_deref() == Some("blocked") => {
                row.problem = "blocked".into();
                row.detail = h.last_error.clone().unwrap_or_default();
            }
            Some(h) if h.consecutive_failures > 0 => {
                row.problem = "failing".into();
                row.detail = format!(
                    "连续 {} 次失败: {}",
                    h.consecutive_failures,
                    h.last_error.clone().unwrap_or_default()
                );
            }
            Some(_) => {
                // silent: no publication for three times the usual gap (at least a week)
                let Some(last_pub) = last_pub else { continue };
                let gap = usual_gap_days(times.get(&s.id).map(Vec::as_slice).unwrap_or(&[]));
                let quiet = (now.timestamp() - last_pub) as f64 / 86400.0;
                let limit = (gap * 3.0).max(7.0);
                if quiet <= limit {
                    continue;
                }
                row.problem = "silent".into();
                row.detail = format!("已 {quiet:.0} 天无新文章 (通常每 {gap:.1} 天一篇)");
            }
        }
        out.push(row);
    }
    out
}

/// The median gap in days between publication days (1 when too few to tell).
pub fn usual_gap_days(times: &[i64]) -> f64 {
    let mut days: Vec<NaiveDate> = times.iter().map(|t| day_of(*t)).collect();
    days.sort_unstable();
    days.dedup();
    if days.len() < 3 {
        return 1.0;
    }
    let mut gaps: Vec<i64> = days.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
    gaps.sort_unstable();
    gaps[gaps.len() / 2] as f64
}

/// Builds the weekly report.
pub fn weekly(input: &WeeklyInput) -> Weekly {
    let week = input
        .week
        .unwrap_or_else(|| Week::previous_to(input.generated_at));
    let (from, to) = week.range();
    let unit_names: HashMap<&str, &str> = input
        .units
        .iter()
        .map(|u| (u.id.as_str(), u.name.as_str()))
        .collect();
    let rows = &input.rows;
    let prev = &input.previous_rows;
    let count_tag =
        |rs: &[ReportRow], tag: &str| rs.iter().filter(|r| has_tag(r, tag)).count() as i64;
    let active = |rs: &[ReportRow]| {
        rs.iter()
            .map(|r| r.unit.as_str())
            .collect::<HashSet<_>>()
            .len() as i64
    };
    let shared = |rs: &[ReportRow]| {
        let mut per: HashMap<i64, i64> = HashMap::new();
        for r in rs {
            *per.entry(r.cluster).or_default() += 1;
        }
        per.values().filter(|n| **n >= 2).count() as i64
    };
    // days
    let mut daily: Vec<DayCount> = (0..7)
        .map(|i| {
            let d = week.monday() + Duration::days(i);
            DayCount {
                date: d.format("%Y-%m-%d").to_string(),
                label: format!("{} {}", d.format("%m-%d"), WEEKDAYS[i as usize]),
                count: 0,
            }
        })
        .collect();
    for r in rows {
        let i = (day_of(r.time) - week.monday()).num_days();
        if (0..7).contains(&i) {
            daily[i as usize].count += 1;
        }
    }
    // unit kinds, in a fixed order
    let kinds = ["机关", "全国学会", "地方科协", "媒体", "其他"];
    let unit_kind: HashMap<&str, &str> = input
        .units
        .iter()
        .map(|u| (u.id.as_str(), u.kind.as_str()))
        .collect();
    let kind_of = |r: &ReportRow| -> String {
        let k = unit_kind
            .get(r.unit.as_str())
            .copied()
            .unwrap_or(r.unit_kind.as_str());
        if k.is_empty() {
            "其他".into()
        } else {
            k.to_string()
        }
    };
    let mut by_kind: BTreeMap<String, (i64, i64)> =
        kinds.iter().map(|k| (k.to_string(), (0, 0))).collect();
    for r in rows {
        by_kind.entry(kind_of(r)).or_default().0 += 1;
    }
    for r in prev {
        by_kind.entry(kind_of(r)).or_default().1 += 1;
    }
    let mut by_kind: Vec<KindCount> = by_kind
        .into_iter()
        .map(|(kind, (count, previous))| KindCount {
            kind,
            count,
            previous,
        })
        .collect();
    by_kind.sort_by_key(|k| {
        kinds
            .iter()
            .position(|x| *x == k.kind)
            .unwrap_or(kinds.len())
    });
    // topics
    let topics = topic_counts(&input.topics, rows, prev);
    // stories: the clusters touched this week, with their first publisher
    let clusters: HashMap<i64, &ClusterSummary> =
        input.clusters.iter().map(|c| (c.cluster, c)).collect();
    let mut in_week: HashMap<i64, i64> = HashMap::new();
    for r in rows {
        *in_week.entry(r.cluster).or_default() += 1;
    }
    // scoreboard
    let mut board: Vec<UnitRow> = input
        .units
        .iter()
        .map(|u| UnitRow {
            unit: u.id.clone(),
            name: u.name.clone(),
            kind: u.kind.clone(),
            articles: 0,
            articles_previous: 0,
            topics: vec![0; input.topics.len()],
            typical_person: 0,
            typical_event: 0,
            typical_case: 0,
            original: 0,
            republished: 0,
            first_published: 0,
            last_published: None,
            silent: true,
        })
        .collect();
    let index: HashMap<String, usize> = board
        .iter()
        .enumerate()
        .map(|(i, u)| (u.unit.clone(), i))
        .collect();
    let mut last: HashMap<usize, i64> = HashMap::new();
    for r in rows {
        let Some(&i) = index.get(&r.unit) else {
            continue;
        };
        let u = &mut board[i];
        u.articles += 1;
        u.silent = false;
        for (j, t) in input.topics.iter().enumerate() {
            if r.topics.contains(&t.id) {
                u.topics[j] += 1;
            }
        }
        u.typical_person += i64::from(has_tag(r, "typical_person"));
        u.typical_event += i64::from(has_tag(r, "typical_event"));
        u.typical_case += i64::from(has_tag(r, "typical_case"));
        let first = clusters.get(&r.cluster);
        match first {
            Some(c) if c.size > 1 && c.first_id != r.id && c.first_unit != r.unit => {
                u.republished += 1
            }
            _ => u.original += 1,
        }
        let e = last.entry(i).or_insert(r.time);
        *e = (*e).max(r.time);
    }
    for r in prev {
        if let Some(&i) = index.get(&r.unit) {
            board[i].articles_previous += 1;
        }
    }
    let (f, t) = (from.timestamp(), to.timestamp());
    for c in &input.clusters {
        if c.size > 1
            && c.first_time >= f
            && c.first_time < t
            && let Some(&i) = index.get(&c.first_unit)
        {
            board[i].first_published += 1;
        }
    }
    for (i, ts) in last {
        board[i].last_published = Some(date_label(ts));
    }
    for u in board.iter_mut().filter(|u| u.last_published.is_none()) {
        let latest = input
            .sources
            .iter()
            .filter(|s| s.unit == u.unit)
            .filter_map(|s| input.source_last.get(&s.id))
            .max();
        u.last_published = latest.map(|t| date_label(*t));
    }
    board.sort_by(|a, b| b.articles.cmp(&a.articles).then(a.unit.cmp(&b.unit)));
    // top stories by spread
    let mut stories: Vec<Story> = in_week
        .iter()
        .filter_map(|(cl, n)| {
            let c = clusters.get(cl)?;
            (c.size > 1).then(|| story(c, &unit_names, *n))
        })
        .collect();
    stories.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then(b.outlets.cmp(&a.outlets))
            .then(a.cluster.cmp(&b.cluster))
    });
    stories.truncate(STORIES_MAX);
    let kw: Vec<Vec<String>> = rows.iter().map(|r| r.keywords.clone()).collect();
    let (keywords, rising) = terms(&kw, &input.earlier_keywords, 4.0);
    Weekly {
        kind: "weekly".into(),
        week,
        id: week.id(),
        title: if input.title.is_empty() {
            format!("舆情监测周报 {}", week.label())
        } else {
            input.title.clone()
        },
        from: week.monday().format("%Y-%m-%d").to_string(),
        to: (week.monday() + Duration::days(6))
            .format("%Y-%m-%d")
            .to_string(),
        generated_at: input
            .generated_at
            .with_timezone(&china())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        articles: Figure {
            value: rows.len() as i64,
            previous: prev.len() as i64,
        },
        active_units: Figure {
            value: active(rows),
            previous: active(prev),
        },
        units_total: input.units.len() as i64,
        typical_person: Figure {
            value: count_tag(rows, "typical_person"),
            previous: count_tag(prev, "typical_person"),
        },
        typical_event: Figure {
            value: count_tag(rows, "typical_event"),
            previous: count_tag(prev, "typical_event"),
        },
        typical_case: Figure {
            value: count_tag(rows, "typical_case"),
            previous: count_tag(prev, "typical_case"),
        },
        shared_stories: Figure {
            value: shared(rows),
            previous: shared(prev),
        },
        daily,
        by_kind,
        topics,
        topic_names: input.topics.clone(),
        scoreboard: board,
        typical: Typical {
            person: tagged(rows, "typical_person", &unit_names, LIST_MAX),
            event: tagged(rows, "typical_event", &unit_names, LIST_MAX),
            case: tagged(rows, "typical_case", &unit_names, LIST_MAX),
        },
        top_stories: stories,
        keywords,
        rising,
        health: health_rows(
            &input.sources,
            &input.health,
            &input.source_times,
            &input.source_last,
            &unit_names,
            input.generated_at,
        ),
    }
}

/// The daily brief for the staff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Daily {
    pub kind: String,
    pub date: String,
    pub id: String,
    pub title: String,
    pub generated_at: String,
    pub articles: Figure,
    pub by_unit: Vec<UnitCount>,
    pub by_source: Vec<SourceCount>,
    pub typical: Typical,
    pub stories: Vec<Story>,
    pub topics: Vec<TopicCount>,
    pub health: Vec<HealthRow>,
    /// Report e-mails that could not be delivered.
    pub undelivered: Vec<String>,
    /// The alerts that fired on the day, with where they went.
    #[serde(default)]
    pub alerts: Vec<AlertLine>,
}

/// One alert in the daily brief.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertLine {
    /// Local time it fired, `09:30`.
    pub time: String,
    /// 典型发现 | 专题动态 | 声量突增 | 单位沉默
    pub kind: String,
    pub title: String,
    /// Per channel: `office-dingtalk 已发送`, `hook 发送失败：errcode 310000 …`.
    pub deliveries: Vec<String>,
    /// Some channel has not received it.
    pub failed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitCount {
    pub unit: String,
    pub name: String,
    pub count: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceCount {
    pub source: String,
    pub name: String,
    pub count: i64,
}

/// Everything the daily brief is built from.
#[derive(Clone, Debug, Default)]
pub struct DailyInput {
    pub date: Option<NaiveDate>,
    pub generated_at: DateTime<Utc>,
    pub units: Vec<UnitInfo>,
    pub sources: Vec<SourceInfo>,
    pub topics: Vec<TopicInfo>,
    pub rows: Vec<ReportRow>,
    pub previous_rows: Vec<ReportRow>,
    pub clusters: Vec<ClusterSummary>,
    pub health: Vec<SourceHealth>,
    pub source_times: HashMap<String, Vec<i64>>,
    pub source_last: HashMap<String, i64>,
    pub undelivered: Vec<String>,
    pub alerts: Vec<AlertLine>,
}

/// The day a daily brief covers by default: yesterday, China time.
pub fn default_day(now: DateTime<Utc>) -> NaiveDate {
    (now.with_timezone(&china()) - Duration::days(1)).date_naive()
}

pub fn daily(input: &DailyInput) -> Daily {
    let date = input
        .date
        .unwrap_or_else(|| default_day(input.generated_at));
    let unit_names: HashMap<&str, &str> = input
        .units
        .iter()
        .map(|u| (u.id.as_str(), u.name.as_str()))
        .collect();
    let source_names: HashMap<&str, &str> = input
        .sources
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let rows = &input.rows;
    let mut units: HashMap<&str, i64> = HashMap::new();
    let mut sources: HashMap<&str, i64> = HashMap::new();
    for r in rows {
        *units.entry(r.unit.as_str()).or_default() += 1;
        *sources.entry(r.source.as_str()).or_default() += 1;
    }
    let mut by_unit: Vec<UnitCount> = units
        .into_iter()
        .map(|(u, count)| UnitCount {
            unit: u.to_string(),
            name: unit_names
                .get(u)
                .map_or_else(|| u.to_string(), |n| n.to_string()),
            count,
        })
        .collect();
    by_unit.sort_by(|a, b| b.count.cmp(&a.count).then(a.unit.cmp(&b.unit)));
    let mut by_source: Vec<SourceCount> = sources
        .into_iter()
        .map(|(s, count)| SourceCount {
            source: s.to_string(),
            name: source_names
                .get(s)
                .map_or_else(|| s.to_string(), |n| n.to_string()),
            count,
        })
        .collect();
    by_source.sort_by(|a, b| b.count.cmp(&a.count).then(a.source.cmp(&b.source)));
    let mut in_day: HashMap<i64, i64> = HashMap::new();
    for r in rows {
        *in_day.entry(r.cluster).or_default() += 1;
    }
    let mut stories: Vec<Story> = input
        .clusters
        .iter()
        .filter(|c| c.size > 1 && in_day.contains_key(&c.cluster))
        .map(|c| story(c, &unit_names, in_day[&c.cluster]))
        .collect();
    stories.sort_by(|a, b| b.size.cmp(&a.size).then(a.cluster.cmp(&b.cluster)));
    stories.truncate(STORIES_MAX);
    let topics = topic_counts(&input.topics, rows, &input.previous_rows);
    Daily {
        kind: "daily".into(),
        date: date.format("%Y-%m-%d").to_string(),
        id: date.format("%Y-%m-%d").to_string(),
        title: format!("舆情监测日报 {}", date.format("%Y年%m月%d日")),
        generated_at: input
            .generated_at
            .with_timezone(&china())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        articles: Figure {
            value: rows.len() as i64,
            previous: input.previous_rows.len() as i64,
        },
        by_unit,
        by_source,
        typical: Typical {
            person: tagged(rows, "typical_person", &unit_names, LIST_MAX),
            event: tagged(rows, "typical_event", &unit_names, LIST_MAX),
            case: tagged(rows, "typical_case", &unit_names, LIST_MAX),
        },
        stories,
        topics,
        health: health_rows(
            &input.sources,
            &input.health,
            &input.source_times,
            &input.source_last,
            &unit_names,
            input.generated_at,
        ),
        undelivered: input.undelivered.clone(),
        alerts: input.alerts.clone(),
    }
}
