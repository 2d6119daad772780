//! Topic rules evaluated on segmented text: words against the search-mode tokens of the text
//! (so 科协 matches inside 中国科协 but 科普 does not match 普及), phrases against the running
//! text with spaces removed.

use std::collections::HashSet;

use yuqing_model::{Atom, Topic};
use yuqing_text::{Analyzer, normalize};

/// The configured topics, ready to evaluate.
#[derive(Clone, Debug, Default)]
pub struct TopicMatcher {
    topics: Vec<Topic>,
}

impl TopicMatcher {
    pub fn new(topics: Vec<Topic>) -> Self {
        TopicMatcher { topics }
    }

    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// The ids of the topics `title` + `body` match.
    pub fn matches(&self, analyzer: &Analyzer, title: &str, body: &str) -> Vec<String> {
        if self.topics.is_empty() {
            return Vec::new();
        }
        let tk = analyzer.tokenizer();
        let tokens: HashSet<&str> = HashSet::new();
        let title_tokens = tk.tokens(title);
        let body_tokens = tk.tokens(body);
        let mut tokens = tokens;
        tokens.extend(
            title_tokens
                .iter()
                .chain(&body_tokens)
                .map(|t| t.text.as_str()),
        );
        self.matches_tokens(analyzer, &tokens, title, body)
    }

    /// Like [`TopicMatcher::matches`], with the search tokens of title and text already made.
    pub fn matches_tokens(
        &self,
        analyzer: &Analyzer,
        tokens: &HashSet<&str>,
        title: &str,
        body: &str,
    ) -> Vec<String> {
        if self.topics.is_empty() {
            return Vec::new();
        }
        let text = format!("{title}\n{body}");
        let compact: String = normalize(&text)
            .text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        let mut has = |atom: &Atom| match atom {
            Atom::Word(w) => {
                let w = w.to_lowercase();
                tokens.contains(w.as_str())
                    || (!analyzer.jieba().has_word(&w) && compact.contains(&w))
            }
            Atom::Phrase(p) => {
                let p: String = p
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_lowercase();
                compact.contains(&p)
            }
            // topic rules are parsed without fields
            Atom::Field { .. } => false,
        };
        self.topics
            .iter()
            .filter(|t| t.rule.eval(&mut has))
            .map(|t| t.id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yuqing_model::{Expr, TopicRule};

    fn topic(id: &str, expr: &str) -> Topic {
        Topic {
            id: id.into(),
            name: id.into(),
            rule: TopicRule::Expr {
                text: expr.into(),
                expr: Expr::parse(expr).unwrap(),
            },
        }
    }

    #[test]
    fn words_phrases_and_negation() {
        let a = Analyzer::builtin();
        let m = TopicMatcher::new(vec![
            topic("programme", "十九大 AND (学习 OR 宣讲) AND NOT 招聘"),
            topic("cast", "科协"),
            topic("phrase", "\"科技 志愿服务\""),
            topic("popsci", "科普"),
        ]);
        let got = m.matches(
            &a,
            "中国科协学习十九大精神",
            "组织科技志愿服务队伍，开展普及活动。",
        );
        assert_eq!(got, vec!["programme", "cast", "phrase"]);
        let got = m.matches(&a, "十九大宣讲团招聘讲解员", "");
        assert_eq!(got, Vec::<String>::new());
    }
}
