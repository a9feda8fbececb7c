//! The root of `#[supervised] fn main`: runs the body on the main thread, and ends the
//! process once, from exactly one thread.
//!
//! The outcome is decided by exactly one [`Root::finish`], whichever thread gets there
//! first: the main thread, when the body returns; the thread that records the first
//! failure, when there is no grace period (see [`ending`]); or the watcher thread,
//! when a worker failed and the body is still running after the grace period (Rust
//! cannot interrupt a running thread). For a failure, the winner prints what `main`
//! returning the report would print and ends the process with the report's status
//! ([`Error::exit_code`]); a main thread that lost parks until the winner's exit takes
//! the process down.

use std::any::Any;
use std::future::{poll_fn, Future};
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::process::ExitCode;
use std::time::Duration;

use crate::context::{self, FrameKind, Leaving};
use crate::ending;
use crate::hook;
use crate::report::{Capture, Error, WorkerName};
use crate::root::{AfterBody, BodyEnd, MainBody, Root, RootKind, UNWIND_PATIENCE};
use crate::sync::Arc;
use crate::systemd::{self, Readiness};
use crate::worker::{self, Criticality, Unwinds};

/// The options of `#[supervised]` on `main`.
#[derive(Clone, Copy, Debug, Default)]
pub struct MainOptions {
    /// `grace = "..."`.
    pub grace: Duration,
    /// `wait`.
    pub wait: bool,
    /// `all_panics`.
    pub all_panics: bool,
    /// How the body is framed.
    pub body: MainBody,
    /// `signals`: SIGINT and SIGTERM stop the root gracefully (feature `signals`).
    pub signals: bool,
    /// `systemd = "manual"`: when `READY=1` is sent (feature `systemd`).
    pub readiness: Readiness,
}

/// What `main` may return under `#[supervised]`.
#[diagnostic::on_unimplemented(
    message = "`#[fate::supervised] fn main` cannot return `{Self}`",
    label = "unsupported return type for a supervised `main`",
    note = "return `()`, `Result<T, E>` where `E: From<fate::Error> + Debug` (such as `fate::Error`, `Box<dyn Error>`, `anyhow::Error`, `std::io::Error` or `String`), or `std::process::ExitCode`"
)]
pub trait MainOutput: Sized {
    /// What returning `Err(error)` from `main` would print (for `()` and `ExitCode`,
    /// as if `main` returned `Result<(), fate::Error>`).
    fn render_failure(error: Error) -> String;
    /// Whether the body succeeded (`wait` only waits after a success).
    fn is_success(&self) -> bool;
}

impl MainOutput for () {
    fn render_failure(error: Error) -> String {
        format!("Error: {error:?}")
    }

    fn is_success(&self) -> bool {
        true
    }
}

impl MainOutput for ExitCode {
    fn render_failure(error: Error) -> String {
        format!("Error: {error:?}")
    }

    fn is_success(&self) -> bool {
        *self == ExitCode::SUCCESS
    }
}

impl<T, E> MainOutput for Result<T, E>
where
    E: From<Error> + std::fmt::Debug,
{
    fn render_failure(error: Error) -> String {
        // `anyhow` and `eyre` print a backtrace of their own, taken where the report
        // was converted, and no more than `Display` and the chain of what they wrap:
        // fate prints its own report instead, with the panic's backtrace, its thread
        // and the later failures.
        let name = std::any::type_name::<E>();
        if name == "anyhow::Error" || name == "eyre::Report" {
            return format!("Error: {error:?}");
        }
        // Exactly what the standard library's `Termination` prints for `Err(e)`.
        format!("Error: {:?}", E::from(error))
    }

    fn is_success(&self) -> bool {
        self.is_ok()
    }
}

