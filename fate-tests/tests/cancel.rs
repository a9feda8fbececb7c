//! Cancellation and the grace period: `fate::is_cancelled`, `fate::wait_cancelled`,
//! and `Supervisor::grace`.
//!
//! Every test is bounded in time; every root sees only the threads it starts with
//! `fate::spawn`, so the tests here run in parallel.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{block_forever, bounded, exclusive, recv, shared};
use fate::Supervisor;

#[fate::supervised]
fn fail(message: &'static str) -> Result<(), String> {
    Err(message.to_owned())
}

#[fate::supervised]
fn explode(message: &'static str) {
    panic!("{}", message);
}

/// Works until cancelled, then takes `flush` to finish and records that it did.
#[fate::supervised]
fn flusher(started: mpsc::Sender<()>, flushed: Arc<AtomicBool>, flush: Duration) {
    started.send(()).expect("the body listens");
    while !fate::wait_cancelled(Duration::from_millis(50)) {}
    std::thread::sleep(flush);
    flushed.store(true, Ordering::SeqCst);
}

/// Never finishes, whatever happens.
#[fate::supervised]
fn stubborn(started: mpsc::Sender<()>) {
    started.send(()).expect("the body listens");
    block_forever()
}

#[test]
fn is_cancelled_is_false_before_and_true_after_a_failure() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(move || {
                let before = fate::is_cancelled();
                let before_in_worker = fate::spawn(fate::is_cancelled).join().expect("no panic");
                let _ = fail("cancel now");
                let after = fate::is_cancelled();
                let after_in_worker = fate::spawn(fate::is_cancelled).join().expect("no panic");
                tx.send((before, before_in_worker, after, after_in_worker))
                    .expect("the test listens");
            })
    });
    assert_eq!(result.expect_err("failed").message(), "cancel now");
    assert_eq!(recv(&rx), (false, false, true, true));
}

#[test]
fn a_body_left_behind_still_sees_the_cancellation_after_run_returns() {
    // `Supervisor::run`'s docs: "A body that is still running when `run` returns is
    // left behind: it is never joined, and `fate::is_cancelled` tells it to stop."
    // Exclusive, so that no other root is alive in the process meanwhile.
    let _guard = exclusive();
    let (returned_tx, returned_rx) = mpsc::channel::<()>();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || -> () {
            let _ = fail("leave the body behind");
            recv(&returned_rx); // `run` has returned
            let in_body = fate::is_cancelled();
            let in_worker = fate::spawn(fate::is_cancelled).join().expect("no panic");
            let start = Instant::now();
            let waited = fate::wait_cancelled(Duration::from_secs(2));
            tx.send((
                in_body,
                in_worker,
                waited,
                start.elapsed() < Duration::from_secs(1),
            ))
            .expect("the test listens");
        })
    });
    assert_eq!(
        result.expect_err("failed").message(),
        "leave the body behind"
    );
    returned_tx.send(()).expect("the body listens");
    assert_eq!(
        recv(&rx),
        (true, true, true, true),
        "(is_cancelled in the body, in a worker it spawns, wait_cancelled, promptly)"
    );
}

#[test]
fn is_cancelled_stays_false_in_a_root_that_succeeds() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| {
            let in_worker = fate::spawn(fate::is_cancelled).join().expect("no panic");
            (fate::is_cancelled(), in_worker)
        })
    });
    assert_eq!(result.expect("no failure"), (false, false));
}

#[test]
fn wait_cancelled_wakes_promptly_on_a_failure() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || -> () {
            let (ready_tx, ready_rx) = mpsc::channel();
            fate::spawn(move || {
                ready_tx.send(()).expect("the body listens");
                let start = Instant::now();
                let cancelled = fate::wait_cancelled(Duration::from_secs(60));
                tx.send((cancelled, start.elapsed()))
                    .expect("the test listens");
            });
            recv(&ready_rx);
            std::thread::sleep(Duration::from_millis(100)); // the waiter is asleep
            fate::spawn(|| explode("wake the waiter"));
            block_forever()
        })
    });
    assert_eq!(result.expect_err("failed").message(), "wake the waiter");
    let (cancelled, waited) = recv(&rx);
    assert!(cancelled, "woken by the cancellation, not the timeout");
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
}

#[test]
fn wait_cancelled_returns_true_at_once_when_already_cancelled() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let _ = bounded(move || {
        // A grace period keeps `run` waiting for the body (see
        // `a_body_left_behind_still_sees_the_cancellation_after_run_returns`).
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(move || {
                let _ = fail("already cancelled");
                let start = Instant::now();
                let cancelled = fate::wait_cancelled(Duration::from_secs(60));
                tx.send((cancelled, start.elapsed()))
                    .expect("the test listens");
            })
    });
    let (cancelled, waited) = recv(&rx);
    assert!(cancelled);
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
}

