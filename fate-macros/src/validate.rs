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
    let spanned = |tokens: &dyn ToTokens, message: &str| syn::Error::new_spanned(tokens, message);

    check_function(item, errors);
    match role {
        Role::Root => {
            if let Some(asyncness) = &sig.asyncness {
                if item.runtime_attr().is_none() {
                    errors.push(error(
                        asyncness.span(),
                        "`async fn main` needs an executor: add its attribute, such as \
                         `#[tokio::main]` (above or below `#[fate::supervised]`), or make `main` \
                         a plain `fn` that calls your executor's `block_on`"
                            .into(),
                    ));
                }
            }
            if let Some(name) = &args.name {
                errors.push(spanned(
                    &name.option,
                    "`name` is for workers: the root is always reported as `main`; remove it",
                ));
            }
            if !sig.generics.params.is_empty() {
                errors.push(spanned(
                    &sig.generics,
                    "`fn main` cannot have generic parameters",
                ));
            }
            if let Some(where_clause) = &sig.generics.where_clause {
                errors.push(spanned(
                    where_clause,
                    "`fn main` cannot have a `where` clause",
                ));
            }
            if !sig.inputs.is_empty() {
                errors.push(spanned(
                    &sig.inputs,
                    "`fn main` takes no arguments: read them with `std::env::args()`",
                ));
            }
            if let ReturnType::Type(_, ty) = &sig.output {
                if !main_return_may_be_accepted(ty) {
                    errors.push(spanned(
                        ty,
                        &format!(
                            "unsupported return type for `#[fate::supervised] fn main`: {MAIN_RETURNS}"
                        ),
                    ));
                }
            }
        }
        Role::Worker => {
            if let Some(grace) = &args.grace {
                errors.push(spanned(
                    &grace.option,
                    "`grace` is an option of the root: put it on `#[fate::supervised] fn main`",
                ));
            }
            if let Some(wait) = &args.wait {
                errors.push(spanned(
                    wait,
                    "`wait` is an option of the root: put it on `#[fate::supervised] fn main`",
                ));
            }
            if let Some(all_panics) = &args.all_panics {
                errors.push(spanned(
                    all_panics,
                    "`all_panics` is an option of the root: put it on `#[fate::supervised] fn main`",
                ));
            }
            if let Some(systemd) = &args.systemd_manual {
                errors.push(spanned(
                    systemd,
                    "`systemd` is an option of the root: put it on `#[fate::supervised] fn main`",
                ));
            }
            if let Some(signals) = &args.signals {
                errors.push(spanned(
                    signals,
                    "`signals` is an option of the root: put it on `#[fate::supervised] fn main` \
                     (or use `fate::Supervisor::signals(true)`)",
                ));
            }
            check_restart(args, item, errors);
            check_budgets(args, item, errors);
        }
    }
    if role == Role::Root {
        for (option, name) in [(&args.stall, "stall"), (&args.max_poll, "max_poll")] {
            if let Some(option) = option {
                errors.push(spanned(
                    &option.option,
                    &format!(
                        "`{name}` is an option of workers: put it on the function that loops, \
                         not on `main`"
                    ),
                ));
            }
        }
        if let Some(critical) = &args.critical {
            errors.push(spanned(
                &critical.option,
                "`critical` is an option of workers: `main` is the root, and its failures are \
                 the program's",
            ));
        }
        if let Some(exit_code) = &args.exit_code {
            errors.push(spanned(
                &exit_code.option,
                "`exit_code` is an option of workers: put it on the worker whose failure \
                 should end the process with that status; `main` chooses its own by returning \
                 `std::process::ExitCode`",
            ));
        }
        if let Some(restart) = &args.restart {
            errors.push(spanned(
                &restart.option,
                "`restart` is an option of workers: `main` is the root, and what restarts a \
                 process is its supervisor (systemd's `Restart=`, Kubernetes' `restartPolicy`)",
            ));
        }
        check_restart_companions(args, errors);
    }
    role
}

