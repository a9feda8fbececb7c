//! `fate::on_failure`: functions called for every failure, restart and non-critical
//! failure, on a thread of fate's, never the worker's.
//!
//! A failure is queued where it is recorded (a few allocations, and nothing at all
//! while no hook is registered) and a dispatcher thread calls the hooks, in order.
//! Each call runs on a runner thread the dispatcher waits for at most
//! [`CALL_LIMIT`]: a hook that takes longer is cut off (left running on its runner,
//! never called again) and noted once on stderr; a hook that panics is noted once
//! and called again for the next failure. A process that ends with a report waits
//! for the calls queued before it, at most until its grace period ends (or
//! [`WITHOUT_GRACE`] when there is none), so that the alert about the failure that
//! ends it goes out, and a hook can never hold the exit longer.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::report::{payload_message, Disposition, Error, Failure};
use crate::stderr;

/// How long one call of a hook may take before it is cut off.
pub(crate) const CALL_LIMIT: Duration = Duration::from_secs(5);

/// How long a process that ends with a report and no grace period waits for the
/// hooks' calls.
pub(crate) const WITHOUT_GRACE: Duration = Duration::from_secs(1);

type Hook = Arc<dyn Fn(&Error) + Send + Sync>;

struct Registered {
    hook: Hook,
    /// Cut off for taking too long: never called again.
    cut_off: AtomicBool,
    /// Its panic was noted (once).
    panic_noted: AtomicBool,
}

struct Alerts {
    hooks: Mutex<Vec<Arc<Registered>>>,
    queue: Mutex<Queue>,
    changed: Condvar,
}

#[derive(Default)]
struct Queue {
    pending: VecDeque<Error>,
    /// Failures queued so far, and those whose calls are done (or given up).
    queued: u64,
    done: u64,
}

/// Whether any hook is registered: until then nothing is queued.
static ANY: AtomicBool = AtomicBool::new(false);

fn alerts() -> &'static Alerts {
    static ALERTS: OnceLock<Alerts> = OnceLock::new();
    ALERTS.get_or_init(|| Alerts {
        hooks: Mutex::new(Vec::new()),
        queue: Mutex::new(Queue::default()),
        changed: Condvar::new(),
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Calls `hook` for every failure from now on, in every root of the process: the
/// failures that fail a root, later ones, restarted ones and those of `critical =
/// false` workers ([`Error::disposition`] tells which).
///
/// The recipe fate grew from mailed the traceback to an alert address; this is where
/// that goes. The hook runs on a thread of fate's, never the worker's, one failure at
/// a time, in the order the failures were recorded, each hook in the order it was
/// registered. A call that takes longer than 5 s is cut off: the hook is never called
/// again, and fate says so once on stderr. A hook that panics is noted once and called
/// again for the next failure. A program that ends with a report waits for the calls
/// about the failures so far, at most until its grace period is over (1 s when it has
/// none), so a hook can never hold the exit longer.
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
///
/// let (alerts, alerted) = mpsc::channel();
/// fate::on_failure(move |failure| {
///     let _ = alerts.send(format!("{:?}: {failure}", failure.disposition()));
/// });
///
/// #[fate::supervised]
/// fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
///     text.parse()
/// }
///
/// let result = fate::Supervisor::new().run(|| parse("seven"));
/// assert_eq!(result.unwrap_err().worker(), "parse");
/// assert_eq!(
///     alerted.recv_timeout(Duration::from_secs(10)).unwrap(),
///     "FailedRoot: worker `parse` failed: invalid digit found in string"
/// );
/// ```
pub fn on_failure(hook: impl Fn(&Error) + Send + Sync + 'static) {
    register(Arc::new(hook));
}

fn register(hook: Hook) {
    let alerts = alerts();
    let first = {
        let mut hooks = lock(&alerts.hooks);
        hooks.push(Arc::new(Registered {
            hook,
            cut_off: AtomicBool::new(false),
            panic_noted: AtomicBool::new(false),
        }));
        hooks.len() == 1
    };
    if first {
        let started = std::thread::Builder::new()
            .name("fate-alerts".into())
            .spawn(dispatch);
        if started.is_ok() {
            ANY.store(true, Ordering::Release);
        } else {
            stderr::print("fate: no thread for the failure hooks: they will not be called\n");
        }
    }
}

/// Whether a failure should be queued (any hook registered).
#[inline]
pub(crate) fn wanted() -> bool {
    ANY.load(Ordering::Acquire)
}

/// Whether failures are announced at all: to hooks, or to `tracing`.
#[inline]
pub(crate) fn announced() -> bool {
    cfg!(feature = "tracing") || wanted()
}

/// A failure was recorded (or restarted, or not critical): the hooks get it, and with
/// the `tracing` feature it is an error event, here on the thread that recorded it (so
/// that it carries the spans entered there).
#[inline]
pub(crate) fn announce(failure: &Failure, disposition: Disposition) {
    #[cfg(feature = "tracing")]
    trace(failure, disposition);
    if wanted() {
        queue(Error::for_hook(failure.clone(), disposition));
    }
}

/// The `tracing` event of a failure (target `fate`, level error): its message is the
/// failure's, with fields `worker`, `kind`, `location`, `thread`, `disposition`, and
/// `attempt` for a restart; a subscriber that panics is ignored.
#[cfg(feature = "tracing")]
#[cold]
fn trace(failure: &Failure, disposition: Disposition) {
    let attempt = match disposition {
        Disposition::Restarted { restart, .. } => Some(u64::from(restart)),
        _ => None,
    };
    let location = failure.location.as_ref().map(ToString::to_string);
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        tracing::error!(
            target: "fate",
            message = %failure.message,
            worker = %failure.worker,
            kind = ?failure.kind,
            location = location.as_deref(),
            thread = failure.thread.as_deref(),
            disposition = ?disposition,
            attempt,
        );
    }));
}

