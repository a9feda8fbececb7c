//! Issue 8, item 9: under `panic = "abort"` nothing unwinds. Every run prints exactly
//! one complete report naming the worker, then the process aborts (SIGABRT) — with
//! one failing worker and with four failing at once.
//!
//! `CARGO_BIN_EXE_*` cannot give a `panic = "abort"` build, so this test builds
//! `src/bin/abort_main.rs` once with the workspace's `fixture-abort` profile (the dev
//! profile with `panic = "abort"`), in a target directory of its own so that it never
//! waits for the lock of the build that runs the tests. The first time, that compiles
//! every dependency again, with that strategy.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use support::{check_report_block, ensure, location_of, race, rounds, run, workspace_dir};

/// The path of `abort_main` built with `panic = "abort"`, built on first use.
fn abort_main() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        // target/<profile>/deps/panic_abort-<hash>
        let exe = std::env::current_exe().expect("the path of the test binary");
        let target = exe.ancestors().nth(3).expect("the target directory");
        let target_dir = target.join("fixture-abort-build");
        let output = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-j1", "--profile", "fixture-abort"])
            .args(["-p", "fate-tests", "--bin", "abort_main"])
            .arg("--target-dir")
            .arg(&target_dir)
            .current_dir(workspace_dir())
            .output()
            .expect("run cargo build");
        assert!(
            output.status.success(),
            "building abort_main with the fixture-abort profile failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let path = target_dir.join("fixture-abort").join("abort_main");
        assert!(path.exists(), "{} does not exist", path.display());
        path
    })
}

fn race_abort(scenario: &str, workers: usize) {
    let program = abort_main();
    let at = location_of("src/bin/abort_main.rs", "panic!(\"out of cheese {i}\")");
    let summaries: Vec<String> = (0..workers)
        .map(|i| format!("worker `crash` panicked at {at}: out of cheese {i}"))
        .collect();
    let threads: Vec<String> = (0..workers).map(|i| format!("w{i}")).collect();
    race(
        &format!("panic=abort, {scenario}"),
        rounds(4),
        |_| run(program).arg(scenario).try_output(),
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
