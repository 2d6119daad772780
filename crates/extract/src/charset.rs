//! Turning page bytes into text: BOM, the HTTP charset, `<meta charset>`, the XML declaration,
//! then detection. GB2312 and GBK are read as GB18030 (a superset). When a declaration is
//! contradicted by the bytes, the bytes win and a warning says so.

use encoding_rs::{Encoding, GB18030, UTF_8, WINDOWS_1252};

/// Decoded text and how it was decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    /// What was guessed or overridden, for the extraction warnings.
    pub warnings: Vec<String>,
    /// True when some bytes could not be decoded in any charset tried (U+FFFD in `text`).
    pub lossy: bool,
}

impl Decoded {
    /// Text that decoded without a replacement.
    fn clean(text: String, encoding: &'static Encoding, warnings: Vec<String>) -> Decoded {
        Decoded {
            text,
            encoding,
            warnings,
            lossy: false,
        }
    }
}

/// The byte order and width of a UTF-16 or UTF-32 text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wide {
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

/// UTF-32 by its byte-order mark, and UTF-16 or UTF-32 without one, told by where the zero
/// bytes of ASCII characters fall in the first bytes (as XML's appendix F does for `<?xml`).
/// UTF-16 with a byte-order mark is left to [`Encoding::for_bom`].
fn sniff_wide(bytes: &[u8]) -> Option<(Wide, usize)> {
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) {
        return Some((Wide::Utf32Le, 4));
    }
    if bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Some((Wide::Utf32Be, 4));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return None;
    }
    let head = &bytes[..bytes.len().min(512)];
    if head.len() < 8 {
        return None;
    }
    let zeros_at = |modulo: usize, rest: usize| {
        let (mut z, mut n) = (0, 0);
        for (i, b) in head.iter().enumerate() {
            if i % modulo == rest {
                n += 1;
                if *b == 0 {
                    z += 1;
                }
            }
        }
        z as f64 / n.max(1) as f64
    };
    let zero_share = head.iter().filter(|b| **b == 0).count() as f64 / head.len() as f64;
    if zero_share < 0.2 {
        return None;
    }
    let z4 = [0, 1, 2, 3].map(|r| zeros_at(4, r));
    if z4[1] > 0.9 && z4[2] > 0.9 && z4[3] > 0.9 && z4[0] < 0.5 {
        return Some((Wide::Utf32Le, 0));
    }
    if z4[0] > 0.9 && z4[1] > 0.9 && z4[2] > 0.9 && z4[3] < 0.5 {
        return Some((Wide::Utf32Be, 0));
    }
    let (even, odd) = (zeros_at(2, 0), zeros_at(2, 1));
    if odd > 0.3 && even < 0.1 {
        return Some((Wide::Utf16Le, 0));
    }
    if even > 0.3 && odd < 0.1 {
        return Some((Wide::Utf16Be, 0));
    }
    None
}

