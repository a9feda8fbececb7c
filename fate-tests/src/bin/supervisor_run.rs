//! No macro on `main`: a `fate::Supervisor` root as a value. Prints what `run`
//! returned on stdout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};

use fate_tests::{number_arg, scenario, unknown};

fn main() {
    match scenario().as_str() {
        // 1. The body returns right as a fate::spawn'ed worker panics (after spinning
        //    `spins` more times). The worker is joined after `run` returns, so its
        //    panic has surely happened before the program ends.
        "race_return" => {
            let spins = number_arg(2, 0);
            let handle = Arc::new(Mutex::new(None));
            let body_handle = handle.clone();
            let result = fate::Supervisor::new().run(move || {
                let go = Arc::new(AtomicBool::new(false));
                let (ready_tx, ready_rx) = mpsc::channel();
                let racer_go = go.clone();
                let racer = fate::spawn(move || races(ready_tx, racer_go, spins));
                *body_handle.lock().unwrap() = Some(racer);
                ready_rx.recv().expect("the racer is ready");
                go.store(true, Ordering::Release);
            });
            match &result {
                Ok(()) => println!("run returned Ok"),
                Err(error) => println!("run returned Err: {error}"),
            }
            let racer = handle.lock().unwrap().take();
            if let Some(racer) = racer {
                let _ = racer.join();
            }
        }
        other => unknown(other),
    }
}

#[fate::supervised]
fn races(ready: Sender<()>, go: Arc<AtomicBool>, spins: u64) {
    ready.send(()).expect("the body waits for this");
    while !go.load(Ordering::Acquire) {
        std::hint::spin_loop();
    }
    for _ in 0..spins {
        std::hint::spin_loop();
    }
    panic!("lost in the race");
}
