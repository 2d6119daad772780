//! `yuqing eval extract DIR`: score extraction against a corpus folder's ground truth.
//!
//! The folder's layout says which corpus it is (see `Corpus::detect`). Body score: bag-of-tokens
//! precision / recall / F1 averaged over pages, where a token is one CJK character, or one
//! lowercased word in other scripts; whitespace and punctuation are not tokens. Each corpus has
//! floors; a run below any floor exits 1.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;
use yuqing_extract::{ArticleDraft, Extracted, Input};
use yuqing_model::SourceKind;

use crate::UsageError;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A corpus folder with ground truth (e.g. ../shared/corpus/scrapinghub-article-extraction-benchmark).
    dir: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Print only the totals, not a line per page.
    #[arg(long)]
    quiet: bool,
}

/// Tokens for the body score.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        let cjk = matches!(c as u32,
            0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF);
        if cjk {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(c.to_string());
        } else if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// (precision, recall, F1) of `got` against `want` as bags of tokens.
pub fn bag_f1(got: &str, want: &str) -> (f64, f64, f64) {
    let g = tokens(got);
    let w = tokens(want);
    if g.is_empty() && w.is_empty() {
        return (1.0, 1.0, 1.0);
    }
    if g.is_empty() || w.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for t in &w {
        *counts.entry(t).or_default() += 1;
    }
    let mut common = 0i64;
    for t in &g {
        if let Some(c) = counts.get_mut(t.as_str())
            && *c > 0
        {
            *c -= 1;
            common += 1;
        }
    }
    let p = common as f64 / g.len() as f64;
    let r = common as f64 / w.len() as f64;
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

#[derive(Serialize, Debug, Default)]
struct PageResult {
    page: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    precision: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recall: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    f1: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title_ok: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_ok: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replacement_chars: Option<usize>,
    ok: bool,
    note: String,
}

#[derive(Serialize, Debug)]
struct Floor {
    name: String,
    value: f64,
    floor: f64,
    /// true when higher is better
    at_least: bool,
    passed: bool,
}

#[derive(Serialize, Debug)]
struct Summary {
    corpus: String,
    pages: usize,
    pages_per_second: f64,
    figures: Vec<Floor>,
    passed: bool,
    results: Vec<PageResult>,
}

fn floor(name: &str, value: f64, floor: f64, at_least: bool) -> Floor {
    let passed = if at_least {
        value + 1e-9 >= floor
    } else {
        value <= floor + 1e-9
    };
    Floor {
        name: name.into(),
        value,
        floor,
        at_least,
        passed,
    }
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.collect();
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    serde_json::from_slice(&read(path)?)
        .with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Extracts an article page, timing the extraction.
fn article(
    bytes: &[u8],
    url: &str,
    kind: Option<SourceKind>,
    spent: &mut Duration,
) -> Result<ArticleDraft, String> {
    let mut input = Input::new(bytes, url);
    input.kind = kind;
    let t = Instant::now();
    let r = yuqing_extract::extract(&input);
    *spent += t.elapsed();
    match r {
        Ok(Extracted::Article(a)) => Ok(a),
        Ok(Extracted::Feed(_)) => Err("read as a feed".into()),
        Ok(Extracted::Deleted { reason, .. }) => Err(format!("deleted: {reason}")),
        Ok(Extracted::Blocked { reason, .. }) => Err(format!("blocked: {reason}")),
        Err(e) => Err(e.to_string()),
    }
}

fn body_result(page: String, got: Result<&ArticleDraft, &String>, want: &str) -> PageResult {
    match got {
        Ok(a) => {
            let (p, r, f) = bag_f1(&a.body, want);
            PageResult {
                page,
                precision: Some(p),
                recall: Some(r),
                f1: Some(f),
                ok: true,
                ..Default::default()
            }
        }
        Err(e) => PageResult {
            page,
            precision: Some(0.0),
            recall: Some(0.0),
            f1: Some(0.0),
            ok: false,
            note: e.clone(),
            ..Default::default()
        },
    }
}

/// Same calendar day, comparing the ground truth's `YYYY-MM-DD` prefix.
fn same_day(got: Option<&chrono::DateTime<chrono::FixedOffset>>, want_ymd: &str) -> bool {
    got.is_some_and(|d| d.format("%Y-%m-%d").to_string() == want_ymd)
}

/// The `YYYY-MM-DD` of a ground-truth date, when it gives a whole day.
fn gt_day(s: &str) -> Option<String> {
    yuqing_extract::dates::parse_date(s, None).map(|d| d.format("%Y-%m-%d").to_string())
}

fn scrapinghub(dir: &Path, spent: &mut Duration) -> anyhow::Result<(Vec<PageResult>, Vec<Floor>)> {
    let gt = read_json(&dir.join("ground-truth.json"))?;
    let gt = gt
        .as_object()
        .context("ground-truth.json: expected an object")?;
    let mut ids: Vec<&String> = gt.keys().collect();
    ids.sort();
    let mut results = Vec::new();
    for id in ids {
        let entry = &gt[id];
        let url = entry["url"].as_str().unwrap_or("https://example.invalid/");
        let want = entry["articleBody"].as_str().unwrap_or("");
        let gz = read(&dir.join("html").join(format!("{id}.html.gz")))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut bytes)
            .with_context(|| format!("{id}.html.gz is not valid gzip"))?;
        let got = article(&bytes, url, Some(SourceKind::Html), spent);
        results.push(body_result(id[..12].to_string(), got.as_ref(), want));
    }
    let f1 = mean(results.iter().filter_map(|r| r.f1));
    Ok((results, vec![floor("body F1", f1, 0.95, true)]))
}

fn chinese_dataset(
    dir: &Path,
    spent: &mut Duration,
) -> anyhow::Result<(Vec<PageResult>, Vec<Floor>)> {
    let bodies = read_json(&dir.join("eval/cleaned_ground.json"))?;
    let dates = read_json(&dir.join("eval/date_ground.json"))?;
    let bodies = bodies
        .as_object()
        .context("cleaned_ground.json: expected an object")?;
    let mut ids: Vec<&String> = bodies.keys().collect();
    ids.sort();
    let mut results = Vec::new();
    let mut date_total = 0;
    let mut date_ok = 0;
    for id in ids {
        let bytes = read(&dir.join("original").join(format!("{id}.html")))?;
        // 2003–05 pages sit in a <text id="URL" …> wrapper that names their address
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(400)]).into_owned();
        let url = head
            .strip_prefix("<text id=\"")
            .and_then(|r| r.split('"').next())
            .filter(|u| u.starts_with("http"))
            .unwrap_or("https://example.invalid/page.html")
            .to_string();
        let want = bodies[id]["articleBody"].as_str().unwrap_or("");
        let got = article(&bytes, &url, Some(SourceKind::Html), spent);
        let mut r = body_result(id[..8].to_string(), got.as_ref(), want);
        if let Some(day) = dates[id]["articleBody"].as_str().and_then(gt_day) {
            date_total += 1;
            let ok = same_day(
                got.as_ref().ok().and_then(|a| a.published_at.as_ref()),
                &day,
            );
            date_ok += usize::from(ok);
            r.date_ok = Some(ok);
            if !ok {
                r.note = format!(
                    "date {} want {day}",
                    got.as_ref()
                        .ok()
                        .and_then(|a| a.published_at)
                        .map_or("none".into(), |d| d.to_rfc3339())
                );
            }
        }
        results.push(r);
    }
    let f1 = mean(results.iter().filter_map(|r| r.f1));
    let date_rate = date_ok as f64 / date_total.max(1) as f64;
    Ok((
        results,
        vec![
            floor("body F1", f1, 0.90, true),
            floor(
                &format!("date same day ({date_ok}/{date_total})"),
                date_rate,
                0.90,
                true,
            ),
        ],
    ))
}

