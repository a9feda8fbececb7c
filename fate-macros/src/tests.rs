//! Unit tests of the expander: snapshots of what users see in `cargo expand`, and the
//! errors of misuse, without a compiler.

use proc_macro2::TokenStream;
use quote::quote;

use crate::expand::supervised;

/// Expands and pretty-prints, as `cargo expand` would show it.
fn expand(args: TokenStream, item: TokenStream) -> String {
    pretty(supervised(args, item))
}

fn pretty(tokens: TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}

/// The messages of the `compile_error!`s in an expansion, in order.
fn errors(args: TokenStream, item: TokenStream) -> Vec<String> {
    compile_errors(supervised(args, item))
}

fn compile_errors(tokens: TokenStream) -> Vec<String> {
    let file: syn::File = syn::parse2(tokens).expect("expansion parses");
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Macro(m)
                if m.mac
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "compile_error") =>
            {
                Some(m.mac.parse_body::<syn::LitStr>().expect("a string").value())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn worker_without_return_type() {
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

#[test]
fn worker_returning_result() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            pub(crate) fn consume(rx: Receiver<Job>) -> std::io::Result<()> {
                for job in rx {
                    job.run()?;
                }
                Ok(())
            }
        }
    ));
}

#[test]
fn worker_method_with_name() {
    insta::assert_snapshot!(expand(
        quote!(name = "cache refresher"),
        quote! {
            fn refresh<'a>(&'a mut self, key: &str) -> Result<&'a Entry, Box<dyn Error>> {
                if key.is_empty() {
                    return Err("empty key".into());
                }
                Ok(self.entries.entry(key.to_owned()).or_default())
            }
        }
    ));
}

#[test]
fn worker_generic_impl_trait() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            fn evens<T>(items: Vec<T>) -> impl Iterator<Item = T>
            where
                T: Copy,
            {
                items.into_iter().step_by(2)
            }
        }
    ));
}

#[test]
fn worker_result_of_impl_trait_infers_it() {
    insta::assert_snapshot!(expand(
        quote!(crate = "my_crate::fate"),
        quote! {
            fn lines(text: &str) -> Result<impl Iterator<Item = &str>, Empty> {
                #![allow(clippy::needless_lifetimes)]
                if text.is_empty() { Err(Empty) } else { Ok(text.lines()) }
            }
        }
    ));
}

#[test]
fn main_unit() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            fn main() {
                run();
            }
        }
    ));
}

#[test]
fn main_result_with_options() {
    insta::assert_snapshot!(expand(
        quote!(grace = "1.5s", wait),
        quote! {
            fn main() -> Result<(), fate::Error> {
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::spawn(move || produce(tx));
                consume(rx)?;
                Ok(())
            }
        }
    ));
}

#[test]
fn main_box_dyn_error() {
    insta::assert_snapshot!(expand(
        quote!(grace = "250ms"),
        quote! {
            fn main() -> Result<(), Box<dyn std::error::Error>> {
                Ok(())
            }
        }
    ));
}

#[test]
fn main_exit_code() {
    insta::assert_snapshot!(expand(
        quote!(crate = "::renamed"),
        quote! {
            fn main() -> std::process::ExitCode {
                std::process::ExitCode::SUCCESS
            }
        }
    ));
}

#[test]
fn misuse_keeps_the_item_and_adds_errors() {
    insta::assert_snapshot!(expand(
        quote!(grace = "2x", bogus, wait = true, name = 3),
        quote! {
            fn worker(x: u32) -> u32 {
                x
            }
        }
    ));
}

#[test]
fn every_misuse_is_reported_at_once() {
    let found = errors(
        quote!(name = "root", name = "again"),
        quote! {
            const async fn main<T>(x: T) -> i32 {
                0
            }
        },
    );
    assert_eq!(
        found,
        [
            "`name` set multiple times",
            "a supervised function cannot be `const`: supervision happens at run time; remove `const`",
            "`async fn main` needs an executor: add its attribute, such as `#[tokio::main]` (above or below `#[fate::supervised]`), or make `main` a plain `fn` that calls your executor's `block_on`",
            "`name` is for workers: the root is always reported as `main`; remove it",
            "`fn main` cannot have generic parameters",
            "`fn main` takes no arguments: read them with `std::env::args()`",
            "unsupported return type for `#[fate::supervised] fn main`: return `()`, `Result<T, E>` where `E: From<fate::Error> + Debug` (such as `fate::Error`, `Box<dyn Error>` or `anyhow::Error`), or `std::process::ExitCode`",
        ]
    );
}

