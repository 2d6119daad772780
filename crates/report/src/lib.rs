//! Reports: the daily brief and the weekly monitoring report.
//!
//! [`data`] builds the report data from store rows (pure functions; the JSON report is that
//! data as is); [`html`] and [`markdown`] render it; [`charts`] draws the charts as SVG and
//! [`png`] rasterises them for e-mail; [`mail`] builds the message and delivers it over SMTP.
//! [`write_files`] writes a report under the reports folder with stable names and refreshes the
//! index page.

pub mod charts;
pub mod data;
pub mod gather;
pub mod html;
pub mod mail;
pub mod markdown;
pub mod png;

use std::path::{Path, PathBuf};

pub use data::{Daily, Week, Weekly};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Font(String),
    #[error("chart {0}: {1}")]
    Chart(String, String),
    #[error("{0}")]
    Mail(String),
}

pub type Result<T> = std::result::Result<T, ReportError>;

/// The three renderings of a report, and where they go.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// `weekly` or `daily`.
    pub kind: &'static str,
    /// `2026-W48` or `2026-11-28`.
    pub id: String,
    pub title: String,
    pub html: String,
    pub markdown: String,
    pub json: String,
}

impl Rendered {
    pub fn weekly(r: &Weekly) -> Rendered {
        Rendered {
            kind: "weekly",
            id: r.id.clone(),
            title: r.title.clone(),
            html: html::weekly(r, html::Target::File),
            markdown: markdown::weekly(r),
            json: serde_json::to_string_pretty(r).unwrap_or_default(),
        }
    }

    pub fn daily(r: &Daily) -> Rendered {
        Rendered {
            kind: "daily",
            id: r.id.clone(),
            title: r.title.clone(),
            html: html::daily(r),
            markdown: markdown::daily(r),
            json: serde_json::to_string_pretty(r).unwrap_or_default(),
        }
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    // write beside, then rename: a reader never sees half a report
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|source| ReportError::Write {
            path: path.display().to_string(),
            source,
        })
}

/// Writes `reports/<kind>/<id>.{html,md,json}` and refreshes `reports/index.html`; returns the
/// files written.
pub fn write_files(dir: &Path, r: &Rendered) -> Result<Vec<PathBuf>> {
    let sub = dir.join(r.kind);
    std::fs::create_dir_all(&sub).map_err(|source| ReportError::Write {
        path: sub.display().to_string(),
        source,
    })?;
    let mut out = Vec::new();
    for (ext, body) in [("html", &r.html), ("md", &r.markdown), ("json", &r.json)] {
        let p = sub.join(format!("{}.{ext}", r.id));
        write(&p, body.as_bytes())?;
        out.push(p);
    }
    write_index(dir)?;
    Ok(out)
}

/// `reports/index.html`: every report on disk, newest first.
pub fn write_index(dir: &Path) -> Result<()> {
    let mut sections = String::new();
    for (kind, label) in [("weekly", "周报"), ("daily", "日报")] {
        let mut ids: Vec<String> = std::fs::read_dir(dir.join(kind))
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        name.strip_suffix(".html").map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        sections.push_str(&format!("<h2>{label}（{} 份）</h2><ul>", ids.len()));
        for id in ids {
            let id = html::escape(&id);
            sections.push_str(&format!(
                "<li><a href=\"{kind}/{id}.html\">{id}</a> · <a href=\"{kind}/{id}.md\">Markdown</a> · <a href=\"{kind}/{id}.json\">JSON</a></li>"
            ));
        }
        sections.push_str("</ul>");
    }
    let page = format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>舆情监测报告</title><style>body{{font-family:sans-serif;max-width:760px;margin:24px auto;padding:0 16px;color:#1d2733}}h1{{color:#a3231b}}a{{color:#1a4f8b}}li{{margin:4px 0}}</style></head><body><h1>舆情监测报告</h1>{sections}</body></html>\n"
    );
    write(&dir.join("index.html"), page.as_bytes())
}

/// The week's tagged articles as CSV (UTF-8 with a BOM, for Excel).
pub fn tagged_csv(typical: &data::Typical) -> Vec<u8> {
    use yuqing_model::csv::field;
    let mut out = String::from("\u{feff}标签,标题,单位,时间,链接,得分,依据\r\n");
    for (label, items) in [
        ("典型人物", &typical.person),
        ("典型事件", &typical.event),
        ("典型案例", &typical.case),
    ] {
        for i in items {
            let row = [
                label.to_string(),
                i.title.clone(),
                i.unit_name.clone(),
                i.date.clone(),
                i.url.clone(),
                format!("{:.3}", i.score),
                i.evidence.clone(),
            ];
            out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests;
