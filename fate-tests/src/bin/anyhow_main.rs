//! `fn main() -> anyhow::Result<()>` (grace 1 s): a named worker panics, and another
//! worker's failure follows.

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use fate_tests::{block_forever, scenario, unknown, Signal, SlowDrop};

#[fate::supervised(grace = "1s")]
fn main() -> anyhow::Result<()> {
    match scenario().as_str() {
        // The panic unwinds for 200 ms; 20 ms after it started the follower fails.
        // The body is blocked: the report comes when the grace period is over.
        "slow_unwind" => {
            let (started_tx, started_rx) = mpsc::channel();
            spawn_named("cruncher", move || crunch_slowly(started_tx));
            spawn_named("follower", move || follow_up(started_rx));
            block_forever()
        }
        // The follower fails once it sees the cancellation; the body joins it and
        // returns within the grace period.
        "on_cancel" => {
            spawn_named("cruncher", crunch);
            let follower = spawn_named("follower", follow_the_cancellation);
            let _ = follower.join();
            Ok(())
        }
        other => unknown(other),
    }
}

fn spawn_named<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> thread::JoinHandle<T> {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .expect("spawn a thread")
}

#[fate::supervised]
fn crunch_slowly(started: Sender<()>) {
    let _slow = SlowDrop(Duration::from_millis(200));
    let _signal = Signal(started);
    panic!("crunch ran out of numbers slowly");
}

#[fate::supervised]
fn follow_up(started: Receiver<()>) -> anyhow::Result<()> {
    started.recv()?;
    thread::sleep(Duration::from_millis(20));
    anyhow::bail!("follow-up failed too")
}

#[fate::supervised]
fn crunch() {
    panic!("crunch ran out of numbers");
}

#[fate::supervised]
fn follow_the_cancellation() -> anyhow::Result<()> {
    anyhow::ensure!(
        fate::wait_cancelled(Duration::from_secs(10)),
        "never cancelled"
    );
    anyhow::bail!("follow-up failed too")
}
