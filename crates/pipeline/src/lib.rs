//! The pipeline: wires extraction, text analysis, classification, the store and the index.
//!
//! Stages are plain functions over values ([`analyze`] turns an item into a `NewArticle`);
//! [`Ingest`] runs them with analysis on worker threads and one writer (this thread) owning the
//! SQLite connection and the tantivy writer. The store commits first, the index after; the
//! store remembers which articles the index has committed, and [`Ingest::catch_up`] indexes
//! the rest — so a crash at any point loses nothing committed and a re-run duplicates nothing.
//!
//! Collection: [`scan`] reads sources through the polite fetcher of `yuqing-crawl` and hands
//! what it finds to the [`writer`] thread; [`daemon`] runs scans on their cron schedules.

pub mod daemon;
pub mod scan;
pub mod writer;

use std::collections::HashMap;
use std::sync::mpsc;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use yuqing_classify::Classifier;
use yuqing_index::{IndexDoc, SearchIndex, Writer};
use yuqing_store::{Article, NewArticle, Outcome, Store, StoredReview, StoredTag};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] yuqing_store::StoreError),
    #[error(transparent)]
    Index(#[from] yuqing_index::IndexError),
}

pub type Result<T> = std::result::Result<T, PipelineError>;

/// What the pipeline knows of a unit: its kind, for the index and the reports.
#[derive(Clone, Debug, Default)]
pub struct Units {
    kinds: HashMap<String, String>,
}

impl Units {
    pub fn new(units: &[yuqing_model::Unit]) -> Units {
        Units {
            kinds: units
                .iter()
                .map(|u| (u.id.clone(), u.kind.label().to_string()))
                .collect(),
        }
    }

    pub fn kind(&self, unit: &str) -> String {
        self.kinds.get(unit).cloned().unwrap_or_default()
    }
}

/// One line of an import file: an already-extracted article.
#[derive(Clone, Debug, Deserialize)]
pub struct ImportItem {
    pub url: String,
    #[serde(default)]
    pub title: String,
    #[serde(default, alias = "body")]
    pub text: String,
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub fetched_at: Option<String>,
}

/// A draft from extraction or import, before analysis.
#[derive(Clone, Debug)]
pub struct Draft {
    /// The canonical URL (the article's identity).
    pub url: String,
    /// Where the page was fetched from, when it differs (a WeChat mirror).
    pub page_url: Option<String>,
    pub title: String,
    pub body: String,
    pub published_at: Option<DateTime<FixedOffset>>,
    pub fetched_at: DateTime<Utc>,
    pub source: String,
    pub unit: String,
    pub kind: String,
    pub author: Option<String>,
    pub origin: Option<String>,
    pub site_name: Option<String>,
    pub raw: Option<Vec<u8>>,
}

impl ImportItem {
    /// Checks the item and makes a draft; the error says what is wrong with the line.
    pub fn into_draft(self) -> std::result::Result<Draft, String> {
        let url = yuqing_extract::canonicalize(&self.url)
            .ok_or_else(|| format!("url \"{}\" is not an absolute http(s) address", self.url))?;
        if self.title.trim().is_empty() && self.text.trim().is_empty() {
            return Err("neither title nor text".into());
        }
        let published_at = match self
            .published_at
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(
                yuqing_extract::dates::parse_date(s, None)
                    .ok_or_else(|| format!("published_at \"{s}\" is not a date"))?,
            ),
        };
        let fetched_at = self
            .fetched_at
            .as_deref()
            .and_then(|s| yuqing_extract::dates::parse_date(s, None))
            .map_or_else(Utc::now, |d| d.with_timezone(&Utc));
        Ok(Draft {
            url,
            page_url: None,
            title: self.title.trim().to_string(),
            body: self.text,
            published_at,
            fetched_at,
            source: self.source.unwrap_or_else(|| "import".into()),
            unit: self.unit.unwrap_or_default(),
            kind: "import".into(),
            author: self.author,
            origin: self.origin,
            site_name: None,
            raw: None,
        })
    }
}

/// Drafts waiting for analysis (and twice as many analysed articles waiting for the writer).
const QUEUE: usize = 2000;

/// Keywords kept per article.
pub const KEYWORDS: usize = 10;

