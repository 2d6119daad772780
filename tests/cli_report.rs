//! `yuqing report` over a store of articles the team writes: the figures against a hand count,
//! the files, and the weekly e-mail delivered to a real SMTP server on 127.0.0.1 (aiosmtpd) and
//! taken apart again: encoded Chinese subject, both alternatives, inline charts referenced by
//! the HTML, the CSV attachment. Needs Python with aiosmtpd (`.ci/test` installs it).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("yuqing-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn yuqing(config: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .arg("--config")
        .arg(config)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run yuqing");
    // a hung delivery must fail the test, not hang it
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("yuqing {args:?} did not finish in 180 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn config(dir: &Path, smtp_port: u16) -> PathBuf {
    let text = format!(
        r#"[storage]
dir = "data"
reports_dir = "reports"

[dictionaries]
dir = {dict:?}

[crawl]
user_agent = "yuqing-test (contact: test@example.org)"

[mail]
smtp_url = "smtp://127.0.0.1:{smtp_port}"
from = "舆情监测 <monitor@example.org>"
to = ["leader@example.org"]
subject = "舆情监测周报 {{year}}年第{{week}}周"
# the test server on this machine offers no STARTTLS
tls = "none"
timeout_s = 20

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
name = "丙省科协"
kind = "地方科协"

[[source]]
id = "a-web"
unit = "a"
kind = "html"
url = "https://a.example.org/news/"

[[source]]
id = "b-web"
unit = "b"
kind = "html"
url = "https://b.example.org/news/"

[[topic]]
id = "programme"
name = "学习宣传贯彻党的十九大精神"
all = ["十九大"]
any = ["学习", "宣传"]
"#,
        dict = root().join("dictionaries").display().to_string()
    );
    let path = dir.join("sources.toml");
    std::fs::write(&path, text).unwrap();
    path
}

const PERSON: &str = "在云岭深处的一所乡村学校，王建华已经坚守了三十年。三十年来，他自费购置器材，指导学生获得科技创新奖项四十余项。他的先进事迹在当地广为传颂，成为广大科技工作者学习的榜样。";
const CASE: &str = "近日，省纪委监委对三起违反中央八项规定精神典型问题进行公开通报。一、某市科技局原副局长刘某某违规接受宴请问题。2025年3月，刘某某接受管理服务对象安排的宴请，受到党内严重警告处分。二、某县农业农村局局长陈某某违规收受礼品问题，受到政务记过处分。三、某镇党委书记赵某某公款吃喝问题，受到党内警告处分。通报要求以案为鉴、以案促改。";
const EVENT: &str = "第三十届青少年科技创新大赛决赛近日在省科技馆举行，120个项目分获一、二、三等奖。颁奖仪式上，获得一等奖的学生代表分享了研究经历。";

