//! `#[supervised(signals)]` and `Supervisor::signals(true)` (feature `signals`, unix):
//! SIGINT and SIGTERM stop the root gracefully.
//!
//! The first signal cancels the root as `fate::cancel()` from another thread does: the
//! workers see it, the grace period applies, and the root then ends with the report
//! "interrupted by SIGTERM" (status `128 + n`), unless a worker fails meanwhile (that
//! failure is the report). A second signal ends the process at once, with the report
//! of what happened so far.
//!
//! The handlers are signal-hook's, through its registry, which chains every handler
//! registered in the process: tokio's `tokio::signal` (which uses the same registry)
//! and fate's both see each signal.
//!
//! The registry never gives a signal back to the system: once a handler was
//! installed, a signal nobody listens to any more would do nothing at all. So while no
//! root of fate's listens (a `Supervisor` with signals returned), fate's fallback
//! action does what the system would have done: it ends the process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread::JoinHandle;

use once_cell::sync::OnceCell;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

use crate::ending;
use crate::root::{Root, RootKind, Signal};
use crate::stderr;
use crate::sync::Arc;

/// The signals fate listens to, with their names.
const STOPPING: [Signal; 2] = [
    Signal {
        number: SIGINT,
        name: "SIGINT",
    },
    Signal {
        number: SIGTERM,
        name: "SIGTERM",
    },
];

/// How many roots listen now; the fallback acts only while none does.
static LISTENING: Mutex<usize> = Mutex::new(0);

/// The fallback's switch: `true` while no root listens (at first too: between the
/// fallback's registration, which replaces the system's default action, and the first
/// listener's, the fallback is that default).
fn idle() -> &'static std::sync::Arc<AtomicBool> {
    static IDLE: OnceCell<std::sync::Arc<AtomicBool>> = OnceCell::new();
    IDLE.get_or_init(|| {
        let idle = std::sync::Arc::new(AtomicBool::new(true));
        for signal in STOPPING {
            // Registered before the first listener's handlers, for good.
            let _ = signal_hook::flag::register_conditional_default(signal.number, idle.clone());
        }
        idle
    })
}

/// A root begins or ends listening.
fn count_listener(delta: isize) {
    let mut listening = LISTENING.lock().unwrap_or_else(|e| e.into_inner());
    *listening = listening.saturating_add_signed(delta);
    idle().store(*listening == 0, Ordering::SeqCst);
}

/// A root's listener: its thread waits for the signals until the listener is dropped.
#[must_use]
pub(crate) struct Listener {
    handle: Handle,
    thread: Option<JoinHandle<()>>,
    /// Set as the listener is dropped, before it stops counting.
    closing: std::sync::Arc<AtomicBool>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        // The fallback first: a signal from now on is the system's, whether it reaches
        // the fallback or this listener's last look (below).
        self.closing.store(true, Ordering::SeqCst);
        count_listener(-1);
        self.handle.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts listening for SIGINT and SIGTERM on behalf of `root`. `None`, said once on
/// stderr, if the handlers or the thread could not be set up: the program then stops
/// on a signal as it would without fate.
pub(crate) fn listen(root: &Arc<Root>) -> Option<Listener> {
    // The fallback is registered (and on) before the listener's handlers, and off only
    // once they are in place: no instant when neither acts.
    let _ = idle();
    let listener = start(root);
    if listener.is_some() {
        count_listener(1);
    }
    listener
}

/// A signal no root takes any more (a `Supervisor`'s, once it decided its outcome):
/// what the system would do with it, unless another root of fate's listens. A `main`
/// root that decided is ending the process itself, within its bounds: nothing.
fn unclaimed(root: &Root, number: i32, listeners_here: usize) {
    if matches!(root.kind(), RootKind::Main { .. }) {
        return;
    }
    if *LISTENING.lock().unwrap_or_else(|e| e.into_inner()) <= listeners_here {
        let _ = signal_hook::low_level::emulate_default_handler(number);
    }
}

fn start(root: &Arc<Root>) -> Option<Listener> {
    let mut signals = match Signals::new(STOPPING.map(|signal| signal.number)) {
        Ok(signals) => signals,
        Err(error) => {
            stderr::print(&format!(
                "fate: cannot listen for SIGINT and SIGTERM ({error}): they will stop the \
                 program at once\n"
            ));
            return None;
        }
    };
    let handle = signals.handle();
    let root = root.clone();
    let closing = std::sync::Arc::new(AtomicBool::new(false));
    let closed = closing.clone();
    let thread = std::thread::Builder::new()
        .name("fate-signals".into())
        .spawn(move || {
            for number in signals.forever() {
                let Some(signal) = STOPPING.into_iter().find(|s| s.number == number) else {
                    continue;
                };
                if root.interrupt(signal) {
                    continue;
                }
                if root.is_interrupted() {
                    ending::end_now(&root, signal);
                }
                // This listener still counts itself, unless it is being closed.
                let here = usize::from(!closed.load(Ordering::SeqCst));
                unclaimed(&root, number, here);
            }
            // Closed: the signals that came in before and were not read yet.
            for number in signals.pending() {
                unclaimed(&root, number, 0);
            }
        });
    match thread {
        Ok(thread) => Some(Listener {
            handle,
            thread: Some(thread),
            closing,
        }),
        Err(_) => {
            handle.close();
            stderr::print("fate: no thread to listen for SIGINT and SIGTERM\n");
            None
        }
    }
}
