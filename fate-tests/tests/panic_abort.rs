//! Issue 8, item 9: under `panic = "abort"` nothing unwinds. Every run prints exactly
//! one complete report naming the worker, then the process aborts (SIGABRT) — with
//! one failing worker and with four failing at once, and with a grace period (which
//! nothing can wait out: no notice).
//!
//! `CARGO_BIN_EXE_*` cannot give a `panic = "abort"` build, so this test builds the
//! programs `src/bin/abort_*.rs` once, in one `cargo build`, with the workspace's `fixture-abort` profile (the dev profile with `panic = "abort"`), in
//! a target directory of its own so that it never waits for the lock of the build that
//! runs the tests. The first time, that compiles every dependency again, with that
//! strategy.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use support::{
    check_report_block, crate_dir, ensure, location_of, race, rounds, run, workspace_dir,
};

/// The programs built with `panic = "abort"`: `src/bin/abort_*.rs`.
fn abort_programs() -> Vec<String> {
    let dir = crate_dir().join("src/bin");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let name = name.strip_suffix(".rs")?;
            name.starts_with("abort_").then(|| name.to_owned())
        })
        .collect();
    names.sort();
    names
}

/// The path of the program `src/bin/<name>.rs` (an `abort_*`) built with
/// `panic = "abort"`; the first call builds them all.
fn abort_build(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let programs = abort_programs();
        // target/<profile>/deps/panic_abort-<hash>
        let exe = std::env::current_exe().expect("the path of the test binary");
        let target = exe.ancestors().nth(3).expect("the target directory");
        let target_dir = target.join("fixture-abort-build");
        let output = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-j1", "--profile", "fixture-abort"])
            .args(["-p", "fate-tests"])
            .args(programs.iter().flat_map(|name| ["--bin", name]))
            .arg("--target-dir")
            .arg(&target_dir)
            .current_dir(workspace_dir())
            .output()
            .expect("run cargo build");
        assert!(
            output.status.success(),
            "building {programs:?} with the fixture-abort profile failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        target_dir.join("fixture-abort")
    });
    assert!(
        name.starts_with("abort_"),
        "{name} is not built with panic = \"abort\""
    );
    let path = dir.join(name);
    assert!(path.exists(), "{} does not exist", path.display());
    path
}

fn race_abort(scenario: &str, workers: usize) {
    let program = abort_build("abort_main");
    let at = location_of("src/bin/abort_main.rs", "panic!(\"out of cheese {i}\")");
    let summaries: Vec<String> = (0..workers)
        .map(|i| format!("worker `crash` panicked at {at}: out of cheese {i}"))
        .collect();
    let threads: Vec<String> = (0..workers).map(|i| format!("w{i}")).collect();
    race(
        &format!("panic=abort, {scenario}"),
        rounds(4),
        |_| run(&program).arg(scenario).try_output(),
        |output| {
            ensure(output.signal() == Some(6), "not killed by SIGABRT")?;
            ensure(
                output.stderr.matches("Error: worker").count() == 1,
                "not exactly one report",
            )?;
            check_report_block(
                &output.stderr,
                |line| summaries.iter().any(|s| s == line),
                |name| threads.iter().any(|t| t == name),
            )
        },
    );
}

#[test]
fn one_failing_worker_one_report_then_sigabrt() {
    race_abort("one", 1);
}

#[test]
fn four_failing_workers_one_report_then_sigabrt() {
    race_abort("four", 4);
}

/// With a grace period, too, the hook prints the report right before the process aborts,
/// and no notice that it gives the other workers time: nothing can wait for them.
#[test]
fn with_a_grace_period_the_report_then_sigabrt_and_no_notice() {
    let output = run(abort_build("abort_grace")).output();
    let at = location_of("src/bin/abort_grace.rs", "panic!(\"out of cheese\")");
    assert_eq!(output.signal(), Some(6), "not SIGABRT\n{}", output.dump());
    output
        .assert_stderr_count(
            &format!("Error: worker `crash` panicked at {at}: out of cheese\n"),
            1,
        )
        .assert_stderr_has("  thread: cheese\n")
        .assert_stderr_lacks("cancelling")
        .assert_no_raw_panic();
}

/// Hostile review: a supervised caller handles an inner `Err` whose `Display` panics.
/// Nothing reports it, so fate must not format it: under `panic = "abort"` that panic
/// would end a healthy program.
#[test]
fn a_handled_err_whose_display_panics_is_not_formatted() {
    let output = run(abort_build("abort_handled")).output();
    output
        .assert_code(0)
        .assert_stdout("value 7\n")
        .assert_stderr_lacks("never format me");
}
