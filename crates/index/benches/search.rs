//! Query latency over a real index: set `YUQING_BENCH_DATA` to a data directory filled by
//! `yuqing import` (bench/run does this with generated articles at 100,000 and 1,000,000).
//! Prints p50 / p99 over the query mix (single words, phrases, boolean and filtered queries),
//! then lets criterion time a few of them. Without the variable it indexes a small set of the
//! team's own sentences so that the benchmark always runs.

use std::time::Instant;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use yuqing_index::{IndexDoc, SearchIndex, SearchRequest, Sort};
use yuqing_text::Analyzer;

const MIX: &[(&str, &str)] = &[
    ("word", "科协"),
    ("word", "纪委"),
    ("word", "典型案例"),
    ("word", "科技"),
    ("phrase", "\"中央八项规定\""),
    ("phrase", "\"学习宣传贯彻\""),
    ("boolean", "科技 AND (创新 OR 改革) -股票"),
    ("boolean", "通报 OR 曝光"),
    ("filtered", "tag:典型案例 date:2025-03-01..2025-06-30"),
    ("filtered", "source:ccdi-zjsc 纪律"),
];

fn request(q: &str) -> SearchRequest {
    SearchRequest {
        query: q.into(),
        limit: 20,
        collapse: true,
        sort: Sort::Relevance,
        ..Default::default()
    }
}

fn small_index(a: Analyzer) -> SearchIndex {
    let idx = SearchIndex::in_ram(a).expect("index");
    let mut w = idx.writer(50_000_000).expect("writer");
    let sentences = [
        "省科协举办科技工作者先进事迹报告会",
        "中央纪委公开通报违反中央八项规定精神典型案例",
        "学习宣传贯彻全会精神",
        "科技创新与改革",
    ];
    for i in 0..2000u64 {
        let body = format!(
            "{}。{}。",
            sentences[(i % 4) as usize],
            sentences[((i / 4) % 4) as usize]
        );
        w.upsert(&IndexDoc {
            id: i,
            cluster: i,
            url: format!("https://x.example.cn/{i}"),
            title: sentences[(i % 4) as usize].into(),
            body,
            source: "ccdi-zjsc".into(),
            unit: "ccdi".into(),
            kind: "其他".into(),
            tags: vec!["typical_case".into()],
            topics: vec![],
            status: "live".into(),
            published: NaiveDate::from_ymd_opt(2025, 4, 1)
                .and_then(|d| d.and_hms_opt(9, 0, 0))
                .map(|d| d.and_utc().fixed_offset()),
            title_tokens: None,
            body_tokens: None,
        })
        .expect("add");
    }
    w.commit().expect("commit");
    idx.reload().expect("reload");
    idx
}

fn bench(c: &mut Criterion) {
    let analyzer = Analyzer::builtin();
    let idx = match std::env::var("YUQING_BENCH_DATA") {
        Ok(dir) => SearchIndex::open(&std::path::Path::new(&dir).join("search"), analyzer)
            .expect("open the index"),
        Err(_) => small_index(analyzer),
    };
    eprintln!("index: {} articles", idx.count());
    // the first run of each query reads the index from disk: reported on its own
    let mut cold = Vec::new();
    for (_, q) in MIX {
        let t = Instant::now();
        std::hint::black_box(idx.search(&request(q)).expect("search"));
        cold.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    cold.sort_by(f64::total_cmp);
    eprintln!(
        "first run of each query (cold cache): median {:.2} ms, worst {:.2} ms",
        cold[cold.len() / 2],
        cold[cold.len() - 1]
    );
    // then 30 rounds over the mix, interleaved as an analyst's session would be
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); MIX.len()];
    for _ in 0..30 {
        for (i, (_, q)) in MIX.iter().enumerate() {
            let t = Instant::now();
            std::hint::black_box(idx.search(&request(q)).expect("search"));
            per[i].push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let mut all = Vec::new();
    for ((kind, q), mut times) in MIX.iter().zip(per) {
        times.sort_by(f64::total_cmp);
        eprintln!(
            "{kind:<9} {q:<45} p50 {:>7.2} ms  p99 {:>7.2} ms",
            times[times.len() / 2],
            times[times.len() * 99 / 100]
        );
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    eprintln!(
        "query mix: p50 {:.2} ms, p99 {:.2} ms over {} queries",
        all[all.len() / 2],
        all[all.len() * 99 / 100],
        all.len()
    );
    let mut g = c.benchmark_group("search");
    g.sample_size(20);
    for (kind, q) in [MIX[0], MIX[4], MIX[6], MIX[8]] {
        g.bench_function(format!("{kind}: {q}"), |b| {
            b.iter(|| idx.search(&request(q)).expect("search"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
