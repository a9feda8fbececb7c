//! The root of `#[supervised] fn main`: runs the body on the main thread, and ends the
//! process once, from exactly one thread.
//!
//! Two threads can end the program: the main thread, when the body returns (it then
//! returns `main`'s value, or the report as `main`'s `Err`), and the watcher thread,
//! when a worker has failed and the body is still running after the grace period
//! (Rust cannot interrupt a running thread, so the watcher prints what returning the
//! report would print and exits with the same status). Both must first
//! [`claim`](crate::supervisor::Root::claim) the ending; the loser never ends anything
//! (a losing main thread parks until the winner's `exit` takes the process down).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use crate::registry::{self, Registration};
use crate::report::Error;
use crate::supervisor::{Root, RootKind, UNWIND_PATIENCE};
use crate::sync::Arc;
use crate::worker::{self, WorkerName};

/// The options of `#[supervised]` on `main`.
#[derive(Clone, Copy, Debug, Default)]
pub struct MainOptions {
    /// `grace = "..."`.
    pub grace: Duration,
    /// `wait`.
    pub wait: bool,
}

/// What `main` may return under `#[supervised]`.
#[diagnostic::on_unimplemented(
    message = "`#[fate::supervised] fn main` cannot return `{Self}`",
    label = "unsupported return type for a supervised `main`",
    note = "return `()`, `Result<T, E>` where `E: From<fate::Error> + Debug` (such as `fate::Error`, `Box<dyn Error>` or `anyhow::Error`), or `std::process::ExitCode`"
)]
pub trait MainOutput: Sized {
    /// What `main` returns for a failure (`()` prints it and exits).
    fn from_failure(error: Error) -> Self;
    /// What returning `from_failure(error)` from `main` prints.
    fn render_failure(error: Error) -> String;
    /// Whether the body succeeded (`wait` only waits after a success).
    fn is_success(&self) -> bool;
}

impl MainOutput for () {
    fn from_failure(error: Error) -> Self {
        end_process(Self::render_failure(error))
    }

    fn render_failure(error: Error) -> String {
        format!("Error: {error:?}")
    }

    fn is_success(&self) -> bool {
        true
    }
}

impl MainOutput for ExitCode {
    fn from_failure(error: Error) -> Self {
        let _ = writeln!(std::io::stderr(), "{}", Self::render_failure(error));
        ExitCode::FAILURE
    }

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
    fn from_failure(error: Error) -> Self {
        Err(E::from(error))
    }

    fn render_failure(error: Error) -> String {
        // Exactly what the standard library's `Termination` prints for `Err(e)`.
        format!("Error: {:?}", E::from(error))
    }

    fn is_success(&self) -> bool {
        self.is_ok()
    }
}

/// Runs `main`'s body under a new process root; see the module docs.
pub fn run_main<R: MainOutput, F: FnOnce() -> R>(options: MainOptions, body: F) -> R {
    crate::panic::install_hook();
    let root = Arc::new(Root::new(RootKind::Main, options.grace, options.wait));
    let registration = Registration::new(&root, true);
    let previous_root = registry::set_thread_root(Some(root.clone()));
    {
        let root = root.clone();
        let render: fn(Error) -> String = R::render_failure;
        std::thread::Builder::new()
            .name("fate-watcher".into())
            .spawn(move || watch(&root, render))
            .expect("fate: could not spawn the watcher thread of #[supervised] main");
    }
    let value = worker::run_body(WorkerName::Named("main"), body);
    root.body_finished();
    root.settle(value.as_ref().is_some_and(R::is_success));
    root.await_earlier_unwinds(UNWIND_PATIENCE);
    if !root.claim() {
        park_forever();
    }
    let error = root.seal();
    registry::set_thread_root(previous_root);
    if error.is_none() && value.is_some() {
        drop(registration);
    } else {
        // The process ends with this report, printed by Rust once `main` returns: the
        // root stays registered until then, so that a worker panicking meanwhile has
        // its message held back rather than printed above the report.
        std::mem::forget(registration);
    }
    match (error, value) {
        (Some(error), _) => R::from_failure(error),
        (None, Some(value)) => value,
        // Unreachable in practice: a body that panics is reported before it returns.
        (None, None) => R::from_failure(Error::new(
            crate::panic::Capture::from_payload(Some(&"the body of `main` panicked"))
                .into_failure("main".into()),
            Vec::new(),
            0,
        )),
    }
}

/// The watcher: once a worker fails, gives the body the grace period to finish, and
/// ends the process if it does not.
fn watch(root: &Root, render: fn(Error) -> String) {
    if !root.wait_for_failure() {
        return; // main ended without a failure
    }
    root.wait_out_grace();
    root.await_earlier_unwinds(UNWIND_PATIENCE);
    if root.body_is_done() || !root.claim() {
        return; // the main thread ends the program
    }
    if let Some(error) = root.seal() {
        end_process(render(error));
    }
}

/// Prints `text` on stderr and ends the process with status 1.
fn end_process(text: String) -> ! {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
    let _ = stderr.flush();
    drop(stderr);
    std::process::exit(1)
}

fn park_forever() -> ! {
    loop {
        std::thread::park();
    }
}
