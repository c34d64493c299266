//! libFuzzer target: the check pass of templates and conditions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use playhook::template::{Engine, EngineOptions};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let engine = Engine::new(EngineOptions::default());
        let _ = engine.check_template(text);
        let _ = engine.check_expression(text);
    }
});
