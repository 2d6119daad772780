//! Alerts as each platform shows them. Scraped text is neutralised rather than escaped (the
//! platforms' markdown dialects disagree on backslashes): characters that could open a link,
//! emphasis, a heading, a tag or a mention become their full-width forms, line breaks spaces.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use yuqing_model::{AlertKind, ChannelKind};

use crate::{Alert, sign};

/// More alerts than this for one channel in one run go out as a digest.
pub const DIGEST_AFTER: usize = 3;

/// The most bytes of text one message may carry on the platform.
pub fn limit(kind: ChannelKind) -> usize {
    match kind {
        // WeCom group robot: markdown content at most 4,096 bytes (UTF-8)
        ChannelKind::Wecom => 4096,
        // DingTalk and Feishu accept about 20 KB per message
        ChannelKind::Dingtalk | ChannelKind::Feishu => 18_000,
        ChannelKind::Webhook | ChannelKind::Email => 1_000_000,
    }
}

/// Scraped text made inert for markdown and HTML.
pub fn neutralise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '*' => out.push('＊'),
            '_' => out.push('＿'),
            '[' => out.push('［'),
            ']' => out.push('］'),
            '(' => out.push('（'),
            ')' => out.push('）'),
            '#' => out.push('＃'),
            '`' => out.push('｀'),
            '<' => out.push('＜'),
            '>' => out.push('＞'),
            '~' => out.push('～'),
            '|' => out.push('｜'),
            '\\' => out.push('＼'),
            '@' => out.push('＠'),
            '&' => out.push('＆'),
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A link target safe inside `(...)`.
fn target(url: &str) -> String {
    url.replace('(', "%28")
        .replace(')', "%29")
        .replace(' ', "%20")
}

/// One alert in markdown.
pub fn block(a: &Alert) -> String {
    let mut lines = vec![format!("**{}**", neutralise(&a.title))];
    lines.push(format!(
        "> 规则 {} · {}",
        neutralise(&a.rule),
        a.kind.label()
    ));
    if !a.summary.is_empty() {
        lines.push(neutralise(&a.summary));
    }
    match a.kind {
        AlertKind::Spike => {
            for (i, it) in a.items.iter().enumerate() {
                lines.push(format!(
                    "{}. [{}]({})（{}，{} 篇）",
                    i + 1,
                    neutralise(&it.title),
                    target(&it.link),
                    neutralise(&it.unit_name),
                    it.size
                ));
            }
        }
        _ => {
            for it in &a.items {
                lines.push(format!(
                    "**单位**：{} ｜ **来源**：{} ｜ **时间**：{}",
                    neutralise(&it.unit_name),
                    neutralise(&it.source_name),
                    it.time
                ));
                if !it.evidence.is_empty() {
                    lines.push(format!("**依据**：{}", neutralise(&it.evidence)));
                }
                lines.push(format!("[查看文章]({})", target(&it.link)));
            }
        }
    }
    lines.join("\n\n")
}

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut.
fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    const MARK: &str = "…（内容过长，已截断）";
    let mut end = max.saturating_sub(MARK.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{MARK}", &s[..end])
}

/// One message to send: its title, its markdown text and which alerts it carries.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub title: String,
    pub text: String,
    /// Indices into the alerts given to [`messages`].
    pub alerts: Vec<usize>,
}

/// The messages for one channel: one per alert, or for more than [`DIGEST_AFTER`] a digest
/// split at the platform's limit.
pub fn messages(kind: ChannelKind, alerts: &[&Alert]) -> Vec<Message> {
    let max = limit(kind);
    if alerts.len() <= DIGEST_AFTER {
        return alerts
            .iter()
            .enumerate()
            .map(|(i, a)| Message {
                title: truncate(&a.title, 120),
                text: truncate(&block(a), max),
                alerts: vec![i],
            })
            .collect();
    }
    let head = |n: usize| format!("**舆情预警汇总（{n} 条）**");
    let sep = "\n\n---\n\n";
    let mut out: Vec<Message> = Vec::new();
    let mut text = head(alerts.len());
    let mut carried = Vec::new();
    for (i, a) in alerts.iter().enumerate() {
        let b = truncate(&block(a), max - head(alerts.len()).len() - sep.len());
        if !carried.is_empty() && text.len() + sep.len() + b.len() > max {
            out.push(Message {
                title: String::new(),
                text: std::mem::replace(&mut text, head(alerts.len())),
                alerts: std::mem::take(&mut carried),
            });
        }
        text.push_str(sep);
        text.push_str(&b);
        carried.push(i);
    }
    out.push(Message {
        title: String::new(),
        text,
        alerts: carried,
    });
    let parts = out.len();
    for (n, m) in out.iter_mut().enumerate() {
        m.title = if parts == 1 {
            format!("舆情预警汇总（{} 条）", alerts.len())
        } else {
            format!(
                "舆情预警汇总（{} 条，第 {}/{parts} 部分）",
                alerts.len(),
                n + 1
            )
        };
    }
    out
}

