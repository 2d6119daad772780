//! Outbound POSTs the configuration asks for (alert webhooks): a separate client with its own
//! timeouts, no redirects, no robots.txt and no private-address guard — the address is the
//! operator's own setting, not a link found in a page.

use std::time::Duration;

/// A JSON poster with fixed timeouts.
#[derive(Clone, Debug)]
pub struct Poster {
    client: reqwest::Client,
}

/// Most bytes of an answer kept (the platforms answer with a short JSON).
const MAX_ANSWER: usize = 64 * 1024;

impl Poster {
    pub fn new(user_agent: &str, timeout: Duration) -> Result<Poster, String> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Poster { client })
    }

    /// POSTs `body` as JSON; the status and (the start of) the answer. The error names the
    /// host, never the full URL: webhook URLs carry their access tokens.
    pub async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<(u16, String), String> {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .ok_or_else(|| {
                "the webhook address is not a URL: check the environment variable named by url_env"
                    .to_string()
            })?;
        let send = self
            .client
            .post(url)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string())
            .send()
            .await;
        let mut resp = send.map_err(|e| {
            if e.is_timeout() {
                format!("{host} did not answer in time")
            } else if e.is_connect() {
                format!("cannot connect to {host}")
            } else {
                format!("request to {host} failed")
            }
        })?;
        let status = resp.status().as_u16();
        let mut text = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|_| format!("{host} broke off its answer"))?
        {
            text.extend_from_slice(&chunk);
            if text.len() > MAX_ANSWER {
                text.truncate(MAX_ANSWER);
                break;
            }
        }
        Ok((status, String::from_utf8_lossy(&text).into_owned()))
    }
}
