//! The rules on rows written for the test.

use super::*;
use yuqing_model::{ListMode, Selectors, SourceKind, UnitKind, WechatAccount};
use yuqing_store::StoredTag;

const NOW: i64 = 1_764_576_000; // 2025-12-01 08:00 UTC

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).unwrap()
}

fn row(
    id: i64,
    cluster: i64,
    unit: &str,
    hours_ago: f64,
    tags: &[(&str, f64)],
    topics: &[&str],
) -> ReportRow {
    ReportRow {
        id,
        title: format!("文章{id}"),
        url: format!("https://example.org/{id}.html"),
        source: format!("{unit}-news"),
        unit: unit.into(),
        unit_kind: "机关".into(),
        time: NOW - (hours_ago * 3600.0) as i64,
        tags: tags
            .iter()
            .map(|(t, s)| StoredTag {
                tag: t.to_string(),
                score: *s,
                evidence: serde_json::json!({"sentence": format!("{id}号文章的依据句。")}),
            })
            .collect(),
        topics: topics.iter().map(|t| t.to_string()).collect(),
        keywords: Vec::new(),
        cluster,
        origin: None,
    }
}

fn unit(id: &str, name: &str) -> Unit {
    Unit {
        id: id.into(),
        name: name.into(),
        kind: UnitKind::Office,
        region: "全国".into(),
    }
}

fn source(unit: &str) -> Source {
    Source {
        id: format!("{unit}-news"),
        name: Some(format!("{unit}要闻")),
        unit: unit.into(),
        kind: SourceKind::Html,
        urls: vec!["https://example.org/".into()],
        schedule: None,
        delay_ms: None,
        max_pages: None,
        enabled: true,
        list_mode: ListMode::default(),
        selectors: Selectors::default(),
        json: None,
        charset: None,
        allowed_hosts: Vec::new(),
        headers: Vec::new(),
        account: WechatAccount::default(),
    }
}

fn rule(kind: AlertKind) -> AlertRule {
    AlertRule {
        id: "r".into(),
        kind,
        tags: Tag::ALL.to_vec(),
        units: Vec::new(),
        min_score: 0.0,
        watch: None,
        window_hours: 24,
        baseline_days: 14,
        sigma: 2.0,
        min_count: 5,
        silent_days: 14,
        channels: vec!["c".into()],
        quiet_hours: None,
    }
}

struct World {
    rows: Vec<ReportRow>,
    units: Vec<Unit>,
    sources: Vec<Source>,
    last: HashMap<String, i64>,
    hits: HashMap<String, HashSet<i64>>,
    base: Url,
}

impl World {
    fn new(rows: Vec<ReportRow>) -> World {
        World {
            rows,
            units: vec![
                unit("cast", "中国科协"),
                unit("bast", "北京市科协"),
                unit("idle", "无来源单位"),
            ],
            sources: vec![source("cast"), source("bast")],
            last: HashMap::new(),
            hits: HashMap::new(),
            base: Url::parse("http://yuqing.example.org:8080/").unwrap(),
        }
    }

    fn run(&self, rule: &AlertRule) -> Vec<Alert> {
        let ctx = Context {
            now: now(),
            tz: chrono_tz::Asia::Shanghai,
            rows: &self.rows,
            units: &self.units,
            sources: &self.sources,
            topics: &[],
            last_times: &self.last,
            query_hits: &self.hits,
            base_url: Some(&self.base),
        };
        evaluate(rule, &ctx)
    }
}

#[test]
fn a_typical_story_alerts_once_however_often_it_is_republished() {
    let w = World::new(vec![
        row(1, 10, "cast", 5.0, &[("typical_person", 0.9)], &[]),
        // the same story carried again by another unit
        row(2, 10, "bast", 3.0, &[("typical_person", 0.8)], &[]),
        row(3, 11, "bast", 2.0, &[("typical_case", 0.7)], &[]),
        row(4, 12, "cast", 1.0, &[], &[]),
        // old news collected late
        row(5, 13, "cast", 100.0, &[("typical_event", 0.9)], &[]),
    ]);
    let alerts = w.run(&rule(AlertKind::Typical));
    let keys: Vec<&str> = alerts.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["story:10", "story:11"]);
    let first = &alerts[0];
    assert_eq!(
        first.items[0].article_id, 1,
        "the first publisher stands for the story"
    );
    assert_eq!(first.title, "【典型人】文章1");
    assert_eq!(first.items[0].unit_name, "中国科协");
    assert_eq!(first.items[0].source_name, "cast要闻");
    assert_eq!(first.items[0].evidence, "1号文章的依据句。");
    assert_eq!(
        first.items[0].link,
        "http://yuqing.example.org:8080/articles/1"
    );
    assert_eq!(first.items[0].time, "2025-12-01 11:00", "China time");

    let mut r = rule(AlertKind::Typical);
    r.tags = vec![Tag::TypicalCase];
    assert_eq!(w.run(&r).len(), 1);
    r.tags = Tag::ALL.to_vec();
    r.min_score = 0.85;
    assert_eq!(w.run(&r).len(), 1, "only the 0.9 story passes");
    r.min_score = 0.0;
    r.units = vec!["bast".into()];
    let only_bast = w.run(&r);
    assert_eq!(
        only_bast.len(),
        2,
        "bast's republication counts for a bast-only rule"
    );
    assert_eq!(only_bast[0].items[0].article_id, 2);
}

