//! `#[supervised(signals, grace = "2s")]` (issue 12): SIGINT and SIGTERM stop the
//! program gracefully. Each scenario writes "ready" to stderr when the test may send
//! its signals (`tests/signals.rs`).

use std::time::{Duration, Instant};

use fate_tests::{block_forever, scenario, unknown};

/// Works until the stop, then takes 200 ms to flush what it holds.
#[fate::supervised]
fn flushes() {
    while !fate::wait_cancelled(Duration::from_secs(60)) {}
    std::thread::sleep(Duration::from_millis(200));
    println!("flushed");
}

/// Fails when asked to stop: a failure while stopping is still a failure.
#[fate::supervised]
fn fails_when_stopped() -> Result<(), String> {
    while !fate::wait_cancelled(Duration::from_secs(60)) {}
    Err("could not save the state".to_owned())
}

/// The configuration could not be saved when asked to stop: status 78.
#[fate::supervised(exit_code = 78)]
fn fails_coded_when_stopped() -> Result<(), String> {
    while !fate::wait_cancelled(Duration::from_secs(60)) {}
    Err("could not save the configuration".to_owned())
}

fn ready() {
    eprintln!("ready");
}

#[fate::supervised(signals, grace = "2s")]
fn main() {
    match scenario().as_str() {
        // The worker flushes, the body joins it and returns: status 128 + n.
        "flush" => {
            let worker = std::thread::spawn(flushes);
            ready();
            worker.join().expect("no panic");
            println!("body returns");
        }
        // The body never returns: cut off when the grace period is over.
        "stuck" => {
            std::thread::spawn(flushes);
            ready();
            block_forever()
        }
        "fails_when_stopped" => {
            std::thread::spawn(fails_when_stopped);
            ready();
            block_forever()
        }
        // The first signal; a worker fails while stopping (status 78); the body
        // returns, the report is printed, and the exit waits for a slow failure hook,
        // which a second signal cuts short: with the report's status, not the signal's.
        "coded_failure_then_second_signal" => {
            fate::on_failure(|_| std::thread::sleep(Duration::from_secs(5)));
            let worker = std::thread::spawn(fails_coded_when_stopped);
            ready();
            let _ = worker.join();
        }
        // A handler of the program's own (tokio's, on the same registry as fate's)
        // sees the signal too.
        "tokio_handler" => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            runtime.block_on(async {
                let mut terminate =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .expect("a SIGTERM handler");
                ready();
                terminate.recv().await;
                println!("tokio saw SIGTERM");
                fate::cancelled().await;
                println!("fate cancelled");
            });
        }
        // How long a stop takes, for a signal that is never followed by a second.
        "timed" => {
            let started = Instant::now();
            ready();
            while !fate::wait_cancelled(Duration::from_secs(60)) {}
            println!("cancelled after {:?}", started.elapsed());
        }
        other => unknown(other),
    }
}
