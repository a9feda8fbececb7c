//! Macro: the time of the expander function, `expand::supervised(args, item)`, on a
//! worker whose body is 2,000 lines long.
//!
//! A proc-macro crate exports only its macros, so this bench compiles the macro's
//! modules into itself with `#[path]`, mirroring the crate's module tree (`lib.rs`
//! declares `args`, `expand`, `item` and `validate`; `expand/mod.rs` declares
//! `future`, `root` and `worker` next to itself).
//!
//! Outside the compiler, `proc_macro2` runs on its own token types (its fallback), so
//! this is the expander's own work: the conversions between `proc_macro` and
//! `proc_macro2` tokens that `lib.rs` does inside rustc are not part of it.
//!
//! Rows, in the same run, each on the same 2,000-line item:
//! - `fate expand, sync worker` and `fate expand, async worker`;
//! - baseline `syn parse + print (full ItemFn)`: what an attribute macro that parses
//!   the whole function with `syn` and prints it back does;
//! - floor `token copy`: a deep copy of the item's tokens.
//!
//! `cargo bench -p fate-macros --bench expand`

use std::hint::black_box;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};
use proc_macro2::{Group, TokenStream, TokenTree};

// Cargo builds benches with `--cfg test` but without the test harness: `args.rs`'s
// `#[cfg(test)] mod tests` is compiled with its `#[test]` functions left out.
#[allow(dead_code)]
#[cfg_attr(test, allow(unused_imports))]
#[path = "../src/args.rs"]
mod args;
#[allow(dead_code)]
#[path = "../src/expand/mod.rs"]
mod expand;
#[allow(dead_code)]
#[path = "../src/item.rs"]
mod item;

#[path = "../src/signature.rs"]
mod signature;
#[allow(dead_code)]
#[path = "../src/validate.rs"]
mod validate;

/// Lines of the worker's body.
const BODY_LINES: usize = 2_000;

/// A worker returning `io::Result<u64>` whose body has [`BODY_LINES`] lines of
/// ordinary code: bindings, early returns, arithmetic, `match`, macros and `?`.
fn worker_source(asyncness: &str) -> String {
    let mut source = format!(
        "/// A long worker.\n#[inline]\npub {asyncness} fn long_worker(input: &[u64], limit: u64) -> std::io::Result<u64> {{\n"
    );
    source.push_str("    let mut acc: u64 = 0;\n");
    let mut lines = 1;
    let mut i = 0;
    while lines < BODY_LINES - 1 {
        let line = match i % 5 {
            0 => format!("    let v{i} = input.get({i} % input.len().max(1)).copied().unwrap_or({i});\n"),
            1 => format!("    if v{} > limit {{ return Err(std::io::Error::other(format!(\"value {{}} is over {{limit}}\", v{}))); }}\n", i - 1, i - 1),
            2 => format!("    acc = acc.wrapping_add(v{}.rotate_left({})).wrapping_mul(0x9E37_79B9);\n", i - 2, i % 64),
            3 => format!("    match acc % 3 {{ 0 => acc += 1, 1 => acc ^= v{}, _ => acc = acc.saturating_sub({i}) }}\n", i - 3),
            _ => "    let _checked: u32 = u32::try_from(acc % 1_000).map_err(std::io::Error::other)?;\n".to_owned(),
        };
        source.push_str(&line);
        lines += 1;
        i += 1;
    }
    source.push_str("    Ok(acc)\n}\n");
    source
}

/// A worker with a body of 3 lines, for the fixed cost.
fn short_worker_source() -> String {
    "pub fn short_worker(input: &[u64]) -> std::io::Result<u64> {\n    let first = input.first().copied().unwrap_or(0);\n    Ok(first)\n}\n".to_owned()
}

/// Every token of `tokens`, groups counted with their contents.
fn count_tokens(tokens: &TokenStream) -> usize {
    tokens
        .clone()
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => 1 + count_tokens(&group.stream()),
            _ => 1,
        })
        .sum()
}

/// A copy of `tokens` that shares nothing with them.
fn deep_copy(tokens: &TokenStream) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut copy = Group::new(group.delimiter(), deep_copy(&group.stream()));
                copy.set_span(group.span());
                TokenTree::Group(copy)
            }
            other => other,
        })
        .collect()
}

const GROUP: &str = "expand";
const SAMPLE_SIZE: usize = 30;

/// Per-iteration times of each benchmark's samples, in the order they ran; the last
/// `SAMPLE_SIZE` of a benchmark are its measurement (the ones before, its warm-up).
static SAMPLES: Mutex<Vec<(String, Vec<Duration>)>> = Mutex::new(Vec::new());

