//! Fuzz target: arbitrary bytes read as a article page must give a result or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yuqing_extract::{Input, extract};
use yuqing_model::SourceKind;

fuzz_target!(|data: &[u8]| {
    let input = Input {
        kind: Some(SourceKind::Html),
        ..Input::new(data, "https://fuzz.example.cn/a/202504/t20250424_1.html")
    };
    let _ = extract(&input);
});
