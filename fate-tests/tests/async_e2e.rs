//! End-to-end tests of async programs: the programs `src/bin/async_*.rs` run as child
//! processes, under a hard time limit (see `support::TIMEOUT`). They cover both orders of `#[fate::supervised]` and
//! `#[tokio::main]`, tokio's multi-thread and current-thread runtimes, and a
//! hand-written executor; each test asserts the exit status, what stderr shows (once),
//! and that the program ends promptly while a sibling task or the body waits forever.

mod support;

use std::path::Path;
use std::time::Duration;

use support::{
    assert_single_panic_report, assert_single_report, location_of, run, scratch_file, Output,
    RAW_PANIC,
};

/// How soon a program must end after a worker fails (grace 0), start-up included.
const PROMPT: Duration = Duration::from_secs(2);

/// The grace period of `async_current` and `async_executor`.
const GRACE: Duration = Duration::from_secs(5);

/// With a grace period: first a one-line notice naming the failed worker, then the
/// report, once each.
#[track_caller]
fn assert_notice_then_report(output: &Output, worker: &str, first_line: &str) {
    output.assert_code(1);
    let notice = output
        .stderr_lines
        .first()
        .map(|(_, line)| line.as_str())
        .unwrap_or_default();
    assert!(
        notice.contains(&format!("`{worker}`")) && !notice.starts_with("Error:"),
        "the first stderr line is not a notice naming `{worker}`\n{}",
        output.dump()
    );
    output
        .assert_stderr_count(notice.trim_end(), 1)
        .assert_stderr_count("Error:", 1)
        .assert_stderr_has(&format!("{notice}Error: {first_line}\n"));
}

/// The program ended soon after the failure's notice: it did not wait out the grace
/// period, since everything had finished.
#[track_caller]
fn assert_ended_early(output: &Output, worker: &str) {
    let notice_at = output.stderr_line_time(&format!("`{worker}`"));
    assert!(
        notice_at < PROMPT,
        "the notice came only after {notice_at:?}\n{}",
        output.dump()
    );
    assert!(
        output.elapsed < notice_at + GRACE / 2,
        "the program waited for the deadline although everything had finished: ended {:?} after the notice\n{}",
        output.elapsed - notice_at,
        output.dump()
    );
}

/// The flusher wrote its file, on the cancellation.
#[track_caller]
fn assert_flushed(path: &Path, output: &Output) {
    let written = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "the flusher did not write {}: {e}\n{}",
            path.display(),
            output.dump()
        )
    });
    assert_eq!(written, "flushed on cancellation\n");
    let _ = std::fs::remove_file(path);
}

#[track_caller]
fn assert_not_flushed(path: &Path, output: &Output) {
    assert!(
        !path.exists(),
        "the flusher wrote {} although nothing failed\n{}",
        path.display(),
        output.dump()
    );
}

// ---------------------------------------------------------------------------------
// `#[fate::supervised] #[tokio::main] async fn main() -> Result<(), Box<dyn Error>>`
// (multi-thread runtime, grace 0)
// ---------------------------------------------------------------------------------

#[test]
fn multi_thread_success_exits_0() {
    run(env!("CARGO_BIN_EXE_async_multi"))
        .arg("ok")
        .output()
        .assert_code(0)
        .assert_stderr_empty()
        .assert_stdout("sum 5, segment of 512 bytes, record 4\n");
}

#[test]
fn multi_thread_detached_task_panic_ends_main_at_once_with_one_report() {
    let output = run(env!("CARGO_BIN_EXE_async_multi"))
        .arg("detached_panic")
        .output();
    let at = location_of("src/bin/async_multi.rs", "panic!(\"request {request}");
    assert_single_panic_report(
        &output,
        &format!("worker `handle` panicked at {at}: request 5 is malformed"),
        "request 5 is malformed",
    );
    output.assert_stdout("").assert_ended_within(PROMPT);
}

#[test]
fn multi_thread_detached_task_err_is_reported_with_its_chain() {
    let output = run(env!("CARGO_BIN_EXE_async_multi"))
        .arg("detached_error")
        .output();
    assert_single_report(
        &output,
        "worker `read_segment` failed: could not read segment 3",
    );
    output
        .assert_stderr_has("\nCaused by:\n    segment file is gone\n")
        .assert_stderr_count("segment file is gone", 1)
        .assert_stderr_lacks(RAW_PANIC)
        .assert_ended_within(PROMPT);
}

/// The body awaits the failing worker itself and returns its `Err` with `?`: what
/// `main` shows is the worker's report, once (not the raw `Debug` of the error).
#[test]
fn multi_thread_err_awaited_by_the_body_is_reported_once() {
    let output = run(env!("CARGO_BIN_EXE_async_multi"))
        .arg("awaited_error")
        .output();
    assert_single_report(
        &output,
        "worker `read_segment` failed: could not read segment 3",
    );
    output
        .assert_stderr_has("\nCaused by:\n    segment file is gone\n")
        .assert_stderr_count("could not read segment 3", 1)
        .assert_stderr_lacks("Custom {")
        .assert_ended_within(PROMPT);
}

