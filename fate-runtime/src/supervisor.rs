//! A root: the state a supervisor keeps, how failures reach it, and how it waits.
//!
//! Every wait here is a condition-variable wait on the root's one mutex, woken by the
//! event it waits for (a failure, the body finishing, the last running worker leaving)
//! or by its deadline; nothing polls.

use std::fmt;
use std::io::Write;
use std::task::Waker;
use std::time::Duration;

use crate::clock::Clock;

use crate::registry::{self, Registration};
use crate::report::{Error, Failure, FailureKind, LISTED_OTHERS};
use crate::sync::{fence, lock, Arc, AtomicBool, AtomicUsize, Condvar, Mutex, Ordering};
use crate::worker::{self, WorkerName};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RootKind {
    /// `#[supervised] fn main`: prints and ends the process.
    Main,
    /// `fate::Supervisor`: returns its result to the caller, prints nothing.
    Supervisor,
}

#[derive(Debug, Default)]
struct State {
    first: Option<Failure>,
    /// When the first failure came, by the root's clock.
    failed_at: Option<Duration>,
    listed: Vec<Failure>,
    others: usize,
    body_done: bool,
    /// The report has been made: later failures are no longer absorbed.
    sealed: bool,
}

pub(crate) struct Root {
    kind: RootKind,
    grace: Duration,
    wait: bool,
    /// One counter of running supervised calls per thread that ran a worker of this
    /// root, so that entering and leaving touch only the thread's own cache line.
    slots: Mutex<Vec<Arc<Slot>>>,
    /// Set once somebody waits for the running workers to finish; only then do
    /// workers leaving take the lock to wake them.
    watching_running: AtomicBool,
    /// `run` returned, or `main` is ending: threads may forget this root.
    ended: AtomicBool,
    cancelled: AtomicBool,
    collecting: AtomicBool,
    /// A `main` root whose report is being printed: the process is about to end.
    ending_with_report: AtomicBool,
    claimed: AtomicBool,
    state: Mutex<State>,
    changed: Condvar,
    clock: Clock,
    /// Tasks waiting in `fate::cancelled()`, by the id of their future.
    wakers: Mutex<Vec<(u64, Waker)>>,
    /// The failure numbers of the panics of this root's workers that are still
    /// unwinding towards their wrapper (see [`InFlight`]).
    in_flight: Mutex<Vec<u64>>,
}

