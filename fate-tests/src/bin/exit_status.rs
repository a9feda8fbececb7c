//! The exit statuses (issue 12): one scenario per row of the README's table. `main`
//! returns `()` here; `exit_code.rs` (`-> ExitCode`) and `result.rs` (`-> Result`)
//! have the `exit_code = N` rows for their return types.

use std::time::Duration;

use fate_tests::{block_forever, scenario, unknown};

#[fate::supervised]
fn panics() {
    panic!("a worker panicked");
}

#[fate::supervised]
fn fails() -> Result<(), String> {
    Err("a worker failed".to_owned())
}

#[fate::supervised(stall = "100ms")]
fn stalls() {
    block_forever()
}

/// The worker that reads the configuration: restarting cannot help when it fails.
#[fate::supervised(exit_code = 78)]
fn load_config() -> Result<u32, String> {
    Err("the port is not a number".to_owned())
}

#[fate::supervised(exit_code = 78)]
fn load_config_panics() -> u32 {
    panic!("no configuration file")
}

#[fate::supervised(exit_code = 78, stall = "100ms")]
fn load_config_stalls() {
    block_forever()
}

/// Fails after a plain worker failed first: the first failure's status wins.
#[fate::supervised(exit_code = 78)]
fn load_config_later() -> Result<u32, String> {
    std::thread::sleep(Duration::from_millis(200));
    Err("too late to decide".to_owned())
}

/// A plain supervised helper of a worker with `exit_code`.
#[fate::supervised]
fn read_file() -> Result<u32, String> {
    Err("no such file".to_owned())
}

#[fate::supervised]
fn parse_file() -> u32 {
    panic!("not a number")
}

/// The worker that loads the configuration, through helpers that have no
/// `exit_code`: their failures passing through it take its status.
#[fate::supervised(exit_code = 79)]
fn load_through_helpers(panics: bool) -> Result<u32, String> {
    if panics {
        return Ok(parse_file());
    }
    read_file()
}

/// An inner `exit_code` passed through an outer one: the innermost wins.
#[fate::supervised(exit_code = 79)]
fn outer_coded() -> Result<u32, String> {
    load_config()
}

/// An outer one that wraps the inner error: its own failure, its own status.
#[fate::supervised(exit_code = 79)]
fn outer_wraps() -> Result<u32, String> {
    load_config().map_err(|e| format!("cannot start: {e}"))
}

/// Keeps the configuration's `Err`, handles another call's, then returns the first.
#[fate::supervised]
fn handles_one_returns_the_other() -> Result<u32, String> {
    let config = load_config();
    let _ = read_file(); // handled: a file that may be missing
    config
}

#[fate::supervised(exit_code = 78)]
async fn load_config_async() -> Result<u32, String> {
    tokio::task::yield_now().await;
    Err("the port is not a number".to_owned())
}

/// Calls a helper that fails, and handles it, forever.
#[fate::supervised]
async fn busy() {
    loop {
        let _ = read_file();
        tokio::task::yield_now().await;
    }
}

/// Returns the inner `Err` in a later poll, perhaps on another thread.
#[fate::supervised]
async fn returns_it_later() -> Result<u32, String> {
    let config = load_config_async().await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    tokio::task::yield_now().await;
    config
}

/// `exit_code` on an inner call: the `Err` passed up with `?` is the inner call's
/// failure, and so is its status.
#[fate::supervised]
fn serve() -> Result<u32, String> {
    let port = load_config()?;
    Ok(port)
}

/// Runs `worker` on a thread of its own while the body blocks forever: its failure
/// ends the process.
fn fails_in_a_thread<T: Send + 'static>(worker: impl FnOnce() -> T + Send + 'static) -> ! {
    std::thread::spawn(worker);
    block_forever()
}

#[fate::supervised]
fn main() {
    match scenario().as_str() {
        "panic" => fails_in_a_thread(panics),
        "err" => fails_in_a_thread(fails),
        "stall" => fails_in_a_thread(stalls),
        "coded_err" => fails_in_a_thread(load_config),
        "coded_panic" => fails_in_a_thread(load_config_panics),
        "coded_stall" => fails_in_a_thread(load_config_stalls),
        "coded_passed_up" => fails_in_a_thread(serve),
        "helper_err" => fails_in_a_thread(|| load_through_helpers(false)),
        "helper_panic" => fails_in_a_thread(|| load_through_helpers(true)),
        "inner_through_outer" => fails_in_a_thread(outer_coded),
        "outer_wraps" => fails_in_a_thread(outer_wraps),
        "handled_between" => fails_in_a_thread(handles_one_returns_the_other),
        "async_later_poll" => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .enable_time()
                .build()
                .expect("a runtime");
            // Other tasks keep the threads busy with supervised calls of their own.
            for _ in 0..8 {
                runtime.spawn(busy());
            }
            runtime.spawn(returns_it_later());
            block_forever()
        }
        "coded_second" => {
            std::thread::spawn(load_config_later);
            std::thread::sleep(Duration::from_millis(50));
            std::thread::spawn(fails);
            block_forever()
        }
        "supervisor" => {
            let error = fate::Supervisor::new()
                .run(load_config)
                .expect_err("the worker fails");
            println!("exit_code: {}", error.exit_code());
            std::process::exit(error.exit_code().into())
        }
        other => unknown(other),
    }
}