/// Decodes UTF-32 (which encoding_rs does not know) and BOM-less UTF-16; `None` for any other
/// text.
fn decode_wide(bytes: &[u8]) -> Option<Decoded> {
    let (wide, skip) = sniff_wide(bytes)?;
    let body = &bytes[skip..];
    let mut warnings = Vec::new();
    let (text, lossy, encoding) = match wide {
        Wide::Utf16Le | Wide::Utf16Be => {
            let enc = if wide == Wide::Utf16Le {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            warnings.push(format!(
                "no byte-order mark: read as {} from where its zero bytes fall",
                enc.name()
            ));
            let (text, had_errors) = enc.decode_without_bom_handling(body);
            (text.into_owned(), had_errors, enc)
        }
        Wide::Utf32Le | Wide::Utf32Be => {
            let mut text = String::with_capacity(body.len() / 4);
            let mut lossy = !body.len().is_multiple_of(4);
            for c in body.chunks_exact(4) {
                let v = if wide == Wide::Utf32Le {
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                } else {
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                };
                match char::from_u32(v) {
                    Some(ch) => text.push(ch),
                    None => {
                        lossy = true;
                        text.push('\u{fffd}');
                    }
                }
            }
            warnings.push(format!(
                "read as UTF-32{}",
                if wide == Wide::Utf32Le { "LE" } else { "BE" }
            ));
            // the text is now UTF-8
            (text, lossy, UTF_8)
        }
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    Some(Decoded {
        text,
        encoding,
        warnings,
        lossy,
    })
}

/// Maps a charset label to an encoding; the GB family becomes GB18030.
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().trim_matches(|c| c == '"' || c == '\'');
    let enc = Encoding::for_label(label.as_bytes())?;
    if enc == encoding_rs::GBK {
        return Some(GB18030);
    }
    Some(enc)
}

/// The charset declared inside the document: `<meta charset>`, `http-equiv` content type or
/// the XML declaration, read from the first 16 KiB.
pub fn declared_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(16 * 1024)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    // XML declaration first: it can only be at the very start
    if lower.starts_with(b"<?xml")
        && let Some(end) = find(&lower, b"?>")
        && let Some(v) = attr_value(&lower[..end], b"encoding")
    {
        return Some(v);
    }
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(v) = attr_value(tag, b"charset") {
            return Some(v);
        }
        from = end;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The value after `name=` in a tag's bytes (also inside `content="text/html; charset=gbk"`).
fn attr_value(tag: &[u8], name: &[u8]) -> Option<String> {
    let mut from = 0;
    while let Some(pos) = find(&tag[from..], name) {
        let mut i = from + pos + name.len();
        while i < tag.len() && tag[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < tag.len() && tag[i] == b'=' {
            i += 1;
            while i < tag.len()
                && (tag[i].is_ascii_whitespace() || tag[i] == b'"' || tag[i] == b'\'')
            {
                i += 1;
            }
            let start = i;
            while i < tag.len()
                && (tag[i].is_ascii_alphanumeric() || matches!(tag[i], b'-' | b'_' | b':' | b'.'))
            {
                i += 1;
            }
            if i > start {
                return Some(String::from_utf8_lossy(&tag[start..i]).into_owned());
            }
        }
        from = from + pos + name.len();
    }
    None
}

fn clean(enc: &'static Encoding, bytes: &[u8]) -> Option<String> {
    enc.decode_without_bom_handling_and_without_replacement(bytes)
        .map(|c| c.into_owned())
}

fn has_non_ascii(bytes: &[u8]) -> bool {
    bytes.iter().any(|b| *b >= 0x80)
}

fn detect(bytes: &[u8], tld: Option<&str>) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let tld = tld.map(str::as_bytes);
    let enc = detector.guess(tld, chardetng::Utf8Detection::Allow);
    if enc == encoding_rs::GBK {
        GB18030
    } else {
        enc
    }
}

/// Decodes a page or feed. `http_charset` is the `charset` of the HTTP `Content-Type`;
/// `tld` (e.g. `cn`) helps detection.
pub fn decode(bytes: &[u8], http_charset: Option<&str>, tld: Option<&str>) -> Decoded {
    let mut warnings = Vec::new();
    if let Some(d) = decode_wide(bytes) {
        return d;
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text: text.into_owned(),
            encoding: enc,
            warnings,
            lossy: had_errors,
        };
    }
    let mut declared: Vec<(&'static Encoding, String)> = Vec::new();
    if let Some(label) = http_charset {
        match encoding_for_label(label) {
            Some(enc) => declared.push((enc, format!("HTTP charset {label}"))),
            None => warnings.push(format!("unknown HTTP charset \"{label}\" ignored")),
        }
    }
    if let Some(label) = declared_charset(bytes) {
        match encoding_for_label(&label) {
            Some(enc) => declared.push((enc, format!("declared charset {label}"))),
            None => warnings.push(format!("unknown declared charset \"{label}\" ignored")),
        }
    }
    // UTF-16 declarations inside an ASCII-compatible document are always wrong
    declared.retain(|(enc, _)| enc.is_ascii_compatible());

    let utf8_ok = std::str::from_utf8(bytes).is_ok();
    if let Some((enc, why)) = declared.first() {
        let enc = *enc;
        if enc != UTF_8 && utf8_ok && has_non_ascii(bytes) {
            // multi-byte UTF-8 sequences almost never form by chance in other encodings
            warnings.push(format!(
                "{why} contradicted by the bytes, which are UTF-8: decoded as UTF-8"
            ));
            return finish(UTF_8, bytes, warnings);
        }
        if enc == WINDOWS_1252 && has_non_ascii(bytes) {
            // single-byte charsets decode anything: ask the detector whether the bytes are
            // really a double-byte Chinese charset mislabelled as Latin-1
            let guess = detect(bytes, tld);
            if guess != WINDOWS_1252
                && guess != UTF_8
                && let Some(text) = clean(guess, bytes)
            {
                warnings.push(format!(
                    "{why} contradicted by the bytes: charset guessed: {}",
                    guess.name()
                ));
                return Decoded::clean(text, guess, warnings);
            }
        }
        if let Some(text) = clean(enc, bytes) {
            return Decoded::clean(text, enc, warnings);
        }
        // the declaration does not fit: try the other declarations, then detection
        for (other, other_why) in declared.iter().skip(1) {
            if let Some(text) = clean(other, bytes) {
                warnings.push(format!(
                    "{why} does not fit the bytes: decoded by {other_why} ({})",
                    other.name()
                ));
                return Decoded::clean(text, other, warnings);
            }
        }
        let guess = detect(bytes, tld);
        // a single-byte guess "fits" any bytes: a declared Chinese charset with a few stray
        // bytes is still the better reading
        let single_byte_guess = guess.is_single_byte() && !enc.is_single_byte();
        if guess != enc
            && !single_byte_guess
            && let Some(text) = clean(guess, bytes)
        {
            warnings.push(format!(
                "{why} does not fit the bytes: charset guessed: {}",
                guess.name()
            ));
            return Decoded::clean(text, guess, warnings);
        }
        warnings.push(format!(
            "{why}: some bytes are invalid in {} and were replaced",
            enc.name()
        ));
        return finish(enc, bytes, warnings);
    }
    if utf8_ok {
        return finish(UTF_8, bytes, warnings);
    }
    let guess = detect(bytes, tld);
    warnings.push(format!("charset guessed: {}", guess.name()));
    if let Some(text) = clean(guess, bytes) {
        return Decoded::clean(text, guess, warnings);
    }
    // nothing fits cleanly: prefer GB18030 for Chinese-looking bytes, else the guess
    let enc = if guess == WINDOWS_1252 {
        GB18030
    } else {
        guess
    };
    finish(enc, bytes, warnings)
}

fn finish(enc: &'static Encoding, bytes: &[u8], warnings: Vec<String>) -> Decoded {
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: enc,
        warnings,
        lossy: had_errors,
    }
}

