//! `panic = "abort"`: the report still names the worker, printed by the panic hook
//! right before the process aborts.
//!
//! Builds tests/fixtures/abort.rs with the `fixture-abort` profile (the dev profile with
//! `panic = "abort"`), which takes a while the first time: every crate is compiled
//! again with that strategy.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn target_dir() -> PathBuf {
    // target/<profile>/deps/abort-<hash>
    let exe = std::env::current_exe().expect("test executable path");
    exe.ancestors().nth(3).expect("target directory").to_owned()
}

#[test]
fn the_hook_prints_the_report_then_the_process_aborts() {
    let target = target_dir();
    let build = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "--profile",
            "fixture-abort",
            "--example",
            "fixture_abort",
        ])
        .arg("--target-dir")
        .arg(&target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(build.success(), "building the panic=abort fixture failed");

    let start = Instant::now();
    let mut child = Command::new(target.join("fixture-abort/examples/fixture_abort"))
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the fixture");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the fixture") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the panic=abort fixture did not end within 20 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");

    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(6),
            "expected SIGABRT; stderr:\n{stderr}"
        );
    }
    #[cfg(not(unix))]
    assert!(!status.success(), "stderr:\n{stderr}");

    let report = "Error: worker `crash` panicked at tests/fixtures/abort.rs:18:5: out of cheese";
    assert_eq!(stderr.matches(report).count(), 1, "stderr:\n{stderr}");
    assert!(stderr.contains("thread: cheese"), "stderr:\n{stderr}");
    // No grace notice: nothing can wait for the others when the process aborts.
    assert!(!stderr.contains("cancelling"), "stderr:\n{stderr}");
    assert!(
        !stderr.contains("panicked at tests/fixtures/abort.rs:18:5:\n"),
        "Rust's default panic message must not be printed on top of the report:\n{stderr}"
    );
}
