//! The only outbound HTTP. [`Fetcher`] fetches one URL politely: robots.txt (cached per host;
//! `Disallow` and `Crawl-delay` respected, a 4xx robots.txt means everything is allowed, a
//! 5xx or unreachable one means wait), a minimum delay and a concurrency limit per host, a
//! global concurrency limit, conditional GET, retries with exponential backoff and jitter on
//! timeouts, connection errors and 5xx, `Retry-After` on 429 and 503, at most five redirects
//! followed by hand (loops detected, each hop checked), a body size limit enforced while
//! streaming (after decompression), and private addresses refused unless allowed.
//!
//! Every outcome is a [`Page`] or a [`FetchError`] carrying a [`Status`] from the fixed
//! vocabulary; nothing here knows about stores, sources or extraction.

mod net;
mod post;
mod status;

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OnceCell, Semaphore};
use tokio::time::Instant;
use url::Url;

pub use net::{GuardedResolver, PrivateAddress, is_private};
pub use post::Poster;
pub use status::Status;

/// How the fetcher behaves; built from `[crawl]` by the caller.
#[derive(Clone, Debug)]
pub struct Settings {
    pub user_agent: String,
    /// The whole request, body included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Retries after the first attempt, on transient failures only.
    pub retries: u32,
    pub max_bytes: u64,
    pub allow_private: bool,
    /// Requests in flight across all hosts.
    pub concurrency: usize,
    /// Requests in flight to one host.
    pub per_host_concurrency: usize,
    /// Minimum gap between the starts of two requests to one host (a request may ask for more).
    pub delay: Duration,
    /// The first backoff; doubled on every retry, plus up to as much again of jitter.
    pub backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the fetch fails instead.
    pub max_retry_after: Duration,
    pub max_redirects: usize,
    /// Whether robots.txt is consulted (always, except in benchmarks of the fetcher itself).
    pub robots: bool,
    /// How long a robots.txt that could not be read (5xx, unreachable) keeps a host waiting
    /// before it is asked again; a rule set read is kept for [`ROBOTS_KEEP`].
    pub robots_retry: Duration,
}

/// How long a robots.txt that was read stays in force before it is read again.
pub const ROBOTS_KEEP: Duration = Duration::from_secs(6 * 3600);

impl Default for Settings {
    fn default() -> Self {
        Settings {
            user_agent: concat!("yuqing/", env!("CARGO_PKG_VERSION")).into(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retries: 2,
            max_bytes: 10_000_000,
            allow_private: false,
            concurrency: 8,
            per_host_concurrency: 1,
            delay: Duration::from_secs(1),
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(120),
            max_redirects: 5,
            robots: true,
            robots_retry: Duration::from_secs(300),
        }
    }
}

/// One request.
#[derive(Clone, Debug)]
pub struct Request {
    pub url: Url,
    /// From the last fetch, for a conditional GET.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Configured headers (e.g. `Referer`, a token) and the only hosts they may be sent to.
    pub headers: Vec<(String, String)>,
    pub header_hosts: Vec<String>,
    /// The minimum gap for this request's host, when the source asks for more than the default.
    pub delay: Option<Duration>,
}

impl Request {
    pub fn get(url: Url) -> Request {
        Request {
            url,
            etag: None,
            last_modified: None,
            headers: Vec::new(),
            header_hosts: Vec::new(),
            delay: None,
        }
    }
}

/// A successful answer (2xx, or 304 to a conditional GET).
#[derive(Clone, Debug)]
pub struct Page {
    /// After redirects.
    pub url: Url,
    pub code: u16,
    pub not_modified: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The `charset` of the `Content-Type`.
    pub charset: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// Attempts made (1 when no retry was needed).
    pub attempts: u32,
}

/// A failed fetch, classified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {message}")]
pub struct FetchError {
    pub url: String,
    pub status: Status,
    /// The HTTP status code, when the server answered.
    pub code: Option<u16>,
    pub message: String,
}

impl FetchError {
    fn new(url: &Url, status: Status, message: impl Into<String>) -> FetchError {
        FetchError {
            url: url.to_string(),
            status,
            code: None,
            message: message.into(),
        }
    }

