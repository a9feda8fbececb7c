//! End-to-end tests: real programs (`src/bin/*.rs`) run as child processes. Each test
//! asserts the exit status, what stderr shows (once), and that the program ends promptly
//! even while a sibling thread is blocked forever. Every child runs under a hard time limit
//! (see `support::TIMEOUT`) and is killed, failing the test, if it overstays.

mod support;

use std::time::Duration;

use support::{
    assert_single_panic_report, assert_single_report, location_of, run, scratch_file, Output,
    RAW_PANIC,
};

/// How soon a program must end after a worker fails (grace 0), start-up included.
const PROMPT: Duration = Duration::from_secs(2);

const BACKTRACE_NOTE: &str = "note: run with `RUST_BACKTRACE=1`";

// ---------------------------------------------------------------------------------
// `fn main() -> Result<(), fate::Error>`
// ---------------------------------------------------------------------------------

#[test]
fn worker_panic_ends_main_at_once_while_a_sibling_blocks_forever() {
    let output = run(env!("CARGO_BIN_EXE_result")).arg("panic").output();
    let at = location_of("src/bin/result.rs", "panic!(\"bad record");
    assert_single_panic_report(
        &output,
        &format!("worker `parse_record` panicked at {at}: bad record 7"),
        "bad record 7",
    );
    output
        .assert_stderr_has("\n  thread: parser\n")
        .assert_stderr_count(BACKTRACE_NOTE, 1)
        .assert_stdout("")
        .assert_ended_within(PROMPT);
}

#[test]
fn worker_error_is_reported_with_its_source_chain() {
    let output = run(env!("CARGO_BIN_EXE_result")).arg("io_error").output();
    assert_single_report(
        &output,
        "worker `read_record` failed: could not read record 3",
    );
    output
        .assert_stderr_has("\n  thread: reader\n")
        .assert_stderr_has("\n\nCaused by:\n    segment file is gone")
        .assert_stderr_count("segment file is gone", 1)
        .assert_stderr_lacks(RAW_PANIC)
        .assert_stderr_lacks(BACKTRACE_NOTE)
        .assert_ended_within(PROMPT);
}

#[test]
fn body_panic_is_a_failure_of_worker_main_with_status_1() {
    let output = run(env!("CARGO_BIN_EXE_result")).arg("body_panic").output();
    let at = location_of("src/bin/result.rs", "panic!(\"the body gave up\")");
    assert_single_panic_report(
        &output,
        &format!("worker `main` panicked at {at}: the body gave up"),
        "the body gave up",
    );
    output
        .assert_stderr_has("\n  thread: main\n")
        .assert_ended_within(PROMPT);
}

#[test]
fn success_exits_0_with_clean_stderr() {
    run(env!("CARGO_BIN_EXE_result"))
        .arg("ok")
        .output()
        .assert_code(0)
        .assert_stderr_empty()
        .assert_stdout("sum 5\n")
        .assert_ended_within(PROMPT);
}

#[test]
fn name_option_is_the_worker_name_in_the_report() {
    let output = run(env!("CARGO_BIN_EXE_result")).arg("named").output();
    let at = location_of("src/bin/result.rs", "panic!(\"index is corrupt\")");
    assert_single_panic_report(
        &output,
        &format!("worker `index loader` panicked at {at}: index is corrupt"),
        "index is corrupt",
    );
    output
        .assert_stderr_lacks("load_index")
        .assert_ended_within(PROMPT);
}

#[test]
fn panic_in_a_fate_spawned_closure_is_reported() {
    let output = run(env!("CARGO_BIN_EXE_result"))
        .arg("spawn_closure")
        .output();
    let spawned_at = location_of("src/bin/result.rs", "fate::spawn(|| -> ()");
    let panicked_at = location_of("src/bin/result.rs", "panic!(\"the closure exploded\")");
    assert_single_panic_report(
        &output,
        &format!(
            "worker `fate::spawn at {spawned_at}` panicked at {panicked_at}: the closure exploded"
        ),
        "the closure exploded",
    );
    output.assert_ended_within(PROMPT);
}

