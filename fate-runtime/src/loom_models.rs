//! Loom models of a root's protocol: every interleaving, up to the preemption bound,
//! of the steps that race in a supervised program, each step the runtime's own
//! `Root` method as the hook, the supervised call, the body and the watcher call it.
//!
//! A failure travels in these steps: the panic hook holds the panic with its root
//! ([`Root::hold`]); the unwinding reaches the supervised call it escapes, which
//! reports it ([`Root::report_held`]), or user code catches it and fate learns so
//! ([`Root::release_caught`]); a returned `Err` is recorded directly ([`Root::fail`]).
//! Whoever ends the root waits for held panics ([`Root::await_held`], bounded by the
//! model clock) and decides the outcome once ([`Root::finish`]).
//!
//! Run with `RUSTFLAGS="--cfg fate_loom" LOOM_MAX_PREEMPTIONS=3 cargo test -p
//! fate-runtime --lib --release loom` (`.ci/run` does). A lost wake-up shows up as a
//! deadlock, which loom reports; time is the root's model clock, moved on by hand.

use std::task::{Wake, Waker};
use std::time::Duration;

use loom::thread;

use crate::report::{next_seq, Capture, Failure, FailureKind, Resolution, WorkerName};
use crate::root::{AfterBody, BodyEnd, Finish, Recorded, Root, RootKind, Signal, UNWIND_PATIENCE};
use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering};

fn failure(worker: &'static str) -> Failure {
    Failure::bare(worker, FailureKind::Error, "boom".into())
}

/// What the hook captures as a panic starts in the worker `worker`.
fn panic_capture(worker: &'static str) -> Arc<Capture> {
    Arc::new(Capture::new(
        next_seq(),
        Some(WorkerName::Named(worker)),
        "boom".into(),
        None,
        None,
        None,
        Resolution::Held,
    ))
}

fn root(grace_ms: u64, after_body: AfterBody) -> Arc<Root> {
    Arc::new(Root::new(
        RootKind::Supervisor,
        Duration::from_millis(grace_ms),
        after_body,
    ))
}

/// The outcome `finish` handed out, which must be exactly one `Won`.
fn won(finish: Finish) -> Option<crate::report::Error> {
    match finish {
        Finish::Won(error) => error,
        Finish::Lost => panic!("the only caller of finish lost"),
    }
}

/// The race of issue 8's first item, with the hook's part: a worker's panic starts
/// (the hook holds it) while the body returns, and its unwinding reaches the
/// supervised call only after the body's thread began to end the root. Whatever the
/// order, the panic is never lost: held before the end, it is the outcome's failure
/// (reported by the call, or by `finish` after the patience); held too late, the root
/// refused it, and the hook prints Rust's message.
#[test]
fn loom_a_panic_unwinding_as_the_body_returns_is_never_lost() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let held = Arc::new(AtomicBool::new(false));
        let worker = {
            let (root, held) = (root.clone(), held.clone());
            thread::spawn(move || {
                let capture = panic_capture("worker");
                if root.hold(&capture) {
                    held.store(true, Ordering::SeqCst);
                    // ... the unwinding runs destructors, then reaches the call.
                    let _ = root.report_held(capture.seq);
                }
            })
        };
        // The patience passes only when the model says so: a timer moves the clock.
        let timer = {
            let root = root.clone();
            thread::spawn(move || root.advance_clock(UNWIND_PATIENCE))
        };
        root.body_finished();
        root.settle(BodyEnd::Succeeded);
        root.await_held(UNWIND_PATIENCE, &[]);
        let outcome = won(root.finish());
        worker.join().unwrap();
        timer.join().unwrap();
        if held.load(Ordering::SeqCst) {
            let error = outcome.expect("a held panic is the outcome's failure");
            assert_eq!(error.worker(), "worker");
            assert_eq!(error.others(), 0, "reported once");
        } else {
            assert!(
                outcome.is_none(),
                "a panic the root refused is Rust's to print"
            );
        }
        root.end();
    });
}

