//! Delivery on tokio's paused clock against a transport that answers as the test says.

use std::sync::Mutex;

use super::*;
use crate::Item;
use yuqing_model::{AlertKind, QuietHours, Tag};

#[derive(Default)]
struct Fake {
    /// answers to give, in order; when empty, success
    answers: Mutex<VecDeque<(u16, String)>>,
    posts: Mutex<Vec<(String, Value, Instant)>>,
    mails: Mutex<Vec<(Vec<String>, String)>>,
}

impl Transport for Fake {
    fn post_json<'a>(
        &'a self,
        url: &'a str,
        body: &'a Value,
    ) -> BoxFuture<'a, Result<(u16, String), String>> {
        self.posts
            .lock()
            .unwrap()
            .push((url.to_string(), body.clone(), Instant::now()));
        let answer = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or((200, r#"{"errcode":0,"errmsg":"ok"}"#.into()));
        Box::pin(async move { Ok(answer) })
    }

    fn send_mail<'a>(
        &'a self,
        to: &'a [String],
        subject: &'a str,
        _text: &'a str,
        _html: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        self.mails
            .lock()
            .unwrap()
            .push((to.to_vec(), subject.to_string()));
        Box::pin(async { Ok(()) })
    }
}

fn channel(id: &str, kind: ChannelKind) -> Resolved {
    Resolved {
        channel: Channel {
            id: id.into(),
            kind,
            url_env: Some("U".into()),
            secret_env: None,
            to: vec!["lead@example.org".into()],
        },
        url: Ok(format!("http://127.0.0.1:9/{id}")),
        secret: None,
    }
}

fn rule(channels: &[&str], quiet: Option<&str>) -> AlertRule {
    AlertRule {
        id: "typical".into(),
        kind: AlertKind::Typical,
        tags: Tag::ALL.to_vec(),
        units: Vec::new(),
        min_score: 0.0,
        watch: None,
        window_hours: 24,
        baseline_days: 14,
        sigma: 2.0,
        min_count: 5,
        silent_days: 14,
        channels: channels.iter().map(|c| c.to_string()).collect(),
        quiet_hours: quiet.and_then(QuietHours::parse),
    }
}

fn record(store: &mut Store, n: usize, at: DateTime<Utc>) {
    for i in 0..n {
        let a = Alert {
            rule: "typical".into(),
            kind: AlertKind::Typical,
            key: format!("story:{i}"),
            title: format!("【典型人】第{i}篇"),
            summary: String::new(),
            items: vec![Item {
                article_id: i as i64,
                title: format!("第{i}篇"),
                unit: "cast".into(),
                unit_name: "中国科协".into(),
                source: "s".into(),
                source_name: "要闻".into(),
                time: "2026-12-01 09:30".into(),
                tags: vec!["典型人".into()],
                evidence: "依据。".repeat(200),
                link: format!("http://h/articles/{i}"),
                size: 0,
            }],
        };
        store
            .record_alert(
                &a.rule,
                &a.key,
                "typical",
                &a.title,
                &serde_json::to_value(&a).unwrap(),
                at,
            )
            .unwrap();
    }
}

