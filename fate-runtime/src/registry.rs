//! The process-wide registry: which root a worker reports to.
//!
//! A thread's root is, in order:
//! 1. the root carried into it by [`fate::spawn`](crate::spawn) or set by
//!    [`Supervisor::run`](crate::Supervisor::run) for its body (the thread's *own* root);
//! 2. otherwise the *process root*: the root of `#[supervised] fn main`, or, in a
//!    program without one, the oldest [`Supervisor`](crate::Supervisor) still running.
//!
//! Threads spawned any other way (`std::thread::spawn`, thread pools, rayon,
//! `spawn_blocking`) therefore report to the process root, and roots that run side by
//! side (parallel tests) stay apart as long as their threads come from `fate::spawn`.

use std::cell::{Cell, RefCell};

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::supervisor::{Root, Slot};
use crate::sync::Arc;

/// Every root alive, in the order they started; `main`'s, if any, is the process root,
/// else the oldest.
static ROOTS: Mutex<Roots> = Mutex::new(Roots {
    main: None,
    others: Vec::new(),
});
/// Bumped whenever the process root changes, so threads can cache it without locking.
static GENERATION: AtomicU64 = AtomicU64::new(1);
/// Roots alive in the process; 0 lets a worker with no root of its own skip the rest.
static LIVE_ROOTS: AtomicUsize = AtomicUsize::new(0);

fn roots() -> MutexGuard<'static, Roots> {
    ROOTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Roots {
    main: Option<Arc<Root>>,
    others: Vec<Arc<Root>>,
}

impl Roots {
    fn process_root(&self) -> Option<&Arc<Root>> {
        self.main.as_ref().or(self.others.first())
    }
}

/// What this thread knows of roots. One `thread_local!` for all of it, and a `Copy`
/// cache of the last answer, so that the hot path is a few loads and compares.
struct ThreadState {
    /// The root carried into this thread (`fate::spawn`, a `Supervisor`'s body, the
    /// thread running `#[supervised] fn main`).
    own: RefCell<Option<Arc<Root>>>,
    /// The slot of the supervised future being polled on this thread, lent by it for
    /// the poll: its root comes before `own`.
    polling: RefCell<Option<Arc<Slot>>>,
    /// Bumped whenever `own` or `polling` changes.
    own_version: Cell<u64>,
    /// The process root as of generation `.0`.
    cached_process_root: RefCell<(u64, Option<Arc<Root>>)>,
    /// This thread's counter of running workers, per root it ran workers for. Entries
    /// are never moved (a running call keeps its index); an entry of a root that has
    /// ended, with nothing running, is emptied and reused.
    entries: RefCell<Vec<Option<Entry>>>,
    /// Which entry the last lookup found, and for which state of `own` and of the
    /// process root: valid while neither changed.
    fast: Cell<Fast>,
}

#[derive(Clone, Copy)]
struct Fast {
    own_version: u64,
    /// The process generation it was computed for; 0 if it came from `own`, which
    /// the generation does not affect.
    generation: u64,
    /// The entry, or `None` for "no root".
    index: Option<usize>,
}

struct Entry {
    root: Arc<Root>,
    slot: Arc<Slot>,
}

impl Drop for ThreadState {
    fn drop(&mut self) {
        for entry in self.entries.get_mut().iter().flatten() {
            entry.slot.retire();
        }
    }
}

thread_local! {
    static THREAD: ThreadState = const {
        ThreadState {
            own: RefCell::new(None),
            polling: RefCell::new(None),
            own_version: Cell::new(1),
            cached_process_root: RefCell::new((0, None)),
            entries: RefCell::new(Vec::new()),
            // Version 0 never matches: the first lookup takes the slow path.
            fast: Cell::new(Fast { own_version: 0, generation: 0, index: None }),
        }
    };
}

impl ThreadState {
    /// Calls `f` with the root a worker on this thread reports to.
    fn with_root<T>(&self, f: impl FnOnce(Option<&Arc<Root>>) -> T) -> T {
        if let Some(polling) = self.polling.borrow().as_ref() {
            return f(Some(polling.root()));
        }
        let own = self.own.borrow();
        // A root of its own, even one that has ended: a body left running after
        // `Supervisor::run` returned still sees that root's cancellation.
        if let Some(own) = own.as_ref() {
            return f(Some(own));
        }
        if LIVE_ROOTS.load(Ordering::Acquire) == 0 {
            return f(None);
        }
        let mut cached = self.cached_process_root.borrow_mut();
        let generation = GENERATION.load(Ordering::Acquire);
        if cached.0 != generation {
            *cached = (generation, roots().process_root().cloned());
        }
        f(cached.1.as_ref())
    }

    /// The entry of the root a worker on this thread reports to, if any.
    #[inline(always)]
    fn current_entry(&self) -> Option<usize> {
        let fast = self.fast.get();
        if fast.own_version == self.own_version.get()
            && (fast.generation == 0 || fast.generation == GENERATION.load(Ordering::Acquire))
        {
            return fast.index;
        }
        self.look_up_entry()
    }

    #[cold]
    fn look_up_entry(&self) -> Option<usize> {
        let generation = GENERATION.load(Ordering::Acquire);
        let from_own = self.own.borrow().is_some() || self.polling.borrow().is_some();
        let index = self.with_root(|root| root.map(|root| self.entry_for(root)));
        self.fast.set(Fast {
            own_version: self.own_version.get(),
            generation: if from_own { 0 } else { generation },
            index,
        });
        index
    }

    /// The index of this thread's entry for `root`, made if needed.
    fn entry_for(&self, root: &Arc<Root>) -> usize {
        let entries = self.entries.borrow();
        if let Some(index) = entries.iter().position(|entry| {
            entry
                .as_ref()
                .is_some_and(|entry| Arc::ptr_eq(&entry.root, root))
        }) {
            return index;
        }
        drop(entries);
        self.new_entry(root)
    }