#[test]
fn wait_cancelled_returns_false_on_timeout() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| {
            let start = Instant::now();
            let cancelled = fate::wait_cancelled(Duration::from_millis(150));
            let in_worker = fate::spawn(|| fate::wait_cancelled(Duration::from_millis(50)))
                .join()
                .expect("no panic");
            (cancelled, in_worker, start.elapsed())
        })
    });
    let (cancelled, in_worker, waited) = result.expect("no failure");
    assert!(!cancelled);
    assert!(!in_worker);
    assert!(waited >= Duration::from_millis(150), "waited {waited:?}");
}

#[test]
fn wait_cancelled_with_a_zero_timeout_returns_at_once() {
    let _guard = shared();
    let result = bounded(|| Supervisor::new().run(|| fate::wait_cancelled(Duration::ZERO)));
    assert!(!result.expect("no failure"));
}

// ---------------------------------------------------------------------------------
// `grace`.

#[test]
fn grace_waits_for_a_sibling_that_notices_cancellation_and_finishes() {
    let _guard = shared();
    let flushed = Arc::new(AtomicBool::new(false));
    let seen = flushed.clone();
    let start = Instant::now();
    let result = bounded(move || {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(move || -> () {
                let (started_tx, started_rx) = mpsc::channel();
                fate::spawn(move || flusher(started_tx, flushed, Duration::from_millis(200)));
                recv(&started_rx); // running, so it is waited for
                fate::spawn(|| explode("sibling failed"));
                // The body notices too, and finishes.
                while !fate::wait_cancelled(Duration::from_millis(50)) {}
            })
    });
    let elapsed = start.elapsed();
    assert_eq!(result.expect_err("failed").message(), "sibling failed");
    assert!(
        seen.load(Ordering::SeqCst),
        "the flusher finished before run returned"
    );
    assert!(
        elapsed < Duration::from_secs(8),
        "returned once everything finished, not at the end of the grace period: {elapsed:?}"
    );
}

#[test]
fn grace_does_not_wait_longer_than_the_grace_period_for_a_sibling_that_never_finishes() {
    let _guard = shared();
    let grace = Duration::from_millis(300);
    let (failed_tx, failed_rx) = mpsc::channel();
    let result = bounded(move || {
        let result = Supervisor::new().grace(grace).run(move || -> () {
            let (started_tx, started_rx) = mpsc::channel();
            fate::spawn(move || stubborn(started_tx));
            recv(&started_rx);
            failed_tx.send(Instant::now()).expect("the test listens");
            fate::spawn(|| explode("while a sibling never finishes"));
            while !fate::wait_cancelled(Duration::from_millis(50)) {}
        });
        (result, Instant::now())
    });
    let (result, returned_at) = result;
    let failed_at = recv(&failed_rx);
    assert_eq!(
        result.expect_err("failed").message(),
        "while a sibling never finishes"
    );
    let waited = returned_at.duration_since(failed_at);
    assert!(
        waited >= grace - Duration::from_millis(20),
        "waited the grace period: {waited:?}"
    );
    assert!(
        waited < grace + Duration::from_secs(3),
        "returned right after the grace period: {waited:?}"
    );
}

#[test]
fn grace_does_not_wait_longer_than_the_grace_period_for_a_blocked_body() {
    let _guard = shared();
    let grace = Duration::from_millis(300);
    let start = Instant::now();
    let result = bounded(move || {
        Supervisor::new().grace(grace).run(move || -> () {
            fate::spawn(|| explode("while the body is blocked"));
            block_forever()
        })
    });
    let elapsed = start.elapsed();
    assert_eq!(
        result.expect_err("failed").message(),
        "while the body is blocked"
    );
    assert!(elapsed >= grace - Duration::from_millis(20), "{elapsed:?}");
    assert!(elapsed < grace + Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn grace_waits_for_the_body_to_finish_after_a_failure() {
    let _guard = shared();
    let finished = Arc::new(AtomicBool::new(false));
    let seen = finished.clone();
    let result = bounded(move || {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(move || -> () {
                let _ = fail("the body cleans up");
                std::thread::sleep(Duration::from_millis(200));
                finished.store(true, Ordering::SeqCst);
            })
    });
    assert_eq!(result.expect_err("failed").message(), "the body cleans up");
    assert!(seen.load(Ordering::SeqCst), "run waited for the body");
}

#[test]
fn without_grace_a_failure_returns_without_waiting_for_a_flushing_sibling() {
    let _guard = shared();
    let flushed = Arc::new(AtomicBool::new(false));
    let seen = flushed.clone();
    let result = bounded(move || {
        Supervisor::new().run(move || -> () {
            let (started_tx, started_rx) = mpsc::channel();
            fate::spawn(move || flusher(started_tx, flushed, Duration::from_secs(2)));
            recv(&started_rx);
            fate::spawn(|| explode("no grace"));
            block_forever()
        })
    });
    assert_eq!(result.expect_err("failed").message(), "no grace");
    assert!(!seen.load(Ordering::SeqCst), "run did not wait");
}
