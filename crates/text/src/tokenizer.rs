//! The search tokenizer: jieba's search-mode cuts over the normalised text, for tantivy.
//!
//! Search mode emits a long word and the dictionary words inside it (中国科协 → 中国, 科协,
//! 中国科协), so a search for a part finds the whole. A full name listed in `aliases.txt` also
//! emits its short forms at the same place (中国科学技术协会 → 中国科协, 科协). Punctuation and
//! stop words are dropped; Latin letters are lowercased. A token's position is the character
//! offset of its start, so that overlapping search-mode tokens keep phrase queries exact: the
//! query text is tokenized the same way and its positions differ by the same amounts. Offsets
//! are byte offsets into the original text.

use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::{Arc, Mutex};

use tantivy_tokenizer_api::{Token, TokenStream, Tokenizer};

use crate::{Analyzer, is_noise};

/// A tantivy tokenizer over the shared [`Analyzer`].
#[derive(Clone, Debug)]
pub struct JiebaTokenizer {
    analyzer: Analyzer,
    ready: ReadyTokens,
}

/// Tokens made ahead of indexing (the pipeline segments each article once, for analysis and
/// the index alike), waiting for the index's tokenizer to ask for their text. A text handed
/// over this way is not segmented again; any other text is.
#[derive(Clone, Debug, Default)]
pub struct ReadyTokens {
    waiting: Arc<Mutex<Waiting>>,
}

/// Token lists by (length, hash) of their text; one list per article that left it.
type Waiting = HashMap<(usize, u64), Vec<Vec<Token>>>;

impl ReadyTokens {
    fn key(text: &str) -> (usize, u64) {
        let mut h = std::hash::DefaultHasher::new();
        h.write(text.as_bytes());
        (text.len(), h.finish())
    }

    /// Leaves the tokens of `text` for the tokenizer.
    pub fn put(&self, text: &str, tokens: Vec<Token>) {
        if let Ok(mut w) = self.waiting.lock() {
            w.entry(Self::key(text)).or_default().push(tokens);
        }
    }

    /// The tokens left for `text`, if any.
    pub fn take(&self, text: &str) -> Option<Vec<Token>> {
        let mut w = self.waiting.lock().ok()?;
        let key = Self::key(text);
        let list = w.get_mut(&key)?;
        let tokens = list.pop();
        if list.is_empty() {
            w.remove(&key);
        }
        tokens
    }

    /// Forgets whatever is still waiting (texts the index never tokenized).
    pub fn clear(&self) {
        if let Ok(mut w) = self.waiting.lock() {
            w.clear();
        }
    }

    /// Texts waiting.
    pub fn len(&self) -> usize {
        self.waiting.lock().map_or(0, |w| w.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl JiebaTokenizer {
    pub fn new(analyzer: Analyzer) -> Self {
        JiebaTokenizer::with_ready(analyzer, ReadyTokens::default())
    }

    /// A tokenizer that first looks for tokens left in `ready`.
    pub fn with_ready(analyzer: Analyzer, ready: ReadyTokens) -> Self {
        JiebaTokenizer { analyzer, ready }
    }

    /// The tokens of `text`, as the index sees them.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        self.analyzer.search_tokens(text, &self.analyzer.tag(text))
    }
}

impl Analyzer {
    /// Search tokens from the words [`Analyzer::tag`] made of `text` (the pipeline reuses the
    /// classifier's words instead of segmenting again): each word, the dictionary words inside
    /// it (two and three characters, as jieba's search mode, and longer ones), and its aliases.
    pub fn search_tokens(&self, text: &str, words: &[crate::Word]) -> Vec<Token> {
        // character index of every byte offset, for positions
        let mut char_at = vec![0usize; text.len() + 1];
        let mut c = 0;
        for (i, ch) in text.char_indices() {
            for slot in &mut char_at[i..i + ch.len_utf8()] {
                *slot = c;
            }
            c += 1;
        }
        char_at[text.len()] = c;
        let mut out = Vec::new();
        for w in words {
            let word = w.text.as_str();
            if is_noise(word) {
                continue;
            }
            let keep = !self.is_stop_word(word);
            let n = word.chars().count();
            if n > 2 {
                // original byte range of each character of the word (zero-width ones skipped)
                let orig: Vec<(usize, usize)> = text[w.start..w.end]
                    .char_indices()
                    .filter(|(_, ch)| {
                        !matches!(
                            ch,
                            '\u{200b}'
                                | '\u{200c}'
                                | '\u{200d}'
                                | '\u{2060}'
                                | '\u{feff}'
                                | '\u{00ad}'
                        )
                    })
                    .map(|(i, ch)| (w.start + i, w.start + i + ch.len_utf8()))
                    .collect();
                let chars: Vec<(usize, char)> = word.char_indices().collect();
                if orig.len() == chars.len() {
                    for len in 2..n {
                        // jieba's search mode: 2-grams of words over 2, 3-grams of words over 3
                        if len == 3 && n <= 3 {
                            continue;
                        }
                        for start in 0..=n - len {
                            let from_b = chars[start].0;
                            let to_b = chars.get(start + len).map_or(word.len(), |c| c.0);
                            let sub = &word[from_b..to_b];
                            if self.jieba().has_word(sub) && !self.is_stop_word(sub) {
                                let (f, e) = (orig[start].0, orig[start + len - 1].1);
                                out.push(token(sub.to_string(), f, e, char_at[f]));
                            }
                        }
                    }
                }
            }
            if !keep {
                continue;
            }
            let position = char_at[w.start];
            if let Some(aliases) = self.aliases_of(word) {
                for alias in aliases {
                    out.push(token(alias.to_lowercase(), w.start, w.end, position));
                }
            }
            out.push(token(word.to_string(), w.start, w.end, position));
        }
        // in text order: snippets and postings expect offsets and positions not to go back
        out.sort_by(|a, b| {
            (a.offset_from, a.position, a.offset_to).cmp(&(b.offset_from, b.position, b.offset_to))
        });
        out
    }
}

fn token(text: String, offset_from: usize, offset_to: usize, position: usize) -> Token {
    Token {
        offset_from,
        offset_to,
        position,
        position_length: 1,
        text,
    }
}

/// The tokens of one text, handed out one by one.
#[derive(Debug)]
pub struct JiebaTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = JiebaTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> JiebaTokenStream {
        let tokens = self.ready.take(text).unwrap_or_else(|| self.tokens(text));
        JiebaTokenStream { tokens, index: 0 }
    }
}

impl TokenStream for JiebaTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize;
    use crate::tests::analyzer;

