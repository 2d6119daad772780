//! Tests of parsing and validation, through one `check` helper.

use super::*;
use yuqing_model::Tag;

const VALID: &str = r##"
[storage]
dir = "data"
reports_dir = "out"

[schedule]
timezone = "Asia/Shanghai"
scan = "0 0 6 * * *"
daily_brief = "0 30 7 * * *"
weekly_report = "0 0 8 * * Mon"

[crawl]
user_agent = "yuqing/0.1 (宣传部舆情监测; contact: ops@example.org)"
delay_ms = 1500
concurrency = 4
max_page_bytes = 5_000_000

[mail]
smtp_url = "smtp://mail.example.org:587"
username = "monitor@example.org"
password_env = "YUQING_SMTP_PASSWORD"
from = "舆情监测 <monitor@example.org>"
to = ["leaders@example.org", "王主任 <wang@example.org>"]
subject = "舆情监测周报 {year}年第{week}周"

[wechat]
mirror_url = "http://127.0.0.1:4000/feeds/{id}.atom"

[[unit]]
id = "cast"
name = "中国科协"
kind = "机关"
region = "全国"

[[unit]]
id = "media"
name = "中央媒体"
kind = "媒体"

[[source]]
id = "cast-news"
unit = "cast"
kind = "html"
url = "https://www.example.org.cn/xw/index.html"
schedule = "0 0 */2 * * *"
delay_ms = 2000
[source.selectors]
list_links = "ul.news-list li a"
body = "#zoom"
remove = [".share", "div.editor"]
[source.headers]
Referer = "https://www.example.org.cn/"

[[source]]
id = "gov-json"
unit = "media"
kind = "html"
url = "https://www.example.gov.cn/zhengce/ZUIXINZHENGCE.json"
list_mode = "json"
[source.json]
items = ""
title = "TITLE"
link = "URL"
date = "DOCRELPUBTIME"

[[source]]
id = "cast-wechat"
unit = "cast"
kind = "wechat"
account = "中国科协"
mirror_id = "MP_WXS_123"

[[source]]
id = "people-politics"
unit = "media"
kind = "feed"
urls = ["http://www.example.com/rss/politics.xml"]
enabled = false

[[topic]]
id = "programme-2017"
name = "学习宣传贯彻党的十九大精神"
all = ["十九大"]
any = ["学习", "宣传"]
none = ["招聘"]

[[topic]]
id = "typical"
name = "典型宣传"
expr = '(典型 OR 先进事迹) AND NOT 招聘'
"##;

/// Parses `text`; with `expected` empty the config must be valid, otherwise the problems must
/// be exactly these, in order, as printed.
fn check(text: &str, expected: &[&str]) -> Option<Config> {
    match Config::parse(text) {
        Ok(config) => {
            assert!(
                expected.is_empty(),
                "expected problems {expected:?}, config was valid"
            );
            Some(config)
        }
        Err(e) => {
            assert_eq!(e.lines(), expected, "problems differ");
            None
        }
    }
}

/// The valid config with `from` replaced by `to` (the edit must apply).
fn edit(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "edit target not found: {from}");
    VALID.replacen(from, to, 1)
}

