//! `#[supervised]` on every kind of function behaves exactly like the plain function:
//! same values, same `Err`s, same control flow (`?`, early `return`), and a panic
//! still propagates. Each supervised function has a plain twin; both are called under
//! a `Supervisor` and compared.
//!
//! Every test is bounded in time; every root sees only the threads it starts with
//! `fate::spawn`, so the tests here run in parallel.

mod common;

use std::collections::BTreeMap;
use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;
use std::sync::mpsc;
use std::time::Duration;

use common::{block_forever, bounded, recv};
use fate::{FailureKind, Supervisor};

/// Runs `body` under a fresh root and returns its value; fails the test if any
/// worker failed.
fn supervised_ok<T, F>(body: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    bounded(|| Supervisor::new().run(body)).unwrap_or_else(|error| panic!("failed: {error:?}"))
}

/// Runs `body` under a fresh root whose report is made only after the body finished
/// (grace), and returns the body's value together with the report.
fn supervised_failing<T, F>(body: F) -> (T, fate::Error)
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let result = bounded(move || {
        Supervisor::new()
            .grace(Duration::from_secs(10))
            .run(move || {
                tx.send(body()).expect("the test listens");
            })
    });
    let value = recv(&rx);
    (value, result.expect_err("expected a failure"))
}

// ---------------------------------------------------------------------------------
// Methods.

#[derive(Debug, Clone, PartialEq)]
struct Counter {
    count: u32,
    label: String,
}

impl Counter {
    #[fate::supervised]
    fn new(label: &str) -> Self {
        Counter {
            count: 0,
            label: label.to_owned(),
        }
    }

    #[fate::supervised]
    fn get(&self) -> u32 {
        self.count
    }

    #[fate::supervised]
    fn label(&self) -> &str {
        &self.label
    }

    #[fate::supervised]
    fn bump(&mut self, by: u32) -> u32 {
        self.count += by;
        self.count
    }

    #[fate::supervised]
    fn bump_checked(&mut self, by: u32) -> Result<u32, String> {
        if by == 0 {
            return Err(format!("cannot bump {} by zero", self.label));
        }
        self.count = self.count.checked_add(by).ok_or("overflow")?;
        Ok(self.count)
    }

    #[fate::supervised]
    fn into_label(self) -> String {
        format!("{}={}", self.label, self.count)
    }

    #[fate::supervised]
    fn consume_and_panic(self) {
        panic!("consumed {}", self.label);
    }

    #[fate::supervised]
    fn with_count(mut self, count: u32) -> Self {
        self.count = count;
        self
    }

    #[fate::supervised]
    fn digits(&self) -> impl Iterator<Item = u32> + '_ {
        self.label.chars().filter_map(|c| c.to_digit(10))
    }
}

/// The plain twin of `Counter`'s supervised methods.
impl Counter {
    fn plain_bump_checked(&mut self, by: u32) -> Result<u32, String> {
        if by == 0 {
            return Err(format!("cannot bump {} by zero", self.label));
        }
        self.count = self.count.checked_add(by).ok_or("overflow")?;
        Ok(self.count)
    }
}

/// A trait implemented with supervised methods.
trait Shape {
    fn area(&self) -> f64;
    fn scale(&mut self, by: f64) -> Result<(), String>;
}

#[derive(Debug, Clone, PartialEq)]
struct Square(f64);

impl Shape for Square {
    #[fate::supervised]
    fn area(&self) -> f64 {
        self.0 * self.0
    }

    #[fate::supervised]
    fn scale(&mut self, by: f64) -> Result<(), String> {
        if by <= 0.0 {
            return Err(format!("bad factor {by}"));
        }
        self.0 *= by;
        Ok(())
    }
}

struct Countdown(u32);

impl Iterator for Countdown {
    type Item = u32;

    #[fate::supervised]
    fn next(&mut self) -> Option<u32> {
        let current = self.0.checked_sub(1)?;
        self.0 = current;
        Some(current)
    }
}

