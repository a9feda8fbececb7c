//! `#[fate::supervised] async fn` workers and `fate::cancelled()`, in process, under
//! `fate::Supervisor` roots: the future reports to the root that was current where it
//! was made, wherever it is polled (tokio's worker threads, plain threads, a
//! hand-written `block_on`); a future dropped mid-way is not a failure, a panic in its
//! `Drop` is; and the shapes an `async fn` can take (methods, generics, borrowed
//! arguments and results, `impl Iterator`, `?` into `Box<dyn Error>`) keep working.
//!
//! Every test is bounded in time (`common::bounded`). Tests run in parallel in this
//! process: each takes `common::shared()`, except those that need to know which root
//! is the process root, which take `common::exclusive()` (see `with_decoy_root`).

mod common;

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt::{self, Display};
use std::future::Future;
use std::num::ParseIntError;
use std::pin::{pin, Pin};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use common::{bounded, exclusive, recv, shared, LIMIT};
use fate::{FailureKind, Supervisor};

// ---------------------------------------------------------------------------------
// A tiny executor, a manual poll, and runtimes.

/// Wakes the thread that polls.
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread until it completes, parking in between (at most
/// [`LIMIT`] in all: a future that never completes fails the test).
fn block_on<F: Future>(future: F) -> F::Output {
    let deadline = Instant::now() + LIMIT;
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        let now = Instant::now();
        assert!(now < deadline, "block_on: no output within {LIMIT:?}");
        thread::park_timeout(deadline - now);
    }
}

/// Polls `future` once, with a waker that does nothing.
fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// Pending once (after asking to be polled again), then ready: what follows runs in a
/// later poll.
struct YieldNow(bool);

fn yield_now() -> YieldNow {
    YieldNow(false)
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A multi-thread tokio runtime whose worker threads are named `name`.
fn multi_thread(name: &str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("build a tokio runtime")
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime")
}

/// Runs `f` while a second root, which does nothing, is the process root: a plain
/// thread (a tokio worker, a `std::thread`) reports there unless the failure is
/// carried to the right root, so `f`'s root sees a failure only if fate carried it.
/// Asserts that the decoy saw no failure.
fn with_decoy_root<T>(f: impl FnOnce() -> T) -> T {
    let _guard = exclusive();
    let (started_tx, started_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let decoy = thread::spawn(move || {
        bounded(move || {
            Supervisor::new().run(move || {
                started_tx.send(()).expect("the test listens");
                recv(&stop_rx);
            })
        })
    });
    recv(&started_rx);
    let value = f();
    stop_tx.send(()).expect("the decoy's body listens");
    decoy
        .join()
        .expect("the decoy's thread")
        .expect("the failure reached the decoy (the process root), not its own root");
    value
}

/// The `Display` of an error and of each of its sources.
fn chain(error: &(dyn StdError + 'static)) -> Vec<String> {
    let mut chain = Vec::new();
    let mut next = Some(error);
    while let Some(cause) = next {
        chain.push(cause.to_string());
        next = cause.source();
    }
    chain
}

/// The text of a panic payload.
fn payload_text(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

#[track_caller]
fn assert_located_here(error: &fate::Error) {
    let location = error.location().expect("a panic has a location");
    assert!(
        location.file().ends_with("async_workers.rs"),
        "location: {location}"
    );
}

// ---------------------------------------------------------------------------------
// Workers used below.

/// Panics in its second poll.
#[fate::supervised]
async fn explode_later(message: &'static str) -> u32 {
    yield_now().await;
    panic!("{}", message);
}

#[fate::supervised]
async fn add(a: u32, b: u32) -> u32 {
    yield_now().await;
    a + b
}

/// Never completes.
#[fate::supervised]
async fn stuck() -> Result<(), String> {
    std::future::pending::<()>().await;
    Ok(())
}

/// An error with a two-level `source()` chain.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ConfigError {
    middle: ReadError,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ReadError;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Denied;

impl Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not load config")
    }
}

impl Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not read config.toml")
    }
}

impl Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("permission denied")
    }
}

impl StdError for ConfigError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.middle)
    }
}

impl StdError for ReadError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&Denied)
    }
}

impl StdError for Denied {}

/// Returns `Err` in its second poll when `fail`.
#[fate::supervised]
async fn load_config(fail: bool) -> Result<u32, ConfigError> {
    yield_now().await;
    if fail {
        Err(ConfigError { middle: ReadError })
    } else {
        Ok(1)
    }
}

#[fate::supervised]
fn check_positive(value: i64) -> i64 {
    assert!(value > 0, "{value} is not positive");
    value
}

/// Calls a sync worker in its second poll.
#[fate::supervised]
async fn check_in_task(value: i64) -> i64 {
    yield_now().await;
    check_positive(value)
}

/// Spawns a supervised task from inside its own poll, and awaits it.
#[fate::supervised]
async fn dispatch(message: &'static str) -> bool {
    tokio::task::yield_now().await;
    let joined = tokio::spawn(explode_later(message)).await;
    joined.is_err()
}

