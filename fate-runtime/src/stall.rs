//! Stalled workers: `stall = "5s"` with [`heartbeat`], and `max_poll = "100ms"` on an
//! `async fn`.
//!
//! A watched worker's budget is a deadline on the process timer (`timer.rs`): at the
//! deadline, the check looks at the worker's heartbeat count. If it moved, the next
//! deadline is armed, one budget on; if not, the worker has stalled: a failure of
//! kind `Stalled`, reported to its root like any other (it cancels the root; the
//! worker itself goes on, as fate never stops a thread). No thread per worker, and
//! nothing at all while no budget is armed. A heartbeat is a load and a store on the
//! worker's own counter.

use std::panic::Location as StdLocation;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::context::{self, Beats};
use crate::health;
use crate::report::{next_seq, Failure, FailureKind, Location, WorkerName};
use crate::root::{DisplayDuration, Root};
use crate::sync::Arc;
use crate::timer;
use crate::worker::{self, Criticality};

/// Tells fate that the worker running here is making progress.
///
/// In a worker with `#[supervised(stall = "5s")]`, a call at least every 5 s keeps it
/// from being reported as stalled; the report of a stalled worker says where the last
/// heartbeat was. It counts for the watched worker running on the calling thread (and
/// for the watched workers that call it, when one watched worker calls another); from
/// any other thread, even one the worker started, and outside any watched worker, it
/// does nothing. Cheap enough for any loop: a thread-local read, a load and a store.
#[track_caller]
#[inline]
pub fn heartbeat() {
    context::beat(StdLocation::caller());
}

/// A watched worker: its heartbeats, and the watchdog's state.
pub(crate) struct Watch {
    beats: Arc<Beats>,
    /// The worker ended: no more checks.
    over: AtomicBool,
    /// The deadline armed now, to take back when the worker ends.
    armed: Mutex<Option<timer::Key>>,
}

/// What a watchdog reports a stall with.
#[derive(Clone, Copy)]
pub(crate) struct Watched {
    pub(crate) name: WorkerName,
    pub(crate) budget: Duration,
    /// Where the worker's function is (the report's location before any heartbeat).
    pub(crate) site: &'static StdLocation<'static>,
    pub(crate) criticality: Criticality,
}

impl Watch {
    /// Starts watching a worker of `root`, which must beat within every `budget`.
    pub(crate) fn start(root: Arc<Root>, watched: Watched) -> Arc<Watch> {
        let watch = Arc::new(Watch {
            beats: Arc::new(Beats::inside(context::current_beats())),
            over: AtomicBool::new(false),
            armed: Mutex::new(None),
        });
        let thread = std::thread::current().name().map(str::to_owned);
        arm(
            &watch,
            root,
            watched,
            thread,
            (0, Instant::now()),
            Silence::Watched,
        );
        watch
    }

    /// Its name in [`health`]: its address, unique while it lives.
    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    pub(crate) fn beats(&self) -> &Arc<Beats> {
        &self.beats
    }

    /// The worker ended: its deadline is taken back.
    pub(crate) fn stop(&self) {
        self.over.store(true, Ordering::Release);
        health::clear(self.id());
        if let Some(key) = self.armed.lock().unwrap_or_else(|e| e.into_inner()).take() {
            timer::disarm(key);
        }
    }
}

/// Where a watched worker stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Silence {
    /// It beats (or has not been silent for a whole budget yet).
    Watched,
    /// It was reported as stalled (not critical, so it goes on): reported again only
    /// after it beats again and then stalls once more.
    Reported,
}

/// Arms the next check, one budget after `since`, when the count was `seen`.
fn arm(
    watch: &Arc<Watch>,
    root: Arc<Root>,
    watched: Watched,
    thread: Option<String>,
    (seen, since): (u64, Instant),
    silence: Silence,
) {
    let deadline = since + watched.budget;
    let check = {
        let watch = watch.clone();
        Box::new(move || check(&watch, root, watched, thread, (seen, since), silence))
    };
    let mut armed = watch.armed.lock().unwrap_or_else(|e| e.into_inner());
    if !watch.over.load(Ordering::Acquire) {
        *armed = timer::run_at(deadline, check);
    }
}

/// At a deadline: the worker beat since the last check (arm the next one), or it
/// stalled (report it).
fn check(
    watch: &Arc<Watch>,
    root: Arc<Root>,
    watched: Watched,
    thread: Option<String>,
    (seen, since): (u64, Instant),
    silence: Silence,
) {
    if watch.over.load(Ordering::Acquire) || !root.is_collecting() {
        return;
    }
    let count = watch.beats.count();
    if count != seen || watch.beats.is_waiting() {
        if silence == Silence::Reported {
            health::clear(watch.id());
        }
        let now = (count, Instant::now());
        arm(watch, root, watched, thread, now, Silence::Watched);
        return;
    }
    if silence == Silence::Reported {
        // Still stuck: said already.
        let now = (count, Instant::now());
        arm(watch, root, watched, thread, now, Silence::Reported);
        return;
    }
    let silent = since.elapsed();
    let (message, location) = match watch.beats.site() {
        Some(site) => (
            format!(
                "no heartbeat for {} (its budget: `stall = \"{}\"`); the last one was here",
                DisplayDuration(silent),
                DisplayDuration(watched.budget)
            ),
            site,
        ),
        None => (
            format!(
                "no heartbeat in the {} since it started (its budget: `stall = \"{}\"`)",
                DisplayDuration(silent),
                DisplayDuration(watched.budget)
            ),
            watched.site,
        ),
    };
    let failure = stalled(watched, message, location, thread.clone());
    health::mark_stalled(watch.id(), failure.summary_line());
    worker::handle(&root, watched.criticality, failure);
    if watched.criticality == Criticality::NotCritical {
        // The root goes on, and so does the watch.
        let now = (count, Instant::now());
        arm(watch, root, watched, thread, now, Silence::Reported);
    }
}

