//! Reading one output stream of the session up to a command's end marker, passing complete
//! lines on as they arrive.

use std::io;

use memchr::memmem;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::super::LiveLines;

/// One of the session's output streams, with the bytes read past the last marker.
pub(super) struct StreamReader {
    inner: Box<dyn AsyncRead + Send + Unpin>,
    buf: Vec<u8>,
}

/// How a command's stream ended.
pub(super) enum Ending {
    /// The marker was found: the command's bytes, and what followed the nonce on the marker line.
    Marker { output: Vec<u8>, tail: Vec<u8> },
    /// The stream closed first: the shell is gone. Holds what had arrived.
    Closed(Vec<u8>),
}

impl StreamReader {
    pub(super) fn new(inner: Box<dyn AsyncRead + Send + Unpin>) -> Self {
        StreamReader {
            inner,
            buf: Vec::new(),
        }
    }

    /// Reads until a line starting with `nonce` that follows a newline (the newline is the
    /// protocol's, not the command's). Complete lines of output go to `live` as they arrive,
    /// each once, never the marker.
    pub(super) async fn read_to_marker(
        &mut self,
        nonce: &str,
        live: Option<&LiveLines>,
    ) -> io::Result<Ending> {
        let mut needle = Vec::with_capacity(nonce.len() + 1);
        needle.push(b'\n');
        needle.extend_from_slice(nonce.as_bytes());
        let finder = memmem::Finder::new(&needle);
        let mut from = 0usize;
        let mut emitted = 0usize;
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            if let Some(found) = finder.find(&self.buf[from..]) {
                let pos = from + found;
                let after = pos + needle.len();
                if let Some(nl) = memchr::memchr(b'\n', &self.buf[after..]) {
                    let end = after + nl;
                    send_final_lines(live, &self.buf[..pos], emitted);
                    let tail = self.buf[after..end].to_vec();
                    let output = self.buf[..pos].to_vec();
                    self.buf.drain(..=end);
                    return Ok(Ending::Marker { output, tail });
                }
                from = pos;
            } else {
                send_lines(live, &self.buf, &mut emitted, &needle);
                from = self.buf.len().saturating_sub(needle.len() - 1);
            }
            let n = self.inner.read(&mut chunk).await?;
            if n == 0 {
                return Ok(Ending::Closed(std::mem::take(&mut self.buf)));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Sends the complete lines of `bytes` past `emitted` to `live`. A non-empty line is complete
/// at its newline (if that newline turns out to be the protocol's, the line was the output's
/// last, unterminated one, sent all the same); an empty line waits until what follows it
/// cannot be the marker.
fn send_lines(live: Option<&LiveLines>, bytes: &[u8], emitted: &mut usize, needle: &[u8]) {
    let Some(live) = live else {
        return;
    };
    while let Some(nl) = memchr::memchr(b'\n', &bytes[*emitted..]) {
        let at = *emitted + nl;
        if nl == 0 {
            let rest = &bytes[at..];
            if rest.len() < needle.len() && needle.starts_with(rest) {
                return;
            }
        }
        let _ = live.send(String::from_utf8_lossy(&bytes[*emitted..at]).into_owned());
        *emitted = at + 1;
    }
}

/// Sends what is left of a finished command's output: its remaining lines, and the last line
/// if it had no newline and was not sent yet.
fn send_final_lines(live: Option<&LiveLines>, output: &[u8], emitted: usize) {
    let Some(live) = live else {
        return;
    };
    let mut at = emitted;
    while at < output.len() {
        let end = memchr::memchr(b'\n', &output[at..]).map_or(output.len(), |nl| at + nl);
        let _ = live.send(String::from_utf8_lossy(&output[at..end]).into_owned());
        at = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(input: &'static [u8], live: Option<&LiveLines>) -> (Vec<u8>, Vec<u8>) {
        let mut r = StreamReader::new(Box::new(input));
        match r.read_to_marker("NONCE", live).await.expect("reads") {
            Ending::Marker { output, tail } => (output, tail),
            Ending::Closed(_) => panic!("closed"),
        }
    }

    #[tokio::test]
    async fn strips_the_protocol_newline() {
        assert_eq!(
            read(b"a\nb\n\nNONCE:0\n", None).await,
            (b"a\nb\n".to_vec(), b":0".to_vec())
        );
        assert_eq!(
            read(b"no newline\nNONCE:3\n", None).await.0,
            b"no newline".to_vec()
        );
        assert_eq!(read(b"\nNONCE:0\n", None).await.0, b"".to_vec());
    }

    #[tokio::test]
    async fn live_lines_exclude_the_marker() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        read(b"one\n\ntwo\n\nNONCE:0\n", Some(&tx)).await;
        read(b"three\nNONCE:0\n", Some(&tx)).await;
        read(b"four\nfive\nNONCE:0\n", Some(&tx)).await;
        drop(tx);
        let mut lines = Vec::new();
        while let Some(l) = rx.recv().await {
            lines.push(l);
        }
        assert_eq!(lines, ["one", "", "two", "three", "four", "five"]);
    }

    #[tokio::test]
    async fn keeps_bytes_after_the_marker() {
        let mut r = StreamReader::new(Box::new(&b"x\nA:1\ny\nB:2\n"[..]));
        let Ok(Ending::Marker { output, .. }) = r.read_to_marker("A", None).await else {
            panic!()
        };
        assert_eq!(output, b"x");
        let Ok(Ending::Marker { output, tail }) = r.read_to_marker("B", None).await else {
            panic!()
        };
        assert_eq!((output, tail), (b"y".to_vec(), b":2".to_vec()));
    }
}
