//! Helpers shared by the benches, included by each with `mod common;`.
//!
//! Criterion prints a mean (or a slope); the issue asks for medians, ratios against a
//! baseline measured in the same run, and p99 for failure latency. So every benchmark
//! here goes through [`timed`] or [`timed_events`], which keep what each sample
//! measured, and each bench prints a table at the end with [`print_table`]:
//!
//! - criterion calls a routine during warm-up (1, 2, 4, ... iterations) and then
//!   exactly `sample_size` times for the measurement, so the last `sample_size`
//!   batches recorded for a benchmark are its measurement;
//! - "median" is the median over those samples of the time per iteration (what
//!   criterion's own `median` estimate is);
//! - for events timed one by one (failure latency), the median and p99 are taken over
//!   every event of the measurement samples.
//!
//! Criterion plans its iteration counts from the wall time of each routine call
//! (`iter_custom` is timed as a whole for the warm-up), not from the time returned:
//! so `measurement_time` is the wall time a benchmark takes, set-up included.

// Each bench uses a part of this module.
#![allow(dead_code)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::BenchmarkGroup;

/// What one call of a routine measured.
struct Batch {
    iters: u64,
    total: Duration,
    /// The events timed one by one, when the routine times them so.
    events: Vec<Duration>,
}

/// Every batch of this process, by benchmark name (`group/id`).
static RAW: Mutex<Vec<(String, Vec<Batch>)>> = Mutex::new(Vec::new());

fn record(name: &str, batch: Batch) {
    let mut raw = RAW.lock().unwrap();
    match raw.iter_mut().find(|(known, _)| known == name) {
        Some((_, batches)) => batches.push(batch),
        None => raw.push((name.to_owned(), vec![batch])),
    }
}

/// Benchmarks `id` in `group` with `iter_custom`: `routine(iters)` runs `iters`
/// iterations and returns the time they took (setup excluded).
pub(crate) fn timed(
    group: &mut BenchmarkGroup<'_, WallTime>,
    group_name: &str,
    id: &str,
    mut routine: impl FnMut(u64) -> Duration,
) {
    let name = format!("{group_name}/{id}");
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let total = routine(iters);
            record(
                &name,
                Batch {
                    iters,
                    total,
                    events: Vec::new(),
                },
            );
            total
        })
    });
}

/// Like [`timed`], for a routine that times each of its `iters` events on its own and
/// returns them all; the sample is their sum.
pub(crate) fn timed_events(
    group: &mut BenchmarkGroup<'_, WallTime>,
    group_name: &str,
    id: &str,
    mut routine: impl FnMut(u64) -> Vec<Duration>,
) {
    let name = format!("{group_name}/{id}");
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let events = routine(iters);
            let total = events.iter().sum();
            record(
                &name,
                Batch {
                    iters,
                    total,
                    events,
                },
            );
            total
        })
    });
}

/// The figures of one benchmark's measurement (its last `sample_size` batches).
#[derive(Clone, Debug)]
pub(crate) struct Figures {
    /// Median over the samples of the time per iteration, in nanoseconds (events
    /// timed one by one: their median).
    pub(crate) median: f64,
    /// Every event timed one by one, sorted (empty unless [`timed_events`]).
    pub(crate) events: Vec<Duration>,
}

/// The figures of `name`, if it ran with a warm-up and a full measurement.
pub(crate) fn figures(name: &str, sample_size: usize) -> Option<Figures> {
    let raw = RAW.lock().unwrap();
    let (_, batches) = raw.iter().find(|(known, _)| known == name)?;
    // `--test` and `--profile-time` runs have no warm-up then measurement.
    if batches.len() <= sample_size {
        return None;
    }
    let measured = &batches[batches.len() - sample_size..];
    let mut per_iter: Vec<f64> = measured
        .iter()
        .map(|batch| batch.total.as_nanos() as f64 / batch.iters as f64)
        .collect();
    per_iter.sort_unstable_by(f64::total_cmp);
    let mut events: Vec<Duration> = measured
        .iter()
        .flat_map(|batch| batch.events.iter().copied())
        .collect();
    events.sort_unstable();
    let median = if events.is_empty() {
        per_iter[(per_iter.len().div_ceil(2)).max(1) - 1]
    } else {
        quantile(&events, 0.5).as_nanos() as f64
    };
    Some(Figures { median, events })
}

