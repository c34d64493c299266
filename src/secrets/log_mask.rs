//! Masking for debug logs: a `tracing` writer that passes every log line through the masker of
//! the secrets opened in this process, so `-vvv` never shows a secret.

use std::io::Write;
use std::sync::RwLock;

use super::masker::Masker;

/// The masker applied to log lines; set whenever secrets are opened.
static LOG_MASKER: RwLock<Option<Masker>> = RwLock::new(None);

/// Makes every later log line pass through `masker` (added to any masker set before).
pub fn mask_logs_with(masker: &Masker) {
    let mut slot = LOG_MASKER
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    *slot = Some(match slot.take() {
        Some(previous) => previous.combined(masker),
        None => masker.clone(),
    });
}

/// Masks `text` as log lines are masked.
pub fn mask_log_text(text: &str) -> String {
    let slot = LOG_MASKER.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    match slot.as_ref() {
        Some(masker) => masker.mask(text).into_owned(),
        None => text.to_string(),
    }
}

/// A `tracing_subscriber` writer for stderr that masks secrets (one buffer per log event).
#[derive(Clone, Copy, Debug, Default)]
pub struct MaskedStderr;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for MaskedStderr {
    type Writer = MaskedLine;

    fn make_writer(&'a self) -> MaskedLine {
        MaskedLine(Vec::new())
    }
}

/// One log event, written masked to stderr when dropped.
pub struct MaskedLine(Vec<u8>);

impl Write for MaskedLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for MaskedLine {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let masked = mask_log_text(&text);
        // A log line that cannot be written has nowhere else to go.
        let _ = std::io::stderr().lock().write_all(masked.as_bytes());
    }
}