#[test]
fn stdout_written_before_the_failure_is_not_lost() {
    let output = run(env!("CARGO_BIN_EXE_result"))
        .arg("unflushed_stdout")
        .output();
    assert_single_report(
        &output,
        &format!(
            "worker `parse_record` panicked at {}: bad record 7",
            location_of("src/bin/result.rs", "panic!(\"bad record")
        ),
    );
    output
        .assert_stdout("partial line without a newline")
        .assert_ended_within(PROMPT);
}

#[test]
fn panic_on_an_unsupervised_thread_is_no_failure_and_prints_as_usual() {
    let output = run(env!("CARGO_BIN_EXE_result"))
        .arg("plain_thread_panic")
        .output();
    output
        .assert_code(0)
        .assert_stdout("joined the plain thread\n")
        .assert_stderr_lacks("Error:")
        .assert_stderr_count("nobody supervises me", 1)
        .assert_stderr_count("thread 'plain'", 1)
        .assert_stderr_has(&format!(
            "panicked at {}",
            location_of("src/bin/result.rs", "panic!(\"nobody supervises me\")")
        ));
}

#[test]
fn panic_caught_inside_a_worker_is_no_failure_and_prints_once() {
    let output = run(env!("CARGO_BIN_EXE_result"))
        .arg("caught_panic")
        .output();
    output
        .assert_code(0)
        .assert_stdout("careful returned 42\n")
        .assert_stderr_lacks("Error:")
        .assert_stderr_count("caught inside the worker", 1)
        .assert_stderr_count(RAW_PANIC, 1);
}

/// A long-running supervised worker (a server loop) that catches the panic of each
/// request and goes on. No failure; and, as without fate, each of those panics prints
/// its message: none may be lost.
#[test]
fn every_panic_caught_inside_a_long_running_worker_prints_its_message() {
    let output = run(env!("CARGO_BIN_EXE_result"))
        .arg("caught_panics_in_a_loop")
        .output();
    output
        .assert_code(0)
        .assert_stdout("served 3\n")
        .assert_stderr_lacks("Error:");
    for request in 1..=3 {
        output
            .assert_stderr_count(&format!("server: recovered from request {request}\n"), 1)
            .assert_stderr_count(&format!("request {request} failed\n"), 1);
    }
}

/// A second worker panics right after the first failure cancelled the root, while the
/// program is ending (grace 0). The report must come first and alone: Rust's raw panic
/// message must not be printed on top of it (nor after it). The window is widest when
/// the report has a backtrace to resolve, so most runs use `RUST_BACKTRACE=1`.
#[test]
fn panic_while_the_program_ends_prints_no_raw_message() {
    let at = location_of("src/bin/result.rs", "panic!(\"bad record");
    for backtrace in ["1", "1", "1", "1", "1", "1", "0", "0", "0", "0"] {
        let output = run(env!("CARGO_BIN_EXE_result"))
            .arg("panic_after_cancel")
            .env("RUST_BACKTRACE", backtrace)
            .env("RUST_LIB_BACKTRACE", backtrace)
            .output();
        assert_single_report(
            &output,
            &format!("worker `parse_record` panicked at {at}: bad record 7"),
        );
        // The follower panicked after the report was made: Rust's message for it may
        // be printed, as Rust prints it, but only below the report.
        let report_ends = output.stderr.find("\n\n").unwrap_or(0);
        if let Some(at) = output.stderr.find("thread 'follower'") {
            assert!(
                at > report_ends,
                "the follower's panic above the report\n{}",
                output.dump()
            );
        }
        output
            .assert_stderr_count("bad record 7", 1)
            .assert_ended_within(PROMPT);
    }
}