/// `stall` and `max_poll` on a worker: what they need of the function.
fn check_budgets(args: &Args, item: &ItemFn, errors: &mut Errors) {
    let sig = &item.sig;
    if let (Some(max_poll), None) = (&args.max_poll, &sig.asyncness) {
        errors.push(syn::Error::new_spanned(
            &max_poll.option,
            "`max_poll` is for an `async fn`, whose polls it limits: a sync worker has no \
             polls; to catch one that is stuck, use `stall = \"..\"` and `fate::heartbeat()`",
        ));
    }
    if let Some(stall) = &args.stall {
        let opaque = sig.asyncness.is_none()
            && matches!(&sig.output, ReturnType::Type(_, ty) if matches!(**ty, Type::ImplTrait(_)));
        if item.has_track_caller() || opaque {
            errors.push(syn::Error::new_spanned(
                &stall.option,
                "`stall` cannot go with `#[track_caller]` or a sync `-> impl Trait`: fate needs \
                 the body in a closure to watch it",
            ));
        }
    }
}

/// `restart = N` on a worker: what it needs of the function.
fn check_restart(args: &Args, item: &ItemFn, errors: &mut Errors) {
    check_restart_companions(args, errors);
    let Some(restart) = &args.restart else {
        return;
    };
    let spanned = |tokens: &dyn ToTokens, message: &str| syn::Error::new_spanned(tokens, message);
    let sig = &item.sig;
    if let Some(receiver) = sig.receiver() {
        if !receiver_is_a_reference(receiver) {
            errors.push(spanned(
                receiver,
                "`restart` calls the method again, and a method that takes `self` by value \
                 cannot be called twice: take `&self` or `&mut self`",
            ));
        }
    }
    if item.has_track_caller() {
        errors.push(spanned(
            &restart.option,
            "`restart` cannot go with `#[track_caller]`: the body is called again from fate's \
             loop, so the caller's location would be lost",
        ));
    }
    if sig.asyncness.is_some() {
        for input in &sig.inputs {
            let exclusive = match input {
                crate::signature::FnArg::Receiver(receiver) => {
                    let prefix = receiver.prefix.to_string();
                    prefix.starts_with('&') && prefix.contains("mut")
                        || matches!(
                            receiver.ty.as_ref().map(|(_, ty)| &**ty),
                            Some(Type::Reference(r)) if r.mutability.is_some()
                        )
                }
                crate::signature::FnArg::Typed(typed) => {
                    matches!(&*typed.ty, Type::Reference(r) if r.mutability.is_some())
                }
            };
            if exclusive {
                errors.push(spanned(
                    input,
                    "`restart` on an `async fn` cannot take a `&mut` argument: each attempt is a \
                     new future that would hold it; pass it by value (`Clone`), or behind a lock",
                ));
            }
        }
    } else if let ReturnType::Type(_, ty) = &sig.output {
        if matches!(**ty, Type::ImplTrait(_)) {
            errors.push(spanned(
                ty,
                "`restart` needs the return type named: it cannot be `impl Trait` (box it, or \
                 name the type)",
            ));
        }
    }
}

/// `&self`, `&'a mut self`, `self: &Self`: a receiver the loop can use again.
fn receiver_is_a_reference(receiver: &crate::signature::Receiver) -> bool {
    let ampersand = matches!(
        receiver.prefix.clone().into_iter().next(),
        Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '&'
    );
    ampersand
        || matches!(
            receiver.ty.as_ref().map(|(_, ty)| &**ty),
            Some(Type::Reference(_))
        )
}