impl fmt::Debug for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Root")
            .field("kind", &self.kind)
            .field("running", &self.running())
            .field("cancelled", &self.cancelled.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Root {
    pub(crate) fn new(kind: RootKind, grace: Duration, wait: bool) -> Self {
        Root {
            kind,
            grace,
            wait,
            slots: Mutex::new(Vec::new()),
            watching_running: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
            collecting: AtomicBool::new(true),
            ending_with_report: AtomicBool::new(false),
            claimed: AtomicBool::new(false),
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            clock: Clock::new(),
            wakers: Mutex::new(Vec::new()),
            in_flight: Mutex::new(Vec::new()),
        }
    }

    /// Whether a failure reported now still makes it into this root's report.
    pub(crate) fn is_collecting(&self) -> bool {
        self.collecting.load(Ordering::Acquire)
    }

    /// Whether the panic hook keeps Rust's default message back for a worker of this
    /// root: while it collects failures, and while a `main` root prints its report and
    /// ends the process (a raw message then would only push the report aside).
    pub(crate) fn holds_back_panics(&self) -> bool {
        self.is_collecting() || self.ending_with_report.load(Ordering::Acquire)
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// A new counter of running workers, for one thread.
    pub(crate) fn new_slot(root: &Arc<Root>) -> Arc<Slot> {
        let slot = Arc::new(Slot::new(root.clone()));
        if root.has_ended() {
            // Nobody waits any more; not keeping it leaves no cycle behind.
            return slot;
        }
        let mut slots = lock(&root.slots);
        // Forget the counters of threads that are gone and left nothing running.
        slots.retain(|slot| !(slot.retired.load(Ordering::Acquire) && slot.is_idle()));
        slots.push(slot.clone());
        slot
    }

    /// Supervised calls in progress under this root, on any thread.
    pub(crate) fn running(&self) -> usize {
        lock(&self.slots).iter().map(|slot| slot.running()).sum()
    }

    /// How many counters of running workers this root keeps (for tests: one per
    /// thread that ran a worker and is still alive, or left one running).
    #[cfg(test)]
    pub(crate) fn slot_count(&self) -> usize {
        lock(&self.slots).len()
    }

    pub(crate) fn end(&self) {
        self.ended.store(true, Ordering::Release);
        // Slots hold their root: forgetting them here breaks that cycle.
        lock(&self.slots).clear();
    }

    pub(crate) fn has_ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    /// A worker left (its counter was just lowered): wakes whoever waits for the
    /// running workers to finish.
    #[inline]
    fn wake_if_watching(&self) {
        // The two SeqCst fences (here and in `wait_until`) order "lower the counter,
        // then read the flag" against "raise the flag, then read the counters": either
        // the waiter sees the lowered counter, or this sees the flag and wakes it,
        // taking the lock first so that the waiter is already waiting. (Fences rather
        // than SeqCst accesses: loom models fences exactly.)
        fence(Ordering::SeqCst);
        if self.watching_running.load(Ordering::Relaxed) {
            self.wake_watchers();
        }
    }

    #[cold]
    #[inline(never)]
    fn wake_watchers(&self) {
        drop(lock(&self.state));
        self.changed.notify_all();
    }

    /// Records a failure. The first one cancels the root and wakes everyone waiting
    /// on it; later ones are counted. Returns `false` if the report was already made.
    pub(crate) fn fail(&self, failure: Failure) -> bool {
        self.record(failure, true)
    }

    fn record(&self, failure: Failure, grace_notice: bool) -> bool {
        let mut state = lock(&self.state);
        if state.sealed {
            return false;
        }
        if let Some(first) = &mut state.first {
            // The report is built from the failure that happened first, which is not
            // always the first to arrive: a panic's unwinding can make other workers
            // fail before it reaches its own wrapper.
            let later = if failure.seq < first.seq {
                std::mem::replace(first, failure)
            } else {
                failure
            };
            state.others += 1;
            state.listed.push(later);
            state.listed.sort_by_key(|failure| failure.seq);
            state.listed.truncate(LISTED_OTHERS);
            return true;
        }
        let notice =
            (grace_notice && self.kind == RootKind::Main && !self.grace.is_zero()).then(|| {
                let verb = match failure.kind {
                    FailureKind::Panic => "panicked",
                    FailureKind::Error => "returned an error",
                };
                format!(
                    "fate: worker `{}` {verb}; cancelling, and giving the others up to {} to \
                     finish",
                    failure.worker,
                    DisplayDuration(self.grace)
                )
            });
        state.first = Some(failure);
        state.failed_at = Some(self.clock.now());
        self.cancelled.store(true, Ordering::Release);
        drop(state);
        self.changed.notify_all();
        let wakers = std::mem::take(&mut *lock(&self.wakers));
        for (_, waker) in wakers {
            waker.wake();
        }
        if let Some(notice) = notice {
            let _ = writeln!(std::io::stderr(), "{notice}");
        }
        true
    }

    /// Marks the panic numbered `seq`, of one of this root's workers, as unwinding
    /// towards its wrapper until the returned mark is dropped.
    pub(crate) fn unwind_started(root: &Arc<Self>, seq: u64) -> InFlight {
        lock(&root.in_flight).push(seq);
        InFlight {
            root: root.clone(),
            seq,
        }
    }

    /// Before the report is made: waits (at most `patience`) for the panics that
    /// happened before the first failure recorded and are still unwinding, so that the
    /// report names the failure that came first. Usually there are none, and this
    /// returns at once.
    pub(crate) fn await_earlier_unwinds(&self, patience: Duration) {
        let deadline = self.clock.now().checked_add(patience);
        self.wait_until(deadline, false, |state, _| {
            let first = state.first.as_ref().map_or(0, |first| first.seq);
            lock(&self.in_flight).iter().all(|&seq| seq > first)
        });
    }

    /// Records `failure` and makes the report at once (under `panic = "abort"`, where
    /// the process ends as soon as the panic hook returns).
    pub(crate) fn report_now(&self, failure: Failure) -> Error {
        let kept = Failure {
            seq: failure.seq,
            worker: failure.worker.clone(),
            kind: failure.kind,
            message: failure.message.clone(),
            chain: failure.chain.clone(),
            location: failure.location.clone(),
            thread: failure.thread.clone(),
            backtrace: None,
        };
        // No grace notice: nothing can wait for the others, the process aborts now.
        if self.record(failure, false) {
            if let Some(error) = self.seal() {
                return error;
            }
        }
        Error::new(kept, Vec::new(), 0)
    }

    /// The body has returned (or panicked, which was reported as a failure first).
    pub(crate) fn body_finished(&self) {
        lock(&self.state).body_done = true;
        self.changed.notify_all();
    }

    pub(crate) fn body_is_done(&self) -> bool {
        lock(&self.state).body_done
    }

    /// Waits until a failure is recorded or the body is done; `true` for a failure.
    pub(crate) fn wait_for_failure_or_body(&self) -> bool {
        self.wait_until(None, false, |state, _| {
            state.first.is_some() || state.body_done
        });
        lock(&self.state).first.is_some()
    }

    /// Waits until a failure is recorded; `false` if the report was sealed first
    /// (the program ended without one).
    pub(crate) fn wait_for_failure(&self) -> bool {
        self.wait_until(None, false, |state, _| {
            state.first.is_some() || state.sealed
        });
        lock(&self.state).first.is_some()
    }

    /// Once the body is done (successfully, when `wants_wait`): waits for what the
    /// options ask. With `wait`, until the running workers have finished or one fails;
    /// after a failure, until the body and every running worker have finished or the
    /// grace period is over. Returns whether everything finished.
    pub(crate) fn settle(&self, wants_wait: bool) -> bool {
        if wants_wait && self.wait {
            self.wait_until(None, true, |state, running| {
                state.first.is_some() || running == 0
            });
        }
        self.wait_out_grace()
    }

    /// After a failure: waits until the body and every running worker have finished,
    /// or the grace period (counted from the failure) is over. Returns whether all
    /// finished; with no failure, whether the body is done.
    pub(crate) fn wait_out_grace(&self) -> bool {
        let failed_at = lock(&self.state).failed_at;
        let deadline = failed_at.and_then(|at| at.checked_add(self.grace));
        if failed_at.is_some() {
            return self.wait_until(deadline, true, |state, running| {
                state.body_done && running == 0
            });
        }
        lock(&self.state).body_done
    }

    /// Stops collecting and returns the report, if there was a failure.
    pub(crate) fn seal(&self) -> Option<Error> {
        let mut state = lock(&self.state);
        state.sealed = true;
        self.collecting.store(false, Ordering::Release);
        let error = state.first.take().map(|first| {
            if self.kind == RootKind::Main {
                self.ending_with_report.store(true, Ordering::Release);
            }
            Error::new(first, std::mem::take(&mut state.listed), state.others)
        });
        drop(state);
        // Wakes the watcher too when there was no failure: it has nothing left to do.
        self.changed.notify_all();
        error
    }

    /// Claims the right to end the program. Exactly one caller ever gets `true`.
    pub(crate) fn claim(&self) -> bool {
        !self.claimed.swap(true, Ordering::AcqRel)
    }

    /// Registers the waker of the `fate::cancelled()` future `id`; `false` if the root
    /// is cancelled already (then nothing is registered).
    pub(crate) fn register_waker(&self, id: u64, waker: &Waker) -> bool {
        let mut wakers = lock(&self.wakers);
        // Checked under the lock that `fail` takes the wakers under: no lost wake-up.
        if self.is_cancelled() {
            return false;
        }
        match wakers.iter_mut().find(|(slot, _)| *slot == id) {
            Some((_, known)) => {
                if !known.will_wake(waker) {
                    known.clone_from(waker);
                }
            }
            None => wakers.push((id, waker.clone())),
        }
        true
    }

    pub(crate) fn unregister_waker(&self, id: u64) {
        lock(&self.wakers).retain(|(slot, _)| *slot != id);
    }

    /// Moves the root's clock on and wakes its waits with a deadline (models only).
    #[cfg(fate_loom)]
    pub(crate) fn advance_clock(&self, by: Duration) {
        let state = lock(&self.state);
        self.clock.advance(by);
        drop(state);
        self.changed.notify_all();
    }

    /// Blocks until cancelled or `timeout` passes; returns whether cancelled.
    pub(crate) fn wait_cancelled(&self, timeout: Duration) -> bool {
        if self.is_cancelled() {
            return true;
        }
        let deadline = self.clock.now().checked_add(timeout);
        self.wait_until(deadline, false, |_, _| self.is_cancelled())
    }

    fn wait_until(
        &self,
        deadline: Option<Duration>,
        counts_running: bool,
        mut done: impl FnMut(&State, usize) -> bool,
    ) -> bool {
        if counts_running {
            self.watching_running.store(true, Ordering::Relaxed);
            fence(Ordering::SeqCst); // pairs with `wake_if_watching`
        }
        let mut state = lock(&self.state);
        loop {
            let running = if counts_running { self.running() } else { 0 };
            if done(&state, running) {
                return true;
            }
            state = match deadline {
                None => self
                    .changed
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
                Some(deadline) => {
                    let now = self.clock.now();
                    if now >= deadline {
                        return false;
                    }
                    self.changed
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0
                }
            };
        }
    }
}

/// A panic of one of a root's workers, unwinding towards the wrapper that will report
/// it; dropped when it is reported, or when user code caught it.
#[derive(Debug)]
pub(crate) struct InFlight {
    root: Arc<Root>,
    seq: u64,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.root.in_flight).retain(|&seq| seq != self.seq);
        drop(lock(&self.root.state));
        self.root.changed.notify_all();
    }
}

