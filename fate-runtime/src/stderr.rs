//! fate's own output on stderr: written whole, never torn by a panic message, and
//! never a panic itself (a closed pipe is ignored, as Rust's own panic hook does).
//!
//! Everything fate prints (a report, a grace notice, the held-back message of a
//! panic that turned out to be caught) and every panic message fate lets Rust's
//! hook print goes through one process-wide gate. Rust's default hook writes its
//! message in several unbuffered writes, so without the gate a panic on another
//! thread could land in the middle of a report. A thread that ends the process with
//! a report holds the gate from the moment it decides the outcome until the report is
//! written, so a panic that starts meanwhile prints after the report, not above it.

use std::io::Write;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Whether somebody holds the gate.
static BUSY: Mutex<bool> = Mutex::new(false);
static FREED: Condvar = Condvar::new();

/// Holds the gate until dropped.
#[must_use]
pub(crate) struct Gate(());

impl Drop for Gate {
    fn drop(&mut self) {
        *BUSY.lock().unwrap_or_else(|e| e.into_inner()) = false;
        FREED.notify_all();
    }
}

/// Takes the gate, waiting as long as it is held. Never called by a thread that holds
/// it already.
pub(crate) fn gate() -> Gate {
    let busy = BUSY.lock().unwrap_or_else(|e| e.into_inner());
    let mut busy = FREED
        .wait_while(busy, |busy| *busy)
        .unwrap_or_else(|e| e.into_inner());
    *busy = true;
    Gate(())
}

/// Takes the gate, waiting at most `limit`; `None` (go ahead anyway) if it is still
/// held then. For the panic hook: a report whose rendering blocks (a user's `Debug`
/// waiting on this very thread) must not hang the program.
pub(crate) fn gate_within(limit: Duration) -> Option<Gate> {
    let busy = BUSY.lock().unwrap_or_else(|e| e.into_inner());
    let (mut busy, _) = FREED
        .wait_timeout_while(busy, limit, |busy| *busy)
        .unwrap_or_else(|e| e.into_inner());
    if *busy {
        return None;
    }
    *busy = true;
    Some(Gate(()))
}

/// How long the panic hook (and any print but a report's) waits for the gate.
pub(crate) const HOOK_PATIENCE: Duration = Duration::from_secs(2);

/// Writes `text` to stderr in one piece, under the gate (waiting for it at most
/// [`HOOK_PATIENCE`]); errors are ignored.
pub(crate) fn print(text: &str) {
    let _gate = gate_within(HOOK_PATIENCE);
    write_raw(text);
}

/// Writes `text` to stderr in one piece without taking the gate (the caller holds
/// it); errors are ignored.
///
/// Not through `std::io::stderr()`'s lock, which any thread may hold for as long as it
/// likes (a logger, a body writing a long message): like Rust's own panic hook, fate
/// writes to the file descriptor directly, here a duplicate of it.
pub(crate) fn write_raw(text: &str) {
    match unlocked_stderr() {
        Some(mut stderr) => {
            let _ = stderr.write_all(text.as_bytes());
        }
        None => {
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
    }
}

#[cfg(unix)]
fn unlocked_stderr() -> Option<std::fs::File> {
    use std::os::fd::AsFd;
    let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
    Some(std::fs::File::from(fd))
}

#[cfg(windows)]
fn unlocked_stderr() -> Option<std::fs::File> {
    use std::os::windows::io::AsHandle;
    let handle = std::io::stderr().as_handle().try_clone_to_owned().ok()?;
    Some(std::fs::File::from(handle))
}

#[cfg(not(any(unix, windows)))]
fn unlocked_stderr() -> Option<std::fs::File> {
    None
}
