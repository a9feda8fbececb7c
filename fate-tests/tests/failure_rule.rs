//! What counts as a failure (SPEC.md): a panic or an `Err` that escapes a worker,
//! that is, leaves a supervised function no other supervised function encloses. An
//! `Err` a supervised caller handles is no failure; one passed up unchanged is one
//! failure, named for the innermost function; one a caller wraps is the caller's.

mod common;

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{bounded, recv, shared};
use fate::{FailureKind, Supervisor};

#[derive(Debug, PartialEq)]
struct Refused(u32);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection refused (attempt {})", self.0)
    }
}

impl std::error::Error for Refused {}

#[fate::supervised]
fn connect(attempt: u32, succeeds_at: u32) -> Result<u32, Refused> {
    if attempt < succeeds_at {
        Err(Refused(attempt))
    } else {
        Ok(attempt)
    }
}

/// Retries `connect` until it succeeds: every refusal is handled here.
#[fate::supervised]
fn session(succeeds_at: u32) -> Result<u32, Refused> {
    let mut attempt = 0;
    loop {
        match connect(attempt, succeeds_at) {
            Ok(connection) => return Ok(connection),
            Err(_) if attempt < 5 => attempt += 1,
            Err(error) => return Err(error),
        }
    }
}

#[fate::supervised]
fn load_cache() -> Result<Vec<u32>, std::io::Error> {
    std::fs::read("/no/such/fate/cache").map(|bytes| bytes.into_iter().map(u32::from).collect())
}

#[fate::supervised]
fn warm_start() -> Vec<u32> {
    load_cache().unwrap_or_default()
}

#[test]
fn an_err_a_supervised_caller_retries_is_no_failure() {
    let _guard = shared();
    let result = bounded(|| Supervisor::new().run(|| session(3)));
    assert_eq!(result.expect("the session handled the refusals"), Ok(3));
}

#[test]
fn an_err_a_supervised_caller_falls_back_from_is_no_failure() {
    let _guard = shared();
    let result = bounded(|| Supervisor::new().run(warm_start));
    assert_eq!(result.expect("the fallback handled it"), Vec::<u32>::new());
}

#[test]
fn the_same_err_given_up_by_the_caller_is_one_failure_named_for_the_innermost() {
    let _guard = shared();
    // Five refusals handled, the sixth returned unchanged: one failure, `connect`'s.
    let result = bounded(|| {
        Supervisor::new()
            .grace(Duration::from_secs(5))
            .run(|| session(99))
    });
    let error = result.expect_err("the session gave up");
    assert_eq!(error.worker(), "connect");
    assert_eq!(error.kind(), FailureKind::Error);
    assert_eq!(error.message(), "connection refused (attempt 5)");
    assert_eq!(error.others(), 0, "{error:?}");
}

#[fate::supervised]
fn read_port(text: &str) -> Result<u16, std::num::ParseIntError> {
    text.trim().parse()
}

#[fate::supervised]
fn read_config(text: &str) -> Result<u16, std::num::ParseIntError> {
    let port = read_port(text)?;
    Ok(port)
}

#[fate::supervised]
fn start(text: &str) -> Result<u16, std::num::ParseIntError> {
    read_config(text)
}

#[test]
fn an_err_passed_up_through_two_callers_is_named_for_the_innermost_once() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new()
            .grace(Duration::from_secs(5))
            .run(|| start("x"))
    });
    let error = result.expect_err("nobody handled it");
    assert_eq!(error.worker(), "read_port");
    assert_eq!(error.message(), "invalid digit found in string");
    assert_eq!(error.others(), 0, "{error:?}");
}

#[derive(Debug)]
struct ConfigError(std::num::ParseIntError);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the config has no valid port")
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[fate::supervised]
fn load_config(text: &str) -> Result<u16, ConfigError> {
    read_port(text).map_err(ConfigError)
}

#[test]
fn an_err_the_caller_wraps_is_the_callers_failure_with_the_inner_in_its_chain() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new()
            .grace(Duration::from_secs(5))
            .run(|| load_config("x"))
    });
    let error = result.expect_err("load_config failed");
    assert_eq!(error.worker(), "load_config");
    assert_eq!(error.message(), "the config has no valid port");
    assert_eq!(error.others(), 0, "{error:?}");
    let cause = std::error::Error::source(&error).expect("a chain");
    assert_eq!(cause.to_string(), "invalid digit found in string");
}

