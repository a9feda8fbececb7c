//! Issue 11, item 1: `restart = N, within = "..", backoff = ".."`, each scenario of
//! `src/bin/restart.rs` run as a child process.

mod support;

use std::time::Duration;

use support::{location_of, run};

const RESTART: &str = env!("CARGO_BIN_EXE_restart");

/// A worker that panics, then returns `Err`, then succeeds, under `restart = 3`: the
/// program ends with 0, each restart is one notice line, and no panic message or
/// report is printed.
#[test]
fn a_worker_that_fails_twice_then_succeeds_ends_the_program_with_0() {
    let at = location_of("src/bin/restart.rs", "panic!(\"flaky panicked");
    run(RESTART)
        .arg("flaky_then_ok")
        .output()
        .assert_code(0)
        .assert_stdout("doubled: 42, calls: 3\n")
        .assert_stderr_count("restarting `flaky`", 2)
        .assert_stderr_has(&format!(
            "fate: worker `flaky` panicked at {at}: flaky panicked on record 21; restarting \
             `flaky` (1 of 3 within 5s)\n"
        ))
        .assert_stderr_has(
            "fate: worker `flaky` failed: flaky failed on record 21; restarting `flaky` (2 of 3 \
             within 5s)\n",
        )
        .assert_no_raw_panic()
        .assert_stderr_lacks("Error:");
}

/// `restart = 1` and a worker that always fails: the report names the second
/// attempt's failure and lists the first.
#[test]
fn when_the_budget_is_spent_the_report_names_every_attempt() {
    run(RESTART)
        .arg("budget_spent")
        .output()
        .assert_code(1)
        .assert_stderr_count("Error:", 1)
        .assert_stderr_has("Error: worker `hopeless` failed: attempt 2 failed\n")
        .assert_stderr_has(
            "restarted 1 time in 0.0 s before this failure:\n    1: worker `hopeless` failed: \
             attempt 1 failed\n",
        )
        .assert_stderr_count("attempt 1 failed", 2);
}

/// Panics with a doubling backoff: each notice says the wait, the report counts the
/// restarts, and Rust's raw panic message is never printed (each panic's text
/// reaches stderr as a notice, or as the report).
#[test]
fn panics_are_restarted_after_a_doubling_backoff() {
    let output = run(RESTART).arg("panics_with_backoff").output();
    output
        .assert_code(1)
        .assert_stderr_has("(1 of 2 within 10s) in 50ms\n")
        .assert_stderr_has("(2 of 2 within 10s) in 100ms\n")
        .assert_stderr_has("restarted 2 times in 0.")
        .assert_stderr_count("Error:", 1)
        .assert_no_raw_panic();
    // The restarts really waited (50 + 100 ms): the report came after both backoffs.
    let first = output.stderr_line_time("(1 of 2");
    let report = output.stderr_line_time("Error:");
    assert!(
        report >= first + Duration::from_millis(150),
        "the report came {:?} after the first notice, before both backoffs passed\n{}",
        report.saturating_sub(first),
        output.dump()
    );
}

/// Each attempt starts from the arguments the caller passed, though the failed one
/// changed its own (`mut items`, a destructured tuple, a borrowed `&Mutex`).
#[test]
fn each_attempt_gets_the_arguments_as_they_were_passed() {
    run(RESTART)
        .arg("arguments_cloned")
        .output()
        .assert_code(0)
        .assert_stdout("seen: [\"[1, 2] 3 4\", \"[1, 2] 3 4\"]\n")
        .assert_stderr_count("restarting `changes_its_arguments`", 1)
        .assert_no_raw_panic();
}

/// A long backoff is cut short when another worker's failure cancels the root: the
/// program ends promptly with that failure's report, not 30 s later.
#[test]
fn cancellation_cuts_a_backoff_short() {
    for scenario in ["cancelled_during_backoff", "async_cancelled_during_backoff"] {
        run(RESTART)
            .arg(scenario)
            .timeout(Duration::from_secs(20))
            .output()
            .assert_code(1)
            .assert_stderr_has("in 30s\n")
            .assert_stderr_has("Error: worker `fails_soon` panicked at")
            .assert_stderr_count("Error:", 1)
            .assert_ended_within(Duration::from_secs(10));
    }
}

