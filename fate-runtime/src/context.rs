//! Where the current thread stands, for fate: which root covers it, which supervised
//! call is innermost, which panics it holds back, and which `Err` an inner call
//! passed up. All of it lives in one thread-local, [`CONTEXT`]; next to it, the
//! process root.
//!
//! A thread's root is, in order: the root of the supervised future being polled on
//! it (lent for the poll), the root carried into the thread (its *own* root: the body
//! thread of a `Supervisor`, a `fate::spawn`ed thread, the thread of `main`), and
//! otherwise the process root (`#[supervised] fn main`'s). A thread none of these
//! covers runs supervised functions as plain functions.
//!
//! The supervised calls running on a thread form a stack of *frames*, each saved by
//! the call itself and restored when it leaves; the thread-local keeps only the
//! innermost. Frame ids grow along the stack, so "this panic happened inside that
//! frame" is a comparison of ids.

use std::cell::{Cell, RefCell};
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::report::{Capture, ErrorText, WorkerName};
use crate::root::{Counter, Root};
use crate::stderr;
use crate::sync::Arc;

// --- the process root -------------------------------------------------------------

static PROCESS_ROOT: Mutex<Option<Arc<Root>>> = Mutex::new(None);
/// Changed whenever the process root is: odd while there is one. Threads cache their
/// counter for it by this number.
static PROCESS_VERSION: AtomicU64 = AtomicU64::new(0);

/// Keeps `main`'s root as the process root until dropped; then the one it replaced
/// (a supervised `fn main` called from another, such as a module's `cli::main`) is
/// the process root again.
#[must_use]
pub(crate) struct ProcessRoot {
    root: Arc<Root>,
    previous: Option<Arc<Root>>,
}

/// Makes `root` the process root: every thread that no other root covers reports to
/// it.
pub(crate) fn install_process_root(root: &Arc<Root>) -> ProcessRoot {
    let mut process = PROCESS_ROOT.lock().unwrap_or_else(|e| e.into_inner());
    let previous = process.replace(root.clone());
    set_process_version(process.is_some());
    ProcessRoot {
        root: root.clone(),
        previous,
    }
}

/// A new version of the process root (odd while there is one).
fn set_process_version(present: bool) {
    let version = (PROCESS_VERSION.load(Ordering::Relaxed) | 1) + 2;
    let version = if present { version } else { version & !1 };
    PROCESS_VERSION.store(version, Ordering::Release);
}

impl Drop for ProcessRoot {
    fn drop(&mut self) {
        let mut process = PROCESS_ROOT.lock().unwrap_or_else(|e| e.into_inner());
        if process
            .as_ref()
            .is_some_and(|root| Arc::ptr_eq(root, &self.root))
        {
            *process = self
                .previous
                .take()
                .filter(|previous| !previous.has_ended());
            set_process_version(process.is_some());
        }
    }
}

/// The root that takes every panic of the process that no supervised function holds
/// (a root with `all_panics` that asked to be it: `main`'s, a `Supervisor`'s, a test's
/// alone in its process).
static CATCH_ALL: Mutex<Option<Arc<Root>>> = Mutex::new(None);

/// Keeps a root as the process's catch-all root until dropped.
#[must_use]
pub(crate) struct CatchAll {
    root: Arc<Root>,
}

/// Makes `root` the root that every panic no supervised function holds is a failure of.
pub(crate) fn install_catch_all(root: &Arc<Root>) -> CatchAll {
    *CATCH_ALL.lock().unwrap_or_else(|e| e.into_inner()) = Some(root.clone());
    CatchAll { root: root.clone() }
}

impl Drop for CatchAll {
    fn drop(&mut self) {
        let mut catch_all = CATCH_ALL.lock().unwrap_or_else(|e| e.into_inner());
        if catch_all
            .as_ref()
            .is_some_and(|root| Arc::ptr_eq(root, &self.root))
        {
            *catch_all = None;
        }
    }
}

/// The root a panic that no supervised function holds is a failure of, if any: the
/// root covering this thread if it has `all_panics`, else the catch-all root.
pub(crate) fn all_panics_root() -> Option<Arc<Root>> {
    current_root()
        .filter(|root| root.catches_all_panics())
        .or_else(|| CATCH_ALL.lock().unwrap_or_else(|e| e.into_inner()).clone())
}

// --- frames -----------------------------------------------------------------------

