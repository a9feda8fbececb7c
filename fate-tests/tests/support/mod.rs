//! Helpers for the end-to-end tests: run a test program (found with
//! `env!("CARGO_BIN_EXE_<name>")`) as a child process with a hard time limit, capture
//! its stderr line by line with arrival times, look at what it printed, and run a race
//! many times counting the bad outcomes.
//!
//! Shared by every test file; each uses only part of it (and its items are `pub`, for
//! them all, though a test crate exports nothing).
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long any child may run before it is killed (and the test fails). Generous: tests
/// assert their own, much tighter, bounds.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The address space a child may use (`ulimit -v`), so that a runaway allocation
/// (an endless `source()` chain, say) fails the child instead of eating the machine.
/// Far above what these programs need (about 140 MiB of address space each).
pub const MEMORY_LIMIT_MIB: u64 = 4096;

/// The note Rust (and fate's report) ends a panic message with when backtraces are off.
pub const BACKTRACE_NOTE: &str =
    "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace";

/// This crate's directory (`fate-tests/`).
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root, where the programs run (panic locations are relative to it).
pub fn workspace_dir() -> &'static Path {
    crate_dir()
        .parent()
        .expect("fate-tests/ is in the workspace")
}

/// `fate-tests/<path>:line:column` of the first occurrence of `needle` in the source
/// file `path` (relative to `fate-tests/`), as a panic location shows it.
#[track_caller]
pub fn location_of(path: &str, needle: &str) -> String {
    let text = std::fs::read_to_string(crate_dir().join(path))
        .unwrap_or_else(|e| panic!("read {path}: {e}"));
    let mut found = text
        .lines()
        .enumerate()
        .filter_map(|(index, line)| line.find(needle).map(|column| (index, column)));
    let (index, column) = found
        .next()
        .unwrap_or_else(|| panic!("{needle:?} is not in {path}"));
    assert!(
        found.next().is_none(),
        "{needle:?} is in {path} more than once"
    );
    // Columns count characters from 1; the sources here are ASCII.
    format!("fate-tests/{path}:{}:{}", index + 1, column + 1)
}

/// The number of rounds of a race test: `FATE_ROUNDS` (default 100) divided by
/// `divisor`, at least 1.
pub fn rounds(divisor: usize) -> usize {
    let rounds: usize = std::env::var("FATE_ROUNDS")
        .ok()
        .map(|value| value.parse().expect("FATE_ROUNDS is a number"))
        .unwrap_or(100);
    (rounds / divisor).max(1)
}

/// What to do with the child's stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StderrMode {
    /// Read it, line by line.
    Capture,
    /// A pipe whose read end is closed right after the spawn.
    Closed,
}

/// A child process to run: a program, its arguments and its environment.
#[derive(Debug, Clone)]
pub struct Run {
    program: PathBuf,
    args: Vec<OsString>,
    /// `None`: removed from the child's environment.
    env: BTreeMap<String, Option<String>>,
    timeout: Duration,
    memory_limit_mib: u64,
    stderr: StderrMode,
    /// Signals to send once stderr shows a line containing the marker.
    signals: Option<Signals>,
    /// Variables set to the child's own process id (`WATCHDOG_PID`, as systemd sets it).
    pid_env: Vec<String>,
}

