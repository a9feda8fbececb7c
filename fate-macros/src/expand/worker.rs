//! `#[supervised]` on a worker function.
//!
//! ```text
//! // Input:
//! #[fate::supervised]
//! fn consume(rx: Receiver<Job>) -> io::Result<()> { body }
//!
//! // Output:
//! fn consume(rx: Receiver<Job>) -> io::Result<()> {
//!     ::fate::__private::worker(
//!         "consume",
//!         move || -> io::Result<()> { body },
//!         |__fate_out| ::fate::__private::probe!(__fate_out),
//!     )
//! }
//! ```
//!
//! The closure takes the arguments (and `self`) by move, as the function body owned
//! them. Its return type is written out, so that coercions and `?` in the body work as
//! in the function; an `impl Trait` in it, which a closure cannot name, becomes `_`
//! (`Result<impl Iterator, E>` → `Result<_, E>`). A function whose value can never be
//! an error (no return type, `()`, `!`) skips the inspection:
//! `::fate::__private::worker_plain("produce", move || body)`. One that returns
//! `impl Trait` needs no closure at all: a guard is bound first and the body stays in
//! place, so inference (a returned closure's higher-ranked signature, say) works
//! exactly as in the plain function. The guard sees a panic only as it unwinds past,
//! without its payload; the message comes from fate's panic hook.
//!
//! A `#[track_caller]` function takes the guard path too, since a closure would lose
//! the caller's location; its panics are reported, but not an `Err` it returns.
//!
//! ```text
//! fn greeter(name: String) -> impl Fn(&str) -> String {
//!     let __fate_worker = ::fate::__private::enter("greeter");
//!     move |greeting| format!("{greeting}, {name}")
//! }
//! ```

use proc_macro2::TokenStream;
use quote::quote;
use syn::ReturnType;

use super::private_ident;
use super::types;
use crate::args::Args;
use crate::item::ItemFn;

pub(super) fn expand(item: &ItemFn, args: &Args, krate: &TokenStream) -> TokenStream {
    let attrs = item.all_attrs();
    let vis = &item.vis;
    let sig = &item.sig;
    let body = item.body_tokens();
    let name = super::worker_name(sig, args);
    if args.restart.is_some() {
        return restarting(item, args, krate, name);
    }
    let call = if let (ReturnType::Type(arrow, ty), false, false) = (
        &sig.output,
        types::never_an_error(&sig.output),
        item.has_track_caller(),
    ) {
        let ty = types::closure_return_type(ty);
        let closure = quote!(move || #arrow #ty #body);
        let out = private_ident("__fate_out");
        let worker = if args.not_critical() {
            quote!(worker_not_critical)
        } else {
            quote!(worker)
        };
        quote! {
            #krate::__private::#worker(#name, #closure, |#out| #krate::__private::probe!(#out))
        }
    } else if returns_impl_trait(&sig.output) || item.has_track_caller() {
        // The body's statements go in the function's block, after the guard (a nested
        // block would be the tail expression, which `unused_braces` warns about).
        let guard = private_ident("__fate_worker");
        let statements = item.body.stream();
        let enter = if args.not_critical() {
            quote!(enter_not_critical)
        } else {
            quote!(enter)
        };
        quote! {
            let #guard = #krate::__private::#enter(#name);
            #statements
        }
    } else {
        // The return type is still written on the closure, for coercions in the body.
        let closure = match &sig.output {
            ReturnType::Type(arrow, ty) => {
                let ty = types::closure_return_type(ty);
                quote!(move || #arrow #ty #body)
            }
            ReturnType::Default => quote!(move || #body),
        };
        if args.not_critical() {
            quote! {
                #krate::__private::worker_not_critical(
                    #name,
                    #closure,
                    #krate::__private::never_an_error,
                )
            }
        } else {
            quote!(#krate::__private::worker_plain(#name, #closure))
        }
    };
    let call = super::policy::watch(args, krate, sig, super::policy::Flavor::Sync, call);
    let block = super::block_at(call, &item.body);
    quote! {
        #attrs
        #vis #sig #block
    }
}

/// `restart = N`: the body as a closure called once per attempt (see `restart.rs`).
fn restarting(item: &ItemFn, args: &Args, krate: &TokenStream, name: TokenStream) -> TokenStream {
    let attrs = item.all_attrs();
    let vis = &item.vis;
    let mut sig = item.sig.clone();
    let clones = super::policy::clone_arguments(&mut sig);
    let policy = super::policy::policy(args, krate);
    let statements = item.body.stream();
    let closure = match &sig.output {
        ReturnType::Type(arrow, ty) => {
            let ty = types::closure_return_type(ty);
            quote!(move || #arrow #ty { #clones #statements })
        }
        ReturnType::Default => quote!(move || { #clones #statements }),
    };
    let inspect = if types::never_an_error(&sig.output) {
        quote!(#krate::__private::never_an_error)
    } else {
        let out = private_ident("__fate_out");
        quote!(|#out| #krate::__private::probe!(#out))
    };
    let criticality = super::policy::criticality(args, krate);
    let call = quote! {
        #krate::__private::worker_restarting(#name, #policy, #criticality, #closure, #inspect)
    };
    let call = super::policy::watch(args, krate, &sig, super::policy::Flavor::Sync, call);
    let block = super::block_at(call, &item.body);
    quote! {
        #attrs
        #vis #sig #block
    }
}

fn returns_impl_trait(output: &ReturnType) -> bool {
    matches!(output, ReturnType::Type(_, ty) if matches!(**ty, syn::Type::ImplTrait(_)))
}
