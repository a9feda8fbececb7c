//! Supervised futures: what a `#[supervised] async fn` returns.
//!
//! The wrapper is itself an `async` block, so it needs no `unsafe` pin projection and
//! no allocation, and it is `Send` exactly when the user's future is. It remembers the
//! root that is current where the future is *created* (a task polled on an executor's
//! thread still reports to the right root), through that thread's counter of running
//! workers, which it lends to the polling thread for each poll: the panic hook and the
//! supervised calls inside then see the root and the worker's name.
//!
//! - Each poll is a frame. A panic in it is reported when the poll is outermost (the
//!   future polled as a task of its own, or by `block_on`), then resumed: the
//!   executor sees it as usual. A poll inside another supervised future's poll (the
//!   future awaited there) passes the panic on to it.
//! - An `Err` output is a failure unless another supervised future awaits it (then
//!   it is that one's to handle or pass up); it is returned unchanged either way.
//! - A future dropped before it completes is cancelled, not failed; a panic while
//!   dropping it is caught and reported, never unwound into the executor (where a
//!   second panic would abort). A completed future is dropped at once, in its last
//!   poll: a panic in its `Drop` is that poll's.
//! - It counts as a running worker from its first poll until it completes or is
//!   dropped, on the counter it holds: no thread-local needed, so a future dropped by
//!   a thread-local's destructor still stops counting.

use std::any::Any;
use std::future::{poll_fn, Future};
use std::panic::{self, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use crate::context::{self, Formatting, FrameKind, Leaving};
use crate::outcome::ErrorRef;
use crate::report::{Capture, WorkerName};
use crate::root::Counter;
use crate::sync::Arc;
use crate::worker::{self, Criticality, Unwinds};

/// Wraps `future` as the worker `name`; `inspect` finds an `Err` in its output.
pub(crate) fn supervise<F: Future>(
    name: WorkerName,
    criticality: Criticality,
    future: F,
    inspect: impl for<'a> FnOnce(&'a F::Output) -> Option<ErrorRef<'a>>,
) -> impl Future<Output = F::Output> {
    let made = context::new_future();
    async move {
        let Some((counter, owner)) = made else {
            // No root where the future was made: exactly the plain future.
            return future.await;
        };
        let mut call = SupervisedFuture {
            future: pin!(Some(future)),
            counter: Some(counter),
            name,
            criticality,
            owner,
            entered: false,
            passed_up: Vec::new(),
        };
        let output = poll_fn(|cx| call.poll(cx)).await;
        if let Some(error) = inspect(&output) {
            call.returned_err(error);
        }
        output
    }
}

/// A supervised future in progress. `future` is emptied when it completes, so that
/// dropping a `SupervisedFuture` with the future still there means it was cancelled.
struct SupervisedFuture<'a, F: Future> {
    future: Pin<&'a mut Option<F>>,
    /// The counter of the thread that made the future: its root, and where it counts
    /// as running. `None` only while lent to the polling thread.
    counter: Option<Arc<Counter>>,
    name: WorkerName,
    criticality: Criticality,
    /// The future's identity across polls (see [`context::new_future`]).
    owner: u64,
    /// Counted as running (from its first poll).
    entered: bool,
    /// The `Err`s its awaited supervised calls and futures returned to it, kept
    /// between polls: its next poll, or its output, may be on another thread.
    passed_up: Vec<context::PassedUp>,
}

