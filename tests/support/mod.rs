//! Shared by the web tests: a data folder of articles the team writes, an in-process server on
//! 127.0.0.1:0, and a minimal HTTP/1.1 client.

#![allow(dead_code)]

pub mod hook;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use yuqing_pipeline::{ImportItem, Ingest, Units};

pub fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("yuqing-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// (url, title, text, published_at, source, unit)
pub const ARTICLES: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "https://a.example.org/1.html",
        "扎根山区三十年的乡村科技辅导员王建华",
        "在云岭深处的一所乡村学校，王建华已经坚守了三十年。他自费购置器材，指导学生开展科普活动。他的先进事迹在当地广为传颂，成为广大科技工作者学习的榜样。",
        "2026-11-23 09:00",
        "a-web",
        "a",
    ),
    (
        "https://b.example.org/7.html",
        "扎根山区三十年的乡村科技辅导员王建华",
        "在云岭深处的一所乡村学校，王建华已经坚守了三十年。他自费购置器材，指导学生开展科普活动。他的先进事迹在当地广为传颂，成为广大科技工作者学习的榜样。",
        "2026-11-24 10:00",
        "b-web",
        "b",
    ),
    (
        "https://a.example.org/2.html",
        "省纪委监委通报三起违反中央八项规定精神典型问题",
        "近日，省纪委监委对三起违反中央八项规定精神典型问题进行公开通报。某市科技局原副局长刘某某违规接受宴请，受到党内严重警告处分。通报要求以案为鉴、以案促改。",
        "2026-11-25 11:00",
        "a-web",
        "a",
    ),
    (
        "https://b.example.org/8.html",
        "青少年科技创新大赛决赛落幕",
        "第三十届青少年科技创新大赛决赛近日在省科技馆举行，120个项目分获一、二、三等奖。颁奖仪式上，获得一等奖的学生代表分享了科普研究经历。",
        "2026-11-27 15:00",
        "b-web",
        "b",
    ),
    (
        "https://c.example.org/3.html",
        "<script>alert('标题')</script>市科协召开科普工作会议",
        "会议部署了冬季科普工作。<img src=x onerror=alert(1)>与会人员交流了经验。",
        "2026-11-28 09:00",
        "c-web",
        "c",
    ),
];

pub fn config_text(dir: &Path) -> String {
    format!(
        r#"[storage]
dir = "data"
reports_dir = "reports"

[dictionaries]
dir = {:?}

[[unit]]
id = "a"
name = "甲科协"
kind = "机关"

[[unit]]
id = "b"
name = "乙学会"
kind = "全国学会"

[[unit]]
id = "c"
name = "丙市科协"
kind = "地方科协"

[[source]]
id = "a-web"
unit = "a"
kind = "html"
url = "https://a.example.org/"

[[source]]
id = "b-web"
unit = "b"
kind = "html"
url = "https://b.example.org/"

[[source]]
id = "c-web"
unit = "c"
kind = "html"
url = "https://c.example.org/"

[[topic]]
id = "popsci"
name = "科学普及"
any = ["科普"]

[[channel]]
id = "office-dingtalk"
kind = "dingtalk"
url_env = "YUQING_TEST_DINGTALK_URL"

[[alert]]
id = "popsci-spike"
kind = "spike"
topic = "popsci"
channels = ["office-dingtalk"]
quiet_hours = "22:00-07:00"
"#,
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("dictionaries")
            .display()
            .to_string()
    )
    .replace("data\"", &format!("{}\"", dir.join("data").display()))
    .replace(
        "\"reports\"",
        &format!("{:?}", dir.join("reports").display().to_string()),
    )
}

