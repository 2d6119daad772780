//! The analysts' query language, turned into tantivy queries.
//!
//! Parsing is the topic grammar of `yuqing-model` with fields. A word is looked up in the title
//! (boosted) and the body: segmented with the same jieba as the index, one token becomes a term
//! query, several become a phrase whose offsets are the tokens' character offsets (the index
//! numbers positions the same way). Exact fields (`source:`, `unit:`, `kind:`, `tag:`,
//! `topic:`) match whole values; `date:A..B` is a day range in China time.

use std::ops::Bound;

use chrono::{Duration, NaiveDate, TimeZone};
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use yuqing_model::{Atom, Expr, Tag};
use yuqing_text::{Analyzer, is_noise};

use crate::{Fields, SearchRequest, china};

/// Fields a query may name.
pub const QUERY_FIELDS: [&str; 7] = ["title", "source", "unit", "kind", "tag", "topic", "date"];

/// Why a query is not understood; `column` counts characters from 1 (0: not in the text).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid query: {message}{}", if *.column > 0 { format!(" at column {}", .column) } else { String::new() })]
pub struct QueryError {
    pub column: usize,
    pub message: String,
}

fn err(message: impl Into<String>) -> QueryError {
    QueryError {
        column: 0,
        message: message.into(),
    }
}

/// Tokens of query text as (character offset, token), segmented like the index.
fn tokens(analyzer: &Analyzer, text: &str) -> Vec<(usize, String)> {
    analyzer
        .tag(text)
        .into_iter()
        .filter(|w| !is_noise(&w.text) && !analyzer.is_stop_word(&w.text))
        .map(|w| (text[..w.start].chars().count(), w.text))
        .collect()
}

fn text_query(
    fields: &[(Field, f32)],
    analyzer: &Analyzer,
    text: &str,
) -> Result<Box<dyn Query>, QueryError> {
    let toks = tokens(analyzer, text);
    if toks.is_empty() {
        return Err(err(format!(
            "\"{text}\" has no searchable words (only punctuation or stop words)"
        )));
    }
    let base = toks[0].0;
    let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, boost) in fields {
        let q: Box<dyn Query> = if toks.len() == 1 {
            Box::new(TermQuery::new(
                Term::from_field_text(*field, &toks[0].1),
                IndexRecordOption::WithFreqs,
            ))
        } else {
            Box::new(PhraseQuery::new_with_offset(
                toks.iter()
                    .map(|(off, w)| (off - base, Term::from_field_text(*field, w)))
                    .collect(),
            ))
        };
        let q: Box<dyn Query> = if (*boost - 1.0).abs() > f32::EPSILON {
            Box::new(BoostQuery::new(q, *boost))
        } else {
            q
        };
        per_field.push((Occur::Should, q));
    }
    Ok(Box::new(BooleanQuery::new(per_field)))
}

