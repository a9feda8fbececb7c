//! Helpers shared by the integration tests: every wait is bounded.

#![allow(dead_code)] // each test binary uses a different subset

use std::panic;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

/// How long any one test step may take before the test counts as hung.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Runs `f` on a thread of its own and returns its value, or fails the test if it
/// takes longer than `limit`. A panic in `f` (a failed assertion) is re-raised here
/// with its original payload.
pub fn within<T, F>(limit: Duration, f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("bounded".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn the bounded thread");
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(RecvTimeoutError::Disconnected) => match handle.join() {
            Err(payload) => panic::resume_unwind(payload),
            Ok(()) => unreachable!("the bounded thread ended without a value"),
        },
        Err(RecvTimeoutError::Timeout) => panic!("hung: no result within {limit:?}"),
    }
}

/// [`within`] the default [`LIMIT`].
pub fn bounded<T, F>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    within(LIMIT, f)
}

/// Receives from `rx`, failing the test after [`LIMIT`].
pub fn recv<T>(rx: &mpsc::Receiver<T>) -> T {
    match rx.recv_timeout(LIMIT) {
        Ok(value) => value,
        Err(error) => panic!("no message within {LIMIT:?}: {error}"),
    }
}

/// Parks the current thread forever: a body or worker that never finishes.
pub fn block_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// Tests that need to be the process root (threads not started by `fate::spawn`
/// report there) take the lock exclusively; every other test that runs a
/// `Supervisor` takes it shared, so that no other root is alive meanwhile.
static PROCESS: RwLock<()> = RwLock::new(());

/// For a test that runs a `Supervisor` whose workers all come from `fate::spawn`.
pub fn shared() -> RwLockReadGuard<'static, ()> {
    PROCESS.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// For a test whose `Supervisor` must be the process root.
pub fn exclusive() -> RwLockWriteGuard<'static, ()> {
    PROCESS.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}
