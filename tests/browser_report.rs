//! The weekly report opened in headless Chromium (Debian's `chromium`, installed by `.ci/test`):
//! its script runs without error (the scoreboard becomes sortable) and a screenshot is saved to
//! `tests/artifacts/weekly-report.png` for people to look at.

mod support;

use std::path::Path;

use yuqing_report::data::{SourceInfo, TopicInfo, UnitInfo, Week, WeeklyInput};
use yuqing_store::{ClusterSummary, ReportRow, StoredTag};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn at(day: u32, hour: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(2026, 11, day)
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
        - 8 * 3600
}

fn sample() -> WeeklyInput {
    let units: Vec<UnitInfo> = [
        ("cast", "中国科协", "机关"),
        ("cast-pop", "科普部", "机关"),
        ("cms", "中国数学会", "全国学会"),
        ("cps", "中国物理学会", "全国学会"),
        ("bj", "北京市科协", "地方科协"),
        ("sh", "上海市科协", "地方科协"),
        ("xh", "新华社", "媒体"),
        ("rmrb", "人民日报", "媒体"),
    ]
    .iter()
    .map(|(id, name, kind)| UnitInfo {
        id: id.to_string(),
        name: name.to_string(),
        kind: kind.to_string(),
    })
    .collect();
    let sources = units
        .iter()
        .map(|u| SourceInfo {
            id: format!("{}-web", u.id),
            name: format!("{}网站", u.name),
            unit: u.id.clone(),
            enabled: true,
        })
        .collect();
    let titles = [
        (
            "全国科技工作者日主题活动在京举行",
            "typical_event",
            "活动现场举行了科技志愿服务队授旗仪式。",
        ),
        (
            "扎根山区三十年的乡村科技辅导员王建华",
            "typical_person",
            "他的先进事迹在当地广为传颂。",
        ),
        (
            "省纪委监委通报三起违反中央八项规定精神典型问题",
            "typical_case",
            "通报指出，各级党组织要以案为鉴、以案促改。",
        ),
        (
            "院士专家科普报告会走进中学校园",
            "typical_event",
            "报告会是科学家精神进校园系列活动的一部分。",
        ),
        (
            "最美科技工作者李秀兰：把论文写在大地上",
            "typical_person",
            "今年，她荣获“最美科技工作者”称号。",
        ),
        ("学会服务创新驱动发展行动年度总结", "", ""),
    ];
    let mut rows = Vec::new();
    let mut id = 0;
    for (i, u) in units.iter().enumerate().take(7) {
        for d in 0..(7 - i as u32) {
            id += 1;
            let (title, tag, sentence) = titles[(id as usize) % titles.len()];
            rows.push(ReportRow {
                id,
                title: title.to_string(),
                url: format!("https://example.org/{id}.html"),
                source: format!("{}-web", u.id),
                unit: u.id.clone(),
                unit_kind: u.kind.clone(),
                time: at(23 + (d % 7), 9 + d),
                tags: if tag.is_empty() {
                    Vec::new()
                } else {
                    vec![StoredTag {
                        tag: tag.into(),
                        score: 0.8 + (id % 5) as f64 / 50.0,
                        evidence: serde_json::json!({"sentence": sentence, "cues": ["事迹"]}),
                    }]
                },
                topics: if id % 3 == 0 {
                    vec!["programme".into()]
                } else {
                    Vec::new()
                },
                keywords: vec![
                    "科普".into(),
                    "科技工作者".into(),
                    if id % 2 == 0 {
                        "院士".into()
                    } else {
                        "志愿服务".into()
                    },
                ],
                cluster: if id % 4 == 0 { 4 } else { id },
                origin: None,
            });
        }
    }
    WeeklyInput {
        week: Some(Week {
            year: 2026,
            week: 48,
        }),
        generated_at: chrono::DateTime::from_timestamp(at(30, 8), 0).unwrap(),
        units,
        sources,
        topics: vec![TopicInfo {
            id: "programme".into(),
            name: "学习宣传贯彻党的十九大精神".into(),
        }],
        previous_rows: rows.iter().take(12).cloned().collect(),
        clusters: vec![ClusterSummary {
            cluster: 4,
            size: 6,
            units: 4,
            first_id: 4,
            first_unit: "cast".into(),
            first_source: "cast-web".into(),
            first_time: at(23, 9),
            title: "院士专家科普报告会走进中学校园".into(),
            url: "https://example.org/4.html".into(),
        }],
        rows,
        title: "舆情监测周报 2026年第48周".into(),
        ..WeeklyInput::default()
    }
}

#[test]
fn the_weekly_report_renders_in_chromium_with_chinese_charts() {
    let artifacts = root().join("tests/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let report = yuqing_report::data::weekly(&sample());
    let page = artifacts.join("weekly-report.html");
    std::fs::write(
        &page,
        yuqing_report::html::weekly(&report, yuqing_report::html::Target::File),
    )
    .unwrap();
    let profile = std::env::temp_dir().join(format!("yuqing-chromium-{}", std::process::id()));

    // the page's script ran: every scoreboard header got its tooltip
    let url = format!("file://{}", page.display());
    let dom = support::chromium(
        &profile,
        &["--virtual-time-budget=2000", "--dump-dom"],
        &url,
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("title=\"点击排序\""),
        "the sort script did not run"
    );
    assert!(dom.contains("单位考核表") && dom.contains("每日文章数"));

    let shot = artifacts.join("weekly-report.png");
    let _ = std::fs::remove_file(&shot);
    let out = support::chromium(
        &profile,
        &[
            "--window-size=1100,2600",
            &format!("--screenshot={}", shot.display()),
        ],
        &url,
    );
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 50_000,
        "{} bytes",
        png.len()
    );
    let _ = std::fs::remove_dir_all(&profile);
}
