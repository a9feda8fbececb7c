//! fate (docs to come)
#![forbid(unsafe_code)]
#![warn(missing_docs)]
pub use fate_macros::supervised;
#[doc(hidden)]
pub use fate_runtime::__private;
pub use fate_runtime::{
    is_cancelled, spawn, wait_cancelled, Error, FailureKind, Location, Supervisor,
};