/// 2026-12-01 at `hour`:00 in Shanghai.
fn at(hour: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 12, 1, hour, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

const TZ: Tz = chrono_tz::Asia::Shanghai;

#[tokio::test(start_paused = true)]
async fn quiet_hours_hold_alerts_until_they_end_and_nothing_repeats() {
    let mut store = Store::open_in_memory().unwrap();
    record(&mut store, 2, at(23));
    let rules = [rule(&["ding"], Some("22:00-07:00"))];
    let channels = [channel("ding", ChannelKind::Dingtalk)];
    let fake = Fake::default();
    let mut limiter = Limiter::default();
    let s = Settings::default();
    let night = deliver(
        &mut store,
        &rules,
        &channels,
        &fake,
        &mut limiter,
        &s,
        TZ,
        at(23),
    )
    .await
    .unwrap();
    assert_eq!((night.held, night.sent), (2, 0));
    assert!(
        fake.posts.lock().unwrap().is_empty(),
        "nothing goes out at night"
    );
    // a second run in the night records no second hold
    deliver(
        &mut store,
        &rules,
        &channels,
        &fake,
        &mut limiter,
        &s,
        TZ,
        at(23) + chrono::Duration::hours(2),
    )
    .await
    .unwrap();
    let holds = store
        .alerts_since(at(0), 10)
        .unwrap()
        .iter()
        .flat_map(|a| a.deliveries.clone())
        .filter(|d| d.status == DeliveryStatus::Held)
        .count();
    assert_eq!(holds, 2);
    let morning = at(23) + chrono::Duration::hours(9);
    let day = deliver(
        &mut store,
        &rules,
        &channels,
        &fake,
        &mut limiter,
        &s,
        TZ,
        morning,
    )
    .await
    .unwrap();
    assert_eq!((day.held, day.sent, day.failed), (0, 2, 0));
    assert_eq!(
        fake.posts.lock().unwrap().len(),
        2,
        "two alerts, one message each"
    );
    let again = deliver(
        &mut store,
        &rules,
        &channels,
        &fake,
        &mut limiter,
        &s,
        TZ,
        morning,
    )
    .await
    .unwrap();
    assert_eq!(
        again.sent + again.failed + again.held,
        0,
        "a delivered alert is not sent again"
    );
    assert_eq!(fake.posts.lock().unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn failures_are_retried_with_backoff_and_every_attempt_is_recorded() {
    let mut store = Store::open_in_memory().unwrap();
    record(&mut store, 1, at(10));
    let rules = [rule(&["ding", "missing", "mail"], None)];
    let mut missing = channel("missing", ChannelKind::Wecom);
    missing.url = Err("environment variable YUQING_WECOM_URL is not set".into());
    let channels = [
        channel("ding", ChannelKind::Dingtalk),
        missing,
        channel("mail", ChannelKind::Email),
    ];
    let fake = Fake::default();
    fake.answers.lock().unwrap().extend([
        (
            200,
            r#"{"errcode":310000,"errmsg":"sign not match"}"#.to_string(),
        ),
        (502, "bad gateway".to_string()),
    ]);
    let start = Instant::now();
    let r = deliver(
        &mut store,
        &rules,
        &channels,
        &fake,
        &mut Limiter::default(),
        &Settings::default(),
        TZ,
        at(10),
    )
    .await
    .unwrap();
    assert_eq!(
        (r.sent, r.failed),
        (2, 1),
        "ding after two retries and mail sent; missing failed"
    );
    let posts = fake.posts.lock().unwrap();
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[1].2 - posts[0].2, Duration::from_secs(2));
    assert_eq!(
        posts[2].2 - posts[1].2,
        Duration::from_secs(4),
        "the wait doubles"
    );
    assert!(Instant::now() - start >= Duration::from_secs(6));
    assert_eq!(fake.mails.lock().unwrap()[0].0, ["lead@example.org"]);
    let stored = &store.alerts_since(at(0), 10).unwrap()[0];
    let trail: Vec<(&str, DeliveryStatus, Option<&str>)> = stored
        .deliveries
        .iter()
        .map(|d| (d.channel.as_str(), d.status, d.error.as_deref()))
        .collect();
    assert_eq!(
        trail,
        [
            (
                "ding",
                DeliveryStatus::Failed,
                Some("errcode 310000: sign not match")
            ),
            (
                "ding",
                DeliveryStatus::Failed,
                Some("HTTP 502: bad gateway")
            ),
            ("ding", DeliveryStatus::Sent, None),
            (
                "missing",
                DeliveryStatus::Failed,
                Some("environment variable YUQING_WECOM_URL is not set")
            ),
            ("mail", DeliveryStatus::Sent, None),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn at_most_twenty_messages_a_minute_per_channel() {
    let mut store = Store::open_in_memory().unwrap();
    // long alerts: a WeCom digest holds a few, so sixty make more than twenty messages
    record(&mut store, 60, at(10));
    let rules = [rule(&["wecom"], None)];
    let channels = [channel("wecom", ChannelKind::Wecom)];
    let fake = Fake::default();
    let r = deliver(
        &mut store,
        &rules,
        &channels,
        &fake,
        &mut Limiter::default(),
        &Settings::default(),
        TZ,
        at(10),
    )
    .await
    .unwrap();
    assert_eq!(r.sent, 60);
    let posts = fake.posts.lock().unwrap();
    assert!(posts.len() > 20, "{} messages", posts.len());
    for (_, body, _) in posts.iter() {
        assert!(body["markdown"]["content"].as_str().unwrap().len() <= 4096);
    }
    for w in posts.windows(21) {
        assert!(
            w[20].2 - w[0].2 >= Duration::from_secs(60),
            "21 messages inside a minute"
        );
    }
    assert_eq!(
        posts[20].2 - posts[0].2,
        Duration::from_secs(60),
        "the 21st waits for the minute"
    );
}