#[cfg(test)]
mod tests {

    const FEED: &str = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>省科协</title><item><title>科普日活动举行</title><link>http://a.example.org/1.html</link></item></channel></rss>";

    fn utf16(le: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend(if le { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
        }
        for u in FEED.encode_utf16() {
            out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    fn utf32(le: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut chars: Vec<u32> = FEED.chars().map(u32::from).collect();
        if bom {
            chars.insert(0, 0xFEFF);
        }
        for c in chars {
            out.extend(if le { c.to_le_bytes() } else { c.to_be_bytes() });
        }
        out
    }

    #[test]
    fn wide_texts_with_and_without_a_byte_order_mark() {
        for (bytes, name) in [
            (utf16(true, false), "UTF-16LE"),
            (utf16(false, false), "UTF-16BE"),
            (utf16(true, true), "UTF-16LE"),
            (utf16(false, true), "UTF-16BE"),
            (utf32(true, true), "UTF-32LE"),
            (utf32(false, true), "UTF-32BE"),
            (utf32(true, false), "UTF-32LE"),
            (utf32(false, false), "UTF-32BE"),
        ] {
            let d = decode(&bytes, None, None);
            assert_eq!(d.text, FEED, "{name}");
            assert!(!d.lossy, "{name}");
            assert!(
                d.encoding.name() == name || d.warnings.iter().any(|w| w.contains(name)),
                "{name}: {:?} {:?}",
                d.encoding.name(),
                d.warnings
            );
        }
        // ordinary text is not mistaken for a wide one
        assert!(sniff_wide("省科协举办科普日活动".as_bytes()).is_none());
        assert!(sniff_wide(b"<html><body>plain</body></html>").is_none());
    }
    use super::*;

    fn gbk(s: &str) -> Vec<u8> {
        GB18030.encode(s).0.into_owned()
    }

    fn check(bytes: &[u8], http: Option<&str>, want_text: &str, want_enc: &str, warned: bool) {
        let d = decode(bytes, http, Some("cn"));
        assert!(d.text.contains(want_text), "{:?}", d.text);
        assert_eq!(d.encoding.name(), want_enc);
        assert_eq!(!d.warnings.is_empty(), warned, "{:?}", d.warnings);
        assert!(!d.text.contains('\u{fffd}'));
    }

    #[test]
    fn declared_charsets_are_found() {
        assert_eq!(
            declared_charset(b"<html><head><META http-equiv=\"Content-Type\" content=\"text/html; charset=GB2312\">"),
            Some("gb2312".into())
        );
        assert_eq!(
            declared_charset(b"<meta charset='utf-8'>"),
            Some("utf-8".into())
        );
        assert_eq!(
            declared_charset(b"<?xml version=\"1.0\" encoding=\"GBK\"?><rss>"),
            Some("gbk".into())
        );
        assert_eq!(declared_charset(b"<html><meta name=x>"), None);
    }

    #[test]
    fn gb_family_reads_as_gb18030() {
        let mut page = b"<meta charset=gb2312><p>".to_vec();
        page.extend(gbk("中国科协召开会议，镕"));
        check(&page, None, "中国科协召开会议，镕", "gb18030", false);
    }

    #[test]
    fn http_charset_comes_first() {
        let page = gbk("<p>科技工作者之家</p>");
        check(&page, Some("GBK"), "科技工作者之家", "gb18030", false);
    }

    #[test]
    fn lying_declarations_are_overruled() {
        // declared UTF-8, bytes are GBK
        let mut page = b"<meta charset=utf-8><p>".to_vec();
        page.extend(gbk("全国学会学术交流活动在北京举行"));
        check(&page, None, "全国学会学术交流活动", "gb18030", true);
        // declared GBK, bytes are UTF-8
        let page = "<meta charset=gbk><p>典型案例汇编发布</p>".as_bytes();
        check(page, None, "典型案例汇编发布", "UTF-8", true);
        // declared ISO-8859-1, bytes are UTF-8
        let page = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss>先进事迹</rss>".as_bytes();
        check(page, None, "先进事迹", "UTF-8", true);
    }

    #[test]
    fn undeclared_bytes_are_detected() {
        check(
            "<p>没有声明的页面</p>".as_bytes(),
            None,
            "没有声明的页面",
            "UTF-8",
            false,
        );
        let page = gbk("<p>没有声明字符集的页面，内容是简体中文新闻稿件。</p>");
        check(&page, None, "没有声明字符集的页面", "gb18030", true);
        let big5 = encoding_rs::BIG5
            .encode("<p>繁體中文的新聞稿件，臺灣科學技術。</p>")
            .0;
        let d = decode(&big5, Some("big5"), None);
        assert!(d.text.contains("繁體中文的新聞稿件"));
    }

    #[test]
    fn bom_wins() {
        let mut page = vec![0xEF, 0xBB, 0xBF];
        page.extend("<meta charset=gbk>科协".as_bytes());
        let d = decode(&page, Some("gbk"), None);
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.ends_with("科协"));
    }

    #[test]
    fn garbage_is_lossy_but_never_panics() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let d = decode(&bytes, Some("utf-8"), None);
        assert!(!d.text.is_empty());
    }
}
