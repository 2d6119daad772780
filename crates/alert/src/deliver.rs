//! The engine: rules fired into the store once per key, pending alerts delivered to their
//! channels, every attempt recorded.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;
use yuqing_model::{AlertRule, Channel, ChannelKind};
use yuqing_store::{DeliveryStatus, Store};

use crate::render::{self, Message};
use crate::rules::{self, Context};
use crate::{Alert, AlertError};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How messages leave the process; the binary wires the HTTP client and the mailer.
pub trait Transport: Send + Sync {
    /// POSTs `body` as JSON; the answer's status and text.
    fn post_json<'a>(
        &'a self,
        url: &'a str,
        body: &'a Value,
    ) -> BoxFuture<'a, Result<(u16, String), String>>;
    /// Sends one e-mail through `[mail]`.
    fn send_mail<'a>(
        &'a self,
        to: &'a [String],
        subject: &'a str,
        text: &'a str,
        html: &'a str,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// A channel with its address and secret read from the environment by the caller.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub channel: Channel,
    /// The webhook URL, or why it is missing (an unset variable); unused for e-mail.
    pub url: Result<String, String>,
    pub secret: Option<String>,
}

impl Resolved {
    /// Reads the channel's variables through `env` (`std::env::var` in the binary).
    pub fn from_env(channel: &Channel, env: impl Fn(&str) -> Option<String>) -> Resolved {
        let url = match (&channel.url_env, channel.kind) {
            (_, ChannelKind::Email) => Ok(String::new()),
            (Some(name), _) => env(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                format!(
                    "environment variable {name} is not set: export it with the {} webhook address before starting yuqing",
                    channel.kind.label()
                )
            }),
            (None, _) => Err("no url_env configured".to_string()),
        };
        let secret = channel
            .secret_env
            .as_ref()
            .and_then(|n| env(n))
            .filter(|v| !v.trim().is_empty());
        Resolved {
            channel: channel.clone(),
            url,
            secret,
        }
    }
}

/// Delivery limits.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Attempts per message in one run.
    pub attempts: u32,
    /// The wait before the second attempt; doubled after each failure.
    pub backoff: Duration,
    /// Messages per minute per channel (the platforms allow 20).
    pub per_minute: usize,
    /// Failed attempts after which an alert is no longer tried on a channel.
    pub give_up_after: usize,
    /// How old an alert may be and still be delivered.
    pub keep_hours: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            attempts: 3,
            backoff: Duration::from_secs(2),
            per_minute: 20,
            give_up_after: 9,
            keep_hours: 72,
        }
    }
}

/// At most `per_minute` messages in any 60 seconds per channel, on tokio's clock (so that
/// tests can pause it).
#[derive(Debug, Default)]
pub struct Limiter {
    sent: HashMap<String, VecDeque<Instant>>,
}

impl Limiter {
    /// Waits until `channel` may send again, then counts one message.
    pub async fn wait(&mut self, channel: &str, per_minute: usize) {
        let window = Duration::from_secs(60);
        let q = self.sent.entry(channel.to_string()).or_default();
        loop {
            let now = Instant::now();
            while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
                q.pop_front();
            }
            if q.len() < per_minute.max(1) {
                break;
            }
            let until = q[0] + window;
            tracing::info!(channel, "20 messages this minute: waiting before the next");
            tokio::time::sleep_until(until).await;
        }
        q.push_back(Instant::now());
    }
}

/// One alert that fired in this run.
#[derive(Clone, Debug, Serialize)]
pub struct Fired {
    /// The store's id (0 in a dry run).
    pub id: i64,
    pub alert: Alert,
    pub channels: Vec<String>,
}

/// Evaluates every rule and records the alerts not fired before (nothing is recorded in a dry
/// run).
pub fn fire(
    store: &mut Store,
    rules: &[AlertRule],
    ctx: &Context<'_>,
    dry_run: bool,
) -> Result<Vec<Fired>, AlertError> {
    let mut out = Vec::new();
    for rule in rules {
        for alert in rules::evaluate(rule, ctx) {
            if store.alert_fired(&alert.rule, &alert.key)? {
                continue;
            }
            let id = if dry_run {
                0
            } else {
                let payload = serde_json::to_value(&alert).unwrap_or_default();
                match store.record_alert(
                    &alert.rule,
                    &alert.key,
                    alert.kind.as_str(),
                    &alert.title,
                    &payload,
                    ctx.now,
                )? {
                    Some(id) => id,
                    None => continue,
                }
            };
            out.push(Fired {
                id,
                alert,
                channels: rule.channels.clone(),
            });
        }
    }
    Ok(out)
}

/// One send of one message to one channel.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    pub channel: String,
    /// The store ids of the alerts the message carried.
    pub alerts: Vec<i64>,
    pub title: String,
    pub status: DeliveryStatus,
    pub error: Option<String>,
}

/// What a delivery run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Delivered {
    pub attempts: Vec<Attempt>,
    /// (alert, channel) pairs delivered.
    pub sent: usize,
    /// (alert, channel) pairs that failed every attempt of this run.
    pub failed: usize,
    /// (alert, channel) pairs held for quiet hours.
    pub held: usize,
}

fn local_minute(now: DateTime<Utc>, tz: Tz) -> u32 {
    let t = now.with_timezone(&tz);
    t.hour() * 60 + t.minute()
}