    /// 404 or 410: the page is gone.
    pub fn is_gone(&self) -> bool {
        matches!(self.code, Some(404 | 410))
    }
}

/// What robots.txt says for one host.
#[derive(Debug)]
enum Robots {
    All,
    Rules(Box<texting_robots::Robot>),
    /// robots.txt answered 5xx: the host is not crawled this time.
    Wait(String),
    /// The host could not be reached at all: every page fails the same way.
    Unreachable(Status, String),
}

#[derive(Debug)]
struct Host {
    permits: Semaphore,
    /// When the last request to this host started, and the earliest the next may start.
    slot: Mutex<(Option<Instant>, Instant)>,
    /// The host's robots.txt as last read, and when; replaced once it expires.
    robots: Mutex<(Instant, Arc<OnceCell<Robots>>)>,
    crawl_delay: Mutex<Duration>,
}

/// The polite HTTP client. Cheap to share behind an `Arc`; all limits are per fetcher.
#[derive(Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    settings: Settings,
    global: Semaphore,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

enum Attempt {
    Page(Page),
    Redirect(Url),
}

impl Fetcher {
    pub fn new(settings: Settings) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: settings.allow_private,
            }))
            .no_proxy()
            .build()
            .map_err(|e| FetchError {
                url: String::new(),
                status: Status::Tls,
                code: None,
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Fetcher {
            client,
            global: Semaphore::new(settings.concurrency.max(1)),
            settings,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn host(&self, url: &Url) -> Arc<Host> {
        let key = host_key(url);
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Host {
                    permits: Semaphore::new(self.settings.per_host_concurrency.max(1)),
                    slot: Mutex::new((None, Instant::now())),
                    robots: Mutex::new((Instant::now(), Arc::new(OnceCell::new()))),
                    crawl_delay: Mutex::new(Duration::ZERO),
                })
            })
            .clone()
    }

    /// Fetches `req.url`, following redirects, within every limit.
    pub async fn fetch(&self, req: &Request) -> Result<Page, FetchError> {
        let mut url = req.url.clone();
        let mut seen = HashSet::new();
        for _hop in 0..=self.settings.max_redirects {
            if !seen.insert(url.to_string()) {
                return Err(FetchError::new(
                    &req.url,
                    Status::Redirect,
                    format!("redirect loop back to {url}"),
                ));
            }
            self.check_address(&url)?;
            if self.settings.robots {
                self.check_robots(&url, req.delay).await?;
            }
            match self.with_retries(&url, req, true).await? {
                Attempt::Page(page) => return Ok(page),
                Attempt::Redirect(next) => url = next,
            }
        }
        Err(FetchError::new(
            &req.url,
            Status::Redirect,
            format!(
                "more than {} redirects (last to {url})",
                self.settings.max_redirects
            ),
        ))
    }

    fn check_address(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::new(
                url,
                Status::Connect,
                format!("only http and https are fetched, not {}", url.scheme()),
            ));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = ip
            && !self.settings.allow_private
            && is_private(ip)
        {
            return Err(FetchError::new(
                url,
                Status::Connect,
                format!(
                    "refusing the private address {ip}; set [crawl] allow_private = true only for tests and the demo"
                ),
            ));
        }
        Ok(())
    }

    /// Whether robots.txt lets us fetch `url`.
    pub async fn check_robots(&self, url: &Url, delay: Option<Duration>) -> Result<(), FetchError> {
        let host = self.host(url);
        let cell = {
            let mut slot = host.robots.lock().unwrap_or_else(|e| e.into_inner());
            let keep = match slot.1.get() {
                None => None,
                Some(Robots::Wait(_) | Robots::Unreachable(..)) => Some(self.settings.robots_retry),
                Some(_) => Some(ROBOTS_KEEP),
            };
            if keep.is_some_and(|k| slot.0.elapsed() >= k) {
                // a daemon runs for weeks: a robots.txt that failed once is asked again
                *slot = (Instant::now(), Arc::new(OnceCell::new()));
            }
            slot.1.clone()
        };
        let robots = cell
            .get_or_init(|| async {
                let r = self.load_robots(url, delay).await;
                let mut slot = host.robots.lock().unwrap_or_else(|e| e.into_inner());
                slot.0 = Instant::now();
                r
            })
            .await;
        match robots {
            Robots::All => Ok(()),
            Robots::Rules(r) if r.allowed(url.as_str()) => Ok(()),
            Robots::Rules(_) => Err(FetchError::new(
                url,
                Status::RobotsDenied,
                "robots.txt disallows this path",
            )),
            Robots::Wait(why) => Err(FetchError::new(
                url,
                Status::RobotsDenied,
                format!(
                    "robots.txt could not be read ({why}): the host is left alone and asked again after {} s",
                    self.settings.robots_retry.as_secs()
                ),
            )),
            Robots::Unreachable(status, why) => Err(FetchError::new(
                url,
                *status,
                format!("{why} (while reading robots.txt)"),
            )),
        }
    }

    async fn load_robots(&self, url: &Url, delay: Option<Duration>) -> Robots {
        let mut robots_url = url.clone();
        robots_url.set_path("/robots.txt");
        robots_url.set_query(None);
        robots_url.set_fragment(None);
        let mut req = Request::get(robots_url.clone());
        req.delay = delay;
        match self.with_retries(&robots_url, &req, false).await {
            Ok(Attempt::Page(page)) => {
                let body = &page.body[..page.body.len().min(512 * 1024)];
                match texting_robots::Robot::new(&self.settings.user_agent, body) {
                    Ok(robot) => {
                        if let Some(d) = robot.delay.filter(|d| d.is_finite() && *d > 0.0) {
                            let d = Duration::from_secs_f32(d.min(60.0));
                            *self
                                .host(url)
                                .crawl_delay
                                .lock()
                                .unwrap_or_else(|e| e.into_inner()) = d;
                        }
                        Robots::Rules(Box::new(robot))
                    }
                    Err(_) => Robots::All,
                }
            }
            // a redirected robots.txt is treated as absent
            Ok(Attempt::Redirect(_)) => Robots::All,
            Err(e) if e.code.is_some_and(|c| (400..500).contains(&c)) => Robots::All,
            Err(e) if e.code.is_some() => Robots::Wait(e.message),
            Err(e) => Robots::Unreachable(e.status, e.message),
        }
    }

    /// Waits for this host's turn: at most `per_host_concurrency` in flight (the permit is
    /// held by the caller), starts at least `delay` apart.
    async fn wait_turn(&self, host: &Host, delay: Option<Duration>) {
        let crawl_delay = *host.crawl_delay.lock().unwrap_or_else(|e| e.into_inner());
        let gap = delay.unwrap_or(self.settings.delay).max(crawl_delay);
        let start = {
            let mut slot = host.slot.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let mut at = now.max(slot.1);
            if let Some(last) = slot.0 {
                at = at.max(last + gap);
            }
            slot.0 = Some(at);
            slot.1 = at;
            at
        };
        tokio::time::sleep_until(start).await;
    }

    /// Asks the host to be left alone until `until` (Retry-After).
    fn hold_host(&self, host: &Host, until: Instant) {
        let mut slot = host.slot.lock().unwrap_or_else(|e| e.into_inner());
        slot.1 = slot.1.max(until);
    }

    fn backoff(&self, url: &Url, attempt: u32) -> Duration {
        let base = self.settings.backoff.saturating_mul(1 << attempt.min(10));
        let jitter_ms = base.as_millis().max(1) as u64;
        let r = std::collections::hash_map::RandomState::new().hash_one((url.as_str(), attempt));
        base + Duration::from_millis(r % jitter_ms)
    }

    async fn with_retries(
        &self,
        url: &Url,
        req: &Request,
        conditional: bool,
    ) -> Result<Attempt, FetchError> {
        let host = self.host(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = {
                let _global = self.global.acquire().await;
                let _host = host.permits.acquire().await;
                self.wait_turn(&host, req.delay).await;
                self.once(url, req, conditional).await
            };
            let err = match outcome {
                Ok(Attempt::Page(mut page)) => {
                    page.attempts = attempt;
                    return Ok(Attempt::Page(page));
                }
                Ok(redirect) => return Ok(redirect),
                Err(e) => e,
            };
            let retry_after = err.retry_after;
            let e = err.error;
            let retryable = e.status.is_transient() || e.code == Some(429);
            if !retryable || attempt > self.settings.retries {
                return Err(e);
            }
            let wait = match retry_after {
                Some(d) if d > self.settings.max_retry_after => {
                    return Err(FetchError {
                        message: format!(
                            "{} (asked to retry after {} s, more than the {} s we wait)",
                            e.message,
                            d.as_secs(),
                            self.settings.max_retry_after.as_secs()
                        ),
                        ..e
                    });
                }
                Some(d) => {
                    self.hold_host(&host, Instant::now() + d);
                    d
                }
                None => self.backoff(url, attempt - 1),
            };
            tracing::debug!(url = %url, attempt, wait_ms = wait.as_millis() as u64, status = %e.status, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn once(&self, url: &Url, req: &Request, conditional: bool) -> Result<Attempt, Failed> {
        let mut builder = self.client.get(url.clone());
        if conditional && url == &req.url {
            if let Some(etag) = &req.etag {
                builder = builder.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &req.last_modified {
                builder = builder.header(reqwest::header::IF_MODIFIED_SINCE, lm);
            }
        }
        let host = url.host_str().unwrap_or_default();
        if req
            .header_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(host))
        {
            for (k, v) in &req.headers {
                builder = builder.header(k, v);
            }
        }
        let mut resp = builder
            .send()
            .await
            .map_err(|e| Failed::from(classify(url, &e)))?;
        let code = resp.status().as_u16();
        let headers = resp.headers();
        let header = |name: reqwest::header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        if (300..400).contains(&code) && code != 304 {
            let location = header(reqwest::header::LOCATION).ok_or_else(|| {
                Failed::from(FetchError {
                    code: Some(code),
                    ..FetchError::new(
                        url,
                        Status::Redirect,
                        format!("HTTP {code} without a Location"),
                    )
                })
            })?;
            let next = url.join(&location).map_err(|_| {
                Failed::from(FetchError::new(
                    url,
                    Status::Redirect,
                    format!("HTTP {code} to an unusable Location \"{location}\""),
                ))
            })?;
            return Ok(Attempt::Redirect(next));
        }
        if code >= 400 {
            let retry_after =
                header(reqwest::header::RETRY_AFTER).and_then(|v| parse_retry_after(&v));
            let status = if code >= 500 {
                Status::Http5xx
            } else {
                Status::Http4xx
            };
            let reason = resp.status().canonical_reason().unwrap_or("");
            return Err(Failed {
                error: FetchError {
                    code: Some(code),
                    ..FetchError::new(
                        url,
                        status,
                        format!("HTTP {code} {reason}").trim_end().to_string(),
                    )
                },
                retry_after,
            });
        }
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let charset = content_type.as_deref().and_then(charset_of);
        let etag = header(reqwest::header::ETAG);
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        if code == 304 {
            return Ok(Attempt::Page(Page {
                url: url.clone(),
                code,
                not_modified: true,
                etag: etag.or_else(|| req.etag.clone()),
                last_modified: last_modified.or_else(|| req.last_modified.clone()),
                charset,
                content_type,
                body: Vec::new(),
                attempts: 1,
            }));
        }
        let max = self.settings.max_bytes;
        let too_large = |n: u64| {
            Failed::from(FetchError {
                code: Some(code),
                ..FetchError::new(
                    url,
                    Status::TooLarge,
                    format!("the page is larger than the {max} byte limit ({n} bytes or more)"),
                )
            })
        };
        if let Some(len) = resp.content_length()
            && len > max
            && resp
                .headers()
                .get(reqwest::header::CONTENT_ENCODING)
                .is_none()
        {
            return Err(too_large(len));
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > max {
                        return Err(too_large((body.len() + chunk.len()) as u64));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(classify(url, &e).into()),
            }
        }
        Ok(Attempt::Page(Page {
            url: url.clone(),
            code,
            not_modified: false,
            etag,
            last_modified,
            charset,
            content_type,
            body,
            attempts: 1,
        }))
    }
}

struct Failed {
    error: FetchError,
    retry_after: Option<Duration>,
}

impl From<FetchError> for Failed {
    fn from(error: FetchError) -> Self {
        Failed {
            error,
            retry_after: None,
        }
    }
}

/// `host:port`, the unit of politeness.
pub fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or(0)
    )
}

fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|v| !v.is_empty())
    })
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (at.timestamp() - chrono::Utc::now().timestamp()).max(0);
    Some(Duration::from_secs(secs as u64))
}

/// Puts a reqwest error into the vocabulary, with a short message.
fn classify(url: &Url, e: &reqwest::Error) -> FetchError {
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut private = None;
    while let Some(s) = source {
        if let Some(p) = s.downcast_ref::<PrivateAddress>() {
            private = Some(p.to_string());
        }
        chain.push(s.to_string());
        source = s.source();
    }
    if let Some(p) = private {
        return FetchError::new(url, Status::Connect, format!("refused: {p}"));
    }
    let inner = chain.last().cloned().unwrap_or_default();
    let text = chain.join(": ").to_ascii_lowercase();
    let status = if e.is_timeout() || text.contains("timed out") {
        Status::Timeout
    } else if e.is_dns() || text.contains("dns error") || text.contains("failed to lookup") {
        Status::Dns
    } else if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        Status::Tls
    } else if e.is_decode() {
        Status::Parse
    } else {
        Status::Connect
    };
    let message = match status {
        Status::Timeout => "no complete answer within the time limit".to_string(),
        _ => inner,
    };
    FetchError::new(url, status, message)
}

#[cfg(test)]
mod tests;
