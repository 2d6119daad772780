//! Search tests on articles the team writes, through one `check` helper.

use super::*;
use std::sync::OnceLock;

fn day(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(&format!("{s}T09:00:00+08:00")).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn doc(
    id: u64,
    cluster: u64,
    title: &str,
    body: &str,
    source: &str,
    kind: &str,
    tags: &[&str],
    date: &str,
) -> IndexDoc {
    IndexDoc {
        id,
        cluster,
        url: format!("https://example.cn/{id}.html"),
        title: title.into(),
        body: body.into(),
        source: source.into(),
        unit: format!("unit-{source}"),
        kind: kind.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        topics: if body.contains("十九大") {
            vec!["programme-19th".into()]
        } else {
            vec![]
        },
        status: "live".into(),
        published: Some(day(date)),
        title_tokens: None,
        body_tokens: None,
    }
}

fn index() -> &'static SearchIndex {
    static I: OnceLock<SearchIndex> = OnceLock::new();
    I.get_or_init(|| {
        let idx = SearchIndex::in_ram(Analyzer::builtin()).unwrap();
        let mut w = idx.writer(50_000_000).unwrap();
        let docs = [
            doc(
                1,
                1,
                "中国科协召开全国学会工作会议",
                "中国科协在北京召开全国学会工作会议，部署学会改革工作。",
                "cast-news",
                "机关",
                &["typical_event"],
                "2025-04-01",
            ),
            doc(
                2,
                2,
                "中国科学技术协会发布年度报告",
                "中国科学技术协会今天发布年度科普工作报告。",
                "cast-notices",
                "机关",
                &[],
                "2025-04-10",
            ),
            doc(
                3,
                3,
                "省科协学习宣传贯彻十九大精神",
                "省科协组织宣讲团，学习宣传贯彻党的十九大精神。",
                "prov-news",
                "地方科协",
                &["typical_event"],
                "2025-03-20",
            ),
            doc(
                4,
                4,
                "纪委公开通报典型问题",
                "中央纪委国家监委公开通报五起典型问题，警示教育党员干部。",
                "ccdi",
                "其他",
                &["typical_case"],
                "2025-02-15",
            ),
            doc(
                5,
                4,
                "【转载】纪委公开通报典型问题",
                "中央纪委国家监委公开通报五起典型问题，警示教育党员干部。",
                "media",
                "媒体",
                &["typical_case"],
                "2025-02-16",
            ),
            doc(
                6,
                6,
                "最美科技工作者李华的故事",
                "李华扎根田间二十年，培育抗旱小麦新品种。<script>alert(1)</script>",
                "media",
                "媒体",
                &["typical_person"],
                "2025-04-20",
            ),
        ];
        for d in &docs {
            w.upsert(d).unwrap();
        }
        w.commit().unwrap();
        idx.reload().unwrap();
        idx
    })
}

/// Runs `query` with `edit` applied to the request; returns the hit ids in order.
fn check(query: &str, edit: impl FnOnce(&mut SearchRequest)) -> Vec<u64> {
    let mut req = SearchRequest {
        query: query.into(),
        limit: 20,
        collapse: false,
        ..Default::default()
    };
    edit(&mut req);
    let r = index()
        .search(&req)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    let mut ids: Vec<u64> = r.hits.iter().map(|h| h.id).collect();
    if req.sort == Sort::Relevance {
        ids.sort_unstable();
    }
    ids
}

#[test]
fn chinese_words_whole_and_in_part() {
    assert_eq!(
        check("科协", |_| {}),
        vec![1, 2, 3],
        "科协 finds 中国科协 and 中国科学技术协会"
    );
    assert_eq!(check("中国科协", |_| {}), vec![1, 2]);
    assert_eq!(check("中国科学技术协会", |_| {}), vec![2]);
    assert_eq!(check("十九大", |_| {}), vec![3]);
    assert_eq!(check("典型问题", |_| {}), vec![4, 5]);
}

#[test]
fn phrases_and_boolean_logic() {
    assert_eq!(check("\"学会工作会议\"", |_| {}), vec![1]);
    assert_eq!(check("\"学会改革\"", |_| {}), vec![1]);
    assert_eq!(
        check("\"改革 学会\"", |_| {}),
        Vec::<u64>::new(),
        "order matters in a phrase"
    );
    assert_eq!(check("科协 AND 学会", |_| {}), vec![1]);
    assert_eq!(check("科协 学会", |_| {}), vec![1], "adjacency means AND");
    assert_eq!(check("十九大 OR 典型问题", |_| {}), vec![3, 4, 5]);
    assert_eq!(check("科协 -学会", |_| {}), vec![2, 3]);
    assert_eq!(check("科协 NOT (学会 OR 十九大)", |_| {}), vec![2]);
    assert_eq!(check("NOT 科协", |_| {}), vec![4, 5, 6]);
}

