//! What a supervised call does on entry and exit: the hot path.
//!
//! A call finds its root (a thread-local read when there is none), counts itself as
//! running, runs the body under `catch_unwind`, reports a panic or an `Err`, and
//! leaves. A panic is reported and then resumed, and an `Err` is returned unchanged:
//! fate observes, it never changes what a function does.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::outcome::Returned;
use crate::registry;
use crate::supervisor::Root;

/// A worker's name as the report shows it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum WorkerName {
    /// The function's name, or its `name = "..."`.
    Named(&'static str),
    /// A closure started by `fate::spawn` at this place.
    Spawned(&'static panic::Location<'static>),
}

impl WorkerName {
    pub(crate) fn to_cow(self) -> Cow<'static, str> {
        match self {
            WorkerName::Named(name) => Cow::Borrowed(name),
            spawned => Cow::Owned(spawned.to_string()),
        }
    }
}

impl fmt::Display for WorkerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerName::Named(name) => f.write_str(name),
            WorkerName::Spawned(at) => write!(f, "fate::spawn at {at}"),
        }
    }
}

thread_local! {
    /// The innermost supervised call running on this thread.
    static FRAME: Cell<Option<WorkerName>> = const { Cell::new(None) };
    /// How many failures supervised calls on this thread have reported.
    static REPORTED: Cell<u64> = const { Cell::new(0) };
}

/// The innermost supervised call on this thread, if any (for the panic hook).
#[inline]
pub(crate) fn current_frame() -> Option<WorkerName> {
    FRAME.try_with(Cell::get).ok().flatten()
}

/// Failures reported from this thread so far.
#[inline]
pub(crate) fn reported_count() -> u64 {
    REPORTED.try_with(Cell::get).unwrap_or(0)
}

/// Reports a failure of the worker `name` to `root`.
pub(crate) fn report(root: &Root, failure: crate::report::Failure) {
    let _ = REPORTED.try_with(|count| count.set(count.get() + 1));
    root.fail(failure);
}

/// Reports the panic unwinding through the worker `name`, unless a worker inside it
/// already did. `payload` is `None` when only a destructor sees the unwind.
pub(crate) fn report_panic(
    root: &Root,
    name: WorkerName,
    payload: Option<&(dyn std::any::Any + Send)>,
) {
    if let Some(capture) = crate::panic::take_for_report(payload) {
        let (failure, in_flight) = capture.into_report(name.to_cow());
        report(root, failure);
        drop(in_flight);
    }
}

/// Reports the `Err` a worker returned, unless `inner_failed`: a supervised call
/// inside it reported a failure, and the `Err` is most likely that failure passed up
/// with `?`, which must not count twice.
pub(crate) fn report_returned(
    root: &Root,
    name: WorkerName,
    returned: Returned,
    inner_failed: bool,
) {
    if !inner_failed {
        report(root, returned.into_failure(name.to_cow()));
    }
}

/// Makes `name` the innermost supervised call on this thread; returns the one it
/// covers, to give back to [`leave_frame`].
#[inline]
pub(crate) fn enter_frame(name: WorkerName) -> Option<WorkerName> {
    let outer = FRAME
        .try_with(|frame| frame.replace(Some(name)))
        .ok()
        .flatten();
    if outer.is_none() {
        crate::panic::reset();
    }
    outer
}

#[inline]
pub(crate) fn leave_frame(outer: Option<WorkerName>) {
    let _ = FRAME.try_with(|frame| frame.set(outer));
}

/// Runs a supervised call: `body` is the function's body, `inspect` tells whether its
/// value is an `Err` to report.
#[inline]
pub(crate) fn run<R>(
    name: WorkerName,
    body: impl FnOnce() -> R,
    inspect: impl FnOnce(&R) -> Option<Returned>,
) -> R {
    let Some(frame) = Frame::enter(name) else {
        // No supervisor anywhere: exactly the plain function.
        return body();
    };
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => {
            if let Some(returned) = inspect(&value) {
                frame.report_returned(returned);
            }
            frame.leave_normally();
            value
        }
        Err(payload) => {
            frame.report_panic(Some(&*payload));
            drop(frame);
            panic::resume_unwind(payload)
        }
    }
}

/// Runs a root's body as the worker `name`, reporting a panic as its failure instead
/// of resuming it. `None` if the body panicked. The root must be the thread's own.
pub(crate) fn run_body<R>(name: WorkerName, body: impl FnOnce() -> R) -> Option<R> {
    let frame = Frame::enter(name);
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => {
            if let Some(frame) = frame {
                frame.leave_normally();
            }
            Some(value)
        }
        Err(payload) => {
            if let Some(frame) = frame {
                frame.report_panic(Some(&*payload));
            }
            // Dropping a payload can itself panic; the report is already made.
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
            None
        }
    }
}

/// One supervised call in progress: counted as running, and the innermost frame of
/// its thread, until dropped.
struct Frame {
    entered: registry::Entered,
    name: WorkerName,
    outer: Option<WorkerName>,
    reported_at_entry: u64,
}

impl Frame {
    #[inline(always)]
    fn enter(name: WorkerName) -> Option<Self> {
        let entered = registry::enter()?;
        Some(Frame {
            entered,
            name,
            outer: enter_frame(name),
            reported_at_entry: reported_count(),
        })
    }

    #[cold]
    fn report_panic(&self, payload: Option<&(dyn std::any::Any + Send)>) {
        if let Some(root) = self.entered.root() {
            report_panic(&root, self.name, payload);
        }
    }

    #[cold]
    fn report_returned(&self, returned: Returned) {
        let inner_failed = reported_count() > self.reported_at_entry;
        if let Some(root) = self.entered.root() {
            report_returned(&root, self.name, returned, inner_failed);
        }
    }

    #[inline(always)]
    fn leave_normally(self) {
        crate::panic::settle(self.outer.is_none());
    }
}

impl Drop for Frame {
    #[inline(always)]
    fn drop(&mut self) {
        leave_frame(self.outer);
        self.entered.leave();
    }
}

/// A supervised call whose value is never an error, as a guard: the function's body
/// stays where it is (no closure, so inference works as in the plain function), and a
/// panic is seen when the guard is dropped while unwinding.
#[must_use]
pub struct Guard(Option<GuardState>);

struct GuardState {
    frame: Frame,
    /// A worker called from a destructor during unwinding must not take that
    /// unwind for its own panic.
    panicking_at_entry: bool,
}

impl Guard {
    #[inline]
    pub(crate) fn enter(name: WorkerName) -> Self {
        Guard(Frame::enter(name).map(|frame| GuardState {
            frame,
            panicking_at_entry: std::thread::panicking(),
        }))
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        let Some(state) = self.0.take() else {
            return;
        };
        if std::thread::panicking() && !state.panicking_at_entry {
            state.frame.report_panic(None);
        } else {
            state.frame.leave_normally();
        }
    }
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Guard")
            .field(&self.0.as_ref().map(|state| state.frame.name))
            .finish()
    }
}

/// Spawns a thread like [`std::thread::spawn`], carrying the current root into it.
///
/// The new thread reports to the root that is current where `spawn` is called, so
/// roots that run side by side in one process (parallel tests using
/// [`Supervisor`](crate::Supervisor)) never see each other's failures. A panic in `f`
/// is reported even when `f` calls no supervised function; its worker is named after
/// the place of the call (``fate::spawn at src/main.rs:12:5``).
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
    match registry::current_root() {
        None => std::thread::spawn(f),
        Some(root) => std::thread::spawn(move || {
            registry::set_thread_root(Some(root));
            run(name, f, |_| None)
        }),
    }
}
