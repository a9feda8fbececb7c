//! Issue 8, item 8: many workers panic at the same moment (or a few microseconds
//! apart) while the body is blocked. Exactly one report, first on stderr, intact:
//! Rust's raw panic text may only come after the whole report, never before or inside
//! it. Before the exactly-once runtime about 1 run in 500 was bad, so this race runs
//! ten times `FATE_ROUNDS` (1,000 by default, about 3 s): a regression of that rate
//! fails it nearly every time.

mod support;

use support::{check_report_block, ensure, location_of, race, rounds, run};

const WORKERS: usize = 32;
/// Worker `i` spins `i * STAGGER[round % 4]` times past the barrier: all at once, or
/// spread a little.
const STAGGER: [u64; 4] = [0, 0, 50, 300];

#[test]
fn simultaneous_panics_print_one_intact_report() {
    let at = location_of("src/bin/fate_main.rs", "panic!(\"together {i}\")");
    let summaries: Vec<String> = (0..WORKERS)
        .map(|i| format!("worker `panics_together` panicked at {at}: together {i}"))
        .collect();
    let threads: Vec<String> = (0..WORKERS).map(|i| format!("w{i}")).collect();
    race(
        "many_panics",
        rounds(1) * 10,
        |i| {
            run(env!("CARGO_BIN_EXE_fate_main"))
                .arg("many_panics")
                .arg(WORKERS.to_string())
                .arg(STAGGER[i % STAGGER.len()].to_string())
                .try_output()
        },
        |output| {
            ensure(output.code() == Some(1), "status is not 1")?;
            ensure(
                output
                    .stderr
                    .lines()
                    .filter(|l| l.contains("Error:"))
                    .count()
                    == 1,
                "not exactly one `Error:` line",
            )?;
            check_report_block(
                &output.stderr,
                |line| summaries.iter().any(|s| s == line),
                |name| threads.iter().any(|t| t == name),
            )
        },
    );
}
