//! A syslog receiver on UDP 127.0.0.1, for containers logging with docker's `syslog` driver
//! (`syslog-address: udp://127.0.0.1:PORT`): every datagram is kept as text, in arrival order.

use std::net::UdpSocket;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running receiver; its thread ends with the test process.
pub struct SyslogSink {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SyslogSink {
    pub fn start() -> SyslogSink {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("binding the syslog port");
        let port = socket.local_addr().expect("a bound socket").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&messages);
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while let Ok(n) = socket.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                kept.lock().expect("syslog lock").push(text);
            }
        });
        SyslogSink { port, messages }
    }

    /// `udp://127.0.0.1:PORT`, for `syslog-address`.
    pub fn address(&self) -> String {
        format!("udp://127.0.0.1:{}", self.port)
    }

    /// Waits up to 10 s for a message containing `text`; the message, or every message so far
    /// in the panic.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let messages = self.messages.lock().expect("syslog lock").clone();
            if let Some(m) = messages.iter().find(|m| m.contains(text)) {
                return m.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no syslog message with {text:?}: {messages:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
