//! The fetcher against a scripted HTTP/1.1 server on 127.0.0.1 that records every request.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

#[derive(Clone, Debug)]
struct Seen {
    at: Instant,
    path: String,
    head: String,
}

struct Reply {
    code: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

fn reply(code: u16, body: &str) -> Reply {
    Reply {
        code,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
        delay: Duration::ZERO,
    }
}

type Handler = Arc<dyn Fn(&str, &str, usize) -> Reply + Send + Sync>;

struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// `handler(path, request head, nth request for this path)`.
    async fn start(handler: impl Fn(&str, &str, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Handler = Arc::new(handler);
        let counts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let (log, handler, counts) = (log.clone(), handler.clone(), counts.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).to_string();
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let nth = {
                        let mut c = counts.lock().unwrap();
                        let n = c.entry(path.clone()).or_default();
                        *n += 1;
                        *n
                    };
                    log.lock().unwrap().push(Seen {
                        at: Instant::now(),
                        path: path.clone(),
                        head: head.clone(),
                    });
                    let r = handler(&path, &head, nth);
                    tokio::time::sleep(r.delay).await;
                    let mut out = format!(
                        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                        r.code,
                        r.body.len()
                    );
                    for (k, v) in &r.headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    out.push_str("\r\n");
                    let _ = sock.write_all(out.as_bytes()).await;
                    let _ = sock.write_all(&r.body).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Server { port, seen }
    }

    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://127.0.0.1:{}{path}", self.port)).unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.path).collect()
    }
}

fn settings() -> Settings {
    Settings {
        allow_private: true,
        delay: Duration::ZERO,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        retries: 2,
        ..Settings::default()
    }
}

fn robots_allow_all(path: &str) -> Option<Reply> {
    (path == "/robots.txt").then(|| reply(404, ""))
}

#[tokio::test]
async fn robots_disallowed_paths_are_never_requested() {
    let server = Server::start(|path, _, _| match path {
        "/robots.txt" => reply(200, "User-agent: *\nDisallow: /private/\n"),
        _ => reply(200, "<html>ok</html>"),
    })
    .await;
    let f = Fetcher::new(settings()).unwrap();
    let err = f
        .fetch(&Request::get(server.url("/private/a.html")))
        .await
        .unwrap_err();
    assert_eq!(err.status, Status::RobotsDenied);
    let ok = f
        .fetch(&Request::get(server.url("/news/a.html")))
        .await
        .unwrap();
    assert_eq!(ok.body, b"<html>ok</html>");
    assert_eq!(server.paths(), ["/robots.txt", "/news/a.html"]);
}

#[tokio::test]
async fn robots_5xx_means_wait_and_4xx_means_allowed() {
    let server = Server::start(|path, _, _| match path {
        "/robots.txt" => reply(503, ""),
        _ => reply(200, "x"),
    })
    .await;
    let f = Fetcher::new(Settings {
        retries: 0,
        ..settings()
    })
    .unwrap();
    let err = f.fetch(&Request::get(server.url("/a"))).await.unwrap_err();
    assert_eq!(err.status, Status::RobotsDenied);
    assert!(
        err.message.contains("robots.txt could not be read"),
        "{err}"
    );
    assert_eq!(server.paths(), ["/robots.txt"]);

    let server =
        Server::start(|path, _, _| robots_allow_all(path).unwrap_or_else(|| reply(200, "x"))).await;
    let f = Fetcher::new(settings()).unwrap();
    assert!(f.fetch(&Request::get(server.url("/a"))).await.is_ok());
}

