//! The metrics scraped over HTTP from `playhook agent serve`, parsed by a strict reader of the
//! Prometheus text format (0.0.4), and the same text in the node_exporter textfile.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use playhook::agent::metrics::{self, MetricsConfig};
use playhook::agent::report::{Comparison, PassReport, PassResult};
use playhook::output::Counts;

use super::serve::{Served, request, state_dir};

/// One sample: its labels and value.
#[derive(Debug, PartialEq)]
struct Sample {
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A family: its type and samples.
#[derive(Debug, Default)]
struct Family {
    kind: String,
    help: bool,
    samples: Vec<Sample>,
}

fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    !name.starts_with("__")
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `{a="x",b="y"}` after the name; the labels and the rest of the line.
fn parse_labels(text: &str, line: &str) -> (BTreeMap<String, String>, String) {
    let mut labels = BTreeMap::new();
    let mut rest = text.strip_prefix('{').expect("labels open with {");
    loop {
        if let Some(r) = rest.strip_prefix('}') {
            return (labels, r.to_string());
        }
        let (name, r) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("label without =\": {line}"));
        assert!(valid_label_name(name), "bad label name `{name}`: {line}");
        let mut value = String::new();
        let mut chars = r.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => panic!("bad escape {other:?}: {line}"),
                },
                Some((i, '"')) => break i,
                Some((_, '\n')) | None => panic!("unterminated label value: {line}"),
                Some((_, c)) => value.push(c),
            }
        };
        assert!(
            labels.insert(name.to_string(), value).is_none(),
            "duplicate label {name}: {line}"
        );
        rest = &r[end + 1..];
        if let Some(r) = rest.strip_prefix(',') {
            rest = r;
        } else {
            assert!(
                rest.starts_with('}'),
                "labels must be separated by commas: {line}"
            );
        }
    }
}

/// Reads the exposition, failing on anything the format does not allow.
fn parse_exposition(text: &str) -> BTreeMap<String, Family> {
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut closed: BTreeSet<String> = BTreeSet::new();
    let mut open = |name: &str, current: &mut Option<String>| {
        if current.as_deref() != Some(name) {
            if let Some(prev) = current.take() {
                closed.insert(prev);
            }
            assert!(!closed.contains(name), "family {name} is not contiguous");
            *current = Some(name.to_string());
        }
    };
    for line in text.lines() {
        assert!(!line.is_empty(), "an empty line");
        if let Some(rest) = line.strip_prefix("# ") {
            let mut words = rest.splitn(3, ' ');
            let keyword = words.next().unwrap_or_default();
            let name = words.next().unwrap_or_default();
            let arg = words.next().unwrap_or_default();
            assert!(valid_metric_name(name), "bad name in `{line}`");
            open(name, &mut current);
            let family = families.entry(name.to_string()).or_default();
            match keyword {
                "HELP" => {
                    assert!(!family.help, "second HELP for {name}");
                    assert!(!arg.is_empty(), "empty HELP for {name}");
                    family.help = true;
                }
                "TYPE" => {
                    assert!(family.kind.is_empty(), "second TYPE for {name}");
                    assert!(family.samples.is_empty(), "TYPE after samples of {name}");
                    assert!(
                        ["counter", "gauge", "untyped", "histogram", "summary"].contains(&arg),
                        "bad type `{arg}`"
                    );
                    family.kind = arg.to_string();
                }
                _ => panic!("unknown comment keyword: {line}"),
            }
            continue;
        }
        assert!(!line.starts_with('#'), "a comment without a space: {line}");
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        let name = &line[..name_end];
        assert!(valid_metric_name(name), "bad metric name: {line}");
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..], line)
        } else {
            (BTreeMap::new(), line[name_end..].to_string())
        };
        let rest = rest
            .strip_prefix(' ')
            .unwrap_or_else(|| panic!("no space before the value: {line}"));
        let mut parts = rest.split(' ');
        let value = parts.next().unwrap_or_default();
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value `{v}`: {line}")),
        };
        if let Some(ts) = parts.next() {
            ts.parse::<i64>()
                .unwrap_or_else(|_| panic!("bad timestamp: {line}"));
        }
        assert!(parts.next().is_none(), "trailing text: {line}");
        open(name, &mut current);
        let family = families
            .get_mut(name)
            .unwrap_or_else(|| panic!("sample of {name} before its TYPE"));
        assert!(!family.kind.is_empty(), "sample of {name} before its TYPE");
        if family.kind == "counter" {
            assert!(name.ends_with("_total"), "counter {name} does not end in _total");
            assert!(value >= 0.0, "negative counter {name}");
        }
        assert!(
            !family.samples.iter().any(|s| s.labels == labels),
            "duplicate series: {line}"
        );
        family.samples.push(Sample { labels, value });
    }
    for (name, family) in &families {
        assert!(
            family.help && !family.kind.is_empty(),
            "{name} lacks HELP or TYPE"
        );
        assert!(!family.samples.is_empty(), "{name} has no sample");
    }
    families
}

