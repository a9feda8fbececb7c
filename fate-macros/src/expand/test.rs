//! `#[fate::test]`.
//!
//! ```text
//! // Input:
//! #[fate::test(timeout = "10s")]
//! fn drains_the_queue() -> Result<(), Error> { body }
//!
//! // Output:
//! #[::core::prelude::v1::test]
//! fn drains_the_queue() {
//!     ::fate::__private::run_test(
//!         ::fate::__private::TestOptions {
//!             grace: ::core::time::Duration::from_millis(0),
//!             wait: false,
//!             timeout: ::core::option::Option::Some(::core::time::Duration::from_millis(10000)),
//!             all_panics: false,
//!             body: ::fate::__private::MainBody::Whole,
//!         },
//!         "drains_the_queue",
//!         move || -> Result<(), Error> { body },
//!     )
//! }
//! ```
//!
//! The body becomes a closure that `run_test` runs on a thread of its own, so that the
//! test can fail while its body is blocked; its `Err`, like a failure, fails the test
//! (the test function itself returns `()`). The standard `#[test]` is added unless it
//! is there already. Below an executor's test attribute (`#[tokio::test]`), the `async`
//! block that attribute wrote is wrapped as in `main` (see `root.rs`).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ReturnType;
use syn::spanned::Spanned;

use super::root::wrap_executor_body;
use crate::args::Args;
use crate::item::ItemFn;

pub(super) fn expand(item: &ItemFn, args: &Args, krate: &TokenStream) -> TokenStream {
    let attrs = item.all_attrs();
    let test_attr = if item.has_std_test_attr() {
        TokenStream::new()
    } else {
        quote_spanned!(Span::call_site()=> #[::core::prelude::v1::test])
    };
    let vis = &item.vis;
    let mut sig = item.sig.clone();
    let name = syn::ext::IdentExt::unraw(&sig.ident).to_string();
    let output = std::mem::replace(&mut sig.output, ReturnType::Default);
    let (body, polled) = wrap_executor_body(&item.body, krate);
    let closure = match &output {
        ReturnType::Default => quote!(move || #body),
        ReturnType::Type(arrow, ty) => quote_spanned!(ty.span()=> move || #arrow #ty #body),
    };
    let millis = |option: &Option<crate::args::Grace>| {
        proc_macro2::Literal::u64_unsuffixed(option.as_ref().map_or(0, |grace| grace.millis))
    };
    let grace = millis(&args.grace);
    let timeout = match &args.timeout {
        Some(_) => {
            let timeout = millis(&args.timeout);
            quote!(::core::option::Option::Some(::core::time::Duration::from_millis(#timeout)))
        }
        None => quote!(::core::option::Option::None),
    };
    let wait = args.wait.is_some();
    let all_panics = args.all_panics.is_some();
    let framing = if polled { quote!(Polls) } else { quote!(Whole) };
    // Spanned on the return type: an unsupported one is reported there.
    let run_test = match &output {
        // Named: a body that diverges (`loop { .. }`) must not fall back to `!`.
        ReturnType::Default => quote!(#krate::__private::run_test::<(), _>),
        ReturnType::Type(_, ty) => {
            let krate = super::respan(krate, ty.span());
            quote_spanned!(ty.span()=> #krate::__private::run_test)
        }
    };
    let block = super::block_at(
        quote! {
            #run_test(
                #krate::__private::TestOptions {
                    grace: ::core::time::Duration::from_millis(#grace),
                    wait: #wait,
                    timeout: #timeout,
                    all_panics: #all_panics,
                    body: #krate::__private::MainBody::#framing,
                },
                #name,
                #closure,
            )
        },
        &item.body,
    );
    quote! {
        #attrs
        #test_attr
        #vis #sig #block
    }
}

/// `#[fate::test] #[tokio::test] async fn` (or any executor's test attribute): moves
/// `#[fate::test]` below the executor's attribute, which turns the test into a plain
/// `fn` that blocks on the body, as for `main` (see `root.rs`).
pub(super) fn reorder_below_runtime(
    item: &ItemFn,
    args: &TokenStream,
    krate: &TokenStream,
) -> TokenStream {
    let runtime = item
        .test_runtime_attr()
        .expect("validate rejects an async test without an executor attribute");
    super::reorder_below(item, runtime, quote!(#[#krate::test(#args)]))
}
