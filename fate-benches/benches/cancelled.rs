//! `fate::cancelled()` in a `select!` loop, against `tokio::sync::Notify` doing the
//! same, with 10, 1,000 and 10,000 tasks at once.
//!
//! Each task is a supervised `async fn` made in a `fate::Supervisor`'s body (so that
//! `fate::cancelled()` has a root) that loops on
//! `select! { _ = <wait>() => break, _ = sleep(1 ms) => {} }`, making a new waiting
//! future each iteration, as users write it: `<wait>` is `fate::cancelled` or
//! `Notify::notified` (which nobody notifies). With thousands of tasks the loop is
//! CPU-bound, so the time per iteration measures what registering, re-registering and
//! dropping a waiter costs. The tasks are spawned and parked on a start signal before
//! the timed window; the window ends when every task has done its share of the
//! iterations. Rows at each count: Notify (the baseline), then fate.
//!
//! `cargo bench -p fate-benches --bench cancelled`

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use tokio::sync::{Notify, Semaphore};

mod common;
use common::{print_table, timed, Row};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Waiter {
    Notify,
    Fate,
}

#[fate::supervised]
async fn looper(waiter: Waiter, quota: u64, start: Arc<Semaphore>, notify: Arc<Notify>) -> u64 {
    let _go = start.acquire().await.expect("the start signal");
    let mut done = 0;
    while done < quota {
        let tick = tokio::time::sleep(Duration::from_millis(1));
        match waiter {
            Waiter::Fate => tokio::select! {
                _ = fate::cancelled() => break,
                _ = tick => {}
            },
            Waiter::Notify => tokio::select! {
                _ = notify.notified() => break,
                _ = tick => {}
            },
        }
        done += 1;
    }
    done
}

/// Runs `iters` iterations of the loop spread over `tasks` tasks; the time they took.
fn time_loops(waiter: Waiter, tasks: usize, iters: u64) -> Duration {
    fate::Supervisor::new()
        .run(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            let quota = iters.div_ceil(tasks as u64).max(1);
            let start = Arc::new(Semaphore::new(0));
            let notify = Arc::new(Notify::new());
            // Made here, on the body's thread: the futures belong to this root.
            let loops: Vec<_> = (0..tasks)
                .map(|_| looper(waiter, quota, start.clone(), notify.clone()))
                .collect();
            runtime.block_on(async move {
                let handles: Vec<_> = loops.into_iter().map(tokio::spawn).collect();
                tokio::task::yield_now().await;
                let began = Instant::now();
                start.add_permits(tasks);
                let mut total = 0;
                for handle in handles {
                    total += handle.await.expect("no panic");
                }
                let elapsed = began.elapsed();
                assert_eq!(total, quota * tasks as u64, "nothing was cancelled");
                // Per iteration asked for: scale to `iters`, the count criterion divides by.
                elapsed.mul_f64(iters as f64 / total as f64)
            })
        })
        .expect("nothing fails")
}

const GROUP: &str = "cancelled";
const SAMPLE_SIZE: usize = 10;
const COUNTS: [usize; 3] = [10, 1_000, 10_000];

fn cancelled(c: &mut Criterion) {
    let mut group = c.benchmark_group(GROUP);
    for tasks in COUNTS {
        for (label, waiter) in [("Notify", Waiter::Notify), ("fate", Waiter::Fate)] {
            timed(
                &mut group,
                GROUP,
                &format!("{label}, {tasks} tasks"),
                |iters| time_loops(waiter, tasks, iters),
            );
        }
    }
    group.finish();

    let name = |label: &str, tasks: usize| format!("{GROUP}/{label}, {tasks} tasks");
    let rows: Vec<Row> = COUNTS
        .iter()
        .flat_map(|&tasks| {
            [
                Row::new(name("Notify", tasks), None),
                Row::new(name("fate", tasks), Some(name("Notify", tasks))),
            ]
        })
        .collect();
    print_table(
        "`cancelled()` in a select! loop (time per loop iteration, all tasks together)",
        SAMPLE_SIZE,
        &rows,
        false,
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(SAMPLE_SIZE)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .nresamples(10_000);
    targets = cancelled
}
criterion_main!(benches);
