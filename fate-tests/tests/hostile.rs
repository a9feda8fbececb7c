//! `#[supervised]` in hostile surroundings: strict lints, and user items whose names
//! clash with what the expansion could refer to (`core`, `std`, `Result`, `Option`,
//! `Ok`, `Some`, `Box`, `worker`, `run_main`, `Probe`, a module named `fate`, no
//! prelude at all). The expansion must compile untouched by all of them, and still
//! supervise. Run `cargo clippy --tests` to check the clippy lints too.

#![deny(
    warnings,
    unused,
    unused_qualifications,
    unused_results,
    unused_import_braces,
    unused_lifetimes,
    unused_macro_rules,
    rust_2018_idioms,
    future_incompatible,
    nonstandard_style,
    missing_debug_implementations,
    single_use_lifetimes,
    trivial_casts,
    trivial_numeric_casts,
    unreachable_pub,
    variant_size_differences,
    let_underscore_drop,
    keyword_idents,
    meta_variable_misuse,
    non_ascii_idents,
    clippy::all,
    clippy::pedantic,
    clippy::nursery
)]
// The test functions themselves, not the expansion, need these; and the nursery's
// `redundant_pub_crate` contradicts rustc's `unreachable_pub`.
#![allow(
    clippy::items_after_statements,
    clippy::missing_panics_doc,
    clippy::redundant_pub_crate
)]

mod common;

// ---------------------------------------------------------------------------------
// Clashing names at the crate root. With the 2018 edition, `::core` and `::std` are
// always the extern crates, so modules of those names shadow nothing that the
// expansion names; they do make *relative* `std::...` paths ambiguous, so this file
// writes `::std::...` at the crate root.

#[allow(dead_code)]
mod core {}

#[allow(dead_code)]
mod std {}

/// A user type named `Result`, with no `Ok`/`Err` variants.
#[derive(Debug, PartialEq, Eq)]
struct Result(u32);

/// A user type named `Option`.
#[derive(Debug, PartialEq, Eq)]
struct Option(u32);

/// User items that shadow the prelude's `Ok`, `Err`, `Some` and `None` in both
/// namespaces (types and values).
#[allow(dead_code)]
#[derive(Debug)]
struct Ok;
#[allow(dead_code)]
#[derive(Debug)]
struct Err;
#[allow(dead_code)]
#[derive(Debug)]
struct Some;
#[allow(dead_code)]
#[derive(Debug)]
struct None;
#[allow(dead_code)]
#[derive(Debug)]
struct Box;
#[allow(dead_code)]
#[derive(Debug)]
struct Probe;
#[allow(dead_code)]
#[derive(Debug)]
struct Returned;

/// User functions named like the runtime's entry points.
#[allow(dead_code)]
const fn worker() -> u32 {
    1
}
#[allow(dead_code)]
const fn worker_plain() -> u32 {
    2
}
#[allow(dead_code)]
const fn run_main() -> u32 {
    3
}
#[allow(dead_code)]
const fn catch_unwind() -> u32 {
    4
}
#[allow(dead_code)]
const fn resume_unwind() -> u32 {
    5
}

type StdResult<T, E> = ::std::result::Result<T, E>;

#[fate::supervised]
fn returns_user_result(x: u32) -> Result {
    Result(x + 1)
}

#[fate::supervised]
fn returns_user_option(x: u32) -> Option {
    Option(x * 2)
}

#[fate::supervised]
fn returns_std_result(x: u32) -> StdResult<u32, ::std::string::String> {
    if x == 0 {
        return ::std::result::Result::Err(::std::string::String::from("zero"));
    }
    ::std::result::Result::Ok(x)
}

#[fate::supervised]
fn returns_std_option(x: u32) -> ::std::option::Option<u32> {
    x.checked_sub(1)
}

#[fate::supervised]
fn unit_worker(flag: &::std::sync::atomic::AtomicBool) {
    flag.store(true, ::std::sync::atomic::Ordering::SeqCst);
}

#[fate::supervised]
fn panics_here(message: &'static str) -> u32 {
    ::std::panic!("{}", message)
}

#[fate::supervised(name = "renamed-hostile")]
fn renamed(x: u32) -> StdResult<u32, ::std::num::ParseIntError> {
    let n: u32 = "7".parse()?;
    ::std::result::Result::Ok(n + x)
}

/// A method, with a receiver and a lifetime, among the clashing names.
#[derive(Debug)]
struct Holder {
    values: ::std::vec::Vec<u32>,
}

impl Holder {
    #[fate::supervised]
    fn first(&self) -> ::std::option::Option<&u32> {
        self.values.first()
    }

    #[fate::supervised]
    fn push(&mut self, value: u32) -> StdResult<usize, ::std::string::String> {
        self.values.push(value);
        ::std::result::Result::Ok(self.values.len())
    }

    #[fate::supervised]
    fn iter(&self) -> impl Iterator<Item = &u32> + '_ {
        self.values.iter()
    }
}

