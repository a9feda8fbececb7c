//! Cancellation: how workers learn that their root has failed and should stop.
//!
//! A root cancels once, at its first failure. Workers look at the root of the thread
//! they run on (see [`registry`](crate::registry)); with no root, nothing is ever
//! cancelled.

use std::time::Duration;

use crate::registry;

/// Whether the current root has been cancelled by a failure.
///
/// Cheap enough to call in a loop (a thread-local read and an atomic load). `false`
/// when no supervisor is active.
pub fn is_cancelled() -> bool {
    registry::current_root().is_some_and(|root| root.is_cancelled())
}

/// Blocks until the current root is cancelled or `timeout` has passed, and returns
/// whether it was cancelled.
///
/// The wake-up is immediate (no polling), so `while !fate::wait_cancelled(period) {
/// ... }` is a loop that runs every `period` and stops at once on a failure. With no
/// supervisor active, nothing can cancel: it sleeps for `timeout` and returns `false`.
pub fn wait_cancelled(timeout: Duration) -> bool {
    match registry::current_root() {
        Some(root) => root.wait_cancelled(timeout),
        None => {
            std::thread::sleep(timeout);
            false
        }
    }
}
