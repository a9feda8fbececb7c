//! `fate::Supervisor` as a value: what `run` returns, when, and what the report says.
//!
//! Every test is bounded in time (`common::bounded`): a hung `run` fails the test.
//! Tests run in parallel in this process; each root sees only the workers it covers
//! (its body, threads started with `fate::spawn` from there, supervised futures made
//! there), never another test's.

mod common;

use std::error::Error as _;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{block_forever, bounded, recv, shared};
use fate::{FailureKind, Supervisor};

// ---------------------------------------------------------------------------------
// Workers used below.

#[fate::supervised]
fn double(x: u32) -> u32 {
    x * 2
}

#[fate::supervised]
fn explode(message: &'static str) {
    panic!("{}", message);
}

#[fate::supervised]
fn explode_on_line() {
    panic!("panicked on line {}", line!());
}

#[fate::supervised(name = "custom-name")]
fn renamed() {
    panic!("renamed worker");
}

#[fate::supervised]
fn answer() {
    std::panic::panic_any(42_i32);
}

/// An error with a two-level `source()` chain.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outer {
    code: u32,
    middle: Middle,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Middle {
    inner: Inner,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner;

impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not load config (code {})", self.code)
    }
}

impl fmt::Display for Middle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not read config.toml")
    }
}

impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("permission denied")
    }
}

impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.middle)
    }
}

impl std::error::Error for Middle {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.inner)
    }
}

impl std::error::Error for Inner {}

fn sample_error() -> Outer {
    Outer {
        code: 7,
        middle: Middle { inner: Inner },
    }
}

#[fate::supervised]
fn load_config(fail: bool) -> Result<u32, Outer> {
    if fail {
        Err(sample_error())
    } else {
        Ok(1)
    }
}

#[fate::supervised]
fn inner_panics() -> u32 {
    panic!("inner went wrong");
}

#[fate::supervised]
fn outer_calls_inner() -> u32 {
    inner_panics() + 1
}

#[fate::supervised]
fn catches_its_own_panic() -> u32 {
    std::panic::catch_unwind(|| -> u32 { panic!("caught inside the worker") }).unwrap_or(17)
}

#[fate::supervised]
fn catches_inner_worker_panic() -> u32 {
    std::panic::catch_unwind(inner_panics).unwrap_or(23)
}

#[fate::supervised]
fn slow_worker(done: Arc<AtomicBool>, started: mpsc::Sender<()>, time: Duration) {
    started.send(()).expect("the body listens");
    std::thread::sleep(time);
    done.store(true, Ordering::SeqCst);
}

// ---------------------------------------------------------------------------------
// Success.

#[test]
fn run_returns_the_body_value() {
    let _guard = shared();
    let result = bounded(|| Supervisor::new().run(|| 42));
    assert_eq!(result.expect("no failure"), 42);
}

#[test]
fn run_returns_the_body_value_with_successful_workers() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| {
            let handles: Vec<_> = (1..=4).map(|i| fate::spawn(move || double(i))).collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .sum::<u32>()
        })
    });
    assert_eq!(result.expect("no failure"), 20);
}

#[test]
fn run_returns_a_non_copy_value_and_the_body_may_return_a_result() {
    let _guard = shared();
    let result: Result<Result<String, std::io::Error>, fate::Error> =
        bounded(|| Supervisor::new().run(|| Ok(String::from("hello"))));
    assert_eq!(result.expect("no failure").expect("Ok"), "hello");
    // An `Err` returned by the body itself is the body's value, not a worker failure.
    let result: Result<Result<(), String>, fate::Error> =
        bounded(|| Supervisor::new().run(|| Err(String::from("the body's own error"))));
    assert_eq!(
        result.expect("no failure"),
        Err("the body's own error".into())
    );
}

// ---------------------------------------------------------------------------------
// Failure ends `run` at once.

