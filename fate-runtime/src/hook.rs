//! The panic hook: captures a panic as it starts, and decides who tells the user.
//!
//! - A panic inside a supervised call of a root that still collects failures is
//!   *held*: the root holds its capture (message, location, thread, backtrace) until
//!   the unwinding reaches the supervised call it escapes, which reports it, or until
//!   fate learns it was caught (then its message is printed as Rust prints it). Rust's
//!   default message is kept back meanwhile, so a failure is printed once, as the
//!   report.
//! - Any other panic is printed by the hook that was there before fate's, at once, but
//!   never into a report being printed (both go through the [`stderr`] gate). Its
//!   capture is kept for a while all the same, so that a pool that catches it and
//!   re-raises it in a supervised caller (rayon's `join`, `JoinHandle::join` plus
//!   `resume_unwind`) still reports where it first happened.
//! - Under `panic = "abort"` nothing unwinds: the hook itself reports a held panic, as
//!   the root's one outcome, and prints the report before the process aborts.

use std::backtrace::Backtrace;
use std::collections::VecDeque;
use std::panic::PanicHookInfo;
use std::sync::Mutex;

use once_cell::sync::OnceCell;

use crate::alerts;
use crate::context::{self, Formatting};
use crate::ending;
use crate::report::{
    backtrace_wanted, next_seq, payload_message, Capture, ErrorText, Location, Resolution,
};
use crate::report::{Disposition, WorkerName};
use crate::root::{self, Recorded, Root};
use crate::stderr;
use crate::sync::Arc;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

struct Installed {
    /// The hook that was in place before fate's; fate calls it for every panic it
    /// does not hold.
    previous: Hook,
    /// Whether `previous` is Rust's default hook, which fate holds back for the
    /// panics it holds. A hook the user installed runs for every panic.
    previous_is_default: bool,
}

static INSTALLED: OnceCell<Installed> = OnceCell::new();

/// Installs fate's panic hook, once per process, in front of whatever hook is there.
pub(crate) fn install() {
    if std::thread::panicking() {
        // `set_hook` refuses to run while this thread unwinds; a later root installs it.
        return;
    }
    INSTALLED.get_or_init(|| {
        let previous = std::panic::take_hook();
        let previous_is_default = is_default_hook(&previous);
        std::panic::set_hook(Box::new(hook));
        Installed {
            previous,
            previous_is_default,
        }
    });
}

/// Tells whether `hook` is Rust's default panic hook.
///
/// `take_hook` hands out the default hook as a box of the same zero-sized function
/// item each time, built in one place in `std`, so a second box taken right now has
/// the same (dangling) address and the same vtable exactly when `hook` is the default
/// one. A false "no" only costs a duplicate panic message; a false "yes" would need a
/// user hook of that very type, which only `std` can name.
fn is_default_hook(hook: &Hook) -> bool {
    let probe = std::panic::take_hook(); // leaves the default hook installed
    #[allow(ambiguous_wide_pointer_comparisons)] // comparing the vtable is the point
    let same = std::ptr::eq(&**hook as *const _, &*probe as *const _);
    same && std::mem::size_of_val(&**hook) == 0
}

/// A supervised worker's panic after its root (and every root above it) decided: Rust
/// prints it, and the failure hooks hear of it here, once, as `worker::record` tells
/// them of a late `Err`: when the root ended well (after a failure, later failures
/// are most often its consequences).
#[cold]
fn announce_late(capture: &Capture, worker: WorkerName, root: &Root) {
    if !root.decided_failed() {
        alerts::announce(&capture.to_failure(worker), Disposition::Later);
    }
}

