//! Extraction on pages and feeds written by the team, with snapshots of the extracted JSON.

use std::path::PathBuf;

use chrono::TimeZone;
use yuqing_extract::{
    ArticleDraft, Extracted, FeedDraft, Input, ListResult, extract, extract_list,
};
use yuqing_model::{JsonList, ListMode, Selectors, Source, SourceKind, WechatAccount};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fetched_at() -> chrono::DateTime<chrono::FixedOffset> {
    yuqing_extract::dates::china()
        .with_ymd_and_hms(2025, 4, 25, 8, 0, 0)
        .unwrap()
}

/// Extracts a fixture as an article and checks it is one.
fn check_article(name: &str, url: &str, source: Option<&Source>) -> ArticleDraft {
    let bytes = fixture(name);
    let input = Input {
        fetched_at: Some(fetched_at()),
        source,
        ..Input::new(&bytes, url)
    };
    match extract(&input) {
        Ok(Extracted::Article(a)) => a,
        other => panic!("{name}: expected an article, got {other:?}"),
    }
}

fn check_feed(name: &str) -> FeedDraft {
    let bytes = fixture(name);
    let input = Input {
        kind: Some(SourceKind::Feed),
        ..Input::new(&bytes, "http://news.example.cn/rss/scitech.xml")
    };
    match extract(&input) {
        Ok(Extracted::Feed(f)) => f,
        other => panic!("{name}: expected a feed, got {other:?}"),
    }
}

fn source(list_mode: ListMode) -> Source {
    Source {
        id: "test".into(),
        name: None,
        unit: "unit".into(),
        kind: SourceKind::Html,
        urls: vec![],
        schedule: None,
        delay_ms: None,
        max_pages: Some(2),
        enabled: true,
        list_mode,
        selectors: Selectors::default(),
        json: None,
        charset: None,
        allowed_hosts: vec![],
        headers: vec![],
        account: WechatAccount::default(),
    }
}

#[test]
fn official_article_utf8() {
    let a = check_article(
        "official_article.html",
        "https://www.example-kx.org.cn/kxyw/202504/t20250424_419135.html?utm_source=wx",
        None,
    );
    assert_eq!(a.title, "省科协举办“最美科技工作者”先进事迹报告会");
    assert_eq!(
        a.published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2025-04-24T09:30:00+08:00"),
        "the article's date, not the script's or the sidebar's"
    );
    assert_eq!(a.author.as_deref(), Some("张明"));
    assert_eq!(a.origin.as_deref(), Some("示例市科协宣传部"));
    assert_eq!(
        a.url,
        "https://www.example-kx.org.cn/kxyw/202504/t20250424_419135.html"
    );
    assert_eq!(a.body.lines().count(), 4, "{}", a.body);
    for junk in [
        "分享到",
        "责任编辑",
        "打印本页",
        "版权所有",
        "相关新闻",
        "市科协召开全委会议",
        "首页",
    ] {
        assert!(!a.body.contains(junk), "body keeps {junk:?}:\n{}", a.body);
    }
    insta::assert_json_snapshot!("official_article_utf8", a);
}

#[test]
fn official_article_gbk() {
    let a = check_article(
        "official_article_gbk.html",
        "http://scitech.people.com.cn/n1/2017/1108/c1007-29634.html",
        None,
    );
    assert_eq!(a.title, "科技日报记者走进青藏高原科考一线");
    assert!(a.body.contains("镕基、喆等生僻字"), "{}", a.body);
    assert!(!a.body.contains('\u{fffd}'));
    assert!(!a.body.contains("责编"), "{}", a.body);
    assert_eq!(
        a.published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2017-11-08T10:30:00+08:00")
    );
    assert_eq!(a.origin.as_deref(), Some("人民网－科技频道"));
    insta::assert_json_snapshot!("official_article_gbk", a);
}

#[test]
fn configured_selectors_win() {
    let mut s = source(ListMode::Html);
    s.selectors.title = Some(".info".into());
    s.selectors.body = Some("#zoom p:nth-child(2)".into());
    let a = check_article(
        "official_article.html",
        "https://www.example-kx.org.cn/a.html",
        Some(&s),
    );
    assert!(a.title.starts_with("发布时间"), "{}", a.title);
    assert_eq!(a.body.lines().count(), 1);
    assert!(a.body.contains("抗旱小麦"));
}

#[test]
fn wechat_article() {
    let a = check_article(
        "wechat_article.html",
        "https://mirror.example.org/wechat/saved/1.html",
        None,
    );
    assert_eq!(a.kind, SourceKind::Wechat);
    assert_eq!(a.title, "青年科学家的一天：在实验室里追光");
    assert_eq!(a.site_name.as_deref(), Some("示例科协"));
    assert_eq!(
        a.published_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-05-06T10:00:00+08:00")
    );
    assert_eq!(
        a.url,
        "https://mp.weixin.qq.com/s?__biz=MzA5OTY3ODk2MQ%3D%3D&mid=2650000001&idx=1&sn=0123456789abcdef"
    );
    assert_eq!(
        a.images,
        vec!["https://mmbiz.qpic.cn/mmbiz_jpg/example/640?wx_fmt=jpeg"]
    );
    assert!(a.body.chars().count() > 100);
    insta::assert_json_snapshot!("wechat_article", a);
}

