//! `#[fate::test]` in the README's style: a test whose background worker dies while the
//! body waits for it. `the_consumer_adds_every_record` fails on purpose, with the
//! consumer's report, instead of hanging (`#[ignore]`d so that `cargo test` stays green;
//! see it with `cargo test -p fate-examples --test supervised_test -- --ignored`). The
//! test below runs it that way and checks what the harness prints.

use std::sync::mpsc;

#[fate::supervised]
fn consume(rx: mpsc::Receiver<u32>, done: mpsc::Sender<u32>) {
    let mut total = 0;
    for record in rx {
        assert!(record != 7, "bad record {record}");
        total += record;
    }
    done.send(total).unwrap();
}

#[fate::test(timeout = "10s")]
#[ignore = "fails on purpose: run it with --ignored to see the report"]
fn the_consumer_adds_every_record() {
    let (tx, rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let _also_done = done_tx.clone(); // keeps `done_rx` waiting, as a real test might
    fate::spawn(move || consume(rx, done_tx));
    for record in 0..10 {
        let _ = tx.send(record);
    }
    drop(tx);
    assert_eq!(done_rx.recv().unwrap(), 45); // without fate: blocked forever
}

#[test]
fn the_failing_test_fails_at_once_with_the_consumers_report() {
    let started = std::time::Instant::now();
    let output = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .args(["--ignored", "--exact", "the_consumer_adds_every_record"])
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .output()
        .expect("run this binary");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(
        stdout.contains("test the_consumer_adds_every_record ... FAILED")
            && stdout.contains(
                "worker `consume` panicked at fate-examples/tests/supervised_test.rs:13:9: bad record 7"
            ),
        "{stdout}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{stdout}"
    );
}
