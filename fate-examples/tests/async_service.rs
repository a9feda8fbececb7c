//! End-to-end test of `examples/async_service.rs`, run as a child process. It runs what
//! `cargo test` built (`target/<profile>/examples/async_service`) and never builds it,
//! with the facade's helpers for its own examples (`tests/support/mod.rs` at the root).

#[path = "../../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use support::{example, location_of, run};

/// How soon the example must end after the handler fails, start-up included.
const PROMPT: Duration = Duration::from_secs(2);

#[test]
fn async_service_example_reports_the_handler_and_flushes_its_metrics() {
    let file = std::env::temp_dir().join(format!(
        "fate-e2e-{}-async-service-metrics.txt",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&file);
    let output = run(&example("async_service"), &[file.as_os_str()]);
    let at = location_of(
        "fate-examples/examples/async_service.rs",
        "panic!(\"request {request} is malformed",
    );
    let report = format!(
        "Error: worker `handle` panicked at {at}: request 5 is malformed: missing header `host`"
    );
    output
        .check(output.status.code() == Some(1), "the status is not 1")
        .check(
            output.count("fate: worker `handle` panicked; cancelling") == 1,
            "not exactly one notice",
        )
        .check(output.count(&report) == 1, "not exactly one report")
        .check(
            output.count("metrics: flushed to ") == 1,
            "the metrics task did not flush once",
        )
        .check(
            output.count("panicked at") == 1, // the report's, no raw message
            "a raw panic message besides the report",
        )
        .check(output.count("thread '") == 0, "a raw panic message")
        .check(output.elapsed < PROMPT, "it did not end promptly");
    let metrics = std::fs::read_to_string(&file).expect("the metrics task wrote its file");
    assert!(metrics.starts_with("served "), "{metrics}");
    let _ = std::fs::remove_file(&file);
}