/// What kind of supervised code a frame is: what it encloses, and whether it counts
/// as a running worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameKind {
    /// The body of a root (or one poll of an async `main`'s body): it encloses nothing,
    /// so a supervised call made directly in it is outermost. Not a running worker:
    /// the root tracks its body itself.
    RootBody,
    /// A `fate::spawn`ed closure: it encloses nothing either, and it is a running
    /// worker.
    Spawned,
    /// A call of a supervised function: it encloses the supervised calls made in it;
    /// a running worker when it is outermost.
    Call,
    /// One poll of a supervised future: it encloses the supervised calls and the
    /// supervised futures polled in it (awaited by it). The future counts itself as
    /// running, from its first poll to its end.
    Poll,
}

impl FrameKind {
    /// Whether a frame of this kind encloses the frames entered inside it.
    fn encloses_anything(self) -> bool {
        matches!(self, FrameKind::Call | FrameKind::Poll)
    }

    /// Whether a frame of this kind, outermost, counts as a running worker on the
    /// thread's counter.
    fn counts_as_running(self) -> bool {
        matches!(self, FrameKind::Spawned | FrameKind::Call)
    }
}

/// One supervised call running on this thread, as the thread-local keeps it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    /// Grows along the thread's stack of frames.
    pub(crate) id: u64,
    /// The call or future the frame belongs to: a future's polls share it.
    pub(crate) owner: u64,
    pub(crate) name: WorkerName,
    pub(crate) kind: FrameKind,
    /// The id of the frame's root.
    pub(crate) root: u64,
}

impl Frame {
    /// Whether this frame, as the innermost, encloses a new frame of `kind` under the
    /// root `root` (so that what escapes the new frame is this one's business).
    fn encloses(&self, kind: FrameKind, root: u64) -> bool {
        self.root == root
            && match kind {
                FrameKind::RootBody | FrameKind::Spawned => false,
                FrameKind::Call => self.kind.encloses_anything(),
                // An executor polling a future as its own task is never inside
                // another supervised future's poll; a future awaited by one is.
                FrameKind::Poll => self.kind == FrameKind::Poll,
            }
    }
}

/// Which of the thread's counters a call counts itself on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Home {
    Own,
    Process,
}

/// A frame entered on this thread; give it back to [`leave`].
#[derive(Debug)]
#[must_use]
pub(crate) struct Entered {
    pub(crate) frame: Frame,
    /// The frame it covers; `Some` and enclosing when the call is not outermost.
    pub(crate) outer: Option<Frame>,
    pub(crate) enclosed: bool,
    /// Where it counts itself as running (outermost calls only), and the address of
    /// that counter, to lower the same one.
    counted: Option<(Home, usize)>,
}

/// How a frame leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Leaving {
    /// Its code returned (or a poll returned `Pending` or `Ready`).
    Normally,
    /// A panic unwinds out of it.
    Unwinding,
}

// --- held panics and passed-up errors --------------------------------------------

/// A panic the hook saw start on this thread inside a supervised call, and held back
/// for its root.
#[derive(Debug)]
pub(crate) struct Held {
    pub(crate) capture: Arc<Capture>,
    pub(crate) root: Arc<Root>,
    /// The frame it is unwinding in (where it started, then each encloser it reaches).
    frame: u64,
    /// It has unwound out of the frame it started in into an enclosing one: caught
    /// there, it may still be re-raised (a pool's `join`), so only the end of that
    /// frame tells it was caught for good.
    carried: bool,
    /// Rust's default message was held back (else a hook of the user's printed it).
    held_back: bool,
}

/// An `Err` an enclosed supervised call returned to its encloser: if the encloser
/// returns it unchanged, it is that call's failure.
#[derive(Debug)]
pub(crate) struct PassedUp {
    /// The `owner` of the enclosing frame it was returned to.
    pub(crate) encloser: u64,
    /// The innermost supervised call it came from.
    pub(crate) worker: WorkerName,
    pub(crate) seq: u64,
    pub(crate) returned: ErrorText,
    /// The `exit_code = N` of the innermost call it was returned by that has one.
    pub(crate) exit_code: Option<u8>,
}

/// What the thread is formatting on fate's behalf: a panic there is fate's to catch,
/// and the hook stays silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Formatting {
    Nothing,
    /// The `Err` the worker returned (its `Display`, its `source()` chain).
    ErrorOf(WorkerName),
    /// A report, as `main` returning it would print it (the `Debug` of `main`'s
    /// error type).
    Report,
}

// --- the thread-local ---------------------------------------------------------------

/// The roots that may cover the thread, each with the thread's counter for it: one
/// `RefCell`, so that finding the current one is one borrow.
struct Homes {
    /// The counter of the supervised future being polled here, lent by it: its root,
    /// and where futures made during the poll count.
    lent: Option<Arc<Counter>>,
    /// The thread's own root.
    own: Option<Arc<Counter>>,
    /// The process root, as of `process_version`.
    process: Option<Arc<Counter>>,
    process_version: u64,
}