#[test]
fn methods_behave_like_plain_methods() {
    let values = supervised_ok(|| {
        let mut counter = Counter::new("c1");
        let got0 = counter.get();
        let bumped = counter.bump(5);
        let label = counter.label().to_owned();
        let checked = counter.bump_checked(2);
        let counter = counter.with_count(9);
        let digits: Vec<u32> = counter.digits().collect();
        let again = counter.clone().into_label();
        let countdown: Vec<u32> = Countdown(3).collect();
        let mut square = Square(2.0);
        let area = square.area();
        let scaled = square.scale(1.5);
        (
            got0, bumped, label, checked, digits, again, countdown, area, scaled, square,
        )
    });
    assert_eq!(
        values,
        (
            0,
            5,
            "c1".to_owned(),
            Ok(7),
            vec![1],
            "c1=9".to_owned(),
            vec![2, 1, 0],
            4.0,
            Ok(()),
            Square(3.0),
        )
    );
}

#[test]
fn a_method_returning_err_gives_the_caller_the_same_err_and_reports_it() {
    let ((supervised, plain), error) = supervised_failing(|| {
        let mut a = Counter::new("zero");
        let mut b = a.clone();
        (a.bump_checked(0), b.plain_bump_checked(0))
    });
    assert_eq!(supervised, plain);
    assert_eq!(supervised, Err("cannot bump zero by zero".to_owned()));
    assert_eq!(error.worker(), "bump_checked");
    assert_eq!(error.kind(), FailureKind::Error);
    assert_eq!(error.message(), "cannot bump zero by zero");
}

#[test]
fn a_question_mark_in_a_method_converts_the_error_like_the_plain_method() {
    let ((supervised, plain), error) = supervised_failing(|| {
        let mut a = Counter {
            count: u32::MAX,
            label: "full".into(),
        };
        let mut b = a.clone();
        (a.bump_checked(1), b.plain_bump_checked(1))
    });
    assert_eq!(supervised, plain);
    assert_eq!(supervised, Err("overflow".to_owned()));
    assert_eq!(error.message(), "overflow");
}

#[test]
fn a_trait_method_returning_err_is_reported() {
    let (value, error) = supervised_failing(|| {
        let mut square = Square(1.0);
        (square.scale(-1.0), square)
    });
    assert_eq!(value, (Err("bad factor -1".to_owned()), Square(1.0)));
    assert_eq!(error.worker(), "scale");
}

#[test]
fn a_by_value_method_that_panics_is_reported_and_the_panic_propagates() {
    let (payload, error) = supervised_failing(|| {
        let counter = Counter::new("gone");
        let joined = fate::spawn(move || counter.consume_and_panic()).join();
        joined
            .expect_err("the panic propagates")
            .downcast::<String>()
            .map(|s| *s)
            .ok()
    });
    assert_eq!(payload.as_deref(), Some("consumed gone"));
    assert_eq!(error.worker(), "consume_and_panic");
    assert_eq!(error.kind(), FailureKind::Panic);
    assert_eq!(error.message(), "consumed gone");
}

// ---------------------------------------------------------------------------------
// Generic functions.

#[fate::supervised]
fn largest<T: PartialOrd + Copy>(items: &[T]) -> Option<T> {
    let mut best = *items.first()?;
    for &item in items {
        if item > best {
            best = item;
        }
    }
    Some(best)
}

#[fate::supervised]
fn first_word<'a>(text: &'a str) -> &'a str {
    text.split_whitespace().next().unwrap_or("")
}

#[fate::supervised]
fn count_by<K, I>(items: I) -> BTreeMap<K, usize>
where
    I: IntoIterator<Item = K>,
    K: Ord,
{
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item).or_insert(0) += 1;
    }
    counts
}

#[fate::supervised]
fn parse_all<T>(items: &[&str]) -> Result<Vec<T>, T::Err>
where
    T: FromStr,
    T::Err: std::error::Error + 'static,
{
    items.iter().map(|item| item.parse()).collect()
}