#[test]
fn valid_config_reads_every_section() {
    let c = check(VALID, &[]).unwrap();
    assert_eq!(c.storage.dir, PathBuf::from("data"));
    assert_eq!(c.schedule.timezone, chrono_tz::Asia::Shanghai);
    assert_eq!(c.crawl.delay_ms, 1500);
    assert_eq!(c.crawl.per_host_concurrency, 1);
    assert_eq!(c.crawl.max_page_bytes, 5_000_000);
    let mail = c.mail.as_ref().unwrap();
    assert_eq!(mail.to.len(), 2);
    assert_eq!(
        mail.render_subject(&[("year", "2026"), ("week", "48")]),
        "舆情监测周报 2026年第48周"
    );
    assert_eq!(c.units.len(), 2);
    assert_eq!(c.units[1].region, "全国");
    let news = c.source("cast-news").unwrap();
    assert_eq!(c.source_schedule(news).expr(), "0 0 */2 * * *");
    assert_eq!(c.source_delay_ms(news), 2000);
    assert_eq!(news.selectors.remove.len(), 2);
    assert_eq!(news.headers[0].0, "Referer");
    let gov = c.source("gov-json").unwrap();
    assert_eq!(gov.list_mode, ListMode::Json);
    assert_eq!(gov.json.as_ref().unwrap().link, "URL");
    assert_eq!(c.source_schedule(gov).expr(), "0 0 6 * * *");
    let wx = c.source("cast-wechat").unwrap();
    assert_eq!(wx.urls, vec!["http://127.0.0.1:4000/feeds/MP_WXS_123.atom"]);
    assert_eq!(wx.account.name.as_deref(), Some("中国科协"));
    assert!(!c.source("people-politics").unwrap().enabled);
    assert_eq!(c.topics.len(), 2);
    assert!(matches!(c.topics[1].rule, TopicRule::Expr { .. }));
}