/// Panics when dropped.
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// Holds `guard` and never completes: dropping the future drops the guard.
#[fate::supervised]
async fn holds_guard(guard: PanicOnDrop, polled: Option<tokio::sync::oneshot::Sender<()>>) {
    if let Some(polled) = polled {
        let _ = polled.send(());
    }
    std::future::pending::<()>().await;
    drop(guard);
}

// ---------------------------------------------------------------------------------
// The future reports to the root current where it was made, wherever it is polled.

#[test]
fn a_task_panic_on_a_multi_thread_runtime_built_in_the_body_reports_to_that_supervisor() {
    let (tx, rx) = mpsc::channel();
    let result = with_decoy_root(|| {
        bounded(move || {
            Supervisor::new().run(move || {
                let runtime = multi_thread("async-pool");
                runtime.block_on(async {
                    let joined = tokio::spawn(explode_later("task blew up")).await;
                    let error = joined.expect_err("the task panicked");
                    assert!(error.is_panic());
                    tx.send(payload_text(&*error.into_panic()))
                        .expect("the test listens");
                });
            })
        })
    });
    assert_eq!(
        recv(&rx).as_deref(),
        Some("task blew up"),
        "the JoinHandle sees the panic with its payload"
    );
    let error = result.expect_err("the task panicked");
    assert_eq!(error.worker(), "explode_later");
    assert_eq!(error.kind(), FailureKind::Panic);
    assert_eq!(error.message(), "task blew up");
    assert_eq!(error.thread(), Some("async-pool"));
    assert_eq!(error.others(), 0);
    assert_located_here(&error);
}

#[test]
fn a_task_spawned_from_a_supervised_task_on_a_worker_thread_reports_to_the_same_root() {
    let result = with_decoy_root(|| {
        bounded(|| {
            Supervisor::new().run(|| {
                let runtime = multi_thread("async-pool");
                runtime.block_on(async {
                    tokio::spawn(dispatch("nested task blew up"))
                        .await
                        .expect("dispatch never panics")
                })
            })
        })
    });
    let error = result.expect_err("the nested task panicked");
    assert_eq!(error.worker(), "explode_later");
    assert_eq!(error.message(), "nested task blew up");
}

#[test]
fn a_sync_worker_called_while_a_supervised_future_polls_reports_to_its_root() {
    let result = with_decoy_root(|| {
        bounded(|| {
            Supervisor::new().run(|| {
                let runtime = multi_thread("async-pool");
                runtime.block_on(async { tokio::spawn(check_in_task(-3)).await.is_err() })
            })
        })
    });
    let error = result.expect_err("check_positive panicked");
    assert_eq!(error.worker(), "check_positive");
    assert_eq!(error.message(), "-3 is not positive");
    assert_eq!(error.thread(), Some("async-pool"));
}

/// Starts a thread with `fate::spawn` from inside its poll.
#[fate::supervised]
async fn spawn_from_task(value: i64) -> bool {
    tokio::task::yield_now().await;
    fate::spawn(move || check_positive(value)).join().is_err()
}

#[test]
fn fate_spawn_inside_a_supervised_future_on_a_worker_thread_carries_its_root() {
    let result = with_decoy_root(|| {
        bounded(|| {
            Supervisor::new().run(|| {
                multi_thread("async-pool").block_on(async {
                    tokio::spawn(spawn_from_task(-7))
                        .await
                        .expect("spawn_from_task never panics")
                })
            })
        })
    });
    let error = result.expect_err("check_positive panicked");
    assert_eq!(error.worker(), "check_positive");
    assert_eq!(error.message(), "-7 is not positive");
}

/// Not `Send`: holds an `Rc` across an `.await`.
#[fate::supervised]
async fn local_only(value: std::rc::Rc<u32>) -> u32 {
    tokio::task::yield_now().await;
    assert!(*value < 10, "{value} is too large for a local task");
    *value
}

#[test]
fn a_non_send_future_on_a_local_set_is_supervised_too() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let local = tokio::task::LocalSet::new();
            let joined = local.block_on(&current_thread(), async {
                let ok = tokio::task::spawn_local(local_only(std::rc::Rc::new(3))).await;
                let failed = tokio::task::spawn_local(local_only(std::rc::Rc::new(12))).await;
                (ok.ok(), failed.is_err())
            });
            tx.send(joined).expect("the test listens");
        })
    });
    assert_eq!(recv(&rx), (Some(3), true));
    let error = result.expect_err("local_only panicked");
    assert_eq!(error.worker(), "local_only");
    assert_eq!(error.message(), "12 is too large for a local task");
}

