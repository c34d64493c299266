//! The play keywords `serial` and `max_fail_percentage`: how a play splits its hosts into
//! batches that run one after the other, and the share of a batch's hosts that may fail before
//! the play stops. Follows ansible-core's `PlaybookExecutor._get_serialized_batches` and
//! `utils.helpers.pct_to_int`.

use minijinja::Value;

use super::error::LoadError;
use crate::yaml::Node;

/// One entry of `serial`: a number of hosts or a percentage of the play's hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchSize {
    Count(i64),
    Percent(i64),
}

impl BatchSize {
    /// The batch size for a play of `total` hosts (`pct_to_int`: a percentage rounds down, and
    /// is at least one host).
    fn hosts(self, total: usize) -> i64 {
        match self {
            BatchSize::Count(n) => n,
            BatchSize::Percent(p) => {
                let n = (p as f64 / 100.0 * total as f64) as i64;
                if n == 0 { 1 } else { n }
            }
        }
    }
}

/// `serial`: batch sizes in order, the last one repeated; empty means one batch of every host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Serial(pub Vec<BatchSize>);

impl Serial {
    /// Parses `serial`: a number, a string `"N"` or `"N%"`, or a list of them.
    pub fn parse(node: &Node) -> Result<Serial, LoadError> {
        match node.as_seq() {
            Some(items) => items.iter().map(parse_size).collect::<Result<_, _>>().map(Serial),
            None if node.to_value().is_none() => Ok(Serial::default()),
            None => Ok(Serial(vec![parse_size(node)?])),
        }
    }

    /// Splits the play's hosts (in the play's order) into batches, as Ansible does: each entry
    /// takes that many hosts, the last entry repeats, and a size of zero or less takes the rest.
    pub fn batches(&self, mut hosts: Vec<String>) -> Vec<Vec<String>> {
        let total = hosts.len();
        let mut batches = Vec::new();
        let mut index = 0;
        while !hosts.is_empty() {
            let size = self.0.get(index).map_or(0, |s| s.hosts(total));
            if size <= 0 {
                batches.push(std::mem::take(&mut hosts));
                break;
            }
            let take = (size as usize).min(hosts.len());
            batches.push(hosts.drain(..take).collect());
            index = (index + 1).min(self.0.len().saturating_sub(1));
        }
        batches
    }
}

fn parse_size(node: &Node) -> Result<BatchSize, LoadError> {
    let value = node.to_value();
    let refuse = |what: String| {
        LoadError::at(
            &node.loc,
            format!(
                "`serial`: {what}; write a number of hosts (`2`), a percentage (`\"30%\"`) or a \
                 list of them (`[1, \"50%\"]`)"
            ),
        )
    };
    if let Some(n) = integer(&value) {
        return Ok(BatchSize::Count(n));
    }
    let Some(text) = value.as_str() else {
        return Err(refuse(format!("found {}", node.type_name())));
    };
    if text.contains("{{") {
        return Err(refuse(format!(
            "`{text}` is templated, which playhook does not support"
        )));
    }
    let (digits, percent) = match text.trim().strip_suffix('%') {
        Some(d) => (d.trim(), true),
        None => (text.trim(), false),
    };
    let n: i64 = digits
        .parse()
        .map_err(|_| refuse(format!("`{text}` is not a whole number or percentage")))?;
    Ok(if percent {
        BatchSize::Percent(n)
    } else {
        BatchSize::Count(n)
    })
}

/// A YAML number as Ansible's `int()` takes it (a float is truncated).
fn integer(value: &Value) -> Option<i64> {
    if value.is_number() {
        if let Ok(n) = i64::try_from(value.clone()) {
            return Some(n);
        }
        return f64::try_from(value.clone()).ok().map(|f| f as i64);
    }
    None
}

/// `max_fail_percentage`: a number, or a string with an optional `%` (Ansible's `percent`).
pub fn parse_max_fail_percentage(node: &Node) -> Result<f64, LoadError> {
    let value = node.to_value();
    if value.is_number() {
        if let Ok(f) = f64::try_from(value.clone()) {
            return Ok(f);
        }
    }
    value
        .as_str()
        .and_then(|t| t.replace('%', "").trim().parse::<f64>().ok())
        .ok_or_else(|| {
            LoadError::at(
                &node.loc,
                format!(
                    "`max_fail_percentage`: expected a number or a percentage such as `\"25%\"`, \
                     found `{value}`"
                ),
            )
        })
}

/// Whether a batch's failures stop the play: strictly more than `max_fail_percentage` of the
/// batch's hosts failed (Ansible: `failed / batch_size > percentage / 100`).
pub fn exceeds(max_fail_percentage: f64, failed: usize, batch_size: usize) -> bool {
    batch_size > 0 && (failed as f64 / batch_size as f64) > max_fail_percentage / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    fn sizes(serial: &Serial, n: usize) -> Vec<usize> {
        serial.batches(hosts(n)).iter().map(Vec::len).collect()
    }

    fn parse(yaml: &str) -> Result<Serial, LoadError> {
        let node = crate::yaml::load_str(yaml, std::path::Path::new("play.yml"))
            .expect("valid yaml")
            .expect("a document");
        Serial::parse(&node)
    }

    #[test]
    fn splits_hosts_as_ansible_does() {
        assert_eq!(sizes(&parse("2").expect("serial"), 5), [2, 2, 1]);
        assert_eq!(sizes(&parse("'30%'").expect("serial"), 5), [1, 1, 1, 1, 1]);
        assert_eq!(sizes(&parse("'50%'").expect("serial"), 5), [2, 2, 1]);
        assert_eq!(sizes(&parse("[1, '50%']").expect("serial"), 5), [1, 2, 2]);
        assert_eq!(sizes(&parse("[1, 2, 0]").expect("serial"), 6), [1, 2, 3]);
        assert_eq!(sizes(&parse("'2'").expect("serial"), 3), [2, 1]);
        assert_eq!(sizes(&parse("0").expect("serial"), 3), [3]);
        assert_eq!(sizes(&Serial::default(), 3), [3]);
        assert_eq!(parse("[1, '50%']").expect("serial").batches(hosts(3))[0], ["h1"]);
    }

    #[test]
    fn refuses_what_ansible_refuses() {
        let err = parse("'abc%'").expect_err("not a number").to_string();
        assert!(err.contains("`abc%` is not a whole number"), "{err}");
        assert!(parse("{a: 1}").is_err());
        assert!(parse("'{{ size }}'").is_err());
    }

    #[test]
    fn max_fail_percentage_is_exceeded_only_strictly() {
        assert!(!exceeds(50.0, 1, 2));
        assert!(exceeds(49.0, 1, 2));
        assert!(exceeds(0.0, 1, 3));
        assert!(!exceeds(0.0, 0, 3));
    }
}
