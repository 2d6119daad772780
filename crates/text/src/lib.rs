//! Understanding Chinese text: jieba segmentation with the project's dictionaries,
//! normalisation with offsets kept, part-of-speech tags (people `nr`, places `ns`,
//! organisations `nt`), TF-IDF keywords and rising terms, SimHash fingerprints for story
//! clusters, and the tokenizer the search index uses.
//!
//! Pure: dictionaries come in as text ([`Dictionaries`]); nothing here reads files. The
//! [`Analyzer`] loads jieba once (about 0.1 s) and is cheap to clone (shared `Arc`s).

mod keywords;
pub mod normalize;
pub mod simhash;
mod tokenizer;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jieba_rs::{Jieba, KeywordExtractConfig, TfIdf};
use serde::Serialize;

pub use keywords::{Keyword, Rising, rising_terms};
pub use normalize::{Normalized, normalize};
pub use simhash::{Fingerprint, SimIndex, same_story};
pub use tantivy_tokenizer_api::Token;
pub use tokenizer::{JiebaTokenStream, JiebaTokenizer, ReadyTokens};

/// The dictionary files' contents (see `dictionaries/README.md` for the formats).
#[derive(Clone, Debug, Default)]
pub struct Dictionaries {
    /// `user.dict`: `word [freq] [tag]` per line.
    pub user_dict: String,
    /// `stopwords.txt`: one word per line.
    pub stop_words: String,
    /// `aliases.txt`: a full name followed by its short forms, per line.
    pub aliases: String,
}

impl Dictionaries {
    /// The dictionaries shipped in the repository's `dictionaries/` folder, built in.
    pub fn builtin() -> Dictionaries {
        Dictionaries {
            user_dict: include_str!("../../../dictionaries/user.dict").to_string(),
            stop_words: include_str!("../../../dictionaries/stopwords.txt").to_string(),
            aliases: include_str!("../../../dictionaries/aliases.txt").to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("user dictionary line {line}: {message}")]
    UserDict { line: usize, message: String },
}

/// A segmented word with its part of speech and its byte range in the original text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Word {
    pub text: String,
    pub pos: String,
    pub start: usize,
    pub end: usize,
}

impl Word {
    pub fn is_person(&self) -> bool {
        self.pos == "nr" || self.pos == "nrfg" || self.pos == "nrt"
    }
    pub fn is_place(&self) -> bool {
        self.pos == "ns"
    }
    pub fn is_org(&self) -> bool {
        self.pos == "nt"
    }
}

/// Whether a token carries no meaning on its own: whitespace or punctuation only.
pub fn is_noise(token: &str) -> bool {
    token.chars().all(|c| !c.is_alphanumeric())
}

/// A short line that only credits the text: 来源, 编辑, 作者, 记者, 通讯员, 摄影.
fn is_byline(line: &str) -> bool {
    let t = line.trim();
    t.chars().count() <= 40
        && [
            "来源",
            "编辑",
            "作者",
            "记者",
            "通讯员",
            "摄影",
            "校对",
            "审核",
            "转载",
        ]
        .iter()
        .any(|k| t.contains(k))
}

/// Jieba with the project's dictionaries, stop words and aliases.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    stop: Arc<HashSet<String>>,
    aliases: Arc<HashMap<String, Vec<String>>>,
    tfidf: Arc<TfIdf>,
    /// IDF looked up per word (see `keywords.rs`).
    idf: Arc<std::sync::RwLock<HashMap<String, f64>>>,
    median_idf: Arc<std::sync::OnceLock<f64>>,
    user_words: Arc<Vec<String>>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("user_words", &self.user_words.len())
            .field("stop_words", &self.stop.len())
            .finish()
    }
}

fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

impl Analyzer {
    /// Loads jieba's default dictionary, then the user dictionary on top.
    pub fn new(dicts: &Dictionaries) -> Result<Analyzer, TextError> {
        let mut jieba = Jieba::new();
        let mut user_words = Vec::new();
        for (line, content) in content_lines(&dicts.user_dict) {
            let mut fields = content.split_whitespace();
            let Some(word) = fields.next() else { continue };
            let freq = match fields.next() {
                None => None,
                Some(f) => Some(f.parse::<usize>().map_err(|_| TextError::UserDict {
                    line,
                    message: format!("frequency \"{f}\" is not a whole number"),
                })?),
            };
            let tag = fields.next();
            jieba.add_word(word, freq, tag);
            user_words.push(word.to_string());
        }
        let stop: HashSet<String> = content_lines(&dicts.stop_words)
            .map(|(_, w)| w.to_lowercase())
            .collect();
        let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
        for (_, content) in content_lines(&dicts.aliases) {
            let mut words = content.split_whitespace();
            if let Some(full) = words.next() {
                aliases
                    .entry(full.to_string())
                    .or_default()
                    .extend(words.map(str::to_string));
            }
        }
        let mut tfidf = TfIdf::default();
        let mut config = KeywordExtractConfig::builder().use_hmm(true);
        for w in &stop {
            config = config.add_stop_word(w.clone());
        }
        *tfidf.config_mut() = config.build();
        Ok(Analyzer {
            jieba: Arc::new(jieba),
            stop: Arc::new(stop),
            aliases: Arc::new(aliases),
            tfidf: Arc::new(tfidf),
            idf: Arc::default(),
            median_idf: Arc::default(),
            user_words: Arc::new(user_words),
        })
    }

