//! One timer for the whole process: the deadlines of fate's own futures (the backoff
//! of a restarting `async` worker) and of its watchdogs (`stall`, `max_poll`), so that
//! fate needs no executor's timer and no thread per worker.
//!
//! A single thread, started when the first deadline is armed, sleeps on a condition
//! variable until the earliest deadline (or, with nothing armed, until something is:
//! no wake-ups at all while idle), then wakes the futures and runs the checks whose
//! time has come.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Condvar, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// The armed deadlines, each with the waker of the future waiting for it.
struct Timers {
    armed: Mutex<Armed>,
    changed: Condvar,
}

/// What to do at a deadline.
enum Due {
    Wake(Waker),
    /// A watchdog's check (it may arm the next one itself).
    Run(Box<dyn FnOnce() + Send>),
}

#[derive(Default)]
struct Armed {
    /// By deadline, then by arming order (so that two equal deadlines never clash).
    wakers: BTreeMap<(Instant, u64), Due>,
    next_key: u64,
}

/// How many times the timer's thread has woken up (for the benchmark that checks it
/// sleeps while nothing is armed).
static WAKE_UPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many times the timer's thread has woken up so far.
pub(crate) fn wake_ups() -> u64 {
    WAKE_UPS.load(std::sync::atomic::Ordering::Relaxed)
}

/// A deadline armed with [`run_at`], to [`disarm`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key((Instant, u64));

/// Runs `check` on the timer's thread at `deadline` (unless disarmed first). The
/// check must be quick: it holds up the other deadlines.
pub(crate) fn run_at(deadline: Instant, check: Box<dyn FnOnce() + Send>) -> Option<Key> {
    let timers = timers();
    if NO_THREAD.get().is_some() {
        return None;
    }
    let mut armed = timers.armed.lock().unwrap_or_else(|e| e.into_inner());
    let earliest = armed.wakers.keys().next().map(|&(deadline, _)| deadline);
    let key = (deadline, armed.next_key);
    armed.next_key += 1;
    armed.wakers.insert(key, Due::Run(check));
    drop(armed);
    if earliest.is_none_or(|earliest| deadline < earliest) {
        timers.changed.notify_one();
    }
    Some(Key(key))
}

/// Takes back a deadline armed with [`run_at`]; `false` if its check ran already.
pub(crate) fn disarm(key: Key) -> bool {
    let timers = timers();
    let mut armed = timers.armed.lock().unwrap_or_else(|e| e.into_inner());
    armed.wakers.remove(&key.0).is_some()
}

fn timers() -> &'static Timers {
    static TIMERS: OnceLock<Timers> = OnceLock::new();
    TIMERS.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("fate-timer".into())
            .spawn(run);
        if spawned.is_err() {
            // No thread for the timer: a `Sleep` then completes at once (the backoff is
            // skipped), which loses nothing but the wait.
            NO_THREAD.set(()).ok();
        }
        Timers {
            armed: Mutex::new(Armed::default()),
            changed: Condvar::new(),
        }
    })
}

static NO_THREAD: OnceLock<()> = OnceLock::new();

fn run() {
    let timers = timers();
    let mut armed = timers.armed.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        while let Some(entry) = armed.wakers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            due.push(entry.remove());
        }
        if !due.is_empty() {
            drop(armed);
            for due in due {
                match due {
                    Due::Wake(waker) => waker.wake(),
                    // A check that panics must not end the timer.
                    Due::Run(check) => {
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
                    }
                }
            }
            armed = timers.armed.lock().unwrap_or_else(|e| e.into_inner());
            continue;
        }
        WAKE_UPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        armed = match armed.wakers.keys().next() {
            None => timers
                .changed
                .wait(armed)
                .unwrap_or_else(|e| e.into_inner()),
            Some(&(deadline, _)) => {
                timers
                    .changed
                    .wait_timeout(armed, deadline.saturating_duration_since(now))
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
        };
    }
}

/// A future that completes `duration` after it is made.
#[must_use = "futures do nothing unless awaited"]
pub(crate) struct Sleep {
    deadline: Instant,
    /// Its place among the armed wakers, while it waits.
    key: Option<(Instant, u64)>,
}

pub(crate) fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
        key: None,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if Instant::now() >= this.deadline {
            this.disarm();
            return Poll::Ready(());
        }
        let timers = timers();
        if NO_THREAD.get().is_some() {
            return Poll::Ready(());
        }
        let mut armed = timers.armed.lock().unwrap_or_else(|e| e.into_inner());
        let earliest = armed.wakers.keys().next().map(|&(deadline, _)| deadline);
        let key = match this.key {
            Some(key) if armed.wakers.contains_key(&key) => key,
            // Not armed yet, or woken (the timer took it) but polled early.
            _ => {
                let key = (this.deadline, armed.next_key);
                armed.next_key += 1;
                this.key = Some(key);
                key
            }
        };
        armed.wakers.insert(key, Due::Wake(cx.waker().clone()));
        drop(armed);
        if earliest.is_none_or(|earliest| this.deadline < earliest) {
            timers.changed.notify_one();
        }
        Poll::Pending
    }
}

impl Sleep {
    fn disarm(&mut self) {
        if let Some(key) = self.key.take() {
            let timers = timers();
            let mut armed = timers.armed.lock().unwrap_or_else(|e| e.into_inner());
            armed.wakers.remove(&key);
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.disarm();
    }
}

#[cfg(all(test, not(fate_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll(sleep: &mut Sleep, waker: &Waker) -> Poll<()> {
        Pin::new(sleep).poll(&mut Context::from_waker(waker))
    }

    /// While nothing is armed, the timer's thread sleeps: it does not wake up at all.
    /// The tests that arm the process's timer, one at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn the_timer_does_not_wake_up_while_nothing_is_armed() {
        let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let woken = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(woken.clone());
        let mut sleep = sleep(Duration::from_millis(5));
        assert!(poll(&mut sleep, &waker).is_pending());
        while woken.0.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Half a second with nothing armed (the other test that arms deadlines takes
        // the same lock).
        std::thread::sleep(Duration::from_millis(20));
        let before = wake_ups();
        std::thread::sleep(Duration::from_millis(500));
        assert!(timers().armed.lock().unwrap().wakers.is_empty());
        assert_eq!(wake_ups(), before, "the idle timer woke up");
    }

    #[test]
    fn a_sleep_is_woken_once_at_its_deadline_and_a_dropped_one_never() {
        let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let woken = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(woken.clone());
        let mut short = sleep(Duration::from_millis(30));
        let mut dropped = sleep(Duration::from_millis(10));
        assert!(poll(&mut short, &waker).is_pending());
        assert!(poll(&mut dropped, &waker).is_pending());
        drop(dropped);
        let started = Instant::now();
        while woken.0.load(Ordering::SeqCst) == 0 {
            assert!(started.elapsed() < Duration::from_secs(10), "never woken");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(
            Instant::now() >= short.deadline,
            "woken before its deadline"
        );
        assert_eq!(poll(&mut short, &waker), Poll::Ready(()));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(
            woken.0.load(Ordering::SeqCst),
            1,
            "the dropped sleep woke too"
        );
    }
}
