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

/// Stuck at once: critical, the program ends with status 8.
#[fate::supervised(stall = "200ms")]
fn stuck_at_once() {
    block_forever()
}

/// Beats, is stuck for 500 ms (reported: not critical), then beats again.
#[fate::supervised(stall = "200ms", critical = false)]
fn stuck_for_a_while() {
    for _ in 0..10 {
        fate::heartbeat();
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    for _ in 0..30 {
        fate::heartbeat();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stuck at once, under a `Supervisor`, which returns its stall to `main`.
#[fate::supervised(stall = "100ms")]
fn stuck_in_a_supervisor() {
    std::thread::sleep(Duration::from_secs(60));
}

/// Fails with a 10,000-character message.
#[fate::supervised]
fn fails_at_length() -> Result<(), String> {
    Err("x".repeat(10_000))
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
        // The program hides the socket from its children: fate read it at the start.
        "unsets_the_socket" => {
            std::env::remove_var("NOTIFY_SOCKET");
            std::thread::sleep(Duration::from_millis(400));
        }
        "stall" => {
            std::thread::spawn(gets_stuck);
            std::thread::sleep(Duration::from_millis(1500));
        }
        "stall_critical" => {
            std::thread::spawn(stuck_at_once);
            block_forever()
        }
        "stall_recovers" => {
            std::thread::spawn(stuck_for_a_while)
                .join()
                .expect("no panic");
            std::thread::sleep(Duration::from_millis(200));
        }
        // The stall is the `Supervisor`'s, which returned it: `main`'s pings go on.
        "supervisor_stall" => {
            let returned = fate::Supervisor::new().run(|| {
                fate::spawn(stuck_in_a_supervisor);
                std::thread::sleep(Duration::from_secs(60));
            });
            eprintln!("returned: {}", returned.expect_err("stalled"));
            std::thread::sleep(Duration::from_millis(600));
        }
        "long_failure" => {
            std::thread::spawn(fails_at_length);
            block_forever()
        }
        "fails" => {
            std::thread::spawn(fails);
            block_forever()
        }
        other => unknown(other),
    }
}
