//! Failure latency: from the moment a worker fails to the moment
//! `fate::Supervisor::run` returns, against what a program would do without fate.
//!
//! Each event is timed on its own, from a timestamp taken by the failing thread right
//! before `panic!` (or before returning `Err`) to one taken right after the waiting
//! call returns; the sample criterion sees is the sum of its events (`iter_custom`).
//! Nothing before the failure is timed: the body's thread is already running, and it
//! idles first (sleeps `IDLE`, 1 ms or 10 ms) so that the supervisor is blocked in its
//! wait, as in a program where the failure comes late. How long the waiting thread
//! has been idle matters: a thread woken after a long sleep takes longer to run again.
//!
//! Rows, in the same run:
//! - `fate panic` / `fate Err`: `Supervisor::new().run(|| worker())`, where `worker`
//!   is `#[fate::supervised]` and panics or returns `Err` after idling;
//! - `floor panic`: no fate. A thread idles, panics inside `catch_unwind`, stores the
//!   payload under a `Mutex` and `notify_one`s a `Condvar` the caller waits on: the
//!   least any supervisor that catches a panic on another thread can do;
//!   `floor Err`: the same with an `Err` value instead of a panic;
//! - `std::thread::scope, sibling sleeps 20 ms`: the failing thread panics after
//!   idling 1 ms, while a sibling sleeps 20 ms; `scope` returns (re-panics) only when
//!   every thread has ended;
//! - `polling every 100 ms`: the recipe fate grew from. The worker stores its panic in
//!   a shared slot; the supervisor checks the slot, then sleeps 100 ms, and so on. The
//!   failure comes at phases spread evenly over the polling period (a low-discrepancy
//!   sequence, so that its few samples cover the period), as in a program where it
//!   comes at a random time; few samples, since each takes about 100 ms.
//!
//! Panics and backtraces: the bench installs a panic hook before fate's that prints
//! nothing. For the baselines' panics it captures a backtrace when
//! `RUST_BACKTRACE` asks for one (as Rust's default hook would, without printing it);
//! for fate's, fate's own hook decides the same way. Run with `RUST_BACKTRACE=0` for
//! the main figures and with `RUST_BACKTRACE=1` to see what capturing costs.
//!
//! The median and p99 printed in the table at the end are over every event of the
//! measurement (criterion's own line is a mean).
//!
//! `RUST_BACKTRACE=0 cargo bench -p fate-benches --bench failure`

use std::backtrace::Backtrace;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};

mod common;
use common::{print_table, timed_events, Row};

/// The error the `Err` rows return.
#[derive(Debug)]
struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed on purpose")
    }
}

impl std::error::Error for Failed {}

thread_local! {
    /// Set on the baselines' threads: their panics capture a backtrace as Rust's
    /// default hook would.
    static BASELINE: Cell<bool> = const { Cell::new(false) };
}

/// Whether Rust's default hook would capture a backtrace (as fate decides too).
fn wants_backtrace() -> bool {
    static WANTS: OnceLock<bool> = OnceLock::new();
    *WANTS.get_or_init(|| match std::env::var_os("RUST_BACKTRACE") {
        Some(value) => value != "0",
        None => std::env::var_os("RUST_LIB_BACKTRACE").is_some_and(|value| value != "0"),
    })
}

/// Installs the bench's silent hook, before fate installs its own in front of it.
fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        panic::set_hook(Box::new(|_| {
            if BASELINE.with(Cell::get) && wants_backtrace() {
                drop(Backtrace::force_capture());
            }
        }));
        println!(
            "failure latency: RUST_BACKTRACE={:?}: panics {} a backtrace",
            std::env::var("RUST_BACKTRACE").unwrap_or_default(),
            if wants_backtrace() {
                "capture"
            } else {
                "do not capture"
            }
        );
    });
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Panic,
    Err,
}

#[fate::supervised]
fn panicking_worker(idle: Duration, failed_at: &OnceLock<Instant>) {
    std::thread::sleep(idle);
    let _ = failed_at.set(Instant::now());
    panic!("failed on purpose");
}

