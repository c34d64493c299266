//! A crontab as ansible-core 2.19's `cron` module edits it: the lines (after the headers
//! `crontab -l` may print), the `#Ansible: NAME` marker before each managed job, environment
//! lines, and the text it renders. Pure: `cron.rs` reads and writes the host.

use crate::modules::commands::words::python_splitlines;

/// The marker line before a managed job.
const MARK: &str = "#Ansible: ";

/// A crontab's lines and the text it was read from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CronTab {
    pub lines: Vec<String>,
    /// The text as read (headers removed), for the diff's `before` and the newline rule.
    pub existing: String,
}

/// What a job search found (`find_job`).
#[derive(Debug, PartialEq)]
pub enum Found {
    Nothing,
    /// The job line under the `#Ansible: NAME` marker.
    Named(String),
    /// The job matched line for line without a marker, which was inserted (or named).
    Adopted,
}

impl CronTab {
    /// A cron file's contents.
    pub fn from_file(text: &str) -> CronTab {
        CronTab {
            lines: python_splitlines(text),
            existing: text.to_string(),
        }
    }

    /// `crontab -l` output, without the "DO NOT EDIT" headers some crons print in the first
    /// three lines.
    pub fn from_listing(text: &str) -> CronTab {
        let mut existing = text.to_string();
        let mut lines = Vec::new();
        for (count, l) in python_splitlines(text).into_iter().enumerate() {
            if count > 2 || !is_header(&l) {
                lines.push(l);
            } else {
                existing = remove_first_line(&existing, &l);
            }
        }
        CronTab { lines, existing }
    }

    /// Only blank lines.
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.trim().is_empty())
    }

    /// The text written back: the lines joined, ending in one newline.
    pub fn render(&self) -> String {
        let joined = self.lines.join("\n");
        if joined.is_empty() {
            return joined;
        }
        format!("{}\n", joined.trim_end_matches(['\r', '\n']))
    }

    /// The names of the managed jobs.
    pub fn job_names(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| l.starts_with(MARK))
            .map(|l| l.replace(MARK, ""))
            .collect()
    }

    /// The names of the environment lines (`NAME=...` without a space before the `=`).
    pub fn env_names(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| is_env_line(l))
            .map(|l| l.split('=').next().unwrap_or_default().to_string())
            .collect()
    }

    /// Finds the job named `name`, or (with `job`) a line equal to it, which then gets the
    /// marker (Ansible's `find_job`, including its look at the line before the first one).
    pub fn find_job(&mut self, name: &str, job: Option<&str>) -> Found {
        let mut comment: Option<String> = None;
        for l in &self.lines {
            if let Some(c) = &comment {
                if c == name {
                    return Found::Named(l.clone());
                }
                comment = None;
            } else if l.starts_with(MARK) {
                comment = Some(l.replace(MARK, ""));
            }
        }
        let Some(job) = job else {
            return Found::Nothing;
        };
        for i in 0..self.lines.len() {
            if self.lines[i] != job {
                continue;
            }
            // Python's lines[i - 1]: the last line when i is 0.
            let prev = if i == 0 { self.lines.len() - 1 } else { i - 1 };
            if !self.lines[prev].starts_with(MARK) {
                self.lines.insert(i, format!("{MARK}{name}"));
                return Found::Adopted;
            }
            if !name.is_empty() && self.lines[prev] == format!("{MARK}None") {
                self.lines[prev] = format!("{MARK}{name}");
                return Found::Adopted;
            }
        }
        Found::Nothing
    }

    /// Appends a job with its marker.
    pub fn add_job(&mut self, name: &str, job: &str) {
        self.lines.push(format!("{MARK}{name}"));
        self.lines.push(job.to_string());
    }

    /// Replaces the line after each `#Ansible: NAME` marker with `job` (and keeps the marker),
    /// or drops both when `job` is `None`.
    pub fn update_job(&mut self, name: &str, job: Option<&str>) {
        let marker = format!("{MARK}{name}");
        let mut out = Vec::new();
        let mut comment: Option<String> = None;
        for l in std::mem::take(&mut self.lines) {
            if let Some(c) = comment.take() {
                if let Some(job) = job {
                    out.push(c);
                    out.push(job.to_string());
                }
            } else if l == marker {
                comment = Some(l);
            } else {
                out.push(l);
            }
        }
        self.lines = out;
    }

    /// The index and text of the first `NAME=` line.
    pub fn find_env(&self, name: &str) -> Option<(usize, String)> {
        let prefix = format!("{name}=");
        self.lines
            .iter()
            .position(|l| l.starts_with(&prefix))
            .map(|i| (i, self.lines[i].clone()))
    }

    /// Adds an environment line first, or after / before another variable's line.
    pub fn add_env(&mut self, decl: &str, after: Option<&str>, before: Option<&str>) -> Result<(), String> {
        let other = match (after, before) {
            (None, None) => {
                self.lines.insert(0, decl.to_string());
                return Ok(());
            }
            (Some(a), _) => a,
            (None, Some(b)) => b,
        };
        match self.find_env(other) {
            Some((i, _)) => {
                let at = if after.is_some() { i + 1 } else { i };
                self.lines.insert(at, decl.to_string());
                Ok(())
            }
            None => Err(format!("Variable named '{other}' not found.")),
        }
    }

    /// Replaces every `NAME=` line with `decl`, or removes them when `decl` is `None`.
    pub fn update_env(&mut self, name: &str, decl: Option<&str>) {
        let prefix = format!("{name}=");
        let lines = std::mem::take(&mut self.lines);
        self.lines = lines
            .into_iter()
            .filter_map(|l| match (l.starts_with(&prefix), decl) {
                (false, _) => Some(l),
                (true, Some(d)) => Some(d.to_string()),
                (true, None) => None,
            })
            .collect();
    }
}