#[test]
fn rust_backtrace_1_adds_a_stack_backtrace_of_the_panic() {
    for lib in [Some("1"), None] {
        let mut program = run(env!("CARGO_BIN_EXE_result"))
            .arg("panic")
            .env("RUST_BACKTRACE", "1");
        program = match lib {
            Some(value) => program.env("RUST_LIB_BACKTRACE", value),
            None => program.env_remove("RUST_LIB_BACKTRACE"),
        };
        let output = program.output();
        assert_single_report(
            &output,
            &format!(
                "worker `parse_record` panicked at {}: bad record 7",
                location_of("src/bin/result.rs", "panic!(\"bad record")
            ),
        );
        output
            .assert_stderr_count("Stack backtrace:", 1)
            // The frames are the panicking worker's, resolved to names.
            .assert_stderr_has("parse_record")
            .assert_stderr_lacks(BACKTRACE_NOTE)
            .assert_stderr_lacks("thread '")
            .assert_ended_within(Duration::from_secs(5));
    }
}

#[test]
fn rust_backtrace_0_gives_no_backtrace() {
    let output = run(env!("CARGO_BIN_EXE_result"))
        .arg("panic")
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .output();
    output
        .assert_code(1)
        .assert_stderr_lacks("Stack backtrace:")
        .assert_stderr_lacks("stack backtrace:")
        .assert_stderr_count(BACKTRACE_NOTE, 1);
}

/// `RUST_LIB_BACKTRACE=0 RUST_BACKTRACE=1` is the standard way to say "backtraces for
/// panics, not for errors" (see `std::backtrace`): Rust's own panic message would show
/// this panic's backtrace. fate replaces that message with its report, so the report
/// should carry the backtrace; at the very least it must not tell the user to set the
/// `RUST_BACKTRACE=1` that is already set.
#[test]
fn panic_backtrace_follows_rust_backtrace_even_with_lib_backtrace_off() {
    let output = run(env!("CARGO_BIN_EXE_result"))
        .arg("panic")
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "0")
        .output();
    output
        .assert_code(1)
        .assert_stderr_lacks(BACKTRACE_NOTE)
        .assert_stderr_count("Stack backtrace:", 1)
        .assert_stderr_has("parse_record");
}

// ---------------------------------------------------------------------------------
// One outcome when the body returns at the moment a worker fails
// ---------------------------------------------------------------------------------

/// Runs a `race` scenario many times: each run must end with either status 0 (the
/// body won: the worker's `Err`, if it came after the outcome was decided, is one line
/// saying so, never lost) or status 1 and exactly one report.
fn assert_one_outcome_per_run(program: &str) {
    let (mut successes, mut failures) = (0, 0);
    for _ in 0..20 {
        let output = run(program).arg("race").output();
        output.assert_ended_within(PROMPT);
        match output.code() {
            Some(0) => {
                let late = "fate: worker `fail_at_once` failed: failed at the same moment \
                            (after its root had decided its outcome)\n";
                assert!(
                    output.stderr.is_empty() || output.stderr == late,
                    "stderr is neither empty nor the late failure's line\n{}",
                    output.dump()
                );
                successes += 1;
            }
            Some(1) => {
                assert_single_report(
                    &output,
                    "worker `fail_at_once` failed: failed at the same moment",
                );
                output.assert_stderr_count("failed at the same moment", 1);
                failures += 1;
            }
            _ => panic!("unexpected status\n{}", output.dump()),
        }
    }
    assert_eq!(successes + failures, 20);
}

#[test]
fn race_between_body_and_failure_has_one_outcome_result_main() {
    assert_one_outcome_per_run(env!("CARGO_BIN_EXE_result"));
}

#[test]
fn race_between_body_and_failure_has_one_outcome_unit_main() {
    assert_one_outcome_per_run(env!("CARGO_BIN_EXE_unit"));
}

#[test]
fn race_between_body_and_failure_has_one_outcome_exit_code_main() {
    assert_one_outcome_per_run(env!("CARGO_BIN_EXE_exit_code"));
}

// ---------------------------------------------------------------------------------
// `fn main()`
// ---------------------------------------------------------------------------------

#[test]
fn unit_main_success_exits_0() {
    run(env!("CARGO_BIN_EXE_unit"))
        .arg("ok")
        .output()
        .assert_code(0)
        .assert_stderr_empty()
        .assert_stdout("all good\n");
}

