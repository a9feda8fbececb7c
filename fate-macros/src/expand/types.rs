//! Types as the expansion needs them: whether a return type can ever be an `Err`, and
//! the return type a closure can be annotated with.

use syn::{ReturnType, Type};

use crate::validate::NOT_RESULTS;

/// Whether a return type is certainly not a `Result` (no need to inspect the value,
/// and a shorter expansion).
pub(crate) fn never_an_error(output: &ReturnType) -> bool {
    match output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => match &**ty {
            Type::Tuple(_)
            | Type::ImplTrait(_)
            | Type::Never(_)
            | Type::Reference(_)
            | Type::Array(_)
            | Type::Slice(_)
            | Type::Ptr(_)
            | Type::FnPtr(_) => true,
            Type::Path(path) if path.qself.is_none() => path
                .path
                .segments
                .last()
                .is_some_and(|last| NOT_RESULTS.iter().any(|name| last.ident == name)),
            _ => false,
        },
    }
}

/// The return type to write on the body's closure: the function's, with each
/// `impl Trait` (which a closure cannot name) replaced by `_` for inference to fill.
pub(crate) fn closure_return_type(ty: &Type) -> Type {
    let mut ty = ty.clone();
    infer_impl_trait(&mut ty);
    ty
}

fn infer_impl_trait(ty: &mut Type) {
    match ty {
        Type::ImplTrait(impl_trait) => {
            *ty = Type::Infer(syn::TypeInfer {
                attrs: Vec::new(),
                underscore_token: syn::Token![_](impl_trait.impl_token.span),
            });
        }
        Type::Array(array) => infer_impl_trait(&mut array.elem),
        Type::Group(group) => infer_impl_trait(&mut group.elem),
        Type::Paren(paren) => infer_impl_trait(&mut paren.elem),
        Type::Ptr(ptr) => infer_impl_trait(&mut ptr.elem),
        Type::Reference(reference) => infer_impl_trait(&mut reference.elem),
        Type::Slice(slice) => infer_impl_trait(&mut slice.elem),
        Type::Tuple(tuple) => tuple.elems.iter_mut().for_each(infer_impl_trait),
        Type::Path(path) => {
            if let Some(qself) = &mut path.qself {
                infer_impl_trait(&mut qself.ty);
            }
            for segment in &mut path.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        if let syn::GenericArgument::Type(ty) = arg {
                            infer_impl_trait(ty);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}
