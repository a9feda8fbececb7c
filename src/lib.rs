//! Make multi-threaded programs fail fast and loudly.
//!
//! When a worker thread panics, Rust prints one message, that thread dies alone, and
//! the program limps on or hangs forever on a `join`, a channel or a lock. Put
//! `#[fate::supervised]` on `main` and on your worker functions, and the first worker
//! that panics or returns `Err` makes `main` return that worker's error at once: its
//! name, the message, `file:line:col`, the error chain and, when asked for, the
//! backtrace.
//!
//! ```no_run
//! use std::sync::mpsc::{channel, Receiver, Sender};
//!
//! #[fate::supervised]
//! fn main() -> Result<(), fate::Error> {
//!     let (tx, rx) = channel();
//!     std::thread::spawn(move || produce(tx)); // any way of spawning works
//!     std::thread::spawn(move || consume(rx));
//!     loop {
//!         std::thread::park(); // main may block forever: a failure still ends it
//!     }
//! }
//!
//! #[fate::supervised]
//! fn produce(tx: Sender<u32>) {
//!     for record in 0.. {
//!         if tx.send(record).is_err() { return } // the consumer is gone
//!     }
//! }
//!
//! #[fate::supervised]
//! fn consume(rx: Receiver<u32>) {
//!     for record in rx {
//!         assert!(record != 7, "bad record {record}");
//!     }
//! }
//! ```
//!
//! prints, and exits with status 1:
//!
//! ```text
//! Error: worker `consume` panicked at src/main.rs:23:9: bad record 7
//!   thread: <unnamed>
//!
//! note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
//! ```
//!
//! It grew from a well-known Python recipe (threads that store their exception, and a
//! main thread that polls them every 100 ms); fate does it with no polling (the wake-up
//! is an event), with no change to how you spawn threads, and a supervised call costs
//! a few nanoseconds with no root active and about 20–30 ns inside one (BENCHMARKS.md).
//!
//! # `#[supervised]` on `fn main`: the root
//!
//! - The body keeps running on the real main thread, untouched: thread-locals, GUI
//!   toolkits, the main thread's stack and non-`Send` return types such as
//!   `Box<dyn Error>` all keep working.
//! - The program ends as soon as the body finishes (`main` returns its value, as
//!   usual) or a supervised worker fails, whichever comes first.
//! - On a failure, what you see is exactly what `main` returning `Err(report)` shows:
//!   `Error: <report>` on stderr and exit status 1. When the body can return within
//!   the grace period, `main` literally returns that `Err`. When it cannot (it is
//!   blocked, and the grace period is over), fate prints the same text and ends the
//!   process with the same status, from a watcher thread, since Rust cannot interrupt
//!   a running thread. Exactly one of the two ever happens.
//! - A body that panics is a failure of the worker named `main` (status 1, not 101).
//! - `main` may return `()` (reported as if it were `Result<(), fate::Error>`),
//!   `Result<T, E>` where `E: From<fate::Error> + Debug` (`fate::Error`,
//!   `Box<dyn Error>`, `anyhow::Error`, `eyre::Report`, your own error enum with a
//!   `From` impl), or [`std::process::ExitCode`] (the report is printed and the
//!   status is `ExitCode::FAILURE`). Anything else is a compile error that says so.
//!
//! Options, all optional, as in `#[fate::supervised(grace = "2s", wait)]`:
//!
//! | option | meaning |
//! |---|---|
//! | `grace = "2s"` | On a failure, cancel (see [Cancellation](#cancellation)), then wait until the body and every running supervised worker have finished, or the grace period is over, whichever comes first. Units `ms`, `s`, `m`; decimals such as `"1.5s"`. Default `"0"`: end at once. A one-line notice naming the failed worker is printed at the moment of failure, the full report at the end. |
//! | `wait` | After the body finishes successfully, wait for the supervised workers that are running to finish too. A failure still ends the program early. A worker that has not started yet cannot be waited for. |
//! | `crate = "path"` | Where the `fate` crate is, if not at `::fate` (a renamed dependency, or a crate that re-exports fate). |
//!
//! What `#[fate::supervised(grace = "2s")]` on `fn main() -> Result<(), fate::Error>`
//! expands to (`cargo expand` shows the same; with no options, the options are
//! `MainOptions::default()`):
//!
//! ```no_run
//! # fn body() -> Result<(), fate::Error> { Ok(()) }
//! fn main() -> Result<(), fate::Error> {
//!     ::fate::__private::run_main::<Result<(), fate::Error>, _>(
//!         ::fate::__private::MainOptions {
//!             grace: ::core::time::Duration::from_millis(2000),
//!             wait: false,
//!         },
//!         || { body() },
//!     )
//! }
//! ```
//!
//! # `#[supervised]` on a worker function
//!
//! - Calling the function runs it where it is called: fate never spawns behind your
//!   back. While it runs, it is counted as a running worker, under its name (the
//!   function's name, or `name = "..."`).
//! - If it panics, the panic is captured (message, `file:line:col`, thread name, and
//!   a backtrace when `RUST_BACKTRACE` or `RUST_LIB_BACKTRACE` ask for one) and
//!   reported to its root; then the panic continues as usual, so a `JoinHandle` still
//!   sees it with its original payload.
//! - If it returns `Err(e)`, the error is reported with its `Display` and its
//!   `source()` chain; the caller still receives `Err(e)`, unchanged. fate observes;
//!   it never changes what a function returns. Any type that *is* a `Result` counts:
//!   `io::Result`, `anyhow::Result`, your own alias. An error type that is not
//!   `Display` is reported with its `Debug`, or by its type name.
//! - It works on free functions, methods (`&self`, `&mut self`, `self`), generic
//!   functions, functions returning `impl Trait`, with `?` and early `return` in the
//!   body. Arguments and return values need no extra bounds.
//! - With no root active anywhere, the function behaves exactly like the plain one.
//!
//! ```
//! use std::io;
//!
//! #[fate::supervised(name = "config loader")]
//! fn load(path: &str) -> io::Result<String> {
//!     std::fs::read_to_string(path)
//! }
//!
//! // No root is active here: `load` is just `load`.
//! assert!(load("/no/such/file").is_err());
//! ```
//!
//! A worker expands to a call into the runtime with the body as a closure, so `return`
//! and `?` keep their meaning:
//!
//! ```no_run
//! # use std::io;
//! fn load(path: &str) -> io::Result<String> {
//!     ::fate::__private::worker(
//!         "config loader",
//!         move || -> io::Result<String> { std::fs::read_to_string(path) },
//!         |__fate_out| {
//!             use ::fate::__private::probe::*;
//!             (&&&&&&Probe(__fate_out)).__fate_returned()
//!         },
//!     )
//! }
//! ```
//!
//! # Which root a worker reports to
//!
//! There is one process-wide registry. A thread's root is:
//!
//! 1. the root carried into the thread by [`fate::spawn`](spawn), or the
//!    [`Supervisor`] whose body runs on it;
//! 2. otherwise the *process root*: the one `#[supervised] fn main` installs, or, in a
//!    program without one, the oldest [`Supervisor`] still running.
//!
//! So a worker on any thread — `std::thread::spawn`, a thread pool, rayon, crossbeam,
//! `spawn_blocking` — reports to `main`'s root, and [`Supervisor`] roots that run side
//! by side (parallel tests) never see each other's failures, as long as their threads
//! come from [`fate::spawn`](spawn).
//!
//! [`Supervisor`] is a root as a value, for tests, benches, libraries and programs that
//! prefer no macro: `Supervisor::new().grace(d).wait(true).run(|| body)` returns
//! `Result<T, fate::Error>` as soon as the body finishes or a worker fails.
//!
//! # `async`
//!
//! `#[supervised] async fn` is a worker too, on any executor: the future it returns
//! reports a panic in any poll (then lets it continue, so the executor sees it as
//! usual) and an `Err` output, exactly like a sync worker. A future dropped before it
//! completes is cancelled, not failed; a panic in its `Drop` is reported. The future is
//! `Send` exactly when the `async fn`'s would be, and it remembers the root that was
//! current where it was *created*, so a task polled on an executor's thread reports to
//! the right root.
//!
//! For `main`, put `#[fate::supervised]` next to your executor's attribute, in either
//! order: `#[fate::supervised] #[tokio::main] async fn main()`. The executor's
//! attribute makes `main` a plain function that blocks on the body, and fate supervises
//! that like any `main`, with every return type and option. A panic in a detached
//! `tokio::spawn(worker())` task, which tokio alone would swallow, ends `main` with
//! that report. fate has no executor dependency: `#[async_std::main]` or a `main` that
//! calls `block_on` itself work the same (any attribute whose path ends in `main`
//! counts as the executor's; an `async fn main` without one is a compile error).
//!
//! ```no_run
//! use std::time::Duration;
//!
//! #[fate::supervised(grace = "2s")]
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     tokio::spawn(handle(7)); // detached: fate still sees its panic
//!     let metrics = tokio::spawn(metrics());
//!     fate::cancelled().await; // until a worker fails
//!     metrics.await??; // let it flush before tokio drops its tasks
//!     Ok(())
//! }
//!
//! #[fate::supervised]
//! async fn handle(request: u32) {
//!     tokio::time::sleep(Duration::from_millis(10)).await;
//!     panic!("request {request} is malformed");
//! }
//!
//! #[fate::supervised]
//! async fn metrics() -> std::io::Result<()> {
//!     fate::cancelled().await;
//!     tokio::fs::write("metrics.txt", "served 0\n").await
//! }
//! ```
//!
//! When `main`'s body returns, tokio's runtime shuts down and drops the tasks that are
//! still running, grace period or `wait` or not: a task that must finish (flush, say)
//! is one the body awaits after cancellation, as `metrics` above.
//!
//! A supervised future reports to the root that was current where it was made. While
//! it is polled, its root is current on the polling thread, so futures it makes inside
//! report there too. A future made by unsupervised code on an executor's thread reports
//! to the process root: under a [`Supervisor`] that is not the process root (parallel
//! tests), make the supervised futures in the body (`tokio::spawn(worker())`) or inside
//! other supervised futures.
//!
//! An `async fn` worker expands to a plain `fn` returning `impl Future`, so that the
//! wrapper is made at the call:
//!
//! ```no_run
//! # use std::time::Duration;
//! fn handle(request: u32) -> impl ::core::future::Future<Output = ()> {
//!     ::fate::__private::worker_future_plain("handle", async move {
//!         let _ = &request; // every argument lives as long as the future
//!         tokio::time::sleep(Duration::from_millis(10)).await;
//!         panic!("request {request} is malformed");
//!     })
//! }
//! ```
//!
//! # Cancellation
//!
//! On its first failure a root cancels: [`is_cancelled`] turns true, [`wait_cancelled`]
//! wakes, and [`cancelled()`] completes, so workers can stop cleanly and flush what they
//! hold within the grace period.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! #[fate::supervised]
//! fn flush_every_second(buffer: &mut Vec<u8>, out: &mut impl std::io::Write) -> std::io::Result<()> {
//!     while !fate::wait_cancelled(Duration::from_secs(1)) {
//!         out.write_all(buffer)?;
//!         buffer.clear();
//!     }
//!     out.write_all(buffer) // cancelled: flush what is left, then stop
//! }
//! ```
//!
//! # The report
//!
//! [`Error`] has the accessors [`worker()`](Error::worker), [`kind()`](Error::kind),
//! [`message()`](Error::message), [`location()`](Error::location),
//! [`thread()`](Error::thread), [`backtrace()`](Error::backtrace) and
//! [`others()`](Error::others). Its `Display` is one line; its `Debug` (what `main`
//! prints after `Error: `) adds the thread, `Caused by:` and the error chain, the
//! backtrace (fate's own frames and Rust's panic machinery left out, as in Rust's
//! panic message; `RUST_BACKTRACE=full` shows them all), and the later failures.
//!
//! Each failure is printed once: fate's panic hook holds back Rust's default panic
//! message for the panics it reports.
//!
//! # Panic hooks
//!
//! fate installs its panic hook when the first root starts, in front of the hook that
//! was there, and calls that hook for every panic it does not report. For the panics
//! it reports, it holds back Rust's *default* hook (the report says it all), but
//! still runs a hook that your code installed before. A panic that your code catches
//! inside a worker is no failure; its message is printed when the worker goes on, as
//! Rust would have. If you install a hook *after* fate's, call the previous one from it
//! (`std::panic::take_hook`) so that fate still sees the panic's location and
//! backtrace; if you don't, fate still reports the failure, from the payload alone.
//!
//! # Guarantees and limits
//!
//! What fate promises:
//!
//! - **No lost failure.** A panic that unwinds out of a supervised function, a `fate::spawn`ed
//!   closure or a poll of a supervised future reaches its root, and so does an `Err` a supervised
//!   function returns, from the moment the root starts until its report is made, including a failure
//!   that races with the root starting to wait or with the body finishing. The root's
//!   synchronisation is model-checked with loom, and a stress test runs a thousand randomized rounds
//!   of thread and task workers in CI.
//! - **The first failure wins.** The report is built from the failure that happened first, even when
//!   a later one reaches the root sooner (a panic's unwinding can make other workers fail before its
//!   own report arrives: panics are numbered as they start). The other failures, until the report is
//!   made, are counted (`Error::others()`) and the first eight listed.
//! - **A bounded exit.** With no grace period the program ends right after the first failure; with
//!   `grace = "d"`, at most `d` after it, and sooner once the body and every running supervised worker
//!   have finished. `Supervisor::run` returns within the same bound. Exactly one of "`main` returns"
//!   and "fate ends the process" happens, and the report is printed once.
//! - **fate only observes.** Values and `Err`s come back unchanged; panics keep unwinding with their
//!   own payload.
//!
//! What no library can catch, and what you see then:
//!
//! | situation | what you see |
//! |---|---|
//! | the process aborts: `std::process::abort()`, out of memory, a panic inside a panic hook, a destructor that panics while a panic unwinds | Rust's own words (for the last: both panics' messages, `panic in a destructor during cleanup`, `thread caused non-unwinding panic. aborting.`), no report, status from SIGABRT |
//! | `panic = "abort"` | the report (fate's panic hook prints it), then SIGABRT; no grace period |
//! | a stack overflow in a worker | `thread '<name>' has overflowed its stack`, `fatal runtime error: stack overflow`, SIGABRT: name your threads |
//! | `std::process::exit(n)` in a worker | the process ends at once with status `n`: no report, no destructors; return an `Err` instead |
//! | a worker stuck in an infinite loop, a deadlock or a blocking read | no failure, so nothing happens (with `wait`, `main` waits for it); if another worker fails, the program still ends after the grace period, cutting the stuck thread off. Check `fate::is_cancelled()` in long loops |
//! | the body still blocked when fate ends the process | `process::exit(1)`: nothing the body or other threads hold is dropped (buffers, temp files); flush on cancellation, or let the body return within the grace period |
//! | non-`'static` state | `Supervisor::run` and `fate::spawn` need `'static` closures (compile error E0373 otherwise); supervised functions themselves may borrow, and workers in `std::thread::scope` under a supervised `main` are supervised |
//! | a supervised future made after its root ended | the plain future: its failures go nowhere, and `fate::cancelled()` in it never completes |
//!
//! Under the test harness, libtest installs a panic hook of its own, which fate keeps running: a
//! reported panic's message then goes into the test's captured output, shown only if the test fails.
//!
//! # What fate decided where Rust leaves a choice
//!
//! - With an `anyhow::Error` or `eyre::Report` `main`, the report is printed by that
//!   crate: the summary line and the error chain. On stable Rust it cannot see the
//!   panic's backtrace (it prints one of its own, taken where the report was converted),
//!   nor the thread and the later failures; [`Error`]'s own accessors still have them.
//! - Whether a panic's backtrace is captured follows `RUST_BACKTRACE`, as Rust's panic
//!   message does; when it is not set, `RUST_LIB_BACKTRACE`.
//! - A function named `main` without `self` is the root, even in an `impl` block.
//! - A `#[track_caller]` worker keeps reporting panics at its caller's location; its
//!   body cannot be wrapped in a closure, so fate does not see an `Err` it returns.
//! - One trailing comma in the options is fine; an empty option (`wait,,`) is an error.
//! - An `Err` passed up with `?` through supervised callers is one failure, reported
//!   for the innermost worker: a worker's `Err` is not counted when a supervised call
//!   inside it (on the same thread, or in the same future) already failed.
//! - A `fate::spawn`ed closure's worker is named after the place of the call
//!   (``fate::spawn at src/main.rs:12:5``); only its panics are reported (its value is
//!   not inspected for `Err`).
//! - A [`Supervisor`]'s body is the worker named `body`.
//! - Roots that are not `main` ([`Supervisor`]) print nothing: the caller gets the
//!   [`Error`].
//! - [`wait_cancelled`] with no root active sleeps for its timeout and returns
//!   `false`: nothing can cancel it.
//! - A failure that happens after the report was made (`main` already returning) is
//!   not part of it; its panic message is printed the usual way.
//! - Under `panic = "abort"`, nothing unwinds: fate's hook prints the report naming
//!   the worker, then the process aborts; a grace period cannot apply.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Supervises `fn main` (the root) or a worker function.
///
/// See the [crate documentation](crate) for what it does, its options
/// (`name = "..."`, `grace = "..."`, `wait`, `crate = "..."`) and what it expands to.
pub use fate_macros::supervised;

pub use fate_runtime::{
    cancelled, is_cancelled, spawn, wait_cancelled, Cancelled, Error, FailureKind, Location,
    Supervisor,
};

/// Used by the code `#[supervised]` generates. Not a public API: anything here may
/// change in any release.
#[doc(hidden)]
pub use fate_runtime::__private;

/// The README's example, compiled as a doctest so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