/// What is posted: the address (DingTalk signs in the URL) and the JSON body.
pub fn request(
    kind: ChannelKind,
    url: &str,
    secret: Option<&str>,
    m: &Message,
    alerts: &[&Alert],
    now: DateTime<Utc>,
) -> (String, Value) {
    match kind {
        ChannelKind::Wecom => (
            url.to_string(),
            json!({"msgtype": "markdown", "markdown": {"content": m.text}}),
        ),
        ChannelKind::Dingtalk => {
            let url = match secret {
                Some(s) => sign::dingtalk_url(url, s, now.timestamp_millis()),
                None => url.to_string(),
            };
            (
                url,
                json!({"msgtype": "markdown", "markdown": {"title": m.title, "text": m.text}}),
            )
        }
        ChannelKind::Feishu => {
            let mut body = json!({
                "msg_type": "interactive",
                "card": {
                    "header": {"title": {"tag": "plain_text", "content": m.title}, "template": "red"},
                    "elements": [{"tag": "markdown", "content": m.text}],
                },
            });
            if let Some(s) = secret {
                let ts = now.timestamp();
                body["timestamp"] = json!(ts.to_string());
                body["sign"] = json!(sign::feishu_sign(ts, s));
            }
            (url.to_string(), body)
        }
        ChannelKind::Webhook | ChannelKind::Email => (
            url.to_string(),
            json!({
                "source": "yuqing",
                "title": m.title,
                "text": m.text,
                "alerts": m.alerts.iter().map(|&i| alerts[i]).collect::<Vec<_>>(),
            }),
        ),
    }
}

/// Reads a platform's answer: a 2xx whose error code (if the platform has one) is zero.
pub fn check_answer(kind: ChannelKind, status: u16, body: &str) -> Result<(), String> {
    let short: String = body.chars().take(200).collect();
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}: {}", short.trim()));
    }
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let code = |v: &Value, code: &str, msg: &str| -> Result<(), String> {
        match v.get(code).and_then(Value::as_i64) {
            Some(0) | None => Ok(()),
            Some(c) => Err(format!(
                "{code} {c}: {}",
                v.get(msg).and_then(Value::as_str).unwrap_or("")
            )),
        }
    };
    match (kind, parsed) {
        (ChannelKind::Wecom | ChannelKind::Dingtalk, Some(v)) => {
            if v.get("errcode").is_none() {
                return Err(format!("unexpected answer (no errcode): {short}"));
            }
            code(&v, "errcode", "errmsg")
        }
        (ChannelKind::Feishu, Some(v)) => {
            // current answers carry code/msg, older ones StatusCode/StatusMessage
            if v.get("code").is_some() {
                code(&v, "code", "msg")
            } else if v.get("StatusCode").is_some() {
                code(&v, "StatusCode", "StatusMessage")
            } else {
                Err(format!("unexpected answer (no code): {short}"))
            }
        }
        (ChannelKind::Wecom | ChannelKind::Dingtalk | ChannelKind::Feishu, None) => {
            Err(format!("the answer is not JSON: {short}"))
        }
        (ChannelKind::Webhook | ChannelKind::Email, _) => Ok(()),
    }
}

