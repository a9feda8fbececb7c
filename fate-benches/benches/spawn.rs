//! Spawn: `fate::spawn` + join against `std::thread::spawn` + join.
//!
//! Each iteration spawns a thread that returns at once and joins it. Rows, in the
//! same run:
//! - in a root (the loop runs in a `fate::Supervisor`'s body, where `fate::spawn`
//!   carries the root into the new thread and runs the closure as a supervised call):
//!   `std::thread::spawn` + join, then `fate::spawn` + join;
//! - outside any root, where `fate::spawn` is `std::thread::spawn`: the same two.
//!
//! The Supervisor's own start (a thread) is outside the timed loop.
//!
//! Spawning a thread costs tens of microseconds and varies with whatever else the
//! machine does, so two rows measured one after the other can differ by more than
//! the 5% the target allows. The `interleaved` rows therefore alternate the two in
//! each iteration (in alternating order) and time each separately; the ratio printed
//! for them is the median over samples of (fate's time / std's time) within a sample.
//!
//! `cargo bench -p fate-benches --bench spawn`

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

mod common;
use common::{print_table, timed, Place, Row};

const GROUP: &str = "spawn";
const SAMPLE_SIZE: usize = 50;

fn spawn_and_join(iters: u64, spawn: fn(fn() -> u64) -> std::thread::JoinHandle<u64>) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(spawn(|| black_box(7)).join().unwrap());
    }
    start.elapsed()
}

/// The (std, fate) times of each sample of the interleaved rows, by row.
static PAIRS: Mutex<Vec<(String, Vec<Pair>)>> = Mutex::new(Vec::new());

/// The time of std's spawns and of fate's in one sample.
type Pair = (Duration, Duration);

/// `iters` times: std spawn + join and fate spawn + join, in alternating order;
/// records both sums and returns their total.
fn interleaved(id: &str, iters: u64) -> Duration {
    let (mut std_total, mut fate_total) = (Duration::ZERO, Duration::ZERO);
    for i in 0..iters {
        for fate_turn in [i % 2 == 0, i % 2 != 0] {
            let start = Instant::now();
            if fate_turn {
                black_box(fate_spawn(|| black_box(7)).join().unwrap());
                fate_total += start.elapsed();
            } else {
                black_box(std_spawn(|| black_box(7)).join().unwrap());
                std_total += start.elapsed();
            }
        }
    }
    let mut pairs = PAIRS.lock().unwrap();
    match pairs.iter_mut().find(|(name, _)| name == id) {
        Some((_, samples)) => samples.push((std_total, fate_total)),
        None => pairs.push((id.to_owned(), vec![(std_total, fate_total)])),
    }
    std_total + fate_total
}

/// The median over the measurement's samples of fate's time / std's time.
fn interleaved_ratio(id: &str) -> Option<f64> {
    let pairs = PAIRS.lock().unwrap();
    let (_, samples) = pairs.iter().find(|(name, _)| name == id)?;
    if samples.len() <= SAMPLE_SIZE {
        return None;
    }
    let mut ratios: Vec<f64> = samples[samples.len() - SAMPLE_SIZE..]
        .iter()
        .map(|(std, fate)| fate.as_secs_f64() / std.as_secs_f64())
        .collect();
    ratios.sort_unstable_by(f64::total_cmp);
    Some(ratios[SAMPLE_SIZE.div_ceil(2) - 1])
}

fn std_spawn(f: fn() -> u64) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(f)
}

fn fate_spawn(f: fn() -> u64) -> std::thread::JoinHandle<u64> {
    fate::spawn(f)
}

fn spawn(c: &mut Criterion) {
    let mut group = c.benchmark_group(GROUP);
    let mut rows = Vec::new();
    for place in [Place::Root, Place::NoRoot] {
        let std_id = format!("std::thread::spawn + join, {}", place.label());
        let fate_id = format!("fate::spawn + join, {}", place.label());
        for (id, spawner) in [
            (&std_id, std_spawn as fn(_) -> _),
            (&fate_id, fate_spawn as fn(_) -> _),
        ] {
            timed(&mut group, GROUP, id, |iters| match place {
                Place::NoRoot => spawn_and_join(iters, spawner),
                Place::Root => fate::Supervisor::new()
                    .run(move || spawn_and_join(iters, spawner))
                    .expect("the spawned threads do not fail"),
            });
        }
        let paired = format!("interleaved std and fate, {}", place.label());
        timed(&mut group, GROUP, &paired, |iters| match place {
            Place::NoRoot => interleaved(&paired, iters),
            Place::Root => {
                let paired = paired.clone();
                fate::Supervisor::new()
                    .run(move || interleaved(&paired, iters))
                    .expect("the spawned threads do not fail")
            }
        });
        rows.push(Row::new(format!("{GROUP}/{std_id}"), None));
        rows.push(Row::new(
            format!("{GROUP}/{fate_id}"),
            Some(format!("{GROUP}/{std_id}")),
        ));
    }
    group.finish();
    print_table("Spawn + join (time per thread)", SAMPLE_SIZE, &rows, false);
    for place in [Place::Root, Place::NoRoot] {
        let paired = format!("interleaved std and fate, {}", place.label());
        if let Some(ratio) = interleaved_ratio(&paired) {
            println!(
                "{GROUP}/{paired}: fate::spawn + join / std::thread::spawn + join = {ratio:.3}× \
                 (median over samples)"
            );
        }
    }
    println!();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(SAMPLE_SIZE)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .nresamples(20_000);
    targets = spawn
}
criterion_main!(benches);