// ---------------------------------------------------------------------------------
// A module named `fate`, and the attribute reached by its absolute path.

mod shadowed {
    #[allow(dead_code)]
    mod fate {
        pub(super) mod __private {}
    }

    /// A user alias named `Result`, as many crates have.
    pub(super) type Result<T> = ::std::result::Result<T, ::std::io::Error>;

    #[::fate::supervised]
    pub(super) fn read(fail: bool) -> Result<u32> {
        if fail {
            return Err(::std::io::Error::other("disk on fire"));
        }
        Ok(5)
    }
}

// ---------------------------------------------------------------------------------
// No prelude at all.

mod bare {
    #![no_implicit_prelude]

    #[::fate::supervised]
    pub(super) fn checked(x: u32) -> ::std::result::Result<u32, ::std::string::String> {
        if x > 10 {
            return ::std::result::Result::Err(::std::format!("{x} is too big"));
        }
        ::std::result::Result::Ok(x)
    }

    #[::fate::supervised]
    pub(super) fn unit() {}

    #[::fate::supervised]
    pub(super) fn evens(limit: u32) -> impl ::std::iter::Iterator<Item = u32> {
        ::std::iter::Iterator::filter(0..limit, |n| n % 2 == 0)
    }

    #[::fate::supervised]
    pub(super) fn panics() -> u32 {
        ::std::panic!("no prelude here")
    }
}

// ---------------------------------------------------------------------------------
// Behaviour under a root.

fn run<T, F>(body: F) -> StdResult<T, ::fate::Error>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    common::bounded(|| ::fate::Supervisor::new().run(body))
}

#[test]
fn workers_next_to_clashing_names_return_their_values() {
    let flag = ::std::sync::Arc::new(::std::sync::atomic::AtomicBool::new(false));
    let seen = ::std::sync::Arc::clone(&flag);
    let values = run(move || {
        unit_worker(&flag);
        let mut holder = Holder {
            values: ::std::vec![3],
        };
        let pushed = holder.push(4);
        let first = holder.first().copied();
        let all: ::std::vec::Vec<u32> = holder.iter().copied().collect();
        (
            (
                returns_user_result(1),
                returns_user_option(2),
                returns_std_result(3),
                returns_std_option(0),
                renamed(1),
            ),
            (pushed, first, all),
            shadowed::read(false).map_err(|e| e.to_string()),
            bare::checked(4),
            bare::evens(5).collect::<::std::vec::Vec<u32>>(),
            bare::unit(),
            (worker(), worker_plain(), run_main()),
            (catch_unwind(), resume_unwind()),
        )
    })
    .unwrap_or_else(|error| ::std::panic!("failed: {error:?}"));
    assert_eq!(
        values,
        (
            (
                Result(2),
                Option(4),
                ::std::result::Result::Ok(3),
                ::std::option::Option::None,
                ::std::result::Result::Ok(8),
            ),
            (
                ::std::result::Result::Ok(2),
                ::std::option::Option::Some(3),
                ::std::vec![3, 4],
            ),
            ::std::result::Result::Ok(5),
            ::std::result::Result::Ok(4),
            ::std::vec![0, 2, 4],
            (),
            (1, 2, 3),
            (4, 5),
        )
    );
    assert!(seen.load(::std::sync::atomic::Ordering::SeqCst));
}

#[test]
fn an_err_next_to_clashing_names_is_reported() {
    let error = run(|| -> () {
        ::std::mem::drop(returns_std_result(0));
        common::block_forever()
    })
    .expect_err("returned Err");
    assert_eq!(error.worker(), "returns_std_result");
    assert_eq!(error.kind(), ::fate::FailureKind::Error);
    assert_eq!(error.message(), "zero");
}

#[test]
fn an_err_behind_a_user_result_alias_is_reported() {
    let error = run(|| -> () {
        ::std::mem::drop(shadowed::read(true));
        common::block_forever()
    })
    .expect_err("returned Err");
    assert_eq!(error.worker(), "read");
    assert_eq!(error.message(), "disk on fire");
}

#[test]
fn an_err_without_a_prelude_is_reported() {
    let error = run(|| -> () {
        ::std::mem::drop(bare::checked(11));
        common::block_forever()
    })
    .expect_err("returned Err");
    assert_eq!(error.worker(), "checked");
    assert_eq!(error.message(), "11 is too big");
}

#[test]
fn panics_next_to_clashing_names_are_reported() {
    let error = run(|| -> () {
        ::std::mem::drop(::fate::spawn(|| panics_here("hostile panic")).join());
        common::block_forever()
    })
    .expect_err("panicked");
    assert_eq!(error.worker(), "panics_here");
    assert_eq!(error.kind(), ::fate::FailureKind::Panic);
    assert_eq!(error.message(), "hostile panic");

    let error = run(|| -> () {
        ::std::mem::drop(::fate::spawn(bare::panics).join());
        common::block_forever()
    })
    .expect_err("panicked");
    assert_eq!(error.worker(), "panics");
    assert_eq!(error.message(), "no prelude here");
}
