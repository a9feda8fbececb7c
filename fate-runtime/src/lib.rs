//! The runtime of [fate](https://docs.rs/fate): the registry of roots, the supervisor,
//! the panic hook, the report and the process exit.
//!
//! Use it through the `fate` crate, which re-exports everything public here next to the
//! `#[supervised]` attribute. The module that generated code calls,
//! [`__private`], is not a public API.
//!
//! How a failure travels: a supervised call (`worker`) catches a panic (after the
//! hook in `panic` captured it) or sees an `Err` (`outcome`), and reports it to the
//! root that `registry` names for its thread; the root (`supervisor`) records the
//! first failure, cancels (`cancel`) and wakes whoever waits for it; the report is an
//! [`Error`] (`report`); for `main`, `exit` ends the process exactly once.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cancel;
mod clock;
mod exit;
mod future;
mod outcome;
mod panic;
mod registry;
mod report;
mod supervisor;
mod sync;
mod worker;

#[cfg(all(test, fate_loom))]
mod loom_models;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use cancel::{cancelled, is_cancelled, wait_cancelled, Cancelled};
pub use report::{Error, FailureKind, Location};
pub use supervisor::Supervisor;
pub use worker::spawn;