#[test]
fn run_returns_err_at_once_when_a_worker_panics_while_the_body_blocks() {
    let _guard = shared();
    let start = Instant::now();
    let result = bounded(|| {
        Supervisor::new().run(|| -> u32 {
            fate::spawn(|| explode("worker blew up"));
            block_forever()
        })
    });
    let error = result.expect_err("a worker panicked");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(error.worker(), "explode");
    assert_eq!(error.kind(), FailureKind::Panic);
    assert_eq!(error.message(), "worker blew up");
}

#[test]
fn run_returns_err_at_once_when_a_worker_returns_err_while_the_body_blocks() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| -> () {
            let _ = load_config(true);
            block_forever()
        })
    });
    let error = result.expect_err("a worker returned Err");
    assert_eq!(error.worker(), "load_config");
    assert_eq!(error.kind(), FailureKind::Error);
}

#[test]
fn a_panic_in_the_body_is_a_failure_of_the_worker_named_body() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| -> u32 {
            panic!("the body itself panicked");
        })
    });
    let error = result.expect_err("the body panicked");
    assert_eq!(error.worker(), "body");
    assert_eq!(error.kind(), FailureKind::Panic);
    assert_eq!(error.message(), "the body itself panicked");
    let location = error.location().expect("a panic has a location");
    assert!(location.file().ends_with("supervisor.rs"), "{location}");
}

#[test]
fn a_panic_in_a_fate_spawn_closure_is_reported_without_an_annotated_function() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let line = line!() + 1;
            let handle = fate::spawn(|| -> u32 { panic!("closure panicked") });
            tx.send(line).expect("the test listens");
            let _ = handle.join();
            block_forever()
        })
    });
    let line = recv(&rx);
    let error: fate::Error = result.expect_err("the closure panicked");
    assert_eq!(error.kind(), FailureKind::Panic);
    assert_eq!(error.message(), "closure panicked");
    assert!(
        error.worker().starts_with("fate::spawn at ")
            && error.worker().contains("supervisor.rs")
            && error.worker().contains(&format!(":{line}:")),
        "worker name: {}",
        error.worker()
    );
}

// ---------------------------------------------------------------------------------
// Two roots side by side.

#[test]
fn two_roots_side_by_side_see_only_their_own_failures() {
    let _guard = shared();
    let barrier = Arc::new(Barrier::new(2));
    let run_one = |name: &'static str, barrier: Arc<Barrier>| {
        std::thread::spawn(move || {
            bounded(move || {
                Supervisor::new()
                    .grace(Duration::from_millis(500))
                    .run(move || -> () {
                        // Both roots are running before either fails, and both are still
                        // collecting (grace) when the other fails.
                        barrier.wait();
                        let handle = fate::spawn(move || explode(name));
                        let _ = handle.join();
                        block_forever()
                    })
            })
        })
    };
    let a = run_one("failure of root a", barrier.clone());
    let b = run_one("failure of root b", barrier);
    let a = a.join().expect("root a's thread").expect_err("a failed");
    let b = b.join().expect("root b's thread").expect_err("b failed");
    assert_eq!(a.message(), "failure of root a");
    assert_eq!(a.others(), 0, "{a:?}");
    assert_eq!(b.message(), "failure of root b");
    assert_eq!(b.others(), 0, "{b:?}");
}

#[test]
fn a_failure_in_one_root_neither_cancels_nor_fails_another() {
    let _guard = shared();
    let (a_started_tx, a_started_rx) = mpsc::channel();
    let (a_done_tx, a_done_rx) = mpsc::channel::<()>();
    let root_b = std::thread::spawn(move || {
        bounded(move || {
            Supervisor::new().run(move || {
                recv(&a_done_rx); // root a has failed and returned
                let seen_in_body = fate::is_cancelled();
                let seen_in_worker = fate::spawn(fate::is_cancelled).join().expect("no panic");
                (seen_in_body, seen_in_worker, double(21))
            })
        })
    });
    let a = bounded(move || {
        Supervisor::new().run(move || -> () {
            a_started_tx.send(()).expect("the test listens");
            fate::spawn(|| explode("only root a fails"));
            block_forever()
        })
    });
    recv(&a_started_rx);
    assert_eq!(a.expect_err("a failed").message(), "only root a fails");
    a_done_tx.send(()).expect("root b listens");
    let b = root_b.join().expect("root b's thread");
    assert_eq!(b.expect("root b did not fail"), (false, false, 42));
}

