//! Helpers for the end-to-end tests: find (or build) the fixture programs, run one as
//! a child process with a hard time limit, and look at what it printed.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The examples these tests run, built together, once (see [`program`]).
const PROGRAMS: &[&str] = &[
    "pipeline",
    "errors",
    "graceful",
    "fixture_result",
    "fixture_unit",
    "fixture_exit_code",
    "fixture_anyhow_main",
    "fixture_boxed",
    "fixture_grace",
    "fixture_wait",
    "fixture_odd_drop_unwind",
    "fixture_odd_hook_panics",
];

/// How long any child may run before it is killed and the test fails. Generous: the
/// tests assert their own, much tighter, bounds on promptness.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(20);

/// The package root (where `tests/` and `examples/` live).
pub(crate) fn package_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>/examples`, next to `target/<profile>/deps/e2e-xxxx`.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the path of the test binary");
    let deps = exe.parent().expect("target/<profile>/deps");
    deps.parent().expect("target/<profile>").join("examples")
}

fn program_path(name: &str) -> PathBuf {
    examples_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The path of the example `name`, up to date.
///
/// `cargo test` builds the examples before running the tests, but `cargo test --test
/// e2e` does not, and would leave a missing or (worse) stale fixture from an earlier
/// build. So the first call runs `cargo build` for them, once per test process: with
/// everything fresh it is a no-op that takes a fraction of a second. (Cargo does not
/// hold its build lock while tests run, so this cannot deadlock.)
pub(crate) fn program(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    assert!(PROGRAMS.contains(&name), "{name} is not in PROGRAMS");
    BUILT.get_or_init(|| build_examples(PROGRAMS));
    let path = program_path(name);
    assert!(path.exists(), "{} does not exist", path.display());
    path
}

/// A child process to run: a program, its arguments and its environment.
#[derive(Debug)]
pub(crate) struct Run {
    name: String,
    args: Vec<OsString>,
    env: BTreeMap<String, Option<String>>,
    timeout: Duration,
}

/// Starts describing a run of the example `name`. Backtraces are off unless asked for:
/// these machines set `RUST_BACKTRACE=1`, so both variables are always set explicitly.
pub(crate) fn run(name: &str) -> Run {
    let mut env = BTreeMap::new();
    env.insert("RUST_BACKTRACE".to_owned(), Some("0".to_owned()));
    env.insert("RUST_LIB_BACKTRACE".to_owned(), Some("0".to_owned()));
    Run {
        name: name.to_owned(),
        args: Vec::new(),
        env,
        timeout: TIMEOUT,
    }
}

impl Run {
    /// Adds an argument.
    pub(crate) fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Sets an environment variable for the child.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_owned(), Some(value.to_owned()));
        self
    }

    /// Removes an environment variable from the child's environment.
    pub(crate) fn env_remove(mut self, key: &str) -> Self {
        self.env.insert(key.to_owned(), None);
        self
    }

    /// Runs the child to its end (or kills it at the time limit, failing the test),
    /// capturing stdout, and stderr line by line with the time each line arrived.
    pub(crate) fn output(self) -> Output {
        let path = program(&self.name);
        self.output_from(&path)
    }
}

