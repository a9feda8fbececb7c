//! `all_panics` (every panic of the process a failure) and `fate::cancel()` (a
//! graceful stop), as a program meets them.

mod support;

use std::time::Duration;

use fate::{FailureKind, Supervisor};
use support::{ends_with_report, run};

const ALL_PANICS: &str = env!("CARGO_BIN_EXE_all_panics");
const CANCEL: &str = env!("CARGO_BIN_EXE_cancel");

#[test]
fn all_panics_a_plain_threads_panic_ends_main_with_a_report_naming_the_thread() {
    let output = run(ALL_PANICS).arg("plain_thread").output();
    output
        .assert_code(1)
        .assert_ended_within(Duration::from_secs(2))
        .assert_stderr_has(
            "Error: worker `thread plain` panicked at fate-tests/src/bin/all_panics.rs:",
        )
        .assert_stderr_has("a plain thread broke")
        .assert_stderr_has("  thread: plain")
        .assert_stderr_count("a plain thread broke", 1);
}

#[test]
fn all_panics_a_detached_plain_tasks_panic_ends_main() {
    let output = run(ALL_PANICS).arg("plain_task").output();
    output
        .assert_code(1)
        .assert_ended_within(Duration::from_secs(2))
        .assert_stderr_has("Error: worker `thread runtime-worker` panicked at")
        .assert_stderr_has("a plain task broke")
        .assert_stderr_count("a plain task broke", 1);
}

#[test]
fn all_panics_a_panic_caught_on_purpose_is_a_failure_too() {
    let output = run(ALL_PANICS).arg("caught_on_purpose").output();
    output
        .assert_code(1)
        .assert_ended_within(Duration::from_secs(2))
        .assert_stderr_has("Error: worker `thread catcher` panicked at")
        .assert_stderr_count("caught on purpose", 1);
}

#[test]
fn cancel_from_another_thread_stops_the_workers_and_main_returns() {
    let output = run(CANCEL).arg("from_another_thread").output();
    output
        .assert_code(0)
        .assert_stdout("flushed\nbody returns\n")
        .assert_stderr_lacks("Error")
        .assert_ended_within(Duration::from_secs(2));
}

#[test]
fn cancel_with_the_body_blocked_cuts_it_off_after_the_grace_period() {
    // The status and the report: `tests/exit_status.rs`.
    let output = run(CANCEL).arg("blocked_body").output();
    output
        .assert_code(9)
        .assert_stdout("flushed\n")
        .assert_ended_within(Duration::from_secs(2));
    assert!(
        output.elapsed >= Duration::from_millis(300),
        "cut off before the grace period was over\n{}",
        output.dump()
    );
}

#[test]
fn cancel_from_the_body_never_cuts_the_body_off() {
    let output = run(CANCEL).arg("from_the_body").output();
    output.assert_code(3).assert_stdout("flushed\n");
}

#[test]
fn a_failure_while_stopping_is_a_failure() {
    let output = run(CANCEL).arg("failure_while_stopping").output();
    output
        .assert_code(1)
        .assert_stderr_has("Error: worker `breaks_while_stopping` failed: could not stop cleanly")
        .assert_ended_within(Duration::from_secs(2));
}

#[test]
fn a_cancelled_supervisor_returns_the_bodys_value_or_a_cancelled_report() {
    let value = Supervisor::new().grace(Duration::from_millis(200)).run(|| {
        fate::cancel();
        fate::is_cancelled()
    });
    assert!(value.expect("the body returned"), "not cancelled");

    let blocked = Supervisor::new()
        .grace(Duration::from_millis(100))
        .run(|| -> () {
            fate::spawn(fate::cancel);
            loop {
                std::thread::park();
            }
        });
    let error = blocked.expect_err("the body did not return");
    assert_eq!(error.kind(), FailureKind::Cancelled);
    assert_eq!(error.worker(), "body");
    assert!(
        error.message().contains("within the grace period (100ms)"),
        "{error}"
    );
}

/// A panic caught in supervised code (a worker, the body, a scope thread) is a
/// failure at once under `all_panics`, even when the thread then blocks for good.
#[test]
fn all_panics_a_panic_caught_in_supervised_code_ends_main_at_once() {
    for (scenario, first_line) in [
        (
            "worker_catches_then_blocks",
            "Error: worker `catches_then_blocks` panicked at",
        ),
        (
            "body_catches_then_blocks",
            "Error: worker `main` panicked at",
        ),
        (
            "caught_in_a_scope_thread",
            "Error: worker `scoped` panicked at",
        ),
    ] {
        ends_with_report(ALL_PANICS, scenario, 1, first_line);
    }
}
