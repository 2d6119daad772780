//! The plain-text dictionary formats under `dictionaries/` (see its README): parsing and
//! checking only. Callers read the files; problems carry 1-based line numbers.

use std::collections::HashMap;

/// File names inside the dictionaries folder.
pub const USER_DICT: &str = "user.dict";
pub const STOP_WORDS: &str = "stopwords.txt";

/// One line of the user dictionary: `word [freq] [tag]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DictEntry {
    pub word: String,
    pub freq: Option<usize>,
    pub tag: Option<String>,
    pub line: usize,
}

/// A problem on one line of a dictionary file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DictProblem {
    pub line: usize,
    pub message: String,
}

/// Lines that carry content: not blank, not a `#` comment. Yields (1-based line, trimmed text).
fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

fn valid_tag(tag: &str) -> bool {
    (1..=5).contains(&tag.len()) && tag.chars().all(|c| c.is_ascii_lowercase())
}

/// Parses a user dictionary in jieba's `word freq tag` format (freq and tag optional).
pub fn parse_user_dict(text: &str) -> (Vec<DictEntry>, Vec<DictProblem>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, content) in content_lines(text) {
        let mut fields = content.split_whitespace();
        let Some(word) = fields.next() else { continue };
        let mut problem = |message: String| problems.push(DictProblem { line, message });
        let freq = match fields.next() {
            None => None,
            Some(f) => match f.parse::<usize>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    problem(format!(
                        "frequency \"{f}\" of \"{word}\" must be a positive whole number (format: word freq tag)"
                    ));
                    continue;
                }
            },
        };
        let tag = fields.next().map(str::to_string);
        if let Some(t) = &tag
            && !valid_tag(t)
        {
            problem(format!(
                "part-of-speech tag \"{t}\" of \"{word}\" is not a jieba tag (e.g. n, nr, ns, nt, nz, v, l)"
            ));
            continue;
        }
        if let Some(extra) = fields.next() {
            problem(format!(
                "unexpected \"{extra}\" after the tag: one entry per line, words without spaces"
            ));
            continue;
        }
        if let Some(first) = seen.insert(word.to_string(), line) {
            problem(format!(
                "\"{word}\" is listed twice (first on line {first})"
            ));
            continue;
        }
        entries.push(DictEntry {
            word: word.to_string(),
            freq,
            tag,
            line,
        });
    }
    (entries, problems)
}

/// Parses a one-word-a-line list (stop words): blank lines and `#` comments are skipped.
pub fn parse_word_list(text: &str) -> (Vec<String>, Vec<DictProblem>) {
    let mut words = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (line, content) in content_lines(text) {
        if content.contains(char::is_whitespace) {
            problems.push(DictProblem {
                line,
                message: format!("\"{content}\" contains a space: one word per line"),
            });
        } else if let Some(first) = seen.insert(content, line) {
            problems.push(DictProblem {
                line,
                message: format!("\"{content}\" is listed twice (first on line {first})"),
            });
        } else {
            words.push(content.to_string());
        }
    }
    (words, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_dict_lines() {
        let text = "\u{feff}# comment\n十九大 2000 nz\n\n中国科协 3000 nt\n科协\n典型案例 1000\n";
        let (entries, problems) = parse_user_dict(text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(entries.len(), 4);
        assert_eq!(
            entries[0],
            DictEntry {
                word: "十九大".into(),
                freq: Some(2000),
                tag: Some("nz".into()),
                line: 2
            }
        );
        assert_eq!(entries[2].freq, None);
        assert_eq!(entries[3].tag, None);
    }

    #[test]
    fn user_dict_problems_have_lines() {
        let text = "十九大 many nz\n科协 10 名词\n全国学会 10 nt extra\n科协 5\n科协 10 n\n";
        let (entries, problems) = parse_user_dict(text);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 5]);
        assert!(problems[0].message.contains("positive whole number"));
        assert!(problems[1].message.contains("not a jieba tag"));
        assert!(problems[3].message.contains("first on line 4"));
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn word_lists() {
        let (words, problems) = parse_word_list("的\n# c\n了\n的\n两 个\n");
        assert_eq!(words, vec!["的", "了"]);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].line, 4);
    }
}
