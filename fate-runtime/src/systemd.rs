//! systemd's notification protocol (feature `systemd`), for a `main` root when
//! `NOTIFY_SOCKET` is set; without it, or without the feature, nothing at all.
//! `sd-notify` formats the messages and reads the watchdog's variables; fate sends the
//! datagrams itself, non-blocking (a manager that does not read drops them rather
//! than stopping fate's timer or its exit) and to abstract sockets too.
//!
//! - `READY=1` when `main`'s body starts, or at [`ready`] with
//!   `#[supervised(systemd = "manual")]`.
//! - `WATCHDOG=1` every half of `WATCHDOG_USEC`, on fate's timer thread, only while no
//!   watched worker is stalled ([`health`]): a stalled worker stops the pings, and one
//!   `STATUS=` line names it, so that systemd's watchdog restarts the service.
//! - `STOPPING=1` with `STATUS=` when the root begins to stop (its first failure, a
//!   signal, `fate::cancel()`: systemd then stops the watchdog and gives the stop
//!   `TimeoutStopSec=`), and `STATUS=` with the outcome when the process ends.

/// When `READY=1` is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Readiness {
    /// When `main`'s body starts.
    #[default]
    AtStart,
    /// At [`ready`] (`#[supervised(systemd = "manual")]`).
    Manual,
}

/// Tells systemd the service is ready (`READY=1`), with `#[supervised(systemd =
/// "manual")]` on `main`: once the program has done what must come first (bound its
/// sockets, loaded its state). Said once, however often it is called; without that
/// option, without `NOTIFY_SOCKET` or without the feature `systemd`, it does nothing.
pub fn ready() {
    #[cfg(all(feature = "systemd", unix))]
    enabled::ready();
}

#[cfg(all(feature = "systemd", unix))]
pub(crate) use enabled::{start, stopping};

#[cfg(not(all(feature = "systemd", unix)))]
mod disabled {
    pub(crate) fn start(_: super::Readiness) {}
    pub(crate) fn stopping(_: &str) {}
}
#[cfg(not(all(feature = "systemd", unix)))]
pub(crate) use disabled::{start, stopping};

#[cfg(all(feature = "systemd", unix))]
mod enabled {
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use sd_notify::NotifyState;

    use super::Readiness;
    use crate::{health, timer};

    /// Where the service stands, as told to systemd.
    static STAGE: AtomicU8 = AtomicU8::new(OFF);
    /// No `NOTIFY_SOCKET`, or no root asked yet.
    const OFF: u8 = 0;
    /// Started, not ready yet (manual readiness).
    const STARTING: u8 = 1;
    const READY: u8 = 2;
    const STOPPING: u8 = 3;

    /// The stall named in the last `STATUS=` line, so that it is said once.
    static SAID: Mutex<Option<String>> = Mutex::new(None);

    /// The longest `STATUS=` text sent: systemd ignores a whole datagram over 4 KiB,
    /// and `STOPPING=1` travels with it.
    const STATUS_LIMIT: usize = 1024;