/// An analysed article with its search tokens.
pub struct Analyzed {
    pub article: NewArticle,
    pub title_tokens: Vec<tantivy_token::Token>,
    pub body_tokens: Vec<tantivy_token::Token>,
}

mod tantivy_token {
    pub use yuqing_text::Token;
}

/// The analysis stage: tags with evidence, topics, keywords, the story fingerprint, and the
/// search tokens (made once, for topics and the index).
pub fn analyze(classifier: &Classifier, units: &Units, d: Draft) -> Analyzed {
    let analysis = classifier.analyze(&d.title, &d.body);
    let an = classifier.analyzer();
    let title_tokens = an.search_tokens(&d.title, &analysis.title_words);
    let body_tokens = an.search_tokens(&d.body, &analysis.body_words);
    let set: std::collections::HashSet<&str> = title_tokens
        .iter()
        .chain(&body_tokens)
        .map(|t| t.text.as_str())
        .collect();
    let c = classifier.classify_analysis(&analysis, &d.title, &d.body, KEYWORDS, Some(&set));
    let fingerprint =
        classifier
            .analyzer()
            .fingerprint_words(&d.title, &d.body, &analysis.body_words);
    let article = NewArticle {
        url: d.page_url.unwrap_or_else(|| d.url.clone()),
        canonical_url: d.url,
        unit_kind: units.kind(&d.unit),
        source: d.source,
        unit: d.unit,
        kind: d.kind,
        title: d.title,
        published_at: d.published_at,
        fetched_at: d.fetched_at,
        author: d.author,
        origin: d.origin,
        site_name: d.site_name,
        body: d.body,
        fingerprint,
        keywords: c.keywords,
        tags: c
            .tags
            .into_iter()
            .map(|t| StoredTag {
                tag: t.tag.as_str().to_string(),
                score: t.score,
                evidence: serde_json::to_value(&t.evidence).unwrap_or_default(),
            })
            .collect(),
        topics: c.topics,
        model: classifier.model().id.clone(),
        review: c.review.map(|r| StoredReview {
            tag: r.tag.as_str().to_string(),
            score: r.score,
            threshold: r.threshold,
            evidence: serde_json::to_value(&r.evidence).unwrap_or_default(),
        }),
        raw: d.raw,
    };
    Analyzed {
        article,
        title_tokens,
        body_tokens,
    }
}

/// The index's view of a stored article.
pub fn index_doc(a: &Article) -> IndexDoc {
    IndexDoc {
        id: a.id as u64,
        cluster: a.cluster as u64,
        url: a.url.clone(),
        title: a.title.clone(),
        body: a.body.clone(),
        source: a.source.clone(),
        unit: a.unit.clone(),
        kind: a.unit_kind.clone(),
        tags: a.tags.iter().map(|t| t.tag.clone()).collect(),
        topics: a.topics.clone(),
        status: a.status.clone(),
        published: a
            .published_at
            .as_deref()
            .and_then(|p| DateTime::parse_from_rfc3339(p).ok()),
        title_tokens: None,
        body_tokens: None,
    }
}

/// The index's view of an article just written; title, text and tokens are moved out of it
/// (the store has them already).
fn new_index_doc(x: &mut Analyzed, id: i64, cluster: i64, outcome: Outcome) -> IndexDoc {
    let a = &mut x.article;
    IndexDoc {
        id: id as u64,
        cluster: cluster as u64,
        url: std::mem::take(&mut a.url),
        title: std::mem::take(&mut a.title),
        body: std::mem::take(&mut a.body),
        source: a.source.clone(),
        unit: a.unit.clone(),
        kind: a.unit_kind.clone(),
        tags: a.tags.iter().map(|t| t.tag.clone()).collect(),
        topics: std::mem::take(&mut a.topics),
        status: if outcome == Outcome::Updated {
            "edited".into()
        } else {
            "live".into()
        },
        published: a.published_at,
        title_tokens: Some(std::mem::take(&mut x.title_tokens)),
        body_tokens: Some(std::mem::take(&mut x.body_tokens)),
    }
}

/// Counts of one ingest run.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
}