#[test]
fn a_future_made_in_the_body_and_polled_on_a_plain_thread_reports_to_that_supervisor() {
    let (tx, rx) = mpsc::channel();
    let result = with_decoy_root(|| {
        bounded(move || {
            Supervisor::new().run(move || {
                let future = load_config(true);
                let returned = thread::Builder::new()
                    .name("plain-poller".into())
                    .spawn(move || block_on(future))
                    .expect("spawn the poller")
                    .join()
                    .expect("load_config never panics");
                tx.send(returned).expect("the test listens");
            })
        })
    });
    assert_eq!(
        recv(&rx),
        Err(ConfigError { middle: ReadError }),
        "the caller receives the Err unchanged"
    );
    let error = result.expect_err("load_config returned Err");
    assert_eq!(error.worker(), "load_config");
    assert_eq!(error.kind(), FailureKind::Error);
    assert_eq!(error.thread(), Some("plain-poller"));
}

#[test]
fn a_panic_in_a_future_polled_by_a_hand_written_executor_reaches_it_unchanged() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let future = explode_later("polled by hand");
            let joined = thread::spawn(move || block_on(future)).join();
            let payload = joined.expect_err("the poll panicked");
            tx.send(payload_text(&*payload)).expect("the test listens");
        })
    });
    assert_eq!(recv(&rx).as_deref(), Some("polled by hand"));
    let error = result.expect_err("explode_later panicked");
    assert_eq!(error.worker(), "explode_later");
    assert_eq!(error.message(), "polled by hand");
    assert_located_here(&error);
}

#[test]
fn two_roots_side_by_side_each_see_only_their_own_async_failures() {
    let _guard = shared();
    let run_one = |message: &'static str| {
        thread::spawn(move || {
            bounded(move || {
                Supervisor::new().run(move || {
                    multi_thread("async-pool").block_on(async move {
                        let _ = tokio::spawn(explode_later(message)).await;
                    });
                })
            })
        })
    };
    let a = run_one("failure of root a");
    let b = run_one("failure of root b");
    let a = a.join().expect("root a's thread").expect_err("a failed");
    let b = b.join().expect("root b's thread").expect_err("b failed");
    assert_eq!((a.message(), a.others()), ("failure of root a", 0));
    assert_eq!((b.message(), b.others()), ("failure of root b", 0));
}

/// Awaits a worker that panics.
#[fate::supervised]
async fn awaits_explode(message: &'static str) -> u32 {
    explode_later(message).await + 1
}

#[test]
fn a_panic_through_nested_supervised_calls_is_reported_once_as_the_innermost_worker() {
    let _guard = shared();
    // With a grace period `run` waits for the body, so a second report of the same
    // panic (by an outer worker it unwinds through) would be counted in `others()`.
    let result = bounded(|| {
        Supervisor::new().grace(Duration::from_secs(10)).run(|| {
            let nested_async = thread::spawn({
                let future = awaits_explode("inner async worker");
                move || block_on(future)
            })
            .join();
            let sync_in_async = thread::spawn({
                let future = check_in_task(-1);
                move || block_on(future)
            })
            .join();
            (nested_async.is_err(), sync_in_async.is_err())
        })
    });
    let error = result.expect_err("both panicked");
    assert_eq!(error.worker(), "explode_later");
    assert_eq!(error.message(), "inner async worker");
    assert_eq!(
        error.others(),
        1,
        "one more failure (check_positive), not three: {error:?}"
    );
    // The report's lines that name a failure (not the backtraces' frames).
    let debug = format!("{error:?}");
    let failures: Vec<&str> = debug
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("worker `"))
        .collect();
    assert_eq!(failures.len(), 2, "{debug}");
    assert!(
        failures[0].starts_with("worker `explode_later` "),
        "{debug}"
    );
    assert!(
        failures[1].starts_with("worker `check_positive` "),
        "{debug}"
    );
}

/// A local whose `Drop` panics when the body completes: that is a panic in the last
/// poll.
#[fate::supervised]
async fn drops_a_guard_at_the_end() -> u32 {
    let _guard = PanicOnDrop("guard dropped at the end");
    yield_now().await;
    5
}

#[test]
fn a_panic_in_the_drop_of_a_local_at_completion_is_a_panic_of_the_worker() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let future = drops_a_guard_at_the_end();
            let joined = thread::spawn(move || block_on(future)).join();
            tx.send(joined.map_err(|payload| payload_text(&*payload)))
                .expect("the test listens");
        })
    });
    assert_eq!(
        recv(&rx),
        Err(Some("guard dropped at the end".to_owned())),
        "the poller sees the panic"
    );
    let error = result.expect_err("the guard panicked");
    assert_eq!(error.worker(), "drops_a_guard_at_the_end");
    assert_eq!(error.message(), "guard dropped at the end");
}

// ---------------------------------------------------------------------------------
// Arguments belong to the future.

/// Records when it is dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// An argument the body never uses: an `async fn` still moves it into its future
/// (a guard, a semaphore permit, a connection held for the task's length).
#[fate::supervised]
async fn holds_unnamed(_guard: DropFlag) {
    yield_now().await;
}