#[test]
fn unit_main_worker_panic_exits_1_with_the_report() {
    let output = run(env!("CARGO_BIN_EXE_unit")).arg("panic").output();
    let at = location_of("src/bin/unit.rs", "assert!(value < 5");
    assert_single_panic_report(
        &output,
        &format!("worker `check` panicked at {at}: value 7 is out of range"),
        "value 7 is out of range",
    );
    output.assert_ended_within(PROMPT);
}

#[test]
fn unit_main_display_only_error_is_reported() {
    let output = run(env!("CARGO_BIN_EXE_unit")).arg("error").output();
    assert_single_report(
        &output,
        "worker `validate` failed: invalid identifier \"x-17\"",
    );
    output
        .assert_stderr_lacks("Caused by:")
        .assert_ended_within(PROMPT);
}

#[test]
fn unit_main_body_panic_exits_1_not_101() {
    let output = run(env!("CARGO_BIN_EXE_unit")).arg("body_panic").output();
    let at = location_of("src/bin/unit.rs", "panic!(\"the body of a unit main");
    assert_single_panic_report(
        &output,
        &format!("worker `main` panicked at {at}: the body of a unit main gave up"),
        "the body of a unit main gave up",
    );
}

// ---------------------------------------------------------------------------------
// `fn main() -> ExitCode`
// ---------------------------------------------------------------------------------

#[test]
fn exit_code_main_success_and_own_code_pass_through() {
    run(env!("CARGO_BIN_EXE_exit_code"))
        .arg("ok")
        .output()
        .assert_code(0)
        .assert_stderr_empty();
    run(env!("CARGO_BIN_EXE_exit_code"))
        .arg("code3")
        .output()
        .assert_code(3)
        .assert_stderr_empty();
}

#[test]
fn exit_code_main_worker_panic_exits_1_with_the_report() {
    let output = run(env!("CARGO_BIN_EXE_exit_code")).arg("panic").output();
    let at = location_of("src/bin/exit_code.rs", "panic!(\"division of");
    assert_single_panic_report(
        &output,
        &format!("worker `divide` panicked at {at}: division of 1 by zero"),
        "division of 1 by zero",
    );
    output.assert_ended_within(PROMPT);
}

#[test]
fn exit_code_main_failure_wins_over_a_successful_body() {
    let output = run(env!("CARGO_BIN_EXE_exit_code"))
        .arg("error_then_success")
        .output();
    assert_single_report(&output, "worker `lookup` failed: no entry for missing-key");
    output.assert_ended_within(PROMPT);
}

// ---------------------------------------------------------------------------------
// `fn main() -> anyhow::Result<()>`
// ---------------------------------------------------------------------------------

#[test]
fn anyhow_main_success_exits_0() {
    run(env!("CARGO_BIN_EXE_anyhow_body"))
        .arg("ok")
        .output()
        .assert_code(0)
        .assert_stderr_empty();
}

#[test]
fn anyhow_main_prints_the_whole_context_chain() {
    let output = run(env!("CARGO_BIN_EXE_anyhow_body"))
        .arg("context")
        .output();
    assert_single_report(
        &output,
        "worker `load_config` failed: loading configuration",
    );
    output
        .assert_stderr_has(
            "\n\nCaused by:\n    0: reading settings.toml\n    1: access to settings.toml denied",
        )
        .assert_stderr_count("reading settings.toml", 1)
        .assert_ended_within(PROMPT);
}

#[test]
fn anyhow_main_worker_panic_exits_1_with_the_report() {
    let output = run(env!("CARGO_BIN_EXE_anyhow_body")).arg("panic").output();
    let at = location_of("src/bin/anyhow_body.rs", "expect(\"crunch needs");
    assert_single_report(
        &output,
        &format!("worker `crunch` panicked at {at}: crunch needs at least one number"),
    );
    output
        .assert_stderr_count("crunch needs at least one number", 1)
        .assert_stderr_lacks("thread '")
        .assert_ended_within(PROMPT);
}

#[test]
fn anyhow_main_body_error_passes_through() {
    run(env!("CARGO_BIN_EXE_anyhow_body"))
        .arg("body_error")
        .output()
        .assert_code(1)
        .assert_stdout("")
        .assert_stderr_has("Error: running the body\n\nCaused by:\n    the body failed on its own")
        .assert_stderr_lacks("worker");
}

