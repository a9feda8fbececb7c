//! Telling whether a worker's return value is an `Err` to report, for any error type.
//!
//! Public only for the `probe!` macro, which expands in the user's crate; not an API.
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
use std::fmt::{self, Debug, Display, Write as _};
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};

use crate::report::{payload_message, ErrorText};

/// The longest message (and cause) kept of a returned error; the rest is cut.
const MESSAGE_LIMIT: usize = 64 * 1024;
/// The most causes of a `source()` chain shown.
const CHAIN_LIMIT: usize = 64;

/// A `fmt::Write` that keeps at most `limit` bytes, then fails (which stops the
/// formatting: an endless `Display` ends here).
struct Bounded {
    text: String,
    limit: usize,
    cut: bool,
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.limit - self.text.len();
        if s.len() <= room {
            self.text.push_str(s);
            return Ok(());
        }
        let mut end = room;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.text.push_str(&s[..end]);
        self.cut = true;
        Err(fmt::Error)
    }
}

/// Formats `value` with `format` the way a report shows it: bounded in length, and
/// neither a failing nor a panicking `Display` (or `Debug`) escapes; each says so in
/// the text instead. `what` names the trait, for that text.
fn guarded(what: &str, format: impl FnOnce(&mut Bounded) -> fmt::Result) -> String {
    let mut out = Bounded {
        text: String::new(),
        limit: MESSAGE_LIMIT,
        cut: false,
    };
    match panic::catch_unwind(AssertUnwindSafe(|| format(&mut out))) {
        // Cut, even when the `Display` went on despite the error it was given.
        Ok(_) if out.cut => out.text + " [cut at 64 KiB]",
        Ok(Ok(())) => out.text,
        Ok(Err(_)) if out.text.is_empty() => format!("(the error's `{what}` returned an error)"),
        Ok(Err(_)) => out.text + &format!(" (the error's `{what}` returned an error here)"),
        Err(payload) => {
            let message = payload_message(&*payload);
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
            format!("(the error's `{what}` panicked: {message})")
        }
    }
}

/// A `source()` call that cannot panic out.
fn source_of<'a>(
    error: &'a (dyn StdError + 'static),
) -> Result<Option<&'a (dyn StdError + 'static)>, String> {
    panic::catch_unwind(AssertUnwindSafe(|| error.source())).map_err(|payload| {
        let message = payload_message(&*payload);
        let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
        message
    })
}

/// A worker's `Err`, borrowed, as the probe found it: what it can be formatted as.
pub enum ErrorRef<'a> {
    /// A `std::error::Error`: its `Display` and its `source()` chain.
    Error(&'a (dyn StdError + 'static)),
    /// Only `Display`.
    Display(&'a dyn Display),
    /// Only `Debug`.
    Debug(&'a dyn Debug),
    /// Nothing to print: the type's name.
    Opaque(&'static str),
}

impl fmt::Debug for ErrorRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ErrorRef")
    }
}

impl ErrorRef<'_> {
    /// The error as text, bounded in length, whatever its `Display` does (see
    /// [`guarded`]). Run under `Formatting::ErrorOf`, so that the panic hook leaves a
    /// panic of the user's `Display` to the guard.
    pub(crate) fn to_returned(&self) -> ErrorText {
        match *self {
            ErrorRef::Error(error) => ErrorText::from_error(error),
            ErrorRef::Display(error) => ErrorText::from_display(error),
            ErrorRef::Debug(error) => ErrorText::from_debug(error),
            ErrorRef::Opaque(name) => ErrorText::from_message(format!("an error of type `{name}`")),
        }
    }
}

