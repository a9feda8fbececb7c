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

/// Panics, and is restarted only after 10 s.
#[fate::supervised(restart = 3, backoff = "10s")]
fn slow_restart() {
    panic!("slow restart panicked");
}

#[fate::supervised]
fn inner_err() -> Result<u32, String> {
    Err("inner failed".to_owned())
}

/// Passes the inner call's `Err` up unchanged, twice: the failure is the inner call's.
#[fate::supervised(restart = 1)]
fn passes_it_up() -> Result<u32, String> {
    inner_err()
}

/// Fails once; its restart waits 10 s, which `fate::cancel()` cuts short.
#[fate::supervised(restart = 1, backoff = "10s")]
fn fails_before_the_stop() -> Result<(), String> {
    Err("failed before the stop".to_owned())
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
        // A restarting worker's panic, then another worker's failure during the
        // backoff: the report is the other worker's, and the restarted panic is not
        // counted again.
        "restarted_then_other_fails" => {
            std::thread::spawn(slow_restart);
            std::thread::spawn(fails_soon);
            block_forever()
        }
        "passed_up" => {
            let _ = std::thread::spawn(passes_it_up).join();
            block_forever()
        }
        // `fate::cancel()` during a backoff: the worker ends with the failure it was
        // restarting (told already), and `main` ends as if its body had returned: 0.
        "cancel_during_backoff" => {
            let worker = std::thread::spawn(fails_before_the_stop);
            std::thread::sleep(Duration::from_millis(100));
            // From the body's thread, so the body is not cut off: it joins the worker.
            fate::cancel();
            let returned = worker.join().expect("no panic");
            println!("the worker returned: {returned:?}");
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
