//! `yuqing segment`: the project's dictionaries against jieba's default one.

use std::io::Write;
use std::process::{Command, Stdio};

fn segment(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yuqing"))
        .arg("segment")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_user_dictionary_keeps_domain_words_whole() {
    let text = "中国科协召开学习宣传贯彻党的十九大精神座谈会\n\n最美科技工作者李秀兰";
    let (code, ours, _) = segment(&[], text);
    assert_eq!(code, 0);
    let lines: Vec<&str> = ours.lines().collect();
    assert_eq!(lines.len(), 3, "one output line per input line");
    assert!(lines[0].split(' ').any(|w| w == "十九大"), "{ours}");
    assert_eq!(lines[1], "");
    let (code, plain, err) = segment(&["--plain", "--stats"], text);
    assert_eq!(code, 0);
    assert!(plain.lines().next().unwrap().contains("十九 大"), "{plain}");
    assert!(err.contains("MB/s"), "{err}");
    let (code, _, err) = segment(&["no-such-file.txt"], "");
    assert_eq!(code, 2);
    assert!(err.contains("cannot read no-such-file.txt"), "{err}");
}