/// Waits for `child` to exit; kills it at `deadline` (returning `None`).
fn wait_with_deadline(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        if let Some(status) = child.try_wait().expect("try_wait on the child") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// What a child did.
#[derive(Debug)]
pub(crate) struct Output {
    /// The program and its arguments, for messages.
    pub(crate) command: String,
    /// `None` if it was killed at the time limit.
    pub(crate) status: Option<ExitStatus>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// Each line of stderr with the time it arrived, counted from the spawn.
    pub(crate) stderr_lines: Vec<(Duration, String)>,
    /// From the spawn until the exit was seen.
    pub(crate) elapsed: Duration,
}

impl Output {
    /// Everything about the run, for assertion messages.
    pub(crate) fn dump(&self) -> String {
        format!(
            "command: {}\nstatus: {:?}\nelapsed: {:?}\n--- stdout ---\n{}--- stderr ---\n{}--------------",
            self.command, self.status, self.elapsed, self.stdout, self.stderr
        )
    }

    /// The exit code (`None` if killed by a signal).
    pub(crate) fn code(&self) -> Option<i32> {
        self.status.and_then(|status| status.code())
    }

    /// Asserts the exit code.
    #[track_caller]
    pub(crate) fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(code),
            "wrong exit status\n{}",
            self.dump()
        );
        self
    }

    /// Asserts that stderr contains `needle` exactly `times` times.
    #[track_caller]
    pub(crate) fn assert_stderr_count(&self, needle: &str, times: usize) -> &Self {
        let found = self.stderr.matches(needle).count();
        assert_eq!(
            found,
            times,
            "stderr has {needle:?} {found} times, expected {times}\n{}",
            self.dump()
        );
        self
    }

    /// Asserts that stderr contains `needle` (at least once).
    #[track_caller]
    pub(crate) fn assert_stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.dump()
        );
        self
    }

    /// Asserts that stderr does not contain `needle`.
    #[track_caller]
    pub(crate) fn assert_stderr_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stderr.contains(needle),
            "stderr has {needle:?}, which it should not\n{}",
            self.dump()
        );
        self
    }

    /// Asserts that stderr is empty.
    #[track_caller]
    pub(crate) fn assert_stderr_empty(&self) -> &Self {
        assert!(
            self.stderr.is_empty(),
            "stderr is not empty\n{}",
            self.dump()
        );
        self
    }

    /// Asserts what stdout is, exactly.
    #[track_caller]
    pub(crate) fn assert_stdout(&self, expected: &str) -> &Self {
        assert_eq!(self.stdout, expected, "wrong stdout\n{}", self.dump());
        self
    }

    /// Asserts that the program ended within `limit` of its spawn.
    #[track_caller]
    pub(crate) fn assert_ended_within(&self, limit: Duration) -> &Self {
        assert!(
            self.elapsed < limit,
            "took {:?}, expected under {limit:?}\n{}",
            self.elapsed,
            self.dump()
        );
        self
    }

    /// When the first stderr line containing `needle` arrived.
    #[track_caller]
    pub(crate) fn stderr_line_time(&self, needle: &str) -> Duration {
        self.stderr_lines
            .iter()
            .find(|(_, line)| line.contains(needle))
            .map(|(at, _)| *at)
            .unwrap_or_else(|| panic!("no stderr line has {needle:?}\n{}", self.dump()))
    }
}

/// `path:line:column` of the first occurrence of `needle` in the source file `path`
/// (relative to the package root), as a panic location shows it.
#[track_caller]
pub(crate) fn location_of(path: &str, needle: &str) -> String {
    let text = std::fs::read_to_string(package_root().join(path))
        .unwrap_or_else(|e| panic!("read {path}: {e}"));
    for (index, line) in text.lines().enumerate() {
        if let Some(column) = line.find(needle) {
            // Columns count characters from 1; the sources here are ASCII.
            return format!("{path}:{}:{}", index + 1, column + 1);
        }
    }
    panic!("{needle:?} is not in {path}")
}

/// A fresh path in the temporary directory for a fixture to write to; removed first.
pub(crate) fn scratch_file(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "fate-e2e-{}-{}-{tag}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&path);
    path
}

// ---------------------------------------------------------------------------------
// The fixtures of the async end-to-end tests (tests/async_e2e.rs). They are built and
// run like [`PROGRAMS`], from a list of their own.
// ---------------------------------------------------------------------------------

/// The examples `tests/async_e2e.rs` runs, built together, once (see [`async_program`]).
const ASYNC_PROGRAMS: &[&str] = &[
    "async_service",
    "fixture_async_multi",
    "fixture_async_below",
    "fixture_async_current",
    "fixture_async_executor",
];

