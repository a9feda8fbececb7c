//! One root: its phase, its failures, the panics it still waits to hear about, its
//! counters of running workers, and how it waits and ends.
//!
//! Everything that decides the root's outcome happens under one lock, `state`, in
//! one [`Phase`]; `flags` mirrors it for the lock-free reads of the hot path and the
//! panic hook. A root goes `Running` → `Failed` (first failure: cancel) → `Sealed`
//! (its one outcome decided, by exactly one [`Root::finish`]) → `Ended`. Every wait
//! is a condition-variable wait for an event or a deadline; nothing polls.
//!
//! A panic in one of the root's workers is *held* from the moment the panic hook
//! sees it start ([`Root::hold`]) until the unwinding reaches the supervised call it
//! escapes ([`Root::report_held`]) or fate learns it was caught
//! ([`Root::release_caught`]). Holding, reporting, releasing and sealing all take
//! the lock, so a root can never seal in the gap between a panic starting and its
//! report arriving: `finish` reports whatever is still held, never drops it.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::task::Waker;
use std::time::Duration;

use crate::alerts;
use crate::clock::Clock;
use crate::health;
use crate::report::{
    Capture, Disposition, Error, Failure, FailureKind, Listed, Restarts, WorkerName, LISTED_OTHERS,
};
use crate::stderr;
use crate::sync::{fence, lock, Arc, AtomicBool, AtomicU8, AtomicUsize, Condvar, Mutex, Ordering};

/// What kind of root this is, and so what its outcome does.
#[derive(Clone, Copy)]
pub(crate) enum RootKind {
    /// `#[supervised] fn main`: a failure ends the process, with the report printed
    /// as `render` formats it (what `main` returning it would print).
    Main { render: fn(Error) -> String },
    /// `fate::Supervisor`: the caller of `run` gets the outcome; nothing is printed.
    Supervisor,
}

impl fmt::Debug for RootKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RootKind::Main { .. } => "Main",
            RootKind::Supervisor => "Supervisor",
        })
    }
}

/// What the root waits for once its body has finished successfully.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterBody {
    /// Nothing: the body's value is the outcome.
    End,
    /// The supervised workers still running (the `wait` option).
    WaitForWorkers,
}

/// Where the body of `main` is a supervised frame (what a panic in it is held in).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MainBody {
    /// The whole body.
    #[default]
    Whole,
    /// Each poll of the async body an executor's attribute made (wrapped in
    /// `main_body_future`): a task the executor polls on the main thread between
    /// them is not part of `main`, so a panic there is printed as Rust prints it.
    Polls,
}

/// How the body ended, for [`Root::settle`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyEnd {
    Succeeded,
    /// Panicked, or returned a value that is a failure (`Err`, a failing `ExitCode`).
    Failed,
}

/// The phase of a root; `Root::flags` mirrors it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No failure yet; failures are collected.
    Running,
    /// The first failure is recorded and the root cancelled; later ones are collected.
    Failed,
    /// The outcome is decided: nothing more is collected.
    Sealed,
    /// The root is gone (its registration dropped).
    Ended,
}

// The bits of `Root::flags`. Written under the state lock only, read anywhere.
const COLLECTING: u8 = 1;
const CANCELLED: u8 = 1 << 1;
const SEALED: u8 = 1 << 2;
const ENDED: u8 = 1 << 3;
/// A `main` root's outcome is a failure: its report is being printed and the process
/// is about to end.
const ENDING: u8 = 1 << 4;

/// What became of a failure given to the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub(crate) enum Recorded {
    /// It is the root's first failure (so far: an earlier one still unwinding may
    /// take its place); the root is now cancelled.
    First,
    /// Counted as one of the later failures.
    Later,
    /// Not recorded: the root's outcome was already decided, or (for a held panic)
    /// it was reported already.
    TooLate,
}

/// The single outcome of a root, handed to exactly one caller of [`Root::finish`].
#[derive(Debug)]
#[must_use]
pub(crate) enum Finish {
    /// This caller decided the outcome: the report, or `None` for no failure.
    Won(Option<Error>),
    /// Another caller decided it first and acts on it.
    Lost,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    first: Option<Failure>,
    /// When the root was cancelled (by its first failure, or by `fate::cancel()`), by
    /// the root's clock: the grace period counts from there.
    cancelled_at: Option<Duration>,
    /// `fate::cancel()` was called from a thread other than the body's: if the body has
    /// not returned when the grace period is over, the root ends without it.
    cancel_ends_without_body: bool,
    listed: Vec<Failure>,
    others: usize,
    body_done: bool,
    /// Panics of this root's workers that the hook saw start and that are not yet
    /// reported nor known to be caught.
    held: Vec<Arc<Capture>>,
    /// Failures that a worker's `restart = N` handled, oldest first (the first
    /// [`KEPT_RESTARTS`]; the rest are counted).
    restarts: Vec<Restarted>,
    restarts_dropped: usize,
    /// The failures of `critical = false` workers, for the report.
    not_critical: Listed,
    /// The outcome was decided with a failure: what comes later follows from it.
    decided_failed: bool,
    /// Failures recorded under the lock, for the hooks and `tracing`, told once the
    /// lock is released (their code must never run under it).
    to_announce: Vec<(Failure, Disposition)>,
    /// The signal that stopped the root (feature `signals`): with no failure, its
    /// outcome is the report that says so.
    interrupted: Option<Signal>,
    /// The status of the report the outcome was decided with.
    decided_status: Option<u8>,
    /// `fate::cancel()` or a signal asked the root to stop (not a failure).
    stop_asked: bool,
    /// The body returned a failure of its own (an `Err`, a failing `ExitCode`): that is
    /// what ends the root, a signal or not.
    body_failed: bool,
}