fn plain_parse_all<T>(items: &[&str]) -> Result<Vec<T>, T::Err>
where
    T: FromStr,
    T::Err: std::error::Error + 'static,
{
    items.iter().map(|item| item.parse()).collect()
}

#[fate::supervised]
fn identity<T>(value: T) -> T {
    value
}

#[fate::supervised]
fn repeat<const N: usize>(value: u8) -> [u8; N] {
    [value; N]
}

#[fate::supervised]
fn sum_all(items: impl IntoIterator<Item = u32>) -> u32 {
    items.into_iter().sum()
}

#[fate::supervised]
fn destructure((a, b): (u32, u32), [c, d]: [u32; 2], mut e: u32) -> u32 {
    e += 1;
    a + b + c + d + e
}

#[test]
fn generic_functions_behave_like_plain_functions() {
    let values = supervised_ok(|| {
        (
            largest(&[3, 9, 2]),
            largest::<f64>(&[]),
            first_word("hello world").to_owned(),
            count_by("abca".chars()),
            parse_all::<u16>(&["1", "2"]),
            identity(String::from("same")),
            repeat::<3>(7),
            sum_all(vec![1, 2, 3]),
            destructure((1, 2), [3, 4], 5),
        )
    });
    let mut counts = BTreeMap::new();
    counts.insert('a', 2);
    counts.insert('b', 1);
    counts.insert('c', 1);
    assert_eq!(
        values,
        (
            Some(9),
            None,
            "hello".to_owned(),
            counts,
            Ok(vec![1, 2]),
            "same".to_owned(),
            [7, 7, 7],
            6,
            16,
        )
    );
}

#[test]
fn a_generic_function_returning_a_generic_err_is_reported_with_its_display() {
    let ((supervised, plain), error) = supervised_failing(|| {
        (
            parse_all::<u8>(&["1", "300"]),
            plain_parse_all::<u8>(&["1", "300"]),
        )
    });
    assert_eq!(supervised, plain);
    assert_eq!(
        supervised.expect_err("300 is no u8").to_string(),
        "number too large to fit in target type"
    );
    assert_eq!(error.worker(), "parse_all");
    assert_eq!(error.message(), "number too large to fit in target type");
}

#[test]
fn a_generic_function_whose_type_parameter_is_a_result_never_reports_it() {
    // `identity::<Result<..>>` is a `Result` only for this caller: the macro cannot see
    // it, so the `Err` is passed through without a report (as the probe's docs say).
    let value = supervised_ok(|| identity::<Result<u8, String>>(Err("not seen".into())));
    assert_eq!(value, Err("not seen".to_owned()));
}

// ---------------------------------------------------------------------------------
// `impl Trait` returns.

#[fate::supervised]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

#[fate::supervised]
fn evens_of<'a>(items: &'a [u32]) -> impl Iterator<Item = &'a u32> + 'a {
    items.iter().filter(|n| *n % 2 == 0)
}

/// The closure's parameter gets its higher-ranked type `for<'a> Fn(&'a str)` from the
/// return type, as in the plain function (the body is not moved into a closure).
#[fate::supervised]
fn greeter(name: String) -> impl Fn(&str) -> String {
    move |greeting| format!("{greeting}, {name}")
}

#[fate::supervised]
fn displayed(n: u32) -> impl fmt::Display + fmt::Debug {
    n * 10
}

#[fate::supervised]
fn boxed_numbers(n: u32) -> Box<dyn Iterator<Item = u32>> {
    Box::new(0..n)
}

#[fate::supervised]
fn parse_iter(text: &str) -> Result<impl Iterator<Item = u32>, ParseIntError> {
    let mut numbers = Vec::new();
    for part in text.split(',') {
        if part.is_empty() {
            continue;
        }
        numbers.push(part.trim().parse::<u32>()?);
    }
    if numbers.is_empty() {
        return Ok(Vec::new().into_iter());
    }
    Ok(numbers.into_iter())
}

