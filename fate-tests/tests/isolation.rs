//! Issue 8, item 12: roots running in parallel (as `cargo test` runs tests) never see
//! each other's failures. In one test binary, tests run at the same time, each in
//! several threads and hundreds of rounds:
//! - a `fate::Supervisor` whose `fate::spawn`ed worker fails gets back its own
//!   failure, and nothing else;
//! - a `Supervisor` whose body succeeds gets `Ok`;
//! - a supervised parser called with no root at all returns its `Err`, and nothing
//!   else happens;
//! - plain `std::thread`s calling failing supervised functions outside any root are
//!   the plain functions, and affect nobody.
//!
//! Every test's work is bounded in time (see [`bounded`]).

use std::num::ParseIntError;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use fate::{FailureKind, Supervisor};

/// Rounds per thread; each test runs [`THREADS`] threads.
const ROUNDS: usize = 60;
const THREADS: usize = 4;
const LIMIT: Duration = Duration::from_secs(60);

#[fate::supervised]
fn fails_with(tag: String) -> Result<(), String> {
    Err(tag)
}

#[fate::supervised]
fn panics_with(tag: String) {
    panic!("{tag}");
}

#[fate::supervised]
fn parse(text: &str) -> Result<u32, ParseIntError> {
    text.parse()
}

#[fate::supervised]
fn add(a: usize, b: usize) -> usize {
    a + b
}

/// Runs `round(thread, i)` for `i` in `0..ROUNDS` in each of `THREADS` threads, and
/// fails the test if that has not finished within `LIMIT`.
fn bounded(round: fn(usize, usize)) {
    let (done_tx, done_rx) = mpsc::channel();
    for t in 0..THREADS {
        let done_tx = done_tx.clone();
        thread::spawn(move || {
            let outcome = std::panic::catch_unwind(|| {
                for i in 0..ROUNDS {
                    round(t, i);
                }
            });
            let _ = done_tx.send(outcome.map_err(|payload| {
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "a panic".to_owned())
            }));
        });
    }
    for _ in 0..THREADS {
        match done_rx.recv_timeout(LIMIT) {
            Ok(Ok(())) => {}
            Ok(Err(why)) => panic!("{why}"),
            Err(_) => panic!("the rounds did not finish within {LIMIT:?}"),
        }
    }
}

#[test]
fn supervisor_gets_its_own_workers_error() {
    bounded(|t, i| {
        let tag = format!("own error {t}-{i}");
        let worker_tag = tag.clone();
        let result = Supervisor::new().run(move || {
            let _ = fate::spawn(move || fails_with(worker_tag)).join();
        });
        let error = result.expect_err("the worker failed, run returned Ok");
        assert_eq!(
            error.worker(),
            "fails_with",
            "someone else's failure: {error:?}"
        );
        assert_eq!(
            error.kind(),
            FailureKind::Error,
            "someone else's failure: {error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!("worker `fails_with` failed: {tag}")
        );
        assert_eq!(error.others(), 0, "other failures came in: {error:?}");
    });
}

#[test]
fn supervisor_gets_its_own_workers_panic() {
    bounded(|t, i| {
        let tag = format!("own panic {t}-{i}");
        let worker_tag = tag.clone();
        let result = Supervisor::new().run(move || {
            let _ = fate::spawn(move || panics_with(worker_tag)).join();
        });
        let error = result.expect_err("the worker panicked, run returned Ok");
        assert_eq!(
            error.worker(),
            "panics_with",
            "someone else's failure: {error:?}"
        );
        assert_eq!(
            error.kind(),
            FailureKind::Panic,
            "someone else's failure: {error:?}"
        );
        assert_eq!(error.message(), tag, "someone else's failure: {error:?}");
        assert_eq!(error.others(), 0, "other failures came in: {error:?}");
    });
}

#[test]
fn supervisor_whose_body_succeeds_gets_ok() {
    bounded(|t, i| {
        let result = Supervisor::new().run(move || {
            let spawned = fate::spawn(move || add(t, i)).join().expect("add returns");
            add(spawned, 1)
        });
        match result {
            Ok(sum) => assert_eq!(sum, t + i + 1),
            Err(error) => panic!("a succeeding Supervisor got Err: {error:?}"),
        }
    });
}

#[test]
fn supervised_parser_without_a_root_returns_its_err() {
    bounded(|t, i| {
        let bad = format!("not a number {t}-{i}");
        assert!(parse(&bad).is_err(), "parse({bad:?}) succeeded");
        assert_eq!(
            parse(&format!("{}", t * 1000 + i)),
            Ok((t * 1000 + i) as u32)
        );
    });
}

#[test]
fn plain_threads_outside_any_root_are_plain_functions() {
    bounded(|t, i| {
        let tag = format!("plain {t}-{i}");
        let worker_tag = tag.clone();
        let joined = thread::spawn(move || fails_with(worker_tag))
            .join()
            .expect("fails_with returns");
        assert_eq!(joined, Err(tag.clone()));
        let worker_tag = tag.clone();
        let payload = thread::spawn(move || panics_with(worker_tag))
            .join()
            .expect_err("panics_with panics");
        assert_eq!(payload.downcast_ref::<String>(), Some(&tag));
    });
}
