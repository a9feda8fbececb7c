//! The end of a root whose outcome is a failure and who must say so itself: a `main`
//! root (its report printed once, as `main` returning it would print it, then the
//! process ended with the report's status), and any root under `panic = "abort"` (the report
//! printed before the process aborts).
//!
//! Whichever thread wins [`Root::finish`] does this; a thread that loses to a winner
//! who is printing the report parks, so that nothing it would do next (return into a
//! pool that aborts, print a panic message) can cut the report short.

use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use crate::alerts;
use crate::context::{self, Formatting};
use crate::report::{Error, Failure};
use crate::root::{Finish, Root, RootKind, UNWIND_PATIENCE};
use crate::stderr;
use crate::systemd;

/// The report of `error` as `root` prints it, ending in a newline. A `Debug` of the
/// user's error type that panics falls back to fate's own.
fn render(root: &Root, error: Error) -> String {
    let fallback = format!("Error: {error:?}\n");
    let RootKind::Main { render } = root.kind() else {
        return fallback;
    };
    let rendered = context::formatting(Formatting::Report, || {
        panic::catch_unwind(AssertUnwindSafe(|| render(error)))
    });
    match rendered {
        Ok(text) => text + "\n",
        Err(payload) => {
            // Dropping a payload can itself panic.
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
            fallback
        }
    }
}

/// Whether the process waits for the failure hooks' calls before it ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HookCalls {
    /// Within what is left of the grace period (see [`before_exit`]).
    Awaited,
    /// Not at all: a second signal asked for the end now.
    #[cfg(all(feature = "signals", unix))]
    Skipped,
}

/// Prints the report of `root`'s failure and ends the process with the report's
/// status ([`Error::exit_code`]). The caller holds the gate (if it got it).
fn end_process(root: &Root, error: Error, gate: Option<stderr::Gate>, hooks: HookCalls) -> ! {
    let status = error.exit_code();
    let summary = error.to_string();
    stderr::write_raw(&render(root, error));
    drop(gate);
    systemd::stopping(&summary);
    if hooks == HookCalls::Awaited {
        before_exit(root);
    }
    std::process::exit(i32::from(status))
}

/// Ends the process with the report of a stop whose body was cut off: `main`'s
/// body had not returned when the grace period of a `fate::cancel()` ended.
pub(crate) fn end_cut_off(root: &Root) -> ! {
    end_process(
        root,
        root.cut_off(),
        Some(stderr::gate()),
        HookCalls::Awaited,
    )
}

/// The process is about to end: the failure hooks get the calls about the failures so
/// far (the one that ends it, restarts, non-critical ones), within what is left of
/// the grace period, or [`alerts::WITHOUT_GRACE`] when there is none.
pub(crate) fn before_exit(root: &Root) {
    alerts::drain(Instant::now() + root.grace_left().unwrap_or(alerts::WITHOUT_GRACE));
}

/// Decides the outcome of a `main` root: with a failure, the report is printed and the
/// process ended here; `Some(())` when the outcome is a success (the caller returns
/// `main`'s value), `None` when another thread decided it (and ends the process, if
/// there was a failure: then this thread parks, never returning into code that could
/// abort the process first).
pub(crate) fn finish_main(root: &Root) -> Option<()> {
    // Held from before the outcome is decided: a panic starting after that prints
    // below the report, never above it.
    let gate = stderr::gate();
    match root.finish() {
        Finish::Won(Some(error)) => end_process(root, error, Some(gate), HookCalls::Awaited),
        Finish::Won(None) => Some(()),
        Finish::Lost => {
            drop(gate);
            if root.is_ending() {
                park_forever();
            }
            None
        }
    }
}

/// Ends the process for a failure that was decided without a report (the body of
/// `main` panicked and nothing recorded it).
pub(crate) fn end_with(root: &Root, error: Error) -> ! {
    end_process(root, error, Some(stderr::gate()), HookCalls::Awaited)
}

/// Called by the thread that recorded the first failure of a root that
/// [`ends_at_first_failure`](Root::ends_at_first_failure): after the patience for
/// earlier panics still unwinding elsewhere, it decides the outcome and ends the
/// process, before returning to code (a pool) that could abort first.
pub(crate) fn end_at_first_failure(root: &Root) {
    root.await_held(UNWIND_PATIENCE, &context::held_here());
    let _ = finish_main(root);
}

/// Under `panic = "abort"`: records `failure` and decides the outcome in one step,
/// and prints the report; the process aborts when the hook returns. `false` if the
/// root's outcome was decided without it (it is then Rust's to print).
pub(crate) fn abort_with(root: &Root, failure: Failure) -> bool {
    let gate = stderr::gate();
    match root.fail_and_finish(failure) {
        Finish::Won(Some(error)) => {
            stderr::write_raw(&render(root, error));
            drop(gate);
            true
        }
        Finish::Won(None) => false,
        Finish::Lost => {
            drop(gate);
            if root.is_ending() {
                park_forever();
            }
            false
        }
    }
}

/// A second signal (feature `signals`): the process ends now, with the report of what
/// happened so far (the first failure, or the interruption), without the rest of the
/// grace period or the wait for the failure hooks.
#[cfg(all(feature = "signals", unix))]
pub(crate) fn end_now(root: &Root, signal: crate::root::Signal) -> ! {
    let gate = stderr::gate_within(UNWIND_PATIENCE);
    if let Finish::Won(Some(error)) = root.finish() {
        end_process(root, error, gate, HookCalls::Skipped)
    }
    // Decided already, by a thread that is ending the process (printing the report,
    // or waiting for the failure hooks) or returning from `Supervisor::run`: that
    // report's status, now; the signal's if the outcome had none.
    drop(gate);
    let status = root
        .decided_status()
        .unwrap_or(crate::report::status::signal(signal.number));
    std::process::exit(i32::from(status))
}

/// A thread that must not go on: the process is ending on another thread.
pub(crate) fn park_forever() -> ! {
    loop {
        std::thread::park();
    }
}
