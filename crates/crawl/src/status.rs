//! The fixed vocabulary every fetch outcome is classified into.

use std::fmt;

/// What became of one fetch. The names are a contract: they appear in `scan --json`, in the
/// store's source health and in the reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// The host name could not be resolved.
    Dns,
    /// The connection failed or was refused (including a refused private address).
    Connect,
    /// No complete answer within the time limit.
    Timeout,
    /// The TLS handshake or certificate failed.
    Tls,
    /// The server answered 4xx (other than a 429 that a retry overcame).
    Http4xx,
    /// The server answered 5xx after every retry.
    Http5xx,
    /// More than the allowed number of redirects, or a redirect loop.
    Redirect,
    /// robots.txt forbids the path (or could not be read, which means wait).
    RobotsDenied,
    /// The body exceeded the size limit (after decompression).
    TooLarge,
    /// The bytes could not be decoded as text in any charset.
    Charset,
    /// The page or feed could not be understood.
    Parse,
    /// The site refused to serve the page (captcha, firewall).
    Blocked,
    /// The publisher removed the page (404/410 on a known article, WeChat deletion notice).
    Deleted,
    /// The page was fetched but yuqing could not write it or its state to the store (disk
    /// full, a damaged database).
    Store,
    Ok,
    /// A conditional GET answered 304, or the content hash was unchanged.
    NotModified,
}

impl Status {
    pub const ALL: [Status; 16] = [
        Status::Dns,
        Status::Connect,
        Status::Timeout,
        Status::Tls,
        Status::Http4xx,
        Status::Http5xx,
        Status::Redirect,
        Status::RobotsDenied,
        Status::TooLarge,
        Status::Charset,
        Status::Parse,
        Status::Blocked,
        Status::Deleted,
        Status::Store,
        Status::Ok,
        Status::NotModified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Dns => "dns",
            Status::Connect => "connect",
            Status::Timeout => "timeout",
            Status::Tls => "tls",
            Status::Http4xx => "http-4xx",
            Status::Http5xx => "http-5xx",
            Status::Redirect => "redirect",
            Status::RobotsDenied => "robots-denied",
            Status::TooLarge => "too-large",
            Status::Charset => "charset",
            Status::Parse => "parse",
            Status::Blocked => "blocked",
            Status::Deleted => "deleted",
            Status::Store => "store",
            Status::Ok => "ok",
            Status::NotModified => "not-modified",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The Chinese label shown to staff.
    pub fn label(self) -> &'static str {
        match self {
            Status::Dns => "域名解析失败",
            Status::Connect => "连接失败",
            Status::Timeout => "超时",
            Status::Tls => "TLS证书错误",
            Status::Http4xx => "请求被拒(4xx)",
            Status::Http5xx => "服务器错误(5xx)",
            Status::Redirect => "重定向循环",
            Status::RobotsDenied => "robots.txt禁止",
            Status::TooLarge => "页面过大",
            Status::Charset => "编码无法识别",
            Status::Parse => "解析失败",
            Status::Blocked => "被网站拦截",
            Status::Deleted => "已删除",
            Status::Store => "数据库写入失败",
            Status::Ok => "正常",
            Status::NotModified => "无变化",
        }
    }

    /// Whether the outcome is a failure to report (robots denials of single articles, deletions
    /// and unchanged pages are not).
    pub fn is_failure(self) -> bool {
        !matches!(
            self,
            Status::Ok | Status::NotModified | Status::Deleted | Status::RobotsDenied
        )
    }

    /// Whether trying again soon may help.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Status::Timeout | Status::Connect | Status::Http5xx | Status::Dns
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Status::ALL.len());
        assert!(Status::Http5xx.is_failure());
        assert!(!Status::NotModified.is_failure());
    }
}