fn articles(dir: &Path) -> PathBuf {
    let line = |url: &str, title: &str, text: &str, at: &str, unit: &str| {
        serde_json::json!({"url": url, "title": title, "text": text, "published_at": at, "source": format!("{unit}-web"), "unit": unit})
            .to_string()
    };
    let lines = [
        line(
            "https://a.example.org/news/1.html",
            "扎根山区三十年的乡村科技辅导员王建华",
            PERSON,
            "2026-11-23 09:00",
            "a",
        ),
        line(
            "https://b.example.org/news/7.html",
            "扎根山区三十年的乡村科技辅导员王建华",
            PERSON,
            "2026-11-24 10:00",
            "b",
        ),
        line(
            "https://a.example.org/news/2.html",
            "省纪委监委通报三起典型问题",
            CASE,
            "2026-11-25 11:00",
            "a",
        ),
        line(
            "https://b.example.org/news/8.html",
            "青少年科技创新大赛决赛落幕",
            EVENT,
            "2026-11-27 15:00",
            "b",
        ),
        line(
            "https://a.example.org/news/3.html",
            "机关开展学习十九大精神活动",
            "机关党委组织党员干部集中学习十九大报告，交流学习体会，推动学习宣传贯彻工作走深走实。",
            "2026-11-28 09:00",
            "a",
        ),
        line(
            "https://b.example.org/news/9.html",
            "学会召开理事会",
            "学会召开第九届理事会第三次会议，审议年度工作报告和财务报告。",
            "2026-11-29 22:00",
            "b",
        ),
        line(
            "https://a.example.org/news/0.html",
            "上周的一条消息",
            "机关召开周例会，部署本周工作。",
            "2026-11-17 09:00",
            "a",
        ),
    ];
    let path = dir.join("articles.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    path
}

/// Python with aiosmtpd: the system's, or a virtual environment made for the tests.
fn python() -> PathBuf {
    let has = |py: &Path| {
        Command::new(py)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if let Ok(p) = std::env::var("YUQING_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let system = PathBuf::from("python3");
    if has(&system) {
        return system;
    }
    let venv = root().join("target/test-venv");
    let py = venv.join("bin/python");
    if !has(&py) {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3");
        assert!(
            made.success(),
            "cannot create a Python virtual environment for aiosmtpd"
        );
        let pip = Command::new(&py)
            .args(["-m", "pip", "install", "-q", "aiosmtpd"])
            .status()
            .expect("pip");
        assert!(pip.success(), "cannot install aiosmtpd from PyPI");
    }
    py
}

struct Smtp {
    child: Child,
    maildir: PathBuf,
    port: u16,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp(dir: &Path) -> Smtp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = dir.join("maildir");
    let child = Command::new(python())
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Smtp {
        child,
        maildir,
        port,
    }
}

fn received(maildir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(maildir.join("new"))
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

#[test]
fn weekly_report_figures_files_and_the_mail_a_real_server_receives() {
    let dir = temp("report");
    let server = smtp(&dir);
    let config = config(&dir, server.port);
    let (code, out, err) = yuqing(&config, &["import", articles(&dir).to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{out}{err}");

    let (code, out, err) = yuqing(&config, &["report", "weekly", "--week", "2026-W48"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let reports = dir.join("reports");
    for ext in ["html", "md", "json"] {
        assert!(
            reports.join(format!("weekly/2026-W48.{ext}")).exists(),
            "{out}"
        );
    }
    assert!(
        std::fs::read_to_string(reports.join("index.html"))
            .unwrap()
            .contains("2026-W48")
    );
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(reports.join("weekly/2026-W48.json")).unwrap(),
    )
    .unwrap();
    // the hand count
    assert_eq!(r["articles"]["value"], 6);
    assert_eq!(r["articles"]["previous"], 1);
    assert_eq!(r["active_units"]["value"], 2);
    assert_eq!(r["units_total"], 3);
    let days: Vec<i64> = r["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["count"].as_i64().unwrap())
        .collect();
    assert_eq!(days, [1, 1, 1, 0, 1, 1, 1]);
    assert_eq!(r["topics"][0]["count"], 1);
    let unit = |id: &str| {
        r["scoreboard"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == id)
            .unwrap()
            .clone()
    };
    let (a, b, c) = (unit("a"), unit("b"), unit("c"));
    assert_eq!(
        (a["articles"].as_i64(), a["articles_previous"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(
        (
            b["articles"].as_i64(),
            b["republished"].as_i64(),
            b["original"].as_i64()
        ),
        (Some(3), Some(1), Some(2))
    );
    assert_eq!(
        (a["first_published"].as_i64(), a["republished"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(a["topics"][0], 1);
    assert_eq!(c["silent"], true);
    assert_eq!(r["top_stories"][0]["size"], 2);
    assert_eq!(r["top_stories"][0]["first_unit_name"], "甲科协");
    // the tag figures agree with the tags the store holds
    let store = yuqing_store::Store::open(&dir.join("data")).unwrap();
    let stored = store.page(0, 100).unwrap();
    let in_week =
        |a: &&yuqing_store::Article| a.published_at.as_deref().is_some_and(|p| p >= "2026-11-23");
    for (tag, key) in [
        ("typical_person", "typical_person"),
        ("typical_event", "typical_event"),
        ("typical_case", "typical_case"),
    ] {
        let n = stored
            .iter()
            .filter(in_week)
            .filter(|a| a.tags.iter().any(|t| t.tag == tag))
            .count();
        assert_eq!(r[key]["value"], n as i64, "{tag}");
    }
    assert!(
        r["typical_person"]["value"].as_i64().unwrap() >= 1,
        "the person story is tagged"
    );
    assert!(
        r["typical_case"]["value"].as_i64().unwrap() >= 1,
        "the case story is tagged"
    );
    drop(store);

    // the e-mail
    let (code, out, err) = yuqing(
        &config,
        &["report", "weekly", "--week", "2026-W48", "--send"],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("已发送"), "{out}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while received(&server.maildir).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let mails = received(&server.maildir);
    assert_eq!(mails.len(), 1);
    let raw = String::from_utf8_lossy(&mails[0]).into_owned();
    let subject_line = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
    assert!(
        subject_line.contains("=?utf-8?"),
        "the Chinese subject is encoded: {subject_line}"
    );
    let msg = MessageParser::default().parse(&mails[0]).unwrap();
    assert_eq!(msg.subject(), Some("舆情监测周报 2026年第48周"));
    let text = msg.body_text(0).unwrap();
    assert!(text.contains("单位考核表") && text.contains("甲科协"));
    let html = msg.body_html(0).unwrap();
    assert!(html.contains("单位考核表"));
    let mut cids = Vec::new();
    let mut csv = None;
    for part in msg.parts.iter() {
        let ct = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")));
        if let Some(cid) = part.content_id() {
            assert_eq!(ct.as_deref(), Some("image/png"));
            assert!(part.contents().starts_with(b"\x89PNG"));
            cids.push(cid.to_string());
        }
        if part.attachment_name().is_some_and(|n| n.ends_with(".csv")) {
            csv = Some(part.contents().to_vec());
        }
    }
    cids.sort();
    assert_eq!(cids, ["chart-daily", "chart-kinds"]);
    for cid in &cids {
        assert!(
            html.contains(&format!("cid:{cid}")),
            "the HTML refers to {cid}"
        );
    }
    let csv = String::from_utf8(csv.expect("a CSV attachment")).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    let rows: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(rows[0], "\u{feff}标签,标题,单位,时间,链接,得分,依据");
    assert!(rows.iter().any(|r| r.starts_with("典型人物,扎根山区三十年的乡村科技辅导员王建华,甲科协,2026-11-23 09:00,https://a.example.org/news/1.html")), "{csv}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("典型案例,省纪委监委通报三起典型问题,甲科协")),
        "{csv}"
    );

    // never twice for the same week, unless forced
    let (code, out, _) = yuqing(
        &config,
        &["report", "weekly", "--week", "2026-W48", "--send"],
        &[],
    );
    assert_eq!(code, 0);
    assert!(out.contains("不重复发送"), "{out}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(received(&server.maildir).len(), 1);
    let (code, _, err) = yuqing(
        &config,
        &[
            "report", "weekly", "--week", "2026-W48", "--send", "--force",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while received(&server.maildir).len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(received(&server.maildir).len(), 2);

    // a server that is down: files still written, the failure recorded and shown by check
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = config.with_file_name("down.toml");
    std::fs::write(
        &down,
        std::fs::read_to_string(&config)
            .unwrap()
            .replace(&server.port.to_string(), &closed.to_string()),
    )
    .unwrap();
    let (code, _, err) = yuqing(
        &down,
        &["report", "weekly", "--week", "2026-W47", "--send"],
        &[("YUQING_MAIL_ATTEMPTS", "2")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("files were written") && err.contains("2 attempts"),
        "{err}"
    );
    assert!(reports.join("weekly/2026-W47.html").exists());
    let (_, out, _) = yuqing(&down, &["check"], &[]);
    assert!(
        out.contains("report weekly 2026-W47 was not delivered"),
        "{out}"
    );
    let (code, out, _) = yuqing(&down, &["report", "daily", "--date", "2026-11-29"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("2026-11-29"));
    let brief = std::fs::read_to_string(reports.join("daily/2026-11-29.md")).unwrap();
    assert!(
        brief.contains("未送达") && brief.contains("2026-W47"),
        "{brief}"
    );
    assert!(brief.contains("乙学会"), "{brief}");

    // without tls = "none", a server that offers no STARTTLS gets nothing, password or mail
    let strict = config.with_file_name("strict.toml");
    std::fs::write(
        &strict,
        std::fs::read_to_string(&config)
            .unwrap()
            .replace("tls = \"none\"\n", ""),
    )
    .unwrap();
    let (code, _, err) = yuqing(
        &strict,
        &["report", "weekly", "--week", "2026-W46", "--send"],
        &[("YUQING_MAIL_ATTEMPTS", "1")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("STARTTLS"), "{err}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        received(&server.maildir).len(),
        2,
        "nothing went out in clear"
    );

    // a server that stops answering after DATA: the attempt ends at [mail].timeout_s
    let stall = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stall_port = stall.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{BufRead, BufReader};
        for conn in stall.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let _ = conn.write_all(b"220 stall.example ESMTP\r\n");
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    let cmd = line.to_ascii_uppercase();
                    let answer: &[u8] = if cmd.starts_with("EHLO") {
                        b"250-stall.example\r\n250 8BITMIME\r\n"
                    } else if cmd.starts_with("DATA") {
                        let _ = conn.write_all(b"354 go ahead\r\n");
                        // and never another word
                        std::thread::sleep(Duration::from_secs(120));
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = conn.write_all(answer);
                    line.clear();
                }
            });
        }
    });
    let stalled = config.with_file_name("stall.toml");
    std::fs::write(
        &stalled,
        std::fs::read_to_string(&config)
            .unwrap()
            .replace(&server.port.to_string(), &stall_port.to_string())
            .replace("timeout_s = 20", "timeout_s = 2"),
    )
    .unwrap();
    let started = Instant::now();
    let (code, _, err) = yuqing(
        &stalled,
        &["report", "weekly", "--week", "2026-W45", "--send"],
        &[("YUQING_MAIL_ATTEMPTS", "1")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("did not finish within 2 s"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    let (_, out, _) = yuqing(&stalled, &["check"], &[]);
    assert!(
        out.contains("report weekly 2026-W45 was not delivered"),
        "{out}"
    );
}

#[test]
fn bad_report_arguments_are_usage_errors() {
    let dir = temp("report-args");
    let config = config(&dir, 25);
    let (code, _, err) = yuqing(&config, &["report", "weekly", "--week", "48"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("ISO week like 2026-W48"), "{err}");
    let (code, _, err) = yuqing(&config, &["report", "daily", "--date", "yesterday"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}