/// `within`, `backoff` and `max_backoff` go with `restart = N`.
fn check_restart_companions(args: &Args, errors: &mut Errors) {
    for (option, name) in [
        (&args.within, "within"),
        (&args.backoff, "backoff"),
        (&args.max_backoff, "max_backoff"),
    ] {
        if let (Some(option), None) = (option, &args.restart) {
            errors.push(syn::Error::new_spanned(
                &option.option,
                format!("`{name}` goes with `restart = N`: add it, or remove `{name}`"),
            ));
        }
    }
    if let (Some(backoff), Some(max)) = (&args.backoff, &args.max_backoff) {
        if max.millis < backoff.millis {
            errors.push(syn::Error::new_spanned(
                &max.option,
                "`max_backoff` is shorter than `backoff`: the longest wait cannot be shorter than \
                 the first",
            ));
        }
    }
}

/// The checks that apply to every function fate is put on.
fn check_function(item: &ItemFn, errors: &mut Errors) {
    let sig = &item.sig;
    let spanned = |tokens: &dyn ToTokens, message: &str| syn::Error::new_spanned(tokens, message);
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new(
            constness.span(),
            "a supervised function cannot be `const`: supervision happens at run time; remove `const`",
        ));
    }
    if let Some(abi) = &sig.abi {
        let name = abi
            .name
            .as_ref()
            .map_or_else(|| "C".to_owned(), |name| name.value());
        if name != "Rust" && !name.ends_with("-unwind") {
            errors.push(spanned(
                abi,
                &format!(
                    "a supervised function cannot be `extern \"{name}\"`: fate reports a panic \
                     as it unwinds, and a panic cannot unwind out of an `extern \"{name}\"` \
                     function (the process aborts); supervise a Rust function and call it from \
                     the `extern` one, or use `extern \"{name}-unwind\"`"
                ),
            ));
        }
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(spanned(
            variadic,
            "a supervised function cannot be variadic",
        ));
    }
}

/// Misuse of `#[fate::test]`.
pub(crate) fn check_test(args: &Args, item: &ItemFn, errors: &mut Errors) {
    let sig = &item.sig;
    let spanned = |tokens: &dyn ToTokens, message: &str| syn::Error::new_spanned(tokens, message);
    check_function(item, errors);
    if let Some(asyncness) = &sig.asyncness {
        if item.test_runtime_attr().is_none() {
            errors.push(syn::Error::new(
                asyncness.span(),
                "an `async fn` test needs an executor: add its test attribute, such as \
                 `#[tokio::test]` (above or below `#[fate::test]`), or make the test a plain `fn` \
                 that calls your executor's `block_on`",
            ));
        }
    }
    if let Some(name) = &args.name {
        errors.push(spanned(
            &name.option,
            "`name` is not an option of `#[fate::test]`: a test is reported under its function's \
             name; remove it",
        ));
    }
    if let Some(receiver) = sig.receiver() {
        errors.push(spanned(
            receiver,
            "a test cannot be a method: remove `self`",
        ));
    } else if !sig.inputs.is_empty() {
        errors.push(spanned(&sig.inputs, "a test takes no arguments"));
    }
    if !sig.generics.params.is_empty() {
        errors.push(spanned(
            &sig.generics,
            "a test cannot have generic parameters",
        ));
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        errors.push(spanned(where_clause, "a test cannot have a `where` clause"));
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        // A test function only exists in test builds; its return type is checked here
        // as far as the tokens tell, the rest by the runtime's `TestOutput` bound.
        if matches!(**ty, Type::ImplTrait(_) | Type::Never(_)) || !main_return_may_be_accepted(ty) {
            errors.push(spanned(
                ty,
                "unsupported return type for `#[fate::test]`: return `()` or `Result<(), E>` \
                 where `E: Debug`",
            ));
        }
    }
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
            !NOT_RESULTS.iter().any(|name| last.ident == name)
        }
        _ => false,
    }
}

/// Standard types that are never a `Result` (by the last segment of their path).
pub(crate) const NOT_RESULTS: &[&str] = &[
    "bool", "char", "str", "String", "Option", "Vec", "Box", "i8", "i16", "i32", "i64", "i128",
    "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32", "f64",
];