/// The path of the async fixture `name`, up to date (as [`program`] does for
/// [`PROGRAMS`]).
#[allow(dead_code)] // tests/e2e.rs shares this module and runs none of them
pub(crate) fn async_program(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    assert!(
        ASYNC_PROGRAMS.contains(&name),
        "{name} is not in ASYNC_PROGRAMS"
    );
    BUILT.get_or_init(|| build_examples(ASYNC_PROGRAMS));
    let path = program_path(name);
    assert!(path.exists(), "{} does not exist", path.display());
    path
}

/// `cargo build` of the examples `names`, with the profile of the test binary.
fn build_examples(names: &[&str]) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command
        .current_dir(package_root())
        .arg("build")
        .arg("--quiet");
    for name in names {
        command.args(["--example", name]);
    }
    let profile_dir = examples_dir()
        .parent()
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .map(str::to_owned)
        .unwrap_or_default();
    match profile_dir.as_str() {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }
    let output = command.output().expect("run cargo build for the examples");
    assert!(
        output.status.success(),
        "`cargo build` of the fixtures {names:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Run {
    /// [`Run::output`] for one of the [`ASYNC_PROGRAMS`].
    #[allow(dead_code)] // tests/e2e.rs shares this module and runs none of them
    pub(crate) fn output_async(self) -> Output {
        let path = async_program(&self.name);
        self.output_from(&path)
    }

    /// Runs the program at `path` as [`Run::output`] does.
    fn output_from(self, path: &Path) -> Output {
        let mut command = Command::new(path);
        command
            .args(&self.args)
            .current_dir(package_root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        let started = Instant::now();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", path.display()));

        let mut stdout_pipe = child.stdout.take().expect("piped stdout");
        let stdout_reader = thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stdout_pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        });
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr_reader = {
            let lines = lines.clone();
            thread::spawn(move || {
                let mut reader = BufReader::new(stderr_pipe);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    match reader.read_until(b'\n', &mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            let text = String::from_utf8_lossy(&line).into_owned();
                            lines
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push((started.elapsed(), text));
                        }
                    }
                }
            })
        };

        let status = wait_with_deadline(&mut child, started + self.timeout);
        let elapsed = started.elapsed();
        let stdout = stdout_reader.join().expect("the stdout reader");
        stderr_reader.join().expect("the stderr reader");
        let stderr_lines = std::mem::take(&mut *lines.lock().unwrap_or_else(|e| e.into_inner()));
        let stderr = stderr_lines.iter().map(|(_, line)| line.as_str()).collect();
        let output = Output {
            command: format!("{} {:?}", self.name, self.args),
            status,
            stdout,
            stderr,
            stderr_lines,
            elapsed,
        };
        if output.status.is_none() {
            panic!(
                "{} did not end within {:?}: killed\n{}",
                output.command,
                self.timeout,
                output.dump()
            );
        }
        output
    }
}

/// Part of the line Rust's default panic hook prints (`thread 'name' panicked at ...`);
/// a panic report has it once, in its own first line.
#[allow(dead_code)] // not every test file that shares this module checks reports
pub(crate) const RAW_PANIC: &str = "panicked at";

/// What every failure report must look like on stderr: it starts the output (nothing
/// printed on top of it, such as Rust's raw panic message), appears once, and names
/// the first failure in its first line.
#[allow(dead_code)] // not every test file that shares this module checks reports
#[track_caller]
pub(crate) fn assert_single_report(output: &Output, first_line: &str) {
    output.assert_code(1);
    assert!(
        output.stderr.starts_with(&format!("Error: {first_line}\n")),
        "stderr does not start with the report line {first_line:?}\n{}",
        output.dump()
    );
    output.assert_stderr_count("Error:", 1);
}

/// A panic report: as above, and Rust's (or tokio's) own panic message is not printed
/// too.
#[allow(dead_code)] // not every test file that shares this module checks reports
#[track_caller]
pub(crate) fn assert_single_panic_report(output: &Output, first_line: &str, message: &str) {
    assert_single_report(output, first_line);
    output
        .assert_stderr_count(message, 1)
        .assert_stderr_count(RAW_PANIC, 1) // the report's own "panicked at"
        .assert_stderr_lacks("thread '")
        .assert_stderr_lacks("Stack backtrace:");
}