/// With no time passing, only the unwinding reaching the supervised call can end
/// the wait for it: the report wakes the root waiting in `await_held` (no lost
/// wake-up), and the outcome has the panic, once.
#[test]
fn loom_the_wait_for_a_held_panic_ends_when_its_report_arrives() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let capture = panic_capture("worker");
        assert!(root.hold(&capture));
        let worker = {
            let root = root.clone();
            thread::spawn(move || assert_eq!(root.report_held(capture.seq), Recorded::First))
        };
        root.body_finished();
        assert!(root.await_held(UNWIND_PATIENCE, &[]), "woken by the report");
        let error = won(root.finish()).expect("the panic");
        assert_eq!((error.worker(), error.others()), ("worker", 0));
        worker.join().unwrap();
        root.end();
    });
}

/// The patience runs out while the panic still unwinds: `finish` reports it as the
/// hook saw it, and its report arriving later is too late. Once, whatever the order.
#[test]
fn loom_a_panic_still_unwinding_after_the_patience_is_reported_by_finish_once() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let capture = panic_capture("slow");
        assert!(root.hold(&capture));
        let seq = capture.seq;
        let worker = {
            let root = root.clone();
            thread::spawn(move || root.report_held(seq))
        };
        let timer = {
            let root = root.clone();
            thread::spawn(move || root.advance_clock(UNWIND_PATIENCE))
        };
        root.await_held(UNWIND_PATIENCE, &[]);
        let error = won(root.finish()).expect("the panic is never dropped");
        assert_eq!((error.worker(), error.others()), ("slow", 0));
        timer.join().unwrap();
        let reported = worker.join().unwrap();
        assert!(matches!(reported, Recorded::First | Recorded::TooLate));
        root.end();
    });
}

/// The report is built from the failure that happened first: a panic that started
/// before an `Err` is the report even when the `Err` arrives first, and the `Err` is
/// counted once.
#[test]
fn loom_the_earliest_failure_is_the_report_whatever_arrives_first() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let capture = panic_capture("cause");
        assert!(root.hold(&capture));
        let symptom = failure("symptom");
        assert!(capture.seq < symptom.seq);
        let unwinding = {
            let root = root.clone();
            thread::spawn(move || {
                let _ = root.report_held(capture.seq);
            })
        };
        let erring = {
            let root = root.clone();
            thread::spawn(move || {
                let _ = root.fail(symptom);
            })
        };
        erring.join().unwrap();
        unwinding.join().unwrap();
        root.await_held(UNWIND_PATIENCE, &[]);
        let error = won(root.finish()).expect("two failures");
        assert_eq!((error.worker(), error.others()), ("cause", 1));
        root.end();
    });
}

/// A held panic that user code caught races with the root ending: it is either
/// released (no failure, its message printed by the thread) or reported by `finish`
/// (the thread then prints nothing) — never both, never neither.
#[test]
fn loom_a_caught_panic_is_released_or_reported_never_both() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let capture = panic_capture("catcher");
        assert!(root.hold(&capture));
        let seq = capture.seq;
        let catcher = {
            let root = root.clone();
            thread::spawn(move || root.release_caught(seq).is_some())
        };
        let timer = {
            let root = root.clone();
            thread::spawn(move || root.advance_clock(UNWIND_PATIENCE))
        };
        root.await_held(UNWIND_PATIENCE, &[]);
        let outcome = won(root.finish());
        timer.join().unwrap();
        let released = catcher.join().unwrap();
        assert_ne!(released, outcome.is_some());
        root.end();
    });
}

