//! Issue 8, item 5: a worker panics; while it unwinds, a `Drop` calls the supervised
//! `cleanup()`. The report names the worker's panic, with its location; never
//! `cleanup`, whatever cleanup does (returns `Ok`, returns `Err`, or catches a panic
//! of its own), and Rust's raw message for the worker's panic is not printed.

mod support;

use support::{location_of, run, Output};

fn run_cleanup(scenario: &str) -> Output {
    let output = run(env!("CARGO_BIN_EXE_fate_main")).arg(scenario).output();
    let at = location_of("src/bin/fate_main.rs", "panic!(\"broke before cleanup\")");
    // A panic the cleanup caught is printed as Rust prints it, when fate learns it
    // was caught: that may be before the report. The report itself starts at its
    // `Error:` line, whole.
    let report = output
        .stderr
        .find("Error: ")
        .map_or("", |at| &output.stderr[at..]);
    assert!(
        report.starts_with(&format!(
            "Error: worker `breaks_with_cleanup` panicked at {at}: broke before cleanup\n  thread: unwinder\n"
        )),
        "no report of the worker's panic\n{}",
        output.dump()
    );
    output
        .assert_code(1)
        .assert_stderr_count("Error:", 1)
        .assert_stderr_count("broke before cleanup", 1)
        .assert_raw_panic_count("unwinder", &at, "broke before cleanup", 0)
        .assert_stderr_lacks("cleanup could not finish")
        .assert_stderr_lacks("worker `cleanup`");
    output
}

#[test]
fn cleanup_that_succeeds() {
    run_cleanup("cleanup_ok").assert_no_raw_panic();
}

#[test]
fn cleanup_that_returns_err() {
    run_cleanup("cleanup_err").assert_no_raw_panic();
}

/// cleanup catches a panic of its own: that caught panic is no failure. If it happened
/// before the process ended, Rust's message for it is printed once, as Rust prints it
/// (a panic during unwinding also gets a backtrace), before the report or after it,
/// never inside it.
#[test]
fn cleanup_that_catches_a_panic() {
    let output = run_cleanup("cleanup_caught");
    let at = location_of("src/bin/fate_main.rs", "panic!(\"cleanup hiccup\")");
    let hiccups = output.stderr.matches("cleanup hiccup").count();
    assert!(
        hiccups <= 1,
        "the caught panic is printed {hiccups} times\n{}",
        output.dump()
    );
    output.assert_raw_panic_count("unwinder", &at, "cleanup hiccup", hiccups);
}