/// The failure of a stalled worker.
fn stalled(
    watched: Watched,
    message: String,
    location: &'static StdLocation<'static>,
    thread: Option<String>,
) -> Failure {
    Failure {
        seq: next_seq(),
        worker: watched.name.to_cow(),
        kind: FailureKind::Stalled,
        message,
        chain: Vec::new(),
        chain_note: None,
        location: Some(Location::from_std(location)),
        thread,
        backtrace: None,
        // A stall is its own class, whatever the worker's `exit_code`: that one is for
        // its panics and `Err`s (a configuration that cannot work), a stall may pass.
        exit_code: None,
    }
}

/// `max_poll = ".."`: one poll of a supervised future that runs past `limit` has
/// blocked its executor's thread: a failure of kind `Stalled`.
pub(crate) fn blocked_poll(root: &Root, watched: Watched, thread: Option<String>) {
    if !root.is_collecting() {
        return;
    }
    let message = format!(
        "one poll has blocked its executor's thread for more than {} (its budget: \
         `max_poll = \"{}\"`); an `async fn` must not block: move the blocking work to \
         `spawn_blocking` or a thread",
        DisplayDuration(watched.budget),
        DisplayDuration(watched.budget)
    );
    let failure = stalled(watched, message, watched.site, thread);
    worker::handle(root, watched.criticality, failure);
}

/// Gives the thread its watched worker back when a call or poll ends, unwinding or not.
struct Restore(Option<Option<Arc<Beats>>>);

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some(outer) = self.0.take() {
            context::watch(outer);
        }
    }
}

/// Stops a watch when dropped (the worker ended, or its future was dropped).
struct StopOnDrop(Option<Arc<Watch>>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(watch) = &self.0 {
            watch.stop();
        }
    }
}

/// A sync worker with `stall = ".."`: `call` is its supervised call.
pub(crate) fn watched<R>(watched: Watched, call: impl FnOnce() -> R) -> R {
    let Some(root) = context::current_root() else {
        return call();
    };
    let watch = StopOnDrop(Some(Watch::start(root, watched)));
    let beats = watch.0.as_ref().map(|watch| watch.beats().clone());
    let _restore = Restore(Some(context::watch(beats)));
    call()
}

/// An `async` worker with `stall = ".."`: `future` is its supervised future. The
/// watch starts at the first poll; each poll makes it the thread's watched worker.
pub(crate) fn watched_future<F: std::future::Future>(
    watched: Watched,
    future: F,
) -> impl std::future::Future<Output = F::Output> {
    let root = context::current_root();
    async move {
        let Some(root) = root else {
            return future.await;
        };
        let mut future = std::pin::pin!(future);
        let mut watch = StopOnDrop(None);
        std::future::poll_fn(|cx| {
            let watch = watch
                .0
                .get_or_insert_with(|| Watch::start(root.clone(), watched));
            let _restore = Restore(Some(context::watch(Some(watch.beats().clone()))));
            future.as_mut().poll(cx)
        })
        .await
    }
}

/// An `async` worker with `max_poll = ".."`: each poll of `future` that runs past the
/// budget is reported while it still runs.
pub(crate) fn max_poll_future<F: std::future::Future>(
    watched: Watched,
    future: F,
) -> impl std::future::Future<Output = F::Output> {
    let root = context::current_root();
    async move {
        let Some(root) = root else {
            return future.await;
        };
        let mut future = std::pin::pin!(future);
        // A future that blocked its executor is a failure already: said once, unless
        // it is not critical (then each poll that blocks is said).
        let reported = Arc::new(AtomicBool::new(false));
        std::future::poll_fn(|cx| {
            if watched.criticality == Criticality::NotCritical {
                reported.store(false, Ordering::Relaxed);
            }
            if reported.load(Ordering::Relaxed) {
                return future.as_mut().poll(cx);
            }
            let key = {
                let (root, reported) = (root.clone(), reported.clone());
                let thread = std::thread::current().name().map(str::to_owned);
                timer::run_at(
                    Instant::now() + watched.budget,
                    Box::new(move || {
                        if !reported.swap(true, Ordering::Relaxed) {
                            blocked_poll(&root, watched, thread);
                        }
                    }),
                )
            };
            struct Disarm(Option<timer::Key>);
            impl Drop for Disarm {
                fn drop(&mut self) {
                    if let Some(key) = self.0.take() {
                        timer::disarm(key);
                    }
                }
            }
            let _disarm = Disarm(key);
            future.as_mut().poll(cx)
        })
        .await
    }
}
