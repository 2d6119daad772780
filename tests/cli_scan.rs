//! `yuqing scan` and `yuqing run` against the sample web on 127.0.0.1: every article once, a
//! second scan that costs only conditional requests, an edit and a deletion found by the
//! re-check, robots.txt and the per-host delay kept, Retry-After honoured, each fault mode in
//! its named status, and the daemon stopping cleanly on SIGTERM.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::hook::Hook;
use yuqing_sampleweb::{DEMO_ARTICLES, Hit, SampleWeb};

mod support;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("yuqing-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The sample web on a runtime of its own, and a configuration for it in `dir`.
struct Web {
    web: SampleWeb,
    config: PathBuf,
    _rt: tokio::runtime::Runtime,
}

fn start(dir: &Path, edit: impl Fn(String) -> String) -> Web {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let web = rt.block_on(SampleWeb::start_demo()).unwrap();
    let dictionaries = root().join("dictionaries");
    let text = web.demo_config("data", "reports", &dictionaries.display().to_string());
    let config = dir.join("sources.toml");
    std::fs::write(&config, edit(text)).unwrap();
    Web {
        web,
        config,
        _rt: rt,
    }
}

fn yuqing(config: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run yuqing");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scan_json(config: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "--json"];
    all.extend_from_slice(args);
    let (code, out, err) = yuqing(config, &all);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

fn source<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no source {id} in {report}"))
}

fn status(report: &Value, id: &str, status: &str) -> u64 {
    source(report, id)["statuses"][status].as_u64().unwrap_or(0)
}

fn store(dir: &Path) -> yuqing_store::Store {
    yuqing_store::Store::open(&dir.join("data")).unwrap()
}

#[test]
fn scans_collect_once_then_cost_only_conditional_requests_and_track_edits_and_deletions() {
    let dir = temp("scan");
    let web = start(&dir, |t| t);

    // first scan: everything once; the faults site fails in each of its ways
    let (code, first) = scan_json(&web.config, &["--all"]);
    assert_eq!(code, 1, "a failed source makes the exit code 1: {first}");
    assert_eq!(first["totals"]["new"], DEMO_ARTICLES as u64, "{first:#}");
    for id in [
        "demo-news",
        "demo-province-news",
        "demo-wechat",
        "demo-daily-rss",
    ] {
        assert_eq!(source(&first, id)["failed"], 0, "{id}: {first:#}");
    }
    for s in ["http-5xx", "timeout", "redirect", "too-large", "http-4xx"] {
        assert_eq!(
            status(&first, "demo-faults", s),
            1,
            "{s}: {:#}",
            source(&first, "demo-faults")
        );
    }
    let s = store(&dir);
    assert_eq!(s.count().unwrap() as usize, DEMO_ARTICLES);
    drop(s);
    let hits = web.web.hits();
    let mut per_path: HashMap<(String, String), usize> = HashMap::new();
    for h in &hits {
        *per_path
            .entry((h.site.clone(), h.path.clone()))
            .or_default() += 1;
    }
    for ((site, path), n) in &per_path {
        let faulty = site == "faults"
            && ["/f/busy.html", "/f/broken.html", "/f/slow.html"].contains(&path.as_str());
        if !faulty {
            assert_eq!(*n, 1, "{site}{path} fetched {n} times");
        }
    }
    // robots.txt: the disallowed path was never requested
    assert!(
        hits.iter().all(|h| !h.path.starts_with("/internal/")),
        "a disallowed path was fetched"
    );
    // the per-host delay (100 ms) between two requests to one host
    // (server-side arrival times: a request that reached the server late narrows the next gap)
    delays_kept(&hits, Duration::from_millis(70));
    // Retry-After: 1 was honoured
    let busy: Vec<&Hit> = hits.iter().filter(|h| h.path == "/f/busy.html").collect();
    assert_eq!(busy.len(), 2);
    assert!(busy[1].at - busy[0].at >= Duration::from_millis(990));
    // the GBK column was decoded
    let s = store(&dir);
    let gbk = s
        .page(0, 100)
        .unwrap()
        .into_iter()
        .find(|a| a.source == "demo-province-news")
        .unwrap();
    assert!(
        gbk.body.contains("科技志愿者") || gbk.body.contains("纪委"),
        "{}",
        gbk.body
    );
    drop(s);

    // second scan, no re-check: only list pages and feeds, answered 304; nothing added
    let before = web.web.hits().len();
    let (_, second) = scan_json(&web.config, &["--all", "--no-recheck"]);
    assert_eq!(second["totals"]["new"], 0, "{second:#}");
    // (robots.txt is read again by each scan process)
    let clean: Vec<Hit> = web.web.hits()[before..]
        .iter()
        .filter(|h| h.site != "faults" && h.path != "/robots.txt")
        .cloned()
        .collect();
    let lists = [
        "/news/index.html",
        "/gbk/index.html",
        "/feed/demo-cast.xml",
        "/rss/keji.xml",
    ];
    for h in &clean {
        assert!(
            lists.contains(&h.path.as_str()),
            "second scan fetched {}{}",
            h.site,
            h.path
        );
        assert_eq!(h.status, 304, "{}{}", h.site, h.path);
        assert!(h.conditional);
    }
    assert_eq!(clean.len(), lists.len());
    assert_eq!(status(&second, "demo-news", "not-modified"), 1);

    // third scan with re-checks: the edited notice becomes a second version, the deleted
    // WeChat article is marked deleted, nothing is lost
    let (code, third) = scan_json(&web.config, &["--all", "--recheck"]);
    assert_eq!(code, 1);
    assert_eq!(source(&third, "demo-news")["updated"], 1, "{third:#}");
    assert_eq!(source(&third, "demo-wechat")["deleted"], 1, "{third:#}");
    let s = store(&dir);
    assert_eq!(s.count().unwrap() as usize, DEMO_ARTICLES);
    let all = s.page(0, 100).unwrap();
    let notice = all
        .iter()
        .find(|a| a.title.contains("科普讲解大赛"))
        .unwrap();
    assert_eq!(notice.version, 2);
    assert!(notice.body.contains("12月17日"));
    assert_eq!(
        s.versions(notice.id).unwrap().len(),
        1,
        "the first version is kept"
    );
    let deleted = all
        .iter()
        .find(|a| a.title == "科普讲解员培训班开班")
        .unwrap();
    assert_eq!(deleted.status, "deleted");
    assert!(deleted.deleted_at.is_some());
    assert!(s.integrity_check().unwrap() == "ok");
    // health is recorded with the named statuses
    let health = s.health().unwrap();
    let faults = health.iter().find(|h| h.source == "demo-faults").unwrap();
    assert_eq!(faults.consecutive_failures, 3);
    assert!(faults.counts.contains_key("too-large"));
    let news = health.iter().find(|h| h.source == "demo-news").unwrap();
    assert_eq!(news.consecutive_failures, 0);
    assert!(news.last_success.is_some());
    drop(s);

    // the table for people, and search over what was collected
    let (code, out, _) = yuqing(
        &web.config,
        &["scan", "--source", "demo-news", "--no-recheck"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("来源") && out.contains("demo-news") && out.contains("not-modified"),
        "{out}"
    );
    let (code, out, _) = yuqing(&web.config, &["search", "勇救", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["total"], 1, "{v}");
    let (code, _, err) = yuqing(&web.config, &["scan", "--source", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("no source \"nope\""), "{err}");
}

/// Consecutive requests to one site started at least `min` apart.
fn delays_kept(hits: &[Hit], min: Duration) {
    let mut by_site: HashMap<&str, Vec<&Hit>> = HashMap::new();
    for h in hits {
        by_site.entry(&h.site).or_default().push(h);
    }
    for (site, mut hs) in by_site {
        hs.sort_by_key(|h| h.at);
        for w in hs.windows(2) {
            let gap = w[1].at - w[0].at;
            assert!(
                gap >= min,
                "{site}: {} then {} only {gap:?} apart",
                w[0].path,
                w[1].path
            );
        }
    }
}

#[test]
fn the_daemon_scans_on_schedule_and_stops_cleanly_on_sigterm() {
    let dir = temp("run");
    // every second, and without the faults site
    let web = start(&dir, |t| {
        let a = t.find("[[source]]\nid = \"demo-faults\"").unwrap();
        let b = t[a..].find("[[topic]]").unwrap() + a;
        let t = format!("{}{}", &t[..a], &t[b..]);
        // the demo's articles are days old: a one-day silence rule fires for every unit
        t.replace("scan = \"0 0 6 * * *\"", "scan = \"* * * * * *\"")
            .replace(
                "daily_brief = \"0 30 7 * * *\"",
                "daily_brief = \"*/2 * * * * *\"",
            )
            + "\n[[channel]]\nid = \"hook\"\nkind = \"webhook\"\nurl_env = \"YQ_HOOK_URL\"\n\n[[alert]]\nid = \"quiet-units\"\nkind = \"silent\"\nsilent_days = 1\nchannels = [\"hook\"]\n"
    });
    let hook = Hook::start(|_, body| (body["title"].is_string(), 200, String::new()));
    let daemon = || {
        Command::new(env!("CARGO_BIN_EXE_yuqing"))
            .arg("--config")
            .arg(&web.config)
            .arg("run")
            .env("YUQING_LOG", "info")
            .env("YQ_HOOK_URL", format!("{}/alerts", hook.url))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let child = daemon();
    // wait until the first scan has stored everything, then stop it
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let stored = yuqing_store::Store::open(&dir.join("data"))
            .ok()
            .and_then(|s| s.count().ok())
            .unwrap_or(0);
        if stored as usize >= DEMO_ARTICLES - 1 || std::time::Instant::now() > deadline {
            break;
        }
    }
    // the command line beside the running daemon: an import, a label and a rebuild wait for
    // the writer between its scans and succeed
    let file = dir.join("one.jsonl");
    std::fs::write(
        &file,
        serde_json::json!({
            "url": "http://example.org/imported/1.html",
            "title": "示范科协举办院士科普报告会",
            "text": "示范科协近日举办院士科普报告会，五百名师生聆听报告。",
            "published_at": "2026-11-30 09:00",
            "source": "demo-news",
            "unit": "demo-cast",
        })
        .to_string()
            + "\n",
    )
    .unwrap();
    for args in [
        vec!["import", file.to_str().unwrap()],
        vec!["label", "1", "--tag", "typical_event"],
        vec!["reindex"],
    ] {
        let (code, out, err) = yuqing(&web.config, &args);
        assert_eq!(code, 0, "{args:?} beside the daemon: {out}{err}");
        assert!(
            !err.contains("LockBusy") && !err.contains("busy"),
            "{args:?}: {err}"
        );
    }
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("SIGTERM received"), "{err}");
    assert!(err.contains("stopped cleanly"), "{err}");
    assert!(
        err.matches("scan finished").count() >= 2,
        "a per-second schedule scans again: {err}"
    );
    let s = store(&dir);
    assert_eq!(
        s.count().unwrap() as usize,
        DEMO_ARTICLES,
        "the collected ones and the import"
    );
    assert_eq!(s.labels().unwrap().len(), 1, "the label landed once");
    assert_eq!(s.integrity_check().unwrap(), "ok");
    // the alerts ran after the scans: each silent unit once, however many scans followed
    let fired = s
        .alerts_since(chrono::Utc::now() - chrono::Duration::hours(1), 100)
        .unwrap();
    assert!(!fired.is_empty(), "{err}");
    let sent: usize = hook
        .got()
        .iter()
        .map(|g| g.body["alerts"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(sent, fired.len(), "every alert went out once: {err}");
    drop(s);
    // a restarted daemon scans again and repeats nothing
    let child = daemon();
    std::thread::sleep(Duration::from_millis(4000));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("job=alerts"),
        "the alerts ran after the restart's scans: {err}"
    );
    assert_eq!(
        store(&dir)
            .alerts_since(chrono::Utc::now() - chrono::Duration::hours(1), 100)
            .unwrap()
            .len(),
        fired.len()
    );
    let again: usize = hook
        .got()
        .iter()
        .map(|g| g.body["alerts"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(again, sent, "nothing sent twice after a restart");
    // the index agrees with the store after the clean stop
    let (code, out, err) = yuqing(&web.config, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    let _ = root();
}

#[test]
fn a_scan_killed_mid_way_leaves_its_links_for_the_next() {
    // the reference: one scan of the news column, never killed
    let clean = temp("killed-ref");
    let web = start(&clean, |t| t);
    let (code, out, err) = yuqing(&web.config, &["scan", "--source", "demo-news"]);
    assert_eq!(code, 0, "{out}{err}");
    // the two sample webs listen on different ports: compare the paths
    let paths = |urls: std::collections::HashSet<String>| -> std::collections::BTreeSet<String> {
        urls.iter()
            .map(|u| url::Url::parse(u).unwrap().path().to_string())
            .collect()
    };
    let expected = paths(store(&clean).article_urls("demo-news").unwrap());
    assert!(expected.len() >= 5, "{expected:?}");

    // slowly, killed after the first, second and fourth article, then to the end
    let dir = temp("killed");
    let slow = start(&dir, |t| t.replace("delay_ms = 100", "delay_ms = 400"));
    for stop_at in [1, 2, 4] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yuqing"))
            .arg("--config")
            .arg(&slow.config)
            .args(["scan", "--source", "demo-news"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            std::thread::sleep(Duration::from_millis(50));
            let stored = yuqing_store::Store::open(&dir.join("data"))
                .ok()
                .and_then(|s| s.article_urls("demo-news").ok())
                .map_or(0, |u| u.len());
            if stored >= stop_at || std::time::Instant::now() > deadline {
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    let stored = store(&dir).article_urls("demo-news").unwrap();
    assert!(
        stored.len() < expected.len(),
        "the kills came too late to test anything: {} of {}",
        stored.len(),
        expected.len()
    );
    // the list page is unchanged now, yet the next scan collects every link still pending
    let (code, out, err) = yuqing(&slow.config, &["scan", "--source", "demo-news"]);
    assert_eq!(code, 0, "{out}{err}");
    let s = store(&dir);
    assert_eq!(paths(s.article_urls("demo-news").unwrap()), expected);
    assert_eq!(s.integrity_check().unwrap(), "ok");
    drop(s);
    let (code, out, err) = yuqing(&slow.config, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    drop(web);
}
