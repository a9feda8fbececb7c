//! Programs that pinned the bugs of the hostile review of the exactly-once runtime, one
//! scenario per first argument.

use std::io::Write;
use std::time::Duration;

use fate_tests::{block_forever, number_arg, scenario, unknown};

#[fate::supervised]
fn fails() -> std::io::Result<()> {
    std::thread::sleep(Duration::from_millis(50));
    Err(std::io::Error::other("the worker failed"))
}

#[fate::supervised]
fn helper() {
    panic!("a helper panics; its caller catches it");
}

#[fate::supervised]
fn catcher() -> bool {
    std::panic::catch_unwind(helper).is_err()
}

#[fate::supervised]
fn catches_many(panics: u64) -> u64 {
    let mut caught = 0;
    for i in 0..panics {
        if std::panic::catch_unwind(|| panic!("job {i} panics")).is_err() {
            caught += 1;
        }
    }
    caught
}

mod cli {
    /// A supervised `main` that is not the program's: a module's entry point.
    #[fate::supervised]
    pub fn main() -> Result<(), fate::Error> {
        Ok(())
    }
}

#[fate::supervised]
fn late_worker() {
    panic!("a worker after cli::main returned");
}

#[fate::supervised]
fn main() -> Result<(), fate::Error> {
    match scenario().as_str() {
        // The body holds the stderr lock (a CLI that logs through it) while a worker
        // fails: fate must not wait for that lock.
        "stderr_locked_failure" => {
            let mut log = std::io::stderr().lock();
            let _ = writeln!(log, "main: stderr locked");
            let _ = std::thread::spawn(fails).join();
            block_forever()
        }
        // The same while a caught panic's message is printed: no failure, exit 0.
        "stderr_locked_caught" => {
            let mut log = std::io::stderr().lock();
            let caught = std::thread::spawn(catcher).join();
            let _ = writeln!(log, "main: caught = {caught:?}");
            Ok(())
        }
        // A module's supervised `main` returns; the program's root covers the process
        // again.
        "nested_main" => {
            cli::main()?;
            let _ = std::thread::spawn(late_worker).join();
            block_forever()
        }
        // A worker catches many panics and never runs fate's code in between.
        "many_caught" => {
            let panics = number_arg(2, 50_000);
            let caught = std::thread::spawn(move || catches_many(panics))
                .join()
                .expect("caught every one");
            println!("caught {caught}");
            Ok(())
        }
        other => unknown(other),
    }
}
