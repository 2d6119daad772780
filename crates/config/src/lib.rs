//! The configuration, `sources.toml`: parsed into validated types.
//!
//! [`Config::parse`] reads the text, checks every key without touching the network or the disk,
//! and either returns a [`Config`] or **every** problem found, each naming its key path
//! (`source[4].unit: unknown unit "cast-x"`). Unknown keys are errors (with a "did you mean"
//! hint), ids must be unique, references between sections must resolve, URLs, CSS selectors,
//! cron expressions and topic expressions must parse.
//!
//! This crate reads only the text it is given; the caller opens files. The dictionary formats
//! checked by `yuqing check` live in [`dictionaries`].

mod alerts;
mod cron;
pub mod dictionaries;
mod reader;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use url::Url;
use yuqing_model::{
    AlertRule, Channel, Expr, JsonList, ListMode, Selectors, Source, SourceKind, Topic, TopicRule,
    Unit, UnitKind, WechatAccount,
};

pub use crate::cron::Cron;
use crate::reader::{Problems, Tbl};

/// One problem in the configuration, located by its key path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// e.g. `source[4].unit`
    pub path: String,
    pub message: String,
}

/// Why a configuration could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The text is not valid TOML.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// The TOML is valid but its content is not.
    #[error("{} problem(s): {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ConfigError>),
}

impl LoadError {
    /// Every problem, one line each, ready to print.
    pub fn lines(&self) -> Vec<String> {
        match self {
            LoadError::Syntax { .. } => vec![self.to_string()],
            LoadError::Invalid(list) => list.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Where data and reports are written.
#[derive(Clone, Debug, PartialEq)]
pub struct Storage {
    pub dir: PathBuf,
    pub reports_dir: PathBuf,
}

/// Where the dictionaries (user dictionary, stop words, cue lexicons) are read from.
#[derive(Clone, Debug, PartialEq)]
pub struct DictionarySettings {
    pub dir: PathBuf,
}

/// The daemon's schedules, evaluated in `timezone`.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub timezone: Tz,
    pub scan: Cron,
    pub daily_brief: Cron,
    pub weekly_report: Cron,
}

/// Defaults for the crawler; sources may override the delay and the pagination depth.
#[derive(Clone, Debug, PartialEq)]
pub struct Crawl {
    pub user_agent: String,
    pub delay_ms: u64,
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    pub timeout_s: u64,
    pub connect_timeout_s: u64,
    pub retries: u32,
    pub max_page_bytes: u64,
    pub max_pages_per_list: u32,
    pub recheck_days: u32,
    /// How often one recent article is re-checked (hours between two checks).
    pub recheck_hours: u32,
    pub allow_private: bool,
}

/// SMTP delivery of the weekly report.
#[derive(Clone, Debug, PartialEq)]
pub struct Mail {
    pub smtp_url: Url,
    pub username: Option<String>,
    /// The name of the environment variable that holds the password; never the password.
    pub password_env: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// Subject template with `{year}`, `{week}`, `{date}` placeholders.
    pub subject: String,
    /// For `smtp://`: STARTTLS is required unless `tls = "none"` (a relay on localhost).
    pub starttls: bool,
    /// The longest a delivery attempt may take, whatever the server does.
    pub timeout_s: u64,
}

impl Mail {
    /// Placeholders the subject template may use.
    pub const SUBJECT_FIELDS: [&'static str; 4] = ["year", "week", "date", "title"];

    /// Fills the subject template.
    pub fn render_subject(&self, values: &[(&str, &str)]) -> String {
        let mut out = self.subject.clone();
        for (k, v) in values {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }
}

/// The typical-tags classifier: where its model is and the score each tag needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassifySettings {
    /// The trained model file; `None` means `<dictionaries>/typical.model.json`.
    pub model: Option<PathBuf>,
    /// Per-tag thresholds overriding the model's, by tag id (`typical_case`).
    pub thresholds: Vec<(String, f64)>,
}

/// WeChat mirror settings: how an account id becomes a feed URL.
#[derive(Clone, Debug, PartialEq)]
pub struct Wechat {
    /// e.g. `http://127.0.0.1:4000/feeds/{id}.atom` for a self-hosted wewe-rss.
    pub mirror_url: Option<String>,
}

/// The web page's settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WebSettings {
    /// Host names (without port) the server answers besides the loopback names, e.g. the
    /// office name `yuqing.example.org`; any other `Host` header is refused (DNS rebinding).
    pub hosts: Vec<String>,
    /// The address analysts open the page at (`http://yuqing.example.org:8080`), used for the
    /// links in alerts and mails.
    pub base_url: Option<Url>,
}

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub storage: Storage,
    pub dictionaries: DictionarySettings,
    pub schedule: Schedule,
    pub crawl: Crawl,
    pub mail: Option<Mail>,
    pub wechat: Wechat,
    pub classify: ClassifySettings,
    pub web: WebSettings,
    pub units: Vec<Unit>,
    pub sources: Vec<Source>,
    pub topics: Vec<Topic>,
    pub channels: Vec<Channel>,
    pub alerts: Vec<AlertRule>,
    source_schedules: HashMap<String, Cron>,
}

impl Config {
    /// Parses and validates `sources.toml` text.
    pub fn parse(text: &str) -> Result<Config, LoadError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            LoadError::Syntax {
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        let mut p = Problems::default();
        let config = read_config(&table, &mut p);
        match config {
            Some(config) if p.list.is_empty() => Ok(config),
            _ => Err(LoadError::Invalid(p.list)),
        }
    }

