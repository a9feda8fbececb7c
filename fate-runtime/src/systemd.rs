//! systemd's notification protocol (feature `systemd`, through `sd-notify`), for a
//! `main` root when `NOTIFY_SOCKET` is set; without it, or without the feature,
//! nothing at all.
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
pub(crate) use enabled::{start, stopped, stopping};

#[cfg(not(all(feature = "systemd", unix)))]
mod disabled {
    pub(crate) fn start(_: super::Readiness) {}
    pub(crate) fn stopping(_: &str) {}
    pub(crate) fn stopped(_: &str) {}
}
#[cfg(not(all(feature = "systemd", unix)))]
pub(crate) use disabled::{start, stopped, stopping};

#[cfg(all(feature = "systemd", unix))]
mod enabled {
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
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
    static WATCHING: AtomicBool = AtomicBool::new(false);

    fn notify(states: &[NotifyState<'_>]) {
        // A service manager that went away is no reason to fail.
        let _ = sd_notify::notify(false, states);
    }

    fn enabled() -> bool {
        std::env::var_os("NOTIFY_SOCKET").is_some()
    }

    /// `main`'s body starts.
    pub(crate) fn start(readiness: Readiness) {
        if !enabled() || STAGE.load(Ordering::Acquire) != OFF {
            return;
        }
        STAGE.store(STARTING, Ordering::Release);
        if readiness == Readiness::AtStart {
            ready();
        }
        let mut usec = 0;
        let watchdog = sd_notify::watchdog_enabled(false, &mut usec) && usec > 0;
        if watchdog && !WATCHING.swap(true, Ordering::AcqRel) {
            let period = Duration::from_micros(usec / 2);
            arm(Instant::now() + period, period);
        }
    }

    pub(crate) fn ready() {
        if STAGE
            .compare_exchange(STARTING, READY, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            notify(&[NotifyState::Ready]);
        }
    }

    /// The next ping, `period` after the last.
    fn arm(at: Instant, period: Duration) {
        let _ = timer::run_at(at, Box::new(move || ping(at, period)));
    }

    fn ping(at: Instant, period: Duration) {
        if STAGE.load(Ordering::Acquire) == STOPPING {
            return; // systemd watches the stop's timeout now
        }
        match health::first_stalled() {
            None => {
                *SAID.lock().unwrap_or_else(|e| e.into_inner()) = None;
                notify(&[NotifyState::Watchdog]);
            }
            Some(stall) => {
                let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
                if said.as_deref() != Some(stall.as_str()) {
                    notify(&[NotifyState::Status(&stall)]);
                    *said = Some(stall);
                }
            }
        }
        // From the last deadline, not from now: pings do not drift.
        let next = (at + period).max(Instant::now());
        arm(next, period);
    }

    /// The root begins to stop, for `why`.
    pub(crate) fn stopping(why: &str) {
        if STAGE.swap(STOPPING, Ordering::AcqRel) > OFF {
            notify(&[NotifyState::Stopping, NotifyState::Status(why)]);
        } else {
            STAGE.store(OFF, Ordering::Release);
        }
    }

    /// The process ends with `outcome`.
    pub(crate) fn stopped(outcome: &str) {
        if STAGE.swap(STOPPING, Ordering::AcqRel) > OFF {
            notify(&[NotifyState::Stopping, NotifyState::Status(outcome)]);
        } else {
            STAGE.store(OFF, Ordering::Release);
        }
    }
}
