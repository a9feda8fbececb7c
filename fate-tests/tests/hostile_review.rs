//! Regressions found by the hostile review of the exactly-once runtime, one test per
//! bug, each named after what broke.

mod support;

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;
use std::time::Duration;

use fate::Supervisor;
use support::run;

const REGRESSIONS: &str = env!("CARGO_BIN_EXE_regressions");

/// fate wrote through `io::stderr().lock()`: a body holding it (a CLI that logs
/// through it) hung the program forever once a worker failed.
#[test]
fn a_body_holding_the_stderr_lock_does_not_hang_the_report() {
    let output = run(REGRESSIONS)
        .arg("stderr_locked_failure")
        .timeout(Duration::from_secs(10))
        .output();
    output
        .assert_code(1)
        .assert_stderr_has("Error: worker `fails` failed: the worker failed");
}

/// ... nor the message of a caught panic, printed when fate learns it was caught.
#[test]
fn a_body_holding_the_stderr_lock_does_not_hang_a_caught_panics_message() {
    let output = run(REGRESSIONS)
        .arg("stderr_locked_caught")
        .timeout(Duration::from_secs(10))
        .output();
    output
        .assert_code(0)
        .assert_stderr_count("a helper panics; its caller catches it", 1)
        .assert_stderr_has("main: caught = Ok(true)");
}

/// A module's supervised `main` (`cli::main`) called from the program's took the
/// process root away when it returned: a later failure was printed raw, exit 0.
#[test]
fn a_nested_supervised_main_gives_the_process_root_back() {
    let output = run(REGRESSIONS).arg("nested_main").output();
    output.assert_code(1).assert_stderr_has(
        "Error: worker `late_worker` panicked at fate-tests/src/bin/regressions.rs",
    );
}

/// Every caught panic stayed held while the worker never ran fate's code again (about
/// 6 KB each with a backtrace): 20,000 of them needed some 175 MB. Now at most a few
/// are held, and they fit in 160 MiB of address space with room to spare (about 60 MB,
/// most of it the symbols of the backtraces printed). One malloc arena: each arena
/// glibc makes for another thread reserves 64 MiB of address space, which made the
/// limit fail now and then, depending on which threads allocated first.
#[test]
fn panics_caught_in_a_loop_are_not_all_held() {
    let output = run(REGRESSIONS)
        .arg("many_caught")
        .arg("20000")
        .backtraces()
        .env("MALLOC_ARENA_MAX", "1")
        .memory_limit_mib(160)
        .timeout(Duration::from_secs(60))
        .output();
    output.assert_code(0).assert_stdout("caught 20000\n");
}

// --- in-process ----------------------------------------------------------------------

/// Waits in its `Drop` for a signal (bounded), so that a panic keeps unwinding.
struct WaitFor(Mutex<Receiver<()>>);

impl Drop for WaitFor {
    fn drop(&mut self) {
        let _ = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .recv_timeout(Duration::from_secs(5));
    }
}

/// Sends a signal from its `Drop`, then sleeps `.1` ms.
struct Notify(Sender<()>, u64);

impl Drop for Notify {
    fn drop(&mut self) {
        let _ = self.0.send(());
        std::thread::sleep(Duration::from_millis(self.1));
    }
}

// The panic under test is `Option::unwrap()` on `None`, as written every day.
#[allow(clippy::unnecessary_literal_unwrap)]
#[fate::supervised]
fn a_worker(go: Receiver<()>, done: Sender<()>, unwind_ms: u64) {
    let _ = go.recv();
    let _notify = Notify(done, unwind_ms);
    let nothing: Option<u8> = None;
    nothing.unwrap();
}

#[allow(clippy::unnecessary_literal_unwrap)]
#[fate::supervised]
fn b_worker(b_panicked: Sender<()>, a_done: Receiver<()>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool");
    let a_done = Mutex::new(a_done);
    // The panic happens on the pool's thread, is caught by rayon and re-raised here.
    // Dropped in reverse order as the panic unwinds: tell A to panic, then wait until it
    // has, so that A's capture is the newer one when rayon re-raises B's.
    pool.install(move || {
        let _wait = WaitFor(a_done);
        let _tell = Notify(b_panicked, 0);
        let nothing: Option<u8> = None;
        nothing.unwrap();
    });
}

/// Re-raised panics were matched by their message across roots: two roots whose
/// workers panic with the same message (`called `Option::unwrap()` on a `None`
/// value`) lost or swapped their failures.
#[test]
fn re_raised_panics_are_never_matched_with_another_roots() {
    for unwind_ms in [0, 300] {
        let (b_panicked_tx, b_panicked_rx) = channel();
        let (a_done_tx, a_done_rx) = channel();
        let b = std::thread::spawn(move || {
            Supervisor::new().run(move || {
                let _ = std::panic::catch_unwind(move || b_worker(b_panicked_tx, a_done_rx));
            })
        });
        let a = std::thread::spawn(move || {
            Supervisor::new().run(move || {
                let _ =
                    std::panic::catch_unwind(move || a_worker(b_panicked_rx, a_done_tx, unwind_ms));
            })
        });
        let a = a.join().expect("root a").expect_err("a's worker panicked");
        let b = b.join().expect("root b").expect_err("b's worker panicked");
        assert_eq!((a.worker(), a.others()), ("a_worker", 0), "{a:?}");
        assert_eq!((b.worker(), b.others()), ("b_worker", 0), "{b:?}");
    }
}

#[fate::supervised]
async fn inner(fail: bool) -> Result<(), String> {
    if fail {
        Err("timeout".to_owned())
    } else {
        Ok(())
    }
}

#[fate::supervised]
async fn outer(inner_fails: bool, fails: bool) -> Result<(), String> {
    let _ = inner(inner_fails).await; // handled
    if fails {
        Err("timeout".to_owned())
    } else {
        Ok(())
    }
}

/// An `Err` an awaited future passed up, then handled, stayed kept for its encloser's
/// place in memory: a later future made at the same place took it for its own (named
/// `inner`, with `inner`'s old number, which could even replace the first failure).
#[test]
fn a_handled_err_of_an_awaited_future_never_names_a_later_failure() {
    let result = Supervisor::new().grace(Duration::from_secs(5)).run(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        for _ in 0..10 {
            runtime.block_on(outer(true, false)).expect("handled");
        }
        runtime.block_on(outer(false, true))
    });
    let error = result.expect_err("outer failed on its own");
    assert_eq!((error.worker(), error.others()), ("outer", 0), "{error:?}");
}
