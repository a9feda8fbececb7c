//! Which watched workers are stalled right now, process-wide: written by the stall
//! watchdogs (`stall.rs`), read by what reports the process's health (systemd's
//! watchdog, `systemd.rs`).
//!
//! A stall is marked when it is reported and cleared when the worker beats again or
//! ends. Reading "is any worker stalled" is one atomic load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many watched workers are stalled.
static STALLED: AtomicUsize = AtomicUsize::new(0);
/// Each stalled worker's watch (by its address) and the summary of its stall, oldest
/// first.
static SUMMARIES: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());

fn summaries() -> std::sync::MutexGuard<'static, Vec<(usize, String)>> {
    SUMMARIES.lock().unwrap_or_else(|e| e.into_inner())
}

/// The watch `id` reported its worker stalled, with `summary`.
pub(crate) fn mark_stalled(id: usize, summary: String) {
    let mut summaries = summaries();
    if !summaries.iter().any(|(marked, _)| *marked == id) {
        summaries.push((id, summary));
        STALLED.fetch_add(1, Ordering::Release);
    }
}

/// The worker of watch `id` beat again, or ended.
pub(crate) fn clear(id: usize) {
    if STALLED.load(Ordering::Acquire) == 0 {
        return;
    }
    let mut summaries = summaries();
    if let Some(at) = summaries.iter().position(|(marked, _)| *marked == id) {
        summaries.remove(at);
        STALLED.fetch_sub(1, Ordering::Release);
    }
}

/// The summary of the oldest stall still going on, if any.
#[cfg_attr(not(all(feature = "systemd", unix)), allow(dead_code))]
pub(crate) fn first_stalled() -> Option<String> {
    if STALLED.load(Ordering::Acquire) == 0 {
        return None;
    }
    summaries().first().map(|(_, summary)| summary.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stall_is_seen_until_cleared() {
        assert_eq!(first_stalled(), None);
        mark_stalled(1, "worker `a` stalled".into());
        mark_stalled(2, "worker `b` stalled".into());
        mark_stalled(1, "worker `a` stalled again".into());
        assert_eq!(first_stalled().as_deref(), Some("worker `a` stalled"));
        clear(1);
        assert_eq!(first_stalled().as_deref(), Some("worker `b` stalled"));
        clear(2);
        clear(2);
        assert_eq!(first_stalled(), None);
        assert_eq!(STALLED.load(Ordering::Acquire), 0);
    }
}
