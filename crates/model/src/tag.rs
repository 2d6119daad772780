//! The three typical tags (典型人、典型事、典型案例).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// 典型人: named people presented as examples.
    TypicalPerson,
    /// 典型事: a specific, noteworthy happening.
    TypicalEvent,
    /// 典型案例: cases presented as typical, to learn from or to warn by.
    TypicalCase,
}

impl Tag {
    pub const ALL: [Tag; 3] = [Tag::TypicalPerson, Tag::TypicalEvent, Tag::TypicalCase];

    /// The identifier used in JSON, queries and the command line (`typical_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            Tag::TypicalPerson => "typical_person",
            Tag::TypicalEvent => "typical_event",
            Tag::TypicalCase => "typical_case",
        }
    }

    /// The Chinese label shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            Tag::TypicalPerson => "典型人",
            Tag::TypicalEvent => "典型事",
            Tag::TypicalCase => "典型案例",
        }
    }

    /// Accepts the identifier, its short form (`person`) or the Chinese label.
    pub fn parse(s: &str) -> Option<Tag> {
        match s.trim() {
            "typical_person" | "person" | "典型人" | "典型人物" => Some(Tag::TypicalPerson),
            "typical_event" | "event" | "典型事" | "典型事件" => Some(Tag::TypicalEvent),
            "typical_case" | "case" | "典型案例" => Some(Tag::TypicalCase),
            _ => None,
        }
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_every_spelling() {
        for tag in Tag::ALL {
            assert_eq!(Tag::parse(tag.as_str()), Some(tag));
            assert_eq!(Tag::parse(tag.label()), Some(tag));
            assert_eq!(
                serde_json::to_string(&tag).unwrap(),
                format!("\"{}\"", tag.as_str())
            );
        }
        assert_eq!(Tag::parse("typical"), None);
    }
}