/// The supervised calls in progress under one root on one thread: read by the root
/// when it waits, written on the hot path without contention.
///
/// `calls` counts the thread's sync calls and is written by that thread alone, so
/// entering is a plain store; `futures` counts the supervised futures first polled on
/// the thread, which may end on another thread, so it takes atomic read-modify-writes.
#[derive(Debug)]
pub(crate) struct Slot {
    calls: AtomicUsize,
    futures: AtomicUsize,
    /// The thread that owned it has exited.
    retired: AtomicBool,
    /// A supervised future holds its root through the slot of the thread that made it,
    /// so that making futures on several threads never writes one shared count.
    root: Arc<Root>,
}

impl Slot {
    fn new(root: Arc<Root>) -> Self {
        Slot {
            calls: AtomicUsize::new(0),
            futures: AtomicUsize::new(0),
            retired: AtomicBool::new(false),
            root,
        }
    }

    pub(crate) fn root(&self) -> &Arc<Root> {
        &self.root
    }

    /// A sync call starts; only the slot's own thread calls this.
    #[inline]
    pub(crate) fn enter_call(&self) {
        // Relaxed: a worker that starts while the root checks was "not started yet".
        let calls = self.calls.load(Ordering::Relaxed);
        self.calls.store(calls + 1, Ordering::Relaxed);
    }

