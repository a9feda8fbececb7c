//! Odd panics and panic hooks: payloads that are not strings or that panic when
//! dropped, panics that abort the process, failures while a root shuts down or after
//! its body returned, user hooks on both sides of fate's, hooks that panic, and the
//! test harness's output capture.
//!
//! In-process tests run under `fate::Supervisor` roots, each bounded in time. Whatever
//! aborts the process runs as a program of this crate (`src/bin/odd_*.rs`) in a child
//! process, as `tests/e2e.rs` does.
//!
//! The panic hook is process-wide, so every in-process test first calls
//! [`install_hooks`]: a recording user hook installed *before* fate's, then fate's
//! (installed by the first root), then a recording user hook installed *after* fate's
//! that calls the previous one, as the crate docs ask. Every panic in this process
//! therefore goes through all three.

mod common;
mod support;

use std::any::Any;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard, Once};
use std::task::{Context, Waker};
use std::time::Duration;

use common::{bounded, exclusive, recv, shared};
use fate::{FailureKind, Supervisor};

// ---------------------------------------------------------------------------------
// Hooks on both sides of fate's.
// ---------------------------------------------------------------------------------

/// What the user's hooks saw: `(which hook, message)`, in order.
static SEEN: Mutex<Vec<(&'static str, String)>> = Mutex::new(Vec::new());

fn seen() -> MutexGuard<'static, Vec<(&'static str, String)>> {
    SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How many times the hook `which` saw a panic with `message`.
fn times_seen(which: &str, message: &str) -> usize {
    seen()
        .iter()
        .filter(|(hook, text)| *hook == which && text == message)
        .count()
}

fn message_of(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<not a string>".to_owned())
}

/// Installs, once per process: a user hook, then fate's (by running a root), then
/// another user hook that calls the previous one.
fn install_hooks() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Each user hook calls the one it replaced, so that a failed assertion in a
        // test still prints its message.
        let harness = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            seen().push(("before", message_of(info.payload())));
            harness(info);
        }));
        Supervisor::new()
            .run(|| ())
            .expect("a root that does nothing succeeds");
        let previous = panic::take_hook(); // fate's
        panic::set_hook(Box::new(move |info| {
            seen().push(("after", message_of(info.payload())));
            previous(info);
        }));
    });
}

/// Runs a root for a test that starts its workers with `fate::spawn`.
fn supervise<T, F>(supervisor: Supervisor, body: F) -> Result<T, fate::Error>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    install_hooks();
    bounded(move || supervisor.run(body))
}

/// Parks the current thread forever: a body that never finishes by itself.
fn block_forever() -> ! {
    common::block_forever()
}

#[fate::supervised]
fn explode(message: &'static str) {
    panic!("{}", message);
}

#[test]
fn user_hooks_installed_before_and_after_fates_both_run_and_fate_still_reports() {
    let _guard = shared();
    let error = supervise(Supervisor::new(), || -> () {
        let _ = fate::spawn(|| explode("seen by every hook")).join();
        block_forever()
    })
    .expect_err("the worker panicked");
    assert_eq!(error.worker(), "explode");
    assert_eq!(error.kind(), FailureKind::Panic);
    assert_eq!(error.message(), "seen by every hook");
    let location = error
        .location()
        .expect("fate's hook ran and saw the location");
    assert!(location.file().ends_with("odd_panics.rs"), "{location}");
    assert_eq!(times_seen("after", "seen by every hook"), 1, "{:?}", seen());
    assert_eq!(
        times_seen("before", "seen by every hook"),
        1,
        "{:?}",
        seen()
    );

    // A panic outside any worker, while no root runs: both hooks, once each.
    let _ = panic::catch_unwind(|| panic!("outside every worker"));
    assert_eq!(times_seen("after", "outside every worker"), 1);
    assert_eq!(times_seen("before", "outside every worker"), 1);
}

// ---------------------------------------------------------------------------------
// Payloads.
// ---------------------------------------------------------------------------------

/// A panic payload that is not a string.
#[derive(Debug, PartialEq, Eq)]
struct Code(u32);

#[fate::supervised]
fn panics_with_a_code(code: u32) {
    panic::panic_any(Code(code)); // the sync one
}

#[fate::supervised]
fn panics_with_a_number() -> u64 {
    panic::panic_any(7_u64)
}

