//! Issue 8, item 6: `rayon::spawn` of a panicking supervised function. rayon's default
//! panic handler aborts the process right after it caught the panic; the report must
//! be printed in every run, and the process must end with status 1 before rayon can
//! abort it.

mod support;

use support::{ensure, location_of, race, rounds, run};

#[test]
fn a_rayon_job_that_panics_is_reported_every_time() {
    let at = location_of("src/bin/fate_main.rs", "panic!(\"boom in a rayon job\")");
    let report = format!("Error: worker `boom` panicked at {at}: boom in a rayon job\n");
    race(
        "rayon_spawn",
        rounds(1),
        |_| {
            run(env!("CARGO_BIN_EXE_fate_main"))
                .arg("rayon_spawn")
                .try_output()
        },
        |output| {
            ensure(output.stderr.contains(&report), "no report")?;
            ensure(
                output
                    .stderr
                    .matches("Error: worker `boom` panicked at")
                    .count()
                    == 1,
                "more than one report",
            )?;
            ensure(output.signal() != Some(6), "aborted (SIGABRT)")?;
            ensure(output.code() == Some(1), "status is not 1")
        },
    );
}
