//! Issue 8, item 1, the plain race: a worker panics right as `main`'s body returns
//! `Ok` (it spins a varying number of times past the moment the body lets it go, so
//! that both orders happen).
//!
//! `main` returns `Ok(PanicStarted)`, whose `Termination::report` (which Rust runs
//! after `main` has returned, before the process exits) waits until the worker's panic
//! has started and its panic hook has run. So when fate lets `main` succeed, the panic
//! has surely happened before the exit, and Rust's message for it must be on stderr:
//! a run that exits 0 with nothing printed lost the panic.

use std::process::{ExitCode, Termination};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use fate_tests::{number_arg, Signal};

struct PanicStarted(Receiver<()>);

impl Termination for PanicStarted {
    fn report(self) -> ExitCode {
        // The worker's Signal is dropped while its panic unwinds, after the hook ran.
        let _ = self.0.recv_timeout(Duration::from_secs(5));
        ExitCode::SUCCESS
    }
}

#[fate::supervised]
fn main() -> Result<PanicStarted, fate::Error> {
    let spins = number_arg(1, 0);
    let go = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = mpsc::channel();
    let (started_tx, started_rx) = mpsc::channel();
    let racer_go = go.clone();
    thread::Builder::new()
        .name("racer".to_owned())
        .spawn(move || races(ready_tx, started_tx, racer_go, spins))
        .expect("spawn");
    ready_rx.recv().expect("the racer is ready");
    go.store(true, Ordering::Release);
    Ok(PanicStarted(started_rx))
}

#[fate::supervised]
fn races(ready: Sender<()>, started: Sender<()>, go: Arc<AtomicBool>, spins: u64) {
    let _signal = Signal(started);
    ready.send(()).expect("main waits for this");
    while !go.load(Ordering::Acquire) {
        std::hint::spin_loop();
    }
    for _ in 0..spins {
        std::hint::spin_loop();
    }
    panic!("lost in the race");
}
