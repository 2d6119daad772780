//! Where classification time goes, phase by phase, on People's Daily articles.
use std::time::Instant;
use yuqing_classify::Classifier;
use yuqing_text::Analyzer;

fn main() {
    let text =
        std::fs::read_to_string("../shared/corpus/people-daily-2023/articles.jsonl").unwrap();
    let arts: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let b = v["text"].as_str()?.to_string();
            (2048..=9216)
                .contains(&b.len())
                .then(|| (v["title"].as_str().unwrap().to_string(), b))
        })
        .step_by(7)
        .take(100)
        .collect();
    let c = Classifier::builtin(Analyzer::builtin()).unwrap();
    let an = c.analyzer();
    for round in 0..3 {
        let t = Instant::now();
        let tagged: Vec<_> = arts.iter().map(|(t, b)| (an.tag(t), an.tag(b))).collect();
        let tag_t = t.elapsed();
        let t = Instant::now();
        let analyses: Vec<_> = arts.iter().map(|(ti, b)| c.analyze(ti, b)).collect();
        let analyze_t = t.elapsed();
        let t = Instant::now();
        let feats: Vec<_> = analyses.iter().map(|a| a.features(an)).collect();
        let feat_t = t.elapsed();
        let t = Instant::now();
        for (a, (ti, b)) in analyses.iter().zip(&arts) {
            std::hint::black_box(c.classify_analysis(a, ti, b, 0, None));
        }
        let cls_t = t.elapsed();
        let t = Instant::now();
        for (ti, b) in &arts {
            std::hint::black_box(yuqing_classify::signals_only(ti, b));
        }
        let sig_t = t.elapsed();
        let t = Instant::now();
        for ((ti, b), (tw, bw)) in arts.iter().zip(&tagged) {
            std::hint::black_box(yuqing_classify::Analysis::from_words(
                c.lexicons(),
                ti,
                b,
                tw.clone(),
                bw.clone(),
            ));
        }
        let from_words_t = t.elapsed();
        println!("  from_words (cues+names+signals, words given) {from_words_t:?}");
        let t = Instant::now();
        for (ti, b) in &arts {
            for l in c.lexicons() {
                std::hint::black_box((l.find(ti), l.find(b)));
            }
        }
        println!("  cues {:?}", t.elapsed());
        let t = Instant::now();
        for (_, bw) in &tagged {
            std::hint::black_box(yuqing_classify::find_names(bw, &Default::default()));
        }
        println!("  names {:?}", t.elapsed());
        let t = Instant::now();
        for (_, bw) in &tagged {
            std::hint::black_box(bw.clone());
        }
        println!("  clone words {:?}", t.elapsed());
        println!(
            "round {round}: tag {tag_t:?}, analyze (tag+cues+signals) {analyze_t:?}, features {feat_t:?}, classify_analysis (features+score+evidence+topics) {cls_t:?}, regex signals {sig_t:?}; {} feats avg",
            feats.iter().map(Vec::len).sum::<usize>() / feats.len()
        );
        drop(tagged);
    }
}
