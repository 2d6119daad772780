//! Aggregates for the reports: the light rows of a period, story clusters with their first
//! publisher, per-source publication times, and the record of report runs.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::{Result, Store, StoredTag};

/// An article as the reports see it (no body).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportRow {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub source: String,
    pub unit: String,
    pub unit_kind: String,
    /// Publication time (Unix seconds), or the fetch time when the page gave none.
    pub time: i64,
    pub tags: Vec<StoredTag>,
    pub topics: Vec<String>,
    pub keywords: Vec<String>,
    pub cluster: i64,
    pub origin: Option<String>,
}

/// A story cluster: its size, how many units carried it, and who published it first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterSummary {
    pub cluster: i64,
    pub size: i64,
    pub units: i64,
    pub first_id: i64,
    pub first_unit: String,
    pub first_source: String,
    pub first_time: i64,
    pub title: String,
    pub url: String,
}

/// One generated report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportRun {
    pub kind: String,
    pub period: String,
    pub created_at: String,
    pub files: Vec<String>,
    pub sent_at: Option<String>,
    pub send_error: Option<String>,
}

const ROW_COLUMNS: &str = "id, title, url, source, unit, unit_kind, published_ts, fetched_at, tags, topics, keywords, cluster_id, origin";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReportRow> {
    let list = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
    let published: Option<i64> = r.get(6)?;
    let fetched: String = r.get(7)?;
    Ok(ReportRow {
        id: r.get(0)?,
        title: r.get(1)?,
        url: r.get(2)?,
        source: r.get(3)?,
        unit: r.get(4)?,
        unit_kind: r.get(5)?,
        time: published
            .unwrap_or_else(|| DateTime::parse_from_rfc3339(&fetched).map_or(0, |d| d.timestamp())),
        tags: serde_json::from_str(&r.get::<_, String>(8)?).unwrap_or_default(),
        topics: list(r.get(9)?),
        keywords: list(r.get(10)?),
        cluster: r.get(11)?,
        origin: r.get(12)?,
    })
}

