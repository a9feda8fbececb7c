//! Issue 8, item 15: `fn main() -> std::io::Result<()>` and `fn main() -> Result<(),
//! String>` compile (today they do not: build with `--no-default-features` to leave
//! them out) and print exactly what Rust prints for `main` returning that `Err`.

mod support;

use std::time::Duration;

use support::{location_of, run};

/// `io::Error::other(fate_error)`: Rust prints its Debug,
/// `Custom { kind: Other, error: <the fate::Error's Debug> }`.
#[test]
fn io_result_main_prints_the_io_errors_debug() {
    let output = run(env!("CARGO_BIN_EXE_io_main")).output();
    let at = location_of(
        "src/bin/io_main.rs",
        "panic!(\"io main: the worker broke\")",
    );
    output
        .assert_code(1)
        .assert_ended_within(Duration::from_secs(2))
        .assert_stderr_starts_with(&format!(
            "Error: Custom {{ kind: Other, error: worker `breaks` panicked at {at}: io main: the worker broke\n"
        ))
        .assert_stderr_count("Error:", 1)
        .assert_stderr_count("io main: the worker broke", 1)
        .assert_no_raw_panic();
}

/// A `String`: Rust prints it with Debug, quoted and escaped.
#[test]
fn string_result_main_prints_the_strings_debug() {
    let output = run(env!("CARGO_BIN_EXE_string_main")).output();
    let at = location_of(
        "src/bin/string_main.rs",
        "panic!(\"string main: the worker broke\")",
    );
    output
        .assert_code(1)
        .assert_ended_within(Duration::from_secs(2))
        .assert_stderr_starts_with(&format!(
            "Error: \"worker `breaks` panicked at {at}: string main: the worker broke"
        ))
        .assert_stderr_count("Error:", 1)
        .assert_stderr_count("string main: the worker broke", 1)
        .assert_no_raw_panic();
}
