//! The one door generated code uses: `::fate::__private`.
//!
//! Not a public API: names here change in any release. Everything the macro emits
//! calls one of these, so the expansion stays short and the logic is type-checked
//! once, here.

use std::future::Future;

use crate::report::WorkerName;
use crate::worker;
pub use crate::worker::{Criticality, Guard};

pub use crate::exit::{main_body_future, run_main, MainOptions, MainOutput};
pub use crate::outcome::ErrorRef;
pub use crate::report::ErrorText;
pub use crate::restart::{RestartPolicy, DEFAULT_MAX_BACKOFF};
pub use crate::root::MainBody;
pub use crate::systemd::Readiness;

/// Whether `systemd = ".."` can be used: fate's feature `systemd`, on unix.
pub const SYSTEMD: bool = cfg!(all(feature = "systemd", unix));

/// Whether `signals` can be used: fate's feature `signals`, on unix.
pub const SIGNALS: bool = cfg!(all(feature = "signals", unix));
pub use crate::testing::{run_test, TestOptions, TestOutput};

/// A worker's name as the expansion passes it: `"name"`, or `("name", N)` for a
/// worker with `exit_code = N` (checked by the macro to be a status it may use).
pub trait Name: Copy {
    /// The name the report shows.
    fn name(self) -> &'static str;
    /// Its `exit_code = N`.
    fn exit_code(self) -> Option<u8>;
}

impl Name for &'static str {
    #[inline]
    fn name(self) -> &'static str {
        self
    }

    #[inline]
    fn exit_code(self) -> Option<u8> {
        None
    }
}

impl Name for (&'static str, u8) {
    #[inline]
    fn name(self) -> &'static str {
        self.0
    }

    #[inline]
    fn exit_code(self) -> Option<u8> {
        Some(self.1)
    }
}

trait WorkerNameOf {
    fn worker_name(self) -> WorkerName;
}

impl<N: Name> WorkerNameOf for N {
    #[inline]
    fn worker_name(self) -> WorkerName {
        match self.exit_code() {
            None => WorkerName::Named(self.name()),
            Some(code) => WorkerName::Coded(self.name(), code),
        }
    }
}

/// `probe!(value)`: the `Err` in a worker's value, if it is a `Result` (see
/// `outcome.rs`, where the macro sits next to the tiers it must match).
pub use crate::__fate_probe as probe;

/// A supervised call of the worker `name`: `body` is the function's body as a
/// closure, `inspect` finds an `Err` in its value (see [`probe!`]).
#[inline]
pub fn worker<R>(
    name: impl Name,
    body: impl FnOnce() -> R,
    inspect: impl for<'a> FnOnce(&'a R) -> Option<ErrorRef<'a>>,
) -> R {
    worker::run(name.worker_name(), Criticality::Critical, body, inspect)
}

/// A supervised call whose value is never an error (no return type, `()`, `!`).
#[inline]
pub fn worker_plain<R>(name: impl Name, body: impl FnOnce() -> R) -> R {
    worker::run(name.worker_name(), Criticality::Critical, body, |_| None)
}

/// A supervised call of a `critical = false` worker.
#[inline]
pub fn worker_not_critical<R>(
    name: impl Name,
    body: impl FnOnce() -> R,
    inspect: impl for<'a> FnOnce(&'a R) -> Option<ErrorRef<'a>>,
) -> R {
    worker::run(name.worker_name(), Criticality::NotCritical, body, inspect)
}

/// A supervised call with `restart = N`: `attempt` is the function's body as a
/// closure that clones the arguments each time it is called.
#[inline]
pub fn worker_restarting<R>(
    name: impl Name,
    policy: RestartPolicy,
    criticality: Criticality,
    attempt: impl FnMut() -> R,
    inspect: impl for<'a> Fn(&'a R) -> Option<ErrorRef<'a>> + Copy,
) -> R {
    worker::run(
        name.worker_name(),
        criticality,
        || crate::restart::restarting(policy, attempt, inspect),
        inspect,
    )
}

/// A supervised call that returns `impl Trait`, as a guard bound first in the
/// function's body, which stays where it is.
#[inline]
pub fn enter(name: impl Name) -> Guard {
    Guard::enter(name.worker_name(), Criticality::Critical)
}

