//! `stall = ".."` with `fate::heartbeat()`, and `max_poll = ".."` (issue 11, item 2).

use std::hint::black_box;
use std::time::{Duration, Instant};

use fate_tests::{block_forever, scenario, unknown};

/// Spins and never beats.
#[fate::supervised(stall = "200ms")]
fn spin() {
    let mut x = 0u64;
    loop {
        x = black_box(x.wrapping_add(1));
    }
}

/// Beats for a while, then gets stuck.
#[fate::supervised(stall = "200ms")]
fn beat_then_stick(rounds: u32) {
    for _ in 0..rounds {
        std::thread::sleep(Duration::from_millis(20));
        fate::heartbeat(); // the last heartbeat before it sticks
    }
    block_forever()
}

/// Beats every 20 ms for 600 ms (three budgets), then returns.
#[fate::supervised(stall = "200ms")]
fn beat_and_finish() -> u32 {
    let started = Instant::now();
    let mut beats = 0;
    while started.elapsed() < Duration::from_millis(600) {
        std::thread::sleep(Duration::from_millis(20));
        fate::heartbeat();
        beats += 1;
    }
    beats
}

/// Blocks its executor's thread for a second in one poll.
#[fate::supervised(max_poll = "50ms")]
async fn handle(request: u32) -> u32 {
    tokio::task::yield_now().await;
    std::thread::sleep(Duration::from_secs(1));
    request
}

/// Polls quickly, many times, and finishes: never blocked.
#[fate::supervised(max_poll = "50ms")]
async fn well_behaved() -> u32 {
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    7
}

/// Waits forever without a heartbeat.
#[fate::supervised(stall = "200ms")]
async fn waits_forever() {
    std::future::pending::<()>().await;
}

#[fate::supervised(stall = "200ms", critical = false)]
fn optional_spin() {
    std::thread::sleep(Duration::from_millis(400));
}

static ATTEMPTS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Fails once, then backs off for 1 s, five times its heartbeat budget: fate's own wait,
/// not a stall; the second attempt succeeds.
#[fate::supervised(stall = "200ms", restart = 1, backoff = "1s")]
fn backs_off() -> Result<u32, String> {
    fate::heartbeat();
    if ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
        return Err("first attempt".to_owned());
    }
    Ok(2)
}

#[fate::supervised(stall = "200ms", restart = 1, backoff = "1s")]
async fn backs_off_async() -> Result<u32, String> {
    fate::heartbeat();
    if ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
        return Err("first attempt".to_owned());
    }
    Ok(3)
}

/// Not critical: silent for 300 ms (a stall), beats for 300 ms, silent for 500 ms (a
/// second stall, which is reported too).
#[fate::supervised(critical = false, stall = "100ms")]
fn stalls_twice() {
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..10 {
        fate::heartbeat();
        std::thread::sleep(Duration::from_millis(30));
    }
    std::thread::sleep(Duration::from_millis(500));
}

/// Not critical: two polls that each block for 300 ms.
#[fate::supervised(critical = false, max_poll = "100ms")]
async fn blocks_twice() {
    std::thread::sleep(Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(50)).await;
    std::thread::sleep(Duration::from_millis(300));
}

/// Watched with a short budget; all its time is spent in `beats_inside`, which beats.
#[fate::supervised(stall = "300ms")]
fn watches_outside() -> u32 {
    beats_inside()
}

/// Watched with a long budget, beats every 50 ms for a second.
#[fate::supervised(stall = "5s")]
fn beats_inside() -> u32 {
    let mut beats = 0;
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(50));
        fate::heartbeat();
        beats += 1;
    }
    beats
}

#[fate::supervised]
fn main() {
    match scenario().as_str() {
        "spinning" => {
            std::thread::spawn(spin);
            block_forever()
        }
        "beat_then_stick" => {
            std::thread::spawn(|| beat_then_stick(5));
            block_forever()
        }
        "beat_and_finish" => {
            let beats = std::thread::spawn(beat_and_finish)
                .join()
                .expect("no panic");
            println!(
                "finished after {} heartbeats",
                if beats > 20 { "many" } else { "few" }
            );
            std::thread::sleep(Duration::from_millis(300));
            println!("cancelled: {}", fate::is_cancelled());
        }
        "blocked_poll" => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            runtime.block_on(async {
                let _ = tokio::spawn(handle(3)).await;
                tokio::time::sleep(Duration::from_secs(10)).await;
            });
        }
        "well_behaved_polls" => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            let value = runtime.block_on(async { tokio::spawn(well_behaved()).await });
            println!("value: {}", value.expect("no panic"));
            std::thread::sleep(Duration::from_millis(100));
            println!("cancelled: {}", fate::is_cancelled());
        }
        "async_stall" => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            runtime.block_on(async {
                tokio::spawn(waits_forever());
                tokio::time::sleep(Duration::from_secs(10)).await;
            });
        }
        "restart_backoff" => {
            println!("value: {:?}", backs_off());
        }
        "restart_backoff_async" => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            let value = runtime.block_on(async { tokio::spawn(backs_off_async()).await });
            println!("value: {:?}", value.expect("no panic"));
        }
        "not_critical" => {
            let _ = std::thread::spawn(optional_spin).join();
            println!("cancelled: {}", fate::is_cancelled());
        }
        "not_critical_twice" => {
            let _ = std::thread::spawn(stalls_twice).join();
            println!("cancelled: {}", fate::is_cancelled());
        }
        "not_critical_blocks_twice" => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            runtime
                .block_on(async { tokio::spawn(blocks_twice()).await })
                .expect("no panic");
            println!("cancelled: {}", fate::is_cancelled());
        }
        "nested" => {
            println!("beats: {}", watches_outside());
        }
        other => unknown(other),
    }
}