/// The thread's state. It has no destructor of its own (every field that owns something
/// is in a `ManuallyDrop`), so that reaching it is a plain thread-local access the
/// optimiser inlines; [`CleanUp`] empties it when the thread exits.
struct Context {
    homes: ManuallyDrop<RefCell<Homes>>,
    innermost: Cell<Option<Frame>>,
    next_frame: Cell<u64>,
    /// This thread's number among the threads that made supervised futures (0: not
    /// yet), and how many it made: a future's owner id is made of the two.
    future_thread: Cell<u64>,
    futures_made: Cell<u64>,
    held: ManuallyDrop<RefCell<Vec<Held>>>,
    /// Whether `held` is not empty: the hot path reads this, not the `RefCell`.
    holds: Cell<bool>,
    /// The `Err`s enclosed calls returned to their enclosers, newest last (a few: a
    /// record lives until its encloser returns, or is pushed out).
    passed_up: ManuallyDrop<RefCell<Vec<PassedUp>>>,
    formatting: Cell<Formatting>,
    /// The heartbeats of the innermost worker with `stall = ".."` running here.
    beats: ManuallyDrop<RefCell<Option<Arc<Beats>>>>,
    /// The call or future (its owner id) whose returned `Err` is handled already (a
    /// restart it told of, then cut short by cancellation): not to report.
    handled: Cell<u64>,
}

thread_local! {
    static CONTEXT: Context = const {
        Context {
            homes: ManuallyDrop::new(RefCell::new(Homes {
                lent: None,
                own: None,
                process: None,
                process_version: 0,
            })),
            innermost: Cell::new(None),
            next_frame: Cell::new(1),
            future_thread: Cell::new(0),
            futures_made: Cell::new(0),
            held: ManuallyDrop::new(RefCell::new(Vec::new())),
            holds: Cell::new(false),
            passed_up: ManuallyDrop::new(RefCell::new(Vec::new())),
            formatting: Cell::new(Formatting::Nothing),
            beats: ManuallyDrop::new(RefCell::new(None)),
            handled: Cell::new(0),
        }
    };

    /// Runs [`Context::clean_up`] when the thread exits. Registered (touched) by the
    /// first thing that makes the context own something.
    static CLEAN_UP: CleanUp = const { CleanUp };
}

/// Empties the thread's [`Context`] as the thread exits.
struct CleanUp;

impl Drop for CleanUp {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(Context::clean_up);
    }
}

/// The context is about to own something: make sure it is emptied at thread exit.
fn clean_up_at_exit() {
    let _ = CLEAN_UP.try_with(|_| ());
}

impl Context {
    /// The thread is gone, its stack unwound: every panic still held was caught, and
    /// the counters of its roots will not move again.
    fn clean_up(&self) {
        let held = self
            .held
            .try_borrow_mut()
            .map(|mut held| std::mem::take(&mut *held))
            .unwrap_or_default();
        self.holds.set(false);
        for held in held {
            release(held);
        }
        let counters = self
            .homes
            .try_borrow_mut()
            .map(|mut homes| [homes.own.take(), homes.process.take(), homes.lent.take()]);
        for counter in counters.into_iter().flatten().flatten() {
            counter.retire();
        }
        if let Ok(mut passed_up) = self.passed_up.try_borrow_mut() {
            std::mem::take(&mut *passed_up);
        }
        if let Ok(mut beats) = self.beats.try_borrow_mut() {
            beats.take();
        }
    }
}

impl Context {
    /// The counter (and so the root) of a worker running on this thread now.
    #[inline]
    fn with_counter<T>(&self, f: impl FnOnce(Option<&Arc<Counter>>, Option<Home>) -> T) -> T {
        let version = PROCESS_VERSION.load(Ordering::Acquire);
        let homes = self.homes.borrow();
        if let Some(counter) = homes.lent.as_ref() {
            return f(Some(counter), None);
        }
        if let Some(counter) = homes.own.as_ref() {
            return f(Some(counter), Some(Home::Own));
        }
        if version & 1 == 0 {
            return f(None, None);
        }
        if homes.process_version != version {
            drop(homes);
            self.refresh_process(version);
            return f(self.homes.borrow().process.as_ref(), Some(Home::Process));
        }
        f(homes.process.as_ref(), Some(Home::Process))
    }

    #[cold]
    fn refresh_process(&self, version: u64) {
        let root = PROCESS_ROOT
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let counter = root.map(|root| Root::new_counter(&root));
        clean_up_at_exit();
        let mut homes = self.homes.borrow_mut();
        if let Some(old) = std::mem::replace(&mut homes.process, counter) {
            old.retire();
        }
        homes.process_version = version;
    }