#[test]
fn fields_and_filters() {
    assert_eq!(check("title:转载", |_| {}), vec![5]);
    assert_eq!(check("source:ccdi", |_| {}), vec![4]);
    assert_eq!(check("kind:媒体", |_| {}), vec![5, 6]);
    assert_eq!(check("tag:典型事", |_| {}), vec![1, 3]);
    assert_eq!(check("topic:programme-19th", |_| {}), vec![3]);
    assert_eq!(check("date:2025-04-01..2025-04-10", |_| {}), vec![1, 2]);
    assert_eq!(
        check("", |r| r.tags = vec!["typical_case".into()]),
        vec![4, 5]
    );
    assert_eq!(
        check("", |r| r.sources = vec!["media".into(), "ccdi".into()]),
        vec![4, 5, 6]
    );
    assert_eq!(
        check("", |r| r.units = vec!["unit-prov-news".into()]),
        vec![3]
    );
    assert_eq!(check("", |r| r.kinds = vec!["机关".into()]), vec![1, 2]);
    assert_eq!(
        check("", |r| r.topics = vec!["programme-19th".into()]),
        vec![3]
    );
    assert_eq!(
        check("", |r| {
            r.from = NaiveDate::from_ymd_opt(2025, 4, 10);
            r.to = NaiveDate::from_ymd_opt(2025, 4, 20);
        }),
        vec![2, 6]
    );
}

#[test]
fn sorting_newest_first() {
    assert_eq!(check("", |r| r.sort = Sort::Newest), vec![6, 2, 1, 3, 5, 4]);
    assert_eq!(
        check("", |r| {
            r.sort = Sort::Newest;
            r.limit = 2;
            r.offset = 1;
        }),
        vec![2, 1]
    );
}

#[test]
fn collapsing_by_story() {
    let r = index()
        .search(&SearchRequest {
            query: "典型问题".into(),
            limit: 10,
            collapse: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.total, 2, "total counts articles");
    assert_eq!(r.hits.len(), 1, "one hit per story");
    assert_eq!(r.hits[0].collapsed, 1);
}

#[test]
fn snippets_highlight_and_escape() {
    let r = index()
        .search(&SearchRequest {
            query: "小麦".into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let s = &r.hits[0].snippet;
    assert!(s.contains("<b>小麦</b>"), "{s}");
    assert!(!s.contains("<script>"), "{s}");
    assert_eq!(r.hits[0].tags, vec!["typical_person"]);
    assert_eq!(
        r.hits[0].published_at.as_deref(),
        Some("2025-04-20T09:00:00+08:00")
    );
}

#[test]
fn malformed_queries_name_the_problem() {
    for (q, want) in [
        (
            "科协 AND",
            "invalid query: expression ends where a word was expected at column 7",
        ),
        ("(科协", "invalid query: '(' is never closed at column 1"),
        (
            "foo:bar",
            "invalid query: unknown field \"foo\" (use title, source, unit, kind, tag, topic, date) at column 1",
        ),
        ("tag:好人", "invalid query: unknown tag \"好人\""),
        (
            "date:2025-13-01..",
            "invalid query: \"2025-13-01\" is not a date (YYYY-MM-DD)",
        ),
        ("，。", "invalid query: \"，。\" has no searchable words"),
    ] {
        let e = index()
            .search(&SearchRequest {
                query: q.into(),
                limit: 5,
                ..Default::default()
            })
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(want), "{q}: {e}");
    }
}

#[test]
fn facets_count_matches() {
    let f = index()
        .facets(
            &SearchRequest {
                query: "典型问题 OR 科协".into(),
                ..Default::default()
            },
            10,
        )
        .unwrap();
    assert_eq!(f["kind"][0], ("机关".to_string(), 2));
    assert!(f["tag"].contains(&("typical_case".to_string(), 2)));
    assert_eq!(index().count(), 6);
    assert!(index().contains(4).unwrap());
    assert!(!index().contains(99).unwrap());
}

#[test]
fn tokens_made_ahead_are_indexed_and_a_rollback_drops_uncommitted_additions() {
    let a = Analyzer::builtin();
    let idx = SearchIndex::in_ram(a.clone()).unwrap();
    let mut w = idx.writer(50_000_000).unwrap();
    let mut made = doc(
        1,
        1,
        "科普中国进基层",
        "科协组织科普讲座走进社区。",
        "cast",
        "机关",
        &[],
        "2025-05-01",
    );
    made.title_tokens = Some(a.tokenizer().tokens(&made.title));
    made.body_tokens = Some(a.tokenizer().tokens(&made.body));
    w.add(made).unwrap();
    w.commit().unwrap();
    idx.reload().unwrap();
    let found = |q: &str| {
        idx.search(&SearchRequest {
            query: q.into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap()
        .total
    };
    assert_eq!(found("\"科普讲座\""), 1);
    assert_eq!(found("title:科普"), 1);
    // an addition rolled back (its store transaction failed) never reaches a commit
    let mut lost = doc(
        2,
        2,
        "不会留下的文章",
        "回滚之后科普不见了。",
        "cast",
        "机关",
        &[],
        "2025-05-02",
    );
    lost.body_tokens = Some(a.tokenizer().tokens(&lost.body));
    w.add(lost).unwrap();
    w.rollback().unwrap();
    w.commit().unwrap();
    idx.reload().unwrap();
    assert_eq!(idx.count(), 1);
    assert_eq!(found("回滚"), 0);
}