/// Queues `error` for the hooks.
fn queue(error: Error) {
    if !wanted() {
        return;
    }
    let alerts = alerts();
    let mut queue = lock(&alerts.queue);
    queue.pending.push_back(error);
    queue.queued += 1;
    drop(queue);
    alerts.changed.notify_all();
}

/// Waits until the hooks have been called for every failure queued so far, or until
/// `deadline`.
pub(crate) fn drain(deadline: Instant) {
    if !wanted() {
        return;
    }
    let alerts = alerts();
    let mut queue = lock(&alerts.queue);
    let target = queue.queued;
    while queue.done < target {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        queue = alerts
            .changed
            .wait_timeout(queue, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// The dispatcher: one failure at a time, each hook in turn.
fn dispatch() {
    let alerts = alerts();
    let mut runner = Runner::start();
    loop {
        let error = {
            let mut queue = lock(&alerts.queue);
            loop {
                if let Some(error) = queue.pending.pop_front() {
                    break error;
                }
                queue = alerts
                    .changed
                    .wait(queue)
                    .unwrap_or_else(|e| e.into_inner());
            }
        };
        let hooks: Vec<Arc<Registered>> = lock(&alerts.hooks).clone();
        for registered in hooks {
            if registered.cut_off.load(Ordering::Relaxed) {
                continue;
            }
            runner = runner.call(&registered, &error);
        }
        lock(&alerts.queue).done += 1;
        alerts.changed.notify_all();
    }
}

/// One call for the runner: the hook, the failure, and where to say it is done.
type Call = (Arc<Registered>, Error, mpsc::Sender<()>);

/// A thread that makes the hooks' calls, so that the dispatcher can give up on one.
struct Runner {
    calls: Option<mpsc::Sender<Call>>,
}

impl Runner {
    fn start() -> Runner {
        let (calls, receive) = mpsc::channel::<Call>();
        let started = std::thread::Builder::new()
            .name("fate-alerts-call".into())
            .spawn(move || {
                for (registered, error, done) in receive {
                    call(&registered, &error);
                    let _ = done.send(());
                }
            });
        Runner {
            calls: started.is_ok().then_some(calls),
        }
    }

    /// Calls `registered` with `error` on the runner, waiting at most [`CALL_LIMIT`];
    /// a runner stuck in a hook is left to it, and a new one takes over.
    fn call(self, registered: &Arc<Registered>, error: &Error) -> Runner {
        let Some(calls) = &self.calls else {
            call(registered, error);
            return self;
        };
        let (done, finished) = mpsc::channel();
        if calls
            .send((registered.clone(), error.clone(), done))
            .is_err()
        {
            return Runner::start();
        }
        match finished.recv_timeout(CALL_LIMIT) {
            Ok(()) => self,
            Err(_) => {
                registered.cut_off.store(true, Ordering::Relaxed);
                stderr::print(&format!(
                    "fate: a failure hook did not return within {} s (called for: {error}); it \
                     is not called again\n",
                    CALL_LIMIT.as_secs()
                ));
                Runner::start()
            }
        }
    }
}

thread_local! {
    /// Whether this thread calls the hooks: a panic here is a hook's, which fate
    /// notes itself (it is no failure, even under `all_panics`).
    static CALLING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is calling a failure hook now.
pub(crate) fn calling_a_hook() -> bool {
    CALLING.try_with(std::cell::Cell::get).unwrap_or(false)
}

fn call(registered: &Registered, error: &Error) {
    let _ = CALLING.try_with(|calling| calling.set(true));
    let called = panic::catch_unwind(AssertUnwindSafe(|| (registered.hook)(error)));
    let _ = CALLING.try_with(|calling| calling.set(false));
    if let Err(payload) = called {
        if !registered.panic_noted.swap(true, Ordering::Relaxed) {
            stderr::print(&format!(
                "fate: a failure hook panicked: {} (called for: {error}); later panics of this \
                 hook are not shown\n",
                payload_message(&*payload)
            ));
        }
        let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
    }
}