#[fate::supervised]
async fn holds_wildcard(_: DropFlag) {
    yield_now().await;
}

#[fate::supervised]
async fn holds_in_pattern((_first, _second): (DropFlag, DropFlag)) {
    yield_now().await;
}

impl DropFlag {
    #[fate::supervised]
    async fn consume(self) {
        yield_now().await;
    }
}

/// As in any `async fn`, every argument is moved into the future, used or not: it is
/// dropped when the future completes or is dropped, never when the function is called.
#[test]
fn arguments_live_as_long_as_the_future_as_in_an_async_fn() {
    let _guard = shared();
    type Call = fn(DropFlag, DropFlag) -> Pin<Box<dyn Future<Output = ()> + Send>>;
    // The cases that take one flag keep the other in the outer future, so that only
    // the worker's argument can be dropped early.
    fn keeping(
        future: impl Future<Output = ()> + Send + 'static,
        other: DropFlag,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            future.await;
            drop(other);
        })
    }
    let calls: [(&str, Call); 4] = [
        ("an unused argument `_guard`", |a, b| {
            keeping(holds_unnamed(a), b)
        }),
        ("a `_` argument", |a, b| keeping(holds_wildcard(a), b)),
        ("a tuple pattern", |a, b| Box::pin(holds_in_pattern((a, b)))),
        ("`self`", |a, b| keeping(a.consume(), b)),
    ];
    let mut dropped_at_call = Vec::new();
    for (what, call) in calls {
        let result = bounded(move || {
            Supervisor::new().run(move || {
                let flags = [
                    Arc::new(AtomicBool::new(false)),
                    Arc::new(AtomicBool::new(false)),
                ];
                let dropped = || flags.iter().any(|flag| flag.load(Ordering::SeqCst));
                let future = call(DropFlag(flags[0].clone()), DropFlag(flags[1].clone()));
                let at_call = dropped();
                block_on(future);
                (at_call, dropped())
            })
        });
        let (at_call, at_completion) = result.expect("nothing failed");
        if at_call {
            dropped_at_call.push(what);
        }
        assert!(at_completion, "{what} was not dropped at completion");
    }
    assert!(
        dropped_at_call.is_empty(),
        "dropped when the supervised async fn was called, before its future ran (an \
         `async fn` keeps every argument until its future completes or is dropped): {}",
        dropped_at_call.join(", ")
    );
}

// ---------------------------------------------------------------------------------
// `Err` output.

#[test]
fn an_err_output_reaches_the_caller_unchanged_and_is_reported_with_its_chain() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let ok = block_on(load_config(false));
            let err = current_thread().block_on(load_config(true));
            tx.send((ok, err)).expect("the test listens");
        })
    });
    let (ok, err) = recv(&rx);
    assert_eq!(ok, Ok(1));
    assert_eq!(err, Err(ConfigError { middle: ReadError }));
    let error = result.expect_err("load_config returned Err");
    assert_eq!(error.worker(), "load_config");
    assert_eq!(error.kind(), FailureKind::Error);
    assert_eq!(error.message(), "could not load config");
    assert_eq!(error.location(), None);
    assert_eq!(
        error.to_string(),
        "worker `load_config` failed: could not load config"
    );
    assert_eq!(
        chain(&error),
        [
            "worker `load_config` failed: could not load config",
            "could not read config.toml",
            "permission denied"
        ]
    );
}

#[test]
fn an_err_output_of_a_detached_task_reaches_its_join_handle_unchanged() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let joined = multi_thread("async-pool")
                .block_on(async { tokio::spawn(load_config(true)).await })
                .expect("load_config never panics");
            tx.send(joined).expect("the test listens");
        })
    });
    assert_eq!(recv(&rx), Err(ConfigError { middle: ReadError }));
    assert_eq!(result.expect_err("Err").worker(), "load_config");
}

// ---------------------------------------------------------------------------------
// Dropped before completion: not a failure; a panic in the drop is one.

#[test]
fn a_future_dropped_before_it_completes_is_not_a_failure() {
    let _guard = shared();
    // `wait(true)`: `run` also waits for the running workers, so it would hang if a
    // dropped future still counted as one.
    let result = bounded(|| {
        Supervisor::new().wait(true).run(|| {
            // Polled once, then dropped.
            {
                let mut future = pin!(stuck());
                assert!(poll_once(future.as_mut()).is_pending());
            }
            // Never polled.
            drop(stuck());
            let runtime = current_thread();
            runtime.block_on(async {
                // Timed out.
                let timed_out = tokio::time::timeout(Duration::from_millis(5), stuck()).await;
                assert!(timed_out.is_err());
                // The losing branch of a `select!`.
                tokio::select! {
                    _ = stuck() => unreachable!("stuck never completes"),
                    () = tokio::time::sleep(Duration::from_millis(5)) => {}
                }
                // An aborted task.
                let task = tokio::spawn(stuck());
                tokio::task::yield_now().await;
                task.abort();
                assert!(task.await.expect_err("aborted").is_cancelled());
                // A task dropped when the runtime shuts down (below).
                tokio::spawn(stuck());
                tokio::task::yield_now().await;
            });
            drop(runtime);
            assert!(!fate::is_cancelled());
            7
        })
    });
    assert_eq!(result.expect("nothing failed"), 7);
}