    /// `NOTIFY_SOCKET`, read once (a program may unset it afterwards, so that its
    /// children do not inherit it).
    fn socket_path() -> Option<&'static std::ffi::OsStr> {
        static PATH: once_cell::sync::OnceCell<Option<std::ffi::OsString>> =
            once_cell::sync::OnceCell::new();
        PATH.get_or_init(|| std::env::var_os("NOTIFY_SOCKET"))
            .as_deref()
    }

    /// How long a ping may wait for room in the manager's queue: the next one comes.
    const PING_PATIENCE: Duration = Duration::from_millis(5);
    /// How long any other notification may (readiness, a stall, the stop).
    const PATIENCE: Duration = Duration::from_millis(100);

    /// Sends `states` in one datagram, as `sd-notify` formats them, waiting at most
    /// `patience` for room (a manager that does not read must not stop fate's timer or
    /// its exit: the datagram is then dropped), to an abstract socket (`@name`) too.
    /// Whether it was sent; a manager that went away is no reason to fail.
    fn notify_within(patience: Duration, states: &[NotifyState<'_>]) -> bool {
        use std::fmt::Write;
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::net::UnixDatagram;

        let Some(path) = socket_path() else {
            return false;
        };
        let mut message = String::new();
        for state in states {
            let _ = writeln!(message, "{state}");
        }
        let Ok(socket) = UnixDatagram::unbound() else {
            return false;
        };
        if socket.set_write_timeout(Some(patience)).is_err() {
            return false;
        }
        match path.as_bytes().strip_prefix(b"@") {
            Some(name) => send_abstract(&socket, name, message.as_bytes()),
            None => socket.send_to(message.as_bytes(), path).is_ok(),
        }
    }

    fn notify(states: &[NotifyState<'_>]) -> bool {
        notify_within(PATIENCE, states)
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn send_abstract(
        socket: &std::os::unix::net::UnixDatagram,
        name: &[u8],
        message: &[u8],
    ) -> bool {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name)
            .and_then(|address| socket.send_to_addr(message, &address))
            .is_ok()
    }

    /// Abstract sockets are Linux's alone.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn send_abstract(_: &std::os::unix::net::UnixDatagram, _: &[u8], _: &[u8]) -> bool {
        false
    }

    /// `text` as one `STATUS=` line: control characters (a newline would start another
    /// assignment) made spaces, cut at [`STATUS_LIMIT`] bytes.
    fn status_text(text: &str) -> String {
        let mut line: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if line.len() > STATUS_LIMIT {
            let mut end = STATUS_LIMIT - 3;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            line.truncate(end);
            line.push_str("...");
        }
        line
    }

    /// `main`'s body starts: once in the process.
    pub(crate) fn start(readiness: Readiness) {
        if socket_path().is_none()
            || STAGE
                .compare_exchange(OFF, STARTING, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        if readiness == Readiness::AtStart {
            ready();
        }
        let mut usec = 0;
        if sd_notify::watchdog_enabled(false, &mut usec) && usec > 0 {
            // At least a millisecond: a tiny WATCHDOG_USEC must not make the timer spin.
            let period = Duration::from_micros(usec / 2).max(Duration::from_millis(1));
            arm(Instant::now() + period, period);
        }
    }

    pub(crate) fn ready() {
        if STAGE
            .compare_exchange(STARTING, READY, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            say_ready(0);
        }
    }

    /// `READY=1`, tried again on the timer (every 100 ms, for 10 s) while the manager's
    /// queue has no room: systemd waits for it to count the service as started.
    fn say_ready(tries: u32) {
        if notify(&[NotifyState::Ready]) || tries >= 100 {
            return;
        }
        let _ = timer::run_at(
            Instant::now() + PATIENCE,
            Box::new(move || say_ready(tries + 1)),
        );
    }

    /// The next ping, `period` after the last.
    fn arm(at: Instant, period: Duration) {
        let _ = timer::run_at(at, Box::new(move || ping(at, period)));
    }

    fn ping(at: Instant, period: Duration) {
        if STAGE.load(Ordering::Acquire) == STOPPING {
            return; // systemd watches the stop's timeout now
        }
        let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
        match health::first_stalled() {
            None => {
                if said.is_some() {
                    // The stall is over: the status line no longer names it.
                    if notify(&[NotifyState::Watchdog, NotifyState::Status("running")]) {
                        *said = None;
                    }
                } else {
                    let _ = notify_within(PING_PATIENCE, &[NotifyState::Watchdog]);
                }
            }
            Some(stall) => {
                // Said once: when it went through.
                if said.as_deref() != Some(stall.as_str())
                    && notify(&[NotifyState::Status(&status_text(&stall))])
                {
                    *said = Some(stall);
                }
            }
        }
        drop(said);
        // From the last deadline, not from now: pings do not drift.
        let next = (at + period).max(Instant::now());
        arm(next, period);
    }

    /// The root begins to stop, for `why`, or the process ends, with `why` as its
    /// outcome: `STOPPING=1` each time (systemd takes it once), with the line.
    pub(crate) fn stopping(why: &str) {
        let started = STAGE
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |stage| {
                (stage != OFF).then_some(STOPPING)
            })
            .is_ok();
        if started {
            let _ = notify(&[
                NotifyState::Stopping,
                NotifyState::Status(&status_text(why)),
            ]);
        }
    }
}
