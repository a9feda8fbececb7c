//! The feature `systemd` (issue 12) under a fake service manager: `tests/systemd.rs`
//! binds the `NOTIFY_SOCKET` and reads what the program tells it.

use std::time::Duration;

use fate_tests::{block_forever, scenario, unknown};

/// Beats for 400 ms, then is stuck: not critical, so the program goes on, but the
/// watchdog pings stop.
#[fate::supervised(stall = "200ms", critical = false)]
fn gets_stuck() {
    for _ in 0..20 {
        fate::heartbeat();
        std::thread::sleep(Duration::from_millis(20));
    }
    block_forever()
}

#[fate::supervised]
fn fails() -> Result<(), String> {
    std::thread::sleep(Duration::from_millis(300));
    Err("the disk is full".to_owned())
}

#[fate::supervised]
fn main() {
    match scenario().as_str() {
        "ok" => std::thread::sleep(Duration::from_millis(700)),
        "stall" => {
            std::thread::spawn(gets_stuck);
            std::thread::sleep(Duration::from_millis(1500));
        }
        "fails" => {
            std::thread::spawn(fails);
            block_forever()
        }
        other => unknown(other),
    }
}
