//! `yuqing extract` run as the real binary on the extraction fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/extract/tests/fixtures")
        .join(name)
}

fn yuqing(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .expect("run yuqing");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn article_json_has_the_documented_shape() {
    let file = fixture("official_article_gbk.html");
    let (code, out, err) = yuqing(&[
        "extract",
        file.to_str().unwrap(),
        "--url",
        "http://scitech.people.com.cn/n1/2017/1108/c1007-29634.html",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "url",
        "kind",
        "title",
        "published_at",
        "author",
        "site_name",
        "body",
        "links",
        "warnings",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {out}");
    }
    assert_eq!(v["kind"], "html");
    assert_eq!(v["published_at"], "2017-11-08T10:30:00+08:00");
    assert!(v["body"].as_str().unwrap().contains("青藏高原"));
}

#[test]
fn feed_json_lists_entries() {
    let file = fixture("feed_gbk_undeclared.xml");
    let (code, out, _) = yuqing(&[
        "extract",
        file.to_str().unwrap(),
        "--kind",
        "feed",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
    assert_eq!(v["entries"][0]["title"], "全国学会学术交流活动在京举行");
}

#[test]
fn list_mode_and_human_output() {
    let file = fixture("list_official.html");
    let (code, out, _) = yuqing(&[
        "extract",
        file.to_str().unwrap(),
        "--url",
        "http://www.example-kx.org.cn/kxyw/index.html",
        "--list",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("文章链接 (article links): 5"), "{out}");
    assert!(
        out.contains("下一页 (next page): http://www.example-kx.org.cn/kxyw/index_1.html"),
        "{out}"
    );

    let file = fixture("wechat_deleted.html");
    let (code, out, _) = yuqing(&[
        "extract",
        file.to_str().unwrap(),
        "--url",
        "https://mp.weixin.qq.com/s/x",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("已删除 (deleted): https://mp.weixin.qq.com/s/x"),
        "{out}"
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let (code, _, err) = yuqing(&["extract", "no-such-file.html"]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot read no-such-file.html"), "{err}");
    let empty = std::env::temp_dir().join(format!("yuqing-empty-{}.html", std::process::id()));
    std::fs::write(&empty, "").unwrap();
    let (code, _, err) = yuqing(&["extract", empty.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("the page is empty"), "{err}");
    std::fs::remove_file(empty).ok();
}

#[test]
fn eval_refuses_unknown_folders() {
    let (code, _, err) = yuqing(&["eval", "extract", "crates"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a known corpus"), "{err}");
}

/// A UTF-16 feed without a byte-order mark (and a UTF-32 one) is read, not a crash.
#[test]
fn wide_feeds_without_a_byte_order_mark() {
    let feed = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<rss version=\"2.0\"><channel><title>省科协</title><link>http://a.example.org/</link><item><title>全国科普日主场活动举行</title><link>http://a.example.org/1.html</link><description>省科协举办科普日活动。</description></item></channel></rss>";
    let dir = std::env::temp_dir().join(format!("yuqing-wide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let le16: Vec<u8> = feed.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be32: Vec<u8> = feed
        .chars()
        .flat_map(|c| u32::from(c).to_be_bytes())
        .collect();
    for (name, bytes) in [("utf16le.xml", le16), ("utf32be.xml", be32)] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let (code, out, err) = yuqing(&[
            "extract",
            path.to_str().unwrap(),
            "--kind",
            "feed",
            "--json",
        ]);
        assert_eq!(code, 0, "{name}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["entries"][0]["title"], "全国科普日主场活动举行", "{name}");
    }
    std::fs::remove_dir_all(dir).ok();
}
