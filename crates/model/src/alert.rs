//! Alerts (预警): the rules that fire and the channels that carry them.

use serde::{Deserialize, Serialize};

use crate::Tag;

/// Where an alert is pushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// WeCom (企业微信) group robot.
    Wecom,
    /// DingTalk (钉钉) custom robot.
    Dingtalk,
    /// Feishu (飞书) custom bot.
    Feishu,
    /// A plain JSON POST of the alert.
    Webhook,
    /// E-mail through `[mail]`.
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::Wecom,
        ChannelKind::Dingtalk,
        ChannelKind::Feishu,
        ChannelKind::Webhook,
        ChannelKind::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Wecom => "wecom",
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Feishu => "feishu",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Email => "email",
        }
    }

    /// The name staff know the platform by.
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Wecom => "企业微信",
            ChannelKind::Dingtalk => "钉钉",
            ChannelKind::Feishu => "飞书",
            ChannelKind::Webhook => "Webhook",
            ChannelKind::Email => "邮件",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the platform signs its webhook calls with a shared secret.
    pub fn signs(self) -> bool {
        matches!(self, ChannelKind::Dingtalk | ChannelKind::Feishu)
    }
}

/// One `[[channel]]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Channel {
    pub id: String,
    pub kind: ChannelKind,
    /// The environment variable holding the webhook URL (every kind but e-mail).
    pub url_env: Option<String>,
    /// The environment variable holding the signing secret (DingTalk, Feishu; optional).
    pub secret_env: Option<String>,
    /// E-mail recipients (kind = email); the sender and server come from `[mail]`.
    pub to: Vec<String>,
}

/// What an alert rule watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    /// A new article with a typical tag.
    Typical,
    /// A new article on a topic or matching a query.
    Topic,
    /// More articles on a topic or query in a window than its baseline explains.
    Spike,
    /// A unit that has published nothing for a while.
    Silent,
}

impl AlertKind {
    pub const ALL: [AlertKind; 4] = [
        AlertKind::Typical,
        AlertKind::Topic,
        AlertKind::Spike,
        AlertKind::Silent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Typical => "typical",
            AlertKind::Topic => "topic",
            AlertKind::Spike => "spike",
            AlertKind::Silent => "silent",
        }
    }

    /// The Chinese label shown in messages and on the page.
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::Typical => "典型发现",
            AlertKind::Topic => "专题动态",
            AlertKind::Spike => "声量突增",
            AlertKind::Silent => "单位沉默",
        }
    }

    pub fn parse(s: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Minutes since midnight, start inclusive and end exclusive; a range may wrap midnight
/// (`22:00-07:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct QuietHours {
    pub start: u32,
    pub end: u32,
}

impl QuietHours {
    /// Reads `HH:MM-HH:MM`.
    pub fn parse(s: &str) -> Option<QuietHours> {
        let (a, b) = s.trim().split_once('-')?;
        let minutes = |t: &str| -> Option<u32> {
            let (h, m) = t.trim().split_once(':')?;
            if h.is_empty() || h.len() > 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        let (start, end) = (minutes(a)?, minutes(b)?);
        (start != end).then_some(QuietHours { start, end })
    }

    /// Whether a local time of day (minutes since midnight) falls in the quiet period.
    pub fn contains(&self, minute: u32) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }

    /// Minutes from `minute` until the quiet period ends (0 when outside it).
    pub fn minutes_left(&self, minute: u32) -> u32 {
        if !self.contains(minute) {
            return 0;
        }
        (self.end + 24 * 60 - minute) % (24 * 60)
    }
}

impl std::fmt::Display for QuietHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// What a topic or spike rule counts: a configured topic or a search query.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Watch {
    Topic(String),
    Query(String),
}

/// One `[[alert]]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertRule {
    pub id: String,
    pub kind: AlertKind,
    /// typical: the tags that fire (default all three).
    pub tags: Vec<Tag>,
    /// Unit ids; empty means every unit.
    pub units: Vec<String>,
    /// typical / topic: the least tag score that fires.
    pub min_score: f64,
    /// topic / spike: what is counted.
    pub watch: Option<Watch>,
    /// spike: the window compared, in hours.
    pub window_hours: u32,
    /// spike: how many earlier days give the baseline.
    pub baseline_days: u32,
    /// spike: fire when count > mean + sigma × sd …
    pub sigma: f64,
    /// … and count ≥ min_count.
    pub min_count: u32,
    /// silent: days without an article before a unit is reported.
    pub silent_days: u32,
    pub channels: Vec<String>,
    pub quiet_hours: Option<QuietHours>,
}

impl AlertRule {
    /// Whether a unit is watched by this rule.
    pub fn covers_unit(&self, unit: &str) -> bool {
        self.units.is_empty() || self.units.iter().any(|u| u == unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_parse_and_wrap_midnight() {
        let q = QuietHours::parse("22:00-07:00").unwrap();
        assert_eq!((q.start, q.end), (22 * 60, 7 * 60));
        assert!(q.contains(23 * 60));
        assert!(q.contains(0));
        assert!(q.contains(6 * 60 + 59));
        assert!(!q.contains(7 * 60));
        assert!(!q.contains(12 * 60));
        assert_eq!(q.minutes_left(23 * 60), 8 * 60);
        assert_eq!(q.minutes_left(12 * 60), 0);
        assert_eq!(q.to_string(), "22:00-07:00");
        let day = QuietHours::parse("12:00-13:30").unwrap();
        assert!(day.contains(12 * 60 + 15) && !day.contains(13 * 60 + 30));
        for bad in [
            "",
            "22:00",
            "25:00-07:00",
            "22:00-07:60",
            "7-8",
            "08:00-08:00",
            "a:bc-d",
        ] {
            assert!(QuietHours::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(k.as_str()), Some(k));
        }
        for k in AlertKind::ALL {
            assert_eq!(AlertKind::parse(k.as_str()), Some(k));
        }
        assert!(ChannelKind::parse("slack").is_none());
    }
}