// ---------------------------------------------------------------------------------
// `Err` passthrough and the report of a returned error.

#[test]
fn err_reaches_the_caller_unchanged_and_the_report_has_its_chain() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || -> () {
            let ok = load_config(false);
            let err = fate::spawn(|| load_config(true)).join().expect("no panic");
            tx.send((ok, err)).expect("the test listens");
            block_forever()
        })
    });
    let (ok, err) = recv(&rx);
    assert_eq!(ok, Ok(1));
    assert_eq!(err, Err(sample_error()), "the caller gets the same value");

    let error = result.expect_err("the worker returned Err");
    assert_eq!(error.worker(), "load_config");
    assert_eq!(error.kind(), FailureKind::Error);
    assert_eq!(error.message(), "could not load config (code 7)");
    assert_eq!(error.location(), None);
    assert_eq!(error.others(), 0);
    assert_eq!(
        error.to_string(),
        "worker `load_config` failed: could not load config (code 7)"
    );

    let mut chain = Vec::new();
    let mut next = error.source();
    while let Some(cause) = next {
        chain.push(cause.to_string());
        next = cause.source();
    }
    assert_eq!(chain, ["could not read config.toml", "permission denied"]);

    let debug = format!("{error:?}");
    assert!(debug.contains("Caused by:"), "{debug}");
    assert!(debug.contains("could not read config.toml"), "{debug}");
    assert!(debug.contains("permission denied"), "{debug}");
}

#[test]
fn a_returned_error_without_source_has_no_chain() {
    let _guard = shared();
    #[fate::supervised]
    fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
        text.parse()
    }
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || -> () {
            tx.send(parse("x7").map_err(|e| e.to_string()))
                .expect("listens");
            block_forever()
        })
    });
    assert_eq!(recv(&rx), Err("invalid digit found in string".to_string()));
    let error = result.expect_err("parse failed");
    assert_eq!(error.message(), "invalid digit found in string");
    assert!(error.source().is_none());
    assert!(!format!("{error:?}").contains("Caused by:"));
}

// ---------------------------------------------------------------------------------
// Panics: payloads and the report.

#[test]
fn a_non_string_payload_reads_box_dyn_any_and_reaches_the_join_handle() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || -> () {
            let joined = fate::spawn(answer).join();
            let payload = joined.expect_err("answer panicked");
            tx.send(payload.downcast_ref::<i32>().copied())
                .expect("listens");
            block_forever()
        })
    });
    assert_eq!(
        recv(&rx),
        Some(42),
        "the JoinHandle sees the original payload"
    );
    let error = result.expect_err("answer panicked");
    assert_eq!(error.worker(), "answer");
    assert_eq!(error.kind(), FailureKind::Panic);
    assert_eq!(error.message(), "Box<dyn Any>");
}

#[test]
fn a_string_payload_reaches_the_join_handle() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || -> () {
            let payload = fate::spawn(|| explode("static str payload"))
                .join()
                .expect_err("panicked");
            let text = match payload.downcast::<String>() {
                Ok(string) => Some(*string),
                Err(payload) => payload.downcast_ref::<&str>().map(|s| s.to_string()),
            };
            tx.send(text).expect("listens");
            block_forever()
        })
    });
    assert_eq!(recv(&rx).as_deref(), Some("static str payload"));
    assert_eq!(result.expect_err("failed").message(), "static str payload");
}