/// Runs `main`'s body under a new process root; see the module docs.
pub fn run_main<R: MainOutput>(options: MainOptions, body: impl FnOnce() -> R) -> R {
    hook::install();
    let after_body = if options.wait {
        AfterBody::WaitForWorkers
    } else {
        AfterBody::End
    };
    let kind = RootKind::Main {
        render: R::render_failure,
    };
    let root =
        Arc::new(Root::new(kind, options.grace, after_body).with_all_panics(options.all_panics));
    let process_root = context::install_process_root(&root);
    let catch_all = options
        .all_panics
        .then(|| context::install_catch_all(&root));
    let own = context::set_own_root(&root);
    #[cfg(all(feature = "signals", unix))]
    let _signals = options
        .signals
        .then(|| crate::signals::listen(&root))
        .flatten();
    root.body_runs_here();
    systemd::start(options.readiness);
    {
        let root = root.clone();
        // Without a watcher (the system refused a thread), the program ends when the
        // body returns.
        let _ = std::thread::Builder::new()
            .name("fate-watcher".into())
            .spawn(move || watch(&root));
    }
    let value = match options.body {
        MainBody::Whole => {
            worker::run_boundary(WorkerName::Named("main"), FrameKind::RootBody, body)
        }
        MainBody::Polls => panic::catch_unwind(AssertUnwindSafe(body)).inspect_err(|payload| {
            // A panic outside the body's polls (the executor's own) is still main's.
            worker::report_uncovered(&root, WorkerName::Named("main"), &**payload);
        }),
    };
    let body_end = match &value {
        Ok(value) if value.is_success() => BodyEnd::Succeeded,
        Ok(_) => {
            root.body_returned_failure();
            BodyEnd::Failed
        }
        Err(_) => BodyEnd::Failed,
    };
    root.body_finished();
    root.settle(body_end);
    root.await_held(UNWIND_PATIENCE, &context::held_here());
    if ending::finish_main(&root).is_none() {
        ending::park_forever();
    }
    ending::before_exit(&root);
    systemd::stopping(if value.as_ref().is_ok_and(MainOutput::is_success) {
        "ended well"
    } else {
        "main returned an error"
    });
    context::restore_own_root(own);
    drop(catch_all);
    drop(process_root);
    root.end();
    match value {
        Ok(value) => value,
        // Unreachable in practice: a body that panics is reported first.
        Err(payload) => ending::end_with(&root, body_panic(payload)),
    }
}

fn body_panic(payload: Box<dyn Any + Send>) -> Error {
    let capture = Capture::from_payload(Some(&*payload));
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
    Error::new(capture.to_failure(WorkerName::Named("main")), Vec::new(), 0)
}

/// The watcher: once the root is cancelled (a failure, or `fate::cancel()` from another
/// thread than the body's), gives the body the grace period to finish, and ends the
/// process if it does not: with the failure's report, or, cancelled without a failure,
/// with the report that the body was cut off (status 4).
fn watch(root: &Root) {
    if !root.wait_for_cancellation() {
        return; // main ended without either
    }
    systemd::stopping(&root.stop_summary());
    root.wait_out_grace();
    if root.body_is_done() {
        return; // the main thread decides
    }
    // Cancelled by the body itself: it is on its way out, unless a worker fails.
    if !root.ends_without_body() && !root.wait_for_failure() {
        return;
    }
    root.await_held(UNWIND_PATIENCE, &[]);
    if ending::finish_main(root).is_some() {
        ending::end_cut_off(root);
    }
}

/// The async body of `main`, as an executor's attribute made it: each poll is a frame
/// of `main` (see [`MainBody::Polls`]).
pub async fn main_body_future<F: Future>(body: F) -> F::Output {
    let mut body = pin!(body);
    poll_fn(|cx| {
        let Some(entered) = context::enter(WorkerName::Named("main"), FrameKind::RootBody) else {
            return body.as_mut().poll(cx);
        };
        match panic::catch_unwind(AssertUnwindSafe(|| body.as_mut().poll(cx))) {
            Ok(poll) => {
                context::leave(entered, Leaving::Normally);
                poll
            }
            Err(payload) => {
                worker::escaped(
                    &entered,
                    Criticality::Critical,
                    Some(&*payload),
                    Unwinds::On,
                );
                context::leave(entered, Leaving::Unwinding);
                panic::resume_unwind(payload)
            }
        }
    })
    .await
}
