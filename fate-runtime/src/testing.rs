//! The root of `#[fate::test]`.
//!
//! The test's body runs on a thread of its own, named after the test, so that the
//! test's own thread can fail the test as soon as a worker fails, even while the body
//! is blocked (a blocked body is left behind, never joined). The test root covers the
//! body's thread, the threads started from there with `fate::spawn`, the scopes made
//! there, and the supervised futures made there wherever they are polled. When the
//! test is alone in its process (cargo-nextest runs each test in a process of its own;
//! or `--test-threads=1`), it is the process root as well, so every supervised worker
//! of the process is covered.

use std::fmt::{Debug, Write as _};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::Duration;

use crate::context::{self, FrameKind};
use crate::hook;
use crate::report::{payload_message, WorkerName};
use crate::root::{
    AfterBody, BodyEnd, DisplayDuration, Finish, MainBody, Root, RootKind, UNWIND_PATIENCE,
};
use crate::sync::Arc;
use crate::worker;

/// The options of `#[fate::test]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TestOptions {
    /// `grace = "..."`.
    pub grace: Duration,
    /// `wait`.
    pub wait: bool,
    /// `timeout = "..."`.
    pub timeout: Option<Duration>,
    /// `all_panics` (taken only when the test is alone in its process).
    pub all_panics: bool,
    /// How the body is framed (see [`MainBody`]).
    pub body: MainBody,
}

/// What a `#[fate::test]` function may return.
#[diagnostic::on_unimplemented(
    message = "`#[fate::test]` cannot return `{Self}`",
    label = "unsupported return type for a supervised test",
    note = "return `()` or `Result<(), E>` where `E: Debug`"
)]
pub trait TestOutput: Sized {
    /// The test's verdict: `Ok`, or what the test harness prints for this `Err`.
    fn verdict(self) -> Result<(), String>;
}

