//! What a supervised call does on entry and exit: the hot path, and what a failure
//! escaping it becomes.
//!
//! A call enters a frame (a thread-local update; nothing at all when no root covers
//! the thread), runs the body under `catch_unwind`, and leaves. What escapes it is a
//! failure only if no enclosing supervised call could still handle it:
//! - a panic unwinding out of an enclosed call goes on unwinding into its encloser,
//!   carrying the capture the hook made where it started; out of an outermost call,
//!   it is reported to the root, and then resumed;
//! - an `Err` an enclosed call returns is kept for its encloser (a few per thread,
//!   and in a supervised future between its polls): returned unchanged by it, it is
//!   one failure, named after the innermost call; wrapped or handled, it is the
//!   encloser's business. An outermost call's `Err` is reported, and
//!   returned unchanged.
//!
//! fate observes; it never changes what a function returns or how it unwinds.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::alerts;
use crate::context::{self, Entered, Formatting, Frame, FrameKind, Leaving, PassedUp};
use crate::ending;
use crate::hook::{self, Reraised};
use crate::outcome::ErrorRef;
use crate::report::{
    next_seq, payload_message, Capture, Disposition, ErrorText, Failure, WorkerName,
};
use crate::root::{Recorded, Root};
use crate::stderr;
use crate::sync::Arc;

/// Whether a worker's failure fails its root (`critical = false` says it does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Criticality {
    /// The default: the worker's failure fails its root.
    Critical,
    /// `critical = false`: a failure escaping the worker (outermost: its thread's or
    /// task's supervised function) is reported, and the root goes on.
    NotCritical,
}

/// Runs a supervised call: `body` is the function's body, `inspect` finds an `Err`
/// in its value.
#[inline]
pub(crate) fn run<R>(
    name: WorkerName,
    criticality: Criticality,
    body: impl FnOnce() -> R,
    inspect: impl for<'a> FnOnce(&'a R) -> Option<ErrorRef<'a>>,
) -> R {
    let Some(entered) = context::enter(name, FrameKind::Call) else {
        // No root covers this thread: exactly the plain function.
        return body();
    };
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => {
            if let Some(error) = inspect(&value) {
                returned_err(&entered, criticality, error);
            }
            context::leave(entered, Leaving::Normally);
            value
        }
        Err(payload) => {
            escaped(&entered, criticality, Some(&*payload), Unwinds::On);
            context::leave(entered, Leaving::Unwinding);
            panic::resume_unwind(payload)
        }
    }
}

/// Runs a root's body or a `fate::spawn`ed closure (`kind`) as `name`: a panic
/// escaping it is a failure. Returns the payload of such a panic, already reported.
pub(crate) fn run_boundary<R>(
    name: WorkerName,
    kind: FrameKind,
    body: impl FnOnce() -> R,
) -> Result<R, Box<dyn Any + Send>> {
    let entered = context::enter(name, kind);
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => {
            if let Some(entered) = entered {
                context::leave(entered, Leaving::Normally);
            }
            Ok(value)
        }
        Err(payload) => {
            if let Some(entered) = entered {
                escaped(
                    &entered,
                    Criticality::Critical,
                    Some(&*payload),
                    Unwinds::On,
                );
                context::leave(entered, Leaving::Unwinding);
            }
            Err(payload)
        }
    }
}

/// The `Err` that the call `entered` returned.
#[cold]
#[inline(never)]
fn returned_err(entered: &Entered, criticality: Criticality, error: ErrorRef<'_>) {
    context::touch();
    if cfg!(panic = "abort") && entered.enclosed {
        // The encloser may handle it, and nothing can catch a `Display` that panics
        // here: leave it unformatted (an encloser returning it is then named itself).
        return;
    }
    let name = entered.frame.name;
    let returned = context::formatting(Formatting::ErrorOf(name), || error.to_returned());
    let encloser = entered.outer.filter(|_| entered.enclosed);
    if let Some(root) = context::current_root() {
        report_returned(
            &root,
            name,
            entered.frame.owner,
            encloser,
            criticality,
            returned,
        );
    }
}