fn ccdi(dir: &Path, spent: &mut Duration) -> anyhow::Result<(Vec<PageResult>, Vec<Floor>)> {
    let gt = read_json(&dir.join("ground_truth_by_file.json"))?;
    let gt = gt
        .as_object()
        .context("ground_truth_by_file.json: expected an object")?;
    let mut files: Vec<&String> = gt.keys().collect();
    files.sort();
    let mut results = Vec::new();
    let (mut titles, mut dates, mut dated) = (0, 0, 0);
    for file in &files {
        let e = &gt[*file];
        let bytes = read(&dir.join(file))?;
        let url = e["url"].as_str().unwrap_or("https://www.ccdi.gov.cn/");
        let got = article(&bytes, url, Some(SourceKind::Html), spent);
        let want = e["content"].as_str().unwrap_or("");
        let name = file.rsplit('/').next().unwrap_or(file).to_string();
        let mut r = if want.trim().is_empty() {
            // three pages have no body in the ground truth: their body is not scored
            PageResult {
                page: name,
                ok: got.is_ok(),
                note: "no ground-truth body".into(),
                ..Default::default()
            }
        } else {
            body_result(name, got.as_ref(), want)
        };
        let want_title = e["title"].as_str().unwrap_or("").trim();
        let title_ok = got.as_ref().is_ok_and(|a| a.title.trim() == want_title);
        titles += usize::from(title_ok);
        r.title_ok = Some(title_ok);
        if !title_ok {
            r.note = format!(
                "title {:?} want {want_title:?}",
                got.as_ref().map(|a| a.title.clone()).unwrap_or_default()
            );
        }
        if let Some(day) = e["publish_time"].as_str().and_then(gt_day) {
            dated += 1;
            let ok = same_day(
                got.as_ref().ok().and_then(|a| a.published_at.as_ref()),
                &day,
            );
            dates += usize::from(ok);
            r.date_ok = Some(ok);
        }
        results.push(r);
    }
    let n = files.len().max(1) as f64;
    let f1 = mean(results.iter().filter_map(|r| r.f1));
    Ok((
        results,
        vec![
            floor(
                &format!("title exact ({titles}/{})", files.len()),
                titles as f64 / n,
                0.95,
                true,
            ),
            floor(
                &format!("date same day ({dates}/{dated})"),
                dates as f64 / dated.max(1) as f64,
                0.95,
                true,
            ),
            floor("body F1", f1, 0.90, true),
        ],
    ))
}