impl TestOutput for () {
    fn verdict(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: Debug> TestOutput for Result<(), E> {
    fn verdict(self) -> Result<(), String> {
        self.map_err(|error| format!("Error: {error:?}"))
    }
}

/// Runs the test `name` under a root of its own; see the module docs. Panics (fails
/// the test) with the report of the first failure, with the body's `Err`, or when the
/// timeout is over.
#[track_caller]
pub fn run_test<R, F>(options: TestOptions, name: &'static str, body: F)
where
    R: TestOutput + 'static,
    F: FnOnce() -> R + Send + 'static,
{
    hook::install();
    let after_body = if options.wait {
        AfterBody::WaitForWorkers
    } else {
        AfterBody::End
    };
    let alone = alone_in_process();
    // `all_panics` only when the test is alone in its process: otherwise it would take
    // the panics of the tests that run beside it.
    let all_panics = options.all_panics && alone;
    let mut root =
        Root::new(RootKind::Supervisor, options.grace, after_body).with_all_panics(all_panics);
    if options.timeout.is_some() {
        root = root.tracking();
    }
    let root = Arc::new(root);
    let process_root = alone.then(|| context::install_process_root(&root));
    let catch_all = all_panics.then(|| context::install_catch_all(&root));
    let verdict: Arc<Mutex<Option<Result<(), String>>>> = Arc::default();
    let started = std::time::Instant::now();
    {
        let (root, verdict) = (root.clone(), verdict.clone());
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                // Never given back: a body left running keeps seeing its root.
                let _own = context::set_own_root(&root);
                root.body_runs_here();
                let value = match options.body {
                    MainBody::Whole => {
                        worker::run_boundary(WorkerName::Named(name), FrameKind::RootBody, body)
                    }
                    MainBody::Polls => {
                        panic::catch_unwind(AssertUnwindSafe(body)).inspect_err(|payload| {
                            worker::report_uncovered(&root, WorkerName::Named(name), &**payload);
                        })
                    }
                };
                let outcome = match value {
                    Ok(value) => value.verdict(),
                    Err(payload) => {
                        let message = payload_message(&*payload);
                        let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
                        Err(message)
                    }
                };
                *verdict.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
                root.body_finished();
            });
        if let Err(error) = spawned {
            panic!("fate: could not spawn the thread for the test's body: {error}");
        }
    }
    let mut in_time = match options.timeout {
        Some(limit) => root.wait_for_failure_or_body_within(limit),
        None => {
            root.wait_for_failure_or_body();
            true
        }
    };
    if !in_time {
        // A panic still unwinding as the time is up happened before it: it decides.
        root.await_held(UNWIND_PATIENCE, &[]);
        in_time = root.has_failed();
    }
    let body_end = match &*verdict.lock().unwrap_or_else(|e| e.into_inner()) {
        Some(Ok(())) => BodyEnd::Succeeded,
        _ => BodyEnd::Failed,
    };
    // With `wait`, the wait for the running workers ends at the timeout too.
    if in_time && root.settle_within(body_end, options.timeout).is_none() {
        in_time = root.has_failed();
    }
    if !in_time {
        let report = timeout_report(&root, started.elapsed());
        drop(catch_all);
        drop(process_root);
        root.end();
        panic!("{report}");
    }
    root.await_held(UNWIND_PATIENCE, &[]);
    let error = match root.finish() {
        Finish::Won(error) => error,
        Finish::Lost => None,
    };
    drop(catch_all);
    drop(process_root);
    root.end();
    if let Some(error) = error {
        panic!("{error:?}");
    }
    let verdict = verdict.lock().unwrap_or_else(|e| e.into_inner()).take();
    match verdict {
        Some(Ok(())) => {}
        Some(Err(text)) => panic!("{text}"),
        // Cancelled with `fate::cancel()`, and the body did not return in time.
        None => panic!(
            "the test was cancelled, and its body did not return within the grace period ({})",
            DisplayDuration(options.grace)
        ),
    }
}

/// What a test that timed out says: how long it ran, and which supervised workers it
/// covers were still running, and for how long.
fn timeout_report(root: &Root, elapsed: Duration) -> String {
    let mut report = format!(
        "timed out after {:.1?}: the test was still running",
        elapsed
    );
    // The test's own workers, then those of the scopes running in it, which keep
    // its body waiting until every one of their threads has finished.
    let scopes = root.children();
    let mut running = root.running_workers();
    for scope in &scopes {
        running.extend(scope.running_workers());
    }
    if running.is_empty() {
        report.push_str(" (no supervised worker was running but its body)");
    } else {
        report.push_str("; supervised workers still running:");
        for worker in running {
            let thread = worker.thread.as_deref().unwrap_or("<unnamed>");
            let _ = write!(
                report,
                "\n    `{}` for {:.1?} (thread: {thread})",
                worker.name,
                worker.since.elapsed()
            );
        }
    }
    for failure in scopes.iter().filter_map(|scope| scope.first_failure()) {
        let _ = write!(
            report,
            "\na `fate::scope` in the test failed, and waits for its other threads to \
             finish: {failure}"
        );
    }
    report
}

/// Whether this test runs alone in its process: with one test thread, or under
/// cargo-nextest (a process per test), as the harness itself decides: the
/// `--test-threads` flag first (it overrides the environment), then
/// `RUST_TEST_THREADS`, then nextest's mode.
fn alone_in_process() -> bool {
    let mut args = std::env::args();
    let mut flag = None;
    while let Some(arg) = args.next() {
        if let Some(threads) = arg.strip_prefix("--test-threads=") {
            flag = Some(threads.to_owned());
        } else if arg == "--test-threads" {
            flag = args.next();
        }
    }
    if let Some(threads) = flag {
        return threads.trim() == "1";
    }
    if let Ok(threads) = std::env::var("RUST_TEST_THREADS") {
        return threads.trim() == "1";
    }
    std::env::var_os("NEXTEST_EXECUTION_MODE").is_some_and(|mode| mode == "process-per-test")
}
