//! Call overhead: a `#[fate::supervised]` function against the same plain function.
//!
//! Rows, each `plain` against `supervised` in the same run:
//! - body: empty (returns its argument) or about 1 µs of arithmetic;
//! - sync call, or `async fn` (the future made and polled to `Ready` once with a no-op
//!   waker, then dropped: what one supervised async call costs an executor);
//! - 1 thread, or 2 threads calling at once (`iter_custom`: both threads start at a
//!   barrier, the time of the slower one is the sample, so a figure is the time per
//!   call while the other core calls too);
//! - `fate::is_cancelled()` against a load of a hand-rolled `static AtomicBool` stop flag;
//! - outside any root, or inside one (a `fate::Supervisor` whose body runs the loop,
//!   or two `fate::spawn` threads in that body).
//!
//! Both functions are `#[inline(never)]`, so each iteration is a real call.
//!
//! `cargo bench -p fate-benches --bench call`

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

mod common;
use common::{poll_ready, print_table, time_calls, timed, Place, Row};

/// Steps of `work`: about 1 µs on the machine of BENCHMARKS.md.
const WORK_STEPS: u64 = 600;

/// About 1 µs of dependent arithmetic that the optimiser cannot skip.
#[inline(always)]
fn work(x: u64) -> u64 {
    let mut acc = x;
    for step in 0..WORK_STEPS {
        acc = black_box(acc.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(23) ^ step);
    }
    acc
}

#[inline(never)]
fn plain_empty(x: u64) -> u64 {
    x
}

#[fate::supervised]
#[inline(never)]
fn supervised_empty(x: u64) -> u64 {
    x
}

#[inline(never)]
fn plain_work(x: u64) -> u64 {
    work(x)
}

#[fate::supervised]
#[inline(never)]
fn supervised_work(x: u64) -> u64 {
    work(x)
}

async fn plain_async_empty(x: u64) -> u64 {
    x
}

#[fate::supervised]
async fn supervised_async_empty(x: u64) -> u64 {
    x
}

async fn plain_async_work(x: u64) -> u64 {
    work(x)
}

#[fate::supervised]
async fn supervised_async_work(x: u64) -> u64 {
    work(x)
}

// One supervised async call: make the future, poll it to `Ready`, drop it.
#[inline(never)]
fn poll_plain_async_empty(x: u64) -> u64 {
    poll_ready(plain_async_empty(x))
}

#[inline(never)]
fn poll_supervised_async_empty(x: u64) -> u64 {
    poll_ready(supervised_async_empty(x))
}

#[inline(never)]
fn poll_plain_async_work(x: u64) -> u64 {
    poll_ready(plain_async_work(x))
}

#[inline(never)]
fn poll_supervised_async_work(x: u64) -> u64 {
    poll_ready(supervised_async_work(x))
}

/// What a hand-rolled stop flag costs: one shared `AtomicBool` load.
static STOP: AtomicBool = AtomicBool::new(false);

#[inline(never)]
fn plain_stop_flag(x: u64) -> u64 {
    x + u64::from(STOP.load(Ordering::Acquire))
}

#[inline(never)]
fn supervised_is_cancelled(x: u64) -> u64 {
    x + u64::from(fate::is_cancelled())
}

#[fate::supervised(restart = 3)]
#[inline(never)]
fn supervised_restart_empty(x: u64) -> u64 {
    x
}

#[fate::supervised(critical = false)]
#[inline(never)]
fn supervised_not_critical_empty(x: u64) -> u64 {
    x
}

#[fate::supervised(stall = "60m")]
#[inline(never)]
fn supervised_stall_empty(x: u64) -> u64 {
    x
}

type Call = fn(u64) -> u64;

/// (group, plain, supervised)
const CASES: [(&str, Call, Call); 5] = [
    ("call/sync empty", plain_empty, supervised_empty),
    ("call/sync 1us work", plain_work, supervised_work),
    (
        "call/async empty",
        poll_plain_async_empty,
        poll_supervised_async_empty,
    ),
    (
        "call/async 1us work",
        poll_plain_async_work,
        poll_supervised_async_work,
    ),
    (
        "call/is_cancelled",
        plain_stop_flag,
        supervised_is_cancelled,
    ),
];

fn threads_label(threads: usize) -> &'static str {
    if threads == 1 {
        "1 thread"
    } else {
        "2 threads"
    }
}

/// Samples per benchmark (also how `common` finds the measurement).
const SAMPLE_SIZE: usize = 50;