// ---------------------------------------------------------------------------------
// `fn main() -> Result<(), Box<dyn Error>>`
// ---------------------------------------------------------------------------------

#[test]
fn boxed_main_success_exits_0() {
    run(env!("CARGO_BIN_EXE_boxed"))
        .arg("ok")
        .output()
        .assert_code(0)
        .assert_stderr_empty()
        .assert_stdout("main-thread only\n");
}

#[test]
fn boxed_main_worker_error_is_reported() {
    let output = run(env!("CARGO_BIN_EXE_boxed")).arg("error").output();
    assert_single_report(
        &output,
        "worker `fetch` failed: host of https://example.invalid/data not found",
    );
    output.assert_ended_within(PROMPT);
}

#[test]
fn boxed_main_worker_panic_is_reported() {
    let output = run(env!("CARGO_BIN_EXE_boxed")).arg("panic").output();
    let at = location_of("src/bin/boxed.rs", "shards[index]");
    assert_single_panic_report(
        &output,
        &format!(
            "worker `shard` panicked at {at}: index out of bounds: the len is 3 but the index is 9"
        ),
        "index out of bounds",
    );
    output.assert_ended_within(PROMPT);
}

#[test]
fn boxed_main_body_error_passes_through() {
    run(env!("CARGO_BIN_EXE_boxed"))
        .arg("body_error")
        .output()
        .assert_code(1)
        .assert_stderr_has("Error: \"the body says no (main-thread only)\"\n")
        .assert_stderr_count("Error:", 1)
        .assert_stderr_lacks("worker");
}

// ---------------------------------------------------------------------------------
// `grace = "1s"`
// ---------------------------------------------------------------------------------

const GRACE: Duration = Duration::from_secs(1);

/// The notice is the first line of stderr, names the failed worker, and is not the
/// report; the report follows it, once.
#[track_caller]
fn assert_notice_then_report(output: &Output, worker: &str, first_line: &str) {
    output.assert_code(1);
    let notice = output
        .stderr_lines
        .first()
        .map(|(_, line)| line.as_str())
        .unwrap_or_default();
    assert!(
        notice.contains(&format!("`{worker}`")) && !notice.starts_with("Error:"),
        "the first stderr line is not a notice naming `{worker}`\n{}",
        output.dump()
    );
    output
        .assert_stderr_count(notice.trim_end(), 1)
        .assert_stderr_count("Error:", 1)
        .assert_stderr_has(&format!("{notice}Error: {first_line}\n"));
}