/// [`Run::signals_after`].
#[derive(Debug, Clone)]
struct Signals {
    marker: String,
    /// Each signal's name (for `kill -s`) and how long to wait before sending it.
    plan: Vec<(Duration, &'static str)>,
}

/// Runs `program scenario`, which must end within 5 s with `status` and one report,
/// containing `headline`; the output, for more checks.
#[track_caller]
pub fn ends_with_report(program: &str, scenario: &str, status: i32, headline: &str) -> Output {
    let output = run(program)
        .arg(scenario)
        .timeout(Duration::from_secs(20))
        .output();
    output
        .assert_code(status)
        .assert_stderr_has(headline)
        .assert_stderr_count("Error:", 1)
        .assert_ended_within(Duration::from_secs(5));
    output
}

/// Starts describing a run of the program at `program` (an `env!("CARGO_BIN_EXE_..")`).
/// Backtraces are off unless asked for: these machines set `RUST_BACKTRACE=1`, so both
/// variables are always set explicitly.
pub fn run(program: impl Into<PathBuf>) -> Run {
    let mut env = BTreeMap::new();
    env.insert("RUST_BACKTRACE".to_owned(), Some("0".to_owned()));
    env.insert("RUST_LIB_BACKTRACE".to_owned(), Some("0".to_owned()));
    Run {
        program: program.into(),
        args: Vec::new(),
        env,
        timeout: TIMEOUT,
        memory_limit_mib: MEMORY_LIMIT_MIB,
        stderr: StderrMode::Capture,
        signals: None,
        pid_env: Vec::new(),
    }
}

impl Run {
    /// Adds an argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_owned(), Some(value.to_owned()));
        self
    }

    /// Sets `key` to the child's own process id.
    pub fn env_pid(mut self, key: &str) -> Self {
        self.pid_env.push(key.to_owned());
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.env.insert(key.to_owned(), None);
        self
    }

    /// Kills the child (failing [`Run::output`]) after `timeout` instead of [`TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limits the child's address space to `mib` MiB instead of [`MEMORY_LIMIT_MIB`].
    pub fn memory_limit_mib(mut self, mib: u64) -> Self {
        self.memory_limit_mib = mib;
        self
    }

    /// `RUST_BACKTRACE=1` and `RUST_LIB_BACKTRACE=1`.
    pub fn backtraces(self) -> Self {
        self.env("RUST_BACKTRACE", "1")
            .env("RUST_LIB_BACKTRACE", "1")
    }

    /// Connects the child's stderr to a pipe whose read end is closed right after the
    /// spawn: every write to it fails with `EPIPE`.
    pub fn closed_stderr(mut self) -> Self {
        self.stderr = StderrMode::Closed;
        self
    }

    /// Once the child writes a line containing `marker` to stderr, sends it the
    /// signals of `plan` (`kill -s NAME`), each after its delay (counted from the one
    /// before); [`Output::signalled_at`] is when the first went out.
    pub fn signals_after(mut self, marker: &str, plan: &[(Duration, &'static str)]) -> Self {
        self.signals = Some(Signals {
            marker: marker.to_owned(),
            plan: plan.to_vec(),
        });
        self
    }

    /// Runs the child to its end, killing it at the time limit; a killed child fails
    /// the test.
    #[track_caller]
    pub fn output(self) -> Output {
        let timeout = self.timeout;
        let output = self.try_output();
        if output.status.is_none() {
            panic!(
                "{} did not end within {timeout:?}: killed\n{}",
                output.command,
                output.dump()
            );
        }
        output
    }

    /// Runs the child to its end, or kills it at the time limit (`status: None`).
    pub fn try_output(self) -> Output {
        // `sh` sets the limit, then `exec`s the program (same process, same status).
        let mut command = Command::new("sh");
        // The shell's pid is the program's once it `exec`s.
        let exports: String = self
            .pid_env
            .iter()
            .map(|key| format!("export {key}=$$ && "))
            .collect();
        command
            .arg("-c")
            .arg(format!(r#"{exports}ulimit -v "$1" && shift && exec "$@""#))
            .arg("sh")
            .arg((self.memory_limit_mib * 1024).to_string())
            .arg(&self.program)
            .args(&self.args)
            .current_dir(workspace_dir())
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
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.program.display()));

        let mut stdout_pipe = child.stdout.take().expect("piped stdout");
        let stdout_reader = thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stdout_pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        });
        let lines = Arc::new(Mutex::new(Vec::new()));
        let signalled_at = Arc::new(Mutex::new(None));
        let mut signals = self.signals.clone().map(|signals| {
            let (pid, signalled_at) = (child.id(), signalled_at.clone());
            move || {
                thread::spawn(move || {
                    for (index, (delay, name)) in signals.plan.iter().enumerate() {
                        thread::sleep(*delay);
                        if index == 0 {
                            *signalled_at.lock().unwrap_or_else(|e| e.into_inner()) =
                                Some(started.elapsed());
                        }
                        let _ = Command::new("kill")
                            .args(["-s", name, &pid.to_string()])
                            .status();
                    }
                });
            }
        });
        let marker = self.signals.as_ref().map(|signals| signals.marker.clone());
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr_reader = match self.stderr {
            StderrMode::Closed => {
                drop(stderr_pipe);
                None
            }
            StderrMode::Capture => {
                let lines = lines.clone();
                Some(thread::spawn(move || {
                    let mut reader = BufReader::new(stderr_pipe);
                    let mut line = Vec::new();
                    loop {
                        line.clear();
                        match reader.read_until(b'\n', &mut line) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {
                                let text = String::from_utf8_lossy(&line).into_owned();
                                if marker.as_ref().is_some_and(|m| text.contains(m.as_str())) {
                                    if let Some(send) = signals.take() {
                                        send();
                                    }
                                }
                                lines
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .push((started.elapsed(), text));
                            }
                        }
                    }
                }))
            }
        };

