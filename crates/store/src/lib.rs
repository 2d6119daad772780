//! The system of record: SQLite (bundled, WAL, versioned migrations run at open) holding
//! articles, their versions, story clusters, crawl state, source health, analysts' labels and
//! report runs; plus the raw page archive on disk (zstd, content-addressed).
//!
//! Synchronous; one `Store` owns one connection. The search index is derived from this store
//! and can always be rebuilt from it. Upserts are idempotent by canonical URL: the same URL
//! updates in place (a new version when the body changed); a different URL telling the same
//! story (SimHash, see `yuqing_text::simhash`) joins that story's cluster.

mod alerts;
mod archive;
mod crawl;
mod reports;
mod schema;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use yuqing_text::simhash::{self, Fingerprint};

pub use alerts::{Delivery, DeliveryStatus, StoredAlert};
pub use archive::RawArchive;
pub use crawl::{HealthUpdate, PageState, Recheck, SourceHealth};
pub use reports::{ClusterSummary, ReportRow, ReportRun};

/// The database file inside the data directory.
pub const DB_FILE: &str = "yuqing.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("raw archive {path}: {source}")]
    Archive {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the database was written by a newer yuqing (schema {found}, this one knows {known}): upgrade yuqing"
    )]
    TooNew { found: i64, known: i64 },
    #[error("no article with id {0}")]
    NoArticle(i64),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A tag as stored: the tag id, its score and its evidence (JSON as the classifier gave it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredTag {
    pub tag: String,
    pub score: f64,
    #[serde(default)]
    pub evidence: serde_json::Value,
}

/// A score near its tag's threshold, put up for an analyst to confirm or reject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredReview {
    pub tag: String,
    pub score: f64,
    pub threshold: f64,
    #[serde(default)]
    pub evidence: serde_json::Value,
}

/// An article to store, after extraction and analysis.
#[derive(Clone, Debug)]
pub struct NewArticle {
    pub canonical_url: String,
    pub url: String,
    pub source: String,
    pub unit: String,
    pub unit_kind: String,
    /// html | wechat | feed | import
    pub kind: String,
    pub title: String,
    pub published_at: Option<DateTime<FixedOffset>>,
    pub fetched_at: DateTime<Utc>,
    pub author: Option<String>,
    pub origin: Option<String>,
    pub site_name: Option<String>,
    pub body: String,
    pub fingerprint: Fingerprint,
    pub keywords: Vec<String>,
    pub tags: Vec<StoredTag>,
    pub topics: Vec<String>,
    /// The id of the model that tagged it (`typical-…`, or `rules`).
    pub model: String,
    /// The tag nearest its threshold, when near enough to review.
    pub review: Option<StoredReview>,
    /// The page as fetched, kept in the raw archive.
    pub raw: Option<Vec<u8>>,
}

/// What an upsert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    New,
    /// The body changed: the old one is kept as a version.
    Updated,
    Unchanged,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upserted {
    pub id: i64,
    pub outcome: Outcome,
    pub cluster: i64,
}

/// An article as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Article {
    pub id: i64,
    pub canonical_url: String,
    pub url: String,
    pub source: String,
    pub unit: String,
    pub unit_kind: String,
    pub kind: String,
    pub title: String,
    pub published_at: Option<String>,
    pub fetched_at: String,
    pub author: Option<String>,
    pub origin: Option<String>,
    pub site_name: Option<String>,
    pub body: String,
    pub keywords: Vec<String>,
    pub tags: Vec<StoredTag>,
    pub topics: Vec<String>,
    pub cluster: i64,
    /// live | edited | deleted
    pub status: String,
    pub deleted_at: Option<String>,
    pub version: i64,
    pub raw_sha: Option<String>,
    /// The id of the model that tagged it; empty for articles stored before models were
    /// recorded.
    pub model: String,
    pub review: Option<StoredReview>,
}

/// A story cluster: who published first, and everyone who carried it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster {
    pub id: i64,
    pub size: i64,
    pub members: Vec<ClusterMember>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterMember {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub source: String,
    pub unit: String,
    pub published_at: Option<String>,
}

/// An analyst's correction of a tag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Label {
    pub id: i64,
    pub article_id: i64,
    pub tag: String,
    /// true: the tag applies; false: it does not.
    pub applies: bool,
    /// Whether the classifier had given the tag.
    pub was_tagged: bool,
    pub analyst: String,
    pub created_at: String,
}

