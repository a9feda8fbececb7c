//! End-to-end test of `examples/alert.rs` (feature `alert`), run as a child process.

#[path = "../../tests/support/mod.rs"]
mod support;

use support::{example, run};

#[test]
fn alert_example_writes_one_json_line_per_failure_before_the_exit() {
    let sink = std::env::temp_dir().join(format!("fate-e2e-{}-alerts.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&sink);
    let output = run(&example("alert"), &[sink.as_os_str()]);
    output.check(output.status.code() == Some(1), "the status is not 1");
    let lines = std::fs::read_to_string(&sink).expect("the sink was written");
    let _ = std::fs::remove_file(&sink);
    let alerts: Vec<serde_json::Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let summary: Vec<(&str, &serde_json::Value)> = alerts
        .iter()
        .map(|alert| (alert["worker"].as_str().unwrap(), &alert["disposition"]))
        .collect();
    let restarted = serde_json::json!({ "Restarted": { "restart": 1, "of": 2 } });
    let not_critical = serde_json::json!("NotCritical");
    let failed_root = serde_json::json!("FailedRoot");
    assert_eq!(
        summary,
        [
            ("fetch_prices", &restarted),
            ("warm_cache", &not_critical),
            ("settle", &failed_root),
        ],
        "{lines}"
    );
    assert_eq!(alerts[2]["kind"], "Panic");
    assert_eq!(alerts[2]["message"], "cannot settle at 42");
    assert!(alerts[2]["location"]["file"]
        .as_str()
        .unwrap()
        .ends_with("examples/alert.rs"));
}
