//! The wait loop of `reboot` and `wait_for_connection`: try until success or a deadline,
//! sleeping between attempts, keeping the last error for the timeout message.
//!
//! ```ignore
//! let mut wait = Waiter::new(timeout, Pause::Backoff);
//! while wait.alive() {
//!     match attempt(ctx).await {
//!         Ok(v) => return Ok(v),
//!         Err(e) => wait.failed(e).await,
//!     }
//! }
//! ```

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long to sleep after a failed attempt.
#[derive(Clone, Copy, Debug)]
pub enum Pause {
    /// Always the same.
    Fixed(Duration),
    /// Ansible's reboot back-off: 2^n seconds, at most 12, plus a fraction of a second.
    Backoff,
}

/// Attempts until a deadline.
#[derive(Debug)]
pub struct Waiter {
    deadline: Instant,
    pause: Pause,
    failures: u32,
    /// The last attempt's error, for the timeout message.
    pub last_error: Option<String>,
}

impl Waiter {
    pub fn new(timeout: Duration, pause: Pause) -> Waiter {
        Waiter {
            deadline: Instant::now() + timeout,
            pause,
            failures: 0,
            last_error: None,
        }
    }

    /// Whether there is time for another attempt.
    pub fn alive(&self) -> bool {
        Instant::now() < self.deadline
    }

    /// Records a failed attempt and sleeps before the next (never past the deadline).
    pub async fn failed(&mut self, error: String) {
        tracing::debug!("waiting: {error}");
        self.last_error = Some(error);
        let pause = match self.pause {
            Pause::Fixed(d) => d,
            Pause::Backoff => {
                let jitter = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.subsec_millis())
                    .unwrap_or(0);
                Duration::from_secs(2u64.saturating_pow(self.failures).min(12))
                    + Duration::from_millis(u64::from(jitter))
            }
        };
        self.failures += 1;
        tokio::time::sleep(pause.min(self.deadline.saturating_duration_since(Instant::now()))).await;
    }
}