/// An earlier version of an article.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Version {
    pub version: i64,
    pub fetched_at: String,
    pub title: String,
    pub body: String,
    /// The archived page this version was read from.
    pub raw_sha: Option<String>,
}

fn ts(d: &DateTime<FixedOffset>) -> i64 {
    d.timestamp()
}

fn block(h: u64, i: u32) -> i64 {
    ((h >> (16 * i)) & 0xffff) as i64
}

/// The system of record.
pub struct Store {
    conn: Connection,
    archive: Option<RawArchive>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

const ARTICLE_COLUMNS: &str = "id, canonical_url, url, source, unit, unit_kind, kind, title, published_at, fetched_at, author, origin, site_name, body, keywords, tags, topics, cluster_id, status, deleted_at, version, raw_sha, model, review";

fn row_to_article(r: &rusqlite::Row<'_>) -> rusqlite::Result<Article> {
    let json_list = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
    Ok(Article {
        id: r.get(0)?,
        canonical_url: r.get(1)?,
        url: r.get(2)?,
        source: r.get(3)?,
        unit: r.get(4)?,
        unit_kind: r.get(5)?,
        kind: r.get(6)?,
        title: r.get(7)?,
        published_at: r.get(8)?,
        fetched_at: r.get(9)?,
        author: r.get(10)?,
        origin: r.get(11)?,
        site_name: r.get(12)?,
        body: r.get(13)?,
        keywords: json_list(r.get(14)?),
        tags: serde_json::from_str(&r.get::<_, String>(15)?).unwrap_or_default(),
        topics: json_list(r.get(16)?),
        cluster: r.get(17)?,
        status: r.get(18)?,
        deleted_at: r.get(19)?,
        version: r.get(20)?,
        raw_sha: r.get(21)?,
        model: r.get(22)?,
        review: r
            .get::<_, Option<String>>(23)?
            .and_then(|s| serde_json::from_str(&s).ok()),
    })
}

/// The SQLite page cache of a bulk writer, in KiB.
const WRITER_CACHE_KIB: i64 = 512 * 1024;
/// Pages in the write-ahead log before the writer copies them into the database.
const WAL_AUTOCHECKPOINT: i64 = 16_384;

impl Store {
    /// Opens (creating if needed) the store in `dir`: `dir/yuqing.db` and `dir/raw/`.
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Archive {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let conn = Connection::open(&path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // fewer, larger checkpoints write a page changed by several batches once
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT)?;
        // after a large batch the log file is cut back rather than kept at its largest
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        let mut store = Store {
            conn,
            archive: Some(RawArchive::new(dir.join("raw"))),
            path,
        };
        schema::migrate(&mut store.conn)?;
        Ok(store)
    }

    /// A store in memory with no raw archive (tests).
    pub fn open_in_memory() -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn,
            archive: None,
            path: PathBuf::from(":memory:"),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn archive(&self) -> Option<&RawArchive> {
        self.archive.as_ref()
    }

    /// Runs `f` inside one transaction (batches of upserts commit together).
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction()?;
        let mut t = Tx {
            tx,
            archive: self.archive.as_ref(),
        };
        let out = f(&mut t)?;
        t.tx.commit()?;
        Ok(out)
    }

    /// How many schema migrations opening the store in `dir` will run (each rebuilds indexes
    /// or tables, which takes a while on a large store); 0 for a new or current store.
    pub fn pending_migrations(dir: &Path) -> Result<usize> {
        schema::pending(&dir.join(DB_FILE))
    }

    /// Gives this connection the page cache of a bulk writer. A batch of articles touches pages
    /// all over the dozen indexes of a large store; a cache that holds them keeps SQLite from
    /// spilling (and re-writing) dirty pages mid-transaction and from re-reading them through
    /// the kernel. It grows only as used; readers keep SQLite's small default.
    pub fn use_writer_cache(&self) -> Result<()> {
        self.conn
            .pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        Ok(())
    }

    /// Like [`Store::transaction`] for work that can fail in other ways too.
    pub fn transaction_with<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Tx<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let mut t = Tx {
            tx,
            archive: self.archive.as_ref(),
        };
        let out = f(&mut t)?;
        t.tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Inserts or updates one article in its own transaction.
    pub fn upsert(&mut self, a: &NewArticle) -> Result<Upserted> {
        self.transaction(|tx| tx.upsert(a))
    }

