//! A producer feeds records to a consumer over a channel. Record 7 is bad: the
//! consumer panics on it. Without fate, the panic kills the consumer thread alone; the
//! producer finds the consumer gone and waits to be stopped, and `main`, joining the
//! producer, hangs. With fate, `main` returns the consumer's failure at once.
//!
//! Run it with `cargo run --example pipeline`.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

#[fate::supervised]
fn main() -> Result<(), fate::Error> {
    let (tx, rx) = sync_channel(2);
    let producer = thread::Builder::new()
        .name("producer".into())
        .spawn(move || produce(tx))
        .expect("spawn the producer");
    thread::Builder::new()
        .name("consumer".into())
        .spawn(move || consume(rx))
        .expect("spawn the consumer");
    // Without fate this join would never return: the producer waits to be stopped.
    producer.join().expect("the producer never panics");
    Ok(())
}

/// Sends records forever; blocks when the consumer stops reading.
#[fate::supervised]
fn produce(tx: SyncSender<u32>) {
    for record in 0.. {
        if tx.send(record).is_err() {
            thread::park(); // the consumer hung up: wait to be stopped
        }
    }
}

/// Checks each record; panics on a bad one.
#[fate::supervised]
fn consume(rx: Receiver<u32>) {
    for record in rx {
        if record == 7 {
            panic!("bad record {record}");
        }
    }
}
