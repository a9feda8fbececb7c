//! Workers that outlive the root that started them: a thread a scope's thread started
//! with `fate::spawn`, a thread a `Supervisor`'s body started. Their failures are
//! not lost.

use std::time::Duration;

use fate_tests::{block_forever, scenario, unknown};

#[fate::supervised]
fn fails_later() -> Result<(), String> {
    std::thread::sleep(Duration::from_millis(100));
    Err("failed after its scope returned".to_owned())
}

#[fate::supervised]
fn panics_later() {
    std::thread::sleep(Duration::from_millis(100));
    panic!("panicked after its scope returned");
}

#[fate::supervised]
fn main() {
    match scenario().as_str() {
        // The scope returns at once, well; its thread's thread fails later: `main`'s
        // failure, the scope having been made in `main`.
        "scope_err" => {
            let returned = fate::scope(|s| {
                s.spawn(|| {
                    fate::spawn(fails_later);
                });
            });
            assert!(returned.is_ok());
            block_forever()
        }
        "scope_panic" => {
            let returned = fate::scope(|s| {
                s.spawn(|| {
                    fate::spawn(panics_later);
                });
            });
            assert!(returned.is_ok());
            block_forever()
        }
        // A `Supervisor` is a root of its own, made in no other: what fails after it
        // returned is said on stderr, and `main` goes on.
        "supervisor_err" => {
            let returned = fate::Supervisor::new().run(|| {
                fate::spawn(fails_later);
            });
            assert!(returned.is_ok());
            std::thread::sleep(Duration::from_millis(300));
            println!("main returns");
        }
        other => unknown(other),
    }
}