fn plain_parse_iter(text: &str) -> Result<impl Iterator<Item = u32>, ParseIntError> {
    let mut numbers = Vec::new();
    for part in text.split(',') {
        if part.is_empty() {
            continue;
        }
        numbers.push(part.trim().parse::<u32>()?);
    }
    if numbers.is_empty() {
        return Ok(Vec::new().into_iter());
    }
    Ok(numbers.into_iter())
}

#[test]
fn impl_trait_returns_behave_like_plain_functions() {
    let values = supervised_ok(|| {
        let greet = greeter("Ada".into());
        let numbers = [1, 2, 3, 4];
        (
            evens(7).collect::<Vec<_>>(),
            evens_of(&numbers).copied().collect::<Vec<_>>(),
            greet("Hello"),
            displayed(4).to_string(),
            format!("{:?}", displayed(5)),
            boxed_numbers(3).collect::<Vec<_>>(),
            parse_iter("1, 2,3").map(|it| it.collect::<Vec<_>>()),
            parse_iter("").map(|it| it.collect::<Vec<_>>()),
        )
    });
    assert_eq!(
        values,
        (
            vec![0, 2, 4, 6],
            vec![2, 4],
            "Hello, Ada".to_owned(),
            "40".to_owned(),
            "50".to_owned(),
            vec![0, 1, 2],
            Ok(vec![1, 2, 3]),
            Ok(vec![]),
        )
    );
}

#[test]
fn result_of_impl_iterator_with_question_mark_passes_the_err_and_reports_it() {
    let ((supervised, plain), error) = supervised_failing(|| {
        (
            parse_iter("1,x").map(|it| it.collect::<Vec<_>>()),
            plain_parse_iter("1,x").map(|it| it.collect::<Vec<_>>()),
        )
    });
    assert_eq!(supervised, plain);
    assert_eq!(
        supervised.expect_err("x is no number").to_string(),
        "invalid digit found in string"
    );
    assert_eq!(error.worker(), "parse_iter");
    assert_eq!(error.kind(), FailureKind::Error);
    assert_eq!(error.message(), "invalid digit found in string");
}

// ---------------------------------------------------------------------------------
// `?`, early `return`, and error types.

#[derive(Debug, PartialEq)]
enum AppError {
    Parse(ParseIntError),
    Negative(i64),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Parse(e) => write!(f, "not a number: {e}"),
            AppError::Negative(n) => write!(f, "negative: {n}"),
        }
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AppError::Parse(e) => Some(e),
            AppError::Negative(_) => None,
        }
    }
}

impl From<ParseIntError> for AppError {
    fn from(e: ParseIntError) -> Self {
        AppError::Parse(e)
    }
}

#[fate::supervised]
fn checked(text: &str) -> Result<i64, AppError> {
    let n: i64 = text.trim().parse()?;
    if n < 0 {
        return Err(AppError::Negative(n));
    }
    if n == 0 {
        return Ok(-1);
    }
    Ok(n * 2)
}

fn plain_checked(text: &str) -> Result<i64, AppError> {
    let n: i64 = text.trim().parse()?;
    if n < 0 {
        return Err(AppError::Negative(n));
    }
    if n == 0 {
        return Ok(-1);
    }
    Ok(n * 2)
}

#[fate::supervised]
fn early_return(n: u32) -> u32 {
    if n > 10 {
        return 10;
    }
    for i in 0..n {
        if i == 3 {
            return 100 + i;
        }
    }
    n
}

#[fate::supervised]
fn option_question(values: &[u32]) -> Option<u32> {
    let first = values.first()?;
    let last = values.last()?;
    Some(first + last)
}

#[fate::supervised]
fn boxed_error(text: &str) -> Result<u32, Box<dyn std::error::Error>> {
    if text.is_empty() {
        return Err("empty input".into());
    }
    Ok(text.parse::<u32>()?)
}