#[test]
fn non_functions_are_kept_with_an_error() {
    let item = quote! { struct Config { threads: usize } };
    let out = supervised(quote!(), item.clone()).to_string();
    assert!(out.starts_with(&item.to_string()), "{out}");
    assert_eq!(
        errors(quote!(), item),
        ["`#[fate::supervised]` goes on a function: `fn main` (the root) or a worker `fn`"]
    );
    assert_eq!(
        errors(quote!(), quote! { fn declared(&self) -> u32; }),
        [
            "`#[fate::supervised]` needs the function's body: put it on a function with a body, not on a declaration"
        ]
    );
}

#[test]
fn options_are_checked_against_the_role() {
    assert_eq!(
        errors(quote!(grace = "1s", wait), quote! { fn worker() {} }),
        [
            "`grace` is an option of the root: put it on `#[fate::supervised] fn main`",
            "`wait` is an option of the root: put it on `#[fate::supervised] fn main`",
        ]
    );
    // A method named `main` is a worker, not the root.
    assert!(errors(quote!(name = "m"), quote! { fn main(&self) {} }).is_empty());
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        quote!(),
        quote!(fn),
        quote!(fn main),
        quote!(fn main()),
        quote!(fn main() ->),
        quote!(fn main() -> {}),
        quote!(#[x] pub),
        quote!(fn f() {}, extra),
        quote!(fn f() ( )),
        quote!(impl X { fn f() {} }),
        quote!(
            unsafe extern "C" fn f() {}
        ),
        quote!(
            async unsafe fn f() {}
        ),
    ];
    let args = [
        quote!(),
        quote!(=),
        quote!(,,,),
        quote!(name),
        quote!(name =),
        quote!(name = "a" "b"),
        quote!(grace = ""),
        quote!(crate = ""),
        quote!(crate),
        quote!("str"),
        quote!(wait wait),
        quote!(grace = "1m",),
    ];
    for item in &inputs {
        for arg in &args {
            let out = supervised(arg.clone(), item.clone());
            assert!(!out.is_empty() || item.is_empty());
        }
    }
}

#[test]
fn async_worker_returning_result() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            /// Fetches one page.
            pub async fn fetch(&self, url: &str) -> Result<Page, Box<dyn std::error::Error>> {
                if url.is_empty() {
                    return Err(Box::new(EmptyUrl));
                }
                Ok(self.client.get(url).await?)
            }
        }
    ));
}

#[test]
fn async_worker_without_return_type() {
    insta::assert_snapshot!(expand(
        quote!(name = "ticker"),
        quote! {
            async fn tick<T: Clock>(clock: T) {
                loop {
                    clock.tick().await;
                }
            }
        }
    ));
}

#[test]
fn async_main_above_the_executor_attribute() {
    // `#[fate::supervised]` first: it moves itself below `#[tokio::main]`.
    insta::assert_snapshot!(expand(
        quote!(grace = "2s"),
        quote! {
            /// The service.
            #[tokio::main(flavor = "current_thread")]
            #[allow(unused_variables)]
            async fn main() -> Result<(), fate::Error> {
                serve().await;
                Ok(())
            }
        }
    ));
}

#[test]
fn async_main_below_the_executor_attribute() {
    // `#[tokio::main]` first: fate then sees the plain `fn main` tokio made.
    insta::assert_snapshot!(expand(
        quote!(grace = "2s"),
        quote! {
            fn main() -> Result<(), fate::Error> {
                let body = async {
                    serve().await;
                    Ok(())
                };
                return tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .expect("Failed building the Runtime")
                    .block_on(body);
            }
        }
    ));
}

#[test]
fn worker_with_restart() {
    insta::assert_snapshot!(expand(
        quote!(restart = 3, backoff = "100ms"),
        quote! {
            fn fetch(url: &str, mut tries: Tries, (a, b): (u8, u8), _: u8) -> Result<Page, Error> {
                tries.next(url, a + b)
            }
        }
    ));
}

#[test]
fn async_worker_with_restart() {
    insta::assert_snapshot!(expand(
        quote!(restart = 2, within = "1m", max_backoff = "10s"),
        quote! {
            async fn handle(&self, request: Request) -> Result<(), Error> {
                self.serve(request).await
            }
        }
    ));
}