    fn new_entry(&self, root: &Arc<Root>) -> usize {
        let mut entries = self.entries.borrow_mut();
        for entry in entries.iter_mut() {
            if entry
                .as_ref()
                .is_some_and(|entry| entry.root.has_ended() && entry.slot.is_idle())
            {
                if let Some(entry) = entry.take() {
                    entry.slot.retire();
                }
            }
        }
        let entry = Entry {
            root: root.clone(),
            slot: Root::new_slot(root),
        };
        match entries.iter().position(Option::is_none) {
            Some(index) => {
                entries[index] = Some(entry);
                index
            }
            None => {
                entries.push(Some(entry));
                entries.len() - 1
            }
        }
    }
}

/// The root that a worker running on this thread reports to, if any.
pub(crate) fn current_root() -> Option<Arc<Root>> {
    THREAD
        .try_with(|thread| thread.with_root(|root| root.cloned()))
        .ok()
        .flatten()
}

/// A supervised call counted as running on this thread: the index of the thread's
/// entry for its root.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entered(usize);

/// Counts a supervised call as running under this thread's root; `None` with no root.
#[inline(always)]
pub(crate) fn enter() -> Option<Entered> {
    THREAD
        .try_with(|thread| {
            let index = thread.current_entry()?;
            if let Some(Some(entry)) = thread.entries.borrow().get(index) {
                entry.slot.enter_call();
            }
            Some(Entered(index))
        })
        .ok()
        .flatten()
}

impl Entered {
    /// The call is over.
    #[inline(always)]
    pub(crate) fn leave(self) {
        let _ = THREAD.try_with(|thread| {
            if let Some(Some(entry)) = thread.entries.borrow().get(self.0) {
                entry.slot.leave_call();
            }
        });
    }

    /// The root the call reports to.
    pub(crate) fn root(self) -> Option<Arc<Root>> {
        THREAD
            .try_with(|thread| {
                thread
                    .entries
                    .borrow()
                    .get(self.0)
                    .and_then(|entry| entry.as_ref().map(|entry| entry.root.clone()))
            })
            .ok()
            .flatten()
    }
}

/// This thread's slot for the root a worker here reports to, if any: what a
/// supervised future made here holds (its root, and where it counts as running).
pub(crate) fn current_slot() -> Option<Arc<Slot>> {
    THREAD
        .try_with(|thread| {
            let index = thread.current_entry()?;
            thread
                .entries
                .borrow()
                .get(index)
                .and_then(|entry| entry.as_ref().map(|entry| entry.slot.clone()))
        })
        .ok()
        .flatten()
}

/// Lends the slot of the future about to be polled to this thread (or takes it back
/// with `None`), returning what was lent before.
pub(crate) fn lend_polling_slot(slot: Option<Arc<Slot>>) -> Option<Arc<Slot>> {
    THREAD
        .try_with(|thread| {
            thread.own_version.set(thread.own_version.get() + 1);
            std::mem::replace(&mut *thread.polling.borrow_mut(), slot)
        })
        .ok()
        .flatten()
}

/// Makes `root` this thread's own root (or clears it), returning the previous one.
pub(crate) fn set_thread_root(root: Option<Arc<Root>>) -> Option<Arc<Root>> {
    THREAD
        .try_with(|thread| {
            thread.own_version.set(thread.own_version.get() + 1);
            std::mem::replace(&mut *thread.own.borrow_mut(), root)
        })
        .ok()
        .flatten()
}

/// Keeps a root registered, from its start to its end.
#[must_use]
pub(crate) struct Registration {
    root: Arc<Root>,
}

impl Registration {
    /// Registers `root`: as `main`'s root (the process root from now on), or as one
    /// more `Supervisor` root (the process root while it is the oldest and there is
    /// no `main` root).
    pub(crate) fn new(root: &Arc<Root>, is_main: bool) -> Self {
        let mut roots = roots();
        if is_main {
            roots.main = Some(root.clone());
        } else {
            roots.others.push(root.clone());
        }
        LIVE_ROOTS.fetch_add(1, Ordering::AcqRel);
        GENERATION.fetch_add(1, Ordering::AcqRel);
        Registration { root: root.clone() }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.root.end();
        let mut roots = roots();
        if roots
            .main
            .as_ref()
            .is_some_and(|main| Arc::ptr_eq(main, &self.root))
        {
            roots.main = None;
        }
        roots.others.retain(|other| !Arc::ptr_eq(other, &self.root));
        LIVE_ROOTS.fetch_sub(1, Ordering::AcqRel);
        GENERATION.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(all(test, not(fate_loom)))]
mod tests {
    use super::*;
    use crate::supervisor::RootKind;
    use crate::worker::{self, WorkerName};

    /// Threads that ran workers and exited leave no counter behind: registration
    /// stays bounded by the threads alive, not by every thread that ever ran one.
    #[test]
    fn exited_threads_leave_no_registration_behind() {
        let root = Arc::new(Root::new(RootKind::Supervisor, Default::default(), false));
        let _registration = Registration::new(&root, false);
        for _ in 0..20 {
            let root = root.clone();
            std::thread::spawn(move || {
                set_thread_root(Some(root));
                for _ in 0..3 {
                    worker::run(WorkerName::Named("w"), || (), |_| None);
                }
            })
            .join()
            .unwrap();
        }
        assert_eq!(root.running(), 0);
        // Registering one more counter forgets those of the threads that are gone.
        let _slot = Root::new_slot(&root);
        assert_eq!(root.slot_count(), 1);
    }
}
