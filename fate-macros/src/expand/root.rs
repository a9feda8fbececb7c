//! `#[supervised] fn main`.
//!
//! ```text
//! // Input:
//! #[fate::supervised(grace = "2s")]
//! fn main() -> Result<(), fate::Error> { body }
//!
//! // Output:
//! fn main() -> Result<(), fate::Error> {
//!     ::fate::__private::run_main::<Result<(), fate::Error>>(
//!         ::fate::__private::MainOptions {
//!             grace: ::core::time::Duration::from_millis(2000),
//!             wait: false,
//!             all_panics: false,
//!             body: ::fate::__private::MainBody::Whole,
//!             signals: false,
//!             readiness: ::fate::__private::Readiness::AtStart,
//!         },
//!         || { body },
//!     )
//! }
//! ```
//!
//! The body stays on the main thread (`run_main` calls the closure there), so
//! thread-locals, GUI toolkits and non-`Send` return types keep working.
//!
//! When the body is what an executor's attribute made of an `async fn main` (it starts
//! with `let body = async { .. };`, as `#[tokio::main]` writes it), that `async` block
//! is wrapped in `main_body_future`, so that each of its polls, rather than the whole
//! `block_on`, is the frame of `main`: a task the executor polls on the main thread in
//! between is not part of `main`'s body (`MainBody::Polls`).

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::ReturnType;
use syn::spanned::Spanned;

use crate::args::Args;
use crate::item::ItemFn;

pub(super) fn expand(item: &ItemFn, args: &Args, krate: &TokenStream) -> TokenStream {
    let attrs = item.all_attrs();
    let vis = &item.vis;
    let sig = &item.sig;
    let (body, polled) = wrap_executor_body(&item.body, krate);
    let options = if args.grace.is_none()
        && args.wait.is_none()
        && args.all_panics.is_none()
        && args.signals.is_none()
        && args.systemd_manual.is_none()
        && !polled
    {
        quote!(#krate::__private::MainOptions::default())
    } else {
        let millis = proc_macro2::Literal::u64_unsuffixed(
            args.grace.as_ref().map_or(0, |grace| grace.millis),
        );
        let wait = args.wait.is_some();
        let all_panics = args.all_panics.is_some();
        let signals = args.signals.is_some();
        let readiness = if args.systemd_manual.is_some() {
            quote!(Manual)
        } else {
            quote!(AtStart)
        };
        let framing = if polled { quote!(Polls) } else { quote!(Whole) };
        quote! {
            #krate::__private::MainOptions {
                grace: ::core::time::Duration::from_millis(#millis),
                wait: #wait,
                all_panics: #all_panics,
                body: #krate::__private::MainBody::#framing,
                signals: #signals,
                readiness: #krate::__private::Readiness::#readiness,
            }
        }
    };
    let options = match &args.signals {
        // A clear error, spanned on the option, when the feature is off.
        Some(signals) => quote_spanned! {signals.span()=>
            {
                const _: () = ::core::assert!(
                    #krate::__private::SIGNALS,
                    "`signals` needs fate's feature `signals` (unix only): add `features = [\"signals\"]` to the `fate` dependency in Cargo.toml",
                );
                #options
            }
        },
        None => options,
    };
    let options = match &args.systemd_manual {
        Some(systemd) => {
            let span = systemd
                .clone()
                .into_iter()
                .next()
                .map_or_else(proc_macro2::Span::call_site, |token| token.span());
            quote_spanned! {span=>
                {
                    const _: () = ::core::assert!(
                        #krate::__private::SYSTEMD,
                        "`systemd = \"manual\"` needs fate's feature `systemd` (unix only): add `features = [\"systemd\"]` to the `fate` dependency in Cargo.toml",
                    );
                    #options
                }
            }
        }
        None => options,
    };
    let closure = quote!(|| #body);
    // `R` named and spanned on the return type: an unsupported type is reported there,
    // and the closure's return type is known before its body is checked.
    let run_main = match &sig.output {
        ReturnType::Default => quote!(#krate::__private::run_main),
        ReturnType::Type(_, ty) => {
            let krate = super::respan(krate, ty.span());
            quote_spanned!(ty.span()=> #krate::__private::run_main::<#ty>)
        }
    };
    quote! {
        #attrs
        #vis #sig {
            #run_main(#options, #closure)
        }
    }
}

/// The body, with the `async` block of an executor's expansion wrapped in
/// `main_body_future` (see the module docs), and whether it was found.
///
/// ```text
/// // Input (what `#[tokio::main]` wrote):
/// { let body = async { user body }; ...; return runtime.block_on(body); }
///
/// // Output:
/// { let body = ::fate::__private::main_body_future(async { user body }); ...; }
/// ```
pub(super) fn wrap_executor_body(body: &Group, krate: &TokenStream) -> (TokenTree, bool) {
    let tokens: Vec<TokenTree> = body.stream().into_iter().collect();
    let is_ident = |token: Option<&TokenTree>, name: &str| matches!(token, Some(TokenTree::Ident(ident)) if ident == name);
    let starts_like_an_executor = is_ident(tokens.first(), "let")
        && is_ident(tokens.get(1), "body")
        && matches!(tokens.get(2), Some(TokenTree::Punct(eq)) if eq.as_char() == '=')
        && is_ident(tokens.get(3), "async");
    // `async` then an optional `move`, then the block, then `;`.
    let block_at = if is_ident(tokens.get(4), "move") {
        5
    } else {
        4
    };
    let block_is_next = matches!(
        tokens.get(block_at),
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace
    ) && matches!(tokens.get(block_at + 1), Some(TokenTree::Punct(semi)) if semi.as_char() == ';');
    if !(starts_like_an_executor && block_is_next) {
        return (TokenTree::Group(body.clone()), false);
    }
    let future: TokenStream = tokens[3..=block_at].iter().cloned().collect();
    let let_body: TokenStream = tokens[..3].iter().cloned().collect();
    let rest: TokenStream = tokens[block_at + 1..].iter().cloned().collect();
    let statements = quote! {
        #let_body #krate::__private::main_body_future(#future) #rest
    };
    let mut group = Group::new(Delimiter::Brace, statements);
    group.set_span(body.span());
    (TokenTree::Group(group), true)
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
    super::reorder_below(item, runtime, quote!(#[#krate::supervised(#args)]))
}