#[test]
fn grace_ends_at_the_deadline_when_a_sibling_ignores_cancellation() {
    let file = scratch_file("grace-deadline");
    let output = run(env!("CARGO_BIN_EXE_grace"))
        .arg("deadline")
        .arg(&file)
        .output();
    let at = location_of("src/bin/grace.rs", "panic!(\"{what}\")");
    assert_notice_then_report(
        &output,
        "explode",
        &format!("worker `explode` panicked at {at}: disk on fire"),
    );
    output
        .assert_stderr_count("disk on fire", 1)
        .assert_stderr_lacks("thread '");
    // The notice comes at the failure; the report at the end of the grace period.
    let notice_at = output.stderr_line_time("`explode`");
    let report_at = output.stderr_line_time("Error:");
    assert!(
        notice_at < PROMPT,
        "the notice came only after {notice_at:?}\n{}",
        output.dump()
    );
    assert!(
        report_at >= notice_at + GRACE.mul_f32(0.8),
        "the report came {:?} after the notice, before the grace period of {GRACE:?} was over\n{}",
        report_at - notice_at,
        output.dump()
    );
    assert!(
        output.elapsed < notice_at + GRACE + Duration::from_secs(1),
        "the program outlived the grace period by far: ended {:?} after the notice\n{}",
        output.elapsed - notice_at,
        output.dump()
    );
    // The sibling that watched for cancellation flushed.
    let written = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "the flusher did not write {}: {e}\n{}",
            file.display(),
            output.dump()
        )
    });
    assert_eq!(written, "flushed on cancellation\n");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn grace_ends_early_when_everything_finishes_before_the_deadline() {
    let file = scratch_file("grace-early");
    let output = run(env!("CARGO_BIN_EXE_grace"))
        .arg("early")
        .arg(&file)
        .output();
    let at = location_of("src/bin/grace.rs", "panic!(\"{what}\")");
    assert_notice_then_report(
        &output,
        "explode",
        &format!("worker `explode` panicked at {at}: disk on fire"),
    );
    let notice_at = output.stderr_line_time("`explode`");
    assert!(
        output.elapsed < notice_at + GRACE / 2,
        "the program waited for the deadline although everything had finished: ended {:?} after the notice\n{}",
        output.elapsed - notice_at,
        output.dump()
    );
    let written = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "the flusher did not write {}: {e}\n{}",
            file.display(),
            output.dump()
        )
    });
    assert_eq!(written, "flushed on cancellation\n");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn two_failures_report_the_first_and_count_the_other() {
    let output = run(env!("CARGO_BIN_EXE_grace"))
        .arg("two_failures")
        .output();
    let at = location_of("src/bin/grace.rs", "panic!(\"{what}\")");
    assert_notice_then_report(
        &output,
        "explode",
        &format!("worker `explode` panicked at {at}: first failure"),
    );
    output
        .assert_stderr_has(
            "\n\nand 1 more failure:\n    worker `fail_after_cancel` failed: second failure, after the cancellation\n",
        )
        .assert_stderr_count("first failure", 1)
        .assert_stderr_count("second failure", 1)
        .assert_stderr_lacks("thread '")
        .assert_ended_within(PROMPT);
}

#[test]
fn grace_does_not_apply_without_a_failure() {
    let file = scratch_file("grace-ok");
    let output = run(env!("CARGO_BIN_EXE_grace"))
        .arg("ok")
        .arg(&file)
        .output();
    output
        .assert_code(0)
        .assert_stderr_empty()
        .assert_ended_within(PROMPT);
    assert!(
        !file.exists(),
        "nothing failed, yet the flusher was cancelled\n{}",
        output.dump()
    );
}

// ---------------------------------------------------------------------------------
// `wait`
// ---------------------------------------------------------------------------------

#[test]
fn wait_lets_a_running_worker_finish_after_the_body() {
    run(env!("CARGO_BIN_EXE_wait"))
        .arg("finish")
        .output()
        .assert_code(0)
        .assert_stderr_empty()
        .assert_stdout("body returned\nworker finished\n")
        .assert_ended_within(PROMPT);
}

#[test]
fn wait_reports_a_worker_failing_after_the_body_returned() {
    let output = run(env!("CARGO_BIN_EXE_wait")).arg("fail").output();
    assert_single_report(
        &output,
        "worker `outlive_the_body` failed: the late worker failed",
    );
    output
        .assert_stdout("body returned\n")
        .assert_ended_within(PROMPT);
}

#[test]
fn the_body_runs_on_the_real_main_thread() {
    let output = run(env!("CARGO_BIN_EXE_boxed")).arg("main_thread").output();
    output.assert_code(0).assert_stderr_empty().assert_stdout(
        "thread Some(\"main\"), thread-local 7, stack frame 4194304 bytes, main-thread only\n",
    );
}

/// The report names the failure that happened first, not the first to reach the root:
/// here the consumer's panic, whose unwinding (dropping the receiver) makes the
/// producer panic too, sometimes sooner than the consumer's own report arrives.
#[test]
fn the_report_names_the_cause_not_the_symptom() {
    for _ in 0..20 {
        let output = run(env!("CARGO_BIN_EXE_result"))
            .arg("cause_and_symptom")
            .output();
        let first_line = output.stderr.lines().next().unwrap_or_default().to_owned();
        assert!(
            first_line.starts_with("Error: worker `check_records` panicked at "),
            "{}",
            output.dump()
        );
        output.assert_code(1).assert_ended_within(PROMPT);
    }
}
