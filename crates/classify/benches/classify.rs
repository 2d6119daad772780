//! Classification speed on one core: articles per second and MB/s of the whole text + classify
//! path (segmentation and tagging, cues, signals, features, model, topics).
//!
//! Two inputs: a 2 KB article of the team's own sentences (comparable with earlier figures), and
//! real 2–9 KB People's Daily articles read from `../shared/corpus` at benchmark time (skipped
//! when the corpus is absent). Beside each, jieba's part-of-speech tagging alone on the same
//! text, the cost classification cannot go below: the ratio of the two is the overhead of the
//! classifier itself.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use yuqing_classify::Classifier;
use yuqing_text::Analyzer;

fn article() -> String {
    let sentences = [
        "4月23日，省科协在省科技馆举办最美科技工作者先进事迹报告会。",
        "五位来自科研一线的科技工作者讲述了扎根基层、潜心钻研的故事。",
        "农业科学院研究员李华介绍了她带领团队培育抗旱小麦新品种的经历。",
        "省科协负责同志表示，要深入学习宣传先进典型，激励广大科技工作者勇攀科技高峰。",
    ];
    let mut s = String::new();
    let mut i = 0;
    while s.len() < 2048 {
        s.push_str(sentences[i % sentences.len()]);
        i += 1;
    }
    s
}

/// Up to `n` People's Daily articles with 2–9 KB bodies: (title, text).
fn real_articles(n: usize) -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/people-daily-2023/articles.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "{}: not found, the real-article benchmark is skipped",
            path.display()
        );
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let title = v["title"].as_str()?.to_string();
            let body = v["text"].as_str()?.to_string();
            (2048..=9216).contains(&body.len()).then_some((title, body))
        })
        .step_by(7)
        .take(n)
        .collect()
}

fn bench(c: &mut Criterion) {
    let classifier = Classifier::builtin(Analyzer::builtin()).expect("built-in model");
    let body = article();
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("classify 2KB", |b| {
        b.iter(|| classifier.classify("省科协举办先进事迹报告会", std::hint::black_box(&body), 0))
    });
    g.bench_function("classify 2KB with keywords", |b| {
        b.iter(|| classifier.classify("省科协举办先进事迹报告会", std::hint::black_box(&body), 10))
    });
    g.bench_function("jieba tagging 2KB (floor)", |b| {
        b.iter(|| {
            let an = classifier.analyzer();
            (
                an.tag("省科协举办先进事迹报告会"),
                an.tag(std::hint::black_box(&body)),
            )
        })
    });
    g.finish();

    let real = real_articles(100);
    if real.is_empty() {
        return;
    }
    let bytes: usize = real.iter().map(|(t, b)| t.len() + b.len()).sum();
    let mut g = c.benchmark_group("classify real");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(20);
    g.bench_function(
        format!("classify {} People's Daily articles", real.len()),
        |b| {
            b.iter(|| {
                for (t, body) in &real {
                    std::hint::black_box(classifier.classify(t, body, 0));
                }
            })
        },
    );
    g.bench_function(
        format!("jieba tagging {} articles (floor)", real.len()),
        |b| {
            b.iter(|| {
                let an = classifier.analyzer();
                for (t, body) in &real {
                    std::hint::black_box((an.tag(t), an.tag(body)));
                }
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
