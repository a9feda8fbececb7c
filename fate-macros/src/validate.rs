//! Misuse checks. Each is a spanned error that says what to write instead; all of
//! them are collected, so one build shows every mistake.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{ReturnType, Type};

use crate::args::{Args, Errors};
use crate::item::ItemFn;

/// What the function is to fate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// `fn main`: installs the process's root supervisor.
    Root,
    /// Any other function: reports its failures to its root.
    Worker,
}

pub(crate) const MAIN_RETURNS: &str = "return `()`, `Result<T, E>` where `E: From<fate::Error> + Debug` (such as `fate::Error`, `Box<dyn Error>` or `anyhow::Error`), or `std::process::ExitCode`";

pub(crate) fn check(args: &Args, item: &ItemFn, errors: &mut Errors) -> Role {
    let sig = &item.sig;
    let role = if sig.ident == "main" && sig.receiver().is_none() {
        Role::Root
    } else {
        Role::Worker
    };
    let error = |span: Span, message: String| syn::Error::new(span, message);

    if let Some(constness) = &sig.constness {
        errors.push(error(
            constness.span(),
            "a supervised function cannot be `const`: supervision happens at run time; remove `const`".into(),
        ));
    }
    if let Some(asyncness) = &sig.asyncness {
        errors.push(error(
            asyncness.span(),
            "`async fn` is not supported by this version of fate's `#[supervised]`; supervise the \
             synchronous functions that the async code calls (for example through `spawn_blocking`)"
                .into(),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(error(
            variadic.span(),
            "a supervised function cannot be variadic".into(),
        ));
    }

    match role {
        Role::Root => {
            if let Some(name) = &args.name {
                errors.push(error(
                    name.span(),
                    "`name` is for workers: the root is always reported as `main`; remove it"
                        .into(),
                ));
            }
            if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
                errors.push(error(
                    sig.generics.span(),
                    "`fn main` cannot have generic parameters or a `where` clause".into(),
                ));
            }
            if !sig.inputs.is_empty() {
                errors.push(error(
                    sig.inputs.span(),
                    "`fn main` takes no arguments: read them with `std::env::args()`".into(),
                ));
            }
            if let ReturnType::Type(_, ty) = &sig.output {
                if !main_return_may_be_accepted(ty) {
                    errors.push(error(
                        ty.span(),
                        format!(
                            "`#[fate::supervised] fn main` cannot return `{}`: {MAIN_RETURNS}",
                            ty.to_token_stream()
                        ),
                    ));
                }
            }
        }
        Role::Worker => {
            if let Some(grace) = &args.grace {
                errors.push(error(
                    grace.span,
                    "`grace` is an option of the root: put it on `#[fate::supervised] fn main`"
                        .into(),
                ));
            }
            if let Some(wait) = args.wait {
                errors.push(error(
                    wait,
                    "`wait` is an option of the root: put it on `#[fate::supervised] fn main`"
                        .into(),
                ));
            }
        }
    }
    role
}

/// Rejects the return types that can never work, spanned on the type; the rest (a
/// path such as `Result<..>`, `ExitCode` or a user's alias) is checked by the
/// runtime's `MainOutput` bound, whose message says the same.
fn main_return_may_be_accepted(ty: &Type) -> bool {
    match ty {
        Type::Tuple(tuple) => tuple.elems.is_empty(),
        Type::Paren(inner) => main_return_may_be_accepted(&inner.elem),
        Type::Group(inner) => main_return_may_be_accepted(&inner.elem),
        Type::Path(path) => {
            let Some(last) = path.path.segments.last() else {
                return false;
            };
            let never = [
                "bool", "char", "str", "String", "Option", "Vec", "Box", "i8", "i16", "i32", "i64",
                "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32", "f64",
            ];
            !never.iter().any(|name| last.ident == name)
        }
        _ => false,
    }
}

/// Whether a return type is certainly not a `Result` (no need to inspect the value).
pub(crate) fn never_an_error(output: &ReturnType) -> bool {
    match output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => match &**ty {
            Type::Tuple(tuple) => tuple.elems.is_empty(),
            Type::ImplTrait(_) | Type::Never(_) => true,
            _ => false,
        },
    }
}

/// Whether a return type mentions `impl Trait`, which a closure cannot be annotated
/// with.
pub(crate) fn mentions_impl_trait(ty: &Type) -> bool {
    contains_impl_in_groups(ty.to_token_stream())
}

fn contains_impl_in_groups(tokens: proc_macro2::TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(ident) => ident == "impl",
        proc_macro2::TokenTree::Group(group) => contains_impl_in_groups(group.stream()),
        _ => false,
    })
}
