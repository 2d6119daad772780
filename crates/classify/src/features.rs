//! Features of an article for the typical-tags model.
//!
//! Three kinds, all named so that every score can be explained:
//!
//! - **cue sums** per tag, in the headline and in the text (`dictionaries/cues/`);
//! - **structure** that carries TAGS.md's distinctions rather than its vocabulary (see
//!   [`crate::signals`]): who the subject is, whether named cases are presented in detail, whether
//!   a unit's concrete practice is described, whether a dated happening is reported, and what argues
//!   against each (a planned contest, a routine meeting, a commentary that only cites a 通报);
//! - **words**: headline words (`t:`), headline character pairs (`c:`) and text words (`b:`),
//!   regularised hard by the trainer.

use std::collections::{HashMap, HashSet};

use yuqing_model::Tag;
use yuqing_text::{Analyzer, Word};

use crate::cues::{CueHit, CueLexicon};
use crate::signals::Signals;

/// What the classifier learns from one article, computed once.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub title_words: Vec<Word>,
    pub body_words: Vec<Word>,
    /// Per tag (in `Tag::ALL` order): cue hits in the headline and in the text.
    pub hits: [(Vec<CueHit>, Vec<CueHit>); 3],
    pub body_chars: usize,
    /// People named in the headline and in the text ([`find_names`]).
    pub title_names: Vec<Name>,
    pub body_names: Vec<Name>,
    /// Structural measurements of the headline and text.
    pub signals: Signals,
}

/// The lead's words (`l:`) are those within this many bytes of the text's start (about 200
/// characters).
const LEAD_BYTES: usize = 600;

/// Texts shorter than this (in characters) are scored as headlines.
pub const HEADLINE_ONLY_CHARS: usize = 30;

/// A plausible Chinese personal name: 2 to 4 Han characters tagged as a person.
pub fn is_name(w: &Word) -> bool {
    w.is_person()
        && (2..=4).contains(&w.text.chars().count())
        && w.text.chars().all(|c| is_han(c) || c == '·')
}

/// A person's name found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// Common single-character surnames: jieba often leaves one on its own before a given name that
/// is also a dictionary word (陈/海生, 周/明远, 刘/秀英).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";

/// Part-of-speech flags that a given name never has.
const NOT_GIVEN_POS: [&str; 16] = [
    "p", "c", "u", "uj", "ul", "uz", "ud", "ug", "uv", "d", "r", "m", "q", "f", "y", "x",
];

/// Words after a surname that make a form of address, not a name.
const NOT_GIVEN: [&str; 24] = [
    "书记", "主任", "局长", "老师", "医生", "师傅", "某", "某某", "总", "先生", "女士", "同志",
    "教授", "院士", "部长", "省长", "市长", "县长", "镇长", "村长", "大爷", "大妈", "阿姨", "姓",
];

/// The texts of the words `keep` accepts.
fn kept_words<'w>(words: &'w [Word], keep: &impl Fn(&Word) -> bool) -> Vec<&'w str> {
    words
        .iter()
        .filter(|w| keep(w))
        .map(|w| w.text.as_str())
        .collect()
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The names of people in a text, in order: jieba's person words, and a surname left alone
/// joined to the 1–2 characters after it when one of the two is tagged as a person and the
/// name is confirmed (the given part tagged as a person, the name seen twice, or in `known`).
pub fn find_names(words: &[Word], known: &HashSet<&str>) -> Vec<Name> {
    let mut found: Vec<(Name, bool)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if is_name(w) {
            found.push((
                Name {
                    text: w.text.clone(),
                    start: w.start,
                    end: w.end,
                },
                true,
            ));
            i += 1;
            continue;
        }
        let mut chars = w.text.chars();
        if let (Some(c), None, Some(n)) = (chars.next(), chars.next(), words.get(i + 1))
            && (w.is_person() || n.is_person())
        {
            let given = n.text.chars().count();
            if SURNAMES.contains(c)
                && (1..=2).contains(&given)
                && n.text.chars().all(is_han)
                && n.start == w.end
                && (w.is_person() || n.is_person())
                && !NOT_GIVEN_POS.contains(&n.pos.as_str())
                && !NOT_GIVEN.contains(&n.text.as_str())
                && !n.text.contains('某')
            {
                found.push((
                    Name {
                        text: format!("{}{}", w.text, n.text),
                        start: w.start,
                        end: n.end,
                    },
                    n.is_person(),
                ));
                i += 2;
                continue;
            }
        }
        i += 1;
    }
    let mut joined: HashMap<&str, usize> = HashMap::new();
    for (n, _) in &found {
        *joined.entry(n.text.as_str()).or_default() += 1;
    }
    let keep: Vec<bool> = found
        .iter()
        .map(|(n, sure)| *sure || joined[n.text.as_str()] >= 2 || known.contains(n.text.as_str()))
        .collect();
    found
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|((n, _), _)| n)
        .collect()
}

impl Analysis {
    pub fn new(
        analyzer: &Analyzer,
        lexicons: &[CueLexicon; 3],
        title: &str,
        body: &str,
    ) -> Analysis {
        Analysis::from_words(
            lexicons,
            title,
            body,
            analyzer.tag(title),
            analyzer.tag(body),
        )
    }

