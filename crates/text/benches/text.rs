//! Segmentation speed of the text path (normalise + jieba with HMM), in MB/s on one core, on a
//! 2 KB article built from the team's own sentences.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use yuqing_text::Analyzer;

const SENTENCES: &[&str] = &[
    "4月23日，省科协在省科技馆举办最美科技工作者先进事迹报告会。",
    "五位来自科研一线的科技工作者讲述了扎根基层、潜心钻研的故事。",
    "农业科学院研究员李华介绍了她带领团队培育抗旱小麦新品种的经历。",
    "省科协负责同志表示，要深入学习宣传先进典型，激励广大科技工作者勇攀科技高峰。",
    "全省各级科协组织和学会代表共三百余人参加了报告会，会后参观了科技成果展览。",
];

fn article() -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < 2048 {
        s.push_str(SENTENCES[i % SENTENCES.len()]);
        i += 1;
    }
    s
}

fn bench(c: &mut Criterion) {
    let a = Analyzer::builtin();
    let text = article();
    let mut g = c.benchmark_group("text");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("cut 2KB", |b| b.iter(|| a.cut(std::hint::black_box(&text))));
    g.bench_function("tag 2KB", |b| b.iter(|| a.tag(std::hint::black_box(&text))));
    g.bench_function("fingerprint 2KB", |b| {
        b.iter(|| a.fingerprint("标题", std::hint::black_box(&text)))
    });
    let tk = a.tokenizer();
    g.bench_function("search tokens 2KB", |b| {
        b.iter(|| tk.tokens(std::hint::black_box(&text)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
