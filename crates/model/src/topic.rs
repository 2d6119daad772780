//! Monitored topics (专题) and their keyword rules.
//!
//! A rule is either three word lists (all of / any of / none of) or a boolean expression:
//!
//! ```text
//! 十九大 AND (学习 OR 宣传 OR "贯彻落实") AND NOT 招聘
//! 十九大 (学习 OR 宣传) -招聘          // adjacency means AND, a leading '-' means NOT
//! ```
//!
//! Operators are `AND`, `OR`, `NOT` (also `&&`, `||`, `!`), parentheses and quoted phrases
//! (`"…"` or `“…”`). `NOT` binds tightest, then `AND`, then `OR`. The matching itself (words
//! against segmented text, phrases against the running text) is done by the classifier through
//! [`Expr::eval`].

use serde::{Deserialize, Serialize};

/// A monitored topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    pub id: String,
    pub name: String,
    pub rule: TopicRule,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopicRule {
    /// Matches when every `all` word, at least one `any` word (if any are listed) and no
    /// `none` word occur.
    Lists {
        all: Vec<String>,
        any: Vec<String>,
        none: Vec<String>,
    },
    /// A boolean expression, kept with its source text.
    Expr { text: String, expr: Expr },
}

impl TopicRule {
    /// Evaluates the rule; `has` says whether a word or phrase occurs in the text.
    pub fn eval(&self, has: &mut dyn FnMut(&Atom) -> bool) -> bool {
        match self {
            TopicRule::Lists { all, any, none } => {
                let word = |w: &String| Atom::from_word(w);
                all.iter().all(|w| has(&word(w)))
                    && (any.is_empty() || any.iter().any(|w| has(&word(w))))
                    && !none.iter().any(|w| has(&word(w)))
            }
            TopicRule::Expr { expr, .. } => expr.eval(has),
        }
    }

    /// Every word and phrase the rule mentions (for highlighting and dictionary checks).
    pub fn atoms(&self) -> Vec<Atom> {
        match self {
            TopicRule::Lists { all, any, none } => all
                .iter()
                .chain(any)
                .chain(none)
                .map(|w| Atom::from_word(w))
                .collect(),
            TopicRule::Expr { expr, .. } => {
                let mut out = Vec::new();
                expr.collect_atoms(&mut out);
                out
            }
        }
    }
}

/// A leaf of a rule: a single word, or a quoted phrase matched as running text; in search
/// queries also a field-restricted word or phrase (`title:科协`, `source:"cast-news"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Atom {
    Word(String),
    Phrase(String),
    Field {
        field: String,
        value: String,
        phrase: bool,
    },
}

impl Atom {
    /// A list entry: a word, or a phrase when it contains whitespace.
    pub fn from_word(w: &str) -> Atom {
        let w = w.trim();
        if w.contains(char::is_whitespace) {
            Atom::Phrase(w.to_string())
        } else {
            Atom::Word(w.to_string())
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Atom::Word(s) | Atom::Phrase(s) => s,
            Atom::Field { value, .. } => value,
        }
    }
}

/// A parsed boolean topic expression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expr {
    Atom(Atom),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// Why an expression did not parse; `column` counts characters from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at column {}", self.message, self.column)
    }
}

impl std::error::Error for ExprError {}

