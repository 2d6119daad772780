//! Canonical article URLs: one spelling per article, so that an article is fetched and stored
//! once. Scheme and host are lowercased, default ports and fragments dropped, tracking
//! parameters (`utm_*`, `spm`, share markers) removed and the rest sorted. WeChat links are
//! reduced to what identifies the article: `/s/<id>`, or `__biz`, `mid`, `idx`, `sn`.

use url::Url;

const TRACKING: &[&str] = &[
    "spm",
    "spm_id_from",
    "fbclid",
    "gclid",
    "yclid",
    "mc_cid",
    "mc_eid",
    "share_source",
    "share_medium",
    "share_plat",
    "share_tag",
    "share_from",
    "shareid",
    "isappinstalled",
    "from_source",
    "wfr",
    "_hsenc",
    "_hsmi",
];

/// Whether a host is WeChat's article host.
pub fn is_wechat_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("mp.weixin.qq.com")
}

/// The canonical form of `url`, or `None` when it is not an absolute http(s) URL.
pub fn canonicalize(url: &str) -> Option<String> {
    let fixed = url
        .trim()
        .replace("&amp;", "&")
        .replace("\\x26amp;", "&")
        .replace("\\x26", "&");
    let mut u = Url::parse(&fixed).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return None;
    }
    u.set_fragment(None);
    if u.host_str().is_some_and(is_wechat_host) {
        return Some(wechat(u));
    }
    let mut pairs: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !k.starts_with("utm_") && !TRACKING.contains(&k.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    set_query(&mut u, &pairs);
    Some(u.to_string())
}

fn set_query(u: &mut Url, pairs: &[(String, String)]) {
    if pairs.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
}

fn wechat(mut u: Url) -> String {
    let _ = u.set_scheme("https");
    let path = u.path().trim_end_matches('/').to_string();
    if path.starts_with("/s/") && path.len() > 3 {
        u.set_query(None);
        return u.to_string();
    }
    let get = |names: &[&str]| -> Option<String> {
        u.query_pairs()
            .find(|(k, _)| names.contains(&k.as_ref()))
            .map(|(_, v)| v.into_owned())
    };
    let essential = [
        ("__biz", get(&["__biz"])),
        ("mid", get(&["mid", "appmsgid"])),
        ("idx", get(&["idx", "itemidx"])),
        ("sn", get(&["sn", "sign"])),
    ];
    let pairs: Vec<(String, String)> = if essential.iter().all(|(_, v)| v.is_some()) {
        essential
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect()
    } else {
        // temporary links keep the four values that make them work
        let temp = ["src", "timestamp", "ver", "signature"];
        u.query_pairs()
            .filter(|(k, _)| temp.contains(&k.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    };
    set_query(&mut u, &pairs);
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, want: &str) {
        assert_eq!(canonicalize(input).as_deref(), Some(want), "{input}");
    }

    #[test]
    fn ordinary_urls() {
        check(
            "HTTP://WWW.Example.ORG:80/a/b.html?utm_source=x&b=2&spm=1.2&a=1#top",
            "http://www.example.org/a/b.html?a=1&b=2",
        );
        check(
            "https://example.org:443/x?utm_medium=y",
            "https://example.org/x",
        );
        check("https://example.org:8443/x", "https://example.org:8443/x");
        assert_eq!(canonicalize("/relative/path"), None);
        assert_eq!(canonicalize("javascript:void(0)"), None);
    }

    #[test]
    fn wechat_links_are_reduced() {
        check(
            "http://mp.weixin.qq.com/s?__biz=MzA3MDM3NjE5NQ==&amp;mid=2650&amp;idx=1&amp;sn=abc&amp;chksm=ff&amp;scene=21#wechat_redirect",
            "https://mp.weixin.qq.com/s?__biz=MzA3MDM3NjE5NQ%3D%3D&mid=2650&idx=1&sn=abc",
        );
        check(
            "https://mp.weixin.qq.com/s?__biz=MzA3&appmsgid=7&itemidx=2&sign=zz&pass_ticket=q",
            "https://mp.weixin.qq.com/s?__biz=MzA3&mid=7&idx=2&sn=zz",
        );
        check(
            "https://mp.weixin.qq.com/s/AbCdEf123?scene=1&from=timeline",
            "https://mp.weixin.qq.com/s/AbCdEf123",
        );
        check(
            "https://mp.weixin.qq.com/s?src=11&timestamp=1&ver=2&signature=s&new=1",
            "https://mp.weixin.qq.com/s?src=11&timestamp=1&ver=2&signature=s",
        );
    }
}
