//! `#[supervised(systemd = "manual")]`: READY=1 at `fate::ready()` (`tests/systemd.rs`).

use std::time::Duration;

#[fate::supervised(systemd = "manual")]
fn main() {
    std::thread::sleep(Duration::from_millis(300)); // binding sockets, loading state
    fate::ready();
    fate::ready(); // said once
    std::thread::sleep(Duration::from_millis(200));
}