/// The same race as it runs in a program, stderr included: the catcher's thread
/// releases the panic as fate does (`context::release`: the gate, the release, Rust's
/// message), while the root's finisher waits for held panics, takes the gate, decides
/// and writes its report, and the process exits. The caught panic's message reaches
/// stderr exactly once: as a message written before the exit when it was released, or
/// inside the report (and not as a message) when `finish` took it. Written after the
/// exit would be lost.
#[test]
fn loom_a_released_panic_is_printed_before_the_report_ends_the_process() {
    const EXIT: &str = "<the process exits>";
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let capture = panic_capture("catcher");
        assert!(root.hold(&capture));
        let catcher = {
            let held = crate::context::held_back_for_model(capture, root.clone());
            thread::spawn(move || crate::context::release(held))
        };
        let timer = {
            let root = root.clone();
            thread::spawn(move || root.advance_clock(UNWIND_PATIENCE))
        };
        // What `ending::end_at_first_failure` does, up to the exit.
        root.await_held(UNWIND_PATIENCE, &[]);
        let gate = crate::stderr::gate();
        let outcome = won(root.finish());
        if let Some(error) = &outcome {
            crate::stderr::write_raw(&format!("Error: worker `{}` failed", error.worker()));
        }
        crate::stderr::write_raw(EXIT);
        drop(gate);
        timer.join().unwrap();
        catcher.join().unwrap();
        let written = crate::stderr::written();
        let exit = written.iter().position(|text| text == EXIT).unwrap();
        let messages = written[..exit]
            .iter()
            .filter(|text| text.contains("panicked at") || text.contains("boom"))
            .count();
        match outcome {
            Some(error) => {
                assert_eq!(error.worker(), "catcher");
                assert_eq!(messages, 0, "reported and printed: {written:?}");
            }
            None => assert_eq!(
                messages, 1,
                "released, but not printed before the exit: {written:?}"
            ),
        }
        root.end();
    });
}

/// What became of a panic a restarting worker tried to take back.
#[derive(Debug, PartialEq, Eq)]
enum Taken {
    /// `finish` took it first: it is in the report.
    ByFinish,
    /// Taken back and noted as a restart before the root decided.
    Restarted,
    /// Taken back, then handed on (the root decided in between): reported, or too
    /// late for the report and printed.
    HandedOn(Recorded),
}

/// `restart = N` as `restart.rs` runs it, against the root ending: the loop takes the
/// held panic back (`release_caught`), then notes the restart (`note_restart`), and
/// hands the panic on if the root decided in between (`fail`, printing it when that
/// is too late). Whatever the order, the panic is exactly one of: in the report,
/// restarted (no failure), or printed after the report.
#[test]
fn loom_a_panic_taken_back_for_a_restart_is_restarted_reported_or_printed_once() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let capture = panic_capture("flaky");
        assert!(root.hold(&capture));
        let seq = capture.seq;
        let restarter = {
            let root = root.clone();
            thread::spawn(move || match root.release_caught(seq) {
                None => Taken::ByFinish,
                Some(capture) => {
                    let failure = capture.to_failure(WorkerName::Named("flaky"));
                    if root.note_restart(WorkerName::Named("flaky"), &failure) {
                        Taken::Restarted
                    } else {
                        Taken::HandedOn(root.fail(failure))
                    }
                }
            })
        };
        let timer = {
            let root = root.clone();
            thread::spawn(move || root.advance_clock(UNWIND_PATIENCE))
        };
        root.await_held(UNWIND_PATIENCE, &[]);
        let outcome = won(root.finish());
        timer.join().unwrap();
        let taken = restarter.join().unwrap();
        match taken {
            Taken::ByFinish => {
                assert_eq!(outcome.map(|e| e.worker().to_owned()), Some("flaky".into()))
            }
            Taken::Restarted => assert!(outcome.is_none(), "restarted and reported"),
            // Decided without it: printed by the loop, never in the report too.
            Taken::HandedOn(Recorded::TooLate) => assert!(outcome.is_none()),
            Taken::HandedOn(recorded) => panic!("handed on as {recorded:?} to a root that decided"),
        }
        root.end();
    });
}

/// Two workers fail at once: exactly one is the first failure, the other is counted,
/// and the root waiting for a failure wakes.
#[test]
fn loom_first_failure_wins_exactly_once() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let workers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let root = root.clone();
                thread::spawn(move || root.fail(failure(name)))
            })
            .collect();
        assert!(root.wait_for_failure_or_body());
        let recorded: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        assert_eq!(
            recorded.iter().filter(|r| **r == Recorded::First).count(),
            1
        );
        let error = won(root.finish()).expect("a failure was recorded");
        assert!(error.worker() == "a" || error.worker() == "b");
        assert_eq!(error.others(), 1);
        assert!(root.is_cancelled());
        root.end();
    });
}

