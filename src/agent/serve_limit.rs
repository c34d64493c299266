//! The trigger's rate limit: a token bucket of `burst` triggers, one more every `refill`.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RateLimit {
    burst: f64,
    refill: Duration,
    tokens: f64,
    at: Instant,
}

impl RateLimit {
    /// A full bucket.
    pub fn new(burst: u32, refill: Duration, now: Instant) -> RateLimit {
        RateLimit {
            burst: f64::from(burst),
            refill,
            tokens: f64::from(burst),
            at: now,
        }
    }

    /// Takes a token, or says how long until one is there.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.at);
        self.at = now;
        if !self.refill.is_zero() {
            self.tokens = (self.tokens + elapsed.as_secs_f64() / self.refill.as_secs_f64()).min(self.burst);
        } else {
            self.tokens = self.burst;
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(self.refill.mul_f64(1.0 - self.tokens))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_refill() {
        let t0 = Instant::now();
        let mut limit = RateLimit::new(2, Duration::from_secs(10), t0);
        assert!(limit.take(t0).is_ok());
        assert!(limit.take(t0).is_ok());
        assert_eq!(limit.take(t0), Err(Duration::from_secs(10)));
        let t1 = t0 + Duration::from_secs(5);
        assert_eq!(limit.take(t1), Err(Duration::from_secs(5)));
        assert!(limit.take(t0 + Duration::from_secs(10)).is_ok());
        assert!(limit.take(t0 + Duration::from_secs(10)).is_err());
        // The bucket holds no more than the burst.
        let later = t0 + Duration::from_secs(1000);
        assert!(limit.take(later).is_ok());
        assert!(limit.take(later).is_ok());
        assert!(limit.take(later).is_err());
    }
}
