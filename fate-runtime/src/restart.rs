//! `restart = N, within = "..", backoff = ".."`: a worker whose call fails (a panic, or
//! an `Err` escaping it) is called again, in place, with clones of its arguments, at
//! most N times within any `within`, waiting `backoff`, then twice that, ... (capped)
//! before each attempt.
//!
//! The restart loop runs *inside* the worker's frame (sync) or inside each poll of
//! the worker's supervised future (async), so the protocol of a failure is the usual
//! one up to the moment the loop sees it: the hook holds a panic for the frame, an
//! inner call's `Err` is passed up to it. The loop then either hands the failure on
//! unchanged (the budget is spent, or the root is cancelled before the failure: the
//! frame reports it as it would any failure) or takes it back from the protocol (the
//! held panic released without its message; the `Err` dropped), notes the restart with
//! the root (for the report) and on stderr, waits out the backoff, and calls again. A
//! cancellation that cuts the backoff short ends the worker with the failure taken
//! back, marked as dealt with: it was told as a restart, and is not reported again.

use std::any::Any;
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::alerts;
use crate::cancel;
use crate::context::{self, Formatting, Frame, PassedUp};
use crate::outcome::ErrorRef;
use crate::report::{next_seq, payload_message, Capture, Disposition, Failure, Resolution};
use crate::root::{DisplayDuration, Recorded, Root};
use crate::stderr;
use crate::sync::Arc;
use crate::timer;

/// The restart options of a worker.
#[derive(Clone, Copy, Debug)]
pub struct RestartPolicy {
    /// `restart = N`: at most this many restarts within any `within`.
    pub times: u32,
    /// `within = ".."` (default 5 s).
    pub within: Duration,
    /// `backoff = ".."` (default 0): the wait before the first restart of a run of
    /// restarts; each further restart within `within` waits twice the one before.
    pub backoff: Duration,
    /// `max_backoff = ".."` (default [`DEFAULT_MAX_BACKOFF`]).
    pub max_backoff: Duration,
}

/// The longest backoff unless `max_backoff` says otherwise.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The restarts still allowed: those within the last `within`.
#[derive(Debug)]
struct Budget {
    policy: RestartPolicy,
    recent: VecDeque<Instant>,
}

impl Budget {
    fn new(policy: RestartPolicy) -> Self {
        Budget {
            policy,
            recent: VecDeque::new(),
        }
    }

    /// Whether no restart is left at `now`.
    fn spent(&self, now: Instant) -> bool {
        let recent = self
            .recent
            .iter()
            .filter(|&&at| now.saturating_duration_since(at) < self.policy.within)
            .count();
        recent >= self.policy.times as usize
    }

    /// Takes one restart at `now`, if the budget allows: its number (1-based) among
    /// the restarts within `within`, and the backoff to wait first.
    fn take(&mut self, now: Instant) -> Option<(u32, Duration)> {
        while self
            .recent
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= self.policy.within)
        {
            self.recent.pop_front();
        }
        let taken = u32::try_from(self.recent.len()).unwrap_or(u32::MAX);
        if taken >= self.policy.times {
            return None;
        }
        self.recent.push_back(now);
        let doubling = 2u32.checked_pow(taken).unwrap_or(u32::MAX);
        let backoff = self
            .policy
            .backoff
            .checked_mul(doubling)
            .unwrap_or(Duration::MAX)
            .min(self.policy.max_backoff);
        Some((taken + 1, backoff))
    }
}

/// What the loop does with a failure it saw.
enum Next {
    /// Call again after this backoff.
    Restart(Duration),
    /// Hand the failure on unchanged.
    HandOn,
}

/// The sync loop, called inside the worker's frame.
pub(crate) fn restarting<R>(
    policy: RestartPolicy,
    mut attempt: impl FnMut() -> R,
    inspect: impl for<'a> Fn(&'a R) -> Option<ErrorRef<'a>>,
) -> R {
    let mut budget = Budget::new(policy);
    loop {
        // The frame and root are looked up only when an attempt fails: a call that
        // succeeds costs the loop's `catch_unwind` and nothing more. (Still inside the
        // worker's frame: the attempt's own frames are left by now.)
        let here = || match (context::innermost(), context::current_root()) {
            (Some(frame), Some(root)) => Some((frame, root)),
            // No root: exactly the plain function; its failure is handed on.
            _ => None,
        };
        match panic::catch_unwind(AssertUnwindSafe(&mut attempt)) {
            Ok(value) => {
                let Some(error) = inspect(&value) else {
                    return value;
                };
                let Some((frame, root)) = here() else {
                    return value;
                };
                let (failure, passed_up) = returned_failure(&frame, error);
                match consider(&root, &frame, &mut budget, &failure) {
                    Next::HandOn => {
                        // As it came: still named for the inner call that passed it up.
                        if let Some(passed_up) = passed_up {
                            context::pass_up(passed_up);
                        }
                        return value;
                    }
                    Next::Restart(backoff) => {
                        if back_off(&root, backoff) {
                            // Cancelled while waiting: no more restarts. The failure was
                            // told as a restart already: the worker ends with it, and
                            // its frame does not report it again.
                            context::mark_handled(frame.owner);
                            return value;
                        }
                    }
                }
            }
            Err(payload) => {
                let Some((frame, root)) = here() else {
                    panic::resume_unwind(payload);
                };
                let Some((backoff, capture)) = take_panic(&root, &frame, &mut budget, &*payload)
                else {
                    panic::resume_unwind(payload);
                };
                if back_off(&root, backoff) {
                    // As for an `Err`: told as a restart already, not reported again.
                    capture.set_resolution(Resolution::Reported);
                    panic::resume_unwind(payload);
                }
                drop_payload(payload);
            }
        }
    }
}

