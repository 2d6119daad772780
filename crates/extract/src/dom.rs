//! DOM helpers over `scraper`'s tree: iterative walks (deeply nested pages must not overflow the
//! stack), text collection with paragraph breaks, and the element classes extraction cares about.

use ego_tree::NodeRef;
use scraper::node::{Element, Node};
use scraper::{ElementRef, Html, Selector};

pub type NodeR<'a> = NodeRef<'a, Node>;

/// Elements whose content is never article text.
pub fn is_junk_tag(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "iframe"
            | "svg"
            | "canvas"
            | "object"
            | "embed"
            | "button"
            | "select"
            | "option"
            | "input"
            | "textarea"
            | "head"
            | "link"
            | "meta"
            | "audio"
            | "video"
            | "map"
    )
}

/// Elements that start a new paragraph.
pub fn is_block_tag(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "table"
            | "tr"
            | "td"
            | "th"
            | "tbody"
            | "thead"
            | "tfoot"
            | "caption"
            | "blockquote"
            | "pre"
            | "hr"
            | "figure"
            | "figcaption"
            | "header"
            | "footer"
            | "nav"
            | "aside"
            | "form"
            | "center"
            | "address"
            | "fieldset"
            | "details"
            | "summary"
            | "body"
            | "html"
    )
}

/// The lowercase `class` and `id` of an element, joined.
pub fn class_id(el: &Element) -> String {
    let mut s = String::new();
    if let Some(c) = el.attr("class") {
        s.push_str(c);
    }
    if let Some(i) = el.attr("id") {
        s.push(' ');
        s.push_str(i);
    }
    s.to_ascii_lowercase()
}

/// Splits class/id text into tokens on spaces, '-', '_' and case changes are not considered.
pub fn tokens(class_id: &str) -> impl Iterator<Item = &str> {
    class_id
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_' || c == ':')
        .filter(|t| !t.is_empty())
}

/// Collapses whitespace (including U+3000 and NBSP) to single spaces.
pub fn squash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}' || c == '\u{200b}' {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

/// Text of a subtree with paragraph breaks at block elements, junk skipped. `skip` can prune
/// further subtrees. Paragraphs are whitespace-squashed and non-empty.
pub fn paragraphs(root: NodeR<'_>, skip: &dyn Fn(NodeR<'_>) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        let p = squash(cur);
        if !p.is_empty() {
            out.push(p);
        }
        cur.clear();
    };
    // (node, entering)
    let mut stack = vec![(root, true)];
    while let Some((node, entering)) = stack.pop() {
        match node.value() {
            Node::Text(t) => cur.push_str(t),
            Node::Element(el) => {
                let name = el.name();
                if entering {
                    if is_junk_tag(name) || (node.id() != root.id() && skip(node)) {
                        continue;
                    }
                    if name == "br" {
                        flush(&mut cur, &mut out);
                        continue;
                    }
                    if is_block_tag(name) {
                        flush(&mut cur, &mut out);
                        stack.push((node, false));
                    } else if matches!(name, "td" | "th") {
                        cur.push(' ');
                    }
                    for child in node.children().rev() {
                        stack.push((child, true));
                    }
                } else {
                    flush(&mut cur, &mut out);
                }
            }
            Node::Document | Node::Fragment => {
                for child in node.children().rev() {
                    stack.push((child, true));
                }
            }
            _ => {}
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Plain text of an element (squashed), junk skipped.
pub fn text_of(el: ElementRef<'_>) -> String {
    paragraphs(*el, &|_| false).join(" ")
}

/// Parses a selector known to be valid (selectors written in this crate).
pub fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|_| panic!("invalid built-in selector {s}"))
}

/// The first element matching a selector given by a user (already validated at config load).
pub fn select_user<'a>(doc: &'a Html, selector: &str) -> Vec<ElementRef<'a>> {
    match Selector::parse(selector) {
        Ok(s) => doc.select(&s).collect(),
        Err(_) => Vec::new(),
    }
}

/// Whether a character is sentence punctuation (Chinese or Latin).
pub fn is_punct(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '、' | '；' | '：' | '！' | '？' | '“' | '”' | ',' | '.' | ';' | '!' | '?'
    )
}

/// Elements that never have content (no closing tag).
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Drops tags nested deeper than `max_depth`, keeping their text. HTML parsers check the stack
/// of open elements at every tag, so pathological nesting (tens of thousands of levels) would
/// otherwise cost quadratic time.
pub fn limit_nesting(html: &str, max_depth: usize) -> std::borrow::Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut dropped = 0usize;
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|c| *c == b'<') {
        let start = i + off;
        let Some(end_off) = bytes[start..].iter().position(|b| *b == b'>') else {
            break;
        };
        let end = start + end_off + 1;
        let tag = &html[start..end];
        i = end;
        let closing = tag.starts_with("</");
        let name: String = tag
            .trim_start_matches('<')
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() || is_void(&name) || tag.ends_with("/>") {
            continue;
        }
        if matches!(name.as_str(), "script" | "style" | "textarea" | "title") && !closing {
            // raw text: skip to its end tag
            let close = format!("</{name}");
            let rest = &bytes[i..];
            if let Some(p) = rest
                .windows(close.len())
                .position(|w| w.eq_ignore_ascii_case(close.as_bytes()))
            {
                i += p;
            }
            continue;
        }
        if closing {
            if dropped > 0 && depth >= max_depth {
                dropped -= 1;
                cuts.push((start, end));
            } else {
                depth = depth.saturating_sub(1);
            }
        } else if depth >= max_depth {
            dropped += 1;
            cuts.push((start, end));
        } else {
            depth += 1;
        }
    }
    if cuts.is_empty() {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    for (s, e) in cuts {
        out.push_str(&html[last..s]);
        last = e;
    }
    out.push_str(&html[last..]);
    std::borrow::Cow::Owned(out)
}