impl Expr {
    /// Parses an expression without fields (topic rules); the error names the problem and its
    /// column.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        Expr::parse_with_fields(text, &[])
    }

    /// Parses an expression in which `name:word` and `name:"phrase"` restrict a word to one of
    /// the `fields` (search queries).
    pub fn parse_with_fields(text: &str, fields: &[&str]) -> Result<Expr, ExprError> {
        let chars = text.chars().count();
        if chars > MAX_EXPR_CHARS {
            return Err(ExprError {
                column: MAX_EXPR_CHARS + 1,
                message: format!(
                    "expression is {chars} characters long; the limit is {MAX_EXPR_CHARS}: split it into shorter ones"
                ),
            });
        }
        let tokens = lex(text, fields)?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            end_column: chars + 1,
            depth: 0,
        };
        if parser.tokens.is_empty() {
            return Err(ExprError {
                column: 1,
                message: "empty expression".into(),
            });
        }
        let expr = parser.or()?;
        if let Some(tok) = parser.tokens.get(parser.pos) {
            let message = match tok.kind {
                TokKind::Close => "unmatched ')'".to_string(),
                _ => format!("unexpected {}", tok.kind.describe()),
            };
            return Err(ExprError {
                column: tok.column,
                message,
            });
        }
        Ok(expr)
    }

    pub fn eval(&self, has: &mut dyn FnMut(&Atom) -> bool) -> bool {
        match self {
            Expr::Atom(a) => has(a),
            Expr::Not(e) => !e.eval(has),
            Expr::And(es) => es.iter().all(|e| e.eval(has)),
            Expr::Or(es) => es.iter().any(|e| e.eval(has)),
        }
    }

    fn collect_atoms(&self, out: &mut Vec<Atom>) {
        match self {
            Expr::Atom(a) => out.push(a.clone()),
            Expr::Not(e) => e.collect_atoms(out),
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| e.collect_atoms(out)),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum TokKind {
    Open,
    Close,
    And,
    Or,
    Not,
    Word(String),
    Phrase(String),
    Field(String, String, bool),
}

impl TokKind {
    fn describe(&self) -> String {
        match self {
            TokKind::Open => "'('".into(),
            TokKind::Close => "')'".into(),
            TokKind::And => "AND".into(),
            TokKind::Or => "OR".into(),
            TokKind::Not => "NOT".into(),
            TokKind::Word(w) => format!("word '{w}'"),
            TokKind::Phrase(p) => format!("phrase \"{p}\""),
            TokKind::Field(f, v, _) => format!("{f}:{v}"),
        }
    }
}

#[derive(Clone, Debug)]
struct Tok {
    kind: TokKind,
    column: usize,
}

fn is_special(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '（' | '）' | '"' | '“' | '”')
}

/// If `word` starts with `name:` for a field name, the name (checked against `fields`).
fn field_prefix<'a>(
    word: &'a str,
    column: usize,
    fields: &[&str],
) -> Result<Option<(&'a str, &'a str)>, ExprError> {
    let Some((name, rest)) = word.split_once(':') else {
        return Ok(None);
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Ok(None);
    }
    if !fields.contains(&name) {
        let message = if fields.is_empty() {
            format!("fields such as \"{name}:\" are not available here")
        } else {
            format!("unknown field \"{name}\" (use {})", fields.join(", "))
        };
        return Err(ExprError { column, message });
    }
    Ok(Some((name, rest)))
}

fn lex(text: &str, fields: &[&str]) -> Result<Vec<Tok>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let push = |out: &mut Vec<Tok>, kind| out.push(Tok { kind, column });
        match c {
            c if c.is_whitespace() => i += 1,
            '(' | '（' => {
                push(&mut out, TokKind::Open);
                i += 1;
            }
            ')' | '）' => {
                push(&mut out, TokKind::Close);
                i += 1;
            }
            '"' | '“' => {
                let close = if c == '"' { '"' } else { '”' };
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && chars[j] != close && !(close == '”' && chars[j] == '"') {
                    j += 1;
                }
                if j == chars.len() {
                    return Err(ExprError {
                        column,
                        message: "unclosed quote".into(),
                    });
                }
                let phrase: String = chars[start..j].iter().collect();
                let phrase = phrase.trim().to_string();
                if phrase.is_empty() {
                    return Err(ExprError {
                        column,
                        message: "empty phrase".into(),
                    });
                }
                push(&mut out, TokKind::Phrase(phrase));
                i = j + 1;
            }
            '”' => {
                return Err(ExprError {
                    column,
                    message: "closing quote without an opening one".into(),
                });
            }
            '-' | '!' if i + 1 < chars.len() && !is_special(chars[i + 1]) || c == '!' => {
                push(&mut out, TokKind::Not);
                i += 1;
            }
            _ => {
                let start = i;
                while i < chars.len() && !is_special(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let kind = match word.as_str() {
                    "AND" | "&&" => TokKind::And,
                    "OR" | "||" => TokKind::Or,
                    "NOT" => TokKind::Not,
                    _ => match field_prefix(&word, column, fields)? {
                        None => TokKind::Word(word),
                        Some((name, rest)) if !rest.is_empty() => {
                            TokKind::Field(name.to_string(), rest.to_string(), false)
                        }
                        Some((name, _)) => {
                            // name:"a phrase"
                            let open = chars.get(i).copied();
                            if !matches!(open, Some('"' | '“')) {
                                return Err(ExprError {
                                    column,
                                    message: format!(
                                        "\"{name}:\" needs a word or a quoted phrase after it"
                                    ),
                                });
                            }
                            let close = if open == Some('"') { '"' } else { '”' };
                            let pstart = i + 1;
                            let mut j = pstart;
                            while j < chars.len() && chars[j] != close {
                                j += 1;
                            }
                            if j == chars.len() {
                                return Err(ExprError {
                                    column: i + 1,
                                    message: "unclosed quote".into(),
                                });
                            }
                            let phrase: String = chars[pstart..j].iter().collect();
                            i = j + 1;
                            TokKind::Field(name.to_string(), phrase.trim().to_string(), true)
                        }
                    },
                };
                push(&mut out, kind);
            }
        }
    }
    Ok(out)
}

