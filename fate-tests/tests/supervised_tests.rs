//! `#[fate::test]` as `cargo test` runs it: this test binary holds scenario tests,
//! `#[ignore]`d so that a plain `cargo test` skips them (some must fail), and the tests
//! below run this very binary as a child process with `--ignored` and a filter, the way
//! `cargo test` would run a user's tests, and read what the harness printed.

use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

// --- the scenarios (run only as a child process) ----------------------------------

#[fate::supervised]
fn consume(rx: mpsc::Receiver<u32>) {
    for record in rx {
        assert!(record != 7, "bad record {record}");
    }
}

/// Its background worker panics while the body is blocked on a channel: it must fail
/// at once, with the report.
#[fate::test]
#[ignore = "a scenario, run by the tests below as a child process"]
fn scenario_worker_panics_while_the_body_waits() {
    let (tx, rx) = mpsc::channel();
    fate::spawn(move || consume(rx));
    for record in 0..10 {
        let _ = tx.send(record);
    }
    let (_keep, never) = mpsc::channel::<()>();
    let _ = never.recv(); // blocked forever
}

/// A clean test beside it: passes.
#[fate::test]
#[ignore = "a scenario, run by the tests below as a child process"]
fn scenario_clean() {
    let (tx, rx) = mpsc::channel();
    let consumer = fate::spawn(move || consume(rx));
    for record in 8..100 {
        tx.send(record).expect("the consumer reads");
    }
    drop(tx);
    consumer.join().expect("no panic");
}

#[fate::supervised]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