    /// Makes relative paths relative to `base` (the folder holding the config file).
    pub fn rebase(&mut self, base: &Path) {
        if let Some(model) = &mut self.classify.model
            && model.is_relative()
        {
            *model = base.join(&*model);
        }
        for path in [
            &mut self.storage.dir,
            &mut self.storage.reports_dir,
            &mut self.dictionaries.dir,
        ] {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
    }

    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The schedule a source is scanned on: its own, else `[schedule].scan`.
    pub fn source_schedule(&self, source: &Source) -> &Cron {
        self.source_schedules
            .get(&source.id)
            .unwrap_or(&self.schedule.scan)
    }

    /// The delay between two requests to one host for this source.
    pub fn source_delay_ms(&self, source: &Source) -> u64 {
        source.delay_ms.unwrap_or(self.crawl.delay_ms)
    }

    /// How many list pages this source follows.
    pub fn source_max_pages(&self, source: &Source) -> u32 {
        source.max_pages.unwrap_or(self.crawl.max_pages_per_list)
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(1, |l| l.chars().count() + 1);
    (line, column)
}

fn read_config(root: &toml::Table, p: &mut Problems) -> Option<Config> {
    let mut top = Tbl::new(root, "");
    let storage = read_storage(top.table(p, "storage"), p);
    let dictionaries = read_dictionaries(top.table(p, "dictionaries"), p);
    let schedule = read_schedule(top.table(p, "schedule"), p);
    let crawl = read_crawl(top.table(p, "crawl"), p);
    let mail = top.table(p, "mail").and_then(|t| read_mail(t, p));
    let wechat = read_wechat(top.table(p, "wechat"), p);
    let classify = read_classify(top.table(p, "classify"), p);
    let web = read_web(top.table(p, "web"), p);

    let (units, declared) = read_units(top.tables(p, "unit"), p);
    if declared.is_empty() && !top.has("unit") {
        p.push("unit", "no [[unit]] defined: add at least one unit");
    }
    // references resolve against every declared id, so that one bad unit field is reported
    // once rather than again at each source that names the unit
    let unit_ids: HashSet<&str> = declared.iter().map(String::as_str).collect();
    let mut source_schedules = HashMap::new();
    let source_tables = top.tables(p, "source");
    let sources: Vec<Source> = source_tables
        .into_iter()
        .filter_map(|t| read_source(t, &unit_ids, &wechat, &mut source_schedules, p))
        .collect();
    check_unique(sources.iter().map(|s| (s.id.as_str(), "source")), p);
    let topics: Vec<Topic> = top
        .tables(p, "topic")
        .into_iter()
        .filter_map(|t| read_topic(t, p))
        .collect();
    check_unique(topics.iter().map(|t| (t.id.as_str(), "topic")), p);
    let channel_tables = top.tables(p, "channel");
    let declared_channels: Vec<String> = channel_tables
        .iter()
        .filter_map(|t| t.peek_string("id"))
        .collect();
    let channels: Vec<Channel> = channel_tables
        .into_iter()
        .filter_map(|t| alerts::read_channel(t, p))
        .collect();
    check_unique(channels.iter().map(|c| (c.id.as_str(), "channel")), p);
    if mail.is_none()
        && let Some(i) = channels
            .iter()
            .position(|c| c.kind == yuqing_model::ChannelKind::Email)
    {
        p.push(
            format!("channel[{i}].kind"),
            "an email channel sends through [mail]: add a [mail] section or use another kind",
        );
    }
    let topic_ids: HashSet<&str> = topics.iter().map(|t| t.id.as_str()).collect();
    let channel_ids: HashSet<&str> = declared_channels.iter().map(String::as_str).collect();
    let known = alerts::Known {
        units: &unit_ids,
        topics: &topic_ids,
        channels: &channel_ids,
    };
    let alerts: Vec<AlertRule> = top
        .tables(p, "alert")
        .into_iter()
        .filter_map(|t| alerts::read_alert(t, &known, p))
        .collect();
    check_unique(alerts.iter().map(|a| (a.id.as_str(), "alert")), p);
    top.finish(p);

    Some(Config {
        storage,
        dictionaries,
        schedule: schedule?,
        crawl,
        mail,
        wechat,
        classify,
        web,
        units,
        sources,
        topics,
        channels,
        alerts,
        source_schedules,
    })
}

fn read_web(t: Option<Tbl<'_>>, p: &mut Problems) -> WebSettings {
    let mut w = WebSettings::default();
    if let Some(mut t) = t {
        if let Some(hosts) = t.strings(p, "hosts") {
            for (i, h) in hosts.into_iter().enumerate() {
                let h = h.trim().to_ascii_lowercase();
                let ok = !h.is_empty()
                    && h.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':')
                    });
                if ok {
                    w.hosts.push(h);
                } else {
                    p.push(
                        format!("{}[{i}]", t.key("hosts")),
                        format!("\"{h}\" is not a host name: give the name only, without http:// or a path (e.g. \"yuqing.example.org\")"),
                    );
                }
            }
        }
        if let Some(base) = t.opt_string(p, "base_url") {
            match Url::parse(&base) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                    w.base_url = Some(u);
                }
                _ => p.push(
                    t.key("base_url"),
                    format!("\"{base}\" is not the page's address: write it as analysts open it, e.g. \"http://yuqing.example.org:8080\""),
                ),
            }
        }
        t.finish(p);
    }
    w
}

