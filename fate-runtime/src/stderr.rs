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

#[cfg(not(fate_loom))]
use std::io::Write;
use std::time::Duration;

#[cfg(not(fate_loom))]
mod state {
    use std::sync::{Condvar, Mutex};

    /// Whether somebody holds the gate.
    pub(super) static BUSY: Mutex<bool> = Mutex::new(false);
    pub(super) static FREED: Condvar = Condvar::new();
}

// Under the model checker the gate is loom's, made afresh for each execution, and
// what is written goes to a log the models read: the order of a report and a
// released panic's message is part of the protocol they check.
#[cfg(fate_loom)]
mod state {
    use loom::sync::{Condvar, Mutex};

    loom::lazy_static! {
        pub(super) static ref BUSY: Mutex<bool> = Mutex::new(false);
        pub(super) static ref FREED: Condvar = Condvar::new();
        pub(super) static ref WRITTEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    }
}

use state::{BUSY, FREED};

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
    let mut busy = BUSY.lock().unwrap_or_else(|e| e.into_inner());
    while *busy {
        busy = FREED.wait(busy).unwrap_or_else(|e| e.into_inner());
    }
    *busy = true;
    Gate(())
}

/// Takes the gate, waiting at most `limit`; `None` (go ahead anyway) if it is still
/// held then. For the panic hook: a report whose rendering blocks (a user's `Debug`
/// waiting on this very thread) must not hang the program.
pub(crate) fn gate_within(limit: Duration) -> Option<Gate> {
    #[cfg(not(fate_loom))]
    {
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
    // loom's condition variable has no timeout: a model waits as long as it takes.
    #[cfg(fate_loom)]
    {
        let _ = limit;
        Some(gate())
    }
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
    #[cfg(fate_loom)]
    {
        state::WRITTEN
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(text.to_owned());
    }
    #[cfg(not(fate_loom))]
    match unlocked_stderr() {
        Some(mut stderr) => {
            let _ = stderr.write_all(text.as_bytes());
        }
        None => {
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
    }
}

#[cfg(all(unix, not(fate_loom)))]
fn unlocked_stderr() -> Option<std::fs::File> {
    use std::os::fd::AsFd;
    let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
    Some(std::fs::File::from(fd))
}

#[cfg(all(windows, not(fate_loom)))]
fn unlocked_stderr() -> Option<std::fs::File> {
    use std::os::windows::io::AsHandle;
    let handle = std::io::stderr().as_handle().try_clone_to_owned().ok()?;
    Some(std::fs::File::from(handle))
}

#[cfg(not(any(unix, windows, fate_loom)))]
fn unlocked_stderr() -> Option<std::fs::File> {
    None
}

/// What was written in this execution of a model, in order.
#[cfg(all(test, fate_loom))]
pub(crate) fn written() -> Vec<String> {
    state::WRITTEN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}
