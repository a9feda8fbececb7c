//! The last stage: writes the supervised function.
//!
//! The signature is re-emitted verbatim and the body becomes a closure handed to the
//! runtime, so `return` and `?` keep their meaning and the runtime sees the value.

mod future;
mod policy;
mod root;
mod test;
mod types;
mod worker;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::args::{self, Errors};
use crate::item::ItemFn;
use crate::validate::{self, Role};

/// The worker's name as the runtime takes it: `"name"` (the function's, or its `name =
/// ".."`), or `("name", N)` with `exit_code = N`.
fn worker_name(sig: &crate::signature::Signature, args: &args::Args) -> TokenStream {
    let name = args.name.as_ref().map_or_else(
        || syn::ext::IdentExt::unraw(&sig.ident).to_string(),
        |name| name.value.clone(),
    );
    match &args.exit_code {
        Some(exit_code) => {
            let code = proc_macro2::Literal::u8_unsuffixed(exit_code.code);
            quote!((#name, #code))
        }
        None => quote!(#name),
    }
}

/// `#[supervised(args)] item`, from tokens to tokens.
///
/// Never panics; on any misuse, returns the item unchanged plus `compile_error!`s, so
/// the user's code still type-checks and completes in the IDE.
pub(crate) fn supervised(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn = match crate::item::parse(item.clone()) {
        Ok(item_fn) => item_fn,
        Err(error) => return with_errors(item, error),
    };
    let mut errors = Errors::default();
    let args_tokens = args.clone();
    let args = args::parse(args, args::Attribute::Supervised, &mut errors);
    let role = validate::check(&args, &item_fn, &mut errors);
    if let Err(error) = errors.finish() {
        return with_errors(item, error);
    }
    let krate = args
        .krate
        .as_ref()
        .map_or_else(|| quote!(::fate), |path| quote!(#path));
    match role {
        Role::Root if item_fn.sig.asyncness.is_some() => {
            root::reorder_below_runtime(&item_fn, &args_tokens, &krate)
        }
        Role::Root => root::expand(&item_fn, &args, &krate),
        Role::Worker if item_fn.sig.asyncness.is_some() => future::expand(&item_fn, &args, &krate),
        Role::Worker => worker::expand(&item_fn, &args, &krate),
    }
}

/// `#[fate::test(args)] item`, from tokens to tokens; never panics (as
/// [`supervised`]).
pub(crate) fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn = match crate::item::parse(item.clone()) {
        Ok(item_fn) => item_fn,
        Err(error) => return with_errors(item, error),
    };
    let mut errors = Errors::default();
    let args_tokens = args.clone();
    let args = args::parse(args, args::Attribute::Test, &mut errors);
    validate::check_test(&args, &item_fn, &mut errors);
    if let Err(error) = errors.finish() {
        return with_errors(item, error);
    }
    let krate = args
        .krate
        .as_ref()
        .map_or_else(|| quote!(::fate), |path| quote!(#path));
    if item_fn.sig.asyncness.is_some() {
        test::reorder_below_runtime(&item_fn, &args_tokens, &krate)
    } else {
        test::expand(&item_fn, &args, &krate)
    }
}

fn with_errors(item: TokenStream, error: syn::Error) -> TokenStream {
    let errors = error.into_compile_error();
    quote!(#item #errors)
}

/// A name for generated bindings that user code cannot see or shadow.
fn private_ident(name: &str) -> proc_macro2::Ident {
    proc_macro2::Ident::new(name, Span::mixed_site())
}

/// `tokens` with every span set to `span`, so that an error about them points there.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(&group.stream(), span));
                inner.set_span(span);
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// The function's new block, spanned like its original body: the compiler then treats
/// the function as the user's own (`dead_code` still warns about an unused worker).
fn block_at(statements: TokenStream, body: &proc_macro2::Group) -> proc_macro2::Group {
    let mut block = proc_macro2::Group::new(proc_macro2::Delimiter::Brace, statements);
    block.set_span(body.span());
    block
}

/// The item again with `fate_attribute` moved just below the executor's attribute
/// (the one at index `runtime`), which then expands first and hands fate a plain `fn`.
fn reorder_below(item: &ItemFn, runtime: usize, fate_attribute: TokenStream) -> TokenStream {
    let (above, below) = item.attrs.split_at(runtime + 1);
    let inner = item.inner_attrs_as_outer();
    let vis = &item.vis;
    let sig = &item.sig;
    let body = item.body_tokens();
    quote! {
        #(#above)*
        #fate_attribute
        #(#below)*
        #(#inner)*
        #vis #sig #body
    }
}