/// A plain test that checks a supervised parser's `Err`, as the crate docs do, for a
/// while (so that it runs while its neighbours fail): passes, and fails nobody.
#[test]
#[ignore = "a scenario, run by the tests below as a child process"]
fn scenario_plain_test_checks_a_supervised_err() {
    for _ in 0..50 {
        assert!(parse("seven").is_err());
        assert_eq!(parse("7"), Ok(7));
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A hanging test with a timeout: fails once it is over, naming what was running.
#[fate::test(timeout = "300ms")]
#[ignore = "a scenario, run by the tests below as a child process"]
fn scenario_hangs() {
    fate::spawn(stuck_forever);
    loop {
        std::thread::park();
    }
}

#[fate::supervised]
fn stuck_forever() {
    loop {
        std::thread::park();
    }
}

#[fate::supervised]
async fn handle(request: u32) {
    tokio::task::yield_now().await;
    panic!("request {request} is malformed");
}

/// With `#[tokio::test]` below fate's: a detached task's panic fails the test.
#[fate::test]
#[tokio::test]
#[ignore = "a scenario, run by the tests below as a child process"]
async fn scenario_async_detached_task_panics() {
    tokio::spawn(handle(5));
    tokio::time::sleep(Duration::from_secs(30)).await;
}

/// With `#[tokio::test]` above fate's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[fate::test]
#[ignore = "a scenario, run by the tests below as a child process"]
async fn scenario_async_above_detached_task_panics() {
    tokio::spawn(handle(6));
    tokio::time::sleep(Duration::from_secs(30)).await;
}

/// A thread started with `std::thread::spawn` is covered only when the test is alone
/// in its process.
#[fate::test]
#[ignore = "a scenario, run by the tests below as a child process"]
fn scenario_std_thread_worker_panics() {
    std::thread::spawn(|| consume_one(7));
    std::thread::sleep(Duration::from_secs(2));
}

#[fate::supervised]
fn consume_one(record: u32) {
    assert!(record != 7, "bad record {record} on a std thread");
}

/// `all_panics`, alone in its process: a plain thread's panic fails the test.
#[fate::test(all_panics)]
#[ignore = "a scenario, run by the tests below as a child process"]
fn scenario_all_panics_plain_thread() {
    std::thread::Builder::new()
        .name("plain".into())
        .spawn(|| panic!("nobody supervises me"))
        .expect("spawn");
    std::thread::sleep(Duration::from_secs(2));
}

/// `wait` and a timeout: a worker that never ends cannot keep the test past the
/// timeout.
#[fate::test(wait, timeout = "300ms")]
#[ignore = "a scenario, run by the tests below as a child process"]
fn scenario_wait_for_a_worker_that_never_ends() {
    fate::spawn(stuck_forever);
    std::thread::sleep(Duration::from_millis(20));
}

struct SlowDrop;

impl Drop for SlowDrop {
    fn drop(&mut self) {
        std::thread::sleep(Duration::from_millis(400));
    }
}

#[fate::supervised]
fn panics_unwinding_slowly() {
    let _slow = SlowDrop;
    panic!("panicked before the timeout");
}

/// A worker panics 50 ms in and unwinds for 400 ms, through the 200 ms timeout and
/// the 100 ms of patience for it: the panic happened first, and is the verdict.
#[fate::test(timeout = "200ms")]
#[ignore = "a scenario, run by the tests below as a child process"]
fn scenario_timeout_while_a_panic_unwinds() {
    fate::spawn(|| {
        std::thread::sleep(Duration::from_millis(50));
        panics_unwinding_slowly()
    });
    loop {
        std::thread::park();
    }
}

#[fate::supervised]
fn parse_record(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

/// A scope thread fails while its sibling ignores the cancellation: the scope waits
/// for it, so the timeout ends the test, and says why.
#[fate::test(timeout = "300ms")]
#[ignore = "a scenario, run by the tests below as a child process"]
fn scenario_scope_waits_for_a_thread_that_ignores_cancellation() {
    let _ = fate::scope(|s| {
        s.spawn_named("parser", || parse_record("seven"));
        s.spawn_named("stubborn", stuck_forever);
    });
}

// --- the tests ----------------------------------------------------------------------

/// What the child run of the scenarios gave.
struct Run {
    stdout: String,
    elapsed: Duration,
}

impl Run {
    /// Whether the harness reported `name` as `outcome` ("ok" or "FAILED").
    fn outcome_of(&self, name: &str) -> Option<&str> {
        self.stdout.lines().find_map(|line| {
            let rest = line.strip_prefix(&format!("test {name} ... "))?;
            Some(rest.trim())
        })
    }

    fn dump(&self) -> String {
        format!("elapsed {:?}\n{}", self.elapsed, self.stdout)
    }
}

/// Runs this binary's ignored scenarios matching `filters` (exact names), with `args`
/// and `env` added; bounded by `limit`.
fn run_scenarios(filters: &[&str], args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(std::env::current_exe().expect("this binary"));
    command
        .args(["--ignored", "--exact", "--nocapture"])
        .args(args)
        .args(filters)
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .env_remove("NEXTEST_EXECUTION_MODE")
        .env_remove("RUST_TEST_THREADS");
    for (key, value) in env {
        command.env(key, value);
    }
    let started = Instant::now();
    let output = command.output().expect("run this binary");
    let elapsed = started.elapsed();
    let mut stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    stdout.push_str("--- stderr ---\n");
    stdout.push_str(&String::from_utf8_lossy(&output.stderr));
    Run { stdout, elapsed }
}

const PARALLEL: &[&str] = &[
    "scenario_worker_panics_while_the_body_waits",
    "scenario_clean",
    "scenario_plain_test_checks_a_supervised_err",
];

/// The three tests side by side, over and over: the one whose worker fails fails
/// promptly with the report, the others pass, every time.
fn parallel_tests_stay_apart(args: &[&str]) {
    let rounds: usize = std::env::var("FATE_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(100)
        / 2;
    let mut bad = Vec::new();
    for round in 0..rounds.max(1) {
        let run = run_scenarios(PARALLEL, args, &[]);
        let good = run.outcome_of(PARALLEL[0]) == Some("FAILED")
            && run.outcome_of(PARALLEL[1]) == Some("ok")
            && run.outcome_of(PARALLEL[2]) == Some("ok")
            && run.stdout.contains(
                "worker `consume` panicked at fate-tests/tests/supervised_tests.rs",
            )
            && run.stdout.contains("bad record 7")
            // Failing promptly: well under the 30 s nothing else would end it in.
            && run.elapsed < Duration::from_secs(3);
        if !good {
            bad.push((round, run.dump()));
        }
    }
    eprintln!(
        "parallel #[fate::test]s {args:?}: {}/{} bad",
        bad.len(),
        rounds.max(1)
    );
    assert!(bad.is_empty(), "round {}:\n{}", bad[0].0, bad[0].1);
}

#[test]
fn parallel_tests_fail_alone_and_fast_under_cargo_tests_default() {
    parallel_tests_stay_apart(&["--test-threads=3"]);
}

#[test]
fn parallel_tests_fail_alone_and_fast_with_one_test_thread() {
    parallel_tests_stay_apart(&["--test-threads=1"]);
}

#[test]
fn a_timeout_fails_a_hanging_test_and_names_what_runs() {
    let run = run_scenarios(&["scenario_hangs"], &[], &[]);
    assert_eq!(
        run.outcome_of("scenario_hangs"),
        Some("FAILED"),
        "{}",
        run.dump()
    );
    assert!(
        run.stdout.contains("timed out after")
            && run.stdout.contains("supervised workers still running:")
            && run.stdout.contains("`stuck_forever` for"),
        "{}",
        run.dump()
    );
    assert!(run.elapsed < Duration::from_secs(5), "{}", run.dump());
}

#[test]
fn a_detached_tasks_panic_fails_an_async_test_in_either_order() {
    for (scenario, request) in [
        ("scenario_async_detached_task_panics", 5),
        ("scenario_async_above_detached_task_panics", 6),
    ] {
        let run = run_scenarios(&[scenario], &[], &[]);
        assert_eq!(run.outcome_of(scenario), Some("FAILED"), "{}", run.dump());
        assert!(
            run.stdout
                .contains("worker `handle` panicked at fate-tests/tests/supervised_tests.rs")
                && run
                    .stdout
                    .contains(&format!("request {request} is malformed")),
            "{}",
            run.dump()
        );
        assert!(run.elapsed < Duration::from_secs(5), "{}", run.dump());
    }
}

#[test]
fn a_std_thread_is_covered_only_when_the_test_is_alone_in_its_process() {
    let scenario = "scenario_std_thread_worker_panics";
    // Beside other tests: the std thread belongs to no test.
    let run = run_scenarios(&[scenario], &["--test-threads=2"], &[]);
    assert_eq!(run.outcome_of(scenario), Some("ok"), "{}", run.dump());
    // Alone: with one test thread, and as cargo-nextest runs a test.
    for (args, env) in [
        (&["--test-threads=1"][..], &[][..]),
        (
            &[][..],
            &[("NEXTEST_EXECUTION_MODE", "process-per-test")][..],
        ),
    ] {
        let run = run_scenarios(&[scenario], args, env);
        assert_eq!(run.outcome_of(scenario), Some("FAILED"), "{}", run.dump());
        assert!(
            run.stdout.contains("bad record 7 on a std thread"),
            "{}",
            run.dump()
        );
        assert!(run.elapsed < Duration::from_secs(2), "{}", run.dump());
    }
}

#[test]
fn all_panics_fails_a_test_alone_in_its_process_for_a_plain_threads_panic() {
    let scenario = "scenario_all_panics_plain_thread";
    let run = run_scenarios(&[scenario], &["--test-threads=1"], &[]);
    assert_eq!(run.outcome_of(scenario), Some("FAILED"), "{}", run.dump());
    assert!(
        run.stdout.contains("worker `thread plain` panicked at")
            && run.stdout.contains("nobody supervises me"),
        "{}",
        run.dump()
    );
    // Beside other tests, `all_panics` is not taken: the plain thread is nobody's.
    let run = run_scenarios(&[scenario], &["--test-threads=2"], &[]);
    assert_eq!(run.outcome_of(scenario), Some("ok"), "{}", run.dump());
}

#[test]
fn a_timeout_also_ends_the_wait_for_workers() {
    let scenario = "scenario_wait_for_a_worker_that_never_ends";
    let run = run_scenarios(&[scenario], &[], &[]);
    assert_eq!(run.outcome_of(scenario), Some("FAILED"), "{}", run.dump());
    assert!(
        run.stdout.contains("timed out after") && run.stdout.contains("`stuck_forever` for"),
        "{}",
        run.dump()
    );
    assert!(run.elapsed < Duration::from_secs(5), "{}", run.dump());
}

#[test]
fn a_panic_unwinding_as_the_timeout_passes_is_the_verdict() {
    let scenario = "scenario_timeout_while_a_panic_unwinds";
    for _ in 0..5 {
        let run = run_scenarios(&[scenario], &[], &[]);
        assert_eq!(run.outcome_of(scenario), Some("FAILED"), "{}", run.dump());
        assert!(
            run.stdout
                .contains("worker `panics_unwinding_slowly` panicked at")
                && run.stdout.contains("panicked before the timeout")
                && !run.stdout.contains("timed out after"),
            "{}",
            run.dump()
        );
    }
}

#[test]
fn a_timeout_report_names_a_scopes_failure_and_the_thread_it_waits_for() {
    let scenario = "scenario_scope_waits_for_a_thread_that_ignores_cancellation";
    let run = run_scenarios(&[scenario], &[], &[]);
    assert_eq!(run.outcome_of(scenario), Some("FAILED"), "{}", run.dump());
    assert!(
        run.stdout.contains("timed out after")
            && run.stdout.contains("`stuck_forever` for")
            && run.stdout.contains(
                "a `fate::scope` in the test failed, and waits for its other threads to finish: \
                 worker `parse_record` failed: invalid digit found in string"
            ),
        "{}",
        run.dump()
    );
}

/// `--test-threads` overrides `RUST_TEST_THREADS`, for fate as for the harness: tests
/// that run side by side stay apart.
#[test]
fn the_test_threads_flag_overrides_the_environment() {
    let run = run_scenarios(
        PARALLEL,
        &["--test-threads=3"],
        &[("RUST_TEST_THREADS", "1")],
    );
    assert_eq!(
        run.outcome_of(PARALLEL[0]),
        Some("FAILED"),
        "{}",
        run.dump()
    );
    assert_eq!(run.outcome_of(PARALLEL[1]), Some("ok"), "{}", run.dump());
    assert_eq!(run.outcome_of(PARALLEL[2]), Some("ok"), "{}", run.dump());
    let scenario = "scenario_std_thread_worker_panics";
    let run = run_scenarios(
        &[scenario],
        &["--test-threads=2"],
        &[("RUST_TEST_THREADS", "1")],
    );
    assert_eq!(run.outcome_of(scenario), Some("ok"), "{}", run.dump());
    let run = run_scenarios(&[scenario], &[], &[("RUST_TEST_THREADS", "1")]);
    assert_eq!(run.outcome_of(scenario), Some("FAILED"), "{}", run.dump());
}
