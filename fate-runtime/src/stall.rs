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
    /// For `fate::status()`: whose, what, where and since when.
    root_id: u64,
    watched: Watched,
    thread: Option<String>,
    started: Instant,
    /// The count of heartbeats last seen (by the watchdog or `fate::status()`), and
    /// when it was first seen (or the start).
    heard: Mutex<(u64, Instant)>,
}

/// Every watch running now, for `fate::status()`.
static WATCHES: Mutex<Vec<Arc<Watch>>> = Mutex::new(Vec::new());

fn watches() -> std::sync::MutexGuard<'static, Vec<Arc<Watch>>> {
    WATCHES.lock().unwrap_or_else(|e| e.into_inner())
}

/// What `fate::status()` shows of a watched worker.
pub(crate) struct Snapshot {
    pub(crate) name: WorkerName,
    pub(crate) thread: Option<String>,
    pub(crate) running_for: Duration,
    pub(crate) budget: Duration,
    pub(crate) heartbeats: u64,
    pub(crate) last_heartbeat: Option<&'static StdLocation<'static>>,
    pub(crate) heard_for: Duration,
    pub(crate) restarts: usize,
    pub(crate) stalled: bool,
}

/// The watched workers of the root `root_id` running now, oldest first.
pub(crate) fn snapshot(root_id: u64) -> Vec<Snapshot> {
    watches()
        .iter()
        .filter(|watch| watch.root_id == root_id)
        .map(|watch| {
            let heartbeats = watch.beats.count();
            // Taken here, after the locks: never before the watch's own instants.
            let now = Instant::now();
            let running_for = now.saturating_duration_since(watch.started);
            Snapshot {
                name: watch.watched.name,
                thread: watch.thread.clone(),
                running_for,
                budget: watch.watched.budget,
                heartbeats,
                last_heartbeat: watch.beats.site(),
                heard_for: now
                    .saturating_duration_since(watch.heard(heartbeats, now))
                    .min(running_for),
                restarts: watch.beats.restarts(),
                stalled: health::is_stalled(watch.id()),
            }
        })
        .collect()
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
        let thread = std::thread::current().name().map(str::to_owned);
        let started = Instant::now();
        let watch = Arc::new(Watch {
            beats: Arc::new(Beats::inside(context::current_beats())),
            over: AtomicBool::new(false),
            armed: Mutex::new(None),
            root_id: root.id(),
            watched,
            thread: thread.clone(),
            started,
            heard: Mutex::new((0, started)),
        });
        watches().push(watch.clone());
        arm(
            &watch,
            root,
            watched,
            thread,
            (0, started),
            Silence::Watched,
        );
        watch
    }

    /// Its name in [`health`]: its address, unique while it lives.
    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Since when the worker has been silent, now that the count is `count`: a count
    /// that changed since the last look is a heartbeat since then, taken as now.
    fn heard(&self, count: u64, now: Instant) -> Instant {
        let mut heard = self.heard.lock().unwrap_or_else(|e| e.into_inner());
        if heard.0 != count {
            *heard = (count, now);
        }
        heard.1
    }

    pub(crate) fn beats(&self) -> &Arc<Beats> {
        &self.beats
    }

    /// The worker ended: its deadline is taken back.
    pub(crate) fn stop(&self) {
        self.over.store(true, Ordering::Release);
        health::clear(self.id());
        watches().retain(|watch| !std::ptr::eq(&**watch, self));
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
        watch.heard(count, now.1);
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
    health::mark_stalled(root.id(), watch.id(), failure.summary_line(), || {
        root.is_collecting()
    });
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
pub(crate) fn blocked_poll(root: &Root, watched: Watched, thread: Option<String>, id: usize) {
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
    health::mark_stalled(root.id(), id, failure.summary_line(), || {
        root.is_collecting()
    });
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
        let polls = Arc::new(Polls::default());
        std::future::poll_fn(|cx| {
            // A future that blocked its executor is a failure already: said once,
            // unless it is not critical (then each poll that blocks is said).
            if watched.criticality == Criticality::NotCritical {
                polls.reported.store(false, Ordering::Relaxed);
            }
            if polls.reported.load(Ordering::Relaxed) {
                return future.as_mut().poll(cx);
            }
            let key = {
                let (root, polls) = (root.clone(), polls.clone());
                let thread = std::thread::current().name().map(str::to_owned);
                let poll = polls.done.load(Ordering::SeqCst);
                timer::run_at(
                    Instant::now() + watched.budget,
                    Box::new(move || {
                        if !polls.reported.swap(true, Ordering::Relaxed) {
                            blocked_poll(&root, watched, thread, polls.id());
                            // The poll ended as this said it blocks: its stall is over.
                            if polls.done.load(Ordering::SeqCst) != poll {
                                health::clear(polls.id());
                            }
                        }
                    }),
                )
            };
            let _ended = PollEnds(key, &polls);
            future.as_mut().poll(cx)
        })
        .await
    }
}

/// A `max_poll` future's polls, shared with the check armed for the one running.
#[derive(Default)]
struct Polls {
    /// A blocked poll was reported.
    reported: AtomicBool,
    /// How many polls have ended.
    done: std::sync::atomic::AtomicU64,
}

impl Polls {
    /// Its name in [`health`].
    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }
}

/// When a poll ends: its check taken back, its stall (if it was one) over.
struct PollEnds<'a>(Option<timer::Key>, &'a Polls);

impl Drop for PollEnds<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.0.take() {
            timer::disarm(key);
        }
        self.1.done.fetch_add(1, Ordering::SeqCst);
        health::clear(self.1.id());
    }
}