    /// The analysis of words already segmented by [`Analyzer::tag`].
    pub fn from_words(
        lexicons: &[CueLexicon; 3],
        title: &str,
        body: &str,
        title_words: Vec<Word>,
        body_words: Vec<Word>,
    ) -> Analysis {
        let hits = [0, 1, 2].map(|i| (lexicons[i].find(title), lexicons[i].find(body)));
        let body_names = find_names(&body_words, &HashSet::new());
        let known: HashSet<&str> = body_names.iter().map(|n| n.text.as_str()).collect();
        let title_names = find_names(&title_words, &known);
        let signals = Signals::measure(
            title,
            body,
            &title_words,
            &body_words,
            &title_names,
            &body_names,
        );
        Analysis {
            body_chars: body.chars().count(),
            title_words,
            body_words,
            hits,
            title_names,
            body_names,
            signals,
        }
    }

    /// Whether the item is judged on its headline alone.
    pub fn headline_only(&self) -> bool {
        self.body_chars < HEADLINE_ONLY_CHARS
    }

    /// Which weights score it.
    pub fn kind(&self) -> crate::Kind {
        if self.headline_only() {
            crate::Kind::Headline
        } else {
            crate::Kind::Full
        }
    }

    /// Distinct people named in the headline and the text.
    pub fn people(&self) -> (Vec<String>, Vec<String>) {
        let names = |ns: &[Name]| -> Vec<String> {
            let mut seen = Vec::new();
            for n in ns {
                if !seen.contains(&n.text) {
                    seen.push(n.text.clone());
                }
            }
            seen
        };
        (names(&self.title_names), names(&self.body_names))
    }

    /// Cue sums per tag: `cue_title_*` (distinct cues in the headline) and `cue_body_*` (each
    /// cue counted at most three times in the text, log-scaled).
    fn cue_features(&self, f: &mut Vec<(String, f64)>) {
        for (i, tag) in Tag::ALL.iter().enumerate() {
            let short = short(*tag);
            let (title_hits, body_hits) = &self.hits[i];
            let mut seen = HashSet::new();
            let title_sum: f64 = title_hits
                .iter()
                .filter(|h| seen.insert(&*h.cue))
                .map(|h| h.weight)
                .sum();
            f.push((
                format!("cue_title_{short}"),
                (title_sum / 3.0).clamp(-3.0, 3.0),
            ));
            if self.headline_only() {
                continue;
            }
            let mut counts: HashMap<&str, usize> = HashMap::new();
            let body_sum: f64 = body_hits
                .iter()
                .filter(|h| {
                    let c = counts.entry(&*h.cue).or_default();
                    *c += 1;
                    *c <= 3
                })
                .map(|h| h.weight)
                .sum();
            f.push((
                format!("cue_body_{short}"),
                body_sum.signum() * body_sum.abs().ln_1p(),
            ));
        }
    }

    /// The model's input: named dense features, then `t:`/`c:`/`b:` text features.
    pub fn features(&self, analyzer: &Analyzer) -> Vec<(String, f64)> {
        let mut f: Vec<(String, f64)> = Vec::with_capacity(64 + self.body_words.len() / 2);
        self.cue_features(&mut f);
        let headline = self.headline_only();
        for (name, v) in self.signals.features(headline) {
            if v != 0.0 {
                f.push((name.to_string(), v));
            }
        }
        let keep = |w: &Word| {
            w.text.chars().count() >= 2
                && !yuqing_text::is_noise(&w.text)
                && !analyzer.is_stop_word(&w.text)
                && !w
                    .text
                    .chars()
                    .any(|c| c.is_ascii_digit() || c == '%' || c == '.')
        };
        // each namespace's words are a set, scaled to unit length, so that a long text does not
        // outvote a short one; deduplicated and sorted as borrowed text, allocated once each
        let push_set = |prefix: &str, mut set: Vec<&str>, f: &mut Vec<(String, f64)>| {
            set.sort_unstable();
            set.dedup();
            if set.is_empty() {
                return;
            }
            let v = 1.0 / (set.len() as f64).sqrt();
            f.extend(set.into_iter().map(|w| {
                let mut name = String::with_capacity(prefix.len() + w.len());
                name.push_str(prefix);
                name.push_str(w);
                (name, v)
            }));
        };
        push_set("t:", kept_words(&self.title_words, &keep), &mut f);
        // character pairs of the headline: robust to segmentation and to unseen names
        let han: String = self
            .title_words
            .iter()
            .flat_map(|w| w.text.chars())
            .filter(|c| is_han(*c))
            .collect();
        let bounds: Vec<usize> = han
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(han.len()))
            .collect();
        let pairs: Vec<&str> = bounds.windows(3).map(|b| &han[b[0]..b[2]]).collect();
        push_set("c:", pairs, &mut f);
        if !headline {
            let lead_end = self
                .body_words
                .iter()
                .take_while(|w| w.end <= LEAD_BYTES)
                .count();
            push_set(
                "l:",
                kept_words(&self.body_words[..lead_end], &keep),
                &mut f,
            );
            push_set("b:", kept_words(&self.body_words, &keep), &mut f);
        }
        f
    }
}

/// The short name of a tag used in feature names.
pub fn short(tag: Tag) -> &'static str {
    match tag {
        Tag::TypicalPerson => "person",
        Tag::TypicalEvent => "event",
        Tag::TypicalCase => "case",
    }
}