        let status = wait_with_deadline(&mut child, started + self.timeout);
        let elapsed = started.elapsed();
        let stdout = stdout_reader.join().expect("the stdout reader");
        if let Some(reader) = stderr_reader {
            reader.join().expect("the stderr reader");
        }
        let stderr_lines = std::mem::take(&mut *lines.lock().unwrap_or_else(|e| e.into_inner()));
        let stderr = stderr_lines.iter().map(|(_, line)| line.as_str()).collect();
        let name = self
            .program
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let signalled_at = *signalled_at.lock().unwrap_or_else(|e| e.into_inner());
        Output {
            command: format!("{name} {:?}", self.args),
            status,
            stdout,
            stderr,
            stderr_lines,
            elapsed,
            signalled_at,
        }
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
pub struct Output {
    /// The program and its arguments, for messages.
    pub command: String,
    /// `None` if it was killed at the time limit.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    /// Each line of stderr (with its newline) and the time it arrived, counted from
    /// the spawn.
    pub stderr_lines: Vec<(Duration, String)>,
    /// From the spawn until the exit was seen.
    pub elapsed: Duration,
    /// When the first signal of [`Run::signals_after`] was sent, from the spawn.
    pub signalled_at: Option<Duration>,
}

impl Output {
    /// Everything about the run, for assertion messages.
    pub fn dump(&self) -> String {
        let times: String = self
            .stderr_lines
            .iter()
            .map(|(at, line)| match line.strip_suffix('\n') {
                Some(line) => format!("{at:>8.1?} | {line}\n"),
                None => format!("{at:>8.1?} | {line} [no newline: the output ends here]\n"),
            })
            .collect();
        format!(
            "command: {}\nstatus: {:?}\nelapsed: {:?}\n--- stdout ---\n{}--- stderr (arrival | line) ---\n{}--------------",
            self.command, self.status, self.elapsed, self.stdout, times
        )
    }