#[test]
fn a_panic_any_payload_of_another_type_is_reported_and_passed_on_unchanged() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let error = supervise(
        Supervisor::new().grace(Duration::from_secs(10)),
        move || {
            let joined = fate::spawn(|| panics_with_a_code(42)).join();
            let payload = joined.expect_err("the thread panicked");
            tx.send(payload.downcast_ref::<Code>().map(|code| code.0))
                .expect("the test listens");
        },
    )
    .expect_err("the worker panicked");
    // Named like Rust's own panic message names a payload it cannot print.
    assert_eq!(error.worker(), "panics_with_a_code");
    assert_eq!(error.kind(), FailureKind::Panic);
    assert_eq!(error.message(), "Box<dyn Any>");
    let location = error.location().expect("the hook saw where");
    assert_eq!(
        location.to_string(),
        // Split, so that this line does not hold the needle too.
        support::location_of(
            "tests/odd_panics.rs",
            concat!("panic::panic_any(Code(code));", " // the sync one")
        )
    );
    assert_eq!(error.others(), 0);
    assert!(error.to_string().ends_with(": Box<dyn Any>"), "{error}");
    // The JoinHandle still gets the original payload, with its type.
    assert_eq!(recv(&rx), Some(42));

    // The same for a number, and on an async task.
    let (tx, rx) = mpsc::channel();
    let error = supervise(
        Supervisor::new().grace(Duration::from_secs(10)),
        move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a runtime");
            let task = runtime.spawn(async_panics_with_a_code(9));
            let joined = runtime.block_on(task).expect_err("the task panicked");
            let payload = joined.into_panic();
            tx.send(payload.downcast_ref::<Code>().map(|code| code.0))
                .expect("the test listens");
            let _ = fate::spawn(panics_with_a_number).join();
        },
    )
    .expect_err("the task panicked");
    assert_eq!(error.worker(), "async_panics_with_a_code");
    assert_eq!(error.message(), "Box<dyn Any>");
    assert_eq!(error.others(), 1, "the number came second: {error:?}");
    assert!(
        format!("{error:?}").contains("worker `panics_with_a_number` panicked at"),
        "{error:?}"
    );
    assert_eq!(recv(&rx), Some(9));
}

#[fate::supervised]
async fn async_panics_with_a_code(code: u32) {
    std::future::ready(()).await;
    panic::panic_any(Code(code));
}

/// A payload whose `Drop` panics.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("the bomb's Drop panics");
    }
}

#[fate::supervised]
fn throws_a_bomb() {
    panic::panic_any(Bomb);
}

#[test]
fn a_payload_whose_drop_panics_is_reported_once_and_its_drop_panic_is_a_second_failure() {
    let _guard = shared();
    // The worker's panic is reported and resumed with the bomb; the body, which joins
    // the thread and drops what it got, panics in turn: a failure of the body.
    let error = supervise(Supervisor::new().grace(Duration::from_secs(10)), || {
        let joined = fate::spawn(throws_a_bomb).join();
        drop(joined);
        "unreachable: dropping the bomb panicked"
    })
    .expect_err("the worker panicked");
    assert_eq!(error.worker(), "throws_a_bomb");
    assert_eq!(error.message(), "Box<dyn Any>");
    assert_eq!(error.others(), 1, "{error:?}");
    let report = format!("{error:?}");
    assert!(
        report.contains("worker `body` panicked at") && report.contains("the bomb's Drop panics"),
        "{report}"
    );
}

#[test]
fn a_body_panicking_with_a_bomb_is_reported_and_the_bomb_is_defused() {
    let _guard = shared();
    // fate drops the body's payload itself, under `catch_unwind`: no abort, and the
    // panic in the bomb's Drop is not a second failure.
    let error =
        supervise(Supervisor::new(), || -> () { panic::panic_any(Bomb) }).expect_err("panicked");
    assert_eq!(error.worker(), "body");
    assert_eq!(error.message(), "Box<dyn Any>");
    assert_eq!(error.others(), 0, "{error:?}");
}

/// Holds a bomb until dropped, then throws it.
struct ThrowsOnDrop;

impl Drop for ThrowsOnDrop {
    fn drop(&mut self) {
        panic::panic_any(Bomb);
    }
}

#[fate::supervised]
async fn holds_a_bomb() {
    let _holder = ThrowsOnDrop;
    std::future::pending::<()>().await;
}

#[test]
fn a_cancelled_future_whose_drop_throws_a_bomb_is_reported_and_does_not_abort() {
    let _guard = shared();
    // The future is dropped mid-way (cancelled); its `Drop` panics with a payload
    // whose own `Drop` panics. fate reports the first and defuses the second, never
    // unwinding into the code that dropped the future.
    let (tx, rx) = mpsc::channel();
    let error = supervise(
        Supervisor::new().grace(Duration::from_secs(10)),
        move || {
            let dropped = panic::catch_unwind(AssertUnwindSafe(|| {
                let mut future = pin!(holds_a_bomb());
                let polled = future
                    .as_mut()
                    .poll(&mut Context::from_waker(Waker::noop()));
                assert!(polled.is_pending());
            }));
            tx.send(dropped.is_ok()).expect("the test listens");
        },
    )
    .expect_err("the future's Drop panicked");
    assert_eq!(error.worker(), "holds_a_bomb");
    assert_eq!(error.message(), "Box<dyn Any>");
    assert_eq!(error.others(), 0, "{error:?}");
    assert!(recv(&rx), "dropping the future unwound into the caller");
}