    /// The analyzer with the built-in dictionaries.
    pub fn builtin() -> Analyzer {
        Analyzer::new(&Dictionaries::builtin()).expect("the shipped dictionaries are valid")
    }

    pub fn jieba(&self) -> &Jieba {
        &self.jieba
    }

    /// The words of the user dictionary, in file order.
    pub fn user_words(&self) -> &[String] {
        &self.user_words
    }

    pub fn is_stop_word(&self, w: &str) -> bool {
        self.stop.contains(w)
            || (w.chars().any(char::is_uppercase) && self.stop.contains(&w.to_lowercase()))
    }

    pub(crate) fn aliases_of(&self, w: &str) -> Option<&Vec<String>> {
        self.aliases.get(w)
    }

    /// Segments `text` (normalised first) into words with part-of-speech tags; ranges point
    /// into the original `text`. Whitespace-only tokens are dropped.
    pub fn tag(&self, text: &str) -> Vec<Word> {
        let n = normalize(text);
        self.jieba
            .tag(&n.text, true)
            .into_iter()
            .filter(|t| !t.word.trim().is_empty())
            .map(|t| {
                let (start, end) = n.original_range(t.byte_start, t.byte_end);
                Word {
                    text: t.word.to_lowercase(),
                    pos: t.tag.to_string(),
                    start,
                    end,
                }
            })
            .collect()
    }

    /// Segmentation as jieba does it with its default dictionary and HMM, without the project's
    /// dictionaries or normalisation (for comparisons with other jieba implementations).
    pub fn plain_cut(text: &str) -> Vec<String> {
        static PLAIN: std::sync::OnceLock<Jieba> = std::sync::OnceLock::new();
        PLAIN
            .get_or_init(Jieba::new)
            .cut(text, true)
            .into_iter()
            .map(|t| t.word.to_string())
            .filter(|w| !w.trim().is_empty())
            .collect()
    }

    /// Plain segmentation (normalised, HMM on), as words.
    pub fn cut(&self, text: &str) -> Vec<String> {
        let n = normalize(text);
        self.jieba
            .cut(&n.text, true)
            .into_iter()
            .map(|t| t.word.to_string())
            .filter(|w| !w.trim().is_empty())
            .collect()
    }

    /// Content words: no punctuation, no stop words, lowercased.
    pub fn content_words(&self, text: &str) -> Vec<String> {
        self.cut(text)
            .into_iter()
            .map(|w| w.to_lowercase())
            .filter(|w| !is_noise(w) && !self.is_stop_word(w))
            .collect()
    }

    /// The fingerprint of an article for story clustering.
    pub fn fingerprint(&self, title: &str, body: &str) -> Fingerprint {
        self.fingerprint_words(title, body, &self.tag(body))
    }

    /// The fingerprint from words already segmented by [`Analyzer::tag`] (ranges into `body`).
    pub fn fingerprint_words(&self, title: &str, body: &str, words: &[Word]) -> Fingerprint {
        // lines a republisher adds or changes (来源, 编辑, 作者) say nothing about the story
        let mut skip: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        for line in body.split_inclusive('\n') {
            if is_byline(line) {
                skip.push((start, start + line.len()));
            }
            start += line.len();
        }
        let mut tf: HashMap<&str, f64> = HashMap::new();
        for w in words {
            if w.text.chars().count() >= 2
                && !is_noise(&w.text)
                && !self.is_stop_word(&w.text)
                && !skip.iter().any(|(a, b)| w.start >= *a && w.start < *b)
            {
                *tf.entry(w.text.as_str()).or_default() += 1.0;
            }
        }
        let features = tf.len();
        let simhash = if features == 0 {
            // a headline-only item: hash the title's words
            let title_words = self.content_words(title);
            simhash::simhash(title_words.iter().map(|w| (w.as_str(), 1.0)))
        } else {
            simhash::simhash(tf.iter().map(|(w, c)| (*w, 1.0 + c.ln())))
        };
        let mut body_norm = String::with_capacity(body.len());
        for (i, line) in body.split_inclusive('\n').enumerate() {
            let _ = i;
            if !is_byline(line) {
                body_norm.extend(normalize(line).text.chars().filter(|c| c.is_alphanumeric()));
            }
        }
        Fingerprint {
            simhash,
            features,
            title_key: simhash::title_key(title),
            body_hash: simhash::hash64(body_norm.as_bytes()),
        }
    }

    /// The tokenizer for the search index (see [`JiebaTokenizer`]).
    pub fn tokenizer(&self) -> JiebaTokenizer {
        JiebaTokenizer::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    pub(crate) fn analyzer() -> &'static Analyzer {
        static A: OnceLock<Analyzer> = OnceLock::new();
        A.get_or_init(Analyzer::builtin)
    }