#[fate::supervised]
fn replaces_the_error(text: &str) -> Result<u16, String> {
    match read_port(text) {
        Ok(port) => Ok(port),
        Err(_) => Err("no port configured".to_owned()),
    }
}

#[test]
fn a_different_err_after_handling_the_inner_one_is_the_callers_failure() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new()
            .grace(Duration::from_secs(5))
            .run(|| replaces_the_error("x"))
    });
    let error = result.expect_err("replaces_the_error failed");
    assert_eq!(error.worker(), "replaces_the_error");
    assert_eq!(error.message(), "no port configured");
    assert_eq!(error.others(), 0, "{error:?}");
}

#[test]
fn a_supervised_function_called_in_a_roots_body_or_a_spawned_closure_is_outermost() {
    let _guard = shared();
    // The body does not enclose: its call's `Err` is a failure even if the body
    // looks at it.
    let result = bounded(|| Supervisor::new().run(|| read_port("x").is_err()));
    assert_eq!(
        result.expect_err("the body does not enclose").worker(),
        "read_port"
    );
    // Nor does a `fate::spawn`ed closure.
    let result = bounded(|| {
        Supervisor::new().run(|| -> () {
            let handled = fate::spawn(|| read_port("y").unwrap_or(0)).join();
            assert_eq!(handled.expect("no panic"), 0);
            common::block_forever()
        })
    });
    assert_eq!(
        result.expect_err("the closure does not enclose").worker(),
        "read_port"
    );
}

#[fate::supervised]
fn explodes() -> u32 {
    panic!("inner explodes")
}

#[fate::supervised]
fn catches_and_goes_on() -> u32 {
    std::panic::catch_unwind(explodes).unwrap_or(7)
}

#[fate::supervised]
fn lets_it_escape() -> u32 {
    explodes() + 1
}

#[test]
fn a_panic_a_supervised_caller_catches_is_no_failure_and_one_that_escapes_is_the_innermosts() {
    let _guard = shared();
    let result = bounded(|| Supervisor::new().run(catches_and_goes_on));
    assert_eq!(result.expect("caught by the supervised caller"), 7);
    let result = bounded(|| {
        Supervisor::new()
            .grace(Duration::from_secs(5))
            .run(lets_it_escape)
    });
    let error = result.expect_err("escaped");
    assert_eq!(error.worker(), "explodes");
    assert_eq!(error.message(), "inner explodes");
    assert_eq!(error.others(), 0, "reported once: {error:?}");
}

// --- async ------------------------------------------------------------------------

#[fate::supervised]
async fn fetch(attempt: u32, succeeds_at: u32) -> Result<u32, Refused> {
    tokio::task::yield_now().await;
    connect(attempt, succeeds_at)
}

#[fate::supervised]
async fn fetch_with_retries(succeeds_at: u32) -> Result<u32, Refused> {
    let mut attempt = 0;
    loop {
        match fetch(attempt, succeeds_at).await {
            Ok(value) => return Ok(value),
            Err(_) if attempt < 3 => attempt += 1,
            Err(error) => return Err(error),
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn an_awaited_supervised_future_whose_err_the_awaiting_one_handles_is_no_failure() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| {
            let task = fetch_with_retries(2);
            runtime().block_on(async { tokio::spawn(task).await })
        })
    });
    let joined = result.expect("handled by the awaiting future");
    assert_eq!(joined.expect("no panic"), Ok(2));
}

#[test]
fn an_err_passed_up_through_awaits_is_named_for_the_innermost_once() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().grace(Duration::from_secs(5)).run(|| {
            let task = fetch_with_retries(99);
            runtime().block_on(async { tokio::spawn(task).await })
        })
    });
    let error = result.expect_err("gave up");
    // `fetch` passes `connect`'s error up unchanged; so does the retry loop.
    assert_eq!(error.worker(), "connect");
    assert_eq!(error.message(), "connection refused (attempt 3)");
    assert_eq!(error.others(), 0, "{error:?}");
}

