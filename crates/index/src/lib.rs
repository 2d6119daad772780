//! The search index: tantivy with the jieba tokenizer from `yuqing-text`, derived from the
//! store and rebuildable from it (`yuqing reindex`).
//!
//! Owns the schema, the writer, and the analysts' query language: words, "quoted phrases",
//! AND / OR / NOT (and `-word`), parentheses, fields (`title:`, `source:`, `unit:`, `kind:`,
//! `tag:`, `topic:`) and date ranges (`date:2025-01-01..2025-03-31`), plus filters, sorting by
//! relevance or newest, highlighted snippets and collapsing by story cluster. It knows nothing
//! of HTTP or SQLite.

mod query;

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};
use yuqing_model::html::escape;
use yuqing_text::{Analyzer, JiebaTokenizer, ReadyTokens};

pub use query::QueryError;

/// The tokenizer's name in the index.
const TOKENIZER: &str = "jieba";
/// Segments larger than this (in documents) are left out of merges.
const MERGE_MAX_DOCS: usize = 50_000;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index {path}: {source}")]
    Open {
        path: String,
        source: tantivy::TantivyError,
    },
    #[error(
        "search index {path} was built with another schema: run `yuqing reindex` to rebuild it"
    )]
    Schema { path: String },
    #[error(
        "search index {path} is being written by another yuqing process (the daemon `yuqing run`, a scan, an import or a reindex): wait for it to finish or stop it, then run this again"
    )]
    Busy { path: String },
    #[error(
        "search index {path} is damaged ({detail}): run `yuqing check`, then `yuqing reindex` to rebuild it from the store"
    )]
    Damaged { path: String, detail: String },
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("{0}")]
    Query(#[from] QueryError),
}

pub type Result<T> = std::result::Result<T, IndexError>;

/// The fields of the schema.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    pub id: Field,
    pub cluster: Field,
    pub url: Field,
    /// Indexed (not stored): the tokens.
    pub title: Field,
    pub body: Field,
    /// Stored (not indexed): the text shown in results.
    pub title_text: Field,
    pub body_text: Field,
    pub source: Field,
    pub unit: Field,
    pub kind: Field,
    pub tag: Field,
    pub topic: Field,
    pub status: Field,
    pub published: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        cluster: b.add_u64_field("cluster", STORED | FAST),
        url: b.add_text_field("url", STRING | STORED),
        title: b.add_text_field("title", text.clone()),
        body: b.add_text_field("body", text),
        title_text: b.add_text_field("title_text", STORED),
        body_text: b.add_text_field("body_text", STORED),
        source: b.add_text_field("source", STRING | STORED | FAST),
        unit: b.add_text_field("unit", STRING | STORED | FAST),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        tag: b.add_text_field("tag", STRING | STORED | FAST),
        topic: b.add_text_field("topic", STRING | STORED | FAST),
        status: b.add_text_field("status", STRING | STORED),
        published: b.add_date_field("published", INDEXED | STORED | FAST),
    };
    (b.build(), fields)
}

/// One article as the index holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexDoc {
    pub id: u64,
    pub cluster: u64,
    pub url: String,
    pub title: String,
    pub body: String,
    pub source: String,
    pub unit: String,
    /// The unit's kind (机关, 全国学会, …).
    pub kind: String,
    pub tags: Vec<String>,
    pub topics: Vec<String>,
    /// live | edited | deleted
    pub status: String,
    pub published: Option<DateTime<FixedOffset>>,
    /// The title's and the text's tokens when already made by the same tokenizer (saves
    /// segmenting twice); tokenized by the index otherwise.
    pub title_tokens: Option<Vec<tantivy::tokenizer::Token>>,
    pub body_tokens: Option<Vec<tantivy::tokenizer::Token>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "relevance" => Some(Sort::Relevance),
            "newest" => Some(Sort::Newest),
            _ => None,
        }
    }
}