fn check_unique<'a>(ids: impl Iterator<Item = (&'a str, &'static str)>, p: &mut Problems) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, (id, section)) in ids.enumerate() {
        if let Some(first) = seen.insert(id, i) {
            p.push(
                format!("{section}[{i}].id"),
                format!("duplicate id \"{id}\" (already used by {section}[{first}])"),
            );
        }
    }
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn read_id(t: &mut Tbl<'_>, p: &mut Problems) -> Option<String> {
    let id = t.required_string(p, "id")?;
    if !valid_id(&id) {
        p.push(
            t.key("id"),
            format!(
                "\"{id}\" is not a valid id: use lowercase letters, digits, '-' and '_' (e.g. \"cast-news\")"
            ),
        );
        return None;
    }
    Some(id)
}

fn read_storage(t: Option<Tbl<'_>>, p: &mut Problems) -> Storage {
    let mut storage = Storage {
        dir: PathBuf::from("index"),
        reports_dir: PathBuf::from("reports"),
    };
    if let Some(mut t) = t {
        if let Some(dir) = t.opt_string(p, "dir") {
            storage.dir = dir.into();
        }
        if let Some(dir) = t.opt_string(p, "reports_dir") {
            storage.reports_dir = dir.into();
        }
        t.finish(p);
    }
    storage
}