#[fate::supervised]
fn erring_worker(idle: Duration, failed_at: &OnceLock<Instant>) -> Result<(), Failed> {
    std::thread::sleep(idle);
    let _ = failed_at.set(Instant::now());
    Err(Failed)
}

/// One failure under `fate::Supervisor::run`.
fn fate_once(kind: Kind, idle: Duration) -> Duration {
    let failed_at = Arc::new(OnceLock::new());
    let at = failed_at.clone();
    let result = fate::Supervisor::new().run(move || match kind {
        Kind::Panic => panicking_worker(idle, &at),
        Kind::Err => {
            let _ = erring_worker(idle, &at);
        }
    });
    let returned = Instant::now();
    let error = result.expect_err("the worker failed");
    let expected = match kind {
        Kind::Panic => "panicking_worker",
        Kind::Err => "erring_worker",
    };
    assert_eq!(error.worker(), expected);
    returned - *failed_at.get().expect("the worker took its timestamp")
}

type Slot = Arc<(
    Mutex<Option<(Instant, Box<dyn std::any::Any + Send>)>>,
    Condvar,
)>;

/// One failure caught and signalled by hand: the floor under any supervisor.
fn floor_once(kind: Kind, idle: Duration) -> Duration {
    let slot: Slot = Arc::new((Mutex::new(None), Condvar::new()));
    let worker = {
        let slot = slot.clone();
        std::thread::spawn(move || {
            BASELINE.with(|baseline| baseline.set(true));
            std::thread::sleep(idle);
            let at = Instant::now();
            let failure: Box<dyn std::any::Any + Send> = match kind {
                Kind::Panic => {
                    panic::catch_unwind(|| -> () { panic!("failed on purpose") }).unwrap_err()
                }
                Kind::Err => match std::hint::black_box(Err::<(), _>(Failed)) {
                    Err(error) => Box::new(error),
                    Ok(()) => unreachable!(),
                },
            };
            let (lock, changed) = &*slot;
            *lock.lock().unwrap() = Some((at, failure));
            changed.notify_one();
        })
    };
    let (lock, changed) = &*slot;
    let mut state = lock.lock().unwrap();
    while state.is_none() {
        state = changed.wait(state).unwrap();
    }
    let returned = Instant::now();
    let (at, _failure) = state.take().unwrap();
    drop(state);
    worker.join().unwrap();
    returned - at
}

/// One failure under `std::thread::scope`, with a sibling that sleeps 20 ms.
fn scope_once(idle: Duration) -> Duration {
    let failed_at = OnceLock::new();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        std::thread::scope(|scope| {
            scope.spawn(|| std::thread::sleep(Duration::from_millis(20)));
            scope.spawn(|| {
                BASELINE.with(|baseline| baseline.set(true));
                std::thread::sleep(idle);
                let _ = failed_at.set(Instant::now());
                panic!("failed on purpose");
            });
        })
    }));
    let returned = Instant::now();
    assert!(result.is_err(), "scope re-panics when a thread panicked");
    returned - *failed_at.get().unwrap()
}

/// The polling period of the recipe.
const POLL: Duration = Duration::from_millis(100);

/// One failure under the recipe's supervisor, failing at `phase` (0..1) of a period.
fn polling_once(phase: f64) -> Duration {
    type Stored = Arc<Mutex<Option<(Instant, Box<dyn std::any::Any + Send>)>>>;
    let stored: Stored = Arc::new(Mutex::new(None));
    let worker = {
        let stored = stored.clone();
        std::thread::spawn(move || {
            BASELINE.with(|baseline| baseline.set(true));
            std::thread::sleep(POLL.mul_f64(phase));
            let at = Instant::now();
            let payload = panic::catch_unwind(|| -> () { panic!("failed on purpose") });
            *stored.lock().unwrap() = Some((at, payload.unwrap_err()));
        })
    };
    let at = loop {
        if let Some((at, _payload)) = stored.lock().unwrap().take() {
            break at;
        }
        std::thread::sleep(POLL);
    };
    let returned = Instant::now();
    worker.join().unwrap();
    returned - at
}

