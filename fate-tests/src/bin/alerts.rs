//! `critical = false` and `fate::on_failure` (issue 11, items 3 and 4).

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fate_tests::{block_forever, scenario, unknown};

#[fate::supervised(critical = false)]
fn optional_panics() {
    panic!("the cache warmer broke");
}

#[fate::supervised(critical = false)]
fn optional_fails() -> Result<(), String> {
    Err("the metrics push failed".to_owned())
}

#[fate::supervised(critical = false)]
async fn optional_task() -> Result<(), std::io::Error> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    Err(std::io::Error::other("the async refresher failed"))
}

static CALLS: AtomicU32 = AtomicU32::new(0);

#[fate::supervised(restart = 2)]
fn flaky() -> Result<u32, String> {
    if CALLS.fetch_add(1, Ordering::SeqCst) < 2 {
        return Err("flaky failed".to_owned());
    }
    Ok(1)
}

/// Calls the non-critical worker and passes its `Err` up: its own failure.
#[fate::supervised]
fn needs_the_metrics() -> Result<(), String> {
    optional_fails()?;
    Ok(())
}

#[fate::supervised]
fn essential() {
    panic!("the essential worker broke");
}

/// Prints each failure a hook sees, on stdout, one line each.
fn print_failures() {
    fate::on_failure(|failure| {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "hook: {:?}: {failure}", failure.disposition());
        let _ = stdout.flush();
    });
}

fn main() -> std::process::ExitCode {
    // Each is a `main` (a root) of its own, with its own options.
    match scenario().as_str() {
        "grace_1s_slow_hook" => grace_1s::main(),
        "all_panics_hook_panics" => all_panics::main(),
        _ => plain::main(),
    }
}

mod plain {
    use super::*;

    #[fate::supervised]
    pub(super) fn main() -> std::process::ExitCode {
        scenarios()
    }
}

fn scenarios() -> std::process::ExitCode {
    match scenario().as_str() {
        // A worker that is not critical panics, another returns `Err`: main goes on.
        "not_critical" => {
            let _ = std::thread::spawn(optional_panics).join();
            let _ = std::thread::spawn(optional_fails).join();
            std::thread::sleep(Duration::from_millis(50));
            println!("main still running, cancelled: {}", fate::is_cancelled());
        }
        "not_critical_async" => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            let result = runtime.block_on(async { tokio::spawn(optional_task()).await });
            println!("the task returned: {}", result.expect("no panic").is_err());
            println!("cancelled: {}", fate::is_cancelled());
        }
        // Called by a critical worker that passes its `Err` up: that worker's failure.
        "not_critical_inside_critical" => {
            std::thread::spawn(needs_the_metrics);
            block_forever()
        }
        // Then a critical worker fails: its report lists the one before.
        "not_critical_then_failure" => {
            let _ = std::thread::spawn(optional_fails).join();
            std::thread::spawn(essential);
            block_forever()
        }
        // The hook sees the restarts, the non-critical failure and the failure that
        // ends main, each once and in order, before the process exits.
        "hooks_see_everything" => {
            print_failures();
            flaky().expect("the third attempt succeeds");
            let _ = std::thread::spawn(optional_fails).join();
            std::thread::sleep(Duration::from_millis(50));
            std::thread::spawn(essential);
            block_forever()
        }
        // A hook that never returns, no grace period: the process still ends, 1 s
        // after the failure at most.
        "no_grace_slow_hook" => {
            fate::on_failure(|_| block_forever());
            std::thread::spawn(essential);
            block_forever()
        }
        // A hook that panics every time: noted once, and the failures still end main.
        "hook_panics" => {
            fate::on_failure(|failure| panic!("the alert sink is down ({failure})"));
            print_failures();
            let _ = std::thread::spawn(optional_fails).join();
            std::thread::sleep(Duration::from_millis(50));
            std::thread::spawn(essential);
            block_forever()
        }
        // A hook that takes 6 s the first time: cut off after 5 s, noted, and never
        // called again; the next hook still gets every failure.
        "hook_cut_off" => {
            fate::on_failure(|_| std::thread::sleep(Duration::from_secs(6)));
            print_failures();
            let _ = std::thread::spawn(optional_fails).join();
            let _ = std::thread::spawn(optional_panics).join();
            std::thread::sleep(Duration::from_millis(5500));
            println!("main returns");
        }
        other => unknown(other),
    }
    std::process::ExitCode::SUCCESS
}

mod grace_1s {
    use super::*;

    /// grace = "1s": a hook that never returns holds the exit until the grace period
    /// is over, not longer.
    #[fate::supervised(grace = "1s")]
    pub(super) fn main() -> std::process::ExitCode {
        fate::on_failure(|_| block_forever());
        std::thread::spawn(essential);
        std::thread::sleep(Duration::from_millis(100));
        // The body returns soon after the failure: the rest of the grace period is
        // the hooks'.
        std::process::ExitCode::SUCCESS
    }
}

mod all_panics {
    use super::*;

    /// Under `all_panics`, a hook's own panic is still not a failure.
    #[fate::supervised(all_panics)]
    pub(super) fn main() -> std::process::ExitCode {
        fate::on_failure(|failure| {
            if failure.disposition() == fate::Disposition::NotCritical {
                panic!("the hook broke");
            }
        });
        print_failures();
        let _ = std::thread::spawn(optional_fails).join();
        std::thread::sleep(Duration::from_millis(100));
        println!("main returns");
        std::process::ExitCode::SUCCESS
    }
}
