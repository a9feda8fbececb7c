//! `#[supervised(signals)]` and `Supervisor::signals(true)` (issue 12): real SIGTERM
//! and SIGINT sent to the fixture (`src/bin/signals.rs`) once it says "ready".

mod support;

use std::time::Duration;

use support::{rounds, run, Output};

const SIGNALS: &str = env!("CARGO_BIN_EXE_signals");

/// Runs `scenario`, sending `plan` once it is ready.
fn signalled(scenario: &str, plan: &[(Duration, &'static str)]) -> Output {
    run(SIGNALS)
        .arg(scenario)
        .signals_after("ready", plan)
        .timeout(Duration::from_secs(20))
        .output()
}

/// From the first signal to the exit.
fn stop_time(output: &Output) -> Duration {
    let signalled = output.signalled_at.expect("the signal was sent");
    output.elapsed.saturating_sub(signalled)
}

/// SIGTERM: the worker flushes, the body returns, and the process ends with 143 and a
/// one-line report, as soon as everything finished (not at the end of the grace).
#[test]
fn sigterm_stops_gracefully_with_status_143() {
    let output = signalled("flush", &[(Duration::ZERO, "TERM")]);
    output
        .assert_code(143)
        .assert_stdout("flushed\nbody returns\n")
        .assert_stderr_has(
            "fate: interrupted by SIGTERM; stopping, and giving the workers up to 2s to finish\n",
        )
        .assert_stderr_has("Error: interrupted by SIGTERM\n")
        .assert_stderr_count("Error:", 1)
        .assert_stderr_lacks("thread:");
    let took = stop_time(&output);
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_millis(1500),
        "the stop took {took:?}, not the flush's 200 ms\n{}",
        output.dump()
    );
}

#[test]
fn sigint_stops_gracefully_with_status_130() {
    signalled("flush", &[(Duration::ZERO, "INT")])
        .assert_code(130)
        .assert_stdout("flushed\nbody returns\n")
        .assert_stderr_has("Error: interrupted by SIGINT\n")
        .assert_stderr_count("Error:", 1);
}

/// A body that never returns is cut off when the grace period is over, not before.
#[test]
fn a_body_that_ignores_the_stop_is_cut_off_after_the_grace_period() {
    let output = signalled("stuck", &[(Duration::ZERO, "TERM")]);
    output
        .assert_code(143)
        .assert_stdout("flushed\n")
        .assert_stderr_has("Error: interrupted by SIGTERM\n");
    let took = stop_time(&output);
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(4),
        "cut off after {took:?}, not the grace period's 2 s\n{}",
        output.dump()
    );
}

/// A second signal ends the process at once, with the same status.
#[test]
fn a_second_signal_ends_at_once() {
    for (name, status) in [("TERM", 143), ("INT", 130)] {
        let output = signalled(
            "stuck",
            &[(Duration::ZERO, name), (Duration::from_millis(300), name)],
        );
        output
            .assert_code(status)
            .assert_stderr_count("Error: interrupted by SIG", 1);
        let took = stop_time(&output);
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_millis(1500),
            "ended {took:?} after the first signal, not at the second\n{}",
            output.dump()
        );
    }
}

/// A worker that fails while the program stops: the failure is the report.
#[test]
fn a_failure_while_stopping_is_the_report_and_the_status() {
    signalled("fails_when_stopped", &[(Duration::ZERO, "TERM")])
        .assert_code(1)
        .assert_stderr_has("Error: worker `fails_when_stopped` failed: could not save the state")
        .assert_stderr_count("Error:", 1)
        .assert_stderr_lacks("Error: interrupted");
}

/// The program's own `tokio::signal` handler and fate's both see the signal.
#[test]
fn a_tokio_signal_handler_sees_the_signal_too() {
    signalled("tokio_handler", &[(Duration::ZERO, "TERM")])
        .assert_code(143)
        .assert_stdout("tokio saw SIGTERM\nfate cancelled\n")
        .assert_stderr_has("Error: interrupted by SIGTERM\n");
}

/// `Supervisor::signals(true)`: `run` returns the report of the interruption.
#[test]
fn a_supervisor_with_signals_returns_the_interruption() {
    run(env!("CARGO_BIN_EXE_supervisor_alone"))
        .arg("signals")
        .signals_after("ready", &[(Duration::ZERO, "TERM")])
        .output()
        .assert_code(0)
        .assert_stdout("Interrupted: interrupted by SIGTERM (exit code 143)\n");
}

/// Once `Supervisor::run` returned, SIGTERM has its default effect again (signal-hook
/// never gives a signal back to the system; fate's fallback does what it would do).
#[test]
fn after_a_supervisor_with_signals_returned_sigterm_ends_the_process() {
    let output = run(env!("CARGO_BIN_EXE_supervisor_alone"))
        .arg("signals_returned")
        .signals_after("ready", &[(Duration::ZERO, "TERM")])
        .output();
    assert_eq!(output.signal(), Some(15), "{}", output.dump());
    assert_eq!(output.stdout, "", "{}", output.dump());
    assert!(
        stop_time(&output) < Duration::from_secs(2),
        "{}",
        output.dump()
    );
}

/// A second signal while the exit waits (here for a slow failure hook) ends the process
/// at once, with the status of the report already printed.
#[test]
fn a_second_signal_after_the_report_keeps_its_status() {
    let output = signalled(
        "coded_failure_then_second_signal",
        &[
            (Duration::ZERO, "TERM"),
            (Duration::from_millis(500), "TERM"),
        ],
    );
    output
        .assert_code(78)
        .assert_stderr_has("Error: worker `fails_coded_when_stopped` failed: could not save")
        .assert_stderr_count("Error:", 1);
    let took = stop_time(&output);
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(1500),
        "ended {took:?} after the first signal, not at the second\n{}",
        output.dump()
    );
}

/// A signal while `Supervisor`s with signals start and end one after another: taken
/// by one (it returns the interruption, 143) or by the system (the process dies of
/// it), never lost, whenever it comes. `FATE_ROUNDS / 4` runs, counted.
#[test]
fn a_signal_between_supervisors_is_never_lost() {
    let rounds = rounds(4);
    let mut lost = 0;
    for round in 0..rounds {
        let delay = Duration::from_micros(1000 + 937 * (round as u64 % 50));
        let output = run(env!("CARGO_BIN_EXE_supervisor_alone"))
            .arg("signals_loop")
            .signals_after("ready", &[(delay, "TERM")])
            .output();
        let taken = output.signal() == Some(15)
            || (output.code() == Some(143) && output.stdout == "interrupted by SIGTERM\n");
        if !taken {
            lost += 1;
            eprintln!("round {round}: {}", output.dump());
        }
    }
    assert_eq!(lost, 0, "{lost} of {rounds} signals lost");
}

/// A `main` whose body returns its own `Err` while the program stops on a signal: that
/// error is printed (as Rust prints it) and is the status (1), not the interruption.
#[test]
fn mains_own_error_while_stopping_is_what_it_ends_with() {
    run(env!("CARGO_BIN_EXE_signals_result"))
        .signals_after("ready", &[(Duration::ZERO, "TERM")])
        .output()
        .assert_code(1)
        .assert_stderr_has("Error: \"could not flush the journal\"\n")
        .assert_stderr_lacks("Error: interrupted");
}
