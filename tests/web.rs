//! The web page and JSON API, in-process on 127.0.0.1:0 over articles the team writes: search
//! with each filter, facets, pagination, the article page, a label correction (and the
//! cross-site ones refused), reports, the API shapes, the token off loopback, and scraped
//! `<script>` / `onerror=` payloads rendered inert.

mod support;

use support::*;

#[test]
fn search_filters_facets_pages_and_exports() {
    let dir = temp("web-search");
    build(&dir);
    let srv = serve(state(&dir, None));
    let a = srv.addr;

    let r = get(a, &format!("/api/search?q={}", enc("科普")));
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    // the person story is carried twice: one hit, one repost
    let hits = v["hits"].as_array().unwrap();
    let person = hits
        .iter()
        .find(|h| h["title"] == "扎根山区三十年的乡村科技辅导员王建华")
        .unwrap();
    assert_eq!(person["reposts"], 1);
    assert!(person["snippet"].as_str().unwrap().contains("<b>科普</b>"));
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
        assert!(person.get(key).is_some(), "hit has {key}");
    }
    let facets = &v["facets"];
    assert!(
        facets["unit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f[0] == "a")
    );
    let total = v["total"].as_u64().unwrap();
    assert!(total >= 4, "{v}");

    let count = |q: &str| {
        get(a, &format!("/api/search?{q}")).json()["total"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count(&format!("q={}&unit=b", enc("科普"))), 2);
    assert_eq!(
        count(&format!("q={}&kind={}", enc("科普"), enc("地方科协"))),
        1
    );
    assert_eq!(count(&format!("q={}&source=a-web", enc("科普"))), 1);
    assert_eq!(count(&format!("q=&tag={}", enc("典型案例"))), 1);
    assert_eq!(count("q=&topic=popsci"), 4);
    assert_eq!(
        count(&format!("q={}&from=2026-11-25&to=2026-11-27", enc("科普"))),
        1
    );
    assert_eq!(count(&format!("q={}&all=1", enc("王建华"))), 2);
    let newest = get(a, &format!("/api/search?q={}&sort=newest", enc("科普"))).json();
    let dates: Vec<&str> = newest["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["published_at"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(dates, sorted);

    // the page: the query in the box, facets with counts, highlighted snippets
    let page = get(a, &format!("/?q={}", enc("科普"))).text();
    assert!(page.contains("value=\"科普\""));
    assert!(page.contains("<b>科普</b>"));
    assert!(page.contains("甲科协") && page.contains("转载 1"));
    assert!(page.contains("/export.csv?q=%E7%A7%91%E6%99%AE"));
    // pagination beyond the results: an empty page, not an error; a bad page number: 400
    assert_eq!(get(a, &format!("/?q={}&page=3", enc("科普"))).status, 200);
    assert_eq!(get(a, "/?page=zero").status, 400);

    let csv = get(a, &format!("/export.csv?q={}", enc("科普")));
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-disposition").contains("attachment"));
    let text = csv.text();
    assert!(text.starts_with('\u{feff}'));
    // one row for the story: either of its two equally relevant articles may stand for it
    let rows = text
        .matches("扎根山区三十年的乡村科技辅导员王建华,")
        .count();
    assert_eq!(rows, 1, "{text}");
    assert!(
        text.contains("扎根山区三十年的乡村科技辅导员王建华,甲科协")
            || text.contains("扎根山区三十年的乡村科技辅导员王建华,乙学会"),
        "{text}"
    );
    let json = get(a, &format!("/export.json?q={}", enc("科普"))).json();
    assert_eq!(json["total"].as_u64(), Some(total));
}

#[test]
fn bad_parameters_are_400_with_the_reason() {
    let dir = temp("web-bad");
    build(&dir);
    let srv = serve(state(&dir, None));
    let a = srv.addr;
    let r = get(a, &format!("/api/search?q={}", enc("(科普")));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("never closed"));
    assert_eq!(get(a, "/api/search?from=yesterday").status, 400);
    assert_eq!(get(a, "/api/search?tag=hero").status, 400);
    assert_eq!(get(a, "/api/search?sort=oldest").status, 400);
    let page = get(a, &format!("/?q={}", enc("\"未闭合")));
    assert_eq!(page.status, 400);
    assert!(
        page.text().contains("never closed") || page.text().contains("quote"),
        "{}",
        page.text()
    );
    assert_eq!(get(a, "/api/articles/abc").status, 400);
    let missing = get(a, "/api/articles/999");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["status"], 404);
    assert_eq!(get(a, "/no/such/page").status, 404);
    assert_eq!(get(a, "/reports/weekly/..%2F..%2Fetc%2Fpasswd").status, 404);
    assert_eq!(get(a, "/reports/weekly/2026-W48.exe").status, 404);
    // bodies are bounded
    let big = vec![b'a'; 100_000];
    let r = request(
        a,
        "POST",
        "/api/articles/1/labels",
        &[("Content-Type", "application/json")],
        &big,
    );
    assert_eq!(r.status, 413);
}