/// Store and index together, with the writer.
/// Takes the index writer, waiting while another process holds it: a line on standard error
/// (and in the log) says so once, then again every minute; after `limit` (when given) the
/// `Busy` error is returned.
pub fn wait_for_writer(
    index: &SearchIndex,
    heap_bytes: usize,
    limit: Option<std::time::Duration>,
    who: &str,
) -> Result<Writer> {
    let started = std::time::Instant::now();
    let mut said: Option<std::time::Instant> = None;
    loop {
        match index.writer(heap_bytes) {
            Err(yuqing_index::IndexError::Busy { path }) => {
                if limit.is_some_and(|l| started.elapsed() >= l) {
                    return Err(yuqing_index::IndexError::Busy { path }.into());
                }
                if said.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(60)) {
                    tracing::info!(
                        who,
                        "waiting for another yuqing process to release the search index"
                    );
                    eprintln!(
                        "等待中 (waiting): another yuqing process (the daemon's scan, an import or a reindex) is writing the search index in {path}; {who} goes on as soon as it is released"
                    );
                    said = Some(std::time::Instant::now());
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            other => return Ok(other?),
        }
    }
}

pub struct Ingest<'a> {
    pub store: &'a mut Store,
    pub index: &'a SearchIndex,
    writer: Writer,
    /// Articles per store transaction.
    pub batch: usize,
    /// Articles between index commits.
    pub commit_every: usize,
    /// Ids added to the index since its last commit.
    uncommitted: Vec<i64>,
}

