//! `yuqing run`: scans (and, through a callback, reports) on their cron schedules in the
//! configured time zone until the shutdown future completes.
//!
//! - Each enabled source runs on its own schedule (or `[schedule].scan`); sources due at the
//!   same moment are scanned together.
//! - A source whose previous scan is still running is not started again (no overlap).
//! - At start, a source whose schedule fired while the daemon was down (after its last recorded
//!   scan), or that was never scanned, is scanned once at once.
//! - On shutdown the running scans are stopped between requests; everything they handed to the
//!   writer is committed before [`run`] returns.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::task::JoinSet;
use yuqing_config::Cron;
use yuqing_model::Source;

use crate::scan::{Collector, RecheckMode, ScanReport};

/// A job other than a scan that the daemon runs on a schedule (the reports).
pub struct Job {
    pub name: String,
    pub cron: Cron,
    /// When the job last ran (to catch up a run missed during downtime); `None` never catches up.
    pub last_run: Option<DateTime<Utc>>,
    /// Also run after every scan has committed (the alerts), unless already running.
    pub after_scan: bool,
    pub run: Arc<dyn Fn(DateTime<Utc>) -> Result<String, String> + Send + Sync>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("name", &self.name).finish()
    }
}

/// What the daemon did, for its log and its tests.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub scans: usize,
    pub jobs: usize,
    /// Scans skipped because the same source was still being scanned.
    pub overlaps_skipped: usize,
    /// Scans that stopped with a panic (their sources were released and logged).
    pub scans_panicked: usize,
}

enum Due {
    Sources(Vec<Source>),
    Job(usize),
}