/// A failure is never lost between a worker reporting it and the root starting to
/// wait; nor is the body finishing.
#[test]
fn loom_no_lost_wake_up_for_a_failure_or_the_body() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let worker = {
            let root = root.clone();
            thread::spawn(move || {
                let _ = root.fail(failure("worker"));
            })
        };
        let body = {
            let root = root.clone();
            thread::spawn(move || root.body_finished())
        };
        root.wait_for_failure_or_body();
        worker.join().unwrap();
        body.join().unwrap();
        assert!(won(root.finish()).is_some());
        root.end();
    });
}

/// The main thread (the body returned), the watcher (the grace period is over) and
/// a second worker's panic all race to end the root: exactly one decides the
/// outcome, and every failure that made it is in it once.
#[test]
fn loom_finish_has_one_winner_against_the_watcher_and_a_second_panic() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let _ = root.fail(failure("first"));
        let winners = Arc::new(AtomicUsize::new(0));
        let watcher = {
            let (root, winners) = (root.clone(), winners.clone());
            thread::spawn(move || {
                if root.wait_for_failure() {
                    root.wait_out_grace();
                    if let Finish::Won(error) = root.finish() {
                        winners.fetch_add(1, Ordering::SeqCst);
                        error.expect("a failure").others()
                    } else {
                        usize::MAX
                    }
                } else {
                    usize::MAX
                }
            })
        };
        let second = {
            let root = root.clone();
            thread::spawn(move || {
                let capture = panic_capture("second");
                if root.hold(&capture) {
                    let _ = root.report_held(capture.seq);
                }
            })
        };
        root.body_finished();
        root.settle(BodyEnd::Succeeded);
        let mine = match root.finish() {
            Finish::Won(error) => {
                winners.fetch_add(1, Ordering::SeqCst);
                error.expect("a failure").others()
            }
            Finish::Lost => usize::MAX,
        };
        let theirs = watcher.join().unwrap();
        second.join().unwrap();
        assert_eq!(winners.load(Ordering::SeqCst), 1);
        // The second panic is counted when it made it before the end, at most once.
        assert!(mine.min(theirs) <= 1);
        root.end();
    });
}

/// The first failure wakes every thread blocked in `wait_cancelled`.
#[test]
fn loom_cancellation_wakes_every_waiter() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let root = root.clone();
                // No deadline passes on the model clock: only the failure ends this.
                thread::spawn(move || assert!(root.wait_cancelled(Duration::from_secs(60))))
            })
            .collect();
        let _ = root.fail(failure("worker"));
        for waiter in waiters {
            waiter.join().unwrap();
        }
        root.end();
    });
}

/// A waker flag, set when woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A `fate::cancelled()` future registering its waker as the root cancels: it is
/// either told at once that the root is cancelled, or woken by the cancellation.
#[test]
fn loom_cancelled_registration_never_misses_the_cancellation() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let failing = {
            let root = root.clone();
            thread::spawn(move || {
                let _ = root.fail(failure("worker"));
            })
        };
        let mut key = None;
        let registered = root.register_waker(&mut key, &waker);
        failing.join().unwrap();
        assert!(
            !registered || flag.0.load(Ordering::SeqCst),
            "registered, and never woken"
        );
        root.end();
    });
}

/// With `wait`, the root waits for a running worker that leaves concurrently, and
/// wakes when it does (the worker's counter and the root's check race).
#[test]
fn loom_wait_sees_a_worker_leave() {
    loom::model(|| {
        let root = root(0, AfterBody::WaitForWorkers);
        let counter = Root::new_counter(&root);
        counter.enter_call(); // the worker is running before the body ends
        let worker = thread::spawn(move || counter.leave_call());
        root.body_finished();
        assert!(root.settle(BodyEnd::Succeeded));
        assert_eq!(root.running(), 0);
        worker.join().unwrap();
        root.end(); // counters hold their root
    });
}