/// Benchmarks `id`: each iteration runs `setup` untimed, then times `routine` on its
/// value; the routine's output is dropped untimed.
fn timed<I, O>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    mut setup: impl FnMut() -> I,
    mut routine: impl FnMut(I) -> O,
) {
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let input = setup();
                let start = Instant::now();
                let output = black_box(routine(black_box(input)));
                total += start.elapsed();
                drop(output);
            }
            let mut samples = SAMPLES.lock().unwrap();
            let per_iter = total.div_f64(iters as f64);
            match samples.iter_mut().find(|(name, _)| name == id) {
                Some((_, times)) => times.push(per_iter),
                None => samples.push((id.to_owned(), vec![per_iter])),
            }
            total
        })
    });
}

/// The median time per iteration of `id`'s measurement, if it ran one.
fn median(id: &str) -> Option<Duration> {
    let samples = SAMPLES.lock().unwrap();
    let (_, times) = samples.iter().find(|(name, _)| name == id)?;
    if times.len() <= SAMPLE_SIZE {
        return None; // `--test`: no warm-up, no measurement
    }
    let mut measured = times[times.len() - SAMPLE_SIZE..].to_vec();
    measured.sort_unstable();
    Some(measured[SAMPLE_SIZE.div_ceil(2) - 1])
}

fn expand_long_worker(c: &mut Criterion) {
    let sync_item = TokenStream::from_str(&worker_source("")).expect("the generated worker lexes");
    let async_item =
        TokenStream::from_str(&worker_source("async")).expect("the generated worker lexes");
    let short_item = TokenStream::from_str(&short_worker_source()).expect("the short worker lexes");
    let args = TokenStream::new();

    // The expansion must be a supervised worker, not the item with compile errors.
    for item in [&sync_item, &async_item, &short_item] {
        let out = expand::supervised(args.clone(), item.clone()).to_string();
        assert!(out.contains("__private"), "not expanded: {out:.200}");
        assert!(!out.contains("compile_error"), "misuse: {out:.200}");
    }
    println!(
        "expand: the long worker has {} lines, {} tokens",
        worker_source("").lines().count(),
        count_tokens(&sync_item),
    );

    let mut group = c.benchmark_group(GROUP);
    group.sampling_mode(SamplingMode::Flat);
    let fate_rows = [
        ("fate expand, sync worker", &sync_item),
        ("fate expand, async worker", &async_item),
        ("fate expand, sync worker, 3-line body", &short_item),
    ];
    for (id, item) in fate_rows {
        timed(
            &mut group,
            id,
            || (args.clone(), deep_copy(item)),
            |(args, item)| expand::supervised(args, item),
        );
    }
    // Where the time goes: the first stage alone (the light `ItemFn`: signature through
    // syn, the body kept as tokens).
    let stage = "stage: parse the light ItemFn";
    timed(
        &mut group,
        stage,
        || deep_copy(&sync_item),
        |item| item::parse(item).map_err(|e| e.to_string()),
    );
    let syn_full = "baseline: syn parse + print (full ItemFn)";
    timed(
        &mut group,
        syn_full,
        || deep_copy(&sync_item),
        |item| {
            let parsed: syn::ItemFn = syn::parse2(item).expect("the worker parses");
            quote::ToTokens::into_token_stream(parsed)
        },
    );
    let copy = "floor: token copy";
    timed(&mut group, copy, || &sync_item, deep_copy);
    group.finish();

    let rows = [
        (fate_rows[0].0, Some(syn_full)),
        (fate_rows[1].0, Some(syn_full)),
        (fate_rows[2].0, None),
        (stage, Some(fate_rows[0].0)),
        (syn_full, None),
        (copy, None),
    ];
    let mut lines = Vec::new();
    for (id, baseline) in rows {
        let Some(time) = median(id) else { continue };
        let (against, ratio) = match baseline.and_then(|b| median(b).map(|m| (b, m))) {
            Some((name, base)) => (
                format!("{name} ({base:.2?})"),
                format!("{:.2}×", time.as_secs_f64() / base.as_secs_f64()),
            ),
            None => ("–".to_owned(), "–".to_owned()),
        };
        lines.push(format!(
            "| {GROUP}/{id} | {time:.2?} | {against} | {ratio} |"
        ));
    }
    if !lines.is_empty() {
        println!("\n### Expansion of a worker with a 2,000-line body\n");
        println!("| benchmark | median | baseline (median) | ratio |");
        println!("|---|---|---|---|");
        for line in lines {
            println!("{line}");
        }
        println!();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(SAMPLE_SIZE)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .nresamples(20_000);
    targets = expand_long_worker
}
criterion_main!(benches);