impl ErrorText {
    /// An error and its `source()` chain, as text: each `Display` bounded and
    /// guarded, the chain cut where it loops back on itself or grows too long.
    fn from_error(error: &(dyn StdError + 'static)) -> Self {
        let message = guarded("Display", |out| write!(out, "{error}"));
        let mut chain: Vec<String> = Vec::new();
        let mut chain_note = None;
        // An error seen again is the same place in memory, the same size and the same
        // text. (Not the vtable: the same type's can differ between codegen units. Nor
        // the address alone: a struct's first field has the struct's address.)
        let identity = |error: &(dyn StdError + 'static)| {
            (
                error as *const dyn StdError as *const () as usize,
                std::mem::size_of_val(error),
            )
        };
        let mut seen = vec![identity(error)];
        let mut next = source_of(error);
        loop {
            let cause = match next {
                Ok(Some(cause)) => cause,
                Ok(None) => break,
                Err(message) => {
                    chain_note = Some(format!("a `source()` panicked: {message}"));
                    break;
                }
            };
            if chain.len() == CHAIN_LIMIT {
                chain_note = Some(format!("cut after {CHAIN_LIMIT} causes"));
                break;
            }
            let text = guarded("Display", |out| write!(out, "{cause}"));
            let place = identity(cause);
            let again = seen.iter().enumerate().position(|(index, seen)| {
                *seen == place
                    && match index {
                        0 => text == message,
                        _ => text == chain[index - 1],
                    }
            });
            if let Some(index) = again {
                chain_note = Some(if index == 0 {
                    "the chain loops back to the error itself".to_owned()
                } else {
                    format!("the chain loops back to cause {}", index - 1)
                });
                break;
            }
            seen.push(place);
            chain.push(text);
            next = source_of(cause);
        }
        ErrorText {
            message,
            chain,
            chain_note,
        }
    }

    fn from_display(error: &dyn Display) -> Self {
        ErrorText::from_message(guarded("Display", |out| write!(out, "{error}")))
    }

    fn from_debug(error: &dyn Debug) -> Self {
        ErrorText::from_message(guarded("Debug", |out| write!(out, "{error:?}")))
    }

    fn from_message(message: String) -> Self {
        ErrorText {
            message,
            chain: Vec::new(),
            chain_note: None,
        }
    }
}

/// A borrowed return value, to be probed by [`probe!`](crate::__fate_probe), which puts
/// it behind as many references as there are tiers.
pub struct Probe<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for Probe<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Probe<'_, T> {}

/// `probe!(value)`: the `Err` in `value: &R`, if `R` is a `Result` (an
/// `Option<ErrorRef>`). Generated code calls it as `::fate::__private::probe!(..)`; it
/// lives here, next to the tiers, because the number of `&` must be the number of
/// tiers below (tier 1 is behind six references, tier 7 behind none).
#[doc(hidden)]
#[macro_export]
macro_rules! __fate_probe {
    ($value:expr) => {{
        #[allow(unused_imports)]
        use $crate::outcome::*;
        (&&&&&&$crate::outcome::Probe($value)).__fate_returned()
    }};
}

macro_rules! tiers {
    ($( $(#[$doc:meta])* $tier:ident for $receiver:ty where [$($bound:tt)*] |$error:ident| $make:expr; )*) => {$(
        $(#[$doc])*
        pub trait $tier<'a> {
            /// The `Err` to report, if the value is one.
            fn __fate_returned(self) -> Option<ErrorRef<'a>>;
        }

        impl<'a, T, E> $tier<'a> for $receiver where $($bound)* {
            #[inline]
            fn __fate_returned(self) -> Option<ErrorRef<'a>> {
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
    SendSyncDynError for &&&&&&Probe<'a, Result<T, E>>
        where [E: Deref<Target = dyn StdError + Send + Sync + 'static>]
        |error| ErrorRef::Error(&**error);
    /// Tier 2: errors that deref to `dyn Error` (`Box<dyn Error>`).
    DynError for &&&&&Probe<'a, Result<T, E>>
        where [E: Deref<Target = dyn StdError + 'static>]
        |error| ErrorRef::Error(&**error);
    /// Tier 3: `std::error::Error` types.
    StdErrorType for &&&&Probe<'a, Result<T, E>>
        where [E: StdError + 'static]
        |error| ErrorRef::Error(error);
    /// Tier 4: errors that are only `Display`.
    DisplayError for &&&Probe<'a, Result<T, E>>
        where [E: Display]
        |error| ErrorRef::Display(error);
    /// Tier 5: errors that are only `Debug`.
    DebugError for &&Probe<'a, Result<T, E>>
        where [E: Debug]
        |error| ErrorRef::Debug(error);
    /// Tier 6: errors that cannot be printed.
    OpaqueError for &Probe<'a, Result<T, E>>
        where []
        |_error| ErrorRef::Opaque(std::any::type_name::<E>());
}

/// Tier 7: values that are not a `Result`.
pub trait NotAResult<'a> {
    /// Always `None`.
    fn __fate_returned(self) -> Option<ErrorRef<'a>>;
}

impl<'a, T: ?Sized> NotAResult<'a> for Probe<'a, T> {
    #[inline]
    fn __fate_returned(self) -> Option<ErrorRef<'a>> {
        None
    }
}
