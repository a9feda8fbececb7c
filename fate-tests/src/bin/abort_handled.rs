//! Under `panic = "abort"`: a supervised caller handles an inner `Err` whose `Display`
//! panics. The program is healthy (plain Rust never formats the error): it must exit
//! 0, not abort in fate's formatting.

use std::fmt;

#[derive(Debug)]
struct Touchy;

impl fmt::Display for Touchy {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("never format me")
    }
}

impl std::error::Error for Touchy {}

#[fate::supervised]
fn inner() -> Result<u32, Touchy> {
    Err(Touchy)
}

#[fate::supervised]
fn outer() -> u32 {
    inner().unwrap_or(7)
}

#[fate::supervised]
fn main() {
    let value = std::thread::spawn(outer).join().expect("no panic");
    println!("value {value}");
}
