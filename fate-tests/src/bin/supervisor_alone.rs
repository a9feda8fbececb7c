//! A `Supervisor` in a program whose `main` is not supervised: the `Supervisor` is the
//! only root, and what its workers do after it returned is nobody's failure, but it
//! is said (once) and alerted (once).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fate_tests::{scenario, unknown};

#[fate::supervised]
fn panics_later() {
    std::thread::sleep(Duration::from_millis(100));
    panic!("panicked after its supervisor returned");
}

static ATTEMPT: AtomicU32 = AtomicU32::new(0);

/// Panics on each attempt; the second comes after its `Supervisor` returned.
#[fate::supervised(restart = 1, backoff = "100ms")]
fn panics_across_the_end() {
    let attempt = ATTEMPT.fetch_add(1, Ordering::SeqCst) + 1;
    panic!("attempt {attempt}");
}

fn main() {
    fate::on_failure(|failure| {
        println!("hook: {:?} {failure}", failure.disposition());
    });
    let returned = match scenario().as_str() {
        "late_panic" => fate::Supervisor::new().run(|| {
            fate::spawn(panics_later);
        }),
        "late_restarted_panic" => fate::Supervisor::new().run(|| {
            fate::spawn(panics_across_the_end);
            // The first attempt fails (and is restarted) while the root runs.
            std::thread::sleep(Duration::from_millis(30));
        }),
        // `Supervisor::signals(true)`: the body stops on SIGTERM, and `run` says why.
        "signals" => {
            let returned = fate::Supervisor::new()
                .signals(true)
                .grace(Duration::from_secs(2))
                .run(|| {
                    eprintln!("ready");
                    while !fate::wait_cancelled(Duration::from_secs(60)) {}
                    7
                });
            let error = returned.expect_err("interrupted");
            println!(
                "{:?}: {error} (exit code {})",
                error.kind(),
                error.exit_code()
            );
            std::process::exit(0)
        }
        // After `run` returned, the signals are the system's again: SIGTERM ends the
        // process, as if fate had never handled it.
        "signals_returned" => {
            let returned = fate::Supervisor::new().signals(true).run(|| 7);
            assert_eq!(returned.ok(), Some(7));
            eprintln!("ready");
            std::thread::sleep(Duration::from_secs(10));
            println!("SIGTERM did nothing");
            std::process::exit(0)
        }
        // Supervisors with signals one after another: a signal at any moment is either
        // one's (it returns the interruption) or the system's (the process dies of it),
        // never lost.
        "signals_loop" => {
            eprintln!("ready");
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(3) {
                let returned = fate::Supervisor::new().signals(true).run(|| ());
                if let Err(error) = returned {
                    println!("{error}");
                    std::process::exit(error.exit_code().into());
                }
            }
            println!("the signal was lost");
            std::process::exit(0)
        }
        other => unknown(other),
    };
    assert!(returned.is_ok());
    std::thread::sleep(Duration::from_millis(600));
    println!("main returns");
}