fn read_dictionaries(t: Option<Tbl<'_>>, p: &mut Problems) -> DictionarySettings {
    let mut settings = DictionarySettings {
        dir: PathBuf::from("dictionaries"),
    };
    if let Some(mut t) = t {
        if let Some(dir) = t.opt_string(p, "dir") {
            settings.dir = dir.into();
        }
        t.finish(p);
    }
    settings
}

fn read_cron(t: &mut Tbl<'_>, p: &mut Problems, key: &'static str, default: &str) -> Option<Cron> {
    let expr = t.opt_string(p, key).unwrap_or_else(|| default.to_string());
    Cron::parse(&expr).map_err(|e| p.push(t.key(key), e)).ok()
}

fn read_schedule(t: Option<Tbl<'_>>, p: &mut Problems) -> Option<Schedule> {
    let table = toml::Table::new();
    let mut t = t.unwrap_or_else(|| Tbl::new(&table, "schedule"));
    let tz_name = t
        .opt_string(p, "timezone")
        .unwrap_or_else(|| "Asia/Shanghai".to_string());
    let timezone = tz_name.parse::<Tz>().map_err(|_| {
        p.push(
            t.key("timezone"),
            format!("unknown time zone \"{tz_name}\": use an IANA name such as \"Asia/Shanghai\""),
        )
    });
    let scan = read_cron(&mut t, p, "scan", "0 0 6 * * *");
    let daily_brief = read_cron(&mut t, p, "daily_brief", "0 30 7 * * *");
    let weekly_report = read_cron(&mut t, p, "weekly_report", "0 0 8 * * Mon");
    t.finish(p);
    Some(Schedule {
        timezone: timezone.ok()?,
        scan: scan?,
        daily_brief: daily_brief?,
        weekly_report: weekly_report?,
    })
}

fn read_crawl(t: Option<Tbl<'_>>, p: &mut Problems) -> Crawl {
    let mut c = Crawl {
        user_agent: "yuqing/0.1 (publicity department media monitoring)".to_string(),
        delay_ms: 1000,
        concurrency: 8,
        per_host_concurrency: 1,
        timeout_s: 30,
        connect_timeout_s: 10,
        retries: 3,
        max_page_bytes: 10_000_000,
        max_pages_per_list: 3,
        recheck_days: 7,
        recheck_hours: 24,
        allow_private: false,
    };
    let Some(mut t) = t else { return c };
    if let Some(ua) = t.opt_string(p, "user_agent") {
        if !ua.contains('@') && !ua.contains("http") {
            p.push(
                t.key("user_agent"),
                "name a contact (an e-mail address or a web page) so that site operators can reach the department",
            );
        }
        c.user_agent = ua;
    }
    let int = |t: &mut Tbl<'_>, p: &mut Problems, key, min, max, into: &mut u64| {
        if let Some(v) = t.int(p, key, min, max) {
            *into = v as u64;
        }
    };
    int(&mut t, p, "delay_ms", 0, 3_600_000, &mut c.delay_ms);
    int(&mut t, p, "timeout_s", 1, 3600, &mut c.timeout_s);
    int(
        &mut t,
        p,
        "connect_timeout_s",
        1,
        600,
        &mut c.connect_timeout_s,
    );
    int(
        &mut t,
        p,
        "max_page_bytes",
        1024,
        1 << 31,
        &mut c.max_page_bytes,
    );
    let mut n = c.concurrency as u64;
    int(&mut t, p, "concurrency", 1, 256, &mut n);
    c.concurrency = n as usize;
    let mut n = c.per_host_concurrency as u64;
    int(&mut t, p, "per_host_concurrency", 1, 16, &mut n);
    c.per_host_concurrency = n as usize;
    let mut n = u64::from(c.retries);
    int(&mut t, p, "retries", 0, 10, &mut n);
    c.retries = n as u32;
    let mut n = u64::from(c.max_pages_per_list);
    int(&mut t, p, "max_pages_per_list", 1, 1000, &mut n);
    c.max_pages_per_list = n as u32;
    let mut n = u64::from(c.recheck_days);
    int(&mut t, p, "recheck_days", 0, 365, &mut n);
    c.recheck_days = n as u32;
    let mut n = u64::from(c.recheck_hours);
    int(&mut t, p, "recheck_hours", 1, 24 * 365, &mut n);
    c.recheck_hours = n as u32;
    if let Some(b) = t.bool(p, "allow_private") {
        c.allow_private = b;
    }
    t.finish(p);
    c
}

