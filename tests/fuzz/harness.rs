//! The fuzzing harness: seeds from the test corpora, mutations of them as proptest strategies,
//! the case budget, and the checks every parser's error must pass.
//!
//! `PLAYHOOK_FUZZ_CASES` sets the number of cases per property (default [`DEFAULT_CASES`]);
//! a failure is shrunk to a small input and printed by proptest.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per property when `PLAYHOOK_FUZZ_CASES` is not set: the whole family runs in well
/// under a minute on two cores in a debug build.
pub const DEFAULT_CASES: u32 = 200;

/// The case budget: `PLAYHOOK_FUZZ_CASES`, else [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    std::env::var("PLAYHOOK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// proptest's configuration: the budget, no failure files written into the source tree.
pub fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file of the corpora (tests/corpus, tests/fixtures, examples), once.
fn corpus() -> &'static [PathBuf] {
    static FILES: OnceLock<Vec<PathBuf>> = OnceLock::new();
    FILES.get_or_init(|| {
        let mut files = Vec::new();
        for dir in ["tests/corpus", "tests/fixtures", "examples"] {
            walk(&root().join(dir), &mut files);
        }
        files.sort();
        files
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

/// The corpus files `keep` accepts, read (small ones only), plus `extra` texts.
pub fn seeds(keep: impl Fn(&Path) -> bool, extra: &[&str]) -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = corpus()
        .iter()
        .filter(|p| keep(p))
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|b| b.len() <= 16 * 1024)
        .collect();
    seeds.extend(extra.iter().map(|s| s.as_bytes().to_vec()));
    assert!(!seeds.is_empty(), "no seeds");
    seeds
}

/// Whether `path` has one of these extensions.
pub fn ext(path: &Path, exts: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.contains(&e))
}

