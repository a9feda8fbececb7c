//! `#[supervised]` on an `async fn` worker.
//!
//! ```text
//! // Input:
//! #[fate::supervised]
//! async fn fetch(url: &str) -> Result<Page, Error> { body }
//!
//! // Output:
//! fn fetch(url: &str) -> impl ::core::future::Future<Output = Result<Page, Error>> {
//!     ::fate::__private::worker_future(
//!         "fetch",
//!         async move {
//!             if false {
//!                 return ::fate::__private::never::<Result<Page, Error>>();
//!             }
//!             let _ = &url;
//!             ...body's statements
//!         },
//!         |__fate_out| ::fate::__private::probe!(__fate_out),
//!     )
//! }
//! ```
//!
//! The function stops being `async` so that the wrapper is made when the function is
//! called: it remembers the root that is current there, even if the future is polled on
//! another thread. The returned `impl Future` captures every lifetime and type in scope,
//! as the `async fn` did (this crate is edition 2024, and so are the tokens it writes).
//! The never-taken `return` of the declared type comes first in the block, so that the
//! block's output type is known before the body is checked: coercions such as
//! `Box::new(e)` into `Box<dyn Error>` work as in the `async fn`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ReturnType;
use syn::spanned::Spanned;

use super::private_ident;
use super::types;
use crate::args::Args;
use crate::item::ItemFn;
use crate::signature::{FnArg, Pat, Signature};

pub(super) fn expand(item: &ItemFn, args: &Args, krate: &TokenStream) -> TokenStream {
    let attrs = item.all_attrs();
    let vis = &item.vis;
    let mut sig = item.sig.clone();
    // Located at `async`, but with the macro's hygiene: its edition (2024) decides
    // what the `impl Future` captures.
    let async_span = proc_macro2::Span::call_site().located_at(
        sig.asyncness
            .take()
            .map_or_else(proc_macro2::Span::call_site, |a| a.span),
    );
    let name = super::worker_name(&sig, args);
    let output = match &sig.output {
        ReturnType::Default => quote_spanned!(async_span=> ()),
        ReturnType::Type(_, ty) => quote!(#ty),
    };
    let never_an_error = types::never_an_error(&sig.output);
    let fake_return = match &sig.output {
        ReturnType::Type(_, ty)
            if !matches!(**ty, syn::Type::Never(_) | syn::Type::ImplTrait(_)) =>
        {
            let ty = types::closure_return_type(ty);
            quote_spanned! {ty.span()=>
                if false {
                    return #krate::__private::never::<#ty>();
                }
            }
        }
        _ => TokenStream::new(),
    };
    sig.output = syn::parse_quote_spanned! {async_span=>
        -> impl ::core::future::Future<Output = #output>
    };
    let moved_in = move_arguments_in(&mut sig);
    // The body's statements go straight into the block (a nested block as its tail
    // would be warned about by `unused_braces`).
    let statements = item.body.stream();
    let future = quote!(async move { #fake_return #moved_in #statements });
    let call = if args.restart.is_some() {
        // Each attempt is a new `async` block, made from fresh clones of the arguments.
        let clones = super::policy::clone_arguments(&mut sig);
        let policy = super::policy::policy(args, krate);
        let inspect = if never_an_error {
            quote!(#krate::__private::never_an_error)
        } else {
            let out = private_ident("__fate_out");
            quote!(|#out| #krate::__private::probe!(#out))
        };
        let criticality = super::policy::criticality(args, krate);
        quote! {
            #krate::__private::worker_future_restarting(
                #name,
                #policy,
                #criticality,
                move || { #clones #future },
                #inspect,
            )
        }
    } else if args.not_critical() {
        let inspect = if never_an_error {
            quote!(#krate::__private::never_an_error)
        } else {
            let out = private_ident("__fate_out");
            quote!(|#out| #krate::__private::probe!(#out))
        };
        quote!(#krate::__private::worker_future_not_critical(#name, #future, #inspect))
    } else if never_an_error {
        quote!(#krate::__private::worker_future_plain(#name, #future))
    } else {
        let out = private_ident("__fate_out");
        quote! {
            #krate::__private::worker_future(#name, #future, |#out| #krate::__private::probe!(#out))
        }
    };
    let call = super::policy::watch(args, krate, &sig, super::policy::Flavor::Async, call);
    let block = super::block_at(call, &item.body);
    quote! {
        #attrs
        #vis #sig #block
    }
}

/// Makes every argument live as long as the future, as in an `async fn`, where even
/// an argument the body never mentions is dropped only when the future is (a semaphore
/// permit passed in, say). An `async move` block takes only what it mentions, so each
/// argument is moved in by name first (a pattern argument is renamed `__fate_argN` in
/// the signature and destructured inside), and `self` is mentioned.
///
/// Returns the statements that open the `async` block (`let _ = &x;` for an argument
/// bound by name); rewrites the signature's other patterns.
fn move_arguments_in(sig: &mut Signature) -> TokenStream {
    let mut statements = TokenStream::new();
    for (index, input) in sig.inputs.iter_mut().enumerate() {
        match input {
            FnArg::Receiver(receiver) => {
                let self_token = &receiver.self_token;
                statements.extend(quote!(let _ = &#self_token;));
            }
            FnArg::Typed(typed) => match &mut typed.pat {
                Pat::Binding { ident, .. } => {
                    // Mentioned, so moved in; not rebound (no shadowing lints).
                    statements.extend(quote!(let _ = &#ident;));
                }
                pattern @ Pat::Other(_) => {
                    let arg = private_ident(&format!("__fate_arg{index}"));
                    let original = std::mem::replace(pattern, Pat::binding(arg.clone()));
                    statements.extend(quote!(let #arg = #arg; let #original = #arg;));
                }
            },
        }
    }
    statements
}
