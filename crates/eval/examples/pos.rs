//! Prints the words and part-of-speech flags of each line of standard input.
use std::io::BufRead;

fn main() {
    let an = yuqing_text::Analyzer::builtin();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let words: Vec<String> = an
            .tag(&line)
            .into_iter()
            .map(|w| format!("{}/{}", w.text, w.pos))
            .collect();
        println!("{}", words.join(" "));
    }
}
