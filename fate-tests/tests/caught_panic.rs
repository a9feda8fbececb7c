//! Issue 8, item 10: a panic that is caught (by the worker itself, or by tokio for a
//! plain task) is no failure, and Rust's message for it is printed once, when it
//! happens, as Rust prints it — not held back until something returns, and not lost
//! when another failure ends the program.

mod support;

use std::time::Duration;

use support::{ensure, location_of, race, rounds, run};

const FATE_MAIN: &str = env!("CARGO_BIN_EXE_fate_main");

/// (a) The worker catches, calls fate, then sleeps 2 s; main joins it and returns.
#[test]
fn caught_panic_is_printed_when_it_happens() {
    let output = run(FATE_MAIN).arg("caught_then_sleep").output();
    let at = location_of("src/bin/fate_main.rs", "panic!(\"caught and carried on\")");
    output
        .assert_code(0)
        .assert_stderr_count("caught and carried on", 1)
        .assert_raw_panic_count("catcher", &at, "caught and carried on", 1)
        .assert_stderr_lacks("Error:");
    let caught = output.stderr_line_time("caught it");
    let printed = output.stderr_line_time("caught and carried on");
    assert!(
        printed < caught + Duration::from_millis(500),
        "the caught panic's message came {:?} after the catch, not within 500 ms\n{}",
        printed.saturating_sub(caught),
        output.dump()
    );
}

/// (b) The worker catches and returns at once.
#[test]
fn caught_panic_in_a_worker_that_returns_is_printed_once() {
    let output = run(FATE_MAIN).arg("caught_then_return").output();
    let at = location_of("src/bin/fate_main.rs", "panic!(\"caught and returned\")");
    output
        .assert_code(0)
        .assert_stderr_count("caught and returned", 1)
        .assert_raw_panic_count("catcher", &at, "caught and returned", 1)
        .assert_stderr_lacks("Error:");
}

/// (c) A plain `tokio::spawn`ed task panics on a current-thread runtime; the body
/// sleeps 1 s and returns Ok. Both orders of the attributes.
#[test]
fn unsupervised_task_panic_is_printed_at_once_fate_above_tokio() {
    assert_task_panic_printed_at_once(env!("CARGO_BIN_EXE_tokio_above"));
}

#[test]
fn unsupervised_task_panic_is_printed_at_once_fate_below_tokio() {
    assert_task_panic_printed_at_once(env!("CARGO_BIN_EXE_tokio_below"));
}

#[track_caller]
fn assert_task_panic_printed_at_once(program: &str) {
    let at = location_of("src/lib.rs", "panic!(\"an unsupervised task panicked\")");
    let output = run(program).arg("unsupervised_panic").output();
    output
        .assert_code(0)
        .assert_stderr_count("an unsupervised task panicked", 1)
        .assert_raw_panic_count("main", &at, "an unsupervised task panicked", 1)
        .assert_stderr_lacks("Error:");
    let spawned = output.stderr_line_time("spawning the task");
    let printed = output.stderr_line_time("an unsupervised task panicked");
    assert!(
        printed < spawned + Duration::from_millis(300),
        "the task's panic message came {:?} after the spawn, not within 300 ms\n{}",
        printed.saturating_sub(spawned),
        output.dump()
    );
}

/// (d) After the catch (the catcher then polls `fate::is_cancelled()`), another worker
/// fails: the report names the other worker, and the caught panic's message is
/// printed exactly once, as Rust prints it.
#[test]
fn caught_panic_is_printed_once_when_another_failure_ends_the_program() {
    let output = run(FATE_MAIN).arg("caught_then_other_fails").output();
    let at = location_of(
        "src/bin/fate_main.rs",
        "panic!(\"caught before the failure\")",
    );
    output
        .assert_code(1)
        .assert_stderr_count("Error:", 1)
        .assert_stderr_has(
            "Error: worker `fails_after_the_catch` failed: the other worker failed\n  thread: failer\n",
        )
        .assert_stderr_count("caught before the failure", 1)
        .assert_raw_panic_count("catcher", &at, "caught before the failure", 1);
}

/// (d) as a race, `FATE_ROUNDS` times: the catcher tells the other worker it caught
/// the panic and at once calls fate (which releases the panic and prints its
/// message), while the other worker's `Err` ends the program. The message must be
/// printed before the report ends the process, never lost after it: with the message
/// printed after the release instead of under the stderr gate taken before it, 567
/// of 3,000 runs lost it or printed it below the report.
#[test]
fn caught_panic_racing_the_failure_that_ends_the_program_is_printed_once() {
    let at = location_of(
        "src/bin/fate_main.rs",
        "panic!(\"caught before the failure\")",
    );
    race(
        "caught_then_other_fails",
        rounds(1),
        |_| run(FATE_MAIN).arg("caught_then_other_fails").try_output(),
        |output| {
            ensure(output.code() == Some(1), "status is not 1")?;
            ensure(
                output.stderr.matches("Error:").count() == 1,
                "not exactly one report",
            )?;
            ensure(
                output
                    .stderr
                    .contains("Error: worker `fails_after_the_catch` failed"),
                "the report does not name the failing worker",
            )?;
            ensure(
                output.raw_panic_count("catcher", &at, "caught before the failure") == 1,
                "the caught panic's message is not printed exactly once",
            )?;
            ensure(
                output.stderr.find("caught before the failure") < output.stderr.find("Error:"),
                "the caught panic's message is below the report",
            )
        },
    );
}
