//! `fate::Supervisor`: a root as a value.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::Duration;

use crate::context::{self, FrameKind};
use crate::hook;
use crate::report::{Capture, Error, WorkerName};
use crate::root::{AfterBody, BodyEnd, Finish, Root, RootKind, UNWIND_PATIENCE};
use crate::sync::Arc;
use crate::worker;

/// A root as a value: runs a body and returns as soon as it finishes or a supervised
/// worker it covers fails.
///
/// For tests, benches, libraries, and programs that prefer no macro. The body runs on
/// a thread of its own (so it must be `Send + 'static`). The root covers that thread,
/// the threads started from it with [`fate::spawn`](crate::spawn), and the supervised
/// futures made on them; it never receives failures from threads it does not cover,
/// so supervisors that run side by side (parallel tests) never see each other's.
///
/// ```
/// use std::time::Duration;
///
/// #[fate::supervised]
/// fn parse(line: &str) -> Result<u32, std::num::ParseIntError> {
///     line.trim().parse()
/// }
///
/// let result = fate::Supervisor::new()
///     .grace(Duration::from_millis(100))
///     .run(|| {
///         let worker = fate::spawn(|| parse("x7"));
///         let _ = worker.join();
///         loop {
///             std::thread::park(); // blocked forever: run() returns anyway
///         }
///     });
/// let error = result.unwrap_err();
/// assert_eq!(error.worker(), "parse");
/// assert_eq!(error.message(), "invalid digit found in string");
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a Supervisor does nothing until `run` is called"]
pub struct Supervisor {
    grace: Duration,
    wait: bool,
    all_panics: bool,
    #[cfg(all(feature = "signals", unix))]
    signals: bool,
}

impl Supervisor {
    /// A supervisor with no grace period that does not wait for workers.
    pub fn new() -> Self {
        Self::default()
    }

    /// On a failure, cancel, then wait until the body and every running supervised
    /// worker have finished, or until `grace` is over, before returning. Default: zero.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// After the body finishes successfully, also wait for the supervised workers that
    /// are running to finish (a failure still returns early). Default: `false`.
    pub fn wait(mut self, wait: bool) -> Self {
        self.wait = wait;
        self
    }

    /// Makes every panic of the process a failure of this root while it runs, as
    /// `#[supervised(all_panics)]` does for `main`: a panic outside any supervised
    /// function on any thread (a plain `tokio::spawn` task, a thread nobody annotated),
    /// and a panic caught inside one of its supervised functions, even one a library
    /// catches on purpose. Meant for a process that is this root's alone: two roots
    /// with it at once (parallel tests) would take each other's panics. Default:
    /// `false`.
    pub fn all_panics(mut self, all_panics: bool) -> Self {
        self.all_panics = all_panics;
        self
    }

    /// SIGINT and SIGTERM stop this root gracefully while it runs, as
    /// `#[supervised(signals)]` does for `main` (feature `signals`, unix): the first
    /// cancels it, and after the grace period (or once everything finished) `run`
    /// returns the report "interrupted by SIGTERM" ([`FailureKind::Interrupted`],
    /// [`Error::exit_code`] `128 + n`) unless a worker failed meanwhile; a second
    /// signal ends the process at once. Once `run` has returned, a signal has its
    /// default effect again (it ends the process), unless another root of fate's
    /// listens: signal-hook never gives a signal back to the system, so fate does what
    /// the system would. A program with a handler of its own for these signals
    /// (`tokio::signal`) that outlives the `Supervisor` would see the process end on
    /// the next one; give such a program `signals` on `main` instead. Default: `false`.
    ///
    /// [`FailureKind::Interrupted`]: crate::FailureKind::Interrupted
    #[cfg(all(feature = "signals", unix))]
    pub fn signals(mut self, signals: bool) -> Self {
        self.signals = signals;
        self
    }

    /// Runs `body` on a new thread and returns its value, or the report of the first
    /// worker failure, whichever comes first. A panic in the body itself is a failure
    /// of the worker named `body`.
    ///
    /// A body that is still running when `run` returns is left behind: it is never
    /// joined, and [`fate::is_cancelled`](crate::is_cancelled) tells it to stop.
    pub fn run<T, F>(self, body: F) -> Result<T, Error>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        hook::install();
        let after_body = if self.wait {
            AfterBody::WaitForWorkers
        } else {
            AfterBody::End
        };
        let root = Arc::new(
            Root::new(RootKind::Supervisor, self.grace, after_body)
                .with_all_panics(self.all_panics),
        );
        let _end = EndOnDrop(root.clone());
        #[cfg(all(feature = "signals", unix))]
        let _signals = self
            .signals
            .then(|| crate::signals::listen(&root))
            .flatten();
        let _catch_all = self.all_panics.then(|| context::install_catch_all(&root));
        let outcome: Arc<Mutex<Option<Result<T, Capture>>>> = Arc::default();
        {
            let (root, outcome) = (root.clone(), outcome.clone());
            std::thread::Builder::new()
                .spawn(move || {
                    // Never given back: a body left running keeps seeing its root.
                    let _own = context::set_own_root(&root);
                    root.body_runs_here();
                    let value =
                        worker::run_boundary(WorkerName::Named("body"), FrameKind::RootBody, body)
                            .map_err(|payload| {
                                let capture = Capture::from_payload(Some(&*payload));
                                // Dropping a payload can itself panic; it was reported.
                                let _ =
                                    panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
                                capture
                            });
                    *outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
                    root.body_finished();
                })
                .expect("fate: could not spawn the thread for Supervisor::run's body");
        }
        root.wait_for_failure_or_body();
        let body_end = match &*outcome.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(Ok(_)) => BodyEnd::Succeeded,
            _ => BodyEnd::Failed,
        };
        root.settle(body_end);
        root.await_held(UNWIND_PATIENCE, &[]);
        let error = match root.finish() {
            Finish::Won(error) => error,
            // Only `run` decides a supervisor's outcome.
            Finish::Lost => None,
        };
        if let Some(error) = error {
            return Err(error);
        }
        let outcome = outcome.lock().unwrap_or_else(|e| e.into_inner()).take();
        match outcome {
            Some(Ok(value)) => Ok(value),
            // `fate::cancel()`, and the body did not return within the grace period.
            None if root.is_cancelled() => Err(root.cut_off()),
            // A body that panicked was reported as a failure; this is the payload alone.
            Some(Err(capture)) => Err(Error::new(
                capture.to_failure(WorkerName::Named("body")),
                Vec::new(),
                0,
            )),
            None => unreachable!("fate: the body finished without an outcome"),
        }
    }
}

/// Ends a root when dropped.
struct EndOnDrop(Arc<Root>);

impl Drop for EndOnDrop {
    fn drop(&mut self) {
        self.0.end();
    }
}