/// [`enter`] for a `critical = false` worker.
#[inline]
pub fn enter_not_critical(name: impl Name) -> Guard {
    Guard::enter(name.worker_name(), Criticality::NotCritical)
}

/// A supervised `async fn`: `future` is the function's body as an `async` block,
/// `inspect` finds an `Err` in its output (see [`probe!`]).
#[inline]
pub fn worker_future<F: Future>(
    name: impl Name,
    future: F,
    inspect: impl for<'a> FnOnce(&'a F::Output) -> Option<ErrorRef<'a>>,
) -> impl Future<Output = F::Output> {
    crate::future::supervise(name.worker_name(), Criticality::Critical, future, inspect)
}

/// A supervised `async fn` whose output is never an error.
#[inline]
pub fn worker_future_plain<F: Future>(
    name: impl Name,
    future: F,
) -> impl Future<Output = F::Output> {
    crate::future::supervise(name.worker_name(), Criticality::Critical, future, |_| None)
}

/// A supervised `async fn` of a `critical = false` worker.
#[inline]
pub fn worker_future_not_critical<F: Future>(
    name: impl Name,
    future: F,
    inspect: impl for<'a> FnOnce(&'a F::Output) -> Option<ErrorRef<'a>>,
) -> impl Future<Output = F::Output> {
    crate::future::supervise(
        name.worker_name(),
        Criticality::NotCritical,
        future,
        inspect,
    )
}

/// A supervised `async fn` with `restart = N`: `make` clones the arguments and makes
/// the body's `async` block, once per attempt.
#[inline]
pub fn worker_future_restarting<F: Future>(
    name: impl Name,
    policy: RestartPolicy,
    criticality: Criticality,
    make: impl FnMut() -> F,
    inspect: impl for<'a> Fn(&'a F::Output) -> Option<ErrorRef<'a>> + Copy,
) -> impl Future<Output = F::Output> {
    crate::future::supervise(
        name.worker_name(),
        criticality,
        crate::restart::restarting_future(policy, make, inspect),
        inspect,
    )
}

fn watched_as(
    name: impl Name,
    budget: std::time::Duration,
    site: &'static std::panic::Location<'static>,
    criticality: Criticality,
) -> crate::stall::Watched {
    crate::stall::Watched {
        name: name.worker_name(),
        budget,
        site,
        criticality,
    }
}

/// A sync worker with `stall = ".."`: `call` is its supervised call, `site` where the
/// function is.
#[inline]
pub fn watched<R>(
    name: impl Name,
    budget: std::time::Duration,
    site: &'static std::panic::Location<'static>,
    criticality: Criticality,
    call: impl FnOnce() -> R,
) -> R {
    let watched = watched_as(name, budget, site, criticality);
    crate::stall::watched(watched, call)
}

/// An `async` worker with `stall = ".."`: `future` is its supervised future.
#[inline]
pub fn watched_future<F: Future>(
    name: impl Name,
    budget: std::time::Duration,
    site: &'static std::panic::Location<'static>,
    criticality: Criticality,
    future: F,
) -> impl Future<Output = F::Output> {
    let watched = watched_as(name, budget, site, criticality);
    crate::stall::watched_future(watched, future)
}

/// An `async` worker with `max_poll = ".."`: `future` is its supervised future.
#[inline]
pub fn max_poll_future<F: Future>(
    name: impl Name,
    budget: std::time::Duration,
    site: &'static std::panic::Location<'static>,
    criticality: Criticality,
    future: F,
) -> impl Future<Output = F::Output> {
    let watched = watched_as(name, budget, site, criticality);
    crate::stall::max_poll_future(watched, future)
}

/// How many times fate's timer thread has woken up (the benchmark of its idleness).
pub fn timer_wake_ups() -> u64 {
    crate::timer::wake_ups()
}

/// The `inspect` of a worker whose value is never an error.
#[inline]
pub fn never_an_error<R>(_: &R) -> Option<ErrorRef<'_>> {
    None
}

/// A value of any type, for a `return` that never runs: generated `async` blocks start
/// with `if false { return never::<R>(); }` so that their output type is `R` before
/// the body is checked.
#[inline]
pub fn never<T>() -> T {
    unreachable!("fate: `never` is only named in code that does not run")
}
