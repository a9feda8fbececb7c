//! Loom models of a root's synchronisation: every interleaving, up to the preemption
//! bound, of the operations that race in a supervised program.
//!
//! Run with `RUSTFLAGS="--cfg fate_loom" LOOM_MAX_PREEMPTIONS=3 cargo test -p
//! fate-runtime --lib --release loom` (`.ci/run` does). A lost wake-up shows up as a
//! deadlock, which loom reports; time is the root's model clock, moved on by hand.

use std::time::Duration;

use loom::thread;

use crate::report::{Failure, FailureKind};
use crate::supervisor::{Root, RootKind};
use crate::sync::Arc;

fn failure(worker: &'static str) -> Failure {
    Failure {
        seq: crate::report::next_seq(),
        worker: worker.into(),
        kind: FailureKind::Panic,
        message: "boom".into(),
        chain: Vec::new(),
        location: None,
        thread: None,
        backtrace: None,
    }
}

fn root(grace_ms: u64, wait: bool) -> Arc<Root> {
    Arc::new(Root::new(
        RootKind::Supervisor,
        Duration::from_millis(grace_ms),
        wait,
    ))
}

/// Two workers fail at once: exactly one is the first failure, the other is counted,
/// and the root waiting for a failure wakes.
#[test]
fn loom_first_failure_wins_exactly_once() {
    loom::model(|| {
        let root = root(0, false);
        let workers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let root = root.clone();
                thread::spawn(move || assert!(root.fail(failure(name))))
            })
            .collect();
        assert!(root.wait_for_failure_or_body());
        for worker in workers {
            worker.join().unwrap();
        }
        let error = root.seal().expect("a failure was recorded");
        assert!(error.worker() == "a" || error.worker() == "b");
        assert_eq!(error.others(), 1);
        assert!(root.is_cancelled());
    });
}

/// The failure that happened first is the report's, in whatever order the two reach
/// the root (a panic's own report can arrive after the failures its unwinding causes).
#[test]
fn loom_the_earliest_failure_is_the_report_whatever_arrives_first() {
    loom::model(|| {
        let root = root(0, false);
        let (cause, symptom) = (failure("cause"), failure("symptom"));
        assert!(cause.seq < symptom.seq);
        let reporters: Vec<_> = [cause, symptom]
            .into_iter()
            .map(|failure| {
                let root = root.clone();
                thread::spawn(move || assert!(root.fail(failure)))
            })
            .collect();
        for reporter in reporters {
            reporter.join().unwrap();
        }
        let error = root.seal().expect("two failures were recorded");
        assert_eq!(error.worker(), "cause");
        assert_eq!(error.others(), 1);
    });
}

/// A failure is never lost between a worker reporting it and the root starting to
/// wait; nor is the body finishing.
#[test]
fn loom_no_lost_wake_up_for_a_failure_or_the_body() {
    loom::model(|| {
        let root = root(0, false);
        let worker = {
            let root = root.clone();
            thread::spawn(move || {
                root.fail(failure("worker"));
            })
        };
        let body = {
            let root = root.clone();
            thread::spawn(move || root.body_finished())
        };
        root.wait_for_failure_or_body();
        worker.join().unwrap();
        body.join().unwrap();
        assert!(root.seal().is_some());
    });
}

/// The first failure wakes every thread blocked in `wait_cancelled`.
#[test]
fn loom_cancellation_wakes_every_waiter() {
    loom::model(|| {
        let root = root(0, false);
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let root = root.clone();
                // No deadline passes on the model clock: only the failure ends this.
                thread::spawn(move || assert!(root.wait_cancelled(Duration::from_secs(60))))
            })
            .collect();
        root.fail(failure("worker"));
        for waiter in waiters {
            waiter.join().unwrap();
        }
    });
}

/// With `wait`, the root waits for a running worker that leaves concurrently, and
/// wakes when it does (the worker's counter and the root's check race).
#[test]
fn loom_wait_sees_a_worker_leave() {
    loom::model(|| {
        let root = root(0, true);
        let slot = Root::new_slot(&root);
        slot.enter_call(); // the worker is running before the body ends
        let worker = {
            let root = root.clone();
            thread::spawn(move || slot.leave_call())
        };
        root.body_finished();
        assert!(root.settle(true));
        assert_eq!(root.running(), 0);
        worker.join().unwrap();
        root.end(); // as its registration does: slots hold their root
    });
}

/// After a failure, the grace period waits for the running workers, and ends at the
/// deadline while one of them is still running; the worker leaving and the clock
/// moving race with the root's check.
#[test]
fn loom_grace_ends_at_the_deadline_while_a_worker_runs() {
    loom::model(|| {
        let root = root(100, false);
        let leaving = Root::new_slot(&root);
        let stuck = Root::new_slot(&root);
        leaving.enter_call();
        stuck.enter_call(); // never leaves
        let worker = {
            let root = root.clone();
            thread::spawn(move || {
                root.fail(failure("worker"));
                leaving.leave_call();
            })
        };
        let timer = {
            let root = root.clone();
            thread::spawn(move || {
                // Time passes after the failure (the model clock only moves by hand).
                assert!(root.wait_cancelled(Duration::from_secs(60)));
                root.advance_clock(Duration::from_millis(100));
            })
        };
        root.body_finished();
        assert!(root.wait_for_failure());
        assert!(!root.settle(true), "a worker is still running");
        worker.join().unwrap();
        timer.join().unwrap();
        assert_eq!(root.running(), 1);
        drop(stuck);
        root.end(); // as its registration does: slots hold their root
    });
}

/// After a failure, the grace period ends as soon as the last running worker leaves.
#[test]
fn loom_grace_ends_when_the_last_worker_leaves() {
    loom::model(|| {
        let root = root(100, false);
        let slot = Root::new_slot(&root);
        slot.enter_call();
        let worker = {
            let root = root.clone();
            thread::spawn(move || {
                root.fail(failure("worker"));
                slot.leave_call();
            })
        };
        root.body_finished();
        assert!(root.wait_for_failure());
        // No time passes at all: only the worker leaving can end the wait.
        assert!(root.settle(true));
        worker.join().unwrap();
        root.end(); // as its registration does: slots hold their root
    });
}

/// The body returning just as a worker fails: of the main thread and the watcher,
/// exactly one ends the program.
#[test]
fn loom_body_and_failure_give_exactly_one_outcome() {
    loom::model(|| {
        let root = root(0, false);
        let ended = Arc::new(crate::sync::AtomicUsize::new(0));
        let watcher = {
            let (root, ended) = (root.clone(), ended.clone());
            thread::spawn(move || {
                if !root.wait_for_failure() {
                    return;
                }
                root.wait_out_grace();
                if !root.body_is_done() && root.claim() {
                    ended.fetch_add(1, crate::sync::Ordering::SeqCst);
                    root.seal();
                }
            })
        };
        let worker = {
            let root = root.clone();
            thread::spawn(move || {
                root.fail(failure("worker"));
            })
        };
        // The main thread: the body returns.
        root.body_finished();
        root.settle(true);
        if root.claim() {
            ended.fetch_add(1, crate::sync::Ordering::SeqCst);
            root.seal();
        }
        worker.join().unwrap();
        watcher.join().unwrap();
        assert_eq!(ended.load(crate::sync::Ordering::SeqCst), 1);
    });
}
