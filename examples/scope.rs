//! A producer and a consumer in a `fate::scope`, both borrowing the caller's data (the
//! records, and the channel's receiving end, which `main` keeps). The
//! consumer panics on a bad record. With `std::thread::scope` the producer would wait
//! forever for room in the full channel, and the scope with it; with `fate::scope` the
//! consumer's failure cancels the scope, the producer sees it and stops, and the scope
//! returns the consumer's report.
//!
//! Run it with `cargo run --example scope`.

use std::sync::mpsc::{sync_channel, TrySendError};
use std::sync::Mutex;
use std::time::Duration;

fn main() {
    let records: Vec<u32> = (0..1_000).collect(); // borrowed by both threads
    let (tx, rx) = sync_channel(4);
    let rx = Mutex::new(rx); // borrowed by the consumer: kept, whatever the consumer does
    let result = fate::scope(|s| {
        let records = &records;
        s.spawn_named("producer", move || {
            for record in records {
                let mut record = *record;
                // A send that can give up: wait for room, but stop once cancelled.
                loop {
                    match tx.try_send(record) {
                        Ok(()) => break,
                        Err(TrySendError::Full(back)) => {
                            if fate::wait_cancelled(Duration::from_millis(10)) {
                                println!("producer: cancelled, stopping");
                                return;
                            }
                            record = back;
                        }
                        Err(TrySendError::Disconnected(_)) => unreachable!("`main` keeps `rx`"),
                    }
                }
            }
        });
        let rx = &rx;
        s.spawn_named("consumer", move || {
            let mut total = 0;
            let rx = rx.lock().expect("only the consumer locks it");
            for record in rx.iter() {
                if record == 7 {
                    panic!("bad record {record}");
                }
                total += record;
            }
            total
        })
        .join()
        .ok()
    });
    match result {
        Ok(total) => println!("total: {total:?}"),
        Err(error) => {
            eprintln!("Error: {error:?}");
            std::process::exit(1);
        }
    }
}