/// What becomes of an `Err` the call (or future) `owner`, named `name`, returned:
/// kept for `encloser`, or reported to `root` when there is none.
pub(crate) fn report_returned(
    root: &Arc<Root>,
    name: WorkerName,
    owner: u64,
    encloser: Option<Frame>,
    criticality: Criticality,
    returned: ErrorText,
) {
    if context::take_handled(owner) {
        return;
    }
    // An `Err` an inner call passed up unchanged is that call's failure, with the
    // innermost `exit_code` of the calls that returned it.
    let (worker, seq, exit_code) = match context::take_passed_up(owner, &returned) {
        Some(inner) => (
            inner.worker,
            inner.seq,
            inner.exit_code.or(name.exit_code()),
        ),
        _ => (name, next_seq(), name.exit_code()),
    };
    match encloser {
        Some(encloser) => context::pass_up(PassedUp {
            encloser: encloser.owner,
            worker,
            seq,
            returned,
            exit_code,
        }),
        None => {
            let failure = Failure {
                exit_code,
                ..returned.to_failure(worker, seq)
            };
            handle(root, criticality, failure);
        }
    }
}

/// A failure that escaped its worker: recorded with the root, or, for a `critical =
/// false` worker, reported without failing it.
pub(crate) fn handle(root: &Root, criticality: Criticality, failure: Failure) {
    match criticality {
        Criticality::Critical => {
            let _ = record(root, failure);
        }
        Criticality::NotCritical => not_critical(root, failure),
    }
}

/// A failure of a `critical = false` worker: noted for the root's report and for the
/// failure hooks, and one line on stderr; the root goes on.
#[cold]
#[inline(never)]
fn not_critical(root: &Root, failure: Failure) {
    stderr::print(&format!(
        "fate: {} (not critical: the program goes on)\n",
        failure.summary_line()
    ));
    root.note_not_critical(&failure);
    alerts::announce(&failure, Disposition::NotCritical);
}

/// Whether a panic that escapes a frame goes on unwinding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unwinds {
    /// It is resumed: an encloser may still handle it.
    On,
    /// fate stops it here (a panic in a cancelled future's `Drop`): it is a failure,
    /// enclosed or not.
    Stops,
}

/// A panic unwinds out of the frame `entered` (still entered): carried on into its
/// encloser, or reported when the frame is outermost. `payload` is `None` when only
/// a destructor sees the unwind (a guard).
#[cold]
#[inline(never)]
pub(crate) fn escaped(
    entered: &Entered,
    criticality: Criticality,
    payload: Option<&(dyn Any + Send)>,
    unwinds: Unwinds,
) {
    let message = payload.map(payload_message);
    let held = context::take_unwinding(&entered.frame, message.as_deref());
    if let Some(held) = &held {
        held.capture.unwinds_out_of(entered.frame.name.exit_code());
    }
    if entered.enclosed && unwinds == Unwinds::On {
        if let (Some(held), Some(outer)) = (held, entered.outer) {
            context::carry(held, &outer);
        }
        return;
    }
    if let Some(held) = held {
        match criticality {
            Criticality::Critical => record_held(&held.root, held.capture.seq),
            // Taken back from the root (its outcome waits for no held panic), marked
            // so that its unwinding on is not reported again. `None`: the root
            // decided meanwhile, with this panic in its report.
            Criticality::NotCritical => {
                if let Some(capture) = held.root.release_caught(held.capture.seq) {
                    capture.set_resolution(crate::report::Resolution::Reported);
                    let worker = capture.worker.unwrap_or(entered.frame.name);
                    not_critical(&held.root, capture.to_failure(worker));
                }
            }
        }
        return;
    }
    // A panic the hook did not hold here: re-raised from elsewhere (`resume_unwind`
    // runs no hook), or seen by no hook of fate's.
    let Some(root) = context::current_root() else {
        return;
    };
    let capture = match message
        .as_deref()
        .map(|message| hook::reraised(message, &root))
    {
        Some(Reraised::Reported) => return,
        Some(Reraised::Report(capture)) => capture,
        Some(Reraised::Unknown) | None => Arc::new(Capture::from_payload(payload)),
    };
    capture.set_resolution(crate::report::Resolution::Reported);
    let worker = capture.worker.unwrap_or(entered.frame.name);
    handle(&root, criticality, capture.to_failure(worker));
}