fn calls(c: &mut Criterion) {
    let mut rows = Vec::new();
    for (group_name, plain, supervised) in CASES {
        let mut group = c.benchmark_group(group_name);
        for threads in [1, 2] {
            for place in [Place::NoRoot, Place::Root] {
                let case = format!("{}, {}", threads_label(threads), place.label());
                for (label, call) in [("plain", plain), ("supervised", supervised)] {
                    timed(
                        &mut group,
                        group_name,
                        &format!("{label}/{case}"),
                        |iters| time_calls(threads, place, iters, call),
                    );
                }
                rows.push(Row::new(format!("{group_name}/plain/{case}"), None));
                rows.push(Row::new(
                    format!("{group_name}/supervised/{case}"),
                    Some(format!("{group_name}/plain/{case}")),
                ));
            }
        }
        group.finish();
    }
    print_table(
        "Call overhead (time per call, per thread)",
        SAMPLE_SIZE,
        &rows,
        false,
    );
}

/// The policy options on an empty worker (no failure), and `fate::heartbeat()`,
/// one thread, in a root.
fn policies(c: &mut Criterion) {
    let group_name = "policy";
    let mut group = c.benchmark_group(group_name);
    let mut rows = Vec::new();
    let cases: [(&str, Call); 5] = [
        ("plain", plain_empty),
        ("supervised", supervised_empty),
        ("supervised, restart = 3", supervised_restart_empty),
        (
            "supervised, critical = false",
            supervised_not_critical_empty,
        ),
        ("supervised, stall = \"60m\"", supervised_stall_empty),
    ];
    for (label, call) in cases {
        timed(&mut group, group_name, label, |iters| {
            time_calls(1, Place::Root, iters, call)
        });
        let baseline = (label != "plain").then(|| format!("{group_name}/plain"));
        rows.push(Row::new(format!("{group_name}/{label}"), baseline));
    }
    // A heartbeat, inside a worker with `stall`: the loop with one, against the loop.
    for (label, beat) in [("loop", false), ("loop with fate::heartbeat()", true)] {
        timed(&mut group, group_name, label, |iters| {
            fate::Supervisor::new()
                .run(move || beating(iters, beat))
                .expect("no failure")
        });
    }
    rows.push(Row::new(format!("{group_name}/loop"), None));
    rows.push(Row::new(
        format!("{group_name}/loop with fate::heartbeat()"),
        Some(format!("{group_name}/loop")),
    ));
    group.finish();
    print_table(
        "Policies on an empty worker, and a heartbeat (time per call, 1 thread, in a root)",
        SAMPLE_SIZE,
        &rows,
        false,
    );
}

/// `iters` rounds of a loop in a watched worker, each calling a function that beats
/// (`beat`) or does nothing: called, not inlined, so that the thread-local lookup is
/// not hoisted out of the loop.
#[fate::supervised(stall = "60m")]
fn beating(iters: u64, beat: bool) -> Duration {
    let round: fn() = if beat { beat_once } else { nothing };
    let start = std::time::Instant::now();
    for _ in 0..iters {
        black_box(round)();
    }
    start.elapsed()
}

#[inline(never)]
fn beat_once() {
    fate::heartbeat();
}

#[inline(never)]
fn nothing() {
    black_box(());
}

/// A watched worker that beats until told to stop.
#[fate::supervised(stall = "60m")]
fn watched_until(stop: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        fate::heartbeat();
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `fate::status()` (issue 12), with 0, 1 and 16 watched workers running under the
/// root; against a plain call, as the other tables.
fn production(c: &mut Criterion) {
    let group_name = "production";
    let mut group = c.benchmark_group(group_name);
    let mut rows = vec![Row::new(format!("{group_name}/plain"), None)];
    timed(&mut group, group_name, "plain", |iters| {
        time_calls(1, Place::Root, iters, plain_empty)
    });
    for watched in [0usize, 1, 16] {
        let label = format!("fate::status(), {watched} watched workers");
        timed(&mut group, group_name, &label, |iters| {
            fate::Supervisor::new()
                .run(move || {
                    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                    let workers: Vec<_> = (0..watched)
                        .map(|_| {
                            let stop = stop.clone();
                            fate::spawn(move || watched_until(stop))
                        })
                        .collect();
                    while fate::status().workers.len() < watched {
                        std::thread::yield_now();
                    }
                    let start = std::time::Instant::now();
                    for _ in 0..iters {
                        black_box(fate::status());
                    }
                    let elapsed = start.elapsed();
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    for worker in workers {
                        worker.join().expect("no panic");
                    }
                    elapsed
                })
                .expect("no failure")
        });
        rows.push(Row::new(
            format!("{group_name}/{label}"),
            Some(format!("{group_name}/plain")),
        ));
    }
    group.finish();
    print_table(
        "fate::status() (time per call, 1 thread, in a root)",
        SAMPLE_SIZE,
        &rows,
        false,
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(SAMPLE_SIZE)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(800))
        .nresamples(20_000);
    targets = calls, policies, production
}
criterion_main!(benches);
