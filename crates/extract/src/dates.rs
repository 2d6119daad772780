//! Chinese (and ISO) dates in text, meta values and URLs, as `+08:00` times.
//!
//! Understood: `2017年11月8日`, `2017年11月08日 10:30`, `2019年06月15日08:18`, `2017-11-08 10:30:05`,
//! `2017-11-08-10:30:05`, `2017/11/8`, `2017.11.08`, RFC 3339 with or without an offset, and the
//! relative forms `刚刚`, `3分钟前`, `3小时前`, `2天前`, `今天 10:20`, `昨天 10:20`, `前天`,
//! which need the fetch time. URLs give dates through `/202504/t20250424_…`, `/2017-11/08/`,
//! `/2017/1108/`, `/20171108/` and `/art/2024/2/8/`.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use regex::Regex;

/// China Standard Time, the offset of every date yuqing reports.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

static ABSOLUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?P<y>(?:19|20)\d{2})\s*(?:年|-|/|\.)\s*(?P<m>\d{1,2})\s*(?:月|-|/|\.)\s*(?P<d>\d{1,2})(?:\s*日)?
        (?:
            (?:\s*|T|-)
            (?P<h>\d{1,2})\s*(?::|：|时|点)\s*(?P<mi>\d{1,2})
            (?:\s*(?::|：|分)\s*(?P<s>\d{1,2})(?:\.\d+)?)?
            (?:\s*(?P<tz>Z|[+-]\d{2}:?\d{2}))?
        )?",
    )
    .expect("valid regex")
});

/// `9/17/2004 5:54:13 AM`: month first, as such stamps are written by US-configured servers.
static US_STAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)\d{2})\s+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ap>AM|PM|am|pm)")
        .expect("valid regex")
});

static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?P<n>\d+)\s*(?P<unit>秒|分钟|小时|天|周|个月)前|(?P<now>刚刚)|(?P<day>今天|昨天|前天)\s*(?:(?P<h>\d{1,2})\s*[:：]\s*(?P<mi>\d{2}))?",
    )
    .expect("valid regex")
});

fn to_china(dt: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    dt.with_timezone(&china())
}

fn build(
    y: i32,
    m: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    tz: Option<&str>,
) -> Option<DateTime<FixedOffset>> {
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    let time = NaiveTime::from_hms_opt(h, mi, s)?;
    let naive = NaiveDateTime::new(date, time);
    let offset = match tz {
        None => china(),
        Some("Z") => FixedOffset::east_opt(0)?,
        Some(tz) => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            let digits: String = tz.chars().filter(char::is_ascii_digit).collect();
            let hours: i32 = digits.get(..2)?.parse().ok()?;
            let minutes: i32 = digits.get(2..4)?.parse().ok()?;
            FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))?
        }
    };
    let dt = offset.from_local_datetime(&naive).single()?;
    Some(to_china(dt))
}

/// One absolute date found in text: its byte range and value.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundDate {
    pub start: usize,
    pub end: usize,
    pub value: DateTime<FixedOffset>,
    /// Whether the text gave a time of day.
    pub has_time: bool,
}

/// Every absolute date in `text`, in order.
pub fn find_dates(text: &str) -> Vec<FoundDate> {
    let mut out: Vec<FoundDate> = US_STAMP
        .captures_iter(text)
        .filter_map(|c| {
            let num = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<u32>().ok());
            let mut h = num("h")?;
            let pm = c
                .name("ap")
                .is_some_and(|m| m.as_str().eq_ignore_ascii_case("pm"));
            if h > 12 {
                return None;
            }
            if pm && h < 12 {
                h += 12;
            } else if !pm && h == 12 {
                h = 0;
            }
            let value = build(
                num("y")? as i32,
                num("m")?,
                num("d")?,
                h,
                num("mi")?,
                num("s").unwrap_or(0),
                None,
            )?;
            let whole = c.get(0)?;
            Some(FoundDate {
                start: whole.start(),
                end: whole.end(),
                value,
                has_time: true,
            })
        })
        .collect();
    out.extend(absolute_dates(text));
    out.sort_by_key(|f| f.start);
    out
}

fn absolute_dates(text: &str) -> Vec<FoundDate> {
    ABSOLUTE
        .captures_iter(text)
        .filter_map(|c| {
            let num = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<u32>().ok());
            // separators must agree: 年…月, or the same '-', '/' or '.' twice without spaces
            let (ym, md) = (c.name("y")?, c.name("m")?);
            let sep1 = &text[ym.end()..md.start()];
            let sep2 = &text[md.end()..c.name("d")?.start()];
            let consistent = (sep1.trim() == "年" && sep2.trim() == "月")
                || (sep1 == sep2 && matches!(sep1, "-" | "/" | "."));
            if !consistent {
                return None;
            }
            let y = num("y")? as i32;
            let has_time = c.name("h").is_some();
            let value = build(
                y,
                num("m")?,
                num("d")?,
                num("h").unwrap_or(0),
                num("mi").unwrap_or(0),
                num("s").unwrap_or(0),
                c.name("tz").map(|m| m.as_str()),
            )?;
            let whole = c.get(0)?;
            Some(FoundDate {
                start: whole.start(),
                end: whole.end(),
                value,
                has_time,
            })
        })
        .collect()
}

