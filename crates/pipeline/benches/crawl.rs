//! The crawl benchmark: a scan of the generated sample web (default 50 hosts × 200 articles)
//! with delays off, through fetching, extraction, analysis, the store and the index. Prints
//! pages/s, articles/s and the peak memory of the process (which also runs the sample web).
//!
//! `cargo bench -p yuqing-pipeline --bench crawl` (YUQING_BENCH_HOSTS, YUQING_BENCH_PER_HOST).

use std::sync::Arc;
use std::time::Instant;

use yuqing_classify::Classifier;
use yuqing_config::Config;
use yuqing_crawl::Fetcher;
use yuqing_pipeline::Units;
use yuqing_pipeline::scan::{Collector, RecheckMode, fetch_settings};
use yuqing_pipeline::writer::StoreWriter;
use yuqing_sampleweb::SampleWeb;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would run us with no flag: do nothing then
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let hosts = env("YUQING_BENCH_HOSTS", 50);
    let per_host = env("YUQING_BENCH_PER_HOST", 200);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let web = rt
        .block_on(SampleWeb::start_generated(hosts, per_host))
        .expect("sample web");
    let mut text = String::from(
        "[crawl]\nuser_agent = \"yuqing-bench (contact: bench@example.org)\"\ndelay_ms = 0\nconcurrency = 64\nper_host_concurrency = 1\nmax_pages_per_list = 1\nallow_private = true\n\n[[unit]]\nid = \"bench\"\nname = \"基准测试\"\nkind = \"其他\"\n\n",
    );
    for (name, addr) in web.sites() {
        text.push_str(&format!(
            "[[source]]\nid = \"{name}\"\nunit = \"bench\"\nkind = \"html\"\nurl = \"http://{addr}/list.html\"\n\n"
        ));
    }
    let config = Config::parse(&text).expect("bench config");
    let dir = std::env::temp_dir().join(format!("yuqing-crawl-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = yuqing_store::Store::open(&dir).expect("store");
    let analyzer = yuqing_text::Analyzer::builtin();
    let index =
        yuqing_index::SearchIndex::open(&dir.join("search"), analyzer.clone()).expect("index");
    let (writer, thread) = StoreWriter::start(store, index, 100_000_000).expect("writer");
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let collector = Arc::new(Collector {
        units: Arc::new(Units::new(&config.units)),
        fetcher: Arc::new(Fetcher::new(fetch_settings(&config)).expect("fetcher")),
        config: Arc::new(config.clone()),
        writer,
        classifier: Arc::new(Classifier::builtin(analyzer).expect("classifier")),
        analysis: Arc::new(tokio::sync::Semaphore::new(cpus)),
        progress: Arc::new(|_| {}),
    });
    let sources = config.sources.clone();
    let start = Instant::now();
    let report = rt.block_on({
        let c = collector.clone();
        async move { c.scan(sources, RecheckMode::Never).await }
    });
    drop(collector);
    thread.join().expect("writer thread").expect("writer");
    let secs = start.elapsed().as_secs_f64();
    let t = &report.totals;
    println!(
        "crawl: {hosts} hosts × {per_host} articles: {} requests, {} new, {} failed in {secs:.1} s = {:.0} pages/s, {:.0} articles/s; peak RSS {:.0} MB (sample web in the same process); {cpus} cores",
        t.fetched,
        t.new,
        t.failed,
        t.fetched as f64 / secs,
        t.new as f64 / secs,
        peak_rss_mb()
    );
    assert_eq!(
        t.new as usize,
        hosts * per_host,
        "every generated article is stored"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
