//! `fate::scope`: `std::thread::scope` that fails fast.

use std::any::Any;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use crate::context::{self, FrameKind};
use crate::hook;
use crate::report::{Capture, Error, WorkerName};
use crate::root::{AfterBody, BodyEnd, Finish, Root, RootKind, UNWIND_PATIENCE};
use crate::sync::Arc;
use crate::worker;

/// Runs `f` with a scope in which threads may borrow from the caller, as
/// [`std::thread::scope`] does, and that fails fast: the first failure of a thread
/// it spawned cancels the scope, and `scope` returns that failure's report.
///
/// - Each thread spawned with [`Scope::spawn`] (or [`Scope::spawn_named`]) is a worker
///   of the scope: a panic escaping its closure is a failure, and so is a failure
///   escaping a supervised function called in it. The scope is a root of its own: its
///   failures are the scope's to return (nested in a supervised `main`, they are not
///   `main`'s; the caller decides).
/// - The first failure cancels the scope: [`fate::is_cancelled`](crate::is_cancelled)
///   turns true in its threads and in `f`, [`fate::wait_cancelled`](crate::wait_cancelled)
///   and [`fate::cancelled()`](crate::cancelled) wake, so the others can stop. A scope
///   made where another root is current (in a supervised `main`, a test, another
///   scope) is also cancelled when that root is, without a failure of its own.
/// - `scope` returns once **every** thread has joined, as `std::thread::scope` must:
///   the threads borrow from the caller's stack, so none may outlive the call. A
///   thread that ignores the cancellation and blocks forever keeps `scope` waiting;
///   check for cancellation where a thread could wait for a sibling that failed.
/// - It returns `Ok(f's value)`, or `Err` with the first failure's message, location
///   and thread, later failures counted: never the payload-less "a scoped thread
///   panicked". A panic in `f` itself is a failure of the worker named `scope`.
///
/// `f` gets the scope by value: [`Scope`] is `Copy`, so it can be moved into spawned
/// closures to spawn from there, as `&std::thread::Scope` can.
///
/// ```
/// use std::sync::mpsc::sync_channel;
///
/// let records = vec![1, 2, 3, 7, 4];
/// let result = fate::scope(|s| {
///     let (tx, rx) = sync_channel(1);
///     let records = &records; // borrowed from the caller
///     s.spawn_named("producer", move || {
///         for record in records {
///             // Stop once the consumer has failed, instead of blocking on a full
///             // channel forever.
///             if fate::is_cancelled() || tx.send(*record).is_err() {
///                 return;
///             }
///         }
///     });
///     s.spawn_named("consumer", move || {
///         for record in rx {
///             assert!(record != 7, "bad record {record}");
///         }
///     });
/// });
/// let error = result.unwrap_err();
/// assert_eq!(error.worker(), "consumer");
/// assert_eq!(error.message(), "bad record 7");
/// ```
pub fn scope<'env, F, T>(f: F) -> Result<T, Error>
where
    F: for<'scope> FnOnce(Scope<'scope, 'env>) -> T,
{
    hook::install();
    let parent = context::current_root();
    let mut root = Root::new(RootKind::Supervisor, Duration::ZERO, AfterBody::End);
    if parent
        .as_ref()
        .is_some_and(|parent| parent.tracks_workers())
    {
        // A test with a timeout names the workers still running, the scope's too.
        root = root.tracking();
    }
    let root = Arc::new(root);
    let _live = Live::register(&root);
    // Nested in another root, the scope is cancelled when that root is, and what
    // reaches it after it ended is that root's.
    if let Some(parent) = &parent {
        parent.adopt(&root);
        root.set_parent(parent);
    }
    let value = std::thread::scope(|inner| {
        let scope = Scope {
            inner,
            root: root.id(),
            env: PhantomData,
        };
        // The body runs here, with the scope as this thread's own root for the while.
        let own = context::set_own_root(&root);
        root.body_runs_here();
        let value =
            worker::run_boundary(WorkerName::Named("scope"), FrameKind::RootBody, || f(scope));
        context::restore_own_root(own);
        value
    });
    // Every thread has joined.
    root.body_finished();
    root.settle(match value {
        Ok(_) => BodyEnd::Succeeded,
        Err(_) => BodyEnd::Failed,
    });
    root.await_held(UNWIND_PATIENCE, &context::held_here());
    let outcome = match root.finish() {
        Finish::Won(Some(error)) => Err(error),
        Finish::Won(None) | Finish::Lost => match value {
            Ok(value) => Ok(value),
            // A panic of `f` that no frame could report (the thread-local was gone).
            Err(payload) => Err(panic_report(payload)),
        },
    };
    if let Some(parent) = &parent {
        parent.disown(&root);
    }
    root.end();
    outcome
}

