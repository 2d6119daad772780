//! Classification speed: articles per second and MB/s of the whole text + classify path (tag,
//! cues, features, model, topics, no keywords) on one core, on a 2 KB article of the team's own
//! sentences.

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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
