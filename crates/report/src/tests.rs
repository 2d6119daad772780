//! Report figures on rows written by hand (every number checked against a hand count), and
//! snapshots of the renderings.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use yuqing_store::{ClusterSummary, ReportRow, SourceHealth, StoredTag};

use super::data::*;
use super::*;

fn at(s: &str) -> i64 {
    // China time
    china()
        .from_local_datetime(&chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
        .unwrap()
        .timestamp()
}

fn tag(name: &str, score: f64, sentence: &str) -> StoredTag {
    StoredTag {
        tag: name.into(),
        score,
        evidence: serde_json::json!({"cues": ["事迹"], "sentence": sentence}),
    }
}

fn row(
    id: i64,
    unit: &str,
    when: &str,
    cluster: i64,
    tags: Vec<StoredTag>,
    topics: &[&str],
    kw: &[&str],
) -> ReportRow {
    ReportRow {
        id,
        title: format!("标题{id}"),
        url: format!("https://example.org/{id}.html"),
        source: format!("{unit}-web"),
        unit: unit.into(),
        unit_kind: String::new(),
        time: at(when),
        tags,
        topics: topics.iter().map(|s| s.to_string()).collect(),
        keywords: kw.iter().map(|s| s.to_string()).collect(),
        cluster,
        origin: None,
    }
}

fn input() -> WeeklyInput {
    let units = vec![
        UnitInfo {
            id: "a".into(),
            name: "甲科协".into(),
            kind: "机关".into(),
        },
        UnitInfo {
            id: "b".into(),
            name: "乙学会".into(),
            kind: "全国学会".into(),
        },
        UnitInfo {
            id: "c".into(),
            name: "丙省科协".into(),
            kind: "地方科协".into(),
        },
    ];
    let sources = vec![
        SourceInfo {
            id: "a-web".into(),
            name: "甲科协网站".into(),
            unit: "a".into(),
            enabled: true,
        },
        SourceInfo {
            id: "b-web".into(),
            name: "乙学会网站".into(),
            unit: "b".into(),
            enabled: true,
        },
        SourceInfo {
            id: "c-web".into(),
            name: "丙省科协网站".into(),
            unit: "c".into(),
            enabled: true,
        },
    ];
    let rows = vec![
        row(
            1,
            "a",
            "2026-11-23 10:00",
            1,
            vec![tag("typical_person", 0.9, "他扎根山区三十年。")],
            &["t1"],
            &["科普", "院士"],
        ),
        row(
            2,
            "b",
            "2026-11-24 09:00",
            1,
            vec![tag("typical_person", 0.8, "他扎根山区三十年。")],
            &["t1"],
            &["科普"],
        ),
        row(
            3,
            "a",
            "2026-11-25 12:00",
            3,
            vec![tag("typical_case", 0.95, "通报了三起典型问题。")],
            &[],
            &["通报", "科普"],
        ),
        row(
            4,
            "b",
            "2026-11-29 23:30",
            4,
            vec![tag("typical_event", 0.7, "大赛在京举行。")],
            &["t2"],
            &["大赛", "科普"],
        ),
    ];
    let previous_rows = vec![row(
        10,
        "a",
        "2026-11-16 08:00",
        10,
        vec![],
        &["t1"],
        &["院士"],
    )];
    WeeklyInput {
        week: Some(Week {
            year: 2026,
            week: 48,
        }),
        generated_at: DateTime::from_timestamp(at("2026-11-30 08:00"), 0)
            .unwrap()
            .with_timezone(&Utc),
        units,
        sources,
        topics: vec![
            TopicInfo {
                id: "t1".into(),
                name: "十九大精神".into(),
            },
            TopicInfo {
                id: "t2".into(),
                name: "科学普及".into(),
            },
        ],
        rows,
        previous_rows,
        earlier_keywords: vec![vec!["院士".into()], vec!["院士".into()]],
        clusters: vec![ClusterSummary {
            cluster: 1,
            size: 2,
            units: 2,
            first_id: 1,
            first_unit: "a".into(),
            first_source: "a-web".into(),
            first_time: at("2026-11-23 10:00"),
            title: "标题1".into(),
            url: "https://example.org/1.html".into(),
        }],
        health: vec![
            SourceHealth {
                source: "a-web".into(),
                last_success: Some("2026-11-30T06:00:00+08:00".into()),
                last_status: Some("ok".into()),
                ..Default::default()
            },
            SourceHealth {
                source: "b-web".into(),
                last_status: Some("http-5xx".into()),
                last_error: Some("http-5xx https://b.example/list: HTTP 500".into()),
                consecutive_failures: 3,
                ..Default::default()
            },
        ],
        source_times: HashMap::new(),
        source_last: [("c-web".to_string(), at("2026-10-01 09:00"))]
            .into_iter()
            .collect(),
        title: "舆情监测周报 2026年第48周".into(),
    }
}

#[test]
fn weeks_are_iso_weeks_in_china_time() {
    let w = Week::parse("2026-W48").unwrap();
    assert_eq!(w.monday().to_string(), "2026-11-23");
    let (from, to) = w.range();
    assert_eq!(from.to_rfc3339(), "2026-11-22T16:00:00+00:00");
    assert_eq!((to - from).num_days(), 7);
    assert_eq!(w.minus(1).id(), "2026-W47");
    assert_eq!(Week::parse("2026-W01").unwrap().minus(1).id(), "2025-W52");
    assert_eq!(Week::parse("2026-W60"), None);
    assert_eq!(Week::parse("48"), None);
    // Sunday 23:30 China time is still in the week; Monday 00:30 is not
    let sunday = DateTime::from_timestamp(at("2026-11-29 23:30"), 0).unwrap();
    assert_eq!(Week::of(sunday).id(), "2026-W48");
    let monday = DateTime::from_timestamp(at("2026-11-30 00:30"), 0).unwrap();
    assert_eq!(Week::of(monday).id(), "2026-W49");
    assert_eq!(Week::previous_to(monday).id(), "2026-W48");
}

#[test]
fn weekly_figures_match_a_hand_count() {
    let r = weekly(&input());
    assert_eq!(
        r.articles,
        Figure {
            value: 4,
            previous: 1
        }
    );
    assert_eq!(
        r.active_units,
        Figure {
            value: 2,
            previous: 1
        }
    );
    assert_eq!(r.units_total, 3);
    assert_eq!(r.typical_person.value, 2);
    assert_eq!(r.typical_event.value, 1);
    assert_eq!(r.typical_case.value, 1);
    assert_eq!(r.shared_stories.value, 1);
    let days: Vec<i64> = r.daily.iter().map(|d| d.count).collect();
    assert_eq!(days, [1, 1, 1, 0, 0, 0, 1]);
    assert_eq!(r.daily[6].label, "11-29 周日");
    let kinds: Vec<(&str, i64, i64)> = r
        .by_kind
        .iter()
        .map(|k| (k.kind.as_str(), k.count, k.previous))
        .collect();
    assert_eq!(
        kinds[..3],
        [("机关", 2, 1), ("全国学会", 2, 0), ("地方科协", 0, 0)]
    );
    assert_eq!(
        (r.topics[0].count, r.topics[0].previous, r.topics[1].count),
        (2, 1, 1)
    );
    let unit = |id: &str| r.scoreboard.iter().find(|u| u.unit == id).unwrap();
    let a = unit("a");
    assert_eq!(
        (
            a.articles,
            a.articles_previous,
            a.original,
            a.republished,
            a.first_published
        ),
        (2, 1, 2, 0, 1)
    );
    assert_eq!(
        (a.typical_person, a.typical_case, a.topics.clone()),
        (1, 1, vec![1, 0])
    );
    assert_eq!(a.last_published.as_deref(), Some("2026-11-25 12:00"));
    let b = unit("b");
    assert_eq!(
        (b.articles, b.original, b.republished, b.first_published),
        (2, 1, 1, 0)
    );
    let c = unit("c");
    assert!(c.silent && c.articles == 0);
    assert_eq!(c.last_published.as_deref(), Some("2026-10-01 09:00"));
    // the repost is folded into its story
    assert_eq!(r.typical.person.len(), 1);
    assert_eq!(
        (r.typical.person[0].id, r.typical.person[0].reposts),
        (1, 1)
    );
    assert_eq!(r.typical.person[0].evidence, "他扎根山区三十年。");
    assert_eq!(r.top_stories.len(), 1);
    assert_eq!(
        (
            r.top_stories[0].size,
            r.top_stories[0].first_unit_name.as_str()
        ),
        (2, "甲科协")
    );
    assert_eq!(r.keywords[0].term, "科普");
    assert_eq!(r.keywords[0].count, 4);
    // 科普: 4 this week against 0 before; 院士: 1 against an average of 0.5
    assert_eq!(
        r.rising.iter().map(|t| t.term.as_str()).collect::<Vec<_>>(),
        ["科普"]
    );
    // health: the failing source, and the silent one (no article for two months)
    let problems: Vec<(&str, &str)> = r
        .health
        .iter()
        .map(|h| (h.source.as_str(), h.problem.as_str()))
        .collect();
    assert_eq!(problems, [("b-web", "failing"), ("c-web", "never-scanned")]);
}

#[test]
fn figures_say_how_they_changed() {
    assert_eq!(
        Figure {
            value: 12,
            previous: 8
        }
        .change_label(),
        "+50.0%"
    );
    assert_eq!(
        Figure {
            value: 6,
            previous: 8
        }
        .change_label(),
        "-25.0%"
    );
    assert_eq!(
        Figure {
            value: 8,
            previous: 8
        }
        .change_label(),
        "持平"
    );
    assert_eq!(
        Figure {
            value: 3,
            previous: 0
        }
        .change_label(),
        "新增"
    );
    assert_eq!(
        usual_gap_days(&[
            at("2026-11-01 09:00"),
            at("2026-11-03 09:00"),
            at("2026-11-05 09:00")
        ]),
        2.0
    );
}

#[test]
fn the_weekly_report_renders_the_same_way() {
    let r = weekly(&input());
    insta::assert_snapshot!("weekly_markdown", markdown::weekly(&r));
    insta::assert_snapshot!("weekly_html", html::weekly(&r, html::Target::File));
    let mail = html::weekly(&r, html::Target::Mail);
    assert!(mail.contains("src=\"cid:chart-daily\"") && mail.contains("src=\"cid:chart-kinds\""));
    assert!(!mail.contains("<script") && !mail.contains("<svg"));
}

#[test]
fn scraped_text_is_escaped_everywhere() {
    let mut i = input();
    i.rows[0].title = "<script>alert(1)</script>".into();
    i.rows[0].url = "javascript:alert(1)".into();
    i.units[0].name = "<img src=x onerror=alert(1)>".into();
    let r = weekly(&i);
    let h = html::weekly(&r, html::Target::File);
    assert!(!h.contains("<script>alert") && !h.contains("<img src=x"));
    assert!(!h.contains("href=\"javascript:"));
    let m = markdown::weekly(&r);
    assert!(!m.contains("](javascript:"));
}

#[test]
fn the_daily_brief_counts_the_day() {
    let w = input();
    let mut d = DailyInput {
        date: Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
        generated_at: w.generated_at,
        units: w.units.clone(),
        sources: w.sources.clone(),
        topics: w.topics.clone(),
        rows: w.rows[..1].to_vec(),
        previous_rows: Vec::new(),
        clusters: w.clusters.clone(),
        health: w.health.clone(),
        source_times: HashMap::new(),
        source_last: HashMap::new(),
        undelivered: vec!["周报 2026-W47: connection refused".into()],
        alerts: vec![AlertLine {
            time: "09:30".into(),
            kind: "典型发现".into(),
            title: "【典型人物】扎根山区三十年的乡村科技辅导员 | 王建华".into(),
            deliveries: vec![
                "office-dingtalk 已发送".into(),
                "hook 发送失败：HTTP 502".into(),
            ],
            failed: true,
        }],
    };
    let r = daily(&d);
    assert_eq!(r.id, "2026-11-23");
    assert_eq!(r.articles.value, 1);
    assert_eq!(r.by_unit[0].name, "甲科协");
    assert_eq!(r.by_source[0].name, "甲科协网站");
    assert_eq!(r.typical.person.len(), 1);
    assert_eq!(r.stories.len(), 1);
    insta::assert_snapshot!("daily_markdown", markdown::daily(&r));
    let page = html::daily(&r);
    assert!(page.contains("<h2>当日预警</h2>"), "{page}");
    assert!(page.contains("hook 发送失败：HTTP 502"));
    d.rows.clear();
    let empty = daily(&d);
    assert!(html::daily(&empty).contains("本期未发现"));
    assert!(html::daily(&empty).contains("connection refused"));
}

#[test]
fn the_csv_opens_in_excel() {
    let r = weekly(&input());
    let csv = String::from_utf8(tagged_csv(&r.typical)).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines[0], "\u{feff}标签,标题,单位,时间,链接,得分,依据");
    assert_eq!(lines.len(), 4);
    assert!(
        lines[1].starts_with(
            "典型人物,标题1,甲科协,2026-11-23 10:00,https://example.org/1.html,0.900,"
        )
    );
}