/// The async loop, polled inside the worker's supervised future.
pub(crate) async fn restarting_future<F: Future>(
    policy: RestartPolicy,
    mut make: impl FnMut() -> F,
    inspect: impl for<'a> Fn(&'a F::Output) -> Option<ErrorRef<'a>>,
) -> F::Output {
    let mut budget = Budget::new(policy);
    loop {
        let mut slot = pin!(Some(make()));
        let outcome = poll_fn(|cx| {
            let polled = panic::catch_unwind(AssertUnwindSafe(|| {
                let polled = slot.as_mut().as_pin_mut().map(|attempt| attempt.poll(cx));
                if let Some(Poll::Ready(_)) = polled {
                    slot.set(None);
                }
                polled
            }));
            match polled {
                Ok(Some(Poll::Ready(output))) => Poll::Ready(Ok(output)),
                Ok(Some(Poll::Pending)) => Poll::Pending,
                Ok(None) => unreachable!("an attempt is polled until it completes, then dropped"),
                Err(payload) => Poll::Ready(Err(payload)),
            }
        })
        .await;
        let outcome = match outcome {
            Ok(output) if inspect(&output).is_none() => return output,
            failed => failed,
        };
        // A failure. Still inside the poll that saw it: its frame is the innermost.
        let (Some(frame), Some(root)) = (context::innermost(), context::current_root()) else {
            return match outcome {
                Ok(output) => output,
                Err(payload) => panic::resume_unwind(payload),
            };
        };
        match outcome {
            Ok(output) => {
                let Some(error) = inspect(&output) else {
                    return output;
                };
                let (failure, passed_up) = returned_failure(&frame, error);
                match consider(&root, &frame, &mut budget, &failure) {
                    Next::HandOn => {
                        if let Some(passed_up) = passed_up {
                            context::pass_up(passed_up);
                        }
                        return output;
                    }
                    Next::Restart(backoff) => {
                        if !backoff.is_zero() && !wait_or_cancelled(backoff).await {
                            // Still in the poll of the supervised future: its owner.
                            context::mark_handled(frame.owner);
                            return output;
                        }
                    }
                }
            }
            Err(payload) => {
                // The attempt that panicked is dropped first: a panic in its `Drop`
                // belongs to the same failure.
                if let Err(second) = panic::catch_unwind(AssertUnwindSafe(|| slot.set(None))) {
                    drop_payload(second);
                }
                let Some((backoff, capture)) = take_panic(&root, &frame, &mut budget, &*payload)
                else {
                    panic::resume_unwind(payload);
                };
                if !backoff.is_zero() && !wait_or_cancelled(backoff).await {
                    capture.set_resolution(Resolution::Reported);
                    panic::resume_unwind(payload);
                }
                drop_payload(payload);
            }
        }
    }
}

/// Waits `backoff` on this thread, or less if `root` is cancelled meanwhile; `true` if
/// it was. Not a stall of the worker: fate makes it wait.
fn back_off(root: &Root, backoff: Duration) -> bool {
    if backoff.is_zero() {
        return false;
    }
    let _waiting = context::waiting();
    root.wait_cancelled(backoff)
}

/// Waits `backoff`, or less if the root is cancelled meanwhile; `true` if the whole
/// backoff passed.
async fn wait_or_cancelled(backoff: Duration) -> bool {
    // Begun in the poll that fails (the watched worker's, if any), ended when done.
    let _waiting = context::waiting();
    let mut sleep = pin!(timer::sleep(backoff));
    let mut cancelled = pin!(cancel::cancelled());
    poll_fn(|cx| {
        if cancelled.as_mut().poll(cx).is_ready() {
            return Poll::Ready(false);
        }
        sleep.as_mut().poll(cx).map(|()| true)
    })
    .await
}

/// The failure an `Err` the attempt returned is: named for the inner call it came
/// from when one passed it up unchanged, as the report would name it. The inner call's
/// pass-up comes back too, to give back if the failure is handed on.
fn returned_failure(frame: &Frame, error: ErrorRef<'_>) -> (Failure, Option<PassedUp>) {
    let returned = context::formatting(Formatting::ErrorOf(frame.name), || error.to_returned());
    let passed_up = context::take_passed_up(frame.owner, &returned);
    let worker = match &passed_up {
        Some(inner) => inner.worker,
        None => frame.name,
    };
    (returned.to_failure(worker, next_seq()), passed_up)
}

