//! The one printer that owns the terminal: Ansible-style lines (coloured on a terminal unless
//! `NO_COLOR`), a progress bar on a terminal only, or one JSON object per event. Every line is
//! masked before it is written.

use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use super::event::{Event, HostStatus};
use super::recap::recap_lines;

/// Replaces secret values in text before it leaves the process.
pub type Mask = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// How the printer writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Lines for people; `color` adds ANSI colours, `progress` a live bar (terminal only).
    Human { color: bool, progress: bool },
    /// One JSON object per line.
    Json,
}

pub struct Printer {
    style: Style,
    mask: Mask,
    out: Box<dyn Write + Send>,
    events_file: Option<File>,
    bar: Option<ProgressBar>,
    hosts_in_play: usize,
    done_in_task: usize,
}

impl Printer {
    pub fn new(style: Style, mask: Mask, events_file: Option<File>) -> Self {
        let bar = match style {
            Style::Human { progress: true, .. } => {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                Some(bar)
            }
            _ => None,
        };
        Printer {
            style,
            mask,
            out: Box::new(io::stdout()),
            events_file,
            bar,
            hosts_in_play: 0,
            done_in_task: 0,
        }
    }

    /// Writes one event.
    pub fn print(&mut self, event: &Event) {
        if let Some(file) = self.events_file.as_mut() {
            if let Ok(json) = serde_json::to_string(event) {
                let _ = writeln!(file, "{}", (self.mask)(&json));
            }
        }
        match self.style {
            Style::Json => {
                if let Ok(json) = serde_json::to_string(event) {
                    let line = (self.mask)(&json);
                    let _ = writeln!(self.out, "{line}");
                    let _ = self.out.flush();
                }
            }
            Style::Human { color, .. } => {
                let text = self.human(event, color);
                if let Some(text) = text {
                    let text = (self.mask)(&text);
                    match &self.bar {
                        Some(bar) => bar.suspend(|| {
                            let _ = writeln!(self.out, "{text}");
                            let _ = self.out.flush();
                        }),
                        None => {
                            let _ = writeln!(self.out, "{text}");
                            let _ = self.out.flush();
                        }
                    }
                }
            }
        }
    }

    /// Stops the progress bar.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let _ = self.out.flush();
    }

    fn human(&mut self, event: &Event, color: bool) -> Option<String> {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_string()
            }
        };
        match event {
            Event::PlayStart { name, hosts } => {
                self.hosts_in_play = hosts.len();
                Some(format!("\n{}", banner(&format!("PLAY [{name}]"))))
            }
            Event::TaskStart { name, handler, .. } => {
                self.done_in_task = 0;
                if let Some(bar) = &self.bar {
                    bar.set_message((self.mask)(&format!("{name} (0/{} hosts)", self.hosts_in_play)));
                }
                let title = if *handler {
                    format!("RUNNING HANDLER [{name}]")
                } else {
                    format!("TASK [{name}]")
                };
                Some(format!("\n{}", banner(&title)))
            }
            Event::Output { host, line } => Some(paint("2", &format!("  [{host}] {line}"))),
            Event::HostResult {
                host,
                status,
                item,
                msg,
                diff,
                result,
                ignored,
                task,
                delegated_to,
            } => {
                self.done_in_task += 1;
                // Ansible's `[web1 -> db1]` for a delegated task.
                let shown = match delegated_to {
                    Some(to) => format!("{host} -> {to}"),
                    None => host.clone(),
                };
                if let Some(bar) = &self.bar {
                    bar.set_message((self.mask)(&format!(
                        "{task} ({}/{} hosts)",
                        self.done_in_task, self.hosts_in_play
                    )));
                }
                let mut text = String::new();
                for d in diff {
                    text.push_str(&super::diff::render(d, color));
                }
                let item = item
                    .as_ref()
                    .map(|i| format!(" => (item={i})"))
                    .unwrap_or_default();
                let detail = |r: &Option<serde_json::Value>| -> String {
                    match r {
                        Some(v) => pretty(v),
                        None => match msg {
                            Some(m) => pretty(&serde_json::json!({ "msg": m })),
                            None => "{}".to_string(),
                        },
                    }
                };
                let line = match status {
                    HostStatus::Ok | HostStatus::Changed => {
                        let (word, code) = if *status == HostStatus::Ok {
                            ("ok", "32")
                        } else {
                            ("changed", "33")
                        };
                        let mut line = paint(code, &format!("{word}: [{shown}]{item}"));
                        if result.is_some() {
                            line.push_str(&paint(code, &format!(" => {}", detail(result))));
                        }
                        line
                    }
                    HostStatus::Skipped => paint("36", &format!("skipping: [{host}]{item}")),
                    HostStatus::Failed => {
                        let mut line = paint(
                            "31",
                            &format!("fatal: [{shown}]: FAILED!{item} => {}", detail(result)),
                        );
                        if *ignored {
                            line.push_str(&format!("\n{}", paint("36", "...ignoring")));
                        }
                        line
                    }
                    HostStatus::Unreachable => paint(
                        "31",
                        &format!("fatal: [{shown}]: UNREACHABLE! => {}", detail(result)),
                    ),
                };
                text.push_str(&line);
                Some(text)
            }
            Event::Warning { message } => {
                let line = paint("35", &format!("[WARNING]: {message}"));
                let line = (self.mask)(&line);
                match &self.bar {
                    Some(bar) => bar.suspend(|| eprintln!("{line}")),
                    None => eprintln!("{line}"),
                }
                None
            }
            Event::HandlersPending { host, handlers } => {
                let line = paint(
                    "35",
                    &format!(
                        "[WARNING]: {host} stopped before its handlers ran: {}",
                        handlers.join(", ")
                    ),
                );
                let line = (self.mask)(&line);
                match &self.bar {
                    Some(bar) => bar.suspend(|| eprintln!("{line}")),
                    None => eprintln!("{line}"),
                }
                None
            }
            Event::Recap { hosts } => {
                let mut text = format!("\n{}\n", banner("PLAY RECAP"));
                for line in recap_lines(hosts, color) {
                    text.push_str(&line);
                    text.push('\n');
                }
                Some(text)
            }
        }
    }
}

/// JSON indented by four spaces, as Ansible prints results.
fn pretty(v: &serde_json::Value) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut buf,
        serde_json::ser::PrettyFormatter::with_indent(b"    "),
    );
    if v.serialize(&mut ser).is_err() {
        return v.to_string();
    }
    String::from_utf8(buf).unwrap_or_default()
}

/// `TITLE *****` padded to 80 columns, as Ansible prints headers.
fn banner(title: &str) -> String {
    let stars = 79usize.saturating_sub(title.chars().count()).max(3);
    format!("{title} {}", "*".repeat(stars))
}