/// The `q`-quantile (0.5 = median, 0.99 = p99) of sorted samples, by nearest rank.
pub(crate) fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `d` in the unit that reads best.
pub(crate) fn human(d: Duration) -> String {
    human_ns(d.as_nanos() as f64)
}

/// `ns` nanoseconds in the unit that reads best.
pub(crate) fn human_ns(ns: f64) -> String {
    if ns < 10.0 {
        format!("{ns:.2} ns")
    } else if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// One row of a results table: a benchmark, and the benchmark it is compared with.
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) baseline: Option<String>,
}

impl Row {
    pub(crate) fn new(name: impl Into<String>, baseline: Option<String>) -> Self {
        Row {
            name: name.into(),
            baseline,
        }
    }
}

/// Prints the table of `rows` (Markdown), skipping benchmarks that did not run.
/// With `percentiles`, adds p99, max and the number of events.
pub(crate) fn print_table(title: &str, sample_size: usize, rows: &[Row], percentiles: bool) {
    let mut lines = Vec::new();
    for row in rows {
        let Some(measured) = figures(&row.name, sample_size) else {
            continue;
        };
        let baseline = row
            .baseline
            .as_ref()
            .and_then(|name| figures(name, sample_size).map(|f| (name, f)));
        let (against, ratio, difference) = match &baseline {
            Some((name, base)) => (
                format!("{name} ({})", human_ns(base.median)),
                format!("{:.2}×", measured.median / base.median),
                signed(measured.median, base.median),
            ),
            None => ("–".into(), "–".into(), "–".into()),
        };
        let mut line = format!("| {} | {} |", row.name, human_ns(measured.median));
        if percentiles {
            line.push_str(&format!(
                " {} | {} | {} |",
                human(quantile(&measured.events, 0.99)),
                human(quantile(&measured.events, 1.0)),
                measured.events.len()
            ));
        }
        line.push_str(&format!(" {against} | {ratio} | {difference} |"));
        lines.push(line);
    }
    if lines.is_empty() {
        return;
    }
    println!("\n### {title}\n");
    if percentiles {
        println!(
            "| benchmark | median | p99 | max | events | baseline (median) | ratio | difference |"
        );
        println!("|---|---|---|---|---|---|---|---|");
    } else {
        println!("| benchmark | median | baseline (median) | ratio | difference |");
        println!("|---|---|---|---|---|");
    }
    for line in lines {
        println!("{line}");
    }
    println!();
}

fn signed(a: f64, b: f64) -> String {
    if a >= b {
        format!("+{}", human_ns(a - b))
    } else {
        format!("−{}", human_ns(b - a))
    }
}

/// Polls a future that is ready at once, with a no-op waker, and returns its output.
#[inline(always)]
pub(crate) fn poll_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the benched futures are ready at the first poll"),
    }
}

/// Where a measured loop runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// No root anywhere in the process.
    NoRoot,
    /// Under a `fate::Supervisor`: on its body's thread (one thread), or on threads
    /// started by `fate::spawn` in the body (two threads).
    Root,
}

impl Place {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Place::NoRoot => "no root",
            Place::Root => "in a root",
        }
    }
}

/// `iters` calls of `call` on each of `threads` threads at once (1 or 2), placed as
/// `place` says; returns the time of the slowest thread. Thread start-up is not
/// timed: each thread takes its timestamp after a barrier that all of them reach.
pub(crate) fn time_calls(
    threads: usize,
    place: Place,
    iters: u64,
    call: fn(u64) -> u64,
) -> Duration {
    let run = move |barrier: Arc<Barrier>| {
        barrier.wait();
        let start = Instant::now();
        for i in 0..iters {
            black_box(call(black_box(i)));
        }
        start.elapsed()
    };
    match (place, threads) {
        (Place::NoRoot, 1) => run(Arc::new(Barrier::new(1))),
        (Place::NoRoot, _) => {
            let barrier = Arc::new(Barrier::new(threads));
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let barrier = barrier.clone();
                    std::thread::spawn(move || run(barrier))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .max()
                .unwrap()
        }
        (Place::Root, 1) => fate::Supervisor::new()
            .run(move || run(Arc::new(Barrier::new(1))))
            .expect("the measured calls do not fail"),
        (Place::Root, _) => fate::Supervisor::new()
            .run(move || {
                let barrier = Arc::new(Barrier::new(threads));
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        let barrier = barrier.clone();
                        fate::spawn(move || run(barrier))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .max()
                    .unwrap()
            })
            .expect("the measured calls do not fail"),
    }
}