/// Whether `failure` is restarted: it is, if the budget allows and the root is
/// neither cancelled nor decided; the restart is then noted with the root and on
/// stderr.
fn consider(root: &Arc<Root>, frame: &Frame, budget: &mut Budget, failure: &Failure) -> Next {
    if root.is_cancelled() {
        return Next::HandOn;
    }
    let Some((number, backoff)) = budget.take(Instant::now()) else {
        return Next::HandOn;
    };
    if !root.note_restart(frame.name, failure) {
        return Next::HandOn;
    }
    let disposition = Disposition::Restarted {
        restart: number,
        of: budget.policy.times,
    };
    alerts::announce(failure, disposition);
    if let Some(beats) = context::current_beats() {
        beats.restarted();
    }
    let after = if backoff.is_zero() {
        String::new()
    } else {
        format!(" in {}", DisplayDuration(backoff))
    };
    stderr::print(&format!(
        "fate: {}; restarting `{}` ({number} of {} within {}){after}\n",
        failure.summary_line(),
        frame.name,
        budget.policy.times,
        DisplayDuration(budget.policy.within),
    ));
    Next::Restart(backoff)
}

/// A panic the attempt ended in, taken back from the protocol to be restarted after
/// the backoff. `None` when it is handed on: untouched (the frame then reports it as
/// usual), or, when the root was cancelled just after it was taken, reported here.
fn take_panic(
    root: &Arc<Root>,
    frame: &Frame,
    budget: &mut Budget,
    payload: &(dyn Any + Send),
) -> Option<(Duration, Arc<Capture>)> {
    if !root.is_collecting() || root.is_cancelled() || budget.spent(Instant::now()) {
        return None;
    }
    let message = payload_message(payload);
    let capture = match context::take_unwinding(frame, Some(&message)) {
        // Released without its message (the restart notice says it). `None`: the
        // root has decided its outcome meanwhile, and this panic is in its report.
        Some(held) => held.root.release_caught(held.capture.seq)?,
        // Not held here (re-raised from another thread, or no hook of fate's saw it).
        None => Arc::new(Capture::from_payload(Some(payload))),
    };
    let failure = capture.to_failure(capture.worker.unwrap_or(frame.name));
    match consider(root, frame, budget, &failure) {
        Next::Restart(backoff) => Some((backoff, capture)),
        Next::HandOn => {
            hand_on_taken_panic(root, frame, &capture);
            None
        }
    }
}

/// A panic the loop took back and then did not restart after all (the root was
/// cancelled, or decided its outcome, meanwhile): reported as the failure it is, and
/// marked so that its unwinding out of the frame is not reported twice. Too late for
/// the root's report, it is printed as Rust prints a panic, like any panic after the
/// report.
fn hand_on_taken_panic(root: &Arc<Root>, frame: &Frame, capture: &Capture) {
    capture.set_resolution(Resolution::Reported);
    let failure = capture.to_failure(capture.worker.unwrap_or(frame.name));
    if crate::worker::record(root, failure) == Recorded::TooLate {
        stderr::print(&capture.render_like_default_hook());
    }
}

/// Drops a panic's payload, whose own `Drop` may panic too.
fn drop_payload(payload: Box<dyn Any + Send>) {
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
}

#[cfg(all(test, not(fate_loom)))]
mod tests {
    use super::*;

    fn policy(times: u32, within_ms: u64, backoff_ms: u64, max_ms: u64) -> RestartPolicy {
        RestartPolicy {
            times,
            within: Duration::from_millis(within_ms),
            backoff: Duration::from_millis(backoff_ms),
            max_backoff: Duration::from_millis(max_ms),
        }
    }

    #[test]
    fn the_budget_is_n_restarts_within_the_window_with_doubling_capped_backoff() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut budget = Budget::new(policy(3, 1000, 100, 250));
        assert_eq!(budget.take(at(0)), Some((1, Duration::from_millis(100))));
        assert_eq!(budget.take(at(10)), Some((2, Duration::from_millis(200))));
        assert_eq!(budget.take(at(20)), Some((3, Duration::from_millis(250))));
        assert_eq!(budget.take(at(30)), None, "a fourth within 1 s");
        assert_eq!(budget.take(at(999)), None);
        // The first restart leaves the window at 1000 ms: one more is allowed, and
        // its backoff doubles from the two still in the window.
        assert_eq!(budget.take(at(1000)), Some((3, Duration::from_millis(250))));
        // Long after: the window is empty, the backoff starts over.
        assert_eq!(budget.take(at(5000)), Some((1, Duration::from_millis(100))));
    }

    #[test]
    fn a_huge_backoff_saturates_at_the_cap() {
        let mut budget = Budget::new(policy(100, 60_000, 1000, 30_000));
        let now = Instant::now();
        let backoffs: Vec<Duration> = (0..100)
            .filter_map(|_| budget.take(now))
            .map(|(_, b)| b)
            .collect();
        assert_eq!(backoffs.len(), 100);
        assert_eq!(backoffs[0], Duration::from_secs(1));
        assert!(backoffs[5..].iter().all(|&b| b == Duration::from_secs(30)));
    }
}
