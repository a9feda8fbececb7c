//! End-to-end tests of the examples written for people (`examples/*.rs`), each run as
//! a child process: the exit status, what stderr shows (once) and how soon it ends.
//!
//! They run what `cargo test` built (`target/<profile>/examples/<name>`) and never build
//! anything; `cargo test --test examples` alone builds no example, so run
//! `cargo build --examples` first then (the failure says so).

mod support;

use std::time::Duration;

use support::{example, location_of, run, Output};

/// How soon an example must end after a worker fails (grace 0), start-up included.
const PROMPT: Duration = Duration::from_secs(2);

/// A panic report alone: it starts stderr, comes once, and Rust's own panic message
/// (`thread '..' panicked at`) is not printed on top of it.
#[track_caller]
fn assert_single_panic_report(output: &Output, first_line: &str, message: &str) {
    output
        .check(output.status.code() == Some(1), "the status is not 1")
        .check(
            output.stderr.starts_with(&format!("Error: {first_line}\n")),
            &format!("stderr does not start with the report line {first_line:?}"),
        )
        .check(output.count("Error:") == 1, "not exactly one report")
        .check(output.count(message) == 1, "the message is not there once")
        .check(
            output.count("panicked at") == 1, // the report's own
            "a raw panic message besides the report",
        )
        .check(output.count("thread '") == 0, "a raw panic message")
        .check(output.count("Stack backtrace:") == 0, "a backtrace");
}

#[test]
fn pipeline_example_fails_fast_with_the_consumer_report() {
    let output = run(&example("pipeline"), &[]);
    let at = location_of("examples/pipeline.rs", "panic!(\"bad record");
    assert_single_panic_report(
        &output,
        &format!("worker `consume` panicked at {at}: bad record 7"),
        "bad record 7",
    );
    output
        .check(output.stdout.is_empty(), "stdout is not empty")
        .check(output.elapsed < PROMPT, "it did not end promptly");
}

#[test]
fn errors_example_reports_the_io_error_and_its_cause() {
    let output = run(&example("errors"), &[]);
    output
        .check(output.status.code() == Some(1), "the status is not 1")
        .check(
            output.count("Error: worker `load` failed: cannot read config file ") == 1,
            "not exactly one report of `load`",
        )
        .check(
            output.stderr.contains(
                "limits.conf\n  thread: <unnamed>\n\nCaused by:\n    No such file or directory",
            ),
            "the report lacks the thread or the cause",
        )
        .check(output.count("panicked") == 0, "a panic")
        .check(output.elapsed < PROMPT, "it did not end promptly");
}

#[test]
fn graceful_example_flushes_within_the_grace_period() {
    let dir = std::env::temp_dir().join(format!("fate-e2e-graceful-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    let file = dir.join("readings.txt");
    let output = run(&example("graceful"), &[file.as_os_str()]);
    output
        .check(output.status.code() == Some(1), "the status is not 1")
        .check(
            output.count("fate: worker `check` returned an error; cancelling") == 1,
            "not exactly one notice",
        )
        .check(
            output.count("Error: worker `check` failed: reading 100.") == 1,
            "not exactly one report",
        )
        .check(
            output.stderr.contains("save_when_cancelled: flushed "),
            "the saver did not flush",
        )
        // Everything stops on cancellation: the program ends well before the 2 s grace.
        .check(
            output.elapsed < Duration::from_millis(1500),
            "it waited for the grace period",
        );
    let readings = std::fs::read_to_string(&file).expect("the saver wrote its file");
    assert!(readings.lines().count() >= 10, "{readings}");
    assert!(readings
        .lines()
        .all(|line| line.parse::<f64>().is_ok_and(|r| r <= 100.0)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scope_example_returns_the_consumers_report_once_the_producer_stopped() {
    let output = run(&example("scope"), &[]);
    let at = location_of("examples/scope.rs", "panic!(\"bad record");
    output
        .check(output.status.code() == Some(1), "the status is not 1")
        .check(
            output.stdout == "producer: cancelled, stopping\n",
            "the producer did not see the cancellation",
        )
        .check(
            output.stderr.starts_with(&format!(
                "Error: worker `consumer` panicked at {at}: bad record 7\n  thread: consumer\n"
            )),
            "no report of the consumer",
        )
        .check(
            output.count("bad record 7") == 1,
            "the message is not there once",
        )
        .check(output.elapsed < PROMPT, "it did not end promptly");
}

#[test]
fn restart_example_restarts_twice_then_succeeds() {
    let output = run(&example("restart"), &[]);
    output
        .check(output.status.code() == Some(0), "the status is not 0")
        .check(
            output.stdout == "read 42 items\n",
            "the third attempt did not succeed",
        )
        .check(
            output.stderr
                == "fate: worker `poll_feed` failed: feed.example dropped connection 1; \
                    restarting `poll_feed` (1 of 3 within 10s) in 50ms\n\
                    fate: worker `poll_feed` failed: feed.example dropped connection 2; \
                    restarting `poll_feed` (2 of 3 within 10s) in 100ms\n",
            "stderr is not exactly the two restart notices",
        );
}

#[test]
fn restart_example_ends_with_the_report_once_the_budget_is_spent() {
    let output = run(&example("restart"), &["always".as_ref()]);
    output
        .check(output.status.code() == Some(1), "the status is not 1")
        .check(
            output.count("restarting `poll_feed`") == 3,
            "not three restarts",
        )
        .check(output.count("Error:") == 1, "not exactly one report")
        .check(
            output
                .stderr
                .contains("Error: worker `poll_feed` failed: feed.example dropped connection 4\n"),
            "the report does not name the fourth attempt's failure",
        )
        .check(
            output.stderr.contains("restarted 3 times in 0.")
                && output.stderr.contains(
                    "    1: worker `poll_feed` failed: feed.example dropped connection 1\n    \
                     2: worker `poll_feed` failed: feed.example dropped connection 2\n    \
                     3: worker `poll_feed` failed: feed.example dropped connection 3",
                ),
            "the report does not list the three restarts",
        )
        .check(
            output.elapsed < Duration::from_secs(5),
            "it did not end promptly",
        );
}

#[test]
fn stall_example_reports_the_stuck_worker_at_its_last_heartbeat() {
    let output = run(&example("stall"), &[]);
    let at = location_of("examples/stall.rs", "fate::heartbeat();");
    output
        .check(
            output.status.code() == Some(8),
            "the status is not 8 (a stall)",
        )
        .check(
            output.stderr.starts_with(&format!(
                "Error: worker `crunch` stalled at {at}: no heartbeat for 5"
            )),
            "no report of the stalled worker at its last heartbeat",
        )
        .check(
            output.stderr.contains(
                "(its budget: `stall = \"500ms\"`); the last one was here\n  thread: cruncher\n",
            ),
            "the report does not say the budget and the thread",
        )
        .check(output.count("Error:") == 1, "not exactly one report")
        .check(
            output.elapsed < Duration::from_secs(5),
            "it did not end promptly",
        );
}