// ---------------------------------------------------------------------------------
// Failures while a root shuts down, and after its body returned.
// ---------------------------------------------------------------------------------

#[fate::supervised]
fn fails(message: &'static str) -> Result<(), std::io::Error> {
    Err(std::io::Error::other(message))
}

/// Fails once its root is cancelled: during the grace period.
#[fate::supervised]
fn fails_while_shutting_down() {
    assert!(fate::wait_cancelled(common::LIMIT), "never cancelled");
    panic!("failed during the grace period");
}

#[test]
fn a_worker_failing_during_the_grace_period_is_counted_and_listed() {
    let _guard = shared();
    let error = supervise(Supervisor::new().grace(Duration::from_secs(10)), || {
        let late = fate::spawn(fails_while_shutting_down);
        let _ = fate::spawn(|| fails("first")).join();
        let _ = late.join();
    })
    .expect_err("failed");
    assert_eq!(error.worker(), "fails");
    assert_eq!(error.message(), "first");
    assert_eq!(error.others(), 1, "{error:?}");
    let report = format!("{error:?}");
    assert!(
        report.contains("and 1 more failure:\n    worker `fails_while_shutting_down` panicked at"),
        "{report}"
    );
}

#[test]
fn a_worker_failing_after_its_root_returned_changes_nothing_and_reaches_no_other_root() {
    let _guard = shared();
    let (late_tx, late_rx) = mpsc::channel::<mpsc::Sender<()>>();
    let (joined_tx, joined_rx) = mpsc::channel();
    let error = supervise(Supervisor::new(), move || -> () {
        let (go_tx, go_rx) = mpsc::channel::<()>();
        late_tx.send(go_tx).expect("the test listens");
        // Outlives the root: fails when the test says so, after `run` returned.
        let late = fate::spawn(move || {
            let _ = go_rx.recv();
            assert!(fate::is_cancelled(), "a body's thread keeps its root");
            explode("after the root returned")
        });
        let _ = fate::spawn(|| fails("the only failure")).join();
        joined_tx
            .send(late.join().map_err(|payload| message_of(&*payload)))
            .expect("the test listens");
        block_forever()
    })
    .expect_err("failed");
    assert_eq!(error.worker(), "fails");
    assert_eq!(error.others(), 0);

    // Another root runs while the late worker of the first one fails: it sees nothing.
    let go = recv(&late_rx);
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        supervise(Supervisor::new(), move || {
            recv(&release_rx);
            "the other root is fine"
        })
    });
    drop(go); // the late worker's `recv` returns: it panics now
    assert_eq!(
        recv(&joined_rx),
        Err("after the root returned".to_owned()),
        "its JoinHandle still gets the panic"
    );
    assert_eq!(times_seen("after", "after the root returned"), 1);
    release_tx.send(()).expect("the other root listens");
    let other = other.join().expect("the other root's thread");
    assert_eq!(
        other.expect("no failure of its own"),
        "the other root is fine"
    );
    // The first report is a value: it did not change either.
    assert_eq!(error.others(), 0);
}

#[fate::supervised]
fn fails_after(signal: mpsc::Receiver<()>) -> Result<(), std::io::Error> {
    let _ = signal.recv_timeout(common::LIMIT);
    Err(std::io::Error::other("failed after the body returned"))
}