    /// A sync call ends; only the slot's own thread calls this.
    #[inline]
    pub(crate) fn leave_call(&self) {
        let calls = self.calls.load(Ordering::Relaxed);
        self.calls.store(calls - 1, Ordering::Relaxed);
        self.root.wake_if_watching();
    }

    /// A future starts counting here.
    pub(crate) fn enter_future(&self) {
        self.futures.fetch_add(1, Ordering::Relaxed);
    }

    /// A future counted here ended, on any thread.
    pub(crate) fn leave_future(&self) {
        self.futures.fetch_sub(1, Ordering::Relaxed);
        self.root.wake_if_watching();
    }

    fn running(&self) -> usize {
        self.calls.load(Ordering::Relaxed) + self.futures.load(Ordering::Relaxed)
    }

    pub(crate) fn retire(&self) {
        self.retired.store(true, Ordering::Release);
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.running() == 0
    }
}

/// How long a root about to make its report waits for a panic that happened before
/// its first recorded failure and is still unwinding (usually nothing is, and it does
/// not wait at all).
pub(crate) const UNWIND_PATIENCE: Duration = Duration::from_millis(50);

/// A duration the way a person writes it in `grace = "..."`.
pub(crate) struct DisplayDuration(pub(crate) Duration);

impl fmt::Display for DisplayDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms % 60_000 == 0 && ms > 0 {
            write!(f, "{}m", ms / 60_000)
        } else if ms % 1000 == 0 {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

/// A root as a value: runs a body and returns as soon as it finishes or a supervised
/// worker fails.
///
/// For tests, benches, libraries, and programs that prefer no macro. The body runs on
/// a thread of its own (so it must be `Send + 'static`); workers it starts with
/// [`fate::spawn`](crate::spawn) report here, and so do workers on threads started any
/// other way while this is the process root (see the crate docs on which root a worker
/// reports to).
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
        crate::panic::install_hook();
        let root = Arc::new(Root::new(RootKind::Supervisor, self.grace, self.wait));
        let _registration = Registration::new(&root, false);
        let slot = Arc::new(Mutex::new(None));
        {
            let root = root.clone();
            let slot = slot.clone();
            std::thread::Builder::new()
                .spawn(move || {
                    registry::set_thread_root(Some(root.clone()));
                    let value = worker::run_body(WorkerName::Named("body"), body);
                    *lock(&slot) = value;
                    root.body_finished();
                })
                .expect("fate: could not spawn the thread for Supervisor::run's body");
        }
        root.wait_for_failure_or_body();
        let body_returned = lock(&slot).is_some();
        root.settle(body_returned);
        root.await_earlier_unwinds(UNWIND_PATIENCE);
        match root.seal() {
            Some(error) => Err(error),
            None => match lock(&slot).take() {
                Some(value) => Ok(value),
                // Unreachable in practice: a body that panics is reported first.
                None => Err(Error::new(
                    crate::panic::Capture::from_payload(Some(&"the body panicked"))
                        .into_failure("body".into()),
                    Vec::new(),
                    0,
                )),
            },
        }
    }
}