    /// The exit code (`None` if killed by a signal or at the time limit).
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|status| status.code())
    }

    /// The signal that ended the child, if one did.
    pub fn signal(&self) -> Option<i32> {
        use std::os::unix::process::ExitStatusExt;
        self.status.and_then(|status| status.signal())
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
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
    pub fn assert_stderr_count(&self, needle: &str, times: usize) -> &Self {
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
    pub fn assert_stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.dump()
        );
        self
    }

    /// Asserts that stderr does not contain `needle`.
    #[track_caller]
    pub fn assert_stderr_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stderr.contains(needle),
            "stderr has {needle:?}, which it should not\n{}",
            self.dump()
        );
        self
    }

    /// Asserts that stderr is empty.
    #[track_caller]
    pub fn assert_stderr_empty(&self) -> &Self {
        assert!(
            self.stderr.is_empty(),
            "stderr is not empty\n{}",
            self.dump()
        );
        self
    }

    /// Asserts that stderr starts with `prefix`.
    #[track_caller]
    pub fn assert_stderr_starts_with(&self, prefix: &str) -> &Self {
        assert!(
            self.stderr.starts_with(prefix),
            "stderr does not start with {prefix:?}\n{}",
            self.dump()
        );
        self
    }

    /// Asserts that no line of stderr is one of Rust's raw panic messages
    /// (`thread '<name>' ... panicked at`).
    #[track_caller]
    pub fn assert_no_raw_panic(&self) -> &Self {
        assert!(
            !self.stderr.lines().any(is_raw_panic_line),
            "stderr has a raw panic message\n{}",
            self.dump()
        );
        self
    }

    /// Asserts what stdout is, exactly.
    #[track_caller]
    pub fn assert_stdout(&self, expected: &str) -> &Self {
        assert_eq!(self.stdout, expected, "wrong stdout\n{}", self.dump());
        self
    }

    /// Asserts that the program ended within `limit` of its spawn.
    #[track_caller]
    pub fn assert_ended_within(&self, limit: Duration) -> &Self {
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
    pub fn stderr_line_time(&self, needle: &str) -> Duration {
        self.stderr_lines
            .iter()
            .find(|(_, line)| line.contains(needle))
            .map(|(at, _)| *at)
            .unwrap_or_else(|| panic!("no stderr line has {needle:?}\n{}", self.dump()))
    }

    /// How many times stderr has Rust's raw panic message for a panic of thread
    /// `thread` at `location` with the one-line `message`: the line
    /// `thread '<thread>' panicked at <location>:` (Rust also puts the thread's id
    /// in parentheses after the name) followed by the line `<message>`.
    pub fn raw_panic_count(&self, thread: &str, location: &str, message: &str) -> usize {
        let lines: Vec<&str> = self.stderr.lines().collect();
        lines
            .windows(2)
            .filter(|pair| is_raw_panic_header(pair[0], thread, location) && pair[1] == message)
            .count()
    }

    /// Asserts [`Output::raw_panic_count`].
    #[track_caller]
    pub fn assert_raw_panic_count(
        &self,
        thread: &str,
        location: &str,
        message: &str,
        times: usize,
    ) -> &Self {
        let found = self.raw_panic_count(thread, location, message);
        assert_eq!(
            found, times,
            "Rust's raw panic message for {message:?} (thread {thread:?}, at {location}) is on stderr {found} times, expected {times}\n{}",
            self.dump()
        );
        self
    }
}

/// Part of the line Rust's default panic hook prints (`thread 'name' panicked at ...`);
/// a panic report has it once, in its own first line.
pub const RAW_PANIC: &str = "panicked at";

