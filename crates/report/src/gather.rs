//! Reading a report's input from the store.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use yuqing_store::{ReportRow, Store};

use crate::data::{DailyInput, SourceInfo, TopicInfo, UnitInfo, Week, WeeklyInput, day_start};

/// What the configuration says about units, sources and topics.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    pub units: Vec<UnitInfo>,
    pub sources: Vec<SourceInfo>,
    pub topics: Vec<TopicInfo>,
}

fn clusters_of(rows: &[ReportRow]) -> Vec<i64> {
    let mut c: Vec<i64> = rows.iter().map(|r| r.cluster).collect();
    c.sort_unstable();
    c.dedup();
    c
}

/// Clusters carried by two or more articles among `rows` or elsewhere: only those are
/// summarised (a lone article is its own story).
fn shared_clusters(store: &Store, rows: &[ReportRow]) -> yuqing_store::Result<Vec<i64>> {
    let ids = clusters_of(rows);
    let sizes = store.cluster_sizes(&ids)?;
    Ok(sizes
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(c, _)| c)
        .collect())
}

pub fn weekly(
    store: &Store,
    week: Week,
    catalogue: &Catalogue,
    now: DateTime<Utc>,
    title: String,
) -> yuqing_store::Result<WeeklyInput> {
    let (from, to) = week.range();
    let rows = store.report_rows(from, to)?;
    let (pfrom, pto) = week.minus(1).range();
    let previous_rows = store.report_rows(pfrom, pto)?;
    let earlier_keywords = store.keyword_lists(week.minus(4).range().0, from)?;
    let clusters = store.cluster_summaries(&shared_clusters(store, &rows)?)?;
    Ok(WeeklyInput {
        week: Some(week),
        generated_at: now,
        units: catalogue.units.clone(),
        sources: catalogue.sources.clone(),
        topics: catalogue.topics.clone(),
        rows,
        previous_rows,
        earlier_keywords,
        clusters,
        health: store.health()?,
        source_times: store.source_times(to - Duration::weeks(8), to)?,
        source_last: store.source_last_times()?,
        title,
    })
}

pub fn daily(
    store: &Store,
    day: NaiveDate,
    catalogue: &Catalogue,
    now: DateTime<Utc>,
) -> yuqing_store::Result<DailyInput> {
    let from = day_start(day);
    let to = from + Duration::days(1);
    let rows = store.report_rows(from, to)?;
    let previous_rows = store.report_rows(from - Duration::days(1), from)?;
    let clusters = store.cluster_summaries(&shared_clusters(store, &rows)?)?;
    let undelivered = store
        .report_runs()?
        .into_iter()
        .filter(|r| r.sent_at.is_none())
        .filter_map(|r| {
            r.send_error.map(|e| {
                format!(
                    "{} {}: {e}",
                    if r.kind == "weekly" {
                        "周报"
                    } else {
                        "日报"
                    },
                    r.period
                )
            })
        })
        .collect();
    Ok(DailyInput {
        date: Some(day),
        generated_at: now,
        units: catalogue.units.clone(),
        sources: catalogue.sources.clone(),
        topics: catalogue.topics.clone(),
        rows,
        previous_rows,
        clusters,
        health: store.health()?,
        source_times: store.source_times(to - Duration::weeks(8), to)?,
        source_last: store.source_last_times()?,
        undelivered,
        alerts: alert_lines(store, from, to)?,
    })
}

/// The alerts fired in `[from, to)`, oldest first, each with its channels' last outcome.
fn alert_lines(
    store: &Store,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> yuqing_store::Result<Vec<crate::data::AlertLine>> {
    let mut out = Vec::new();
    for a in store.alerts_since(from, 2000)?.into_iter().rev() {
        let Ok(at) = DateTime::parse_from_rfc3339(&a.fired_at) else {
            continue;
        };
        if at >= to {
            continue;
        }
        let mut channels: Vec<&str> = a.deliveries.iter().map(|d| d.channel.as_str()).collect();
        channels.sort_unstable();
        channels.dedup();
        let mut failed = false;
        let deliveries = channels
            .into_iter()
            .filter_map(|ch| {
                let d = a.deliveries.iter().rfind(|d| d.channel == ch)?;
                Some(match (d.status, &d.error) {
                    (yuqing_store::DeliveryStatus::Failed, e) => {
                        failed = true;
                        format!("{ch} {}：{}", d.status.label(), e.as_deref().unwrap_or(""))
                    }
                    _ => format!("{ch} {}", d.status.label()),
                })
            })
            .collect();
        out.push(crate::data::AlertLine {
            time: at
                .with_timezone(&crate::data::china())
                .format("%H:%M")
                .to_string(),
            kind: yuqing_model::AlertKind::parse(&a.kind)
                .map_or_else(|| a.kind.clone(), |k| k.label().to_string()),
            title: a.title,
            deliveries,
            failed,
        });
    }
    Ok(out)
}
