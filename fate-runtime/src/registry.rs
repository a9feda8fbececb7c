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

use std::cell::RefCell;

use crate::supervisor::Root;
use crate::sync::{lock, Arc, AtomicU64, AtomicUsize, Mutex, Ordering};

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

struct Roots {
    main: Option<Arc<Root>>,
    others: Vec<Arc<Root>>,
}

impl Roots {
    fn process_root(&self) -> Option<&Arc<Root>> {
        self.main.as_ref().or(self.others.first())
    }
}

struct Local {
    own: Option<Arc<Root>>,
    cached_generation: u64,
    cached_process_root: Option<Arc<Root>>,
}

thread_local! {
    static LOCAL: RefCell<Local> = const {
        RefCell::new(Local { own: None, cached_generation: 0, cached_process_root: None })
    };
}

/// The root that a worker running on this thread reports to, if any.
pub(crate) fn current_root() -> Option<Arc<Root>> {
    LOCAL
        .try_with(|local| {
            let mut local = local.borrow_mut();
            // A root of its own, even one that has ended: a body left running after
            // `Supervisor::run` returned still sees that root's cancellation.
            if let Some(own) = &local.own {
                return Some(own.clone());
            }
            if LIVE_ROOTS.load(Ordering::Acquire) == 0 {
                return None;
            }
            let generation = GENERATION.load(Ordering::Acquire);
            if local.cached_generation != generation {
                local.cached_process_root = lock(&ROOTS).process_root().cloned();
                local.cached_generation = generation;
            }
            local.cached_process_root.clone()
        })
        .ok()
        .flatten()
}

/// Makes `root` this thread's own root (or clears it), returning the previous one.
pub(crate) fn set_thread_root(root: Option<Arc<Root>>) -> Option<Arc<Root>> {
    LOCAL
        .try_with(|local| std::mem::replace(&mut local.borrow_mut().own, root))
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
        let mut roots = lock(&ROOTS);
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
        let mut roots = lock(&ROOTS);
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