/// What every failure report must look like on stderr: it starts the output (nothing
/// printed on top of it, such as Rust's raw panic message), appears once, and names
/// the first failure in its first line.
#[track_caller]
pub fn assert_single_report(output: &Output, first_line: &str) {
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
#[track_caller]
pub fn assert_single_panic_report(output: &Output, first_line: &str, message: &str) {
    assert_single_report(output, first_line);
    output
        .assert_stderr_count(message, 1)
        .assert_stderr_count(RAW_PANIC, 1) // the report's own "panicked at"
        .assert_stderr_lacks("thread '")
        .assert_stderr_lacks("Stack backtrace:");
}

/// A fresh path in the temporary directory for a program to write to; removed first.
pub fn scratch_file(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "fate-e2e-{}-{}-{tag}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// Whether `line` starts one of Rust's raw panic messages.
pub fn is_raw_panic_line(line: &str) -> bool {
    line.starts_with("thread '") && line.contains(" panicked at ")
}

/// Whether `line` is `thread '<thread>' panicked at <location>:`, with or without
/// the ` (<id>)` that newer Rust prints after the name.
fn is_raw_panic_header(line: &str, thread: &str, location: &str) -> bool {
    let Some(rest) = line.strip_prefix(&format!("thread '{thread}'")) else {
        return false;
    };
    let rest = match rest.strip_prefix(" (") {
        Some(id) => match id.split_once(')') {
            Some((digits, rest)) if digits.bytes().all(|b| b.is_ascii_digit()) => rest,
            _ => return false,
        },
        None => rest,
    };
    rest == format!(" panicked at {location}:")
}

/// Checks (with a reason that names no detail, so that [`race`] can count the
/// reasons) that stderr starts with one complete, intact report of panics, with nothing
/// foreign before or inside it; anything may follow it. `summary` says whether a line
/// is the one-line summary of one of the expected failures (without the `Error: `
/// or the indentation), `thread` whether a name is one of the expected threads.
///
/// A report with backtraces off is: `Error: <summary>`, `  thread: <name>`, then
/// optionally a blank line, `and N more failure(s):` and indented summaries (or
/// `    ...`), then a blank line and the backtrace note, which ends it.
pub fn check_report_block(
    stderr: &str,
    summary: impl Fn(&str) -> bool,
    thread: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let first = lines.first().copied().unwrap_or_default();
    match first.strip_prefix("Error: ") {
        Some(rest) if summary(rest) => {}
        _ => return Err("stderr does not start with a report".to_owned()),
    }
    let Some(end) = lines.iter().position(|line| *line == BACKTRACE_NOTE) else {
        return Err("the report is incomplete: no backtrace note".to_owned());
    };
    for (index, line) in lines.iter().enumerate().take(end).skip(1) {
        let ok = if let Some(name) = line.strip_prefix("  thread: ") {
            index == 1 && thread(name)
        } else if let Some(listed) = line.strip_prefix("    ") {
            listed == "..." || summary(listed)
        } else if let Some(count) = line.strip_prefix("and ") {
            let count = count
                .strip_suffix(" more failures:")
                .or_else(|| count.strip_suffix(" more failure:"));
            count.is_some_and(|n| n.parse::<usize>().is_ok())
        } else {
            line.is_empty()
        };
        if !ok {
            return Err("a foreign or torn line inside the report".to_owned());
        }
    }
    Ok(())
}

/// Runs `one_round(i)` for `i` in `0..rounds`, from 2 threads (and one race at a time
/// per test binary), and judges each output
/// with `judge` (`Err(why)` for a bad run; a run killed at the time limit is bad too).
/// Prints `<name>: <bad>/<rounds> bad` and the reasons, then asserts that none was bad.
/// Stops early after 3 killed runs.
#[track_caller]
pub fn race(
    name: &str,
    rounds: usize,
    one_round: impl Fn(usize) -> Output + Sync,
    judge: impl Fn(&Output) -> Result<(), String> + Sync,
) {
    // One race at a time in a test binary, so that at most 2 rounds run at once.
    static ONE_RACE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _racing = ONE_RACE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let killed = AtomicUsize::new(0);
    let bad: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                if killed.load(Ordering::Relaxed) >= 3 {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= rounds {
                    break;
                }
                let output = one_round(i);
                done.fetch_add(1, Ordering::Relaxed);
                let verdict = if output.status.is_none() {
                    killed.fetch_add(1, Ordering::Relaxed);
                    Err("did not end within the time limit (killed)".to_owned())
                } else {
                    judge(&output)
                };
                if let Err(why) = verdict {
                    bad.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((why, output.dump()));
                }
            });
        }
    });
    let bad = bad.into_inner().unwrap_or_else(|e| e.into_inner());
    let done = done.into_inner();
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for (why, _) in &bad {
        *reasons.entry(why.as_str()).or_default() += 1;
    }
    let stopped = if done < rounds {
        format!(" (stopped after {done} rounds: 3 runs were killed)")
    } else {
        String::new()
    };
    eprintln!("{name}: {}/{rounds} bad{stopped}", bad.len());
    for (why, count) in &reasons {
        eprintln!("    {count} x {why}");
    }
    if !bad.is_empty() {
        let examples: Vec<String> = bad
            .iter()
            .take(3)
            .map(|(why, dump)| format!("{why}\n{dump}"))
            .collect();
        panic!(
            "{name}: {}/{rounds} bad{stopped}; reasons: {reasons:?}\nthe first ones:\n{}",
            bad.len(),
            examples.join("\n\n")
        );
    }
}

/// `Err(what)` unless `condition`: for the judges of [`race`].
pub fn ensure(condition: bool, what: &str) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(what.to_owned())
    }
}
