//! The report e-mail: multipart/alternative (plain text and HTML) inside multipart/related with
//! the charts as inline PNG images referenced by Content-ID, plus a CSV attachment; delivered
//! over SMTP (STARTTLS when the server offers it on `smtp://`, TLS on `smtps://`), retried with
//! backoff.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use url::Url;

use crate::{ReportError, Result};

/// Where and how to send.
#[derive(Clone, Debug)]
pub struct MailSettings {
    pub smtp_url: Url,
    pub username: Option<String>,
    /// Read by the caller from the environment variable the configuration names.
    pub password: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// `smtp://` requires STARTTLS unless this is false (`[mail].tls = "none"`).
    pub starttls: bool,
    /// The longest one delivery attempt may take.
    pub timeout: Duration,
}

/// One message.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `(content id, PNG bytes)`; the HTML refers to them as `cid:<id>`.
    pub images: Vec<(String, Vec<u8>)>,
    /// `(file name, content type, bytes)`.
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

fn mailbox(s: &str) -> Result<Mailbox> {
    s.parse()
        .map_err(|e| ReportError::Mail(format!("\"{s}\" is not a mail address: {e}")))
}

/// Builds the MIME message.
pub fn message(settings: &MailSettings, m: &Outgoing) -> Result<Message> {
    let mut builder = Message::builder()
        .from(mailbox(&settings.from)?)
        .subject(m.subject.clone());
    for to in &settings.to {
        builder = builder.to(mailbox(to)?);
    }
    for cc in &settings.cc {
        builder = builder.cc(mailbox(cc)?);
    }
    let alternative = MultiPart::alternative_plain_html(m.text.clone(), m.html.clone());
    let mut related = MultiPart::related().multipart(alternative);
    for (cid, png) in &m.images {
        let ct = ContentType::parse("image/png").map_err(|e| ReportError::Mail(e.to_string()))?;
        related = related.singlepart(Attachment::new_inline(cid.clone()).body(png.clone(), ct));
    }
    let mut mixed = MultiPart::mixed().multipart(related);
    for (name, ct, bytes) in &m.attachments {
        let ct = ContentType::parse(ct).map_err(|e| ReportError::Mail(e.to_string()))?;
        let part: SinglePart = Attachment::new(name.clone()).body(bytes.clone(), ct);
        mixed = mixed.singlepart(part);
    }
    builder
        .multipart(mixed)
        .map_err(|e| ReportError::Mail(format!("cannot build the message: {e}")))
}

fn transport(settings: &MailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let url = &settings.smtp_url;
    let host = url
        .host_str()
        .ok_or_else(|| ReportError::Mail(format!("{url}: no host")))?
        .to_string();
    let tls = || {
        TlsParameters::new(host.clone())
            .map_err(|e| ReportError::Mail(format!("TLS for {host}: {e}")))
    };
    let mut b = match url.scheme() {
        "smtps" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
            .port(url.port().unwrap_or(465))
            .tls(Tls::Wrapper(tls()?)),
        // STARTTLS required: a server that does not offer it gets no password in clear
        _ if settings.starttls => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
            .port(url.port().unwrap_or(587))
            .tls(Tls::Required(tls()?)),
        _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
            .port(url.port().unwrap_or(587))
            .tls(Tls::None),
    };
    if let Some(user) = &settings.username {
        b = b.credentials(Credentials::new(
            user.clone(),
            settings.password.clone().unwrap_or_default(),
        ));
    }
    Ok(b.timeout(Some(settings.timeout)).build())
}

/// Sends once.
pub async fn send(settings: &MailSettings, m: &Outgoing) -> Result<()> {
    let msg = message(settings, m)?;
    let transport = transport(settings)?;
    // lettre's timeout is per read; a server that trickles or stops after DATA is cut off here
    match tokio::time::timeout(settings.timeout, transport.send(msg)).await {
        Ok(sent) => sent.map(|_| ()).map_err(|e| {
            let e = e.to_string();
            let hint = if settings.starttls && e.to_lowercase().contains("tls") {
                " (the server does not offer STARTTLS: use smtps://, or set [mail].tls = \"none\" only for a relay on this machine)"
            } else {
                ""
            };
            ReportError::Mail(format!("SMTP {}: {e}{hint}", settings.smtp_url))
        }),
        Err(_) => Err(ReportError::Mail(format!(
            "SMTP {}: the delivery did not finish within {} s ([mail].timeout_s)",
            settings.smtp_url,
            settings.timeout.as_secs()
        ))),
    }
}

/// Sends, retrying `attempts - 1` times with a doubling delay from `backoff`. Message errors
/// (a bad address) are not retried.
pub async fn send_with_retries(
    settings: &MailSettings,
    m: &Outgoing,
    attempts: u32,
    backoff: Duration,
) -> Result<()> {
    message(settings, m)?;
    let mut wait = backoff;
    let mut last = None;
    for attempt in 1..=attempts.max(1) {
        match send(settings, m).await {
            Ok(()) => return Ok(()),
            Err(e) => {
                tracing::warn!(attempt, error = %e, "sending the report failed");
                last = Some(e);
                if attempt < attempts {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
    }
    Err(last.unwrap_or_else(|| ReportError::Mail("not sent".into())))
}
