//! `#[supervised] fn main`.
//!
//! ```text
//! // Input:
//! #[fate::supervised(grace = "2s")]
//! fn main() -> Result<(), fate::Error> { body }
//!
//! // Output:
//! fn main() -> Result<(), fate::Error> {
//!     ::fate::__private::run_main::<Result<(), fate::Error>, _>(
//!         ::fate::__private::MainOptions { grace: ::core::time::Duration::from_millis(2000), wait: false },
//!         || { body },
//!     )
//! }
//! ```
//!
//! The body stays on the main thread (`run_main` calls the closure there), so
//! thread-locals, GUI toolkits and non-`Send` return types keep working.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ReturnType;
use syn::spanned::Spanned;

use crate::args::Args;
use crate::item::ItemFn;

pub(super) fn expand(item: &ItemFn, args: &Args, krate: &TokenStream) -> TokenStream {
    let attrs = item.all_attrs();
    let vis = &item.vis;
    let sig = &item.sig;
    let body = item.body_tokens();
    let options = if args.grace.is_none() && args.wait.is_none() {
        quote!(#krate::__private::MainOptions::default())
    } else {
        let millis = proc_macro2::Literal::u64_unsuffixed(
            args.grace.as_ref().map_or(0, |grace| grace.millis),
        );
        let wait = args.wait.is_some();
        quote! {
            #krate::__private::MainOptions {
                grace: ::core::time::Duration::from_millis(#millis),
                wait: #wait,
            }
        }
    };
    let closure = quote!(|| #body);
    // `R` named and spanned on the return type: an unsupported type is reported there,
    // and the closure's return type is known before its body is checked.
    let run_main = match &sig.output {
        ReturnType::Default => quote!(#krate::__private::run_main),
        ReturnType::Type(_, ty) => {
            let krate = super::respan(krate, ty.span());
            quote_spanned!(ty.span()=> #krate::__private::run_main::<#ty, _>)
        }
    };
    quote! {
        #attrs
        #vis #sig {
            #run_main(#options, #closure)
        }
    }
}

/// `#[supervised] #[tokio::main] async fn main` (or any executor's `main` attribute):
/// moves `#[supervised]` below the executor's attribute, which then turns the function
/// into a plain `fn main` that blocks on the body, and that is supervised like any
/// sync `main`. The body's future runs inside the root, on the main thread.
///
/// ```text
/// // Input:
/// #[fate::supervised(grace = "1s")]
/// #[tokio::main]
/// async fn main() { body }
///
/// // Output:
/// #[tokio::main]
/// #[::fate::supervised(grace = "1s")]
/// async fn main() { body }
/// ```
pub(super) fn reorder_below_runtime(
    item: &ItemFn,
    args: &TokenStream,
    krate: &TokenStream,
) -> TokenStream {
    let runtime = item
        .runtime_attr()
        .expect("validate rejects async main without an executor attribute");
    let (above, below) = item.attrs.split_at(runtime + 1);
    let inner = item.inner_attrs.iter().map(|attr| {
        let mut outer = attr.clone();
        outer.style = syn::AttrStyle::Outer;
        outer
    });
    let vis = &item.vis;
    let sig = &item.sig;
    let body = item.body_tokens();
    quote! {
        #(#above)*
        #[#krate::supervised(#args)]
        #(#below)*
        #(#inner)*
        #vis #sig #body
    }
}