    /// Lowers the counter a call counted itself on, if it is still the thread's.
    #[inline]
    fn leave_counter(&self, home: Home, address: usize) {
        let homes = self.homes.borrow();
        let counter = match home {
            Home::Own => homes.own.as_ref(),
            Home::Process => homes.process.as_ref(),
        };
        if let Some(counter) = counter.filter(|counter| Arc::as_ptr(counter) as usize == address) {
            if counter.tracks() {
                counter.root().track_end(address as u64);
            }
            counter.leave_call();
        }
    }

    fn next_frame_id(&self) -> u64 {
        let id = self.next_frame.get();
        self.next_frame.set(id + 1);
        id
    }

    /// Releases, as caught, the held panics that cannot be unwinding any more: with
    /// no panic unwinding on the thread, every held one that did not leave the frame
    /// it started in; and those that started in (or reached) the frame `left`, which
    /// just returned normally.
    #[inline]
    fn release_caught(&self, left: Option<u64>) {
        if self.holds.get() {
            self.release_caught_now(left);
        }
    }

    #[cold]
    #[inline(never)]
    fn release_caught_now(&self, left: Option<u64>) {
        let caught: Vec<Held> = {
            let Ok(mut held) = self.held.try_borrow_mut() else {
                return;
            };
            let idle = !std::thread::panicking();
            let (caught, kept): (Vec<Held>, Vec<Held>) =
                std::mem::take(&mut *held).into_iter().partition(|entry| {
                    (idle && !entry.carried) || left.is_some_and(|left| entry.frame >= left)
                });
            self.holds.set(!kept.is_empty());
            *held = kept;
            caught
        };
        for held in caught {
            release(held);
        }
    }
}

/// A held panic was caught: it is no failure of its root, and its message is printed
/// as Rust's hook would have printed it; under `all_panics`, it is a failure all the
/// same.
pub(crate) fn release(held: Held) {
    if held.root.catches_all_panics() {
        let _ = held.root.report_held(held.capture.seq);
        return;
    }
    // The gate before the release: a root that waits for this panic and then ends
    // the process prints its report under the gate, so the message is written
    // before the report (and the exit), never lost after it. If the root decided
    // first, the panic is in its report and `release_caught` finds nothing.
    let gate = held
        .held_back
        .then(|| stderr::gate_within(stderr::HOOK_PATIENCE));
    if let Some(capture) = held.root.release_caught(held.capture.seq) {
        if held.held_back {
            stderr::write_raw(&capture.render_like_default_hook());
        }
    }
    drop(gate);
}

/// A panic the hook held back for `root` in a frame of this thread (the models'
/// way to make one without a hook).
#[cfg(all(test, fate_loom))]
pub(crate) fn held_back_for_model(capture: Arc<Capture>, root: Arc<Root>) -> Held {
    Held {
        capture,
        root,
        frame: 0,
        carried: false,
        held_back: true,
    }
}

// --- what the rest of the runtime asks ------------------------------------------

/// The root a worker running on this thread now reports to, if any.
pub(crate) fn current_root() -> Option<Arc<Root>> {
    CONTEXT
        .try_with(|cx| cx.with_counter(|counter, _| counter.map(|c| c.root().clone())))
        .ok()
        .flatten()
}

/// Calls `f` with the current root, without cloning it; also the moment to notice
/// that a held panic was caught.
#[inline]
pub(crate) fn with_current_root<T>(f: impl FnOnce(Option<&Arc<Root>>) -> T) -> T {
    let mut f = Some(f);
    let result = CONTEXT.try_with(|cx| {
        cx.release_caught(None);
        let f = f.take().expect("called once");
        cx.with_counter(|counter, _| f(counter.map(|c| c.root())))
    });
    match result {
        Ok(value) => value,
        Err(_) => (f.take().expect("not called"))(None),
    }
}

/// What a supervised future made here holds: this thread's counter for the current
/// root, and an owner id no other future of the process has (ids of futures have the
/// top bit set, so that they never meet a sync call's frame id). A root that decided
/// its outcome reports nothing more, but a future made under it still sees its
/// cancellation (a body left running after `run` returned).
pub(crate) fn new_future() -> Option<(Arc<Counter>, u64)> {
    CONTEXT
        .try_with(|cx| {
            let counter = cx.with_counter(|counter, _| counter.cloned())?;
            Some((counter, cx.next_future_owner()))
        })
        .ok()
        .flatten()
}

