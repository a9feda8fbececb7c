//! Which watched workers are stalled right now, process-wide: written by the stall
//! watchdogs (`stall.rs`), read by what reports the process's health (systemd's
//! watchdog, `systemd.rs`).
//!
//! A stall is marked when it is reported and cleared when the worker beats again or
//! ends, or when its root ends (a `Supervisor` returned the stall to the program).
//! Reading "is any worker stalled" is one atomic load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many watched workers are stalled.
static STALLED: AtomicUsize = AtomicUsize::new(0);
/// A stall going on.
struct Stall {
    /// Whose watch (its address), in which root.
    id: usize,
    root: u64,
    summary: String,
}

/// The stalls going on, oldest first.
static STALLS: Mutex<Vec<Stall>> = Mutex::new(Vec::new());

fn stalls() -> std::sync::MutexGuard<'static, Vec<Stall>> {
    STALLS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts what `stalls` holds now.
fn recount(stalls: &[Stall]) {
    STALLED.store(stalls.len(), Ordering::Release);
}

/// The watch `id`, of a worker of the root `root`, reported it stalled, with `summary`;
/// only if `root_goes_on()`, asked under the lock that [`clear_root`] takes, so that a
/// root ending meanwhile leaves no stall behind.
pub(crate) fn mark_stalled(
    root: u64,
    id: usize,
    summary: String,
    root_goes_on: impl FnOnce() -> bool,
) {
    let mut stalls = stalls();
    if !stalls.iter().any(|stall| stall.id == id) && root_goes_on() {
        stalls.push(Stall { id, root, summary });
        recount(&stalls);
    }
}

/// The worker of watch `id` beat again, or ended.
pub(crate) fn clear(id: usize) {
    if STALLED.load(Ordering::Acquire) == 0 {
        return;
    }
    let mut stalls = stalls();
    stalls.retain(|stall| stall.id != id);
    recount(&stalls);
}

/// The root `root` ended: its stalls are the program's business now.
pub(crate) fn clear_root(root: u64) {
    if STALLED.load(Ordering::Acquire) == 0 {
        return;
    }
    let mut stalls = stalls();
    stalls.retain(|stall| stall.root != root);
    recount(&stalls);
}

/// The summary of the oldest stall still going on in the process, if any.
#[cfg_attr(not(all(feature = "systemd", unix)), allow(dead_code))]
pub(crate) fn first_stalled() -> Option<String> {
    if STALLED.load(Ordering::Acquire) == 0 {
        return None;
    }
    stalls().first().map(|stall| stall.summary.clone())
}

/// Whether the watch `id` reported a stall that goes on.
pub(crate) fn is_stalled(id: usize) -> bool {
    STALLED.load(Ordering::Acquire) != 0 && stalls().iter().any(|stall| stall.id == id)
}

/// The summaries of the stalls going on under the root `root`, oldest first.
pub(crate) fn stalled_in(root: u64) -> Vec<String> {
    if STALLED.load(Ordering::Acquire) == 0 {
        return Vec::new();
    }
    stalls()
        .iter()
        .filter(|stall| stall.root == root)
        .map(|stall| stall.summary.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stall_is_seen_until_cleared_or_its_root_ends() {
        assert_eq!(first_stalled(), None);
        mark_stalled(7, 1, "worker `a` stalled".into(), || true);
        mark_stalled(7, 2, "worker `b` stalled".into(), || true);
        mark_stalled(7, 1, "worker `a` stalled again".into(), || true);
        mark_stalled(8, 3, "worker `c` stalled".into(), || true);
        mark_stalled(9, 4, "worker `d` stalled".into(), || false);
        assert_eq!(first_stalled().as_deref(), Some("worker `a` stalled"));
        assert_eq!(stalled_in(8), ["worker `c` stalled"]);
        assert!(is_stalled(3) && !is_stalled(4));
        clear(1);
        assert_eq!(first_stalled().as_deref(), Some("worker `b` stalled"));
        clear(2);
        clear(2);
        assert_eq!(stalled_in(7), Vec::<String>::new());
        assert_eq!(first_stalled().as_deref(), Some("worker `c` stalled"));
        clear_root(8);
        assert_eq!(first_stalled(), None);
        assert_eq!(STALLED.load(Ordering::Acquire), 0);
    }
}
