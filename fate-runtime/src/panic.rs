//! The panic hook: captures message, location, thread and backtrace of a panic in a
//! supervised worker, and keeps Rust's default message from printing on top of fate's
//! report.
//!
//! The hook only *captures*. The worker wrapper ([`crate::worker`]) catches the unwind,
//! takes the capture from this thread's stash and reports it to the root. Keeping the
//! two apart means a panic that user code catches inside a worker is never reported as
//! a failure; its message is printed late instead (see [`Stash`]).

use std::any::Any;
use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};
use std::io::Write;
use std::panic::PanicHookInfo;

use once_cell::sync::OnceCell;

use crate::registry;
use crate::report::{next_seq, Failure, FailureKind, Location};
use crate::supervisor::{InFlight, Root};
use crate::worker;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

struct Installed {
    /// The hook that was in place before fate's; fate calls it for every panic it
    /// does not handle.
    previous: Hook,
    /// Whether `previous` is Rust's default hook, which fate replaces for the panics
    /// it reports. A hook the user installed runs for every panic.
    previous_is_default: bool,
}

static INSTALLED: OnceCell<Installed> = OnceCell::new();

/// Installs fate's panic hook, once per process, in front of whatever hook is there.
pub(crate) fn install_hook() {
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

fn hook(info: &PanicHookInfo<'_>) {
    let Some(installed) = INSTALLED.get() else {
        return;
    };
    let handled = worker::current_frame().and_then(|name| {
        let root = registry::current_root()?;
        root.holds_back_panics().then_some((name, root))
    });
    let Some((name, root)) = handled.filter(|_| !is_abort_notice(info)) else {
        if is_abort_notice(info) {
            // About to abort: whatever was held back must be seen now.
            print_pending();
        }
        (installed.previous)(info);
        return;
    };
    let mut capture = Capture::new(info.payload(), info.location());
    if cfg!(panic = "abort") {
        // Nothing will unwind to the worker wrapper: report now, the process aborts
        // as soon as this hook returns.
        let failure = capture.into_failure(name.to_string().into());
        let error = root.report_now(failure);
        let _ = writeln!(std::io::stderr(), "Error: {error:?}");
        return;
    }
    capture.in_flight = Some(Root::unwind_started(&root, capture.seq));
    let held_back = installed.previous_is_default;
    let _ = STASH_USED.try_with(|used| used.set(true));
    let _ = STASH.try_with(|stash| {
        let earlier = std::mem::replace(
            &mut *stash.borrow_mut(),
            Stash::Pending { capture, held_back },
        );
        // A panic still pending when the next one starts was caught by user code.
        if let Stash::Pending {
            capture,
            held_back: true,
        } = earlier
        {
            capture.print_like_default_hook();
        }
    });
    if !held_back {
        (installed.previous)(info);
    }
}

/// Whether this is one of the panics the standard library raises just before it
/// aborts ("panic in a destructor during cleanup", "panic in a function that cannot
/// unwind"): they cannot unwind, so no wrapper will ever report them, and Rust's own
/// message is the only explanation of the abort the user gets. (`PanicHookInfo::
/// can_unwind` would say so directly, but is not stable.)
fn is_abort_notice(info: &PanicHookInfo<'_>) -> bool {
    info.location().is_some_and(|location| {
        let file = location.file().replace('\\', "/");
        file.ends_with("core/src/panicking.rs")
    })
}

/// Prints the held-back message of a panic still pending on this thread.
fn print_pending() {
    let _ = STASH.try_with(|stash| {
        if let Ok(mut stash) = stash.try_borrow_mut() {
            if let Stash::Pending {
                capture,
                held_back: true,
            } = std::mem::replace(&mut *stash, Stash::Reported)
            {
                capture.print_like_default_hook();
            }
        }
    });
}

/// What the hook saw of a panic, before the payload unwinds away.
#[derive(Debug)]
pub(crate) struct Capture {
    seq: u64,
    message: String,
    location: Option<Location>,
    thread: Option<String>,
    backtrace: Backtrace,
    /// Tells the root that this panic is still unwinding towards its wrapper, until
    /// the capture is reported or dropped (caught by user code).
    in_flight: Option<InFlight>,
}

impl Capture {
    fn new(payload: &(dyn Any + Send), location: Option<&std::panic::Location<'_>>) -> Self {
        Capture {
            seq: next_seq(),
            in_flight: None,
            message: payload_message(payload),
            location: location.map(Location::from_std),
            thread: std::thread::current().name().map(str::to_owned),
            // Unresolved frames only: symbols are looked up when the report is printed.
            backtrace: if wants_panic_backtrace() {
                Backtrace::force_capture()
            } else {
                Backtrace::disabled()
            },
        }
    }

    /// What the wrapper knows when fate's hook did not run (another hook replaced it).
    pub(crate) fn from_payload(payload: Option<&(dyn Any + Send)>) -> Self {
        Capture {
            seq: next_seq(),
            in_flight: None,
            message: payload.map_or_else(
                || "(message unknown: a panic hook installed after fate's did not call it)".into(),
                payload_message,
            ),
            location: None,
            thread: std::thread::current().name().map(str::to_owned),
            backtrace: Backtrace::disabled(),
        }
    }

    pub(crate) fn into_failure(self, worker: std::borrow::Cow<'static, str>) -> Failure {
        self.into_report(worker).0
    }

    /// The failure, and the mark of the panic in flight, to drop once the failure is
    /// recorded (not before: the root would think nothing is on its way).
    pub(crate) fn into_report(
        self,
        worker: std::borrow::Cow<'static, str>,
    ) -> (Failure, Option<InFlight>) {
        let failure = Failure {
            seq: self.seq,
            worker,
            kind: FailureKind::Panic,
            message: self.message,
            chain: Vec::new(),
            location: self.location,
            thread: self.thread,
            backtrace: Some(self.backtrace),
        };
        (failure, self.in_flight)
    }

    /// Prints what Rust's default hook would have printed for this panic.
    fn print_like_default_hook(&self) {
        let thread = self.thread.as_deref().unwrap_or("<unnamed>");
        let mut text = match &self.location {
            Some(location) => format!(
                "\nthread '{thread}' panicked at {location}:\n{}",
                self.message
            ),
            None => format!("\nthread '{thread}' panicked:\n{}", self.message),
        };
        match self.backtrace.status() {
            std::backtrace::BacktraceStatus::Captured => {
                text.push_str(&format!("\nstack backtrace:\n{}", self.backtrace));
            }
            std::backtrace::BacktraceStatus::Disabled => text.push_str(
                "\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
            ),
            _ => {}
        }
        // `eprintln!` (not a raw stderr handle) so that libtest's capture sees it.
        eprintln!("{}", &text[1..]);
    }
}

/// Whether a panic's backtrace is captured: as Rust's own panic message decides, by
/// `RUST_BACKTRACE` (anything but `0`); when that is not set, by `RUST_LIB_BACKTRACE`.
/// Read once, like the standard library does.
fn wants_panic_backtrace() -> bool {
    static WANTS: OnceCell<bool> = OnceCell::new();
    *WANTS.get_or_init(|| {
        let enabled = |value: std::ffi::OsString| value != "0";
        match std::env::var_os("RUST_BACKTRACE") {
            Some(value) => enabled(value),
            None => std::env::var_os("RUST_LIB_BACKTRACE").is_some_and(enabled),
        }
    })
}

/// The text of a panic payload, as Rust's own panic message shows it.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// The last panic the hook captured on this thread, and what became of it.
#[derive(Debug, Default)]
pub(crate) enum Stash {
    /// No panic since the outermost worker on this thread started.
    #[default]
    Empty,
    /// Captured by the hook, not yet reported. If the worker returns normally while
    /// the stash is pending, user code caught the panic: it is no failure, and if the
    /// hook `held_back` the default message, the wrapper prints it then.
    Pending { capture: Capture, held_back: bool },
    /// Reported by the innermost worker it unwound through; outer workers skip it.
    Reported,
}

thread_local! {
    static STASH: RefCell<Stash> = const { RefCell::new(Stash::Empty) };
    /// Whether `STASH` may be other than `Empty`: lets the hot path skip it.
    static STASH_USED: Cell<bool> = const { Cell::new(false) };
}

/// Takes the panic being unwound for reporting, once: `None` if an inner worker
/// already reported it. `payload` is `None` when only a destructor sees the unwind.
pub(crate) fn take_for_report(payload: Option<&(dyn Any + Send)>) -> Option<Capture> {
    let _ = STASH_USED.try_with(|used| used.set(true));
    STASH
        .try_with(
            |stash| match std::mem::replace(&mut *stash.borrow_mut(), Stash::Reported) {
                Stash::Pending { capture, .. } => Some(capture),
                Stash::Reported => None,
                Stash::Empty => Some(Capture::from_payload(payload)),
            },
        )
        .unwrap_or_else(|_| Some(Capture::from_payload(payload)))
}

/// Called when a worker returns normally: a panic still pending was caught by user
/// code inside the worker, and gets the message the default hook held back.
/// `outermost` clears the stash for the next worker on this thread.
#[inline]
pub(crate) fn settle(outermost: bool) {
    if STASH_USED.try_with(Cell::get) == Ok(false) {
        return;
    }
    let _ = STASH.try_with(|stash| {
        let mut stash = stash.borrow_mut();
        if let Stash::Pending { capture, held_back } = &*stash {
            if *held_back {
                capture.print_like_default_hook();
            }
            *stash = Stash::Empty;
        } else if outermost {
            *stash = Stash::Empty;
            let _ = STASH_USED.try_with(|used| used.set(false));
        }
    });
}

/// Called when the outermost worker on a thread starts: forget an old panic.
#[inline]
pub(crate) fn reset() {
    if STASH_USED.try_with(|used| used.replace(false)) == Ok(true) {
        let _ = STASH.try_with(|stash| *stash.borrow_mut() = Stash::Empty);
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
