//! Issue 11, item 2: `stall = ".."` with `fate::heartbeat()`, and `max_poll = ".."`,
//! each scenario of `src/bin/stall.rs` run as a child process.

mod support;

use std::time::Duration;

use support::{location_of, run};

const STALL: &str = env!("CARGO_BIN_EXE_stall");

/// A worker spinning without a heartbeat, `stall = "200ms"`: reported within 300 ms
/// (start-up aside), at its function, as never having beaten.
#[test]
fn a_spinning_worker_is_reported_as_stalled() {
    // At the function's name (column 4, after `fn `).
    let line = location_of("src/bin/stall.rs", "fn spin()");
    let at = format!("{}:4", line.strip_suffix(":1").expect("at column 1"));
    let output = run(STALL).arg("spinning").output();
    output
        .assert_code(8)
        .assert_stderr_has(&format!(
            "Error: worker `spin` stalled at {at}: no heartbeat in the 200ms since it started (its \
             budget: `stall = \"200ms\"`)\n"
        ))
        .assert_stderr_count("Error:", 1)
        .assert_ended_within(Duration::from_secs(3));
}

/// Beats five times, then gets stuck: the report points at the last heartbeat.
#[test]
fn a_worker_stuck_after_beating_is_reported_where_it_last_beat() {
    let at = location_of(
        "src/bin/stall.rs",
        "fate::heartbeat(); // the last heartbeat before",
    );
    run(STALL)
        .arg("beat_then_stick")
        .output()
        .assert_code(8)
        .assert_stderr_has(&format!(
            "Error: worker `beat_then_stick` stalled at {at}: no heartbeat for 200ms"
        ))
        .assert_stderr_has("the last one was here\n");
}

/// Beating through three budgets, then returning: no failure.
#[test]
fn a_worker_that_beats_is_never_stalled() {
    run(STALL)
        .arg("beat_and_finish")
        .output()
        .assert_code(0)
        .assert_stdout("finished after many heartbeats\ncancelled: false\n")
        .assert_stderr_lacks("stalled");
}

/// `max_poll = "50ms"` and a poll that blocks for a second: reported while it still
/// blocks, not a second later.
#[test]
fn a_poll_that_blocks_its_executor_is_reported_while_it_blocks() {
    let output = run(STALL).arg("blocked_poll").output();
    output
        .assert_code(8)
        .assert_stderr_has("Error: worker `handle` stalled at")
        .assert_stderr_has(
            "one poll has blocked its executor's thread for more than 50ms (its budget: \
             `max_poll = \"50ms\"`)",
        );
    let report = output.stderr_line_time("Error:");
    assert!(
        report < Duration::from_millis(900),
        "reported after the poll ended, not while it blocked\n{}",
        output.dump()
    );
}

/// Quick polls under `max_poll`: never a failure.
#[test]
fn quick_polls_are_never_a_blocked_executor() {
    run(STALL)
        .arg("well_behaved_polls")
        .output()
        .assert_code(0)
        .assert_stdout("value: 7\ncancelled: false\n")
        .assert_stderr_lacks("stalled");
}

/// An `async fn` with `stall` that waits forever without a heartbeat.
#[test]
fn an_async_worker_can_stall_too() {
    run(STALL)
        .arg("async_stall")
        .output()
        .assert_code(8)
        .assert_stderr_has("Error: worker `waits_forever` stalled at")
        .assert_stderr_has("no heartbeat in the 200ms since it started");
}

/// `stall` with `critical = false`: reported, and `main` goes on.
#[test]
fn a_stall_that_is_not_critical_is_reported_and_main_goes_on() {
    run(STALL)
        .arg("not_critical")
        .output()
        .assert_code(0)
        .assert_stdout("cancelled: false\n")
        .assert_stderr_has("fate: worker `optional_spin` stalled at")
        .assert_stderr_has("(not critical: the program goes on)\n");
}

/// A restart's backoff, longer than the heartbeat budget, is fate's own wait: no stall.
#[test]
fn a_restarts_backoff_is_not_a_stall() {
    for (scenario, value) in [("restart_backoff", 2), ("restart_backoff_async", 3)] {
        run(STALL)
            .arg(scenario)
            .output()
            .assert_code(0)
            .assert_stdout(&format!("value: Ok({value})\n"))
            .assert_stderr_count("restarting", 1)
            .assert_stderr_lacks("stalled");
    }
}

/// A worker that is not critical goes on after a stall, and stays watched: when it
/// beats again and then falls silent again, that second stall is reported too.
#[test]
fn a_not_critical_worker_that_stalls_again_is_reported_again() {
    run(STALL)
        .arg("not_critical_twice")
        .output()
        .assert_code(0)
        .assert_stdout("cancelled: false\n")
        .assert_stderr_count("fate: worker `stalls_twice` stalled at", 2)
        .assert_stderr_count("(not critical: the program goes on)\n", 2);
    run(STALL)
        .arg("not_critical_blocks_twice")
        .output()
        .assert_code(0)
        .assert_stdout("cancelled: false\n")
        .assert_stderr_count("fate: worker `blocks_twice` ", 2)
        .assert_stderr_count("(not critical: the program goes on)\n", 2);
}

/// A heartbeat in a watched worker called by another watched worker counts for both:
/// the outer one's thread is not silent.
#[test]
fn a_heartbeat_in_a_nested_watched_worker_feeds_the_outer_one() {
    run(STALL)
        .arg("nested")
        .output()
        .assert_code(0)
        .assert_stdout("beats: 20\n")
        .assert_stderr_lacks("stalled");
}