fn hook(info: &PanicHookInfo<'_>) {
    let Some(installed) = INSTALLED.get() else {
        return;
    };
    if alerts::calling_a_hook() {
        // A failure hook's panic: fate catches it and notes it once, itself.
        return;
    }
    if !root::any_alive() {
        if alerts::announced() {
            if let (Some(frame), Some(root)) = (context::innermost(), context::current_root()) {
                announce_late(&capture(info, Some(frame.name)), frame.name, &root);
            }
        }
        (installed.previous)(info);
        return;
    }
    match context::formatting_now() {
        Formatting::Nothing => {}
        // A user's `Display`, `Debug` or `source()` panicked while fate formats it: fate
        // catches it and says so in the report.
        Formatting::ErrorOf(worker) => {
            if cfg!(panic = "abort") {
                // Nothing will be caught: this is the worker's failure, now.
                if let Some(root) = context::current_root() {
                    let returned = ErrorText {
                        message: format!(
                            "(the error's `Display` panicked: {})",
                            payload_message(info.payload())
                        ),
                        chain: Vec::new(),
                        chain_note: None,
                    };
                    if ending::abort_with(&root, returned.to_failure(worker, next_seq())) {
                        return;
                    }
                }
            }
            return;
        }
        Formatting::Report => return,
    }
    if is_abort_notice(info) {
        // About to abort: whatever this thread holds must be seen now.
        context::release_all();
        let _gate = stderr::gate_within(stderr::HOOK_PATIENCE);
        (installed.previous)(info);
        return;
    }
    let frame = context::innermost();
    let root = frame.and_then(|_| context::current_root());
    let capture = Arc::new(capture(info, frame.map(|frame| frame.name)));
    if let (Some(frame), Some(catch_all)) = (
        frame.filter(|_| !cfg!(panic = "abort")),
        context::all_panics_root().filter(|root| root.is_collecting()),
    ) {
        // `all_panics`: a panic in supervised code is a failure from the moment it
        // starts, caught later or not; nothing waits to learn whether it is.
        let failure = capture.to_failure(frame.name);
        if root
            .as_ref()
            .is_some_and(|root| Arc::ptr_eq(root, &catch_all))
        {
            capture.set_resolution(Resolution::Reported);
            remember(&capture, None);
            if !installed.previous_is_default {
                (installed.previous)(info);
            }
            if catch_all.fail(failure) == Recorded::First && catch_all.ends_at_first_failure() {
                ending::end_at_first_failure(&catch_all);
            }
            return;
        }
        // A worker of a root nested in it (a scope, a `Supervisor`): that root deals
        // with the panic as usual, below, and the catch-all root fails with it now.
        if catch_all.fail(failure) == Recorded::First && catch_all.ends_at_first_failure() {
            ending::end_at_first_failure(&catch_all);
        }
    }
    if let (Some(frame), Some(root)) = (frame, root.as_ref()) {
        if cfg!(panic = "abort") && root.is_collecting() {
            // Nothing will unwind to the supervised call: report now, the process
            // aborts as soon as this hook returns.
            if ending::abort_with(root, capture.to_failure(frame.name)) {
                return;
            }
        } else if let Some(holder) = holder(root, &capture) {
            remember(&capture, Some(&holder));
            let held_back = installed.previous_is_default;
            context::push_held(capture, holder, &frame, held_back);
            if !held_back {
                (installed.previous)(info);
            }
            return;
        } else {
            announce_late(&capture, frame.name, root);
        }
    }
    if let Some(root) = context::all_panics_root().filter(|root| root.is_collecting()) {
        // `all_panics`: a failure, named after its thread.
        let thread = capture.thread.as_deref().unwrap_or("<unnamed>");
        let mut failure = capture.to_failure(WorkerName::Named("?"));
        failure.worker = format!("thread {thread}").into();
        capture.set_resolution(Resolution::Reported);
        remember(&capture, None);
        if cfg!(panic = "abort") {
            if ending::abort_with(&root, failure) {
                return;
            }
        } else {
            if !installed.previous_is_default {
                (installed.previous)(info);
            }
            if root.fail(failure) == Recorded::First && root.ends_at_first_failure() {
                ending::end_at_first_failure(&root);
            }
            return;
        }
    }
    capture.set_resolution(Resolution::Printed);
    remember(&capture, None);
    if cfg!(panic = "abort") && root.as_ref().is_some_and(|root| root.is_ending()) {
        // The report is being printed and the process aborts with it; a second
        // message would cut it off.
        ending::park_forever();
    }
    let _gate = stderr::gate_within(stderr::HOOK_PATIENCE);
    (installed.previous)(info);
}

/// The root that holds a panic of `root`'s worker: `root`, or, once it has decided its
/// outcome (a thread a scope started outlived it), the root the scope was made in.
fn holder(root: &Arc<Root>, capture: &Arc<Capture>) -> Option<Arc<Root>> {
    let mut root = root.clone();
    loop {
        if root.hold(capture) {
            return Some(root);
        }
        root = root.parent()?;
    }
}

