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

/// Where the fake service manager listens.
enum Socket {
    /// A file, as systemd makes it.
    Path,
    /// An abstract name (`@name`, Linux), as systemd's own tests use.
    Abstract,
}

/// Runs `run` with a fake service manager's socket; 200 ms of watchdog unless
/// `watchdog` is false.
fn under_systemd(run: Run, tag: &str, watchdog: bool) -> (Output, Notified) {
    under(run, tag, watchdog, Socket::Path)
}

fn under(run: Run, tag: &str, watchdog: bool, kind: Socket) -> (Output, Notified) {
    let path = scratch_file(tag);
    let _ = std::fs::remove_file(&path);
    let (socket, address) = match kind {
        Socket::Path => (
            UnixDatagram::bind(&path).expect("bind the notify socket"),
            path.to_str().expect("a UTF-8 path").to_owned(),
        ),
        Socket::Abstract => {
            use std::os::linux::net::SocketAddrExt;
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                .expect("an abstract name");
            (
                UnixDatagram::bind_addr(&address).expect("bind the abstract socket"),
                format!("@{name}"),
            )
        }
    };
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
    let mut run = run.env("NOTIFY_SOCKET", &address);
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

/// READY=1 first, a ping about every 100 ms (half of WATCHDOG_USEC: each gap 40 to
/// 300 ms, 80 to 130 on average) while the body runs, then STOPPING=1 with the outcome.
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
    // About 100 ms apart; one late ping on a loaded machine is no failure, a drift is.
    let gaps: Vec<Duration> = pings.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert!(
        gaps.iter()
            .all(|gap| *gap >= Duration::from_millis(40) && *gap <= Duration::from_millis(300)),
        "pings not about 100 ms apart: {gaps:?}"
    );
    let mean = gaps.iter().sum::<Duration>() / gaps.len() as u32;
    assert!(
        mean >= Duration::from_millis(80) && mean <= Duration::from_millis(130),
        "pings {mean:?} apart on average, not 100 ms: {gaps:?}"
    );
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

/// An abstract socket (`NOTIFY_SOCKET=@name`) gets the same notifications.
#[test]
fn an_abstract_notify_socket_is_used_too() {
    let (output, notified) = under(
        run(env!("CARGO_BIN_EXE_systemd")).arg("ok"),
        "notify-abstract",
        true,
        Socket::Abstract,
    );
    output.assert_code(0);
    assert_eq!(
        notified.first().map(|(_, l)| l.as_str()),
        Some("READY=1"),
        "{notified:?}"
    );
    assert!(times_of(&notified, "WATCHDOG=1").len() >= 3, "{notified:?}");
    assert!(times_of(&notified, "STOPPING=1").len() == 1, "{notified:?}");
}

/// A manager that never reads: its queue fills at once (pings every millisecond),
/// and fate neither blocks its timer (the stall is still reported, status 8) nor its
/// exit.
#[test]
fn a_manager_that_never_reads_blocks_neither_the_timer_nor_the_exit() {
    let path = scratch_file("notify-deaf");
    let _ = std::fs::remove_file(&path);
    let _deaf = UnixDatagram::bind(&path).expect("bind");
    run(env!("CARGO_BIN_EXE_systemd"))
        .arg("stall_critical")
        .env("NOTIFY_SOCKET", path.to_str().unwrap())
        .env("WATCHDOG_USEC", "2000")
        .env_pid("WATCHDOG_PID")
        .timeout(Duration::from_secs(20))
        .output()
        .assert_code(8)
        .assert_stderr_has("Error: worker `stuck_at_once` stalled at")
        .assert_ended_within(Duration::from_secs(3));
    let _ = std::fs::remove_file(&path);
}

/// A stall that ends: the pings come back, and the status line says so.
#[test]
fn the_pings_resume_when_the_stall_ends() {
    let (output, notified) = systemd("stall_recovers");
    output.assert_code(0);
    let stalled = notified
        .iter()
        .find(|(_, l)| l.starts_with("STATUS=worker `stuck_for_a_while` stalled"))
        .map(|(at, _)| *at)
        .unwrap_or_else(|| panic!("no stall said: {notified:?}"));
    let running = times_of(&notified, "STATUS=running");
    assert_eq!(running.len(), 1, "{notified:?}");
    assert!(running[0] > stalled, "{notified:?}");
    let pings = times_of(&notified, "WATCHDOG=1");
    assert!(
        pings.iter().any(|&at| at > running[0]),
        "no ping after: {notified:?}"
    );
    assert!(
        !pings
            .iter()
            .any(|&at| at > stalled && at < running[0] - Duration::from_millis(5)),
        "a ping while stalled: {notified:?}"
    );
}

/// A failure whose line is 10,000 characters long: the status line is cut, so that
/// the datagram (and the STOPPING=1 in it) stays under systemd's 4 KiB.
#[test]
fn a_long_failure_is_cut_in_the_status_line() {
    let (output, notified) = systemd("long_failure");
    output.assert_code(1);
    let status: Vec<&String> = notified
        .iter()
        .map(|(_, l)| l)
        .filter(|l| l.starts_with("STATUS=worker `fails_at_length` failed: xxx"))
        .collect();
    assert!(!status.is_empty(), "{notified:?}");
    assert!(
        status.iter().all(|l| l.len() <= 1100 && l.ends_with("...")),
        "{status:?}"
    );
    assert!(
        !times_of(&notified, "STOPPING=1").is_empty(),
        "{notified:?}"
    );
}

/// `fate::status()` agrees with the watchdog: a blocked poll (`max_poll`, not critical)
/// makes it unhealthy while it blocks; so does a stall in a scope nested in the root.
#[test]
fn status_counts_blocked_polls_and_the_stalls_of_nested_scopes() {
    run(env!("CARGO_BIN_EXE_status"))
        .arg("scope_stall")
        .output()
        .assert_code(0)
        .assert_stdout("during: healthy false, stalls 1\nafter: healthy true, stalls 0\n");
    run(env!("CARGO_BIN_EXE_status"))
        .arg("blocked_poll")
        .output()
        .assert_code(0)
        .assert_stdout(
            "before: healthy true, stalls 0\nblocked: healthy false, stalls 1\nafter: healthy true, stalls 0\n",
        );
}

/// A stall that a `Supervisor` returned to the program is no longer anyone's: `main`'s
/// pings, which stopped while the `Supervisor` ran, go on once it has returned.
#[test]
fn a_stall_a_supervisor_returned_no_longer_stops_the_pings() {
    let (output, notified) = systemd("supervisor_stall");
    output
        .assert_code(0)
        .assert_stderr_has("returned: worker `stuck_in_a_supervisor` stalled at");
    let returned = output.stderr_line_time("returned: ");
    let pings_after = times_of(&notified, "WATCHDOG=1")
        .into_iter()
        .filter(|&at| at > returned + Duration::from_millis(20))
        .count();
    assert!(pings_after >= 3, "no pings after the return: {notified:?}");
}

/// A manager whose queue is full when the program starts, and that reads 300 ms later:
/// READY=1 still arrives (it is tried again), and so does STOPPING=1.
#[test]
fn ready_is_said_again_until_the_manager_has_room() {
    let path = scratch_file("notify-full");
    let _ = std::fs::remove_file(&path);
    let socket = UnixDatagram::bind(&path).expect("bind");
    let filler = UnixDatagram::unbound().expect("a socket");
    filler.set_nonblocking(true).expect("non-blocking");
    let mut queued = 0;
    while filler.send_to(b"FILLER=1\n", &path).is_ok() {
        queued += 1;
        assert!(queued < 100_000, "the queue never fills");
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            socket
                .set_read_timeout(Some(Duration::from_millis(20)))
                .expect("a read timeout");
            let mut lines = Vec::new();
            let mut buffer = [0u8; 4096];
            // Until the program has ended and nothing more comes.
            loop {
                match socket.recv(&mut buffer) {
                    Ok(n) => {
                        let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                        lines.extend(text.lines().map(str::to_owned));
                    }
                    Err(_) if done.load(std::sync::atomic::Ordering::Acquire) => break,
                    Err(_) => {}
                }
            }
            lines
        })
    };
    run(env!("CARGO_BIN_EXE_systemd"))
        .arg("ok")
        .env("NOTIFY_SOCKET", path.to_str().unwrap())
        .output()
        .assert_code(0);
    done.store(true, std::sync::atomic::Ordering::Release);
    let lines = reader.join().expect("the reader");
    let _ = std::fs::remove_file(&path);
    assert!(lines.iter().any(|l| l == "READY=1"), "{lines:?}");
    assert!(lines.iter().any(|l| l == "STOPPING=1"), "{lines:?}");
}

/// `NOTIFY_SOCKET` is read once, at the start: a program that unsets it afterwards (so
/// that its children do not inherit it) still pings and says it stops.
#[test]
fn a_program_that_unsets_the_socket_still_notifies() {
    let (output, notified) = systemd("unsets_the_socket");
    output.assert_code(0);
    assert!(times_of(&notified, "WATCHDOG=1").len() >= 2, "{notified:?}");
    assert_eq!(times_of(&notified, "STOPPING=1").len(), 1, "{notified:?}");
}
