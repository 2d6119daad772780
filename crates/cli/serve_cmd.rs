//! `yuqing serve`: the web page and JSON API over the store and the index.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use yuqing_web::AppState;

use crate::context::{self, UsageError};
use crate::{Cli, collect_cmd, data_cmd};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to listen. Anything but loopback needs a token in YUQING_WEB_TOKEN.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
}

/// The server's state from the configuration and the data directory.
pub fn state(
    cli: &Cli,
    token: Option<String>,
    bound: Option<SocketAddr>,
) -> anyhow::Result<AppState> {
    let config = context::load_config(cli)?;
    let setup = context::classifier(cli, true)?;
    let data = data_cmd::data_dir(cli)?;
    // create the store (and run its migrations) before the first request
    data_cmd::open_store(&data)?;
    let index = data_cmd::open_index(&data, setup.classifier.analyzer().clone())?;
    let (units, sources, topics, reports_dir) = match &config {
        Some(c) => (
            c.units
                .iter()
                .map(|u| (u.id.clone(), (u.name.clone(), u.kind.label().to_string())))
                .collect(),
            c.sources
                .iter()
                .map(|s| {
                    let name = s
                        .name
                        .clone()
                        .or_else(|| c.unit(&s.unit).map(|u| u.name.clone()))
                        .unwrap_or_else(|| s.id.clone());
                    (s.id.clone(), (name, s.unit.clone()))
                })
                .collect(),
            c.topics
                .iter()
                .map(|t| (t.id.clone(), t.name.clone()))
                .collect(),
            c.storage.reports_dir.clone(),
        ),
        None => (HashMap::new(), HashMap::new(), Vec::new(), "reports".into()),
    };
    let seed = std::collections::hash_map::RandomState::new()
        .hash_one((std::process::id(), std::time::SystemTime::now()));
    let mut hosts: Vec<String> = config
        .as_ref()
        .map(|c| c.web.hosts.clone())
        .unwrap_or_default();
    // the address the server is bound to answers too (an office machine's own IP)
    if let Some(ip) = bound.map(|a| a.ip()).filter(|ip| !ip.is_unspecified()) {
        hosts.push(ip.to_string());
    }
    Ok(AppState {
        data_dir: data,
        reports_dir,
        index,
        units,
        sources,
        topics,
        token,
        form_token: format!("{seed:016x}"),
        hosts,
        alert_rules: config
            .as_ref()
            .map(|c| c.alerts.clone())
            .unwrap_or_default(),
        channels: config
            .as_ref()
            .map(|c| c.channels.clone())
            .unwrap_or_default(),
    })
}

/// The shortest access token accepted.
pub const MIN_TOKEN_CHARS: usize = 16;

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    collect_cmd::init_logging();
    let token = std::env::var("YUQING_WEB_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    if let Some(t) = &token
        && t.chars().count() < MIN_TOKEN_CHARS
    {
        return Err(UsageError(format!(
            "YUQING_WEB_TOKEN is {} characters long: use at least {MIN_TOKEN_CHARS} (e.g. the output of `openssl rand -hex 16`)",
            t.chars().count()
        ))
        .into());
    }
    if !yuqing_web::is_loopback(&args.addr) && token.is_none() {
        return Err(UsageError(format!(
            "{} is reachable from other machines: set YUQING_WEB_TOKEN to a secret token first (or listen on 127.0.0.1)",
            args.addr
        ))
        .into());
    }
    let state = Arc::new(state(cli, token, Some(args.addr))?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| UsageError(format!("cannot listen on {}: {e}", args.addr)))?;
        let addr = listener.local_addr()?;
        println!("检索页面 (web page): http://{addr}/   (Ctrl-C to stop)");
        tracing::info!(%addr, "serving");
        yuqing_web::serve(listener, state, collect_cmd::shutdown_signal()).await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