/// Checks `Name <addr@host>` or `addr@host`.
fn valid_mailbox(s: &str) -> bool {
    let addr = match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b && s[b + 1..].trim().is_empty() => &s[a + 1..b],
        (None, None) => s,
        _ => return false,
    };
    let addr = addr.trim();
    match addr.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !addr.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn valid_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn read_mail(mut t: Tbl<'_>, p: &mut Problems) -> Option<Mail> {
    let smtp_url = t.required_string(p, "smtp_url").and_then(|s| {
        match Url::parse(&s) {
            Ok(u) if matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some() => {
                if u.password().is_some() {
                    p.push(
                        t.key("smtp_url"),
                        "must not contain a password: put it in the environment variable named by mail.password_env",
                    );
                    None
                } else {
                    Some(u)
                }
            }
            Ok(_) => {
                p.push(
                    t.key("smtp_url"),
                    format!("\"{s}\" must be smtp://host:port (STARTTLS) or smtps://host:port (TLS)"),
                );
                None
            }
            Err(e) => {
                p.push(t.key("smtp_url"), format!("invalid URL \"{s}\": {e}"));
                None
            }
        }
    });
    let username = t.opt_string(p, "username");
    let password_env = t.opt_string(p, "password_env");
    if let Some(name) = &password_env
        && !valid_env_name(name)
    {
        p.push(
            t.key("password_env"),
            format!("\"{name}\" is not an environment variable name (e.g. YUQING_SMTP_PASSWORD)"),
        );
    }
    if t.has("password") {
        t.string(p, "password");
        p.push(
            t.key("password"),
            "passwords are not read from the file: set mail.password_env to the name of an environment variable",
        );
    }
    let from = t.required_string(p, "from");
    if let Some(from) = &from
        && !valid_mailbox(from)
    {
        p.push(
            t.key("from"),
            format!("\"{from}\" is not an address (e.g. \"舆情监测 <monitor@example.org>\")"),
        );
    }
    let mut addresses = |t: &mut Tbl<'_>, key: &'static str| -> Vec<String> {
        let list = t.strings(p, key).unwrap_or_default();
        for (i, a) in list.iter().enumerate() {
            if !valid_mailbox(a) {
                p.push(
                    format!("{}[{i}]", t.key(key)),
                    format!("\"{a}\" is not an e-mail address"),
                );
            }
        }
        list
    };
    let to = addresses(&mut t, "to");
    let cc = addresses(&mut t, "cc");
    if to.is_empty() {
        p.push(t.key("to"), "list at least one recipient");
    }
    let subject = t
        .opt_string(p, "subject")
        .unwrap_or_else(|| "舆情监测周报 {year}年第{week}周".to_string());
    check_placeholders(&subject, &Mail::SUBJECT_FIELDS, &t.key("subject"), p);
    let starttls = match t.opt_string(p, "tls").as_deref() {
        None | Some("starttls") => true,
        Some("none") => {
            if smtp_url.as_ref().is_some_and(|u| u.scheme() == "smtps") {
                p.push(
                    t.key("tls"),
                    "smtps:// always uses TLS: remove tls = \"none\" or use smtp:// for a relay on localhost",
                );
            }
            false
        }
        Some(other) => {
            p.push(
                t.key("tls"),
                format!("\"{other}\" is not a choice: \"starttls\" (the default: the password never travels in clear) or \"none\" (only for a relay on this machine)"),
            );
            true
        }
    };
    let timeout_s = t.int(p, "timeout_s", 1, 600).map_or(60, |v| v as u64);
    t.finish(p);
    Some(Mail {
        starttls,
        timeout_s,
        smtp_url: smtp_url?,
        username,
        password_env,
        from: from?,
        to,
        cc,
        subject,
    })
}

