//! `fn main() -> Result<(), String>`: a worker panics while the body is blocked.

use std::thread;

#[fate::supervised]
fn main() -> Result<(), String> {
    thread::Builder::new()
        .name("worker".to_owned())
        .spawn(breaks)
        .expect("spawn");
    fate_tests::block_forever()
}

#[fate::supervised]
fn breaks() {
    panic!("string main: the worker broke");
}
