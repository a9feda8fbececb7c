//! `#[fate::supervised(all_panics)] fn main`: every panic of the process is a failure.

use std::time::Duration;

use fate_tests::{block_forever, scenario, unknown};

#[fate::supervised(all_panics)]
fn main() {
    match scenario().as_str() {
        // A thread nobody annotated.
        "plain_thread" => {
            std::thread::Builder::new()
                .name("plain".into())
                .spawn(|| panic!("a plain thread broke"))
                .expect("spawn");
            block_forever()
        }
        // A detached plain task, which tokio alone would swallow.
        "plain_task" => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("runtime-worker")
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                tokio::spawn(async { panic!("a plain task broke") });
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
        // A panic that code catches on purpose is a failure too.
        "caught_on_purpose" => {
            let caught = std::thread::Builder::new()
                .name("catcher".into())
                .spawn(|| std::panic::catch_unwind(|| panic!("caught on purpose")).is_err())
                .expect("spawn")
                .join();
            assert!(matches!(caught, Ok(true)));
            block_forever()
        }
        // A supervised worker catches a panic, then blocks: the panic is a failure at
        // once, not when the thread next runs fate's code.
        "worker_catches_then_blocks" => {
            std::thread::spawn(catches_then_blocks);
            block_forever()
        }
        // The body itself catches one, then blocks.
        "body_catches_then_blocks" => {
            let _ = std::panic::catch_unwind(|| panic!("the body caught this"));
            block_forever()
        }
        // A scope thread catches one: `main` fails with it, though the scope is a
        // root of its own.
        "caught_in_a_scope_thread" => {
            let _ = fate::scope(|s| {
                s.spawn_named("scoped", || {
                    let _ = std::panic::catch_unwind(|| panic!("caught in a scope thread"));
                });
            });
            block_forever()
        }
        other => unknown(other),
    }
}

#[fate::supervised]
fn catches_then_blocks() {
    let _ = std::panic::catch_unwind(|| panic!("caught, then the thread blocks"));
    block_forever()
}
