//! Fuzz target: arbitrary bytes read as a list page (HTML, jpaas answer) must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yuqing_extract::{Input, extract_list};

fuzz_target!(|data: &[u8]| {
    let _ = extract_list(&Input::new(data, "https://fuzz.example.cn/xw/index.html"));
});
