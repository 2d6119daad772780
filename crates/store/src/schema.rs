//! Versioned migrations, run at open. `PRAGMA user_version` holds the schema version.

use rusqlite::Connection;

use crate::{Result, StoreError};

/// Each migration moves the schema one version up; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: the record
    r#"
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        canonical_url TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,
        source TEXT NOT NULL,
        unit TEXT NOT NULL,
        unit_kind TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        published_at TEXT,
        published_ts INTEGER,
        fetched_at TEXT NOT NULL,
        author TEXT,
        origin TEXT,
        site_name TEXT,
        body TEXT NOT NULL,
        body_hash INTEGER NOT NULL,
        simhash INTEGER NOT NULL,
        b0 INTEGER NOT NULL, b1 INTEGER NOT NULL, b2 INTEGER NOT NULL, b3 INTEGER NOT NULL,
        features INTEGER NOT NULL,
        title_key TEXT NOT NULL,
        keywords TEXT NOT NULL DEFAULT '[]',
        tags TEXT NOT NULL DEFAULT '[]',
        topics TEXT NOT NULL DEFAULT '[]',
        cluster_id INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'edited', 'deleted')),
        deleted_at TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        raw_sha TEXT,
        indexed INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX articles_published ON articles (published_ts);
    CREATE INDEX articles_source ON articles (source, published_ts);
    CREATE INDEX articles_unit ON articles (unit, published_ts);
    CREATE INDEX articles_cluster ON articles (cluster_id);
    CREATE INDEX articles_b0 ON articles (b0);
    CREATE INDEX articles_b1 ON articles (b1);
    CREATE INDEX articles_b2 ON articles (b2);
    CREATE INDEX articles_b3 ON articles (b3);
    CREATE INDEX articles_title_key ON articles (title_key);
    CREATE INDEX articles_unindexed ON articles (indexed) WHERE indexed = 0;

    CREATE TABLE article_versions (
        article_id INTEGER NOT NULL REFERENCES articles (id),
        version INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (article_id, version)
    );

    CREATE TABLE clusters (
        id INTEGER PRIMARY KEY,
        size INTEGER NOT NULL DEFAULT 1
    );

    CREATE TABLE labels (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles (id),
        tag TEXT NOT NULL,
        applies INTEGER NOT NULL,
        was_tagged INTEGER NOT NULL,
        analyst TEXT NOT NULL,
        created_at TEXT NOT NULL
    );

    CREATE TABLE crawl_state (
        url TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        content_hash INTEGER,
        last_fetch TEXT,
        status TEXT
    );

    CREATE TABLE source_health (
        source TEXT PRIMARY KEY,
        last_success TEXT,
        last_status TEXT,
        last_error TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        counts TEXT NOT NULL DEFAULT '{}'
    );

    CREATE TABLE report_runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        period TEXT NOT NULL,
        created_at TEXT NOT NULL,
        files TEXT NOT NULL DEFAULT '[]',
        sent_at TEXT,
        send_error TEXT
    );
    "#,
    // 2: collection — what kind of page a crawl state is, when an article was last checked,
    // and when each source was last scanned
    r#"
    ALTER TABLE crawl_state ADD COLUMN kind TEXT NOT NULL DEFAULT 'article';
    ALTER TABLE crawl_state ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX crawl_state_source ON crawl_state (source, kind);
    ALTER TABLE source_health ADD COLUMN last_scan TEXT;
    ALTER TABLE source_health ADD COLUMN last_counts TEXT NOT NULL DEFAULT '{}';
    CREATE INDEX articles_url ON articles (source, url);
    ALTER TABLE article_versions ADD COLUMN raw_sha TEXT;
    "#,
    // 3: story lookups answered from the indexes alone — the fingerprint columns sit after the
    // body in a row, so reading them from the table meant reading the body's overflow pages
    r#"
    DROP INDEX articles_b0;
    DROP INDEX articles_b1;
    DROP INDEX articles_b2;
    DROP INDEX articles_b3;
    DROP INDEX articles_title_key;
    CREATE INDEX articles_b0 ON articles (b0, simhash, features, body_hash, cluster_id);
    CREATE INDEX articles_b1 ON articles (b1, simhash, features, body_hash, cluster_id);
    CREATE INDEX articles_b2 ON articles (b2, simhash, features, body_hash, cluster_id);
    CREATE INDEX articles_b3 ON articles (b3, simhash, features, body_hash, cluster_id);
    CREATE INDEX articles_title_key ON articles (title_key, simhash, features, body_hash, cluster_id);
    "#,
    // 4: which model tagged an article, and the score of the tag nearest its threshold when
    // close enough for an analyst to review (待复核)
    r#"
    ALTER TABLE articles ADD COLUMN model TEXT NOT NULL DEFAULT '';
    ALTER TABLE articles ADD COLUMN review TEXT;
    CREATE INDEX articles_review ON articles (published_ts) WHERE review IS NOT NULL;
    CREATE INDEX labels_article ON labels (article_id, tag);
    "#,
    // 5: alerts — what fired (once per rule and key: a story, a window, a silence) and every
    // delivery attempt to every channel
    r#"
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        rule TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        fired_at TEXT NOT NULL,
        fired_ts INTEGER NOT NULL,
        title TEXT NOT NULL,
        payload TEXT NOT NULL,
        UNIQUE (rule, key)
    );
    CREATE INDEX alerts_fired ON alerts (fired_ts);
    CREATE TABLE alert_deliveries (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES alerts (id),
        channel TEXT NOT NULL,
        at TEXT NOT NULL,
        at_ts INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('sent', 'failed', 'held')),
        error TEXT
    );
    CREATE INDEX alert_deliveries_alert ON alert_deliveries (alert_id, channel);
    CREATE INDEX alert_deliveries_at ON alert_deliveries (at_ts);
    "#,
];

/// Migrations a database at `path` still needs, read without changing anything (0 when there
/// is no file yet: creating a store is quick).
pub fn pending(path: &std::path::Path) -> Result<usize> {
    if !path.exists() {
        return Ok(0);
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok(MIGRATIONS.len().saturating_sub(current.max(0) as usize))
}

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Err(StoreError::TooNew {
            found: current,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
