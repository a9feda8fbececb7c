//! Supervised futures: what a `#[supervised] async fn` returns.
//!
//! The wrapper is itself an `async` block, so it needs no `unsafe` pin projection and
//! no allocation, and it is `Send` exactly when the user's future is. It remembers the
//! root that is current where the future is *created* (a task polled on an executor's
//! thread still reports to the right root), and for each poll it makes that root and
//! the worker's name current on the polling thread, so that the panic hook and sync
//! workers called inside see them.
//!
//! - A panic in any poll is reported, then resumed: the executor sees it as usual.
//! - An `Err` output is reported and passed through.
//! - A future dropped before it completes is cancelled, not failed; a panic while
//!   dropping it is caught and reported, never unwound into the executor (where a
//!   second panic would abort).
//! - It counts as a running worker from its first poll until it completes or is
//!   dropped, on the slot of the thread that made it (which also holds its root, so
//!   that making futures on several threads shares no reference count).

use std::future::{poll_fn, Future};
use std::panic::{self, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use crate::outcome::Returned;
use crate::registry;
use crate::supervisor::Slot;
use crate::sync::Arc;
use crate::worker::{self, WorkerName};

/// Wraps `future` as the worker `name`; `inspect` finds an `Err` in its output.
pub(crate) fn supervise<F: Future>(
    name: WorkerName,
    future: F,
    inspect: impl FnOnce(&F::Output) -> Option<Returned>,
) -> impl Future<Output = F::Output> {
    let slot = registry::current_slot();
    async move {
        let Some(slot) = slot else {
            // No supervisor where the future was made: exactly the plain future.
            return future.await;
        };
        let mut call = Call {
            future: pin!(Some(future)),
            slot: Some(slot),
            name,
            entered: false,
            inner_failed: false,
        };
        let output = poll_fn(|cx| call.poll(cx)).await;
        if let (Some(returned), Some(slot)) = (inspect(&output), &call.slot) {
            worker::report_returned(slot.root(), name, returned, call.inner_failed);
        }
        output
    }
}

/// A supervised future in progress. `future` is emptied when it completes, so that
/// dropping a `Call` with the future still there means it was cancelled.
struct Call<'a, F: Future> {
    future: Pin<&'a mut Option<F>>,
    /// The slot of the thread that made the future: its root, and where it counts as
    /// running. `None` only while lent to the polling thread (see [`PollScope`]).
    slot: Option<Arc<Slot>>,
    name: WorkerName,
    /// Counted as running (from its first poll).
    entered: bool,
    /// A supervised call inside this future (during one of its polls) reported a
    /// failure: an `Err` output is then most likely that failure passed up.
    inner_failed: bool,
}

impl<F: Future> Call<'_, F> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<F::Output> {
        if !self.entered {
            if let Some(slot) = &self.slot {
                slot.enter_future();
                self.entered = true;
            }
        }
        let scope = PollScope::enter(&mut self.slot, self.name);
        let Some(future) = self.future.as_mut().as_pin_mut() else {
            scope.leave(&mut self.slot);
            panic!("a supervised future was polled after it completed");
        };
        let reported_before = worker::reported_count();
        let polled = panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
        self.inner_failed |= worker::reported_count() > reported_before;
        match polled {
            Ok(Poll::Pending) => {
                scope.leave_normally(&mut self.slot);
                Poll::Pending
            }
            Ok(Poll::Ready(output)) => {
                self.drop_future();
                scope.leave_normally(&mut self.slot);
                Poll::Ready(output)
            }
            Err(payload) => {
                scope.leave(&mut self.slot);
                if let Some(slot) = &self.slot {
                    worker::report_panic(slot.root(), self.name, Some(&*payload));
                }
                panic::resume_unwind(payload)
            }
        }
    }

    /// Drops the user's future in place, reporting a panic in its `Drop`. Runs in a
    /// [`PollScope`], where the root is the thread's.
    fn drop_future(&mut self) {
        let future = &mut self.future;
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| future.set(None))) {
            if let Some(root) = registry::current_root() {
                worker::report_panic(&root, self.name, Some(&*payload));
            }
            // The payload's own `Drop` may panic too; the failure is reported already.
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
        }
    }
}

impl<F: Future> Drop for Call<'_, F> {
    fn drop(&mut self) {
        if self.future.is_some() {
            // Cancelled before it completed: not a failure. Its destructor runs under
            // the worker's name, so that a panic in it is reported as this worker's.
            let scope = PollScope::enter(&mut self.slot, self.name);
            self.drop_future();
            scope.leave(&mut self.slot);
        }
        if let (true, Some(slot)) = (self.entered, &self.slot) {
            slot.leave_future();
        }
    }
}

/// For the length of one poll: this worker is the innermost supervised call on the
/// thread, and its root is the thread's root. The future's slot is lent to the thread
/// and given back (`leave`), so a poll never touches a reference count.
struct PollScope {
    outer_frame: Option<WorkerName>,
    outer_slot: Option<Arc<Slot>>,
}

impl PollScope {
    fn enter(slot: &mut Option<Arc<Slot>>, name: WorkerName) -> Self {
        let outer_slot = registry::lend_polling_slot(slot.take());
        let outer_frame = worker::enter_frame(name);
        PollScope {
            outer_frame,
            outer_slot,
        }
    }

    /// Gives the slot back to `slot`, and the thread its previous state.
    fn leave(mut self, slot: &mut Option<Arc<Slot>>) {
        worker::leave_frame(self.outer_frame);
        *slot = registry::lend_polling_slot(self.outer_slot.take());
    }

    fn leave_normally(self, slot: &mut Option<Arc<Slot>>) {
        let outermost = self.outer_frame.is_none();
        self.leave(slot);
        crate::panic::settle(outermost);
    }
}
