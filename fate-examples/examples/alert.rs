//! Alerting, as the recipe fate grew from mailed the traceback: every failure, restart
//! and failure of a worker that is not critical becomes one JSON line in an alert sink
//! (here a file; a socket or an HTTP call works the same), from `fate::on_failure`, on
//! a thread of fate's. The last line is the failure that ends the program, written
//! before it exits.
//!
//! `cargo run -p fate-examples --features alert --example alert -- alerts.jsonl`

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::Mutex;

#[fate::supervised(restart = 2)]
fn fetch_prices(attempt: &Mutex<u32>) -> Result<u32, std::io::Error> {
    let mut attempt = attempt.lock().unwrap();
    *attempt += 1;
    if *attempt == 1 {
        return Err(std::io::Error::other("the price feed timed out"));
    }
    Ok(42)
}

#[fate::supervised(critical = false)]
fn warm_cache() -> Result<(), String> {
    Err("the cache server is down".to_owned())
}

#[fate::supervised]
fn settle(prices: u32) {
    assert!(prices < 10, "cannot settle at {prices}");
}

#[fate::supervised]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sink = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "alerts.jsonl".to_owned());
    let sink = Mutex::new(
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&sink)
            .expect("open the alert sink"),
    );
    fate::on_failure(move |failure| {
        let line = serde_json::to_string(failure).expect("a report serializes");
        let mut sink = sink.lock().unwrap();
        let _ = writeln!(sink, "{line}");
        let _ = sink.flush();
    });
    let prices = fetch_prices(&Mutex::new(0))?;
    let _ = std::thread::spawn(warm_cache).join();
    std::thread::spawn(move || settle(prices)).join().ok();
    Ok(())
}