fn panic_report(payload: Box<dyn Any + Send>) -> Error {
    let capture = Capture::from_payload(Some(&*payload));
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
    Error::new(
        capture.to_failure(WorkerName::Named("scope")),
        Vec::new(),
        0,
    )
}

/// A scope to spawn threads in, made by [`scope`]; see there.
///
/// `Copy`: move it into a spawned closure to spawn from that thread too.
#[derive(Clone, Copy)]
pub struct Scope<'scope, 'env> {
    inner: &'scope std::thread::Scope<'scope, 'env>,
    /// The id of the scope's root, found among the [`Live`] ones when spawning (a
    /// reference to it could not live as long as `'scope` may).
    root: u64,
    env: PhantomData<&'env ()>,
}

/// The roots of the scopes running in the process.
static LIVE: std::sync::Mutex<Vec<Arc<Root>>> = std::sync::Mutex::new(Vec::new());

/// Keeps a scope's root among the live ones until dropped.
struct Live(u64);

impl Live {
    fn register(root: &Arc<Root>) -> Live {
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(root.clone());
        Live(root.id())
    }

    fn find(id: u64) -> Option<Arc<Root>> {
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|root| root.id() == id)
            .cloned()
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|root| root.id() != self.0);
    }
}

impl std::fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Spawns a thread in the scope, as [`std::thread::Scope::spawn`] does; it is a
    /// worker of the scope, named after the place of the call
    /// (``scope thread at src/main.rs:12:5``).
    ///
    /// # Panics
    ///
    /// Like `std::thread::Scope::spawn`, if the operating system cannot create a thread.
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        self.spawn_as(WorkerName::ScopeThread(panic::Location::caller()), None, f)
    }

    /// [`spawn`](Self::spawn), with the thread and the worker named `name` (in
    /// reports, and in Rust's own messages).
    ///
    /// # Panics
    ///
    /// If the operating system cannot create a thread.
    pub fn spawn_named<F, T>(self, name: &'static str, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        self.spawn_as(WorkerName::Named(name), Some(name), f)
    }

    fn spawn_as<F, T>(
        self,
        name: WorkerName,
        thread_name: Option<&'static str>,
        f: F,
    ) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        // Live for as long as the scope runs, and `self` cannot outlive it.
        let root = Live::find(self.root);
        let run = move || {
            // Never given back: the thread ends with the closure.
            let _own = root.as_ref().map(context::set_own_root);
            drop(root);
            // The panic is reported here and its payload kept for `join`: the standard
            // library's scope never sees it (and so never panics with "a scoped thread
            // panicked").
            worker::run_boundary(name, FrameKind::Spawned, f)
        };
        let mut builder = std::thread::Builder::new();
        if let Some(thread_name) = thread_name {
            builder = builder.name(thread_name.to_owned());
        }
        let inner = builder
            .spawn_scoped(self.inner, run)
            .expect("fate: could not spawn a scoped thread");
        ScopedJoinHandle { inner }
    }
}

/// A handle to a thread spawned in a [`Scope`], as [`std::thread::ScopedJoinHandle`].
pub struct ScopedJoinHandle<'scope, T> {
    inner: std::thread::ScopedJoinHandle<'scope, Result<T, Box<dyn Any + Send + 'static>>>,
}

impl<T> std::fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedJoinHandle").finish_non_exhaustive()
    }
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the thread to finish: its value, or the payload of its panic (which
    /// was reported to the scope as a failure already).
    pub fn join(self) -> std::thread::Result<T> {
        match self.inner.join() {
            Ok(outcome) => outcome,
            Err(payload) => Err(payload),
        }
    }

    /// The thread.
    pub fn thread(&self) -> &std::thread::Thread {
        self.inner.thread()
    }

    /// Whether the thread has finished running its closure.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}
