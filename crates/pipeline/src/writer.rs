//! The writer thread: the one owner of the SQLite connection and the tantivy writer while
//! collecting. Async tasks send it commands and await the answers; it drains whatever is
//! queued, writes articles in one transaction per drain, commits the index every
//! [`COMMIT_EVERY`] articles and on [`StoreWriter::flush`], and on shutdown (every handle
//! dropped) commits what is left. It takes the index writer when work arrives (waiting while
//! another process holds it) and releases it after a flush with nothing queued, so that the
//! daemon does not keep imports, labels and rebuilds out between its scans.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use yuqing_index::SearchIndex;
use yuqing_store::{HealthUpdate, PageState, Recheck, Store, Upserted};

use crate::{Analyzed, Counts, Ingest};

/// Articles between two index commits while collecting.
pub const COMMIT_EVERY: usize = 1000;

/// What the crawler needs to know of a source before scanning it.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Page states by canonical URL.
    pub states: HashMap<String, PageState>,
    /// Page and canonical URLs of stored articles.
    pub known: HashSet<String>,
    /// Articles due for a re-check.
    pub recheck: Vec<Recheck>,
}

type Reply<T> = oneshot::Sender<Result<T, String>>;

enum Cmd {
    Load {
        source: String,
        recheck: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
        reply: Reply<Loaded>,
    },
    Article {
        item: Box<Analyzed>,
        state: PageState,
        reply: Reply<Upserted>,
    },
    States {
        states: Vec<PageState>,
        reply: Reply<()>,
    },
    Deleted {
        id: i64,
        at: DateTime<Utc>,
        state: PageState,
        reply: Reply<bool>,
    },
    Health {
        source: String,
        update: HealthUpdate,
    },
    Flush {
        reply: Reply<()>,
    },
}

/// A handle on the writer thread; clone freely.
#[derive(Clone, Debug)]
pub struct StoreWriter {
    tx: mpsc::Sender<Cmd>,
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cmd")
    }
}

const GONE: &str = "the store writer has stopped (see the error above)";

impl StoreWriter {
    /// Starts the writer thread over an open store and index.
    pub fn start(
        store: Store,
        index: SearchIndex,
        heap_bytes: usize,
    ) -> std::io::Result<(StoreWriter, std::thread::JoinHandle<crate::Result<()>>)> {
        let (tx, rx) = mpsc::channel(1024);
        let handle = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || serve(store, index, heap_bytes, rx))?;
        Ok((StoreWriter { tx }, handle))
    }

    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Cmd) -> Result<T, String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| GONE.to_string())?;
        rx.await.map_err(|_| GONE.to_string())?
    }

    /// A source's crawl state; `recheck` is `(since, checked_before)` for re-checks.
    pub async fn load(
        &self,
        source: &str,
        recheck: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    ) -> Result<Loaded, String> {
        let source = source.to_string();
        self.ask(|reply| Cmd::Load {
            source,
            recheck,
            reply,
        })
        .await
    }

    /// Stores an analysed article and its page state.
    pub async fn article(&self, item: Analyzed, state: PageState) -> Result<Upserted, String> {
        self.ask(|reply| Cmd::Article {
            item: Box::new(item),
            state,
            reply,
        })
        .await
    }

    /// Records page states; answers once they are committed.
    pub async fn states(&self, states: Vec<PageState>) -> Result<(), String> {
        if states.is_empty() {
            return Ok(());
        }
        self.ask(|reply| Cmd::States { states, reply }).await
    }

    /// Marks an article deleted; true when it was live.
    pub async fn deleted(
        &self,
        id: i64,
        at: DateTime<Utc>,
        state: PageState,
    ) -> Result<bool, String> {
        self.ask(|reply| Cmd::Deleted {
            id,
            at,
            state,
            reply,
        })
        .await
    }

    pub async fn health(&self, source: &str, update: HealthUpdate) -> Result<(), String> {
        self.tx
            .send(Cmd::Health {
                source: source.to_string(),
                update,
            })
            .await
            .map_err(|_| GONE.to_string())
    }

    /// Commits the index so that searches see everything written so far.
    pub async fn flush(&self) -> Result<(), String> {
        self.ask(|reply| Cmd::Flush { reply }).await
    }
}