    pub fn count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))?)
    }

    pub fn get(&self, id: i64) -> Result<Option<Article>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?1"),
                [id],
                row_to_article,
            )
            .optional()?)
    }

    pub fn by_url(&self, canonical_url: &str) -> Result<Option<Article>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE canonical_url = ?1"),
                [canonical_url],
                row_to_article,
            )
            .optional()?)
    }

    /// Articles in id order after `after`, at most `limit` (for reindexing in batches).
    pub fn page(&self, after: i64, limit: usize) -> Result<Vec<Article>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {ARTICLE_COLUMNS} FROM articles WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        let rows = st.query_map(params![after, limit as i64], row_to_article)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Articles stored but not yet confirmed in the search index.
    pub fn unindexed(&self, limit: usize) -> Result<Vec<Article>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {ARTICLE_COLUMNS} FROM articles WHERE indexed = 0 ORDER BY id LIMIT ?1"
        ))?;
        let rows = st.query_map([limit as i64], row_to_article)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn unindexed_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM articles WHERE indexed = 0", [], |r| {
                r.get(0)
            })?)
    }

    /// Records that the search index committed these articles.
    pub fn mark_indexed(&mut self, ids: &[i64]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut st = tx.prepare_cached("UPDATE articles SET indexed = 1 WHERE id = ?1")?;
            for id in ids {
                st.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Marks every article as needing indexing (before a rebuild).
    pub fn mark_all_unindexed(&mut self) -> Result<()> {
        self.conn.execute("UPDATE articles SET indexed = 0", [])?;
        Ok(())
    }

    /// A spread-out sample of article ids (for checking the index against the store).
    pub fn sample_ids(&self, n: usize) -> Result<Vec<i64>> {
        let total = self.count()?.max(1);
        let step = (total / n.max(1) as i64).max(1);
        let mut st = self
            .conn
            .prepare("SELECT id FROM articles WHERE (id % ?1) = 0 ORDER BY id LIMIT ?2")?;
        let rows = st.query_map(params![step, n as i64], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn cluster(&self, id: i64) -> Result<Cluster> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, title, url, source, unit, published_at FROM articles WHERE cluster_id = ?1 ORDER BY coalesce(published_ts, 9e18), id",
        )?;
        let members: Vec<ClusterMember> = st
            .query_map([id], |r| {
                Ok(ClusterMember {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    url: r.get(2)?,
                    source: r.get(3)?,
                    unit: r.get(4)?,
                    published_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Cluster {
            id,
            size: members.len() as i64,
            members,
        })
    }

    /// The sizes of the given clusters.
    pub fn cluster_sizes(&self, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT size FROM clusters WHERE id = ?1")?;
        ids.iter()
            .map(|id| {
                Ok((
                    *id,
                    st.query_row([id], |r| r.get(0)).optional()?.unwrap_or(1),
                ))
            })
            .collect()
    }

    pub fn versions(&self, article_id: i64) -> Result<Vec<Version>> {
        let mut st = self.conn.prepare_cached(
            "SELECT version, fetched_at, title, body, raw_sha FROM article_versions WHERE article_id = ?1 ORDER BY version",
        )?;
        let rows = st.query_map([article_id], |r| {
            Ok(Version {
                version: r.get(0)?,
                fetched_at: r.get(1)?,
                title: r.get(2)?,
                body: r.get(3)?,
                raw_sha: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks an article deleted by its publisher (404/410, WeChat deletion notice).
    pub fn mark_deleted(&mut self, canonical_url: &str, at: DateTime<Utc>) -> Result<Option<i64>> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM articles WHERE canonical_url = ?1",
                [canonical_url],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = id {
            self.conn.execute(
                "UPDATE articles SET status = 'deleted', deleted_at = ?2, indexed = 0 WHERE id = ?1 AND status != 'deleted'",
                params![id, at.to_rfc3339()],
            )?;
        }
        Ok(id)
    }

    /// Records an analyst's correction: the tag applies (`applies`) or not.
    pub fn add_label(
        &mut self,
        article_id: i64,
        tag: &str,
        applies: bool,
        analyst: &str,
    ) -> Result<Label> {
        let article = self
            .get(article_id)?
            .ok_or(StoreError::NoArticle(article_id))?;
        let was_tagged = article.tags.iter().any(|t| t.tag == tag);
        let now = Utc::now().to_rfc3339();
        self.conn.execute(
            "INSERT INTO labels (article_id, tag, applies, was_tagged, analyst, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![article_id, tag, applies, was_tagged, analyst, now],
        )?;
        Ok(Label {
            id: self.conn.last_insert_rowid(),
            article_id,
            tag: tag.to_string(),
            applies,
            was_tagged,
            analyst: analyst.to_string(),
            created_at: now,
        })
    }

    /// Records an analyst's correction and applies it to the article's tags (the index is told
    /// through the unindexed mark).
    pub fn apply_label(
        &mut self,
        article_id: i64,
        tag: &str,
        applies: bool,
        analyst: &str,
    ) -> Result<Label> {
        let label = self.add_label(article_id, tag, applies, analyst)?;
        let mut article = self
            .get(article_id)?
            .ok_or(StoreError::NoArticle(article_id))?;
        article.tags.retain(|t| t.tag != tag);
        if applies {
            article.tags.push(StoredTag {
                tag: tag.to_string(),
                score: 1.0,
                evidence: serde_json::json!({"label": analyst, "at": label.created_at}),
            });
        }
        self.conn.execute(
            "UPDATE articles SET tags = ?2, indexed = 0 WHERE id = ?1",
            params![
                article_id,
                serde_json::to_string(&article.tags).unwrap_or_else(|_| "[]".into())
            ],
        )?;
        Ok(label)
    }

    /// The review queue (待复核): articles whose tag score lies near its threshold and that no
    /// analyst has ruled on for that tag, newest first.
    pub fn review_queue(&self, limit: usize) -> Result<Vec<Article>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {ARTICLE_COLUMNS} FROM articles a WHERE review IS NOT NULL AND status != 'deleted' \
             AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.article_id = a.id AND l.tag = json_extract(a.review, '$.tag')) \
             ORDER BY published_ts IS NULL, published_ts DESC, id DESC LIMIT ?1"
        ))?;
        let rows = st.query_map([limit as i64], row_to_article)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn labels(&self) -> Result<Vec<Label>> {
        let mut st = self.conn.prepare(
            "SELECT id, article_id, tag, applies, was_tagged, analyst, created_at FROM labels ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Label {
                id: r.get(0)?,
                article_id: r.get(1)?,
                tag: r.get(2)?,
                applies: r.get(3)?,
                was_tagged: r.get(4)?,
                analyst: r.get(5)?,
                created_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// The connection, for the crates that add their own queries (reports).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// The tag names of a tag list, sorted.
fn tag_names(tags: &[StoredTag]) -> Vec<&str> {
    let mut v: Vec<&str> = tags.iter().map(|t| t.tag.as_str()).collect();
    v.sort_unstable();
    v
}

/// Puts analysts' rulings over the classifier's tags: a confirmed tag is present (score 1, the
/// label as evidence), a rejected one absent.
fn apply_rulings(tags: &mut Vec<StoredTag>, rulings: &[(String, bool, String, String)]) {
    for (tag, applies, analyst, at) in rulings {
        tags.retain(|t| t.tag != *tag);
        if *applies {
            tags.push(StoredTag {
                tag: tag.clone(),
                score: 1.0,
                evidence: serde_json::json!({"label": analyst, "at": at}),
            });
        }
    }
}

/// A transaction over the store: upserts in a batch commit together.
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
    archive: Option<&'a RawArchive>,
}

impl Tx<'_> {
    /// Inserts or updates one article (see the crate doc for the rules).
    pub fn upsert(&mut self, a: &NewArticle) -> Result<Upserted> {
        let raw_sha = match (&a.raw, self.archive) {
            (Some(raw), Some(archive)) => Some(archive.put(raw)?),
            _ => None,
        };
        let fp = &a.fingerprint;
        let existing: Option<(i64, i64, String, i64, String, String)> = self
            .tx
            .query_row(
                "SELECT id, body_hash, title, cluster_id, tags, topics FROM articles WHERE canonical_url = ?1",
                [&a.canonical_url],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .optional()?;
        let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        // an analyst's ruling outranks the classifier: re-analysis keeps every labelled tag
        let mut new_tags = a.tags.clone();
        if let Some((id, ..)) = &existing {
            apply_rulings(&mut new_tags, &self.rulings(*id)?);
        }
        let tags = serde_json::to_string(&new_tags).unwrap_or_else(|_| "[]".into());
        let published = a.published_at.map(|d| d.to_rfc3339());
        let published_ts = a.published_at.as_ref().map(ts);
        let review = a
            .review
            .as_ref()
            .and_then(|r| serde_json::to_string(r).ok());
        if let Some((id, body_hash, title, cluster, old_tags, old_topics)) = existing {
            if body_hash == fp.body_hash as i64 && title == a.title {
                // same text: refresh the analysis, keep the record; the index must hear of a
                // change in what it filters on
                let topics = json(&a.topics);
                let same_tags = serde_json::from_str::<Vec<StoredTag>>(&old_tags)
                    .map(|old| tag_names(&old) == tag_names(&new_tags))
                    .unwrap_or(false);
                let stale = !same_tags || old_topics != topics;
                self.tx.execute(
                    "UPDATE articles SET keywords = ?2, tags = ?3, topics = ?4, source = ?5, unit = ?6, unit_kind = ?7, model = ?8, review = ?9, indexed = CASE WHEN ?10 THEN 0 ELSE indexed END WHERE id = ?1",
                    params![id, json(&a.keywords), tags, topics, a.source, a.unit, a.unit_kind, a.model, review, stale],
                )?;
                return Ok(Upserted {
                    id,
                    outcome: Outcome::Unchanged,
                    cluster,
                });
            }
            // the earlier text and the page it came from stay on record
            self.tx.execute(
                "INSERT OR IGNORE INTO article_versions (article_id, version, fetched_at, title, body, raw_sha) SELECT id, version, fetched_at, title, body, raw_sha FROM articles WHERE id = ?1",
                params![id],
            )?;
            self.tx.execute(
                "UPDATE articles SET url = ?2, title = ?3, published_at = coalesce(?4, published_at), published_ts = coalesce(?5, published_ts), fetched_at = ?6, author = ?7, origin = ?8, site_name = ?9, body = ?10, body_hash = ?11, simhash = ?12, b0 = ?13, b1 = ?14, b2 = ?15, b3 = ?16, features = ?17, title_key = ?18, keywords = ?19, tags = ?20, topics = ?21, status = 'edited', version = version + 1, raw_sha = coalesce(?22, raw_sha), model = ?23, review = ?24, indexed = 0 WHERE id = ?1",
                params![
                    id, a.url, a.title, published, published_ts, a.fetched_at.to_rfc3339(), a.author, a.origin, a.site_name, a.body,
                    fp.body_hash as i64, fp.simhash as i64, block(fp.simhash, 0), block(fp.simhash, 1), block(fp.simhash, 2), block(fp.simhash, 3),
                    fp.features as i64, fp.title_key, json(&a.keywords), tags, json(&a.topics), raw_sha, a.model, review
                ],
            )?;
            return Ok(Upserted {
                id,
                outcome: Outcome::Updated,
                cluster,
            });
        }
        let cluster = self.find_story(fp)?;
        // the id is chosen here (as SQLite would: one past the largest) so that a new story's
        // cluster id goes in with the row rather than by rewriting it
        let id: i64 =
            self.tx
                .query_row("SELECT coalesce(max(id), 0) + 1 FROM articles", [], |r| {
                    r.get(0)
                })?;
        let cluster = cluster.unwrap_or(id);
        self.tx.execute(
            "INSERT INTO articles (id, canonical_url, url, source, unit, unit_kind, kind, title, published_at, published_ts, fetched_at, author, origin, site_name, body, body_hash, simhash, b0, b1, b2, b3, features, title_key, keywords, tags, topics, cluster_id, status, version, raw_sha, indexed, model, review) VALUES (?28, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, 'live', 1, ?27, 0, ?29, ?30)",
            params![
                a.canonical_url, a.url, a.source, a.unit, a.unit_kind, a.kind, a.title, published, published_ts, a.fetched_at.to_rfc3339(),
                a.author, a.origin, a.site_name, a.body, fp.body_hash as i64, fp.simhash as i64,
                block(fp.simhash, 0), block(fp.simhash, 1), block(fp.simhash, 2), block(fp.simhash, 3),
                fp.features as i64, fp.title_key, json(&a.keywords), tags, json(&a.topics), cluster, raw_sha, id,
                a.model, review
            ],
        )?;
        if cluster == id {
            self.tx
                .execute("INSERT INTO clusters (id, size) VALUES (?1, 1)", [id])?;
        } else {
            self.tx.execute(
                "UPDATE clusters SET size = size + 1 WHERE id = ?1",
                [cluster],
            )?;
        }
        Ok(Upserted {
            id,
            outcome: Outcome::New,
            cluster,
        })
    }

    /// The cluster of a stored article telling the same story, if any. Candidates share a
    /// 16-bit block of the SimHash or the title key; both lookups are answered by covering
    /// indexes, and a candidate's title key is read from its row only when it could decide.
    /// The latest ruling per tag an analyst has given on an article: (tag, applies, analyst, at).
    fn rulings(&self, id: i64) -> Result<Vec<(String, bool, String, String)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT tag, applies, analyst, created_at FROM labels WHERE article_id = ?1 ORDER BY id",
        )?;
        let rows = st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        let mut latest: Vec<(String, bool, String, String)> = Vec::new();
        for row in rows {
            let row: (String, bool, String, String) = row?;
            latest.retain(|l| l.0 != row.0);
            latest.push(row);
        }
        Ok(latest)
    }

    fn find_story(&mut self, fp: &Fingerprint) -> Result<Option<i64>> {
        let mut best: Option<(u32, i64)> = None;
        let mut keep = |d: u32, cluster: i64| {
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, cluster));
            }
        };
        let candidate = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(i64, Fingerprint, i64)> {
            Ok((
                r.get(0)?,
                Fingerprint {
                    simhash: r.get::<_, i64>(1)? as u64,
                    features: r.get::<_, i64>(2)? as usize,
                    title_key: String::new(),
                    body_hash: r.get::<_, i64>(3)? as u64,
                },
                r.get(4)?,
            ))
        };
        let mut undecided = Vec::new();
        {
            let mut st = self.tx.prepare_cached(
                "SELECT id, simhash, features, body_hash, cluster_id FROM articles INDEXED BY articles_b0 WHERE b0 = ?1 UNION ALL SELECT id, simhash, features, body_hash, cluster_id FROM articles INDEXED BY articles_b1 WHERE b1 = ?2 UNION ALL SELECT id, simhash, features, body_hash, cluster_id FROM articles INDEXED BY articles_b2 WHERE b2 = ?3 UNION ALL SELECT id, simhash, features, body_hash, cluster_id FROM articles INDEXED BY articles_b3 WHERE b3 = ?4 LIMIT 2000",
            )?;
            let rows = st.query_map(
                params![
                    block(fp.simhash, 0),
                    block(fp.simhash, 1),
                    block(fp.simhash, 2),
                    block(fp.simhash, 3)
                ],
                candidate,
            )?;
            for row in rows {
                let (id, other, cluster) = row?;
                let d = simhash::hamming(fp.simhash, other.simhash);
                if simhash::same_story(fp, &other) {
                    keep(d, cluster);
                } else if !fp.title_key.is_empty() && d <= simhash::TITLE_MAX_DISTANCE {
                    // the same title would make it the same story
                    undecided.push((id, other, cluster, d));
                }
            }
        }
        for (id, mut other, cluster, d) in undecided {
            other.title_key =
                self.tx
                    .query_row("SELECT title_key FROM articles WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })?;
            if simhash::same_story(fp, &other) {
                keep(d, cluster);
            }
        }
        if !fp.title_key.is_empty() && fp.title_key.chars().count() >= 6 {
            let mut st = self.tx.prepare_cached(
                "SELECT id, simhash, features, body_hash, cluster_id FROM articles INDEXED BY articles_title_key WHERE title_key = ?1 LIMIT 200",
            )?;
            let rows = st.query_map([&fp.title_key], candidate)?;
            for row in rows {
                let (_, mut other, cluster) = row?;
                other.title_key.clone_from(&fp.title_key);
                if simhash::same_story(fp, &other) {
                    keep(simhash::hamming(fp.simhash, other.simhash), cluster);
                }
            }
        }
        Ok(best.map(|(_, c)| c))
    }
}

#[cfg(test)]
mod tests;