/// Whether this is one of the panics the standard library raises just before it
/// aborts ("panic in a destructor during cleanup", "panic in a function that cannot
/// unwind"): they cannot unwind, so no supervised call will ever report them, and
/// Rust's own message is the only explanation of the abort the user gets.
/// (`PanicHookInfo::can_unwind` would say so directly, but is not stable.)
fn is_abort_notice(info: &PanicHookInfo<'_>) -> bool {
    info.location().is_some_and(|location| {
        let file = location.file().replace('\\', "/");
        file.ends_with("core/src/panicking.rs")
    })
}

/// What the hook sees of a panic, before the payload unwinds away.
fn capture(info: &PanicHookInfo<'_>, worker: Option<crate::report::WorkerName>) -> Capture {
    Capture::new(
        next_seq(),
        worker,
        payload_message(info.payload()),
        info.location().map(Location::from_std),
        std::thread::current().name().map(str::to_owned),
        // Unresolved frames only: symbols are looked up when the report is printed.
        Some(if backtrace_wanted() {
            Backtrace::force_capture()
        } else {
            Backtrace::disabled()
        }),
        Resolution::Held,
    )
}

// --- recent panics, for those re-raised elsewhere ---------------------------------

/// The last panics the hook saw, newest last: a payload that reaches a supervised
/// call without its own capture (re-raised by `resume_unwind`, which runs no hook) is
/// looked up here by its message.
static RECENT: Mutex<VecDeque<Recent>> = Mutex::new(VecDeque::new());
const RECENT_KEPT: usize = 32;

struct Recent {
    capture: Arc<Capture>,
    /// The root that held it, while it does.
    root: Option<Arc<Root>>,
    /// The id of the root that covered its thread, if any: a payload is only ever
    /// matched for that root (or, from a thread no root covers, for any).
    covering: Option<u64>,
}

fn remember(capture: &Arc<Capture>, root: Option<&Arc<Root>>) {
    let covering = match root {
        Some(root) => Some(root.id()),
        None => context::current_root().map(|root| root.id()),
    };
    let mut recent = RECENT.lock().unwrap_or_else(|e| e.into_inner());
    if recent.len() == RECENT_KEPT {
        recent.pop_front();
    }
    recent.push_back(Recent {
        capture: capture.clone(),
        root: root.cloned(),
        covering,
    });
}

/// What a payload that reached a supervised call without a capture of its own was.
pub(crate) enum Reraised {
    /// A panic already reported as a failure: this is the same failure again.
    Reported,
    /// A panic to report now, as the hook saw it where it happened.
    Report(Arc<Capture>),
    /// Not one fate saw (or no longer remembers).
    Unknown,
}

/// Looks up the panic whose payload reads `message`, re-raised on this thread in a
/// supervised call of the root `root`: the most recent one of that root's threads, else
/// of a thread no root covers (a pool's). Never another root's: two roots' panics may
/// read the same (`called `Option::unwrap()` on a `None` value`).
pub(crate) fn reraised(message: &str, root: &Root) -> Reraised {
    let found = {
        let recent = RECENT.lock().unwrap_or_else(|e| e.into_inner());
        let candidates = || {
            recent
                .iter()
                .rev()
                .filter(|recent| recent.capture.message == message)
        };
        candidates()
            .find(|recent| recent.covering == Some(root.id()))
            .or_else(|| candidates().find(|recent| recent.covering.is_none()))
            .map(|recent| (recent.capture.clone(), recent.root.clone()))
    };
    let Some((capture, root)) = found else {
        return Reraised::Unknown;
    };
    match capture.resolution() {
        Resolution::Reported => Reraised::Reported,
        Resolution::Held => match root.and_then(|root| root.take_held(capture.seq)) {
            Some(capture) => Reraised::Report(capture),
            // Reported meanwhile.
            None => Reraised::Reported,
        },
        Resolution::Caught | Resolution::Printed => Reraised::Report(capture),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_default_hook_from_a_custom_one() {
        // libtest may have installed a hook of its own: take it, and the default one
        // is next.
        let libtest = std::panic::take_hook();
        let default = std::panic::take_hook();
        assert!(is_default_hook(&default));
        let custom: Hook = Box::new(|_| {});
        assert!(!is_default_hook(&custom));
        let capturing: Hook = Box::new(move |info| default(info));
        assert!(!is_default_hook(&capturing));
        std::panic::set_hook(libtest);
    }

    #[test]
    fn payload_messages_read_like_rusts_own() {
        assert_eq!(payload_message(&"static"), "static");
        assert_eq!(payload_message(&String::from("owned")), "owned");
        assert_eq!(payload_message(&42_i32), "Box<dyn Any>");
    }
}