#[test]
fn the_report_locates_the_panic_and_prints_one_line() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| -> () {
            let _ = fate::spawn(explode_on_line).join();
            block_forever()
        })
    });
    let error = result.expect_err("panicked");
    let line: u32 = error
        .message()
        .strip_prefix("panicked on line ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected message {:?}", error.message()));
    let location = error.location().expect("a panic has a location");
    assert_eq!(location.line(), line, "the line of the `panic!`");
    assert_eq!(location.column(), 5, "the column of the `panic!`");
    assert!(
        location.file().ends_with("supervisor.rs") && location.file().contains("tests"),
        "{}",
        location.file()
    );
    let display = error.to_string();
    assert_eq!(
        display,
        format!(
            "worker `explode_on_line` panicked at {}:{}:{}: panicked on line {line}",
            location.file(),
            location.line(),
            location.column()
        )
    );
    assert!(!display.contains('\n'), "one line: {display:?}");
    assert_eq!(location.to_string(), {
        let l = location;
        format!("{}:{}:{}", l.file(), l.line(), l.column())
    });
    let debug = format!("{error:?}");
    assert!(debug.starts_with(&display), "{debug}");
    assert!(
        !debug.contains("Caused by:"),
        "a panic has no chain: {debug}"
    );
}

#[test]
fn the_name_option_names_the_worker() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| -> () {
            let _ = fate::spawn(renamed).join();
            block_forever()
        })
    });
    let error = result.expect_err("panicked");
    assert_eq!(error.worker(), "custom-name");
    assert!(
        error
            .to_string()
            .starts_with("worker `custom-name` panicked at "),
        "{error}"
    );
}

#[test]
fn the_report_names_the_thread_the_worker_failed_on() {
    // A supervised future made in the body is covered wherever it is polled: here on
    // the named threads of a runtime.
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| -> () {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("named-worker-thread")
                .build()
                .expect("a runtime");
            let task = runtime.spawn(explode_later("on a named thread"));
            let _ = runtime.block_on(task);
            block_forever()
        })
    });
    let error = result.expect_err("panicked");
    assert_eq!(error.worker(), "explode_later");
    assert_eq!(error.thread(), Some("named-worker-thread"));
    let debug = format!("{error:?}");
    assert!(debug.contains("named-worker-thread"), "{debug}");
}

#[fate::supervised]
async fn explode_later(message: &'static str) {
    panic!("{}", message);
}

#[fate::supervised]
async fn load_config_later(fail: bool) -> Result<u32, Outer> {
    load_config(fail)
}

#[test]
fn a_returned_error_on_a_named_thread_names_the_thread() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| -> () {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("loader")
                .build()
                .expect("a runtime");
            let task = runtime.spawn(load_config_later(true));
            let _ = runtime.block_on(task);
            block_forever()
        })
    });
    let error = result.expect_err("load_config failed");
    assert_eq!(error.thread(), Some("loader"));
}

#[test]
fn a_thread_not_started_by_fate_spawn_is_covered_by_no_supervisor() {
    // `std::thread::spawn` carries no root: under a `Supervisor` (no supervised `main`
    // in this process), a supervised function there is the plain function, and its
    // failure is nobody's.
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| {
            let handle = std::thread::Builder::new()
                .name("not-from-fate-spawn".into())
                .spawn(|| {
                    (
                        load_config(true),
                        std::panic::catch_unwind(|| explode("plain")),
                    )
                })
                .expect("spawn");
            let (err, panicked) = handle.join().expect("the panic was caught");
            assert!(err.is_err() && panicked.is_err());
            fate::is_cancelled()
        })
    });
    assert!(!result.expect("nobody failed for this root"), "cancelled");
}

#[test]
fn an_unnamed_thread_has_no_thread_name() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| -> () {
            let _ = fate::spawn(|| explode("unnamed")).join();
            block_forever()
        })
    });
    let error = result.expect_err("panicked");
    assert_eq!(error.thread(), None);
    assert!(format!("{error:?}").contains("<unnamed>"));
}

