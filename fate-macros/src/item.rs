//! The function under the attribute, parsed only as far as fate needs: attributes,
//! visibility and signature through syn; the body stays untouched tokens (fast to
//! compile, and rust-analyzer keeps working on half-typed bodies).

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Signature, Token, Visibility};

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
        for attr in &self.inner_attrs {
            let mut outer = attr.clone();
            outer.style = syn::AttrStyle::Outer;
            outer.to_tokens(&mut tokens);
        }
        tokens
    }
}