#[fate::supervised]
fn io_alias(fail: bool) -> std::io::Result<&'static str> {
    if fail {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such thing",
        ))
    } else {
        Ok("found")
    }
}

type MyResult<T> = Result<T, String>;

#[fate::supervised]
fn user_alias(fail: bool) -> MyResult<u8> {
    if fail {
        Err("alias failed".into())
    } else {
        Ok(1)
    }
}

#[derive(Debug, PartialEq)]
struct OnlyDebug(u8);

#[fate::supervised]
fn debug_only_error() -> Result<(), OnlyDebug> {
    Err(OnlyDebug(3))
}

#[fate::supervised]
fn unit_worker(log: &mut Vec<&'static str>) {
    log.push("ran");
    if log.len() > 1 {
        return;
    }
    log.push("not returned early");
}

#[fate::supervised]
fn diverges(message: String) -> ! {
    panic!("{message}")
}

#[test]
fn question_mark_and_early_return_behave_like_the_plain_function() {
    let values = supervised_ok(|| {
        let mut log = Vec::new();
        unit_worker(&mut log);
        unit_worker(&mut log);
        (
            ["21", " 4 ", "0"].map(|t| (checked(t), plain_checked(t))),
            [2, 5, 11].map(early_return),
            (option_question(&[1, 2, 3]), option_question(&[])),
            boxed_error("12").map_err(|e| e.to_string()),
            io_alias(false).map_err(|e| e.to_string()),
            user_alias(false),
            log,
        )
    });
    let (pairs, early, options, boxed, io, alias, log) = values;
    for (supervised, plain) in pairs {
        assert_eq!(supervised, plain);
    }
    assert_eq!(early, [2, 103, 10]);
    assert_eq!(options, (Some(4), None));
    assert_eq!(boxed, Ok(12));
    assert_eq!(io, Ok("found"));
    assert_eq!(alias, Ok(1));
    assert_eq!(log, ["ran", "not returned early", "ran"]);
}

#[test]
fn question_mark_err_is_converted_like_the_plain_function_and_reported_with_its_source() {
    use std::error::Error as _;
    let ((supervised, plain), error) = supervised_failing(|| (checked("x"), plain_checked("x")));
    assert_eq!(supervised, plain);
    assert!(matches!(supervised, Err(AppError::Parse(_))));
    assert_eq!(error.worker(), "checked");
    assert_eq!(
        error.message(),
        "not a number: invalid digit found in string"
    );
    assert_eq!(
        error.source().map(|s| s.to_string()).as_deref(),
        Some("invalid digit found in string")
    );
}

#[fate::supervised]
fn inner_err(text: &str) -> Result<i64, AppError> {
    Ok(text.parse::<i64>()?)
}

#[fate::supervised]
fn outer_err(text: &str) -> Result<i64, AppError> {
    let n = inner_err(text)?;
    Ok(n + 1)
}

#[test]
fn an_err_passed_up_through_nested_workers_reaches_the_caller_unchanged() {
    let (value, error) = supervised_failing(|| outer_err("x"));
    assert_eq!(value, Err(AppError::Parse("x".parse::<i64>().unwrap_err())));
    // The report is built from the innermost worker, where the error arose. (Each
    // worker it passes through returns it too, and counts as a later failure.)
    assert_eq!(error.worker(), "inner_err");
    assert_eq!(
        error.message(),
        "not a number: invalid digit found in string"
    );
}

#[test]
fn early_return_err_is_reported() {
    let ((supervised, plain), error) = supervised_failing(|| (checked("-3"), plain_checked("-3")));
    assert_eq!(supervised, plain);
    assert_eq!(supervised, Err(AppError::Negative(-3)));
    assert_eq!(error.message(), "negative: -3");
}