fn serve(
    mut store: Store,
    index: SearchIndex,
    heap_bytes: usize,
    mut rx: mpsc::Receiver<Cmd>,
) -> crate::Result<()> {
    // the index writer is held only while there is work: after a flush with nothing queued it
    // is released, so that an import, a label or a reindex can run between the daemon's scans
    let mut next: Option<Cmd> = None;
    loop {
        let first = match next.take() {
            Some(c) => c,
            None => match rx.blocking_recv() {
                Some(c) => c,
                None => return Ok(()),
            },
        };
        let writer = crate::wait_for_writer(&index, heap_bytes, None, "collection")?;
        let mut ingest = Ingest::with_writer(&mut store, &index, writer)?;
        let mut since_commit = 0usize;
        let mut cmds = vec![first];
        let closed = loop {
            while cmds.len() < 256 {
                match rx.try_recv() {
                    Ok(c) => cmds.push(c),
                    Err(_) => break,
                }
            }
            let flushed = process(&mut ingest, std::mem::take(&mut cmds), &mut since_commit);
            if since_commit >= COMMIT_EVERY {
                ingest.commit()?;
                since_commit = 0;
            }
            if flushed {
                match rx.try_recv() {
                    Ok(c) => cmds.push(c),
                    Err(mpsc::error::TryRecvError::Empty) => break false,
                    Err(mpsc::error::TryRecvError::Disconnected) => break true,
                }
            } else {
                match rx.blocking_recv() {
                    Some(c) => cmds.push(c),
                    None => break true,
                }
            }
        };
        ingest.commit()?;
        ingest.catch_up(&mut |_| {})?;
        drop(ingest);
        if closed {
            return Ok(());
        }
    }
}

/// Carries out one drain of commands; whether it held a flush.
fn process(ingest: &mut Ingest<'_>, cmds: Vec<Cmd>, since_commit: &mut usize) -> bool {
    let mut flushed = false;
    let mut batch: Vec<Analyzed> = Vec::new();
    let mut replies: Vec<Reply<Upserted>> = Vec::new();
    let mut article_states: Vec<PageState> = Vec::new();
    let mut states: Vec<PageState> = Vec::new();
    let mut state_replies: Vec<Reply<()>> = Vec::new();
    let mut rest = Vec::new();
    for cmd in cmds {
        match cmd {
            Cmd::Article { item, state, reply } => {
                batch.push(*item);
                replies.push(reply);
                article_states.push(state);
            }
            Cmd::States {
                states: mut s,
                reply,
            } => {
                states.append(&mut s);
                state_replies.push(reply);
            }
            other => rest.push(other),
        }
    }
    if !batch.is_empty() {
        let mut counts = Counts::default();
        match ingest.write_batch(&mut batch, &mut counts) {
            Ok(results) => {
                *since_commit += results.len();
                for (reply, r) in replies.into_iter().zip(results) {
                    let _ = reply.send(Ok(r));
                }
                // a page counts as seen only once its article is stored
                states.append(&mut article_states);
            }
            Err(e) => {
                tracing::error!(error = %e, "writing articles failed");
                for reply in replies {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
    if !states.is_empty() {
        let r = ingest.store.put_page_states(&states).map_err(|e| {
            tracing::error!(error = %e, "writing crawl state failed");
            format!("cannot record the crawl state: {e}")
        });
        for reply in state_replies {
            let _ = reply.send(r.clone());
        }
    }
    for cmd in rest {
        match cmd {
            Cmd::Load {
                source,
                recheck,
                reply,
            } => {
                let _ = reply.send(load(ingest.store, &source, recheck).map_err(|e| e.to_string()));
            }
            Cmd::Deleted {
                id,
                at,
                state,
                reply,
            } => {
                let r = ingest
                    .store
                    .mark_deleted_id(id, at)
                    .and_then(|was| ingest.store.put_page_states(&[state]).map(|()| was));
                let _ = reply.send(r.map_err(|e| e.to_string()));
            }
            Cmd::Health { source, update } => {
                if let Err(e) = ingest.store.record_health(&source, &update) {
                    tracing::error!(source, error = %e, "writing source health failed");
                }
            }
            Cmd::Flush { reply } => {
                let r = ingest
                    .commit()
                    .and_then(|()| ingest.catch_up(&mut |_| {}).map(|_| ()));
                *since_commit = 0;
                flushed = true;
                let _ = reply.send(r.map_err(|e| e.to_string()));
            }
            Cmd::Article { .. } | Cmd::States { .. } => {}
        }
    }
    flushed
}

fn load(
    store: &Store,
    source: &str,
    recheck: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
) -> yuqing_store::Result<Loaded> {
    let states = store
        .page_states(source)?
        .into_iter()
        .map(|s| (s.url.clone(), s))
        .collect();
    let known = store.article_urls(source)?;
    let recheck = match recheck {
        Some((since, before)) => store.recheck_due(source, since, before)?,
        None => Vec::new(),
    };
    Ok(Loaded {
        states,
        known,
        recheck,
    })
}