/// The longest expression accepted, in characters.
pub const MAX_EXPR_CHARS: usize = 4000;
/// How deeply parentheses and NOTs may nest.
pub const MAX_EXPR_DEPTH: usize = 64;

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
    end_column: usize,
    /// Parentheses and NOTs open around the current position.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&TokKind> {
        self.tokens.get(self.pos).map(|t| &t.kind)
    }

    fn column(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.end_column, |t| t.column)
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&TokKind::Or) {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(TokKind::And) => {
                    self.pos += 1;
                    parts.push(self.unary()?);
                }
                // adjacency is an implicit AND
                Some(
                    TokKind::Word(_)
                    | TokKind::Phrase(_)
                    | TokKind::Field(..)
                    | TokKind::Open
                    | TokKind::Not,
                ) => {
                    parts.push(self.unary()?);
                }
                _ => break,
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    /// Enters one nesting level, or fails past [`MAX_EXPR_DEPTH`].
    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(ExprError {
                column: self.column(),
                message: format!(
                    "parentheses and NOTs nest more than {MAX_EXPR_DEPTH} levels deep: simplify the expression"
                ),
            });
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.peek() == Some(&TokKind::Not) {
            self.pos += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let column = self.column();
        let Some(kind) = self.peek().cloned() else {
            return Err(ExprError {
                column,
                message: "expression ends where a word was expected".into(),
            });
        };
        self.pos += 1;
        match kind {
            TokKind::Word(w) => Ok(Expr::Atom(Atom::Word(w))),
            TokKind::Phrase(p) => Ok(Expr::Atom(Atom::Phrase(p))),
            TokKind::Field(field, value, phrase) => Ok(Expr::Atom(Atom::Field {
                field,
                value,
                phrase,
            })),
            TokKind::Open => {
                if self.peek() == Some(&TokKind::Close) {
                    return Err(ExprError {
                        column,
                        message: "empty parentheses".into(),
                    });
                }
                self.enter()?;
                let inner = self.or()?;
                self.depth -= 1;
                if self.peek() != Some(&TokKind::Close) {
                    return Err(ExprError {
                        column,
                        message: "'(' is never closed".into(),
                    });
                }
                self.pos += 1;
                Ok(inner)
            }
            TokKind::Close => Err(ExprError {
                column,
                message: "unmatched ')'".into(),
            }),
            other => Err(ExprError {
                column,
                message: format!("{} where a word was expected", other.describe()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str) -> Expr {
        Expr::Atom(Atom::Word(w.into()))
    }

    /// Parses `text` and evaluates it against a text given as its set of words.
    fn check(text: &str, words: &[&str]) -> bool {
        let expr = Expr::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        expr.eval(&mut |a| words.contains(&a.text()))
    }

    #[test]
    fn nesting_and_length_are_limited() {
        let deep = format!("{}科协{}", "(".repeat(1_000), ")".repeat(1_000));
        let e = Expr::parse(&deep).unwrap_err();
        assert!(e.message.contains("64 levels"), "{e}");
        let nots = format!("{}科协", "NOT ".repeat(20_000));
        let e = Expr::parse(&nots).unwrap_err();
        assert!(e.message.contains("limit is 4000"), "{e}");
        let nots = format!("{}科协", "NOT ".repeat(900));
        let e = Expr::parse(&nots).unwrap_err();
        assert!(e.message.contains("64 levels"), "{e}");
        // 64 levels are fine
        let ok = format!("{}科协{}", "(".repeat(64), ")".repeat(64));
        assert!(Expr::parse(&ok).is_ok());
        assert!(Expr::parse(&format!("{}科协", "NOT ".repeat(63))).is_ok());
    }

    #[test]
    fn precedence_and_grouping() {
        assert_eq!(
            Expr::parse("a OR b AND NOT c").unwrap(),
            Expr::Or(vec![
                word("a"),
                Expr::And(vec![word("b"), Expr::Not(Box::new(word("c")))])
            ])
        );
        assert_eq!(
            Expr::parse("(a OR b) c").unwrap(),
            Expr::And(vec![Expr::Or(vec![word("a"), word("b")]), word("c")])
        );
    }

    #[test]
    fn evaluates_like_the_example_rule() {
        let rule = "十九大 AND (学习 OR 宣传 OR 贯彻) AND NOT 招聘";
        assert!(check(rule, &["十九大", "宣传"]));
        assert!(!check(rule, &["十九大"]));
        assert!(!check(rule, &["十九大", "学习", "招聘"]));
        assert!(check("十九大 -招聘", &["十九大"]));
        assert!(!check("十九大 -招聘", &["十九大", "招聘"]));
        assert!(check("!招聘", &[]));
    }

    #[test]
    fn phrases_and_chinese_punctuation() {
        assert_eq!(
            Expr::parse("“学习 宣传” OR （科协）").unwrap(),
            Expr::Or(vec![
                Expr::Atom(Atom::Phrase("学习 宣传".into())),
                word("科协")
            ])
        );
        assert!(check("\"典型 案例\"", &["典型 案例"]));
    }

    #[test]
    fn hyphenated_words_stay_words() {
        assert_eq!(Expr::parse("COVID-19").unwrap(), word("COVID-19"));
    }

    #[test]
    fn errors_name_the_problem_and_column() {
        let cases = [
            ("", 1, "empty expression"),
            ("a AND", 6, "expression ends where a word was expected"),
            ("(a OR b", 1, "'(' is never closed"),
            ("a OR b)", 7, "unmatched ')'"),
            ("\"abc", 1, "unclosed quote"),
            ("a OR OR b", 6, "OR where a word was expected"),
            ("()", 1, "empty parentheses"),
        ];
        for (text, column, message) in cases {
            let err = Expr::parse(text).unwrap_err();
            assert_eq!(
                (err.column, err.message.as_str()),
                (column, message),
                "{text}"
            );
        }
    }

    #[test]
    fn fields_in_search_queries() {
        let fields = ["title", "source"];
        assert_eq!(
            Expr::parse_with_fields("title:科协 source:\"cast-news\" 学会", &fields).unwrap(),
            Expr::And(vec![
                Expr::Atom(Atom::Field {
                    field: "title".into(),
                    value: "科协".into(),
                    phrase: false
                }),
                Expr::Atom(Atom::Field {
                    field: "source".into(),
                    value: "cast-news".into(),
                    phrase: true
                }),
                word("学会"),
            ])
        );
        let err = Expr::parse_with_fields("科协 foo:bar", &fields).unwrap_err();
        assert_eq!(
            (err.column, err.message.as_str()),
            (4, "unknown field \"foo\" (use title, source)")
        );
        assert!(
            Expr::parse("title:科协")
                .unwrap_err()
                .message
                .contains("not available")
        );
        // URLs and times are words, not fields
        assert_eq!(Expr::parse("10:30").unwrap(), word("10:30"));
    }

    #[test]
    fn list_rules() {
        let rule = TopicRule::Lists {
            all: vec!["十九大".into()],
            any: vec!["学习".into(), "宣讲".into()],
            none: vec!["招聘".into()],
        };
        let eval = |words: &[&str]| rule.eval(&mut |a| words.contains(&a.text()));
        assert!(eval(&["十九大", "宣讲"]));
        assert!(!eval(&["十九大"]));
        assert!(!eval(&["十九大", "宣讲", "招聘"]));
        assert_eq!(rule.atoms().len(), 4);
    }
}
