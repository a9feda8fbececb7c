//! Telling whether a worker's return value is an `Err` to report, for any error type.
//!
//! Rust has no specialization, so the choice is made where the type is known: in the
//! code the macro generates, by method resolution over [`Probe`] behind a decreasing
//! number of references ("autoref specialization"). The first tier whose bounds hold
//! wins:
//!
//! | tier | return type | message | `source()` chain |
//! |---|---|---|---|
//! | 1 | `Result<T, E>`, `E: Deref<Target = dyn Error + Send + Sync>` (`anyhow::Error`, `eyre::Report`, `Box<dyn Error + Send + Sync>`) | `Display` | yes |
//! | 2 | `Result<T, E>`, `E: Deref<Target = dyn Error>` (`Box<dyn Error>`) | `Display` | yes |
//! | 3 | `Result<T, E>`, `E: Error` | `Display` | yes |
//! | 4 | `Result<T, E>`, `E: Display` | `Display` | no |
//! | 5 | `Result<T, E>`, `E: Debug` | `Debug` | no |
//! | 6 | `Result<T, E>` | the type's name | no |
//! | 7 | anything else | never reported | |
//!
//! Aliases (`io::Result`, `anyhow::Result`, a user's own) are the same types, so they
//! are covered. A type that is only *generically* a `Result` (a function returning a
//! type parameter `T`) is not seen as one.

use std::error::Error as StdError;
use std::fmt::{Debug, Display};
use std::ops::Deref;

use crate::report::{Failure, FailureKind};

/// An `Err` a worker returned, as text.
#[derive(Debug)]
pub struct Returned {
    message: String,
    chain: Vec<String>,
}

impl Returned {
    fn from_error(error: &(dyn StdError + 'static)) -> Self {
        let mut chain = Vec::new();
        let mut next = error.source();
        while let Some(cause) = next {
            chain.push(cause.to_string());
            next = cause.source();
        }
        Returned {
            message: error.to_string(),
            chain,
        }
    }

    fn from_message(message: String) -> Self {
        Returned {
            message,
            chain: Vec::new(),
        }
    }

    pub(crate) fn into_failure(self, worker: std::borrow::Cow<'static, str>) -> Failure {
        Failure {
            seq: crate::report::next_seq(),
            worker,
            kind: FailureKind::Error,
            message: self.message,
            chain: self.chain,
            location: None,
            thread: std::thread::current().name().map(str::to_owned),
            backtrace: None,
        }
    }
}

/// A borrowed return value, to be probed. Generated code writes
/// `(&&&&&&Probe(&value)).__fate_returned()` with the tier traits in scope.
pub struct Probe<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for Probe<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Probe<'_, T> {}

macro_rules! tiers {
    ($( $(#[$doc:meta])* $tier:ident for $receiver:ty where [$($bound:tt)*] |$error:ident| $make:expr; )*) => {$(
        $(#[$doc])*
        pub trait $tier {
            /// The `Err` to report, if the value is one.
            fn __fate_returned(self) -> Option<Returned>;
        }

        impl<T, E> $tier for $receiver where $($bound)* {
            #[inline]
            fn __fate_returned(self) -> Option<Returned> {
                match self.0 {
                    Ok(_) => None,
                    Err($error) => Some($make),
                }
            }
        }
    )*};
}

tiers! {
    /// Tier 1: errors that deref to `dyn Error + Send + Sync` (`anyhow`, `eyre`, boxed).
    SendSyncDynError for &&&&&&Probe<'_, Result<T, E>>
        where [E: Deref<Target = dyn StdError + Send + Sync + 'static>]
        |error| Returned::from_error(&**error);
    /// Tier 2: errors that deref to `dyn Error` (`Box<dyn Error>`).
    DynError for &&&&&Probe<'_, Result<T, E>>
        where [E: Deref<Target = dyn StdError + 'static>]
        |error| Returned::from_error(&**error);
    /// Tier 3: `std::error::Error` types.
    StdErrorType for &&&&Probe<'_, Result<T, E>>
        where [E: StdError + 'static]
        |error| Returned::from_error(error);
    /// Tier 4: errors that are only `Display`.
    DisplayError for &&&Probe<'_, Result<T, E>>
        where [E: Display]
        |error| Returned::from_message(error.to_string());
    /// Tier 5: errors that are only `Debug`.
    DebugError for &&Probe<'_, Result<T, E>>
        where [E: Debug]
        |error| Returned::from_message(format!("{error:?}"));
    /// Tier 6: errors that cannot be printed.
    OpaqueError for &Probe<'_, Result<T, E>>
        where []
        |_error| Returned::from_message(format!("an error of type `{}`", std::any::type_name::<E>()));
}

/// Tier 7: values that are not a `Result`.
pub trait NotAResult {
    /// Always `None`.
    fn __fate_returned(self) -> Option<Returned>;
}

impl<T: ?Sized> NotAResult for Probe<'_, T> {
    #[inline]
    fn __fate_returned(self) -> Option<Returned> {
        None
    }
}
