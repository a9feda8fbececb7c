//! `#[supervised(signals)]` on a `main` that returns `Result`: its own `Err`, returned
//! while the program stops on a signal, is what it ends with (`tests/signals.rs`).

use std::time::Duration;

#[fate::supervised(signals, grace = "2s")]
fn main() -> Result<(), String> {
    eprintln!("ready");
    while !fate::wait_cancelled(Duration::from_secs(60)) {}
    Err("could not flush the journal".to_owned())
}
