//! fate's panic hook next to a user's own hook.
//!
//! A test binary of its own, so that the user's hook is installed before fate's (fate
//! installs its hook when the first `Supervisor` in the process runs): every test
//! calls `install_user_hook()` first. The hook records every panic message it sees.

mod common;

use std::panic;
use std::sync::mpsc;
use std::sync::{Mutex, Once};
use std::time::Duration;

use common::{block_forever, bounded, exclusive, recv, shared};
use fate::{FailureKind, Supervisor};

/// The messages the user's hook saw, in order.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn install_user_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "<non-string payload>".into());
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            seen().push(format!("{message} @ {location}"));
        }));
    });
}

fn seen() -> std::sync::MutexGuard<'static, Vec<String>> {
    SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How many times the user's hook saw a panic whose message is `message`.
fn times_seen(message: &str) -> usize {
    let prefix = format!("{message} @ ");
    seen()
        .iter()
        .filter(|entry| entry.starts_with(&prefix))
        .count()
}

#[fate::supervised]
fn explode(message: &'static str) {
    panic!("{}", message);
}

#[fate::supervised]
fn explode_on_line(message: &'static str) -> u32 {
    panic!("{message} {}", line!());
}

#[fate::supervised]
fn outer(message: &'static str) {
    explode(message);
}

#[fate::supervised]
fn catches(message: &'static str) -> u32 {
    panic::catch_unwind(|| explode(message)).map_or(7, |()| 0)
}

#[test]
fn a_user_hook_installed_first_still_runs_for_a_supervised_panic_and_fate_reports_it() {
    install_user_hook();
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| -> () {
            let _ = fate::spawn(|| explode_on_line("user hook sees line")).join();
            block_forever()
        })
    });
    let error = result.expect_err("the worker panicked");
    assert_eq!(error.worker(), "explode_on_line");
    assert_eq!(error.kind(), FailureKind::Panic);
    let line: u32 = error
        .message()
        .strip_prefix("user hook sees line ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("message {:?}", error.message()));
    let location = error
        .location()
        .expect("fate's hook ran and saw the location");
    assert_eq!(location.line(), line);
    assert!(location.file().ends_with("panic_hook.rs"), "{location}");
    assert_eq!(
        times_seen(error.message()),
        1,
        "the user's hook ran once: {:?}",
        seen()
    );
}

#[test]
fn a_user_hook_still_runs_for_panics_outside_any_worker() {
    install_user_hook();
    let _guard = shared();
    let _ = panic::catch_unwind(|| panic!("unsupervised panic"));
    assert_eq!(times_seen("unsupervised panic"), 1, "{:?}", seen());
    // Also while a root is running, on a thread that runs no worker.
    let (started_tx, started_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let root = std::thread::spawn(move || {
        bounded(move || {
            Supervisor::new().run(move || {
                started_tx.send(()).expect("the test listens");
                recv(&done_rx);
                "fine"
            })
        })
    });
    recv(&started_rx);
    let _ = panic::catch_unwind(|| panic!("unsupervised panic during a root"));
    done_tx.send(()).expect("the root listens");
    let result = root.join().expect("the root's thread");
    assert_eq!(result.expect("no failure"), "fine");
    assert_eq!(times_seen("unsupervised panic during a root"), 1);
}

#[test]
fn a_nested_supervised_panic_reaches_the_user_hook_once_and_is_reported_once() {
    install_user_hook();
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().grace(Duration::from_secs(10)).run(|| {
            let _ = fate::spawn(|| outer("nested for the user hook")).join();
        })
    });
    let error = result.expect_err("panicked");
    assert_eq!(error.worker(), "explode");
    assert_eq!(error.others(), 0, "{error:?}");
    assert_eq!(times_seen("nested for the user hook"), 1);
}

#[test]
fn a_panic_caught_inside_a_worker_reaches_the_user_hook_and_is_no_failure() {
    install_user_hook();
    let _guard = shared();
    // `catches` catches the panic of a plain closure (not of a worker).
    #[fate::supervised]
    fn catches_plain(message: &'static str) -> u32 {
        panic::catch_unwind(|| -> u32 { panic!("{}", message) }).unwrap_or(9)
    }
    let result = bounded(|| Supervisor::new().run(|| catches_plain("caught, user hook runs")));
    assert_eq!(result.expect("no failure"), 9);
    assert_eq!(times_seen("caught, user hook runs"), 1);

    // A worker that catches the panic of an inner worker: handled, no failure.
    let result = bounded(|| {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(|| catches("inner worker panicked"))
    });
    assert_eq!(result.expect("the supervised caller caught it"), 7);
    assert_eq!(times_seen("inner worker panicked"), 1);

    // Caught by the body instead, the worker's panic escaped it: a failure.
    let result = bounded(|| {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(|| panic::catch_unwind(|| explode("escaped the worker")).map_or(7, |()| 0))
    });
    let error = result.expect_err("the worker failed");
    assert_eq!(error.worker(), "explode");
    assert_eq!(times_seen("escaped the worker"), 1);
}

#[test]
fn a_hook_that_replaces_fates_leaves_the_report_without_a_location() {
    install_user_hook();
    let _guard = exclusive(); // replaces the process's hook for a while
                              // Makes sure fate's hook is installed (in front of the user's), then replaces it
                              // with one that does not call it.
    let _ = bounded(|| Supervisor::new().run(|| ()));
    let fates = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        seen().push(format!("{message} @ replacing hook"));
    }));
    let result = bounded(|| {
        Supervisor::new().run(|| -> () {
            let _ = fate::spawn(|| explode("fate's hook was replaced")).join();
            block_forever()
        })
    });
    panic::set_hook(fates);
    let error = result.expect_err("still reported by the worker wrapper");
    assert_eq!(error.worker(), "explode");
    assert_eq!(error.message(), "fate's hook was replaced");
    assert_eq!(error.location(), None);
    assert_eq!(times_seen("fate's hook was replaced"), 1);
}