/// A host whose robots.txt failed once is asked again after `robots_retry`, not blocked until
/// the daemon restarts.
#[tokio::test]
async fn a_failed_robots_txt_is_asked_again() {
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let f2 = failing.clone();
    let server = Server::start(move |path, _, _| match path {
        "/robots.txt" if f2.load(Ordering::SeqCst) => reply(503, ""),
        "/robots.txt" => reply(404, ""),
        _ => reply(200, "x"),
    })
    .await;
    let f = Fetcher::new(Settings {
        retries: 0,
        robots_retry: Duration::from_secs(2),
        ..settings()
    })
    .unwrap();
    let err = f.fetch(&Request::get(server.url("/a"))).await.unwrap_err();
    assert_eq!(err.status, Status::RobotsDenied);
    failing.store(false, Ordering::SeqCst);
    // within the retry time the earlier answer stands, without asking again
    let err = f.fetch(&Request::get(server.url("/a"))).await.unwrap_err();
    assert_eq!(err.status, Status::RobotsDenied);
    assert_eq!(server.paths(), ["/robots.txt"]);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert!(f.fetch(&Request::get(server.url("/a"))).await.is_ok());
    assert_eq!(server.paths(), ["/robots.txt", "/robots.txt", "/a"]);
}

#[tokio::test]
async fn crawl_delay_and_per_host_delay_are_kept() {
    let server = Server::start(|path, _, _| match path {
        "/robots.txt" => reply(200, "User-agent: *\nCrawl-delay: 0.3\n"),
        _ => reply(200, "x"),
    })
    .await;
    let f = Arc::new(
        Fetcher::new(Settings {
            delay: Duration::from_millis(100),
            per_host_concurrency: 2,
            ..settings()
        })
        .unwrap(),
    );
    let mut tasks = Vec::new();
    for i in 0..4 {
        let f = f.clone();
        let url = server.url(&format!("/p{i}"));
        tasks.push(tokio::spawn(
            async move { f.fetch(&Request::get(url)).await },
        ));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let seen = server.seen();
    assert_eq!(seen.len(), 5);
    for w in seen.windows(2).skip(1) {
        let gap = w[1].at - w[0].at;
        assert!(gap >= Duration::from_millis(250), "gap {gap:?}");
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = Server::start(|path, _, nth| {
        robots_allow_all(path).unwrap_or_else(|| {
            if nth == 1 {
                let mut r = reply(429, "slow down");
                r.headers.push(("Retry-After", "1".into()));
                r
            } else {
                reply(200, "fine")
            }
        })
    })
    .await;
    let f = Fetcher::new(settings()).unwrap();
    let page = f.fetch(&Request::get(server.url("/busy"))).await.unwrap();
    assert_eq!(page.attempts, 2);
    let seen: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/busy")
        .collect();
    assert!(seen[1].at - seen[0].at >= Duration::from_secs(1));
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_and_4xx_is_not_retried() {
    let server = Server::start(|path, _, _| match path {
        "/robots.txt" => reply(404, ""),
        "/gone" => reply(404, ""),
        _ => reply(500, "oops"),
    })
    .await;
    let f = Fetcher::new(settings()).unwrap();
    let err = f
        .fetch(&Request::get(server.url("/broken")))
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code), (Status::Http5xx, Some(500)));
    let err = f
        .fetch(&Request::get(server.url("/gone")))
        .await
        .unwrap_err();
    assert_eq!(err.status, Status::Http4xx);
    assert!(err.is_gone());
    let paths = server.paths();
    assert_eq!(paths.iter().filter(|p| *p == "/broken").count(), 3);
    assert_eq!(paths.iter().filter(|p| *p == "/gone").count(), 1);
}

#[tokio::test]
async fn redirect_loops_and_chains_are_stopped() {
    let server = Server::start(|path, _, _| {
        robots_allow_all(path).unwrap_or_else(|| {
            let to = match path {
                "/a" => "/b".to_string(),
                "/b" => "/a".to_string(),
                p if p.starts_with("/chain/") => {
                    let n: u32 = p[7..].parse().unwrap();
                    format!("/chain/{}", n + 1)
                }
                _ => return reply(200, "end"),
            };
            let mut r = reply(302, "");
            r.headers.push(("Location", to));
            r
        })
    })
    .await;
    let f = Fetcher::new(settings()).unwrap();
    let err = f.fetch(&Request::get(server.url("/a"))).await.unwrap_err();
    assert_eq!(err.status, Status::Redirect);
    assert!(err.message.contains("loop"), "{err}");
    let err = f
        .fetch(&Request::get(server.url("/chain/0")))
        .await
        .unwrap_err();
    assert_eq!(err.status, Status::Redirect);
    assert!(err.message.contains("more than 5"), "{err}");
}

#[tokio::test]
async fn oversized_pages_are_refused() {
    let server = Server::start(|path, _, _| {
        robots_allow_all(path).unwrap_or_else(|| reply(200, &"很".repeat(2000)))
    })
    .await;
    let f = Fetcher::new(Settings {
        max_bytes: 1000,
        ..settings()
    })
    .unwrap();
    let err = f
        .fetch(&Request::get(server.url("/huge")))
        .await
        .unwrap_err();
    assert_eq!(err.status, Status::TooLarge);
}

#[tokio::test]
async fn conditional_get_and_timeouts() {
    let server = Server::start(|path, head, _| {
        robots_allow_all(path).unwrap_or_else(|| match path {
            "/slow" => Reply {
                delay: Duration::from_secs(3),
                ..reply(200, "late")
            },
            _ if head.to_ascii_lowercase().contains("if-none-match: \"v1\"") => reply(304, ""),
            _ => {
                let mut r = reply(200, "<p>v1</p>");
                r.headers.push(("ETag", "\"v1\"".into()));
                r.headers
                    .push(("Content-Type", "text/html; charset=GBK".into()));
                r
            }
        })
    })
    .await;
    let f = Fetcher::new(Settings {
        timeout: Duration::from_millis(300),
        retries: 1,
        ..settings()
    })
    .unwrap();
    let first = f.fetch(&Request::get(server.url("/list"))).await.unwrap();
    assert_eq!(first.etag.as_deref(), Some("\"v1\""));
    assert_eq!(first.charset.as_deref(), Some("GBK"));
    let mut again = Request::get(server.url("/list"));
    again.etag = first.etag.clone();
    let second = f.fetch(&again).await.unwrap();
    assert!(second.not_modified);
    let err = f
        .fetch(&Request::get(server.url("/slow")))
        .await
        .unwrap_err();
    assert_eq!(err.status, Status::Timeout);
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = Server::start(move |_, _, _| {
        h.fetch_add(1, Ordering::SeqCst);
        reply(200, "x")
    })
    .await;
    let f = Fetcher::new(Settings {
        allow_private: false,
        ..settings()
    })
    .unwrap();
    let err = f.fetch(&Request::get(server.url("/a"))).await.unwrap_err();
    assert_eq!(err.status, Status::Connect);
    assert!(err.message.contains("allow_private"), "{err}");
    let named = Url::parse(&format!("http://localhost:{}/a", server.port)).unwrap();
    let err = f.fetch(&Request::get(named)).await.unwrap_err();
    assert_eq!(err.status, Status::Connect, "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn configured_headers_stay_on_their_hosts() {
    let server =
        Server::start(|path, _, _| robots_allow_all(path).unwrap_or_else(|| reply(200, "x"))).await;
    let port = server.port;
    let f = Fetcher::new(settings()).unwrap();
    let mut req = Request::get(server.url("/other"));
    req.headers = vec![("X-Token".into(), "secret".into())];
    req.header_hosts = vec!["127.0.0.1".into()];
    f.fetch(&req).await.unwrap();
    let mut req2 = req.clone();
    req2.url = Url::parse(&format!("http://localhost:{port}/elsewhere")).unwrap();
    f.fetch(&req2).await.unwrap();
    let seen = server.seen();
    let with = |p: &str| {
        seen.iter()
            .filter(|s| s.path == p)
            .any(|s| s.head.to_ascii_lowercase().contains("x-token: secret"))
    };
    assert!(with("/other"));
    assert!(!with("/elsewhere"));
}

#[test]
fn retry_after_forms() {
    assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon"), None);
    assert_eq!(
        charset_of("text/html; charset=\"gb2312\""),
        Some("gb2312".into())
    );
}