/// Tokens the mutator inserts: structure, YAML, Jinja and INI syntax, huge and odd numbers,
/// invalid UTF-8 and control bytes.
const TOKENS: &[&[u8]] = &[
    b"\n",
    b"\n  ",
    b"- ",
    b": ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"[[[[[[[[[[[[[[[[",
    b"{{{{{{{{",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"!!binary ",
    b"!unsafe ",
    b"!!python/object ",
    b"? ",
    b"---\n",
    b"...\n",
    b"\"",
    b"'",
    b"\\",
    b"#",
    b"%YAML 1.1\n",
    b"\t",
    b"\r\n",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xf0\x9f\x92",
    b"\xe2\x80\xae",
    b"99999999999999999999999999999999",
    b"-9223372036854775809",
    b"1e999",
    b"0x",
    b"0o777777777777777777777",
    b".inf",
    b"-0",
    b"NaN",
    b"{{ ",
    b" }}",
    b"{%",
    b"%}",
    b"{#",
    b"#}",
    b"{% for x in y %}",
    b"{% endfor %}",
    b"{% if %}",
    b"| default(",
    b"|",
    b"[0:",
    b"[-1]",
    b"[99999999999999999999]",
    b"=",
    b"k=v ",
    b"k='v ",
    b"\\\"",
    b"[group]\n",
    b"[group:children]\n",
    b"[group:vars]\n",
    b"host[1:99999999]",
    b"host[a:",
    b"host[01:10:0]",
    b"ansible_port=",
    b":&",
    b":!",
    b"~(",
    b"*",
    b"?",
    b",",
    b"@",
    b"$ANSIBLE_VAULT;",
    b"ENC[",
    b"_playhook:",
    b"sops:",
    b"null",
    b"~",
    b"true",
    b"yes",
    b"0644",
];

/// One change to an input; positions and indexes are taken modulo what they index.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Replace the byte at a position.
    Set(usize, u8),
    /// Flip one bit.
    Flip(usize, u8),
    /// Cut the input at a position.
    Truncate(usize),
    /// Remove up to `len` bytes.
    Delete(usize, usize),
    /// Insert a token.
    Token(usize, usize),
    /// Insert a slice of another seed (seed, from, len, at).
    Splice(usize, usize, usize, usize),
    /// Repeat a slice many times (from, len, times): deep nesting, long lines.
    Repeat(usize, usize, u16),
    /// Wrap everything in `n` levels of `[...]` or `{a: ...}` or `- ` indentation.
    Nest(u8, u16),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Set(p, b)),
        3 => (any::<usize>(), 0u8..8).prop_map(|(p, b)| Mutation::Flip(p, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        2 => (any::<usize>(), 1usize..64).prop_map(|(p, l)| Mutation::Delete(p, l)),
        5 => (any::<usize>(), any::<usize>()).prop_map(|(p, t)| Mutation::Token(p, t)),
        2 => (any::<usize>(), any::<usize>(), 1usize..512, any::<usize>())
            .prop_map(|(s, f, l, a)| Mutation::Splice(s, f, l, a)),
        1 => (any::<usize>(), 1usize..32, 2u16..2000).prop_map(|(f, l, t)| Mutation::Repeat(f, l, t)),
        1 => (0u8..3, 1u16..3000).prop_map(|(k, n)| Mutation::Nest(k, n)),
    ]
}

fn at(pos: usize, len: usize) -> usize {
    if len == 0 { 0 } else { pos % (len + 1) }
}

/// Applies `muts` to `input`, splicing from `seeds`.
pub fn apply(mut input: Vec<u8>, muts: &[Mutation], seeds: &[Vec<u8>]) -> Vec<u8> {
    for m in muts {
        let len = input.len();
        match *m {
            Mutation::Set(p, b) if len > 0 => input[p % len] = b,
            Mutation::Flip(p, bit) if len > 0 => input[p % len] ^= 1 << bit,
            Mutation::Set(..) | Mutation::Flip(..) => {}
            Mutation::Truncate(p) => input.truncate(at(p, len)),
            Mutation::Delete(p, l) => {
                let from = at(p, len);
                input.drain(from..(from + l).min(len));
            }
            Mutation::Token(p, t) => {
                let tok = TOKENS[t % TOKENS.len()];
                let p = at(p, len);
                input.splice(p..p, tok.iter().copied());
            }
            Mutation::Splice(s, f, l, a) => {
                let other = &seeds[s % seeds.len()];
                let from = at(f, other.len());
                let piece = other[from..(from + l).min(other.len())].to_vec();
                let a = at(a, len);
                input.splice(a..a, piece);
            }
            Mutation::Repeat(f, l, times) if len > 0 => {
                let from = f % len;
                let piece = input[from..(from + l).min(len)].to_vec();
                let mut grown = Vec::with_capacity(piece.len() * times as usize);
                for _ in 0..times {
                    grown.extend_from_slice(&piece);
                }
                input.splice(from..from, grown);
            }
            Mutation::Repeat(..) => {}
            Mutation::Nest(kind, n) => {
                let n = n as usize;
                let (open, close): (&[u8], &[u8]) = match kind {
                    0 => (b"[", b"]"),
                    1 => (b"{a: ", b"}"),
                    _ => (b"- ", b""),
                };
                let mut nested = open.repeat(n);
                nested.extend_from_slice(&input);
                nested.extend_from_slice(&close.repeat(n));
                input = nested;
            }
        }
        if input.len() > 256 * 1024 {
            input.truncate(256 * 1024);
        }
    }
    input
}

/// A mutated seed: a seed unchanged, or with a few mutations.
pub fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    (0..n, proptest::collection::vec(mutation(), 0..6))
        .prop_map(move |(i, muts)| apply(seeds[i].clone(), &muts, &seeds))
}

/// [`mutated`] as text (invalid UTF-8 replaced), for parsers that take `&str`.
pub fn mutated_text(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = String> {
    mutated(seeds).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Checks an error's message as the user reads it (the whole cause chain on one line, as
/// `playhook` prints it): not empty, on one line when `one_line`, naming every `must_name`.
pub fn check_message(
    err: &(dyn std::error::Error + 'static),
    one_line: bool,
    must_name: &[&str],
) -> Result<(), TestCaseError> {
    let text = playhook::error_chain::render(err);
    prop_assert!(!text.trim().is_empty(), "an empty error message");
    for name in must_name {
        prop_assert!(
            text.contains(name),
            "the error does not name `{}`: {}",
            name,
            text
        );
    }
    if one_line {
        let own = err.to_string();
        prop_assert!(!own.trim_end().contains('\n'), "a multi-line error: {:?}", own);
    }
    Ok(())
}

/// Whether a message names a line of `file` (`file:LINE`).
pub fn names_line(text: &str, file: &str) -> bool {
    text.match_indices(file).any(|(i, _)| {
        let rest = &text[i + file.len()..];
        rest.strip_prefix(':')
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    })
}