#[test]
fn a_panic_in_the_drop_of_a_dropped_future_is_reported_and_not_unwound_into_the_caller() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(move || {
                let mut future = Box::pin(holds_guard(PanicOnDrop("guard dropped mid-way"), None));
                assert!(poll_once(future.as_mut()).is_pending());
                drop(future); // panics inside, and returns normally
                tx.send("the caller went on").expect("the test listens");
            })
    });
    assert_eq!(recv(&rx), "the caller went on");
    let error = result.expect_err("the drop panicked");
    assert_eq!(error.worker(), "holds_guard");
    assert_eq!(error.kind(), FailureKind::Panic);
    assert_eq!(error.message(), "guard dropped mid-way");
    assert_located_here(&error);
}

#[test]
fn a_panic_in_the_drop_of_a_task_at_runtime_shutdown_is_reported_and_does_not_abort() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(move || {
                let runtime = multi_thread("async-pool");
                runtime.block_on(async {
                    let (polled_tx, polled_rx) = tokio::sync::oneshot::channel();
                    tokio::spawn(holds_guard(
                        PanicOnDrop("guard dropped at shutdown"),
                        Some(polled_tx),
                    ));
                    polled_rx.await.expect("the task runs");
                });
                drop(runtime); // drops the task, whose guard panics
                tx.send("the runtime shut down").expect("the test listens");
            })
    });
    assert_eq!(recv(&rx), "the runtime shut down");
    let error = result.expect_err("the drop panicked");
    assert_eq!(error.worker(), "holds_guard");
    assert_eq!(error.message(), "guard dropped at shutdown");
}

#[test]
fn an_async_worker_counts_as_running_from_its_first_poll_until_it_completes() {
    let _guard = shared();
    let done = Arc::new(AtomicBool::new(false));
    let result = bounded({
        let done = done.clone();
        move || {
            Supervisor::new().wait(true).run(move || {
                #[fate::supervised]
                async fn slow(done: Arc<AtomicBool>, started: mpsc::Sender<()>) {
                    started.send(()).expect("the body listens");
                    yield_now().await;
                    thread::sleep(Duration::from_millis(200));
                    done.store(true, Ordering::SeqCst);
                }
                let (started_tx, started_rx) = mpsc::channel();
                let future = slow(done, started_tx);
                thread::spawn(move || block_on(future));
                recv(&started_rx);
                // The body returns while `slow` runs: `wait` waits for it.
            })
        }
    });
    result.expect("nothing failed");
    assert!(
        done.load(Ordering::SeqCst),
        "run returned before the running async worker finished"
    );
}

// ---------------------------------------------------------------------------------
// `fate::cancelled()`.

const _: () = {
    const fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    send_sync_unpin::<fate::Cancelled>();
};

#[test]
fn cancelled_made_in_the_body_completes_on_a_worker_thread_when_a_task_fails() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(move || {
                let runtime = multi_thread("async-pool");
                let cancelled = fate::cancelled();
                let waiter = runtime.spawn(async move {
                    let mut cancelled = cancelled;
                    assert!(poll_once(Pin::new(&mut cancelled)).is_pending());
                    tokio::time::timeout(LIMIT, cancelled).await.is_ok()
                });
                runtime.spawn(explode_later("cancel everything"));
                let observed = runtime.block_on(waiter).expect("the waiter never panics");
                tx.send(observed).expect("the test listens");
            })
    });
    assert!(recv(&rx), "fate::cancelled() did not complete");
    assert_eq!(result.expect_err("failed").message(), "cancel everything");
}

/// A loop that selects between work and the cancellation, as a service's accept loop
/// does: with a fresh `fate::cancelled()` at each turn (each one dropped when the
/// other branch wins), or one pinned outside the loop and polled by reference.
#[fate::supervised]
async fn tick_until_cancelled(fresh: bool, started: tokio::sync::oneshot::Sender<()>) -> u32 {
    let mut started = Some(started);
    let mut ticks = 0;
    let mut kept = pin!(fate::cancelled());
    loop {
        if fresh {
            tokio::select! {
                () = fate::cancelled() => break,
                () = tokio::time::sleep(Duration::from_millis(1)) => ticks += 1,
            }
        } else {
            tokio::select! {
                () = &mut kept => break,
                () = tokio::time::sleep(Duration::from_millis(1)) => ticks += 1,
            }
        }
        if ticks == 3 {
            if let Some(started) = started.take() {
                let _ = started.send(());
            }
        }
    }
    ticks
}

