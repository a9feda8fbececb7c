//! Issue 8, item 11: stderr is a pipe whose read end is closed (as in `prog 2>&1 |
//! head -1`). Writing to it fails; fate must not crash on that: the process ends as
//! plain Rust would, never with SIGABRT.

mod support;

use support::run;

const FATE_MAIN: &str = env!("CARGO_BIN_EXE_fate_main");

/// A worker catches a panic (its message cannot be printed) and returns; main joins
/// it and returns Ok.
#[test]
fn caught_panic_with_closed_stderr_exits_normally() {
    let output = run(FATE_MAIN)
        .arg("caught_then_return")
        .closed_stderr()
        .output();
    assert_eq!(
        output.signal(),
        None,
        "killed by a signal\n{}",
        output.dump()
    );
    output.assert_code(0);
}

/// A worker fails while the body is blocked: the report cannot be printed, the status
/// is still 1.
#[test]
fn failing_worker_with_closed_stderr_exits_1() {
    let output = run(FATE_MAIN)
        .arg("failing_worker")
        .closed_stderr()
        .output();
    assert_eq!(
        output.signal(),
        None,
        "killed by a signal\n{}",
        output.dump()
    );
    output.assert_code(1);
}
