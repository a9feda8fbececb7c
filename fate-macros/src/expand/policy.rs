//! The policy options of a worker: `restart = N` (the body becomes a closure the
//! runtime calls once per attempt, each time with fresh clones of the arguments),
//! `critical = false`, and the budgets `stall` and `max_poll` (the supervised call or
//! future wrapped in a watch).
//!
//! ```text
//! // Input:
//! #[fate::supervised(restart = 3, backoff = "100ms")]
//! fn fetch(url: &str, mut tries: Tries, (a, b): (u8, u8)) -> Result<Page, Error> { body }
//!
//! // Output:
//! fn fetch(url: &str, tries: Tries, __fate_arg2: (u8, u8)) -> Result<Page, Error> {
//!     ::fate::__private::worker_restarting(
//!         "fetch",
//!         ::fate::__private::RestartPolicy { times: 3, within: .., backoff: .., max_backoff: .. },
//!         move || -> Result<Page, Error> {
//!             let url = ::core::clone::Clone::clone(&url);
//!             let mut tries = ::core::clone::Clone::clone(&tries);
//!             let __fate_arg2 = ::core::clone::Clone::clone(&__fate_arg2);
//!             let (a, b) = __fate_arg2;
//!             ...body's statements
//!         },
//!         |__fate_out| ::fate::__private::probe!(__fate_out),
//!     )
//! }
//! ```
//!
//! Each clone is spanned on its argument, so a type that is not `Clone` is reported
//! there. A `&mut T` argument is reborrowed instead (`let x = &mut *x;`), and `self`
//! (by reference) is used as it is.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use super::private_ident;
use crate::args::Args;
use crate::signature::{FnArg, Pat, Signature};

/// How long `within` is when it is not set.
const DEFAULT_WITHIN_MS: u64 = 5000;

/// The `RestartPolicy` the options describe.
pub(super) fn policy(args: &Args, krate: &TokenStream) -> TokenStream {
    let restart = args.restart.as_ref().expect("only called with `restart`");
    let times = proc_macro2::Literal::u32_unsuffixed(restart.times);
    let millis = |ms: u64| {
        let ms = proc_macro2::Literal::u64_unsuffixed(ms);
        quote!(::core::time::Duration::from_millis(#ms))
    };
    let within = millis(args.within.as_ref().map_or(DEFAULT_WITHIN_MS, |w| w.millis));
    let backoff = millis(args.backoff.as_ref().map_or(0, |b| b.millis));
    let max_backoff = match &args.max_backoff {
        Some(max) => millis(max.millis),
        None => quote!(#krate::__private::DEFAULT_MAX_BACKOFF),
    };
    quote! {
        #krate::__private::RestartPolicy {
            times: #times,
            within: #within,
            backoff: #backoff,
            max_backoff: #max_backoff,
        }
    }
}

/// The worker's `Criticality` (`critical = false`, or the default).
pub(super) fn criticality(args: &Args, krate: &TokenStream) -> TokenStream {
    if args.not_critical() {
        quote!(#krate::__private::Criticality::NotCritical)
    } else {
        quote!(#krate::__private::Criticality::Critical)
    }
}

/// Rewrites the signature for a body that runs more than once, and returns the
/// statements that open each attempt: a clone of every argument bound by name (a
/// pattern argument is renamed `__fate_argN` in the signature first, cloned, then
/// destructured), so that each attempt starts from the arguments the caller passed.
pub(super) fn clone_arguments(sig: &mut Signature) -> TokenStream {
    let mut clones = TokenStream::new();
    let mut destructured = TokenStream::new();
    for (index, input) in sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(typed) = input else {
            // `&self` or `&mut self`: captured by the closure, used by every attempt.
            continue;
        };
        if let Pat::Other(pattern) = &typed.pat {
            if pattern.to_string() == "_" {
                continue;
            }
            let arg = private_ident(&format!("__fate_arg{index}"));
            let original = std::mem::replace(&mut typed.pat, Pat::binding(arg.clone()));
            destructured.extend(quote!(let #original = #arg;));
        }
        let Pat::Binding { mutability, ident } = &mut typed.pat else {
            unreachable!("renamed above");
        };
        // The clone is the attempt's to change; the caller's value is not.
        let mutability = mutability.take();
        let ty = &typed.ty;
        let value = match &**ty {
            Type::Reference(reference) if reference.mutability.is_some() => {
                quote_spanned!(ty.span()=> &mut *#ident)
            }
            _ => quote_spanned!(ty.span()=> ::core::clone::Clone::clone(&#ident)),
        };
        clones.extend(quote!(let #mutability #ident = #value;));
    }
    clones.extend(destructured);
    clones
}

/// What the expansion of a worker is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavor {
    /// A supervised call.
    Sync,
    /// A supervised future.
    Async,
}

/// The supervised call (sync) or future (async) `call`, inside the watches that
/// `stall = ".."` and `max_poll = ".."` ask for; `call` itself when neither is set.
pub(super) fn watch(
    args: &Args,
    krate: &TokenStream,
    sig: &Signature,
    flavor: Flavor,
    call: TokenStream,
) -> TokenStream {
    let (stall, max_poll) = (args.stall.as_ref(), args.max_poll.as_ref());
    if stall.is_none() && max_poll.is_none() {
        return call;
    }
    let name = super::worker_name(sig, args);
    let criticality = criticality(args, krate);
    // Spanned on the function's name: the location a report names before any heartbeat.
    let site = quote_spanned!(sig.ident.span()=> ::core::panic::Location::caller());
    let millis = |ms: u64| {
        let ms = proc_macro2::Literal::u64_unsuffixed(ms);
        quote!(::core::time::Duration::from_millis(#ms))
    };
    let mut call = call;
    if flavor == Flavor::Async {
        if let Some(max_poll) = max_poll {
            let budget = millis(max_poll.millis);
            call = quote! {
                #krate::__private::max_poll_future(#name, #budget, #site, #criticality, #call)
            };
        }
        if let Some(stall) = stall {
            let budget = millis(stall.millis);
            call = quote! {
                #krate::__private::watched_future(#name, #budget, #site, #criticality, #call)
            };
        }
    } else if let Some(stall) = stall {
        let budget = millis(stall.millis);
        call = quote! {
            #krate::__private::watched(#name, #budget, #site, #criticality, move || #call)
        };
    }
    call
}