fn netease_gbk(dir: &Path, spent: &mut Duration) -> anyhow::Result<(Vec<PageResult>, Vec<Floor>)> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("RawHtml"))
        .with_context(|| format!("cannot list {}", dir.join("RawHtml").display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".html"))
        .collect();
    names.sort_by_key(|n| {
        n.trim_end_matches(".html")
            .parse::<u32>()
            .unwrap_or(u32::MAX)
    });
    let mut results = Vec::new();
    let mut with_fffd = 0;
    for name in names {
        let bytes = read(&dir.join("RawHtml").join(&name))?;
        let stem = name.trim_end_matches(".html");
        let want_bytes = read(&dir.join("Text").join(format!("{stem}.txt")))?;
        let (want, _, _) = encoding_rs::GB18030.decode(&want_bytes);
        let got = article(
            &bytes,
            "https://news.163.com/page.html",
            Some(SourceKind::Html),
            spent,
        );
        let mut r = body_result(name.clone(), got.as_ref(), &want);
        let fffd = got
            .as_ref()
            .map(|a| (a.title.clone() + &a.body).matches('\u{fffd}').count())
            .unwrap_or(0);
        if fffd > 0 {
            with_fffd += 1;
            r.note = format!("{fffd} replacement characters");
        }
        r.replacement_chars = Some(fffd);
        results.push(r);
    }
    let f1 = mean(results.iter().filter_map(|r| r.f1));
    Ok((
        results,
        vec![
            floor("pages with U+FFFD", with_fffd as f64, 0.0, false),
            floor("body F1", f1, 0.85, true),
        ],
    ))
}

