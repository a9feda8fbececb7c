//! Issue 8, item 4: a worker returns an error that is its own `source()`. The program
//! ends at once (bounded time, so bounded memory), with the report printed once.

mod support;

use std::time::Duration;

use support::run;

#[test]
fn an_error_that_is_its_own_source_is_reported_promptly() {
    let output = run(env!("CARGO_BIN_EXE_fate_main"))
        .arg("source_cycle")
        .output();
    output
        .assert_code(1)
        .assert_ended_within(Duration::from_secs(2))
        .assert_stderr_starts_with("Error: worker `returns_ouroboros` failed: I am my own cause\n")
        .assert_stderr_count("Error:", 1);
}