#[test]
fn later_failures_are_counted_in_others() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().grace(Duration::from_secs(10)).run(|| {
            // One after the other, so that the first is known; the body then
            // finishes, and with no worker running `run` returns long before the
            // grace period is over.
            let _ = fate::spawn(|| explode("first")).join();
            let _ = fate::spawn(|| explode("second")).join();
            let _ = fate::spawn(|| load_config(true)).join();
        })
    });
    let error = result.expect_err("three failures");
    assert_eq!(error.message(), "first");
    assert_eq!(error.others(), 2, "{error:?}");
    let debug = format!("{error:?}");
    assert!(debug.contains("and 2 more failures"), "{debug}");
    assert!(debug.contains("second"), "{debug}");
    assert!(debug.contains("could not load config"), "{debug}");
}

#[test]
fn a_panic_caught_inside_the_worker_is_not_a_failure() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().grace(Duration::from_secs(10)).run(|| {
            let a = fate::spawn(catches_its_own_panic).join().expect("no panic");
            let b = catches_its_own_panic();
            let c = catches_inner_worker_panic();
            (a, b, c)
        })
    });
    // `catches_inner_worker_panic` catches a panic of the worker `inner_panics`: the
    // panic never escaped the supervised caller, which handled it.
    assert_eq!(
        result.expect("a panic a supervised caller catches is no failure"),
        (17, 17, 23)
    );

    // Called directly in the body, `inner_panics` is outermost: its panic escapes it
    // (the body then catches it, but the worker has failed).
    let result = bounded(|| {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(|| std::panic::catch_unwind(inner_panics).unwrap_or(5))
    });
    let error = result.expect_err("inner_panics is outermost in the body");
    assert_eq!(error.worker(), "inner_panics");
    assert_eq!(error.others(), 0, "{error:?}");

    let result = bounded(|| {
        Supervisor::new().run(|| {
            let a = fate::spawn(catches_its_own_panic).join().expect("no panic");
            let b = catches_its_own_panic();
            (a, b)
        })
    });
    assert_eq!(result.expect("a caught panic is no failure"), (17, 17));
}

#[test]
fn nested_supervised_calls_report_a_panic_once() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        // A long grace period: `run` waits until the body has finished, so every
        // report of the one panic (by `inner_panics`, `outer_calls_inner` and the
        // `fate::spawn` closure) has arrived before the report is made.
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(move || {
                let joined = fate::spawn(outer_calls_inner).join();
                tx.send(joined.is_err()).expect("listens");
            })
    });
    assert!(recv(&rx), "the panic still reaches the JoinHandle");
    let error = result.expect_err("panicked");
    assert_eq!(error.worker(), "inner_panics", "the innermost worker");
    assert_eq!(error.message(), "inner went wrong");
    assert_eq!(error.others(), 0, "reported once: {error:?}");
}

// ---------------------------------------------------------------------------------
// `wait`.

#[test]
fn wait_true_returns_only_after_the_running_worker_finishes() {
    let _guard = shared();
    let done = Arc::new(AtomicBool::new(false));
    let seen = done.clone();
    let start = Instant::now();
    let result = bounded(move || {
        Supervisor::new().wait(true).run(move || {
            let (started_tx, started_rx) = mpsc::channel();
            fate::spawn(move || slow_worker(done, started_tx, Duration::from_millis(300)));
            recv(&started_rx); // running: it can be waited for
            "body done"
        })
    });
    assert_eq!(result.expect("no failure"), "body done");
    assert!(seen.load(Ordering::SeqCst), "run waited for the worker");
    assert!(start.elapsed() >= Duration::from_millis(300));
}

