//! Issue 11, items 3 and 4: `critical = false` and `fate::on_failure`, each scenario of
//! `src/bin/alerts.rs` run as a child process.

mod support;

use std::time::Duration;

use support::{location_of, run};

const ALERTS: &str = env!("CARGO_BIN_EXE_alerts");

/// A `critical = false` worker that panics, and one that returns `Err`: each is one
/// line on stderr, the root is not cancelled, and `main` goes on to exit 0.
#[test]
fn a_worker_that_is_not_critical_is_reported_and_main_goes_on() {
    let at = location_of("src/bin/alerts.rs", "panic!(\"the cache warmer broke\")");
    run(ALERTS)
        .arg("not_critical")
        .output()
        .assert_code(0)
        .assert_stdout("main still running, cancelled: false\n")
        .assert_stderr_has(&format!(
            "fate: worker `optional_panics` panicked at {at}: the cache warmer broke (not \
             critical: the program goes on)\n"
        ))
        .assert_stderr_has(
            "fate: worker `optional_fails` failed: the metrics push failed (not critical: the \
             program goes on)\n",
        )
        .assert_stderr_count("the cache warmer broke", 1)
        .assert_no_raw_panic()
        .assert_stderr_lacks("Error:");
}

#[test]
fn an_async_worker_that_is_not_critical_is_reported_and_main_goes_on() {
    run(ALERTS)
        .arg("not_critical_async")
        .output()
        .assert_code(0)
        .assert_stdout("the task returned: true\ncancelled: false\n")
        .assert_stderr_count("the async refresher failed (not critical", 1)
        .assert_stderr_lacks("Error:");
}

/// A `critical = false` worker called by a critical one that passes its `Err` up: the
/// failure is the caller's to handle, and escaping it, it fails the root.
#[test]
fn a_worker_that_is_not_critical_called_by_a_critical_one_is_that_ones_to_handle() {
    run(ALERTS)
        .arg("not_critical_inside_critical")
        .output()
        .assert_code(1)
        .assert_stderr_has("Error: worker `optional_fails` failed: the metrics push failed\n")
        .assert_stderr_count("Error:", 1)
        .assert_stderr_lacks("not critical");
}

/// A critical failure after a non-critical one: its report lists the one before.
#[test]
fn the_report_lists_the_failures_that_were_not_critical() {
    run(ALERTS)
        .arg("not_critical_then_failure")
        .output()
        .assert_code(1)
        .assert_stderr_count("Error:", 1)
        .assert_stderr_has("Error: worker `essential` panicked at")
        .assert_stderr_has(
            "before it, 1 failure of workers that are not critical:\n    worker `optional_fails` \
             failed: the metrics push failed\n",
        );
}

/// A hook sees each restart, the non-critical failure and the failure that ends
/// `main`, once each, in order, and the last before the process exits.
#[test]
fn a_failure_hook_sees_every_failure_in_order_before_the_exit() {
    let output = run(ALERTS).arg("hooks_see_everything").output();
    output.assert_code(1).assert_stderr_count("Error:", 1);
    assert_eq!(
        output.stdout,
        "hook: Restarted { restart: 1, of: 2 }: worker `flaky` failed: flaky failed\n\
         hook: Restarted { restart: 2, of: 2 }: worker `flaky` failed: flaky failed\n\
         hook: NotCritical: worker `optional_fails` failed: the metrics push failed\n\
         hook: FailedRoot: worker `essential` panicked at {}: the essential worker broke\n"
            .replace(
                "{}",
                &location_of(
                    "src/bin/alerts.rs",
                    "panic!(\"the essential worker broke\")"
                )
            ),
        "{}",
        output.dump()
    );
}

/// A hook that never returns cannot hold the exit: 1 s at most with no grace period,
/// and no longer than the grace period with one.
#[test]
fn a_hook_that_never_returns_does_not_hold_the_exit() {
    for scenario in ["no_grace_slow_hook", "grace_1s_slow_hook"] {
        run(ALERTS)
            .arg(scenario)
            .timeout(Duration::from_secs(20))
            .output()
            .assert_code(1)
            .assert_stderr_has("Error: worker `essential` panicked at")
            .assert_ended_within(Duration::from_secs(5));
    }
}

/// A hook that panics every time is noted once; the other hook and the report are
/// not disturbed, and the hook's panic is no failure (not even under `all_panics`).
#[test]
fn a_hook_that_panics_is_noted_once() {
    run(ALERTS)
        .arg("hook_panics")
        .output()
        .assert_code(1)
        .assert_stderr_count("fate: a failure hook panicked: the alert sink is down", 1)
        .assert_stderr_count("Error:", 1)
        .assert_no_raw_panic();
    run(ALERTS)
        .arg("all_panics_hook_panics")
        .output()
        .assert_code(0)
        .assert_stdout(
            "hook: NotCritical: worker `optional_fails` failed: the metrics push failed\nmain \
             returns\n",
        )
        .assert_stderr_count("fate: a failure hook panicked: the hook broke", 1)
        .assert_no_raw_panic()
        .assert_stderr_lacks("Error:");
}

/// A hook that takes longer than 5 s is cut off, said once, and never called again;
/// the hook registered after it still sees every failure.
#[test]
fn a_slow_hook_is_cut_off_and_the_next_one_still_called() {
    let output = run(ALERTS)
        .arg("hook_cut_off")
        .timeout(Duration::from_secs(30))
        .output();
    output
        .assert_code(0)
        .assert_stderr_count("fate: a failure hook did not return within 5 s", 1)
        .assert_stderr_count("not called again", 1);
    assert!(
        output
            .stdout
            .contains("hook: NotCritical: worker `optional_fails` failed")
            && output
                .stdout
                .contains("hook: NotCritical: worker `optional_panics` panicked")
            && output.stdout.ends_with("main returns\n"),
        "the second hook missed a failure\n{}",
        output.dump()
    );
}
