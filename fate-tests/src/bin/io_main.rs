//! `fn main() -> std::io::Result<()>`: a worker panics while the body is blocked.

use std::thread;

#[fate::supervised]
fn main() -> std::io::Result<()> {
    thread::Builder::new()
        .name("worker".to_owned())
        .spawn(breaks)
        .expect("spawn");
    fate_tests::block_forever()
}

#[fate::supervised]
fn breaks() {
    panic!("io main: the worker broke");
}
