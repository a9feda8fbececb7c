//! `#[fate::supervised] fn main() -> Result<(), fate::Error>` (grace 0), one scenario
//! per first argument. Each scenario is what a user would write, cut down to the
//! failure it is about.

use std::io;
use std::panic::catch_unwind;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use fate_tests::{block_forever, number_arg, scenario, unknown, Signal, SlowDrop};
use rayon::prelude::*;

#[fate::supervised]
fn main() -> Result<(), fate::Error> {
    match scenario().as_str() {
        // 1. A worker panics; its unwinding sleeps `ms` in a Drop; the body returns Ok
        //    as soon as the panic has started.
        "unwind_on_return" => {
            let ms = number_arg(2, 300);
            let (started_tx, started_rx) = mpsc::channel();
            spawn_named("unwinder", move || unwinds_slowly(started_tx, ms));
            started_rx.recv().expect("the unwinder signals");
            Ok(())
        }
        // 2. A panics and unwinds for 200 ms; 20 ms after A's panic started, B fails.
        "slow_unwind_then_err" => {
            let (started_tx, started_rx) = mpsc::channel();
            spawn_named("slow", move || panics_slowly(started_tx));
            spawn_named("quick", move || fails_soon(started_rx));
            block_forever()
        }
        // 3, 4. Hostile errors.
        "display_error" => {
            spawn_named("hostile", fate_tests::returns_bad_display);
            block_forever()
        }
        "display_panic" => {
            spawn_named("hostile", fate_tests::returns_panicky_display);
            block_forever()
        }
        "source_cycle" => {
            spawn_named("hostile", fate_tests::returns_ouroboros);
            block_forever()
        }
        // 5. A worker panics; a Drop runs the supervised `cleanup` while it unwinds.
        "cleanup_ok" | "cleanup_err" | "cleanup_caught" => {
            let mode = scenario();
            spawn_named("unwinder", move || breaks_with_cleanup(mode));
            block_forever()
        }
        // 6. rayon's default panic handler aborts the process once it has caught a
        //    spawned job's panic.
        "rayon_spawn" => {
            let (_keep, never) = mpsc::channel::<()>();
            rayon::spawn(boom);
            let _ = never.recv();
            block_forever()
        }
        // 8. Many workers panic at once (a barrier; worker i then spins i * `stagger`
        //    times, so that later panics land while the report is being printed);
        //    the body is blocked.
        "many_panics" => {
            let n = number_arg(2, 8) as usize;
            let stagger = number_arg(3, 0);
            let barrier = Arc::new(Barrier::new(n));
            for i in 0..n {
                let barrier = barrier.clone();
                spawn_named(&format!("w{i}"), move || {
                    panics_together(barrier, i, stagger)
                });
            }
            block_forever()
        }
        // 10a. A worker catches a panic, calls fate, and sleeps 2 s; main joins it.
        "caught_then_sleep" => {
            spawn_named("catcher", catches_then_sleeps)
                .join()
                .expect("the catcher returns");
            Ok(())
        }
        // 10b, 11. A worker catches a panic and returns at once; main joins it.
        "caught_then_return" => {
            spawn_named("catcher", catches_then_returns)
                .join()
                .expect("the catcher returns");
            Ok(())
        }
        // 10d. A worker catches a panic and goes on polling fate; then another fails.
        "caught_then_other_fails" => {
            let (caught_tx, caught_rx) = mpsc::channel();
            spawn_named("catcher", move || catches_then_polls(caught_tx));
            spawn_named("failer", move || fails_after_the_catch(caught_rx));
            block_forever()
        }
        // 11. A worker panics (after 50 ms); the body is blocked.
        "failing_worker" => {
            spawn_named("worker", fails_later);
            block_forever()
        }
        // 14. rayon catches a panic of an unsupervised closure on one of its
        //     threads and re-raises it in the supervised caller, on the main thread.
        "rayon_reraise" => {
            name_rayon_threads();
            process((1..=16).collect());
            Ok(())
        }
        // 14. The same, the closure calling a supervised `check`.
        "rayon_check" => {
            name_rayon_threads();
            process_checked((1..=16).collect());
            Ok(())
        }
        // 14. The same, `process_checked` itself running on a pool thread (rayon's
        //     `install`, which re-raises the panic once more, in `main`).
        "rayon_check_install" => {
            rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .thread_name(|i| format!("crunch-{i}"))
                .build()
                .expect("build the pool")
                .install(|| process_checked((1..=16).collect()));
            Ok(())
        }
        other => unknown(other),
    }
}