/// A search: the query text and the filters of the command line and the web page.
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    pub query: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub sources: Vec<String>,
    pub units: Vec<String>,
    pub kinds: Vec<String>,
    pub tags: Vec<String>,
    pub topics: Vec<String>,
    pub sort: Sort,
    pub limit: usize,
    pub offset: usize,
    /// One hit per story cluster (the default for analysts).
    pub collapse: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    pub id: u64,
    pub cluster: u64,
    pub url: String,
    pub title: String,
    pub published_at: Option<String>,
    pub source: String,
    pub unit: String,
    pub kind: String,
    pub tags: Vec<String>,
    pub topics: Vec<String>,
    pub status: String,
    /// Matched words wrapped in `<b>…</b>`; the rest HTML-escaped.
    pub snippet: String,
    pub score: f32,
    /// Other articles of the same story among the matches (when collapsed).
    pub collapsed: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchResults {
    /// Matching articles (before collapsing).
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// Facet counts: per filter field, value → matching articles.
pub type Facets = HashMap<&'static str, Vec<(String, u64)>>;

/// The index, its reader, and the tokenizer.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    /// Tokens the writer leaves for the registered tokenizer.
    ready: ReadyTokens,
    /// Where it lives, for messages.
    path: String,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish()
    }
}

fn to_tantivy_date(d: &DateTime<FixedOffset>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_secs(d.timestamp())
}

