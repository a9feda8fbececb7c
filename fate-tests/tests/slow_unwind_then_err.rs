//! Issue 8, item 2: worker A panics and its unwinding takes 200 ms; 20 ms after A's
//! panic started, worker B returns `Err`. The report is built from A's panic, the
//! failure that happened first, and lists B's.

mod support;

use std::time::Duration;

use support::{location_of, run};

#[test]
fn the_report_names_the_panic_that_happened_first() {
    let output = run(env!("CARGO_BIN_EXE_fate_main"))
        .arg("slow_unwind_then_err")
        .output();
    let at = location_of("src/bin/fate_main.rs", "panic!(\"the first failure\")");
    output
        .assert_code(1)
        .assert_stderr_starts_with(&format!(
            "Error: worker `panics_slowly` panicked at {at}: the first failure\n  thread: slow\n"
        ))
        .assert_stderr_count("Error:", 1)
        .assert_stderr_has(
            "\n\nand 1 more failure:\n    worker `fails_soon` failed: the second failure\n",
        )
        .assert_stderr_count("the first failure", 1)
        .assert_stderr_count("the second failure", 1)
        .assert_no_raw_panic()
        .assert_ended_within(Duration::from_secs(5));
}
