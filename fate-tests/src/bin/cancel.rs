//! `fate::cancel()`: a graceful stop (grace 300 ms).

use std::process::ExitCode;
use std::time::Duration;

use fate_tests::{block_forever, scenario, unknown};

#[fate::supervised]
fn flushes() -> std::io::Result<()> {
    // Works until cancelled, then flushes.
    while !fate::wait_cancelled(Duration::from_millis(10)) {}
    println!("flushed");
    Ok(())
}

#[fate::supervised]
fn breaks_while_stopping() -> Result<(), String> {
    fate::wait_cancelled(Duration::from_secs(10));
    Err("could not stop cleanly".to_owned())
}

#[fate::supervised(grace = "300ms")]
fn main() -> ExitCode {
    match scenario().as_str() {
        // Another thread asks for a stop; the body waits for its worker and returns.
        "from_another_thread" => {
            let worker = std::thread::spawn(flushes);
            std::thread::spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                fate::cancel();
            });
            worker.join().expect("no panic").expect("flushed");
            println!("body returns");
            ExitCode::from(0)
        }
        // Another thread asks for a stop; the body is blocked: cut off after the grace
        // period, with status 9.
        "blocked_body" => {
            std::thread::spawn(flushes);
            std::thread::spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                fate::cancel();
            });
            block_forever()
        }
        // The body asks for the stop itself, then returns its own status: never cut
        // off.
        "from_the_body" => {
            let worker = std::thread::spawn(flushes);
            fate::cancel();
            std::thread::sleep(Duration::from_millis(600)); // past the grace period
            worker.join().expect("no panic").expect("flushed");
            ExitCode::from(3)
        }
        // A worker fails while stopping: a failure all the same.
        "failure_while_stopping" => {
            std::thread::spawn(breaks_while_stopping);
            fate::cancel();
            block_forever()
        }
        other => unknown(other),
    }
}