/// One of the headers `crontab -l` prints on some systems.
fn is_header(l: &str) -> bool {
    if l.starts_with("# DO NOT EDIT THIS FILE - edit the master and reinstall.") {
        return true;
    }
    let inner = |l: &str, prefix: &str, middle: &[&str]| {
        let Some(rest) = l.strip_prefix(prefix) else {
            return false;
        };
        let Some(close) = rest.rfind(')') else {
            return false;
        };
        let body = &rest[..close];
        let mut at = 0;
        for m in middle {
            match body[at..].find(m) {
                Some(i) => at += i + m.len(),
                None => return false,
            }
        }
        true
    };
    inner(l, "# (/tmp/", &["installed on"]) || inner(l, "# (", &["version"])
}

/// `text` without the first occurrence of `line` and the line break after it.
fn remove_first_line(text: &str, line: &str) -> String {
    match text.find(line) {
        Some(i) => {
            let mut end = i + line.len();
            if text[end..].starts_with(['\r', '\n']) {
                end += 1;
            }
            format!("{}{}", &text[..i], &text[end..])
        }
        None => text.to_string(),
    }
}

/// Python's `re.match(r'^\S+=', l)`.
fn is_env_line(l: &str) -> bool {
    let head: &str = l.split(char::is_whitespace).next().unwrap_or_default();
    head.char_indices().any(|(i, c)| i > 0 && c == '=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_added_found_updated_and_removed_as_ansible_edits_it() {
        let mut c = CronTab::from_listing("MAILTO=root\n# mine\n0 * * * * true\n");
        assert_eq!(c.find_job("backup", Some("1 2 * * * run")), Found::Nothing);
        c.add_job("backup", "1 2 * * * run");
        assert_eq!(c.job_names(), ["backup"]);
        assert_eq!(c.env_names(), ["MAILTO"]);
        assert_eq!(c.find_job("backup", None), Found::Named("1 2 * * * run".into()));
        c.update_job("backup", Some("3 4 * * * run"));
        assert_eq!(
            c.render(),
            "MAILTO=root\n# mine\n0 * * * * true\n#Ansible: backup\n3 4 * * * run\n"
        );
        c.update_job("backup", None);
        assert_eq!(c.render(), "MAILTO=root\n# mine\n0 * * * * true\n");
    }

    #[test]
    fn an_unmarked_identical_job_is_adopted() {
        let mut c = CronTab::from_file("0 * * * * true\n");
        assert_eq!(c.find_job("t", Some("0 * * * * true")), Found::Adopted);
        assert_eq!(c.render(), "#Ansible: t\n0 * * * * true\n");
    }

    #[test]
    fn headers_are_dropped_and_env_lines_placed() {
        let c = CronTab::from_listing(
            "# DO NOT EDIT THIS FILE - edit the master and reinstall.\n# (/tmp/crontab.x installed on Mon)\n# (Cron version -- $Id$)\nA=1\n",
        );
        assert_eq!(c.lines, ["A=1"]);
        assert_eq!(c.existing, "A=1\n");
        let mut c = CronTab::from_file("A=1\nB=2\n");
        c.add_env("C=\"3\"", Some("A"), None).expect("A exists");
        c.add_env("D=\"4\"", None, Some("B")).expect("B exists");
        assert_eq!(c.lines, ["A=1", "C=\"3\"", "D=\"4\"", "B=2"]);
        assert!(c.add_env("E=1", Some("Z"), None).is_err());
        c.update_env("A", None);
        assert_eq!(c.env_names(), ["C", "D", "B"]);
        assert!(!is_env_line("#Ansible: x=1"));
        assert!(is_env_line("X=a b"));
    }
}
