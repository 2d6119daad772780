//! The record of alerts: each fires once per rule and key, and every delivery attempt to every
//! channel is kept (sent, failed with its error, or held for quiet hours).

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::{Result, Store};

/// What happened to one delivery attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Sent,
    Failed,
    /// Kept back for the rule's quiet hours.
    Held,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Held => "held",
        }
    }

    /// The Chinese label shown to staff.
    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "已发送",
            DeliveryStatus::Failed => "发送失败",
            DeliveryStatus::Held => "静默期暂缓",
        }
    }

    fn parse(s: &str) -> DeliveryStatus {
        match s {
            "sent" => DeliveryStatus::Sent,
            "held" => DeliveryStatus::Held,
            _ => DeliveryStatus::Failed,
        }
    }
}

/// One attempt to deliver an alert to a channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delivery {
    pub alert_id: i64,
    pub channel: String,
    pub at: String,
    pub status: DeliveryStatus,
    pub error: Option<String>,
}

/// An alert as recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredAlert {
    pub id: i64,
    pub rule: String,
    pub key: String,
    /// typical | topic | spike | silent
    pub kind: String,
    pub fired_at: String,
    pub title: String,
    /// The alert's content as the alert crate wrote it (JSON).
    pub payload: serde_json::Value,
    pub deliveries: Vec<Delivery>,
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Store {
    /// Whether `rule` has already fired for `key`.
    pub fn alert_fired(&self, rule: &str, key: &str) -> Result<bool> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM alerts WHERE rule = ?1 AND key = ?2")?;
        Ok(stmt.exists(params![rule, key])?)
    }

    /// Records a fired alert; `None` when the rule already fired for this key.
    pub fn record_alert(
        &mut self,
        rule: &str,
        key: &str,
        kind: &str,
        title: &str,
        payload: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO alerts (rule, key, kind, fired_at, fired_ts, title, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![rule, key, kind, stamp(at), at.timestamp(), title, payload.to_string()],
        )?;
        Ok((n == 1).then(|| self.conn.last_insert_rowid()))
    }

    /// Records one delivery attempt.
    pub fn record_delivery_attempt(
        &mut self,
        alert_id: i64,
        channel: &str,
        status: DeliveryStatus,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO alert_deliveries (alert_id, channel, at, at_ts, status, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![alert_id, channel, stamp(at), at.timestamp(), status.as_str(), error],
        )?;
        Ok(())
    }

    /// Alerts fired at or after `since`, newest first, each with its attempts (oldest first).
    pub fn alerts_since(&self, since: DateTime<Utc>, limit: usize) -> Result<Vec<StoredAlert>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, rule, key, kind, fired_at, title, payload FROM alerts WHERE fired_ts >= ?1 ORDER BY fired_ts DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![since.timestamp(), limit as i64], |r| {
            Ok(StoredAlert {
                id: r.get(0)?,
                rule: r.get(1)?,
                key: r.get(2)?,
                kind: r.get(3)?,
                fired_at: r.get(4)?,
                title: r.get(5)?,
                payload: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
                deliveries: Vec::new(),
            })
        })?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT channel, at, status, error FROM alert_deliveries WHERE alert_id = ?1 ORDER BY id",
        )?;
        for a in &mut out {
            let rows = stmt.query_map([a.id], |r| {
                Ok(Delivery {
                    alert_id: a.id,
                    channel: r.get(0)?,
                    at: r.get(1)?,
                    status: DeliveryStatus::parse(&r.get::<_, String>(2)?),
                    error: r.get(3)?,
                })
            })?;
            for d in rows {
                a.deliveries.push(d?);
            }
        }
        Ok(out)
    }

    /// Failed attempts at or after `since`, newest first.
    pub fn failed_deliveries_since(&self, since: DateTime<Utc>) -> Result<Vec<Delivery>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT alert_id, channel, at, error FROM alert_deliveries WHERE at_ts >= ?1 AND status = 'failed' ORDER BY at_ts DESC, id DESC",
        )?;
        let rows = stmt.query_map([since.timestamp()], |r| {
            Ok(Delivery {
                alert_id: r.get(0)?,
                channel: r.get(1)?,
                at: r.get(2)?,
                status: DeliveryStatus::Failed,
                error: r.get(3)?,
            })
        })?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?);
        }
        Ok(out)
    }

    /// Each channel's latest attempt that was not a hold (`(channel, delivery)`).
    pub fn channel_last_attempts(&self) -> Result<Vec<Delivery>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.alert_id, d.channel, d.at, d.status, d.error FROM alert_deliveries d
             WHERE d.id = (SELECT max(id) FROM alert_deliveries e WHERE e.channel = d.channel AND e.status != 'held')
             ORDER BY d.channel",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Delivery {
                alert_id: r.get(0)?,
                channel: r.get(1)?,
                at: r.get(2)?,
                status: DeliveryStatus::parse(&r.get::<_, String>(3)?),
                error: r.get(4)?,
            })
        })?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?);
        }
        Ok(out)
    }

    /// When any alert last fired (for `yuqing check` and the page).
    pub fn last_alert(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT fired_at FROM alerts ORDER BY fired_ts DESC, id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_fires_once_per_rule_and_key_and_keeps_its_attempts() {
        let mut s = Store::open_in_memory().unwrap();
        let t0 = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let payload = serde_json::json!({"title": "x"});
        let id = s
            .record_alert("typical", "story:7", "typical", "标题", &payload, t0)
            .unwrap()
            .expect("first time fires");
        assert!(s.alert_fired("typical", "story:7").unwrap());
        assert!(!s.alert_fired("other-rule", "story:7").unwrap());
        assert_eq!(
            s.record_alert("typical", "story:7", "typical", "标题", &payload, t0)
                .unwrap(),
            None,
            "the same story does not fire twice for one rule"
        );
        assert!(
            s.record_alert("other-rule", "story:7", "typical", "标题", &payload, t0)
                .unwrap()
                .is_some()
        );
        s.record_delivery_attempt(
            id,
            "ding",
            DeliveryStatus::Failed,
            Some("errcode 310000"),
            t0,
        )
        .unwrap();
        s.record_delivery_attempt(id, "ding", DeliveryStatus::Sent, None, t0)
            .unwrap();
        s.record_delivery_attempt(id, "mail", DeliveryStatus::Failed, Some("smtp down"), t0)
            .unwrap();
        let all = s.alerts_since(t0, 10).unwrap();
        assert_eq!(all.len(), 2);
        let a = all.iter().find(|a| a.id == id).unwrap();
        assert_eq!(a.payload, payload);
        let statuses: Vec<_> = a
            .deliveries
            .iter()
            .map(|d| (d.channel.as_str(), d.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("ding", DeliveryStatus::Failed),
                ("ding", DeliveryStatus::Sent),
                ("mail", DeliveryStatus::Failed)
            ]
        );
        assert_eq!(s.failed_deliveries_since(t0).unwrap().len(), 2);
        let last: Vec<_> = s
            .channel_last_attempts()
            .unwrap()
            .into_iter()
            .map(|d| (d.channel, d.status))
            .collect();
        assert_eq!(
            last,
            [
                ("ding".to_string(), DeliveryStatus::Sent),
                ("mail".to_string(), DeliveryStatus::Failed)
            ]
        );
        assert_eq!(
            s.last_alert().unwrap().as_deref(),
            Some("2026-12-01T08:00:00Z")
        );
    }
}