#[test]
fn sync_worker_in_spawn_blocking_reports_to_the_main_root() {
    let output = run(env!("CARGO_BIN_EXE_async_multi"))
        .arg("spawn_blocking")
        .output();
    let at = location_of("src/bin/async_multi.rs", "panic!(\"bad record");
    assert_single_panic_report(
        &output,
        &format!("worker `parse_record` panicked at {at}: bad record 7"),
        "bad record 7",
    );
    output.assert_ended_within(PROMPT);
}

#[test]
fn multi_thread_body_panic_is_a_failure_of_main_and_exits_1() {
    let output = run(env!("CARGO_BIN_EXE_async_multi"))
        .arg("body_panic")
        .output();
    let at = location_of("src/bin/async_multi.rs", "panic!(\"the async body");
    assert_single_panic_report(
        &output,
        &format!("worker `main` panicked at {at}: the async body gave up"),
        "the async body gave up",
    );
    output.assert_ended_within(PROMPT);
}

/// A panic in a plain task (no supervised function) is not a failure: tokio catches
/// it and prints its message, as without fate.
#[test]
fn multi_thread_plain_task_panic_is_no_failure_and_prints_as_usual() {
    let output = run(env!("CARGO_BIN_EXE_async_multi"))
        .arg("plain_task_panic")
        .output();
    let at = location_of("src/bin/async_multi.rs", "panic!(\"the plain task");
    output
        .assert_code(0)
        .assert_stdout("the body went on\n")
        .assert_stderr_lacks("Error:")
        .assert_stderr_count("the plain task exploded", 1)
        .assert_stderr_count(&format!("panicked at {at}"), 1)
        .assert_stderr_count(RAW_PANIC, 1);
}

/// `RUST_BACKTRACE=1`: the report of a panic in a task carries the backtrace of that
/// poll, which names the async worker.
#[test]
fn rust_backtrace_1_adds_the_backtrace_of_the_panicking_poll() {
    let output = run(env!("CARGO_BIN_EXE_async_multi"))
        .arg("detached_panic")
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .output();
    let at = location_of("src/bin/async_multi.rs", "panic!(\"request {request}");
    assert_single_report(
        &output,
        &format!("worker `handle` panicked at {at}: request 5 is malformed"),
    );
    output
        .assert_stderr_count("Stack backtrace:", 1)
        .assert_stderr_has("async_multi::handle::")
        .assert_stderr_lacks("thread '")
        .assert_ended_within(Duration::from_secs(5));
}

// ---------------------------------------------------------------------------------
// `#[tokio::main] #[fate::supervised] async fn main()` (the other order; grace 0)
// ---------------------------------------------------------------------------------

#[test]
fn executor_attribute_first_success_exits_0() {
    run(env!("CARGO_BIN_EXE_async_below"))
        .arg("ok")
        .output()
        .assert_code(0)
        .assert_stderr_empty()
        .assert_stdout("3 words\n");
}

#[test]
fn executor_attribute_first_detached_task_panic_exits_1_with_the_report() {
    let output = run(env!("CARGO_BIN_EXE_async_below"))
        .arg("detached_panic")
        .output();
    let at = location_of("src/bin/async_below.rs", "assert!(!text.is_empty()");
    assert_single_panic_report(
        &output,
        &format!("worker `count_words` panicked at {at}: nothing to count"),
        "nothing to count",
    );
    output.assert_ended_within(PROMPT);
}

#[test]
fn executor_attribute_first_detached_task_err_exits_1_with_the_report() {
    let output = run(env!("CARGO_BIN_EXE_async_below"))
        .arg("detached_error")
        .output();
    assert_single_report(
        &output,
        "worker `validate` failed: invalid identifier \"x-17\"",
    );
    output
        .assert_stderr_lacks("Caused by:")
        .assert_ended_within(PROMPT);
}

// ---------------------------------------------------------------------------------
// `#[fate::supervised(grace = "5s")] #[tokio::main(flavor = "current_thread")]`
// ---------------------------------------------------------------------------------

#[test]
fn current_thread_success_exits_0_and_the_dropped_flusher_is_no_failure() {
    let file = scratch_file("async-current-ok");
    let output = run(env!("CARGO_BIN_EXE_async_current"))
        .arg("ok")
        .arg(&file)
        .output();
    output
        .assert_code(0)
        .assert_stderr_empty()
        .assert_stdout("3 words\n")
        .assert_ended_within(PROMPT);
    assert_not_flushed(&file, &output);
}

