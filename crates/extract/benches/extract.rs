//! Extraction speed: pages per second on one core.
//!
//! Reads the 181 pages of the article-extraction benchmark from `../shared/corpus` when it is
//! beside the checkout (as on the team's machines and in CI); otherwise it measures the team's
//! own fixtures so that the benchmark always runs.

use std::io::Read;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use yuqing_extract::{Input, extract};
use yuqing_model::SourceKind;

fn corpus_pages() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/scrapinghub-article-extraction-benchmark/html");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut pages = Vec::new();
    for e in entries.flatten() {
        let Ok(gz) = std::fs::read(e.path()) else {
            continue;
        };
        let mut html = Vec::new();
        if flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut html)
            .is_ok()
        {
            pages.push((
                format!("https://bench.example/{}", e.file_name().to_string_lossy()),
                html,
            ));
        }
    }
    pages
}

fn fixture_pages() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    [
        "official_article.html",
        "official_article_gbk.html",
        "wechat_article.html",
        "list_official.html",
    ]
    .iter()
    .filter_map(|n| {
        Some((
            format!("https://bench.example/{n}"),
            std::fs::read(dir.join(n)).ok()?,
        ))
    })
    .collect()
}

fn bench(c: &mut Criterion) {
    let mut pages = corpus_pages();
    let name = if pages.is_empty() {
        eprintln!("../shared/corpus not found: benchmarking the team's fixtures instead");
        pages = fixture_pages();
        "fixture pages"
    } else {
        "scrapinghub 181 pages"
    };
    let bytes: usize = pages.iter().map(|(_, p)| p.len()).sum();
    let mut group = c.benchmark_group("extract");
    group.sample_size(10);
    group.throughput(Throughput::Elements(pages.len() as u64));
    group.bench_function(name, |b| {
        b.iter(|| {
            for (url, html) in &pages {
                let input = Input {
                    kind: Some(SourceKind::Html),
                    ..Input::new(html, url)
                };
                let _ = std::hint::black_box(extract(&input));
            }
        })
    });
    group.finish();
    eprintln!(
        "{} pages, {:.1} MB of HTML per iteration",
        pages.len(),
        bytes as f64 / 1e6
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