fn spawn_named<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> thread::JoinHandle<T> {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .expect("spawn a thread")
}

/// rayon's global pool: two threads, named `crunch-N`. The main thread is not one of
/// them, so the items are always processed, and item 7 panics, on a `crunch` thread.
fn name_rayon_threads() {
    rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .thread_name(|i| format!("crunch-{i}"))
        .build_global()
        .expect("build the global pool");
}

#[fate::supervised]
fn unwinds_slowly(started: Sender<()>, ms: u64) {
    let _slow = SlowDrop(Duration::from_millis(ms));
    let _signal = Signal(started);
    panic!("unwinding slowly");
}

#[fate::supervised]
fn panics_slowly(started: Sender<()>) {
    let _slow = SlowDrop(Duration::from_millis(200));
    let _signal = Signal(started);
    panic!("the first failure");
}

#[fate::supervised]
fn fails_soon(started: Receiver<()>) -> io::Result<()> {
    started.recv().expect("the slow worker signals");
    thread::sleep(Duration::from_millis(20));
    Err(io::Error::other("the second failure"))
}

struct RunsCleanup(String);

impl Drop for RunsCleanup {
    fn drop(&mut self) {
        let _ = cleanup(&self.0);
    }
}

#[fate::supervised]
fn breaks_with_cleanup(mode: String) {
    let _guard = RunsCleanup(mode);
    panic!("broke before cleanup");
}

#[fate::supervised]
fn cleanup(mode: &str) -> Result<(), String> {
    match mode {
        "cleanup_err" => Err("cleanup could not finish".to_owned()),
        "cleanup_caught" => {
            let _ = catch_unwind(|| panic!("cleanup hiccup"));
            Ok(())
        }
        _ => Ok(()),
    }
}

#[fate::supervised]
fn boom() {
    panic!("boom in a rayon job");
}

#[fate::supervised]
fn panics_together(barrier: Arc<Barrier>, i: usize, stagger: u64) {
    barrier.wait();
    for _ in 0..i as u64 * stagger {
        std::hint::spin_loop();
    }
    panic!("together {i}");
}

#[fate::supervised]
fn catches_then_sleeps() {
    let caught = catch_unwind(|| panic!("caught and carried on"));
    assert!(caught.is_err());
    eprintln!("caught it");
    let _ = fate::is_cancelled();
    thread::sleep(Duration::from_secs(2));
}

#[fate::supervised]
fn catches_then_returns() {
    // Time for a test to close the read end of stderr first.
    thread::sleep(Duration::from_millis(50));
    let caught = catch_unwind(|| panic!("caught and returned"));
    assert!(caught.is_err());
}

#[fate::supervised]
fn catches_then_polls(caught_tx: Sender<()>) {
    let caught = catch_unwind(|| panic!("caught before the failure"));
    assert!(caught.is_err());
    caught_tx.send(()).expect("the failer waits for this");
    loop {
        if fate::is_cancelled() {
            block_forever()
        }
        thread::sleep(Duration::from_millis(1));
    }
}

#[fate::supervised]
fn fails_after_the_catch(caught: Receiver<()>) -> io::Result<()> {
    caught.recv().expect("the catcher signals");
    Err(io::Error::other("the other worker failed"))
}

#[fate::supervised]
fn fails_later() {
    thread::sleep(Duration::from_millis(50));
    panic!("a plain failure");
}

fn report_thread() {
    let thread = thread::current();
    println!("item 7 on {}", thread.name().unwrap_or("<unnamed>"));
}

#[fate::supervised]
fn process(items: Vec<u32>) {
    items.par_iter().for_each(|x| {
        if *x == 7 {
            report_thread();
            panic!("bad item {x}")
        }
    });
}

#[fate::supervised]
fn process_checked(items: Vec<u32>) {
    items.par_iter().for_each(|x| check(*x));
}

#[fate::supervised]
fn check(x: u32) {
    if x == 7 {
        report_thread();
        panic!("check rejected item {x}")
    }
}
