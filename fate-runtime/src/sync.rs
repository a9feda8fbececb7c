//! The synchronisation primitives the runtime is built on, in one place.
//!
//! Everything that threads share goes through these names so that the model
//! checker (`--cfg fate_loom`) can later swap in its own versions without
//! touching the modules that use them.

pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};

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
