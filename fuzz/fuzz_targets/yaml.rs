//! libFuzzer target: the YAML loader (every playbook, role, vars file and YAML inventory).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let path = std::path::Path::new("fuzz.yml");
        if let Ok(docs) = playhook::yaml::load_all_str(text, path) {
            for doc in docs.into_iter().flatten() {
                let _ = doc.to_value();
            }
        }
    }
});
