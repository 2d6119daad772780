//! Normalisation before segmentation, keeping a map back to the original text so that evidence
//! offsets point into what the analyst reads.
//!
//! Full-width ASCII (U+FF01–U+FF5E) becomes half-width, every kind of whitespace (including
//! U+3000 and NBSP) becomes a plain space, and zero-width characters are removed.

/// Normalised text with, for every byte of it, the byte offset in the original.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    /// `map[i]` is the original byte offset of normalised byte `i`; `map[text.len()]` is the
    /// original length.
    map: Vec<u32>,
}

impl Normalized {
    /// The original byte range of a normalised byte range.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.map[start.min(self.text.len())] as usize;
        // the end maps to the end of the last character, not the start of the next one
        let e = if end == 0 {
            s
        } else {
            let last = end.min(self.text.len());
            let prev_char_start = self.text[..last]
                .char_indices()
                .next_back()
                .map_or(0, |(i, _)| i);
            let orig_prev = self.map[prev_char_start] as usize;
            let next = self.map[last] as usize;
            next.max(orig_prev)
        };
        (s, e)
    }
}

fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{00ad}'
    )
}

/// Normalises `text`.
pub fn normalize(text: &str) -> Normalized {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        if is_zero_width(c) {
            continue;
        }
        let n = match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            c if c.is_whitespace() => ' ',
            c => c,
        };
        let before = out.len();
        out.push(n);
        for _ in before..out.len() {
            map.push(i as u32);
        }
    }
    map.push(text.len() as u32);
    Normalized { text: out, map }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_maps_back() {
        let orig = "中国\u{200b}科协　ＡＢＣ１２３！\n";
        let n = normalize(orig);
        assert_eq!(n.text, "中国科协 ABC123! ");
        let start = n.text.find("ABC").unwrap();
        let (s, e) = n.original_range(start, start + 3);
        assert_eq!(&orig[s..e], "ＡＢＣ");
        let k = n.text.find("科协").unwrap();
        let (s, e) = n.original_range(k, k + "科协".len());
        assert_eq!(&orig[s..e], "科协");
    }
}
