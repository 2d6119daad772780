//! Cue lexicons: weighted phrases per tag, read from `dictionaries/cues/<tag>.txt`.

use aho_corasick::{AhoCorasick, MatchKind};

/// A cue found in a text: the phrase, its weight and its byte range.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CueHit {
    /// Shared with the lexicon: a hit costs no allocation.
    #[serde(serialize_with = "serialize_str")]
    pub cue: std::sync::Arc<str>,
    pub weight: f64,
    pub start: usize,
    pub end: usize,
}

fn serialize_str<S: serde::Serializer>(v: &std::sync::Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

/// The cues of one tag, matched leftmost-longest (典型案例 wins over 案例 inside it).
#[derive(Clone, Debug)]
pub struct CueLexicon {
    phrases: Vec<(std::sync::Arc<str>, f64)>,
    matcher: AhoCorasick,
}

/// A problem on one line of a cue file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CueError {
    pub line: usize,
    pub message: String,
}

impl CueLexicon {
    /// Parses `phrase weight` lines; blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Result<CueLexicon, CueError> {
        let mut phrases: Vec<(String, f64)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let phrase = parts.next().unwrap_or_default();
            let weight = match parts.next().map(str::parse::<f64>) {
                Some(Ok(w)) if w.is_finite() => w,
                _ => {
                    return Err(CueError {
                        line: i + 1,
                        message: format!(
                            "\"{line}\": expected \"phrase weight\" with a number as the weight"
                        ),
                    });
                }
            };
            if let Some(extra) = parts.next() {
                return Err(CueError {
                    line: i + 1,
                    message: format!("unexpected \"{extra}\": one phrase and one weight per line"),
                });
            }
            if phrases.iter().any(|(p, _)| p == phrase) {
                return Err(CueError {
                    line: i + 1,
                    message: format!("\"{phrase}\" is listed twice"),
                });
            }
            phrases.push((phrase.to_string(), weight));
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(phrases.iter().map(|(p, _)| p.as_str()))
            .map_err(|e| CueError {
                line: 0,
                message: format!("cannot build the matcher: {e}"),
            })?;
        let phrases = phrases
            .into_iter()
            .map(|(p, w)| (std::sync::Arc::from(p.as_str()), w))
            .collect();
        Ok(CueLexicon { phrases, matcher })
    }

    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// Every cue occurrence in `text`.
    pub fn find(&self, text: &str) -> Vec<CueHit> {
        self.matcher
            .find_iter(text)
            .map(|m| {
                let (cue, weight) = &self.phrases[m.pattern().as_usize()];
                CueHit {
                    cue: cue.clone(),
                    weight: *weight,
                    start: m.start(),
                    end: m.end(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches_longest() {
        let lex = CueLexicon::parse("# c\n典型案例 4\n案例 2\n通报 -1.5\n").unwrap();
        assert_eq!(lex.len(), 3);
        let hits = lex.find("发布典型案例和一个案例，并通报");
        let cues: Vec<(&str, f64)> = hits.iter().map(|h| (&*h.cue, h.weight)).collect();
        assert_eq!(cues, vec![("典型案例", 4.0), ("案例", 2.0), ("通报", -1.5)]);
        assert_eq!(
            &"发布典型案例和一个案例，并通报"[hits[0].start..hits[0].end],
            "典型案例"
        );
    }

    #[test]
    fn bad_lines_are_located() {
        assert_eq!(CueLexicon::parse("a 1\nb x\n").unwrap_err().line, 2);
        assert_eq!(CueLexicon::parse("a 1\na 2\n").unwrap_err().line, 2);
        assert!(
            CueLexicon::parse("a 1 2\n")
                .unwrap_err()
                .message
                .contains("unexpected")
        );
    }
}
