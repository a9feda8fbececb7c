//! Issue 8, item 3: a worker returns an `Err` whose `Display` fails (returns
//! `fmt::Error`) or panics. The program still ends at once with one report naming the
//! worker, sync and async; and a thread that is joined gives back its own `Err`,
//! unchanged (fate does not turn it into a panic).

mod support;

use std::time::Duration;

use support::run;

const PROMPT: Duration = Duration::from_secs(2);

#[track_caller]
fn assert_prompt_report(program: &str, scenario: &str, worker: &str) {
    let output = run(program).arg(scenario).output();
    output
        .assert_code(1)
        .assert_ended_within(PROMPT)
        .assert_stderr_starts_with("Error: ")
        .assert_stderr_count("Error:", 1)
        .assert_stderr_has(&format!("worker `{worker}`"));
}

#[test]
fn sync_worker_whose_display_fails() {
    assert_prompt_report(
        env!("CARGO_BIN_EXE_fate_main"),
        "display_error",
        "returns_bad_display",
    );
}

#[test]
fn sync_worker_whose_display_panics() {
    assert_prompt_report(
        env!("CARGO_BIN_EXE_fate_main"),
        "display_panic",
        "returns_panicky_display",
    );
}

#[test]
fn async_worker_whose_display_fails_fate_above_tokio() {
    assert_prompt_report(
        env!("CARGO_BIN_EXE_tokio_above"),
        "display_error",
        "returns_bad_display_async",
    );
}

#[test]
fn async_worker_whose_display_fails_fate_below_tokio() {
    assert_prompt_report(
        env!("CARGO_BIN_EXE_tokio_below"),
        "display_error",
        "returns_bad_display_async",
    );
}

#[test]
fn async_worker_whose_display_panics_fate_above_tokio() {
    assert_prompt_report(
        env!("CARGO_BIN_EXE_tokio_above"),
        "display_panic",
        "returns_panicky_display_async",
    );
}

#[test]
fn async_worker_whose_display_panics_fate_below_tokio() {
    assert_prompt_report(
        env!("CARGO_BIN_EXE_tokio_below"),
        "display_panic",
        "returns_panicky_display_async",
    );
}

/// `patient` has `grace = "2s"`: the body joins the worker's thread, prints what the
/// join gave back, and returns within the grace period.
#[track_caller]
fn assert_join_gives_back_the_err(scenario: &str, worker: &str, err: &str) {
    let output = run(env!("CARGO_BIN_EXE_patient")).arg(scenario).output();
    output
        .assert_stdout(&format!("joined: Ok(Err({err}))\n"))
        .assert_code(1)
        .assert_ended_within(PROMPT)
        .assert_stderr_count("Error:", 1)
        .assert_stderr_has(&format!("worker `{worker}`"));
}

#[test]
fn joined_thread_gives_back_the_err_whose_display_fails() {
    assert_join_gives_back_the_err("join_display_error", "returns_bad_display", "BadDisplay");
}

#[test]
fn joined_thread_gives_back_the_err_whose_display_panics() {
    assert_join_gives_back_the_err(
        "join_display_panic",
        "returns_panicky_display",
        "PanickyDisplay",
    );
}