/// A panic of a supervised call inside the restarting worker restarts the worker;
/// the notice names the call it came from.
#[test]
fn an_inner_calls_panic_restarts_the_outer_worker() {
    let at = location_of("src/bin/restart.rs", "panic!(\"inner failed\")");
    run(RESTART)
        .arg("inner_panic")
        .output()
        .assert_code(0)
        .assert_stdout("outer: 7\n")
        .assert_stderr_has(&format!(
            "fate: worker `inner` panicked at {at}: inner failed; restarting `outer` (1 of 1 \
             within 5s)\n"
        ))
        .assert_no_raw_panic();
}

/// The same for an `async fn` on tokio: a panic, then an `Err`, then success.
#[test]
fn an_async_worker_is_restarted_too() {
    run(RESTART)
        .arg("flaky_async")
        .output()
        .assert_code(0)
        .assert_stdout("tripled: 15, calls: 3\n")
        .assert_stderr_count("restarting `flaky_async`", 2)
        .assert_stderr_has("(1 of 2 within 5s) in 20ms\n")
        .assert_stderr_has("(2 of 2 within 5s) in 40ms\n")
        .assert_no_raw_panic()
        .assert_stderr_lacks("Error:");
}

/// An `async fn` that always fails, spawned as a task: the budget spent, `main` ends
/// with the report naming the restart.
#[test]
fn an_async_worker_whose_budget_is_spent_ends_main() {
    run(RESTART)
        .arg("hopeless_async")
        .output()
        .assert_code(1)
        .assert_stderr_has("Error: worker `hopeless_async` failed: hopeless_async failed\n")
        .assert_stderr_has("restarted 1 time in ")
        .assert_stderr_count("Error:", 1);
}

/// Another worker fails while a restarted panic waits for its backoff: the report is
/// the other worker's (it happened after, but the restarted panic was handled), and the
/// restarted panic appears once, as a restart.
#[test]
fn a_failure_during_a_backoff_is_the_report_and_the_restart_is_not_counted_again() {
    let output = run(RESTART)
        .arg("restarted_then_other_fails")
        .timeout(Duration::from_secs(20))
        .output();
    output
        .assert_code(1)
        .assert_stderr_has("Error: worker `fails_soon` panicked at")
        .assert_stderr_count("Error:", 1)
        .assert_stderr_count("slow restart panicked", 1)
        .assert_stderr_lacks("more failure")
        .assert_no_raw_panic()
        .assert_ended_within(Duration::from_secs(5));
}

/// An inner call's `Err` passed up through a restarting worker is the inner call's, in
/// the notice and in the report.
#[test]
fn an_err_passed_up_through_a_restarting_worker_is_named_for_the_inner_call() {
    run(RESTART)
        .arg("passed_up")
        .output()
        .assert_code(1)
        .assert_stderr_has(
            "fate: worker `inner_err` failed: inner failed; restarting `passes_it_up` (1 of 1 \
             within 5s)\n",
        )
        .assert_stderr_has("Error: worker `inner_err` failed: inner failed\n")
        .assert_stderr_count("Error:", 1);
}

/// `fate::cancel()` cuts a backoff short: the worker ends with its last `Err` (told
/// as a restart already, not reported again), and `main` exits 0.
#[test]
fn a_stop_during_a_backoff_ends_the_worker_and_main_exits_0() {
    run(RESTART)
        .arg("cancel_during_backoff")
        .timeout(Duration::from_secs(20))
        .output()
        .assert_code(0)
        .assert_stdout("the worker returned: Err(\"failed before the stop\")\n")
        .assert_stderr_count("failed before the stop", 1)
        .assert_stderr_lacks("Error:")
        .assert_ended_within(Duration::from_secs(5));
}
