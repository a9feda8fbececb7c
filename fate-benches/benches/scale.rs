//! Scale: the cost of registering and deregistering (one supervised call, entry and
//! exit) while 10, 1,000 or 10,000 workers of the same root are running.
//!
//! 10,000 threads are too many for a 2-core machine, so the running workers are
//! supervised `async fn` futures that never complete: each is polled once (a
//! supervised future counts as running from its first poll until it completes or is
//! dropped), all on the thread of a `fate::Supervisor`'s body, where the measured loop
//! then runs. They are made and polled before the timed loop and dropped after it.
//!
//! Rows, in the same run, at each count: a plain call (the reference), a sync
//! supervised call (empty body, `#[inline(never)]`), and a supervised `async fn`
//! made and polled to `Ready` with a no-op waker. Each supervised row at 1,000 and
//! 10,000 is compared with the same row at 10: flat means a ratio of 1.
//!
//! `cargo bench -p fate-benches --bench scale`

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

mod common;
use common::{poll_ready, print_table, timed, Row};

#[inline(never)]
fn plain_empty(x: u64) -> u64 {
    x
}

#[fate::supervised]
#[inline(never)]
fn supervised_empty(x: u64) -> u64 {
    x
}

#[fate::supervised]
async fn supervised_async_empty(x: u64) -> u64 {
    x
}

#[inline(never)]
fn poll_supervised_async_empty(x: u64) -> u64 {
    poll_ready(supervised_async_empty(x))
}

/// A worker that runs until it is dropped.
#[fate::supervised]
async fn running_worker() {
    std::future::pending::<()>().await;
}

/// Runs `measure` while `count` supervised futures of the current root are running.
fn with_running<T>(count: usize, measure: impl FnOnce() -> T) -> T {
    let mut running: Vec<Pin<Box<dyn Future<Output = ()>>>> = (0..count)
        .map(|_| Box::pin(running_worker()) as Pin<Box<dyn Future<Output = ()>>>)
        .collect();
    let mut cx = Context::from_waker(Waker::noop());
    for worker in &mut running {
        assert!(worker.as_mut().poll(&mut cx) == Poll::Pending);
    }
    let value = measure();
    drop(running);
    value
}

fn time_calls(count: usize, iters: u64, call: fn(u64) -> u64) -> Duration {
    fate::Supervisor::new()
        .run(move || {
            with_running(count, || {
                let start = Instant::now();
                for i in 0..iters {
                    black_box(call(black_box(i)));
                }
                start.elapsed()
            })
        })
        .expect("the measured calls do not fail")
}

const GROUP: &str = "scale";
const SAMPLE_SIZE: usize = 30;
const COUNTS: [usize; 3] = [10, 1_000, 10_000];
type Call = fn(u64) -> u64;
const CALLS: [(&str, Call); 3] = [
    ("plain call", plain_empty),
    ("supervised call", supervised_empty),
    ("supervised async call", poll_supervised_async_empty),
];

fn scale(c: &mut Criterion) {
    let mut group = c.benchmark_group(GROUP);
    for count in COUNTS {
        for (label, call) in CALLS {
            timed(
                &mut group,
                GROUP,
                &format!("{label}, {count} running"),
                |iters| time_calls(count, iters, call),
            );
        }
    }
    group.finish();

    let name = |label: &str, count: usize| format!("{GROUP}/{label}, {count} running");
    let mut rows = Vec::new();
    for (label, _) in CALLS {
        for count in COUNTS {
            let baseline = if count == COUNTS[0] {
                (label != "plain call").then(|| name("plain call", count))
            } else {
                Some(name(label, COUNTS[0]))
            };
            rows.push(Row::new(name(label, count), baseline));
        }
    }
    print_table(
        "Registration with many running workers (time per call)",
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
        .measurement_time(Duration::from_millis(1000))
        .nresamples(20_000);
    targets = scale
}
criterion_main!(benches);