/// The first date in `text`: absolute, or relative to `now` when given.
pub fn parse_date(text: &str, now: Option<DateTime<FixedOffset>>) -> Option<DateTime<FixedOffset>> {
    if let Some(found) = find_dates(text).into_iter().next() {
        return Some(found.value);
    }
    if let Some(ts) = unix_timestamp(text) {
        return Some(ts);
    }
    parse_relative(text, now?)
}

/// A bare Unix timestamp in seconds or milliseconds (WeChat's `ct`, JSON APIs).
pub fn unix_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    let t = text.trim();
    if !(9..=13).contains(&t.len()) || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut n: i64 = t.parse().ok()?;
    if t.len() == 13 {
        n /= 1000;
    }
    // 2000-01-01 .. 2100-01-01
    if !(946_684_800..4_102_444_800).contains(&n) {
        return None;
    }
    DateTime::from_timestamp(n, 0).map(|d| d.with_timezone(&china()))
}

/// `3小时前`, `昨天 10:20`, `前天`, `刚刚` against the fetch time `now`.
pub fn parse_relative(text: &str, now: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    let c = RELATIVE.captures(text)?;
    let now = to_china(now);
    if c.name("now").is_some() {
        return Some(now);
    }
    if let (Some(n), Some(unit)) = (c.name("n"), c.name("unit")) {
        let n: i64 = n.as_str().parse().ok()?;
        let delta = match unit.as_str() {
            "秒" => Duration::seconds(n),
            "分钟" => Duration::minutes(n),
            "小时" => Duration::hours(n),
            "天" => Duration::days(n),
            "周" => Duration::weeks(n),
            _ => Duration::days(30 * n),
        };
        return now.checked_sub_signed(delta);
    }
    let back = match c.name("day")?.as_str() {
        "今天" => 0,
        "昨天" => 1,
        _ => 2,
    };
    let day = now.date_naive() - Duration::days(back);
    let h = c
        .name("h")
        .and_then(|m| m.as_str().parse().ok())
        .unwrap_or(0);
    let mi = c
        .name("mi")
        .and_then(|m| m.as_str().parse().ok())
        .unwrap_or(0);
    let naive = day.and_hms_opt(h, mi, 0)?;
    china().from_local_datetime(&naive).single()
}

static URL_PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // /202504/t20250424_419135.html, /t20250424_…
        r"/t(?P<y>20\d{2})(?P<m>\d{2})(?P<d>\d{2})_",
        // /2017-11/08/
        r"/(?P<y>20\d{2})-(?P<m>\d{2})/(?P<d>\d{2})/",
        // /art/2024/2/8/ and /2017/11/08/
        r"/(?P<y>20\d{2})/(?P<m>\d{1,2})/(?P<d>\d{1,2})/",
        // /2017/1108/
        r"/(?P<y>20\d{2})/(?P<m>\d{2})(?P<d>\d{2})/",
        // /20171108/ and /20171108-…, news.cn /20250424/<hex>/c.html
        r"/(?P<y>20\d{2})(?P<m>\d{2})(?P<d>\d{2})(?:/|-|_)",
        // /2017-11-08/
        r"/(?P<y>20\d{2})-(?P<m>\d{2})-(?P<d>\d{2})(?:/|\.|_)",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("valid regex"))
    .collect()
});

