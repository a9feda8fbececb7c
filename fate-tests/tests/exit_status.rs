//! The exit-status table of the README, one test per row (`src/bin/exit_status.rs`,
//! and the `coded` scenarios of `exit_code.rs` and `result.rs` for the other `main`
//! return types). The signal rows are in `tests/signals.rs`.

mod support;

use std::time::Duration;

use support::{ends_with_report, run};

const EXIT_STATUS: &str = env!("CARGO_BIN_EXE_exit_status");

#[test]
fn a_worker_that_panics_or_fails_ends_the_process_with_1() {
    ends_with_report(
        EXIT_STATUS,
        "panic",
        1,
        "Error: worker `panics` panicked at",
    );
    ends_with_report(
        EXIT_STATUS,
        "err",
        1,
        "Error: worker `fails` failed: a worker failed",
    );
}

#[test]
fn a_worker_that_stalls_ends_the_process_with_8() {
    ends_with_report(EXIT_STATUS, "stall", 8, "Error: worker `stalls` stalled at");
}

#[test]
fn a_worker_with_exit_code_ends_the_process_with_its_status() {
    ends_with_report(
        EXIT_STATUS,
        "coded_err",
        78,
        "Error: worker `load_config` failed: the port is not a number",
    );
    ends_with_report(
        EXIT_STATUS,
        "coded_panic",
        78,
        "Error: worker `load_config_panics` panicked at",
    );
}

/// A stall is its own class, whatever the worker's `exit_code` (that one says "do not
/// restart": a configuration that cannot work; a stall may pass).
#[test]
fn a_worker_with_exit_code_that_stalls_ends_the_process_with_8() {
    ends_with_report(
        EXIT_STATUS,
        "coded_stall",
        8,
        "Error: worker `load_config_stalls` stalled at",
    );
}

/// An `Err` passed up unchanged with `?` is the inner call's failure: its status too.
#[test]
fn an_err_passed_up_from_a_worker_with_exit_code_keeps_its_status() {
    ends_with_report(
        EXIT_STATUS,
        "coded_passed_up",
        78,
        "Error: worker `load_config` failed: the port is not a number",
    );
}

/// The status is the innermost `exit_code` of the calls a failure passed through: a
/// plain helper's `Err` or panic passing through a worker with one takes its status;
/// an inner `exit_code` passed through an outer one keeps the inner; an outer call that
/// wraps the error has a failure, and a status, of its own.
#[test]
fn the_innermost_exit_code_a_failure_passed_through_is_its_status() {
    ends_with_report(
        EXIT_STATUS,
        "helper_err",
        79,
        "Error: worker `read_file` failed: no such file",
    );
    ends_with_report(
        EXIT_STATUS,
        "helper_panic",
        79,
        "Error: worker `parse_file` panicked at",
    );
    ends_with_report(
        EXIT_STATUS,
        "inner_through_outer",
        78,
        "Error: worker `load_config` failed: the port is not a number",
    );
    ends_with_report(
        EXIT_STATUS,
        "outer_wraps",
        79,
        "Error: worker `outer_wraps` failed: cannot start: the port is not a number",
    );
}

/// An `Err` is followed up to the call that returns it, whatever else happened in
/// between: another call's `Err`, handled; polls on other threads of a multi-thread
/// runtime, busy with other tasks' supervised calls (run 10 times).
#[test]
fn an_err_passed_up_keeps_its_status_across_handled_errors_and_polls() {
    ends_with_report(
        EXIT_STATUS,
        "handled_between",
        78,
        "Error: worker `load_config` failed: the port is not a number",
    );
    for _ in 0..10 {
        ends_with_report(
            EXIT_STATUS,
            "async_later_poll",
            78,
            "Error: worker `load_config_async` failed: the port is not a number",
        );
    }
}

/// The first failure decides the status, as it decides the report.
#[test]
fn the_first_failure_decides_the_status() {
    ends_with_report(
        EXIT_STATUS,
        "coded_second",
        1,
        "Error: worker `fails` failed: a worker failed",
    );
}

#[test]
fn exit_code_works_with_exit_code_and_result_mains() {
    for program in [
        env!("CARGO_BIN_EXE_exit_code"),
        env!("CARGO_BIN_EXE_result"),
    ] {
        ends_with_report(
            program,
            "coded",
            78,
            "Error: worker `load_config` failed: the port is not a number",
        );
    }
}

/// `Error::exit_code()` for a program that ends itself.
#[test]
fn a_supervisors_report_tells_the_status() {
    run(EXIT_STATUS)
        .arg("supervisor")
        .output()
        .assert_code(78)
        .assert_stdout("exit_code: 78\n");
}

/// `fate::cancel()` and a body still blocked when the grace period ends: cut off, 9.
#[test]
fn a_stop_cut_off_by_its_grace_period_ends_the_process_with_9() {
    let output = run(env!("CARGO_BIN_EXE_cancel"))
        .arg("blocked_body")
        .output();
    output
        .assert_code(9)
        .assert_stdout("flushed\n")
        .assert_stderr_has(
            "Error: worker `main` did not finish: the root was cancelled, and its body did not \
             return within the grace period (300ms)\n",
        )
        .assert_stderr_count("Error:", 1)
        .assert_ended_within(Duration::from_secs(2));
}
