//! Issue 8, item 4: a worker returns an error that is its own `source()`. The program
//! ends at once, with the report printed once, in bounded time and memory (today's
//! fate walks the chain forever, at about 700 MB a second: the child gets 1 GiB of
//! address space and 5 s).

mod support;

use std::time::Duration;

use support::run;

#[test]
fn an_error_that_is_its_own_source_is_reported_promptly() {
    let output = run(env!("CARGO_BIN_EXE_fate_main"))
        .arg("source_cycle")
        .memory_limit_mib(1024)
        .timeout(Duration::from_secs(5))
        .output();
    output
        .assert_code(1)
        .assert_ended_within(Duration::from_secs(2))
        .assert_stderr_starts_with("Error: worker `returns_ouroboros` failed: I am my own cause\n")
        .assert_stderr_count("Error:", 1);
}