#[test]
fn wechat_deleted_and_blocked_are_statuses() {
    for (name, deleted) in [
        ("wechat_deleted.html", true),
        ("wechat_blocked.html", false),
    ] {
        let bytes = fixture(name);
        let input = Input {
            kind: Some(SourceKind::Wechat),
            ..Input::new(&bytes, "https://mp.weixin.qq.com/s/AbCd?scene=1")
        };
        match (extract(&input).unwrap(), deleted) {
            (Extracted::Deleted { url, .. }, true) | (Extracted::Blocked { url, .. }, false) => {
                assert_eq!(url, "https://mp.weixin.qq.com/s/AbCd");
            }
            (other, _) => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn feeds_with_lying_or_missing_declarations() {
    for name in [
        "feed_gbk_declared_utf8.xml",
        "feed_gbk_undeclared.xml",
        "feed_summary.xml",
    ] {
        let f = check_feed(name);
        assert_eq!(
            f.feed.title.as_deref(),
            Some("示例新闻网 科技频道"),
            "{name}"
        );
        assert_eq!(f.entries.len(), 2, "{name}");
        let e = &f.entries[0];
        assert_eq!(e.title, "全国学会学术交流活动在京举行", "{name}");
        assert_eq!(e.url, "http://news.example.cn/2017/1107/a1.html");
        assert_eq!(
            e.published_at.map(|d| d.to_rfc3339()).as_deref(),
            Some("2017-11-07T10:00:00+08:00"),
            "{name}: a date feed-rs alone would drop"
        );
        assert_eq!(e.full_text, Some(false), "summaries only");
        assert_eq!(
            f.entries[1].published_at.map(|d| d.to_rfc3339()).as_deref(),
            Some("2017-11-06T08:00:00+08:00")
        );
    }
    insta::assert_json_snapshot!(
        "feed_gbk_declared_utf8",
        check_feed("feed_gbk_declared_utf8.xml")
    );
}

#[test]
fn malformed_feeds_give_clear_errors() {
    for (bytes, want) in [
        (&b"<html><body>502 Bad Gateway</body></html>"[..], "HTML page"),
        (&b"<rss><channel><title>x</title>"[..], "feed"),
        (&b"{\"version\":\"https://jsonfeed.org/version/1\",\"title\":\"t\",\"items\":[{\"content_html\":\"x\"}]}"[..], "id or a url"),
    ] {
        let input = Input {
            kind: Some(SourceKind::Feed),
            ..Input::new(bytes, "http://news.example.cn/rss.xml")
        };
        let err = extract(&input).unwrap_err().to_string();
        assert!(err.starts_with("feed http://news.example.cn/rss.xml: "), "{err}");
        assert!(err.contains(want), "{err}");
        assert_eq!(err.lines().count(), 1);
    }
}

#[test]
fn bare_ampersands_are_repaired() {
    let bytes = "<?xml version=\"1.0\"?><rss><channel><title>A & B</title><item><title>科协 & 学会&nbsp;动态</title><link>http://x.example.cn/a?id=1&p=2</link></item></channel></rss>".as_bytes();
    let input = Input {
        kind: Some(SourceKind::Feed),
        ..Input::new(bytes, "http://x.example.cn/rss.xml")
    };
    let Ok(Extracted::Feed(f)) = extract(&input) else {
        panic!()
    };
    assert_eq!(f.entries[0].title, "科协 & 学会 动态");
    assert!(!f.feed.warnings.is_empty());
}

#[test]
fn list_page_by_structure() {
    let bytes = fixture("list_official.html");
    let input = Input::new(&bytes, "http://www.example-kx.org.cn/kxyw/index.html");
    let Ok(ListResult::Page(page)) = extract_list(&input) else {
        panic!()
    };
    let urls: Vec<&str> = page.links.iter().map(|l| l.url.as_str()).collect();
    assert_eq!(
        urls,
        vec![
            "http://www.example-kx.org.cn/kxyw/202504/t20250424_419135.html",
            "http://www.example-kx.org.cn/kxyw/202504/t20250422_419001.html",
            "http://www.example-kx.org.cn/kxyw/202504/t20250418_418870.html",
            "http://www.example-kx.org.cn/kxyw/202504/t20250415_418702.html",
            "http://www.example-kx.org.cn/kxyw/202504/t20250410_418500.html",
        ]
    );
    assert_eq!(
        page.links[1].text, "全国学会工作座谈会在我市召开，十家学会交流经验做法",
        "title attribute for cut text"
    );
    assert_eq!(
        page.links[0]
            .date
            .map(|d| d.date_naive().to_string())
            .as_deref(),
        Some("2025-04-24")
    );
    assert_eq!(
        page.next_page.as_deref(),
        Some("http://www.example-kx.org.cn/kxyw/index_1.html")
    );
}

#[test]
fn list_page_by_selector() {
    let bytes = fixture("list_official.html");
    let mut s = source(ListMode::Html);
    s.selectors.list_links = Some("ul.news-list li:nth-child(-n+2) a".into());
    let input = Input {
        source: Some(&s),
        ..Input::new(&bytes, "http://www.example-kx.org.cn/kxyw/index.html")
    };
    let Ok(ListResult::Page(page)) = extract_list(&input) else {
        panic!()
    };
    assert_eq!(page.links.len(), 2);
}

#[test]
fn jpaas_column_then_unit_answer() {
    let s = source(ListMode::Jpaas);
    let bytes = fixture("jpaas_column.html");
    let input = Input {
        source: Some(&s),
        ..Input::new(
            &bytes,
            "https://www.example-kx.org.cn/xw/tzgg/ZH/index.html",
        )
    };
    let Ok(ListResult::Requests(reqs)) = extract_list(&input) else {
        panic!()
    };
    assert_eq!(reqs.len(), 2, "max_pages = 2");
    let u = url::Url::parse(&reqs[1].url).unwrap();
    assert_eq!(
        u.path(),
        "/api-gateway/jpaas-publish-server/front/page/build/unit"
    );
    let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
    assert_eq!(q["webId"], "abc123");
    assert_eq!(q["tagId"], "信息列表");
    assert_eq!(q["paramJson"], "{\"pageNo\":2,\"pageSize\":20}");
    assert!(
        reqs[0]
            .headers
            .iter()
            .any(|(k, v)| k == "X-Requested-With" && v == "XMLHttpRequest")
    );

    let answer = fixture("jpaas_unit.json");
    let input = Input {
        source: Some(&s),
        ..Input::new(&answer, &reqs[0].url)
    };
    let Ok(ListResult::Page(page)) = extract_list(&input) else {
        panic!()
    };
    assert_eq!(page.links.len(), 3);
    assert_eq!(
        page.links[0].url,
        "https://www.example-kx.org.cn/xw/tzgg/ZH/art/2025/art_0123456789abcdef0123456789abcdef.html"
    );
    assert_eq!(
        page.links[2]
            .date
            .map(|d| d.date_naive().to_string())
            .as_deref(),
        Some("2025-04-28")
    );
}

#[test]
fn json_and_jsonp_lists() {
    let mut s = source(ListMode::Json);
    s.json = Some(JsonList {
        items: String::new(),
        title: "TITLE".into(),
        link: "URL".into(),
        date: Some("DOCRELPUBTIME".into()),
        summary: None,
    });
    let bytes = fixture("gov_list.json");
    let input = Input {
        source: Some(&s),
        ..Input::new(
            &bytes,
            "https://www.example.gov.cn/zhengce/zuixin/ZUIXINZHENGCE.json",
        )
    };
    let Ok(ListResult::Page(page)) = extract_list(&input) else {
        panic!()
    };
    assert_eq!(page.links.len(), 2);
    assert_eq!(page.links[1].text, "科技部 教育部联合发布典型案例");
    assert_eq!(
        page.links[1].url,
        "https://www.example.gov.cn/zhengce/content/202504/content_7000.htm"
    );
    assert_eq!(page.warnings.len(), 1, "the item without a URL is reported");

    s.json = Some(JsonList {
        items: "data.list".into(),
        title: "title".into(),
        link: "url".into(),
        date: Some("focus_date".into()),
        summary: Some("brief".into()),
    });
    let bytes = fixture("cctv_list.jsonp");
    let input = Input {
        source: Some(&s),
        ..Input::new(&bytes, "https://news.example.cn/cms/china_1.jsonp")
    };
    let Ok(ListResult::Page(page)) = extract_list(&input) else {
        panic!()
    };
    assert_eq!(page.links.len(), 2);
    assert_eq!(
        page.links[0].date.map(|d| d.to_rfc3339()).as_deref(),
        Some("2025-04-24T10:05:00+08:00")
    );
}

#[test]
fn bad_input_never_panics() {
    let huge_nesting = "<div>".repeat(50_000) + "深层嵌套的正文内容。" + &"</div>".repeat(50_000);
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let cases: Vec<(&[u8], &str)> = vec![
        (b"", "empty"),
        (b"   \n ", "blank"),
        (huge_nesting.as_bytes(), "nested"),
        (&garbage, "garbage"),
        (b"<html><p>unclosed <b>tags <i>everywhere", "broken"),
        (
            b"<?xml version='1.0'?><rss><channel><item><title>x",
            "truncated feed",
        ),
    ];
    for (bytes, what) in cases {
        for kind in [
            None,
            Some(SourceKind::Html),
            Some(SourceKind::Wechat),
            Some(SourceKind::Feed),
        ] {
            let input = Input {
                kind,
                ..Input::new(bytes, "https://example.org/a.html")
            };
            let _ = extract(&input);
            let _ = extract_list(&input);
            let _ = what;
        }
    }
    let err = extract(&Input::new(b"", "https://example.org/a.html")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "https://example.org/a.html: the page is empty"
    );
    let err = extract(&Input::new(&garbage, "https://example.org/a.bin")).unwrap_err();
    assert!(err.to_string().contains("binary"), "{err}");
}