#[test]
fn cancelled_in_select_in_a_loop_breaks_the_loop_on_failure() {
    let _guard = shared();
    for fresh in [true, false] {
        let (tx, rx) = mpsc::channel();
        let result = bounded(move || {
            Supervisor::new()
                .grace(Duration::from_secs(10))
                .run(move || {
                    let runtime = multi_thread("async-pool");
                    let ticks = runtime.block_on(async {
                        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
                        let ticker = tokio::spawn(tick_until_cancelled(fresh, started_tx));
                        started_rx.await.expect("the ticker ticks");
                        tokio::spawn(explode_later("stop ticking"));
                        tokio::time::timeout(LIMIT, ticker).await
                    });
                    tx.send(ticks.map(|joined| joined.expect("the ticker never panics")))
                        .expect("the test listens");
                })
        });
        let ticks = recv(&rx).unwrap_or_else(|_| {
            panic!("the select! loop (fresh: {fresh}) did not see the cancellation")
        });
        assert!(ticks >= 3, "{ticks} ticks");
        assert_eq!(result.expect_err("failed").message(), "stop ticking");
    }
}

#[test]
fn cancelled_made_after_the_failure_is_ready_at_once() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(move || {
                // Made here (a plain thread reports to the process root, which may be
                // another test's), polled there.
                let failing = explode_later("already failed");
                let _ = thread::spawn(move || block_on(failing)).join();
                let mut cancelled = fate::cancelled();
                tx.send((
                    fate::is_cancelled(),
                    poll_once(Pin::new(&mut cancelled)).is_ready(),
                ))
                .expect("the test listens");
            })
    });
    assert_eq!(recv(&rx), (true, true));
    assert_eq!(result.expect_err("failed").message(), "already failed");
}

#[test]
fn cancelled_stays_pending_while_nothing_fails() {
    let _guard = shared();
    let result = bounded(|| {
        Supervisor::new().run(|| {
            let mut cancelled = fate::cancelled();
            assert!(poll_once(Pin::new(&mut cancelled)).is_pending());
            let timed_out = current_thread().block_on(async {
                tokio::time::timeout(Duration::from_millis(20), cancelled).await
            });
            assert!(timed_out.is_err());
            fate::is_cancelled()
        })
    });
    assert!(!result.expect("nothing failed"));
}

#[test]
fn cancelled_never_completes_with_no_root() {
    let _guard = exclusive(); // no root is alive in this process meanwhile
    bounded(|| {
        let mut cancelled = fate::cancelled();
        assert!(poll_once(Pin::new(&mut cancelled)).is_pending());
        let timed_out = current_thread()
            .block_on(async { tokio::time::timeout(Duration::from_millis(50), cancelled).await });
        assert!(
            timed_out.is_err(),
            "fate::cancelled() completed with no root"
        );
        assert!(!fate::is_cancelled());
    });
}

// ---------------------------------------------------------------------------------
// No supervisor: the plain future.

#[test]
fn with_no_supervisor_an_async_worker_is_the_plain_future() {
    let _guard = exclusive();
    bounded(|| {
        assert_eq!(block_on(add(2, 3)), 5);
        assert_eq!(
            block_on(load_config(true)),
            Err(ConfigError { middle: ReadError })
        );
        let joined = thread::spawn(|| block_on(explode_later("nobody supervises me"))).join();
        assert_eq!(
            payload_text(&*joined.expect_err("panicked")).as_deref(),
            Some("nobody supervises me")
        );
        // Dropping one mid-way is the plain drop too.
        let mut future = pin!(stuck());
        assert!(poll_once(future.as_mut()).is_pending());
    });
}

// ---------------------------------------------------------------------------------
// What an `async fn` can look like.

/// `Send` stays as it was: a future over `Send` data is `Send` (it can be spawned on a
/// multi-thread runtime; see also tests/ui/pass/async_worker_send.rs and, for a
/// `!Send` one, tests/ui/fail/async_worker_not_send.rs).
#[allow(dead_code)]
fn futures_of_send_data_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let counter = Counter { value: 1, limit: 2 };
    assert_send(&add(1, 2));
    assert_send(&load_config(true));
    assert_send(&counter.get());
    assert_send(&largest(&[1, 2]));
    assert_send(&greet("a", Cow::Borrowed("b")));
    assert_send(&load(""));
}

struct Counter {
    value: u32,
    limit: u32,
}

impl Counter {
    #[fate::supervised]
    async fn get(&self) -> u32 {
        yield_now().await;
        self.value
    }

    #[fate::supervised]
    async fn bump(&mut self) -> Result<u32, String> {
        yield_now().await;
        if self.value == self.limit {
            return Err(format!("counter is at its limit of {}", self.limit));
        }
        self.value += 1;
        Ok(self.value)
    }

    #[fate::supervised(name = "counter::into_inner")]
    async fn into_inner(self) -> u32 {
        yield_now().await;
        self.value
    }
}

