//! Time as a root sees it: how long since the root started.
//!
//! Normally the system's monotonic clock. Under `--cfg fate_loom` it is a counter
//! that the model advances by hand (loom cannot model time): a grace deadline then
//! passes exactly when the model says so, and every wait with a deadline is woken by
//! `Root::advance_clock`.

use std::time::Duration;

/// A root's clock.
#[derive(Debug)]
pub(crate) struct Clock {
    #[cfg(not(fate_loom))]
    origin: std::time::Instant,
    #[cfg(fate_loom)]
    millis: crate::sync::AtomicU64,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock {
            #[cfg(not(fate_loom))]
            origin: std::time::Instant::now(),
            #[cfg(fate_loom)]
            millis: crate::sync::AtomicU64::new(0),
        }
    }

    /// Time since the clock started.
    pub(crate) fn now(&self) -> Duration {
        #[cfg(not(fate_loom))]
        return self.origin.elapsed();
        #[cfg(fate_loom)]
        return Duration::from_millis(self.millis.load(crate::sync::Ordering::SeqCst));
    }

    /// Moves the clock on (models only).
    #[cfg(all(test, fate_loom))]
    pub(crate) fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.millis.fetch_add(by, crate::sync::Ordering::SeqCst);
    }
}
