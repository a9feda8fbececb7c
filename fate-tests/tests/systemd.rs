//! The feature `systemd` against the real protocol (issue 12): each test binds a unix
//! datagram socket, starts a fixture (`src/bin/systemd.rs`, `systemd_manual.rs`) with
//! `NOTIFY_SOCKET` (and `WATCHDOG_USEC`, `WATCHDOG_PID`) pointing at it, as systemd
//! does, and reads every notification with the time it arrived.

mod support;

use std::os::unix::net::UnixDatagram;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use support::{run, scratch_file, Output, Run};

/// One line a notification carried, and when it arrived (from the spawn).
type Notified = Vec<(Duration, String)>;

/// Runs `run` with a fake service manager's socket; 200 ms of watchdog unless
/// `watchdog` is false.
fn under_systemd(run: Run, tag: &str, watchdog: bool) -> (Output, Notified) {
    let path = scratch_file(tag);
    let _ = std::fs::remove_file(&path);
    let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .expect("a read timeout");
    let notified = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let started = Instant::now();
    let reader = {
        let (notified, done) = (notified.clone(), done.clone());
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while !done.load(std::sync::atomic::Ordering::Acquire) {
                if let Ok(n) = socket.recv(&mut buffer) {
                    let at = started.elapsed();
                    let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                    let mut notified = notified.lock().unwrap();
                    for line in text.lines() {
                        notified.push((at, line.to_owned()));
                    }
                }
            }
        })
    };
    let mut run = run.env("NOTIFY_SOCKET", path.to_str().expect("a UTF-8 path"));
    if watchdog {
        run = run.env("WATCHDOG_USEC", "200000").env_pid("WATCHDOG_PID");
    }
    let output = run.output();
    thread::sleep(Duration::from_millis(50)); // the last datagram
    done.store(true, std::sync::atomic::Ordering::Release);
    reader.join().expect("the reader");
    let _ = std::fs::remove_file(&path);
    let notified = std::mem::take(&mut *notified.lock().unwrap());
    (output, notified)
}

fn times_of(notified: &Notified, line: &str) -> Vec<Duration> {
    notified
        .iter()
        .filter(|(_, l)| l == line)
        .map(|(at, _)| *at)
        .collect()
}

fn systemd(scenario: &str) -> (Output, Notified) {
    under_systemd(
        run(env!("CARGO_BIN_EXE_systemd")).arg(scenario),
        &format!("notify-{scenario}"),
        true,
    )
}

/// READY=1 first, a ping about every 100 ms (half of WATCHDOG_USEC) while the body
/// runs, then STOPPING=1 with the outcome.
#[test]
fn a_service_is_ready_then_pings_then_says_it_stops() {
    let (output, notified) = systemd("ok");
    output.assert_code(0).assert_stderr_empty();
    assert_eq!(
        notified.first().map(|(_, l)| l.as_str()),
        Some("READY=1"),
        "{notified:?}"
    );
    let pings = times_of(&notified, "WATCHDOG=1");
    assert!(pings.len() >= 4, "too few pings in 700 ms: {notified:?}");
    for pair in pings.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(60) && gap <= Duration::from_millis(180),
            "pings {gap:?} apart, not about 100 ms: {notified:?}"
        );
    }
    let tail: Vec<&str> = notified
        .iter()
        .rev()
        .take(2)
        .map(|(_, l)| l.as_str())
        .collect();
    assert_eq!(tail, ["STATUS=ended well", "STOPPING=1"], "{notified:?}");
}

/// A stalled worker (not critical: the program goes on) stops the pings, and one
/// STATUS= line names it; systemd's watchdog would now restart the service.
#[test]
fn the_pings_stop_while_a_worker_is_stalled() {
    let (output, notified) = systemd("stall");
    output.assert_code(0);
    let status: Vec<&(Duration, String)> = notified
        .iter()
        .filter(|(_, l)| l.starts_with("STATUS=worker `gets_stuck` stalled at"))
        .collect();
    assert_eq!(
        status.len(),
        1,
        "one STATUS= line for the stall: {notified:?}"
    );
    let stalled_at = status[0].0;
    let pings = times_of(&notified, "WATCHDOG=1");
    assert!(
        pings.iter().filter(|&&at| at < stalled_at).count() >= 3,
        "pings before the stall: {notified:?}"
    );
    assert!(
        pings.iter().all(|&at| at < stalled_at),
        "a ping after the stall: {notified:?}"
    );
    assert!(
        stalled_at >= Duration::from_millis(500) && stalled_at < Duration::from_millis(1200),
        "the stall was said at {stalled_at:?}: {notified:?}"
    );
}

/// A failure: STOPPING=1 at once, with the failure's summary, long before the process
/// would end on its own.
#[test]
fn a_failure_says_stopping_with_its_summary() {
    let (output, notified) = systemd("fails");
    output.assert_code(1);
    let stopping = times_of(&notified, "STOPPING=1");
    assert!(!stopping.is_empty(), "{notified:?}");
    assert!(
        notified
            .iter()
            .any(|(_, l)| l == "STATUS=worker `fails` failed: the disk is full"),
        "{notified:?}"
    );
}

/// `systemd = "manual"`: READY=1 when the program calls `fate::ready()`, once.
#[test]
fn manual_readiness_waits_for_fate_ready() {
    let (output, notified) = under_systemd(
        run(env!("CARGO_BIN_EXE_systemd_manual")),
        "notify-manual",
        false,
    );
    output.assert_code(0);
    let ready = times_of(&notified, "READY=1");
    assert_eq!(ready.len(), 1, "{notified:?}");
    assert!(ready[0] >= Duration::from_millis(300), "{notified:?}");
    assert!(times_of(&notified, "WATCHDOG=1").is_empty(), "{notified:?}");
}

/// Without NOTIFY_SOCKET (a program not run by systemd, the watchdog's variables
/// left over in its environment), nothing: the program runs quietly, as without the
/// feature.
#[test]
fn without_notify_socket_the_program_runs_as_without_the_feature() {
    run(env!("CARGO_BIN_EXE_systemd"))
        .arg("ok")
        .env_remove("NOTIFY_SOCKET")
        .env("WATCHDOG_USEC", "200000")
        .env_pid("WATCHDOG_PID")
        .output()
        .assert_code(0)
        .assert_stderr_empty()
        .assert_ended_within(Duration::from_secs(3));
}