/// A signal that stops a root: its number and its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Signal {
    pub(crate) number: i32,
    pub(crate) name: &'static str,
}

impl Signal {
    /// What a report says of it: "interrupted by SIGTERM".
    fn stopped_the_root(self) -> String {
        format!("interrupted by {}", self.name)
    }
}

/// A failure a worker's restart policy handled.
#[derive(Debug)]
struct Restarted {
    /// The worker that restarts (the failure may have come from a call inside it).
    restarter: WorkerName,
    /// The worker the failure names, and its summary line.
    worker: std::borrow::Cow<'static, str>,
    summary: String,
    /// By the root's clock.
    at: Duration,
}

/// The report of a root a signal stopped, named after its body: status `128 + n`.
fn interrupted(signal: Signal, body: &'static str) -> Failure {
    let message = signal.stopped_the_root();
    Failure {
        exit_code: Some(crate::report::status::signal(signal.number)),
        ..Failure::bare(body, FailureKind::Interrupted, message)
    }
}

/// How many restarts a root keeps for its report.
const KEPT_RESTARTS: usize = 64;

/// The number of roots alive in the process: while there is none, the panic hook
/// does nothing but call Rust's.
static LIVE: StdAtomicUsize = StdAtomicUsize::new(0);

/// Whether any root is alive in the process.
pub(crate) fn any_alive() -> bool {
    LIVE.load(StdOrdering::Acquire) > 0
}

pub(crate) struct Root {
    id: u64,
    kind: RootKind,
    grace: Duration,
    after_body: AfterBody,
    flags: AtomicU8,
    state: Mutex<State>,
    changed: Condvar,
    clock: Clock,
    /// One counter of running supervised calls per thread that ran a worker of this
    /// root, so that entering and leaving touch only the thread's own cache line.
    counters: Mutex<Vec<Arc<Counter>>>,
    /// Set once somebody waits for the running workers to finish; only then do
    /// workers leaving take the lock to wake them.
    watching_running: AtomicBool,
    /// Tasks waiting in `fate::cancelled()`.
    wakers: Mutex<Wakers>,
    /// The thread the body runs on.
    body_thread: std::sync::OnceLock<std::thread::ThreadId>,
    /// Which supervised workers run, by name and since when: kept only by roots that
    /// must name them (a test with a timeout), so that others pay nothing for it.
    running_list: Option<Mutex<Vec<RunningWorker>>>,
    /// Every panic is a failure of this root (see [`Root::with_all_panics`]).
    all_panics: bool,
    /// Roots nested in this one (scopes), cancelled when it is.
    children: Mutex<Vec<Arc<Root>>>,
    /// The root a scope was made in: a failure that reaches the scope after it ended
    /// (a thread it started outlived it) is that root's.
    parent: Mutex<Option<Arc<Root>>>,
}

/// A worker a [tracking](Root::tracking) root knows to be running.
#[derive(Debug, Clone)]
pub(crate) struct RunningWorker {
    /// What it is, for removing it: a counter's address (a sync call) or a future's
    /// owner id.
    key: u64,
    pub(crate) name: WorkerName,
    pub(crate) since: std::time::Instant,
    pub(crate) thread: Option<String>,
}

impl fmt::Debug for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Root")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("flags", &self.flags.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// How long a root about to decide its outcome waits for panics of its workers that
/// started and have not reached their supervised call yet (usually none: unwinding
/// takes microseconds, and it does not wait at all). After it, they are reported as
/// failures as the hook saw them: never dropped.
pub(crate) const UNWIND_PATIENCE: Duration = Duration::from_millis(100);

