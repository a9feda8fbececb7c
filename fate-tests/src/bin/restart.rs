//! `restart = N` (issue 11): workers that fail and are called again.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fate_tests::{block_forever, scenario, unknown};

static CALLS: AtomicU32 = AtomicU32::new(0);

/// Panics on its first call, returns `Err` on its second, succeeds on its third.
#[fate::supervised(restart = 3)]
fn flaky(record: u32) -> Result<u32, String> {
    match CALLS.fetch_add(1, Ordering::SeqCst) {
        0 => panic!("flaky panicked on record {record}"),
        1 => Err(format!("flaky failed on record {record}")),
        _ => Ok(record * 2),
    }
}

/// Always fails; one restart allowed.
#[fate::supervised(restart = 1)]
fn hopeless(attempts: Arc<AtomicU32>) -> Result<(), String> {
    let attempt = attempts.fetch_add(1, Ordering::SeqCst) + 1;
    Err(format!("attempt {attempt} failed"))
}

/// Always panics; two restarts within 10 s, 50 ms of backoff doubling.
#[fate::supervised(restart = 2, within = "10s", backoff = "50ms")]
fn always_panics(started: Instant) {
    let _ = started;
    panic!("always panics");
}

/// Changes its arguments and fails once: the second attempt sees them as passed.
#[fate::supervised(restart = 1)]
fn changes_its_arguments(mut items: Vec<u32>, (a, b): (u32, u32), seen: &Mutex<Vec<String>>) {
    seen.lock().unwrap().push(format!("{items:?} {a} {b}"));
    items.push(99);
    if seen.lock().unwrap().len() == 1 {
        panic!("first attempt");
    }
}

/// Fails, then waits a long backoff, which the root's cancellation cuts short.
#[fate::supervised(restart = 3, backoff = "30s")]
fn long_backoff() -> Result<(), String> {
    Err("needs a long rest".to_owned())
}

#[fate::supervised]
fn fails_soon() {
    std::thread::sleep(Duration::from_millis(100));
    panic!("the other worker failed");
}

/// An inner supervised call's panic restarts the outer worker.
#[fate::supervised(restart = 1)]
fn outer() -> u32 {
    inner()
}

#[fate::supervised]
fn inner() -> u32 {
    if CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        panic!("inner failed");
    }
    7
}

#[fate::supervised(restart = 2, backoff = "20ms")]
async fn flaky_async(record: u32) -> Result<u32, std::io::Error> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    match CALLS.fetch_add(1, Ordering::SeqCst) {
        0 => panic!("flaky_async panicked on record {record}"),
        1 => Err(std::io::Error::other(format!(
            "flaky_async failed on record {record}"
        ))),
        _ => Ok(record * 3),
    }
}

#[fate::supervised(restart = 1)]
async fn hopeless_async() -> Result<(), std::io::Error> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    Err(std::io::Error::other("hopeless_async failed"))
}

#[fate::supervised(restart = 3, backoff = "30s")]
async fn long_backoff_async() -> Result<(), String> {
    Err("needs a long rest".to_owned())
}

#[fate::supervised]
fn main() -> Result<(), fate::Error> {
    match scenario().as_str() {
        "flaky_then_ok" => {
            let doubled = flaky(21).expect("the third attempt succeeds");
            println!(
                "doubled: {doubled}, calls: {}",
                CALLS.load(Ordering::SeqCst)
            );
        }
        "budget_spent" => {
            let attempts = Arc::new(AtomicU32::new(0));
            let _ = std::thread::spawn(move || hopeless(attempts)).join();
            block_forever()
        }
        "panics_with_backoff" => {
            std::thread::spawn(move || always_panics(Instant::now()));
            block_forever()
        }
        "arguments_cloned" => {
            let seen = Mutex::new(Vec::new());
            changes_its_arguments(vec![1, 2], (3, 4), &seen);
            println!("seen: {:?}", seen.lock().unwrap());
        }
        "cancelled_during_backoff" => {
            std::thread::spawn(long_backoff);
            std::thread::spawn(fails_soon);
            block_forever()
        }
        "inner_panic" => {
            println!("outer: {}", outer());
        }
        "flaky_async" => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            let tripled = runtime
                .block_on(async { tokio::spawn(flaky_async(5)).await })
                .expect("no panic")
                .expect("the third attempt succeeds");
            println!(
                "tripled: {tripled}, calls: {}",
                CALLS.load(Ordering::SeqCst)
            );
        }
        "hopeless_async" => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            runtime.spawn(hopeless_async());
            block_forever()
        }
        "async_cancelled_during_backoff" => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            runtime.spawn(long_backoff_async());
            std::thread::spawn(fails_soon);
            block_forever()
        }
        other => unknown(other),
    }
    Ok(())
}
