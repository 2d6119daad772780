//! `[[channel]]` and `[[alert]]`: where alerts go and what makes them fire.

use std::collections::HashSet;

use yuqing_model::{AlertKind, AlertRule, Channel, ChannelKind, QuietHours, Tag, Watch};

use crate::reader::{Problems, Tbl};
use crate::{read_id, valid_env_name, valid_mailbox};

pub(crate) fn read_channel(mut t: Tbl<'_>, p: &mut Problems) -> Option<Channel> {
    let id = read_id(&mut t, p);
    let kind = t.required_string(p, "kind").and_then(|k| {
        ChannelKind::parse(&k).or_else(|| {
            p.push(
                t.key("kind"),
                format!(
                    "unknown channel kind \"{k}\": use one of {}",
                    ChannelKind::ALL.map(|k| k.as_str()).join(", ")
                ),
            );
            None
        })
    });
    let mut env = |t: &mut Tbl<'_>, key: &'static str| -> Option<String> {
        let name = t.opt_string(p, key)?;
        if valid_env_name(&name) {
            Some(name)
        } else {
            p.push(
                t.key(key),
                format!(
                    "\"{name}\" is not an environment variable name: give the name of the variable that holds the value (e.g. YUQING_DINGTALK_URL), never the value itself"
                ),
            );
            None
        }
    };
    let url_env = env(&mut t, "url_env");
    let secret_env = env(&mut t, "secret_env");
    let to = t.strings(p, "to").unwrap_or_default();
    for key in ["url", "secret"] {
        if t.has(key) {
            let _ = t.string(p, key);
            p.push(
                t.key(key),
                format!("webhook addresses and secrets are not read from the file: set {key}_env to the name of an environment variable"),
            );
        }
    }
    if let Some(kind) = kind {
        if kind == ChannelKind::Email {
            if to.is_empty() {
                p.push(t.key("to"), "an email channel needs at least one recipient");
            }
            if url_env.is_some() {
                p.push(
                    t.key("url_env"),
                    "an email channel has no URL: remove url_env (the server comes from [mail])",
                );
            }
        } else {
            if url_env.is_none() && !t.has("url_env") {
                p.push(
                    t.key("url_env"),
                    "missing (required): the name of the environment variable holding the webhook URL",
                );
            }
            if !to.is_empty() {
                p.push(t.key("to"), "only email channels have recipients");
            }
        }
        if secret_env.is_some() && !kind.signs() {
            p.push(
                t.key("secret_env"),
                format!(
                    "{} messages are not signed: secret_env applies to dingtalk and feishu",
                    kind.as_str()
                ),
            );
        }
    }
    for (i, a) in to.iter().enumerate() {
        if !valid_mailbox(a) {
            p.push(
                format!("{}[{i}]", t.key("to")),
                format!("\"{a}\" is not an e-mail address"),
            );
        }
    }
    t.finish(p);
    Some(Channel {
        id: id?,
        kind: kind?,
        url_env,
        secret_env,
        to,
    })
}

/// Which keys apply to which kinds; a key given for another kind is a mistake worth naming.
const ONLY: &[(&str, &[AlertKind])] = &[
    ("tags", &[AlertKind::Typical]),
    ("min_score", &[AlertKind::Typical, AlertKind::Topic]),
    ("topic", &[AlertKind::Topic, AlertKind::Spike]),
    ("query", &[AlertKind::Topic, AlertKind::Spike]),
    ("window_hours", &[AlertKind::Spike]),
    ("baseline_days", &[AlertKind::Spike]),
    ("sigma", &[AlertKind::Spike]),
    ("min_count", &[AlertKind::Spike]),
    ("silent_days", &[AlertKind::Silent]),
];

pub(crate) struct Known<'a> {
    pub units: &'a HashSet<&'a str>,
    pub topics: &'a HashSet<&'a str>,
    pub channels: &'a HashSet<&'a str>,
}