#[test]
fn worker_not_critical() {
    insta::assert_snapshot!(expand(
        quote!(critical = false),
        quote! {
            fn warm_cache(keys: Vec<String>) -> Result<(), Error> {
                cache::warm(&keys)
            }
        }
    ));
}

#[test]
fn main_with_signals() {
    insta::assert_snapshot!(expand(
        quote!(signals, grace = "5s"),
        quote! {
            fn main() {
                serve();
            }
        }
    ));
}

#[test]
fn worker_with_exit_code() {
    insta::assert_snapshot!(expand(
        quote!(exit_code = 78, stall = "5s"),
        quote! {
            fn load_config(path: &Path) -> Result<Config, Error> {
                Config::read(path)
            }
        }
    ));
}

#[test]
fn worker_with_stall() {
    insta::assert_snapshot!(expand(
        quote!(stall = "5s"),
        quote! {
            fn crunch(jobs: Receiver<Job>) {
                for job in jobs {
                    job.run();
                    fate::heartbeat();
                }
            }
        }
    ));
}

#[test]
fn async_worker_with_stall_and_max_poll() {
    insta::assert_snapshot!(expand(
        quote!(stall = "5s", max_poll = "100ms"),
        quote! {
            async fn handle(request: Request) -> Result<(), Error> {
                serve(request).await
            }
        }
    ));
}

// --- #[fate::test] ---------------------------------------------------------------

fn expand_test(args: TokenStream, item: TokenStream) -> String {
    pretty(crate::expand::test(args, item))
}

fn test_errors(args: TokenStream, item: TokenStream) -> Vec<String> {
    compile_errors(crate::expand::test(args, item))
}

#[test]
fn test_without_return_type() {
    insta::assert_snapshot!(expand_test(
        quote!(),
        quote! {
            fn drains_the_queue() {
                let queue = start();
                assert!(queue.drain().is_empty());
            }
        }
    ));
}

#[test]
fn test_returning_result_with_options() {
    insta::assert_snapshot!(expand_test(
        quote!(timeout = "10s", grace = "1s", wait),
        quote! {
            /// Checks the loader.
            #[should_panic(expected = "bad")]
            fn loads() -> Result<(), std::io::Error> {
                load()?;
                Ok(())
            }
        }
    ));
}

#[test]
fn test_that_already_has_the_test_attribute_gets_no_second_one() {
    let expanded = expand_test(
        quote!(),
        quote! {
            #[test]
            fn checks() {}
        },
    );
    assert_eq!(expanded.matches("test]").count(), 1, "{expanded}");
}

#[test]
fn async_test_above_the_executor_attribute() {
    insta::assert_snapshot!(expand_test(
        quote!(timeout = "5s"),
        quote! {
            #[tokio::test(flavor = "multi_thread")]
            async fn serves() {
                serve().await;
            }
        }
    ));
}

#[test]
fn async_test_below_the_executor_attribute() {
    // `#[tokio::test]` first: fate then sees the plain test function tokio made.
    insta::assert_snapshot!(expand_test(
        quote!(),
        quote! {
            #[::core::prelude::v1::test]
            fn serves() {
                let body = async {
                    serve().await;
                };
                tokio::pin!(body);
                let body: ::core::pin::Pin<&mut dyn ::core::future::Future<Output = ()>> = body;
                return tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("Failed building the Runtime")
                    .block_on(body);
            }
        }
    ));
}

#[test]
fn test_misuse_is_reported_in_fates_words() {
    assert_eq!(
        test_errors(
            quote!(),
            quote!(
                async fn no_executor() {}
            )
        ),
        [
            "an `async fn` test needs an executor: add its test attribute, such as `#[tokio::test]` (above or below `#[fate::test]`), or make the test a plain `fn` that calls your executor's `block_on`"
        ]
    );
    assert_eq!(
        test_errors(
            quote!(),
            quote!(
                fn takes(x: u32) {}
            )
        ),
        ["a test takes no arguments"]
    );
    assert_eq!(
        test_errors(
            quote!(name = "x"),
            quote!(
                fn named() {}
            )
        ),
        [
            "`name` is not an option of `#[fate::test]`: a test is reported under its function's name; remove it"
        ]
    );
    assert_eq!(
        test_errors(
            quote!(retries = 3),
            quote!(
                fn unknown() {}
            )
        ),
        [
            "unknown option `retries`; expected `grace = \"...\"`, `wait`, `timeout = \"...\"`, `all_panics` or `crate = \"...\"`"
        ]
    );
    assert_eq!(
        test_errors(
            quote!(timeout = "-1s"),
            quote!(
                fn negative() {}
            )
        ),
        [
            "invalid timeout \"-1s\": a duration cannot be negative; write a number and a unit, as in \"500ms\", \"2s\" or \"1m\""
        ]
    );
    assert_eq!(
        errors(
            quote!(timeout = "1s"),
            quote!(
                fn main() {}
            )
        ),
        ["`timeout` is an option of `#[fate::test]`; a program's `main` runs as long as it runs"]
    );
}