#[fate::supervised]
async fn spawns_a_failing_task() -> u32 {
    // Made inside a supervised future, but polled by the executor as a task of its
    // own: outermost, whatever awaits its JoinHandle.
    let task = tokio::spawn(fetch(0, 1));
    task.await.expect("no panic").unwrap_or(5)
}

#[test]
fn a_supervised_future_spawned_as_a_task_is_outermost_wherever_it_was_made() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().grace(Duration::from_secs(5)).run(|| {
            let task = spawns_a_failing_task();
            runtime().block_on(async { tokio::spawn(task).await })
        })
    });
    let error = result.expect_err("the task's Err escaped it");
    assert_eq!(error.worker(), "connect");
    assert_eq!(error.others(), 0, "{error:?}");
}

// --- errors that fight back ------------------------------------------------------------

/// An error whose `Display` fails or panics, or whose `source()` is itself.
#[derive(Debug, Clone, Copy)]
enum Hostile {
    DisplayFails,
    DisplayPanics,
    SourceIsItself,
    EndlessDisplay,
}

impl fmt::Display for Hostile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hostile::DisplayFails => Err(fmt::Error),
            Hostile::DisplayPanics => panic!("Display of Hostile panicked"),
            Hostile::SourceIsItself => f.write_str("I am my own cause"),
            Hostile::EndlessDisplay => loop {
                f.write_str("spam ")?;
            },
        }
    }
}

impl std::error::Error for Hostile {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Hostile::SourceIsItself => Some(self),
            _ => None,
        }
    }
}

#[fate::supervised]
fn returns_hostile(kind: Hostile, calls: Arc<AtomicU32>) -> Result<(), Hostile> {
    calls.fetch_add(1, Ordering::SeqCst);
    Err(kind)
}

/// Runs a worker returning `kind` on a spawned thread; returns the report and what
/// the thread's caller got back.
fn report_of(kind: Hostile) -> (fate::Error, String) {
    let (tx, rx) = std::sync::mpsc::channel();
    let calls = Arc::new(AtomicU32::new(0));
    let result = bounded(move || {
        Supervisor::new().run(move || -> () {
            let joined = fate::spawn(move || returns_hostile(kind, calls)).join();
            tx.send(format!("{joined:?}")).expect("the test listens");
            common::block_forever()
        })
    });
    let error = result.expect_err("the worker returned Err");
    (error, recv(&rx))
}

#[test]
fn an_err_whose_display_fails_is_reported_with_a_note_and_returned_unchanged() {
    let _guard = shared();
    let (error, joined) = report_of(Hostile::DisplayFails);
    assert_eq!(error.worker(), "returns_hostile");
    assert!(error.message().contains("returned an error"), "{error:?}");
    assert_eq!(joined, "Ok(Err(DisplayFails))");
}

#[test]
fn an_err_whose_display_panics_is_reported_with_a_note_and_returned_unchanged() {
    let _guard = shared();
    let (error, joined) = report_of(Hostile::DisplayPanics);
    assert!(
        error
            .message()
            .contains("panicked: Display of Hostile panicked"),
        "{error:?}"
    );
    assert_eq!(error.kind(), FailureKind::Error);
    assert_eq!(joined, "Ok(Err(DisplayPanics))");
}

#[test]
fn an_err_whose_source_is_itself_is_reported_with_the_loop_cut() {
    let _guard = shared();
    let (error, _) = report_of(Hostile::SourceIsItself);
    assert_eq!(error.message(), "I am my own cause");
    let debug = format!("{error:?}");
    assert!(
        debug.contains("the chain loops back to the error itself"),
        "{debug}"
    );
    // `source()` of the report ends.
    let mut depth = 0;
    let mut next = std::error::Error::source(&error);
    while let Some(cause) = next {
        depth += 1;
        next = cause.source();
    }
    assert_eq!(depth, 0, "the looping cause is not repeated");
}

#[test]
fn an_err_whose_display_never_ends_is_cut() {
    let _guard = shared();
    let (error, _) = report_of(Hostile::EndlessDisplay);
    assert!(
        error.message().len() <= 64 * 1024 + 32,
        "{}",
        error.message().len()
    );
    assert!(error.message().ends_with("[cut at 64 KiB]"));
}