#[test]
fn async_methods_take_self_by_reference_mutable_reference_and_value() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let mut counter = Counter { value: 1, limit: 2 };
            let got = block_on(counter.get());
            let bumped = block_on(counter.bump());
            let inner = block_on(Counter { value: 9, limit: 9 }.into_inner());
            let refused = block_on(counter.bump());
            tx.send((got, bumped, inner, refused, counter.value))
                .expect("the test listens");
        })
    });
    assert_eq!(
        recv(&rx),
        (
            1,
            Ok(2),
            9,
            Err("counter is at its limit of 2".to_owned()),
            2
        )
    );
    let error = result.expect_err("bump returned Err");
    assert_eq!(error.worker(), "bump");
    assert_eq!(error.message(), "counter is at its limit of 2");
}

#[fate::supervised]
async fn largest<T: PartialOrd + Copy>(items: &[T]) -> Option<T> {
    yield_now().await;
    items.iter().copied().fold(None, |max, x| match max {
        Some(m) if m >= x => Some(m),
        _ => Some(x),
    })
}

#[fate::supervised]
async fn parse_all<T>(texts: &[&str]) -> Result<Vec<T>, T::Err>
where
    T: FromStr,
    T::Err: Display,
{
    yield_now().await;
    texts.iter().map(|text| text.parse()).collect()
}

#[fate::supervised]
async fn sum_array<const N: usize>(values: [u64; N]) -> u64 {
    yield_now().await;
    values.iter().sum()
}

#[test]
fn generic_async_fns_work_and_report_their_errors() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let max = block_on(largest(&[3.5, 9.25, 1.0]));
            let parsed = block_on(parse_all::<u8>(&["1", "2"]));
            let sum = block_on(sum_array([1, 2, 3, 4]));
            let bad = block_on(parse_all::<u8>(&["1", "300"])).map_err(|e| e.to_string());
            tx.send((max, parsed, sum, bad)).expect("the test listens");
        })
    });
    assert_eq!(
        recv(&rx),
        (
            Some(9.25),
            Ok(vec![1, 2]),
            10,
            Err("number too large to fit in target type".to_owned())
        )
    );
    let error = result.expect_err("parse_all returned Err");
    assert_eq!(error.worker(), "parse_all");
    assert_eq!(error.message(), "number too large to fit in target type");
}

#[fate::supervised]
async fn evens(limit: &str) -> Result<impl Iterator<Item = u32>, ParseIntError> {
    yield_now().await;
    let limit: u32 = limit.parse()?;
    Ok((0..limit).filter(|n| n % 2 == 0))
}

#[test]
fn an_async_fn_returning_result_of_impl_iterator_works_and_reports_its_error() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let evens_below_7: Vec<u32> = block_on(evens("7")).expect("7 parses").collect();
            let bad = block_on(evens("seven")).map(|it| it.count());
            tx.send((evens_below_7, bad.map_err(|e| e.to_string())))
                .expect("the test listens");
        })
    });
    assert_eq!(
        recv(&rx),
        (
            vec![0, 2, 4, 6],
            Err("invalid digit found in string".to_owned())
        )
    );
    let error = result.expect_err("evens returned Err");
    assert_eq!(error.worker(), "evens");
    assert_eq!(error.message(), "invalid digit found in string");
}

#[derive(Debug)]
struct EmptyInput;

impl Display for EmptyInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the input is empty")
    }
}

impl StdError for EmptyInput {}

/// `?` and an early `return Err(Box::new(e))` coerce into `Box<dyn Error>`.
#[fate::supervised]
async fn load(text: &str) -> Result<u32, Box<dyn StdError>> {
    yield_now().await;
    if text.is_empty() {
        return Err(Box::new(EmptyInput));
    }
    let value: u32 = text.trim().parse()?;
    Ok(value)
}

#[test]
fn question_mark_and_early_return_coerce_into_box_dyn_error() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(move || {
                let ok = block_on(load(" 42 ")).map_err(|e| e.to_string());
                let empty = block_on(load("")).map_err(|e| e.to_string());
                let bad = block_on(load("x")).map_err(|e| e.to_string());
                tx.send((ok, empty, bad)).expect("the test listens");
            })
    });
    assert_eq!(
        recv(&rx),
        (
            Ok(42),
            Err("the input is empty".to_owned()),
            Err("invalid digit found in string".to_owned())
        )
    );
    let error = result.expect_err("load returned Err");
    assert_eq!(error.worker(), "load");
    assert_eq!(error.kind(), FailureKind::Error);
    assert_eq!(error.message(), "the input is empty");
    assert_eq!(error.others(), 1, "{error:?}");
}

/// Elided lifetimes, in a reference and in a path.
#[allow(elided_lifetimes_in_paths)]
#[fate::supervised]
async fn greet(name: &str, greeting: Cow<str>) -> String {
    yield_now().await;
    format!("{greeting}, {name}!")
}