impl Context {
    fn next_future_owner(&self) -> u64 {
        static THREADS: AtomicU64 = AtomicU64::new(1);
        let mut thread = self.future_thread.get();
        if thread == 0 {
            thread = THREADS.fetch_add(1, Ordering::Relaxed);
            self.future_thread.set(thread);
        }
        let made = self.futures_made.get().wrapping_add(1);
        self.futures_made.set(made);
        (1 << 63) | ((thread & 0x7fff_ffff) << 32) | (made & 0xffff_ffff)
    }
}

/// The heartbeats of a worker with `stall = ".."`: counted by `fate::heartbeat()` on
/// the thread that runs the worker (one at a time: a future's polls do not overlap),
/// read by the watchdog on the timer's thread.
#[derive(Debug, Default)]
pub(crate) struct Beats {
    count: std::sync::atomic::AtomicU64,
    /// The address of the last heartbeat's `Location`, only to see it change cheaply.
    last_site: std::sync::atomic::AtomicUsize,
    site: std::sync::Mutex<Option<&'static std::panic::Location<'static>>>,
    /// fate itself makes the worker wait (a restart's backoff): not a stall.
    waiting: std::sync::atomic::AtomicBool,
    /// The watched worker this one runs in, on the same thread: a heartbeat here is
    /// one there too.
    outer: Option<Arc<Beats>>,
    /// Restarts (`restart = N`) inside the watched worker, for `fate::status()`.
    restarts: std::sync::atomic::AtomicUsize,
}

