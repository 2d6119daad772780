//! Store tests on articles the team writes.

use super::*;
use std::sync::OnceLock;
use yuqing_text::Analyzer;

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(Analyzer::builtin)
}

const BODY: &str = "4月23日，省科协在省科技馆举办最美科技工作者先进事迹报告会，五位来自科研一线的科技工作者讲述了扎根基层、潜心钻研的故事。\n报告会上，农业科学院研究员李华介绍了她带领团队二十年培育抗旱小麦新品种的经历，新品种已在全省推广种植三百万亩。\n地质勘查院高级工程师赵强讲述了在戈壁滩找矿十五年的经历，他和队友们发现了两处大型矿床。\n县医院主任医师孙红扎根乡村三十年，带出了一支能做微创手术的基层医疗队伍。\n省科协负责同志表示，要深入学习宣传先进典型，激励广大科技工作者勇攀科技高峰，为建设科技强省贡献力量。\n全省各级科协组织和学会代表共三百余人参加了报告会，会后与会人员参观了科技成果展览。";

fn article(url: &str, title: &str, body: &str) -> NewArticle {
    NewArticle {
        canonical_url: url.into(),
        url: url.into(),
        source: "test-source".into(),
        unit: "cast".into(),
        unit_kind: "机关".into(),
        kind: "html".into(),
        title: title.into(),
        published_at: Some(DateTime::parse_from_rfc3339("2025-04-24T09:30:00+08:00").unwrap()),
        fetched_at: Utc::now(),
        author: None,
        origin: None,
        site_name: None,
        body: body.into(),
        fingerprint: analyzer().fingerprint(title, body),
        keywords: vec!["科技工作者".into()],
        tags: vec![StoredTag {
            tag: "typical_event".into(),
            score: 0.9,
            evidence: serde_json::json!({"cues": ["报告会"]}),
        }],
        topics: vec![],
        model: "typical-test".into(),
        review: None,
        raw: Some(b"<html>raw</html>".to_vec()),
    }
}

#[test]
fn upsert_is_idempotent_and_versions_edits() {
    let mut s = Store::open_in_memory().unwrap();
    let a = article(
        "https://a.example.cn/1.html",
        "省科协举办先进事迹报告会",
        BODY,
    );
    let first = s.upsert(&a).unwrap();
    assert_eq!(first.outcome, Outcome::New);
    assert_eq!(first.cluster, first.id);
    let again = s.upsert(&a).unwrap();
    assert_eq!((again.id, again.outcome), (first.id, Outcome::Unchanged));
    assert_eq!(s.count().unwrap(), 1);

    let mut edited = a.clone();
    edited.body = BODY.replace("三百余人", "四百余人");
    edited.fingerprint = analyzer().fingerprint(&edited.title, &edited.body);
    let upd = s.upsert(&edited).unwrap();
    assert_eq!((upd.id, upd.outcome), (first.id, Outcome::Updated));
    let stored = s.get(first.id).unwrap().unwrap();
    assert_eq!(stored.status, "edited");
    assert_eq!(stored.version, 2);
    assert!(stored.body.contains("四百余人"));
    let versions = s.versions(first.id).unwrap();
    assert_eq!(versions.len(), 1);
    assert!(versions[0].body.contains("三百余人"));
    assert_eq!(stored.tags[0].tag, "typical_event");
}

#[test]
fn a_repost_under_another_url_joins_the_story() {
    let mut s = Store::open_in_memory().unwrap();
    let a = s
        .upsert(&article(
            "https://a.example.cn/1.html",
            "省科协举办先进事迹报告会",
            BODY,
        ))
        .unwrap();
    let b = s
        .upsert(&article(
            "https://b.example.com/x/2.html",
            "省科协举办先进事迹报告会",
            &format!("{BODY}\n（来源：示例日报）"),
        ))
        .unwrap();
    let other = s
        .upsert(&article("https://c.example.com/3.html", "市教育局部署暑期安全工作", "市教育局召开会议，部署暑期学生安全教育和防溺水工作，要求各校压实责任，加强家校沟通，开展应急演练。"))
        .unwrap();
    assert_eq!(b.outcome, Outcome::New);
    assert_ne!(b.id, a.id);
    assert_eq!(b.cluster, a.cluster, "same story, two articles");
    assert_ne!(other.cluster, a.cluster);
    let c = s.cluster(a.cluster).unwrap();
    assert_eq!(c.size, 2);
    assert_eq!(c.members[0].id, a.id);
    assert_eq!(
        s.cluster_sizes(&[a.cluster, other.cluster]).unwrap(),
        vec![(a.cluster, 2), (other.cluster, 1)]
    );
}

