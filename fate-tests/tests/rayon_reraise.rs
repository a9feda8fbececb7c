//! Issue 8, item 14: rayon catches a panic on one of its threads and re-raises it in
//! the supervised caller (`process`, called by `main`; the pool's two threads are
//! named `crunch-N`). The report keeps the panic's own location and thread, and its
//! backtrace when `RUST_BACKTRACE=1`, without the "run with `RUST_BACKTRACE=1`" note.
//! Where the failure is reported from depends on timing, so each scenario runs
//! `FATE_ROUNDS / 4` times.

mod support;

use support::{ensure, location_of, race, rounds, run, Output};

const FATE_MAIN: &str = env!("CARGO_BIN_EXE_fate_main");
const NOTE: &str = "run with `RUST_BACKTRACE=1`";

/// The thread item 7 was processed on, as the program printed it on stdout.
fn thread_of_item_7(output: &Output) -> Result<String, String> {
    let name = output
        .stdout
        .strip_prefix("item 7 on ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .ok_or("stdout does not say where item 7 was")?;
    ensure(
        name.starts_with("crunch-"),
        "item 7 was not on a crunch thread",
    )?;
    Ok(name.to_owned())
}

fn rounds_of(scenario: &str, judge: impl Fn(&Output) -> Result<(), String> + Sync) {
    race(
        scenario,
        rounds(4),
        |_| run(FATE_MAIN).arg(scenario).backtraces().try_output(),
        judge,
    );
}

/// The closure is not supervised: the report is `process`'s. Rust may print its raw
/// message for the panic when it happens (once at most).
#[test]
fn reraised_panic_keeps_its_location_thread_and_backtrace() {
    let at = location_of("src/bin/fate_main.rs", "panic!(\"bad item {x}\")");
    rounds_of("rayon_reraise", |output| {
        let thread = thread_of_item_7(output)?;
        ensure(output.code() == Some(1), "status is not 1")?;
        ensure(
            output.stderr.matches("Error:").count() == 1,
            "not exactly one report",
        )?;
        ensure(
            output.stderr.contains(&format!(
                "Error: worker `process` panicked at {at}: bad item 7\n  thread: {thread}\n"
            )),
            "the report's first lines are not the panic's location and thread",
        )?;
        ensure(output.stderr.contains("Stack backtrace:"), "no backtrace")?;
        ensure(!output.stderr.contains(NOTE), "the RUST_BACKTRACE note")?;
        ensure(
            output.raw_panic_count(&thread, &at, "bad item 7") <= 1,
            "the raw message more than once",
        )
    });
}

/// The closure calls a supervised `check`, which panics: the report names `check`,
/// Rust's raw message is not printed, and the re-raise is not a second failure.
#[test]
fn supervised_check_inside_the_closure_is_the_one_failure() {
    assert_check_is_the_one_failure("rayon_check");
}

/// The same with `process_checked` run by `ThreadPool::install` (so on a pool
/// thread, and re-raised once more in `main`'s body).
#[test]
fn supervised_check_inside_the_closure_is_the_one_failure_under_install() {
    assert_check_is_the_one_failure("rayon_check_install");
}

fn assert_check_is_the_one_failure(scenario: &str) {
    let at = location_of(
        "src/bin/fate_main.rs",
        "panic!(\"check rejected item {x}\")",
    );
    rounds_of(scenario, |output| {
        let thread = thread_of_item_7(output)?;
        ensure(output.code() == Some(1), "status is not 1")?;
        ensure(
            output.stderr.matches("Error:").count() == 1,
            "not exactly one report",
        )?;
        ensure(
            output.stderr.starts_with(&format!(
                "Error: worker `check` panicked at {at}: check rejected item 7\n  thread: {thread}\n"
            )),
            "stderr does not start with check's report",
        )?;
        ensure(output.stderr.contains("Stack backtrace:"), "no backtrace")?;
        ensure(!output.stderr.contains(NOTE), "the RUST_BACKTRACE note")?;
        ensure(
            !output.stderr.contains("more failure"),
            "a second failure is listed",
        )?;
        ensure(
            !output.stderr.lines().any(support::is_raw_panic_line),
            "a raw panic message",
        )
    });
}
