//! The runtime of [fate](https://docs.rs/fate): roots, the supervised call, the panic
//! hook, the report and the process exit.
//!
//! Use it through the `fate` crate, which re-exports everything public here next to the
//! `#[supervised]` attribute. The module that generated code calls, [`__private`], is
//! not a public API.
//!
//! The modules are layers, each importing only those below it (ARCHITECTURE.md):
//! `sync`, `clock`, `stderr`, `timer`, `health` (which workers are stalled now),
//! `systemd` (its notifications) → `report` (what a failure is) → `alerts` (the
//! failure hooks) → `root` (one root's state) → `context` (the process root and the
//! one thread-local) → `ending` (a root that ends the process) → `hook` (the panic
//! hook) → `outcome` (is a value an `Err`) → `worker` (the supervised call) →
//! `future`, `cancel` → `restart`, `stall` (the policies) → `status` → `supervisor`, `scope`,
//! `testing`, `exit` → `__private`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod alerts;
mod cancel;
mod clock;
mod context;
mod ending;
mod exit;
mod future;
mod health;
mod hook;
#[doc(hidden)]
pub mod outcome;
mod report;
mod restart;
mod root;
mod scope;
#[cfg(all(feature = "signals", unix))]
mod signals;
mod stall;
mod status;
mod stderr;
mod supervisor;
mod sync;
mod systemd;
mod testing;
mod timer;
mod worker;

#[cfg(all(test, fate_loom))]
mod loom_models;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use alerts::on_failure;
pub use cancel::{cancel, cancelled, is_cancelled, wait_cancelled, Cancelled};
pub use report::{Disposition, Error, FailureKind, Location};
pub use scope::{scope, Scope, ScopedJoinHandle};
pub use stall::heartbeat;
pub use status::{status, Status, WorkerStatus};
pub use supervisor::Supervisor;
pub use systemd::ready;
pub use worker::spawn;