#[test]
fn error_aliases_and_boxed_errors_are_reported() {
    let (_, error) = supervised_failing(|| boxed_error("").map_err(|e| e.to_string()));
    assert_eq!(error.message(), "empty input");
    let (value, error) = supervised_failing(|| io_alias(true).map_err(|e| e.kind()));
    assert_eq!(value, Err(std::io::ErrorKind::NotFound));
    assert_eq!(error.worker(), "io_alias");
    assert_eq!(error.message(), "no such thing");
    let (value, error) = supervised_failing(|| user_alias(true));
    assert_eq!(value, Err("alias failed".to_owned()));
    assert_eq!(error.message(), "alias failed");
    let (value, error) = supervised_failing(debug_only_error);
    assert_eq!(value, Err(OnlyDebug(3)));
    assert_eq!(
        error.message(),
        "OnlyDebug(3)",
        "an error that is only Debug"
    );
}

#[test]
fn a_diverging_worker_panics_as_the_plain_function_would() {
    let (payload, error) = supervised_failing(|| {
        fate::spawn(|| diverges("never returns".into()))
            .join()
            .expect_err("it panicked")
            .downcast::<String>()
            .map(|s| *s)
            .ok()
    });
    assert_eq!(payload.as_deref(), Some("never returns"));
    assert_eq!(error.worker(), "diverges");
}

#[test]
fn an_option_none_or_an_ok_is_not_a_failure() {
    let value = supervised_ok(|| {
        let none = option_question(&[]);
        let ok = checked("1");
        (none, ok)
    });
    assert_eq!(value, (None, Ok(2)));
}

// ---------------------------------------------------------------------------------
// Attributes and visibility survive.

mod nested {
    /// Doc comments and other attributes stay on the function.
    #[fate::supervised(name = "nested::visible")]
    #[must_use]
    #[inline]
    pub(crate) fn visible(x: u32) -> u32 {
        #![allow(clippy::identity_op)]
        x + 0
    }
}

#[test]
fn attributes_visibility_and_inner_attributes_survive() {
    assert_eq!(supervised_ok(|| nested::visible(5)), 5);
}

#[test]
fn a_worker_panic_under_a_root_still_propagates_through_plain_code() {
    // A supervised worker called directly in the body: its panic unwinds through the
    // body as usual (and is caught here by user code outside the worker).
    let (caught, error) = supervised_failing(|| {
        std::panic::catch_unwind(|| Counter::new("direct").consume_and_panic())
            .expect_err("propagates")
            .downcast::<String>()
            .map(|s| *s)
            .ok()
    });
    assert_eq!(caught.as_deref(), Some("consumed direct"));
    assert_eq!(error.worker(), "consume_and_panic");
}

#[test]
fn a_failing_worker_does_not_stop_the_body_running_blocked_forever_from_returning() {
    let result = bounded(|| {
        Supervisor::new().run(|| -> () {
            let _ = fate::spawn(|| checked("-1")).join();
            block_forever()
        })
    });
    assert_eq!(result.expect_err("failed").worker(), "checked");
}

/// `#[track_caller]` keeps working: the panic's location is the caller's, in the
/// report as in the plain function.
#[fate::supervised]
#[track_caller]
fn checked_index(items: &[u32], index: usize) -> u32 {
    match items.get(index) {
        Some(item) => *item,
        None => panic!("index {index} out of range"),
    }
}

#[test]
fn track_caller_reports_the_callers_location() {
    let _guard = common::shared();
    let caller_line = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let line = caller_line.clone();
    let error = bounded(move || {
        Supervisor::new().run(move || -> () {
            let _ = fate::spawn(move || {
                line.store(line!() + 1, std::sync::atomic::Ordering::SeqCst);
                checked_index(&[1, 2], 5)
            })
            .join();
            block_forever()
        })
    })
    .expect_err("the worker panicked");
    let location = error.location().expect("a panic location");
    assert_eq!(location.file(), file!());
    assert_eq!(
        location.line(),
        caller_line.load(std::sync::atomic::Ordering::SeqCst)
    );
}