#[test]
fn without_wait_run_returns_when_the_body_finishes() {
    let _guard = shared();
    let done = Arc::new(AtomicBool::new(false));
    let seen = done.clone();
    let start = Instant::now();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let (started_tx, started_rx) = mpsc::channel();
            fate::spawn(move || slow_worker(done, started_tx, Duration::from_secs(3)));
            recv(&started_rx);
            "body done"
        })
    });
    assert_eq!(result.expect("no failure"), "body done");
    assert!(!seen.load(Ordering::SeqCst), "run did not wait");
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn wait_true_still_returns_early_on_a_failure() {
    let _guard = shared();
    let start = Instant::now();
    let result = bounded(move || {
        Supervisor::new().wait(true).run(move || {
            let (started_tx, started_rx) = mpsc::channel();
            fate::spawn(move || {
                started_tx.send(()).expect("listens");
                block_forever()
            });
            recv(&started_rx);
            fate::spawn(|| explode("failed while another worker runs"));
        })
    });
    assert_eq!(
        result.expect_err("failed").message(),
        "failed while another worker runs"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}

// ---------------------------------------------------------------------------------
// The type.

#[test]
fn the_error_is_a_send_sync_static_std_error_and_cheap_to_clone() {
    fn assert_traits<T: std::error::Error + Send + Sync + Clone + 'static>() {}
    assert_traits::<fate::Error>();
    let _guard = shared();
    let error = bounded(|| {
        Supervisor::new().run(|| -> () {
            fate::spawn(|| explode("clone me"));
            block_forever()
        })
    })
    .expect_err("panicked");
    let copy = error.clone();
    assert_eq!(copy.to_string(), error.to_string());
    // Boxed as `dyn Error`, as `?` in an `anyhow`/`Box<dyn Error>` main does.
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
    assert!(boxed.to_string().contains("clone me"));
}

#[test]
fn supervisors_side_by_side_never_see_each_others_failures() {
    // Two roots at once, each failing in its own `fate::spawn`ed thread while the
    // other waits: each gets its own failure, once, and nothing of the other's.
    let _guard = shared();
    let (a_running_tx, a_running_rx) = mpsc::channel();
    let (b_failed_tx, b_failed_rx) = mpsc::channel::<()>();
    let root_a = std::thread::spawn(move || {
        bounded(move || {
            Supervisor::new().run(move || {
                a_running_tx.send(()).expect("the test listens");
                recv(&b_failed_rx); // b has failed meanwhile: not a's business
                let cancelled_by_b = fate::is_cancelled();
                let _ = fate::spawn(|| explode("a's own")).join();
                cancelled_by_b
            })
        })
    });
    recv(&a_running_rx);
    let root_b = bounded(move || {
        Supervisor::new().run(move || -> () {
            let _ = fate::spawn(|| explode("b's own")).join();
            b_failed_tx.send(()).expect("root a listens");
            block_forever()
        })
    });
    let b = root_b.expect_err("b's worker failed");
    assert_eq!((b.message(), b.others()), ("b's own", 0));
    let a = root_a
        .join()
        .expect("root a's thread")
        .expect_err("a's worker failed");
    assert_eq!((a.message(), a.others()), ("a's own", 0));
}

#[fate::supervised]
fn read_setting(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

#[fate::supervised]
fn load_settings(text: &str) -> Result<u32, std::num::ParseIntError> {
    let value = read_setting(text)?; // the same failure, passed up
    Ok(value * 2)
}

/// An `Err` passed up with `?` through supervised callers is one failure, not one per
/// function: the innermost worker is reported, and nothing is counted after it.
#[test]
fn an_error_passed_up_with_question_mark_counts_once() {
    let _guard = shared();
    let error = bounded(|| {
        Supervisor::new().run(|| -> () {
            let _ = fate::spawn(|| load_settings("x")).join();
            block_forever()
        })
    })
    .expect_err("failed");
    assert_eq!(error.worker(), "read_setting");
    assert_eq!(error.others(), 0, "{error:?}");
}
