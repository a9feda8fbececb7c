//! With no supervisor active, a supervised worker is exactly the plain function.
//!
//! This is a test binary of its own: while any `Supervisor` runs in a process it may
//! be the process root, and then workers on every thread report to it. Here, only
//! `after_a_supervisor_has_returned_workers_are_plain_again` runs one, and it holds
//! the lock exclusively; every other test holds it shared, so no root is alive while
//! they run.

mod common;

use std::panic;
use std::time::{Duration, Instant};

use common::{bounded, exclusive, shared};

#[fate::supervised]
fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[fate::supervised]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

#[fate::supervised]
fn explode(message: &'static str) -> u32 {
    panic!("{}", message);
}

#[fate::supervised]
fn answer() {
    panic::panic_any(42_i32);
}

#[fate::supervised]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

struct Account(i64);

impl Account {
    #[fate::supervised]
    fn withdraw(&mut self, amount: i64) -> Result<i64, String> {
        if amount > self.0 {
            return Err(format!("cannot withdraw {amount} from {}", self.0));
        }
        self.0 -= amount;
        Ok(self.0)
    }
}

#[test]
fn a_worker_returns_its_value_unchanged() {
    let _guard = shared();
    assert_eq!(add(2, 3), 5);
    assert_eq!(evens(5).collect::<Vec<_>>(), [0, 2, 4]);
    let mut account = Account(10);
    assert_eq!(account.withdraw(4), Ok(6));
    assert_eq!(account.withdraw(7), Err("cannot withdraw 7 from 6".into()));
    assert_eq!(account.0, 6);
}

#[test]
fn a_worker_returns_its_err_unchanged() {
    let _guard = shared();
    assert_eq!(parse("12"), Ok(12));
    assert_eq!(parse("x"), "x".parse::<u32>());
}

#[test]
fn a_panic_propagates_with_its_payload() {
    let _guard = shared();
    let payload = panic::catch_unwind(|| explode("no root here")).expect_err("propagates");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("no root here")
    );
    let payload = bounded(|| std::thread::spawn(answer).join().expect_err("propagates"));
    assert_eq!(payload.downcast_ref::<i32>(), Some(&42));
}

#[test]
fn fate_spawn_without_a_root_is_std_thread_spawn() {
    let _guard = shared();
    let value = bounded(|| fate::spawn(|| add(1, 1)).join().expect("no panic"));
    assert_eq!(value, 2);
    let payload = bounded(|| fate::spawn(answer).join().expect_err("propagates"));
    assert_eq!(payload.downcast_ref::<i32>(), Some(&42));
}

#[test]
fn nothing_is_ever_cancelled_without_a_root() {
    let _guard = shared();
    assert!(!fate::is_cancelled());
    let _ = panic::catch_unwind(|| explode("a panic cancels nothing"));
    let _ = parse("an error cancels nothing");
    assert!(!fate::is_cancelled());
    let start = Instant::now();
    assert!(!fate::wait_cancelled(Duration::from_millis(100)));
    assert!(start.elapsed() >= Duration::from_millis(100));
}

#[test]
fn after_a_supervisor_has_returned_workers_are_plain_again() {
    let _guard = exclusive();
    let result = bounded(|| {
        fate::Supervisor::new().run(|| -> u32 {
            let _ = fate::spawn(|| explode("inside the root")).join();
            common::block_forever()
        })
    });
    assert_eq!(result.expect_err("failed").message(), "inside the root");
    // The root has returned (its body is left behind, blocked): on other threads
    // nothing is cancelled, and a worker is the plain function again, with fate's
    // panic hook now installed.
    assert!(!fate::is_cancelled());
    assert_eq!(add(1, 2), 3);
    assert_eq!(parse("x"), "x".parse::<u32>());
    let payload = panic::catch_unwind(|| explode("after the root")).expect_err("propagates");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("after the root")
    );
    // A new root sees none of that, and succeeds.
    let result = bounded(|| fate::Supervisor::new().run(|| (fate::is_cancelled(), add(2, 2))));
    assert_eq!(result.expect("no failure"), (false, 4));
}
