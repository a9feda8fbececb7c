//! The `#[supervised]` attribute of [fate](https://docs.rs/fate). Use it through the
//! `fate` crate, whose documentation describes it; this crate holds only the macro.
//!
//! The macro is a pipeline, one module a stage: `item` parses the function (the body
//! stays raw tokens; `signature` is its signature, parsed without syn's `full`
//! feature), `args` parses the options, `validate` checks the pair and
//! collects every misuse, and `expand` writes the supervised function, calling into
//! the runtime through `::fate::__private`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod expand;
mod item;
mod signature;
mod validate;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Supervises a function; see the `fate` crate's documentation.
#[proc_macro_attribute]
pub fn supervised(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::supervised(args.into(), item.into()).into()
}

/// A test supervised as a root; see the `fate` crate's documentation.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::test(args.into(), item.into()).into()
}