fn value(families: &BTreeMap<String, Family>, name: &str) -> f64 {
    let f = families.get(name).unwrap_or_else(|| panic!("no {name}"));
    assert_eq!(f.samples.len(), 1, "{name}");
    f.samples[0].value
}

fn pass(result: PassResult, applied: Option<&str>, started_ms: i64) -> PassReport {
    let mut counts = BTreeMap::new();
    counts.insert(
        "web\"1".to_string(),
        Counts {
            ok: 4,
            changed: 2,
            failed: u32::from(result == PassResult::Failed),
            ..Counts::default()
        },
    );
    PassReport {
        host: "web\"1".into(),
        branch: "main".into(),
        fetched: applied.map(String::from),
        previous: None,
        applied: applied.map(String::from),
        comparison: Some(Comparison::FastForward),
        result,
        mode: "real".into(),
        started_unix_ms: started_ms,
        duration_secs: 1.25,
        counts,
        drift: vec![],
        frozen: false,
        error: None,
        log: String::new(),
    }
}

fn scrape(s: &Served) -> (String, BTreeMap<String, Family>) {
    let a = request("GET", &format!("{}/metrics", s.url), &[], b"");
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let families = parse_exposition(&a.body);
    (a.body, families)
}

#[test]
fn metrics_are_served_in_the_exposition_format_and_match_the_textfile() {
    let s = Served::start("", true, &[]);
    let (_, before) = scrape(&s);
    assert_eq!(value(&before, "playhook_agent_runs_total"), 0.0);
    assert!(!before.contains_key("playhook_agent_info"));

    let textfile = s.dir.path().join("playhook.prom");
    let config = MetricsConfig {
        textfile: Some(textfile.clone()),
    };
    let state = state_dir(&s);
    metrics::record(
        &state,
        &config,
        &pass(PassResult::Ok, Some("aaaa1111"), 1_764_000_000_000),
    )
    .expect("recorded");
    metrics::record(&state, &config, &pass(PassResult::Error, None, 1_764_000_060_000)).expect("recorded");
    metrics::record(
        &state,
        &config,
        &pass(PassResult::Failed, Some("bbbb2222"), 1_764_000_120_000),
    )
    .expect("recorded");

    let (text, m) = scrape(&s);
    assert_eq!(std::fs::read_to_string(&textfile).expect("textfile"), text);
    let info = &m["playhook_agent_info"];
    assert_eq!(info.kind, "gauge");
    assert_eq!(info.samples.len(), 1);
    assert_eq!(info.samples[0].value, 1.0);
    let labels = &info.samples[0].labels;
    assert_eq!(labels["commit"], "bbbb2222");
    assert_eq!(labels["branch"], "main");
    assert_eq!(labels["host"], "web\"1");
    assert_eq!(value(&m, "playhook_agent_runs_total"), 3.0);
    assert_eq!(m["playhook_agent_runs_total"].kind, "counter");
    assert_eq!(value(&m, "playhook_agent_fetch_errors_total"), 1.0);
    assert_eq!(
        value(&m, "playhook_agent_last_run_timestamp_seconds"),
        1_764_000_121.25
    );
    assert_eq!(
        value(&m, "playhook_agent_last_success_timestamp_seconds"),
        1_764_000_001.25
    );
    assert_eq!(value(&m, "playhook_agent_last_run_changed_tasks"), 2.0);
    assert_eq!(value(&m, "playhook_agent_last_run_failed_tasks"), 1.0);
    assert_eq!(value(&m, "playhook_agent_last_run_duration_seconds"), 1.25);
    assert_eq!(value(&m, "playhook_agent_drift_tasks"), 0.0);
    assert_eq!(value(&m, "playhook_agent_frozen"), 0.0);
    let results: BTreeMap<String, f64> = m["playhook_agent_last_run_result"]
        .samples
        .iter()
        .map(|s| (s.labels["result"].clone(), s.value))
        .collect();
    assert_eq!(results.len(), 5);
    assert_eq!(results["failed"], 1.0);
    assert_eq!(results.values().sum::<f64>(), 1.0);
    // Scrapes are not passes: nothing ran.
    std::thread::sleep(Duration::from_millis(200));
    assert!(s.runs().is_empty());
}

#[test]
fn the_strict_reader_rejects_what_prometheus_would() {
    let bad = [
        "x 1",                                         // no newline at the end
        "x 1\n",                                       // no TYPE
        "# TYPE x gauge\n# HELP x h\nx{a=\"1\" } 1\n", // junk in labels
        "# HELP x h\n# TYPE x gauge\nx{a=\"\\t\"} 1\n",
        "# HELP x h\n# TYPE x counter\nx 1\n", // a counter without _total
        "# HELP x h\n# TYPE x gauge\nx one\n",
    ];
    for text in bad {
        let outcome = std::panic::catch_unwind(|| parse_exposition(text));
        assert!(outcome.is_err(), "accepted: {text:?}");
    }
    let good = "# HELP x_total h\n# TYPE x_total counter\nx_total{a=\"q\\\"\\\\\\n\"} 1 1700000000000\n";
    assert_eq!(
        parse_exposition(good)["x_total"].samples[0].labels["a"],
        "q\"\\\n"
    );
}