fn exact(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

fn day_start(d: NaiveDate) -> tantivy::DateTime {
    let t = china()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map_or(0, |t| t.timestamp());
    tantivy::DateTime::from_timestamp_secs(t)
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// The days a date filter may name: the index keeps time in nanoseconds, which cannot go far
/// past 2262, and nothing the product collects is older than 1900.
pub const FIRST_DAY: (i32, u32, u32) = (1900, 1, 1);
pub const LAST_DAY: (i32, u32, u32) = (2200, 12, 31);

fn day_in_range(d: NaiveDate) -> Result<NaiveDate, QueryError> {
    let first = NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).unwrap_or(d);
    let last = NaiveDate::from_ymd_opt(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2).unwrap_or(d);
    if d < first || d > last {
        return Err(err(format!(
            "date {d} is outside the range dates can be searched in ({first} to {last}): leave that end of the range open instead"
        )));
    }
    Ok(d)
}

/// Published within `[from, to]` (whole days, China time); days outside
/// [`FIRST_DAY`]..[`LAST_DAY`] are an error.
fn date_range(
    field: Field,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Box<dyn Query>, QueryError> {
    let from = from.map(day_in_range).transpose()?;
    let to = to.map(day_in_range).transpose()?;
    let lower = from.map_or(Bound::Unbounded, |d| {
        Bound::Included(Term::from_field_date(field, day_start(d)))
    });
    let upper = to.map_or(Bound::Unbounded, |d| {
        Bound::Excluded(Term::from_field_date(
            field,
            day_start(d + Duration::days(1)),
        ))
    });
    Ok(Box::new(RangeQuery::new(lower, upper)))
}

fn atom(f: &Fields, analyzer: &Analyzer, a: &Atom) -> Result<Box<dyn Query>, QueryError> {
    let both = [(f.title, 2.0), (f.body, 1.0)];
    match a {
        Atom::Word(w) | Atom::Phrase(w) => text_query(&both, analyzer, w),
        Atom::Field { field, value, .. } => match field.as_str() {
            "title" => text_query(&[(f.title, 1.0)], analyzer, value),
            "source" => Ok(exact(f.source, value)),
            "unit" => Ok(exact(f.unit, value)),
            "kind" => Ok(exact(f.kind, value)),
            "topic" => Ok(exact(f.topic, value)),
            "tag" => {
                let tag = Tag::parse(value).ok_or_else(|| {
                    err(format!("unknown tag \"{value}\" (use typical_person, typical_event, typical_case or 典型人, 典型事, 典型案例)"))
                })?;
                Ok(exact(f.tag, tag.as_str()))
            }
            "date" => {
                let (a, b) = value
                    .split_once("..")
                    .unwrap_or((value.as_str(), value.as_str()));
                let from = if a.trim().is_empty() {
                    None
                } else {
                    Some(
                        parse_day(a)
                            .ok_or_else(|| err(format!("\"{a}\" is not a date (YYYY-MM-DD)")))?,
                    )
                };
                let to = if b.trim().is_empty() {
                    None
                } else {
                    Some(
                        parse_day(b)
                            .ok_or_else(|| err(format!("\"{b}\" is not a date (YYYY-MM-DD)")))?,
                    )
                };
                date_range(f.published, from, to)
            }
            other => Err(err(format!("unknown field \"{other}\""))),
        },
    }
}

fn expr(f: &Fields, analyzer: &Analyzer, e: &Expr) -> Result<Box<dyn Query>, QueryError> {
    Ok(match e {
        Expr::Atom(a) => atom(f, analyzer, a)?,
        Expr::Not(inner) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(AllQuery)),
            (Occur::MustNot, expr(f, analyzer, inner)?),
        ])),
        Expr::And(parts) => {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for p in parts {
                match p {
                    Expr::Not(inner) => clauses.push((Occur::MustNot, expr(f, analyzer, inner)?)),
                    other => clauses.push((Occur::Must, expr(f, analyzer, other)?)),
                }
            }
            if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                clauses.push((Occur::Must, Box::new(AllQuery)));
            }
            Box::new(BooleanQuery::new(clauses))
        }
        Expr::Or(parts) => Box::new(BooleanQuery::new(
            parts
                .iter()
                .map(|p| Ok((Occur::Should, expr(f, analyzer, p)?)))
                .collect::<Result<Vec<_>, QueryError>>()?,
        )),
    })
}

fn any_of(
    field: Field,
    values: &[String],
    map: impl Fn(&str) -> Result<String, QueryError>,
) -> Result<Option<Box<dyn Query>>, QueryError> {
    if values.is_empty() {
        return Ok(None);
    }
    let clauses = values
        .iter()
        .map(|v| Ok((Occur::Should, exact(field, &map(v)?))))
        .collect::<Result<Vec<_>, QueryError>>()?;
    Ok(Some(Box::new(BooleanQuery::new(clauses))))
}

/// The query for a request: the parsed text AND every filter.
pub fn build(
    f: &Fields,
    analyzer: &Analyzer,
    req: &SearchRequest,
) -> Result<Box<dyn Query>, QueryError> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if req.query.trim().is_empty() {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    } else {
        let parsed =
            Expr::parse_with_fields(&req.query, &QUERY_FIELDS).map_err(|e| QueryError {
                column: e.column,
                message: e.message,
            })?;
        clauses.push((Occur::Must, expr(f, analyzer, &parsed)?));
    }
    if req.from.is_some() || req.to.is_some() {
        if let (Some(a), Some(b)) = (req.from, req.to)
            && a > b
        {
            return Err(err(format!(
                "the date range ends ({b}) before it starts ({a})"
            )));
        }
        clauses.push((Occur::Must, date_range(f.published, req.from, req.to)?));
    }
    let same = |v: &str| Ok(v.to_string());
    let tag = |v: &str| {
        Tag::parse(v)
            .map(|t| t.as_str().to_string())
            .ok_or_else(|| {
                err(format!(
                    "unknown tag \"{v}\" (use typical_person, typical_event, typical_case)"
                ))
            })
    };
    for q in [
        any_of(f.source, &req.sources, same)?,
        any_of(f.unit, &req.units, same)?,
        any_of(f.kind, &req.kinds, same)?,
        any_of(f.tag, &req.tags, tag)?,
        any_of(f.topic, &req.topics, same)?,
    ]
    .into_iter()
    .flatten()
    {
        clauses.push((Occur::Must, q));
    }
    if clauses.is_empty() {
        return Ok(Box::new(EmptyQuery));
    }
    Ok(Box::new(BooleanQuery::new(clauses)))
}
