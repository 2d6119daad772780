//! Crawl state: the frontier of seen pages with their validators, the articles due for a
//! re-check, and each source's health.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::{Result, Store};

/// What the crawler remembers of one page (a list page, a feed, or an article page).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PageState {
    /// The canonical URL.
    pub url: String,
    pub source: String,
    /// `list` (list pages and feeds) or `article`.
    pub kind: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_hash: Option<i64>,
    pub last_fetch: Option<String>,
    /// The status of the last fetch, in the crawler's vocabulary.
    pub status: Option<String>,
    /// Consecutive failed fetches.
    pub failures: i64,
}

/// A stored article due for a re-check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recheck {
    pub article_id: i64,
    pub canonical_url: String,
    /// Where it was fetched from.
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// One scan's result for a source, to fold into its health.
#[derive(Clone, Debug, Default)]
pub struct HealthUpdate {
    pub at: DateTime<Utc>,
    /// Whether the source worked (its lists were read and nothing failed).
    pub ok: bool,
    /// The most telling status of the scan (the first failure, else `ok` / `not-modified`).
    pub status: String,
    pub error: Option<String>,
    /// Fetch outcomes of this scan by status name.
    pub counts: BTreeMap<String, u64>,
}

/// A source's health as stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SourceHealth {
    pub source: String,
    pub last_scan: Option<String>,
    pub last_success: Option<String>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    /// Outcomes since the source was first scanned, by status name.
    pub counts: BTreeMap<String, u64>,
    /// Outcomes of the last scan.
    pub last_counts: BTreeMap<String, u64>,
}

fn row_to_state(r: &rusqlite::Row<'_>) -> rusqlite::Result<PageState> {
    Ok(PageState {
        url: r.get(0)?,
        source: r.get(1)?,
        kind: r.get(2)?,
        etag: r.get(3)?,
        last_modified: r.get(4)?,
        content_hash: r.get(5)?,
        last_fetch: r.get(6)?,
        status: r.get(7)?,
        failures: r.get(8)?,
    })
}

const STATE_COLUMNS: &str =
    "url, source, kind, etag, last_modified, content_hash, last_fetch, status, failures";

