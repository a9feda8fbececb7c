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
//!   dropped.

use std::future::{poll_fn, Future};
use std::panic::{self, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use crate::outcome::Returned;
use crate::registry;
use crate::supervisor::{Root, Slot};
use crate::sync::Arc;
use crate::worker::{self, WorkerName};

/// Wraps `future` as the worker `name`; `inspect` finds an `Err` in its output.
pub(crate) fn supervise<F: Future>(
    name: WorkerName,
    future: F,
    inspect: impl FnOnce(&F::Output) -> Option<Returned>,
) -> impl Future<Output = F::Output> {
    let root = registry::current_root();
    async move {
        let Some(root) = root else {
            // No supervisor where the future was made: exactly the plain future.
            return future.await;
        };
        let mut call = Call {
            future: pin!(Some(future)),
            root: Some(root),
            name,
            running: None,
            inner_failed: false,
        };
        let output = poll_fn(|cx| call.poll(cx)).await;
        if let (Some(returned), Some(root)) = (inspect(&output), &call.root) {
            worker::report_returned(root, name, returned, call.inner_failed);
        }
        output
    }
}

/// A supervised future in progress. `future` is emptied when it completes, so that
/// dropping a `Call` with the future still there means it was cancelled.
struct Call<'a, F: Future> {
    future: Pin<&'a mut Option<F>>,
    /// `None` only while lent to the polling thread (see [`PollScope`]).
    root: Option<Arc<Root>>,
    name: WorkerName,
    /// Where it counts as running: the slot of the thread that first polled it.
    running: Option<Arc<Slot>>,
    /// A supervised call inside this future (during one of its polls) reported a
    /// failure: an `Err` output is then most likely that failure passed up.
    inner_failed: bool,
}

impl<F: Future> Call<'_, F> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<F::Output> {
        if self.running.is_none() {
            self.running = self.root.as_ref().and_then(registry::slot_for);
            if let Some(slot) = &self.running {
                slot.enter_future();
            }
        }
        let scope = PollScope::enter(&mut self.root, self.name);
        let Some(future) = self.future.as_mut().as_pin_mut() else {
            scope.leave(&mut self.root);
            panic!("a supervised future was polled after it completed");
        };
        let reported_before = worker::reported_count();
        let polled = panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
        self.inner_failed |= worker::reported_count() > reported_before;
        match polled {
            Ok(Poll::Pending) => {
                scope.leave_normally(&mut self.root);
                Poll::Pending
            }
            Ok(Poll::Ready(output)) => {
                self.drop_future();
                scope.leave_normally(&mut self.root);
                Poll::Ready(output)
            }
            Err(payload) => {
                scope.leave(&mut self.root);
                if let Some(root) = &self.root {
                    worker::report_panic(root, self.name, Some(&*payload));
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
            let scope = PollScope::enter(&mut self.root, self.name);
            self.drop_future();
            scope.leave(&mut self.root);
        }
        if let (Some(slot), Some(root)) = (self.running.take(), &self.root) {
            slot.leave_future(root);
        }
    }
}

/// For the length of one poll: this worker is the innermost supervised call on the
/// thread, and its root is the thread's root. The future's `Arc` of its root is lent
/// to the thread and given back (`leave`), so a poll never touches the root's
/// reference count, which all the threads polling its futures share.
struct PollScope {
    outer_frame: Option<WorkerName>,
    outer_root: Option<Arc<Root>>,
}

impl PollScope {
    fn enter(root: &mut Option<Arc<Root>>, name: WorkerName) -> Self {
        let outer_root = registry::set_thread_root(root.take());
        let outer_frame = worker::enter_frame(name);
        PollScope {
            outer_frame,
            outer_root,
        }
    }

    /// Gives the root back to `root`, and the thread its previous state.
    fn leave(mut self, root: &mut Option<Arc<Root>>) {
        worker::leave_frame(self.outer_frame);
        *root = registry::set_thread_root(self.outer_root.take());
    }

    fn leave_normally(self, root: &mut Option<Arc<Root>>) {
        let outermost = self.outer_frame.is_none();
        self.leave(root);
        crate::panic::settle(outermost);
    }
}
