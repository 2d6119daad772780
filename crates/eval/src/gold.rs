//! Gold files for the typical tags.
//!
//! One JSON object a line. Two forms:
//!
//! - **inline** (the shared `typical-dev.jsonl`): `{"id","set","title","text","labels","note"}`;
//! - **by reference** (the team's gold): `{"id","set","path","line","labels","borderline","note",
//!   "sha"}` where `path` is relative to the corpus folder, `line` the 1-based line of a JSON Lines
//!   or headline file (absent for a whole text file), `title_ref` an optional HTML file whose
//!   `<title>` is the headline, and `sha` the first 12 hex digits of SHA-256 over
//!   `title + "\n" + text`, so that a changed corpus is noticed rather than silently scored.
//!
//! The texts are read from the corpus at evaluation time and never stored in the project.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use yuqing_model::Tag;

/// One gold item, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct GoldItem {
    pub id: String,
    /// The corpus folder it came from.
    pub set: String,
    /// The source it came from, the unit of leave-one-source-out: as the product counts
    /// sources, one list page or column of a publication (for People's Daily, one page of the
    /// paper, that is one desk); the corpus folder when the gold does not say.
    pub source: String,
    pub title: String,
    pub text: String,
    /// In `Tag::ALL` order.
    pub labels: [bool; 3],
    pub borderline: bool,
    pub note: String,
}

impl GoldItem {
    pub fn is_untagged(&self) -> bool {
        self.labels.iter().all(|l| !l)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GoldError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} line {line}: {message}")]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0} has no items")]
    Empty(PathBuf),
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default)]
    set: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    line: Option<usize>,
    #[serde(default)]
    title_ref: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    borderline: Option<bool>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    sha: Option<String>,
}

