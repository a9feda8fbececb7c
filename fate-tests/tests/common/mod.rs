//! Helpers shared by the integration tests: every wait is bounded.

#![allow(dead_code)] // each test binary uses a different subset

use std::panic;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};
use std::time::{Duration, Instant};

/// How long any one test step may take before the test counts as hung.
pub(crate) const LIMIT: Duration = Duration::from_secs(20);

/// Runs `f` on a thread of its own and returns its value, or fails the test if it
/// takes longer than `limit`. A panic in `f` (a failed assertion) is re-raised here
/// with its original payload.
pub(crate) fn within<T, F>(limit: Duration, f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("bounded".into())
        .spawn(move || {
            drop(tx.send(f()));
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
pub(crate) fn bounded<T, F>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    within(LIMIT, f)
}

/// Receives from `rx`, failing the test after [`LIMIT`].
pub(crate) fn recv<T>(rx: &mpsc::Receiver<T>) -> T {
    match rx.recv_timeout(LIMIT) {
        Ok(value) => value,
        Err(error) => panic!("no message within {LIMIT:?}: {error}"),
    }
}

/// Parks the current thread forever: a body or worker that never finishes.
pub(crate) fn block_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// Tests that need to be the process root (threads not started by `fate::spawn`
/// report there), or that no other root is alive, take the lock exclusively; every
/// other test that runs a `Supervisor` takes it shared.
static PROCESS: RwLock<()> = RwLock::new(());

/// How long a test may wait for [`shared`] or [`exclusive`]: every holder is itself
/// bounded, so waiting longer means a lock was leaked.
const LOCK_LIMIT: Duration = Duration::from_secs(180);

fn acquire<G>(mut attempt: impl FnMut() -> Option<G>) -> G {
    let deadline = Instant::now() + LOCK_LIMIT;
    loop {
        if let Some(guard) = attempt() {
            return guard;
        }
        assert!(
            Instant::now() < deadline,
            "hung: the process lock was not free within {LOCK_LIMIT:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// For a test that runs a `Supervisor` whose workers all come from `fate::spawn`.
pub(crate) fn shared() -> RwLockReadGuard<'static, ()> {
    acquire(|| match PROCESS.try_read() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    })
}

/// For a test whose `Supervisor` must be the process root, or the only root alive.
pub(crate) fn exclusive() -> RwLockWriteGuard<'static, ()> {
    acquire(|| match PROCESS.try_write() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    })
}