    fn texts(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn search_mode_and_aliases() {
        let tk = analyzer().tokenizer();
        let t = tk.tokens("中国科协召开会议");
        for w in ["中国", "科协", "中国科协", "召开", "会议"] {
            assert!(texts(&t).contains(&w), "{w} not in {:?}", texts(&t));
        }
        let t = tk.tokens("违反中央八项规定精神");
        assert!(texts(&t).contains(&"八项规定"), "{:?}", texts(&t));
        let t = tk.tokens("中国科学技术协会发布通知");
        for w in [
            "中国科学技术协会",
            "科协",
            "中国科协",
            "科学",
            "技术",
            "协会",
        ] {
            assert!(texts(&t).contains(&w), "{w} not in {:?}", texts(&t));
        }
    }

    #[test]
    fn offsets_point_into_the_original_and_positions_count_characters() {
        let tk = analyzer().tokenizer();
        let text = "　　ＡＢＣ公司，中国科协\u{200b}召开会议。";
        for t in tk.tokens(text) {
            let original = &text[t.offset_from..t.offset_to];
            let folded = normalize(original).text.to_lowercase();
            let aliased = analyzer()
                .aliases_of(&folded)
                .is_some_and(|a| a.contains(&t.text));
            assert!(
                folded == t.text || folded.contains(&t.text) || aliased,
                "{t:?} -> {original:?}"
            );
        }
        let t = tk.tokens("中国科协召开");
        let pos = |w: &str| t.iter().find(|x| x.text == w).unwrap().position;
        assert_eq!(pos("中国"), 0);
        assert_eq!(pos("科协"), 2);
        assert_eq!(pos("召开"), 4);
    }

    #[test]
    fn punctuation_and_stop_words_are_dropped_latin_is_folded() {
        let tk = analyzer().tokenizer();
        let t = tk.tokens("我们的 AI 科普，Hello World！");
        let w = texts(&t);
        assert!(
            w.contains(&"ai") && w.contains(&"hello") && w.contains(&"world"),
            "{w:?}"
        );
        assert!(
            !w.iter()
                .any(|x| *x == "，" || *x == "的" || *x == "我们" || x.trim().is_empty()),
            "{w:?}"
        );
    }

    #[test]
    fn tokens_come_in_text_order() {
        let tk = analyzer().tokenizer();
        let t = tk.tokens("中国科学技术协会在北京召开全国学会工作会议，中国科协主席出席。");
        assert!(
            t.windows(2)
                .all(|w| w[0].offset_from <= w[1].offset_from && w[0].position <= w[1].position)
        );
    }

    #[test]
    fn token_stream_walks_every_token() {
        let mut tk = analyzer().tokenizer();
        let expected = tk.tokens("科普中国进基层");
        let mut stream = tk.token_stream("科普中国进基层");
        let mut got = Vec::new();
        while stream.advance() {
            got.push(stream.token().text.clone());
        }
        assert_eq!(got, texts(&expected));
    }

    fn streamed(tk: &mut JiebaTokenizer, text: &str) -> Vec<String> {
        let mut stream = tk.token_stream(text);
        let mut got = Vec::new();
        while stream.advance() {
            got.push(stream.token().text.clone());
        }
        got
    }

    #[test]
    fn tokens_left_ready_are_used_once_each() {
        let ready = ReadyTokens::default();
        let mut tk = JiebaTokenizer::with_ready(analyzer().clone(), ready.clone());
        let text = "科普中国进基层";
        let marked = |m: &str| {
            let mut t = tk_token(m);
            t.position = 0;
            vec![t]
        };
        // two articles with the same headline leave two lists; each is taken once
        ready.put(text, marked("甲"));
        ready.put(text, marked("乙"));
        assert_eq!(ready.len(), 1);
        let first = streamed(&mut tk, text);
        let second = streamed(&mut tk, text);
        let mut both = [first, second].concat();
        both.sort();
        assert_eq!(both, vec!["乙".to_string(), "甲".to_string()]);
        assert!(ready.is_empty());
        // nothing left: the text is segmented as usual
        assert_eq!(streamed(&mut tk, text), texts(&tk.tokens(text)));
        ready.put("别的文本", marked("丙"));
        ready.clear();
        assert!(ready.is_empty());
    }

    fn tk_token(text: &str) -> Token {
        Token {
            offset_from: 0,
            offset_to: text.len(),
            position: 0,
            text: text.to_string(),
            position_length: 1,
        }
    }
}
