//! `fate::scope`: `std::thread::scope` that fails fast.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use common::bounded;
use fate::{FailureKind, Supervisor};

#[test]
fn a_panicking_consumer_cancels_a_producer_blocked_on_a_full_channel() {
    let started = Instant::now();
    let result = bounded(|| {
        let records: Vec<u32> = (0..10_000).collect();
        fate::scope(|s| {
            let (tx, rx) = sync_channel(2);
            let records = &records;
            s.spawn_named("producer", move || {
                for &record in records {
                    let mut record = record;
                    loop {
                        match tx.try_send(record) {
                            Ok(()) => break,
                            Err(std::sync::mpsc::TrySendError::Full(back)) => {
                                if fate::wait_cancelled(Duration::from_millis(20)) {
                                    return "cancelled";
                                }
                                record = back;
                            }
                            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                                return "hung up"
                            }
                        }
                    }
                }
                "done"
            });
            s.spawn_named("consumer", move || {
                for record in rx {
                    if record == 7 {
                        panic!("bad record {record}");
                    }
                }
            });
        })
    });
    let error = result.expect_err("the consumer panicked");
    assert_eq!(error.worker(), "consumer");
    assert_eq!(error.kind(), FailureKind::Panic);
    assert_eq!(error.message(), "bad record 7");
    assert_eq!(error.thread(), Some("consumer"));
    let location = error.location().expect("a location");
    assert_eq!(location.file(), "fate-tests/tests/scope.rs");
    assert!(
        error
            .to_string()
            .contains("panicked at fate-tests/tests/scope.rs:"),
        "{error}"
    );
    // Promptly: the producer stopped within a wait of seeing the cancellation.
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn threads_borrow_from_the_caller_and_the_value_comes_back() {
    let mut counts = [0usize; 4];
    let words = ["a", "bb", "ccc", "dddd"];
    let total = AtomicUsize::new(0);
    let result = fate::scope(|s| {
        for (count, word) in counts.iter_mut().zip(words) {
            let total = &total;
            s.spawn(move || {
                *count = word.len();
                total.fetch_add(word.len(), Ordering::Relaxed);
            });
        }
        "spawned"
    });
    assert_eq!(result.expect("no failure"), "spawned");
    assert_eq!(counts, [1, 2, 3, 4]);
    assert_eq!(total.into_inner(), 10);
}

#[test]
fn join_gives_a_panics_payload_back_and_the_scope_still_reports_it_once() {
    let result = fate::scope(|s| {
        let handle = s.spawn(|| -> u32 { std::panic::panic_any(42_u8) });
        let payload = handle.join().expect_err("it panicked");
        payload.downcast_ref::<u8>().copied()
    });
    let error = result.expect_err("a scope thread panicked");
    assert!(error
        .worker()
        .starts_with("scope thread at fate-tests/tests/scope.rs:"));
    assert_eq!(error.message(), "Box<dyn Any>");
    assert_eq!(error.others(), 0);
}

#[test]
fn later_failures_are_counted_and_a_panic_of_the_body_is_the_scopes() {
    let result = fate::scope(|s| {
        s.spawn_named("first", || panic!("first"));
        std::thread::sleep(Duration::from_millis(50));
        s.spawn_named("second", || panic!("second"));
    });
    let error = result.expect_err("two threads panicked");
    assert_eq!((error.worker(), error.others()), ("first", 1));

    let result = fate::scope(|_| -> () { panic!("the body itself") });
    let error = result.expect_err("the body panicked");
    assert_eq!(
        (error.worker(), error.message()),
        ("scope", "the body itself")
    );
}

#[fate::supervised]
fn checks(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

#[test]
fn a_scopes_failure_is_the_scopes_to_return_not_the_enclosing_roots() {
    // Nested in a Supervisor: the caller handles the scope's Err, so the Supervisor's
    // body succeeds.
    let result = bounded(|| {
        Supervisor::new().run(|| {
            let scoped = fate::scope(|s| {
                s.spawn(|| checks("x"));
            });
            scoped.is_err()
        })
    });
    assert!(
        result.expect("the caller handled the scope's failure"),
        "the scope failed"
    );
}

#[test]
fn a_scope_is_cancelled_when_the_root_it_is_nested_in_is() {
    let result = bounded(|| {
        Supervisor::new().grace(Duration::from_secs(10)).run(|| {
            let failing = fate::spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                checks("not a number")
            });
            let scoped = fate::scope(|s| {
                s.spawn(|| fate::wait_cancelled(Duration::from_secs(10)))
                    .join()
                    .expect("no panic")
            });
            let _ = failing.join();
            scoped
        })
    });
    let error = result.expect_err("the spawned worker failed");
    assert_eq!(error.worker(), "checks");
}

#[test]
fn a_failure_in_a_scope_cancels_its_other_threads_and_body() {
    let result = bounded(|| {
        fate::scope(|s| {
            s.spawn(|| checks("x"));
            let waiter = s.spawn(|| fate::wait_cancelled(Duration::from_secs(10)));
            let body_saw = fate::wait_cancelled(Duration::from_secs(10));
            (body_saw, waiter.join().expect("no panic"))
        })
    });
    let error = result.expect_err("checks failed");
    assert_eq!(error.worker(), "checks");
}
