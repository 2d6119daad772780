//! `yuqing alerts` end to end: articles imported with the real binary, rules evaluated by it,
//! messages sent to webhook servers this test starts on 127.0.0.1. The servers check each
//! platform's signature as its documentation defines it (computed here with the `hmac` crate,
//! not with yuqing's own code) and answer with the platform's error shapes.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{FixedOffset, Utc};
use hmac::{KeyInit, Mac};
use serde_json::Value;
use support::hook::Hook;
use support::temp;

const DING_SECRET: &str = "SECa1b2c3d4e5f6-ding";
const FEISHU_SECRET: &str = "fs-7Hq2kLm9";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn hmac_b64(key: &[u8], message: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// DingTalk custom robot: `timestamp` (ms) and `sign` in the query; sign =
/// urlencode(base64(hmac_sha256(key = secret, message = timestamp + "\n" + secret))).
fn dingtalk(target: &str, body: &Value) -> (bool, u16, String) {
    let url = url::Url::parse(&format!("http://h{target}")).unwrap();
    let q = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    let (Some(ts), Some(sign)) = (q("timestamp"), q("sign")) else {
        return (
            false,
            200,
            r#"{"errcode":310000,"errmsg":"keywords not in content, timestamp invalid, sign not match"}"#.into(),
        );
    };
    let fresh = ts
        .parse::<i64>()
        .is_ok_and(|t| (Utc::now().timestamp_millis() - t).abs() < 3_600_000);
    let expected = hmac_b64(
        DING_SECRET.as_bytes(),
        format!("{ts}\n{DING_SECRET}").as_bytes(),
    );
    let markdown = body["msgtype"] == "markdown"
        && body["markdown"]["title"].is_string()
        && body["markdown"]["text"].is_string();
    if fresh && sign == expected && markdown {
        (true, 200, r#"{"errcode":0,"errmsg":"ok"}"#.into())
    } else {
        (
            false,
            200,
            r#"{"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}"#.into(),
        )
    }
}

/// Feishu custom bot: `timestamp` (s) and `sign` in the body; sign =
/// base64(hmac_sha256(key = timestamp + "\n" + secret, message = empty)).
fn feishu(_target: &str, body: &Value) -> (bool, u16, String) {
    let ts = body["timestamp"].as_str().unwrap_or("");
    let expected = hmac_b64(format!("{ts}\n{FEISHU_SECRET}").as_bytes(), b"");
    let fresh = ts
        .parse::<i64>()
        .is_ok_and(|t| (Utc::now().timestamp() - t).abs() < 3600);
    let card = body["msg_type"] == "interactive" || body["msg_type"] == "text";
    if fresh && body["sign"] == expected.as_str() && card {
        (
            true,
            200,
            r#"{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}"#
                .into(),
        )
    } else {
        (
            false,
            200,
            r#"{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}"#.into(),
        )
    }
}

/// WeCom group robot: markdown content of at most 4,096 bytes.
fn wecom(_target: &str, body: &Value) -> (bool, u16, String) {
    let content = body["markdown"]["content"].as_str().unwrap_or("");
    if body["msgtype"] == "markdown" && !content.is_empty() && content.len() <= 4096 {
        (true, 200, r#"{"errcode":0,"errmsg":"ok"}"#.into())
    } else {
        (
            false,
            200,
            r#"{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}"#.into(),
        )
    }
}

fn plain(_target: &str, body: &Value) -> (bool, u16, String) {
    (body["title"].is_string(), 204, String::new())
}

fn yuqing(config: &Path, args: &[&str], env: &[(&str, String)]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .arg("--config")
        .arg(config)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v.as_str())))
        .env("YUQING_ALERT_ATTEMPTS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run yuqing");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("yuqing {args:?} did not finish in 120 s");
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

fn config(dir: &Path, rules: &str) -> PathBuf {
    let text = format!(
        r#"[storage]
dir = "data"
reports_dir = "reports"

[dictionaries]
dir = {dict:?}

[web]
base_url = "http://yuqing.example.org:8080/"

[[unit]]
id = "a"
name = "甲科协"
kind = "机关"

[[unit]]
id = "b"
name = "乙学会"
kind = "全国学会"

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

[[topic]]
id = "popsci"
name = "科学普及"
any = ["科普"]

[[channel]]
id = "ding"
kind = "dingtalk"
url_env = "YQ_DING_URL"
secret_env = "YQ_DING_SECRET"

[[channel]]
id = "ding-wrong-secret"
kind = "dingtalk"
url_env = "YQ_DING_URL"
secret_env = "YQ_WRONG_SECRET"

[[channel]]
id = "feishu"
kind = "feishu"
url_env = "YQ_FEISHU_URL"
secret_env = "YQ_FEISHU_SECRET"

[[channel]]
id = "wecom"
kind = "wecom"
url_env = "YQ_WECOM_URL"

[[channel]]
id = "hook"
kind = "webhook"
url_env = "YQ_HOOK_URL"
{rules}"#,
        dict = root().join("dictionaries").display().to_string()
    );
    let path = dir.join("sources.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Local China time `hours` before now, as the importer reads it.
fn ago(hours: f64) -> String {
    let t = Utc::now() - chrono::Duration::seconds((hours * 3600.0) as i64);
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M:%S+08:00")
        .to_string()
}

fn import(config: &Path, dir: &Path, name: &str, lines: &[Value]) {
    let file = dir.join(name);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, text).unwrap();
    let (code, out, err) = yuqing(config, &["import", file.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "import: {out}{err}");
}

fn article(url: &str, title: &str, text: &str, hours_ago: f64, unit: &str) -> Value {
    serde_json::json!({
        "url": url, "title": title, "text": text, "published_at": ago(hours_ago),
        "source": format!("{unit}-web"), "unit": unit,
    })
}

#[test]
fn typical_alerts_reach_each_platform_signed_once_and_a_wrong_secret_is_a_recorded_failure() {
    let dir = temp("alerts-platforms");
    let (ding, fei, wec, hook) = (
        Hook::start(dingtalk),
        Hook::start(feishu),
        Hook::start(wecom),
        Hook::start(plain),
    );
    let env = vec![
        (
            "YQ_DING_URL",
            format!("{}/robot/send?access_token=tok123", ding.url),
        ),
        ("YQ_DING_SECRET", DING_SECRET.to_string()),
        ("YQ_WRONG_SECRET", "SECnot-the-secret".to_string()),
        (
            "YQ_FEISHU_URL",
            format!("{}/open-apis/bot/v2/hook/abc", fei.url),
        ),
        ("YQ_FEISHU_SECRET", FEISHU_SECRET.to_string()),
        (
            "YQ_WECOM_URL",
            format!("{}/cgi-bin/webhook/send?key=k1", wec.url),
        ),
        ("YQ_HOOK_URL", format!("{}/yuqing", hook.url)),
    ];
    let cfg = config(
        &dir,
        r#"
[[alert]]
id = "people"
kind = "typical"
tags = ["typical_person"]
channels = ["ding", "ding-wrong-secret", "feishu", "wecom", "hook"]
"#,
    );
    let profile = "在云岭深处的一所乡村学校，王建华已经坚守了三十年。他自费购置器材，指导学生开展科普活动，带出了一批又一批科技小能手。他的先进事迹在当地广为传颂，被评为全国优秀科技辅导员，成为广大科技工作者学习的榜样。";
    import(
        &cfg,
        &dir,
        "first.jsonl",
        &[
            article(
                "https://a.example.org/1.html",
                "扎根山区三十年的乡村科技辅导员王建华",
                profile,
                2.0,
                "a",
            ),
            article(
                "https://b.example.org/2.html",
                "乙学会召开理事会工作会议",
                "会议审议了年度工作报告和财务报告，部署了下一阶段的重点工作。",
                1.0,
                "b",
            ),
        ],
    );

    // a dry run shows the alert and sends and records nothing
    let (code, out, err) = yuqing(&cfg, &["alerts", "run", "--dry-run"], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("王建华"), "{out}");
    assert!(
        !out.contains("理事会"),
        "a routine meeting is no typical person: {out}"
    );
    assert!(ding.got().is_empty() && hook.got().is_empty());

    let (code, out, err) = yuqing(&cfg, &["alerts", "run", "--json"], &env);
    assert_eq!(code, 1, "a failed delivery exits 1: {out}{err}");
    let run: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(run["fired"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(run["delivered"]["sent"], 4, "{out}");
    assert_eq!(run["delivered"]["failed"], 1, "{out}");

    // DingTalk: one request accepted with the right signature, one rejected with the wrong one
    let got = ding.got();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(ding.accepted().len(), 1, "{got:?}");
    let text = ding.accepted()[0].body["markdown"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("王建华") && text.contains("甲科协"), "{text}");
    assert!(
        text.contains("http://yuqing.example.org:8080/articles/"),
        "the link goes to the analysts' page: {text}"
    );
    assert!(got.iter().all(|g| g.target.contains("access_token=tok123")));
    // Feishu, WeCom and the plain webhook took theirs
    assert_eq!(fei.accepted().len(), 1, "{:?}", fei.got());
    let card = &fei.accepted()[0].body["card"];
    assert!(card.to_string().contains("典型"), "{card}");
    assert_eq!(wec.accepted().len(), 1, "{:?}", wec.got());
    assert_eq!(hook.accepted().len(), 1, "{:?}", hook.got());
    assert_eq!(hook.got()[0].body["alerts"][0]["rule"], "people");

    // every attempt is in the store, the failure with the platform's error
    let (code, out, err) = yuqing(&cfg, &["alerts", "list", "--json"], &env);
    assert_eq!(code, 0, "{err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    let deliveries = list[0]["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 5, "{out}");
    let bad = deliveries
        .iter()
        .find(|d| d["channel"] == "ding-wrong-secret")
        .unwrap();
    assert_eq!(bad["status"], "failed");
    assert!(
        bad["error"].as_str().unwrap().contains("310000"),
        "the platform's code is kept: {bad}"
    );
    assert!(
        !bad["error"].as_str().unwrap().contains("tok123"),
        "the access token stays out of the record: {bad}"
    );

    // a second run (a new process, as after a restart) fires nothing again; the delivered
    // channels get nothing more, the failed one is tried again
    let (code, out, err) = yuqing(&cfg, &["alerts", "run", "--json"], &env);
    assert_eq!(code, 1, "{out}{err}");
    let run: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(run["fired"].as_array().unwrap().len(), 0, "{out}");
    assert_eq!(ding.got().len(), 3);
    assert_eq!(ding.accepted().len(), 1);
    assert_eq!(fei.got().len() + wec.got().len() + hook.got().len(), 3);

    // a republication of the same story does not alert again
    import(
        &cfg,
        &dir,
        "repost.jsonl",
        &[article(
            "https://b.example.org/9.html",
            "扎根山区三十年的乡村科技辅导员王建华",
            profile,
            0.5,
            "b",
        )],
    );
    let (_, out, _) = yuqing(&cfg, &["alerts", "run", "--json"], &env);
    let run: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(run["fired"].as_array().unwrap().len(), 0, "{out}");

    // `yuqing check` names the failing channel, and an unset address when run without them
    let (code, out, err) = yuqing(&cfg, &["check"], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("alert channel ding-wrong-secret failed its last delivery"),
        "{out}"
    );
    assert!(!out.contains("alert channel ding failed"), "{out}");
    let (_, out, _) = yuqing(&cfg, &["check"], &[]);
    assert!(out.contains("YQ_WECOM_URL is not set"), "{out}");
    // the daily brief lists the day's alert and the failed delivery
    let today = Utc::now()
        .with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string();
    let (code, out, err) = yuqing(&cfg, &["report", "daily", "--date", &today, "--json"], &env);
    assert_eq!(code, 0, "{err}");
    let brief: Value = serde_json::from_str(&out[out.find('{').unwrap()..]).unwrap();
    let line = &brief["alerts"][0];
    assert_eq!(line["kind"], "典型发现", "{brief}");
    assert_eq!(line["failed"], true);
    assert!(
        line["deliveries"]
            .to_string()
            .contains("ding-wrong-secret 发送失败")
    );

    // the test message
    let (code, out, err) = yuqing(&cfg, &["alerts", "test", "ding"], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        ding.accepted().last().unwrap().body["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains("测试"),
    );
    let (code, _, err) = yuqing(&cfg, &["alerts", "test", "ding-wrong-secret"], &env);
    assert_eq!(code, 1);
    assert!(
        err.contains("310000") && err.contains("ding-wrong-secret"),
        "{err}"
    );
    let (code, _, err) = yuqing(&cfg, &["alerts", "test", "nope"], &env);
    assert_eq!(code, 2);
    assert!(err.contains("no channel \"nope\""), "{err}");
    // an unset address is named with what to do
    let (code, _, err) = yuqing(&cfg, &["alerts", "test", "wecom"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("YQ_WECOM_URL"), "{err}");
}

#[test]
fn a_spike_fires_once_against_its_baseline() {
    let dir = temp("alerts-spike");
    let hook = Hook::start(plain);
    let env = vec![("YQ_HOOK_URL", format!("{}/yuqing", hook.url))];
    let cfg = config(
        &dir,
        r#"
[[alert]]
id = "popsci-spike"
kind = "spike"
topic = "popsci"
window_hours = 24
baseline_days = 14
sigma = 2.0
min_count = 5
channels = ["hook"]
"#,
    );
    // one popular-science article in the same 24 hours of each of the 14 days before, and two
    // in the last 24 hours: mean 1, deviation 0, count 2 < min_count
    let places = [
        "北京", "天津", "河北", "山西", "辽宁", "吉林", "上海", "江苏", "浙江", "安徽", "福建",
        "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆",
    ];
    let mut lines = Vec::new();
    for d in 1..=14 {
        let p = places[d - 1];
        lines.push(article(
            &format!("https://a.example.org/base{d}.html"),
            &format!("{p}举办社区科普讲座第{d}期"),
            &format!("{p}市科协在社区开展科普讲座，第{d}期讲座围绕{p}的防灾减灾知识展开，居民{d}百余人参加。"),
            d as f64 * 24.0 + 3.0,
            "a",
        ));
    }
    for (i, p) in places[14..16].iter().enumerate() {
        lines.push(article(
            &format!("https://b.example.org/now{i}.html"),
            &format!("{p}科普大篷车进校园"),
            &format!("{p}科普大篷车走进乡村学校，为{i}所学校的学生带来科学实验表演。"),
            2.0 + i as f64,
            "b",
        ));
    }
    import(&cfg, &dir, "base.jsonl", &lines);
    let (code, out, err) = yuqing(&cfg, &["alerts", "run", "--json"], &env);
    assert_eq!(code, 0, "{out}{err}");
    let run: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        run["fired"].as_array().unwrap().len(),
        0,
        "two is no spike: {out}"
    );

    // four more in the window: six against a mean of one
    let more: Vec<Value> = places[16..20]
        .iter()
        .enumerate()
        .map(|(i, p)| {
            article(
                &format!("https://b.example.org/more{i}.html"),
                &format!("{p}青少年科普月启动"),
                &format!("{p}青少年科普月活动启动，全省{i}个科技馆免费开放，组织科学家进校园。"),
                1.0 + i as f64 * 0.1,
                "b",
            )
        })
        .collect();
    import(&cfg, &dir, "more.jsonl", &more);
    let (code, out, err) = yuqing(&cfg, &["alerts", "run", "--json"], &env);
    assert_eq!(code, 0, "{out}{err}");
    let run: Value = serde_json::from_str(&out).unwrap();
    let fired = run["fired"].as_array().unwrap();
    assert_eq!(fired.len(), 1, "{out}");
    let summary = fired[0]["alert"]["summary"].as_str().unwrap();
    assert!(summary.contains("近24小时 6 篇"), "{summary}");
    assert!(summary.contains("平均 1.0 篇"), "{summary}");
    assert_eq!(hook.accepted().len(), 1);
    assert!(
        hook.got()[0].body["text"]
            .as_str()
            .unwrap()
            .contains("声量突增")
    );
    assert!(
        fired[0]["alert"]["title"]
            .as_str()
            .unwrap()
            .contains("专题「科学普及」"),
        "the topic by its name: {out}"
    );

    // the same window does not fire again
    let (code, out, _) = yuqing(&cfg, &["alerts", "run", "--json"], &env);
    assert_eq!(code, 0);
    let run: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(run["fired"].as_array().unwrap().len(), 0, "{out}");
    assert_eq!(hook.got().len(), 1);
}