impl Store {
    /// Every page state of a source.
    pub fn page_states(&self, source: &str) -> Result<Vec<PageState>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {STATE_COLUMNS} FROM crawl_state WHERE source = ?1"
        ))?;
        let rows = stmt.query_map([source], row_to_state)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn page_state(&self, url: &str) -> Result<Option<PageState>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {STATE_COLUMNS} FROM crawl_state WHERE url = ?1"),
                [url],
                row_to_state,
            )
            .optional()?)
    }

    /// Records page states, in one transaction.
    pub fn put_page_states(&mut self, states: &[PageState]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO crawl_state (url, source, kind, etag, last_modified, content_hash, last_fetch, status, failures)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (url) DO UPDATE SET source = ?2, kind = ?3, etag = ?4, last_modified = ?5,
                   content_hash = ?6, last_fetch = ?7, status = ?8, failures = ?9",
            )?;
            for s in states {
                stmt.execute(params![
                    s.url,
                    s.source,
                    s.kind,
                    s.etag,
                    s.last_modified,
                    s.content_hash,
                    s.last_fetch,
                    s.status,
                    s.failures
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The page URLs a source has stored articles from (the frontier's other half).
    pub fn article_urls(&self, source: &str) -> Result<HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT url, canonical_url FROM articles WHERE source = ?1")?;
        let mut out = HashSet::new();
        let rows = stmt.query_map([source], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (url, canonical) = row?;
            out.insert(url);
            out.insert(canonical);
        }
        Ok(out)
    }

    /// A source's live articles published or fetched since `since`, whose page was last checked
    /// before `checked_before` (all of them when `None`).
    pub fn recheck_due(
        &self,
        source: &str,
        since: DateTime<Utc>,
        checked_before: Option<DateTime<Utc>>,
    ) -> Result<Vec<Recheck>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.id, a.canonical_url, a.url, c.etag, c.last_modified, c.last_fetch
             FROM articles a LEFT JOIN crawl_state c ON c.url = a.url
             WHERE a.source = ?1 AND a.status != 'deleted' AND a.kind != 'import'
               AND (a.published_ts >= ?2 OR a.fetched_at >= ?3)
             ORDER BY a.id",
        )?;
        let rows = stmt.query_map(
            params![source, since.timestamp(), since.to_rfc3339()],
            |r| {
                Ok((
                    Recheck {
                        article_id: r.get(0)?,
                        canonical_url: r.get(1)?,
                        url: r.get(2)?,
                        etag: r.get(3)?,
                        last_modified: r.get(4)?,
                    },
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (rc, last) = row?;
            let due = match (checked_before, last) {
                (None, _) | (_, None) => true,
                (Some(before), Some(last)) => DateTime::parse_from_rfc3339(&last)
                    .map(|l| l.with_timezone(&Utc) < before)
                    .unwrap_or(true),
            };
            if due {
                out.push(rc);
            }
        }
        Ok(out)
    }

    /// Marks an article deleted by id; returns whether it was live before.
    pub fn mark_deleted_id(&mut self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE articles SET status = 'deleted', deleted_at = ?2, indexed = 0 WHERE id = ?1 AND status != 'deleted'",
            params![id, at.to_rfc3339()],
        )?;
        Ok(n > 0)
    }

    /// Folds one scan's outcome into a source's health.
    pub fn record_health(&mut self, source: &str, u: &HealthUpdate) -> Result<()> {
        let tx = self.conn.transaction()?;
        let old: Option<(String, i64)> = tx
            .query_row(
                "SELECT counts, consecutive_failures FROM source_health WHERE source = ?1",
                [source],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (mut counts, failures) = match old {
            Some((c, f)) => (
                serde_json::from_str::<BTreeMap<String, u64>>(&c).unwrap_or_default(),
                f,
            ),
            None => (BTreeMap::new(), 0),
        };
        for (k, v) in &u.counts {
            *counts.entry(k.clone()).or_default() += v;
        }
        let failures = if u.ok { 0 } else { failures + 1 };
        let at = u.at.to_rfc3339();
        tx.execute(
            "INSERT INTO source_health (source, last_success, last_status, last_error, consecutive_failures, counts, last_scan, last_counts)
             VALUES (?1, CASE WHEN ?2 THEN ?3 END, ?4, ?5, ?6, ?7, ?3, ?8)
             ON CONFLICT (source) DO UPDATE SET
               last_success = CASE WHEN ?2 THEN ?3 ELSE last_success END,
               last_status = ?4, last_error = ?5, consecutive_failures = ?6, counts = ?7,
               last_scan = ?3, last_counts = ?8",
            params![
                source,
                u.ok,
                at,
                u.status,
                u.error,
                failures,
                serde_json::to_string(&counts).unwrap_or_default(),
                serde_json::to_string(&u.counts).unwrap_or_default(),
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every source's health, by source id.
    pub fn health(&self) -> Result<Vec<SourceHealth>> {
        let mut stmt = self.conn.prepare(
            "SELECT source, last_scan, last_success, last_status, last_error, consecutive_failures, counts, last_counts
             FROM source_health ORDER BY source",
        )?;
        let rows = stmt.query_map([], |r| {
            let map = |s: String| serde_json::from_str(&s).unwrap_or_default();
            Ok(SourceHealth {
                source: r.get(0)?,
                last_scan: r.get(1)?,
                last_success: r.get(2)?,
                last_status: r.get(3)?,
                last_error: r.get(4)?,
                consecutive_failures: r.get(5)?,
                counts: map(r.get(6)?),
                last_counts: map(r.get(7)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_states_round_trip_and_update() {
        let mut s = Store::open_in_memory().unwrap();
        let mut st = PageState {
            url: "https://a.example/list".into(),
            source: "a".into(),
            kind: "list".into(),
            etag: Some("\"1\"".into()),
            ..Default::default()
        };
        s.put_page_states(std::slice::from_ref(&st)).unwrap();
        st.etag = Some("\"2\"".into());
        st.failures = 2;
        s.put_page_states(std::slice::from_ref(&st)).unwrap();
        assert_eq!(s.page_states("a").unwrap(), vec![st.clone()]);
        assert_eq!(s.page_state(&st.url).unwrap(), Some(st));
        assert!(s.page_states("b").unwrap().is_empty());
    }

    #[test]
    fn health_counts_accumulate_and_failures_reset() {
        let mut s = Store::open_in_memory().unwrap();
        let at = Utc::now();
        let update = |ok: bool, status: &str| HealthUpdate {
            at,
            ok,
            status: status.into(),
            error: (!ok).then(|| "HTTP 500".to_string()),
            counts: [(status.to_string(), 2u64)].into_iter().collect(),
        };
        s.record_health("x", &update(false, "http-5xx")).unwrap();
        s.record_health("x", &update(false, "http-5xx")).unwrap();
        let h = &s.health().unwrap()[0];
        assert_eq!(h.consecutive_failures, 2);
        assert_eq!(h.counts["http-5xx"], 4);
        assert_eq!(h.last_success, None);
        s.record_health("x", &update(true, "ok")).unwrap();
        let h = &s.health().unwrap()[0];
        assert_eq!(h.consecutive_failures, 0);
        assert_eq!(h.last_success, Some(at.to_rfc3339()));
        assert_eq!(h.last_counts.get("http-5xx"), None);
        assert_eq!(h.last_scan, Some(at.to_rfc3339()));
    }
}
