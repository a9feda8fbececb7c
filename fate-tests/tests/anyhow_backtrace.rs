//! Issue 8, item 16: `fn main() -> anyhow::Result<()>` with `RUST_BACKTRACE=1`. The
//! report still has the panic's own backtrace (a frame of the worker function, not
//! only the watcher's or exit path's), its `thread:` line, and the failure that
//! followed. (`grace = "1s"`: a one-line notice comes first.)

mod support;

use std::time::Duration;

use support::{location_of, run};

const ANYHOW_MAIN: &str = env!("CARGO_BIN_EXE_anyhow_main");

#[track_caller]
fn assert_full_report(scenario: &str, worker: &str, message: &str, follower: &str) {
    let output = run(ANYHOW_MAIN).arg(scenario).backtraces().output();
    let at = location_of("src/bin/anyhow_main.rs", &format!("panic!(\"{message}\")"));
    output
        .assert_code(1)
        .assert_ended_within(Duration::from_secs(5))
        .assert_stderr_has(&format!(
            "Error: worker `{worker}` panicked at {at}: {message}"
        ))
        .assert_stderr_count("Error:", 1)
        // The notice names the failure that happened first, as the report does, even
        // when another arrived before it (the panic was still unwinding).
        .assert_stderr_has(&format!("fate: worker `{worker}` panicked; cancelling"))
        .assert_stderr_has("and 1 more failure")
        .assert_stderr_has(&format!("worker `{follower}` failed"))
        .assert_stderr_has("follow-up failed too")
        .assert_no_raw_panic();
    assert!(
        output
            .stderr
            .lines()
            .any(|line| line.trim() == "thread: cruncher"),
        "no `thread: cruncher` line\n{}",
        output.dump()
    );
    // A frame of the worker function itself, in a backtrace.
    let has_frame = output.stderr.lines().any(|line| {
        let line = line.trim_start();
        line.split_once(": ").is_some_and(|(n, symbol)| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && symbol.starts_with(&format!("anyhow_main::{worker}"))
        })
    });
    assert!(
        has_frame,
        "no backtrace frame of `anyhow_main::{worker}`\n{}",
        output.dump()
    );
}

/// The follower fails while the panic still unwinds (200 ms); the body is blocked.
#[test]
fn slow_unwinding_panic_then_an_err() {
    assert_full_report(
        "slow_unwind",
        "crunch_slowly",
        "crunch ran out of numbers slowly",
        "follow_up",
    );
}

/// The follower fails on the cancellation; the body returns within the grace period.
#[test]
fn panic_then_an_err_on_cancellation() {
    assert_full_report(
        "on_cancel",
        "crunch",
        "crunch ran out of numbers",
        "follow_the_cancellation",
    );
}
