//! `fate::status()` (issue 12): what it says while workers stall and recover.

use std::time::Duration;

use fate_tests::{scenario, unknown};

/// Not critical: one poll blocks its thread for 600 ms.
#[fate::supervised(critical = false, max_poll = "100ms")]
async fn blocks_once() {
    std::thread::sleep(Duration::from_millis(600));
}

/// Not critical: silent for 700 ms, past its 100 ms budget.
#[fate::supervised(stall = "100ms", critical = false)]
fn silent_in_a_scope() {
    std::thread::sleep(Duration::from_millis(700));
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
        // A stall in a scope nested in the root: the root's status has it too.
        "scope_stall" => {
            let returned = fate::Supervisor::new().run(|| {
                let prober = fate::spawn(|| {
                    std::thread::sleep(Duration::from_millis(400));
                    say("during");
                });
                let scoped = fate::scope(|s| {
                    s.spawn(silent_in_a_scope);
                });
                assert!(scoped.is_ok());
                prober.join().expect("no panic");
                say("after");
            });
            assert!(returned.is_ok());
        }
        other => unknown(other),
    }
}