/// An alert message as an e-mail: subject, plain text and HTML.
pub fn email(m: &Message, alerts: &[&Alert]) -> (String, String, String) {
    let subject = format!("【舆情预警】{}", m.title);
    let esc = yuqing_model::html::escape;
    let mut html = String::from("<div style=\"font-family:sans-serif\">");
    let mut text = String::new();
    for &i in &m.alerts {
        let a = alerts[i];
        html.push_str(&format!(
            "<h3>{}</h3><p>规则 {} · {}</p>",
            esc(&a.title),
            esc(&a.rule),
            a.kind.label()
        ));
        text.push_str(&format!(
            "{}\n规则 {} · {}\n",
            a.title,
            a.rule,
            a.kind.label()
        ));
        if !a.summary.is_empty() {
            html.push_str(&format!("<p>{}</p>", esc(&a.summary)));
            text.push_str(&format!("{}\n", a.summary));
        }
        for it in &a.items {
            html.push_str(&format!(
                "<p><a href=\"{}\">{}</a><br>{} ｜ {} ｜ {}{}</p>",
                esc(&it.link),
                esc(&it.title),
                esc(&it.unit_name),
                esc(&it.source_name),
                esc(&it.time),
                if it.evidence.is_empty() {
                    String::new()
                } else {
                    format!("<br>依据：{}", esc(&it.evidence))
                }
            ));
            text.push_str(&format!(
                "- {}（{}，{}，{}）{}\n  {}\n",
                it.title,
                it.unit_name,
                it.source_name,
                it.time,
                if it.evidence.is_empty() {
                    String::new()
                } else {
                    format!(" 依据：{}", it.evidence)
                },
                it.link
            ));
        }
        text.push('\n');
    }
    html.push_str("</div>");
    (subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Item;

    fn alert(title: &str, evidence: &str) -> Alert {
        Alert {
            rule: "typical".into(),
            kind: AlertKind::Typical,
            key: "story:1".into(),
            title: format!("【典型人】{title}"),
            summary: String::new(),
            items: vec![Item {
                article_id: 1,
                title: title.into(),
                unit: "cast".into(),
                unit_name: "中国科协".into(),
                source: "cast-news".into(),
                source_name: "科协要闻".into(),
                time: "2026-12-01 09:30".into(),
                tags: vec!["典型人".into()],
                evidence: evidence.into(),
                link: "http://yuqing.example.org/articles/1".into(),
                size: 0,
            }],
        }
    }

    #[test]
    fn scraped_text_cannot_open_links_or_tags() {
        let a = alert(
            "[点我](http://evil.example/) <font color=\"warning\">**急**</font> @all",
            "第一行\n# 标题",
        );
        let b = block(&a);
        assert!(!b.contains("[点我]"), "{b}");
        assert!(!b.contains("<font"), "{b}");
        assert!(!b.contains("@all"), "{b}");
        assert!(!b.contains("\n# "), "{b}");
        assert!(b.contains("［点我］（http://evil.example/）"), "{b}");
        // the product's own link stays a link
        assert!(
            b.contains("[查看文章](http://yuqing.example.org/articles/1)"),
            "{b}"
        );
        assert!(b.contains("**依据**：第一行 ＃ 标题"), "{b}");
    }

    #[test]
    fn many_alerts_become_a_digest_split_at_the_wecom_limit() {
        let long = "很长的依据句子。".repeat(60);
        let alerts: Vec<Alert> = (0..12).map(|i| alert(&format!("第{i}篇"), &long)).collect();
        let refs: Vec<&Alert> = alerts.iter().collect();
        let ms = messages(ChannelKind::Wecom, &refs);
        assert!(
            ms.len() > 1,
            "twelve long alerts do not fit one WeCom message"
        );
        for m in &ms {
            assert!(m.text.len() <= 4096, "{} bytes", m.text.len());
            assert!(
                m.title.contains("第") && m.title.contains("部分"),
                "{}",
                m.title
            );
        }
        let carried: Vec<usize> = ms.iter().flat_map(|m| m.alerts.clone()).collect();
        assert_eq!(
            carried,
            (0..12).collect::<Vec<_>>(),
            "every alert once, in order"
        );
        // a few alerts go one by one; one too long for WeCom is cut with a mark
        let huge = alert("长", &"字".repeat(3000));
        let ms = messages(ChannelKind::Wecom, &[&huge]);
        assert_eq!(ms.len(), 1);
        assert!(ms[0].text.len() <= 4096 && ms[0].text.ends_with("已截断）"));
        assert_eq!(
            messages(ChannelKind::Dingtalk, &[&huge])[0].text,
            block(&huge)
        );
    }

    #[test]
    fn answers_with_error_codes_are_failures() {
        use ChannelKind::*;
        assert!(check_answer(Wecom, 200, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert_eq!(
            check_answer(
                Dingtalk,
                200,
                r#"{"errcode":310000,"errmsg":"sign not match"}"#
            ),
            Err("errcode 310000: sign not match".into())
        );
        assert_eq!(
            check_answer(
                Feishu,
                200,
                r#"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time","data":{}}"#
            ),
            Err(
                "code 19021: sign match fail or timestamp is not within one hour from current time"
                    .into()
            )
        );
        assert!(check_answer(Feishu, 200, r#"{"StatusCode":0,"StatusMessage":"success"}"#).is_ok());
        assert!(check_answer(Feishu, 200, "<html>").is_err());
        assert!(check_answer(Webhook, 204, "").is_ok());
        assert_eq!(
            check_answer(Webhook, 502, "bad gateway"),
            Err("HTTP 502: bad gateway".into())
        );
    }

    #[test]
    fn requests_carry_each_platforms_fields() {
        let a = alert("标题", "");
        let m = &messages(ChannelKind::Feishu, &[&a])[0];
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let (_, body) = request(ChannelKind::Feishu, "http://h/f", Some("s"), m, &[&a], now);
        assert_eq!(body["timestamp"], "1700000000");
        assert_eq!(body["sign"], sign::feishu_sign(1_700_000_000, "s"));
        assert_eq!(body["msg_type"], "interactive");
        let (url, body) = request(
            ChannelKind::Dingtalk,
            "http://h/d?access_token=x",
            Some("s"),
            m,
            &[&a],
            now,
        );
        assert!(url.starts_with("http://h/d?access_token=x&timestamp=1700000000000&sign="));
        assert_eq!(body["markdown"]["title"], m.title);
        let (url, body) = request(ChannelKind::Webhook, "http://h/w", None, m, &[&a], now);
        assert_eq!(url, "http://h/w");
        assert_eq!(body["alerts"][0]["key"], "story:1");
    }
}