/// After a failure, the grace period waits for the running workers, and ends at the
/// deadline while one of them is still running; the worker leaving and the clock
/// moving race with the root's check.
#[test]
fn loom_grace_ends_at_the_deadline_while_a_worker_runs() {
    loom::model(|| {
        let root = root(100, AfterBody::End);
        let leaving = Root::new_counter(&root);
        let stuck = Root::new_counter(&root);
        leaving.enter_call();
        stuck.enter_call(); // never leaves
        let worker = {
            let root = root.clone();
            thread::spawn(move || {
                let _ = root.fail(failure("worker"));
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
        assert!(
            !root.settle(BodyEnd::Succeeded),
            "a worker is still running"
        );
        worker.join().unwrap();
        timer.join().unwrap();
        assert_eq!(root.running(), 1);
        drop(stuck);
        root.end();
    });
}

/// After a failure, the grace period ends as soon as the last running worker leaves.
#[test]
fn loom_grace_ends_when_the_last_worker_leaves() {
    loom::model(|| {
        let root = root(100, AfterBody::End);
        let counter = Root::new_counter(&root);
        counter.enter_call();
        let worker = {
            let root = root.clone();
            thread::spawn(move || {
                let _ = root.fail(failure("worker"));
                counter.leave_call();
            })
        };
        root.body_finished();
        assert!(root.wait_for_failure());
        // No time passes at all: only the worker leaving can end the wait.
        assert!(root.settle(BodyEnd::Succeeded));
        worker.join().unwrap();
        root.end();
    });
}

/// `fate::cancel()` racing a `cancelled()` registration and a failure: the waker is
/// never missed, the root stays cancelled once, and the failure (if it came before the
/// end) is the outcome; without it the outcome is a success.
#[test]
fn loom_cancel_wakes_waiters_and_a_failure_during_it_still_counts() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let canceller = {
            let root = root.clone();
            thread::spawn(move || root.cancel(false))
        };
        let failing = {
            let root = root.clone();
            thread::spawn(move || root.fail(failure("worker")))
        };
        let mut key = None;
        let registered = root.register_waker(&mut key, &waker);
        assert!(root.wait_for_failure_or_body() || root.is_cancelled());
        canceller.join().unwrap();
        let recorded = failing.join().unwrap();
        assert!(
            !registered || flag.0.load(Ordering::SeqCst),
            "a lost wake-up"
        );
        assert!(root.is_cancelled());
        let outcome = won(root.finish());
        assert_eq!(outcome.is_some(), recorded == Recorded::First);
        root.end();
    });
}

/// A signal (feature `signals`) races a worker's failure and the body's return: one
/// outcome, decided once. A failure recorded before the decision is the outcome,
/// signal or not; else a signal taken before it makes the outcome the interruption
/// (status 143); a signal after it changes nothing.
#[test]
fn loom_a_signal_racing_a_failure_and_the_body_decides_once() {
    loom::model(|| {
        let root = root(0, AfterBody::End);
        let signal = {
            let root = root.clone();
            thread::spawn(move || {
                root.interrupt(Signal {
                    number: 15,
                    name: "SIGTERM",
                })
            })
        };
        let worker = {
            let root = root.clone();
            thread::spawn(move || root.fail(failure("worker")))
        };
        root.body_finished();
        root.settle(BodyEnd::Succeeded);
        let outcome = won(root.finish());
        let interrupted = signal.join().unwrap();
        let recorded = worker.join().unwrap();
        match (recorded, interrupted, outcome) {
            (Recorded::First, _, Some(error)) => {
                assert_eq!(error.worker(), "worker");
                assert_eq!(error.exit_code(), 1);
            }
            (Recorded::TooLate, true, Some(error)) => {
                assert_eq!(error.kind(), FailureKind::Interrupted);
                assert_eq!(error.exit_code(), 143);
            }
            (Recorded::TooLate, false, None) => {}
            (recorded, interrupted, outcome) => panic!(
                "recorded {recorded:?}, interrupted {interrupted}, outcome {:?}",
                outcome.map(|error| error.to_string())
            ),
        }
        root.end();
    });
}
