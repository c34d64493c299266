//! libFuzzer target: what a pusher sends the hook: `playhook.yaml`, stdin lines, push options.
#![no_main]

use libfuzzer_sys::fuzz_target;
use playhook::hook::config::HookConfig;
use playhook::hook::push_options::PushOptions;
use playhook::hook::run::{decide, parse_updates};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let config = HookConfig::parse(&text, std::path::Path::new("playhook.yaml"))
        .unwrap_or_else(|_| HookConfig::defaults());
    if let Ok(updates) = parse_updates(&text) {
        let _ = decide(&config, &updates);
    }
    let options: Vec<String> = text.lines().map(str::to_string).collect();
    let _ = PushOptions::parse(&options);
});