#[test]
fn a_failure_after_the_body_returned_is_ignored_without_wait() {
    let _guard = shared();
    let (go_tx, go_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let value = supervise(
        Supervisor::new().grace(Duration::from_secs(10)),
        move || {
            fate::spawn(move || done_tx.send(fails_after(go_rx)).expect("the test listens"));
            "returned"
        },
    )
    .expect("the body returned before any failure");
    assert_eq!(value, "returned");
    go_tx.send(()).expect("the worker listens");
    assert!(recv(&done_rx).is_err(), "the worker still returns its Err");
}

#[test]
fn a_failure_after_the_body_returned_ends_the_root_with_wait() {
    let _guard = shared();
    let (go_tx, go_rx) = mpsc::channel();
    let (entered_tx, entered_rx) = mpsc::channel();
    let root = std::thread::spawn(move || {
        supervise(Supervisor::new().wait(true), move || {
            fate::spawn(move || {
                // Entered (running) before the body returns, so `wait` waits for it.
                fails_after_entering(&entered_tx, go_rx)
            });
            recv(&entered_rx);
            "returned"
        })
    });
    std::thread::sleep(Duration::from_millis(50)); // the body has returned by now
    go_tx.send(()).expect("the worker listens");
    let error = root
        .join()
        .expect("the root's thread")
        .expect_err("the worker failed while `wait` waited for it");
    assert_eq!(error.worker(), "fails_after_entering");
    assert_eq!(error.message(), "failed after the body returned");
}

#[fate::supervised]
fn fails_after_entering(
    entered: &mpsc::Sender<()>,
    signal: mpsc::Receiver<()>,
) -> Result<(), std::io::Error> {
    entered.send(()).expect("the body listens");
    let _ = signal.recv_timeout(common::LIMIT);
    Err(std::io::Error::other("failed after the body returned"))
}

// ---------------------------------------------------------------------------------
// What aborts: programs in child processes.
// ---------------------------------------------------------------------------------

#[track_caller]
fn assert_aborted(output: &support::Output) {
    assert_eq!(output.signal(), Some(6), "not SIGABRT\n{}", output.dump());
}

#[test]
fn a_panic_in_drop_during_unwinding_aborts_and_both_panic_messages_are_printed() {
    // Rust aborts when a destructor panics while a panic unwinds: the worker's
    // wrapper is never reached, so fate makes no report. What the user sees: both
    // panics' messages, in the default hook's words (with the thread's name), then
    // Rust's own "panic in a destructor during cleanup" and its abort line; the
    // status is SIGABRT's.
    let output = support::run(env!("CARGO_BIN_EXE_odd_drop_unwind")).output();
    assert_aborted(&output);
    let first = support::location_of("src/bin/odd_drop_unwind.rs", "panic!(\"first panic");
    let second = support::location_of("src/bin/odd_drop_unwind.rs", "panic!(\"{} panics");
    output
        .assert_stderr_count("thread 'unwinder'", 3)
        .assert_stderr_count("panic in a destructor during cleanup", 1)
        .assert_stderr_count(
            &format!("panicked at {first}:\nfirst panic of the worker\n"),
            1,
        )
        .assert_stderr_count(
            &format!("panicked at {second}:\nthe sentry panics in its Drop\n"),
            1,
        )
        .assert_stderr_count("thread caused non-unwinding panic. aborting.\n", 1)
        .assert_stderr_lacks("Error:");
}

#[test]
fn a_panic_in_drop_during_unwinding_keeps_rusts_explanation_of_the_abort() {
    // Without fate, Rust's default hook prints a third message before aborting:
    // "panic in a destructor during cleanup". With fate, that non-unwinding panic
    // happens inside the worker, so fate's hook holds its message back as it does for
    // every supervised panic, and the process aborts before anything prints it: the
    // user is left with "non-unwinding panic" and no word of why.
    let output = support::run(env!("CARGO_BIN_EXE_odd_drop_unwind")).output();
    assert_aborted(&output);
    output.assert_stderr_count("panic in a destructor during cleanup", 1);
}

#[test]
fn a_user_hook_that_panics_aborts_the_process_before_and_after_fates() {
    // A panic inside a panic hook makes Rust abort at once; nothing can catch it, and
    // fate's report (made later, by the worker's wrapper) never comes. The user sees
    // their hook's output, its panic, and Rust's abort line; status SIGABRT.
    for when in ["before", "after"] {
        let output = support::run(env!("CARGO_BIN_EXE_odd_hook_panics"))
            .arg(when)
            .output();
        assert_aborted(&output);
        output
            .assert_stderr_count("the user's hook runs for: the worker panics\n", 1)
            .assert_stderr_count("the user's hook panics\n", 1)
            .assert_stderr_count("thread panicked while processing panic. aborting.\n", 1)
            .assert_stderr_lacks("Error:");
    }
}

// ---------------------------------------------------------------------------------
// The test harness's output capture.
// ---------------------------------------------------------------------------------

/// The subject of [`supervised_panics_in_a_test_are_captured_by_the_harness`]: run by
/// it in a child process (this test binary again), never on its own.
#[test]
#[ignore = "run by supervised_panics_in_a_test_are_captured_by_the_harness"]
fn capture_subject() {
    // No hook of this file's here: libtest's and Rust's default one, as in a user's
    // test suite.
    // 1. A worker's panic, reported.
    let error = bounded(|| {
        Supervisor::new().run(|| -> () {
            let _ = fate::spawn(|| explode("captured: reported")).join();
            block_forever()
        })
    })
    .expect_err("reported");
    assert_eq!(error.message(), "captured: reported");
    // 2. A panic caught inside a worker: no failure, its message printed late by fate.
    let value = bounded(|| Supervisor::new().run(catches_inside)).expect("no failure");
    assert_eq!(value, 7);
    // 3. A worker failing after its root returned: Rust's default message.
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (late_tx, late_rx) = mpsc::channel();
    let _ = bounded(move || {
        Supervisor::new().run(move || -> () {
            let late = fate::spawn(move || {
                let _ = go_rx.recv();
                explode("captured: after the root")
            });
            let _ = fate::spawn(|| fails("first")).join();
            late_tx
                .send(late.join().is_err())
                .expect("the test listens");
            block_forever()
        })
    });
    drop(go_tx);
    assert!(recv(&late_rx));
    println!("captured: the subject ran to its end");
    if std::env::var_os("FATE_ODD_CAPTURE_FAIL").is_some() {
        panic!("the subject fails on purpose, to show what was captured");
    }
}

#[fate::supervised]
fn catches_inside() -> u32 {
    panic::catch_unwind(|| -> u32 { panic!("captured: caught inside a worker") }).unwrap_or(7)
}

/// Runs [`capture_subject`] in this test binary, as a child.
fn run_capture_subject(extra: &[&str], fail: bool) -> std::process::Output {
    let mut command = std::process::Command::new(std::env::current_exe().expect("this binary"));
    command
        .args([
            "--ignored",
            "--exact",
            "capture_subject",
            "--test-threads=1",
        ])
        .args(extra)
        .env("RUST_BACKTRACE", "0")
        .env_remove("FATE_ODD_CAPTURE_FAIL");
    if fail {
        command.env("FATE_ODD_CAPTURE_FAIL", "1");
    }
    bounded(move || command.output().expect("run the subject"))
}

#[test]
fn supervised_panics_in_a_test_are_captured_by_the_harness() {
    let text = |output: &std::process::Output| {
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    // libtest installs a panic hook of its own (which calls Rust's default one), so
    // fate takes it for a user's hook and calls it for every panic, the reported ones
    // too: their messages go to the capture as well.
    let lines = [
        "captured: reported",
        "captured: caught inside a worker",
        "captured: after the root",
        "captured: the subject ran to its end",
    ];

    // A passing test shows nothing of it: everything went to the capture.
    let passing = run_capture_subject(&[], false);
    let (stdout, stderr) = text(&passing);
    assert!(passing.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("test capture_subject ... ok"), "{stdout}");
    for line in lines {
        assert!(
            !stdout.contains(line) && !stderr.contains(line),
            "{line:?} escaped the capture:\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
    }

    // A failing test shows what was captured, in its own section, each message once.
    let failing = run_capture_subject(&[], true);
    let (stdout, stderr) = text(&failing);
    assert!(!failing.status.success(), "{stdout}\n{stderr}");
    let section = stdout
        .split_once("---- capture_subject stdout ----")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no captured section:\n{stdout}\n{stderr}"));
    for line in lines {
        assert_eq!(
            section.matches(line).count(),
            1,
            "{line:?} not captured once:\n{stdout}\n--- stderr\n{stderr}"
        );
        assert!(!stderr.contains(line), "{line:?} went to stderr:\n{stderr}");
    }

    // With `--nocapture` the lines reach the terminal. libtest then installs no hook,
    // so fate holds the reported panic's message back, as in a program.
    let uncaptured = run_capture_subject(&["--nocapture"], false);
    let (stdout, stderr) = text(&uncaptured);
    assert!(uncaptured.status.success(), "{stdout}\n{stderr}");
    assert!(
        !stdout.contains(lines[0]) && !stderr.contains(lines[0]),
        "{stdout}\n--- stderr\n{stderr}"
    );
    for line in &lines[1..] {
        assert!(
            stdout.contains(line) || stderr.contains(line),
            "{line:?} not printed with --nocapture:\n{stdout}\n--- stderr\n{stderr}"
        );
    }
}

#[test]
fn the_panic_hook_order_is_what_this_file_assumes() {
    // Guards the assumption of every test here: the hooks are installed in order.
    let _guard = exclusive();
    install_hooks();
    let before = seen().len();
    let _ = panic::catch_unwind(|| panic!("order check"));
    let new: Vec<_> = seen()[before..].to_vec();
    assert_eq!(
        new,
        [
            ("after", "order check".to_owned()),
            ("before", "order check".to_owned())
        ]
    );
}