fn wechat(dir: &Path, spent: &mut Duration) -> anyhow::Result<(Vec<PageResult>, Vec<Floor>)> {
    let markers = read_json(&dir.join("dom_markers_observed.json"))?;
    let markers = markers
        .as_object()
        .context("dom_markers_observed.json: expected an object")?;
    let mut files: Vec<&String> = markers.keys().collect();
    files.sort();
    let mut results = Vec::new();
    let mut good = 0;
    for file in &files {
        let m = &markers[*file];
        let bytes = read(&dir.join("html").join(file))?;
        let got = article(
            &bytes,
            "https://mp.weixin.qq.com/s/saved-copy",
            Some(SourceKind::Wechat),
            spent,
        );
        let mut problems = Vec::new();
        match &got {
            Ok(a) => {
                if a.title.is_empty()
                    || m["var_msg_title"]
                        .as_str()
                        .is_some_and(|t| t.trim() != a.title)
                {
                    problems.push(format!("title {:?}", a.title));
                }
                if a.site_name.as_deref().unwrap_or("").is_empty()
                    || m["var_nickname"]
                        .as_str()
                        .is_some_and(|n| Some(n.trim()) != a.site_name.as_deref())
                {
                    problems.push(format!("account {:?}", a.site_name));
                }
                let want_time = m["var_ct_as_Asia_Shanghai"].as_str().unwrap_or("");
                if a.published_at.map(|d| d.to_rfc3339()).as_deref() != Some(want_time) {
                    problems.push(format!(
                        "time {:?} want {want_time}",
                        a.published_at.map(|d| d.to_rfc3339())
                    ));
                }
                let n = a.body.chars().count();
                if n <= 200 {
                    problems.push(format!("body only {n} characters"));
                }
            }
            Err(e) => problems.push(e.clone()),
        }
        let ok = problems.is_empty();
        good += usize::from(ok);
        results.push(PageResult {
            page: (*file).clone(),
            ok,
            note: problems.join("; "),
            ..Default::default()
        });
    }
    Ok((
        results,
        vec![floor(
            &format!("pages complete ({good}/{})", files.len()),
            good as f64 / files.len().max(1) as f64,
            1.0,
            true,
        )],
    ))
}

fn feed_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

const FEED_URL: &str = "https://feeds.example.invalid/feed.xml";

