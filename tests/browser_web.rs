//! The search page end to end in headless Chromium (Debian's `chromium`, installed by
//! `.ci/test`): a Chinese query, the results with their highlighted snippets, then an article;
//! screenshots of both go to `tests/artifacts/` for people to look at.

mod support;

use std::path::Path;

use support::*;

#[test]
fn an_analyst_searches_in_chinese_and_opens_an_article() {
    let dir = temp("browser-web");
    build(&dir);
    let srv = serve(state(&dir, None));
    let base = format!("http://{}", srv.addr);
    let profile = dir.join("chromium-profile");
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();

    // the search as the form submits it
    let search = format!("{base}/?q={}", enc("科普"));
    let dom = chromium(&profile, &["--dump-dom"], &search);
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    assert!(
        dom.contains("扎根山区三十年的乡村科技辅导员王建华"),
        "results listed"
    );
    assert!(
        dom.contains("<b>科普</b>"),
        "the snippet highlights the query"
    );
    assert!(dom.contains("典型人物"), "tag badges");
    let shot = artifacts.join("web-search.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        &profile,
        &[
            "--window-size=1200,1100",
            &format!("--screenshot={}", shot.display()),
        ],
        &search,
    );
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 30_000)
            .unwrap_or(false),
        "search screenshot"
    );

    // the first result's article page
    let at = dom.find("href=\"/articles/").expect("a link to an article");
    let link: String = dom[at + 6..].chars().take_while(|c| *c != '"').collect();
    let article = format!("{base}{link}");
    let dom = chromium(&profile, &["--dump-dom"], &article);
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    assert!(
        dom.contains("典型标签") && dom.contains("正文"),
        "the article page"
    );
    let shot = artifacts.join("web-article.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        &profile,
        &[
            "--window-size=1200,1400",
            &format!("--screenshot={}", shot.display()),
        ],
        &article,
    );
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 30_000)
            .unwrap_or(false),
        "article screenshot"
    );
}
