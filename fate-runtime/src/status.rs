//! [`status()`]: what the current root's workers are doing, for a liveness endpoint.

use std::time::Duration;

use crate::context;
use crate::health;
use crate::report::Location;
use crate::stall;

/// A snapshot of the current root's workers, made by [`status()`].
///
/// The workers with `stall = ".."` (the long-running ones, whose liveness a probe asks
/// about) are listed, each with its heartbeats, those of the scopes running inside the
/// root included; the others are counted. `Debug`, and
/// with the feature `serde`, `Serialize` (durations as seconds).
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Status {
    /// The watched workers running now, the oldest first.
    pub workers: Vec<WorkerStatus>,
    /// How many supervised calls and futures are in progress under the root, watched
    /// or not, nested ones included (a closure started with `fate::spawn` and the
    /// supervised function it calls are two); the root's own body is not counted.
    pub calls: usize,
    /// Whether the root was cancelled (a failure, `fate::cancel()`, a signal).
    pub cancelled: bool,
    /// Whether a worker has failed: the root is ending.
    pub failed: bool,
    /// The stalls going on under the root, each as its report's first line: the
    /// watched workers' (`stall`, also in `workers`) and the blocked polls'
    /// (`max_poll`), those of `critical = false` workers included. What stops
    /// systemd's watchdog.
    pub stalls: Vec<String>,
}

impl Status {
    /// Whether the program is live: nothing has failed and nothing is stalled (no
    /// watched worker silent past its budget, no poll blocking past `max_poll`). What
    /// a liveness probe should answer.
    pub fn is_healthy(&self) -> bool {
        !self.failed && self.stalls.is_empty()
    }
}

/// One watched worker (`stall = ".."`) in a [`Status`].
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct WorkerStatus {
    /// Its name, as reports show it.
    pub name: String,
    /// The thread it started on, if named.
    pub thread: Option<String>,
    /// How long it has been running.
    #[cfg_attr(feature = "serde", serde(serialize_with = "seconds"))]
    pub running_for: Duration,
    /// Its `stall = ".."` budget.
    #[cfg_attr(feature = "serde", serde(serialize_with = "seconds"))]
    pub budget: Duration,
    /// How many heartbeats so far.
    pub heartbeats: u64,
    /// Where the last heartbeat was.
    pub last_heartbeat: Option<Location>,
    /// How long since fate last saw it beat: fate looks at its heartbeats' count once
    /// per budget (the watchdog) and at each `status()`, so this is exact to within the
    /// time since the look before.
    #[cfg_attr(feature = "serde", serde(serialize_with = "seconds"))]
    pub silent_for: Duration,
    /// How many times a call inside it was restarted (`restart = N`).
    pub restarts: usize,
    /// Reported as stalled, and silent since.
    pub stalled: bool,
}

#[cfg(feature = "serde")]
fn seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

/// What the current root's workers are doing: see [`Status`]. Cheap enough to serve on
/// every probe: a lock held while the watched workers are copied, nothing on the
/// workers' own path. With no root active, an empty status (healthy).
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
///
/// #[fate::supervised(stall = "5s")]
/// fn crunch(started: mpsc::Sender<()>, done: mpsc::Receiver<()>) {
///     fate::heartbeat();
///     started.send(()).unwrap();
///     while done.recv_timeout(Duration::from_millis(10)).is_err() {
///         fate::heartbeat();
///     }
/// }
///
/// let status = fate::Supervisor::new()
///     .run(|| {
///         let (started, running) = mpsc::channel();
///         let (stop, done) = mpsc::channel();
///         let worker = fate::spawn(move || crunch(started, done));
///         running.recv().unwrap();
///         let status = fate::status(); // while `crunch` runs
///         stop.send(()).unwrap();
///         worker.join().unwrap();
///         status
///     })
///     .unwrap();
/// assert!(status.is_healthy());
/// let crunch = &status.workers[0];
/// assert_eq!(crunch.name, "crunch");
/// assert!(crunch.heartbeats >= 1 && !crunch.stalled);
/// ```
pub fn status() -> Status {
    let Some(root) = context::current_root() else {
        return Status::default();
    };
    // The root and the roots nested in it (scopes), as the watchdog sees them all.
    let mut roots = vec![root.clone()];
    let mut next = 0;
    while let Some(nested) = roots.get(next).map(|root| root.children()) {
        roots.extend(nested);
        next += 1;
    }
    let workers = roots
        .iter()
        .flat_map(|root| stall::snapshot(root.id()))
        .map(|watched| WorkerStatus {
            name: watched.name.to_string(),
            thread: watched.thread,
            running_for: watched.running_for,
            budget: watched.budget,
            heartbeats: watched.heartbeats,
            last_heartbeat: watched.last_heartbeat.map(Location::from_std),
            silent_for: watched.heard_for,
            restarts: watched.restarts,
            stalled: watched.stalled,
        })
        .collect();
    Status {
        workers,
        calls: root.running(),
        cancelled: root.is_cancelled(),
        failed: root.has_failed(),
        stalls: roots
            .iter()
            .flat_map(|root| health::stalled_in(root.id()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_no_root_the_status_is_empty_and_healthy() {
        let status = status();
        assert_eq!(status, Status::default());
        assert!(status.is_healthy());
    }
}
