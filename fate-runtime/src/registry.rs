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

/// The process root, if any.
static PROCESS_ROOT: Mutex<Option<Arc<Root>>> = Mutex::new(None);
/// Bumped whenever the process root changes, so threads can cache it without locking.
static GENERATION: AtomicU64 = AtomicU64::new(1);
/// Roots alive in the process; 0 lets a worker skip every lookup.
static LIVE_ROOTS: AtomicUsize = AtomicUsize::new(0);

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
    if LIVE_ROOTS.load(Ordering::Acquire) == 0 {
        return None;
    }
    LOCAL
        .try_with(|local| {
            let mut local = local.borrow_mut();
            if let Some(own) = &local.own {
                return Some(own.clone());
            }
            let generation = GENERATION.load(Ordering::Acquire);
            if local.cached_generation != generation {
                local.cached_process_root = lock(&PROCESS_ROOT).clone();
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

/// Keeps a root counted as alive and, if it claimed it, as the process root.
#[must_use]
pub(crate) struct Registration {
    root: Arc<Root>,
    is_process_root: bool,
}

impl Registration {
    /// Registers `root`. `claim_process` makes it the process root: always for a
    /// `main` root, and for a `Supervisor` only while there is none.
    pub(crate) fn new(root: &Arc<Root>, force_process: bool) -> Self {
        LIVE_ROOTS.fetch_add(1, Ordering::AcqRel);
        let mut process_root = lock(&PROCESS_ROOT);
        let is_process_root = force_process || process_root.is_none();
        if is_process_root {
            *process_root = Some(root.clone());
            GENERATION.fetch_add(1, Ordering::AcqRel);
        }
        Registration {
            root: root.clone(),
            is_process_root,
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if self.is_process_root {
            let mut process_root = lock(&PROCESS_ROOT);
            if process_root
                .as_ref()
                .is_some_and(|current| Arc::ptr_eq(current, &self.root))
            {
                *process_root = None;
                GENERATION.fetch_add(1, Ordering::AcqRel);
            }
        }
        LIVE_ROOTS.fetch_sub(1, Ordering::AcqRel);
    }
}
