//! A worker that gets stuck: `crunch` processes jobs, calling `fate::heartbeat()` after
//! each; job 3 waits for a reply that never comes (the other end is kept, never used),
//! a hang no panic would ever report. With `stall = "500ms"`, 500 ms without a
//! heartbeat is a failure: `main` ends with a report that points at the last one.
//!
//! `cargo run --example stall`

use std::sync::mpsc;
use std::time::Duration;

#[fate::supervised(stall = "500ms")]
fn crunch(jobs: Vec<u32>) {
    let (_reply_to, replies) = mpsc::channel::<u32>();
    for job in jobs {
        std::thread::sleep(Duration::from_millis(50)); // the work
        if job == 3 {
            let _ = replies.recv(); // nobody ever answers
        }
        fate::heartbeat();
    }
}

#[fate::supervised]
fn main() {
    let worker = std::thread::Builder::new()
        .name("cruncher".into())
        .spawn(|| crunch(vec![1, 2, 3, 4]))
        .expect("spawn the worker");
    let _ = worker.join(); // without fate: forever
}