/// Imports [`ARTICLES`] into `dir/data` (the first with its raw page) and writes a report file.
pub fn build(dir: &Path) {
    let data = dir.join("data");
    let mut store = yuqing_store::Store::open(&data).unwrap();
    let analyzer = yuqing_text::Analyzer::builtin();
    let index = yuqing_index::SearchIndex::open(&data.join("search"), analyzer.clone()).unwrap();
    let mut topics = Vec::new();
    let config = yuqing_config::Config::parse(&config_text(dir)).unwrap();
    topics.extend(config.topics.clone());
    let lexicons = yuqing_classify::Lexicons::builtin();
    let model_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("dictionaries/typical.model.json"),
    )
    .unwrap();
    let classifier = yuqing_classify::Classifier::new(
        analyzer,
        &lexicons,
        yuqing_classify::Model::from_json(&model_text).unwrap(),
        topics,
    )
    .unwrap();
    let units = Units::new(&config.units);
    let drafts: Vec<_> = ARTICLES
        .iter()
        .enumerate()
        .map(|(i, (url, title, text, at, source, unit))| {
            let mut d = ImportItem {
                url: url.to_string(),
                title: title.to_string(),
                text: text.to_string(),
                published_at: Some(at.to_string()),
                source: Some(source.to_string()),
                unit: Some(unit.to_string()),
                author: None,
                origin: None,
                fetched_at: None,
            }
            .into_draft()
            .unwrap();
            if i == 0 {
                d.raw = Some(format!("<html><head><meta charset=\"utf-8\"><script>document.title='pwned'</script></head><body><h1>{title}</h1><p>{text}</p></body></html>").into_bytes());
            }
            d
        })
        .collect();
    let mut ingest = Ingest::new(&mut store, &index, 50_000_000).unwrap();
    ingest
        .run(&classifier, &units, drafts.into_iter(), 1, &mut |_| {})
        .unwrap();
    drop(ingest);
    std::fs::create_dir_all(dir.join("reports/weekly")).unwrap();
    std::fs::write(
        dir.join("reports/weekly/2026-W48.html"),
        "<html><body><h1>舆情监测周报 2026年第48周</h1></body></html>",
    )
    .unwrap();
    std::fs::write(
        dir.join("reports/weekly/2026-W48.md"),
        "# 舆情监测周报 2026年第48周\n",
    )
    .unwrap();
    store
        .record_report(
            "weekly",
            "2026-W48",
            &["reports/weekly/2026-W48.html".into()],
        )
        .unwrap();
}

pub fn state(dir: &Path, token: Option<&str>) -> yuqing_web::AppState {
    let data = dir.join("data");
    let config = yuqing_config::Config::parse(&config_text(dir)).unwrap();
    yuqing_web::AppState {
        index: yuqing_index::SearchIndex::open(
            &data.join("search"),
            yuqing_text::Analyzer::builtin(),
        )
        .unwrap(),
        data_dir: data,
        reports_dir: dir.join("reports"),
        units: config
            .units
            .iter()
            .map(|u| (u.id.clone(), (u.name.clone(), u.kind.label().to_string())))
            .collect(),
        sources: config
            .sources
            .iter()
            .map(|s| (s.id.clone(), (format!("{}网站", s.unit), s.unit.clone())))
            .collect(),
        topics: config
            .topics
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect(),
        token: token.map(str::to_string),
        form_token: "test-form-token".into(),
        hosts: config.web.hosts.clone(),
        alert_rules: config.alerts.clone(),
        channels: config.channels.clone(),
    }
}

/// A server on 127.0.0.1:0 in a runtime of its own.
pub struct Server {
    pub addr: SocketAddr,
    _rt: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub fn serve(state: yuqing_web::AppState) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    rt.spawn(yuqing_web::serve(listener, Arc::new(state), async {
        let _ = rx.await;
    }));
    Server {
        addr,
        _rt: rt,
        stop: Some(tx),
    }
}

pub struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }
}

/// One HTTP/1.1 request; `path` may hold a query (percent-encode non-ASCII yourself).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    // a test may name its own Host (as a rebinding page's requests would)
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v == "chunked")
    {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
}

pub fn get(addr: SocketAddr, path: &str) -> Resp {
    request(addr, "GET", path, &[], b"")
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Headless Chromium (Debian's `chromium`) with the flags this closed network needs.
pub fn chromium(profile: &Path, args: &[&str], url: &str) -> std::process::Output {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("no Chromium: install Debian's chromium (`bash .ci/test` does)");
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}