    #[test]
    fn every_user_dictionary_word_stays_whole() {
        let a = analyzer();
        let mut split = Vec::new();
        for w in a.user_words() {
            let cut = a.cut(w);
            if cut != vec![w.clone()] {
                split.push(format!("{w} -> {cut:?}"));
            }
        }
        assert!(
            split.is_empty(),
            "user-dictionary words split by jieba: {split:#?}"
        );
    }

    #[test]
    fn domain_words_in_running_text() {
        let a = analyzer();
        let words = a.cut("学习宣传贯彻党的十九大精神，中国科协召开全国学会工作会议");
        for w in ["学习宣传贯彻", "十九大", "中国科协", "全国学会"] {
            assert!(words.contains(&w.to_string()), "{w} missing from {words:?}");
        }
    }

    #[test]
    fn tags_give_people_places_and_organisations_with_offsets() {
        let a = analyzer();
        let text = "　　北京市科协主席王小明在天津出席中国科协年会。";
        let words = a.tag(text);
        let person = words.iter().find(|w| w.is_person()).expect("a person");
        assert_eq!(&text[person.start..person.end], person.text);
        assert!(
            words.iter().any(|w| w.is_place() && w.text == "天津"),
            "{words:?}"
        );
        assert!(
            words.iter().any(|w| w.is_org() && w.text == "中国科协"),
            "{words:?}"
        );
        for w in &words {
            assert_eq!(normalize(&text[w.start..w.end]).text.to_lowercase(), w.text);
        }
    }

    #[test]
    fn content_words_drop_stop_words_and_punctuation() {
        let a = analyzer();
        let words = a.content_words("我们的科协，在2025年开展了科普活动！");
        assert!(
            !words.iter().any(|w| w == "的" || w == "我们" || w == "，"),
            "{words:?}"
        );
        assert!(words.contains(&"科普活动".to_string()));
    }

    #[test]
    fn near_duplicates_share_a_story() {
        let a = analyzer();
        let body = [
            "4月23日，省科协在省科技馆举办最美科技工作者先进事迹报告会，五位来自科研一线的科技工作者讲述了扎根基层、潜心钻研的故事。",
            "报告会上，农业科学院研究员李华介绍了她带领团队二十年培育抗旱小麦新品种的经历，新品种已在全省推广种植三百万亩。",
            "地质勘查院高级工程师赵强讲述了在戈壁滩找矿十五年的经历，他和队友们发现了两处大型矿床。",
            "县医院主任医师孙红扎根乡村三十年，带出了一支能做微创手术的基层医疗队伍。",
            "青年科学家周亮回国后组建实验室，在新型电池材料研究上取得重要突破，相关成果实现了产业化。",
            "中学物理教师吴敏坚持开展科普教育，她指导的学生多次在全国青少年科技创新大赛中获奖。",
            "省科协负责同志表示，要深入学习宣传先进典型，激励广大科技工作者勇攀科技高峰，为建设科技强省贡献力量。",
            "全省各级科协组织和学会代表共三百余人参加了报告会，会后与会人员参观了科技成果展览。",
            "据了解，今年以来全省已组织科技工作者宣讲团深入基层开展宣讲四十余场，受众超过两万人次。",
            "下一步，省科协将继续挖掘科技工作者中的先进典型，通过报告会、媒体专访和网络展播等形式广泛宣传。",
        ]
        .join("\n");
        let repost = format!("{body}\n（来源：示例日报）");
        let other = "市教育局召开全市中小学安全工作会议，部署暑期学生安全教育、校园食品安全和防溺水工作，要求各校压实责任，加强家校沟通，开展应急演练，确保师生平安度过假期。会议还通报了上半年学校安全检查情况，对存在问题的学校提出整改要求，并安排了下一阶段的重点任务和督导检查计划。".repeat(2);
        let f1 = a.fingerprint("省科协举办最美科技工作者先进事迹报告会", &body);
        let f2 = a.fingerprint("【转载】省科协举办最美科技工作者先进事迹报告会", &repost);
        let f1b = a.fingerprint("省科协举办最美科技工作者先进事迹报告会", &body);
        let f3 = a.fingerprint("全市中小学安全工作会议召开", &other);
        assert!(f1.features >= simhash::MIN_FEATURES, "{}", f1.features);
        assert!(
            same_story(&f1, &f2),
            "distance {}",
            simhash::hamming(f1.simhash, f2.simhash)
        );
        assert!(
            !same_story(&f1, &f3),
            "distance {}",
            simhash::hamming(f1.simhash, f3.simhash)
        );
        assert_eq!(f1.title_key, f2.title_key);
        assert_eq!(f1, f1b, "the same text gives the same fingerprint");
        // another outlet's edit under the same headline: one phrase changed
        let edited = body.replace("三百余人", "三百多名代表");
        let f4 = a.fingerprint("省科协举办最美科技工作者先进事迹报告会", &edited);
        assert_ne!(f1.body_hash, f4.body_hash);
        let d = simhash::hamming(f1.simhash, f4.simhash);
        assert!(
            d <= simhash::TITLE_MAX_DISTANCE && same_story(&f1, &f4),
            "distance {d}"
        );
    }
}