#[test]
fn index_bookkeeping_labels_and_deletion() {
    let mut s = Store::open_in_memory().unwrap();
    let a = s
        .upsert(&article("https://a.example.cn/1.html", "标题一", BODY))
        .unwrap();
    assert_eq!(s.unindexed_count().unwrap(), 1);
    s.mark_indexed(&[a.id]).unwrap();
    assert_eq!(s.unindexed_count().unwrap(), 0);

    let l = s
        .add_label(a.id, "typical_event", false, "analyst-1")
        .unwrap();
    assert!(l.was_tagged && !l.applies);
    assert_eq!(s.labels().unwrap().len(), 1);
    assert!(matches!(
        s.add_label(999, "typical_case", true, "x"),
        Err(StoreError::NoArticle(999))
    ));

    assert_eq!(
        s.mark_deleted("https://a.example.cn/1.html", Utc::now())
            .unwrap(),
        Some(a.id)
    );
    let d = s.get(a.id).unwrap().unwrap();
    assert_eq!(d.status, "deleted");
    assert!(d.deleted_at.is_some());
    assert_eq!(
        s.unindexed_count().unwrap(),
        1,
        "the index must learn of the deletion"
    );
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

#[test]
fn on_disk_store_keeps_raw_pages_and_survives_reopen() {
    let dir = std::env::temp_dir().join(format!("yuqing-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let id = {
        let mut s = Store::open(&dir).unwrap();
        s.upsert(&article("https://a.example.cn/1.html", "标题一", BODY))
            .unwrap()
            .id
    };
    let s = Store::open(&dir).unwrap();
    let a = s.get(id).unwrap().unwrap();
    let sha = a.raw_sha.unwrap();
    assert_eq!(s.archive().unwrap().get(&sha).unwrap(), b"<html>raw</html>");
    assert!(s.archive().unwrap().get("../../etc").is_err());
    std::fs::remove_dir_all(dir).ok();
}

/// An article with a fingerprint made by hand, to put stories at chosen distances.
fn with_fingerprint(url: &str, title: &str, simhash: u64, features: usize) -> NewArticle {
    let mut a = article(url, title, &format!("{BODY}{url}"));
    a.fingerprint = Fingerprint {
        simhash,
        features,
        title_key: title.into(),
        // distinct texts: no two share a body hash
        body_hash: url
            .bytes()
            .fold(7, |h, b| h.wrapping_mul(31).wrapping_add(b as u64)),
    };
    a
}

#[test]
fn story_lookup_reads_the_title_only_when_it_decides() {
    let mut s = Store::open_in_memory().unwrap();
    let base: u64 = 0x1234_5678_9abc_def0;
    // five bits apart in the top block: the other three blocks are shared
    let near = base ^ 0x001f_0000_0000_0000;
    let a = s
        .upsert(&with_fingerprint("https://a.cn/1", "表彰大会", base, 60))
        .unwrap();
    // too far for the text alone, but the same short title (no title lookup below six
    // characters): the candidate's title is read from its row and decides
    let b = s
        .upsert(&with_fingerprint("https://b.cn/2", "表彰大会", near, 60))
        .unwrap();
    assert_eq!(b.cluster, a.cluster);
    // the same distance under another title is another story
    let c = s
        .upsert(&with_fingerprint(
            "https://c.cn/3",
            "颁奖典礼",
            base ^ 0x0000_001f_0000_0000,
            60,
        ))
        .unwrap();
    assert_eq!(c.cluster, c.id);
    // a long shared title finds a story sharing no block, within the title distance
    let far = base ^ 0x0001_0001_0001_0001;
    let long = "省科协举办先进事迹报告会";
    let d = s
        .upsert(&with_fingerprint("https://d.cn/4", long, base ^ 0xff, 10))
        .unwrap();
    let e = s
        .upsert(&with_fingerprint("https://e.cn/5", long, far ^ 0xff, 10))
        .unwrap();
    assert_eq!(e.cluster, d.cluster);
    assert_eq!(
        s.cluster_sizes(&[a.cluster, d.cluster]).unwrap(),
        vec![(a.cluster, 2), (d.cluster, 2)]
    );
}

#[test]
fn story_lookups_are_answered_by_covering_indexes() {
    let s = Store::open_in_memory().unwrap();
    for (index, column) in [
        ("articles_b0", "b0"),
        ("articles_b3", "b3"),
        ("articles_title_key", "title_key"),
    ] {
        let plan: String = s
            .conn
            .query_row(
                &format!("EXPLAIN QUERY PLAN SELECT id, simhash, features, body_hash, cluster_id FROM articles INDEXED BY {index} WHERE {column} = ?1"),
                [1],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("COVERING INDEX"), "{index}: {plan}");
    }
}

#[test]
fn an_older_store_is_told_apart_and_upgraded_at_open() {
    let dir = std::env::temp_dir().join(format!("yuqing-store-mig-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(Store::pending_migrations(&dir).unwrap(), 0, "no store yet");
    let mut s = Store::open(&dir).unwrap();
    let a = s
        .upsert(&article(
            "https://a.example.cn/1.html",
            "省科协举办先进事迹报告会",
            BODY,
        ))
        .unwrap();
    drop(s);
    assert_eq!(Store::pending_migrations(&dir).unwrap(), 0);
    // as a store written before the story indexes became covering and before models and
    // reviews and alerts were recorded: schema 4's and 5's additions taken out again
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    conn.execute_batch(
        "DROP TABLE alert_deliveries; DROP TABLE alerts; DROP INDEX articles_review; DROP INDEX labels_article; \
         ALTER TABLE articles DROP COLUMN review; ALTER TABLE articles DROP COLUMN model;",
    )
    .unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
    drop(conn);
    assert_eq!(Store::pending_migrations(&dir).unwrap(), 3);
    let mut s = Store::open(&dir).unwrap();
    assert_eq!(Store::pending_migrations(&dir).unwrap(), 0);
    assert_eq!(s.integrity_check().unwrap(), "ok");
    // the rebuilt indexes still find the story
    let b = s
        .upsert(&article(
            "https://b.example.com/2.html",
            "省科协举办先进事迹报告会",
            &format!("{BODY}\n（来源：示例日报）"),
        ))
        .unwrap();
    assert_eq!(b.cluster, a.cluster);
    // the upgraded rows read back; the older article has no model on record
    assert_eq!(s.get(a.id).unwrap().unwrap().model, "");
    assert_eq!(s.get(b.id).unwrap().unwrap().model, "typical-test");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn labels_outrank_re_analysis() {
    let mut s = Store::open_in_memory().unwrap();
    let a = article(
        "https://a.example.cn/1.html",
        "省科协举办先进事迹报告会",
        BODY,
    );
    let id = s.upsert(&a).unwrap().id;
    // the analyst adds a tag the classifier did not give and removes one it did
    s.apply_label(id, "typical_person", true, "张三").unwrap();
    s.apply_label(id, "typical_event", false, "张三").unwrap();
    // mark everything indexed, as the index commit does
    s.connection()
        .execute("UPDATE articles SET indexed = 1", [])
        .unwrap();
    // a recheck of the unchanged page analyses it again: the classifier says event, not person
    let again = s.upsert(&a).unwrap();
    assert_eq!(again.outcome, Outcome::Unchanged);
    let got = s.get(id).unwrap().unwrap();
    let tags: Vec<&str> = got.tags.iter().map(|t| t.tag.as_str()).collect();
    assert_eq!(tags, ["typical_person"], "{:?}", got.tags);
    assert_eq!(got.tags[0].evidence["label"], "张三");
    assert!(
        s.unindexed(10).unwrap().is_empty(),
        "tags as before: nothing to re-index"
    );
    // an edited text keeps the rulings too
    let mut edited = a.clone();
    edited.body = format!("{BODY}\n（本文有更新）");
    edited.fingerprint = analyzer().fingerprint(&edited.title, &edited.body);
    assert_eq!(s.upsert(&edited).unwrap().outcome, Outcome::Updated);
    let tags: Vec<String> = s
        .get(id)
        .unwrap()
        .unwrap()
        .tags
        .into_iter()
        .map(|t| t.tag)
        .collect();
    assert_eq!(tags, ["typical_person"]);
    // a later ruling wins over an earlier one
    s.apply_label(id, "typical_person", false, "李四").unwrap();
    s.connection()
        .execute("UPDATE articles SET indexed = 1", [])
        .unwrap();
    let mut topics_changed = edited.clone();
    topics_changed.topics = vec!["popsci".into()];
    s.upsert(&topics_changed).unwrap();
    let got = s.get(id).unwrap().unwrap();
    assert!(got.tags.is_empty(), "{:?}", got.tags);
    assert_eq!(
        s.unindexed(10).unwrap().len(),
        1,
        "a changed analysis marks the article for the index"
    );
}
