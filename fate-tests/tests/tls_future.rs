//! Issue 8, item 7: a running supervised future is dropped by a thread-local's
//! destructor as its thread exits (after fate's own thread-local is gone, or before).
//! It must stop counting as running: `#[fate::supervised(wait)] fn main` returns Ok
//! after joining that thread, and the program exits 0 at once.

mod support;

use std::time::Duration;

use support::run;

#[track_caller]
fn assert_exits_promptly(scenario: &str) {
    run(env!("CARGO_BIN_EXE_patient"))
        .arg(scenario)
        .output()
        .assert_code(0)
        .assert_stdout("joined the holder\n")
        .assert_ended_within(Duration::from_secs(2));
}

/// The thread-local is set up first, so it is destroyed after fate's.
#[test]
fn future_dropped_after_fates_thread_local_is_gone() {
    assert_exits_promptly("tls_first");
}

/// The thread-local is set up after fate's, so it is destroyed before.
#[test]
fn future_dropped_while_fates_thread_local_lives() {
    assert_exits_promptly("tls_last");
}