#[test]
fn topic_rules_follow_the_topic_or_the_query_hits() {
    let mut w = World::new(vec![
        row(1, 1, "cast", 2.0, &[], &["study"]),
        row(2, 2, "cast", 2.0, &[("typical_event", 0.8)], &["study"]),
        row(3, 3, "cast", 2.0, &[], &[]),
    ]);
    let mut r = rule(AlertKind::Topic);
    r.watch = Some(Watch::Topic("study".into()));
    assert_eq!(w.run(&r).len(), 2);
    r.min_score = 0.5;
    assert_eq!(w.run(&r).len(), 1, "min_score asks for a typical score too");
    r.min_score = 0.0;
    r.watch = Some(Watch::Query("院士 AND 科普".into()));
    assert!(w.run(&r).is_empty());
    w.hits.insert("r".into(), [3].into());
    let a = w.run(&r);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].title, "【专题动态】文章3");
}

/// A topic with `per_day[d]` articles in the 24-hour window ending `d` days ago.
fn history(per_day: &[usize]) -> Vec<ReportRow> {
    let mut rows = Vec::new();
    let mut id = 0;
    for (d, &n) in per_day.iter().enumerate() {
        for k in 0..n {
            id += 1;
            let hours = d as f64 * 24.0 + 1.0 + k as f64 * 0.5;
            rows.push(row(id, 1000 + id % 3, "cast", hours, &[], &["study"]));
        }
    }
    rows
}

#[test]
fn a_spike_is_the_window_against_the_same_window_on_earlier_days() {
    // today 12; the fourteen days before: 2 or 4 (mean 3, sd 1)
    let mut days = vec![12];
    days.extend([2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4]);
    let w = World::new(history(&days));
    let mut r = rule(AlertKind::Spike);
    r.watch = Some(Watch::Topic("study".into()));
    let ctx_rows = &w.rows;
    let ctx = Context {
        now: now(),
        tz: chrono_tz::Asia::Shanghai,
        rows: ctx_rows,
        units: &w.units,
        sources: &w.sources,
        topics: &[],
        last_times: &w.last,
        query_hits: &w.hits,
        base_url: None,
    };
    let f = spike_figures(&r, &ctx);
    assert_eq!(f.count, 12);
    assert_eq!(f.baseline, [2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4]);
    assert!((f.mean - 3.0).abs() < 1e-9 && (f.sd - 1.0).abs() < 1e-9);
    let a = w.run(&r);
    assert_eq!(a.len(), 1);
    assert_eq!(
        a[0].key,
        format!("window:{}", NOW / 86_400),
        "once per rule per window"
    );
    assert!(
        a[0].summary.contains("近24小时 12 篇") && a[0].summary.contains("平均 3.0 篇"),
        "{}",
        a[0].summary
    );
    assert_eq!(a[0].items.len(), 3, "the window's three stories");
    assert_eq!(a[0].items.iter().map(|i| i.size).sum::<usize>(), 12);
    assert!(
        a[0].items[0].size >= a[0].items[1].size,
        "biggest story first"
    );

    // 12 against mean 3 + 10 × sd 1 is no spike; nor is 4 below min_count
    r.sigma = 10.0;
    assert!(w.run(&r).is_empty());
    r.sigma = 0.5;
    let mut days = vec![4];
    days.extend([1; 14]);
    assert!(
        World::new(history(&days)).run(&r).is_empty(),
        "4 < min_count 5"
    );
    r.min_count = 4;
    assert_eq!(World::new(history(&days)).run(&r).len(), 1);
}

#[test]
fn a_unit_silent_past_the_limit_is_reported_once_per_silence() {
    let mut w = World::new(Vec::new());
    assert!(
        w.run(&rule(AlertKind::Silent)).is_empty(),
        "an empty record says nothing"
    );
    w.last.insert("cast-news".into(), NOW - 20 * 86_400);
    let a = w.run(&rule(AlertKind::Silent));
    // bast has a source but no article ever; idle has no source at all
    let keys: Vec<&str> = a.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            format!("silent:cast:{}", NOW - 20 * 86_400).as_str(),
            "silent:bast:never"
        ]
    );
    assert_eq!(a[0].title, "【单位沉默】中国科协");
    assert!(
        a[0].summary.contains("已 20 天没有新文章"),
        "{}",
        a[0].summary
    );
    w.last.insert("cast-news".into(), NOW - 3 * 86_400);
    w.last.insert("bast-news".into(), NOW - 86_400);
    assert!(w.run(&rule(AlertKind::Silent)).is_empty());
}