/// Sends every pending alert: fired within `keep_hours`, not yet delivered to a channel of its
/// rule, not given up on. Alerts whose rule is in its quiet hours are held (recorded once) and
/// go out at the first run after.
#[allow(clippy::too_many_arguments)]
pub async fn deliver(
    store: &mut Store,
    rules: &[AlertRule],
    channels: &[Resolved],
    transport: &dyn Transport,
    limiter: &mut Limiter,
    settings: &Settings,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Delivered, AlertError> {
    let mut report = Delivered::default();
    let recent = store.alerts_since(now - chrono::Duration::hours(settings.keep_hours), 2000)?;
    let minute = local_minute(now, tz);
    // per channel: (store id, alert), oldest first
    let mut queues: HashMap<&str, Vec<(i64, Alert)>> = HashMap::new();
    for stored in recent.iter().rev() {
        let Some(rule) = rules.iter().find(|r| r.id == stored.rule) else {
            continue;
        };
        let Ok(alert) = serde_json::from_value::<Alert>(stored.payload.clone()) else {
            tracing::warn!(
                alert = stored.id,
                "an alert's record cannot be read: skipped"
            );
            continue;
        };
        for ch in &rule.channels {
            let of_channel = stored.deliveries.iter().filter(|d| &d.channel == ch);
            let (mut sent, mut failed, mut held) = (false, 0, false);
            for d in of_channel {
                match d.status {
                    DeliveryStatus::Sent => sent = true,
                    DeliveryStatus::Failed => failed += 1,
                    DeliveryStatus::Held => held = true,
                }
            }
            if sent || failed >= settings.give_up_after {
                continue;
            }
            if rule.quiet_hours.is_some_and(|q| q.contains(minute)) {
                if !held {
                    store.record_delivery_attempt(
                        stored.id,
                        ch,
                        DeliveryStatus::Held,
                        None,
                        Utc::now(),
                    )?;
                }
                report.held += 1;
                continue;
            }
            queues
                .entry(ch.as_str())
                .or_default()
                .push((stored.id, alert.clone()));
        }
    }
    for resolved in channels {
        let Some(queue) = queues.remove(resolved.channel.id.as_str()) else {
            continue;
        };
        let alerts: Vec<&Alert> = queue.iter().map(|(_, a)| a).collect();
        for m in render::messages(resolved.channel.kind, &alerts) {
            let ids: Vec<i64> = m.alerts.iter().map(|&i| queue[i].0).collect();
            let outcome = send_message(
                store,
                resolved,
                transport,
                limiter,
                settings,
                &m,
                &alerts,
                &ids,
                &mut report,
            )
            .await?;
            if outcome {
                report.sent += ids.len();
            } else {
                report.failed += ids.len();
            }
        }
    }
    Ok(report)
}

/// Sends one message with retries; records every attempt for every alert it carries.
#[allow(clippy::too_many_arguments)]
async fn send_message(
    store: &mut Store,
    resolved: &Resolved,
    transport: &dyn Transport,
    limiter: &mut Limiter,
    settings: &Settings,
    m: &Message,
    alerts: &[&Alert],
    ids: &[i64],
    report: &mut Delivered,
) -> Result<bool, AlertError> {
    let channel = &resolved.channel;
    let mut wait = settings.backoff;
    let attempts = if resolved.url.is_err() {
        1
    } else {
        settings.attempts.max(1)
    };
    for attempt in 1..=attempts {
        let result = match &resolved.url {
            Err(why) => Err(why.clone()),
            Ok(url) => {
                limiter.wait(&channel.id, settings.per_minute).await;
                send_once(resolved, url, transport, m, alerts).await
            }
        };
        let (status, error) = match &result {
            Ok(()) => (DeliveryStatus::Sent, None),
            Err(e) => (DeliveryStatus::Failed, Some(e.clone())),
        };
        let at = Utc::now();
        for &id in ids {
            store.record_delivery_attempt(id, &channel.id, status, error.as_deref(), at)?;
        }
        report.attempts.push(Attempt {
            channel: channel.id.clone(),
            alerts: ids.to_vec(),
            title: m.title.clone(),
            status,
            error: error.clone(),
        });
        match result {
            Ok(()) => return Ok(true),
            Err(e) => {
                tracing::warn!(channel = %channel.id, attempt, error = %e, "alert delivery failed");
                if attempt < attempts {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
    }
    Ok(false)
}

async fn send_once(
    resolved: &Resolved,
    url: &str,
    transport: &dyn Transport,
    m: &Message,
    alerts: &[&Alert],
) -> Result<(), String> {
    let kind = resolved.channel.kind;
    if kind == ChannelKind::Email {
        let (subject, text, html) = render::email(m, alerts);
        return transport
            .send_mail(&resolved.channel.to, &subject, &text, &html)
            .await;
    }
    let (url, body) = render::request(kind, url, resolved.secret.as_deref(), m, alerts, Utc::now());
    let (status, answer) = transport.post_json(&url, &body).await?;
    render::check_answer(kind, status, &answer)
}

/// Sends a test message to one channel (`yuqing alerts test`); nothing is recorded.
pub async fn test_channel(
    resolved: &Resolved,
    transport: &dyn Transport,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<(), String> {
    let alert = Alert {
        rule: "test".into(),
        kind: yuqing_model::AlertKind::Typical,
        key: format!("test:{}", now.timestamp()),
        title: format!("【测试】yuqing 预警通道 {} 已接通", resolved.channel.id),
        summary: format!(
            "这是一条测试消息（{} {}），收到即说明{}通道配置正确。",
            now.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
            tz.name(),
            resolved.channel.kind.label()
        ),
        items: Vec::new(),
    };
    let url = resolved.url.clone()?;
    let m = render::messages(resolved.channel.kind, &[&alert]).remove(0);
    send_once(resolved, &url, transport, &m, &[&alert]).await
}

#[cfg(test)]
mod tests;
