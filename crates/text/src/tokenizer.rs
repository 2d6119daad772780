//! The search tokenizer: jieba's search-mode cuts over the normalised text, for tantivy.
//!
//! Search mode emits a long word and the dictionary words inside it (中国科协 → 中国, 科协,
//! 中国科协), so a search for a part finds the whole. A full name listed in `aliases.txt` also
//! emits its short forms at the same place (中国科学技术协会 → 中国科协, 科协). Punctuation and
//! stop words are dropped; Latin letters are lowercased. A token's position is the character
//! offset of its start, so that overlapping search-mode tokens keep phrase queries exact: the
//! query text is tokenized the same way and its positions differ by the same amounts. Offsets
//! are byte offsets into the original text.

use tantivy_tokenizer_api::{Token, TokenStream, Tokenizer};

use crate::{Analyzer, is_noise, normalize};

/// A tantivy tokenizer over the shared [`Analyzer`].
#[derive(Clone, Debug)]
pub struct JiebaTokenizer {
    analyzer: Analyzer,
}

impl JiebaTokenizer {
    pub fn new(analyzer: Analyzer) -> Self {
        JiebaTokenizer { analyzer }
    }

    /// The tokens of `text`, as the index sees them.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let n = normalize(text);
        let mut out = Vec::new();
        // char offsets of normalised byte offsets, for positions
        let mut char_at = vec![0usize; n.text.len() + 1];
        let mut c = 0;
        for (i, ch) in n.text.char_indices() {
            for slot in &mut char_at[i..i + ch.len_utf8()] {
                *slot = c;
            }
            c += 1;
        }
        char_at[n.text.len()] = c;
        for t in self.analyzer.jieba().cut_for_search(&n.text, true) {
            let word = if t.word.chars().any(char::is_uppercase) {
                t.word.to_lowercase()
            } else {
                t.word.to_string()
            };
            if word.trim().is_empty() || is_noise(&word) || self.analyzer.is_stop_word(&word) {
                continue;
            }
            let (from, to) = n.original_range(t.byte_start, t.byte_end);
            let position = char_at[t.byte_start];
            // search mode offers the 2- and 3-character words inside a long word; the longer
            // dictionary words inside it (八项规定 in 中央八项规定) are added here
            let chars: Vec<(usize, char)> = t.word.char_indices().collect();
            if chars.len() > 4 {
                for len in 4..chars.len() {
                    for start in 0..=chars.len() - len {
                        let from_b = chars[start].0;
                        let to_b = chars.get(start + len).map_or(t.word.len(), |c| c.0);
                        let sub = &t.word[from_b..to_b];
                        if self.analyzer.jieba().has_word(sub) {
                            let (f, e) =
                                n.original_range(t.byte_start + from_b, t.byte_start + to_b);
                            out.push(token(
                                sub.to_lowercase(),
                                f,
                                e,
                                char_at[t.byte_start + from_b],
                            ));
                        }
                    }
                }
            }
            if let Some(aliases) = self.analyzer.aliases_of(&word) {
                for alias in aliases {
                    out.push(token(alias.to_lowercase(), from, to, position));
                }
            }
            out.push(token(word, from, to, position));
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
        JiebaTokenStream {
            tokens: self.tokens(text),
            index: 0,
        }
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
}