/// A result that borrows from an argument (the elided lifetime).
#[fate::supervised]
async fn first_word(text: &str) -> &str {
    yield_now().await;
    text.split_whitespace().next().unwrap_or("")
}

/// Named lifetimes, and an `Err` that borrows too.
#[fate::supervised]
async fn split_pair<'a, 'b>(
    text: &'a str,
    separator: &'b str,
) -> Result<(&'a str, &'a str), &'a str> {
    yield_now().await;
    text.split_once(separator).ok_or(text)
}

#[test]
fn async_fns_with_borrowed_arguments_and_results_work() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let name = String::from("world");
            let greeting = String::from("Hello");
            let greeted = block_on(greet(&name, Cow::Borrowed(&greeting)));
            let owned = block_on(greet(&name, Cow::Owned(String::from("Hi"))));
            let text = String::from("alpha beta");
            let first = block_on(first_word(&text)).to_owned();
            let pair = block_on(split_pair(&text, " "))
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .map_err(str::to_owned);
            let unsplit = block_on(split_pair(&text, ",")).map_err(str::to_owned);
            tx.send((greeted, owned, first, pair, unsplit.err()))
                .expect("the test listens");
        })
    });
    assert_eq!(
        recv(&rx),
        (
            "Hello, world!".to_owned(),
            "Hi, world!".to_owned(),
            "alpha".to_owned(),
            Ok::<_, String>(("alpha".to_owned(), "beta".to_owned())),
            Some("alpha beta".to_owned())
        )
    );
    let error = result.expect_err("split_pair returned Err");
    assert_eq!(error.worker(), "split_pair");
    assert_eq!(error.message(), "alpha beta");
}

/// A borrowed `Ok` with an elided lifetime, and a `Cow` with `'_`.
#[fate::supervised]
async fn first_field(line: &str) -> Result<&str, String> {
    yield_now().await;
    line.split(',')
        .next()
        .filter(|field| !field.is_empty())
        .ok_or_else(|| format!("no field in {line:?}"))
}

#[fate::supervised]
async fn normalized(text: &str) -> Result<Cow<'_, str>, String> {
    yield_now().await;
    if text.contains('\t') {
        Ok(Cow::Owned(text.replace('\t', " ")))
    } else {
        Ok(Cow::Borrowed(text))
    }
}

#[test]
fn async_fns_returning_borrowed_results_work_and_report_their_errors() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let line = String::from("name,age");
            let first = block_on(first_field(&line)).map(str::to_owned);
            let borrowed = matches!(block_on(normalized(&line)), Ok(Cow::Borrowed(_)));
            let owned = block_on(normalized("a\tb")).map(Cow::into_owned);
            let empty = block_on(first_field(",x")).map(str::to_owned);
            tx.send((first, borrowed, owned, empty))
                .expect("the test listens");
        })
    });
    assert_eq!(
        recv(&rx),
        (
            Ok("name".to_owned()),
            true,
            Ok("a b".to_owned()),
            Err("no field in \",x\"".to_owned())
        )
    );
    assert_eq!(result.expect_err("Err").worker(), "first_field");
}

// ---------------------------------------------------------------------------------
// `async fn` in traits.

trait Store {
    async fn get(&self, key: &str) -> Result<u32, String>;

    /// A provided method.
    #[fate::supervised]
    async fn get_or_zero(&self, key: &str) -> u32 {
        self.get(key).await.unwrap_or(0)
    }
}

struct MemoryStore;

impl Store for MemoryStore {
    #[fate::supervised(name = "MemoryStore::get")]
    async fn get(&self, key: &str) -> Result<u32, String> {
        yield_now().await;
        match key {
            "one" => Ok(1),
            _ => Err(format!("no key {key:?}")),
        }
    }
}

impl MemoryStore {
    #[fate::supervised]
    async fn open(path: &str) -> Result<Self, String> {
        yield_now().await;
        if path.is_empty() {
            return Err("no path".to_owned());
        }
        Ok(MemoryStore)
    }
}

#[test]
fn async_fns_in_trait_impls_and_provided_methods_work_and_report() {
    let _guard = shared();
    let (tx, rx) = mpsc::channel();
    // The provided method handles `get`'s `Err` (`unwrap_or`): no failure.
    let result = bounded(move || {
        Supervisor::new().run(move || {
            let store = block_on(MemoryStore::open("memory")).expect("opens");
            let one = block_on(store.get("one"));
            let zero = block_on(store.get_or_zero("two"));
            tx.send((one, zero)).expect("the test listens");
        })
    });
    assert_eq!(recv(&rx), (Ok(1), 0));
    result.expect("get_or_zero handled the Err of get");
    // Awaited by no supervised caller, `get`'s `Err` is a failure.
    let result = bounded(move || Supervisor::new().run(move || block_on(MemoryStore.get("two"))));
    let error = result.expect_err("get returned Err");
    assert_eq!(error.worker(), "MemoryStore::get");
    assert_eq!(error.message(), "no key \"two\"");
}