/// Every `{name}` in `template` must be one of `known`.
fn check_placeholders(template: &str, known: &[&str], path: &str, p: &mut Problems) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            p.push(path, "unclosed '{' in template");
            return;
        };
        let name = &after[..close];
        if !known.contains(&name) {
            p.push(
                path,
                format!(
                    "unknown placeholder {{{name}}}; available: {}",
                    known
                        .iter()
                        .map(|k| format!("{{{k}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        rest = &after[close + 1..];
    }
}

fn read_wechat(t: Option<Tbl<'_>>, p: &mut Problems) -> Wechat {
    let mut w = Wechat { mirror_url: None };
    if let Some(mut t) = t {
        if let Some(url) = t.opt_string(p, "mirror_url") {
            check_placeholders(&url, &["id"], &t.key("mirror_url"), p);
            if !url.contains("{id}") {
                p.push(
                    t.key("mirror_url"),
                    "must contain {id} where the account's mirror id goes",
                );
            } else if let Err(e) = parse_http_url(&url.replace("{id}", "x")) {
                p.push(t.key("mirror_url"), e);
            }
            w.mirror_url = Some(url);
        }
        t.finish(p);
    }
    w
}

/// The valid units, and every unit id declared (valid or not).
fn read_classify(t: Option<Tbl<'_>>, p: &mut Problems) -> ClassifySettings {
    let mut c = ClassifySettings {
        model: None,
        thresholds: Vec::new(),
    };
    let Some(mut t) = t else { return c };
    c.model = t.opt_string(p, "model").map(PathBuf::from);
    if let Some(mut th) = t.table(p, "thresholds") {
        for tag in ["typical_person", "typical_event", "typical_case"] {
            let key: &'static str = tag;
            if let Some(v) = th.float(p, key, 0.0, 1.0) {
                c.thresholds.push((tag.to_string(), v));
            }
        }
        th.finish(p);
    }
    t.finish(p);
    c
}

fn read_units(tables: Vec<Tbl<'_>>, p: &mut Problems) -> (Vec<Unit>, Vec<String>) {
    let mut declared = Vec::new();
    let units: Vec<Unit> = tables
        .into_iter()
        .filter_map(|mut t| {
            let id = read_id(&mut t, p);
            declared.extend(id.clone());
            let name = t.required_string(p, "name");
            let kind = t.required_string(p, "kind").and_then(|k| {
                UnitKind::from_label(&k).or_else(|| {
                    let allowed: Vec<&str> = UnitKind::ALL.iter().map(|k| k.label()).collect();
                    p.push(
                        t.key("kind"),
                        format!(
                            "unknown unit kind \"{k}\"; use one of {}",
                            allowed.join(" | ")
                        ),
                    );
                    None
                })
            });
            let region = t.opt_string(p, "region").unwrap_or_else(|| "全国".into());
            t.finish(p);
            Some(Unit {
                id: id?,
                name: name?,
                kind: kind?,
                region,
            })
        })
        .collect();
    check_unique(declared.iter().map(|id| (id.as_str(), "unit")), p);
    (units, declared)
}

fn parse_http_url(s: &str) -> Result<Url, String> {
    match Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(u),
        Ok(u) => Err(format!(
            "\"{s}\" is not a web address (scheme \"{}\"): use http:// or https://",
            u.scheme()
        )),
        Err(e) => Err(format!("invalid URL \"{s}\": {e}")),
    }
}

fn read_selectors(t: Option<Tbl<'_>>, p: &mut Problems) -> Selectors {
    let mut sel = Selectors::default();
    let Some(mut t) = t else { return sel };
    let mut one = |t: &mut Tbl<'_>, key: &'static str| -> Option<String> {
        let s = t.opt_string(p, key)?;
        if let Err(e) = scraper::Selector::parse(&s) {
            p.push(t.key(key), format!("invalid CSS selector \"{s}\": {e}"));
            return None;
        }
        Some(s)
    };
    sel.list_links = one(&mut t, "list_links");
    sel.next_page = one(&mut t, "next_page");
    sel.title = one(&mut t, "title");
    sel.body = one(&mut t, "body");
    sel.date = one(&mut t, "date");
    sel.author = one(&mut t, "author");
    sel.origin = one(&mut t, "origin");
    let remove = t.strings(p, "remove").unwrap_or_default();
    for (i, s) in remove.iter().enumerate() {
        match scraper::Selector::parse(s) {
            Ok(_) => sel.remove.push(s.clone()),
            Err(e) => p.push(
                format!("{}[{i}]", t.key("remove")),
                format!("invalid CSS selector \"{s}\": {e}"),
            ),
        }
    }
    t.finish(p);
    sel
}

fn read_json_list(mut t: Tbl<'_>, p: &mut Problems) -> Option<JsonList> {
    let items = t.string(p, "items").unwrap_or_default();
    let title = t.required_string(p, "title");
    let link = t.required_string(p, "link");
    let date = t.opt_string(p, "date");
    let summary = t.opt_string(p, "summary");
    t.finish(p);
    Some(JsonList {
        items: items.trim().to_string(),
        title: title?,
        link: link?,
        date,
        summary,
    })
}

fn read_source(
    mut t: Tbl<'_>,
    units: &HashSet<&str>,
    wechat: &Wechat,
    schedules: &mut HashMap<String, Cron>,
    p: &mut Problems,
) -> Option<Source> {
    let id = read_id(&mut t, p);
    let name = t.opt_string(p, "name");
    let unit = t.required_string(p, "unit");
    if let Some(u) = &unit
        && !units.contains(u.as_str())
    {
        p.push(
            t.key("unit"),
            format!("unknown unit \"{u}\": add a [[unit]] with this id or fix the reference"),
        );
    }
    let kind = t.required_string(p, "kind").and_then(|k| {
        SourceKind::parse(&k).or_else(|| {
            p.push(
                t.key("kind"),
                format!("unknown source kind \"{k}\"; use html | wechat | feed"),
            );
            None
        })
    });
    // url = "…" or urls = ["…", …]; a wechat source may give mirror_id instead.
    let mut urls = Vec::new();
    if let Some(u) = t.opt_string(p, "url") {
        urls.push((t.key("url"), u));
    }
    for (i, u) in t
        .strings(p, "urls")
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        urls.push((format!("{}[{i}]", t.key("urls")), u));
    }
    let mirror_id = t.opt_string(p, "mirror_id");
    let mut account = WechatAccount {
        name: t.opt_string(p, "account"),
        biz: t.opt_string(p, "biz"),
    };
    if let Some(mid) = &mirror_id {
        match (&wechat.mirror_url, kind) {
            (Some(template), Some(SourceKind::Wechat)) => {
                urls.push((t.key("mirror_id"), template.replace("{id}", mid)));
            }
            (None, _) => p.push(
                t.key("mirror_id"),
                "needs [wechat].mirror_url, the feed URL template with {id}",
            ),
            (_, _) => p.push(t.key("mirror_id"), "only a wechat source has a mirror_id"),
        }
    }
    if urls.is_empty() {
        p.push(
            t.key("url"),
            "missing: give url (or urls; for a wechat source, mirror_id)",
        );
    }
    let mut parsed = Vec::new();
    for (path, u) in urls {
        match parse_http_url(&u) {
            Ok(url) => parsed.push(url.to_string()),
            Err(e) => p.push(path, e),
        }
    }
    if kind != Some(SourceKind::Wechat) {
        account = WechatAccount::default();
        for key in ["account", "biz"] {
            if t.has(key) {
                p.push(t.key(key), "only a wechat source has this key");
            }
        }
    }
    if let Some(expr) = t.opt_string(p, "schedule")
        && let Some(id) = &id
    {
        match Cron::parse(&expr) {
            Ok(c) => {
                schedules.insert(id.clone(), c);
            }
            Err(e) => p.push(t.key("schedule"), e),
        }
    }
    let delay_ms = t.int(p, "delay_ms", 0, 3_600_000).map(|v| v as u64);
    let max_pages = t.int(p, "max_pages", 1, 1000).map(|v| v as u32);
    let enabled = t.bool(p, "enabled").unwrap_or(true);
    let list_mode = match t.opt_string(p, "list_mode") {
        None => ListMode::Html,
        Some(m) => ListMode::parse(&m).unwrap_or_else(|| {
            p.push(
                t.key("list_mode"),
                format!("unknown list mode \"{m}\"; use html | jpaas | json"),
            );
            ListMode::Html
        }),
    };
    if list_mode != ListMode::Html && kind.is_some_and(|k| k != SourceKind::Html) {
        p.push(t.key("list_mode"), "only an html source has a list_mode");
    }
    let selectors = read_selectors(t.table(p, "selectors"), p);
    let json = t.table(p, "json").and_then(|j| read_json_list(j, p));
    match (list_mode, &json) {
        (ListMode::Json, None) if !t.has("json") => p.push(
            t.key("json"),
            "list_mode = \"json\" needs a [source.json] table naming the item fields",
        ),
        (ListMode::Html | ListMode::Jpaas, Some(_)) => {
            p.push(t.key("json"), "only used with list_mode = \"json\"")
        }
        _ => {}
    }
    let charset = t.opt_string(p, "charset");
    if let Some(cs) = &charset
        && !known_charset(cs)
    {
        p.push(
            t.key("charset"),
            format!("unknown charset \"{cs}\" (e.g. utf-8, gbk, gb18030, big5)"),
        );
    }
    let allowed_hosts = t.strings(p, "allowed_hosts").unwrap_or_default();
    for (i, h) in allowed_hosts.iter().enumerate() {
        if h.is_empty() || h.contains('/') || h.contains(char::is_whitespace) {
            p.push(
                format!("{}[{i}]", t.key("allowed_hosts")),
                format!("\"{h}\" is not a host name (write www.example.org, no scheme or path)"),
            );
        }
    }
    let headers = t.free_strings(p, "headers");
    t.finish(p);
    Some(Source {
        id: id?,
        name,
        unit: unit?,
        kind: kind?,
        urls: parsed,
        schedule: None,
        delay_ms,
        max_pages,
        enabled,
        list_mode,
        selectors,
        json,
        charset,
        allowed_hosts,
        headers,
        account,
    })
    .map(|mut s| {
        s.schedule = schedules.get(&s.id).map(|c| c.expr().to_string());
        s
    })
}

/// Charset labels the extractor can decode (WHATWG labels, as encoding_rs knows them).
fn known_charset(label: &str) -> bool {
    const LABELS: [&str; 12] = [
        "utf-8",
        "utf8",
        "gbk",
        "gb2312",
        "gb18030",
        "big5",
        "big5-hkscs",
        "x-gbk",
        "utf-16le",
        "utf-16be",
        "iso-8859-1",
        "windows-1252",
    ];
    LABELS.contains(&label.to_ascii_lowercase().as_str())
}

fn read_topic(mut t: Tbl<'_>, p: &mut Problems) -> Option<Topic> {
    let id = read_id(&mut t, p);
    let name = t.required_string(p, "name");
    let all = t.strings(p, "all");
    let any = t.strings(p, "any");
    let none = t.strings(p, "none");
    let expr = t.opt_string(p, "expr");
    let has_lists = all.is_some() || any.is_some() || none.is_some();
    let rule = match (expr, has_lists) {
        (Some(_), true) => {
            p.push(
                t.key("expr"),
                "give either expr or the all/any/none lists, not both",
            );
            None
        }
        (Some(text), false) => match Expr::parse(&text) {
            Ok(expr) => Some(TopicRule::Expr { text, expr }),
            Err(e) => {
                p.push(t.key("expr"), format!("invalid expression: {e}"));
                None
            }
        },
        (None, true) => {
            let clean = |l: Option<Vec<String>>| -> Vec<String> {
                l.unwrap_or_default()
                    .into_iter()
                    .map(|w| w.trim().to_string())
                    .filter(|w| !w.is_empty())
                    .collect()
            };
            let (all, any, none) = (clean(all), clean(any), clean(none));
            if all.is_empty() && any.is_empty() {
                p.push(
                    t.key("all"),
                    "the rule matches nothing: list words under all or any",
                );
                None
            } else {
                Some(TopicRule::Lists { all, any, none })
            }
        }
        (None, false) => {
            p.push(
                t.key("expr"),
                "missing rule: give expr, or all / any / none word lists",
            );
            None
        }
    };
    t.finish(p);
    Some(Topic {
        id: id?,
        name: name?,
        rule: rule?,
    })
}

#[cfg(test)]
mod tests;