/// The publication day a URL encodes, if any (midnight, +08:00).
pub fn date_from_url(url: &str) -> Option<DateTime<FixedOffset>> {
    URL_PATTERNS.iter().find_map(|re| {
        let c = re.captures(url)?;
        let num = |k: &str| c.name(k)?.as_str().parse::<u32>().ok();
        build(num("y")? as i32, num("m")?, num("d")?, 0, 0, 0, None)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(text: &str, want: Option<&str>) {
        let now = china().with_ymd_and_hms(2026, 11, 29, 15, 30, 0).unwrap();
        let got = parse_date(text, Some(now)).map(|d| d.to_rfc3339());
        assert_eq!(got.as_deref(), want, "{text}");
    }

    #[test]
    fn absolute_forms() {
        check("2017年11月8日", Some("2017-11-08T00:00:00+08:00"));
        check(
            "发布时间：2017年11月08日 10:30",
            Some("2017-11-08T10:30:00+08:00"),
        );
        check(
            "2019年06月15日08:18 来源：人民网",
            Some("2019-06-15T08:18:00+08:00"),
        );
        check(
            "时间：2017-11-08 10:30:05",
            Some("2017-11-08T10:30:05+08:00"),
        );
        check("2017-11-08-10:30:05", Some("2017-11-08T10:30:05+08:00"));
        check("日期: 2017/11/8", Some("2017-11-08T00:00:00+08:00"));
        check("2017.11.08", Some("2017-11-08T00:00:00+08:00"));
        check("2025-04-24 09:05", Some("2025-04-24T09:05:00+08:00"));
        check("2021年3月5日　14时20分", Some("2021-03-05T14:20:00+08:00"));
        check("2017-11-08T02:30:00Z", Some("2017-11-08T10:30:00+08:00"));
        check(
            "2017-11-08T10:30:00+08:00",
            Some("2017-11-08T10:30:00+08:00"),
        );
        check(
            "2017-11-08T10:30:00.000-0500",
            Some("2017-11-08T23:30:00+08:00"),
        );
        check("1510108200", Some("2017-11-08T10:30:00+08:00"));
        check(
            "发布日期： 9/17/2004 5:54:13 PM",
            Some("2004-09-17T17:54:13+08:00"),
        );
        check("12/01/2004 - 01/01/2005", None);
    }

    #[test]
    fn impossible_dates_are_refused() {
        check("2017年13月8日", None);
        check("2017-02-30", None);
        check("1850年1月1日", None);
        check("电话 010-12345678", None);
        check("", None);
    }

    #[test]
    fn relative_forms() {
        check("3小时前", Some("2026-11-29T12:30:00+08:00"));
        check("15分钟前", Some("2026-11-29T15:15:00+08:00"));
        check("昨天 10:20", Some("2026-11-28T10:20:00+08:00"));
        check("前天", Some("2026-11-27T00:00:00+08:00"));
        check("今天 08:05", Some("2026-11-29T08:05:00+08:00"));
        check("刚刚", Some("2026-11-29T15:30:00+08:00"));
        check("2天前", Some("2026-11-27T15:30:00+08:00"));
        assert_eq!(
            parse_date("昨天", None),
            None,
            "relative needs a fetch time"
        );
    }

    #[test]
    fn url_forms() {
        let day = |u: &str| date_from_url(u).map(|d| d.date_naive().to_string());
        assert_eq!(
            day("https://www.ccdi.gov.cn/yaowenn/202504/t20250424_419135.html").as_deref(),
            Some("2025-04-24")
        );
        assert_eq!(
            day("http://www.xinhuanet.com/2017-11/08/c_1121923.htm").as_deref(),
            Some("2017-11-08")
        );
        assert_eq!(
            day("https://www.zast.org.cn/art/2024/8/26/art_1673864_58973805.html").as_deref(),
            Some("2024-08-26")
        );
        assert_eq!(
            day("http://politics.people.com.cn/n1/2017/1108/c1001-29634.html").as_deref(),
            Some("2017-11-08")
        );
        assert_eq!(
            day("https://www.news.cn/politics/20250424/0a1b2c/c.html").as_deref(),
            Some("2025-04-24")
        );
        assert_eq!(day("https://www.cast.org.cn/xw/KXYW/index.html"), None);
    }

    #[test]
    fn finds_every_date_with_positions() {
        let text = "相关：2016-01-02 正文 发布时间：2017年11月8日 10:30";
        let found = find_dates(text);
        assert_eq!(found.len(), 2);
        assert!(!found[0].has_time);
        assert!(found[1].has_time);
        assert_eq!(&text[found[1].start..found[1].end], "2017年11月8日 10:30");
    }

    proptest! {
        #[test]
        fn formatted_dates_parse_back(
            y in 1990i32..2100, m in 1u32..=12, d in 1u32..=28, h in 0u32..24, mi in 0u32..60, s in 0u32..60,
            style in 0usize..5,
        ) {
            let text = match style {
                0 => format!("{y}年{m}月{d}日 {h:02}:{mi:02}:{s:02}"),
                1 => format!("{y}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
                2 => format!("发布时间：{y}/{m}/{d} {h}:{mi:02}:{s:02}"),
                3 => format!("{y}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}+08:00"),
                _ => format!("{y}.{m:02}.{d:02}-{h:02}:{mi:02}:{s:02}"),
            };
            let got = parse_date(&text, None).expect("parses");
            let want = china().with_ymd_and_hms(y, m, d, h, mi, s).unwrap();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let now = china().with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
            let _ = parse_date(&text, Some(now));
            let _ = date_from_url(&text);
        }
    }
}