/// A tantivy error that means bytes on disk are wrong becomes [`IndexError::Damaged`] naming
/// the file; others pass through.
fn damaged(e: IndexError, path: &str) -> IndexError {
    let IndexError::Tantivy(t) = &e else { return e };
    let detail = match t {
        tantivy::TantivyError::DataCorruption(c) => format!("{c:?}"),
        tantivy::TantivyError::OpenReadError(o) => match o {
            tantivy::directory::error::OpenReadError::FileDoesNotExist(p) => {
                format!("{} is missing", p.display())
            }
            tantivy::directory::error::OpenReadError::IoError { filepath, io_error }
                if io_error.kind() == std::io::ErrorKind::InvalidData =>
            {
                format!("{} is corrupted", filepath.display())
            }
            _ => return e,
        },
        _ => return e,
    };
    IndexError::Damaged {
        path: path.to_string(),
        detail,
    }
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

impl SearchIndex {
    fn with_index(index: Index, analyzer: Analyzer, path: String) -> Result<SearchIndex> {
        let (_, fields) = schema();
        let ready = ReadyTokens::default();
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::from(JiebaTokenizer::with_ready(analyzer.clone(), ready.clone())),
        );
        let reader = index
            .reader_builder()
            // follow commits made by any process (the daemon, an import) within about a second:
            // tantivy watches the index's meta.json
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            analyzer,
            ready,
            path,
        })
    }

    /// Opens (creating if needed) the index in `dir`.
    pub fn open(dir: &Path, analyzer: Analyzer) -> Result<SearchIndex> {
        let path = dir.display().to_string();
        std::fs::create_dir_all(dir).map_err(|e| IndexError::Open {
            path: path.clone(),
            source: tantivy::TantivyError::IoError(std::sync::Arc::new(e)),
        })?;
        let directory = MmapDirectory::open(dir).map_err(|e| IndexError::Open {
            path: path.clone(),
            source: e.into(),
        })?;
        let (schema, _) = schema();
        let index = match Index::open_or_create(directory, schema) {
            Ok(i) => i,
            Err(tantivy::TantivyError::SchemaError(_)) => return Err(IndexError::Schema { path }),
            Err(source) => return Err(IndexError::Open { path, source }),
        };
        SearchIndex::with_index(index, analyzer, path.clone()).map_err(|e| damaged(e, &path))
    }

    /// An index in memory (tests).
    pub fn in_ram(analyzer: Analyzer) -> Result<SearchIndex> {
        let (schema, _) = schema();
        SearchIndex::with_index(Index::create_in_ram(schema), analyzer, "(in memory)".into())
    }

    /// The writer; one at a time. `heap_bytes` is split among tantivy's indexing threads.
    pub fn writer(&self, heap_bytes: usize) -> Result<Writer> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(2);
        let writer: IndexWriter = self
            .index
            .writer_with_num_threads(threads, heap_bytes.max(threads * 20_000_000))
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(
                    tantivy::directory::error::LockError::LockBusy,
                    _,
                ) => IndexError::Busy {
                    path: self.path.clone(),
                },
                other => other.into(),
            })?;
        // segments stop merging once they hold MERGE_MAX_DOCS articles: merging the large ones
        // of a big index would re-read (and map into memory) most of it again and again, for a
        // search that is only slightly faster over one segment than over a dozen
        let mut policy = tantivy::indexer::LogMergePolicy::default();
        policy.set_max_docs_before_merge(MERGE_MAX_DOCS);
        writer.set_merge_policy(Box::new(policy));
        Ok(Writer {
            writer,
            ready: self.ready.clone(),
            fields: self.fields,
        })
    }

    /// Makes the latest commit visible to searches.
    pub fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        Ok(())
    }

    /// The files of the live segments that are missing or whose checksum does not match
    /// (bytes overwritten or cut off), relative to the index folder. Reads every segment file.
    pub fn damaged_files(&self) -> Result<Vec<String>> {
        use tantivy::index::SegmentComponent as C;
        let mut out: Vec<String> = self
            .index
            .validate_checksum()?
            .into_iter()
            .map(|p| p.display().to_string())
            .collect();
        let dir = Path::new(&self.path);
        for meta in self.index.searchable_segment_metas()? {
            let mut parts = vec![
                C::Postings,
                C::Positions,
                C::Terms,
                C::Store,
                C::FastFields,
                C::FieldNorms,
            ];
            if meta.has_deletes() {
                parts.push(C::Delete);
            }
            for c in parts {
                let rel = meta.relative_path(c);
                if !dir.join(&rel).is_file() {
                    out.push(format!("{} (missing)", rel.display()));
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Articles in the index.
    pub fn count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether an article id is in the index.
    pub fn contains(&self, id: u64) -> Result<bool> {
        let q = tantivy::query::TermQuery::new(
            Term::from_field_u64(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        Ok(self.reader.searcher().search(&q, &Count)? > 0)
    }

    /// Runs a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults> {
        self.search_inner(req).map_err(|e| match e {
            IndexError::Tantivy(tantivy::TantivyError::IoError(io)) => IndexError::Damaged {
                path: self.path.clone(),
                detail: format!("reading it failed: {io}"),
            },
            other => damaged(other, &self.path),
        })
    }

    fn search_inner(&self, req: &SearchRequest) -> Result<SearchResults> {
        let q = query::build(&self.fields, &self.analyzer, req)?;
        let searcher = self.reader.searcher();
        let limit = req.limit.max(1);
        // collapsing needs more candidates than it shows
        let want = if req.collapse {
            (req.offset + limit) * 4 + 20
        } else {
            req.offset + limit
        };
        // one pass for the count and the candidates
        let (total, addrs): (usize, Vec<(f32, DocAddress)>) = match req.sort {
            Sort::Relevance => {
                searcher.search(&*q, &(Count, TopDocs::with_limit(want).order_by_score()))?
            }
            Sort::Newest => {
                let (n, top) = searcher.search(
                    &*q,
                    &(
                        Count,
                        TopDocs::with_limit(want)
                            .order_by_fast_field::<tantivy::DateTime>("published", Order::Desc),
                    ),
                )?;
                (n, top.into_iter().map(|(_, a)| (0.0, a)).collect())
            }
        };
        // collapse on the cluster column, without loading documents
        let mut columns: HashMap<u32, tantivy::columnar::Column<u64>> = HashMap::new();
        let mut picked: Vec<(f32, DocAddress, u64, usize)> = Vec::new();
        let mut cluster_pos: HashMap<u64, usize> = HashMap::new();
        for (score, addr) in addrs {
            let col = match columns.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    searcher
                        .segment_reader(addr.segment_ord)
                        .fast_fields()
                        .u64("cluster")?,
                ),
            };
            let cluster = col.first(addr.doc_id).unwrap_or(0);
            if req.collapse {
                if let Some(pos) = cluster_pos.get(&cluster) {
                    picked[*pos].3 += 1;
                    continue;
                }
                cluster_pos.insert(cluster, picked.len());
            }
            picked.push((score, addr, cluster, 0));
        }
        // documents and snippets only for the page shown
        let mut snippets = SnippetGenerator::create(&searcher, &*q, self.fields.body)?;
        snippets.set_max_num_chars(180);
        let mut hits: Vec<Hit> = Vec::new();
        for (score, addr, cluster, collapsed) in picked.into_iter().skip(req.offset).take(limit) {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let f = &self.fields;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let all = |field: Field| -> Vec<String> {
                doc.get_all(field)
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            };
            let body = text(f.body_text);
            let snippet = render_snippet(&snippets.snippet(&body), &body);
            hits.push(Hit {
                id: doc.get_first(f.id).and_then(|v| v.as_u64()).unwrap_or(0),
                cluster,
                url: text(f.url),
                title: text(f.title_text),
                published_at: doc
                    .get_first(f.published)
                    .and_then(|v| v.as_datetime())
                    .and_then(|d| china().timestamp_opt(d.into_timestamp_secs(), 0).single())
                    .map(|d| d.to_rfc3339()),
                source: text(f.source),
                unit: text(f.unit),
                kind: text(f.kind),
                tags: all(f.tag),
                topics: all(f.topic),
                status: text(f.status),
                snippet,
                score,
                collapsed,
            });
        }
        Ok(SearchResults { total, hits })
    }

    /// Counts per value of each filter field among the articles matching `req` (for the web
    /// page's facet counts), counted per segment on the fast-field term ordinals.
    pub fn facets(&self, req: &SearchRequest, top: usize) -> Result<Facets> {
        let q = query::build(&self.fields, &self.analyzer, req)?;
        let searcher = self.reader.searcher();
        let counted = searcher.search(&*q, &FacetCounter)?;
        let mut out = Facets::new();
        for (i, name) in FACET_FIELDS.iter().enumerate() {
            let mut v: Vec<(String, u64)> =
                counted[i].iter().map(|(k, n)| (k.clone(), *n)).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(top);
            out.insert(name, v);
        }
        Ok(out)
    }
}

/// The fields counted for the facets.
const FACET_FIELDS: [&str; 5] = ["source", "unit", "kind", "tag", "topic"];

/// Counts matching documents per term of each facet field.
struct FacetCounter;

struct SegmentFacets {
    columns: Vec<Option<tantivy::columnar::StrColumn>>,
    counts: Vec<Vec<u64>>,
}

impl tantivy::collector::Collector for FacetCounter {
    type Fruit = Vec<HashMap<String, u64>>;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _ord: tantivy::SegmentOrdinal,
        segment: &tantivy::SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let mut columns = Vec::new();
        let mut counts = Vec::new();
        for name in FACET_FIELDS {
            let col = segment.fast_fields().str(name)?;
            counts.push(vec![0; col.as_ref().map_or(0, |c| c.num_terms())]);
            columns.push(col);
        }
        Ok(SegmentFacets { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<HashMap<String, u64>>>) -> tantivy::Result<Self::Fruit> {
        let mut out: Vec<HashMap<String, u64>> = vec![HashMap::new(); FACET_FIELDS.len()];
        for fruit in fruits {
            for (i, m) in fruit.into_iter().enumerate() {
                for (k, n) in m {
                    *out[i].entry(k).or_default() += n;
                }
            }
        }
        Ok(out)
    }
}

impl tantivy::collector::SegmentCollector for SegmentFacets {
    type Fruit = Vec<HashMap<String, u64>>;

    fn collect(&mut self, doc: tantivy::DocId, _score: tantivy::Score) {
        for (col, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(col) = col {
                for ord in col.term_ords(doc) {
                    if let Some(c) = counts.get_mut(ord as usize) {
                        *c += 1;
                    }
                }
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut buf = String::new();
        self.columns
            .iter()
            .zip(self.counts)
            .map(|(col, counts)| {
                let mut m = HashMap::new();
                if let Some(col) = col {
                    for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                        buf.clear();
                        if col.ord_to_str(ord as u64, &mut buf).unwrap_or(false) {
                            m.insert(buf.clone(), n);
                        }
                    }
                }
                m
            })
            .collect()
    }
}

/// The single writer of the index.
pub struct Writer {
    writer: IndexWriter,
    fields: Fields,
    ready: ReadyTokens,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish()
    }
}

impl Writer {
    /// Adds an article, replacing any earlier copy with the same id.
    pub fn upsert(&mut self, d: &IndexDoc) -> Result<()> {
        self.replace(d.clone())
    }

    /// Like [`Writer::upsert`], taking the document (its text and tokens move into the index
    /// rather than being copied).
    pub fn replace(&mut self, d: IndexDoc) -> Result<()> {
        self.writer
            .delete_term(Term::from_field_u64(self.fields.id, d.id));
        self.add(d)
    }

    /// Adds an article the index cannot hold yet (one just stored for the first time).
    pub fn add(&mut self, d: IndexDoc) -> Result<()> {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, d.id);
        doc.add_u64(f.cluster, d.cluster);
        doc.add_text(f.url, d.url);
        // tokens made already are left for the tokenizer, which finds them by the text (handed
        // over as pre-tokenized text, tantivy would write them out as JSON and read them back)
        let ready = &self.ready;
        let mut searched =
            |field: Field, value: &str, tokens: Option<Vec<tantivy::tokenizer::Token>>| {
                if let Some(tokens) = tokens {
                    ready.put(value, tokens);
                }
                doc.add_text(field, value);
            };
        searched(f.title, &d.title, d.title_tokens);
        searched(f.body, &d.body, d.body_tokens);
        doc.add_text(f.title_text, d.title);
        doc.add_text(f.body_text, d.body);
        doc.add_text(f.source, d.source);
        doc.add_text(f.unit, d.unit);
        doc.add_text(f.kind, d.kind);
        for t in d.tags {
            doc.add_text(f.tag, t);
        }
        for t in d.topics {
            doc.add_text(f.topic, t);
        }
        doc.add_text(f.status, d.status);
        if let Some(p) = &d.published {
            doc.add_date(f.published, to_tantivy_date(p));
        }
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Removes every article (before a rebuild).
    pub fn clear(&mut self) -> Result<()> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Drops everything added since the last commit.
    pub fn rollback(&mut self) -> Result<()> {
        self.writer.rollback()?;
        self.ready.clear();
        Ok(())
    }

    /// Makes everything added so far durable.
    pub fn commit(&mut self) -> Result<()> {
        self.writer.commit()?;
        // every document added has been tokenized by now; nothing should be left
        self.ready.clear();
        Ok(())
    }
}

/// The snippet with matches in `<b>…</b>` (adjacent matches merged), the rest escaped; the
/// start of the text when nothing matched the body.
fn render_snippet(s: &tantivy::snippet::Snippet, body: &str) -> String {
    let frag = s.fragment();
    if frag.is_empty() {
        let start: String = body.chars().take(60).collect();
        return escape(&start);
    }
    let mut ranges: Vec<std::ops::Range<usize>> = s.highlighted().to_vec();
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut out = String::new();
    let mut pos = 0;
    for r in merged {
        if r.start < pos || r.end > frag.len() {
            continue;
        }
        out.push_str(&escape(&frag[pos..r.start]));
        out.push_str("<b>");
        out.push_str(&escape(&frag[r.start..r.end]));
        out.push_str("</b>");
        pos = r.end;
    }
    out.push_str(&escape(&frag[pos..]));
    out
}

#[cfg(test)]
mod tests;
