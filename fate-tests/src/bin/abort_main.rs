//! Built with `panic = "abort"` (the `fixture-abort` profile) by tests/panic_abort.rs:
//! nothing unwinds, so the report must be printed before the process aborts.

use std::sync::{Arc, Barrier};
use std::thread;

use fate_tests::{block_forever, scenario, unknown};

#[fate::supervised]
fn main() {
    let workers = match scenario().as_str() {
        // One worker fails.
        "one" => 1,
        // Four workers fail at once.
        "four" => 4,
        other => unknown(other),
    };
    let barrier = Arc::new(Barrier::new(workers));
    for i in 0..workers {
        let barrier = barrier.clone();
        thread::Builder::new()
            .name(format!("w{i}"))
            .spawn(move || crash(barrier, i))
            .expect("spawn");
    }
    block_forever()
}

#[fate::supervised]
fn crash(barrier: Arc<Barrier>, i: usize) {
    barrier.wait();
    panic!("out of cheese {i}");
}