impl<F: Future> SupervisedFuture<'_, F> {
    fn owner(&self) -> u64 {
        self.owner
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<F::Output> {
        let owner = self.owner();
        if !self.entered {
            if let Some(counter) = &self.counter {
                counter.enter_future();
                if counter.tracks() {
                    counter.root().track_start(owner, self.name);
                }
                self.entered = true;
            }
        }
        let poll = context::enter_poll(self.name, owner, &mut self.counter);
        context::give_back_passed_up(&mut self.passed_up);
        let polled = self.poll_in_frame(cx, poll);
        context::keep_passed_up(owner, &mut self.passed_up);
        polled
    }

    fn poll_in_frame(
        &mut self,
        cx: &mut Context<'_>,
        poll: Option<context::PollEntered>,
    ) -> Poll<F::Output> {
        if self.future.is_none() {
            if let Some(poll) = poll {
                context::leave_poll(poll, &mut self.counter, Leaving::Normally);
            }
            panic!("a supervised future was polled after it completed");
        }
        // The future is dropped as soon as it completes, inside the same
        // `catch_unwind`: a panic in its `Drop` then unwinds like one in its last poll.
        let slot = &mut self.future;
        let polled = panic::catch_unwind(AssertUnwindSafe(|| {
            let polled = slot.as_mut().as_pin_mut().map(|future| future.poll(cx));
            if let Some(Poll::Ready(_)) = polled {
                slot.set(None);
            }
            polled
        }));
        match polled {
            Ok(Some(Poll::Pending)) => {
                if let Some(poll) = poll {
                    context::leave_poll(poll, &mut self.counter, Leaving::Normally);
                }
                Poll::Pending
            }
            Ok(Some(Poll::Ready(output))) => {
                if let Some(poll) = poll {
                    context::leave_poll(poll, &mut self.counter, Leaving::Normally);
                }
                Poll::Ready(output)
            }
            Ok(None) => unreachable!("checked above"),
            Err(payload) => {
                match &poll {
                    Some(poll) => worker::escaped(
                        &poll.entered,
                        self.criticality,
                        Some(&*payload),
                        Unwinds::On,
                    ),
                    None => self.report_without_frame(&*payload),
                }
                if let Some(poll) = poll {
                    context::leave_poll(poll, &mut self.counter, Leaving::Unwinding);
                }
                panic::resume_unwind(payload)
            }
        }
    }

    /// Drops the user's future in place, reporting a panic in its `Drop` as one
    /// escaping the frame `entered` (the poll or cancellation it happens in).
    fn drop_future(&mut self, entered: Option<&context::Entered>) {
        let future = &mut self.future;
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| future.set(None))) {
            match entered {
                Some(entered) => {
                    worker::escaped(entered, self.criticality, Some(&*payload), Unwinds::Stops)
                }
                None => self.report_without_frame(&*payload),
            }
            // The payload's own `Drop` may panic too; the failure is reported already.
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
        }
    }

    /// A panic of a future polled or dropped where the thread-local is gone (by a
    /// thread-local's destructor): the hook could not hold it, only the payload tells.
    fn report_without_frame(&self, payload: &(dyn Any + Send)) {
        if let Some(counter) = &self.counter {
            let capture = Capture::from_payload(Some(payload));
            let _ = worker::record(counter.root(), capture.to_failure(self.name));
        }
    }

    /// The future completed with `Err(error)`.
    #[cold]
    #[inline(never)]
    fn returned_err(&mut self, error: ErrorRef<'_>) {
        context::give_back_passed_up(&mut self.passed_up);
        let Some(counter) = &self.counter else {
            return;
        };
        let root = counter.root();
        let encloser = context::encloser(FrameKind::Poll, root.id());
        if cfg!(panic = "abort") && encloser.is_some() {
            // As for a sync call: nothing could catch a `Display` that panics.
            return;
        }
        let returned = context::formatting(Formatting::ErrorOf(self.name), || error.to_returned());
        worker::report_returned(
            root,
            self.name,
            self.owner(),
            encloser,
            self.criticality,
            returned,
        );
    }
}

impl<F: Future> Drop for SupervisedFuture<'_, F> {
    fn drop(&mut self) {
        if self.future.is_some() {
            // Cancelled before it completed: not a failure. Its destructor runs in a
            // frame of the worker's, so that a panic in it is reported as this
            // worker's.
            let owner = self.owner();
            let poll = context::enter_poll(self.name, owner, &mut self.counter);
            self.drop_future(poll.as_ref().map(|poll| &poll.entered));
            if let Some(poll) = poll {
                context::leave_poll(poll, &mut self.counter, Leaving::Normally);
            }
        }
        if let (true, Some(counter)) = (self.entered, &self.counter) {
            if counter.tracks() {
                counter.root().track_end(self.owner());
            }
            counter.leave_future();
        }
    }
}
