//! Issue 8, item 1: a worker's panic is still unwinding when the body returns `Ok`.
//! The failure must be reported (status 1), never lost (status 0, nothing printed).

mod support;

use std::time::Duration;

use support::{ensure, location_of, race, rounds, run, Output};

const FATE_MAIN: &str = env!("CARGO_BIN_EXE_fate_main");
const RACE_MAIN: &str = env!("CARGO_BIN_EXE_race_main");
const SUPERVISOR_RUN: &str = env!("CARGO_BIN_EXE_supervisor_run");

fn unwinding_report() -> String {
    format!(
        "Error: worker `unwinds_slowly` panicked at {}: unwinding slowly\n",
        location_of("src/bin/fate_main.rs", "panic!(\"unwinding slowly\")")
    )
}

/// The body returns while the panic unwinds through a Drop that sleeps 300 ms.
#[test]
fn body_returns_while_the_panic_unwinds_slowly() {
    let output = run(FATE_MAIN).arg("unwind_on_return").arg("300").output();
    output
        .assert_code(1)
        .assert_stderr_starts_with(&unwinding_report())
        .assert_stderr_count("Error:", 1)
        .assert_stderr_count("unwinding slowly", 1)
        .assert_no_raw_panic()
        .assert_ended_within(Duration::from_secs(5));
}

/// The same with no sleep, many times: the panic has always started (a Drop of the
/// unwinding sends the signal) before the body returns, so it is always reported.
#[test]
fn body_returns_while_the_panic_unwinds_race() {
    let report = unwinding_report();
    race(
        "unwind_on_return (0 ms)",
        rounds(1),
        |_| run(FATE_MAIN).arg("unwind_on_return").arg("0").try_output(),
        |output| {
            ensure(output.code() == Some(1), "status is not 1")?;
            ensure(
                output.stderr.starts_with(&report),
                "stderr does not start with the report",
            )?;
            ensure(
                output.stderr.matches("Error:").count() == 1,
                "not exactly one report",
            )?;
            ensure(
                output.stderr.matches("unwinding slowly").count() == 1,
                "the message is not there exactly once",
            )?;
            ensure(!output.stderr.contains("thread '"), "a raw panic message")
        },
    );
}

/// The worker's panic and the body's return race (see src/bin/race_main.rs). Each run
/// is either the report (status 1, no raw text) or, when the panic came after the
/// program was done, Rust's raw message, once, with status 0.
#[test]
fn worker_panic_races_main_returning() {
    let at = location_of("src/bin/race_main.rs", "panic!(\"lost in the race\")");
    let report = format!("Error: worker `races` panicked at {at}: lost in the race\n");
    race(
        "race_return (main)",
        rounds(1),
        |i| run(RACE_MAIN).arg(spins(i).to_string()).try_output(),
        |output| judge_race(output, &report, &at, "racer"),
    );
}

/// The same with `fate::Supervisor::run` (which prints what it returned): never `Ok`
/// with the panic lost.
#[test]
fn worker_panic_races_supervisor_run_returning() {
    let at = location_of("src/bin/supervisor_run.rs", "panic!(\"lost in the race\")");
    race(
        "race_return (Supervisor::run)",
        rounds(1),
        |i| {
            run(SUPERVISOR_RUN)
                .arg("race_return")
                .arg(spins(i).to_string())
                .try_output()
        },
        |output| {
            ensure(output.code() == Some(0), "status is not 0")?;
            let raw = output.raw_panic_count("<unnamed>", &at, "lost in the race");
            let message = output.stderr.matches("lost in the race").count();
            if output.stdout.starts_with("run returned Err: ") {
                ensure(
                    output.stdout
                        == format!(
                            "run returned Err: worker `races` panicked at {at}: lost in the race\n"
                        ),
                    "run returned another Err",
                )?;
                ensure(message == 0, "Err returned, and the panic printed too")
            } else if output.stdout == "run returned Ok\n" {
                ensure(message > 0, "Ok returned and the panic lost")?;
                ensure(
                    raw == 1 && message == 1,
                    "Ok returned; the raw message is not there exactly once",
                )
            } else {
                Err("stdout is neither Ok nor Err".to_owned())
            }
        },
    );
}

/// How many times the racer spins past its release in round `i`: 0 to 300, about the
/// time the body takes to return (past that, every run is the raw message).
fn spins(i: usize) -> usize {
    (i * 7) % 300
}

fn judge_race(output: &Output, report: &str, at: &str, thread: &str) -> Result<(), String> {
    let reports = output.stderr.matches("Error:").count();
    let raw = output.raw_panic_count(thread, at, "lost in the race");
    let message = output.stderr.matches("lost in the race").count();
    match output.code() {
        Some(1) => {
            ensure(reports == 1, "status 1, not exactly one report")?;
            ensure(
                output.stderr.starts_with(report),
                "status 1, stderr does not start with the report",
            )?;
            ensure(
                message == 1,
                "status 1, the message is not there exactly once",
            )?;
            ensure(
                !output.stderr.contains("thread '"),
                "status 1, a raw panic message with the report",
            )
        }
        Some(0) => {
            ensure(message > 0, "status 0, nothing printed: the panic is lost")?;
            ensure(reports == 0, "status 0 with a report")?;
            ensure(
                raw == 1 && message == 1,
                "status 0, the raw message is not there exactly once",
            )
        }
        _ => Err("status is neither 0 nor 1".to_owned()),
    }
}