#[test]
fn article_page_labels_reports_and_health() {
    let dir = temp("web-article");
    build(&dir);
    let srv = serve(state(&dir, None));
    let a = srv.addr;

    let v = get(a, "/api/articles/1").json();
    assert_eq!(v["article"]["id"], 1);
    assert_eq!(v["cluster"]["members"].as_array().unwrap().len(), 2);
    let page = get(a, "/articles/1").text();
    assert!(page.contains("扎根山区三十年的乡村科技辅导员王建华"));
    assert!(
        page.contains("<mark>"),
        "the evidence is marked in the text"
    );
    assert!(
        page.contains("首发") && page.contains("乙学会"),
        "the story's members"
    );
    assert!(page.contains("<iframe sandbox src=\"/articles/1/raw\""));
    let raw = get(a, "/articles/1/raw");
    assert_eq!(raw.status, 200);
    assert!(raw.header("content-security-policy").starts_with("sandbox"));
    assert!(
        raw.header("content-security-policy")
            .contains("default-src 'none'")
    );

    // a correction through the page's form
    let form = "tag=typical_event&applies=1&analyst=%E5%BC%A0%E4%B8%89&form_token=test-form-token";
    let r = request(
        a,
        "POST",
        "/articles/1/labels",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), "/articles/1#tags");
    let v = get(a, "/api/articles/1").json();
    assert_eq!(v["labels"][0]["analyst"], "张三");
    assert!(
        v["article"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["tag"] == "typical_event")
    );
    // without the form token, or from another site: refused
    let bad = "tag=typical_event&applies=0&form_token=guess";
    let r = request(
        a,
        "POST",
        "/articles/1/labels",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        bad.as_bytes(),
    );
    assert_eq!(r.status, 403);
    let r = request(
        a,
        "POST",
        "/articles/1/labels",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "http://evil.example"),
        ],
        form.as_bytes(),
    );
    assert_eq!(r.status, 403);
    // the API: JSON only, with the page's token (from GET /api/session) even on loopback
    let r = request(
        a,
        "POST",
        "/api/articles/1/labels",
        &[("Content-Type", "application/json")],
        br#"{"tag":"typical_person","applies":false,"analyst":"api"}"#,
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("/api/session"));
    let session = get(a, "/api/session").json();
    let form_token = session["form_token"].as_str().unwrap().to_string();
    assert_eq!(form_token, "test-form-token");
    let r = request(
        a,
        "POST",
        "/api/articles/1/labels",
        &[
            ("Content-Type", "application/json"),
            ("X-Yuqing-Form-Token", &form_token),
        ],
        br#"{"tag":"typical_person","applies":false,"analyst":"api"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["applies"], false);
    let r = request(
        a,
        "POST",
        "/api/articles/1/labels",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"tag=typical_person&applies=1",
    );
    assert_eq!(r.status, 403);
    let r = request(
        a,
        "POST",
        "/api/articles/1/labels",
        &[
            ("Content-Type", "application/json"),
            ("X-Yuqing-Form-Token", &form_token),
        ],
        br#"{"tag":"hero","applies":true}"#,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        get(a, "/api/articles/1").json()["labels"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let reports = get(a, "/reports").text();
    assert!(
        reports.contains("2026-W48") && reports.contains("/reports/weekly/2026-W48.md?download=1")
    );
    let md = get(a, "/reports/weekly/2026-W48.md?download=1");
    assert_eq!(md.status, 200);
    assert!(md.header("content-disposition").contains("2026-W48.md"));
    assert!(md.text().contains("舆情监测周报"));
    let sources = get(a, "/sources").text();
    assert!(sources.contains("a-web") && sources.contains("甲科协"));
    // the alerts page: the rule in words, an alert with its failed delivery, scraped text inert
    let alerts = get(a, "/alerts").text();
    assert!(
        alerts.contains("尚无") || alerts.contains("近7天没有预警"),
        "{alerts}"
    );
    {
        let mut store = yuqing_store::Store::open(&dir.join("data")).unwrap();
        let payload = serde_json::json!({"summary": "近24小时 9 篇，前14天同时段平均 2.0 篇", "items": [{"article_id": 3}]});
        let id = store
            .record_alert(
                "popsci-spike",
                "window:1",
                "spike",
                "【声量突增】<b>科普</b>",
                &payload,
                chrono::Utc::now(),
            )
            .unwrap()
            .unwrap();
        store
            .record_delivery_attempt(
                id,
                "office-dingtalk",
                yuqing_store::DeliveryStatus::Failed,
                Some("errcode 310000: sign not match"),
                chrono::Utc::now(),
            )
            .unwrap();
    }
    let alerts = get(a, "/alerts").text();
    assert!(alerts.contains("专题「科学普及」近24小时篇数"), "{alerts}");
    assert!(alerts.contains("22:00-07:00"));
    assert!(
        alerts.contains("&lt;b&gt;科普"),
        "scraped markup is escaped: {alerts}"
    );
    assert!(alerts.contains("<a href=\"/articles/3\">"));
    assert!(alerts.contains("office-dingtalk 发送失败"));
    assert!(alerts.contains("errcode 310000"));
    assert!(alerts.contains("1 条有发送失败"));
    let h = get(a, "/healthz").json();
    assert_eq!(
        (h["status"].as_str(), h["articles"].as_u64()),
        (Some("ok"), Some(5))
    );
}

#[test]
fn scraped_scripts_render_inert() {
    let dir = temp("web-xss");
    build(&dir);
    let srv = serve(state(&dir, None));
    let a = srv.addr;
    let hit = get(a, &format!("/api/search?q={}", enc("科普工作会议"))).json();
    let id = hit["hits"][0]["id"].as_u64().unwrap();
    for page in [
        get(a, &format!("/?q={}", enc("科普工作会议"))).text(),
        get(a, &format!("/articles/{id}")).text(),
    ] {
        assert!(
            !page.contains("<script>alert"),
            "a scraped script got through"
        );
        assert!(!page.contains("<img src=x"), "a scraped tag got through");
        assert!(
            page.contains("&lt;script&gt;") || page.contains("&lt;img"),
            "the payload is shown as text"
        );
    }
    // the page's own policy forbids scripts altogether
    let r = get(a, &format!("/articles/{id}"));
    assert!(
        r.header("content-security-policy")
            .contains("script-src 'none'")
    );
    assert_eq!(r.header("x-content-type-options"), "nosniff");
}

#[test]
fn off_loopback_every_request_needs_the_token() {
    let dir = temp("web-token");
    build(&dir);
    let srv = serve(state(&dir, Some("s3cret")));
    let a = srv.addr;
    assert_eq!(get(a, "/").status, 401);
    let r = get(a, "/api/search?q=x");
    assert_eq!(r.status, 401);
    assert!(r.json()["error"].as_str().unwrap().contains("token"));
    assert_eq!(
        request(
            a,
            "GET",
            "/healthz",
            &[("Authorization", "Bearer wrong")],
            b""
        )
        .status,
        401
    );
    assert_eq!(
        request(
            a,
            "GET",
            "/healthz",
            &[("Authorization", "Bearer s3cret")],
            b""
        )
        .status,
        200
    );
    let r = get(a, "/?token=s3cret");
    assert_eq!(r.status, 200);
    assert!(
        r.header("set-cookie").contains("yuqing_token=s3cret")
            && r.header("set-cookie").contains("HttpOnly")
    );
    assert_eq!(
        request(
            a,
            "GET",
            "/sources",
            &[("Cookie", "yuqing_token=s3cret")],
            b""
        )
        .status,
        200
    );
    assert!(!yuqing_web::is_loopback(&"0.0.0.0:8080".parse().unwrap()));
    assert!(yuqing_web::is_loopback(&"127.0.0.1:8080".parse().unwrap()));
}

#[test]
fn the_review_queue_confirms_and_rejects_near_threshold_scores() {
    let dir = temp("web-review");
    build(&dir);
    // two articles whose scores sit near a threshold: set by hand so that the queue's content
    // does not depend on the shipped model's weights
    {
        let store = yuqing_store::Store::open(&dir.join("data")).unwrap();
        let c = store.connection();
        c.execute("UPDATE articles SET review = NULL", ()).unwrap();
        c.execute(
            r#"UPDATE articles SET review = '{"tag":"typical_case","score":0.61,"threshold":0.7,"evidence":{"cues":["通报"],"people":[],"orgs":["省纪委监委"],"places":[],"sentence":"省纪委监委公开通报三起典型问题。"}}' WHERE id = 3"#,
            (),
        )
        .unwrap();
        c.execute(
            r#"UPDATE articles SET review = '{"tag":"typical_event","score":0.66,"threshold":0.6,"evidence":{"cues":["大赛"],"sentence":"决赛在省科技馆举行。"}}' WHERE id = 4"#,
            (),
        )
        .unwrap();
    }
    let srv = serve(state(&dir, None));
    let a = srv.addr;

    let page = get(a, "/review");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("待复核"), "{html}");
    assert!(
        html.contains("id=\"a3\"") && html.contains("id=\"a4\""),
        "{html}"
    );
    assert!(html.contains("得分 0.61，阈值 0.70"), "{html}");
    assert!(
        html.contains("省纪委监委公开通报三起典型问题。"),
        "the evidence sentence"
    );
    assert!(html.contains("机构：省纪委监委"), "{html}");
    assert!(html.contains("确认是典型案例") && html.contains("不是典型事件"));
    // newest first
    let (p3, p4) = (
        html.find("id=\"a3\"").unwrap(),
        html.find("id=\"a4\"").unwrap(),
    );
    let date = |id: i64| {
        get(a, &format!("/api/articles/{id}")).json()["article"]["published_at"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(p4 < p3, date(4) > date(3), "newest first");

    // one click confirms: recorded as a label, back to the queue, and the item leaves it
    let form = "tag=typical_case&applies=1&form_token=test-form-token&back=review";
    let r = request(
        a,
        "POST",
        "/articles/3/labels",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), "/review");
    let v = get(a, "/api/articles/3").json();
    assert_eq!(v["labels"][0]["tag"], "typical_case");
    assert_eq!(v["labels"][0]["applies"], true);
    assert_eq!(v["labels"][0]["analyst"], "web");
    let html = get(a, "/review").text();
    assert!(
        !html.contains("id=\"a3\"") && html.contains("id=\"a4\""),
        "{html}"
    );

    // rejecting removes the tag if the model had given it
    let form = "tag=typical_event&applies=0&form_token=test-form-token&back=review";
    let r = request(
        a,
        "POST",
        "/articles/4/labels",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(r.status, 303);
    let v = get(a, "/api/articles/4").json();
    assert_eq!(v["labels"][0]["applies"], false);
    assert!(
        !v["article"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["tag"] == "typical_event")
    );
    assert!(get(a, "/review").text().contains("没有待复核的文章"));
    // a forged confirm is refused like any correction
    let r = request(
        a,
        "POST",
        "/articles/4/labels",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"tag=typical_event&applies=1&form_token=guess&back=review",
    );
    assert_eq!(r.status, 403);

    // the article page names the model that tagged it
    let model: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("dictionaries/typical.model.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let id = model["id"].as_str().unwrap();
    assert!(id.starts_with("typical-"));
    let page = get(a, "/articles/2").text();
    assert!(
        page.contains(&format!("标注模型：<code>{id}</code>")),
        "{page}"
    );
    assert_eq!(get(a, "/api/articles/2").json()["article"]["model"], id);
}

#[test]
fn a_rebinding_host_is_refused_before_any_route() {
    let dir = temp("web-hosts");
    build(&dir);
    let srv = serve(state(&dir, None));
    let a = srv.addr;
    let port = a.port();
    // a page on evil.test that resolves to 127.0.0.1: its requests carry its own name
    let evil = format!("evil.test:{port}");
    let origin = format!("http://evil.test:{port}");
    for path in ["/api/articles/1", "/", "/api/session", "/review"] {
        let r = request(a, "GET", path, &[("Host", &evil)], b"");
        assert_eq!(r.status, 421, "{path}: {}", r.text());
        assert!(r.text().contains("[web].hosts"), "{}", r.text());
    }
    let r = request(a, "GET", "/api/articles/1", &[("Host", &evil)], b"");
    assert_eq!(r.json()["status"], 421, "API errors are JSON");
    let r = request(
        a,
        "POST",
        "/api/articles/1/labels",
        &[
            ("Host", &evil),
            ("Origin", &origin),
            ("Content-Type", "application/json"),
            ("X-Yuqing-Form-Token", "test-form-token"),
        ],
        br#"{"tag":"typical_person","applies":true}"#,
    );
    assert_eq!(r.status, 421);
    assert_eq!(
        get(a, "/api/articles/1").json()["labels"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "nothing was recorded"
    );
    // loopback names answer
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "[::1]".to_string(),
    ] {
        let r = request(a, "GET", "/healthz", &[("Host", &host)], b"");
        assert_eq!(r.status, 200, "{host}");
    }
    drop(srv);
    // a name the configuration lists answers too
    let mut st = state(&dir, None);
    st.hosts = vec!["yuqing.example.org".into()];
    let srv = serve(st);
    let r = request(
        srv.addr,
        "GET",
        "/healthz",
        &[("Host", "Yuqing.Example.org:8080")],
        b"",
    );
    assert_eq!(r.status, 200);
}

/// Another process commits to the index while the server runs: searches see the new article
/// within two seconds, without a restart.
#[test]
fn the_server_follows_commits_made_by_another_process() {
    let dir = temp("web-follow");
    build(&dir);
    let srv = serve(state(&dir, None));
    let a = srv.addr;
    let count = || {
        get(a, &format!("/api/search?q={}&all=1", enc("量子通信"))).json()["total"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count(), 0);
    std::fs::write(dir.join("sources.toml"), config_text(&dir)).unwrap();
    let file = dir.join("new.jsonl");
    std::fs::write(
        &file,
        serde_json::json!({
            "url": "https://a.example.org/news/99.html",
            "title": "省科协举办量子通信科普讲座",
            "text": "12月1日，省科协在省科技馆举办量子通信科普讲座，三百名市民参加。",
            "published_at": "2026-12-01 10:00",
            "source": "a-web",
            "unit": "a",
        })
        .to_string()
            + "\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .arg("--config")
        .arg(dir.join("sources.toml"))
        .args(["import", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let start = std::time::Instant::now();
    while count() == 0 && start.elapsed() < std::time::Duration::from_secs(2) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        count(),
        1,
        "not visible {:?} after the import",
        start.elapsed()
    );
    let health = get(a, "/healthz").json();
    assert_eq!(health["articles"], health["indexed"], "{health}");

    // a rebuild swaps a new index in beside the running server, which follows it
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .arg("--config")
        .arg(dir.join("sources.toml"))
        .arg("reindex")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(count(), 1, "the article is found after the swap");
    let hits = get(a, &format!("/api/search?q={}&all=1", enc("科普"))).json();
    assert!(hits["total"].as_u64().unwrap() >= 2, "{hits}");
    // and what is committed to the new index afterwards is found too
    std::fs::write(
        &file,
        serde_json::json!({
            "url": "https://a.example.org/news/100.html",
            "title": "市科协开展天文观测科普活动",
            "text": "12月2日晚，市科协组织天文观测活动，两百名中小学生参加。",
            "published_at": "2026-12-02 20:00",
            "source": "a-web",
            "unit": "a",
        })
        .to_string()
            + "\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .arg("--config")
        .arg(dir.join("sources.toml"))
        .args(["import", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let seen = || {
        get(a, &format!("/api/search?q={}&all=1", enc("天文观测"))).json()["total"]
            .as_u64()
            .unwrap()
    };
    let start = std::time::Instant::now();
    while seen() == 0 && start.elapsed() < std::time::Duration::from_secs(2) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(seen(), 1, "the server follows the swapped-in index");
    let health = get(a, "/healthz").json();
    assert_eq!(health["articles"], health["indexed"], "{health}");
}

/// Errors axum makes itself are JSON under /api/ like every other API error.
#[test]
fn every_api_error_is_json() {
    let dir = temp("web-api-errors");
    build(&dir);
    let srv = serve(state(&dir, None));
    let a = srv.addr;
    let check = |r: Resp, status: u16| {
        assert_eq!(r.status, status, "{}", r.text());
        assert!(
            r.header("content-type").starts_with("application/json"),
            "{status}: {}",
            r.header("content-type")
        );
        let v = r.json();
        assert_eq!(v["status"], status);
        assert!(!v["error"].as_str().unwrap().is_empty());
        v
    };
    // a method the route does not take, with an empty body
    let v = check(request(a, "DELETE", "/api/search?q=x", &[], b""), 405);
    assert!(v["error"].as_str().unwrap().contains("not allowed"));
    // a body over the limit
    let big = vec![b'a'; 20 * 1024];
    let v = check(
        request(
            a,
            "POST",
            "/api/articles/1/labels",
            &[
                ("Content-Type", "application/json"),
                ("X-Yuqing-Form-Token", "test-form-token"),
            ],
            &big,
        ),
        413,
    );
    assert!(v["error"].as_str().unwrap().contains("16 KB"));
    // a path that is not UTF-8
    check(request(a, "GET", "/api/articles/%FF%FE", &[], b""), 400);
    // the pages keep their HTML errors
    let r = request(a, "DELETE", "/", &[], b"");
    assert_eq!(r.status, 405);
    assert!(!r.header("content-type").starts_with("application/json"));
}
