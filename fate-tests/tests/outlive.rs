//! A worker that outlives its root: its failure is not lost (`src/bin/outlive.rs`,
//! `src/bin/supervisor_alone.rs`).

mod support;

use std::time::Duration;

use support::{ends_with_report, run};

const OUTLIVE: &str = env!("CARGO_BIN_EXE_outlive");
const SUPERVISOR_ALONE: &str = env!("CARGO_BIN_EXE_supervisor_alone");

/// A thread started from a scope's thread outlives the scope: its failure is the
/// failure of the root the scope was made in.
#[test]
fn a_failure_after_its_scope_returned_is_the_enclosing_roots() {
    for (scenario, first_line) in [
        (
            "scope_err",
            "Error: worker `fails_later` failed: failed after its scope returned\n",
        ),
        ("scope_panic", "Error: worker `panics_later` panicked at"),
    ] {
        ends_with_report(OUTLIVE, scenario, 1, first_line).assert_no_raw_panic();
    }
}

/// After a `Supervisor` returned well, a worker it started fails: one line on stderr.
#[test]
fn a_failure_after_its_supervisor_returned_is_said() {
    run(OUTLIVE)
        .arg("supervisor_err")
        .output()
        .assert_code(0)
        .assert_stdout("main returns\n")
        .assert_stderr_has(
            "fate: worker `fails_later` failed: failed after its scope returned (after its \
             root had decided its outcome)\n",
        );
}

/// In a program whose `main` is not supervised (`src/bin/supervisor_alone.rs`), a
/// panic after its `Supervisor` returned well is printed once (Rust's message) and
/// alerted once, as `Later`; also when the worker had been restarted before the end.
#[test]
fn a_panic_after_its_supervisor_returned_is_printed_and_alerted_once() {
    for (scenario, message) in [
        ("late_panic", "panicked after its supervisor returned"),
        ("late_restarted_panic", "attempt 2"),
    ] {
        let output = run(SUPERVISOR_ALONE)
            .arg(scenario)
            .timeout(Duration::from_secs(20))
            .output();
        output
            .assert_code(0)
            .assert_stderr_count(message, 1)
            .assert_stderr_count("panicked at", 1 + usize::from(message == "attempt 2"));
        let hooked: Vec<&str> = output
            .stdout
            .lines()
            .filter(|line| line.starts_with("hook: Later"))
            .collect();
        assert_eq!(hooked.len(), 1, "one `Later` alert: {hooked:?}");
        assert!(hooked[0].ends_with(message), "{hooked:?}");
        assert!(output.stdout.ends_with("main returns\n"));
    }
}