impl Root {
    pub(crate) fn new(kind: RootKind, grace: Duration, after_body: AfterBody) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        LIVE.fetch_add(1, StdOrdering::AcqRel);
        Root {
            id: NEXT_ID.fetch_add(1, StdOrdering::Relaxed),
            kind,
            grace,
            after_body,
            flags: AtomicU8::new(COLLECTING),
            state: Mutex::new(State {
                phase: Phase::Running,
                first: None,
                cancelled_at: None,
                cancel_ends_without_body: false,
                listed: Vec::new(),
                others: 0,
                body_done: false,
                held: Vec::new(),
                restarts: Vec::new(),
                restarts_dropped: 0,
                not_critical: Listed::default(),
                decided_failed: false,
                to_announce: Vec::new(),
                interrupted: None,
                decided_status: None,
                stop_asked: false,
                body_failed: false,
            }),
            changed: Condvar::new(),
            clock: Clock::new(),
            counters: Mutex::new(Vec::new()),
            watching_running: AtomicBool::new(false),
            wakers: Mutex::new(Wakers::default()),
            body_thread: std::sync::OnceLock::new(),
            running_list: None,
            all_panics: false,
            children: Mutex::new(Vec::new()),
            parent: Mutex::new(None),
        }
    }

    /// `child` (a scope) is nested in this root: it is cancelled when this root is
    /// (at once, if this root is cancelled already), until [`disown`](Self::disown).
    /// The root `self` was made in, if it is a scope's.
    pub(crate) fn parent(&self) -> Option<Arc<Root>> {
        lock(&self.parent).clone()
    }

    pub(crate) fn set_parent(&self, parent: &Arc<Root>) {
        *lock(&self.parent) = Some(parent.clone());
    }

    /// The scopes nested in this root now.
    pub(crate) fn children(&self) -> Vec<Arc<Root>> {
        lock(&self.children).clone()
    }

    /// The summary of the first failure, if there is one.
    pub(crate) fn first_failure(&self) -> Option<String> {
        lock(&self.state).first.as_ref().map(Failure::summary_line)
    }

    /// Whether the outcome was decided, with a failure.
    pub(crate) fn decided_failed(&self) -> bool {
        lock(&self.state).decided_failed
    }

    /// Whether a failure has been recorded, or a panic is held (a failure on its way:
    /// [`finish`](Self::finish) reports it).
    pub(crate) fn has_failed(&self) -> bool {
        let state = lock(&self.state);
        state.first.is_some() || !state.held.is_empty()
    }

    pub(crate) fn adopt(&self, child: &Arc<Root>) {
        let mut children = lock(&self.children);
        if self.is_cancelled() {
            drop(children);
            child.cancel(true);
            return;
        }
        children.push(child.clone());
    }

    /// `child` has ended.
    pub(crate) fn disown(&self, child: &Root) {
        lock(&self.children).retain(|known| known.id != child.id);
    }

    /// This root was just cancelled: so are the roots nested in it.
    fn cancel_children(&self) {
        let children = std::mem::take(&mut *lock(&self.children));
        for child in children {
            child.cancel(true);
        }
    }

    /// The `all_panics` option: a panic outside any supervised function on a thread this
    /// root covers (or anywhere, when it is the process's catch-all root), and a panic
    /// caught inside one of its supervised functions, is a failure of this root.
    pub(crate) fn with_all_panics(mut self, all_panics: bool) -> Self {
        self.all_panics = all_panics;
        self
    }

    pub(crate) fn catches_all_panics(&self) -> bool {
        self.all_panics
    }

    /// This root keeps the names of its running workers (see
    /// [`running_workers`](Self::running_workers)).
    pub(crate) fn tracking(mut self) -> Self {
        self.running_list = Some(Mutex::new(Vec::new()));
        self
    }

    pub(crate) fn tracks_workers(&self) -> bool {
        self.running_list.is_some()
    }

    /// A worker starts running (tracking roots only).
    #[cold]
    pub(crate) fn track_start(&self, key: u64, name: WorkerName) {
        if let Some(list) = &self.running_list {
            lock(list).push(RunningWorker {
                key,
                name,
                since: std::time::Instant::now(),
                thread: std::thread::current().name().map(str::to_owned),
            });
        }
    }

    /// A worker stopped running (tracking roots only).
    #[cold]
    pub(crate) fn track_end(&self, key: u64) {
        if let Some(list) = &self.running_list {
            let mut list = lock(list);
            if let Some(index) = list.iter().rposition(|worker| worker.key == key) {
                list.remove(index);
            }
        }
    }

    /// The workers running now, oldest first (tracking roots only; empty otherwise).
    pub(crate) fn running_workers(&self) -> Vec<RunningWorker> {
        self.running_list
            .as_ref()
            .map(|list| lock(list).clone())
            .unwrap_or_default()
    }

    /// The calling thread runs the root's body.
    pub(crate) fn body_runs_here(&self) {
        let _ = self.body_thread.set(std::thread::current().id());
    }

    /// Whether the calling thread is the one that runs the root's body.
    pub(crate) fn is_body_thread(&self) -> bool {
        self.body_thread.get() == Some(&std::thread::current().id())
    }

    /// A number no other root of the process has.
    #[inline]
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn kind(&self) -> RootKind {
        self.kind
    }

    #[inline]
    fn has(&self, flag: u8) -> bool {
        self.flags.load(Ordering::Acquire) & flag != 0
    }

    /// Whether a failure reported now is part of this root's outcome.
    #[inline]
    pub(crate) fn is_collecting(&self) -> bool {
        self.has(COLLECTING)
    }

    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.has(CANCELLED)
    }

    pub(crate) fn has_ended(&self) -> bool {
        self.has(ENDED)
    }

    /// Whether this is a `main` root whose report is being printed, the process about
    /// to end: a panic now must not print into the report.
    pub(crate) fn is_ending(&self) -> bool {
        self.has(ENDING)
    }

    /// Whether the thread that records this root's first failure ends the process
    /// (after the patience for earlier panics): a `main` root with no grace period.
    /// Then a pool that aborts right after catching a panic cannot hide the report.
    pub(crate) fn ends_at_first_failure(&self) -> bool {
        matches!(self.kind, RootKind::Main { .. }) && self.grace.is_zero()
    }

    fn set_flags(&self, state: &State) {
        let mut flags = self.flags.load(Ordering::Relaxed) & (CANCELLED | ENDING);
        match state.phase {
            Phase::Running => flags |= COLLECTING,
            Phase::Failed => flags |= COLLECTING | CANCELLED,
            Phase::Sealed => flags |= SEALED,
            Phase::Ended => flags |= SEALED | ENDED,
        }
        self.flags.store(flags, Ordering::Release);
    }

    // --- failures ---------------------------------------------------------------

    /// A panic started in one of this root's workers: hold it until it is reported or
    /// known to be caught. `false` (and nothing held) if the root no longer collects.
    pub(crate) fn hold(&self, capture: &Arc<Capture>) -> bool {
        let mut state = lock(&self.state);
        if !matches!(state.phase, Phase::Running | Phase::Failed) {
            return false;
        }
        state.held.push(capture.clone());
        true
    }

    /// The held panic `seq` escaped a worker: it becomes a failure, named after the
    /// worker it happened in. `TooLate` if it is no longer held (reported already, or
    /// reported by `finish` as it decided the outcome).
    pub(crate) fn report_held(&self, seq: u64) -> Recorded {
        let mut state = lock(&self.state);
        let Some(capture) = take_held(&mut state, seq) else {
            return Recorded::TooLate;
        };
        capture.set_resolution(crate::report::Resolution::Reported);
        let failure = capture.to_failure(capture.worker.unwrap_or(WorkerName::Named("?")));
        let recorded = self.record_locked(&mut state, failure);
        self.after_record(state, recorded);
        recorded
    }

    /// Takes the held panic `seq` for a failure of another root (a panic re-raised
    /// in a worker of a root other than the one it started under).
    pub(crate) fn take_held(&self, seq: u64) -> Option<Arc<Capture>> {
        let mut state = lock(&self.state);
        let capture = take_held(&mut state, seq)?;
        capture.set_resolution(crate::report::Resolution::Reported);
        drop(state);
        self.changed.notify_all();
        Some(capture)
    }

    /// The held panic `seq` was caught by user code: it is no failure. Returns it (to
    /// print its held-back message) if it was still held.
    pub(crate) fn release_caught(&self, seq: u64) -> Option<Arc<Capture>> {
        let mut state = lock(&self.state);
        let capture = take_held(&mut state, seq)?;
        capture.set_resolution(crate::report::Resolution::Caught);
        drop(state);
        self.changed.notify_all();
        Some(capture)
    }

    /// Records a failure: a returned `Err`, or a panic the root did not hold. The
    /// first one cancels the root and wakes everyone waiting on it.
    pub(crate) fn fail(&self, failure: Failure) -> Recorded {
        let mut state = lock(&self.state);
        let recorded = self.record_locked(&mut state, failure);
        self.after_record(state, recorded);
        recorded
    }

    fn record_locked(&self, state: &mut State, failure: Failure) -> Recorded {
        // For the failure hooks and `tracing` (only when wanted: the clone costs).
        let to_announce = alerts::announced().then(|| failure.clone());
        let recorded = self.record_locked_for_report(state, failure);
        // A failure too late for this root is announced where it ends up (the root a
        // scope was made in, or the line that says it: `worker::record`), once.
        if let Some(failure) = to_announce {
            let disposition = match recorded {
                Recorded::First => Some(Disposition::FailedRoot),
                Recorded::Later => Some(Disposition::Later),
                Recorded::TooLate => None,
            };
            if let Some(disposition) = disposition {
                state.to_announce.push((failure, disposition));
            }
        }
        recorded
    }

    /// Tells the hooks and `tracing` of the failures recorded under the lock just
    /// released.
    fn announce(&self, failures: Vec<(Failure, Disposition)>) {
        for (failure, disposition) in failures {
            alerts::announce(&failure, disposition);
        }
    }

    fn record_locked_for_report(&self, state: &mut State, failure: Failure) -> Recorded {
        if !matches!(state.phase, Phase::Running | Phase::Failed) {
            return Recorded::TooLate;
        }
        if let Some(first) = &mut state.first {
            // The report is built from the failure that happened first, which is not
            // always the first to arrive: a panic's unwinding can make other workers
            // fail before it reaches its own supervised call.
            let later = if failure.seq < first.seq {
                std::mem::replace(first, failure)
            } else {
                failure
            };
            state.others += 1;
            state.listed.push(later);
            state.listed.sort_by_key(|failure| failure.seq);
            state.listed.truncate(LISTED_OTHERS);
            return Recorded::Later;
        }
        state.first = Some(failure);
        if state.cancelled_at.is_none() {
            state.cancelled_at = Some(self.clock.now());
        }
        state.phase = Phase::Failed;
        self.flags.fetch_or(CANCELLED, Ordering::Release);
        self.set_flags(state);
        Recorded::First
    }

    /// Wakes whoever a record concerns, after the lock is released.
    fn after_record(&self, mut state: crate::sync::MutexGuard<'_, State>, recorded: Recorded) {
        let notice = (recorded == Recorded::First)
            .then(|| self.grace_notice(&state))
            .flatten();
        let to_announce = std::mem::take(&mut state.to_announce);
        drop(state);
        self.announce(to_announce);
        if recorded == Recorded::TooLate {
            return;
        }
        self.changed.notify_all();
        if recorded == Recorded::First {
            self.wake_cancelled();
            self.cancel_children();
            if let Some(notice) = notice {
                stderr::print(&notice);
            }
        }
    }

    /// The notice a `main` root with a grace period prints at its first failure. It
    /// names the failure that happened first: a panic still unwinding may have
    /// started before the failure that arrived first.
    fn grace_notice(&self, state: &State) -> Option<String> {
        let first = state.first.as_ref()?;
        if !matches!(self.kind, RootKind::Main { .. }) || self.grace.is_zero() {
            return None;
        }
        let earlier = state
            .held
            .iter()
            .filter(|capture| capture.seq < first.seq)
            .min_by_key(|capture| capture.seq);
        let (worker, kind) = match earlier {
            Some(capture) => (
                capture.worker.unwrap_or(WorkerName::Named("?")).to_cow(),
                FailureKind::Panic,
            ),
            None => (first.worker.clone(), first.kind),
        };
        let verb = match kind {
            FailureKind::Panic => "panicked",
            FailureKind::Error => "returned an error",
            FailureKind::Cancelled => "did not finish",
            FailureKind::Stalled => "stalled",
            FailureKind::Interrupted => "was interrupted",
        };
        if state.stop_asked {
            // Stopping already (a signal, `fate::cancel()`): the grace period runs from
            // then, and this failure is the report.
            return Some(format!(
                "fate: worker `{worker}` {verb} while the program stops: it is the report\n"
            ));
        }
        Some(format!(
            "fate: worker `{worker}` {verb}; cancelling, and giving the others up to {} to \
             finish\n",
            DisplayDuration(self.grace)
        ))
    }

    // --- the body and the outcome ---------------------------------------------

    /// The body has returned or panicked (a panic was reported as a failure first).
    pub(crate) fn body_finished(&self) {
        lock(&self.state).body_done = true;
        self.changed.notify_all();
    }

    pub(crate) fn body_is_done(&self) -> bool {
        lock(&self.state).body_done
    }

    /// Decides the root's one outcome: reports every panic still held (after
    /// [`await_held`](Self::await_held), these are the ones that did not arrive in
    /// time), seals, and hands the report, or `None`, to exactly one caller.
    pub(crate) fn finish(&self) -> Finish {
        self.finish_with(None)
    }

    /// Records `failure` and decides the outcome in one step: under `panic = "abort"`
    /// the process ends as soon as the panic hook returns, and no other thread may
    /// decide (and act on) the outcome in between.
    pub(crate) fn fail_and_finish(&self, failure: Failure) -> Finish {
        self.finish_with(Some(failure))
    }

    fn finish_with(&self, failure: Option<Failure>) -> Finish {
        let mut state = lock(&self.state);
        if !matches!(state.phase, Phase::Running | Phase::Failed) {
            return Finish::Lost;
        }
        let was_cancelled = self.is_cancelled();
        if let Some(failure) = failure {
            let _ = self.record_locked(&mut state, failure);
        }
        for capture in std::mem::take(&mut state.held) {
            capture.set_resolution(crate::report::Resolution::Reported);
            let failure = capture.to_failure(capture.worker.unwrap_or(WorkerName::Named("?")));
            let _ = self.record_locked(&mut state, failure);
        }
        state.phase = Phase::Sealed;
        state.decided_failed = state.first.is_some();
        let now = self.clock.now();
        let error = match state.first.take() {
            Some(first) => {
                let restarts = restarts_before(&state, &first, now);
                let not_critical = std::mem::take(&mut state.not_critical);
                Some(Error::with_history(
                    first,
                    std::mem::take(&mut state.listed),
                    state.others,
                    restarts,
                    not_critical,
                ))
            }
            // Stopped by a signal, and nothing failed (not even the body, whose own
            // error `main` returns): the report says so.
            None if state.body_failed => None,
            None => state.interrupted.map(|signal| {
                Error::with_history(
                    interrupted(signal, self.body_name()),
                    Vec::new(),
                    0,
                    Restarts::default(),
                    std::mem::take(&mut state.not_critical),
                )
            }),
        };
        state.decided_status = error.as_ref().map(Error::exit_code);
        if error.is_some() && matches!(self.kind, RootKind::Main { .. }) {
            self.flags.fetch_or(ENDING, Ordering::Release);
        }
        self.set_flags(&state);
        let to_announce = std::mem::take(&mut state.to_announce);
        drop(state);
        self.announce(to_announce);
        self.changed.notify_all();
        if self.is_cancelled() && !was_cancelled {
            self.wake_cancelled();
            self.cancel_children();
        }
        Finish::Won(error)
    }

    /// A worker's restart policy handled `failure`, a failure of `restarter` (or of a
    /// call inside it). `false` if the root has decided its outcome: no more restarts.
    pub(crate) fn note_restart(&self, restarter: WorkerName, failure: &Failure) -> bool {
        let mut state = lock(&self.state);
        if !matches!(state.phase, Phase::Running | Phase::Failed) {
            return false;
        }
        if state.restarts.len() < KEPT_RESTARTS {
            let at = self.clock.now();
            state.restarts.push(Restarted {
                restarter,
                worker: failure.worker.clone(),
                summary: failure.summary_line(),
                at,
            });
        } else {
            state.restarts_dropped += 1;
        }
        true
    }

    /// A `critical = false` worker failed: kept for the report, if the root makes one.
    pub(crate) fn note_not_critical(&self, failure: &Failure) {
        let mut state = lock(&self.state);
        if matches!(state.phase, Phase::Running | Phase::Failed) {
            state.not_critical.push(failure.summary_line());
        }
    }

    /// What a report names the root's body: `main`, or `body` (a `Supervisor`'s, a
    /// scope's, a test's).
    fn body_name(&self) -> &'static str {
        match self.kind {
            RootKind::Main { .. } => "main",
            _ => "body",
        }
    }

    /// The report of a stop whose body had not returned when the grace period ended
    /// (it is cut off).
    pub(crate) fn cut_off(&self) -> Error {
        let message = format!(
            "the root was cancelled, and its body did not return within the grace period ({})",
            DisplayDuration(self.grace)
        );
        Error::new(
            Failure::bare(self.body_name(), FailureKind::Cancelled, message),
            Vec::new(),
            0,
        )
    }

    /// The status of the report the root's outcome was decided with, if any.
    #[cfg(all(feature = "signals", unix))]
    pub(crate) fn decided_status(&self) -> Option<u8> {
        lock(&self.state).decided_status
    }

    /// `main`'s body returned a failure of its own (an `Err`, a failing `ExitCode`):
    /// `main` returns it, a signal or not.
    pub(crate) fn body_returned_failure(&self) {
        lock(&self.state).body_failed = true;
    }

    /// Whether a signal stopped the root.
    #[cfg(all(feature = "signals", unix))]
    pub(crate) fn is_interrupted(&self) -> bool {
        lock(&self.state).interrupted.is_some()
    }

    /// Why the root is stopping, in one line: its first failure, the signal, or
    /// `fate::cancel()`.
    pub(crate) fn stop_summary(&self) -> String {
        let state = lock(&self.state);
        if let Some(first) = &state.first {
            return first.summary_line();
        }
        match state.interrupted {
            Some(signal) => signal.stopped_the_root(),
            None => "stopping: fate::cancel()".to_owned(),
        }
    }

    /// What is left of the grace period, counted from the cancellation; `None` when
    /// the root has no grace period.
    pub(crate) fn grace_left(&self) -> Option<Duration> {
        if self.grace.is_zero() {
            return None;
        }
        let cancelled_at = lock(&self.state).cancelled_at?;
        let ends = cancelled_at.saturating_add(self.grace);
        Some(ends.saturating_sub(self.clock.now()))
    }

    /// The root is gone: threads may forget it.
    pub(crate) fn end(&self) {
        let mut state = lock(&self.state);
        state.phase = Phase::Ended;
        state.held.clear();
        self.set_flags(&state);
        drop(state);
        // Counters hold their root: forgetting them here breaks that cycle.
        lock(&self.counters).clear();
        lock(&self.children).clear();
        health::clear_root(self.id());
        self.changed.notify_all();
        LIVE.fetch_sub(1, StdOrdering::AcqRel);
    }

    // --- waits ------------------------------------------------------------------

    /// Waits until the root is cancelled (a failure, or `fate::cancel()`) or the body
    /// is done; `true` for a failure.
    pub(crate) fn wait_for_failure_or_body(&self) -> bool {
        self.wait_until(None, Counting::Nothing, |state, _| {
            state.cancelled_at.is_some() || state.body_done
        });
        lock(&self.state).first.is_some()
    }

    /// [`wait_for_failure_or_body`](Self::wait_for_failure_or_body), for at most
    /// `limit`; `false` if the time ran out first.
    pub(crate) fn wait_for_failure_or_body_within(&self, limit: Duration) -> bool {
        let deadline = self.clock.now().checked_add(limit);
        self.wait_until(deadline, Counting::Nothing, |state, _| {
            state.cancelled_at.is_some() || state.body_done
        })
    }

    /// Waits until a failure is recorded; `false` if the outcome was decided first.
    pub(crate) fn wait_for_failure(&self) -> bool {
        self.wait_until(None, Counting::Nothing, |state, _| {
            state.first.is_some() || !matches!(state.phase, Phase::Running | Phase::Failed)
        });
        lock(&self.state).first.is_some()
    }

    /// Waits until the root is cancelled (a failure, or `fate::cancel()`); `false` if
    /// the outcome was decided first (the program ended without either).
    pub(crate) fn wait_for_cancellation(&self) -> bool {
        self.wait_until(None, Counting::Nothing, |state, _| {
            state.cancelled_at.is_some() || !matches!(state.phase, Phase::Running | Phase::Failed)
        });
        lock(&self.state).cancelled_at.is_some()
    }

    /// Whether the root must end without its body once the grace period is over: a
    /// failure, or a `fate::cancel()` from another thread than the body's.
    pub(crate) fn ends_without_body(&self) -> bool {
        let state = lock(&self.state);
        state.first.is_some() || state.cancel_ends_without_body
    }

    /// `fate::cancel()`: cancels the root without a failure (once; a root cancelled
    /// already stays as it is). `from_body` tells whether the body's own thread asked,
    /// which then returns by itself. Returns whether this cancelled the root.
    #[cfg(any(all(feature = "signals", unix), all(test, fate_loom)))]
    /// A signal asks the root to stop (feature `signals`): it is cancelled as by
    /// `fate::cancel()` from another thread, and, if nothing fails meanwhile, ends with
    /// the report that it was interrupted. `false` if a signal came before (the caller
    /// then ends the process at once) or the outcome is decided.
    pub(crate) fn interrupt(&self, signal: Signal) -> bool {
        let mut state = lock(&self.state);
        if !matches!(state.phase, Phase::Running | Phase::Failed) || state.interrupted.is_some() {
            return false;
        }
        state.interrupted = Some(signal);
        let notice = (!self.grace.is_zero() && state.first.is_none()).then(|| {
            format!(
                "fate: {}; stopping, and giving the workers up to {} to finish\n",
                signal.stopped_the_root(),
                DisplayDuration(self.grace)
            )
        });
        drop(state);
        if let Some(notice) = notice {
            stderr::print(&notice);
        }
        self.cancel(false);
        true
    }

    pub(crate) fn cancel(&self, from_body: bool) -> bool {
        let mut state = lock(&self.state);
        if !matches!(state.phase, Phase::Running | Phase::Failed) || state.cancelled_at.is_some() {
            return false;
        }
        state.cancelled_at = Some(self.clock.now());
        state.cancel_ends_without_body = !from_body;
        state.stop_asked = true;
        self.flags.fetch_or(CANCELLED, Ordering::Release);
        drop(state);
        self.changed.notify_all();
        self.wake_cancelled();
        self.cancel_children();
        true
    }

    /// Once the body is done: waits for what the options ask. With `wait` after a
    /// success, until the running workers have finished or one fails; after a
    /// failure, until the body and every running worker have finished or the grace
    /// period is over. Returns whether everything finished.
    pub(crate) fn settle(&self, body: BodyEnd) -> bool {
        self.settle_within(body, None).unwrap_or(false)
    }

    /// [`settle`](Self::settle), the wait for the running workers (`wait`) ending at
    /// `deadline` (by the root's clock): `None` if it did.
    pub(crate) fn settle_within(&self, body: BodyEnd, deadline: Option<Duration>) -> Option<bool> {
        if body == BodyEnd::Succeeded && self.after_body == AfterBody::WaitForWorkers {
            let finished = self.wait_until(deadline, Counting::Running, |state, running| {
                state.first.is_some() || running == 0
            });
            if !finished {
                return None;
            }
        }
        Some(self.wait_out_grace())
    }

    /// After a failure or a cancellation: waits until the body and every running worker
    /// have finished, or the grace period (counted from the cancellation) is over.
    /// Returns whether all finished; with no cancellation, whether the body is done.
    pub(crate) fn wait_out_grace(&self) -> bool {
        let cancelled_at = lock(&self.state).cancelled_at;
        let Some(cancelled_at) = cancelled_at else {
            return lock(&self.state).body_done;
        };
        let deadline = cancelled_at.checked_add(self.grace);
        self.wait_until(deadline, Counting::Running, |state, running| {
            state.body_done && running == 0
        })
    }

    /// Before the outcome is decided: waits (at most `patience`) until no panic of this
    /// root's workers is held, so that one still unwinding reaches its supervised call
    /// and is reported as it happened. Usually none is held, and this returns at once.
    /// Panics held on the calling thread (`here`) are not waited for: only that
    /// thread could resolve them.
    pub(crate) fn await_held(&self, patience: Duration, here: &[u64]) -> bool {
        let deadline = self.clock.now().checked_add(patience);
        self.wait_until(deadline, Counting::Nothing, |state, _| {
            state.held.iter().all(|capture| here.contains(&capture.seq))
        })
    }

    /// Blocks until cancelled or `timeout` passes; returns whether cancelled.
    pub(crate) fn wait_cancelled(&self, timeout: Duration) -> bool {
        if self.is_cancelled() {
            return true;
        }
        let deadline = self.clock.now().checked_add(timeout);
        self.wait_until(deadline, Counting::Nothing, |_, _| self.is_cancelled())
    }

    /// Moves the root's clock on and wakes its waits with a deadline (models only).
    #[cfg(all(test, fate_loom))]
    pub(crate) fn advance_clock(&self, by: Duration) {
        let state = lock(&self.state);
        self.clock.advance(by);
        drop(state);
        self.changed.notify_all();
    }

    fn wait_until(
        &self,
        deadline: Option<Duration>,
        counting: Counting,
        mut done: impl FnMut(&State, usize) -> bool,
    ) -> bool {
        if counting == Counting::Running {
            self.watching_running.store(true, Ordering::Relaxed);
            fence(Ordering::SeqCst); // pairs with `wake_if_watching`
        }
        let mut state = lock(&self.state);
        loop {
            let running = match counting {
                Counting::Running => self.running(),
                Counting::Nothing => 0,
            };
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

    // --- running workers ----------------------------------------------------------

    /// A new counter of running workers, for one thread.
    pub(crate) fn new_counter(root: &Arc<Root>) -> Arc<Counter> {
        let counter = Arc::new(Counter::new(root.clone()));
        if root.has_ended() {
            // Nobody waits any more; not keeping it leaves no cycle behind.
            return counter;
        }
        let mut counters = lock(&root.counters);
        // Forget the counters of threads that are gone and left nothing running.
        counters.retain(|counter| !(counter.retired.load(Ordering::Acquire) && counter.is_idle()));
        counters.push(counter.clone());
        counter
    }

    /// Supervised calls in progress under this root, on any thread.
    pub(crate) fn running(&self) -> usize {
        lock(&self.counters)
            .iter()
            .map(|counter| counter.running())
            .sum()
    }

    /// How many counters of running workers this root keeps (for tests: one per
    /// thread that ran a worker and is still alive, or left one running).
    #[cfg(all(test, not(fate_loom)))]
    pub(crate) fn counter_count(&self) -> usize {
        lock(&self.counters).len()
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

    // --- cancellation wakers ----------------------------------------------------

    /// Registers the waker of a `fate::cancelled()` future, in O(1): `key` is its
    /// place, given on the first registration and kept by the future. `false` if the
    /// root is cancelled already (then nothing is registered).
    pub(crate) fn register_waker(&self, key: &mut Option<usize>, waker: &Waker) -> bool {
        let mut wakers = lock(&self.wakers);
        // Checked under the lock that cancelling takes the wakers under: no lost
        // wake-up.
        if self.is_cancelled() {
            return false;
        }
        match key.and_then(|key| wakers.slots.get_mut(key)) {
            Some(Some(known)) => {
                if !known.will_wake(waker) {
                    known.clone_from(waker);
                }
            }
            _ => *key = Some(wakers.insert(waker.clone())),
        }
        true
    }

    /// Forgets the waker at `key`, in O(1).
    pub(crate) fn unregister_waker(&self, key: usize) {
        lock(&self.wakers).remove(key);
    }

    fn wake_cancelled(&self) {
        let wakers = std::mem::take(&mut *lock(&self.wakers));
        for waker in wakers.slots.into_iter().flatten() {
            waker.wake();
        }
    }
}

fn take_held(state: &mut State, seq: u64) -> Option<Arc<Capture>> {
    let index = state.held.iter().position(|capture| capture.seq == seq)?;
    Some(state.held.swap_remove(index))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Counting {
    /// The wait's condition reads the number of running workers.
    Running,
    Nothing,
}

/// The wakers of `fate::cancelled()` futures, each in a place of its own, so that
/// registering, re-registering and forgetting one cost O(1) whatever their number.
#[derive(Default)]
struct Wakers {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Wakers {
    fn insert(&mut self, waker: Waker) -> usize {
        match self.free.pop() {
            Some(key) => {
                self.slots[key] = Some(waker);
                key
            }
            None => {
                self.slots.push(Some(waker));
                self.slots.len() - 1
            }
        }
    }

    fn remove(&mut self, key: usize) {
        // After a cancellation the slots are gone: a late removal finds nothing.
        if let Some(slot) = self.slots.get_mut(key) {
            if slot.take().is_some() {
                self.free.push(key);
            }
        }
    }
}

/// The supervised calls in progress under one root on one thread: read by the root
/// when it waits, written on the hot path without contention.
///
/// `calls` counts the thread's outermost sync calls and is written by that thread
/// alone, so entering is a plain store; `futures` counts the supervised futures made
/// on the thread, which may end on another thread, so it takes atomic
/// read-modify-writes.
#[derive(Debug)]
pub(crate) struct Counter {
    calls: AtomicUsize,
    futures: AtomicUsize,
    /// The thread that owned it has exited.
    retired: AtomicBool,
    /// `root.id()`, kept here so that the hot path reads one cache line.
    root_id: u64,
    /// `root.tracks_workers()`, likewise.
    tracks: bool,
    /// A supervised future holds its root through the counter of the thread that
    /// made it, so that making futures on several threads never writes one shared
    /// reference count.
    root: Arc<Root>,
}

impl Counter {
    fn new(root: Arc<Root>) -> Self {
        Counter {
            calls: AtomicUsize::new(0),
            futures: AtomicUsize::new(0),
            retired: AtomicBool::new(false),
            root_id: root.id,
            tracks: root.tracks_workers(),
            root,
        }
    }

    /// Whether the root keeps the names of its running workers.
    #[inline]
    pub(crate) fn tracks(&self) -> bool {
        self.tracks
    }

    #[inline]
    pub(crate) fn root_id(&self) -> u64 {
        self.root_id
    }

    #[inline]
    pub(crate) fn root(&self) -> &Arc<Root> {
        &self.root
    }

    /// A sync call starts; only the counter's own thread calls this.
    #[inline]
    pub(crate) fn enter_call(&self) {
        // Relaxed: a worker that starts while the root checks was "not started yet".
        let calls = self.calls.load(Ordering::Relaxed);
        self.calls.store(calls + 1, Ordering::Relaxed);
    }

    /// A sync call ends; only the counter's own thread calls this.
    #[inline]
    pub(crate) fn leave_call(&self) {
        let calls = self.calls.load(Ordering::Relaxed);
        self.calls.store(calls.wrapping_sub(1), Ordering::Relaxed);
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

    /// The thread that owned it exited.
    pub(crate) fn retire(&self) {
        self.retired.store(true, Ordering::Release);
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.running() == 0
    }
}

/// The restarts of the worker that `first` names, for its report.
fn restarts_before(state: &State, first: &Failure, now: Duration) -> Restarts {
    let of_worker: Vec<&Restarted> = state
        .restarts
        .iter()
        .filter(|restarted| {
            restarted.worker == first.worker || restarted.restarter.to_cow() == first.worker
        })
        .collect();
    let Some(earliest) = of_worker.first() else {
        return Restarts::default();
    };
    let dropped = if of_worker.len() == state.restarts.len() {
        state.restarts_dropped
    } else {
        0
    };
    Restarts {
        count: of_worker.len() + dropped,
        over: now.saturating_sub(earliest.at),
        listed: of_worker
            .iter()
            .take(LISTED_OTHERS)
            .map(|restarted| restarted.summary.clone())
            .collect(),
    }
}

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
