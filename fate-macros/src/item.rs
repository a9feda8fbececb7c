//! The function under the attribute, parsed only as far as fate needs: attributes,
//! visibility through syn, the signature in `signature.rs`; the body stays untouched tokens (fast to
//! compile, and rust-analyzer keeps working on half-typed bodies).
//!
//! The body is split off before syn sees anything: it is the item's last top-level
//! token (a type or a `where` clause never ends in a brace group at the top level), so
//! its tokens are neither copied nor walked, and expansion time does not grow with
//! the body's length.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Token, Visibility};

use crate::signature::Signature;

pub(crate) struct ItemFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The body's leading `#![...]` attributes; they move onto the function, since
    /// the body itself becomes a closure.
    pub(crate) inner_attrs: Vec<Attribute>,
    /// The body, braces included, minus `inner_attrs`.
    pub(crate) body: Group,
}

/// Parses the function, splitting its body off first (see the module docs).
pub(crate) fn parse(item: TokenStream) -> syn::Result<ItemFn> {
    let mut tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    if let Some(TokenTree::Group(body)) = tokens.last() {
        if body.delimiter() == Delimiter::Brace {
            let body = body.clone();
            tokens.pop();
            let head: TokenStream = tokens.into_iter().collect();
            if let Ok((attrs, vis, sig)) = syn::parse::Parser::parse2(parse_head, head) {
                let (inner_attrs, body) = split_inner_attrs(&body)?;
                return Ok(ItemFn {
                    attrs,
                    vis,
                    sig,
                    inner_attrs,
                    body,
                });
            }
        }
    }
    // Not a plain `head { body }`: the full parse says what is wrong.
    syn::parse2::<ItemFn>(item)
}

fn parse_head(input: ParseStream<'_>) -> syn::Result<(Vec<Attribute>, Visibility, Signature)> {
    let attrs = input.call(Attribute::parse_outer)?;
    let vis: Visibility = input.parse()?;
    if !starts_function(input) {
        return Err(input.error("not a function"));
    }
    let sig: Signature = input.parse()?;
    if !input.is_empty() {
        return Err(input.error("unexpected tokens before the body"));
    }
    Ok((attrs, vis, sig))
}

impl Parse for ItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if !starts_function(input) {
            return Err(input.error(
                "`#[fate::supervised]` goes on a function: `fn main` (the root) or a worker `fn`",
            ));
        }
        let sig: Signature = input.parse()?;
        if input.peek(Token![;]) {
            return Err(input.error(
                "`#[fate::supervised]` needs the function's body: put it on a function with a body, \
                 not on a declaration",
            ));
        }
        let group: Group = input.parse()?;
        if group.delimiter() != Delimiter::Brace {
            return Err(syn::Error::new(
                group.span(),
                "expected the function's body `{ ... }`",
            ));
        }
        let (inner_attrs, body) = split_inner_attrs(&group)?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the function"));
        }
        Ok(ItemFn {
            attrs,
            vis,
            sig,
            inner_attrs,
            body,
        })
    }
}

fn starts_function(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    // Qualifiers that may come before `fn`, in any order the parser accepts.
    for _ in 0..6 {
        if fork.peek(Token![fn]) {
            return true;
        }
        let skipped = fork.parse::<Token![const]>().is_ok()
            || fork.parse::<Token![async]>().is_ok()
            || fork.parse::<Token![unsafe]>().is_ok()
            || fork.parse::<Token![safe]>().is_ok()
            || fork.parse::<syn::Abi>().is_ok();
        if !skipped {
            return false;
        }
    }
    false
}

fn split_inner_attrs(body: &Group) -> syn::Result<(Vec<Attribute>, Group)> {
    let mut start = body.stream().into_iter();
    let starts_with_inner_attr = matches!(
        (start.next(), start.next()),
        (Some(TokenTree::Punct(pound)), Some(TokenTree::Punct(bang)))
            if pound.as_char() == '#' && bang.as_char() == '!'
    );
    if !starts_with_inner_attr {
        return Ok((Vec::new(), body.clone()));
    }
    let parser = |input: ParseStream<'_>| {
        let attrs = input.call(Attribute::parse_inner)?;
        let rest: TokenStream = input.parse()?;
        Ok((attrs, rest))
    };
    let (attrs, rest) = syn::parse::Parser::parse2(parser, body.stream())?;
    if attrs.is_empty() {
        return Ok((attrs, body.clone()));
    }
    let mut group = Group::new(Delimiter::Brace, rest);
    group.set_span(body.span());
    Ok((attrs, group))
}

impl ItemFn {
    /// Whether the function is `#[track_caller]`.
    pub(crate) fn has_track_caller(&self) -> bool {
        self.attrs
            .iter()
            .any(|attr| attr.path().is_ident("track_caller"))
    }

    /// The index of the executor's attribute on an `async fn main` (`#[tokio::main]`,
    /// `#[async_std::main]`, ...): any attribute whose path ends in `main`.
    pub(crate) fn runtime_attr(&self) -> Option<usize> {
        self.attrs.iter().position(|attr| {
            attr.path()
                .segments
                .last()
                .is_some_and(|segment| segment.ident == "main")
        })
    }

    /// The index of the executor's test attribute on an `async fn` test
    /// (`#[tokio::test]`, ...): an attribute whose path ends in `test`, other than the
    /// standard library's own `#[test]`.
    pub(crate) fn test_runtime_attr(&self) -> Option<usize> {
        self.attrs.iter().position(|attr| {
            let path = attr.path();
            path.segments
                .last()
                .is_some_and(|last| last.ident == "test")
                && !is_std_test(path)
        })
    }

    /// Whether the function carries the standard library's `#[test]` already (written
    /// by the user, or by an executor's test attribute expanded above fate's).
    pub(crate) fn has_std_test_attr(&self) -> bool {
        self.attrs.iter().any(|attr| is_std_test(attr.path()))
    }

    /// The function as written (for error paths, which must never lose the item).
    pub(crate) fn body_tokens(&self) -> TokenTree {
        TokenTree::Group(self.body.clone())
    }

    /// The attributes to put on the generated function: the outer ones, then the
    /// body's inner ones turned outer.
    pub(crate) fn all_attrs(&self) -> TokenStream {
        let mut tokens = TokenStream::new();
        for attr in &self.attrs {
            attr.to_tokens(&mut tokens);
        }
        for attr in self.inner_attrs_as_outer() {
            attr.to_tokens(&mut tokens);
        }
        tokens
    }

    /// The body's inner attributes (`#![...]`), written as outer ones (`#[...]`).
    pub(crate) fn inner_attrs_as_outer(&self) -> impl Iterator<Item = Attribute> + '_ {
        self.inner_attrs.iter().map(|attr| {
            let mut outer = attr.clone();
            outer.style = syn::AttrStyle::Outer;
            outer
        })
    }
}

/// `test`, `core::prelude::v1::test`, `::std::prelude::rust_2021::test`, ...: the
/// standard library's test attribute, however it is named.
fn is_std_test(path: &syn::Path) -> bool {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [only] => only == "test",
        [krate, rest @ ..] => {
            (krate == "core" || krate == "std")
                && rest.first().is_some_and(|s| s == "prelude")
                && rest.last().is_some_and(|s| s == "test")
        }
        [] => false,
    }
}