/// A panic that reached `root`'s code outside any of its frames (an executor's own,
/// around the polls of `main`'s body): reported as the failure of `name`, as the hook
/// saw it where it happened if it did.
pub(crate) fn report_uncovered(root: &Root, name: WorkerName, payload: &(dyn Any + Send)) {
    let capture = match hook::reraised(&payload_message(payload), root) {
        Reraised::Reported => return,
        Reraised::Report(capture) => capture,
        Reraised::Unknown => Arc::new(Capture::from_payload(Some(payload))),
    };
    capture.set_resolution(crate::report::Resolution::Reported);
    let _ = record(root, capture.to_failure(capture.worker.unwrap_or(name)));
}

/// Records a failure with `root`; for a `main` root with no grace period, the thread
/// that records the first failure then ends the process.
pub(crate) fn record(root: &Root, failure: Failure) -> Recorded {
    // A failure of a worker that outlived its root (a thread a scope started with
    // `fate::spawn`): the root the scope was made in gets it, if it is still there.
    let recorded = match root.fail(failure.clone()) {
        Recorded::TooLate => match root.parent() {
            Some(parent) => return record(&parent, failure),
            None => {
                if !root.decided_failed() {
                    late(&failure);
                }
                Recorded::TooLate
            }
        },
        recorded => recorded,
    };
    if recorded == Recorded::First && root.ends_at_first_failure() {
        ending::end_at_first_failure(root);
    }
    recorded
}

/// A failure no root takes any more, of a root that ended well: one line on stderr,
/// so that it is not lost (a panic's message Rust prints itself). After a root that
/// failed, later failures are most often its consequences (workers stopping), and
/// are left out.
fn late(failure: &Failure) {
    if failure.kind != crate::report::FailureKind::Panic {
        stderr::print(&format!(
            "fate: {} (after its root had decided its outcome)\n",
            failure.summary_line()
        ));
        alerts::announce(failure, Disposition::Later);
    }
}

fn record_held(root: &Root, seq: u64) {
    if root.report_held(seq) == Recorded::First && root.ends_at_first_failure() {
        ending::end_at_first_failure(root);
    }
}

/// A supervised call whose value is never an error, as a guard: the function's body
/// stays where it is (no closure, so inference works as in the plain function), and a
/// panic is seen when the guard is dropped while unwinding.
#[must_use]
pub struct Guard(Option<GuardState>);

struct GuardState {
    entered: Entered,
    criticality: Criticality,
    /// A worker called from a destructor during unwinding must not take that
    /// unwind for its own panic.
    panicking_at_entry: bool,
}

impl Guard {
    #[inline]
    pub(crate) fn enter(name: WorkerName, criticality: Criticality) -> Self {
        Guard(
            context::enter(name, FrameKind::Call).map(|entered| GuardState {
                entered,
                criticality,
                panicking_at_entry: std::thread::panicking(),
            }),
        )
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        let Some(state) = self.0.take() else {
            return;
        };
        if std::thread::panicking() && !state.panicking_at_entry {
            escaped(&state.entered, state.criticality, None, Unwinds::On);
            context::leave(state.entered, Leaving::Unwinding);
        } else {
            context::leave(state.entered, Leaving::Normally);
        }
    }
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Guard")
            .field(&self.0.as_ref().map(|state| state.entered.frame.name))
            .finish()
    }
}

/// Spawns a thread like [`std::thread::spawn`], carrying the current root into it.
///
/// The new thread is covered by the root that is current where `spawn` is called, so
/// roots that run side by side in one process (parallel tests using
/// [`Supervisor`](crate::Supervisor)) never see each other's failures. A panic in `f`
/// is reported even when `f` calls no supervised function; its worker is named after
/// the place of the call (``fate::spawn at src/main.rs:12:5``). `f`'s value is not
/// inspected: an `Err` it returns is the caller's to look at through the
/// `JoinHandle`.
///
/// With no root current, this is exactly `std::thread::spawn`.
///
/// # Panics
///
/// Like `std::thread::spawn`, if the operating system cannot create a thread.
#[track_caller]
pub fn spawn<F, T>(f: F) -> std::thread::JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let name = WorkerName::Spawned(panic::Location::caller());
    match context::current_root() {
        None => std::thread::spawn(f),
        Some(root) => std::thread::spawn(move || {
            // Never given back: the thread ends with the closure.
            let _own = context::set_own_root(&root);
            drop(root);
            match run_boundary(name, FrameKind::Spawned, f) {
                Ok(value) => value,
                Err(payload) => panic::resume_unwind(payload),
            }
        }),
    }
}