#[test]
fn files_get_stable_names_and_an_index() {
    let dir = std::env::temp_dir().join(format!("yuqing-report-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let r = weekly(&input());
    let files = write_files(&dir, &Rendered::weekly(&r)).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.strip_prefix(&dir).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "weekly/2026-W48.html",
            "weekly/2026-W48.md",
            "weekly/2026-W48.json"
        ]
    );
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(index.contains("weekly/2026-W48.html"));
    let json: Weekly =
        serde_json::from_str(&std::fs::read_to_string(dir.join("weekly/2026-W48.json")).unwrap())
            .unwrap();
    assert_eq!(json.articles.value, 4);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Needs a CJK font (`.ci/test` installs fonts-noto-cjk).
#[test]
fn charts_rasterise_with_chinese_glyphs() {
    let svg = charts::columns("每日文章数", &[("11-23 周一".into(), 3)]);
    let with = png::render("每日文章数", &svg, 1.0).unwrap();
    assert!(with.starts_with(b"\x89PNG"));
    // the Chinese labels draw ink: the same chart without them is a smaller image
    let bare = charts::columns("", &[("".into(), 3)]);
    let without = png::render("bare", &bare, 1.0).unwrap();
    assert!(
        with.len() > without.len() + 500,
        "{} vs {}",
        with.len(),
        without.len()
    );
}