impl Beats {
    /// Whether fate is making the worker wait now.
    pub(crate) fn is_waiting(&self) -> bool {
        self.waiting.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The heartbeats of a watched worker that runs inside `outer` (on this thread).
    pub(crate) fn inside(outer: Option<Arc<Beats>>) -> Beats {
        Beats {
            outer,
            ..Beats::default()
        }
    }

    #[inline]
    fn beat(&self, site: &'static std::panic::Location<'static>) {
        use std::sync::atomic::Ordering::Relaxed;
        // One writer at a time: a load and a store, no read-modify-write.
        self.count
            .store(self.count.load(Relaxed).wrapping_add(1), Relaxed);
        let address = site as *const std::panic::Location<'static> as usize;
        if self.last_site.load(Relaxed) != address {
            self.moved(site, address);
        }
        if let Some(outer) = &self.outer {
            outer.beat(site);
        }
    }

    #[cold]
    fn moved(&self, site: &'static std::panic::Location<'static>, address: usize) {
        *self.site.lock().unwrap_or_else(|e| e.into_inner()) = Some(site);
        self.last_site
            .store(address, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many heartbeats so far.
    pub(crate) fn count(&self) -> u64 {
        self.count.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Where the last heartbeat was, if there was one.
    pub(crate) fn site(&self) -> Option<&'static std::panic::Location<'static>> {
        *self.site.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A call inside the watched worker was restarted.
    pub(crate) fn restarted(&self) {
        self.restarts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many restarts so far.
    pub(crate) fn restarts(&self) -> usize {
        self.restarts.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A heartbeat at `site`, for the innermost watched worker on this thread (if any).
#[inline]
pub(crate) fn beat(site: &'static std::panic::Location<'static>) {
    let _ = CONTEXT.try_with(|cx| {
        if let Ok(beats) = cx.beats.try_borrow() {
            if let Some(beats) = &*beats {
                beats.beat(site);
            }
        }
    });
}

/// A wait of fate's own in a watched worker (a restart's backoff): it does not count
/// against the worker's heartbeat budget, and its end counts as a heartbeat. Ends when
/// dropped.
pub(crate) struct Waiting(Option<Arc<Beats>>);

/// The heartbeats of the watched worker running here, if any.
pub(crate) fn current_beats() -> Option<Arc<Beats>> {
    CONTEXT
        .try_with(|cx| cx.beats.try_borrow().ok().and_then(|beats| beats.clone()))
        .ok()
        .flatten()
}

/// Begins a [`Waiting`] for the watched worker running here, if any.
pub(crate) fn waiting() -> Waiting {
    let beats = current_beats();
    if let Some(beats) = &beats {
        beats
            .waiting
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    Waiting(beats)
}

impl Drop for Waiting {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(beats) = &self.0 {
            beats
                .count
                .store(beats.count.load(Relaxed).wrapping_add(1), Relaxed);
            beats.waiting.store(false, Relaxed);
        }
    }
}

/// Makes `beats` the watched worker's on this thread; returns the one before, to give
/// back with the next call when the worker (or its poll) ends.
pub(crate) fn watch(beats: Option<Arc<Beats>>) -> Option<Arc<Beats>> {
    clean_up_at_exit();
    CONTEXT
        .try_with(|cx| {
            cx.beats
                .try_borrow_mut()
                .map(|mut slot| std::mem::replace(&mut *slot, beats))
                .ok()
                .flatten()
        })
        .ok()
        .flatten()
}

/// The `Err` the call or future `owner` is about to return is handled already.
pub(crate) fn mark_handled(owner: u64) {
    let _ = CONTEXT.try_with(|cx| cx.handled.set(owner));
}

/// Whether the `Err` of `owner` was marked handled (and forgets the mark).
pub(crate) fn take_handled(owner: u64) -> bool {
    CONTEXT
        .try_with(|cx| {
            let handled = cx.handled.get() == owner;
            if handled {
                cx.handled.set(0);
            }
            handled
        })
        .unwrap_or(false)
}

/// The innermost supervised call on this thread, if any.
pub(crate) fn innermost() -> Option<Frame> {
    CONTEXT.try_with(|cx| cx.innermost.get()).ok().flatten()
}

/// The previous own root of a thread, to give back to [`restore_own_root`].
#[must_use]
pub(crate) struct OwnRoot(Option<Arc<Counter>>);

/// Makes `root` this thread's own root.
pub(crate) fn set_own_root(root: &Arc<Root>) -> OwnRoot {
    let counter = Root::new_counter(root);
    clean_up_at_exit();
    OwnRoot(
        CONTEXT
            .try_with(|cx| cx.homes.borrow_mut().own.replace(counter))
            .ok()
            .flatten(),
    )
}

/// Gives the thread its own root as it was before [`set_own_root`].
pub(crate) fn restore_own_root(previous: OwnRoot) {
    let _ = CONTEXT.try_with(|cx| {
        let replaced = std::mem::replace(&mut cx.homes.borrow_mut().own, previous.0);
        if let Some(counter) = replaced {
            counter.retire();
        }
    });
}

/// Enters a frame of `kind` (not `Poll`: see [`enter_poll`]). `None` when no root
/// covers the thread: the call is then exactly the plain function.
#[inline]
pub(crate) fn enter(name: WorkerName, kind: FrameKind) -> Option<Entered> {
    CONTEXT
        .try_with(|cx| {
            let outer = cx.innermost.get();
            // A root that has decided its outcome still gets frames (cheap, and every
            // report checks its phase), so the hot path reads nothing of the root.
            let (root, enclosed, counted) = cx.with_counter(|counter, home| {
                let counter = counter?;
                let root = counter.root_id();
                let enclosed = outer.is_some_and(|outer| outer.encloses(kind, root));
                let counted = match home {
                    Some(home) if kind.counts_as_running() && !enclosed => {
                        counter.enter_call();
                        let address = Arc::as_ptr(counter) as usize;
                        if counter.tracks() {
                            counter.root().track_start(address as u64, name);
                        }
                        Some((home, address))
                    }
                    _ => None,
                };
                Some((root, enclosed, counted))
            })?;
            cx.release_caught(None);
            let id = cx.next_frame_id();
            let frame = Frame {
                id,
                owner: id,
                name,
                kind,
                root,
            };
            cx.innermost.set(Some(frame));
            Some(Entered {
                frame,
                outer,
                enclosed,
                counted,
            })
        })
        .ok()
        .flatten()
}

/// Leaves a frame entered by [`enter`].
#[inline]
pub(crate) fn leave(entered: Entered, how: Leaving) {
    let _ = CONTEXT.try_with(|cx| {
        cx.innermost.set(entered.outer);
        if let Some((home, address)) = entered.counted {
            cx.leave_counter(home, address);
        }
        if how == Leaving::Normally {
            cx.release_caught(Some(entered.frame.id));
        }
    });
}

/// A poll of a supervised future in progress: the future's counter is lent to the
/// thread until [`leave_poll`] gives it back.
#[derive(Debug)]
#[must_use]
pub(crate) struct PollEntered {
    pub(crate) entered: Entered,
    outer_lent: Option<Arc<Counter>>,
}

/// Enters one poll of the supervised future `owner`, lending it `counter` (taken from
/// the future; [`leave_poll`] puts it back). `None`, with the counter left in place,
/// when the thread-local is gone (a future polled or dropped by a thread-local's
/// destructor).
pub(crate) fn enter_poll(
    name: WorkerName,
    owner: u64,
    counter: &mut Option<Arc<Counter>>,
) -> Option<PollEntered> {
    let lent = counter.take()?;
    let root = lent.root_id();
    let mut lent = Some(lent);
    let entered = CONTEXT.try_with(|cx| {
        let outer = cx.innermost.get();
        let enclosed = outer.is_some_and(|outer| outer.encloses(FrameKind::Poll, root));
        let outer_lent = std::mem::replace(&mut cx.homes.borrow_mut().lent, lent.take());
        cx.release_caught(None);
        let frame = Frame {
            id: cx.next_frame_id(),
            owner,
            name,
            kind: FrameKind::Poll,
            root,
        };
        cx.innermost.set(Some(frame));
        PollEntered {
            entered: Entered {
                frame,
                outer,
                enclosed,
                counted: None,
            },
            outer_lent,
        }
    });
    match entered {
        Ok(entered) => Some(entered),
        Err(_) => {
            *counter = lent;
            None
        }
    }
}

/// Leaves a poll entered by [`enter_poll`], giving the future its counter back.
pub(crate) fn leave_poll(poll: PollEntered, counter: &mut Option<Arc<Counter>>, how: Leaving) {
    let PollEntered {
        entered,
        outer_lent,
    } = poll;
    let mut outer_lent = Some(outer_lent);
    let left = CONTEXT.try_with(|cx| {
        *counter = std::mem::replace(&mut cx.homes.borrow_mut().lent, outer_lent.take().flatten());
        cx.innermost.set(entered.outer);
        if how == Leaving::Normally {
            cx.release_caught(Some(entered.frame.id));
        }
    });
    debug_assert!(left.is_ok(), "a thread-local outlived by a poll");
}

/// The panic unwinding through `frame`, if the hook held it on this thread: the most
/// recent held panic that started in (or reached) `frame` whose message is
/// `message` (any, when the payload is not at hand). Other panics held in `frame`
/// were caught inside it: they are released.
pub(crate) fn take_unwinding(frame: &Frame, message: Option<&str>) -> Option<Held> {
    let (found, caught) = CONTEXT
        .try_with(|cx| {
            let Ok(mut held) = cx.held.try_borrow_mut() else {
                return (None, Vec::new());
            };
            let found = held
                .iter()
                .rposition(|entry| {
                    entry.frame >= frame.id
                        && message.is_none_or(|message| entry.capture.message == message)
                })
                .map(|index| held.remove(index));
            let (caught, kept): (Vec<Held>, Vec<Held>) = std::mem::take(&mut *held)
                .into_iter()
                .partition(|entry| entry.frame >= frame.id);
            cx.holds.set(!kept.is_empty());
            *held = kept;
            (found, caught)
        })
        .unwrap_or_default();
    for held in caught {
        release(held);
    }
    found
}

/// The held panic `held` goes on unwinding into the frame `encloser`.
pub(crate) fn carry(mut held: Held, encloser: &Frame) {
    held.frame = encloser.id;
    held.carried = true;
    let mut held = Some(held);
    let _ = CONTEXT.try_with(|cx| {
        if let Ok(mut list) = cx.held.try_borrow_mut() {
            list.extend(held.take());
            cx.holds.set(true);
        }
    });
    if let Some(held) = held {
        // Nowhere to keep it: report it rather than lose it.
        let _ = held.root.report_held(held.capture.seq);
    }
}

/// The most panics a thread holds at once. More can only mean that it catches panics
/// in a loop and never runs fate's code in between (unwinding cannot nest this deep):
/// the oldest held one is then taken for caught.
const HELD_LIMIT: usize = 32;

/// The hook saw a panic start in the innermost frame `frame`, and `root` holds it.
pub(crate) fn push_held(capture: Arc<Capture>, root: Arc<Root>, frame: &Frame, held_back: bool) {
    clean_up_at_exit();
    let oldest = CONTEXT
        .try_with(|cx| {
            let mut list = cx.held.try_borrow_mut().ok()?;
            (list.len() >= HELD_LIMIT).then(|| list.remove(0))
        })
        .ok()
        .flatten();
    if let Some(oldest) = oldest {
        release(oldest);
    }
    let held = Held {
        capture,
        root,
        frame: frame.id,
        carried: false,
        held_back,
    };
    let mut held = Some(held);
    let _ = CONTEXT.try_with(|cx| {
        if let Ok(mut list) = cx.held.try_borrow_mut() {
            list.extend(held.take());
            cx.holds.set(true);
        }
    });
    if let Some(held) = held {
        // No thread-local to keep it in (a panic in a thread-local's destructor):
        // it can only be unwinding, as far as fate can tell; the root reports it.
        let _ = held.root.report_held(held.capture.seq);
    }
}

/// The process is about to abort: every panic held on this thread is printed now.
pub(crate) fn release_all() {
    let held = CONTEXT
        .try_with(|cx| {
            let held = cx
                .held
                .try_borrow_mut()
                .map(|mut held| std::mem::take(&mut *held))
                .unwrap_or_default();
            cx.holds.set(false);
            held
        })
        .unwrap_or_default();
    for held in held {
        release(held);
    }
}

/// How many `Err`s a thread keeps for their enclosers: beyond that the oldest goes
/// (an encloser that returns it then is named itself).
const PASSED_UP_KEPT: usize = 16;

/// Keeps `passed_up` for its encloser, with those kept for other calls (or earlier
/// ones of the same encloser, handled since, perhaps).
pub(crate) fn pass_up(passed_up: PassedUp) {
    clean_up_at_exit();
    let _ = CONTEXT.try_with(|cx| {
        let mut kept = cx.passed_up.borrow_mut();
        if kept.len() == PASSED_UP_KEPT {
            kept.remove(0);
        }
        kept.push(passed_up);
    });
}

/// The `Err` an enclosed call passed up to the frame owned by `owner` that is
/// `returned` (the newest such), if any; the frame is returning, so every record kept
/// for it goes.
pub(crate) fn take_passed_up(owner: u64, returned: &ErrorText) -> Option<PassedUp> {
    CONTEXT
        .try_with(|cx| {
            let mut kept = cx.passed_up.borrow_mut();
            let found = kept
                .iter()
                .rposition(|up| up.encloser == owner && up.returned == *returned)
                .map(|at| kept.remove(at));
            kept.retain(|up| up.encloser != owner);
            found
        })
        .ok()
        .flatten()
}

/// The records kept for the future `owner`, which a poll just ended: they go with the
/// future (its next poll may run on another thread), into `into`.
#[inline]
pub(crate) fn keep_passed_up(owner: u64, into: &mut Vec<PassedUp>) {
    let _ = CONTEXT.try_with(|cx| {
        let mut kept = cx.passed_up.borrow_mut();
        let mut at = 0;
        while at < kept.len() {
            if kept[at].encloser == owner {
                into.push(kept.remove(at));
            } else {
                at += 1;
            }
        }
    });
}

/// Gives the records a future took along back to the thread that polls it now.
#[inline]
pub(crate) fn give_back_passed_up(from: &mut Vec<PassedUp>) {
    if from.is_empty() {
        return;
    }
    let _ = CONTEXT.try_with(|cx| cx.passed_up.borrow_mut().append(from));
}

/// Runs `f` while the thread formats `what` on fate's behalf (see [`Formatting`]).
pub(crate) fn formatting<T>(what: Formatting, f: impl FnOnce() -> T) -> T {
    let outer = CONTEXT
        .try_with(|cx| cx.formatting.replace(what))
        .unwrap_or(Formatting::Nothing);
    struct Restore(Formatting);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0;
            let _ = CONTEXT.try_with(|cx| cx.formatting.set(outer));
        }
    }
    let _restore = Restore(outer);
    f()
}

/// What the thread formats on fate's behalf now, if anything.
pub(crate) fn formatting_now() -> Formatting {
    CONTEXT
        .try_with(|cx| cx.formatting.get())
        .unwrap_or(Formatting::Nothing)
}

/// The numbers of the panics held on this thread.
pub(crate) fn held_here() -> Vec<u64> {
    CONTEXT
        .try_with(|cx| {
            cx.held
                .try_borrow()
                .map(|held| held.iter().map(|held| held.capture.seq).collect())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

/// Fate runs on this thread: a panic held here that nothing unwinds any more was
/// caught.
pub(crate) fn touch() {
    let _ = CONTEXT.try_with(|cx| cx.release_caught(None));
}

/// The innermost frame, if it encloses a new frame of `kind` under the root `root`.
pub(crate) fn encloser(kind: FrameKind, root: u64) -> Option<Frame> {
    innermost().filter(|frame| frame.encloses(kind, root))
}

#[cfg(all(test, not(fate_loom)))]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::root::{AfterBody, RootKind};

    /// Threads that ran workers and exited leave no counter behind: what a root keeps
    /// stays bounded by the threads alive, not by every thread that ever ran one.
    #[test]
    fn exited_threads_leave_no_counter_behind() {
        let root = Arc::new(Root::new(
            RootKind::Supervisor,
            Duration::ZERO,
            AfterBody::End,
        ));
        for _ in 0..20 {
            let root = root.clone();
            std::thread::spawn(move || {
                let _own = set_own_root(&root);
                for _ in 0..3 {
                    crate::worker::run(
                        WorkerName::Named("w"),
                        crate::worker::Criticality::Critical,
                        || (),
                        |_| None,
                    );
                }
            })
            .join()
            .unwrap();
        }
        assert_eq!(root.running(), 0);
        // Making one more counter forgets those of the threads that are gone.
        let _counter = Root::new_counter(&root);
        assert_eq!(root.counter_count(), 1);
        root.end();
    }
}
