//! `fate::status()` (issue 12): what it says while workers stall and recover.

use std::time::Duration;

use fate_tests::{scenario, unknown};

/// Not critical: one poll blocks its thread for 600 ms.
#[fate::supervised(critical = false, max_poll = "100ms")]
async fn blocks_once() {
    std::thread::sleep(Duration::from_millis(600));
}

fn say(when: &str) {
    let status = fate::status();
    println!(
        "{when}: healthy {}, stalls {}",
        status.is_healthy(),
        status.stalls.len()
    );
}

fn main() {
    match scenario().as_str() {
        "blocked_poll" => {
            let returned = fate::Supervisor::new().run(|| {
                fate::spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .expect("a runtime");
                    runtime.block_on(blocks_once());
                });
                std::thread::sleep(Duration::from_millis(50));
                say("before");
                std::thread::sleep(Duration::from_millis(250));
                say("blocked");
                std::thread::sleep(Duration::from_millis(600));
                say("after");
            });
            assert!(returned.is_ok());
        }
        other => unknown(other),
    }
}