/// The signature parser (`signature.rs`, without syn's `full` feature) accepts exactly
/// what syn's full `ItemFn` parser does, and prints it back the same.
#[test]
fn signatures_parse_as_syn_full_parses_them() {
    use quote::ToTokens;
    let accepted = [
        "fn f()",
        "pub(crate) const async unsafe extern \"C\" fn f()",
        "fn f<'a, T: Clone + 'a, const N: usize>(x: &'a [T; N]) -> Vec<T> where T: Send",
        "fn f(mut x: u32, _: u8, ref y: u8, ref mut z: u8, w @ 1..=5: u8)",
        "fn f((a, b): (u32, u32), [c, .., d]: [u32; 4], [e, rest @ ..]: [u8; 3])",
        "fn f(Point { x, y: py, .. }: Point, Wrapper(inner): Wrapper, S { 0: first }: S)",
        "fn f(&(a, b): &(u8, u8), &mut c: &mut u8, box d: Box<u8>)",
        "fn f(crate::Unit: crate::Unit, self::S { .. }: S, <T as Tr>::Assoc { .. }: X)",
        "fn f(a::b::<u8>::C(x): C, ::m::U: U, m!(x): u8, -1..=1: i8, ..=3: u8, 'a'..: char)",
        "fn f(((x)): u8, (a | b): u8, (| a | b, c): (u8, u8), [(1..)]: [u8; 1])",
        "fn f(#[cfg(x)] a: u8, #[attr] b: impl Fn(u8) -> u8 + Send)",
        "fn f(self)",
        "fn f(mut self)",
        "fn f(&self, x: u8)",
        "fn f(&'a mut self)",
        "fn f(self: Box<Self>, a: u8)",
        "fn f(mut self: std::pin::Pin<&mut Self>)",
        "fn f(x: u8,)",
        "unsafe extern \"C\" fn f(x: i32, ...)",
        "unsafe extern \"C\" fn f(x: i32, args: ...)",
        "fn r#match(r#type: u8) -> r#u8",
        "fn f() -> impl Iterator<Item = u8> + use<>",
        "fn f<>(x: u8) where",
    ];
    let rejected = [
        "fn f(pub x: u8)",
        "fn f(x y: u8)",
        "fn f(x)",
        "fn f(: u8)",
        "fn f(x: )",
        "fn f(x: u8 y: u8)",
        "fn f(a | b: u8)",
        "fn f([1..]: [u8; 1])",
        "fn f(..=: u8)",
        "fn f(x::<u8>!(y): u8)",
        "fn f(S { ref 0 }: S)",
        "fn f(1 2: u8)",
        "fn self()",
        "fn f() ->",
        "fn (x: u8)",
    ];
    let cases = accepted
        .iter()
        .map(|s| (*s, true))
        .chain(rejected.iter().map(|s| (*s, false)));
    for (signature, valid) in cases {
        let item = format!("{signature} {{}}");
        let tokens: TokenStream = item.parse().expect("tokens");
        let ours = crate::item::parse(tokens.clone());
        let syns = syn::parse2::<syn::ItemFn>(tokens);
        assert_eq!(
            syns.is_ok(),
            valid,
            "syn's verdict is not the list's: {signature}"
        );
        match (&ours, &syns) {
            // Compared without spaces: the same tokens, up to their spacing.
            (Ok(ours), Ok(syns)) => assert_eq!(
                ours.sig.to_token_stream().to_string().replace(' ', ""),
                syns.sig.to_token_stream().to_string().replace(' ', ""),
                "printed back differently: {signature}"
            ),
            (Err(_), Err(_)) => {}
            (Ok(_), Err(error)) => panic!("accepted what syn rejects ({error}): {signature}"),
            (Err(error), Ok(_)) => panic!("rejected what syn accepts ({error}): {signature}"),
        }
    }
}