impl Store {
    /// Live and edited articles of `[from, to)`, by publication time (fetch time when unknown).
    pub fn report_rows(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ReportRow>> {
        let mut out = Vec::new();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM articles WHERE published_ts >= ?1 AND published_ts < ?2 AND status != 'deleted' ORDER BY published_ts, id"
        ))?;
        for r in stmt.query_map(params![from.timestamp(), to.timestamp()], row)? {
            out.push(r?);
        }
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM articles WHERE published_ts IS NULL AND status != 'deleted'"
        ))?;
        let (f, t) = (from.timestamp(), to.timestamp());
        for r in stmt.query_map([], row)? {
            let r = r?;
            if r.time >= f && r.time < t {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The keyword lists of the articles of `[from, to)` (for rising terms).
    pub fn keyword_lists(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Vec<String>>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT keywords FROM articles WHERE published_ts >= ?1 AND published_ts < ?2 AND status != 'deleted'",
        )?;
        let rows = stmt.query_map(params![from.timestamp(), to.timestamp()], |r| {
            r.get::<_, String>(0)
        })?;
        let mut out = Vec::new();
        for r in rows {
            out.push(serde_json::from_str(&r?).unwrap_or_default());
        }
        Ok(out)
    }

    /// For each cluster: size, units, and the earliest member (ties: the lower id).
    pub fn cluster_summaries(&self, clusters: &[i64]) -> Result<Vec<ClusterSummary>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, unit, source, coalesce(published_ts, 0), title, url FROM articles
             WHERE cluster_id = ?1 AND status != 'deleted' ORDER BY coalesce(published_ts, 9e18), id",
        )?;
        let mut out = Vec::new();
        for &c in clusters {
            let members: Vec<(i64, String, String, i64, String, String)> = stmt
                .query_map([c], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let Some(first) = members.first() else {
                continue;
            };
            let mut units: Vec<&str> = members.iter().map(|m| m.1.as_str()).collect();
            units.sort_unstable();
            units.dedup();
            out.push(ClusterSummary {
                cluster: c,
                size: members.len() as i64,
                units: units.len() as i64,
                first_id: first.0,
                first_unit: first.1.clone(),
                first_source: first.2.clone(),
                first_time: first.3,
                title: first.4.clone(),
                url: first.5.clone(),
            });
        }
        Ok(out)
    }

    /// Publication times of each source in `[from, to)` (for its usual cadence), read from the
    /// `(source, published_ts)` index alone.
    pub fn source_times(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<HashMap<String, Vec<i64>>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT source, published_ts FROM articles INDEXED BY articles_source WHERE published_ts >= ?1 AND published_ts < ?2",
        )?;
        let mut out: HashMap<String, Vec<i64>> = HashMap::new();
        for r in stmt.query_map([from.timestamp(), to.timestamp()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (s, t) = r?;
            out.entry(s).or_default().push(t);
        }
        Ok(out)
    }

    /// The last publication time of each source, ever.
    pub fn source_last_times(&self) -> Result<HashMap<String, i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT source, max(published_ts) FROM articles GROUP BY source")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
        })?;
        let mut out = HashMap::new();
        for r in rows {
            let (s, t) = r?;
            if let Some(t) = t {
                out.insert(s, t);
            }
        }
        Ok(out)
    }

    /// Records a generated report (replacing an earlier run of the same kind and period, but
    /// keeping when it was sent).
    pub fn record_report(&mut self, kind: &str, period: &str, files: &[String]) -> Result<()> {
        let now = Utc::now().to_rfc3339();
        let files = serde_json::to_string(files).unwrap_or_else(|_| "[]".into());
        let updated = self.conn.execute(
            "UPDATE report_runs SET created_at = ?3, files = ?4 WHERE kind = ?1 AND period = ?2",
            params![kind, period, now, files],
        )?;
        if updated == 0 {
            self.conn.execute(
                "INSERT INTO report_runs (kind, period, created_at, files) VALUES (?1, ?2, ?3, ?4)",
                params![kind, period, now, files],
            )?;
        }
        Ok(())
    }

    /// Records a delivery: sent (clears the error) or failed (keeps any earlier sent time).
    pub fn record_delivery(
        &mut self,
        kind: &str,
        period: &str,
        result: std::result::Result<(), &str>,
    ) -> Result<()> {
        let now = Utc::now().to_rfc3339();
        match result {
            Ok(()) => self.conn.execute(
                "UPDATE report_runs SET sent_at = ?3, send_error = NULL WHERE kind = ?1 AND period = ?2",
                params![kind, period, now],
            )?,
            Err(e) => self.conn.execute(
                "UPDATE report_runs SET send_error = ?3 WHERE kind = ?1 AND period = ?2",
                params![kind, period, format!("{now}: {e}")],
            )?,
        };
        Ok(())
    }

    pub fn report_run(&self, kind: &str, period: &str) -> Result<Option<ReportRun>> {
        Ok(self
            .conn
            .query_row(
                "SELECT kind, period, created_at, files, sent_at, send_error FROM report_runs WHERE kind = ?1 AND period = ?2",
                params![kind, period],
                report_run,
            )
            .optional()?)
    }

    /// Every report run, newest first.
    pub fn report_runs(&self) -> Result<Vec<ReportRun>> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, period, created_at, files, sent_at, send_error FROM report_runs ORDER BY created_at DESC",
        )?;
        let rows = stmt.query_map([], report_run)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When a report of `kind` was last generated.
    pub fn last_report(&self, kind: &str) -> Result<Option<DateTime<Utc>>> {
        let t: Option<String> = self
            .conn
            .query_row(
                "SELECT max(created_at) FROM report_runs WHERE kind = ?1",
                [kind],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(t.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc)))
    }
}

fn report_run(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReportRun> {
    Ok(ReportRun {
        kind: r.get(0)?,
        period: r.get(1)?,
        created_at: r.get(2)?,
        files: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
        sent_at: r.get(4)?,
        send_error: r.get(5)?,
    })
}
