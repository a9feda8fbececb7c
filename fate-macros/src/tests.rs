//! Unit tests of the expander: snapshots of what users see in `cargo expand`, and the
//! errors of misuse, without a compiler.

use proc_macro2::TokenStream;
use quote::quote;

use crate::expand::supervised;

/// Expands and pretty-prints, as `cargo expand` would show it.
fn expand(args: TokenStream, item: TokenStream) -> String {
    let tokens = supervised(args, item);
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}

#[test]
fn worker_unit() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            /// Sends jobs.
            fn produce(tx: Sender<u32>) {
                for i in 0.. {
                    tx.send(i).unwrap();
                }
            }
        }
    ));
}
