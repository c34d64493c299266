//! The fact script's framing: the shell prelude every script starts with, the snippets the
//! collectors contribute, and the split of the script's output into named raw sections.

use indexmap::IndexMap;

/// Starts each section of the script's output.
const MARKER: &str = "@@playhook-facts:";

/// Defined before any snippet: `ph_s NAME` starts section `NAME`; `ph_cat FILE` prints a file
/// with the shell's own `read`, so reading a file starts no program.
const PRELUDE: &str = r#"ph_s() { printf '@@playhook-facts:%s\n' "$1"; }
ph_cat() { while IFS= read -r ph_l || [ -n "$ph_l" ]; do printf '%s\n' "$ph_l"; done < "$1"; } 2>/dev/null
"#;

/// A piece of the fact script: shell text that prints one or more sections (`ph_s NAME` then
/// the raw text). Several collectors may read the same snippet; it runs once.
#[derive(Debug)]
pub struct Snippet {
    /// Identifies the snippet, so that the script holds it once.
    pub name: &'static str,
    /// The shell text.
    pub script: &'static str,
}

/// The whole script for the given snippets, in order, each once.
pub fn script<'a>(snippets: impl IntoIterator<Item = &'a Snippet>) -> String {
    let mut text = PRELUDE.to_string();
    let mut seen = Vec::new();
    for snippet in snippets {
        if seen.contains(&snippet.name) {
            continue;
        }
        seen.push(snippet.name);
        text.push_str(snippet.script);
        if !snippet.script.ends_with('\n') {
            text.push('\n');
        }
    }
    text.push_str("true\n");
    text
}

/// The script's output cut at the section markers.
#[derive(Debug, Default)]
pub struct Sections(IndexMap<String, String>);

impl Sections {
    /// Splits the script's output.
    pub fn split(output: &str) -> Sections {
        let mut sections = IndexMap::new();
        let mut current: Option<(String, String)> = None;
        for line in output.split_inclusive('\n') {
            if let Some(name) = line.trim_end_matches('\n').strip_prefix(MARKER) {
                if let Some((n, body)) = current.take() {
                    sections.insert(n, body);
                }
                current = Some((name.to_string(), String::new()));
            } else if let Some((_, body)) = current.as_mut() {
                body.push_str(line);
            }
        }
        if let Some((n, body)) = current {
            sections.insert(n, body);
        }
        Sections(sections)
    }

    /// The text of section `name`, empty when the script did not print it.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }

    /// Whether the script printed section `name` at all.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_once_and_sections_split() {
        let a = Snippet {
            name: "a",
            script: "ph_s a; echo 1",
        };
        let text = script([&a, &a]);
        assert_eq!(text.matches("ph_s a").count(), 1);
        let s = Sections::split("junk\n@@playhook-facts:a\n1\n2\n@@playhook-facts:b\n");
        assert_eq!(s.get("a"), "1\n2\n");
        assert!(s.has("b") && s.get("b").is_empty());
        assert!(!s.has("c"));
    }
}