/// Runs until `shutdown` completes. `last_scans` holds each source's last recorded scan.
pub async fn run(
    collector: Arc<Collector>,
    sources: Vec<Source>,
    last_scans: HashMap<String, DateTime<Utc>>,
    jobs: Vec<Job>,
    on_scan: Arc<dyn Fn(&ScanReport) + Send + Sync>,
    shutdown: impl Future<Output = ()>,
) -> RunSummary {
    let tz: Tz = collector.config.schedule.timezone;
    let now = Utc::now().with_timezone(&tz);
    let mut summary = RunSummary::default();
    let crons: Vec<Cron> = sources
        .iter()
        .map(|s| collector.config.source_schedule(s).clone())
        .collect();
    // the next firing of each source and job; a missed or first run is due now
    let mut next: Vec<Option<DateTime<Tz>>> = sources
        .iter()
        .zip(&crons)
        .map(|(s, c)| match last_scans.get(&s.id) {
            None => Some(now),
            Some(last) => {
                let last = last.with_timezone(&tz);
                if c.missed_between(&last, &now).is_some() {
                    tracing::info!(source = %s.id, "a scheduled scan was missed while stopped: scanning now");
                    Some(now)
                } else {
                    c.next_after(&now)
                }
            }
        })
        .collect();
    let mut job_next: Vec<Option<DateTime<Tz>>> = jobs
        .iter()
        .map(|j| match j.last_run {
            Some(last) if j.cron.missed_between(&last.with_timezone(&tz), &now).is_some() => {
                tracing::info!(job = %j.name, "a scheduled run was missed while stopped: running now");
                Some(now)
            }
            _ => j.cron.next_after(&now),
        })
        .collect();
    let mut running: HashSet<String> = HashSet::new();
    let mut scans: JoinSet<(Vec<String>, ScanReport)> = JoinSet::new();
    // which sources each scan task holds, so that a task that panics releases them
    let mut scan_sources: HashMap<tokio::task::Id, Vec<String>> = HashMap::new();
    let mut job_tasks: JoinSet<(String, Result<String, String>)> = JoinSet::new();
    // jobs in flight, so that a job started after a scan does not overlap its scheduled run
    let mut jobs_running: HashSet<String> = HashSet::new();
    tokio::pin!(shutdown);
    loop {
        let now = Utc::now().with_timezone(&tz);
        let mut due_sources = Vec::new();
        let mut due = Vec::new();
        for (i, s) in sources.iter().enumerate() {
            if next[i].is_some_and(|t| t <= now) {
                next[i] = crons[i].next_after(&now);
                if running.contains(&s.id) {
                    summary.overlaps_skipped += 1;
                    tracing::warn!(source = %s.id, "the previous scan is still running: this one is skipped");
                } else {
                    due_sources.push(s.clone());
                }
            }
        }
        if !due_sources.is_empty() {
            due.push(Due::Sources(due_sources));
        }
        for (i, j) in jobs.iter().enumerate() {
            if job_next[i].is_some_and(|t| t <= now) {
                job_next[i] = j.cron.next_after(&now);
                due.push(Due::Job(i));
            }
        }
        for d in due {
            match d {
                Due::Sources(batch) => {
                    let ids: Vec<String> = batch.iter().map(|s| s.id.clone()).collect();
                    tracing::info!(sources = ?ids, "scan starting");
                    running.extend(ids.iter().cloned());
                    summary.scans += 1;
                    let c = collector.clone();
                    let held = ids.clone();
                    let task =
                        scans.spawn(async move { (ids, c.scan(batch, RecheckMode::Due).await) });
                    scan_sources.insert(task.id(), held);
                }
                Due::Job(i) => {
                    if start_job(&jobs[i], &mut job_tasks, &mut jobs_running) {
                        summary.jobs += 1;
                    }
                }
            }
        }
        let wake = next
            .iter()
            .chain(job_next.iter())
            .flatten()
            .min()
            .copied()
            .map(|t| {
                (t.with_timezone(&Utc) - Utc::now())
                    .to_std()
                    .unwrap_or_default()
            })
            .unwrap_or(std::time::Duration::from_secs(3600));
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(wake) => {}
            Some(done) = scans.join_next_with_id(), if !scans.is_empty() => {
                match done {
                    Ok((task, (ids, report))) => {
                        scan_sources.remove(&task);
                        for id in &ids {
                            running.remove(id);
                        }
                        tracing::info!(
                            sources = report.totals.sources,
                            new = report.totals.new,
                            failed_sources = report.totals.failed_sources,
                            "scan finished"
                        );
                        on_scan(&report);
                        for job in jobs.iter().filter(|j| j.after_scan) {
                            if start_job(job, &mut job_tasks, &mut jobs_running) {
                                summary.jobs += 1;
                            }
                        }
                    }
                    Err(e) => {
                        let ids = scan_sources.remove(&e.id()).unwrap_or_default();
                        for id in &ids {
                            running.remove(id);
                        }
                        if e.is_panic() {
                            summary.scans_panicked += 1;
                            tracing::error!(sources = ?ids, error = %e, "a scan stopped with a panic: its sources are released and scanned again at their next time");
                        }
                    }
                }
            }
            Some(done) = job_tasks.join_next(), if !job_tasks.is_empty() => {
                match done {
                    Ok((name, Ok(what))) => {
                        jobs_running.remove(&name);
                        tracing::info!(job = %name, "{what}");
                    }
                    Ok((name, Err(e))) => {
                        jobs_running.remove(&name);
                        tracing::error!(job = %name, error = %e, "job failed");
                    }
                    Err(e) => {
                        // the task wrapper itself never panics (the job runs inside
                        // spawn_blocking), so this is a cancellation at shutdown
                        tracing::error!(error = %e, "a job stopped");
                    }
                }
            }
        }
    }
    tracing::info!("stopping: waiting for in-flight writes to commit");
    scans.abort_all();
    while scans.join_next().await.is_some() {}
    // jobs are short and write files: let them finish
    while job_tasks.join_next().await.is_some() {}
    if let Err(e) = collector.writer.flush().await {
        tracing::error!(error = %e, "the final commit failed");
    }
    summary
}

/// Starts `job` on a blocking thread unless it is already running; whether it started.
fn start_job(
    job: &Job,
    tasks: &mut JoinSet<(String, Result<String, String>)>,
    running: &mut HashSet<String>,
) -> bool {
    if !running.insert(job.name.clone()) {
        tracing::info!(job = %job.name, "still running from before: not started again");
        return false;
    }
    tracing::info!(job = %job.name, "job starting");
    let (name, f) = (job.name.clone(), job.run.clone());
    tasks.spawn(async move {
        let at = Utc::now();
        let r = tokio::task::spawn_blocking(move || f(at))
            .await
            .unwrap_or_else(|e| Err(format!("the job stopped: {e}")));
        (name, r)
    });
    true
}