impl<'a> Ingest<'a> {
    pub fn new(
        store: &'a mut Store,
        index: &'a SearchIndex,
        heap_bytes: usize,
    ) -> Result<Ingest<'a>> {
        let writer = index.writer(heap_bytes)?;
        Ingest::with_writer(store, index, writer)
    }

    /// As [`Ingest::new`], with an index writer taken already (see [`wait_for_writer`]).
    pub fn with_writer(
        store: &'a mut Store,
        index: &'a SearchIndex,
        writer: Writer,
    ) -> Result<Ingest<'a>> {
        store.use_writer_cache()?;
        Ok(Ingest {
            store,
            index,
            writer,
            batch: 8000,
            commit_every: 20_000,
            uncommitted: Vec::new(),
        })
    }

    /// Indexes every stored article the index has not committed (after a crash, a deletion,
    /// a label). Returns how many.
    pub fn catch_up(&mut self, progress: &mut dyn FnMut(usize)) -> Result<usize> {
        let mut done = 0;
        loop {
            let batch = self.store.unindexed(self.batch)?;
            if batch.is_empty() {
                break;
            }
            for a in &batch {
                self.writer.replace(index_doc(a))?;
            }
            self.writer.commit()?;
            let ids: Vec<i64> = batch.iter().map(|a| a.id).collect();
            self.store.mark_indexed(&ids)?;
            done += ids.len();
            progress(done);
        }
        self.index.reload()?;
        Ok(done)
    }

    /// Writes analysed articles: a store transaction per batch, index additions, and an index
    /// commit (followed by the store's note that the index has them) every
    /// [`Ingest::commit_every`] articles.
    pub fn write_batch(
        &mut self,
        batch: &mut [Analyzed],
        counts: &mut Counts,
    ) -> Result<Vec<yuqing_store::Upserted>> {
        self.write_stream(batch.iter_mut(), counts)
    }

    /// Writes articles in one store transaction, each added to the index as soon as it is
    /// stored (its text and tokens move into the index, so a long transaction holds no more
    /// than one article in hand). Index additions are only committed after the store's
    /// transaction; if that fails, the index drops everything it has not committed, and
    /// whatever the store already holds of it is indexed again by [`Ingest::catch_up`].
    fn write_stream<A: std::borrow::BorrowMut<Analyzed>>(
        &mut self,
        items: impl Iterator<Item = A>,
        counts: &mut Counts,
    ) -> Result<Vec<yuqing_store::Upserted>> {
        let Ingest {
            store,
            writer,
            uncommitted,
            ..
        } = self;
        let mut tally = Counts::default();
        let written = store.transaction_with(|tx| -> Result<Vec<yuqing_store::Upserted>> {
            let mut results = Vec::new();
            for mut item in items {
                let a = item.borrow_mut();
                let r = tx.upsert(&a.article)?;
                results.push(r);
                match r.outcome {
                    Outcome::New => tally.new += 1,
                    Outcome::Updated => tally.updated += 1,
                    Outcome::Unchanged => {
                        tally.unchanged += 1;
                        continue;
                    }
                }
                let doc = new_index_doc(a, r.id, r.cluster, r.outcome);
                if r.outcome == Outcome::New {
                    writer.add(doc)?;
                } else {
                    writer.replace(doc)?;
                }
                uncommitted.push(r.id);
            }
            Ok(results)
        });
        let results = match written {
            Ok(results) => results,
            Err(e) => {
                // the index may hold additions the store has rolled back: drop what it has
                // not committed (the store still marks the rest of it as not indexed)
                self.writer.rollback()?;
                self.uncommitted.clear();
                return Err(e);
            }
        };
        counts.new += tally.new;
        counts.updated += tally.updated;
        counts.unchanged += tally.unchanged;
        if self.uncommitted.len() >= self.commit_every {
            self.commit()?;
        }
        Ok(results)
    }

    /// Commits the index and records in the store what it now holds.
    pub fn commit(&mut self) -> Result<()> {
        if !self.uncommitted.is_empty() {
            self.writer.commit()?;
            self.store.mark_indexed(&self.uncommitted)?;
            self.uncommitted.clear();
        }
        Ok(())
    }

    /// Analyses drafts on `threads` worker threads and writes them in batches. `progress` is
    /// called with the counts after each batch.
    pub fn run(
        &mut self,
        classifier: &Classifier,
        units: &Units,
        drafts: impl Iterator<Item = Draft> + Send,
        threads: usize,
        progress: &mut dyn FnMut(&Counts),
    ) -> Result<Counts> {
        let mut counts = Counts::default();
        let threads = threads.max(1);
        let batch_size = self.batch;
        std::thread::scope(|scope| -> Result<()> {
            // deep queues let analysis go on while the writer commits
            let (draft_tx, draft_rx) = mpsc::sync_channel::<(usize, Draft)>(QUEUE);
            let draft_rx = std::sync::Arc::new(std::sync::Mutex::new(draft_rx));
            let (done_tx, done_rx) = mpsc::sync_channel::<(usize, Analyzed)>(QUEUE * 2);
            for n in 0..threads {
                let rx = draft_rx.clone();
                let tx = done_tx.clone();
                let builder = std::thread::Builder::new().name(format!("analysis-{n}"));
                let spawned = builder.spawn_scoped(scope, move || {
                    loop {
                        let next = rx.lock().map(|r| r.recv());
                        let Ok(Ok((seq, d))) = next else { break };
                        if tx.send((seq, analyze(classifier, units, d))).is_err() {
                            break;
                        }
                    }
                });
                if spawned.is_err() {
                    break;
                }
            }
            drop(done_tx);
            let _reader = std::thread::Builder::new()
                .name("reader".into())
                .spawn_scoped(scope, move || {
                    for (seq, d) in drafts.enumerate() {
                        if draft_tx.send((seq, d)).is_err() {
                            break;
                        }
                    }
                });
            // keep input order within the store so that "first published" ties break stably
            let mut pending: std::collections::BTreeMap<usize, Analyzed> = Default::default();
            let mut next = 0;
            let mut done = done_rx.into_iter();
            let mut in_order = std::iter::from_fn(move || {
                loop {
                    if let Some(a) = pending.remove(&next) {
                        next += 1;
                        return Some(a);
                    }
                    match done.next() {
                        Some((seq, a)) => {
                            pending.insert(seq, a);
                        }
                        // every draft analysed: nothing can be missing, take what is left
                        None => return pending.pop_first().map(|(_, a)| a),
                    }
                }
            })
            .peekable();
            while in_order.peek().is_some() {
                self.write_stream(in_order.by_ref().take(batch_size), &mut counts)?;
                progress(&counts);
            }
            self.commit()?;
            // anything else the index has not committed (an earlier crash, a label) goes in too
            self.catch_up(&mut |_| {})?;
            progress(&counts);
            Ok(())
        })?;
        Ok(counts)
    }
}