pub(crate) fn read_alert(mut t: Tbl<'_>, known: &Known<'_>, p: &mut Problems) -> Option<AlertRule> {
    let id = read_id(&mut t, p);
    let kind = t.required_string(p, "kind").and_then(|k| {
        AlertKind::parse(&k).or_else(|| {
            p.push(
                t.key("kind"),
                format!(
                    "unknown alert kind \"{k}\": use one of {}",
                    AlertKind::ALL.map(|k| k.as_str()).join(", ")
                ),
            );
            None
        })
    });
    if let Some(kind) = kind {
        for (key, kinds) in ONLY {
            if t.has(key) && !kinds.contains(&kind) {
                p.push(
                    t.key(key),
                    format!(
                        "{key} does not apply to a {} rule (it is for {})",
                        kind.as_str(),
                        kinds
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                );
            }
        }
    }
    let tags = match t.strings(p, "tags") {
        None => Tag::ALL.to_vec(),
        Some(list) => {
            if list.is_empty() {
                p.push(
                    t.key("tags"),
                    "list at least one tag, or leave tags out for all three",
                );
            }
            let mut tags = Vec::new();
            for (i, s) in list.iter().enumerate() {
                match Tag::parse(s) {
                    Some(tag) if !tags.contains(&tag) => tags.push(tag),
                    Some(_) => {}
                    None => p.push(
                        format!("{}[{i}]", t.key("tags")),
                        format!(
                            "unknown tag \"{s}\": use typical_person, typical_event or typical_case"
                        ),
                    ),
                }
            }
            tags
        }
    };
    let units = t.strings(p, "units").unwrap_or_default();
    for (i, u) in units.iter().enumerate() {
        if !known.units.contains(u.as_str()) {
            p.push(
                format!("{}[{i}]", t.key("units")),
                format!("unknown unit \"{u}\": use the id of a [[unit]]"),
            );
        }
    }
    let min_score = t.float(p, "min_score", 0.0, 1.0).unwrap_or(0.0);
    let topic = t.opt_string(p, "topic");
    let query = t.opt_string(p, "query");
    if let Some(topic) = &topic
        && !known.topics.contains(topic.as_str())
    {
        p.push(
            t.key("topic"),
            format!("unknown topic \"{topic}\": use the id of a [[topic]]"),
        );
    }
    let watch = match (topic, query) {
        (Some(_), Some(_)) => {
            p.push(t.key("query"), "give either topic or query, not both");
            None
        }
        (Some(id), None) => Some(Watch::Topic(id)),
        (None, Some(q)) => Some(Watch::Query(q)),
        (None, None) => None,
    };
    if watch.is_none()
        && matches!(kind, Some(AlertKind::Topic | AlertKind::Spike))
        && !t.has("topic")
        && !t.has("query")
    {
        p.push(
            t.key("topic"),
            "missing: a topic or spike rule needs topic = \"<a [[topic]] id>\" or query = \"<search query>\"",
        );
    }
    let int = |t: &mut Tbl<'_>, p: &mut Problems, key, min, max, default| {
        t.int(p, key, min, max).map_or(default, |v| v as u32)
    };
    let window_hours = int(&mut t, p, "window_hours", 1, 24 * 7, 24);
    let baseline_days = int(&mut t, p, "baseline_days", 2, 90, 14);
    let sigma = t.float(p, "sigma", 0.0, 10.0).unwrap_or(2.0);
    let min_count = int(&mut t, p, "min_count", 1, 100_000, 5);
    let silent_days = int(&mut t, p, "silent_days", 1, 365, 14);
    let channels = t.strings(p, "channels").unwrap_or_default();
    if channels.is_empty() {
        p.push(
            t.key("channels"),
            "list at least one channel id: an alert nobody receives is not an alert",
        );
    }
    for (i, c) in channels.iter().enumerate() {
        if !known.channels.contains(c.as_str()) {
            p.push(
                format!("{}[{i}]", t.key("channels")),
                format!("unknown channel \"{c}\": use the id of a [[channel]]"),
            );
        }
    }
    let quiet_hours = t.opt_string(p, "quiet_hours").and_then(|s| {
        QuietHours::parse(&s).or_else(|| {
            p.push(
                t.key("quiet_hours"),
                format!("\"{s}\" is not a time range: write HH:MM-HH:MM, e.g. \"22:00-07:00\""),
            );
            None
        })
    });
    t.finish(p);
    Some(AlertRule {
        id: id?,
        kind: kind?,
        tags,
        units,
        min_score,
        watch,
        window_hours,
        baseline_days,
        sigma,
        min_count,
        silent_days,
        channels,
        quiet_hours,
    })
}
