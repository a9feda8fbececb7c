//! End-to-end tests of fate (issue 8): programs in `src/bin/`, run as child processes
//! by the tests in `tests/` (one file per behaviour), which find them with
//! `env!("CARGO_BIN_EXE_<name>")`. `tests/` also holds fate's other tests that need
//! more than std (in-process ones under `Supervisor` roots, tokio, the stress test, the
//! UI cases), and this library the README's examples as doctests: the facade has no
//! dev-dependencies.
//!
//! ```sh
//! cargo test -j1 -p fate-tests                       # races: FATE_ROUNDS=100 rounds
//! FATE_ROUNDS=500 cargo test -j1 -p fate-tests       # for the record
//! cargo test -j1 -p fate-tests --no-default-features # without the io::Result and
//!                                                    # String mains (item 15)
//! ```
//!
//! Race tests print `<name>: <bad>/<rounds> bad` and the reasons on stderr (shown
//! with `-- --nocapture`, or when they fail). `tests/panic_abort.rs` builds
//! the `abort_*` programs once more, with the `fixture-abort` profile, under
//! `target/fixture-abort-build`.
//!
//! This library is what the programs share: hostile error types, a few async workers,
//! and the scenarios of the two tokio programs (which differ only in the order of
//! their attributes).

use std::error::Error;
use std::fmt;
use std::time::Duration;

/// An error whose `Display` fails (returns `fmt::Error`).
#[derive(Debug)]
pub struct BadDisplay;

impl fmt::Display for BadDisplay {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Err(fmt::Error)
    }
}

impl Error for BadDisplay {}

/// An error whose `Display` panics.
#[derive(Debug)]
pub struct PanickyDisplay;

impl fmt::Display for PanickyDisplay {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("this Display panics")
    }
}

impl Error for PanickyDisplay {}

/// An error that is its own `source()`: the chain never ends.
#[derive(Debug)]
pub struct Ouroboros;

impl fmt::Display for Ouroboros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("I am my own cause")
    }
}

impl Error for Ouroboros {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(self)
    }
}

/// Returns an error whose `Display` fails.
#[fate::supervised]
pub fn returns_bad_display() -> Result<(), BadDisplay> {
    Err(BadDisplay)
}

/// Returns an error whose `Display` panics.
#[fate::supervised]
pub fn returns_panicky_display() -> Result<(), PanickyDisplay> {
    Err(PanickyDisplay)
}

/// Returns an error that is its own source.
#[fate::supervised]
pub fn returns_ouroboros() -> Result<(), Ouroboros> {
    Err(Ouroboros)
}

/// The async version of [`returns_bad_display`].
#[fate::supervised]
pub async fn returns_bad_display_async() -> Result<(), BadDisplay> {
    tokio::task::yield_now().await;
    Err(BadDisplay)
}

/// The async version of [`returns_panicky_display`].
#[fate::supervised]
pub async fn returns_panicky_display_async() -> Result<(), PanickyDisplay> {
    tokio::task::yield_now().await;
    Err(PanickyDisplay)
}

/// A supervised future that never completes: once polled, it is a running worker.
#[fate::supervised]
pub async fn idle() {
    std::future::pending::<()>().await
}

/// The scenarios of `tokio_above` and `tokio_below` (current-thread runtime), by name.
pub async fn tokio_scenario(scenario: &str) -> Result<(), fate::Error> {
    match scenario {
        // A detached supervised task returns an Err whose Display fails / panics;
        // the body waits forever.
        "display_error" => {
            tokio::spawn(returns_bad_display_async());
            std::future::pending().await
        }
        "display_panic" => {
            tokio::spawn(returns_panicky_display_async());
            std::future::pending().await
        }
        // A plain (unsupervised) task panics; tokio catches it. The body sleeps 1 s and
        // returns Ok: Rust's message must be printed when the panic happens.
        "unsupervised_panic" => {
            eprintln!("spawning the task");
            tokio::spawn(async { panic!("an unsupervised task panicked") });
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(())
        }
        other => unknown(other),
    }
}

/// Ends a program given a scenario it does not know (status 64).
pub fn unknown(scenario: &str) -> ! {
    eprintln!("unknown scenario {scenario:?}");
    std::process::exit(64)
}

/// The scenario: the program's first argument.
pub fn scenario() -> String {
    std::env::args().nth(1).unwrap_or_default()
}

/// The program's argument number `n` (1 is the scenario) as a number, or `default`.
pub fn number_arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .map(|arg| arg.parse().expect("a number"))
        .unwrap_or(default)
}

/// Blocks the calling thread forever.
pub fn block_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// Sleeps as it is dropped (slow unwinding).
pub struct SlowDrop(pub Duration);

impl Drop for SlowDrop {
    fn drop(&mut self) {
        std::thread::sleep(self.0);
    }
}

/// Sends `()` as it is dropped: declared after a [`SlowDrop`], it is dropped first, so
/// the receiver learns that the panic has started and the unwinding is under way.
pub struct Signal(pub std::sync::mpsc::Sender<()>);

impl Drop for Signal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// The README's examples, compiled as doctests so that they stay true. They are here,
/// not in the facade, because the async one needs tokio, which the facade has no
/// dependency on.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