/// The next phase of the polling rows: 0.5, then steps of the golden ratio.
fn next_phase(state: &mut f64) -> f64 {
    let phase = *state;
    *state = (*state + 0.618_033_988_749_895) % 1.0;
    phase
}

const GROUP: &str = "failure";
/// How long the failing thread idles first, and the wall time of each benchmark.
const IDLES: [(Duration, &str, Duration); 2] = [
    (
        Duration::from_millis(1),
        "idle 1 ms",
        Duration::from_millis(2000),
    ),
    (
        Duration::from_millis(10),
        "idle 10 ms",
        Duration::from_millis(3000),
    ),
];
/// Samples of the fate and floor rows.
const SAMPLE_SIZE: usize = 20;
/// Samples of the slow baselines (criterion's minimum).
const SLOW_SAMPLE_SIZE: usize = 10;

fn failure(c: &mut Criterion) {
    install_quiet_hook();
    let mut rows = Vec::new();

    let mut group = c.benchmark_group(GROUP);
    // Criterion plans from the wall time of a routine call (idle and set-up included),
    // so these are wall-time budgets: about 1,700 events at 1 ms idle, 300 at 10 ms.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(SAMPLE_SIZE)
        .warm_up_time(Duration::from_millis(30));
    for (idle, idle_label, budget) in IDLES {
        group.measurement_time(budget);
        for (kind, kind_label) in [(Kind::Panic, "panic"), (Kind::Err, "Err")] {
            let floor = format!("floor {kind_label}, {idle_label}");
            let fate = format!("fate {kind_label}, {idle_label}");
            timed_events(&mut group, GROUP, &floor, |iters| {
                (0..iters).map(|_| floor_once(kind, idle)).collect()
            });
            timed_events(&mut group, GROUP, &fate, |iters| {
                (0..iters).map(|_| fate_once(kind, idle)).collect()
            });
            rows.push(Row::new(format!("{GROUP}/{floor}"), None));
            rows.push(Row::new(
                format!("{GROUP}/{fate}"),
                Some(format!("{GROUP}/{floor}")),
            ));
        }
    }

    // The slow baselines: about 20 events each (two per sample).
    group.sample_size(SLOW_SAMPLE_SIZE);
    let scope = "std::thread::scope, sibling sleeps 20 ms, idle 1 ms";
    group.measurement_time(Duration::from_millis(20) * 2 * SLOW_SAMPLE_SIZE as u32);
    timed_events(&mut group, GROUP, scope, |iters| {
        (0..iters)
            .map(|_| scope_once(Duration::from_millis(1)))
            .collect()
    });
    // Each polling event takes a period of wall time (its phase, then the wait).
    let polling = "polling every 100 ms";
    let mut phase = 0.5;
    group.measurement_time(POLL * 2 * SLOW_SAMPLE_SIZE as u32);
    timed_events(&mut group, GROUP, polling, |iters| {
        (0..iters)
            .map(|_| polling_once(next_phase(&mut phase)))
            .collect()
    });
    group.finish();

    let fate_1ms = format!("{GROUP}/fate panic, idle 1 ms");
    print_table(
        "Failure latency (worker fails → the wait returns), fate and the floor",
        SAMPLE_SIZE,
        &rows,
        true,
    );
    print_table(
        "Failure latency, slow baselines",
        SLOW_SAMPLE_SIZE,
        &[
            Row::new(format!("{GROUP}/{scope}"), None),
            Row::new(format!("{GROUP}/{polling}"), None),
        ],
        true,
    );
    if let (Some(fate), Some(scope), Some(polling)) = (
        common::figures(&fate_1ms, SAMPLE_SIZE),
        common::figures(&format!("{GROUP}/{scope}"), SLOW_SAMPLE_SIZE),
        common::figures(&format!("{GROUP}/{polling}"), SLOW_SAMPLE_SIZE),
    ) {
        let times = |other: f64| other / fate.median;
        println!(
            "fate panic (idle 1 ms) is {:.0}× faster than std::thread::scope and {:.0}× faster than polling (medians)\n",
            times(scope.median),
            times(polling.median)
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().nresamples(20_000);
    targets = failure
}
criterion_main!(benches);
