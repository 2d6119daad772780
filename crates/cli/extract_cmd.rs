//! `yuqing extract FILE`: offline extraction of a saved page or feed.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use yuqing_extract::{Extracted, Input, ListResult};
use yuqing_model::SourceKind;

use crate::UsageError;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The saved page or feed (bytes as saved, any charset); `-` reads standard input.
    file: PathBuf,
    /// The address the page came from (resolves links, gives dates and the charset hint).
    #[arg(long, default_value = "https://example.invalid/page.html")]
    url: String,
    /// What the file is; detected when omitted.
    #[arg(long, value_parser = ["html", "wechat", "feed"])]
    kind: Option<String>,
    /// The HTTP charset the page was served with.
    #[arg(long)]
    charset: Option<String>,
    /// Read the file as a list page: print its article links and the next page.
    #[arg(long)]
    list: bool,
    /// Print JSON instead of a readable summary.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let bytes = if args.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
        buf
    } else {
        std::fs::read(&args.file)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", args.file.display())))?
    };
    let mut input = Input::new(&bytes, &args.url);
    input.kind = args.kind.as_deref().and_then(SourceKind::parse);
    input.http_charset = args.charset.as_deref();
    if args.list {
        return list(&input, args.json);
    }
    let extracted = yuqing_extract::extract(&input).map_err(|e| UsageError(e.to_string()))?;
    if args.json {
        let value = match &extracted {
            Extracted::Article(a) => serde_json::to_value(a)?,
            Extracted::Feed(f) => serde_json::to_value(f)?,
            Extracted::Deleted { url, reason } => {
                serde_json::json!({"url": url, "status": "deleted", "reason": reason})
            }
            Extracted::Blocked { url, reason } => {
                serde_json::json!({"url": url, "status": "blocked", "reason": reason})
            }
        };
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    match extracted {
        Extracted::Article(a) => {
            println!("标题 (title): {}", a.title);
            println!("类型 (kind): {}", a.kind.label());
            println!(
                "时间 (published): {}",
                a.published_at.map_or("—".to_string(), |d| d.to_rfc3339())
            );
            println!("作者 (author): {}", a.author.as_deref().unwrap_or("—"));
            println!("来源 (origin): {}", a.origin.as_deref().unwrap_or("—"));
            println!("网站 (site): {}", a.site_name.as_deref().unwrap_or("—"));
            println!("网址 (url): {}", a.url);
            for w in &a.warnings {
                println!("提示 (warning): {w}");
            }
            println!("正文 (body, {} 字):", a.body.chars().count());
            println!("{}", a.body);
        }
        Extracted::Feed(f) => {
            println!(
                "订阅源 (feed): {} — {} 条",
                f.feed.title.as_deref().unwrap_or("—"),
                f.entries.len()
            );
            for w in &f.feed.warnings {
                println!("提示 (warning): {w}");
            }
            for e in &f.entries {
                println!(
                    "  {}  {}  {}{}",
                    e.published_at.map_or("—".to_string(), |d| d
                        .format("%Y-%m-%d %H:%M")
                        .to_string()),
                    e.title,
                    e.url,
                    if e.full_text == Some(true) {
                        "  [全文]"
                    } else {
                        "  [摘要]"
                    }
                );
            }
        }
        Extracted::Deleted { url, reason } => println!("已删除 (deleted): {url}: {reason}"),
        Extracted::Blocked { url, reason } => println!("被拦截 (blocked): {url}: {reason}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn list(input: &Input<'_>, json: bool) -> anyhow::Result<ExitCode> {
    let result = yuqing_extract::extract_list(input).map_err(|e| UsageError(e.to_string()))?;
    let ListResult::Page(page) = result else {
        // only a jpaas source (which needs its configuration) yields requests
        return Err(
            UsageError("this page needs its source's list_mode: use yuqing scan".into()).into(),
        );
    };
    if json {
        let value = serde_json::json!({
            "url": input.url,
            "links": page.links,
            "next_page": page.next_page,
            "warnings": page.warnings,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("文章链接 (article links): {}", page.links.len());
    for l in &page.links {
        println!(
            "  {}  {}  {}",
            l.date.map_or("          ".to_string(), |d| d
                .format("%Y-%m-%d")
                .to_string()),
            l.text,
            l.url
        );
    }
    println!(
        "下一页 (next page): {}",
        page.next_page.as_deref().unwrap_or("—")
    );
    for w in &page.warnings {
        println!("提示 (warning): {w}");
    }
    Ok(ExitCode::SUCCESS)
}
