//! The synchronisation primitives a root is built on, in one place.
//!
//! Under `--cfg fate_loom` these are [loom](https://docs.rs/loom)'s, so that the
//! models in `loom_models.rs` explore every interleaving of the root's
//! synchronisation (a private cfg name, so that dependencies are not switched too).
//! Process-wide statics (the process root) use `std` directly: loom's types cannot
//! be made in a `static`, and the models do not need them; the stderr gate, which
//! they do need, is one of loom's `lazy_static!`s under the models (`stderr.rs`).

#[cfg(not(fate_loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU8, AtomicUsize, Ordering};
#[cfg(not(fate_loom))]
pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};

#[cfg(fate_loom)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
#[cfg(fate_loom)]
pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning.
///
/// The runtime's state stays consistent across a panic (every critical section
/// is a handful of assignments), and the runtime runs inside panic hooks and
/// unwinding paths where a second panic would abort the process.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