#[test]
fn current_thread_detached_panic_cancels_and_the_sibling_flushes_within_grace() {
    let file = scratch_file("async-current-panic");
    let output = run(env!("CARGO_BIN_EXE_async_current"))
        .arg("panic")
        .arg(&file)
        .output();
    let at = location_of("src/bin/async_current.rs", "assert!(!text.is_empty()");
    assert_notice_then_report(
        &output,
        "count_words",
        &format!("worker `count_words` panicked at {at}: nothing to count"),
    );
    output
        .assert_stderr_count("nothing to count", 1)
        .assert_stderr_count(RAW_PANIC, 1)
        .assert_stderr_lacks("thread '");
    assert_ended_early(&output, "count_words");
    assert_flushed(&file, &output);
}

#[test]
fn current_thread_detached_err_cancels_and_the_sibling_flushes_within_grace() {
    let file = scratch_file("async-current-error");
    let output = run(env!("CARGO_BIN_EXE_async_current"))
        .arg("error")
        .arg(&file)
        .output();
    assert_notice_then_report(
        &output,
        "load_settings",
        "worker `load_settings` failed: access to settings.toml denied",
    );
    assert_ended_early(&output, "load_settings");
    assert_flushed(&file, &output);
}

/// The same on the current-thread runtime, where the plain task runs on the main
/// thread, inside `main`'s body: still not a failure of `main`.
#[test]
fn current_thread_plain_task_panic_is_no_failure_and_prints_as_usual() {
    let file = scratch_file("async-current-plain");
    let output = run(env!("CARGO_BIN_EXE_async_current"))
        .arg("plain_task_panic")
        .arg(&file)
        .output();
    let at = location_of("src/bin/async_current.rs", "panic!(\"the plain task");
    output
        .assert_code(0)
        .assert_stdout("the body went on\n")
        .assert_stderr_lacks("Error:")
        .assert_stderr_lacks("fate:")
        .assert_stderr_count("the plain task exploded", 1)
        .assert_stderr_count(&format!("panicked at {at}"), 1)
        .assert_stderr_count(RAW_PANIC, 1)
        .assert_ended_within(PROMPT);
    assert_not_flushed(&file, &output);
}

#[test]
fn current_thread_panic_caught_inside_an_async_worker_is_no_failure_and_prints_once() {
    let file = scratch_file("async-current-caught");
    let output = run(env!("CARGO_BIN_EXE_async_current"))
        .arg("caught_panic")
        .arg(&file)
        .output();
    output
        .assert_code(0)
        .assert_stdout("careful returned 42\n")
        .assert_stderr_lacks("Error:")
        .assert_stderr_lacks("fate:")
        .assert_stderr_count("caught inside the async worker", 1)
        .assert_stderr_count(RAW_PANIC, 1)
        .assert_ended_within(PROMPT);
    assert_not_flushed(&file, &output);
}

// ---------------------------------------------------------------------------------
// No async runtime: a hand-written `block_on` on threads of its own
// (`#[fate::supervised(grace = "5s")] fn main`)
// ---------------------------------------------------------------------------------

#[test]
fn hand_written_executor_success_exits_0() {
    let file = scratch_file("async-executor-ok");
    let output = run(env!("CARGO_BIN_EXE_async_executor"))
        .arg("ok")
        .arg(&file)
        .output();
    output
        .assert_code(0)
        .assert_stderr_empty()
        .assert_stdout("sum 5, record 4\n")
        .assert_ended_within(PROMPT);
    assert_not_flushed(&file, &output);
}

#[test]
fn hand_written_executor_panic_is_reported_and_wakes_the_awaiting_flusher() {
    let file = scratch_file("async-executor-panic");
    let output = run(env!("CARGO_BIN_EXE_async_executor"))
        .arg("panic")
        .arg(&file)
        .output();
    let at = location_of("src/bin/async_executor.rs", "panic!(\"bad record");
    assert_notice_then_report(
        &output,
        "parse_later",
        &format!("worker `parse_later` panicked at {at}: bad record 7"),
    );
    output
        .assert_stderr_has("\n  thread: poller\n")
        .assert_stderr_count("bad record 7", 1)
        .assert_stderr_count(RAW_PANIC, 1)
        .assert_stderr_lacks("thread '");
    assert_ended_early(&output, "parse_later");
    assert_flushed(&file, &output);
}

#[test]
fn hand_written_executor_err_is_reported_and_wakes_the_awaiting_flusher() {
    let file = scratch_file("async-executor-error");
    let output = run(env!("CARGO_BIN_EXE_async_executor"))
        .arg("error")
        .arg(&file)
        .output();
    assert_notice_then_report(
        &output,
        "fetch",
        "worker `fetch` failed: host of https://example.invalid/data not found",
    );
    assert_ended_early(&output, "fetch");
    assert_flushed(&file, &output);
}