/// The first 12 hex digits of SHA-256 over `title + "\n" + text`.
pub fn text_hash(title: &str, text: &str) -> String {
    let mut h = Sha256::new();
    h.update(title.as_bytes());
    h.update(b"\n");
    h.update(text.as_bytes());
    h.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Parses a label list (`typical_person`, 典型人 …) into `Tag::ALL` order.
pub fn parse_labels(labels: &[String]) -> Result<[bool; 3], String> {
    let mut out = [false; 3];
    for l in labels {
        let tag = Tag::parse(l).ok_or_else(|| {
            format!("unknown label \"{l}\" (use typical_person, typical_event, typical_case)")
        })?;
        if let Some(i) = Tag::ALL.iter().position(|t| *t == tag) {
            out[i] = true;
        }
    }
    Ok(out)
}

/// Reads referenced corpus files once each.
#[derive(Debug)]
pub struct Corpus {
    root: PathBuf,
    lines: HashMap<String, Vec<String>>,
}

impl Corpus {
    pub fn new(root: impl Into<PathBuf>) -> Corpus {
        Corpus {
            root: root.into(),
            lines: HashMap::new(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn bytes(&self, rel: &str) -> Result<Vec<u8>, String> {
        let p = self.root.join(rel);
        std::fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    }

    fn line(&mut self, rel: &str, line: usize) -> Result<String, String> {
        if !self.lines.contains_key(rel) {
            let text = decode(&self.bytes(rel)?);
            self.lines
                .insert(rel.to_string(), text.lines().map(str::to_string).collect());
        }
        let lines = &self.lines[rel];
        lines
            .get(line.wrapping_sub(1))
            .cloned()
            .ok_or_else(|| format!("{rel} has {} lines, not line {line}", lines.len()))
    }

    /// The headline and text a reference points at.
    pub fn resolve(
        &mut self,
        rel: &str,
        line: Option<usize>,
        title_ref: Option<&str>,
    ) -> Result<(String, String), String> {
        let (mut title, text) = match line {
            Some(n) => {
                let l = self.line(rel, n)?;
                if rel.ends_with(".jsonl") || rel.ends_with(".json") {
                    let v: serde_json::Value = serde_json::from_str(&l)
                        .map_err(|e| format!("{rel} line {n} is not JSON: {e}"))?;
                    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
                    let title = if v.get("title").is_some() {
                        s("title")
                    } else {
                        s("sentence")
                    };
                    (title, s("text"))
                } else {
                    // a headline file: the headline, then a tab and its class
                    let head = l
                        .rsplit_once('\t')
                        .map_or(l.as_str(), |(h, _)| h)
                        .trim()
                        .to_string();
                    (head, String::new())
                }
            }
            None => (String::new(), decode(&self.bytes(rel)?).trim().to_string()),
        };
        if let Some(html) = title_ref {
            title = html_title(&decode(&self.bytes(html)?));
        }
        Ok((title, text))
    }
}

/// UTF-8 when it is, else GB18030 (the saved Chinese pages' encodings).
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.strip_prefix('\u{feff}').unwrap_or(s).to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// A page's `<title>`, up to the first `_` (where portals append their channel names).
fn html_title(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let Some(start) = lower.find("<title>") else {
        return String::new();
    };
    let rest = &html[start + 7..];
    let end = rest
        .to_ascii_lowercase()
        .find("</title>")
        .unwrap_or(rest.len());
    rest[..end]
        .split('_')
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Reads a gold file, resolving references against `corpus`.
pub fn read(path: &Path, corpus: &mut Corpus) -> Result<Vec<GoldItem>, GoldError> {
    let text = std::fs::read_to_string(path).map_err(|source| GoldError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| GoldError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            message,
        };
        let raw: Raw =
            serde_json::from_str(line).map_err(|e| bad(format!("not a gold item ({e})")))?;
        let id = match &raw.id {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => format!("line-{}", i + 1),
            other => other.to_string(),
        };
        let labels = parse_labels(&raw.labels).map_err(bad)?;
        let (title, body) = match (&raw.title, &raw.text, &raw.path) {
            (Some(_), _, _) | (_, Some(_), _) => (
                raw.title.clone().unwrap_or_default(),
                raw.text.clone().unwrap_or_default(),
            ),
            (None, None, Some(rel)) => {
                let (t, b) = corpus
                    .resolve(rel, raw.line, raw.title_ref.as_deref())
                    .map_err(|e| bad(e + " (is --corpus the shared corpus folder?)"))?;
                if let Some(want) = &raw.sha {
                    let got = text_hash(&t, &b);
                    if &got != want {
                        return Err(bad(format!(
                            "the text at {rel}{} has changed (hash {got}, gold says {want}): relabel the item or fix the reference",
                            raw.line.map(|l| format!(":{l}")).unwrap_or_default()
                        )));
                    }
                }
                (t, b)
            }
            (None, None, None) => {
                return Err(bad(
                    "neither a text (title, text) nor a reference (path, line)".into(),
                ));
            }
        };
        let set = if raw.set.is_empty() {
            raw.path
                .as_deref()
                .and_then(|p| p.split('/').next())
                .unwrap_or("gold")
                .to_string()
        } else {
            raw.set
        };
        out.push(GoldItem {
            id,
            source: raw.source.unwrap_or_else(|| set.clone()),
            set,
            title,
            text: body,
            labels,
            borderline: raw
                .borderline
                .unwrap_or_else(|| raw.note.starts_with("borderline")),
            note: raw.note,
        });
    }
    if out.is_empty() {
        return Err(GoldError::Empty(path.to_path_buf()));
    }
    Ok(out)
}

/// The shared corpus folder for a gold file: `--corpus` when given, else the first
/// `<ancestor>/../shared/corpus` (or `<ancestor>/shared/corpus`) above the gold file or the
/// working folder.
pub fn find_corpus(explicit: Option<&Path>, gold: &Path) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let starts = [
        std::fs::canonicalize(gold).ok(),
        std::env::current_dir().ok(),
    ];
    for start in starts.into_iter().flatten() {
        for dir in start.ancestors() {
            for cand in [dir.join("shared/corpus"), dir.join("../shared/corpus")] {
                if cand.is_dir() {
                    return cand;
                }
            }
        }
    }
    PathBuf::from("../shared/corpus")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("yuqing-gold-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("corpus/news")).unwrap();
        d
    }

    #[test]
    fn references_resolve_and_are_checked() {
        let d = tmp("refs");
        std::fs::write(
            d.join("corpus/news/a.jsonl"),
            "{\"title\":\"甲\",\"text\":\"正文一\"}\n{\"title\":\"乙\",\"text\":\"正文二\"}\n",
        )
        .unwrap();
        std::fs::write(d.join("corpus/news/h.txt"), "标题一\t3\n标题二\t5\n").unwrap();
        let (gbk, _, _) = encoding_rs::GBK.encode("网易正文");
        std::fs::write(d.join("corpus/news/p.txt"), &gbk).unwrap();
        let (page, _, _) = encoding_rs::GBK.encode("<html><title>新闻标题_网易新闻</title></html>");
        std::fs::write(d.join("corpus/news/p.html"), &page).unwrap();
        let sha = text_hash("乙", "正文二");
        let gold = format!(
            "{{\"id\":\"x\",\"set\":\"news\",\"path\":\"news/a.jsonl\",\"line\":2,\"labels\":[\"typical_case\"],\"borderline\":true,\"note\":\"n\",\"sha\":\"{sha}\"}}\n\
             {{\"id\":\"y\",\"path\":\"news/h.txt\",\"line\":2,\"labels\":[],\"note\":\"\"}}\n\
             {{\"id\":\"z\",\"path\":\"news/p.txt\",\"title_ref\":\"news/p.html\",\"labels\":[\"典型人\"],\"note\":\"\"}}\n"
        );
        std::fs::write(d.join("gold.jsonl"), gold).unwrap();
        let mut corpus = Corpus::new(d.join("corpus"));
        let items = read(&d.join("gold.jsonl"), &mut corpus).unwrap();
        assert_eq!(items[0].title, "乙");
        assert_eq!(items[0].text, "正文二");
        assert_eq!(items[0].labels, [false, false, true]);
        assert!(items[0].borderline);
        assert_eq!(items[1].title, "标题二");
        assert_eq!(items[1].set, "news");
        assert!(items[1].is_untagged());
        assert_eq!(items[2].text, "网易正文");
        assert_eq!(items[2].title, "新闻标题");
        assert_eq!(items[2].labels, [true, false, false]);
        // a changed text is an error naming the item's line
        std::fs::write(
            d.join("corpus/news/a.jsonl"),
            "{\"title\":\"甲\",\"text\":\"正文一\"}\n{\"title\":\"乙\",\"text\":\"改过的正文\"}\n",
        )
        .unwrap();
        let mut corpus = Corpus::new(d.join("corpus"));
        let e = read(&d.join("gold.jsonl"), &mut corpus)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("has changed"), "{e}");
    }

    #[test]
    fn bad_lines_name_their_line() {
        let d = tmp("bad");
        std::fs::write(
            d.join("gold.jsonl"),
            "{\"id\":\"a\",\"title\":\"t\",\"text\":\"\",\"labels\":[]}\n{\"id\":\"b\",\"title\":\"t\",\"labels\":[\"hero\"]}\n",
        )
        .unwrap();
        let e = read(&d.join("gold.jsonl"), &mut Corpus::new(d.join("corpus")))
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with(
                "line 2: unknown label \"hero\" (use typical_person, typical_event, typical_case)"
            ),
            "{e}"
        );
        std::fs::write(d.join("empty.jsonl"), "\n").unwrap();
        assert!(matches!(
            read(&d.join("empty.jsonl"), &mut Corpus::new(d.join("corpus"))),
            Err(GoldError::Empty(_))
        ));
    }
}
