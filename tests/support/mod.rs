//! Runs an example as a child process, with a time limit, for the tests of the
//! examples: `tests/examples.rs` here, and `fate-examples/tests/`, which includes this
//! file by its path.
//!
//! Only std: the facade has no dev-dependencies, so that `cargo run --example pipeline`
//! builds fate and nothing else. The examples are the binaries `cargo test` built before
//! it ran the tests; nothing here builds them.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long an example may run before it is killed and the test fails. Generous: the
/// tests assert their own, much tighter, bounds.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The workspace's root: the examples run there, and the panic locations they print are
/// relative to it. (Outside the workspace, as in the published crate, the package's.)
pub(crate) fn workspace_root() -> &'static Path {
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    package
        .ancestors()
        .find(|dir| {
            fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|manifest| manifest.contains("[workspace]"))
        })
        .unwrap_or(package)
}

/// The example `name` as `cargo test` built it, `target/<profile>/examples/<name>`
/// (next to `target/<profile>/deps/`, which holds this test binary). Fails the test,
/// saying how to build it, if it is not there: `cargo test --test <name>` builds no
/// example.
#[track_caller]
pub(crate) fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the path of the test binary");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let profile = match profile_dir.file_name().and_then(OsStr::to_str) {
            Some("debug") | None => String::new(),
            Some("release") => " --release".to_owned(),
            Some(other) => format!(" --profile {other}"),
        };
        panic!(
            "the example `{name}` is not built ({} does not exist). `cargo test` builds \
             the examples before it runs the tests, but `cargo test --test ..` does not: \
             run `cargo build -p {} --examples{profile}` first, or plain `cargo test`.",
            path.display(),
            env!("CARGO_PKG_NAME"),
        );
    }
    path
}

/// `path:line:column` of the one occurrence of `needle` in the source file `path`
/// (relative to the workspace's root), as a panic location shows it.
#[track_caller]
pub(crate) fn location_of(path: &str, needle: &str) -> String {
    let text = fs::read_to_string(workspace_root().join(path))
        .unwrap_or_else(|e| panic!("read {path}: {e}"));
    let found: Vec<(usize, usize)> = text
        .lines()
        .enumerate()
        .filter_map(|(index, line)| line.find(needle).map(|column| (index + 1, column + 1)))
        .collect();
    match found[..] {
        // Columns count characters from 1; the sources here are ASCII.
        [(line, column)] => format!("{path}:{line}:{column}"),
        _ => panic!("{needle:?} is in {path} {} times, not once", found.len()),
    }
}

/// What an example did.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// From the spawn until the exit was seen.
    pub(crate) elapsed: Duration,
}

/// Runs `program` with `args` in the workspace's root, with backtraces off (these
/// machines set `RUST_BACKTRACE=1`), and waits for it to end; kills it and fails the
/// test after [`TIMEOUT`].
#[track_caller]
pub(crate) fn run(program: &Path, args: &[&OsStr]) -> Output {
    // stdout and stderr go to files: no reader threads, and what a killed child wrote
    // is still there to show.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let capture = |stream: &str| {
        std::env::temp_dir().join(format!(
            "fate-example-{}-{}.{stream}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ))
    };
    let (stdout_path, stderr_path) = (capture("stdout"), capture("stderr"));
    let create = |path: &Path| File::create(path).expect("create a capture file");
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(create(&stdout_path))
        .stderr(create(&stderr_path))
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the example") {
            break Some(status);
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(2));
    };
    let elapsed = started.elapsed();
    let take = |path: &Path| {
        let text = fs::read(path).unwrap_or_default();
        let _ = fs::remove_file(path);
        String::from_utf8_lossy(&text).into_owned()
    };
    let (stdout, stderr) = (take(&stdout_path), take(&stderr_path));
    let Some(status) = status else {
        panic!(
            "{} did not end within {TIMEOUT:?}: killed\n--- stdout ---\n{stdout}--- stderr ---\n{stderr}",
            program.display()
        );
    };
    Output {
        status,
        stdout,
        stderr,
        elapsed,
    }
}

impl Output {
    /// Everything about the run, for assertion messages.
    pub(crate) fn dump(&self) -> String {
        format!(
            "status: {}\nelapsed: {:?}\n--- stdout ---\n{}--- stderr ---\n{}--------------",
            self.status, self.elapsed, self.stdout, self.stderr
        )
    }

    /// How many times stderr contains `needle`.
    pub(crate) fn count(&self, needle: &str) -> usize {
        self.stderr.matches(needle).count()
    }

    /// Fails the test with `what` and the whole run unless `ok`.
    #[track_caller]
    pub(crate) fn check(&self, ok: bool, what: &str) -> &Self {
        assert!(ok, "{what}\n{}", self.dump());
        self
    }
}