#[test]
fn minimal_config_gets_defaults() {
    let c = check(
        "[[unit]]\nid = \"u\"\nname = \"单位\"\nkind = \"全国学会\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.storage.dir, PathBuf::from("index"));
    assert_eq!(c.storage.reports_dir, PathBuf::from("reports"));
    assert_eq!(c.schedule.weekly_report.expr(), "0 0 8 * * Mon");
    assert_eq!(c.crawl.delay_ms, 1000);
    assert!(!c.crawl.allow_private);
    assert!(c.mail.is_none());
    assert!(c.sources.is_empty());
}

#[test]
fn rebase_makes_paths_relative_to_the_config() {
    let mut c = check(VALID, &[]).unwrap();
    c.rebase(Path::new("/etc/yuqing"));
    assert_eq!(c.storage.dir, PathBuf::from("/etc/yuqing/data"));
    assert_eq!(
        c.dictionaries.dir,
        PathBuf::from("/etc/yuqing/dictionaries")
    );
}

#[test]
fn syntax_errors_give_line_and_column() {
    let err = Config::parse("[storage]\ndir = \"x\"\nbad line here\n").unwrap_err();
    match err {
        LoadError::Syntax { line, column, .. } => assert_eq!((line, column), (3, 5)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn five_mistakes_are_all_reported() {
    let text = edit(
        "unit = \"cast\"\nkind = \"html\"",
        "unit = \"cast-x\"\nkind = \"html\"",
    )
    .replace(
        "weekly_report = \"0 0 8 * * Mon\"",
        "weekly_report = \"0 8 * * Mon\"",
    )
    .replace("delay_ms = 1500", "dealy_ms = 1500")
    .replace("kind = \"媒体\"", "kind = \"报纸\"")
    .replace(
        "expr = '(典型 OR 先进事迹) AND NOT 招聘'",
        "expr = '(典型 OR 先进事迹 AND NOT'",
    );
    let err = Config::parse(&text).unwrap_err();
    let lines = err.lines();
    let joined = lines.join("\n");
    for needle in [
        "schedule.weekly_report: invalid cron expression \"0 8 * * Mon\": 5 fields given",
        "crawl.dealy_ms: unknown key (did you mean \"delay_ms\"?)",
        "unit[1].kind: unknown unit kind \"报纸\"",
        "source[0].unit: unknown unit \"cast-x\"",
        "topic[1].expr: invalid expression: expression ends where a word was expected at column 20",
    ] {
        assert!(joined.contains(needle), "missing {needle:?} in:\n{joined}");
    }
    assert_eq!(lines.len(), 5, "{joined}");
}

#[test]
fn unknown_keys_everywhere() {
    check(
        &edit(
            "[[topic]]\nid = \"programme-2017\"",
            "[[topic]]\nid = \"programme-2017\"\ncolour = \"red\"",
        )
        .replace("[storage]", "[storage]\nsize = 1"),
        &[
            "storage.size: unknown key; known keys here: dir, reports_dir",
            "topic[0].colour: unknown key; known keys here: all, any, expr, id, name, none",
        ],
    );
    check(
        &format!("{VALID}\n[extra]\na = 1\n"),
        &[
            "extra: unknown key; known keys here: alert, channel, classify, crawl, dictionaries, mail, schedule, source, storage, topic, unit, web, wechat",
        ],
    );
}

#[test]
fn wrong_types_are_named() {
    check(
        &edit("concurrency = 4", "concurrency = \"four\"")
            .replace("enabled = false", "enabled = \"no\""),
        &[
            "crawl.concurrency: expected an integer, found a string",
            "source[3].enabled: expected true or false, found a string",
        ],
    );
    check(
        &edit("concurrency = 4", "concurrency = 0"),
        &["crawl.concurrency: 0 is out of range (allowed 1..=256)"],
    );
}

#[test]
fn schedule_problems() {
    check(
        &edit(
            "timezone = \"Asia/Shanghai\"",
            "timezone = \"China/Beijing\"",
        ),
        &[
            "schedule.timezone: unknown time zone \"China/Beijing\": use an IANA name such as \"Asia/Shanghai\"",
        ],
    );
    let err = Config::parse(&edit(
        "schedule = \"0 0 */2 * * *\"",
        "schedule = \"0 0 30 * * *\"",
    ))
    .unwrap_err();
    assert_eq!(err.lines().len(), 1);
    assert!(
        err.lines()[0].starts_with("source[0].schedule: invalid cron expression \"0 0 30 * * *\"")
    );
}

#[test]
fn mail_problems() {
    check(
        &edit(
            "smtp_url = \"smtp://mail.example.org:587\"",
            "smtp_url = \"http://mail.example.org\"",
        )
        .replace(
            "to = [\"leaders@example.org\", \"王主任 <wang@example.org>\"]",
            "to = [\"leaders\"]",
        )
        .replace("{week}周\"", "{wk}周\"")
        .replace(
            "password_env = \"YUQING_SMTP_PASSWORD\"",
            "password = \"secret\"",
        ),
        &[
            "mail.smtp_url: \"http://mail.example.org\" must be smtp://host:port (STARTTLS) or smtps://host:port (TLS)",
            "mail.password: passwords are not read from the file: set mail.password_env to the name of an environment variable",
            "mail.to[0]: \"leaders\" is not an e-mail address",
            "mail.subject: unknown placeholder {wk}; available: {year}, {week}, {date}, {title}",
        ],
    );
    check(
        &edit(
            "smtp_url = \"smtp://mail.example.org:587\"",
            "smtp_url = \"smtp://u:pw@mail.example.org:587\"",
        ),
        &[
            "mail.smtp_url: must not contain a password: put it in the environment variable named by mail.password_env",
        ],
    );
}

#[test]
fn crawl_user_agent_needs_a_contact() {
    check(
        &edit(
            "user_agent = \"yuqing/0.1 (宣传部舆情监测; contact: ops@example.org)\"",
            "user_agent = \"yuqing\"",
        ),
        &[
            "crawl.user_agent: name a contact (an e-mail address or a web page) so that site operators can reach the department",
        ],
    );
}

#[test]
fn unit_problems() {
    check(
        &edit("kind = \"机关\"", "kind = \"政府\"")
            .replace("id = \"cast\"\nname", "id = \"CAST\"\nname"),
        &[
            "unit[0].id: \"CAST\" is not a valid id: use lowercase letters, digits, '-' and '_' (e.g. \"cast-news\")",
            "unit[0].kind: unknown unit kind \"政府\"; use one of 机关 | 全国学会 | 地方科协 | 媒体 | 其他",
            // sources that referred to the unit now fail to resolve
            "source[0].unit: unknown unit \"cast\": add a [[unit]] with this id or fix the reference",
            "source[2].unit: unknown unit \"cast\": add a [[unit]] with this id or fix the reference",
        ],
    );
    check("", &["unit: no [[unit]] defined: add at least one unit"]);
}

#[test]
fn source_problems_are_located() {
    let err = Config::parse(
        &edit(
            "url = \"https://www.example.org.cn/xw/index.html\"",
            "url = \"ftp://example.org/x\"",
        )
        .replace(
            "list_links = \"ul.news-list li a\"",
            "list_links = \"ul..news\"",
        )
        .replace("kind = \"feed\"", "kind = \"rss\"")
        .replace("list_mode = \"json\"\n", "")
        .replace("mirror_id = \"MP_WXS_123\"", ""),
    )
    .unwrap_err();
    let lines = err.lines();
    let starts = [
        "source[0].url: \"ftp://example.org/x\" is not a web address (scheme \"ftp\"): use http:// or https://",
        "source[0].selectors.list_links: invalid CSS selector \"ul..news\"",
        "source[1].json: only used with list_mode = \"json\"",
        "source[2].url: missing: give url (or urls; for a wechat source, mirror_id)",
        "source[3].kind: unknown source kind \"rss\"; use html | wechat | feed",
    ];
    assert_eq!(lines.len(), starts.len(), "{lines:#?}");
    for (line, start) in lines.iter().zip(starts) {
        assert!(
            line.starts_with(start),
            "{line:?} should start with {start:?}"
        );
    }
}

#[test]
fn duplicate_source_and_topic_ids() {
    check(
        &edit("id = \"gov-json\"", "id = \"cast-news\"")
            .replace("id = \"typical\"", "id = \"programme-2017\""),
        &[
            "source[1].id: duplicate id \"cast-news\" (already used by source[0])",
            "topic[1].id: duplicate id \"programme-2017\" (already used by topic[0])",
        ],
    );
}

#[test]
fn topic_rule_problems() {
    check(
        &edit(
            "expr = '(典型 OR 先进事迹) AND NOT 招聘'",
            "expr = '典型'\nany = ['x']",
        ),
        &["topic[1].expr: give either expr or the all/any/none lists, not both"],
    );
    check(
        &edit(
            "expr = '(典型 OR 先进事迹) AND NOT 招聘'",
            "none = ['招聘']",
        ),
        &["topic[1].all: the rule matches nothing: list words under all or any"],
    );
    check(
        &edit("expr = '(典型 OR 先进事迹) AND NOT 招聘'", ""),
        &["topic[1].expr: missing rule: give expr, or all / any / none word lists"],
    );
}

#[test]
fn wechat_needs_a_template() {
    check(
        &edit(
            "[wechat]\nmirror_url = \"http://127.0.0.1:4000/feeds/{id}.atom\"\n",
            "",
        ),
        &[
            "source[2].mirror_id: needs [wechat].mirror_url, the feed URL template with {id}",
            "source[2].url: missing: give url (or urls; for a wechat source, mirror_id)",
        ],
    );
    check(
        &edit(
            "mirror_url = \"http://127.0.0.1:4000/feeds/{id}.atom\"",
            "mirror_url = \"http://127.0.0.1:4000/feeds/x.atom\"",
        ),
        &["wechat.mirror_url: must contain {id} where the account's mirror id goes"],
    );
}

#[test]
fn classify_settings() {
    let c = check(
        &format!(
            "{VALID}\n[classify]\nmodel = \"m.json\"\n[classify.thresholds]\ntypical_case = 0.6\n"
        ),
        &[],
    )
    .unwrap();
    assert_eq!(c.classify.model, Some(PathBuf::from("m.json")));
    assert_eq!(
        c.classify.thresholds,
        vec![("typical_case".to_string(), 0.6)]
    );
    check(
        &format!("{VALID}\n[classify.thresholds]\ntypical_case = 2\ntypical_thing = 0.5\n"),
        &[
            "classify.thresholds.typical_case: 2 is out of range (allowed 0..=1)",
            "classify.thresholds.typical_thing: unknown key; known keys here: typical_case, typical_event, typical_person",
        ],
    );
}

const ALERTS: &str = r##"
[web]
base_url = "http://yuqing.example.org:8080"

[[channel]]
id = "office-dingtalk"
kind = "dingtalk"
url_env = "YUQING_DINGTALK_URL"
secret_env = "YUQING_DINGTALK_SECRET"

[[channel]]
id = "leaders"
kind = "email"
to = ["王主任 <wang@example.org>"]

[[alert]]
id = "typical"
kind = "typical"
tags = ["typical_person", "典型案例"]
units = ["cast"]
min_score = 0.6
channels = ["office-dingtalk", "leaders"]
quiet_hours = "22:00-07:00"

[[alert]]
id = "spike"
kind = "spike"
topic = "typical"
window_hours = 12
baseline_days = 7
sigma = 3
min_count = 4
channels = ["office-dingtalk"]

[[alert]]
id = "quiet-units"
kind = "silent"
silent_days = 10
channels = ["leaders"]
"##;

#[test]
fn alert_rules_and_channels_are_read() {
    let c = check(&format!("{VALID}{ALERTS}"), &[]).unwrap();
    assert_eq!(
        c.web.base_url.as_ref().map(|u| u.as_str()),
        Some("http://yuqing.example.org:8080/")
    );
    assert_eq!(c.channels.len(), 2);
    assert_eq!(c.channels[0].kind, yuqing_model::ChannelKind::Dingtalk);
    assert_eq!(
        c.channels[0].secret_env.as_deref(),
        Some("YUQING_DINGTALK_SECRET")
    );
    assert_eq!(c.channels[1].to, ["王主任 <wang@example.org>"]);
    let typical = &c.alerts[0];
    assert_eq!(typical.tags, [Tag::TypicalPerson, Tag::TypicalCase]);
    assert_eq!(typical.units, ["cast"]);
    assert_eq!(typical.min_score, 0.6);
    assert_eq!(typical.quiet_hours.unwrap().to_string(), "22:00-07:00");
    let spike = &c.alerts[1];
    assert_eq!(
        spike.watch,
        Some(yuqing_model::Watch::Topic("typical".into()))
    );
    assert_eq!(
        (
            spike.window_hours,
            spike.baseline_days,
            spike.sigma,
            spike.min_count
        ),
        (12, 7, 3.0, 4)
    );
    assert_eq!(c.alerts[2].silent_days, 10);
    assert_eq!(c.alerts[2].tags, Tag::ALL, "tags default to all three");
}

#[test]
fn alert_mistakes_are_all_reported_with_their_keys() {
    let text = format!(
        "{VALID}{}",
        r##"
[[channel]]
id = "wecom"
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
secret_env = "S"

[[channel]]
id = "slack"
kind = "slack"
url_env = "https://hooks.example.org/x"

[[alert]]
id = "a"
kind = "typical"
tags = ["hero"]
units = ["nobody"]
sigma = 2
channels = ["wecom", "pager"]
quiet_hours = "22-7"

[[alert]]
id = "b"
kind = "spike"
channels = []
"##
    );
    check(
        &text,
        &[
            "channel[0].url: webhook addresses and secrets are not read from the file: set url_env to the name of an environment variable",
            "channel[0].url_env: missing (required): the name of the environment variable holding the webhook URL",
            "channel[0].secret_env: wecom messages are not signed: secret_env applies to dingtalk and feishu",
            "channel[1].kind: unknown channel kind \"slack\": use one of wecom, dingtalk, feishu, webhook, email",
            "channel[1].url_env: \"https://hooks.example.org/x\" is not an environment variable name: give the name of the variable that holds the value (e.g. YUQING_DINGTALK_URL), never the value itself",
            "alert[0].sigma: sigma does not apply to a typical rule (it is for spike)",
            "alert[0].tags[0]: unknown tag \"hero\": use typical_person, typical_event or typical_case",
            "alert[0].units[0]: unknown unit \"nobody\": use the id of a [[unit]]",
            "alert[0].channels[1]: unknown channel \"pager\": use the id of a [[channel]]",
            "alert[0].quiet_hours: \"22-7\" is not a time range: write HH:MM-HH:MM, e.g. \"22:00-07:00\"",
            "alert[1].topic: missing: a topic or spike rule needs topic = \"<a [[topic]] id>\" or query = \"<search query>\"",
            "alert[1].channels: list at least one channel id: an alert nobody receives is not an alert",
        ],
    );
}