fn feed(bytes: &[u8], spent: &mut Duration) -> Result<yuqing_extract::FeedDraft, String> {
    let input = Input {
        kind: Some(SourceKind::Feed),
        ..Input::new(bytes, FEED_URL)
    };
    let t = Instant::now();
    let r = yuqing_extract::extract(&input);
    *spent += t.elapsed();
    match r {
        Ok(Extracted::Feed(f)) => Ok(f),
        Ok(_) => Err("not read as a feed".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Text that is garbled: replacement characters or C1 control characters from a wrong charset.
fn garbled(s: &str) -> bool {
    s.chars().any(|c| c == '\u{fffd}' || misdecoded(c))
}

/// C1 control characters: the mark of bytes decoded in the wrong charset.
fn misdecoded(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c)
}

fn rssant(dir: &Path, spent: &mut Duration) -> anyhow::Result<(Vec<PageResult>, Vec<Floor>)> {
    let base = dir.join("tests/feedlib/testdata/parser");
    let mut results = Vec::new();
    let (mut good_total, mut good_ok, mut failed_total, mut failed_ok) = (0, 0, 0, 0);
    for group in ["well", "warn", "failed"] {
        for path in feed_files(&base.join(group)) {
            let bytes = read(&path)?;
            let name = format!(
                "{group}/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            let got = feed(&bytes, spent);
            let (ok, note) = match (group, &got) {
                ("failed", Err(e)) => (true, format!("rejected: {e}")),
                ("failed", Ok(f)) => {
                    let clean = !f.entries.is_empty()
                        && f.entries.iter().all(|e| {
                            !e.title.is_empty() && !garbled(&e.title) && !garbled(&e.body)
                        });
                    (clean, format!("recovered {} entries", f.entries.len()))
                }
                (_, Ok(f)) => {
                    // U+FFFD that the publisher's own text carries is kept; decoding in a wrong
                    // charset shows as C1 control characters
                    let clean = f.entries.iter().all(|e| {
                        !e.title.chars().any(misdecoded) && !e.body.chars().any(misdecoded)
                    });
                    (
                        !f.entries.is_empty() && clean,
                        format!("{} entries", f.entries.len()),
                    )
                }
                (_, Err(e)) => (false, e.clone()),
            };
            if group == "failed" {
                failed_total += 1;
                failed_ok += usize::from(ok);
            } else {
                good_total += 1;
                good_ok += usize::from(ok);
            }
            results.push(PageResult {
                page: name,
                ok,
                note,
                ..Default::default()
            });
        }
    }
    Ok((
        results,
        vec![
            floor(
                &format!("well/warn feeds with entries ({good_ok}/{good_total})"),
                good_ok as f64 / good_total.max(1) as f64,
                1.0,
                true,
            ),
            floor(
                &format!("failed feeds rejected or cleanly recovered ({failed_ok}/{failed_total})"),
                failed_ok as f64 / failed_total.max(1) as f64,
                1.0,
                true,
            ),
        ],
    ))
}

fn feed_rs_fixtures(
    dir: &Path,
    spent: &mut Duration,
) -> anyhow::Result<(Vec<PageResult>, Vec<Floor>)> {
    let files = feed_files(&dir.join("feed-rs/fixture"));
    let mut results = Vec::new();
    let (mut total, mut good) = (0, 0);
    for path in &files {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if name.ends_with(".serde.json") || name.starts_with('.') {
            continue;
        }
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        let expected = path.with_file_name(format!("{stem}.serde.json"));
        let bytes = read(path)?;
        let got = feed(&bytes, spent);
        total += 1;
        let (ok, note) = if expected.exists() {
            let want = read_json(&expected)?;
            let want_entries = want["entries"].as_array().cloned().unwrap_or_default();
            match &got {
                Ok(f) => {
                    let mut problems = Vec::new();
                    if f.entries.len() != want_entries.len() {
                        problems.push(format!(
                            "{} entries, want {}",
                            f.entries.len(),
                            want_entries.len()
                        ));
                    }
                    for (e, w) in f.entries.iter().zip(&want_entries) {
                        let wt = w["title"]["content"]
                            .as_str()
                            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "));
                        if let Some(wt) = wt {
                            let gt = e.title.split_whitespace().collect::<Vec<_>>().join(" ");
                            let wt_text = yuqing_extract::feed::plain_text(&wt);
                            if gt != wt_text {
                                problems.push(format!("title {gt:?} want {wt_text:?}"));
                            }
                        }
                        if let Some(wl) = w["links"][0]["href"].as_str()
                            && !e.url.is_empty()
                        {
                            // relative links in a fixture resolve against the feed's address
                            let abs = url::Url::parse(FEED_URL)
                                .and_then(|b| b.join(wl))
                                .map_or_else(|_| wl.to_string(), |u| u.to_string());
                            let canon = yuqing_extract::canonicalize(&abs).unwrap_or(abs);
                            if canon != e.url && wl != e.url {
                                problems.push(format!("link {:?} want {wl:?}", e.url));
                            }
                        }
                    }
                    (problems.is_empty(), problems.join("; "))
                }
                Err(e) => (false, e.clone()),
            }
        } else {
            match &got {
                Err(e) => (true, format!("rejected (no expected parse): {e}")),
                Ok(f) => {
                    let clean = f
                        .entries
                        .iter()
                        .all(|e| !garbled(&e.title) && !garbled(&e.body));
                    (
                        clean,
                        format!("recovered {} entries (no expected parse)", f.entries.len()),
                    )
                }
            }
        };
        good += usize::from(ok);
        results.push(PageResult {
            page: name,
            ok,
            note,
            ..Default::default()
        });
    }
    Ok((
        results,
        vec![floor(
            &format!("fixtures matching feed-rs's expected parse ({good}/{total})"),
            good as f64 / total.max(1) as f64,
            1.0,
            true,
        )],
    ))
}

type Scorer = fn(&Path, &mut Duration) -> anyhow::Result<(Vec<PageResult>, Vec<Floor>)>;

fn detect(dir: &Path) -> Option<(&'static str, Scorer)> {
    let has = |p: &str| dir.join(p).exists();
    if has("ground-truth.json") && has("html") {
        Some(("scrapinghub-article-extraction-benchmark", scrapinghub))
    } else if has("eval/cleaned_ground.json") {
        Some(("chinese-web-content-extraction-dataset", chinese_dataset))
    } else if has("ground_truth_by_file.json") {
        Some(("ccdi-gov-typical-case-pages", ccdi))
    } else if has("RawHtml") && has("Text") {
        Some(("cx-extractor-netease-gbk", netease_gbk))
    } else if has("dom_markers_observed.json") {
        Some(("wechat-mp-articles", wechat))
    } else if has("tests/feedlib/testdata/parser") {
        Some(("rssant-feed-testdata", rssant))
    } else if has("feed-rs/fixture") {
        Some(("feed-rs-fixtures", feed_rs_fixtures))
    } else {
        None
    }
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if !args.dir.is_dir() {
        return Err(UsageError(format!("{} is not a folder", args.dir.display())).into());
    }
    let Some((name, scorer)) = detect(&args.dir) else {
        return Err(UsageError(format!(
            "{} is not a known corpus: expected the layout of one of the extraction corpora (ground-truth.json, eval/cleaned_ground.json, ground_truth_by_file.json, RawHtml+Text, dom_markers_observed.json, feed test data)",
            args.dir.display()
        ))
        .into());
    };
    let mut spent = Duration::ZERO;
    let (results, figures) = scorer(&args.dir, &mut spent)?;
    if results.is_empty() {
        bail!("{}: no pages found", args.dir.display());
    }
    let summary = Summary {
        corpus: name.to_string(),
        pages: results.len(),
        pages_per_second: results.len() as f64 / spent.as_secs_f64().max(1e-9),
        passed: figures.iter().all(|f| f.passed),
        figures,
        results,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_human(&summary, args.quiet);
    }
    Ok(if summary.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_human(s: &Summary, quiet: bool) {
    if !quiet {
        for r in &s.results {
            let mut line = format!("{} {:<40}", if r.ok { "  " } else { "✗ " }, r.page);
            if let (Some(p), Some(rc), Some(f)) = (r.precision, r.recall, r.f1) {
                line.push_str(&format!(" P {p:.3} R {rc:.3} F1 {f:.3}"));
            }
            if let Some(t) = r.title_ok {
                line.push_str(if t { " title ✓" } else { " title ✗" });
            }
            if let Some(d) = r.date_ok {
                line.push_str(if d { " date ✓" } else { " date ✗" });
            }
            if !r.note.is_empty() {
                line.push_str(&format!("  {}", r.note));
            }
            println!("{line}");
        }
        println!();
    }
    println!(
        "语料 (corpus): {} — {} 页 (pages), {:.0} 页/秒 (extraction only, one thread)",
        s.corpus, s.pages, s.pages_per_second
    );
    for f in &s.figures {
        println!(
            "  {} {}: {:.3} (floor {} {:.3})",
            if f.passed { "✓" } else { "✗" },
            f.name,
            f.value,
            if f.at_least { ">=" } else { "<=" },
            f.floor
        );
    }
    println!(
        "{}",
        if s.passed {
            "结果: 达标 (all floors met)"
        } else {
            "结果: 未达标 (a floor was missed)"
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_cjk_and_words() {
        assert_eq!(
            tokens("中国科协, Hello World! 2026年"),
            vec!["中", "国", "科", "协", "hello", "world", "2026", "年"]
        );
    }

    #[test]
    fn bag_scores() {
        assert_eq!(bag_f1("甲乙丙", "甲乙丙"), (1.0, 1.0, 1.0));
        let (p, r, f) = bag_f1("甲乙", "甲乙丙丁");
        assert_eq!((p, r), (1.0, 0.5));
        assert!((f - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(bag_f1("", "甲"), (0.0, 0.0, 0.0));
        assert_eq!(bag_f1("，。", "  "), (1.0, 1.0, 1.0));
    }
}
